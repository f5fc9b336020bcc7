//! Generators for loads and stores (Arm ARM C4.1.88) on the scratch buffer: register
//! (unsigned offset, unscaled, pre/post-index, unprivileged, register offset), pairs
//! (offset, pre/post-index, non-temporal, LDPSW), literal, exclusive (LDXR/STXR and the
//! pair forms, with and without CLREX between), load-acquire/store-release.
//!
//! The base register is set so every access lands inside the buffer, naturally aligned
//! (TestCpu runs with the MMU off, where memory is Device and unaligned accesses fault,
//! while qemu-aarch64 runs on Normal memory), and SP as a base stays 16-byte aligned.
//! CONSTRAINED UNPREDICTABLE register overlaps (writeback into a transferred register, a
//! pair load into one register twice, a store-exclusive status register that is also an
//! operand) are avoided.

use super::case::Case;
use super::gen::Gen;
use super::layout::{BUF_ADDR, BUF_SIZE};

const SP: u32 = 31;
const SP_ALIGN: u64 = 16;

/// Single-register forms: (size, opc, name, bytes).
const SINGLE: &[(u32, u32, &str, u64)] = &[
    (0, 0, "STRB", 1),
    (0, 1, "LDRB", 1),
    (0, 2, "LDRSB (X)", 1),
    (0, 3, "LDRSB (W)", 1),
    (1, 0, "STRH", 2),
    (1, 1, "LDRH", 2),
    (1, 2, "LDRSH (X)", 2),
    (1, 3, "LDRSH (W)", 2),
    (2, 0, "STR (W)", 4),
    (2, 1, "LDR (W)", 4),
    (2, 2, "LDRSW", 4),
    (3, 0, "STR (X)", 8),
    (3, 1, "LDR (X)", 8),
    (3, 2, "PRFM", 8),
];

fn is_prfm(size: u32, opc: u32) -> bool {
    size == 3 && opc == 2
}

/// A random naturally aligned address for `bytes` bytes inside the buffer.
fn ea(g: &mut Gen, bytes: u64, align: u64) -> u64 {
    BUF_ADDR + align * g.rng.below((BUF_SIZE as u64 - bytes) / align + 1)
}

/// Random buffer contents.
fn image(g: &mut Gen) -> Vec<u8> {
    (0..BUF_SIZE).map(|_| g.rng.next() as u8).collect()
}

/// A register number (0–31) that is none of `avoid`.
fn reg_not(g: &mut Gen, avoid: &[u32]) -> u32 {
    loop {
        let r = g.rng.reg();
        if !avoid.contains(&r) {
            return r;
        }
    }
}

/// The base register as a register to keep other operands off: none when it is SP, which
/// no transfer register can name (31 there is XZR).
fn base_regs(rn: u32) -> Vec<u32> {
    if rn == SP {
        vec![]
    } else {
        vec![rn]
    }
}

/// Adds a memory case and sets its base register (and any others) afterwards.
fn push(g: &mut Gen, name: &str, words: Vec<u32>, regs: &[(u32, u64)]) {
    let mem = image(g);
    let c = g.push(name, words);
    c.mem = Some(mem);
    for &(r, v) in regs {
        g.set(r, v);
    }
}

/// LDR/STR (immediate, unsigned offset) with scaled 12-bit offsets (C6.2.131 and kin).
pub fn unsigned_offset() -> Vec<Case> {
    let mut g = Gen::new("ls_unsigned_offset");
    for i in 0..700 {
        let (size, opc, name, bytes) = SINGLE[i % SINGLE.len()];
        let rn = g.rng.reg();
        let (base, imm12) = loop {
            let a = ea(&mut g, bytes, bytes);
            let imm12 = match g.rng.below(3) {
                0 => 0,
                1 => g.rng.below(64),
                _ => g.rng.below(4096),
            };
            let base = a.wrapping_sub(imm12 * bytes);
            if rn != SP || base % SP_ALIGN == 0 {
                break (base, imm12 as u32);
            }
        };
        let rt = g.rng.reg();
        let w = size << 30 | 0b111 << 27 | 0b01 << 24 | opc << 22 | imm12 << 10 | rn << 5 | rt;
        push(&mut g, name, vec![w], &[(rn, base)]);
    }
    g.finish()
}

