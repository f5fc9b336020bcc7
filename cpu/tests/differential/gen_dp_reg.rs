//! Generators for "Data processing — register" (Arm ARM C4.1.89): logical and ADD/SUB
//! (shifted and extended register), ADC/SBC, CCMN/CCMP, conditional select, 1-source,
//! 2-source (divides, variable shifts, CRC32) and 3-source (multiply) instructions.
//! Reserved field combinations are left out (UNDEFINED would kill the reference).

use super::case::Case;
use super::gen::Gen;

/// A shift amount for a register operand: the edges 0, 1, size-1 often, else random.
fn shift_amount(g: &mut Gen, sf: u32) -> u32 {
    let size = if sf == 1 { 64 } else { 32 };
    match g.rng.below(4) {
        0 => 0,
        1 => size - 1,
        2 => g.rng.pick(&[1, size / 2]),
        _ => g.rng.below(size as u64) as u32,
    }
}

/// AND/BIC/ORR/ORN/EOR/EON/ANDS/BICS with LSL/LSR/ASR/ROR (C6.2.13 and neighbours).
pub fn logical_shifted() -> Vec<Case> {
    let mut g = Gen::new("logical_shifted");
    const NAMES: [&str; 8] = ["AND", "BIC", "ORR", "ORN", "EOR", "EON", "ANDS", "BICS"];
    for i in 0..960u32 {
        let (sf, opc, n, shift) = (i & 1, i >> 1 & 3, i >> 3 & 1, i >> 4 & 3);
        let imm6 = shift_amount(&mut g, sf);
        let (rd, rn, rm) = (g.rng.reg(), g.rng.reg(), g.rng.reg());
        let w = sf << 31
            | opc << 29
            | 0b01010 << 24
            | shift << 22
            | n << 21
            | rm << 16
            | imm6 << 10
            | rn << 5
            | rd;
        g.one(NAMES[(opc << 1 | n) as usize], w);
    }
    g.finish()
}

/// ADD/ADDS/SUB/SUBS (shifted register), LSL/LSR/ASR (C6.2.5).
pub fn add_sub_shifted() -> Vec<Case> {
    let mut g = Gen::new("add_sub_shifted");
    for i in 0..960u32 {
        let (sf, op, s) = (i & 1, i >> 1 & 1, i >> 2 & 1);
        let shift = (i >> 3) % 3;
        let imm6 = shift_amount(&mut g, sf);
        let (rd, rn, rm) = (g.rng.reg(), g.rng.reg(), g.rng.reg());
        let w = sf << 31
            | op << 30
            | s << 29
            | 0b01011 << 24
            | shift << 22
            | rm << 16
            | imm6 << 10
            | rn << 5
            | rd;
        g.one(["ADD", "ADDS", "SUB", "SUBS"][(op << 1 | s) as usize], w);
    }
    g.finish()
}

/// ADD/ADDS/SUB/SUBS (extended register): every extend, shifts 0–4, SP forms (C6.2.3).
pub fn add_sub_extended() -> Vec<Case> {
    let mut g = Gen::new("add_sub_extended");
    for i in 0..960u32 {
        let (sf, op, s) = (i & 1, i >> 1 & 1, i >> 2 & 1);
        let option = i >> 3 & 7;
        let imm3 = (i >> 6) % 5;
        let (rd, rn, rm) = (g.rng.reg(), g.rng.reg(), g.rng.reg());
        let w = sf << 31
            | op << 30
            | s << 29
            | 0b01011 << 24
            | 1 << 21
            | rm << 16
            | option << 13
            | imm3 << 10
            | rn << 5
            | rd;
        g.one(
            ["ADD ext", "ADDS ext", "SUB ext", "SUBS ext"][(op << 1 | s) as usize],
            w,
        );
    }
    g.finish()
}

/// ADC/ADCS/SBC/SBCS with every carry in (C6.2.1, C6.2.2, C6.2.265, C6.2.266).
pub fn adc_sbc() -> Vec<Case> {
    let mut g = Gen::new("adc_sbc");
    for i in 0..480u32 {
        let (sf, op, s) = (i & 1, i >> 1 & 1, i >> 2 & 1);
        let (rd, rn, rm) = (g.rng.reg(), g.rng.reg(), g.rng.reg());
        let w = sf << 31 | op << 30 | s << 29 | 0b11010000 << 21 | rm << 16 | rn << 5 | rd;
        g.one(["ADC", "ADCS", "SBC", "SBCS"][(op << 1 | s) as usize], w);
    }
    g.finish()
}

/// CCMN/CCMP (register and immediate) under all sixteen conditions (C6.2.49–52).
pub fn cond_compare() -> Vec<Case> {
    let mut g = Gen::new("cond_compare");
    for i in 0..768u32 {
        let (sf, op, imm) = (i & 1, i >> 1 & 1, i >> 2 & 1);
        let cond = i >> 3 & 15;
        let nzcv = g.rng.below(16) as u32;
        let rn = g.rng.reg();
        let rm = if imm == 1 {
            g.rng.below(32) as u32
        } else {
            g.rng.reg()
        };
        let w = sf << 31
            | op << 30
            | 1 << 29
            | 0b11010010 << 21
            | rm << 16
            | cond << 12
            | imm << 11
            | rn << 5
            | nzcv;
        g.one(if op == 1 { "CCMP" } else { "CCMN" }, w);
    }
    g.finish()
}

