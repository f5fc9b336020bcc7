//! Generators for "Data processing — immediate" (Arm ARM C4.1.86): PC-relative addressing,
//! ADD/SUB (immediate), logical (immediate), move wide, bitfield, EXTR.
//! Reserved field combinations (UNDEFINED) are left out: at EL0 they would kill the
//! reference process.

use super::case::Case;
use super::gen::{field_values, Gen};

/// ADR/ADRP with immediates across the 21-bit range (C6.2.10, C6.2.11).
pub fn pc_rel() -> Vec<Case> {
    let mut g = Gen::new("pc_rel");
    for i in 0..200 {
        let op = i & 1;
        let imm: u32 = match i % 5 {
            0 => 0,
            1 => 0x1f_ffff, // -1
            2 => 0x10_0000, // most negative
            3 => 0x0f_ffff, // most positive
            _ => g.rng.below(1 << 21) as u32,
        };
        let rd = g.rng.reg30();
        let w = op << 31 | (imm & 3) << 29 | 0b10000 << 24 | (imm >> 2) << 5 | rd;
        g.one(if op == 1 { "ADRP" } else { "ADR" }, w);
    }
    g.finish()
}

/// ADD/ADDS/SUB/SUBS (immediate), both sizes, LSL #0 and #12, SP forms (C6.2.4).
pub fn add_sub_imm() -> Vec<Case> {
    let mut g = Gen::new("add_sub_imm");
    for i in 0..800u32 {
        let (sf, op, s, sh) = (i & 1, i >> 1 & 1, i >> 2 & 1, i >> 3 & 1);
        let imm12 = match i >> 4 & 3 {
            0 => g.rng.pick(&[0, 1, 0x7ff, 0x800, 0xfff]),
            _ => g.rng.below(4096) as u32,
        };
        let (rd, rn) = (g.rng.reg(), g.rng.reg());
        let w =
            sf << 31 | op << 30 | s << 29 | 0b100010 << 23 | sh << 22 | imm12 << 10 | rn << 5 | rd;
        let name = ["ADD", "ADDS", "SUB", "SUBS"][(op << 1 | s) as usize];
        g.one(name, w);
        // Pin the source near the carry/overflow boundaries the immediate can cross.
        if i % 3 == 0 {
            let v = g.rng.pick(&[
                0,
                u64::MAX,
                0x7fff_ffff,
                0x8000_0000,
                0xffff_ffff,
                i64::MAX as u64,
                1 << 63,
            ]);
            let imm = (imm12 as u64) << (12 * sh);
            g.set(
                rn,
                if op == 0 {
                    v.wrapping_sub(imm)
                } else {
                    v.wrapping_add(imm)
                },
            );
        }
    }
    g.finish()
}

/// DecodeBitMasks' reserved cases (Arm ARM J1, shared/functions/bitmasks): N:NOT(imms)
/// must have a set bit, imms may not be all ones within the element, N=1 needs 64 bits.
pub fn bitmask_valid(sf: u32, n: u32, imms: u32) -> bool {
    if sf == 0 && n == 1 {
        return false;
    }
    let combined = n << 6 | (!imms & 0x3f);
    if combined == 0 {
        return false;
    }
    let len = 31 - combined.leading_zeros();
    let levels = (1 << len) - 1;
    len >= 1 && imms & levels != levels
}

/// AND/ORR/EOR/ANDS (immediate) over every element size and rotation (C6.2.12).
pub fn logical_imm() -> Vec<Case> {
    let mut g = Gen::new("logical_imm");
    let mut made = 0;
    while made < 1200 {
        let sf = g.rng.below(2) as u32;
        let n = if sf == 1 { g.rng.below(2) as u32 } else { 0 };
        let immr = g.rng.below(if sf == 1 { 64 } else { 32 }) as u32;
        let imms = g.rng.below(64) as u32;
        if !bitmask_valid(sf, n, imms) || (sf == 0 && immr >= 32) {
            continue;
        }
        let opc = g.rng.below(4) as u32;
        let (rd, rn) = (g.rng.reg(), g.rng.reg());
        let w = sf << 31
            | opc << 29
            | 0b100100 << 23
            | n << 22
            | immr << 16
            | imms << 10
            | rn << 5
            | rd;
        g.one(["AND", "ORR", "EOR", "ANDS"][opc as usize], w);
        made += 1;
    }
    g.finish()
}

/// MOVN/MOVZ/MOVK with every shift (C6.2.190–192).
pub fn move_wide() -> Vec<Case> {
    let mut g = Gen::new("move_wide");
    for i in 0..480u32 {
        let sf = i & 1;
        let opc = [0b00, 0b10, 0b11][(i >> 1) as usize % 3];
        let hw = (i / 6) % if sf == 1 { 4 } else { 2 };
        let imm16 = match i % 7 {
            0 => 0,
            1 => 0xffff,
            2 => 0x8000,
            3 => 1,
            _ => g.rng.below(0x10000) as u32,
        };
        let rd = g.rng.reg();
        let w = sf << 31 | opc << 29 | 0b100101 << 23 | hw << 21 | imm16 << 5 | rd;
        g.one(["MOVN", "", "MOVZ", "MOVK"][opc as usize], w);
    }
    g.finish()
}

/// SBFM/BFM/UBFM: every (immr, imms) pair at 32 bits; at 64 bits every immr against the
/// edge values of imms and every imms against the edges of immr, plus random pairs
/// (C6.2.29, C6.2.264, C6.2.370).
pub fn bitfield() -> Vec<Case> {
    let mut g = Gen::new("bitfield");
    let mut pairs: Vec<(u32, u32, u32)> = Vec::new();
    for immr in 0..32 {
        for imms in 0..32 {
            pairs.push((0, immr, imms));
        }
    }
    let edges64 = field_values(&mut g.rng, 64, 4);
    for a in 0..64 {
        for &e in &edges64 {
            pairs.push((1, a, e));
            pairs.push((1, e, a));
        }
    }
    for _ in 0..300 {
        pairs.push((1, g.rng.below(64) as u32, g.rng.below(64) as u32));
    }
    for (sf, immr, imms) in pairs {
        let opc = g.rng.below(3) as u32;
        let (rd, rn) = (g.rng.reg(), g.rng.reg());
        let w = sf << 31
            | opc << 29
            | 0b100110 << 23
            | sf << 22
            | immr << 16
            | imms << 10
            | rn << 5
            | rd;
        g.one(["SBFM", "BFM", "UBFM"][opc as usize], w);
    }
    g.finish()
}

/// EXTR with every lsb, both sizes, including Rn == Rm (ROR) (C6.2.90).
pub fn extract() -> Vec<Case> {
    let mut g = Gen::new("extract");
    for i in 0..384u32 {
        let sf = i & 1;
        let lsb = (i >> 1) % if sf == 1 { 64 } else { 32 };
        let (rd, rn) = (g.rng.reg(), g.rng.reg());
        let rm = if i % 4 == 0 { rn } else { g.rng.reg() };
        let w = sf << 31 | 0b00100111 << 23 | sf << 22 | rm << 16 | lsb << 10 | rn << 5 | rd;
        g.one("EXTR", w);
    }
    g.finish()
}
