//! Load/store register pair (Arm ARM C4.1.88: "Load/store no-allocate pair (offset)",
//! "Load/store register pair (post-indexed)", "(offset)", "(pre-indexed)"; the LDP, STP,
//! LDPSW, LDNP, STNP pages of C6.2 and their SIMD&FP forms in C7.2).
//!
//! The no-allocate hint of LDNP/STNP has no effect on an emulator.

use super::load_store::{self as ls, flow, Reg, UNDEFINED};
use crate::cpu::Cpu;
use crate::exception::Exception;
use crate::exec::Flow;
use crate::insn::{sext, Insn};
use crate::mem::Mem;

/// Bits 24:23: the addressing mode.
const NO_ALLOCATE: u32 = 0b00;
const POST_INDEX: u32 = 0b01;
const PRE_INDEX: u32 = 0b11;

pub fn exec(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    flow(pair(cpu, m, i))
}

/// opc:V:L of the pair classes: the register kind and the size of each element.
fn decode(opc: u32, v: bool, load: bool, mode: u32) -> Option<(Reg, u8)> {
    let gpr = |sf, signed| Reg::Gpr { sf, signed };
    match (v, opc) {
        (false, 0b00) => Some((gpr(false, false), 4)),
        // LDPSW; there is no STPSW and no LDNPSW.
        (false, 0b01) if load && mode != NO_ALLOCATE => Some((gpr(true, true), 4)),
        (false, 0b10) => Some((gpr(true, false), 8)),
        (true, 0b00) => Some((Reg::Fp, 4)),
        (true, 0b01) => Some((Reg::Fp, 8)),
        (true, 0b10) => Some((Reg::Fp, 16)),
        _ => None,
    }
}

