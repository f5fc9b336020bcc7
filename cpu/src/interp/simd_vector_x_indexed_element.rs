//! Advanced SIMD vector x indexed element (Arm ARM C4.1.90, "Advanced SIMD vector x indexed
//! element" and "Advanced SIMD scalar x indexed element"), integer forms: MUL, MLA, MLS,
//! SMULL/UMULL, SMLAL/UMLAL, SMLSL/UMLSL, SQDMULL, SQDMLAL, SQDMLSL, SQDMULH and SQRDMULH
//! by element (C7.2). The index is H:L:M for 16-bit lanes (Vm limited to V0–V15) and H:L
//! for 32-bit lanes. The FP forms (FMLA, FMLS, FMUL, FMULX by element) are in
//! `simd_fp_arith`.

use super::simd::{check_fp, datasize, elem, lanes, Sat};
use super::simd_three_different::{self as td, long_lane};
use super::simd_three_same::sqdmulh;
use super::{simd_fp_arith, undefined};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

const MLA: u32 = 0b0000; // U = 1
const SMLAL: u32 = 0b0010;
const SQDMLAL: u32 = 0b0011;
const MLS: u32 = 0b0100; // U = 1
const SMLSL: u32 = 0b0110;
const SQDMLSL: u32 = 0b0111;
const MUL: u32 = 0b1000;
const SMULL: u32 = 0b1010;
const SQDMULL: u32 = 0b1011;
const SQDMULH: u32 = 0b1100;
const SQRDMULH: u32 = 0b1101;
/// FMLA (0001), FMLS (0101), FMUL/FMULX (1001).
const FP_OPCODES: [u32; 3] = [0b0001, 0b0101, 0b1001];

/// (esize, index, Rm) of the by-element operand, or None for a reserved size.
fn element(i: Insn) -> Option<(u32, usize, u32)> {
    let (h, l, mbit) = (i.bit(11) as u32, i.bit(21) as u32, i.bit(20) as u32);
    match i.bits(23, 22) {
        1 => Some((16, (h << 2 | l << 1 | mbit) as usize, i.bits(19, 16))),
        2 => Some((32, (h << 1 | l) as usize, i.bits(20, 16))),
        _ => None,
    }
}

/// The long opcode of three different that a by-element long opcode computes.
fn long_opcode(opcode: u32) -> u32 {
    match opcode {
        SMLAL => td::SMLAL,
        SQDMLAL => td::SQDMLAL,
        SMLSL => td::SMLSL,
        SQDMLSL => td::SQDMLSL,
        SMULL => td::SMULL,
        _ => td::SQDMULL,
    }
}

/// `0QU0_1111_zzLM_mmmm_oooo_H0nn_nnnd_dddd`.
pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let opcode = i.bits(15, 12);
    let u = i.bit(29);
    let q = i.bit(30);
    if FP_OPCODES.contains(&opcode) {
        return simd_fp_arith::by_element(cpu, i);
    }
    let known = match opcode {
        MLA | MLS => u,
        SMLAL | SMLSL | SMULL => true,
        SQDMLAL | SQDMLSL | SQDMULL | MUL | SQDMULH | SQRDMULH => !u,
        _ => false,
    };
    let Some((esize, index, m)) = element(i) else {
        return undefined();
    };
    if !known {
        return undefined();
    }
    check_fp!(cpu);
    let (n, d) = (i.rn(), i.rd());
    let b = elem(cpu.vreg(m), index, esize);
    let mut sat = Sat::default();
    match opcode {
        MLA | MLS | MUL | SQDMULH | SQRDMULH => {
            let ds = datasize(i);
            let (a, acc) = (cpu.vreg(n), cpu.vreg(d));
            let r = lanes((ds / esize) as usize, esize, |e| {
                let (x, z) = (elem(a, e, esize), elem(acc, e, esize));
                let p = x.wrapping_mul(b);
                match opcode {
                    MLA => z.wrapping_add(p),
                    MLS => z.wrapping_sub(p),
                    MUL => p,
                    _ => sqdmulh(x, b, esize, opcode == SQRDMULH, &mut sat),
                }
            });
            cpu.set_vreg(d, ds, r);
        }
        _ => {
            let (a, acc) = (cpu.vpart(n, q) as u128, cpu.vreg(d));
            let lop = long_opcode(opcode);
            let r = lanes((64 / esize) as usize, 2 * esize, |e| {
                let z = elem(acc, e, 2 * esize);
                long_lane(lop, u, esize, elem(a, e, esize), b, z, &mut sat)
            });
            cpu.set_vreg(d, 128, r);
        }
    }
    cpu.note_saturation(sat.0);
    Flow::Next
}

/// `01U1_1111_zzLM_mmmm_oooo_H0nn_nnnd_dddd`: SQDMLAL, SQDMLSL, SQDMULL, SQDMULH and
/// SQRDMULH (by element) on scalars.
pub fn scalar(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let opcode = i.bits(15, 12);
    if FP_OPCODES.contains(&opcode) {
        return simd_fp_arith::scalar_by_element(cpu, i);
    }
    let known = !i.bit(29) && matches!(opcode, SQDMLAL | SQDMLSL | SQDMULL | SQDMULH | SQRDMULH);
    let Some((esize, index, m)) = element(i) else {
        return undefined();
    };
    if !known {
        return undefined();
    }
    check_fp!(cpu);
    let a = elem(cpu.vreg(i.rn()), 0, esize);
    let b = elem(cpu.vreg(m), index, esize);
    let mut sat = Sat::default();
    let r = match opcode {
        SQDMULH | SQRDMULH => sqdmulh(a, b, esize, opcode == SQRDMULH, &mut sat),
        _ => {
            let acc = elem(cpu.vreg(i.rd()), 0, 2 * esize);
            long_lane(long_opcode(opcode), false, esize, a, b, acc, &mut sat)
        }
    };
    cpu.note_saturation(sat.0);
    cpu.set_vreg(i.rd(), 128, r as u128);
    Flow::Next
}
