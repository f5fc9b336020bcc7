//! Advanced SIMD table lookup (Arm ARM C4.1.90, "Advanced SIMD table lookup"): TBL and TBX
//! over a table of one to four consecutive registers (C7.2, TBL/TBX). An index past the
//! table gives 0 (TBL) or leaves the destination byte (TBX).

use super::simd::{check_fp, datasize, elem, lanes};
use super::undefined;
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

/// `0Q00_1110_oo0m_mmmm_0llx_00nn_nnnd_dddd` (x: 0 TBL, 1 TBX).
pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    if i.bits(23, 22) != 0 {
        return undefined();
    }
    check_fp!(cpu);
    let ds = datasize(i);
    let regs = i.bits(14, 13) as usize + 1;
    let is_tbx = i.bit(12);
    let n = i.rn();
    let table: Vec<u128> = (0..regs).map(|k| cpu.vreg(n + k as u32)).collect();
    let indices = cpu.vreg(i.rm());
    let old = cpu.vreg(i.rd());
    let r = lanes((ds / 8) as usize, 8, |e| {
        let idx = elem(indices, e, 8) as usize;
        if idx < 16 * regs {
            elem(table[idx / 16], idx % 16, 8)
        } else if is_tbx {
            elem(old, e, 8)
        } else {
            0
        }
    });
    cpu.set_vreg(i.rd(), ds, r);
    Flow::Next
}
