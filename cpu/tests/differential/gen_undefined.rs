//! Reserved and unallocated encodings next to the implemented groups, which must be
//! UNDEFINED on a cortex-A72 (Armv8.0 with CRC32: no LSE, LOR, PAuth, MTE, SVE): the
//! reference reports them through SIGILL, ours through an exception with EC 0. Field
//! combinations that the Arm ARM makes CONSTRAINED UNPREDICTABLE rather than UNDEFINED are
//! not used, nor anything whose legality depends on the exception level.

use super::case::Case;
use super::gen::Gen;
use super::gen_dp_imm::bitmask_valid;

/// Random values for the `mask` bits of `fixed`, keeping `fixed`'s other bits.
fn fill(g: &mut Gen, fixed: u32, mask: u32) -> u32 {
    fixed & !mask | g.rng.next() as u32 & mask
}

/// Instances of `name` with the bits of `free` random; rejects those `ok` refuses.
fn many(g: &mut Gen, n: usize, name: &str, fixed: u32, free: u32, ok: impl Fn(u32) -> bool) {
    let mut made = 0;
    while made < n {
        let w = fill(g, fixed, free);
        if ok(w) {
            g.one(name, w).expect_undefined = true;
            made += 1;
        }
    }
}

fn bits(w: u32, hi: u32, lo: u32) -> u32 {
    w >> lo & ((1 << (hi - lo + 1)) - 1)
}

const ANY: fn(u32) -> bool = |_| true;
/// Rd, Rn (and for most classes Rm) free: bits 20:16 and 9:0.
const REGS: u32 = 0x001f_03ff;

