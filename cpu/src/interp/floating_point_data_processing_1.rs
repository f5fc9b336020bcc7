//! Floating-point data-processing (1 source), Arm ARM C4.1.90: FMOV (register), FABS,
//! FNEG, FSQRT, FCVT between half, single and double, and FRINTN/P/M/Z/A/X/I.

use super::floating_point::{
    arith_fmt, commit_flags, fp_enabled_or_trap, fp_env, or_undefined, read_scalar, storage_fmt,
    write_scalar,
};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::fp::Rounding;
use crate::insn::Insn;
use crate::mem::Mem;

/// opcode (bits 20:15) values.
const FMOV: u32 = 0b000000;
const FABS: u32 = 0b000001;
const FNEG: u32 = 0b000010;
const FSQRT: u32 = 0b000011;
const FCVT_MASK: u32 = 0b111100;
const FCVT: u32 = 0b000100;
const FRINTN: u32 = 0b001000;
const FRINTP: u32 = 0b001001;
const FRINTM: u32 = 0b001010;
const FRINTZ: u32 = 0b001011;
const FRINTA: u32 = 0b001100;
const FRINTX: u32 = 0b001110;
const FRINTI: u32 = 0b001111;

pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let opcode = i.bits(20, 15);
    if opcode & FCVT_MASK == FCVT {
        return fcvt(cpu, i);
    }
    let fmt = or_undefined!(arith_fmt(i));
    let mut fp = fp_env(cpu);
    let fpcr_rounding = fp.rounding();
    // The rounding of FRINT*, and whether it is FRINTX (exact).
    let frint = |r| Some((r, false));
    let rint = match opcode {
        FMOV | FABS | FNEG | FSQRT => None,
        FRINTN => frint(Rounding::TieEven),
        FRINTP => frint(Rounding::PosInf),
        FRINTM => frint(Rounding::NegInf),
        FRINTZ => frint(Rounding::Zero),
        FRINTA => frint(Rounding::TieAway),
        FRINTX => Some((fpcr_rounding, true)),
        FRINTI => frint(fpcr_rounding),
        _ => return super::undefined(),
    };
    fp_enabled_or_trap!(cpu);
    let op = read_scalar(cpu, fmt, i.rn());
    let r = match (opcode, rint) {
        (_, Some((rounding, exact))) => fp.round_int(fmt, op, rounding, exact),
        (FMOV, _) => op,
        (FABS, _) => fmt.abs(op),
        (FNEG, _) => fmt.neg(op),
        _ => fp.sqrt(fmt, op),
    };
    commit_flags(cpu, &fp);
    write_scalar(cpu, fmt, i.rd(), r);
    Flow::Next
}

/// FCVT: ptype is the source format, opc (bits 16:15) the destination; rounding per FPCR.
fn fcvt(cpu: &mut Cpu, i: Insn) -> Flow {
    let from = or_undefined!(storage_fmt(i.bits(23, 22)));
    let to = or_undefined!(storage_fmt(i.bits(16, 15)));
    if from == to {
        return super::undefined();
    }
    fp_enabled_or_trap!(cpu);
    let op = read_scalar(cpu, from, i.rn());
    let mut fp = fp_env(cpu);
    let rounding = fp.rounding();
    let r = fp.convert(from, to, op, rounding);
    commit_flags(cpu, &fp);
    write_scalar(cpu, to, i.rd(), r);
    Flow::Next
}

#[cfg(test)]
mod tests {
    use super::super::floating_point::test_support::*;
    use crate::{a64, cpu_test};

    /// The double with bits `x`, as a V register value.
    fn d(x: f64) -> u128 {
        x.to_bits() as u128
    }

