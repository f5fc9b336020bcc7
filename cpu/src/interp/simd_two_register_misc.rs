//! Advanced SIMD two-register miscellaneous (Arm ARM C4.1.90, "Advanced SIMD two-register
//! miscellaneous" and its scalar form), integer forms: REV16/REV32/REV64, SADDLP/UADDLP,
//! SADALP/UADALP, SUQADD/USQADD, CLS/CLZ, CNT, NOT, RBIT, SQABS/SQNEG, ABS/NEG, the compares
//! against zero (CMGT/CMGE/CMEQ/CMLE/CMLT), XTN/SQXTN/UQXTN/SQXTUN and SHLL (C7.2). The
//! floating-point forms (conversions, rounding, FCMxx zero, FABS/FNEG/FSQRT, the
//! estimates URECPE/URSQRTE/FRECPE/FRSQRTE) are in `simd_fp_misc`.

use super::simd::{check_fp, datasize, elem, int, lanes, ones, sx, Sat};
use super::{simd_fp_misc, undefined};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

pub const REV64: u32 = 0b00000;
pub const REV16: u32 = 0b00001;
pub const SADDLP: u32 = 0b00010;
pub const SUQADD: u32 = 0b00011;
pub const CLS: u32 = 0b00100;
pub const CNT: u32 = 0b00101;
pub const SADALP: u32 = 0b00110;
pub const SQABS: u32 = 0b00111;
pub const CMGT0: u32 = 0b01000;
pub const CMEQ0: u32 = 0b01001;
pub const CMLT0: u32 = 0b01010;
pub const ABS: u32 = 0b01011;
pub const XTN: u32 = 0b10010;
pub const SHLL: u32 = 0b10011;
pub const SQXTN: u32 = 0b10100;

#[inline(always)]
fn mask(c: bool, esize: u32) -> u64 {
    if c {
        ones(esize)
    } else {
        0
    }
}

/// One lane of a same-width operation (everything but the pairwise, narrowing, SHLL and
/// REV forms). `d` is the destination lane (SUQADD/USQADD accumulate into it).
fn lane(opcode: u32, u: bool, size: u32, esize: u32, a: u64, d: u64, sat: &mut Sat) -> u64 {
    let s = sx(a, esize) as i128;
    let m = ones(esize);
    match (opcode, u) {
        (SUQADD, false) => sat.signed(sx(d, esize) as i128 + a as i128, esize),
        (SUQADD, true) => sat.unsigned(d as i128 + s, esize), // USQADD
        (CLS, false) => {
            // Leading sign bits, not counting the sign bit itself.
            let x = if s < 0 { !a & m } else { a };
            (x.leading_zeros() - (64 - esize)).saturating_sub(1) as u64
        }
        (CLS, true) => (a.leading_zeros() - (64 - esize)) as u64, // CLZ
        (CNT, false) => a.count_ones() as u64,
        (CNT, true) if size == 0 => !a & m,             // NOT
        (CNT, true) => (a as u8).reverse_bits() as u64, // RBIT (bytes only)
        (SQABS, false) => sat.signed(s.abs(), esize),
        (SQABS, true) => sat.signed(-s, esize), // SQNEG
        (CMGT0, false) => mask(s > 0, esize),
        (CMGT0, true) => mask(s >= 0, esize), // CMGE
        (CMEQ0, false) => mask(s == 0, esize),
        (CMEQ0, true) => mask(s <= 0, esize), // CMLE
        (CMLT0, _) => mask(s < 0, esize),
        (ABS, false) => s.unsigned_abs() as u64 & m,
        (ABS, true) => (-s) as u64 & m, // NEG
        _ => 0,
    }
}

/// Whether (opcode, U, size) is an allocated integer encoding of the vector form; `Err`
/// carries the floating-point forms.
fn classify(opcode: u32, u: bool, size: u32, q: bool) -> Result<bool, ()> {
    let ok = match (opcode, u) {
        (REV64, _) => size < 3 - u as u32, // REV64: B/H/S; REV32: B/H
        (REV16, false) => size == 0,
        (REV16, true) => false,
        (SADDLP | SADALP, _) => size != 3,
        (SUQADD | SQABS | CMGT0 | CMEQ0 | ABS, _) => size != 3 || q,
        (CMLT0, false) => size != 3 || q,
        (CMLT0, true) => false,
        (CLS, _) => size != 3,
        (CNT, false) => size == 0,
        (CNT, true) => size <= 1, // NOT, RBIT
        (XTN | SQXTN, _) => size != 3,
        (SHLL, true) => size != 3,
        (SHLL, false) => false,
        // 0b01100..0b01111 with size<1> = 1 are FCMxx zero / FABS / FNEG; 0b10110 and up
        // are conversions, rounding and estimates.
        _ if simd_fp_misc::is_fp(opcode, size) => return Err(()),
        _ => false,
    };
    Ok(ok)
}

