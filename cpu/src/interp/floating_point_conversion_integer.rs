//! Conversion between floating-point and integer, Arm ARM C4.1.90: FCVTNS/NU, FCVTPS/PU,
//! FCVTMS/MU, FCVTZS/ZU and FCVTAS/AU to W or X (FPToFixed with 0 fraction bits and the
//! rounding the mnemonic names), SCVTF/UCVTF from W or X (FixedToFP, FPCR rounding), and
//! FMOV between general and FP registers, including the top half of a V register.

use super::floating_point::{
    arith_fmt, commit_flags, fp_enabled_or_trap, fp_env, or_undefined, read_scalar, write_scalar,
};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::fp::{Fmt, Rounding, D, S};
use crate::insn::Insn;
use crate::mem::Mem;

/// opcode (bits 18:16) values.
const FCVT_XS: u32 = 0b000;
const FCVT_XU: u32 = 0b001;
const SCVTF: u32 = 0b010;
const UCVTF: u32 = 0b011;
const FCVTAS: u32 = 0b100;
const FCVTAU: u32 = 0b101;
const FMOV_TO_GENERAL: u32 = 0b110;
const FMOV_FROM_GENERAL: u32 = 0b111;

/// Which part of the FP register an FMOV moves.
#[derive(Clone, Copy)]
enum FmovPart {
    /// The low 32 or 64 bits, as a scalar (writes zero the rest).
    Scalar(Fmt),
    /// Vn.D[1], the upper 64 bits (writes keep the lower half).
    UpperHalf,
}

pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let (sf, ptype, rmode, opcode) = (i.sf(), i.bits(23, 22), i.bits(20, 19), i.bits(18, 16));
    match opcode {
        FCVT_XS | FCVT_XU => to_int(cpu, i, Rounding::from_rmode(rmode), opcode == FCVT_XU),
        FCVTAS | FCVTAU if rmode == 0 => to_int(cpu, i, Rounding::TieAway, opcode == FCVTAU),
        SCVTF | UCVTF if rmode == 0 => from_int(cpu, i, opcode == UCVTF),
        FMOV_TO_GENERAL | FMOV_FROM_GENERAL => {
            // The allocated forms; half-precision ones are FEAT_FP16, and sf=0 ptype=01
            // rmode=11 is FJCVTZS (v8.3), all UNDEFINED on the A72.
            let part = match (sf, ptype, rmode) {
                (false, 0b00, 0b00) => FmovPart::Scalar(S),
                (true, 0b01, 0b00) => FmovPart::Scalar(D),
                (true, 0b10, 0b01) => FmovPart::UpperHalf,
                _ => return super::undefined(),
            };
            fmov(cpu, i, part, opcode == FMOV_FROM_GENERAL)
        }
        _ => super::undefined(),
    }
}

/// FCVT*S/FCVT*U: FPToFixed(Vn, 0, unsigned, rounding) into Wd or Xd.
fn to_int(cpu: &mut Cpu, i: Insn, rounding: Rounding, unsigned: bool) -> Flow {
    let fmt = or_undefined!(arith_fmt(i));
    fp_enabled_or_trap!(cpu);
    let op = read_scalar(cpu, fmt, i.rn());
    let mut fp = fp_env(cpu);
    let bits = if i.sf() { 64 } else { 32 };
    let r = fp.to_fixed(fmt, op, 0, unsigned, bits, rounding);
    commit_flags(cpu, &fp);
    cpu.s.set_rr(i.sf(), i.rd(), r);
    Flow::Next
}

/// SCVTF/UCVTF: FixedToFP(Wn or Xn, 0, unsigned, FPCR rounding) into Vd.
fn from_int(cpu: &mut Cpu, i: Insn, unsigned: bool) -> Flow {
    let fmt = or_undefined!(arith_fmt(i));
    fp_enabled_or_trap!(cpu);
    let op = cpu.s.rr(i.sf(), i.rn());
    let mut fp = fp_env(cpu);
    let bits = if i.sf() { 64 } else { 32 };
    let rounding = fp.rounding();
    let r = fp.fixed_to_fp(fmt, op, 0, unsigned, bits, rounding);
    commit_flags(cpu, &fp);
    write_scalar(cpu, fmt, i.rd(), r);
    Flow::Next
}

