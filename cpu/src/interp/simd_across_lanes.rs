//! Advanced SIMD across lanes (Arm ARM C4.1.90, "Advanced SIMD across lanes") and scalar
//! pairwise ("Advanced SIMD scalar pairwise"), integer forms: ADDV, SADDLV/UADDLV,
//! SMAXV/UMAXV, SMINV/UMINV, and ADDP (scalar). The FP reductions (FMAXNMV, FMAXV, FMINNMV,
//! FMINV, FADDP, FMAXP, ... scalar) are in `simd_fp_arith`.

use super::simd::{check_fp, datasize, elem, int, ones};
use super::{simd_fp_arith, undefined};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

const SADDLV: u32 = 0b00011;
const SMAXV: u32 = 0b01010;
const SMINV: u32 = 0b11010;
const ADDV: u32 = 0b11011;
/// FMAXNMV/FMINNMV (0b01100), FMAXV/FMINV (0b01111).
const FP_OPCODES: [u32; 2] = [0b01100, 0b01111];

/// `0QU0_1110_zz11_000o_oooo_10nn_nnnd_dddd`.
pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let opcode = i.bits(16, 12);
    let u = i.bit(29);
    let q = i.bit(30);
    let size = i.bits(23, 22);
    if FP_OPCODES.contains(&opcode) {
        return simd_fp_arith::across_lanes(cpu, i);
    }
    let known = matches!(opcode, SADDLV | SMAXV | SMINV) || (opcode == ADDV && !u);
    // 64-bit lanes are reserved, and so are two 32-bit lanes (4S only).
    if !known || size == 3 || (size == 2 && !q) {
        return undefined();
    }
    check_fp!(cpu);
    let esize = 8u32 << size;
    let elements = (datasize(i) / esize) as usize;
    let v = cpu.vreg(i.rn());
    let vals = (0..elements).map(|e| int(elem(v, e, esize), esize, u));
    let r = match opcode {
        SADDLV => vals.sum::<i128>() as u64 & ones(2 * esize),
        SMAXV => vals.max().unwrap_or(0) as u64 & ones(esize),
        SMINV => vals.min().unwrap_or(0) as u64 & ones(esize),
        _ => vals.sum::<i128>() as u64 & ones(esize),
    };
    cpu.set_vreg(i.rd(), 128, r as u128);
    Flow::Next
}

/// `01U1_1110_zz11_000o_oooo_10nn_nnnd_dddd`: ADDP (scalar) adds the two D lanes.
pub fn scalar_pairwise(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let opcode = i.bits(16, 12);
    let u = i.bit(29);
    if opcode == ADDV && !u {
        if i.bits(23, 22) != 3 {
            return undefined();
        }
        check_fp!(cpu);
        let v = cpu.vreg(i.rn());
        let r = elem(v, 0, 64).wrapping_add(elem(v, 1, 64));
        cpu.set_vreg(i.rd(), 128, r as u128);
        return Flow::Next;
    }
    // FMAXNMP, FADDP, FMAXP, FMINNMP, FMINP (scalar).
    if matches!(opcode, 0b01100 | 0b01101 | 0b01111) {
        return simd_fp_arith::scalar_pairwise(cpu, i);
    }
    undefined()
}
