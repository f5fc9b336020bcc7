//! PSCI firmware calls over the HVC conduit, as QEMU's virt machine services them
//! (Arm Power State Coordination Interface, DEN0022; SMC Calling Convention, DEN0028).
//!
//! Function IDs arrive in W0/X0 with arguments in X1–X3; the result goes to X0.
//! The version reported is 1.1, as QEMU 7.2's virt reports it to Linux ("PSCIv1.1 detected").

use crate::vcpu::{Power, Vcpu, Wait};

pub const PSCI_VERSION: u32 = 0x8400_0000;
pub const CPU_SUSPEND_32: u32 = 0x8400_0001;
pub const CPU_SUSPEND_64: u32 = 0xc400_0001;
pub const CPU_OFF: u32 = 0x8400_0002;
pub const CPU_ON_32: u32 = 0x8400_0003;
pub const CPU_ON_64: u32 = 0xc400_0003;
pub const AFFINITY_INFO_32: u32 = 0x8400_0004;
pub const AFFINITY_INFO_64: u32 = 0xc400_0004;
pub const MIGRATE_INFO_TYPE: u32 = 0x8400_0006;
pub const SYSTEM_OFF: u32 = 0x8400_0008;
pub const SYSTEM_RESET: u32 = 0x8400_0009;
pub const PSCI_FEATURES: u32 = 0x8400_000a;
pub const SMCCC_VERSION: u32 = 0x8000_0000;

/// PSCI 1.1 as (major << 16) | minor.
pub const VERSION_1_1: u64 = 0x0001_0001;

/// PSCI return codes (DEN0022 §5.2.2), as the 64-bit values X0 receives.
pub mod ret {
    pub const SUCCESS: u64 = 0;
    pub const NOT_SUPPORTED: u64 = -1i64 as u64;
    pub const INVALID_PARAMETERS: u64 = -2i64 as u64;
    pub const ALREADY_ON: u64 = -4i64 as u64;
}

/// MIGRATE_INFO_TYPE: no Trusted OS, migration not required.
const MIGRATE_NOT_REQUIRED: u64 = 2;

/// What the machine must do after a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Result written to the caller's X0; go on.
    Continue,
    /// The caller turned itself off.
    CpuOff,
    SystemOff,
    SystemReset,
}

/// Services the PSCI call made by `vcpus[caller]` (its X0–X3 hold the call).
pub fn call(caller: usize, vcpus: &mut [Vcpu]) -> Outcome {
    let x = &vcpus[caller].cpu.s.x;
    let (fid, a1, a2, a3) = (x[0] as u32, x[1], x[2], x[3]);
    let result = match fid {
        PSCI_VERSION => VERSION_1_1,
        PSCI_FEATURES => features(a1 as u32),
        MIGRATE_INFO_TYPE => MIGRATE_NOT_REQUIRED,
        // Suspend is allowed to return at once, as a wake-up would (DEN0022 §5.4).
        CPU_SUSPEND_32 | CPU_SUSPEND_64 => ret::SUCCESS,
        CPU_ON_32 | CPU_ON_64 => cpu_on(vcpus, a1, a2, a3),
        AFFINITY_INFO_32 | AFFINITY_INFO_64 => affinity_info(vcpus, a1, a2),
        CPU_OFF => {
            vcpus[caller].power = Power::Off;
            return Outcome::CpuOff;
        }
        SYSTEM_OFF => return Outcome::SystemOff,
        SYSTEM_RESET => return Outcome::SystemReset,
        _ => ret::NOT_SUPPORTED,
    };
    vcpus[caller].cpu.s.x[0] = result;
    Outcome::Continue
}

fn features(fid: u32) -> u64 {
    match fid {
        PSCI_VERSION | PSCI_FEATURES | CPU_OFF | CPU_ON_32 | CPU_ON_64 | AFFINITY_INFO_32
        | AFFINITY_INFO_64 | MIGRATE_INFO_TYPE | SYSTEM_OFF | SYSTEM_RESET => ret::SUCCESS,
        // Original (not extended) power-state format, as QEMU advertises.
        CPU_SUSPEND_32 | CPU_SUSPEND_64 => ret::SUCCESS,
        _ => ret::NOT_SUPPORTED,
    }
}

