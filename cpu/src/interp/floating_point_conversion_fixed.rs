//! Conversion between floating-point and fixed-point, Arm ARM C4.1.90: FCVTZS/FCVTZU
//! (FPToFixed, rounding toward zero) and SCVTF/UCVTF (FixedToFP, FPCR rounding) with
//! fbits = 64 - scale fraction bits.

use super::floating_point::{
    arith_fmt, commit_flags, fp_enabled_or_trap, fp_env, or_undefined, read_scalar, write_scalar,
};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::fp::Rounding;
use crate::insn::Insn;
use crate::mem::Mem;

/// (rmode, opcode) of the four allocated forms.
const FCVTZS: (u32, u32) = (0b11, 0b000);
const FCVTZU: (u32, u32) = (0b11, 0b001);
const SCVTF: (u32, u32) = (0b00, 0b010);
const UCVTF: (u32, u32) = (0b00, 0b011);

pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let fmt = or_undefined!(arith_fmt(i));
    let sf = i.sf();
    let scale = i.bits(15, 10);
    // A 32-bit integer has at most 32 fraction bits: scale<5> must be set.
    if !sf && scale < 32 {
        return super::undefined();
    }
    let fbits = 64 - scale;
    let bits = if sf { 64 } else { 32 };
    let form = (i.bits(20, 19), i.bits(18, 16));
    if ![FCVTZS, FCVTZU, SCVTF, UCVTF].contains(&form) {
        return super::undefined();
    }
    fp_enabled_or_trap!(cpu);
    let mut fp = fp_env(cpu);
    if form == FCVTZS || form == FCVTZU {
        let op = read_scalar(cpu, fmt, i.rn());
        let r = fp.to_fixed(fmt, op, fbits, form == FCVTZU, bits, Rounding::Zero);
        commit_flags(cpu, &fp);
        cpu.s.set_rr(sf, i.rd(), r);
    } else {
        let op = cpu.s.rr(sf, i.rn());
        let rounding = fp.rounding();
        let r = fp.fixed_to_fp(fmt, op, fbits, form == UCVTF, bits, rounding);
        commit_flags(cpu, &fp);
        write_scalar(cpu, fmt, i.rd(), r);
    }
    Flow::Next
}

#[cfg(test)]
mod tests {
    use super::super::floating_point::test_support::*;
    use crate::{a64, cpu_test};

    cpu_test! {
        fn fcvtzs_and_fcvtzu_scale_then_truncate(t) {
            load(&mut t, &a64!(; fcvtzs w0, s1, 4));
            let run_x = |t: &mut crate::testing::TestCpu, fpcr, op: f32| {
                let (_, fpsr) = run(t, fpcr, &[op.to_bits() as u128]);
                (t.x(0), fpsr)
            };
            assert_eq!(run_x(&mut t, RN, 1.5), (24, 0));
            // 1.53 × 16 = 24.48: truncated whatever FPCR says.
            assert_eq!(run_x(&mut t, RP, 1.53), (24, IXC));
            assert_eq!(run_x(&mut t, RN, -1.53), (-24i32 as u32 as u64, IXC));
            assert_eq!(run_x(&mut t, RN, 2e8), (0x7fff_ffff, IOC));
            load(&mut t, &a64!(; fcvtzu x0, s1, 64));
            assert_eq!(run_x(&mut t, RN, 0.5), (1 << 63, 0));
            assert_eq!(run_x(&mut t, RN, 1.0), (u64::MAX, IOC));
        }

        fn scvtf_and_ucvtf_with_fraction_bits(t) {
            load(&mut t, &a64!(; scvtf d0, x1, 16));
            t.set_x(1, 0x1_8000);
            assert_eq!(run(&mut t, RN, &[]), (1.5f64.to_bits() as u128, 0));
            t.set_x(1, (-0x1_8000i64) as u64);
            assert_eq!(run(&mut t, RN, &[]), ((-1.5f64).to_bits() as u128, 0));
            load(&mut t, &a64!(; ucvtf s0, w1, 32));
            t.set_x(1, 0x8000_0000);
            assert_eq!(run(&mut t, RN, &[]), (0.5f32.to_bits() as u128, 0));
            // 0xffffffff / 2^32 needs 32 bits: rounds per FPCR.
            t.set_x(1, 0xffff_ffff);
            assert_eq!(run(&mut t, RN, &[]), (1f32.to_bits() as u128, IXC));
            assert_eq!(run(&mut t, RZ, &[]), (0x3f7f_ffff, IXC));
            load(&mut t, &a64!(; scvtf s0, x1, 64));
            t.set_x(1, 1);
            assert_eq!(run(&mut t, RN, &[]), (2f32.powi(-64).to_bits() as u128, 0));
        }

        fn thirty_two_bit_forms_need_scale_bit_5(t) {
            t.cpu.sys.cpacr_el1 = FPEN_ALL;
            // fcvtzs w0, s1 with scale 0 (fbits 64): unallocated.
            assert_eq!(run_faulting(&mut t, 0x1e18_0020, false) >> 26, 0);
            // rmode 01 with opcode 000: unallocated.
            assert_eq!(run_faulting(&mut t, 0x9e08_0020, false) >> 26, 0);
        }
    }
}
