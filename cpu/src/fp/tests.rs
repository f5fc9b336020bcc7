//! Tests of the floating-point core. Expected values come from IEEE 754 as the host
//! implements it (Rust's f32/f64 operations round to nearest, ties to even, and
//! `mul_add` is fused) for ordinary operands, and from the Arm ARM pseudocode for NaNs,
//! flush-to-zero, the flags and the other rounding modes.

use super::*;

/// xorshift64*: a small deterministic generator for operand patterns.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// An operand of `fmt` drawn to hit edges often: zeros, denormals, extremes of the
    /// exponent range, infinities, NaNs, values near one, and plain random patterns.
    fn operand(&mut self, fmt: Fmt) -> u64 {
        let r = self.next();
        let sign = (r >> 63) << (fmt.n - 1);
        let frac = self.next() & fmt.frac_mask();
        let max_e = (1u64 << fmt.e) - 1;
        let exp = match r % 16 {
            0 => 0,
            1 => max_e,
            2 => 1 + (r >> 8) % 3,
            3 => max_e - 1 - (r >> 8) % 3,
            4..=7 => (fmt.bias() as u64)
                .wrapping_add((r >> 8) % 9)
                .wrapping_sub(4),
            _ => (r >> 8) % (max_e + 1),
        };
        let frac = match (r >> 20) % 8 {
            0 => 0,
            1 => fmt.frac_mask(),
            2 => frac & !(fmt.frac_mask() >> 8),
            _ => frac,
        };
        sign | exp << fmt.f | frac
    }
}

fn is_nan64(x: u64) -> bool {
    f64::from_bits(x).is_nan()
}

fn is_nan32(x: u64) -> bool {
    f32::from_bits(x as u32).is_nan()
}

/// Host results as bit patterns, any NaN as the default NaN (the pseudocode's result for
/// an Invalid Operation on non-NaN operands).
fn d(x: f64) -> u64 {
    if x.is_nan() {
        D.default_nan()
    } else {
        x.to_bits()
    }
}

fn s(x: f32) -> u64 {
    if x.is_nan() {
        S.default_nan()
    } else {
        x.to_bits() as u64
    }
}

/// Runs `ours` against the host on random non-NaN double operands (RNE, no FZ).
fn against_host_d(
    name: &str,
    ours: impl Fn(&mut Fp, u64, u64, u64) -> u64,
    host: impl Fn(f64, f64, f64) -> u64,
) {
    let mut rng = Rng::new(0x1234_5678 ^ name.len() as u64);
    for _ in 0..100_000 {
        let (a, b, c) = (rng.operand(D), rng.operand(D), rng.operand(D));
        if is_nan64(a) || is_nan64(b) || is_nan64(c) {
            continue;
        }
        let want = host(f64::from_bits(a), f64::from_bits(b), f64::from_bits(c));
        let got = ours(&mut Fp::new(0), a, b, c);
        assert_eq!(got, want, "{name}({a:#x}, {b:#x}, {c:#x})");
    }
}

/// The same for single-precision operands.
fn against_host_s(
    name: &str,
    ours: impl Fn(&mut Fp, u64, u64, u64) -> u64,
    host: impl Fn(f32, f32, f32) -> u64,
) {
    let mut rng = Rng::new(0x8765_4321 ^ name.len() as u64);
    for _ in 0..100_000 {
        let (a, b, c) = (rng.operand(S), rng.operand(S), rng.operand(S));
        if is_nan32(a) || is_nan32(b) || is_nan32(c) {
            continue;
        }
        let f = |x: u64| f32::from_bits(x as u32);
        let want = host(f(a), f(b), f(c));
        let got = ours(&mut Fp::new(0), a, b, c);
        assert_eq!(got, want, "{name}({a:#x}, {b:#x}, {c:#x})");
    }
}

#[test]
fn double_arithmetic_matches_ieee_round_to_nearest() {
    against_host_d("add", |fp, a, b, _| fp.add(D, a, b), |a, b, _| d(a + b));
    against_host_d("sub", |fp, a, b, _| fp.sub(D, a, b), |a, b, _| d(a - b));
    against_host_d("mul", |fp, a, b, _| fp.mul(D, a, b), |a, b, _| d(a * b));
    against_host_d("div", |fp, a, b, _| fp.div(D, a, b), |a, b, _| d(a / b));
    against_host_d("sqrt", |fp, a, _, _| fp.sqrt(D, a), |a, _, _| d(a.sqrt()));
    against_host_d(
        "fma",
        |fp, a, b, c| fp.mul_add(D, c, a, b),
        |a, b, c| d(a.mul_add(b, c)),
    );
}