/// CSEL/CSINC/CSINV/CSNEG under all sixteen conditions (C6.2.67 and neighbours).
pub fn cond_select() -> Vec<Case> {
    let mut g = Gen::new("cond_select");
    for i in 0..768u32 {
        let (sf, op, op2) = (i & 1, i >> 1 & 1, i >> 2 & 1);
        let cond = i >> 3 & 15;
        let (rd, rn, rm) = (g.rng.reg(), g.rng.reg(), g.rng.reg());
        let w = sf << 31
            | op << 30
            | 0b11010100 << 21
            | rm << 16
            | cond << 12
            | op2 << 10
            | rn << 5
            | rd;
        g.one(
            ["CSEL", "CSINC", "CSINV", "CSNEG"][(op << 1 | op2) as usize],
            w,
        );
    }
    g.finish()
}

/// RBIT/REV16/REV32/REV/CLZ/CLS, both sizes (C4.1.89.6). REV with opcode 3 is 64-bit only.
pub fn dp_1src() -> Vec<Case> {
    let mut g = Gen::new("dp_1src");
    const NAMES: [&str; 6] = ["RBIT", "REV16", "REV32/REV(W)", "REV", "CLZ", "CLS"];
    for i in 0..720u32 {
        let sf = i & 1;
        let opcode = (i >> 1) % 6;
        if sf == 0 && opcode == 3 {
            continue;
        }
        let (rd, rn) = (g.rng.reg(), g.rng.reg());
        let w = sf << 31 | 1 << 30 | 0b11010110 << 21 | opcode << 10 | rn << 5 | rd;
        g.one(NAMES[opcode as usize], w);
        // CLZ/CLS care about every leading-bit count: a lone run of n top bits.
        if opcode >= 4 && g.rng.bool() {
            let n = g.rng.below(65) as u32;
            let run = if n == 0 { 0 } else { u64::MAX << (64 - n) };
            let v = if g.rng.bool() {
                !run
            } else {
                run >> g.rng.below(2)
            };
            let junk = g.rng.next() << 32;
            g.set(rn, if sf == 1 { v } else { v >> 32 | junk });
        }
    }
    g.finish()
}

/// UDIV/SDIV (with /0 and INT_MIN/-1), LSLV/LSRV/ASRV/RORV, CRC32{B,H,W,X} and
/// CRC32C{B,H,W,X} (C4.1.89.5).
pub fn dp_2src() -> Vec<Case> {
    let mut g = Gen::new("dp_2src");
    let ops: &[(u32, &str)] = &[
        (0b000010, "UDIV"),
        (0b000011, "SDIV"),
        (0b001000, "LSLV"),
        (0b001001, "LSRV"),
        (0b001010, "ASRV"),
        (0b001011, "RORV"),
        (0b010000, "CRC32B"),
        (0b010001, "CRC32H"),
        (0b010010, "CRC32W"),
        (0b010011, "CRC32X"),
        (0b010100, "CRC32CB"),
        (0b010101, "CRC32CH"),
        (0b010110, "CRC32CW"),
        (0b010111, "CRC32CX"),
    ];
    for i in 0..1400u32 {
        let (opcode, name) = ops[i as usize % ops.len()];
        let crc = opcode & 0b010000 != 0;
        // CRC32X/CRC32CX need sf = 1, the others sf = 0.
        let sf = if crc {
            (opcode & 3 == 3) as u32
        } else {
            (i / ops.len() as u32) & 1
        };
        let (rd, rn, rm) = (g.rng.reg(), g.rng.reg(), g.rng.reg());
        let w = sf << 31 | 0b11010110 << 21 | rm << 16 | opcode << 10 | rn << 5 | rd;
        g.one(name, w);
        if opcode & 0b111110 == 0b000010 && rn != rm {
            // Division edges: by zero, by -1 from the most negative value.
            match g.rng.below(4) {
                0 => g.set(rm, 0),
                1 => {
                    g.set(rm, u64::MAX);
                    let junk = g.rng.next() << 32;
                    g.set(rn, if sf == 1 { 1 << 63 } else { 0x8000_0000 | junk });
                }
                _ => {}
            }
        }
    }
    g.finish()
}

/// MADD/MSUB/SMADDL/SMSUBL/UMADDL/UMSUBL/SMULH/UMULH (C4.1.89.7).
pub fn dp_3src() -> Vec<Case> {
    let mut g = Gen::new("dp_3src");
    // (sf, op31, o0, name); SMULH/UMULH take Ra = 31.
    let ops: &[(u32, u32, u32, &str)] = &[
        (0, 0b000, 0, "MADD"),
        (0, 0b000, 1, "MSUB"),
        (1, 0b000, 0, "MADD"),
        (1, 0b000, 1, "MSUB"),
        (1, 0b001, 0, "SMADDL"),
        (1, 0b001, 1, "SMSUBL"),
        (1, 0b010, 0, "SMULH"),
        (1, 0b101, 0, "UMADDL"),
        (1, 0b101, 1, "UMSUBL"),
        (1, 0b110, 0, "UMULH"),
    ];
    for i in 0..1000usize {
        let (sf, op31, o0, name) = ops[i % ops.len()];
        let (rd, rn, rm) = (g.rng.reg(), g.rng.reg(), g.rng.reg());
        let ra = if op31 & 0b010 != 0 { 31 } else { g.rng.reg() };
        let w =
            sf << 31 | 0b11011 << 24 | op31 << 21 | rm << 16 | o0 << 15 | ra << 10 | rn << 5 | rd;
        g.one(name, w);
    }
    g.finish()
}
