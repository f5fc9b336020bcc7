//! Advanced SIMD permute (Arm ARM C4.1.90, "Advanced SIMD permute"): UZP1/UZP2, TRN1/TRN2
//! and ZIP1/ZIP2, following their pseudocode in C7.2. `part` (opcode bit 2) picks the
//! odd-numbered (2) or even-numbered (1) elements.

use super::simd::{check_fp, datasize, elem, lanes};
use super::undefined;
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

const OP_UZP: u32 = 0b01;
const OP_TRN: u32 = 0b10;
const OP_ZIP: u32 = 0b11;

/// `0Q00_1110_zz0m_mmmm_0ooo_10nn_nnnd_dddd`.
pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let opcode = i.bits(14, 12);
    let size = i.bits(23, 22);
    let q = i.bit(30);
    if opcode & 0b11 == 0 || (size == 3 && !q) {
        return undefined();
    }
    check_fp!(cpu);
    let part = (opcode >> 2) as usize;
    let esize = 8u32 << size;
    let ds = datasize(i);
    let elements = (ds / esize) as usize;
    let pairs = elements / 2;
    let (a, b) = (cpu.vreg(i.rn()), cpu.vreg(i.rm()));
    let r = match opcode & 0b11 {
        OP_UZP => lanes(elements, esize, |e| {
            // zipped = operand2:operand1, as one 2*datasize vector.
            let k = 2 * e + part;
            if k < elements {
                elem(a, k, esize)
            } else {
                elem(b, k - elements, esize)
            }
        }),
        OP_TRN => lanes(elements, esize, |e| {
            let src = if e % 2 == 0 { a } else { b };
            elem(src, (e & !1) + part, esize)
        }),
        OP_ZIP => lanes(elements, esize, |e| {
            let src = if e % 2 == 0 { a } else { b };
            elem(src, part * pairs + e / 2, esize)
        }),
        _ => unreachable!("opcode<1:0> = 00 is refused above"),
    };
    cpu.set_vreg(i.rd(), ds, r);
    Flow::Next
}
