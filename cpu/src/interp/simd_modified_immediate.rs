//! Advanced SIMD modified immediate (Arm ARM C4.1.90, "Advanced SIMD modified immediate"):
//! MOVI, MVNI, ORR and BIC (vector, immediate) and FMOV (vector, immediate), with the
//! immediate expanded by AdvSIMDExpandImm() (J1).

use super::simd::{check_fp, datasize};
use super::undefined;
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

/// What the instruction does with the expanded immediate.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Movi,
    Mvni,
    Orr,
    Bic,
}

/// Replicates a 32- or 16-bit pattern to 64 bits.
const fn rep(x: u64, esize: u32) -> u64 {
    let mut r = 0;
    let mut i = 0;
    while i < 64 {
        r |= x << i;
        i += esize;
    }
    r
}

/// AdvSIMDExpandImm(op, cmode, imm8): the 64-bit immediate (replicated to 128 by callers).
pub const fn expand_imm(op: bool, cmode: u32, imm8: u64) -> u64 {
    let imm8 = imm8 & 0xff;
    match cmode >> 1 {
        0b000 => rep(imm8, 32),
        0b001 => rep(imm8 << 8, 32),
        0b010 => rep(imm8 << 16, 32),
        0b011 => rep(imm8 << 24, 32),
        0b100 => rep(imm8, 16),
        0b101 => rep(imm8 << 8, 16),
        0b110 => {
            if cmode & 1 == 0 {
                rep(imm8 << 8 | 0xff, 32)
            } else {
                rep(imm8 << 16 | 0xffff, 32)
            }
        }
        _ => match (cmode & 1, op) {
            (0, false) => rep(imm8, 8),
            (0, true) => {
                // Each bit of imm8 becomes a byte of ones or zeros.
                let mut r = 0u64;
                let mut b = 0;
                while b < 8 {
                    if (imm8 >> b) & 1 == 1 {
                        r |= 0xff << (8 * b);
                    }
                    b += 1;
                }
                r
            }
            (_, false) => {
                // Single precision: a:NOT(b):b×5:cdefgh:Zeros(19).
                let (a, b) = (imm8 >> 7, (imm8 >> 6) & 1);
                let bs = if b == 1 { 0b1_1111 } else { 0 };
                rep(a << 31 | (b ^ 1) << 30 | bs << 25 | (imm8 & 0x3f) << 19, 32)
            }
            (_, true) => {
                // Double precision: a:NOT(b):b×8:cdefgh:Zeros(48).
                let (a, b) = (imm8 >> 7, (imm8 >> 6) & 1);
                let bs = if b == 1 { 0xff } else { 0 };
                a << 63 | (b ^ 1) << 62 | bs << 54 | (imm8 & 0x3f) << 48
            }
        },
    }
}

/// `0Qo0_1111_0000_0abc_cccc_o1de_fghd_dddd`.
pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let q = i.bit(30);
    let op = i.bit(29);
    let cmode = i.bits(15, 12);
    let o2 = i.bit(11);
    let imm8 = (i.bits(18, 16) << 5 | i.bits(9, 5)) as u64;
    if o2 {
        return undefined(); // FMOV (vector, immediate) half precision is FEAT_FP16
    }
    let action = match (cmode, op) {
        (0b1111, true) if !q => return undefined(), // FMOV Vd.1D does not exist
        (0b1110 | 0b1111, _) => Op::Movi,           // MOVI 8/64-bit, FMOV single/double
        (c, false) if c & 0b1110 == 0b1100 => Op::Movi, // 32-bit shifting ones
        (c, true) if c & 0b1110 == 0b1100 => Op::Mvni,
        (c, false) if c & 1 == 0 => Op::Movi,
        (c, true) if c & 1 == 0 => Op::Mvni,
        (_, false) => Op::Orr,
        (_, true) => Op::Bic,
    };
    check_fp!(cpu);
    let imm = expand_imm(op, cmode, imm8) as u128;
    let imm = imm << 64 | imm;
    let d = i.rd();
    let r = match action {
        Op::Movi => imm,
        Op::Mvni => !imm,
        Op::Orr => cpu.vreg(d) | imm,
        Op::Bic => cpu.vreg(d) & !imm,
    };
    cpu.set_vreg(d, datasize(i), r);
    Flow::Next
}
