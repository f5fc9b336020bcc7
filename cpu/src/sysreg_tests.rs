//! Tests of the system register table through MRS/MSR: cache identification, the reserved
//! ID register space, the debug registers and the absent PMU. Expected values come from
//! the Arm ARM's register descriptions (D17.2, D17.3) and the A72 TRM's cache sizes.

use super::{enc, lookup, ID_AA64DFR0_EL1, SYSREGS};
use crate::cpu_test;
use crate::testing::{TestCpu, RAM_BASE};

const VBAR: u64 = RAM_BASE + 0x1000;
/// Vector offsets: synchronous from the current EL with SP_ELx, and from EL0 (AArch64).
const SYNC_CURRENT: u64 = 0x200;
const SYNC_LOWER: u64 = 0x400;
const EC_UNKNOWN: u64 = 0x00;
const EC_SYSREG: u64 = 0x18;

/// MRS Xt, <enc> and MSR <enc>, Xt (C6.2.194, C6.2.196): the encoding sits in bits 20:5.
fn mrs(rt: u32, e: u16) -> u32 {
    0xd520_0000 | (e as u32) << 5 | rt
}
fn msr(e: u16, rt: u32) -> u32 {
    0xd500_0000 | (e as u32) << 5 | rt
}

/// Runs `words` at EL1 (or EL0) with a vector table whose synchronous entries end the
/// program; returns ESR_EL1's EC, or `None` if none of `words` took an exception. (At EL0
/// the end marker, an HVC, is itself UNDEFINED: that exception is not one of `words`'.)
fn run(t: &mut TestCpu, words: &[u32], el0: bool) -> Option<u64> {
    t.load_words(RAM_BASE, words);
    t.cpu.sys.vbar_el1 = VBAR;
    t.load_words(VBAR + SYNC_CURRENT, &[]);
    t.load_words(VBAR + SYNC_LOWER, &[]);
    if el0 {
        t.cpu.s.set_el_spsel(0, 0);
    }
    t.cpu.sys.esr_el1 = !0;
    t.cpu.sys.elr_el1 = !0;
    t.run();
    let end = RAM_BASE + 4 * words.len() as u64;
    (t.cpu.sys.elr_el1 < end).then_some(t.cpu.sys.esr_el1 >> 26)
}

/// Cache size from CCSIDR_EL1 (D17.2): (NumSets + 1) * (Associativity + 1) * line bytes,
/// line bytes = 2^(LineSize + 4).
fn cache_bytes(ccsidr: u64) -> u64 {
    let sets = (ccsidr >> 13 & 0x7fff) + 1;
    let ways = (ccsidr >> 3 & 0x3ff) + 1;
    let line = 1 << ((ccsidr & 7) + 4);
    sets * ways * line
}

const CCSIDR: u16 = enc(3, 1, 0, 0, 0);
const CLIDR: u16 = enc(3, 1, 0, 0, 1);
const CSSELR: u16 = enc(3, 2, 0, 0, 0);
const OSLAR: u16 = enc(2, 0, 1, 0, 4);
const OSLSR: u16 = enc(2, 0, 1, 1, 4);
const MDSCR: u16 = enc(2, 0, 0, 2, 2);
const MDCCSR: u16 = enc(2, 3, 0, 1, 0);
const DBGBVR0: u16 = enc(2, 0, 0, 0, 4);
const DBGBCR5: u16 = enc(2, 0, 0, 5, 5);
const DBGWVR3: u16 = enc(2, 0, 0, 3, 6);
const DBGWCR0: u16 = enc(2, 0, 0, 0, 7);
const PMCR_EL0: u16 = enc(3, 3, 9, 12, 0);
const ID_AA64ZFR0: u16 = enc(3, 0, 0, 4, 4);