#[test]
fn single_arithmetic_matches_ieee_round_to_nearest() {
    against_host_s("add", |fp, a, b, _| fp.add(S, a, b), |a, b, _| s(a + b));
    against_host_s("sub", |fp, a, b, _| fp.sub(S, a, b), |a, b, _| s(a - b));
    against_host_s("mul", |fp, a, b, _| fp.mul(S, a, b), |a, b, _| s(a * b));
    against_host_s("div", |fp, a, b, _| fp.div(S, a, b), |a, b, _| s(a / b));
    against_host_s("sqrt", |fp, a, _, _| fp.sqrt(S, a), |a, _, _| s(a.sqrt()));
    against_host_s(
        "fma",
        |fp, a, b, c| fp.mul_add(S, c, a, b),
        |a, b, c| s(a.mul_add(b, c)),
    );
}

#[test]
fn conversions_match_the_host_casts() {
    let rne = Rounding::TieEven;
    against_host_d(
        "fcvt d->s",
        |fp, a, _, _| fp.convert(D, S, a, rne),
        |a, _, _| s(a as f32),
    );
    against_host_s(
        "fcvt s->d",
        |fp, a, _, _| fp.convert(S, D, a, rne),
        |a, _, _| d(a as f64),
    );
    // FCVTZS/FCVTZU truncate and saturate like Rust's `as` (NaN aside).
    against_host_d(
        "fcvtzs w",
        |fp, a, _, _| fp.to_fixed(D, a, 0, false, 32, Rounding::Zero),
        |a, _, _| a as i32 as u32 as u64,
    );
    against_host_d(
        "fcvtzu x",
        |fp, a, _, _| fp.to_fixed(D, a, 0, true, 64, Rounding::Zero),
        |a, _, _| a as u64,
    );
    against_host_s(
        "fcvtzs x",
        |fp, a, _, _| fp.to_fixed(S, a, 0, false, 64, Rounding::Zero),
        |a, _, _| a as i64 as u64,
    );
    against_host_d(
        "scvtf x",
        |fp, a, _, _| fp.fixed_to_fp(D, a, 0, false, 64, rne),
        |a, _, _| d(a.to_bits() as i64 as f64),
    );
    against_host_s(
        "ucvtf w",
        |fp, a, _, _| fp.fixed_to_fp(S, a, 0, true, 32, rne),
        |a, _, _| s(a.to_bits() as f32),
    );
    against_host_d(
        "scvtf w to s",
        |fp, a, _, _| fp.fixed_to_fp(S, a, 0, false, 32, rne),
        |a, _, _| s(a.to_bits() as i32 as f32),
    );
    against_host_d(
        "frintn",
        |fp, a, _, _| fp.round_int(D, a, rne, false),
        |a, _, _| d(a.round_ties_even()),
    );
    against_host_d(
        "frintp",
        |fp, a, _, _| fp.round_int(D, a, Rounding::PosInf, false),
        |a, _, _| d(a.ceil()),
    );
    against_host_d(
        "frintm",
        |fp, a, _, _| fp.round_int(D, a, Rounding::NegInf, false),
        |a, _, _| d(a.floor()),
    );
    against_host_d(
        "frintz",
        |fp, a, _, _| fp.round_int(D, a, Rounding::Zero, false),
        |a, _, _| d(a.trunc()),
    );
    against_host_s(
        "frinta",
        |fp, a, _, _| fp.round_int(S, a, Rounding::TieAway, false),
        |a, _, _| s(a.round()),
    );
}

fn flags_of(fpcr: u32, f: impl FnOnce(&mut Fp) -> u64) -> (u64, u32) {
    let mut fp = Fp::new(fpcr);
    let r = f(&mut fp);
    (r, fp.flags)
}

const RP: u32 = 1 << FPCR_RMODE_SHIFT;
const RMINUS: u32 = 2 << FPCR_RMODE_SHIFT;
const RZ: u32 = 3 << FPCR_RMODE_SHIFT;

