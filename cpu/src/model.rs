//! The CPU models QEMU's virt offers with v8.0 features this core implements (`-cpu
//! cortex-a72|cortex-a57|cortex-a53`): what tells them apart to software is their
//! identification registers, MIDR_EL1 (implementer, variant, part, revision), REVIDR_EL1,
//! the cache description (CTR_EL0, CLIDR_EL1, CCSIDR_EL1 per CSSELR_EL1) and the device
//! tree's `compatible`. Values are QEMU 7.2's (target/arm/cpu64.c, aarch64_a72_initfn,
//! aarch64_a57_initfn, aarch64_a53_initfn), which follow each core's TRM.
//!
//! The feature registers (ID_AA64PFR0/ISAR0/MMFR0/DFR0, ...) stay the same for all three:
//! they say what this core implements (`sysreg.rs`), which is one feature set. They differ
//! from QEMU's where QEMU models more: AArch32 at EL0 (so the AArch32 ID registers read 0
//! here), a PMU, and for cortex-a53 a 40-bit PARange (here 44 bits, the MMU's).

/// One model's identification registers.
#[derive(Debug, PartialEq, Eq)]
pub struct CpuIds {
    /// QEMU's `-cpu` name.
    pub name: &'static str,
    /// The device tree's `compatible` for the cpu nodes.
    pub compatible: &'static str,
    pub midr: u64,
    pub revidr: u64,
    pub ctr: u64,
    pub clidr: u64,
    /// CCSIDR_EL1 for CSSELR_EL1 = 0 (L1 data), 1 (L1 instruction), 2 (L2 unified).
    pub ccsidr: [u64; 3],
}

/// cortex-A72 r0p3: L1 D 32 KiB 2-way, L1 I 48 KiB 3-way, L2 1 MiB 16-way; PIPT I-cache.
pub static CORTEX_A72: CpuIds = CpuIds {
    name: "cortex-a72",
    compatible: "arm,cortex-a72",
    midr: 0x410f_d083,
    revidr: 0,
    ctr: 0x8444_c004,
    clidr: 0x0a20_0023,
    ccsidr: [0x701f_e00a, 0x201f_e012, 0x707f_e07a],
};

/// cortex-A57 r1p0: L1 D 32 KiB 2-way, L1 I 48 KiB 3-way, L2 2 MiB 16-way; PIPT I-cache.
pub static CORTEX_A57: CpuIds = CpuIds {
    name: "cortex-a57",
    compatible: "arm,cortex-a57",
    midr: 0x411f_d070,
    revidr: 0,
    ctr: 0x8444_c004,
    clidr: 0x0a20_0023,
    ccsidr: [0x701f_e00a, 0x201f_e012, 0x70ff_e07a],
};

/// cortex-A53 r0p4: L1 D 32 KiB 4-way, L1 I 32 KiB 2-way, L2 1 MiB 16-way; VIPT I-cache.
pub static CORTEX_A53: CpuIds = CpuIds {
    name: "cortex-a53",
    compatible: "arm,cortex-a53",
    midr: 0x410f_d034,
    revidr: 0,
    ctr: 0x8444_8004,
    clidr: 0x0a20_0023,
    ccsidr: [0x700f_e01a, 0x201f_e00a, 0x707f_e07a],
};

#[cfg(test)]
mod tests {
    use super::*;

    /// MIDR_EL1 fields (D17.2.100) as Linux's /proc/cpuinfo prints them.
    fn fields(midr: u64) -> (u64, u64, u64, u64) {
        (
            midr >> 24,
            (midr >> 20) & 0xf,
            (midr >> 4) & 0xfff,
            midr & 0xf,
        )
    }

    #[test]
    fn midr_names_the_core_and_revision() {
        // Implementer 0x41 (Arm); part numbers from each core's TRM.
        assert_eq!(fields(CORTEX_A72.midr), (0x41, 0, 0xd08, 3));
        assert_eq!(fields(CORTEX_A57.midr), (0x41, 1, 0xd07, 0));
        assert_eq!(fields(CORTEX_A53.midr), (0x41, 0, 0xd03, 4));
    }

    /// Cache size from CCSIDR_EL1 (v8.0 format): sets × ways × line bytes.
    fn size(ccsidr: u64) -> u64 {
        let line = 16u64 << (ccsidr & 7);
        let ways = ((ccsidr >> 3) & 0x3ff) + 1;
        let sets = ((ccsidr >> 13) & 0x7fff) + 1;
        line * ways * sets
    }

    #[test]
    fn cache_sizes_match_the_trms() {
        let kib = |m: &CpuIds| m.ccsidr.map(|c| size(c) >> 10);
        assert_eq!(kib(&CORTEX_A72), [32, 48, 1024]);
        assert_eq!(kib(&CORTEX_A57), [32, 48, 2048]);
        assert_eq!(kib(&CORTEX_A53), [32, 32, 1024]);
        // CTR_EL0.L1Ip (15:14): 0b11 PIPT on A72/A57, 0b10 VIPT on A53.
        assert_eq!((CORTEX_A53.ctr >> 14) & 3, 0b10);
        assert_eq!((CORTEX_A57.ctr >> 14) & 3, 0b11);
    }
}