pub fn undefined() -> Vec<Case> {
    let mut g = Gen::new("undefined");
    let n = 16;
    // Data processing — immediate (C4.1.86).
    many(
        &mut g,
        n,
        "logical imm: sf=0 N=1",
        0x1240_0000,
        0x6000_0000 | 0x003f_fc00 | REGS,
        ANY,
    );
    many(
        &mut g,
        n,
        "logical imm: reserved imms",
        0x1200_0000,
        0xe07f_fc00 | REGS,
        |w| {
            let (sf, nn) = (w >> 31, bits(w, 22, 22));
            let sf0_n1 = sf == 0 && nn == 1; // its own form above
            !bitmask_valid(sf, nn, bits(w, 15, 10)) && !sf0_n1
        },
    );
    many(
        &mut g,
        n,
        "move wide: opc=01",
        0x1280_0000 | 1 << 29,
        0x807f_ffff,
        ANY,
    );
    many(
        &mut g,
        n,
        "move wide: sf=0 hw>=2",
        0x12c0_0000,
        0x603f_ffff,
        |w| bits(w, 30, 29) != 1,
    );
    many(&mut g, n, "bitfield: opc=11", 0x7300_0000, 0x807f_ffff, ANY);
    many(
        &mut g,
        n,
        "bitfield: sf!=N",
        0x1300_0000,
        0xe07f_ffff,
        |w| bits(w, 30, 29) != 3 && w >> 31 != bits(w, 22, 22),
    );
    many(
        &mut g,
        n,
        "bitfield: sf=0 immr/imms>=32",
        0x1300_0000,
        0x603f_ffff,
        |w| bits(w, 30, 29) != 3 && (bits(w, 21, 21) == 1 || bits(w, 15, 15) == 1),
    );
    many(
        &mut g,
        n,
        "EXTR: op21!=0 or o0=1",
        0x1380_0000,
        0xe07f_ffff,
        |w| (bits(w, 30, 29) != 0 || bits(w, 21, 21) == 1) && w >> 31 == bits(w, 22, 22),
    );
    many(&mut g, n, "EXTR: sf!=N", 0x1380_0000, 0x805f_ffff, |w| {
        w >> 31 != bits(w, 22, 22)
    });
    many(
        &mut g,
        n,
        "EXTR: sf=0 imms>=32",
        0x1380_8000,
        0x001f_7fff,
        ANY,
    );

    // Data processing — register (C4.1.89).
    many(
        &mut g,
        n,
        "ADD/SUB shifted: shift=11",
        0x0bc0_0000,
        0xe01f_ffff,
        ANY,
    );
    many(
        &mut g,
        n,
        "ADD/SUB shifted: sf=0 imm6>=32",
        0x0b00_8000,
        0x60df_7fff,
        |w| bits(w, 23, 22) != 3,
    );
    many(
        &mut g,
        n,
        "ADD/SUB extended: opt!=00",
        0x0b20_0000,
        0xe0df_ffff,
        |w| bits(w, 23, 22) != 0,
    );
    many(
        &mut g,
        n,
        "ADD/SUB extended: imm3>4",
        0x0b20_0000,
        0xe01f_ffff,
        |w| bits(w, 12, 10) > 4,
    );
    many(
        &mut g,
        n,
        "logical shifted: sf=0 imm6>=32",
        0x0a00_8000,
        0x60ff_7fff,
        ANY,
    );
    many(
        &mut g,
        n,
        "ADC/SBC: bits 15:10 != 0",
        0x1a00_0000,
        0xe01f_ffff,
        |w| bits(w, 15, 10) != 0,
    );
    many(
        &mut g,
        n,
        "CCMP/CCMN: S=0",
        0x1a40_0000,
        0xc01f_fc1f | 1 << 11,
        ANY,
    );
    many(
        &mut g,
        n,
        "CCMP/CCMN: o2 or o3 set",
        0x3a40_0000,
        0xc01f_fc3f | 1 << 10,
        |w| bits(w, 10, 10) == 1 || bits(w, 4, 4) == 1,
    );
    many(&mut g, n, "CSEL: S=1", 0x3a80_0000, 0xc01f_ffff, ANY);
    many(&mut g, n, "CSEL: op2>=2", 0x1a80_0800, 0xc01f_f7ff, ANY);
    many(&mut g, n, "1-source: sf=0 REV(X)", 0x5ac0_0c00, 0x3ff, ANY);
    many(
        &mut g,
        n,
        "1-source: opcode>=6",
        0x5ac0_0000,
        0x8000_ffff,
        |w| bits(w, 15, 10) >= 6,
    );
    many(
        &mut g,
        n,
        "1-source: opcode2!=0 or S=1",
        0x5ac0_0000,
        0xa01f_ffff,
        |w| bits(w, 20, 16) != 0 || bits(w, 29, 29) == 1,
    );
    many(
        &mut g,
        n,
        "2-source: unallocated opcode",
        0x1ac0_0000,
        0x801f_ffff,
        |w| {
            let op = bits(w, 15, 10);
            matches!(op, 0..=1 | 4..=7 | 12..=15) || op >= 0b011000
        },
    );
    many(
        &mut g,
        n,
        "2-source: CRC32 with the wrong sf",
        0x1ac0_4000,
        0x801f_0fff,
        |w| {
            let x = bits(w, 11, 10) == 3;
            (w >> 31 == 1) != x
        },
    );
    many(&mut g, n, "2-source: S=1", 0x3ac0_0000, 0x801f_ffff, ANY);
    many(
        &mut g,
        n,
        "3-source: unallocated op31",
        0x9b00_0000,
        0x001f_ffff | 7 << 21,
        |w| matches!(bits(w, 23, 21), 0b011 | 0b100 | 0b111),
    );
    many(
        &mut g,
        n,
        "3-source: sf=0 long forms",
        0x1b00_0000,
        0x001f_ffff | 7 << 21,
        |w| bits(w, 23, 21) != 0,
    );
    many(
        &mut g,
        n,
        "3-source: op54!=0",
        0x9b00_0000,
        0x601f_ffff | 7 << 21,
        |w| bits(w, 30, 29) != 0,
    );
    many(
        &mut g,
        n,
        "3-source: SMULH/UMULH with o0=1",
        0x9b40_8000,
        0x009f_7fff,
        ANY,
    );

    // Branches (C4.1.87): register branches with non-zero should-be fields or the
    // Armv8.3 pointer-authentication forms.
    many(
        &mut g,
        n,
        "BR/BLR/RET: op2/op3/op4 set",
        0xd61f_0000,
        0x007f_ffff,
        |w| {
            let (opc, op2, op3, op4) = (
                bits(w, 24, 21),
                bits(w, 20, 16),
                bits(w, 15, 10),
                bits(w, 4, 0),
            );
            opc <= 2 && (op2 != 31 || op3 != 0 || op4 != 0)
        },
    );
    many(
        &mut g,
        n,
        "branch (register): opc unallocated",
        0xd61f_0000,
        0x01e0_03e0,
        |w| matches!(bits(w, 24, 21), 0b0011 | 0b0110 | 0b0111 | 0b1000..=0b1111),
    );

    // Loads and stores (C4.1.88): reserved size/opc pairs, register-offset extends without
    // bit 1, LDPSW non-temporal, STGP (MTE), the v8.1 atomics, CAS and LOR forms.
    many(
        &mut g,
        n,
        "LDR imm: size=10 opc=11",
        0xb9c0_0000,
        0x003f_ffff,
        ANY,
    );
    many(
        &mut g,
        n,
        "LDR imm: size=11 opc=11",
        0xf9c0_0000,
        0x003f_ffff,
        ANY,
    );
    many(
        &mut g,
        n,
        "LDR imm9: size=11 opc=10 indexed",
        0xf880_0400,
        0x001f_fbff,
        ANY,
    );
    many(
        &mut g,
        n,
        "LDR imm9: size=10 opc=11",
        0xb8c0_0000,
        0x001f_ffff,
        ANY,
    );
    many(
        &mut g,
        n,
        "LDR reg: option bit1=0",
        0x3820_0800,
        0xc0df_b3ff,
        ANY,
    );
    many(&mut g, n, "LDP: opc=11", 0xe800_0000, 0x01ff_ffff, ANY);
    many(
        &mut g,
        n,
        "LDPSW non-temporal",
        0x6840_0000,
        0x003f_ffff,
        ANY,
    );
    many(
        &mut g,
        n,
        "STGP (MTE)",
        0x6800_0000,
        0x0180_0000 | 0x003f_ffff & !(1 << 22),
        |w| bits(w, 24, 23) != 0,
    );
    many(
        &mut g,
        n,
        "LSE atomics (LDADD...)",
        0x3820_0000,
        0xc0df_73ff,
        ANY,
    );
    many(&mut g, n, "CAS/CASP (LSE)", 0x08a0_7c00, 0xc05f_83ff, ANY);
    many(
        &mut g,
        n,
        "LDLAR/STLLR (LOR)",
        0x089f_7c00,
        0xc040_03ff,
        ANY,
    );

    // System (C4.1.87): barrier-space encodings with no instruction on the A72.
    many(
        &mut g,
        n,
        "barrier space: op2 unallocated",
        0xd503_301f,
        0xfe0,
        |w| matches!(bits(w, 7, 5), 0b000 | 0b001 | 0b011 | 0b111),
    );

    // Later-architecture system instructions the A72 (v8.0) lacks: DC CVAP (v8.2 DPB),
    // DC CVADP (v8.5 DPB2), CFINV (v8.4 CondM), XAFLAG/AXFLAG (v8.5 FlagM2), and MSR
    // (immediate) to PAN (v8.1), UAO (v8.2), SSBS (v8.5), DIT (v8.4).
    many(&mut g, n, "DC CVAP (v8.2)", 0xd50b_7c20, 0x1f, ANY);
    many(&mut g, n, "DC CVADP (v8.5)", 0xd50b_7d20, 0x1f, ANY);
    for (name, w) in [
        ("CFINV (v8.4)", 0xd500_401f),
        ("XAFLAG (v8.5)", 0xd500_403f),
        ("AXFLAG (v8.5)", 0xd500_405f),
        ("MSR PAN, #imm (v8.1)", 0xd500_409f),
        ("MSR UAO, #imm (v8.2)", 0xd500_407f),
        ("MSR SSBS, #imm (v8.5)", 0xd503_403f),
        ("MSR DIT, #imm (v8.4)", 0xd503_405f),
    ] {
        for crm in [0, 1] {
            g.one(name, w | crm << 8).expect_undefined = true;
        }
    }

    // SYS with a CRn that names no system instruction (CRn 11 and 15 stay out: reserved
    // for IMPLEMENTATION DEFINED ones), and SYSL, which v8.0 leaves empty.
    many(
        &mut g,
        n,
        "SYS: unallocated CRn",
        0xd508_0000,
        0x7_ffff,
        |w| matches!(bits(w, 15, 12), 0..=6 | 9 | 10 | 12..=14),
    );
    many(
        &mut g,
        n,
        "SYSL",
        0xd528_0000,
        0x7_ffff,
        |w| matches!(bits(w, 15, 12), 0..=10 | 12..=14),
    );

    // Top level (C4.1): UDF and the unallocated op0 values (SVE on later cores).
    many(&mut g, n, "UDF", 0, 0xffff, ANY);
    many(
        &mut g,
        n,
        "op0 unallocated",
        0,
        0xe1ff_ffff | 3 << 25,
        |w| w >> 16 != 0,
    );
    g.finish()
}