#[test]
fn nan_propagation_follows_fpprocessnans() {
    let (q1, q2) = (0x7ff8_0000_0000_0001, 0xfff8_0000_0000_0002);
    let (s1, s2) = (0x7ff0_0000_0000_0003, 0xfff0_0000_0000_0004);
    let one = 1f64.to_bits();
    // First SNaN (quietened) beats any QNaN, whatever its position; IOC.
    assert_eq!(
        flags_of(0, |fp| fp.add(D, q1, s2)),
        (0xfff8_0000_0000_0004, FPSR_IOC)
    );
    assert_eq!(
        flags_of(0, |fp| fp.mul(D, s1, s2)),
        (0x7ff8_0000_0000_0003, FPSR_IOC)
    );
    // Else the first QNaN, untouched, no flags.
    assert_eq!(flags_of(0, |fp| fp.sub(D, one, q2)), (q2, 0));
    assert_eq!(flags_of(0, |fp| fp.div(D, q1, q2)), (q1, 0));
    // FPCR.DN: the default NaN, still IOC for a signalling one.
    assert_eq!(
        flags_of(FPCR_DN, |fp| fp.add(D, one, s1)),
        (D.default_nan(), FPSR_IOC)
    );
    assert_eq!(
        flags_of(FPCR_DN, |fp| fp.add(D, q2, one)),
        (0x7ff8_0000_0000_0000, 0)
    );
    // FPMulAdd: the addend is looked at first.
    assert_eq!(flags_of(0, |fp| fp.mul_add(D, q1, q2, one)), (q1, 0));
    assert_eq!(
        flags_of(0, |fp| fp.mul_add(D, q1, s2, one)),
        (0xfff8_0000_0000_0004, FPSR_IOC)
    );
    // ...and a quiet-NaN addend with ∞ × 0 gives the default NaN and IOC.
    let inf = f64::INFINITY.to_bits();
    assert_eq!(
        flags_of(0, |fp| fp.mul_add(D, q2, inf, 0)),
        (D.default_nan(), FPSR_IOC)
    );
    // Single precision: quiet bit 22.
    assert_eq!(
        flags_of(0, |fp| fp.add(S, 0x7f80_0001, 0)),
        (0x7fc0_0001, FPSR_IOC)
    );
}

#[test]
fn invalid_operations_give_the_default_nan() {
    let inf = f64::INFINITY.to_bits();
    let ninf = f64::NEG_INFINITY.to_bits();
    let dn = D.default_nan();
    assert_eq!(flags_of(0, |fp| fp.add(D, inf, ninf)), (dn, FPSR_IOC));
    assert_eq!(flags_of(0, |fp| fp.sub(D, inf, inf)), (dn, FPSR_IOC));
    assert_eq!(flags_of(0, |fp| fp.mul(D, 0, ninf)), (dn, FPSR_IOC));
    assert_eq!(flags_of(0, |fp| fp.div(D, 0, 1 << 63)), (dn, FPSR_IOC));
    assert_eq!(flags_of(0, |fp| fp.div(D, inf, ninf)), (dn, FPSR_IOC));
    assert_eq!(
        flags_of(0, |fp| fp.sqrt(D, (-1f64).to_bits())),
        (dn, FPSR_IOC)
    );
    assert_eq!(
        flags_of(0, |fp| fp.mul_add(D, ninf, inf, inf)),
        (dn, FPSR_IOC)
    );
    // sqrt(-0) is -0; 1/0 is +∞ with DZC; -1/-0 is +∞.
    assert_eq!(flags_of(0, |fp| fp.sqrt(D, 1 << 63)), (1 << 63, 0));
    assert_eq!(
        flags_of(0, |fp| fp.div(D, 1f64.to_bits(), 0)),
        (inf, FPSR_DZC)
    );
    assert_eq!(
        flags_of(0, |fp| fp.div(D, (-1f64).to_bits(), 1 << 63)),
        (inf, FPSR_DZC)
    );
    assert_eq!(flags_of(0, |fp| fp.div(D, inf, 0)), (inf, 0));
}