/// LDUR/STUR, post-index, unprivileged (LDTR/STTR) and pre-index forms with 9-bit signed
/// offsets (C6.2.132 and kin).
pub fn imm9() -> Vec<Case> {
    let mut g = Gen::new("ls_imm9");
    const KINDS: [&str; 4] = ["unscaled", "post-index", "unprivileged", "pre-index"];
    for i in 0..900 {
        let (size, opc, name, bytes) = SINGLE[i % SINGLE.len()];
        let kk = (i / SINGLE.len()) as u32 % 4;
        // PRFM exists only as PRFUM among these.
        if is_prfm(size, opc) && kk != 0 {
            continue;
        }
        let writeback = kk & 1 == 1;
        let rn = g.rng.reg();
        let (base, imm9) = loop {
            let a = ea(&mut g, bytes, bytes);
            let imm9 = match g.rng.below(3) {
                0 => 0,
                1 => g.rng.pick(&[-256i64, 255, -1, 1]),
                _ => g.rng.below(512) as i64 - 256,
            };
            let base = if kk == 1 {
                a
            } else {
                a.wrapping_sub(imm9 as u64)
            };
            if rn != SP || base % SP_ALIGN == 0 {
                break (base, imm9 as u32 & 0x1ff);
            }
        };
        let rt = if writeback {
            reg_not(&mut g, &base_regs(rn))
        } else {
            g.rng.reg()
        };
        let w = size << 30 | 0b111 << 27 | opc << 22 | imm9 << 12 | kk << 10 | rn << 5 | rt;
        push(
            &mut g,
            &format!("{name} {}", KINDS[kk as usize]),
            vec![w],
            &[(rn, base)],
        );
    }
    g.finish()
}

/// The register-offset extends: (option, name, extend function).
fn extend(option: u32, v: u64) -> u64 {
    match option {
        0b010 => v as u32 as u64,               // UXTW
        0b110 => v as u32 as i32 as i64 as u64, // SXTW
        _ => v,                                 // LSL (UXTX), SXTX
    }
}

/// LDR/STR (register offset) with UXTW/LSL/SXTW/SXTX, scaled or not (C6.2.133 and kin).
pub fn register_offset() -> Vec<Case> {
    let mut g = Gen::new("ls_register_offset");
    for i in 0..900 {
        let (size, opc, name, bytes) = SINGLE[i % SINGLE.len()];
        let option = [0b010, 0b011, 0b110, 0b111][(i / SINGLE.len()) % 4];
        let s = g.rng.below(2) as u32;
        let amount = if s == 1 { size } else { 0 };
        let rn = g.rng.reg();
        let rm = loop {
            let r = g.rng.reg();
            if r != rn {
                break r;
            }
        };
        let a = ea(
            &mut g,
            bytes,
            if rn == SP { SP_ALIGN.max(bytes) } else { bytes },
        );
        let mut rm_val = g.rng.value();
        if rn == SP {
            rm_val &= !(SP_ALIGN - 1); // keeps base = a - offset 16-byte aligned
        }
        let off = if rm == 31 {
            0
        } else {
            extend(option, rm_val) << amount
        };
        let rt = g.rng.reg();
        let w = size << 30
            | 0b111 << 27
            | opc << 22
            | 1 << 21
            | rm << 16
            | option << 13
            | s << 12
            | 0b10 << 10
            | rn << 5
            | rt;
        let mut regs = vec![(rn, a.wrapping_sub(off))];
        if rm != 31 {
            regs.insert(0, (rm, rm_val));
        }
        push(&mut g, name, vec![w], &regs);
    }
    g.finish()
}

