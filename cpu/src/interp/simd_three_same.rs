//! Advanced SIMD three same (Arm ARM C4.1.90, "Advanced SIMD three same" and "Advanced SIMD
//! scalar three same"), integer and logical forms: halving, saturating, rounding and
//! shifting arithmetic, compares, min/max, absolute difference, multiplies, pairwise ops
//! and AND/BIC/ORR/ORN/EOR/BSL/BIT/BIF. Each lane follows the instruction's pseudocode in
//! C7.2; the floating-point forms (opcode 11xxx) are in `simd_fp_arith`.

use super::simd::{check_fp, datasize, elem, int, lanes, ones, pmul, shift_round, sx, Sat};
use super::{simd_fp_arith, undefined};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

pub const SHADD: u32 = 0b00000;
pub const SQADD: u32 = 0b00001;
pub const SRHADD: u32 = 0b00010;
pub const LOGIC: u32 = 0b00011;
pub const SHSUB: u32 = 0b00100;
pub const SQSUB: u32 = 0b00101;
pub const CMGT: u32 = 0b00110;
pub const CMGE: u32 = 0b00111;
pub const SSHL: u32 = 0b01000;
pub const SQSHL: u32 = 0b01001;
pub const SRSHL: u32 = 0b01010;
pub const SQRSHL: u32 = 0b01011;
pub const SMAX: u32 = 0b01100;
pub const SMIN: u32 = 0b01101;
pub const SABD: u32 = 0b01110;
pub const SABA: u32 = 0b01111;
pub const ADD: u32 = 0b10000;
pub const CMTST: u32 = 0b10001;
pub const MLA: u32 = 0b10010;
pub const MUL: u32 = 0b10011;
pub const SMAXP: u32 = 0b10100;
pub const SMINP: u32 = 0b10101;
pub const SQDMULH: u32 = 0b10110;
pub const ADDP: u32 = 0b10111;
/// Opcodes 11xxx are the floating-point three-same instructions.
const FP_FIRST: u32 = 0b11000;

/// An all-ones or all-zeros lane from a compare result.
#[inline(always)]
fn mask(c: bool, esize: u32) -> u64 {
    if c {
        ones(esize)
    } else {
        0
    }
}

/// SQDMULH/SQRDMULH of one lane: SignedSatQ((2*a*b + round) >> esize).
pub fn sqdmulh(a: u64, b: u64, esize: u32, round: bool, sat: &mut Sat) -> u64 {
    let p = 2 * sx(a, esize) as i128 * sx(b, esize) as i128;
    let r = if round { 1i128 << (esize - 1) } else { 0 };
    sat.signed((p + r) >> esize, esize)
}

/// One lane of an integer three-same instruction (every opcode but LOGIC), with `d` the
/// destination lane for the accumulating forms. The caller has checked the encoding.
pub fn lane(opcode: u32, u: bool, esize: u32, a: u64, b: u64, d: u64, sat: &mut Sat) -> u64 {
    let (x, y) = (int(a, esize, u), int(b, esize, u));
    let shift = sx(b & 0xff, 8) as i32;
    let m = ones(esize);
    match opcode {
        SHADD => ((x + y) >> 1) as u64 & m,
        SQADD => sat.sat(x + y, esize, u),
        SRHADD => ((x + y + 1) >> 1) as u64 & m,
        SHSUB => ((x - y) >> 1) as u64 & m,
        SQSUB => sat.sat(x - y, esize, u),
        CMGT => mask(x > y, esize),
        CMGE => mask(x >= y, esize),
        SSHL => shift_round(x, shift, false) as u64 & m,
        SQSHL => sat.sat(shift_round(x, shift, false), esize, u),
        SRSHL => shift_round(x, shift, true) as u64 & m,
        SQRSHL => sat.sat(shift_round(x, shift, true), esize, u),
        SMAX | SMAXP => x.max(y) as u64 & m,
        SMIN | SMINP => x.min(y) as u64 & m,
        SABD => (x - y).unsigned_abs() as u64 & m,
        SABA => d.wrapping_add((x - y).unsigned_abs() as u64) & m,
        ADD if u => a.wrapping_sub(b) & m,
        ADD | ADDP => a.wrapping_add(b) & m,
        CMTST if u => mask(a == b, esize),
        CMTST => mask(a & b != 0, esize),
        MLA if u => d.wrapping_sub(a.wrapping_mul(b)) & m,
        MLA => d.wrapping_add(a.wrapping_mul(b)) & m,
        MUL if u => pmul(a, b) as u64 & m,
        MUL => a.wrapping_mul(b) & m,
        SQDMULH => sqdmulh(a, b, esize, u, sat),
        _ => 0,
    }
}

