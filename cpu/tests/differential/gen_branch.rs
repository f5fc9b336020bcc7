//! Generators for branches (Arm ARM C4.1.87): B.cond, CBZ/CBNZ, TBZ/TBNZ, B, BL, BR, BLR,
//! RET. Each case branches over a marker instruction (a MOVZ of a recognisable value), so
//! the registers show which path ran; some cases branch backwards first.

use super::case::Case;
use super::enc::movz;
use super::gen::Gen;

/// Condition-free shapes around a branch whose taken offset is `off` words.
/// `forward`: [br +2; marker] — taken skips the marker.
/// `backward`: [B +3; marker1; B +3; br -2; marker2] — taken runs marker1, else marker2.
fn shapes(g: &mut Gen, name: &str, branch: impl Fn(i32) -> u32) {
    let m1 = movz(g.rng.reg30(), 0x7a11);
    let m2 = movz(g.rng.reg30(), 0x0b0e);
    if g.rng.bool() {
        g.push(name, vec![branch(2), m1]);
    } else {
        let b = |off: u32| 0x1400_0000 | off;
        g.push(
            &format!("{name} (backward)"),
            vec![b(3), m1, b(3), branch(-2), m2],
        );
    }
}

fn imm19(off: i32) -> u32 {
    (off as u32 & 0x7ffff) << 5
}

/// B.cond under all sixteen conditions and random flags (C6.2.26).
pub fn b_cond() -> Vec<Case> {
    let mut g = Gen::new("b_cond");
    for i in 0..320u32 {
        let cond = i & 15;
        shapes(&mut g, "B.cond", |off| 0x5400_0000 | imm19(off) | cond);
    }
    g.finish()
}

/// CBZ/CBNZ on W and X registers, zero half the time (C6.2.47, C6.2.48).
pub fn cbz() -> Vec<Case> {
    let mut g = Gen::new("cbz");
    for i in 0..320u32 {
        let (sf, op) = (i & 1, i >> 1 & 1);
        let rt = g.rng.reg();
        shapes(&mut g, if op == 1 { "CBNZ" } else { "CBZ" }, |off| {
            sf << 31 | 0b011010 << 25 | op << 24 | imm19(off) | rt
        });
        match g.rng.below(3) {
            0 if rt != 31 => g.set(rt, 0),
            1 if rt != 31 => {
                let v = g.rng.next() << 32; // zero in W only
                g.set(rt, v)
            }
            _ => {}
        }
    }
    g.finish()
}

/// TBZ/TBNZ on every bit position (C6.2.371, C6.2.372).
pub fn tbz() -> Vec<Case> {
    let mut g = Gen::new("tbz");
    for i in 0..384u32 {
        let op = i & 1;
        let bit = (i >> 1) & 63;
        let rt = g.rng.reg();
        shapes(&mut g, if op == 1 { "TBNZ" } else { "TBZ" }, |off| {
            (bit >> 5) << 31
                | 0b011011 << 25
                | op << 24
                | (bit & 31) << 19
                | (off as u32 & 0x3fff) << 5
                | rt
        });
    }
    g.finish()
}

/// B, BL (the link is an address: the same on both sides), and BR/BLR/RET through a
/// register loaded by ADR (C6.2.25, C6.2.33–37, C6.2.254).
pub fn unconditional() -> Vec<Case> {
    let mut g = Gen::new("unconditional");
    for i in 0..240u32 {
        let m = movz(g.rng.reg30(), 0x7a11);
        match i % 5 {
            0 => {
                g.push("B", vec![0x1400_0002, m]);
            }
            1 => {
                g.push("BL", vec![0x9400_0002, m]);
            }
            k => {
                // ADR Xn, +12 (past the marker); then BR/BLR/RET Xn.
                let rn = g.rng.reg30();
                let adr = 0b10000 << 24 | 3 << 5 | rn;
                let opc = [0b0000, 0b0001, 0b0010][k as usize - 2];
                let br = 0xd61f_0000 | opc << 21 | rn << 5;
                g.push(["BR", "BLR", "RET"][k as usize - 2], vec![adr, br, m]);
            }
        }
    }
    g.finish()
}
