//! Floating-point data-processing (3 source), Arm ARM C4.1.90: FMADD, FMSUB, FNMADD and
//! FNMSUB, each one fused multiply-add (FPMulAdd) with a single rounding. The negations
//! are FPNeg of the operands before the operation, so a NaN operand's sign flips too.

use super::floating_point::{
    arith_fmt, commit_flags, fp_enabled_or_trap, fp_env, or_undefined, read_scalar, write_scalar,
};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let fmt = or_undefined!(arith_fmt(i));
    let (o1, o0) = (i.bit(21), i.bit(15));
    // FMADD: Ra + Rn×Rm; FMSUB: Ra - Rn×Rm; FNMADD: -Ra - Rn×Rm; FNMSUB: -Ra + Rn×Rm.
    let negate_addend = o1;
    let negate_op1 = o0 != o1;
    fp_enabled_or_trap!(cpu);
    let mut addend = read_scalar(cpu, fmt, i.ra());
    let mut op1 = read_scalar(cpu, fmt, i.rn());
    let op2 = read_scalar(cpu, fmt, i.rm());
    if negate_addend {
        addend = fmt.neg(addend);
    }
    if negate_op1 {
        op1 = fmt.neg(op1);
    }
    let mut fp = fp_env(cpu);
    let r = fp.mul_add(fmt, addend, op1, op2);
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

    /// 1 + 2^-23 and -(1 + 2^-22): (1 + 2^-23)^2 - (1 + 2^-22) = 2^-46 exactly, which
    /// only a fused operation sees (the rounded product is 1 + 2^-22).
    const X: u128 = 0x3f80_0001;
    const NEG_Y: u128 = 0xbf80_0002;

    cpu_test! {
        fn the_four_forms_are_fused(t) {
            // Operands: V1 = Rn, V2 = Rm, V3 = Ra.
            load(&mut t, &a64!(; fmadd s0, s1, s2, s3));
            assert_eq!(run(&mut t, RN, &[X, X, NEG_Y]), (s(2f32.powi(-46)), 0));
            load(&mut t, &a64!(; fnmadd s0, s1, s2, s3));
            assert_eq!(run(&mut t, RN, &[X, X, NEG_Y]), (s(-(2f32.powi(-46))), 0));
            // Ra - Rn×Rm = -(2 + 2^-21 + 2^-46): rounds to -(2 + 2^-21) = 0xc0000002.
            load(&mut t, &a64!(; fmsub s0, s1, s2, s3));
            assert_eq!(run(&mut t, RN, &[X, X, NEG_Y]), (0xc000_0002, IXC));
            assert_eq!(run(&mut t, RM, &[X, X, NEG_Y]), (0xc000_0003, IXC));
            // -Ra + Rn×Rm = 2 + 2^-21 + 2^-46.
            load(&mut t, &a64!(; fnmsub s0, s1, s2, s3));
            for (fpcr, want) in [(RN, 0x4000_0002), (RP, 0x4000_0003), (RM, 0x4000_0002), (RZ, 0x4000_0002)] {
                assert_eq!(run(&mut t, fpcr, &[X, X, NEG_Y]), (want, IXC), "fpcr {fpcr:#x}");
            }
        }

        fn double_precision_fma(t) {
            load(&mut t, &a64!(; fmadd d0, d1, d2, d3));
            let d = |x: f64| x.to_bits() as u128;
            // 0.1 × 10 - 1 is 2^-54 exactly with one rounding (0 with two).
            assert_eq!(run(&mut t, RN, &[d(0.1), d(10.0), d(-1.0)]), (d(2f64.powi(-54)), 0));
        }

        fn nan_order_is_addend_then_operands(t) {
            load(&mut t, &a64!(; fmadd s0, s1, s2, s3));
            let (qa, q1, s1) = (0x7fc0_000a, 0x7fc0_0001, 0x7f80_0001);
            assert_eq!(run(&mut t, RN, &[q1, s(1.0), qa]), (qa, 0));
            assert_eq!(run(&mut t, RN, &[s1, s(1.0), qa]), (0x7fc0_0001, IOC));
            // ∞ × 0 with a quiet-NaN addend: the default NaN, Invalid.
            assert_eq!(run(&mut t, RN, &[s(f32::INFINITY), s(0.0), qa]), (0x7fc0_0000, IOC));
            // ∞ × 1 + -∞: Invalid.
            assert_eq!(run(&mut t, RN, &[s(f32::INFINITY), s(1.0), s(f32::NEG_INFINITY)]), (0x7fc0_0000, IOC));
            // FMSUB negates Rn before the operation: a NaN there comes back negated.
            load(&mut t, &a64!(; fmsub s0, s1, s2, s3));
            assert_eq!(run(&mut t, RN, &[q1, s(1.0), s(1.0)]), (0xffc0_0001, 0));
            // FNMADD negates Ra too.
            load(&mut t, &a64!(; fnmadd s0, s1, s2, s3));
            assert_eq!(run(&mut t, RN, &[s(1.0), s(1.0), qa]), (0xffc0_000a, 0));
        }

        fn exact_zero_results(t) {
            load(&mut t, &a64!(; fmadd s0, s1, s2, s3));
            // 1 × 1 + -1 = 0: +0, or -0 rounding toward minus infinity.
            assert_eq!(run(&mut t, RN, &[s(1.0), s(1.0), s(-1.0)]), (0, 0));
            assert_eq!(run(&mut t, RM, &[s(1.0), s(1.0), s(-1.0)]), (s(-0.0), 0));
            // -0 × 5 + -0 = -0 whatever the mode.
            assert_eq!(run(&mut t, RN, &[s(-0.0), s(5.0), s(-0.0)]), (s(-0.0), 0));
        }
    }
}