/// `0QU0_1110_zz10_000o_oooo_10nn_nnnd_dddd`.
pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let opcode = i.bits(16, 12);
    let u = i.bit(29);
    let q = i.bit(30);
    let size = i.bits(23, 22);
    match classify(opcode, u, size, q) {
        Err(()) => return simd_fp_misc::two_reg_misc(cpu, i),
        Ok(false) => return undefined(),
        Ok(true) => {}
    }
    check_fp!(cpu);
    // NOT and RBIT work on bytes; their size field selects the operation.
    let esize = if opcode == CNT && u { 8 } else { 8u32 << size };
    let ds = datasize(i);
    let elements = (ds / esize) as usize;
    let (n, d) = (i.rn(), i.rd());
    let (a, dst) = (cpu.vreg(n), cpu.vreg(d));
    let mut sat = Sat::default();
    match opcode {
        REV64 | REV16 => {
            // REV64/REV32/REV16: reverse the lanes inside each 64/32/16-bit container.
            let container = match (opcode, u) {
                (REV16, _) => 16,
                (_, true) => 32,
                _ => 64,
            };
            let per = (container / esize) as usize;
            let r = lanes(elements, esize, |e| {
                let base = e - e % per;
                elem(a, base + per - 1 - e % per, esize)
            });
            cpu.set_vreg(d, ds, r);
        }
        SADDLP | SADALP => {
            let r = lanes(elements / 2, 2 * esize, |e| {
                let x = int(elem(a, 2 * e, esize), esize, u);
                let y = int(elem(a, 2 * e + 1, esize), esize, u);
                let sum = (x + y) as u64;
                if opcode == SADALP {
                    sum.wrapping_add(elem(dst, e, 2 * esize))
                } else {
                    sum
                }
            });
            cpu.set_vreg(d, ds, r);
        }
        XTN | SQXTN => {
            let r = lanes(64 / esize as usize, esize, |e| {
                narrow(opcode, u, esize, elem(a, e, 2 * esize), &mut sat)
            });
            cpu.set_vpart(d, q, r as u64);
        }
        SHLL => {
            let src = cpu.vpart(n, q) as u128;
            let r = lanes(64 / esize as usize, 2 * esize, |e| {
                elem(src, e, esize) << esize
            });
            cpu.set_vreg(d, 128, r);
        }
        _ => {
            let r = lanes(elements, esize, |e| {
                lane(
                    opcode,
                    u,
                    size,
                    esize,
                    elem(a, e, esize),
                    elem(dst, e, esize),
                    &mut sat,
                )
            });
            cpu.set_vreg(d, ds, r);
        }
    }
    cpu.note_saturation(sat.0);
    Flow::Next
}

/// One lane of XTN (U=0 opcode XTN), SQXTUN (U=1 opcode XTN), SQXTN and UQXTN, from a
/// 2*esize source lane.
fn narrow(opcode: u32, u: bool, esize: u32, a: u64, sat: &mut Sat) -> u64 {
    match (opcode, u) {
        (XTN, false) => a & ones(esize),
        (XTN, true) => sat.unsigned(int(a, 2 * esize, false), esize), // SQXTUN
        (_, u) => sat.sat(int(a, 2 * esize, u), esize, u),
    }
}

/// `01U1_1110_zz10_000o_oooo_10nn_nnnd_dddd`: SUQADD/USQADD, SQABS/SQNEG, the compares
/// against zero and ABS/NEG (64-bit only), SQXTN/UQXTN/SQXTUN.
pub fn scalar(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let opcode = i.bits(16, 12);
    let u = i.bit(29);
    let size = i.bits(23, 22);
    let ok = match (opcode, u) {
        (SUQADD | SQABS, _) => true,
        (CMGT0 | CMEQ0 | ABS, _) | (CMLT0, false) => size == 3,
        (XTN, true) | (SQXTN, _) => size != 3,
        _ if simd_fp_misc::is_fp(opcode, size) => return simd_fp_misc::scalar_two_reg_misc(cpu, i),
        _ => false,
    };
    if !ok {
        return undefined();
    }
    check_fp!(cpu);
    let esize = 8u32 << size;
    let (a, dst) = (cpu.vreg(i.rn()), cpu.vreg(i.rd()));
    let mut sat = Sat::default();
    let r = if matches!(opcode, XTN | SQXTN) {
        narrow(opcode, u, esize, elem(a, 0, 2 * esize), &mut sat)
    } else {
        lane(
            opcode,
            u,
            size,
            esize,
            elem(a, 0, esize),
            elem(dst, 0, esize),
            &mut sat,
        )
    };
    cpu.note_saturation(sat.0);
    cpu.set_vreg(i.rd(), 128, r as u128);
    Flow::Next
}