/// STP/LDP/LDPSW/STNP/LDNP in every addressing mode (C6.2.130 and kin).
pub fn pair() -> Vec<Case> {
    let mut g = Gen::new("ls_pair");
    // (opc, L, element bytes, name)
    const PAIRS: &[(u32, u32, u64, &str)] = &[
        (0, 0, 4, "STP (W)"),
        (0, 1, 4, "LDP (W)"),
        (1, 1, 4, "LDPSW"),
        (2, 0, 8, "STP (X)"),
        (2, 1, 8, "LDP (X)"),
    ];
    const KINDS: [&str; 4] = ["non-temporal", "post-index", "offset", "pre-index"];
    for i in 0..800 {
        let (opc, l, esz, name) = PAIRS[i % PAIRS.len()];
        let kk = (i / PAIRS.len()) as u32 % 4;
        if opc == 1 && kk == 0 {
            continue; // no non-temporal LDPSW
        }
        let writeback = kk & 1 == 1;
        let rn = g.rng.reg();
        let (base, imm7) = loop {
            let a = ea(&mut g, 2 * esz, esz);
            let imm7 = g.rng.below(128) as i64 - 64;
            let base = if kk == 1 {
                a
            } else {
                a.wrapping_sub((imm7 * esz as i64) as u64)
            };
            if rn != SP || base % SP_ALIGN == 0 {
                break (base, imm7 as u32 & 0x7f);
            }
        };
        let wb = if writeback { base_regs(rn) } else { vec![] };
        let rt = reg_not(&mut g, &wb);
        let mut avoid = wb;
        if l == 1 {
            avoid.push(rt);
        }
        let rt2 = reg_not(&mut g, &avoid);
        let w =
            opc << 30 | 0b101 << 27 | kk << 23 | l << 22 | imm7 << 15 | rt2 << 10 | rn << 5 | rt;
        push(
            &mut g,
            &format!("{name} {}", KINDS[kk as usize]),
            vec![w],
            &[(rn, base)],
        );
    }
    g.finish()
}

/// LDR (literal) W/X, LDRSW (literal), PRFM (literal), forwards and backwards (C6.2.134).
/// The literal is always 8-byte aligned (case code starts 16-byte aligned).
pub fn literal() -> Vec<Case> {
    let mut g = Gen::new("ls_literal");
    const NAMES: [&str; 4] = [
        "LDR (W) literal",
        "LDR (X) literal",
        "LDRSW literal",
        "PRFM literal",
    ];
    for i in 0..200u32 {
        let opc = i & 3;
        let rt = g.rng.reg();
        let (lo, hi) = (g.rng.value(), g.rng.value());
        let w = |off: i32| opc << 30 | 0b011 << 27 | (off as u32 & 0x7ffff) << 5 | rt;
        let words = if i & 4 == 0 {
            // Forwards: [LDR Rt, +4; B +5; NOP; NOP; lit lo; lit hi], literal 16-aligned.
            vec![
                w(4),
                0x1400_0005,
                super::enc::NOP,
                super::enc::NOP,
                lo as u32,
                hi as u32,
            ]
        } else {
            vec![0x1400_0004, super::enc::NOP, lo as u32, hi as u32, w(-2)]
        };
        g.push(NAMES[opc as usize], words);
    }
    g.finish()
}

