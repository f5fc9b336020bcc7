//! One cortex-A72 processing element: architectural state, system registers, and the
//! bookkeeping the executors need (instruction count, pending interrupt lines).

use crate::state::CpuState;
use crate::sysreg::{SysRegExt, SysRegs};

/// The A72's identity (cortex-A72 TRM, MIDR_EL1: r0p3).
pub const MIDR_CORTEX_A72: u64 = 0x410f_d083;

pub struct Cpu {
    pub s: CpuState,
    pub sys: SysRegs,
    /// Index of this vCPU in the machine (0-based); also its exclusive-monitor slot.
    pub index: usize,
    /// Instructions retired since reset: the time base of deterministic execution.
    pub icount: u64,
    /// Interrupt request lines, driven by the interrupt controller.
    pub irq_line: bool,
    pub fiq_line: bool,
    /// System registers the machine adds (the GICv3 CPU interface), if any.
    pub sysreg_ext: Option<Box<dyn SysRegExt>>,
}

impl Cpu {
    /// A vCPU at reset: EL1h, all of DAIF masked, MMU off.
    pub fn new(index: usize, mpidr_aff: u64) -> Self {
        Cpu {
            s: CpuState::default(),
            sys: SysRegs::reset(mpidr_aff),
            index,
            icount: 0,
            irq_line: false,
            fiq_line: false,
            sysreg_ext: None,
        }
    }
}
