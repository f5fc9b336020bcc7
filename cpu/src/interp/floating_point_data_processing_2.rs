//! Floating-point data-processing (2 source), Arm ARM C4.1.90: FMUL, FDIV, FADD, FSUB,
//! FMAX, FMIN, FMAXNM, FMINNM and FNMUL.

use super::floating_point::{
    arith_fmt, commit_flags, fp_enabled_or_trap, fp_env, or_undefined, read_scalar, write_scalar,
};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::fp::{Fmt, Fp};
use crate::insn::Insn;
use crate::mem::Mem;

type BinaryOp = fn(&mut Fp, Fmt, u64, u64) -> u64;

/// FNMUL: the product negated after rounding (a NaN result's sign flips too: FPNeg).
fn fnmul(fp: &mut Fp, fmt: Fmt, a: u64, b: u64) -> u64 {
    fmt.neg(fp.mul(fmt, a, b))
}

/// The operation of opcode (bits 15:12); 0b1001 and above are unallocated.
fn operation(opcode: u32) -> Option<BinaryOp> {
    Some(match opcode {
        0b0000 => Fp::mul,
        0b0001 => Fp::div,
        0b0010 => Fp::add,
        0b0011 => Fp::sub,
        0b0100 => Fp::max,
        0b0101 => Fp::min,
        0b0110 => Fp::max_num,
        0b0111 => Fp::min_num,
        0b1000 => fnmul,
        _ => return None,
    })
}

pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let fmt = or_undefined!(arith_fmt(i));
    let op = or_undefined!(operation(i.bits(15, 12)));
    fp_enabled_or_trap!(cpu);
    let a = read_scalar(cpu, fmt, i.rn());
    let b = read_scalar(cpu, fmt, i.rm());
    let mut fp = fp_env(cpu);
    let r = op(&mut fp, fmt, a, b);
    commit_flags(cpu, &fp);
    write_scalar(cpu, fmt, i.rd(), r);
    Flow::Next
}

#[cfg(test)]
mod tests {
    use super::super::floating_point::test_support::*;
    use crate::{a64, cpu_test};

    fn s(x: f32) -> u128 {
        x.to_bits() as u128
    }

    const QNAN1: u128 = 0x7fc0_0001;
    const QNAN2: u128 = 0xffc0_0002;
    const SNAN2: u128 = 0xff80_0002;

