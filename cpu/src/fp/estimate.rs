//! The reciprocal estimates of shared/functions/float: FPRecipEstimate (FRECPE),
//! FPRSqrtEstimate (FRSQRTE), FPRecpX (FRECPX) and the unsigned fixed-point
//! UnsignedRecipEstimate/UnsignedRSqrtEstimate (URECPE, URSQRTE), with the 8-bit
//! RecipEstimate/RecipSqrtEstimate tables computed as the pseudocode defines them.

use super::{Fmt, Fp, Rounding, FPCR_FZ, FPSR_DZC, FPSR_IOC, FPSR_IXC, FPSR_OFC, FPSR_UFC};

/// RecipEstimate(a) for `a` in 256..=511 (a u0.9 value in [0.5, 1)): the reciprocal in
/// 256..=511 (a u1.8 value in [1, 2)), rounded to nearest.
pub fn recip_estimate(a: u64) -> u64 {
    let a = a * 2 + 1;
    let b = (1 << 19) / a;
    b.div_ceil(2)
}

/// RecipSqrtEstimate(a) for `a` in 128..=511 (a u0.9 value in [0.25, 1)): 1/sqrt in
/// 256..=511, rounded to nearest.
pub fn recip_sqrt_estimate(a: u64) -> u64 {
    let a = if a < 256 {
        a * 2 + 1
    } else {
        (((a >> 1) << 1) + 1) << 1
    };
    let mut b = 512u64;
    while a * (b + 1) * (b + 1) < 1 << 28 {
        b += 1;
    }
    b.div_ceil(2)
}

/// UnsignedRecipEstimate() (URECPE) of a 32-bit lane.
pub fn unsigned_recip_estimate(op: u32) -> u32 {
    if op >> 31 == 0 {
        u32::MAX
    } else {
        (recip_estimate(op as u64 >> 23) as u32) << 23
    }
}

/// UnsignedRSqrtEstimate() (URSQRTE) of a 32-bit lane.
pub fn unsigned_rsqrt_estimate(op: u32) -> u32 {
    if op >> 30 == 0 {
        u32::MAX
    } else {
        (recip_sqrt_estimate(op as u64 >> 23) as u32) << 23
    }
}

/// Bits of the 52-bit working fraction the estimates keep (the pseudocode widens single
/// precision's 23-bit fraction to double's 52).
const WORK_F: u32 = 52;

/// `fmt`'s fraction and biased exponent, the fraction widened to 52 bits.
fn fields(fmt: Fmt, bits: u64) -> (u64, i32) {
    let frac = (bits & fmt.frac_mask()) << (WORK_F - fmt.f);
    let exp = ((bits & fmt.exp_mask()) >> fmt.f) as i32;
    (frac, exp)
}

/// Packs a sign, a biased exponent (kept to its low E bits) and a 52-bit fraction.
fn pack(fmt: Fmt, sign: bool, exp: i32, frac: u64) -> u64 {
    let e = (exp as u64) & ((1 << fmt.e) - 1);
    fmt.zero(sign) | e << fmt.f | frac >> (WORK_F - fmt.f)
}

impl Fp {
    /// FPRecipEstimate().
    pub fn recip_estimate(&mut self, fmt: Fmt, op: u64) -> u64 {
        let a = self.unpack(fmt, op);
        // 2^-128 (single) / 2^-1024 (double): reciprocals of anything smaller overflow.
        let tiny_exp = -(fmt.bias() + 1);
        // 2^126 / 2^1022: reciprocals at or above it are tiny, flushed under FZ.
        let huge_exp = fmt.bias() - 1;
        if a.is_nan() {
            return self.process_nan(fmt, &a);
        }
        if a.is_inf() {
            return fmt.zero(a.sign);
        }
        if a.is_zero() {
            self.raise(FPSR_DZC);
            return fmt.infinity(a.sign);
        }
        let log2 = a.exp + 63 - a.mant.leading_zeros() as i32; // floor(log2 |value|)
        if log2 < tiny_exp {
            let to_inf = match self.rounding() {
                Rounding::TieEven => true,
                Rounding::PosInf => !a.sign,
                Rounding::NegInf => a.sign,
                _ => false,
            };
            self.raise(FPSR_OFC);
            self.raise(FPSR_IXC);
            return if to_inf {
                fmt.infinity(a.sign)
            } else {
                fmt.max_normal(a.sign)
            };
        }
        if self.fpcr & FPCR_FZ != 0 && log2 >= huge_exp {
            // Set directly, not through FPProcessException.
            self.raise(FPSR_UFC);
            return fmt.zero(a.sign);
        }
        let (mut frac, mut exp) = fields(fmt, a.bits);
        if exp == 0 {
            if frac >> (WORK_F - 1) == 0 {
                exp = -1;
                frac = (frac << 2) & ((1 << WORK_F) - 1);
            } else {
                frac = (frac << 1) & ((1 << WORK_F) - 1);
            }
        }
        let scaled = 1 << 8 | frac >> (WORK_F - 8);
        // 253 - exp (single), 2045 - exp (double): 2 × bias - 1 - exp.
        let mut result_exp = 2 * fmt.bias() - 1 - exp;
        let estimate = recip_estimate(scaled);
        let mut frac = (estimate & 0xff) << (WORK_F - 8);
        if result_exp == 0 {
            frac = 1 << (WORK_F - 1) | frac >> 1;
        } else if result_exp == -1 {
            frac = 1 << (WORK_F - 2) | frac >> 2;
            result_exp = 0;
        }
        pack(fmt, a.sign, result_exp, frac)
    }

    /// FPRSqrtEstimate().
    pub fn rsqrt_estimate(&mut self, fmt: Fmt, op: u64) -> u64 {
        let a = self.unpack(fmt, op);
        if a.is_nan() {
            return self.process_nan(fmt, &a);
        }
        if a.is_zero() {
            self.raise(FPSR_DZC);
            return fmt.infinity(a.sign);
        }
        if a.sign {
            self.raise(FPSR_IOC);
            return fmt.default_nan();
        }
        if a.is_inf() {
            return fmt.zero(false);
        }
        let (mut frac, mut exp) = fields(fmt, a.bits);
        let top = 1u64 << (WORK_F - 1);
        let mask = (1u64 << WORK_F) - 1;
        if exp == 0 {
            while frac & top == 0 {
                frac = (frac << 1) & mask;
                exp -= 1;
            }
            frac = (frac << 1) & mask;
        }
        let scaled = if exp & 1 == 0 {
            1 << 8 | frac >> (WORK_F - 8)
        } else {
            1 << 7 | frac >> (WORK_F - 7)
        };
        // (380 - exp) DIV 2 (single), (3068 - exp) DIV 2 (double): (3 × bias - 1 - exp) / 2.
        let result_exp = (3 * fmt.bias() - 1 - exp).div_euclid(2);
        let estimate = recip_sqrt_estimate(scaled);
        pack(fmt, false, result_exp, (estimate & 0xff) << (WORK_F - 8))
    }

    /// FPRecpX(): the sign and the bitwise-inverted exponent, fraction cleared; zeros and
    /// denormals give the largest finite exponent.
    pub fn recpx(&mut self, fmt: Fmt, op: u64) -> u64 {
        let a = self.unpack(fmt, op);
        if a.is_nan() {
            return self.process_nan(fmt, &a);
        }
        let max_exp = (1u64 << fmt.e) - 1;
        let exp = (a.bits & fmt.exp_mask()) >> fmt.f;
        let e = if exp == 0 {
            max_exp - 1
        } else {
            !exp & max_exp
        };
        fmt.zero(a.sign) | e << fmt.f
    }
}