fn find(vcpus: &[Vcpu], target: u64) -> Option<usize> {
    vcpus
        .iter()
        .position(|v| v.affinity() == target & 0xff_00ff_ffff)
}

/// CPU_ON: starts `target` at `entry` in EL1h with the MMU off, X0 = `context`
/// (DEN0022 §5.6, and booting.rst for the state Linux expects).
fn cpu_on(vcpus: &mut [Vcpu], target: u64, entry: u64, context: u64) -> u64 {
    let Some(i) = find(vcpus, target) else {
        return ret::INVALID_PARAMETERS;
    };
    let v = &mut vcpus[i];
    if v.power == Power::On {
        return ret::ALREADY_ON;
    }
    v.cpu.reset();
    v.cpu.s.pc = entry;
    v.cpu.s.x[0] = context;
    v.power = Power::On;
    v.wait = Wait::No;
    ret::SUCCESS
}

/// AFFINITY_INFO: 0 on, 1 off (level 0 only, as Linux asks).
fn affinity_info(vcpus: &[Vcpu], target: u64, level: u64) -> u64 {
    if level != 0 {
        return ret::INVALID_PARAMETERS;
    }
    match find(vcpus, target) {
        Some(i) if vcpus[i].power == Power::On => 0,
        Some(_) => 1,
        None => ret::INVALID_PARAMETERS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(n: usize) -> Vec<Vcpu> {
        (0..n).map(Vcpu::new).collect()
    }

    fn call_with(vcpus: &mut [Vcpu], args: [u64; 4]) -> (Outcome, u64) {
        vcpus[0].cpu.s.x[..4].copy_from_slice(&args);
        let o = call(0, vcpus);
        (o, vcpus[0].cpu.s.x[0])
    }

    #[test]
    fn version_and_features() {
        let mut v = machine(1);
        assert_eq!(
            call_with(&mut v, [PSCI_VERSION as u64, 0, 0, 0]).1,
            0x1_0001
        );
        assert_eq!(
            call_with(&mut v, [PSCI_FEATURES as u64, SYSTEM_OFF as u64, 0, 0]).1,
            0
        );
        // SMCCC_VERSION is not advertised: Linux then assumes SMCCC v1.0, as under QEMU.
        assert_eq!(
            call_with(&mut v, [PSCI_FEATURES as u64, SMCCC_VERSION as u64, 0, 0]).1,
            ret::NOT_SUPPORTED
        );
        assert_eq!(
            call_with(&mut v, [0x8400_00ff, 0, 0, 0]).1,
            ret::NOT_SUPPORTED
        );
    }

    #[test]
    fn system_off_and_reset() {
        let mut v = machine(1);
        assert_eq!(
            call_with(&mut v, [SYSTEM_OFF as u64, 0, 0, 0]).0,
            Outcome::SystemOff
        );
        assert_eq!(
            call_with(&mut v, [SYSTEM_RESET as u64, 0, 0, 0]).0,
            Outcome::SystemReset
        );
    }

    #[test]
    fn cpu_on_starts_a_secondary_once() {
        let mut v = machine(2);
        assert_eq!(call_with(&mut v, [AFFINITY_INFO_64 as u64, 1, 0, 0]).1, 1);
        let r = call_with(&mut v, [CPU_ON_64 as u64, 1, 0x4008_0000, 0x1234]);
        assert_eq!(r, (Outcome::Continue, 0));
        assert_eq!(
            (v[1].cpu.s.pc, v[1].cpu.s.x[0], v[1].power),
            (0x4008_0000, 0x1234, Power::On)
        );
        assert_eq!(v[1].cpu.s.el, 1);
        assert_eq!(
            call_with(&mut v, [CPU_ON_64 as u64, 1, 0x4008_0000, 0]).1,
            ret::ALREADY_ON
        );
        assert_eq!(call_with(&mut v, [AFFINITY_INFO_64 as u64, 1, 0, 0]).1, 0);
        assert_eq!(
            call_with(&mut v, [CPU_ON_64 as u64, 7, 0, 0]).1,
            ret::INVALID_PARAMETERS
        );
    }
}