    cpu_test! {
        fn each_operation_on_ordinary_values(t) {
            let cases = [
                (a64!(; fmul s0, s1, s2), 3.0, -0.5, -1.5),
                (a64!(; fdiv s0, s1, s2), 3.0, -0.5, -6.0),
                (a64!(; fadd s0, s1, s2), 3.0, -0.5, 2.5),
                (a64!(; fsub s0, s1, s2), 3.0, -0.5, 3.5),
                (a64!(; fmax s0, s1, s2), 3.0, -0.5, 3.0),
                (a64!(; fmin s0, s1, s2), 3.0, -0.5, -0.5),
                (a64!(; fmaxnm s0, s1, s2), 3.0, -0.5, 3.0),
                (a64!(; fminnm s0, s1, s2), 3.0, -0.5, -0.5),
                (a64!(; fnmul s0, s1, s2), 3.0, -0.5, 1.5),
            ];
            for (prog, a, b, want) in cases {
                load(&mut t, &prog);
                assert_eq!(run(&mut t, RN, &[s(a), s(b)]), (s(want), 0), "{a} op {b}");
            }
        }

        fn nan_operands_propagate_by_fpprocessnans(t) {
            load(&mut t, &a64!(; fadd s0, s1, s2));
            // The first quiet NaN, untouched; a signalling NaN anywhere wins, quietened.
            assert_eq!(run(&mut t, RN, &[QNAN1, QNAN2]), (QNAN1, 0));
            assert_eq!(run(&mut t, RN, &[s(1.0), QNAN2]), (QNAN2, 0));
            assert_eq!(run(&mut t, RN, &[QNAN1, SNAN2]), (QNAN2, IOC));
            // Default NaN mode.
            assert_eq!(run(&mut t, DN, &[QNAN1, s(1.0)]), (0x7fc0_0000, 0));
            assert_eq!(run(&mut t, DN, &[s(1.0), SNAN2]), (0x7fc0_0000, IOC));
            // FSUB keeps a NaN's sign: op2's negation comes after NaN processing.
            load(&mut t, &a64!(; fsub s0, s1, s2));
            assert_eq!(run(&mut t, RN, &[s(1.0), QNAN2]), (QNAN2, 0));
            // FNMUL negates whatever FPMul returned, NaNs included.
            load(&mut t, &a64!(; fnmul s0, s1, s2));
            assert_eq!(run(&mut t, RN, &[QNAN1, s(1.0)]), (0xffc0_0001, 0));
            // FMAXNM/FMINNM prefer the number to a quiet NaN, not to a signalling one.
            load(&mut t, &a64!(; fmaxnm s0, s1, s2));
            assert_eq!(run(&mut t, RN, &[QNAN1, s(-7.0)]), (s(-7.0), 0));
            assert_eq!(run(&mut t, RN, &[s(-7.0), SNAN2]), (QNAN2, IOC));
            load(&mut t, &a64!(; fminnm s0, s1, s2));
            assert_eq!(run(&mut t, RN, &[s(7.0), QNAN2]), (s(7.0), 0));
            load(&mut t, &a64!(; fmax s0, s1, s2));
            assert_eq!(run(&mut t, RN, &[s(7.0), QNAN2]), (QNAN2, 0));
        }

        fn signed_zeros_and_infinities(t) {
            load(&mut t, &a64!(; fmax s0, s1, s2));
            assert_eq!(run(&mut t, RN, &[s(-0.0), s(0.0)]), (s(0.0), 0));
            load(&mut t, &a64!(; fmin s0, s1, s2));
            assert_eq!(run(&mut t, RN, &[s(0.0), s(-0.0)]), (s(-0.0), 0));
            load(&mut t, &a64!(; fadd s0, s1, s2));
            assert_eq!(run(&mut t, RN, &[s(0.0), s(-0.0)]), (s(0.0), 0));
            assert_eq!(run(&mut t, RM, &[s(0.0), s(-0.0)]), (s(-0.0), 0));
            assert_eq!(run(&mut t, RM, &[s(1.5), s(-1.5)]), (s(-0.0), 0));
            assert_eq!(run(&mut t, RN, &[s(f32::INFINITY), s(f32::NEG_INFINITY)]), (0x7fc0_0000, IOC));
            load(&mut t, &a64!(; fmul s0, s1, s2));
            assert_eq!(run(&mut t, RN, &[s(-0.0), s(f32::INFINITY)]), (0x7fc0_0000, IOC));
            assert_eq!(run(&mut t, RN, &[s(-0.0), s(3.0)]), (s(-0.0), 0));
            load(&mut t, &a64!(; fdiv s0, s1, s2));
            assert_eq!(run(&mut t, RN, &[s(-3.0), s(0.0)]), (s(f32::NEG_INFINITY), DZC));
            assert_eq!(run(&mut t, RN, &[s(0.0), s(0.0)]), (0x7fc0_0000, IOC));
            assert_eq!(run(&mut t, RN, &[s(f32::INFINITY), s(0.0)]), (s(f32::INFINITY), 0));
            assert_eq!(run(&mut t, RN, &[s(3.0), s(f32::NEG_INFINITY)]), (s(-0.0), 0));
        }

        fn every_rounding_mode_for_add_mul_div(t) {
            // 1 + 2^-24 is halfway between 1 and its successor: ties go to even (1).
            load(&mut t, &a64!(; fadd s0, s1, s2));
            let (one, half_ulp) = (s(1.0), 0x3380_0000);
            for (fpcr, want) in [(RN, 0x3f80_0000), (RP, 0x3f80_0001), (RM, 0x3f80_0000), (RZ, 0x3f80_0000)] {
                assert_eq!(run(&mut t, fpcr, &[one, half_ulp]), (want, IXC), "fadd fpcr {fpcr:#x}");
            }
            // (1 + 2^-23)^2 = 1 + 2^-22 + 2^-46.
            load(&mut t, &a64!(; fmul s0, s1, s2));
            let x = 0x3f80_0001;
            for (fpcr, want) in [(RN, 0x3f80_0002), (RP, 0x3f80_0003), (RM, 0x3f80_0002), (RZ, 0x3f80_0002)] {
                assert_eq!(run(&mut t, fpcr, &[x, x]), (want, IXC), "fmul fpcr {fpcr:#x}");
            }
            // -1/3: the nearest single below zero is 0xbeaaaaab (larger magnitude).
            load(&mut t, &a64!(; fdiv s0, s1, s2));
            for (fpcr, want) in [(RN, 0xbeaa_aaab), (RP, 0xbeaa_aaaa), (RM, 0xbeaa_aaab), (RZ, 0xbeaa_aaaa)] {
                assert_eq!(run(&mut t, fpcr, &[s(-1.0), s(3.0)]), (want, IXC), "fdiv fpcr {fpcr:#x}");
            }
            // Double precision: 1 + 3 × 2^-54 is 1.5 ulps above 1 → 1 + 2 ulps rounding up.
            load(&mut t, &a64!(; fadd d0, d1, d2));
            let (one, tiny) = (1f64.to_bits() as u128, (3.0 * 2f64.powi(-54)).to_bits() as u128);
            for (fpcr, want) in [(RN, 0x3ff0_0000_0000_0001), (RP, 0x3ff0_0000_0000_0001), (RM, 0x3ff0_0000_0000_0000), (RZ, 0x3ff0_0000_0000_0000)] {
                assert_eq!(run(&mut t, fpcr, &[one, tiny]), (want, IXC), "fadd d fpcr {fpcr:#x}");
            }
        }

        fn overflow_and_underflow_flags(t) {
            load(&mut t, &a64!(; fmul s0, s1, s2));
            let max = s(f32::MAX);
            assert_eq!(run(&mut t, RN, &[max, s(2.0)]), (s(f32::INFINITY), OFC | IXC));
            assert_eq!(run(&mut t, RZ, &[max, s(2.0)]), (max, OFC | IXC));
            // 2^-126 × 2^-10: an exact denormal, so no Underflow without FZ...
            let min_normal = 0x0080_0000;
            let r = run(&mut t, RN, &[min_normal, s(2f32.powi(-10))]);
            assert_eq!(r, (0x0000_2000, 0));
            // ...flushed with UFC under FZ.
            assert_eq!(run(&mut t, FZ, &[min_normal, s(2f32.powi(-10))]), (0, UFC));
            // 2^-149 × 0.75: tiny and inexact, rounds to 2^-149.
            assert_eq!(run(&mut t, RN, &[1, s(0.75)]), (1, UFC | IXC));
            // A denormal operand under FZ is a zero: IDC, and a signed-zero product.
            assert_eq!(run(&mut t, FZ, &[0x8000_0001, s(3.0)]), (s(-0.0), IDC));
            load(&mut t, &a64!(; fsub s0, s1, s2));
            // The difference of two normals can be an exact denormal.
            assert_eq!(run(&mut t, RN, &[0x0080_0001, 0x0080_0000]), (1, 0));
            assert_eq!(run(&mut t, FZ, &[0x0080_0001, 0x0080_0000]), (0, UFC));
        }

        fn half_and_reserved_types_are_undefined(t) {
            t.cpu.sys.cpacr_el1 = FPEN_ALL;
            let fadd_s = 0x1e22_2820u32; // fadd s0, s1, s2
            assert_eq!(run_faulting(&mut t, fadd_s | 0b11 << 22, false) >> 26, 0);
            assert_eq!(run_faulting(&mut t, fadd_s | 0b10 << 22, false) >> 26, 0);
            // opcode 0b1001 is unallocated.
            assert_eq!(run_faulting(&mut t, 0x1e22_9820, false) >> 26, 0);
        }

        fn disabled_fp_traps_to_el1(t) {
            let fadd_s = 0x1e22_2820u32;
            // FPEN = 0b00 traps EL1: EC 0x07, IL, CV = 1, COND = 0b1110.
            t.cpu.sys.cpacr_el1 = 0;
            assert_eq!(run_faulting(&mut t, fadd_s, false), 0x07 << 26 | 1 << 25 | 0x1e0_0000);
            // FPEN = 0b01 traps EL0 only.
            t.cpu.sys.cpacr_el1 = 1 << 20;
            assert_eq!(run_faulting(&mut t, fadd_s, true) >> 26, 0x07);
            // An unallocated encoding is UNDEFINED before the trap check.
            t.cpu.sys.cpacr_el1 = 0;
            assert_eq!(run_faulting(&mut t, 0x1e22_9820, false) >> 26, 0);
        }

        fn fpen_el0_only_lets_el1_run(t) {
            load(&mut t, &a64!(; fadd s0, s1, s2));
            let r = run(&mut t, RN, &[s(1.0), s(2.0)]);
            assert_eq!(r, (s(3.0), 0));
            t.cpu.sys.cpacr_el1 = 1 << 20;
            t.cpu.s.pc = crate::testing::RAM_BASE;
            t.cpu.s.v[1] = s(5.0);
            t.run();
            assert_eq!(t.cpu.s.v[0], s(7.0));
        }

        fn fpcr_and_fpsr_accesses_trap_with_fp(t) {
            t.cpu.sys.cpacr_el1 = 0;
            // mrs x0, fpcr; msr fpsr, x0.
            assert_eq!(run_faulting(&mut t, 0xd53b_4400, false) >> 26, 0x07);
            assert_eq!(run_faulting(&mut t, 0xd51b_4420, false) >> 26, 0x07);
        }
    }
}
