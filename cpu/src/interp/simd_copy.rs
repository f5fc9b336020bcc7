//! Advanced SIMD copy (Arm ARM C4.1.90, "Advanced SIMD copy") and its scalar form
//! ("Advanced SIMD scalar copy"): DUP (element and general), INS (element and general),
//! SMOV and UMOV, and DUP (element) to a scalar (the MOV scalar alias). The element size is
//! the lowest set bit of imm5 and the lane index the bits above it (C7.2, DUP et al.).

use super::simd::{check_fp, datasize, elem, lowest_set_bit, replicate, sx, with_elem};
use super::undefined;
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

const IMM4_DUP_ELEMENT: u32 = 0b0000;
const IMM4_DUP_GENERAL: u32 = 0b0001;
const IMM4_INS_GENERAL: u32 = 0b0011;
const IMM4_SMOV: u32 = 0b0101;
const IMM4_UMOV: u32 = 0b0111;

/// (size, index) from imm5: size = LowestSetBit(imm5) (only 0..=3 allocated).
fn size_index(imm5: u32) -> Option<(u32, usize)> {
    let size = lowest_set_bit(imm5 & 0xf)?;
    Some((size, (imm5 >> (size + 1)) as usize))
}

/// The vector copy group: `0Qo0_1110_000i_iiii_0iii_i1nn_nnnd_dddd`.
pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let q = i.bit(30);
    let op = i.bit(29);
    let imm4 = i.bits(14, 11);
    let Some((size, index)) = size_index(i.bits(20, 16)) else {
        return undefined();
    };
    let esize = 8u32 << size;
    let (d, n) = (i.rd(), i.rn());
    if op {
        // INS (element): Q must be 1.
        if !q {
            return undefined();
        }
        check_fp!(cpu);
        let src = elem(cpu.vreg(n), (imm4 >> size) as usize, esize);
        let r = with_elem(cpu.vreg(d), index, esize, src);
        cpu.set_vreg(d, 128, r);
        return Flow::Next;
    }
    match imm4 {
        IMM4_DUP_ELEMENT | IMM4_DUP_GENERAL => {
            if size == 3 && !q {
                return undefined();
            }
            check_fp!(cpu);
            let x = if imm4 == IMM4_DUP_ELEMENT {
                elem(cpu.vreg(n), index, esize)
            } else {
                cpu.s.xr(n)
            };
            cpu.set_vreg(d, datasize(i), replicate(x, esize, 128));
        }
        IMM4_INS_GENERAL if q => {
            check_fp!(cpu);
            let r = with_elem(cpu.vreg(d), index, esize, cpu.s.xr(n));
            cpu.set_vreg(d, 128, r);
        }
        IMM4_SMOV => {
            // Q selects the X (1) or W (0) destination; the element must be narrower.
            if size >= if q { 3 } else { 2 } {
                return undefined();
            }
            check_fp!(cpu);
            let x = sx(elem(cpu.vreg(n), index, esize), esize) as u64;
            cpu.s.set_rr(q, d, x);
        }
        IMM4_UMOV => {
            // UMOV Wd takes B, H or S; UMOV Xd (MOV Xd, Vn.D[i]) only D.
            if (q && size != 3) || (!q && size == 3) {
                return undefined();
            }
            check_fp!(cpu);
            cpu.s.set_rr(q, d, elem(cpu.vreg(n), index, esize));
        }
        _ => return undefined(),
    }
    Flow::Next
}

/// `01o1_1110_000i_iiii_0iii_i1nn_nnnd_dddd`: only DUP (element), scalar, with op = 0 and
/// imm4 = 0000 is allocated.
pub fn scalar(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    if i.bit(29) || i.bits(14, 11) != IMM4_DUP_ELEMENT {
        return undefined();
    }
    let Some((size, index)) = size_index(i.bits(20, 16)) else {
        return undefined();
    };
    check_fp!(cpu);
    let esize = 8u32 << size;
    let x = elem(cpu.vreg(i.rn()), index, esize);
    cpu.set_vreg(i.rd(), 128, x as u128);
    Flow::Next
}

#[cfg(test)]
#[path = "simd_data_movement_tests.rs"]
mod tests;
