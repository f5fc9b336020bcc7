//! One cortex-A72 processing element: architectural state, system registers, and the
//! bookkeeping the executors need (instruction count, pending interrupt lines).

use crate::irq::IrqLines;
use crate::mmu::Tlb;
use crate::state::CpuState;
use crate::sysreg::{SysRegExt, SysRegs};
use crate::timer::Timers;
use std::sync::Arc;

/// The A72's identity (cortex-A72 TRM, MIDR_EL1: r0p3).
pub const MIDR_CORTEX_A72: u64 = 0x410f_d083;

pub struct Cpu {
    pub s: CpuState,
    pub sys: SysRegs,
    /// Index of this vCPU in the machine (0-based); also its exclusive-monitor slot.
    pub index: usize,
    /// Instructions retired since reset: the time base of deterministic execution.
    pub icount: u64,
    /// Virtual time minus `icount`: see `timer.rs`.
    pub clock_offset: u64,
    /// Interrupt inputs, driven by the interrupt controller.
    pub lines: Arc<IrqLines>,
    /// The EL1 physical and virtual timers.
    pub timers: Timers,
    /// The event register of WFE/SEV (Arm ARM D1.16.1; `event.rs`): what SEVL and an
    /// exception return set here; SEV and cleared monitors arrive through `Monitors`.
    pub event: bool,
    /// The counter value up to which event stream ticks are in `event` (`event.rs`).
    pub stream_seen: u64,
    /// Cached stage 1 translations (see `mmu/tlb.rs`).
    pub tlb: Tlb,
    /// System registers the machine adds (the GICv3 CPU interface), if any.
    pub sysreg_ext: Option<Box<dyn SysRegExt>>,
    /// Debugger breakpoints the executor stops at (see `exec.rs`).
    pub breakpoints: crate::exec::Breakpoints,
    /// Debugger watchpoints the memory path checks (see `watch.rs`).
    pub watchpoints: crate::watch::Watchpoints,
    /// Which executor `run` uses.
    pub engine: crate::jit::Engine,
    /// The JIT's per-vCPU state (`jit/mod.rs`).
    pub jit: crate::jit::VcpuJit,
    /// The identification registers of the model this core is (`-cpu`, `model.rs`).
    pub ids: &'static crate::model::CpuIds,
    /// Which ELs may make semihosting calls (`HLT #0xF000`); off, HLT is UNDEFINED.
    pub semihosting: SemihostingMode,
    /// Time travel's stop position and hit search (`replay.rs`).
    pub replay: crate::replay::ReplayControl,
}

/// Where `HLT #0xF000` is a semihosting call ("Semihosting for AArch32 and AArch64" §2.2),
/// as QEMU's `-semihosting` (EL1) and `-semihosting-config userspace=on` (EL0 too).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SemihostingMode {
    /// HLT is UNDEFINED: halting debug is never enabled.
    #[default]
    Off,
    El1,
    El1AndEl0,
}

impl SemihostingMode {
    /// Whether a call from exception level `el` is served.
    pub fn serves(self, el: u8) -> bool {
        match self {
            SemihostingMode::Off => false,
            SemihostingMode::El1 => el >= 1,
            SemihostingMode::El1AndEl0 => true,
        }
    }
}

impl Cpu {
    /// A vCPU at reset: EL1h, all of DAIF masked, MMU off.
    pub fn new(index: usize, mpidr_aff: u64) -> Self {
        Cpu {
            s: CpuState::default(),
            sys: SysRegs::reset(mpidr_aff),
            index,
            icount: 0,
            clock_offset: 0,
            lines: IrqLines::new(),
            timers: Timers::default(),
            event: false,
            stream_seen: 0,
            tlb: Tlb::new(),
            sysreg_ext: None,
            breakpoints: Default::default(),
            watchpoints: Default::default(),
            // The reference, unless the machine chooses the JIT.
            engine: crate::jit::Engine::Interp,
            jit: Default::default(),
            ids: &crate::model::CORTEX_A72,
            semihosting: SemihostingMode::Off,
            replay: Default::default(),
        }
    }

    /// A warm reset of the core (PSCI CPU_ON): architectural state back to reset values,
    /// while its wiring stays — interrupt lines, the machine's extension registers, its
    /// place in the machine and its instruction count (time goes on).
    pub fn reset(&mut self) {
        let aff = self.sys.mpidr_el1 & 0xff_00ff_ffff;
        self.s = CpuState::default();
        self.sys = SysRegs::reset(aff);
        self.timers = Timers::default();
        self.event = false;
        self.stream_seen = self.counter();
        self.tlb = Tlb::new();
    }
}
