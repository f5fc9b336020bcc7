//! Floating-point move immediate, Arm ARM C4.1.90: FMOV (scalar, immediate), whose 8-bit
//! immediate expands by VFPExpandImm().

use super::floating_point::{arith_fmt, fp_enabled_or_trap, or_undefined, write_scalar};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::fp::Fmt;
use crate::insn::Insn;
use crate::mem::Mem;

/// VFPExpandImm() (Arm ARM J1): sign = imm8<7>; exponent = NOT(imm8<6>) :
/// Replicate(imm8<6>, E-3) : imm8<5:4>; fraction = imm8<3:0> : Zeros(F-4).
pub fn vfp_expand_imm(fmt: Fmt, imm8: u32) -> u64 {
    let imm8 = imm8 as u64;
    let sign = imm8 >> 7 & 1;
    let b6 = imm8 >> 6 & 1;
    let replicated = if b6 == 1 { (1 << (fmt.e - 3)) - 1 } else { 0 };
    let exp = (b6 ^ 1) << (fmt.e - 1) | replicated << 2 | (imm8 >> 4 & 3);
    let frac = (imm8 & 0xf) << (fmt.f - 4);
    sign << (fmt.n - 1) | exp << fmt.f | frac
}

pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let fmt = or_undefined!(arith_fmt(i));
    // imm5 (bits 9:5) must be zero.
    if i.bits(9, 5) != 0 {
        return super::undefined();
    }
    fp_enabled_or_trap!(cpu);
    write_scalar(cpu, fmt, i.rd(), vfp_expand_imm(fmt, i.bits(20, 13)));
    Flow::Next
}

#[cfg(test)]
mod tests {
    use super::super::floating_point::test_support::*;
    use super::*;
    use crate::cpu_test;
    use crate::fp::{D, S};

    /// FMOV (scalar, immediate): 000 11110 ptype 1 imm8 100 00000 Rd.
    const FMOV_IMM: u32 = 0x1e20_1000;

    cpu_test! {
        fn fmov_immediate_writes_the_expanded_value(t) {
            // fmov s0, #1.0 and fmov d0, #-0.125 (imm8 0xc0).
            load(&mut t, &(FMOV_IMM | 0x70 << 13).to_le_bytes());
            assert_eq!(run(&mut t, RN, &[]), (1f32.to_bits() as u128, 0));
            load(&mut t, &(FMOV_IMM | 1 << 22 | 0xc0 << 13).to_le_bytes());
            assert_eq!(run(&mut t, RN, &[]), ((-0.125f64).to_bits() as u128, 0));
        }

        fn fmov_immediate_with_nonzero_imm5_is_undefined(t) {
            t.cpu.sys.cpacr_el1 = FPEN_ALL;
            assert_eq!(run_faulting(&mut t, FMOV_IMM | 0x70 << 13 | 1 << 5, false) >> 26, 0);
        }
    }

    #[test]
    fn expand_matches_the_arm_arm_table() {
        // Arm ARM C2.2.3, "Modified immediate constants": 0x70 is 1.0, 0x00 is 2.0,
        // 0xf0 is -1.0, 0x7f is 1.9375, 0x30 is 0.125 (smallest exponent).
        assert_eq!(vfp_expand_imm(S, 0x70), 1f32.to_bits() as u64);
        assert_eq!(vfp_expand_imm(D, 0x00), 2f64.to_bits());
        assert_eq!(vfp_expand_imm(D, 0xf0), (-1f64).to_bits());
        assert_eq!(vfp_expand_imm(S, 0x7f), 1.9375f32.to_bits() as u64);
        assert_eq!(vfp_expand_imm(D, 0x40), 0.125f64.to_bits());
        assert_eq!(vfp_expand_imm(D, 0x3f), 31f64.to_bits());
    }
}
