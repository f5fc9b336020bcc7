//! Load register (literal) (Arm ARM C4.1.88; the LDR (literal), LDRSW (literal), PRFM
//! (literal) and LDR (literal, SIMD&FP) pages of C6.2): a PC-relative load, imm19 words.

use super::load_store::{self as ls, flow, MemOp, Reg, Single, UNDEFINED};
use crate::cpu::Cpu;
use crate::exception::Exception;
use crate::exec::Flow;
use crate::insn::{sext, Insn};
use crate::mem::Mem;

pub fn exec(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    flow(literal(cpu, m, i))
}

fn literal(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Result<(), Exception> {
    let v = i.bit(26);
    let s = decode(i.bits(31, 30), v).ok_or(UNDEFINED)?;
    if v {
        ls::check_fp_enabled(cpu)?;
    }
    let offset = sext((i.bits(23, 5) as u64) << 2, 21);
    ls::access(cpu, m, s, i.rt(), cpu.s.pc.wrapping_add(offset))
}

/// opc:V of the literal class.
fn decode(opc: u32, v: bool) -> Option<Single> {
    let gpr = |sf, signed| Reg::Gpr { sf, signed };
    let (op, reg, size) = match (v, opc) {
        (false, 0b00) => (MemOp::Load, gpr(false, false), 4),
        (false, 0b01) => (MemOp::Load, gpr(true, false), 8),
        (false, 0b10) => (MemOp::Load, gpr(true, true), 4),
        (false, _) => (MemOp::Prefetch, gpr(true, false), 8),
        (true, 0b00) => (MemOp::Load, Reg::Fp, 4),
        (true, 0b01) => (MemOp::Load, Reg::Fp, 8),
        (true, 0b10) => (MemOp::Load, Reg::Fp, 16),
        (true, _) => return None,
    };
    Some(Single { op, reg, size })
}

#[cfg(test)]
mod tests {
    use crate::testing::{END_MARKER, RAM_BASE};
    use crate::{a64, cpu_test};

    const VBAR: u64 = RAM_BASE + 0x8000;

    cpu_test! {
        fn general_purpose_literals(t) {
            // The program ends at its own end marker; the literal pool follows it.
            t.load(&a64!(
                ; ldr w0, >word
                ; ldr x1, >dword
                ; ldrsw x2, >word
                ; ldrsw x3, >pos
                ; ldr x4, >word
                ; .u32 END_MARKER
                ; word:
                ; .u32 0x8000_0001
                ; pos:
                ; .u32 0x7fff_ffff
                ; dword:
                ; .u64 0x0123_4567_89ab_cdef
            ));
            t.set_x(0, u64::MAX);
            t.run();
            assert_eq!(t.x(0), 0x8000_0001);
            assert_eq!(t.x(1), 0x0123_4567_89ab_cdef);
            assert_eq!(t.x(2), 0xffff_ffff_8000_0001);
            assert_eq!(t.x(3), 0x7fff_ffff);
            // LDR X of a word: the word and the one after it.
            assert_eq!(t.x(4), 0x7fff_ffff_8000_0001);
        }

        fn backward_literal_has_a_negative_offset(t) {
            t.load(&a64!(
                ; back:
                ; .u64 0xfedc_ba98_7654_3210
                ; ldr x0, <back
            ));
            t.cpu.s.pc = RAM_BASE + 8;
            t.run();
            assert_eq!(t.x(0), 0xfedc_ba98_7654_3210);
        }

        fn simd_fp_literals(t) {
            t.load(&a64!(
                ; ldr s0, >lit
                ; ldr d1, >lit
                ; ldr q2, >lit
                ; .u32 END_MARKER
                ; .align 16
                ; lit:
                ; .u64 0x8877_6655_4433_2211
                ; .u64 0x0ff0_0ee0_0dd0_0cc0
            ));
            t.cpu.sys.cpacr_el1 = 0b11 << 20;
            t.cpu.s.v[0] = u128::MAX;
            t.cpu.s.v[1] = u128::MAX;
            t.run();
            assert_eq!(t.cpu.s.v[0], 0x4433_2211);
            assert_eq!(t.cpu.s.v[1], 0x8877_6655_4433_2211);
            assert_eq!(t.cpu.s.v[2], 0x0ff0_0ee0_0dd0_0cc0_8877_6655_4433_2211);
        }

        fn prfm_literal_is_a_no_op(t) {
            // PRFM PLDL1KEEP, . - 0x100000 (imm19 = -0x40000): before RAM, yet no fault.
            t.load_words(RAM_BASE, &[0xd8_800000]);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, 0);
            assert_eq!(t.cpu.s.pc, RAM_BASE + 8);
        }

        fn literal_from_unmapped_memory_aborts(t) {
            // LDR X0, . - 0x100000: RAM starts at 0x4000_0000, so that is 0x3ff0_0000.
            t.load_words(RAM_BASE, &[0x58_800000]);
            t.cpu.sys.vbar_el1 = VBAR;
            t.load_words(VBAR + 0x200, &[]);
            t.set_x(0, 7);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, 0x25 << 26 | 1 << 25 | 0x10);
            assert_eq!(t.cpu.sys.far_el1, RAM_BASE - 0x10_0000);
            assert_eq!(t.x(0), 7);
        }

        fn simd_fp_opc_11_is_undefined(t) {
            // opc 11, V 1: unallocated.
            t.load_words(RAM_BASE, &[0xdc00_0040]);
            t.cpu.sys.cpacr_el1 = 0b11 << 20;
            t.cpu.sys.vbar_el1 = VBAR;
            t.load_words(VBAR + 0x200, &[]);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, 1 << 25);
        }
    }
}