#[test]
fn exact_zero_sign_depends_on_rounding_mode() {
    let one = 1f32.to_bits() as u64;
    let m_one = (-1f32).to_bits() as u64;
    assert_eq!(flags_of(0, |fp| fp.add(S, one, m_one)), (0, 0));
    assert_eq!(
        flags_of(RMINUS, |fp| fp.add(S, one, m_one)),
        (0x8000_0000, 0)
    );
    assert_eq!(flags_of(RMINUS, |fp| fp.sub(S, one, one)), (0x8000_0000, 0));
    // -0 + -0 is -0 in every mode; +0 + -0 follows the rounding mode.
    assert_eq!(
        flags_of(0, |fp| fp.add(S, 0x8000_0000, 0x8000_0000)),
        (0x8000_0000, 0)
    );
    assert_eq!(flags_of(0, |fp| fp.add(S, 0, 0x8000_0000)), (0, 0));
    assert_eq!(
        flags_of(RMINUS, |fp| fp.add(S, 0, 0x8000_0000)),
        (0x8000_0000, 0)
    );
    // FMA: 1 × -1 + 1 is an exact zero.
    assert_eq!(
        flags_of(RMINUS, |fp| fp.mul_add(S, one, one, m_one)),
        (0x8000_0000, 0)
    );
    // -0 × 1 + -0 is -0 (same-signed zeros).
    assert_eq!(
        flags_of(0, |fp| fp.mul_add(S, 0x8000_0000, 0x8000_0000, one)),
        (0x8000_0000, 0)
    );
}

#[test]
fn rounding_modes_on_an_inexact_sum() {
    // 1 + 2^-24 in single: exactly halfway between 1 and 1 + 2^-23.
    let one = 1f32.to_bits() as u64;
    let tiny = 0x3380_0000; // 2^-24
    let nudge = 0x3380_0001; // just over 2^-24
    assert_eq!(
        flags_of(0, |fp| fp.add(S, one, tiny)),
        (0x3f80_0000, FPSR_IXC)
    );
    assert_eq!(
        flags_of(0, |fp| fp.add(S, one, nudge)),
        (0x3f80_0001, FPSR_IXC)
    );
    assert_eq!(
        flags_of(RP, |fp| fp.add(S, one, tiny)),
        (0x3f80_0001, FPSR_IXC)
    );
    assert_eq!(
        flags_of(RMINUS, |fp| fp.add(S, one, nudge)),
        (0x3f80_0000, FPSR_IXC)
    );
    assert_eq!(
        flags_of(RZ, |fp| fp.add(S, one, nudge)),
        (0x3f80_0000, FPSR_IXC)
    );
    // Negative: toward minus infinity grows the magnitude.
    let m_one = 0xbf80_0000;
    assert_eq!(
        flags_of(RMINUS, |fp| fp.sub(S, m_one, tiny)),
        (0xbf80_0001, FPSR_IXC)
    );
    assert_eq!(
        flags_of(RP, |fp| fp.sub(S, m_one, tiny)),
        (0xbf80_0000, FPSR_IXC)
    );
}

#[test]
fn overflow_goes_to_infinity_or_max_normal_by_direction() {
    let max = f64::MAX.to_bits();
    let inf = f64::INFINITY.to_bits();
    let of = FPSR_OFC | FPSR_IXC;
    assert_eq!(flags_of(0, |fp| fp.add(D, max, max)), (inf, of));
    assert_eq!(flags_of(RZ, |fp| fp.add(D, max, max)), (max, of));
    assert_eq!(flags_of(RMINUS, |fp| fp.add(D, max, max)), (max, of));
    assert_eq!(flags_of(RP, |fp| fp.add(D, max, max)), (inf, of));
    let nmax = D.neg(max);
    assert_eq!(
        flags_of(RMINUS, |fp| fp.mul(D, nmax, 2f64.to_bits())),
        (D.neg(inf), of)
    );
    assert_eq!(
        flags_of(RP, |fp| fp.mul(D, nmax, 2f64.to_bits())),
        (nmax, of)
    );
}