cpu_test! {
    fn ccsidr_describes_the_cache_csselr_selects(t) {
        let mut words = vec![mrs(10, CLIDR)];
        for (sel, rt) in [(0u32, 11u32), (1, 12), (2, 13), (3, 14)] {
            words.push(0xd280_0000 | sel << 5); // movz x0, #sel
            words.push(msr(CSSELR, 0));
            words.push(mrs(rt, CCSIDR));
        }
        t.set_x(14, 0x5555);
        assert_eq!(run(&mut t, &words, false), None);
        // CLIDR: Ctype1 0b011 (separate I and D), Ctype2 0b100 (unified), LoUIS 1,
        // LoC 2, LoUU 1.
        let clidr = t.x(10);
        assert_eq!((clidr & 7, clidr >> 3 & 7), (0b011, 0b100));
        assert_eq!((clidr >> 21 & 7, clidr >> 24 & 7, clidr >> 27 & 7), (1, 2, 1));
        // A72 TRM: L1 D 32KB 2-way, L1 I 48KB 3-way, L2 1MB (QEMU's configuration) 16-way.
        assert_eq!(cache_bytes(t.x(11)), 32 << 10);
        assert_eq!(t.x(11) >> 3 & 0x3ff, 1);
        assert_eq!(cache_bytes(t.x(12)), 48 << 10);
        assert_eq!(t.x(12) >> 3 & 0x3ff, 2);
        assert_eq!(cache_bytes(t.x(13)), 1 << 20);
        assert_eq!(t.x(13) >> 3 & 0x3ff, 15);
        // No L2 instruction cache: UNKNOWN, and this model reads 0.
        assert_eq!(t.x(14), 0);
    }

    fn csselr_keeps_level_and_ind_only(t) {
        t.set_x(0, 0xffff_ffff_ffff_fff3);
        assert_eq!(run(&mut t, &[msr(CSSELR, 0), mrs(1, CSSELR)], false), None);
        assert_eq!(t.x(1), 0x3);
    }

    fn cache_id_registers_are_read_only(t) {
        assert_eq!(run(&mut t, &[msr(CLIDR, 0)], false), Some(EC_UNKNOWN));
    }

    fn oslar_sets_and_clears_oslsr_oslk(t) {
        t.set_x(1, 1);
        let words = [mrs(2, OSLSR), msr(OSLAR, 31), mrs(3, OSLSR), msr(OSLAR, 1), mrs(4, OSLSR)];
        assert_eq!(run(&mut t, &words, false), None);
        // OSLM = 0b10 (bit 3), OSLK (bit 1) locked at cold reset.
        assert_eq!(t.x(2), 0b1010);
        assert_eq!(t.x(3), 0b1000);
        assert_eq!(t.x(4), 0b1010);
    }

    fn oslar_is_write_only_and_oslsr_read_only(t) {
        assert_eq!(run(&mut t, &[mrs(0, OSLAR)], false), Some(EC_UNKNOWN));
        let mut t2 = TestCpu::new(t.executor);
        assert_eq!(run(&mut t2, &[msr(OSLSR, 0)], false), Some(EC_UNKNOWN));
    }

    fn debug_value_and_control_registers_mask_res0_bits(t) {
        t.set_x(0, !0);
        let words = [
            msr(DBGBVR0, 0), msr(DBGBCR5, 0), msr(DBGWVR3, 0), msr(DBGWCR0, 0),
            mrs(1, DBGBVR0), mrs(2, DBGBCR5), mrs(3, DBGWVR3), mrs(4, DBGWCR0),
        ];
        assert_eq!(run(&mut t, &words, false), None);
        // Value registers: bits 1:0 RES0.
        assert_eq!(t.x(1), 0xffff_ffff_ffff_fffc);
        assert_eq!(t.x(3), 0xffff_ffff_ffff_fffc);
        // DBGBCR: BT 23:20, LBN 19:16, SSC 15:14, HMC 13, BAS 8:5, PMC 2:1, E 0.
        assert_eq!(t.x(2), 0xf0_0000 | 0xf_0000 | 0xc000 | 0x2000 | 0x1e0 | 0x6 | 1);
        // DBGWCR: MASK 28:24, WT 20, LBN 19:16, SSC 15:14, HMC 13, BAS 12:5, LSC 4:3,
        // PAC 2:1, E 0.
        assert_eq!(t.x(4), 0x1f00_0000 | 0x10_0000 | 0xf_0000 | 0xc000 | 0x2000 | 0x1fe0 | 0x18 | 0x6 | 1);
        assert_eq!(t.cpu.sys.debug.bvr[0], 0xffff_ffff_ffff_fffc);
    }

    fn breakpoints_beyond_those_dfr0_advertises_are_undefined(t) {
        // DBGBVR6_EL1: ID_AA64DFR0_EL1.BRPs says six breakpoints, 0..5.
        assert_eq!(run(&mut t, &[mrs(0, enc(2, 0, 0, 6, 4))], false), Some(EC_UNKNOWN));
        let mut t2 = TestCpu::new(t.executor);
        // DBGWCR4_EL1: four watchpoints, 0..3.
        assert_eq!(run(&mut t2, &[msr(enc(2, 0, 0, 4, 7), 0)], false), Some(EC_UNKNOWN));
    }

    fn mdscr_save_restore_fields_are_writable_only_under_the_os_lock(t) {
        const RXFULL: u64 = 1 << 30;
        const MDE: u64 = 1 << 15;
        t.set_x(0, RXFULL | MDE);
        // Locked (reset): both stick. Unlocked: MDE clears, RXfull is read-only.
        let words = [msr(MDSCR, 0), mrs(1, MDSCR), msr(OSLAR, 31), msr(MDSCR, 31), mrs(2, MDSCR)];
        assert_eq!(run(&mut t, &words, false), None);
        assert_eq!(t.x(1), RXFULL | MDE);
        assert_eq!(t.x(2), RXFULL);
    }

    fn claim_tags_set_and_clear(t) {
        t.set_x(0, 0x105);
        t.set_x(1, 0x1);
        let (set, clr) = (enc(2, 0, 7, 8, 6), enc(2, 0, 7, 9, 6));
        let words = [msr(set, 0), mrs(2, set), mrs(3, clr), msr(clr, 1), mrs(4, clr)];
        assert_eq!(run(&mut t, &words, false), None);
        assert_eq!(t.x(2), 0xff, "DBGCLAIMSET_EL1 reads the implemented tags");
        assert_eq!(t.x(3), 0x05);
        assert_eq!(t.x(4), 0x04);
    }

    fn reserved_id_registers_read_as_zero_at_el1(t) {
        let regs = [
            ID_AA64ZFR0,
            enc(3, 0, 0, 4, 2), // ID_AA64PFR2_EL1
            enc(3, 0, 0, 4, 5), // ID_AA64SMFR0_EL1
            enc(3, 0, 0, 6, 2), // ID_AA64ISAR2_EL1
            enc(3, 0, 0, 7, 3), // ID_AA64MMFR3_EL1
            enc(3, 0, 0, 3, 7), // unallocated
            enc(3, 0, 0, 1, 0), // ID_PFR0_EL1: AArch32 absent
            enc(3, 0, 0, 3, 0), // MVFR0_EL1
        ];
        let words: Vec<u32> = regs.iter().enumerate().map(|(i, &e)| mrs(i as u32, e)).collect();
        for i in 0..regs.len() {
            t.set_x(i, 0xdead);
        }
        assert_eq!(run(&mut t, &words, false), None);
        for (i, e) in regs.iter().enumerate() {
            assert_eq!(t.x(i), 0, "register {:#x}", e);
        }
    }

    fn writing_a_reserved_id_register_is_undefined(t) {
        assert_eq!(run(&mut t, &[msr(ID_AA64ZFR0, 0)], false), Some(EC_UNKNOWN));
    }

    fn encodings_beside_the_id_space_stay_undefined(t) {
        // op0=3, op1=0, CRn=0, CRm=0, op2=1: not in the reserved ID space (CRm 1..7).
        assert_eq!(run(&mut t, &[mrs(0, enc(3, 0, 0, 0, 1))], false), Some(EC_UNKNOWN));
        let mut t2 = TestCpu::new(t.executor);
        // op1=1, CRm=4: not op1=0.
        assert_eq!(run(&mut t2, &[mrs(0, enc(3, 1, 0, 4, 0))], false), Some(EC_UNKNOWN));
    }

    fn id_registers_are_undefined_at_el0(t) {
        // v8.0 has no FEAT_IDST: EL0 reads of ID registers are UNDEFINED, not trapped.
        assert_eq!(run(&mut t, &[mrs(0, ID_AA64ZFR0)], true), Some(EC_UNKNOWN));
        let mut t2 = TestCpu::new(t.executor);
        assert_eq!(run(&mut t2, &[mrs(0, enc(3, 0, 0, 4, 0))], true), Some(EC_UNKNOWN));
    }

    fn pmu_registers_are_undefined(t) {
        // PMUVer = 0: PMCR_EL0 does not exist, at EL1 as at EL0.
        assert_eq!(run(&mut t, &[mrs(0, PMCR_EL0)], false), Some(EC_UNKNOWN));
        let mut t2 = TestCpu::new(t.executor);
        assert_eq!(run(&mut t2, &[msr(enc(3, 3, 9, 14, 0), 0)], false), Some(EC_UNKNOWN));
        let mut t3 = TestCpu::new(t.executor);
        assert_eq!(run(&mut t3, &[mrs(0, PMCR_EL0)], true), Some(EC_UNKNOWN));
    }

    fn debug_registers_are_undefined_at_el0(t) {
        assert_eq!(run(&mut t, &[mrs(0, MDSCR)], true), Some(EC_UNKNOWN));
        let mut t2 = TestCpu::new(t.executor);
        assert_eq!(run(&mut t2, &[msr(DBGBVR0, 0)], true), Some(EC_UNKNOWN));
    }

    fn el0_reads_mdccsr_unless_tdcc_traps_it(t) {
        t.set_x(5, 0xdead);
        assert_eq!(run(&mut t, &[mrs(5, MDCCSR)], true), None);
        assert_eq!(t.x(5), 0, "no external debugger: RXfull and TXfull clear");

        let mut t2 = TestCpu::new(t.executor);
        t2.cpu.sys.mdscr_el1 = 1 << 12; // TDCC
        assert_eq!(run(&mut t2, &[mrs(5, MDCCSR)], true), Some(EC_SYSREG));
        // ISS (D17.2, ESR_ELx for EC 0x18): op0 2, op2 0, op1 3, CRn 0, Rt 5, CRm 1, read.
        let iss = (2 << 20) | (3 << 14) | (5 << 5) | (1 << 1) | 1;
        assert_eq!(t2.cpu.sys.esr_el1 & 0x1ff_ffff, iss);
    }

    fn context_registers_keep_only_their_defined_bits(t) {
        let (contextidr, cntkctl, esr) = (enc(3, 0, 13, 0, 1), enc(3, 0, 14, 1, 0), enc(3, 0, 5, 2, 0));
        t.set_x(0, !0);
        let words = [
            msr(contextidr, 0), msr(cntkctl, 0), msr(esr, 0),
            mrs(1, contextidr), mrs(2, cntkctl), mrs(3, esr),
        ];
        assert_eq!(run(&mut t, &words, false), None);
        assert_eq!(t.x(1), 0xffff_ffff, "CONTEXTIDR_EL1.PROCID is 31:0");
        // CNTKCTL_EL1: EL0PTEN 9, EL0VTEN 8, EVNTI 7:4, EVNTDIR 3, EVNTEN 2, EL0VCTEN 1,
        // EL0PCTEN 0.
        assert_eq!(t.x(2), (1 << 9) | (1 << 8) | (0xf << 4) | (1 << 3) | (1 << 2) | 3);
        assert_eq!(t.x(3), 0xffff_ffff, "ESR_EL1 63:32 RES0");
    }

    fn actlr_is_raz_wi_and_aidr_reads_zero(t) {
        let (actlr, aidr) = (enc(3, 0, 1, 0, 1), enc(3, 1, 0, 0, 7));
        t.set_x(0, !0);
        t.set_x(1, 0xdead);
        t.set_x(2, 0xdead);
        assert_eq!(run(&mut t, &[msr(actlr, 0), mrs(1, actlr), mrs(2, aidr)], false), None);
        assert_eq!((t.x(1), t.x(2)), (0, 0));
    }
}

