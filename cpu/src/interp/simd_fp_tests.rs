//! Tests of the Advanced SIMD floating-point instructions (simd_fp_arith, simd_fp_misc).
//! Expected values are worked by hand from the pseudocode of C7.2 and of
//! shared/functions/float (FPAdd, FPMulX, FPRecipStepFused, FPRecipEstimate, ...): NaN
//! propagation, infinities, rounding modes, FZ and DN, the FPSR flags accumulated over the
//! lanes, S and D lanes, and the zeroing of bits 127:64 by 64-bit vector forms.

use super::super::floating_point::test_support::{
    load, run, run_faulting, AHP, DN, DZC, FZ, IDC, IOC, IXC, OFC, RM, RN, RP, RZ, UFC,
};
use crate::testing::TestCpu;
use crate::{a64, cpu_test};

/// A vector of 32-bit lanes, lane 0 first.
fn s4(l: [u32; 4]) -> u128 {
    l.iter().rev().fold(0, |a, &x| a << 32 | x as u128)
}

/// A vector of 16-bit lanes, lane 0 first.
fn h8(l: [u16; 8]) -> u128 {
    l.iter().rev().fold(0, |a, &x| a << 16 | x as u128)
}

fn d2(lo: u64, hi: u64) -> u128 {
    (hi as u128) << 64 | lo as u128
}

// Single precision.
const ONE: u32 = 0x3f80_0000;
const TWO: u32 = 0x4000_0000;
const THREE: u32 = 0x4040_0000;
const HALF: u32 = 0x3f00_0000;
const ONE_HALF: u32 = 0x3fc0_0000;
const NEG_ONE: u32 = 0xbf80_0000;
const INF: u32 = 0x7f80_0000;
const NEG_INF: u32 = 0xff80_0000;
const DEFAULT_NAN: u32 = 0x7fc0_0000;
const SNAN: u32 = 0x7f80_0001;
const QNAN: u32 = 0x7fc0_0005;
const NEG_ZERO: u32 = 0x8000_0000;
/// 2^-30: below half an ulp of 1.0.
const TINY: u32 = 0x3080_0000;
// Double precision.
const D_ONE: u64 = 0x3ff0_0000_0000_0000;
const D_TWO: u64 = 0x4000_0000_0000_0000;
const D_NEG_ZERO: u64 = 1 << 63;

/// One instruction word as code (for forms dynasm has no syntax for).
fn word(w: u32) -> Vec<u8> {
    w.to_le_bytes().to_vec()
}

/// Runs `code` (framed by FPCR/FPSR access) with V1.. = `ops`; V0 starts as garbage.
fn go(t: &mut TestCpu, code: &[u8], fpcr: u64, ops: &[u128]) -> (u128, u32) {
    load(t, code);
    run(t, fpcr, ops)
}

