//! FPRound() (Arm ARM shared/functions/float/fpround): an exact value to a format, with
//! flush-to-zero of tiny results, underflow detected before rounding (as Arm does),
//! overflow to infinity or the largest normal by rounding direction, and the alternative
//! half-precision format's saturation. Also the exact-value arithmetic the operations
//! share.

use super::{Fmt, Fp, Rounding, FPSR_IOC, FPSR_IXC, FPSR_OFC, FPSR_UFC, H};

/// A nonzero or zero real `(-1)^sign × mant × 2^exp`. When a result cannot be held
/// exactly, bit 0 of `mant` is "jammed": ORed with every bit shifted out. Jamming keeps the
/// value strictly between the same two even integers as the true value, so it rounds the
/// same at any position at least two bits above bit 0; users keep the leading one at bit
/// 62 or above so that this holds for every format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Exact {
    pub sign: bool,
    pub exp: i32,
    pub mant: u128,
}

/// `m >> s` with the shifted-out bits jammed into bit 0.
pub(super) fn jam_shr(m: u128, s: u32) -> u128 {
    if s == 0 {
        m
    } else if s >= 128 {
        (m != 0) as u128
    } else {
        (m >> s) | ((m & ((1u128 << s) - 1)) != 0) as u128
    }
}

/// Where `add` places each operand's leading one: room for a carry above, and at least
/// 19 zero bits below any operand of up to 106 bits (an exact double product).
const ADD_TOP: u32 = 125;

/// The exact sum of two values whose `mant`s have at most 106 significant bits, jammed if
/// the smaller had to be shifted past bit 0. `None` when the sum is exactly zero.
pub(super) fn add(a: Exact, b: Exact) -> Option<Exact> {
    if a.mant == 0 {
        return (b.mant != 0).then_some(b);
    }
    if b.mant == 0 {
        return Some(a);
    }
    let norm = |x: Exact| {
        let s = x.mant.leading_zeros() - (127 - ADD_TOP);
        Exact {
            sign: x.sign,
            exp: x.exp - s as i32,
            mant: x.mant << s,
        }
    };
    let (mut a, mut b) = (norm(a), norm(b));
    if a.exp < b.exp {
        std::mem::swap(&mut a, &mut b);
    }
    let shift = (a.exp - b.exp) as u32;
    let bm = jam_shr(b.mant, shift);
    let (sign, mant) = if a.sign == b.sign {
        (a.sign, a.mant + bm)
    } else if a.mant >= bm {
        (a.sign, a.mant - bm)
    } else {
        (b.sign, bm - a.mant)
    };
    (mant != 0).then_some(Exact {
        sign,
        exp: a.exp,
        mant,
    })
}

impl Fp {
    /// FPRound(x, fpcr, rounding) for a nonzero `x`, to `fmt`.
    pub(super) fn round(&mut self, fmt: Fmt, x: Exact, rounding: Rounding) -> u64 {
        debug_assert!(x.mant != 0);
        let sign = x.sign;
        let lz = x.mant.leading_zeros();
        let m = x.mant << lz;
        // x = 1.m × 2^exponent, with the leading one of `m` at bit 127.
        let exponent = x.exp + (127 - lz as i32);
        let min_exp = fmt.min_exp();
        if self.flushes(fmt) && exponent < min_exp {
            // Flush-to-zero: UFC only, never IXC.
            self.raise(FPSR_UFC);
            return fmt.zero(sign);
        }
        let mut biased = (exponent - min_exp + 1).max(0);
        let m = if biased == 0 {
            jam_shr(m, (min_exp - exponent) as u32)
        } else {
            m
        };
        let shift = 127 - fmt.f;
        let mut int_mant = (m >> shift) as u64;
        let error = m & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let mut inexact = error != 0;
        // Underflow is tininess before rounding, and only when inexact (UFE is RAZ).
        if biased == 0 && inexact {
            self.raise(FPSR_UFC);
        }
        let (round_up, overflow_to_inf) = match rounding {
            Rounding::TieEven => (error > half || (error == half && int_mant & 1 == 1), true),
            Rounding::TieAway => (error >= half, true),
            Rounding::PosInf => (inexact && !sign, !sign),
            Rounding::NegInf => (inexact && sign, sign),
            Rounding::Zero | Rounding::Odd => (false, false),
        };
        if round_up {
            int_mant += 1;
            if int_mant == 1 << fmt.f {
                // A denormal rounded up to the smallest normal.
                biased = 1;
            }
            if int_mant == 1 << (fmt.f + 1) {
                biased += 1;
                int_mant >>= 1;
            }
        }
        if inexact && rounding == Rounding::Odd {
            int_mant |= 1;
        }
        let sign_bits = fmt.zero(sign);
        let encode = |biased: i32, int_mant: u64| {
            sign_bits | (biased as u64) << fmt.f | (int_mant & fmt.frac_mask())
        };
        let result = if fmt != H || !self.ahp() {
            if biased >= (1 << fmt.e) - 1 {
                self.raise(FPSR_OFC);
                inexact = true;
                if overflow_to_inf {
                    fmt.infinity(sign)
                } else {
                    fmt.max_normal(sign)
                }
            } else {
                encode(biased, int_mant)
            }
        } else if biased >= 1 << fmt.e {
            // The alternative half-precision format has no infinity: saturate, Invalid.
            self.raise(FPSR_IOC);
            inexact = false;
            sign_bits | (fmt.mask() >> 1)
        } else {
            encode(biased, int_mant)
        };
        if inexact {
            self.raise(FPSR_IXC);
        }
        result
    }
}
