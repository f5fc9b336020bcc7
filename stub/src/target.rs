//! The gdbstub `Target`: the machine being debugged, its vCPUs as gdb's threads (thread
//! id = vCPU index + 1, as QEMU numbers them), and what gdb last asked the guest to do.

use crate::breakpoints::HwBreakpoints;
use armvirt_machine::{ConsoleInput, Machine, RunEnd, Stop, VcpuState};
use gdbstub::common::Tid;
use gdbstub::target::ext::base::multithread::{MultiThreadBase, MultiThreadResumeOps};
use gdbstub::target::ext::base::single_register_access::SingleRegisterAccessOps;
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::breakpoints::BreakpointsOps;
use gdbstub::target::ext::extended_mode::ExtendedModeOps;
use gdbstub::target::ext::monitor_cmd::MonitorCmdOps;
use gdbstub::target::ext::target_description_xml_override::TargetDescriptionXmlOverrideOps;
use gdbstub::target::ext::thread_extra_info::{ThreadExtraInfo, ThreadExtraInfoOps};
use gdbstub::target::{Target, TargetError, TargetResult};
use gdbstub_arch::aarch64::reg::AArch64CoreRegs;
use gdbstub_arch::aarch64::AArch64;

/// What the guest does when gdb lets it go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Stopped: gdb has not resumed it.
    Stopped,
    /// One instruction on this vCPU; the others stay where they are (as QEMU steps).
    Step { vcpu: usize },
    /// Every vCPU runs until a breakpoint, an interrupt from gdb or the end. `fresh`
    /// until the first slice: the vCPU that last stopped first steps off a breakpoint it
    /// is sitting on.
    Continue { fresh: bool },
    /// Back one instruction on this vCPU, through history.
    ReverseStep { vcpu: usize },
    /// Back to the last breakpoint or watchpoint hit, or the start of history.
    ReverseContinue,
}

/// Debugger settings that outlive a connection (`monitor stepirq`, `monitor phys`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Settings {
    /// Single steps may take a pending interrupt (off: QEMU's SSTEP_NOIRQ default).
    pub step_irqs: bool,
    /// gdb's memory accesses use physical addresses.
    pub phys: bool,
}

pub(crate) struct DebugTarget<'a> {
    pub machine: &'a mut Machine,
    pub input: &'a mut ConsoleInput,
    pub settings: &'a mut Settings,
    /// The vCPU that stopped last (named in the stop reply; Ctrl-C reports it).
    pub vcpu: usize,
    /// The vCPU `monitor` commands act on when `monitor cpu N` chose one (QEMU's monitor
    /// has the same command); else they act on the vCPU that stopped last. (gdb does not
    /// tell the stub which thread it has selected.)
    pub monitor_vcpu: Option<usize>,
    pub action: Action,
    /// The step gdb's resume actions asked for, until `resume` turns them into `action`.
    pub pending_step: Option<usize>,
    pub hw_breakpoints: HwBreakpoints,
    /// Set when the run ended (power-off, reset, quit) while gdb was attached.
    pub ended: Option<Result<RunEnd, Stop>>,
    /// `monitor quit`: the emulator exits once the session is over.
    pub quit: bool,
}

impl<'a> DebugTarget<'a> {
    pub fn new(
        machine: &'a mut Machine,
        input: &'a mut ConsoleInput,
        settings: &'a mut Settings,
    ) -> Self {
        DebugTarget {
            machine,
            input,
            settings,
            vcpu: 0,
            monitor_vcpu: None,
            action: Action::Stopped,
            pending_step: None,
            hw_breakpoints: HwBreakpoints::default(),
            ended: None,
            quit: false,
        }
    }

    /// The vCPU thread `tid` names; `None` for a thread that does not exist.
    pub fn vcpu_of(&self, tid: Tid) -> Option<usize> {
        let n = tid.get() - 1;
        (n < self.machine.vcpu_count()).then_some(n)
    }

    /// The vCPU of thread `tid` for a register access; a thread that does not exist is
    /// an error reply.
    pub fn select(&mut self, tid: Tid) -> Result<usize, TargetError<String>> {
        self.vcpu_of(tid).ok_or(TargetError::NonFatal)
    }

