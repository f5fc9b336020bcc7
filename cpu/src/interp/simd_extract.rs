//! Advanced SIMD extract (Arm ARM C4.1.90, "Advanced SIMD extract"): EXT, bytes from the
//! concatenation Vm:Vn starting at byte `imm4` (C7.2, EXT).

use super::simd::{check_fp, datasize, trunc_v};
use super::undefined;
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

/// `0Q10_1110_oo0m_mmmm_0iii_i0nn_nnnd_dddd`.
pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let imm4 = i.bits(14, 11);
    let q = i.bit(30);
    if i.bits(23, 22) != 0 || (!q && imm4 & 0b1000 != 0) {
        return undefined();
    }
    check_fp!(cpu);
    let ds = datasize(i);
    let lo = trunc_v(cpu.vreg(i.rn()), ds);
    let hi = trunc_v(cpu.vreg(i.rm()), ds);
    let pos = imm4 * 8;
    // (hi:lo) >> pos, keeping datasize bits; pos < datasize.
    let r = if pos == 0 {
        lo
    } else {
        (lo >> pos) | (hi << (ds - pos))
    };
    cpu.set_vreg(i.rd(), ds, r);
    Flow::Next
}