#[test]
fn denormals_underflow_and_flush_to_zero() {
    let min_normal = 0x0080_0000u64; // 2^-126
    let half = 0.5f32.to_bits() as u64;
    let denorm = 0x0000_0001u64;
    // 2^-126 × 0.5 = 2^-127: an exact denormal, no flags without FZ...
    assert_eq!(
        flags_of(0, |fp| fp.mul(S, min_normal, half)),
        (0x0040_0000, 0)
    );
    // ...and flushed to +0 with UFC (but not IXC) under FZ.
    assert_eq!(
        flags_of(FPCR_FZ, |fp| fp.mul(S, min_normal, half)),
        (0, FPSR_UFC)
    );
    // An inexact tiny result: UFC and IXC.
    assert_eq!(
        flags_of(0, |fp| fp.mul(S, denorm, half)),
        (0, FPSR_UFC | FPSR_IXC)
    );
    assert_eq!(
        flags_of(RP, |fp| fp.mul(S, denorm, half)),
        (1, FPSR_UFC | FPSR_IXC)
    );
    // A denormal input under FZ is zero, with IDC: 1 + denormal is exactly 1.
    assert_eq!(
        flags_of(FPCR_FZ, |fp| fp.add(S, 0x3f80_0000, denorm)),
        (0x3f80_0000, FPSR_IDC)
    );
    assert_eq!(
        flags_of(0, |fp| fp.add(S, 0x3f80_0000, denorm)),
        (0x3f80_0000, FPSR_IXC)
    );
    // Tininess is detected before rounding: a value just under 2^-126 that rounds up to
    // it still underflows (inexact), and is flushed under FZ.
    let just_under = 0x3f7f_ffff; // 1 - 2^-24
    assert_eq!(
        flags_of(0, |fp| fp.mul(S, min_normal, just_under)),
        (min_normal, FPSR_UFC | FPSR_IXC)
    );
    assert_eq!(
        flags_of(FPCR_FZ, |fp| fp.mul(S, min_normal, just_under)),
        (0, FPSR_UFC)
    );
    // Half precision is never flushed (FZ16 is v8.2).
    assert_eq!(
        flags_of(FPCR_FZ, |fp| fp.convert(H, S, 0x0001, Rounding::TieEven)),
        (0x3380_0000, 0)
    );
}

#[test]
fn max_min_and_their_number_forms() {
    let one = 1f64.to_bits();
    let two = 2f64.to_bits();
    let nz = 1u64 << 63;
    let qnan = 0x7ff8_0000_0000_0009;
    let snan = 0x7ff0_0000_0000_0009;
    let mut fp = Fp::new(0);
    assert_eq!(fp.max(D, one, two), two);
    assert_eq!(fp.min(D, one, two), one);
    assert_eq!(fp.max(D, 0, nz), 0);
    assert_eq!(fp.max(D, nz, 0), 0);
    assert_eq!(fp.min(D, 0, nz), nz);
    assert_eq!(fp.min(D, nz, 0), nz);
    assert_eq!(fp.max(D, qnan, one), qnan);
    assert_eq!(fp.max_num(D, qnan, one), one);
    assert_eq!(fp.min_num(D, one, qnan), one);
    assert_eq!(fp.max_num(D, qnan, qnan), qnan);
    assert_eq!(fp.flags, 0);
    // A signalling NaN still wins in the number forms.
    assert_eq!(
        flags_of(0, |fp| fp.max_num(D, one, snan)),
        (0x7ff8_0000_0000_0009, FPSR_IOC)
    );
    assert_eq!(
        flags_of(0, |fp| fp.min_num(D, qnan, snan)),
        (0x7ff8_0000_0000_0009, FPSR_IOC)
    );
    // A flushed denormal is a zero: max(-denormal, +0) under FZ is +0, with IDC.
    assert_eq!(flags_of(FPCR_FZ, |fp| fp.max(D, nz | 1, 0)), (0, FPSR_IDC));
    assert_eq!(flags_of(FPCR_FZ, |fp| fp.min(D, nz | 1, 0)), (nz, FPSR_IDC));
    assert_eq!(flags_of(0, |fp| fp.min(D, nz | 1, 0)), (nz | 1, 0));
}