/// Instructions that are UNDEFINED at EL0 only (Arm ARM D1.10, and the accessibility
/// pseudocode of each register in D17): HVC, SMC, ERET, MRS/MSR of EL1 registers,
/// PSTATE fields other than NZCV/DAIF, SYS operations reserved to EL1 (set/way cache
/// maintenance, TLBI, AT, IC IALLU). Run on our side at EL0 only. (EL0 accesses that
/// SCTLR_EL1 traps rather than leaves UNDEFINED — DAIF with UMA clear — are not here.)
pub fn el0_undefined() -> Vec<Case> {
    use super::enc::{mrs, msr, sysreg};
    let mut g = Gen::new("el0_undefined");
    let regs = [
        ("SCTLR_EL1", sysreg(3, 0, 1, 0, 0)),
        ("TTBR0_EL1", sysreg(3, 0, 2, 0, 0)),
        ("TCR_EL1", sysreg(3, 0, 2, 0, 2)),
        ("SPSR_EL1", sysreg(3, 0, 4, 0, 0)),
        ("ELR_EL1", sysreg(3, 0, 4, 0, 1)),
        ("SP_EL0", sysreg(3, 0, 4, 1, 0)),
        ("CurrentEL", sysreg(3, 0, 4, 2, 2)),
        ("ESR_EL1", sysreg(3, 0, 5, 2, 0)),
        ("VBAR_EL1", sysreg(3, 0, 12, 0, 0)),
        ("TPIDR_EL1", sysreg(3, 0, 13, 0, 4)),
    ];
    let sys_ops = [
        ("DC ISW", 0xd508_7640),
        ("DC CISW", 0xd508_7e40),
        ("IC IALLU", 0xd508_751f),
        ("TLBI VMALLE1", 0xd508_871f),
        ("AT S1E1R", 0xd508_7800),
    ];
    for i in 0..240u32 {
        let rt = g.rng.reg30();
        let imm = (g.rng.below(1 << 16) as u32) << 5;
        let (name, w) = match i % 6 {
            0 => ("HVC at EL0".to_string(), 0xd400_0002 | imm),
            1 => ("SMC at EL0".to_string(), 0xd400_0003 | imm),
            2 => ("ERET at EL0".to_string(), 0xd69f_03e0),
            3 => {
                let (n, r) = g.rng.pick(&regs);
                (format!("MRS {n} at EL0"), mrs(rt, r))
            }
            4 => {
                let (n, r) = g.rng.pick(&regs);
                (format!("MSR {n} at EL0"), msr(r, rt))
            }
            _ => {
                let (n, w) = g.rng.pick(&sys_ops);
                (format!("{n} at EL0"), w | rt)
            }
        };
        let c = g.one(&name, w);
        c.expect_undefined = true;
        c.el0_only = true;
    }
    g.finish()
}