    fn checked(&self, tid: Tid) -> Result<usize, TargetError<String>> {
        self.vcpu_of(tid).ok_or(TargetError::NonFatal)
    }
}

/// gdb's thread id of vCPU `n`.
pub(crate) fn tid(n: usize) -> Tid {
    Tid::new(n + 1).unwrap_or(Tid::MIN)
}

impl Target for DebugTarget<'_> {
    type Arch = AArch64;
    /// Fatal errors end the gdb session (never the emulator).
    type Error = String;

    #[inline(always)]
    fn base_ops(&mut self) -> BaseOps<'_, Self::Arch, Self::Error> {
        BaseOps::MultiThread(self)
    }

    #[inline(always)]
    fn support_target_description_xml_override(
        &mut self,
    ) -> Option<TargetDescriptionXmlOverrideOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_extended_mode(&mut self) -> Option<ExtendedModeOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_monitor_cmd(&mut self) -> Option<MonitorCmdOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadBase for DebugTarget<'_> {
    fn read_registers(&mut self, regs: &mut AArch64CoreRegs, tid: Tid) -> TargetResult<(), Self> {
        let n = self.select(tid)?;
        crate::registers::read(self.machine, n, regs);
        Ok(())
    }

    fn write_registers(&mut self, regs: &AArch64CoreRegs, tid: Tid) -> TargetResult<(), Self> {
        let n = self.select(tid)?;
        crate::registers::write(self.machine, n, regs).map_err(|()| TargetError::NonFatal)
    }

    #[inline(always)]
    fn support_single_register_access(&mut self) -> Option<SingleRegisterAccessOps<'_, Tid, Self>> {
        Some(self)
    }

    fn read_addrs(&mut self, start: u64, data: &mut [u8], tid: Tid) -> TargetResult<usize, Self> {
        let n = self.checked(tid)?;
        crate::memory::read(self.machine, self.settings.phys, n, start, data)
    }

    fn write_addrs(&mut self, start: u64, data: &[u8], tid: Tid) -> TargetResult<(), Self> {
        let n = self.checked(tid)?;
        crate::memory::write(self.machine, self.settings.phys, n, start, data)
    }

    #[inline(always)]
    /// The vCPU that stopped last comes first: gdb names no thread for a reverse step
    /// (`Hc0` then `bs`), and gdbstub gives "any thread" as the first listed, so the
    /// step acts on the thread gdb switched to at the stop. (gdb numbers threads in the
    /// order it first sees them, at attach, so the order does not renumber them.)
    fn list_active_threads(&mut self, active: &mut dyn FnMut(Tid)) -> Result<(), Self::Error> {
        let first = self.vcpu;
        active(tid(first));
        for n in (0..self.machine.vcpu_count()).filter(|&n| n != first) {
            active(tid(n));
        }
        Ok(())
    }

    fn is_thread_alive(&mut self, tid: Tid) -> Result<bool, Self::Error> {
        Ok(self.vcpu_of(tid).is_some())
    }

    #[inline(always)]
    fn support_resume(&mut self) -> Option<MultiThreadResumeOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_thread_extra_info(&mut self) -> Option<ThreadExtraInfoOps<'_, Self>> {
        Some(self)
    }
}

impl ThreadExtraInfo for DebugTarget<'_> {
    /// `CPU#0 [running]`, `CPU#1 [halted ]` as QEMU words it; a powered-off vCPU (QEMU
    /// says halted) is `[off]`.
    fn thread_extra_info(&self, tid: Tid, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let Some(n) = self.vcpu_of(tid) else {
            return Ok(0);
        };
        let state = match self.machine.vcpu_state(n) {
            VcpuState::Running => "running",
            VcpuState::Halted => "halted ",
            VcpuState::Off => "off",
        };
        let text = format!("CPU#{n} [{state}]");
        let len = text.len().min(buf.len());
        buf[..len].copy_from_slice(&text.as_bytes()[..len]);
        Ok(len)
    }
}