cpu_test! {
    fn fadd_lanes_propagate_nans_and_accumulate_flags(t) {
        let code = a64!(; fadd v0.s4, v1.s4, v2.s4);
        let ops = [s4([ONE, SNAN, INF, ONE]), s4([TWO, ONE, NEG_INF, TINY])];
        // SNaN is quieted (IOC); ∞ + -∞ is the default NaN (IOC); 1 + 2^-30 is inexact.
        let (r, fpsr) = go(&mut t, &code, RN, &ops);
        assert_eq!(r, s4([THREE, 0x7fc0_0001, DEFAULT_NAN, ONE]));
        assert_eq!(fpsr, IOC | IXC);
        // Round toward +∞ moves the inexact lane up an ulp; DN replaces the quieted NaN.
        let (r, _) = go(&mut t, &code, RP | DN, &ops);
        assert_eq!(r, s4([THREE, DEFAULT_NAN, DEFAULT_NAN, ONE + 1]));
    }

    fn sixty_four_bit_vectors_clear_the_top_half(t) {
        let (r, fpsr) = go(&mut t, &a64!(; fadd v0.s2, v1.s2, v2.s2), RN,
            &[s4([ONE, ONE, ONE, ONE]), s4([ONE, TWO, ONE, ONE])]);
        assert_eq!(r, s4([TWO, THREE, 0, 0]));
        assert_eq!(fpsr, 0);
    }

    fn double_lanes_and_the_sign_of_an_exact_zero(t) {
        let code = a64!(; fsub v0.d2, v1.d2, v2.d2);
        let ops = [d2(D_ONE, D_TWO), d2(D_ONE, D_ONE)];
        assert_eq!(go(&mut t, &code, RN, &ops).0, d2(0, D_ONE));
        // FPAdd: an exact zero sum is -0 when rounding toward -∞.
        assert_eq!(go(&mut t, &code, RM, &ops).0, d2(D_NEG_ZERO, D_ONE));
    }

    fn flush_to_zero_of_inputs_and_results(t) {
        // 2^-64 squared is 2^-128, an exact denormal (0x0020_0000): no flags.
        let code = a64!(; fmul v0.s4, v1.s4, v2.s4);
        let ops = [s4([0x1f80_0000, 1, 0, 0]), s4([0x1f80_0000, ONE, 0, 0])];
        let (r, fpsr) = go(&mut t, &code, RN, &ops);
        assert_eq!((r, fpsr), (s4([0x0020_0000, 1, 0, 0]), 0));
        // FZ flushes the tiny result (UFC, no IXC) and the denormal input (IDC).
        let (r, fpsr) = go(&mut t, &code, FZ, &ops);
        assert_eq!((r, fpsr), (s4([0, 0, 0, 0]), UFC | IDC));
    }

    fn fmulx_makes_two_of_infinity_times_zero(t) {
        let ops = [s4([INF, NEG_INF, 0, THREE]), s4([0, 0, NEG_INF, TWO])];
        let (r, fpsr) = go(&mut t, &a64!(; fmulx v0.s4, v1.s4, v2.s4), RN, &ops);
        assert_eq!((r, fpsr), (s4([TWO, TWO | 1 << 31, TWO | 1 << 31, 0x40c0_0000]), 0));
        // FMUL: ∞ × 0 is an Invalid Operation.
        let (r, fpsr) = go(&mut t, &a64!(; fmul v0.s4, v1.s4, v2.s4), RN, &ops);
        assert_eq!((r, fpsr), (s4([DEFAULT_NAN, DEFAULT_NAN, DEFAULT_NAN, 0x40c0_0000]), IOC));
        // The scalar form, on the low lane only.
        let (r, _) = go(&mut t, &a64!(; fmulx s0, s1, s2), RN, &ops);
        assert_eq!(r, TWO as u128);
    }

    fn frecps_and_frsqrts_steps(t) {
        // FRECPS: 2 - op1 × op2; ∞ × 0 gives 2.0; a NaN op1 comes back negated.
        let ops = [s4([TWO, INF, ONE, QNAN]), s4([HALF, 0, THREE, ONE])];
        let (r, fpsr) = go(&mut t, &a64!(; frecps v0.s4, v1.s4, v2.s4), RN, &ops);
        assert_eq!((r, fpsr), (s4([ONE, TWO, NEG_ONE, QNAN | 1 << 31]), 0));
        // FRSQRTS: (3 - op1 × op2) / 2; ∞ × 0 gives 1.5; an exact zero is +0 (-0 under RM).
        let ops = [s4([ONE, 0, THREE, ONE]), s4([ONE, NEG_INF, ONE, 0])];
        let code = a64!(; frsqrts v0.s4, v1.s4, v2.s4);
        assert_eq!(go(&mut t, &code, RN, &ops).0, s4([ONE, ONE_HALF, 0, ONE_HALF]));
        assert_eq!(go(&mut t, &code, RM, &ops).0, s4([ONE, ONE_HALF, NEG_ZERO, ONE_HALF]));
    }

    fn compares_set_lane_masks_and_signal_as_specified(t) {
        let ops = [s4([ONE, 0, QNAN, ONE]), s4([ONE, NEG_ZERO, ONE, TWO])];
        // FCMEQ is quiet: a quiet NaN compares false without IOC; +0 equals -0.
        let (r, fpsr) = go(&mut t, &a64!(; fcmeq v0.s4, v1.s4, v2.s4), RN, &ops);
        assert_eq!((r, fpsr), (s4([!0, !0, 0, 0]), 0));
        // FCMGE signals on any NaN.
        let (r, fpsr) = go(&mut t, &a64!(; fcmge v0.s4, v1.s4, v2.s4), RN, &ops);
        assert_eq!((r, fpsr), (s4([!0, !0, 0, 0]), IOC));
        // FACGT compares magnitudes.
        let ops = [s4([0xc040_0000, ONE, NEG_ONE, 0]), s4([TWO, NEG_ONE, HALF, 0])];
        let (r, _) = go(&mut t, &a64!(; facgt v0.s4, v1.s4, v2.s4), RN, &ops);
        assert_eq!(r, s4([!0, 0, !0, 0]));
        // FCMLT against zero (fcmlt v0.4s, v1.4s, #0.0), and the scalar FCMEQ #0.0.
        let ops = [s4([NEG_ONE, NEG_ZERO, ONE, QNAN])];
        let (r, fpsr) = go(&mut t, &word(0x4ea0_e820), RN, &ops);
        assert_eq!((r, fpsr), (s4([!0, 0, 0, 0]), IOC));
        let (r, _) = go(&mut t, &word(0x5ea0_d820), RN, &[s4([NEG_ZERO, ONE, ONE, ONE])]);
        assert_eq!(r, 0xffff_ffff);
    }

    fn pairwise_and_across_lanes(t) {
        let ops = [s4([ONE, TWO, THREE, 0x4080_0000]), s4([0x40a0_0000, 0x40c0_0000, 0x40e0_0000, 0x4100_0000])];
        let (r, _) = go(&mut t, &a64!(; faddp v0.s4, v1.s4, v2.s4), RN, &ops);
        // 1+2, 3+4, 5+6, 7+8.
        assert_eq!(r, s4([THREE, 0x40e0_0000, 0x4130_0000, 0x4170_0000]));
        let (r, _) = go(&mut t, &a64!(; faddp s0, v1.s2), RN, &ops);
        assert_eq!(r, THREE as u128);
        // FMAXNMP (scalar): a single quiet NaN loses; FMAXP propagates it.
        let ops = [d2(0x7ff8_0000_0000_0000, D_ONE)];
        assert_eq!(go(&mut t, &a64!(; fmaxnmp d0, v1.d2), RN, &ops).0, D_ONE as u128);
        assert_eq!(go(&mut t, &a64!(; fmaxp d0, v1.d2), RN, &ops).0, 0x7ff8_0000_0000_0000);
        // FMAXV over a tree of pairs; FMINNMV with quiet NaNs in both pairs.
        let (r, _) = go(&mut t, &a64!(; fmaxv s0, v1.s4), RN, &[s4([ONE, 0x40a0_0000, NEG_INF, THREE])]);
        assert_eq!(r, 0x40a0_0000);
        let (r, fpsr) = go(&mut t, &a64!(; fminnmv s0, v1.s4), RN, &[s4([QNAN, TWO, ONE, QNAN])]);
        assert_eq!((r, fpsr), (ONE as u128, 0));
        let (r, fpsr) = go(&mut t, &a64!(; fminv s0, v1.s4), RN, &[s4([ONE, SNAN, TWO, THREE])]);
        assert_eq!((r, fpsr), (0x7fc0_0001, IOC));
    }

    fn by_element_fmla_fmls_fmul(t) {
        // V0 is the accumulator: load it as well (go() makes it garbage).
        let code = a64!(; mov v0.b16, v3.b16 ; fmla v0.s4, v1.s4, v2.s[1]);
        let ops = [s4([ONE, TWO, THREE, NEG_ONE]), s4([0, TWO, 0, 0]), s4([ONE, ONE, ONE, ONE])];
        let (r, _) = go(&mut t, &code, RN, &ops);
        assert_eq!(r, s4([THREE, 0x40a0_0000, 0x40e0_0000, NEG_ONE]));
        // FMLS negates element1 (here a NaN, whose sign flips).
        let code = a64!(; mov v0.b16, v3.b16 ; fmls v0.d2, v1.d2, v2.d[1]);
        let ops = [d2(D_ONE, 0x7ff8_0000_0000_0001), d2(0, D_TWO), d2(D_TWO, D_ONE)];
        let (r, _) = go(&mut t, &code, RN, &ops);
        assert_eq!(r, d2(0, 0xfff8_0000_0000_0001));
        let (r, _) = go(&mut t, &a64!(; fmul s0, s1, v2.s[3]), RN, &[s4([THREE, 0, 0, 0]), s4([0, 0, 0, TWO])]);
        assert_eq!(r, 0x40c0_0000);
    }

    fn fcvtn_fcvtl_fcvtxn(t) {
        // Single to half: 1.0 is 0x3c00; 65520 overflows IEEE half (to ∞: OFC, IXC) but
        // rounds to 65536 (0x7c00, tie to even) in the alternative format.
        let ops = [s4([ONE, 0x477f_f000, 0, NEG_ONE])];
        let code = word(0x0e21_6820); // fcvtn v0.4h, v1.4s
        let (r, fpsr) = go(&mut t, &code, RN, &ops);
        assert_eq!((r, fpsr), (h8([0x3c00, 0x7c00, 0, 0xbc00, 0, 0, 0, 0]), OFC | IXC));
        let (r, fpsr) = go(&mut t, &code, AHP, &ops);
        assert_eq!((r, fpsr), (h8([0x3c00, 0x7c00, 0, 0xbc00, 0, 0, 0, 0]), IXC));
        // FCVTN2 writes the top half and keeps the bottom one.
        let code = a64!(; mov v0.b16, v2.b16 ; fcvtn2 v0.s4, v1.d2);
        let (r, _) = go(&mut t, &code, RN, &[d2(D_ONE, D_TWO), s4([5, 6, 7, 8])]);
        assert_eq!(r, s4([5, 6, ONE, TWO]));
        // FCVTL2: the upper four halves widened; a signalling NaN is quieted (IOC).
        let ops = [h8([0, 0, 0, 0, 0x3c00, 0x7c01, 0xc000, 0x7c00])];
        let (r, fpsr) = go(&mut t, &a64!(; fcvtl2 v0.s4, v1.h8), RN, &ops);
        assert_eq!((r, fpsr), (s4([ONE, 0x7fc0_2000, 0xc000_0000, INF]), IOC));
        // FCVTXN rounds to odd: 1 + 2^-40 becomes 1 + 2^-23.
        let (r, fpsr) = go(&mut t, &a64!(; fcvtxn v0.s2, v1.d2), RN, &[d2(0x3ff0_0000_0000_1000, D_TWO)]);
        assert_eq!((r, fpsr), (s4([ONE | 1, TWO, 0, 0]), IXC));
    }

    fn frint_in_every_rounding(t) {
        const TWO_HALF: u32 = 0x4020_0000;
        let ops = [s4([TWO_HALF, TWO_HALF | 1 << 31, 0x4060_0000, 0xbf00_0000])]; // 2.5, -2.5, 3.5, -0.5
        let r = |t: &mut TestCpu, code: &[u8], fpcr| go(t, code, fpcr, &ops).0;
        assert_eq!(r(&mut t, &a64!(; frintn v0.s4, v1.s4), RP), s4([TWO, TWO | 1 << 31, 0x4080_0000, NEG_ZERO]));
        assert_eq!(r(&mut t, &a64!(; frinta v0.s4, v1.s4), RN), s4([THREE, THREE | 1 << 31, 0x4080_0000, NEG_ONE]));
        assert_eq!(r(&mut t, &a64!(; frintp v0.s4, v1.s4), RN), s4([THREE, TWO | 1 << 31, 0x4080_0000, NEG_ZERO]));
        assert_eq!(r(&mut t, &a64!(; frintm v0.s4, v1.s4), RN), s4([TWO, THREE | 1 << 31, THREE, NEG_ONE]));
        assert_eq!(r(&mut t, &a64!(; frintz v0.s4, v1.s4), RN), s4([TWO, TWO | 1 << 31, THREE, NEG_ZERO]));
        // FRINTI and FRINTX use FPCR; only FRINTX signals Inexact.
        let (v, fpsr) = go(&mut t, &a64!(; frinti v0.s4, v1.s4), RM, &ops);
        assert_eq!((v, fpsr), (s4([TWO, THREE | 1 << 31, THREE, NEG_ONE]), 0));
        let (v, fpsr) = go(&mut t, &a64!(; frintx v0.s4, v1.s4), RZ, &ops);
        assert_eq!((v, fpsr), (s4([TWO, TWO | 1 << 31, THREE, NEG_ZERO]), IXC));
    }

    fn conversions_to_and_from_integers(t) {
        // 3e9 saturates (IOC), -1.5 truncates to -1 (IXC), NaN gives 0 (IOC).
        let ops = [s4([0x4f32_d05e, 0xbfc0_0000, QNAN, TWO])];
        let (r, fpsr) = go(&mut t, &a64!(; fcvtzs v0.s4, v1.s4), RN, &ops);
        assert_eq!((r, fpsr), (s4([0x7fff_ffff, 0xffff_ffff, 0, 2]), IOC | IXC));
        let (r, _) = go(&mut t, &a64!(; fcvtns v0.s4, v1.s4), RN, &ops);
        assert_eq!(r, s4([0x7fff_ffff, 0xffff_fffe, 0, 2]));
        // FCVTAU: 2.5 ties away to 3 (IXC); -1.0 saturates at 0 (IOC).
        let (r, fpsr) = go(&mut t, &a64!(; fcvtau v0.d2, v1.d2), RN, &[d2(0x4004_0000_0000_0000, 0xbff0_0000_0000_0000)]);
        assert_eq!((r, fpsr), (d2(3, 0), IOC | IXC));
        // SCVTF: -1 exactly; 2^31 - 1 rounds to 2^31 (IXC). UCVTF of 2^64 - 1 is 2^64.
        let (r, fpsr) = go(&mut t, &a64!(; scvtf v0.s4, v1.s4), RN, &[s4([0xffff_ffff, 0x7fff_ffff, 0, 1])]);
        assert_eq!((r, fpsr), (s4([NEG_ONE, 0x4f00_0000, 0, ONE]), IXC));
        let (r, _) = go(&mut t, &a64!(; ucvtf v0.d2, v1.d2), RN, &[d2(u64::MAX, 1)]);
        assert_eq!(r, d2(0x43f0_0000_0000_0000, D_ONE));
    }

    fn fixed_point_conversions(t) {
        let (r, _) = go(&mut t, &a64!(; scvtf v0.s4, v1.s4, 16), RN, &[s4([0x0001_0000, 0xffff_8000, 0, 0x0003_0000])]);
        assert_eq!(r, s4([ONE, 0xbf00_0000, 0, THREE]));
        let (r, _) = go(&mut t, &a64!(; fcvtzu v0.d2, v1.d2, 32), RN, &[d2(0x3ff8_0000_0000_0000, 0xbff0_0000_0000_0000)]);
        assert_eq!(r, d2(0x1_8000_0000, 0));
        let (r, _) = go(&mut t, &a64!(; fcvtzs s0, s1, 8), RN, &[ONE_HALF as u128]);
        assert_eq!(r, 0x180);
        // -2^63 / 2^64 = -0.5.
        let (r, _) = go(&mut t, &a64!(; scvtf d0, d1, 64), RN, &[1 << 63]);
        assert_eq!(r, 0xbfe0_0000_0000_0000);
    }

    fn abs_neg_sqrt(t) {
        // FABS/FNEG are bit operations: no flags, NaNs included.
        let ops = [s4([0xffc0_0001, NEG_ZERO, SNAN, NEG_ONE])];
        let (r, fpsr) = go(&mut t, &a64!(; fabs v0.s4, v1.s4), RN, &ops);
        assert_eq!((r, fpsr), (s4([0x7fc0_0001, 0, SNAN, ONE]), 0));
        let (r, fpsr) = go(&mut t, &a64!(; fneg v0.s4, v1.s4), RN, &ops);
        assert_eq!((r, fpsr), (s4([0x7fc0_0001, 0, SNAN | 1 << 31, ONE]), 0));
        // sqrt(2) = 0x3fb504f3 rounded to nearest (IXC); sqrt(-1) is Invalid; sqrt(-0) = -0.
        let ops = [s4([0x4080_0000, NEG_ONE, NEG_ZERO, TWO])];
        let (r, fpsr) = go(&mut t, &a64!(; fsqrt v0.s4, v1.s4), RN, &ops);
        assert_eq!((r, fpsr), (s4([TWO, DEFAULT_NAN, NEG_ZERO, 0x3fb5_04f3]), IOC | IXC));
    }

    fn frecpe_follows_recip_estimate(t) {
        // 1.0: scaled 256, RecipEstimate 511, exponent 253 - 127 → 0x3f7f8000. 0 → ∞ (DZC).
        // -∞ → -0. 2^-128 (denormal 0x0020_0000): exponent -1, fraction 0 → 0x7f7f8000.
        let ops = [s4([ONE, 0, NEG_INF, 0x0020_0000])];
        let (r, fpsr) = go(&mut t, &a64!(; frecpe v0.s4, v1.s4), RN, &ops);
        assert_eq!((r, fpsr), (s4([0x3f7f_8000, INF, NEG_ZERO, 0x7f7f_8000]), DZC));
        // Below 2^-128 the reciprocal overflows: ∞ under RN, the largest normal under RZ.
        let code = a64!(; frecpe s0, s1);
        assert_eq!(go(&mut t, &code, RN, &[0x0010_0000]), (INF as u128, OFC | IXC));
        assert_eq!(go(&mut t, &code, RZ, &[0x0010_0000]), (0x7f7f_ffff, OFC | IXC));
        // 2^126: a denormal result (0x007fc000), flushed to +0 with UFC under FZ.
        assert_eq!(go(&mut t, &code, RN, &[0x7e80_0000]).0, 0x007f_c000);
        assert_eq!(go(&mut t, &code, FZ, &[0x7e80_0000]), (0, UFC));
        // Double: 1.0 → 0x3fef_f000_0000_0000.
        let (r, _) = go(&mut t, &a64!(; frecpe v0.d2, v1.d2), RN, &[d2(D_ONE, D_ONE)]);
        assert_eq!(r, d2(0x3fef_f000_0000_0000, 0x3fef_f000_0000_0000));
    }

    fn frsqrte_follows_recip_sqrt_estimate(t) {
        // 1.0 (odd exponent): scaled 128 → 511, exponent (380 - 127) / 2 = 126.
        // 2.0 (even exponent): scaled 256 → 361, exponent 126 → 0x3f348000.
        // 4.0: → 0x3eff8000. -1 is Invalid, +0 is +∞ (DZC).
        let ops = [s4([ONE, TWO, 0x4080_0000, NEG_ONE])];
        let (r, fpsr) = go(&mut t, &a64!(; frsqrte v0.s4, v1.s4), RN, &ops);
        assert_eq!((r, fpsr), (s4([0x3f7f_8000, 0x3f34_8000, 0x3eff_8000, DEFAULT_NAN]), IOC));
        let (r, fpsr) = go(&mut t, &a64!(; frsqrte v0.s4, v1.s4), RN, &[s4([0, INF, 0, 0])]);
        assert_eq!((r, fpsr), (s4([INF, 0, INF, INF]), DZC));
    }

    fn frecpx_and_unsigned_estimates(t) {
        // FRECPX: inverted exponent, zero fraction; zeros/denormals get exponent 0xfe.
        let code = a64!(; frecpx s0, s1);
        assert_eq!(go(&mut t, &code, RN, &[0x4080_0000]).0, HALF as u128);
        assert_eq!(go(&mut t, &code, RN, &[0]).0, 0x7f00_0000);
        assert_eq!(go(&mut t, &code, RN, &[0x8000_0001]).0, 0xff00_0000);
        assert_eq!(go(&mut t, &code, RN, &[INF as u128]).0, 0);
        assert_eq!(go(&mut t, &code, RN, &[SNAN as u128]), (0x7fc0_0001, IOC));
        // URECPE: top bit clear → all ones; 0x8000_0000 → 511 << 23; 0xffff_ffff → 256 << 23.
        let ops = [s4([0x8000_0000, 0x7fff_ffff, 0xffff_ffff, 0])];
        let (r, _) = go(&mut t, &a64!(; urecpe v0.s4, v1.s4), RN, &ops);
        assert_eq!(r, s4([0xff80_0000, !0, 0x8000_0000, !0]));
        // URSQRTE: top two bits clear → all ones; 0x4000_0000 → 511 << 23.
        let ops = [s4([0x4000_0000, 0x3fff_ffff, 0xffff_ffff, 0])];
        let (r, _) = go(&mut t, &a64!(; ursqrte v0.s2, v1.s2), RN, &ops);
        assert_eq!(r, s4([0xff80_0000, !0, 0, 0]));
    }

    fn reserved_and_half_precision_encodings_are_undefined(t) {
        use crate::interp::simd::testing::assert_undefined;
        for word in [
            0x0e62_d420, // fadd v0.1d (sz = 1, Q = 0)
            0x2e21_6820, // fcvtxn with sz = 0
            0x0e42_1420, // fadd v0.4h (FEAT_FP16)
            0x0ef8_f820, // fabs v0.4h (FEAT_FP16)
            0x4f12_1020, // fmla v0.8h, v1.8h, v2.h[1] (FEAT_FP16)
            0x0e30_c820, // fmaxnmv h0, v1.4h (FEAT_FP16)
            0x0f1d_e420, // scvtf v0.4h, v1.4h, #3 (FEAT_FP16)
            0x6e70_f820, // fmaxv with sz = 1 (no D form)
            0x2e30_f820, // fmaxv s0, v1.2s (4S only)
        ] {
            assert_undefined(&mut t, word);
        }
    }

    fn fp_vector_instructions_trap_when_fpen_disables_them(t) {
        t.cpu.sys.cpacr_el1 = 0;
        let esr = run_faulting(&mut t, 0x4e22_d420, false); // fadd v0.4s, v1.4s, v2.4s
        assert_eq!(esr >> 26, 0x07);
    }
}