#[test]
fn dfr0_advertises_exactly_the_debug_registers_the_table_has() {
    let field = |lsb: u32| (ID_AA64DFR0_EL1 >> lsb & 0xf) as u32;
    assert_eq!(field(8), 0, "PMUVer: no PMU");
    let (brps, wrps) = (field(12) + 1, field(20) + 1);
    for n in 0..16 {
        for (op2, count) in [(4, brps), (5, brps), (6, wrps), (7, wrps)] {
            let present = lookup(enc(2, 0, 0, n, op2)).is_some();
            assert_eq!(present, n < count, "CRm {n} op2 {op2}");
        }
    }
}

#[test]
fn no_row_maps_the_pmu_encodings() {
    // PMU registers: op0=3, CRn=9, CRm=12..14 (op1 0 or 3), and the event counters and
    // filters at op1=3, CRn=14, CRm=8..15 (D17.5).
    for r in SYSREGS {
        let (op1, crn, crm) = (r.enc >> 11 & 7, r.enc >> 7 & 0xf, r.enc >> 3 & 0xf);
        let pmu = r.enc >> 14 == 3
            && ((crn == 9 && (12..=14).contains(&crm)) || (op1 == 3 && crn == 14 && crm >= 8));
        assert!(!pmu, "{} maps a PMU encoding", r.name);
    }
    assert!(lookup(PMCR_EL0).is_none());
}