/// FMOV (general): a bit copy, no FP processing.
fn fmov(cpu: &mut Cpu, i: Insn, part: FmovPart, from_general: bool) -> Flow {
    fp_enabled_or_trap!(cpu);
    let (d, n) = (i.rd(), i.rn());
    match (part, from_general) {
        (FmovPart::Scalar(fmt), true) => {
            let v = cpu.s.xr(n);
            write_scalar(cpu, fmt, d, v);
        }
        (FmovPart::Scalar(fmt), false) => {
            let v = read_scalar(cpu, fmt, n);
            cpu.s.set_xr(d, v);
        }
        (FmovPart::UpperHalf, true) => {
            let low = cpu.s.v[d as usize] as u64 as u128;
            cpu.s.v[d as usize] = (cpu.s.xr(n) as u128) << 64 | low;
        }
        (FmovPart::UpperHalf, false) => {
            let v = (cpu.s.v[n as usize] >> 64) as u64;
            cpu.s.set_xr(d, v);
        }
    }
    Flow::Next
}

#[cfg(test)]
mod tests {
    use super::super::floating_point::test_support::*;
    use crate::testing::TestCpu;
    use crate::{a64, cpu_test};

    fn d(x: f64) -> u128 {
        x.to_bits() as u128
    }

    /// Runs the loaded conversion to a general register; returns (X0, FPSR).
    fn to_x(t: &mut TestCpu, fpcr: u64, op: u128) -> (u64, u32) {
        t.set_x(0, 0x5555_5555_5555_5555);
        let (_, fpsr) = run(t, fpcr, &[op]);
        (t.x(0), fpsr)
    }

    /// Runs the loaded conversion from X1; returns (V0, FPSR).
    fn from_x(t: &mut TestCpu, fpcr: u64, x1: u64) -> (u128, u32) {
        t.set_x(1, x1);
        run(t, fpcr, &[])
    }