/// Opcodes that allow 64-bit lanes (size = 11) in the vector form.
fn allows_64(opcode: u32) -> bool {
    matches!(
        opcode,
        SQADD | SQSUB | CMGT | CMGE | SSHL | SQSHL | SRSHL | SQRSHL | ADD | CMTST | ADDP
    )
}

/// `0QU0_1110_zz1m_mmmm_oooo_o1nn_nnnd_dddd`.
pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let opcode = i.bits(15, 11);
    let u = i.bit(29);
    let size = i.bits(23, 22);
    let q = i.bit(30);
    if opcode >= FP_FIRST {
        return simd_fp_arith::three_same(cpu, i);
    }
    if opcode == LOGIC {
        check_fp!(cpu);
        return logic(cpu, i);
    }
    let reserved = (size == 3 && !(allows_64(opcode) && q))
        || (opcode == MUL && u && size != 0)
        || (opcode == SQDMULH && (size == 0 || size == 3))
        || (opcode == ADDP && u);
    if reserved {
        return undefined();
    }
    check_fp!(cpu);
    let ds = datasize(i);
    let esize = 8u32 << size;
    let elements = (ds / esize) as usize;
    let (a, b, d) = (cpu.vreg(i.rn()), cpu.vreg(i.rm()), cpu.vreg(i.rd()));
    let mut sat = Sat::default();
    let r = if matches!(opcode, SMAXP | SMINP | ADDP) {
        // concat = operand2:operand1; each result lane combines a pair of adjacent lanes.
        let half = elements / 2;
        lanes(elements, esize, |e| {
            let (src, k) = if e < half {
                (a, 2 * e)
            } else {
                (b, 2 * (e - half))
            };
            let (x, y) = (elem(src, k, esize), elem(src, k + 1, esize));
            lane(opcode, u, esize, x, y, 0, &mut sat)
        })
    } else {
        lanes(elements, esize, |e| {
            let (x, y, z) = (elem(a, e, esize), elem(b, e, esize), elem(d, e, esize));
            lane(opcode, u, esize, x, y, z, &mut sat)
        })
    };
    cpu.note_saturation(sat.0);
    cpu.set_vreg(i.rd(), ds, r);
    Flow::Next
}

/// AND, BIC, ORR, ORN (U = 0) and EOR, BSL, BIT, BIF (U = 1), selected by `size`.
fn logic(cpu: &mut Cpu, i: Insn) -> Flow {
    let (a, b, d) = (cpu.vreg(i.rn()), cpu.vreg(i.rm()), cpu.vreg(i.rd()));
    let r = match (i.bit(29), i.bits(23, 22)) {
        (false, 0) => a & b,
        (false, 1) => a & !b,
        (false, 2) => a | b,
        (false, _) => a | !b,
        (true, 0) => a ^ b,
        (true, 1) => (d & a) | (!d & b), // BSL: d selects a
        (true, 2) => (b & a) | (!b & d), // BIT: insert a where b is set
        (true, _) => (!b & a) | (b & d), // BIF: insert a where b is clear
    };
    cpu.set_vreg(i.rd(), datasize(i), r);
    Flow::Next
}

/// `01U1_1110_zz1m_mmmm_oooo_o1nn_nnnd_dddd`: the scalar forms on one lane of Vn and Vm.
pub fn scalar(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let opcode = i.bits(15, 11);
    let u = i.bit(29);
    let size = i.bits(23, 22);
    if opcode >= FP_FIRST {
        return simd_fp_arith::scalar_three_same(cpu, i);
    }
    let ok = match opcode {
        SQADD | SQSUB | SQSHL | SQRSHL => true,
        CMGT | CMGE | SSHL | SRSHL | ADD | CMTST => size == 3,
        SQDMULH => size == 1 || size == 2,
        _ => false,
    };
    if !ok {
        return undefined();
    }
    check_fp!(cpu);
    let esize = 8u32 << size;
    let a = elem(cpu.vreg(i.rn()), 0, esize);
    let b = elem(cpu.vreg(i.rm()), 0, esize);
    let mut sat = Sat::default();
    let r = lane(opcode, u, esize, a, b, 0, &mut sat);
    cpu.note_saturation(sat.0);
    cpu.set_vreg(i.rd(), 128, r as u128);
    Flow::Next
}

#[cfg(test)]
#[path = "simd_arithmetic_tests.rs"]
mod tests;
