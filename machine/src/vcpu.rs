//! A vCPU of the machine: the core plus what the machine tracks about it (power state as PSCI
//! sees it, whether it waits in WFI or WFE).

use crate::memmap::mpidr_affinity;
use armvirt_cpu::Cpu;

/// PSCI's view of a core (PSCI spec DEN0022, AFFINITY_INFO's answers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Power {
    On,
    Off,
}

/// What a vCPU that is on waits for (`run.rs` decides when it resumes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Wait {
    /// It runs.
    No,
    /// WFI: until an interrupt is pending for it, masked or not (Arm ARM D1.16.2).
    Interrupt,
    /// WFE: until an event, a WFE wake-up interrupt (`cpu/src/event.rs`), or the event
    /// stream's next tick at `stream_ns` (virtual time), if the stream is on.
    Event { stream_ns: Option<u64> },
}

pub struct Vcpu {
    pub cpu: Cpu,
    pub power: Power,
    pub wait: Wait,
}

impl Vcpu {
    /// vCPU `index` at reset. The boot vCPU is on; secondaries wait for PSCI CPU_ON.
    pub fn new(index: usize) -> Self {
        Vcpu {
            cpu: Cpu::new(index, mpidr_affinity(index as u32)),
            power: if index == 0 { Power::On } else { Power::Off },
            wait: Wait::No,
        }
    }

    /// Stopped in WFI or WFE.
    pub fn waiting(&self) -> bool {
        self.wait != Wait::No
    }

    /// The affinity fields of MPIDR_EL1 (Aff3:Aff2:Aff1:Aff0), as PSCI target IDs name cores.
    pub fn affinity(&self) -> u64 {
        self.cpu.sys.mpidr_el1 & 0xff_00ff_ffff
    }
}