    cpu_test! {
        fn fcvt_to_signed_in_each_rounding(t) {
            // ±2.5 by N, P, M, Z, A: 2/-2, 3/-2, 2/-3, 2/-2, 3/-3.
            let progs = [
                (a64!(; fcvtns w0, d1), 2, -2),
                (a64!(; fcvtps w0, d1), 3, -2),
                (a64!(; fcvtms w0, d1), 2, -3),
                (a64!(; fcvtzs w0, d1), 2, -2),
                (a64!(; fcvtas w0, d1), 3, -3),
            ];
            for (prog, pos, neg) in progs {
                load(&mut t, &prog);
                assert_eq!(to_x(&mut t, RN, d(2.5)), (pos as u32 as u64, IXC));
                assert_eq!(to_x(&mut t, RN, d(-2.5)), (neg as u32 as u64, IXC));
                assert_eq!(to_x(&mut t, RN, d(-7.0)), (-7i32 as u32 as u64, 0));
            }
        }

        fn fcvt_to_unsigned_saturates_negative_results(t) {
            load(&mut t, &a64!(; fcvtzu x0, d1));
            assert_eq!(to_x(&mut t, RN, d(-0.5)), (0, IXC));
            assert_eq!(to_x(&mut t, RN, d(-1.0)), (0, IOC));
            assert_eq!(to_x(&mut t, RN, d(18446744073709549568.0)), (0xffff_ffff_ffff_f800, 0));
            assert_eq!(to_x(&mut t, RN, d(18446744073709551616.0)), (u64::MAX, IOC));
            load(&mut t, &a64!(; fcvtmu w0, s1));
            assert_eq!(to_x(&mut t, RN, (-0.5f32).to_bits() as u128), (0, IOC));
            load(&mut t, &a64!(; fcvtau x0, d1));
            assert_eq!(to_x(&mut t, RN, d(2.5)), (3, IXC));
            load(&mut t, &a64!(; fcvtnu w0, d1));
            assert_eq!(to_x(&mut t, RN, d(2.5)), (2, IXC));
            load(&mut t, &a64!(; fcvtpu w0, d1));
            assert_eq!(to_x(&mut t, RN, d(4294967295.5)), (u32::MAX as u64, IOC));
        }

        fn fcvt_saturation_nan_and_infinity(t) {
            load(&mut t, &a64!(; fcvtzs w0, d1));
            assert_eq!(to_x(&mut t, RN, d(3e9)), (0x7fff_ffff, IOC));
            assert_eq!(to_x(&mut t, RN, d(-2147483648.5)), (0x8000_0000, IXC));
            assert_eq!(to_x(&mut t, RN, d(-2147483649.0)), (0x8000_0000, IOC));
            assert_eq!(to_x(&mut t, RN, 0x7ff8_0000_0000_0000), (0, IOC));
            assert_eq!(to_x(&mut t, RN, d(f64::NEG_INFINITY)), (0x8000_0000, IOC));
            load(&mut t, &a64!(; fcvtzs x0, s1));
            assert_eq!(to_x(&mut t, RN, (-1e19f32).to_bits() as u128), (1 << 63, IOC));
            // A denormal under FZ converts as zero, with IDC only.
            assert_eq!(to_x(&mut t, FZ, 0x8000_0001), (0, IDC));
            assert_eq!(to_x(&mut t, RN, 0x8000_0001), (0, IXC));
        }

        fn scvtf_and_ucvtf_round_per_fpcr(t) {
            // 2^24 + 1 is halfway between two singles; ties go to the even 2^24.
            load(&mut t, &a64!(; ucvtf s0, x1));
            for (fpcr, want) in [(RN, 0x4b80_0000), (RP, 0x4b80_0001), (RM, 0x4b80_0000), (RZ, 0x4b80_0000)] {
                assert_eq!(from_x(&mut t, fpcr, (1 << 24) + 1), (want, IXC), "fpcr {fpcr:#x}");
            }
            assert_eq!(from_x(&mut t, RN, u64::MAX), (0x5f80_0000, IXC));
            assert_eq!(from_x(&mut t, RN, 0), (0, 0));
            load(&mut t, &a64!(; scvtf s0, w1));
            // -(2^24 + 1); the upper half of X1 is ignored.
            let x = 0xdead_beef_0000_0000 | (-(1i32 << 24) - 1) as u32 as u64;
            for (fpcr, want) in [(RN, 0xcb80_0000), (RP, 0xcb80_0000), (RM, 0xcb80_0001), (RZ, 0xcb80_0000)] {
                assert_eq!(from_x(&mut t, fpcr, x), (want, IXC), "fpcr {fpcr:#x}");
            }
            load(&mut t, &a64!(; scvtf d0, x1));
            assert_eq!(from_x(&mut t, RN, 1 << 63), (0xc3e0_0000_0000_0000, 0));
            load(&mut t, &a64!(; ucvtf d0, w1));
            assert_eq!(from_x(&mut t, RN, 0xffff_ffff), (d(4294967295.0), 0));
        }

        fn fmov_between_general_and_fp_registers(t) {
            load(&mut t, &a64!(; fmov s0, w1));
            assert_eq!(from_x(&mut t, RN, 0x1234_5678_7f80_0001), (0x7f80_0001, 0));
            load(&mut t, &a64!(; fmov d0, x1));
            assert_eq!(from_x(&mut t, RN, 0x1234_5678_7f80_0001), (0x1234_5678_7f80_0001, 0));
            // The top-half form keeps the lower half.
            load(&mut t, &a64!(; fmov v0.d[1], x1));
            let (v, _) = from_x(&mut t, RN, 0x0123_4567_89ab_cdef);
            assert_eq!(v, 0x0123_4567_89ab_cdef_u128 << 64 | (GARBAGE as u64 as u128));
            let v1 = 0xaaaa_bbbb_cccc_dddd_1111_2222_3333_4444u128;
            load(&mut t, &a64!(; fmov w0, s1));
            assert_eq!(to_x(&mut t, RN, v1), (0x3333_4444, 0));
            load(&mut t, &a64!(; fmov x0, d1));
            assert_eq!(to_x(&mut t, RN, v1), (0x1111_2222_3333_4444, 0));
            load(&mut t, &a64!(; fmov x0, v1.d[1]));
            assert_eq!(to_x(&mut t, RN, v1), (0xaaaa_bbbb_cccc_dddd, 0));
        }

        fn unallocated_conversions_are_undefined(t) {
            t.cpu.sys.cpacr_el1 = FPEN_ALL;
            // fmov w0, d1 (sf 0, ptype 01) does not exist; nor scvtf with rmode 01;
            // fjcvtzs (v8.3) and fmov w0, h1 (FP16) are beyond the A72.
            let fmov_w_s = 0x1e26_0020u32;
            assert_eq!(run_faulting(&mut t, fmov_w_s | 1 << 22, false) >> 26, 0);
            assert_eq!(run_faulting(&mut t, 0x1e22_0020 | 1 << 19, false) >> 26, 0);
            assert_eq!(run_faulting(&mut t, 0x1e7e_0020, false) >> 26, 0);
            assert_eq!(run_faulting(&mut t, fmov_w_s | 0b11 << 22, false) >> 26, 0);
        }
    }
}