    cpu_test! {
        fn fmov_fabs_fneg_copy_bits_without_nan_processing(t) {
            load(&mut t, &a64!(; fmov s0, s1));
            // A signalling NaN with garbage above it: copied as is, no IOC, rest zeroed.
            let snan = 0x1234_5678_0000_0000_0000_0000_7f80_0001u128;
            assert_eq!(run(&mut t, DN, &[snan]), (0x7f80_0001, 0));
            load(&mut t, &a64!(; fabs s0, s1));
            assert_eq!(run(&mut t, 0, &[0xff80_0001]), (0x7f80_0001, 0));
            load(&mut t, &a64!(; fneg d0, d1));
            assert_eq!(run(&mut t, 0, &[0x7ff0_0000_0000_0001]), (0xfff0_0000_0000_0001, 0));
            assert_eq!(run(&mut t, 0, &[d(-0.0)]), (0, 0));
        }

        fn fsqrt_rounds_per_fpcr_rmode(t) {
            // sqrt(2) = 1.41421356237309504...: the nearest single 0x3fb504f3 is below
            // it, the nearest double 0x3ff6a09e667f3bcd above it.
            load(&mut t, &a64!(; fsqrt s0, s1));
            let two = 2f32.to_bits() as u128;
            for (fpcr, want) in [(RN, 0x3fb5_04f3), (RP, 0x3fb5_04f4), (RM, 0x3fb5_04f3), (RZ, 0x3fb5_04f3)] {
                assert_eq!(run(&mut t, fpcr, &[two]), (want, IXC), "fpcr {fpcr:#x}");
            }
            load(&mut t, &a64!(; fsqrt d0, d1));
            for (fpcr, want) in [(RN, 0x3ff6_a09e_667f_3bcd), (RP, 0x3ff6_a09e_667f_3bcd), (RM, 0x3ff6_a09e_667f_3bcc), (RZ, 0x3ff6_a09e_667f_3bcc)] {
                assert_eq!(run(&mut t, fpcr, &[d(2.0)]), (want, IXC), "fpcr {fpcr:#x}");
            }
            // Exact roots raise nothing; sqrt(-0) = -0; sqrt(-1) is Invalid.
            assert_eq!(run(&mut t, RN, &[d(2.25)]), (d(1.5), 0));
            assert_eq!(run(&mut t, RN, &[d(-0.0)]), (d(-0.0), 0));
            assert_eq!(run(&mut t, RN, &[d(-1.0)]), (0x7ff8_0000_0000_0000, IOC));
            assert_eq!(run(&mut t, RN, &[d(f64::INFINITY)]), (d(f64::INFINITY), 0));
            // The smallest denormal: sqrt(2^-1074) = 2^-537, exactly; flushed under FZ.
            assert_eq!(run(&mut t, RN, &[1]), (d(2f64.powi(-537)), 0));
            assert_eq!(run(&mut t, FZ, &[1]), (0, IDC));
        }

        fn fcvt_between_single_and_double_rounds_per_rmode(t) {
            // 1/3 as a double lies nearer 0x3eaaaaab (above) than 0x3eaaaaaa.
            load(&mut t, &a64!(; fcvt s0, d1));
            let third = d(1.0 / 3.0);
            for (fpcr, want) in [(RN, 0x3eaa_aaab), (RP, 0x3eaa_aaab), (RM, 0x3eaa_aaaa), (RZ, 0x3eaa_aaaa)] {
                assert_eq!(run(&mut t, fpcr, &[third]), (want, IXC), "fpcr {fpcr:#x}");
            }
            // Overflow and underflow of the narrowing, and FZ on its output.
            assert_eq!(run(&mut t, RN, &[d(1e300)]), (0x7f80_0000, OFC | IXC));
            assert_eq!(run(&mut t, RZ, &[d(-1e300)]), (0xff7f_ffff, OFC | IXC));
            assert_eq!(run(&mut t, RN, &[d(1e-40)]), (0x0001_16c2, UFC | IXC));
            assert_eq!(run(&mut t, FZ, &[d(1e-40)]), (0, UFC));
            // NaNs: quietened, top payload bits kept; DN gives the default NaN.
            assert_eq!(run(&mut t, RN, &[0xfff0_0000_2000_0000]), (0xffc0_0001, IOC));
            assert_eq!(run(&mut t, DN, &[0xfff8_0000_2000_0000]), (0x7fc0_0000, 0));
            load(&mut t, &a64!(; fcvt d0, s1));
            assert_eq!(run(&mut t, RN, &[0x3eaa_aaab]), (d(f32::from_bits(0x3eaa_aaab) as f64), 0));
            assert_eq!(run(&mut t, RN, &[0x7f80_0001]), (0x7ff8_0000_2000_0000, IOC));
            assert_eq!(run(&mut t, FZ, &[0x8000_0001]), (d(-0.0), IDC));
        }

        fn fcvt_to_and_from_half_precision(t) {
            load(&mut t, &a64!(; fcvt h0, s1));
            assert_eq!(run(&mut t, RN, &[1f32.to_bits() as u128]), (0x3c00, 0));
            // 65520 is halfway between 65504 (the largest half) and 65536: rounds to ∞.
            assert_eq!(run(&mut t, RN, &[65520f32.to_bits() as u128]), (0x7c00, OFC | IXC));
            // Toward zero it rounds to 65504, which is no overflow.
            assert_eq!(run(&mut t, RZ, &[65520f32.to_bits() as u128]), (0x7bff, IXC));
            // Half precision is never flushed: 2^-24 is its smallest denormal.
            assert_eq!(run(&mut t, FZ, &[0x3380_0000]), (0x0001, 0));
            // The alternative format: 65536 fits; ∞ and NaNs do not, Invalid.
            assert_eq!(run(&mut t, AHP, &[65536f32.to_bits() as u128]), (0x7c00, 0));
            assert_eq!(run(&mut t, AHP, &[0xff80_0000]), (0xffff, IOC));
            assert_eq!(run(&mut t, AHP, &[0x7fc0_0000]), (0x0000, IOC));
            load(&mut t, &a64!(; fcvt s0, h1));
            assert_eq!(run(&mut t, RN, &[0x7c00]), (0x7f80_0000, 0));
            assert_eq!(run(&mut t, AHP, &[0x7fff]), (131008f32.to_bits() as u128, 0));
            assert_eq!(run(&mut t, FZ, &[0x8001]), (0xb380_0000, 0));
            load(&mut t, &a64!(; fcvt d0, h1));
            assert_eq!(run(&mut t, RN, &[0xfd01]), (0xfffc_0400_0000_0000, IOC));
            load(&mut t, &a64!(; fcvt h0, d1));
            assert_eq!(run(&mut t, RN, &[d(-2.0)]), (0xc000, 0));
        }

        fn frint_rounds_each_way(t) {
            // -2.5: [N, P, M, Z, A] = [-2, -2, -3, -2, -3]; 0.5 → [0, 1, 0, 0, 1].
            let cases = [(-2.5, [-2.0, -2.0, -3.0, -2.0, -3.0]), (0.5, [0.0, 1.0, 0.0, 0.0, 1.0]), (-0.25, [-0.0, -0.0, -1.0, -0.0, -0.0])];
            let progs = [a64!(; frintn d0, d1), a64!(; frintp d0, d1), a64!(; frintm d0, d1), a64!(; frintz d0, d1), a64!(; frinta d0, d1)];
            for (x, want) in cases {
                for (prog, w) in progs.iter().zip(want) {
                    load(&mut t, prog);
                    // Only FRINTX reports Inexact.
                    assert_eq!(run(&mut t, RN, &[d(x)]), (d(w), 0), "{x} → {w}");
                }
            }
            // FRINTI and FRINTX follow FPCR.RMode; FRINTX raises Inexact.
            load(&mut t, &a64!(; frinti s0, s1));
            let x = (-2.5f32).to_bits() as u128;
            assert_eq!(run(&mut t, RP, &[x]), ((-2f32).to_bits() as u128, 0));
            assert_eq!(run(&mut t, RM, &[x]), ((-3f32).to_bits() as u128, 0));
            load(&mut t, &a64!(; frintx s0, s1));
            assert_eq!(run(&mut t, RN, &[x]), ((-2f32).to_bits() as u128, IXC));
            assert_eq!(run(&mut t, RZ, &[x]), ((-2f32).to_bits() as u128, IXC));
            assert_eq!(run(&mut t, RN, &[(7f32).to_bits() as u128]), ((7f32).to_bits() as u128, 0));
            // NaNs are processed: a signalling NaN is quietened with IOC.
            assert_eq!(run(&mut t, RN, &[0x7f80_0001]), (0x7fc0_0001, IOC));
        }

        fn half_precision_arithmetic_is_undefined(t) {
            // fsqrt h0, h1 (ptype 0b11) needs FEAT_FP16: UNDEFINED on the A72.
            let fsqrt_s = 0x1e21_c020u32;
            t.cpu.sys.cpacr_el1 = FPEN_ALL;
            assert_eq!(run_faulting(&mut t, fsqrt_s | 0b11 << 22, false) >> 26, 0);
        }

        fn fcvt_to_the_same_format_is_undefined(t) {
            // fcvt s0, s1 (ptype 00, opc 00).
            t.cpu.sys.cpacr_el1 = FPEN_ALL;
            assert_eq!(run_faulting(&mut t, 0x1e22_4020, false) >> 26, 0);
        }
    }
}