/// Exclusive pairs LDXR/LDAXR then STXR/STLXR (all sizes, status 0), STXR after CLREX
/// (status 1, memory untouched), LDXP/STXP, and LDAR/STLR (C6.2.119 and kin).
pub fn exclusive() -> Vec<Case> {
    let mut g = Gen::new("ls_exclusive");
    let excl =
        |size: u32, o2: u32, l: u32, o1: u32, rs: u32, o0: u32, rt2: u32, rn: u32, rt: u32| {
            size << 30
                | 0b001000 << 24
                | o2 << 23
                | l << 22
                | o1 << 21
                | rs << 16
                | o0 << 15
                | rt2 << 10
                | rn << 5
                | rt
        };
    const CLREX: u32 = 0xd503_3f5f;
    for i in 0..800u32 {
        let kind = i % 4;
        let rn = g.rng.reg();
        match kind {
            0 | 1 => {
                // [LDXR Rt, [Rn]; STXR Ws, Rt2, [Rn]] or [CLREX; STXR ...].
                let size = i / 4 % 4;
                let bytes = 1u64 << size;
                let a = ea(&mut g, bytes, if rn == SP { SP_ALIGN } else { bytes });
                let rt = reg_not(&mut g, &base_regs(rn));
                let rt2 = g.rng.reg();
                let ws = reg_not(&mut g, &[base_regs(rn), vec![rt2]].concat());
                let (acq, rel) = (g.rng.below(2) as u32, g.rng.below(2) as u32);
                let st = excl(size, 0, 0, 0, ws, rel, 31, rn, rt2);
                let first = if kind == 0 {
                    excl(size, 0, 1, 0, 31, acq, 31, rn, rt)
                } else {
                    CLREX
                };
                let name = if kind == 0 {
                    "LDXR; STXR"
                } else {
                    "CLREX; STXR"
                };
                push(&mut g, name, vec![first, st], &[(rn, a)]);
            }
            2 => {
                // [LDXP Rt, Rt2, [Rn]; STXP Ws, Rt3, Rt4, [Rn]].
                let sz = i / 4 % 2;
                let bytes = 8u64 << sz;
                let a = ea(&mut g, bytes, if rn == SP { SP_ALIGN } else { bytes });
                let rt = reg_not(&mut g, &base_regs(rn));
                let rt2 = reg_not(&mut g, &[base_regs(rn), vec![rt]].concat());
                let (rt3, rt4) = (g.rng.reg(), g.rng.reg());
                let ws = reg_not(&mut g, &[base_regs(rn), vec![rt3, rt4]].concat());
                let (acq, rel) = (g.rng.below(2) as u32, g.rng.below(2) as u32);
                let ld = excl(2 | sz, 0, 1, 1, 31, acq, rt2, rn, rt);
                let st = excl(2 | sz, 0, 0, 1, ws, rel, rt4, rn, rt3);
                push(&mut g, "LDXP; STXP", vec![ld, st], &[(rn, a)]);
            }
            _ => {
                // LDAR or STLR alone.
                let size = i / 4 % 4;
                let bytes = 1u64 << size;
                let a = ea(&mut g, bytes, if rn == SP { SP_ALIGN } else { bytes });
                let l = i / 16 % 2;
                let rt = g.rng.reg();
                let w = excl(size, 1, l, 0, 31, 1, 31, rn, rt);
                push(
                    &mut g,
                    if l == 1 { "LDAR" } else { "STLR" },
                    vec![w],
                    &[(rn, a)],
                );
            }
        }
    }
    g.finish()
}

/// Sequences of loads and stores of mixed sizes through one base register (unsigned and
/// unscaled offsets), so stores are read back by wider, narrower and sign-extending loads.
pub fn sequences() -> Vec<Case> {
    let mut g = Gen::new("ls_sequences");
    const MID: u64 = BUF_ADDR + BUF_SIZE as u64 / 2;
    for _ in 0..300 {
        let rb = g.rng.reg30();
        let len = g.rng.range(2, 8);
        let mut words = Vec::new();
        for _ in 0..len {
            let (size, opc, _, bytes) = g.rng.pick(SINGLE);
            let rt = reg_not(&mut g, &[rb]);
            // An aligned address within 64 bytes of the middle, so accesses overlap.
            let ea = MID - 64 + bytes * g.rng.below(128 / bytes);
            let off = ea - (MID - 64); // 0..128
            let w = if g.rng.bool() {
                // LDR/STR (unsigned offset) from base = MID - 64.
                let imm12 = (off / bytes) as u32;
                size << 30 | 0b111 << 27 | 0b01 << 24 | opc << 22 | imm12 << 10 | rb << 5 | rt
            } else {
                // LDUR/STUR from the same base, offset as a signed 9-bit value.
                let imm9 = off as u32 & 0x1ff;
                size << 30 | 0b111 << 27 | opc << 22 | imm9 << 12 | rb << 5 | rt
            };
            words.push(w);
        }
        push(&mut g, "load/store sequence", words, &[(rb, MID - 64)]);
    }
    g.finish()
}