fn pair(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Result<(), Exception> {
    let (mode, load, v) = (i.bits(24, 23), i.bit(22), i.bit(26));
    let (reg, size) = decode(i.bits(31, 30), v, load, mode).ok_or(UNDEFINED)?;
    let (n, t, t2) = (i.rn(), i.rt(), i.rt2());
    let wback = mode == POST_INDEX || mode == PRE_INDEX;
    // CONSTRAINED UNPREDICTABLE cases, for which we pick UNDEFINED: a load writing back
    // into one of its destinations, and a load of the same register twice. A store of
    // its own base stores the original value (Constraint_NONE).
    if load && ((wback && !v && (t == n || t2 == n) && n != 31) || t == t2) {
        return Err(UNDEFINED);
    }
    if v {
        ls::check_fp_enabled(cpu)?;
    }
    let offset = sext(i.imm7() as u64, 7) << size.trailing_zeros();
    let base = ls::base(cpu, n, true)?;
    let va = if mode == POST_INDEX {
        base
    } else {
        base.wrapping_add(offset)
    };
    let va2 = va.wrapping_add(size as u64);
    if load {
        let d1 = ls::load(cpu, m, va, size)?;
        let d2 = ls::load(cpu, m, va2, size)?;
        ls::write_reg(cpu, reg, t, size, d1);
        ls::write_reg(cpu, reg, t2, size, d2);
    } else {
        let (d1, d2) = (
            ls::read_reg(cpu, reg, t, size),
            ls::read_reg(cpu, reg, t2, size),
        );
        ls::store_all(cpu, m, &[(va, size, d1), (va2, size, d2)])?;
    }
    if wback {
        cpu.s.set_xsp(n, base.wrapping_add(offset));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testing::{TestCpu, RAM_BASE};
    use crate::{a64, cpu_test};

    const DATA: u64 = RAM_BASE + 0x1000;
    const VBAR: u64 = RAM_BASE + 0x8000;
    const ESR_UNDEF: u64 = 1 << 25;
    const ESR_DABT_CUR: u64 = 0x25 << 26 | 1 << 25;

    fn catch_exceptions(t: &mut TestCpu) {
        t.cpu.sys.vbar_el1 = VBAR;
        t.load_words(VBAR + 0x200, &[]);
    }

    cpu_test! {
        fn stp_ldp_64_offset_pre_post(t) {
            t.load(&a64!(
                ; stp x1, x2, [sp, -16]!
                ; ldp x3, x4, [sp], 16
                ; stp x2, x1, [x9, 504]
                ; ldp x5, x6, [x9, 504]
                ; ldp x7, x8, [x9, -512]!
            ));
            t.cpu.s.x[31] = DATA + 0x800;
            t.set_x(1, 0x1111_1111_1111_1111);
            t.set_x(2, 0x2222_2222_2222_2222);
            t.set_x(9, DATA + 0x400);
            t.write_u64(DATA + 0x200, 0x77);
            t.write_u64(DATA + 0x208, 0x88);
            t.run();
            assert_eq!(t.read_u64(DATA + 0x800 - 16), 0x1111_1111_1111_1111);
            assert_eq!(t.read_u64(DATA + 0x800 - 8), 0x2222_2222_2222_2222);
            assert_eq!((t.x(3), t.x(4)), (0x1111_1111_1111_1111, 0x2222_2222_2222_2222));
            assert_eq!(t.cpu.s.x[31], DATA + 0x800);
            // Offset form (imm7 = 63, scaled by 8): no writeback.
            assert_eq!((t.x(5), t.x(6)), (0x2222_2222_2222_2222, 0x1111_1111_1111_1111));
            // Pre-index with imm7 = -64.
            assert_eq!((t.x(7), t.x(8)), (0x77, 0x88));
            assert_eq!(t.x(9), DATA + 0x200);
        }

        fn stp_ldp_32_and_ldpsw(t) {
            t.load(&a64!(
                ; stp w1, w2, [x9], -8
                ; ldp w3, w4, [x10]
                ; ldpsw x5, x6, [x10]
                ; ldpsw x7, x8, [x10, 4]!
            ));
            t.set_x(1, 0xdead_beef_8000_0000);
            t.set_x(2, 0x7fff_ffff);
            t.set_x(3, u64::MAX);
            t.set_x(9, DATA);
            t.set_x(10, DATA);
            t.write_u64(DATA + 8, 0xffff_ffff);
            t.run();
            assert_eq!(t.read_u64(DATA), 0x7fff_ffff_8000_0000);
            assert_eq!(t.x(9), DATA - 8);
            assert_eq!((t.x(3), t.x(4)), (0x8000_0000, 0x7fff_ffff));
            assert_eq!((t.x(5), t.x(6)), (0xffff_ffff_8000_0000, 0x7fff_ffff));
            // DATA + 4 holds 0x7fff_ffff, DATA + 8 holds -1.
            assert_eq!((t.x(7), t.x(8)), (0x7fff_ffff, u64::MAX));
            assert_eq!(t.x(10), DATA + 4);
        }

        fn non_temporal_pairs(t) {
            t.load(&a64!(
                ; stnp x1, x2, [x9, -16]
                ; ldnp w3, w4, [x9, -12]
            ));
            t.set_x(1, 0x1111_1111_2222_2222);
            t.set_x(2, 0x3333_3333_4444_4444);
            t.set_x(9, DATA);
            t.run();
            assert_eq!(t.read_u64(DATA - 16), 0x1111_1111_2222_2222);
            assert_eq!(t.read_u64(DATA - 8), 0x3333_3333_4444_4444);
            assert_eq!((t.x(3), t.x(4)), (0x1111_1111, 0x4444_4444));
            assert_eq!(t.x(9), DATA);
        }

        fn simd_fp_pairs_of_every_size(t) {
            t.load(&a64!(
                ; stp q0, q1, [x9, -32]!
                ; ldp q2, q3, [x9]
                ; ldp d4, d5, [x9, 8]
                ; ldp s6, s7, [x9], 16
                ; stnp d1, d0, [x10]
                ; ldnp q8, q9, [x9, -16]
            ));
            t.cpu.sys.cpacr_el1 = 0b11 << 20;
            let q0 = 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100u128;
            let q1 = 0x1f1e_1d1c_1b1a_1918_1716_1514_1312_1110u128;
            t.cpu.s.v[0] = q0;
            t.cpu.s.v[1] = q1;
            for r in 4..8 {
                t.cpu.s.v[r] = u128::MAX;
            }
            t.set_x(9, DATA);
            t.set_x(10, DATA + 0x100);
            t.run();
            assert_eq!((t.cpu.s.v[2], t.cpu.s.v[3]), (q0, q1));
            assert_eq!((t.cpu.s.v[4], t.cpu.s.v[5]), (q0 >> 64, q1 & u64::MAX as u128));
            assert_eq!((t.cpu.s.v[6], t.cpu.s.v[7]), (0x0302_0100, 0x0706_0504));
            assert_eq!(t.x(9), DATA - 32 + 16);
            assert_eq!(t.read_u64(DATA + 0x100), q1 as u64);
            assert_eq!(t.read_u64(DATA + 0x108), q0 as u64);
            assert_eq!((t.cpu.s.v[8], t.cpu.s.v[9]), (q0, q1));
        }

        fn xzr_pairs(t) {
            t.load(&a64!(
                ; stp xzr, x1, [x9]
                ; ldp xzr, x2, [x9]
            ));
            t.set_x(1, 5);
            t.set_x(9, DATA);
            t.write_u64(DATA, u64::MAX);
            t.run();
            assert_eq!(t.read_u64(DATA), 0);
            assert_eq!(t.x(2), 5);
        }

        fn store_pair_of_own_base_stores_the_original_value(t) {
            t.load(&a64!(; stp x9, x1, [x9, 16]!));
            t.set_x(9, DATA);
            t.set_x(1, 1);
            t.run();
            assert_eq!(t.read_u64(DATA + 16), DATA);
            assert_eq!(t.x(9), DATA + 16);
        }

        fn constrained_unpredictable_pairs_are_undefined(t) {
            // LDP X1, X1, [X9]; LDP X9, X2, [X9], 16; LDP D0, D0, [X9]; and with Rt 1,
            // Rt2 2: opc 01 L 0 (STGP, v8.5), opc 11 L 1, LDNP with opc 01.
            for word in [0xa940_0521u32, 0xa8c1_0929, 0x6d40_0120, 0x6900_0921, 0xe940_0921, 0x6840_0921] {
                let mut t = TestCpu::new(t.executor);
                t.load_words(RAM_BASE, &[word]);
                catch_exceptions(&mut t);
                t.cpu.sys.cpacr_el1 = 0b11 << 20;
                t.set_x(9, DATA);
                t.run();
                assert_eq!(t.cpu.sys.esr_el1, ESR_UNDEF, "{:#x}", word);
                assert_eq!(t.x(9), DATA);
            }
        }

        fn store_pair_faulting_on_its_second_half_changes_nothing(t) {
            // The pair straddles the end of RAM: the second element is unmapped.
            let end = RAM_BASE + crate::testing::RAM_SIZE as u64;
            t.load(&a64!(; stp x1, x2, [x9, -8]!));
            catch_exceptions(&mut t);
            t.set_x(1, 0x1111);
            t.set_x(9, end);
            t.write_u64(end - 8, 0xabcd);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, ESR_DABT_CUR | 1 << 6 | 0x10);
            assert_eq!(t.cpu.sys.far_el1, end);
            assert_eq!(t.read_u64(end - 8), 0xabcd);
            assert_eq!(t.x(9), end);
        }

        fn load_pair_faulting_on_its_second_half_changes_no_register(t) {
            let end = RAM_BASE + crate::testing::RAM_SIZE as u64;
            t.load(&a64!(; ldp x1, x2, [x9], 16));
            catch_exceptions(&mut t);
            t.set_x(1, 0x1111);
            t.set_x(2, 0x2222);
            t.set_x(9, end - 8);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, ESR_DABT_CUR | 0x10);
            assert_eq!(t.cpu.sys.far_el1, end);
            assert_eq!((t.x(1), t.x(2), t.x(9)), (0x1111, 0x2222, end - 8));
        }
    }
}
