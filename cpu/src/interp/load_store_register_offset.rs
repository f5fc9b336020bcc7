//! Load/store register (register offset) (Arm ARM C4.1.88; the LDR/STR/PRFM (register)
//! pages of C6.2): the offset is Xm or Wm extended by `option` and optionally shifted left
//! by the access size (ExtendReg(), J1).

use super::load_store::{self as ls, flow, MemOp, UNDEFINED};
use crate::cpu::Cpu;
use crate::exception::Exception;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

/// `option` values (bits 15:13) that take only Wm; LSL (UXTX, 0b011) and SXTX (0b111)
/// take all of Xm, and option<1> clear is UNDEFINED.
const UXTW: u32 = 0b010;
const SXTW: u32 = 0b110;

pub fn exec(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    flow(register_offset(cpu, m, i))
}

fn register_offset(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Result<(), Exception> {
    let option = i.bits(15, 13);
    if option & 0b010 == 0 {
        // A sub-word index register (UXTB/UXTH/SXTB/SXTH).
        return Err(UNDEFINED);
    }
    let v = i.bit(26);
    let s = ls::decode_single(i.size(), v, i.bits(23, 22)).ok_or(UNDEFINED)?;
    if v {
        ls::check_fp_enabled(cpu)?;
    }
    let shift = if i.bit(12) { s.scale() } else { 0 };
    let offset = extend(cpu.s.xr(i.rm()), option) << shift;
    let base = ls::base(cpu, i.rn(), s.op != MemOp::Prefetch)?;
    ls::access(cpu, m, s, i.rt(), base.wrapping_add(offset))
}

/// ExtendReg() for the extends allowed here (Rm as register 31 is XZR).
fn extend(rm: u64, option: u32) -> u64 {
    match option {
        UXTW => rm as u32 as u64,
        SXTW => rm as u32 as i32 as i64 as u64,
        _ => rm,
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::RAM_BASE;
    use crate::{a64, cpu_test};

    const DATA: u64 = RAM_BASE + 0x1000;
    const VBAR: u64 = RAM_BASE + 0x8000;

    cpu_test! {
        fn extends_and_shifts_of_the_index(t) {
            t.load(&a64!(
                ; ldr x0, [x9, x1]
                ; ldr x2, [x9, x11, lsl 3]
                ; ldr x3, [x9, w4, uxtw 3]
                ; ldr x5, [x9, w6, sxtw 3]
                ; ldr x7, [x9, w12, sxtw]
                ; ldr x8, [x9, x10, sxtx 3]
                ; ldr x13, [x9, w14, uxtw]
            ));
            // A table of u64 values 0x1000 + k at DATA + 8k, k = -4..=4.
            for k in -4i64..=4 {
                t.write_u64(DATA.wrapping_add((8 * k) as u64), 0x1000u64.wrapping_add(k as u64));
            }
            t.set_x(9, DATA);
            t.set_x(1, 16);
            t.set_x(11, 3);
            // Only Wm counts: UXTW ignores the upper half of X4 and X14.
            t.set_x(4, 0xffff_ffff_0000_0001);
            t.set_x(14, 0xffff_ffff_0000_0020);
            // W6 = -2 and W12 = -8: SXTW makes them negative offsets, scaled or not.
            t.set_x(6, 0x1234_5678_ffff_fffe);
            t.set_x(12, 0x0000_0001_ffff_fff8);
            t.set_x(10, (-4i64) as u64);
            t.run();
            assert_eq!(t.x(0), 0x1002);
            assert_eq!(t.x(2), 0x1003);
            assert_eq!(t.x(3), 0x1001);
            assert_eq!(t.x(5), 0x1000 - 2);
            assert_eq!(t.x(7), 0x1000 - 1);
            assert_eq!(t.x(8), 0x1000 - 4);
            assert_eq!(t.x(13), 0x1004);
        }

        fn every_size_with_scaled_index(t) {
            t.load(&a64!(
                ; ldrb w0, [x9, x1, lsl 0]
                ; ldrsb x2, [x9, x1]
                ; ldrh w3, [x9, x1, lsl 1]
                ; ldrsh w4, [x9, x1, lsl 1]
                ; ldr w5, [x9, x1, lsl 2]
                ; ldrsw x6, [x9, x1, lsl 2]
                ; strb w7, [x10, x1]
                ; strh w7, [x10, x1, lsl 1]
                ; str w7, [x10, x1, lsl 2]
                ; str x7, [x10, x1, lsl 3]
            ));
            t.set_x(9, DATA);
            t.set_x(10, DATA + 0x100);
            t.set_x(1, 1);
            t.write_u64(DATA, 0x8765_4321_ba98_80ff);
            t.set_x(7, 0x1122_3344_5566_7788);
            t.run();
            assert_eq!(t.x(0), 0x80);
            assert_eq!(t.x(2), 0xffff_ffff_ffff_ff80);
            assert_eq!(t.x(3), 0xba98);
            assert_eq!(t.x(4), 0xffff_ba98);
            assert_eq!(t.x(5), 0x8765_4321);
            assert_eq!(t.x(6), 0xffff_ffff_8765_4321);
            assert_eq!(t.read_u64(DATA + 0x100), 0x5566_7788_7788_8800);
            assert_eq!(t.read_u64(DATA + 0x108), 0x1122_3344_5566_7788);
        }

        fn simd_fp_register_offset(t) {
            t.load(&a64!(
                ; ldr q0, [x9, x1, lsl 4]
                ; ldr h1, [x9, x1, lsl 1]
                ; str q0, [x9, w2, sxtw 4]
            ));
            t.cpu.sys.cpacr_el1 = 0b11 << 20;
            t.cpu.s.v[1] = u128::MAX;
            t.set_x(9, DATA);
            t.set_x(1, 1);
            t.set_x(2, 0xffff_ffff); // W2 = -1
            t.write_u64(DATA + 16, 0x0807_0605_0403_0201);
            t.write_u64(DATA + 24, 0x100f_0e0d_0c0b_0a09);
            t.run();
            assert_eq!(t.cpu.s.v[0], 0x100f_0e0d_0c0b_0a09_0807_0605_0403_0201);
            assert_eq!(t.cpu.s.v[1], 0);
            assert_eq!(t.read_u64(DATA - 16), 0x0807_0605_0403_0201);
            assert_eq!(t.read_u64(DATA - 8), 0x100f_0e0d_0c0b_0a09);
        }

        fn prfm_register_does_not_fault(t) {
            t.load(&a64!(; prfm 0, [x9, x1, lsl 3]));
            t.set_x(9, 0x1000);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, 0);
        }

        fn sub_word_index_extend_is_undefined(t) {
            // LDR X0, [X9, W1, UXTB]: option 000 is a sub-word index.
            t.load_words(RAM_BASE, &[0xf861_0920]);
            t.cpu.sys.vbar_el1 = VBAR;
            t.load_words(VBAR + 0x200, &[]);
            t.set_x(9, DATA);
            t.set_x(0, 5);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, 1 << 25);
            assert_eq!(t.x(0), 5);
        }
    }
}