#[test]
fn compare_results_and_signalling() {
    let one = 1f64.to_bits();
    let qnan = 0x7ff8_0000_0000_0000;
    let snan = 0x7ff0_0000_0000_0001;
    let mut fp = Fp::new(0);
    assert_eq!(fp.compare(D, one, one, false), 0x6000_0000);
    assert_eq!(fp.compare(D, 0, 1 << 63, false), 0x6000_0000);
    assert_eq!(fp.compare(D, 0, one, false), 0x8000_0000);
    assert_eq!(fp.compare(D, one, D.neg(one), false), 0x2000_0000);
    assert_eq!(
        fp.compare(D, D.infinity(true), D.max_normal(true), false),
        0x8000_0000
    );
    assert_eq!(fp.compare(D, qnan, one, false), 0x3000_0000);
    assert_eq!(fp.flags, 0);
    assert_eq!(
        flags_of(0, |fp| fp.compare(D, qnan, one, true) as u64),
        (0x3000_0000, FPSR_IOC)
    );
    assert_eq!(
        flags_of(0, |fp| fp.compare(D, one, snan, false) as u64),
        (0x3000_0000, FPSR_IOC)
    );
}

#[test]
fn round_int_modes_and_exactness() {
    let f = |x: f64| x.to_bits();
    let cases: &[(f64, [f64; 5])] = &[
        // value: [TieEven, PosInf, NegInf, Zero, TieAway]
        (2.5, [2.0, 3.0, 2.0, 2.0, 3.0]),
        (-2.5, [-2.0, -2.0, -3.0, -2.0, -3.0]),
        (3.5, [4.0, 4.0, 3.0, 3.0, 4.0]),
        (-0.3, [-0.0, -0.0, -1.0, -0.0, -0.0]),
        (0.7, [1.0, 1.0, 0.0, 0.0, 1.0]),
        (
            4503599627370495.5,
            [
                4503599627370496.0,
                4503599627370496.0,
                4503599627370495.0,
                4503599627370495.0,
                4503599627370496.0,
            ],
        ),
    ];
    let modes = [
        Rounding::TieEven,
        Rounding::PosInf,
        Rounding::NegInf,
        Rounding::Zero,
        Rounding::TieAway,
    ];
    for (x, want) in cases {
        for (m, w) in modes.iter().zip(want) {
            let (r, flags) = flags_of(0, |fp| fp.round_int(D, f(*x), *m, true));
            assert_eq!(r, f(*w), "round_int({x}, {m:?})");
            assert_eq!(flags, FPSR_IXC, "round_int({x}, {m:?}) is inexact");
            let (_, flags) = flags_of(0, |fp| fp.round_int(D, f(*x), *m, false));
            assert_eq!(flags, 0, "only FRINTX reports inexact");
        }
    }
    assert_eq!(
        flags_of(0, |fp| fp.round_int(D, f(7.0), Rounding::TieEven, true)),
        (f(7.0), 0)
    );
    assert_eq!(
        flags_of(0, |fp| fp.round_int(
            D,
            0x7ff0_0000_0000_0001,
            Rounding::TieEven,
            true
        )),
        (0x7ff8_0000_0000_0001, FPSR_IOC)
    );
}

#[test]
fn to_fixed_saturates_with_invalid() {
    let f = |x: f64| x.to_bits();
    let z = Rounding::Zero;
    let run = |x: u64, unsigned: bool, bits: u32, r: Rounding| {
        flags_of(0, |fp| fp.to_fixed(D, x, 0, unsigned, bits, r))
    };
    assert_eq!(run(f(-1.5), false, 32, z), (0xffff_ffff, FPSR_IXC));
    assert_eq!(
        run(f(-1.5), false, 32, Rounding::TieAway),
        (0xffff_fffe, FPSR_IXC)
    );
    assert_eq!(run(f(2147483648.0), false, 32, z), (0x7fff_ffff, FPSR_IOC));
    assert_eq!(run(f(-2147483648.9), false, 32, z), (0x8000_0000, FPSR_IXC));
    assert_eq!(run(f(-2147483649.0), false, 32, z), (0x8000_0000, FPSR_IOC));
    assert_eq!(run(f(-0.5), true, 64, z), (0, FPSR_IXC));
    assert_eq!(run(f(-0.5), true, 64, Rounding::NegInf), (0, FPSR_IOC));
    assert_eq!(run(f(1e30), true, 64, z), (u64::MAX, FPSR_IOC));
    assert_eq!(run(D.infinity(true), false, 64, z), (1 << 63, FPSR_IOC));
    assert_eq!(run(D.default_nan(), false, 64, z), (0, FPSR_IOC));
    assert_eq!(run(f(0.5), false, 64, Rounding::TieEven), (0, FPSR_IXC));
    assert_eq!(run(f(1.5), false, 64, Rounding::TieEven), (2, FPSR_IXC));
    // Fixed point: 1.25 with 2 fraction bits is 5, exactly.
    assert_eq!(
        flags_of(0, |fp| fp.to_fixed(D, f(1.25), 2, false, 32, z)),
        (5, 0)
    );
    assert_eq!(
        flags_of(0, |fp| fp.fixed_to_fp(D, 5, 2, false, 32, z)),
        (f(1.25), 0)
    );
    assert_eq!(
        flags_of(0, |fp| fp.fixed_to_fp(S, 0xffff_fffb, 2, false, 32, z)),
        ((-1.25f32).to_bits() as u64, 0)
    );
    // 2^64 - 1 is not a single: rounding decides (and raises IXC).
    assert_eq!(
        flags_of(0, |fp| fp.fixed_to_fp(
            S,
            u64::MAX,
            0,
            true,
            64,
            Rounding::Zero
        )),
        (0x5f7f_ffff, FPSR_IXC)
    );
    assert_eq!(
        flags_of(0, |fp| fp.fixed_to_fp(
            S,
            u64::MAX,
            0,
            true,
            64,
            Rounding::TieEven
        )),
        (0x5f80_0000, FPSR_IXC)
    );
}

