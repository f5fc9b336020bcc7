//! The gdbstub `Target`: the machine being debugged, the vCPU gdb is looking at, and what
//! gdb last asked the guest to do.

use crate::breakpoints::HwBreakpoints;
use armvirt_machine::{ConsoleInput, Machine, RunEnd, Stop};
use gdbstub::target::ext::base::singlethread::SingleThreadBase;
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::breakpoints::BreakpointsOps;
use gdbstub::target::{Target, TargetError, TargetResult};
use gdbstub_arch::aarch64::reg::AArch64CoreRegs;
use gdbstub_arch::aarch64::AArch64;

/// What the guest does when gdb lets it go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Stopped: gdb has not resumed it.
    Stopped,
    /// One instruction on the current vCPU.
    Step,
    /// Run until a breakpoint, an interrupt from gdb or the end. `fresh` until the first
    /// slice: the vCPU first steps off a breakpoint it is sitting on.
    Continue { fresh: bool },
}

pub(crate) struct DebugTarget<'a> {
    pub machine: &'a mut Machine,
    pub input: &'a mut ConsoleInput,
    /// The vCPU whose registers and memory view gdb sees.
    pub vcpu: usize,
    pub action: Action,
    pub hw_breakpoints: HwBreakpoints,
    /// Set when the run ended (power-off, reset, quit) while gdb was attached.
    pub ended: Option<Result<RunEnd, Stop>>,
}

impl<'a> DebugTarget<'a> {
    pub fn new(machine: &'a mut Machine, input: &'a mut ConsoleInput) -> Self {
        DebugTarget {
            machine,
            input,
            vcpu: 0,
            action: Action::Stopped,
            hw_breakpoints: HwBreakpoints::default(),
            ended: None,
        }
    }
}

impl Target for DebugTarget<'_> {
    type Arch = AArch64;
    /// Fatal errors end the gdb session (never the emulator).
    type Error = String;

    #[inline(always)]
    fn base_ops(&mut self) -> BaseOps<'_, Self::Arch, Self::Error> {
        BaseOps::SingleThread(self)
    }

    #[inline(always)]
    fn support_target_description_xml_override(
        &mut self,
    ) -> Option<
        gdbstub::target::ext::target_description_xml_override::TargetDescriptionXmlOverrideOps<
            '_,
            Self,
        >,
    > {
        Some(self)
    }

    #[inline(always)]
    fn support_extended_mode(
        &mut self,
    ) -> Option<gdbstub::target::ext::extended_mode::ExtendedModeOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }
}

impl SingleThreadBase for DebugTarget<'_> {
    fn read_registers(&mut self, regs: &mut AArch64CoreRegs) -> TargetResult<(), Self> {
        crate::registers::read(self.machine, self.vcpu, regs);
        Ok(())
    }

    fn write_registers(&mut self, regs: &AArch64CoreRegs) -> TargetResult<(), Self> {
        crate::registers::write(self.machine, self.vcpu, regs).map_err(|()| TargetError::NonFatal)
    }

    #[inline(always)]
    fn support_single_register_access(
        &mut self,
    ) -> Option<
        gdbstub::target::ext::base::single_register_access::SingleRegisterAccessOps<'_, (), Self>,
    > {
        Some(self)
    }

    fn read_addrs(&mut self, start: u64, data: &mut [u8]) -> TargetResult<usize, Self> {
        crate::memory::read(self.machine, self.vcpu, start, data)
    }

    fn write_addrs(&mut self, start: u64, data: &[u8]) -> TargetResult<(), Self> {
        crate::memory::write(self.machine, self.vcpu, start, data)
    }

    #[inline(always)]
    fn support_resume(
        &mut self,
    ) -> Option<gdbstub::target::ext::base::singlethread::SingleThreadResumeOps<'_, Self>> {
        Some(self)
    }
}
