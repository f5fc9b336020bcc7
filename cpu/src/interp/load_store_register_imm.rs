//! Load/store register with an immediate offset (Arm ARM C4.1.88: "Load/store register
//! (unscaled immediate)", "(immediate post-indexed)", "(unprivileged)", "(immediate
//! pre-indexed)" and "(unsigned immediate)"; the LDR/STR/LDUR/LDTR/PRFM pages of C6.2).

use super::load_store::{self as ls, flow, MemOp, Reg, UNDEFINED};
use crate::cpu::Cpu;
use crate::exception::Exception;
use crate::exec::Flow;
use crate::insn::{sext, Insn};
use crate::mem::Mem;

/// Bits 11:10 of the imm9 classes.
const UNSCALED: u32 = 0b00;
const POST_INDEX: u32 = 0b01;
const UNPRIVILEGED: u32 = 0b10;
const PRE_INDEX: u32 = 0b11;

/// LDUR/STUR/PRFUM, post- and pre-indexed LDR/STR, and LDTR/STTR: a signed imm9 offset.
pub fn exec(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    flow(imm9(cpu, m, i))
}

fn imm9(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Result<(), Exception> {
    let mode = i.bits(11, 10);
    let v = i.bit(26);
    let s = ls::decode_single(i.size(), v, i.bits(23, 22)).ok_or(UNDEFINED)?;
    // PRFM exists only as PRFUM here; LDTR/STTR have no SIMD&FP form.
    if (s.op == MemOp::Prefetch && mode != UNSCALED) || (v && mode == UNPRIVILEGED) {
        return Err(UNDEFINED);
    }
    let (n, t) = (i.rn(), i.rt());
    let wback = mode == POST_INDEX || mode == PRE_INDEX;
    // A load writing back into its own destination is CONSTRAINED UNPREDICTABLE; we pick
    // UNDEFINED. A store of its own base stores the original value (Constraint_NONE),
    // which `access` does by reading Rt before the base is written back.
    if wback && s.op == MemOp::Load && s.reg != Reg::Fp && n == t && n != 31 {
        return Err(UNDEFINED);
    }
    if v {
        ls::check_fp_enabled(cpu)?;
    }
    let offset = sext(i.imm9() as u64, 9);
    let base = ls::base(cpu, n, s.op != MemOp::Prefetch)?;
    let va = if mode == POST_INDEX {
        base
    } else {
        base.wrapping_add(offset)
    };
    // TODO(mmu): LDTR/STTR at EL1 are checked with EL0's permissions (AccType_UNPRIV);
    // without an MMU there are no permissions, so they behave as LDR/STR.
    ls::access(cpu, m, s, t, va)?;
    if wback {
        cpu.s.set_xsp(n, base.wrapping_add(offset));
    }
    Ok(())
}

/// LDR/STR/PRFM (unsigned immediate): imm12 scaled by the access size.
pub fn unsigned_offset(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    flow(uimm12(cpu, m, i))
}

fn uimm12(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Result<(), Exception> {
    let v = i.bit(26);
    let s = ls::decode_single(i.size(), v, i.bits(23, 22)).ok_or(UNDEFINED)?;
    if v {
        ls::check_fp_enabled(cpu)?;
    }
    let offset = (i.imm12() as u64) << s.scale();
    let base = ls::base(cpu, i.rn(), s.op != MemOp::Prefetch)?;
    ls::access(cpu, m, s, i.rt(), base.wrapping_add(offset))
}

#[cfg(test)]
mod tests {
    use crate::exec::Exit;
    use crate::testing::{TestCpu, RAM_BASE};
    use crate::{a64, cpu_test};

    const DATA: u64 = RAM_BASE + 0x1000;
    const VBAR: u64 = RAM_BASE + 0x8000;
    /// ESR_EL1 of a data abort from the current EL: EC 0x25, IL 1 (D17.2.37).
    const ESR_DABT_CUR: u64 = 0x25 << 26 | 1 << 25;
    /// ESR_EL1 of an UNDEFINED instruction: EC 0, IL 1.
    const ESR_UNDEF: u64 = 1 << 25;

    /// Puts the end marker at the current-EL (SP_ELx) synchronous vector.
    fn catch_exceptions(t: &mut TestCpu) {
        t.cpu.sys.vbar_el1 = VBAR;
        t.load_words(VBAR + 0x200, &[]);
    }

    fn enable_fp(t: &mut TestCpu) {
        t.cpu.sys.cpacr_el1 = 0b11 << 20;
    }

    cpu_test! {
        fn unscaled_loads_of_every_size_and_extension(t) {
            t.load(&a64!(
                ; ldurb w0, [x9, -1]
                ; ldurh w1, [x9, -2]
                ; ldur w2, [x9, -4]
                ; ldur x3, [x9, -8]
                ; ldursb w4, [x9, -1]
                ; ldursb x5, [x9, -1]
                ; ldursh w6, [x9, -2]
                ; ldursh x7, [x9, -2]
                ; ldursw x8, [x9, -4]
                ; ldursb x10, [x9, -8]
            ));
            // Little-endian: the byte at DATA - 1 is 0x88, the one at DATA - 8 is 0x7f.
            t.write_u64(DATA - 8, 0x8899_aabb_ccdd_ee7f);
            t.set_x(9, DATA);
            t.set_x(0, u64::MAX); // a W load zeroes the top half
            t.run();
            assert_eq!(t.x(0), 0x88);
            assert_eq!(t.x(1), 0x8899);
            assert_eq!(t.x(2), 0x8899_aabb);
            assert_eq!(t.x(3), 0x8899_aabb_ccdd_ee7f);
            // Sign extension to 32 bits leaves the top half zero; to 64 fills it.
            assert_eq!(t.x(4), 0xffff_ff88);
            assert_eq!(t.x(5), 0xffff_ffff_ffff_ff88);
            assert_eq!(t.x(6), 0xffff_8899);
            assert_eq!(t.x(7), 0xffff_ffff_ffff_8899);
            assert_eq!(t.x(8), 0xffff_ffff_8899_aabb);
            // 0x7f is the largest positive byte: no extension.
            assert_eq!(t.x(10), 0x7f);
        }

        fn unscaled_stores_write_only_their_size(t) {
            t.load(&a64!(
                ; sturb w1, [x9, -16]
                ; sturh w1, [x9, -8]
                ; stur w1, [x9, 1]
                ; stur x1, [x9, 16]
            ));
            t.set_x(9, DATA);
            t.set_x(1, 0x1122_3344_5566_7788);
            for off in [-16i64, -8, 0, 8, 16] {
                t.write_u64((DATA as i64 + off) as u64, u64::MAX);
            }
            t.run();
            assert_eq!(t.read_u64(DATA - 16), 0xffff_ffff_ffff_ff88);
            assert_eq!(t.read_u64(DATA - 8), 0xffff_ffff_ffff_7788);
            // An unaligned STUR (SCTLR_EL1.A clear) at DATA+1.
            assert_eq!(t.read_u64(DATA), 0xffff_ff55_6677_88ff);
            assert_eq!(t.read_u64(DATA + 16), 0x1122_3344_5566_7788);
        }

        fn post_and_pre_index_write_back(t) {
            t.load(&a64!(
                ; ldr x0, [x1], 8
                ; ldr x2, [x3, -8]!
                ; str w4, [x5], -256
                ; strb w4, [x6, 255]!
            ));
            t.write_u64(DATA, 0xaaaa);
            t.write_u64(DATA + 0x100 - 8, 0xbbbb);
            t.set_x(1, DATA);
            t.set_x(3, DATA + 0x100);
            t.set_x(4, 0x1234_5678);
            t.set_x(5, DATA + 0x200);
            t.set_x(6, DATA + 0x300);
            t.run();
            // Post-index: access at the base, then base + imm9.
            assert_eq!((t.x(0), t.x(1)), (0xaaaa, DATA + 8));
            // Pre-index: access and write back at base + imm9.
            assert_eq!((t.x(2), t.x(3)), (0xbbbb, DATA + 0x100 - 8));
            assert_eq!(t.read_u64(DATA + 0x200) as u32, 0x1234_5678);
            assert_eq!(t.x(5), DATA + 0x200 - 256);
            assert_eq!(t.read_bytes(DATA + 0x300 + 255, 1), [0x78]);
            assert_eq!(t.x(6), DATA + 0x300 + 255);
        }

        fn sp_as_base_and_xzr_as_data(t) {
            t.load(&a64!(
                ; str xzr, [sp, -16]!
                ; ldr x0, [sp], 16
                ; ldr xzr, [sp, 8]
            ));
            t.write_u64(DATA - 16, 0x5555);
            t.write_u64(DATA + 8, 0x7777);
            t.cpu.s.x[31] = DATA;
            t.set_x(0, 1);
            t.run();
            // STR XZR stores zero; LDR then reads it back through SP.
            assert_eq!(t.read_u64(DATA - 16), 0);
            assert_eq!(t.x(0), 0);
            // A load to XZR discards the value and leaves SP alone.
            assert_eq!(t.cpu.s.x[31], DATA);
        }

        fn store_writing_back_its_own_base_stores_the_original_value(t) {
            t.load(&a64!(; str x1, [x1], 8));
            t.set_x(1, DATA);
            t.run();
            assert_eq!(t.read_u64(DATA), DATA);
            assert_eq!(t.x(1), DATA + 8);
        }

        fn load_writing_back_its_own_destination_is_undefined(t) {
            t.load(&a64!(; ldr x1, [x1], 8));
            catch_exceptions(&mut t);
            t.set_x(1, DATA);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, ESR_UNDEF);
            assert_eq!(t.x(1), DATA);
        }

        fn unsigned_offset_is_scaled_by_size(t) {
            t.load(&a64!(
                ; ldrb w0, [x9, 4095]
                ; ldrh w1, [x9, 8190]
                ; ldr w2, [x9, 16380]
                ; ldr x3, [x9, 32760]
                ; ldrsh x4, [x9, 2]
                ; ldrsw x5, [x9, 4]
                ; str x3, [x9, 8]
                ; strh w1, [x9, 16]
            ));
            t.set_x(9, DATA);
            t.write_u64(DATA, 0x0000_8000_7fff_0000);
            t.write_u64(DATA + 4088, 0xab00_0000_0000_0000);
            t.write_u64(DATA + 8184, 0xcdef_0000_0000_0000);
            t.write_u64(DATA + 16376, 0x1234_5678_0000_0000);
            t.write_u64(DATA + 32760, 0x0102_0304_0506_0708);
            t.run();
            assert_eq!(t.x(0), 0xab);
            assert_eq!(t.x(1), 0xcdef);
            assert_eq!(t.x(2), 0x1234_5678);
            assert_eq!(t.x(3), 0x0102_0304_0506_0708);
            assert_eq!(t.x(4), 0x7fff); // positive halfword
            assert_eq!(t.x(5), 0x8000); // positive word
            assert_eq!(t.read_u64(DATA + 8), 0x0102_0304_0506_0708);
            assert_eq!(t.read_u64(DATA + 16), 0xcdef);
        }

        fn unprivileged_forms_act_as_plain_accesses_without_an_mmu(t) {
            t.load(&a64!(
                ; ldtrsh x0, [x9, -2]
                ; ldtrb w1, [x9, 1]
                ; sttr w1, [x9, 4]
                ; ldtrsw x2, [x9, 4]
            ));
            t.set_x(9, DATA);
            t.write_u64(DATA - 8, 0xfffe_0000_0000_0000);
            t.write_u64(DATA, 0xf100);
            t.run();
            assert_eq!(t.x(0), (-2i64) as u64);
            assert_eq!(t.x(1), 0xf1);
            assert_eq!(t.x(2), 0xf1);
            assert_eq!(t.x(9), DATA); // no writeback
        }

        fn simd_fp_loads_zero_the_rest_of_the_register(t) {
            t.load(&a64!(
                ; ldr b0, [x9]
                ; ldr h1, [x9]
                ; ldr s2, [x9]
                ; ldr d3, [x9]
                ; ldr q4, [x9]
                ; ldur q5, [x9, 8]
                ; ldr d6, [x9], 8
            ));
            enable_fp(&mut t);
            for r in 0..7 {
                t.cpu.s.v[r] = u128::MAX;
            }
            t.write_u64(DATA, 0x0807_0605_0403_0201);
            t.write_u64(DATA + 8, 0x1817_1615_1413_1211);
            t.write_u64(DATA + 16, 0x2827_2625_2423_2221);
            t.set_x(9, DATA);
            t.run();
            assert_eq!(t.cpu.s.v[0], 0x01);
            assert_eq!(t.cpu.s.v[1], 0x0201);
            assert_eq!(t.cpu.s.v[2], 0x0403_0201);
            assert_eq!(t.cpu.s.v[3], 0x0807_0605_0403_0201);
            assert_eq!(t.cpu.s.v[4], 0x1817_1615_1413_1211_0807_0605_0403_0201);
            assert_eq!(t.cpu.s.v[5], 0x2827_2625_2423_2221_1817_1615_1413_1211);
            assert_eq!(t.cpu.s.v[6], 0x0807_0605_0403_0201);
            assert_eq!(t.x(9), DATA + 8);
        }

        fn simd_fp_stores_write_only_their_size(t) {
            t.load(&a64!(
                ; str b0, [x9]
                ; str h0, [x9, 8]
                ; stur s0, [x9, 16]
                ; str d0, [x9, 24]!
                ; str q0, [x10]
            ));
            enable_fp(&mut t);
            t.cpu.s.v[0] = 0xf0e0_d0c0_b0a0_9080_7060_5040_3020_1000;
            for off in (0..32).step_by(8) {
                t.write_u64(DATA + off, u64::MAX);
            }
            t.set_x(9, DATA);
            t.set_x(10, DATA + 0x100);
            t.run();
            assert_eq!(t.read_u64(DATA), 0xffff_ffff_ffff_ff00);
            assert_eq!(t.read_u64(DATA + 8), 0xffff_ffff_ffff_1000);
            assert_eq!(t.read_u64(DATA + 16), 0xffff_ffff_3020_1000);
            assert_eq!(t.read_u64(DATA + 24), 0x7060_5040_3020_1000);
            assert_eq!(t.x(9), DATA + 24);
            assert_eq!(t.read_u64(DATA + 0x100), 0x7060_5040_3020_1000);
            assert_eq!(t.read_u64(DATA + 0x108), 0xf0e0_d0c0_b0a0_9080);
        }

        fn simd_fp_access_traps_while_cpacr_fpen_is_clear(t) {
            t.load(&a64!(; ldr d0, [x9], 8));
            catch_exceptions(&mut t);
            t.set_x(9, DATA);
            t.run();
            // EC 0x07, IL 1, CV 1, COND 0b1110; the base is not written back.
            assert_eq!(t.cpu.sys.esr_el1, 0x07 << 26 | 1 << 25 | 0x1e0_0000);
            assert_eq!(t.x(9), DATA);
        }

        fn prefetches_never_fault(t) {
            // PRFM (unsigned offset) pldl1keep, [x9, 8] and PRFUM pldl1keep, [x9, -1]:
            // dynasm has no unsigned-offset PRFM, so its word is spelled out (C6.2.247).
            t.load(&a64!(
                ; .u32 0xf980_0520
                ; prfum 0, [x9, -1]
                ; prfum 0, [sp, -1]
            ));
            t.set_x(9, 0x1000); // unmapped: a load there would abort
            t.cpu.s.x[31] = 0x1008; // misaligned SP: a load would fault
            t.run();
            // The end marker after the three prefetches ran; no exception was taken.
            assert_eq!(t.cpu.s.pc, RAM_BASE + 16);
            assert_eq!(t.cpu.sys.esr_el1, 0);
        }

        fn unallocated_size_opc_combinations_are_undefined(t) {
            // LDRSW pre-index form with size 10 opc 11 (0xb8c0_0c20 = size 10, opc 11);
            // PRFM post-indexed (size 11 opc 10); LDTR SIMD&FP; LDR H with opc<1> set.
            for word in [0xb8c0_0c20u32, 0xf880_0420, 0x3c40_0820, 0x7dc0_0020] {
                let mut t = TestCpu::new(t.executor);
                t.load_words(RAM_BASE, &[word]);
                catch_exceptions(&mut t);
                enable_fp(&mut t);
                t.set_x(1, DATA);
                t.run();
                assert_eq!(t.cpu.sys.esr_el1, ESR_UNDEF, "{:#x}", word);
                assert_eq!(t.cpu.sys.elr_el1, RAM_BASE);
            }
        }

        fn load_from_unmapped_memory_aborts_and_changes_nothing(t) {
            t.load(&a64!(; ldr x0, [x1, 8]!));
            catch_exceptions(&mut t);
            t.set_x(0, 0x1234);
            t.set_x(1, 0x1000 - 8);
            t.run();
            // DFSC 0x10 (synchronous external abort), WnR 0; FAR the address; ELR the load.
            assert_eq!(t.cpu.sys.esr_el1, ESR_DABT_CUR | 0x10);
            assert_eq!(t.cpu.sys.far_el1, 0x1000);
            assert_eq!(t.cpu.sys.elr_el1, RAM_BASE);
            assert_eq!((t.x(0), t.x(1)), (0x1234, 0x1000 - 8));
        }

        fn store_to_unmapped_memory_aborts_with_wnr(t) {
            t.load(&a64!(; strb w0, [x1], 1));
            catch_exceptions(&mut t);
            t.set_x(1, 0x1000);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, ESR_DABT_CUR | 1 << 6 | 0x10);
            assert_eq!(t.cpu.sys.far_el1, 0x1000);
            assert_eq!(t.x(1), 0x1000);
        }

        fn misaligned_sp_base_faults_when_sctlr_sa_is_set(t) {
            t.load(&a64!(; ldr x0, [sp, 8]));
            catch_exceptions(&mut t);
            t.cpu.s.x[31] = DATA + 8;
            t.set_x(0, 0x99);
            t.run();
            // EC 0x26 (SP alignment), ISS 0; at reset SCTLR_EL1.SA is set.
            assert_eq!(t.cpu.sys.esr_el1, 0x26 << 26 | 1 << 25);
            assert_eq!(t.x(0), 0x99);
        }

        fn el0_sp_alignment_follows_sctlr_sa0(t) {
            t.load(&a64!(; ldr x0, [sp]));
            t.cpu.sys.vbar_el1 = VBAR;
            t.load_words(VBAR + 0x400, &[]); // lower EL, AArch64, synchronous
            t.cpu.sys.sctlr_el1 &= !(1 << 3); // SA (EL1's check) clear; SA0 still set
            t.cpu.s.set_el_spsel(0, 0);
            t.cpu.s.x[31] = DATA + 4; // SP_EL0
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, 0x26 << 26 | 1 << 25);
            assert_eq!(t.cpu.sys.elr_el1, RAM_BASE);
        }

        fn misaligned_sp_base_is_fine_when_sctlr_sa_is_clear(t) {
            t.load(&a64!(; ldr x0, [sp, 8]));
            t.cpu.sys.sctlr_el1 &= !(1 << 3);
            t.cpu.s.x[31] = DATA + 8;
            t.write_u64(DATA + 16, 0x42);
            t.run();
            assert_eq!(t.x(0), 0x42);
        }

        fn sctlr_a_makes_unaligned_accesses_fault(t) {
            t.load(&a64!(; ldur w0, [x1, 2]));
            catch_exceptions(&mut t);
            t.cpu.sys.sctlr_el1 |= 1 << 1;
            t.set_x(1, DATA);
            assert_eq!(t.run_limit(10), Exit::Hvc(0xfffe));
            assert_eq!(t.cpu.sys.esr_el1, ESR_DABT_CUR | 0x21);
            assert_eq!(t.cpu.sys.far_el1, DATA + 2);
        }
    }
}