#[test]
fn half_precision_conversions_and_ahp() {
    let rne = Rounding::TieEven;
    // 1.0, 65504 (max), 2^-24 (min denormal).
    assert_eq!(
        flags_of(0, |fp| fp.convert(S, H, 1f32.to_bits() as u64, rne)),
        (0x3c00, 0)
    );
    assert_eq!(
        flags_of(0, |fp| fp.convert(S, H, 65504f32.to_bits() as u64, rne)),
        (0x7bff, 0)
    );
    assert_eq!(
        flags_of(0, |fp| fp.convert(S, H, 65520f32.to_bits() as u64, rne)),
        (0x7c00, FPSR_OFC | FPSR_IXC)
    );
    assert_eq!(
        flags_of(0, |fp| fp.convert(H, D, 0x0001, rne)),
        (0x3e70_0000_0000_0000, 0)
    );
    // NaNs keep sign and top payload bits, quietened.
    assert_eq!(
        flags_of(0, |fp| fp.convert(H, S, 0xfd01, rne)),
        (0xffe0_2000, FPSR_IOC)
    );
    assert_eq!(
        flags_of(0, |fp| fp.convert(D, H, 0x7ff0_0400_0000_0000, rne)),
        (0x7e01, FPSR_IOC)
    );
    assert_eq!(
        flags_of(0, |fp| fp.convert(D, S, 0xfff8_0000_2000_0001, rne)),
        (0xffc0_0001, 0)
    );
    // AHP: exponent 31 is normal (131008 max), no infinities or NaNs.
    let ahp = FPCR_AHP;
    assert_eq!(
        flags_of(ahp, |fp| fp.convert(H, S, 0x7fff, rne)),
        (131008f32.to_bits() as u64, 0)
    );
    assert_eq!(
        flags_of(ahp, |fp| fp.convert(S, H, 65536f32.to_bits() as u64, rne)),
        (0x7c00, 0)
    );
    assert_eq!(
        flags_of(ahp, |fp| fp.convert(S, H, 1e6f32.to_bits() as u64, rne)),
        (0x7fff, FPSR_IOC)
    );
    assert_eq!(
        flags_of(ahp, |fp| fp.convert(S, H, 0xff80_0000, rne)),
        (0xffff, FPSR_IOC)
    );
    assert_eq!(
        flags_of(ahp, |fp| fp.convert(S, H, 0xffc0_0000, rne)),
        (0x8000, FPSR_IOC)
    );
    assert_eq!(
        flags_of(ahp | FPCR_DN, |fp| fp.convert(S, H, 0x7fc0_0000, rne)),
        (0, FPSR_IOC)
    );
    // DN applies to other conversions.
    assert_eq!(
        flags_of(FPCR_DN, |fp| fp.convert(S, D, 0xffc0_0001, rne)),
        (D.default_nan(), 0)
    );
    // Single to double under FZ: the denormal input is flushed (IDC), keeping its sign.
    assert_eq!(
        flags_of(FPCR_FZ, |fp| fp.convert(S, D, 0x8000_0001, rne)),
        (1 << 63, FPSR_IDC)
    );
}
