//! A vCPU of the machine: the core plus what the machine tracks about it (power state as PSCI
//! sees it, whether it waits for an interrupt).

use crate::memmap::mpidr_affinity;
use armvirt_cpu::Cpu;

/// PSCI's view of a core (PSCI spec DEN0022, AFFINITY_INFO's answers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Power {
    On,
    Off,
}

pub struct Vcpu {
    pub cpu: Cpu,
    pub power: Power,
    /// Stopped in WFI until an interrupt is pending for it.
    pub waiting: bool,
}

impl Vcpu {
    /// vCPU `index` at reset. The boot vCPU is on; secondaries wait for PSCI CPU_ON.
    pub fn new(index: usize) -> Self {
        Vcpu {
            cpu: Cpu::new(index, mpidr_affinity(index as u32)),
            power: if index == 0 { Power::On } else { Power::Off },
            waiting: false,
        }
    }

    /// On, and not waiting in WFI unless an interrupt is pending for it (WFI wakes on
    /// a pending interrupt even when PSTATE masks it: Arm ARM D1.16.2).
    pub fn runnable(&self) -> bool {
        self.power == Power::On && (!self.waiting || self.cpu.lines.any())
    }

    /// The affinity fields of MPIDR_EL1 (Aff3:Aff2:Aff1:Aff0), as PSCI target IDs name cores.
    pub fn affinity(&self) -> u64 {
        self.cpu.sys.mpidr_el1 & 0xff_00ff_ffff
    }
}
