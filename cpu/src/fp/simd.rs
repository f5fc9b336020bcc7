//! The floating-point functions only Advanced SIMD (and its scalar forms) use, from
//! shared/functions/float: FPMulX, FPRecipStepFused, FPRSqrtStepFused and the
//! FPCompareEQ/GE/GT predicates behind FCMEQ/FCMGE/FCMGT/FACGE/FACGT.

use super::arith::product;
use super::round::{self, Exact};
use super::{Fmt, Fp};

/// FPCompare()'s NZCV for "equal" and "greater than" (bits 31:28).
const NZCV_EQUAL: u32 = 0b0110 << 28;
const NZCV_GREATER: u32 = 0b0010 << 28;

impl Fmt {
    /// FPTwo(sign).
    pub const fn two(self, sign: bool) -> u64 {
        self.zero(sign) | (self.bias() as u64 + 1) << self.f
    }
    /// FPOnePointFive(sign).
    pub const fn one_point_five(self, sign: bool) -> u64 {
        self.zero(sign) | (self.bias() as u64) << self.f | self.quiet_bit()
    }
}

impl Fp {
    /// FPMulX(): FPMul, except that ∞ × 0 is ±2.0 rather than an Invalid Operation.
    pub fn mulx(&mut self, fmt: Fmt, op1: u64, op2: u64) -> u64 {
        let a = self.unpack(fmt, op1);
        let b = self.unpack(fmt, op2);
        let inf_times_zero = (a.is_inf() && b.is_zero()) || (a.is_zero() && b.is_inf());
        if !a.is_nan() && !b.is_nan() && inf_times_zero {
            return fmt.two(a.sign != b.sign);
        }
        self.mul(fmt, op1, op2)
    }

    /// FPRecipStepFused(): 2.0 - op1 × op2, fused (FRECPS).
    pub fn recip_step(&mut self, fmt: Fmt, op1: u64, op2: u64) -> u64 {
        let two = Exact {
            sign: false,
            exp: 1,
            mant: 1,
        };
        self.step_fused(fmt, op1, op2, two, fmt.two(false), 0)
    }

    /// FPRSqrtStepFused(): (3.0 - op1 × op2) / 2, fused and rounded once (FRSQRTS).
    pub fn rsqrt_step(&mut self, fmt: Fmt, op1: u64, op2: u64) -> u64 {
        let three = Exact {
            sign: false,
            exp: 0,
            mant: 3,
        };
        self.step_fused(fmt, op1, op2, three, fmt.one_point_five(false), -1)
    }

    /// The shape both step functions share: op1 is negated before NaN processing (so a
    /// NaN op1 comes back with its sign flipped), ∞ × 0 gives `inf_zero`, an infinite
    /// product gives that infinity, and otherwise `(constant + op1 × op2) × 2^scale` is
    /// rounded once, an exact zero being +0 (−0 when rounding toward −∞).
    fn step_fused(
        &mut self,
        fmt: Fmt,
        op1: u64,
        op2: u64,
        constant: Exact,
        inf_zero: u64,
        scale: i32,
    ) -> u64 {
        let a = self.unpack(fmt, fmt.neg(op1));
        let b = self.unpack(fmt, op2);
        if let Some(r) = self.process_nans(fmt, &a, &b) {
            return r;
        }
        if (a.is_inf() && b.is_zero()) || (a.is_zero() && b.is_inf()) {
            return inf_zero;
        }
        if a.is_inf() || b.is_inf() {
            return fmt.infinity(a.sign != b.sign);
        }
        let p = if a.is_zero() || b.is_zero() {
            Exact {
                sign: false,
                exp: 0,
                mant: 0,
            }
        } else {
            product(&a, &b)
        };
        let sum = round::add(constant, p).map(|x| Exact {
            exp: x.exp + scale,
            ..x
        });
        self.round_or_signed_zero(fmt, sum)
    }

    /// FPCompareEQ(): quiet; only a signalling NaN raises Invalid Operation.
    pub fn compare_eq(&mut self, fmt: Fmt, op1: u64, op2: u64) -> bool {
        self.compare(fmt, op1, op2, false) == NZCV_EQUAL
    }

    /// FPCompareGE(): any NaN raises Invalid Operation and compares false.
    pub fn compare_ge(&mut self, fmt: Fmt, op1: u64, op2: u64) -> bool {
        let r = self.compare(fmt, op1, op2, true);
        r == NZCV_EQUAL || r == NZCV_GREATER
    }

    /// FPCompareGT().
    pub fn compare_gt(&mut self, fmt: Fmt, op1: u64, op2: u64) -> bool {
        self.compare(fmt, op1, op2, true) == NZCV_GREATER
    }
}
