//! The arithmetic of shared/functions/float: FPAdd, FPSub, FPMul, FPMulAdd (fused), FPDiv,
//! FPSqrt, FPMax, FPMin, FPMaxNum, FPMinNum and FPCompare, each following its pseudocode's
//! order of special cases, then forming the exact result and rounding it once.

use super::round::{self, Exact};
use super::{Fmt, Fp, FpType, Rounding, Unpacked, FPSR_DZC, FPSR_IOC};
use std::cmp::Ordering;

impl Unpacked {
    pub(super) fn exact(&self) -> Exact {
        Exact {
            sign: self.sign,
            exp: self.exp,
            mant: self.mant as u128,
        }
    }
}

/// Where FPDiv places the dividend's leading one, so the quotient has 73 or more bits.
const DIV_TOP: u32 = 126;

impl Fp {
    pub(super) fn default_nan_invalid(&mut self, fmt: Fmt) -> u64 {
        self.raise(FPSR_IOC);
        fmt.default_nan()
    }

    /// A rounded nonzero result, or the zero whose sign the rounding mode decides (+0, or
    /// -0 when rounding toward minus infinity), as FPAdd and FPMulAdd give exact zeros.
    pub(super) fn round_or_signed_zero(&mut self, fmt: Fmt, x: Option<Exact>) -> u64 {
        let rounding = self.rounding();
        match x {
            Some(x) => self.round(fmt, x, rounding),
            None => fmt.zero(rounding == Rounding::NegInf),
        }
    }

    /// FPAdd().
    pub fn add(&mut self, fmt: Fmt, op1: u64, op2: u64) -> u64 {
        let a = self.unpack(fmt, op1);
        let b = self.unpack(fmt, op2);
        if let Some(r) = self.process_nans(fmt, &a, &b) {
            return r;
        }
        self.add_values(fmt, &a, &b)
    }

    /// FPSub(): NaNs are processed before op2's sign is flipped, so they keep theirs.
    pub fn sub(&mut self, fmt: Fmt, op1: u64, op2: u64) -> u64 {
        let a = self.unpack(fmt, op1);
        let b = self.unpack(fmt, op2);
        if let Some(r) = self.process_nans(fmt, &a, &b) {
            return r;
        }
        let b = Unpacked { sign: !b.sign, ..b };
        self.add_values(fmt, &a, &b)
    }

    fn add_values(&mut self, fmt: Fmt, a: &Unpacked, b: &Unpacked) -> u64 {
        if a.is_inf() && b.is_inf() && a.sign != b.sign {
            self.default_nan_invalid(fmt)
        } else if a.is_inf() {
            fmt.infinity(a.sign)
        } else if b.is_inf() {
            fmt.infinity(b.sign)
        } else if a.is_zero() && b.is_zero() && a.sign == b.sign {
            fmt.zero(a.sign)
        } else {
            let sum = round::add(a.exact(), b.exact());
            self.round_or_signed_zero(fmt, sum)
        }
    }

    /// FPMul().
    pub fn mul(&mut self, fmt: Fmt, op1: u64, op2: u64) -> u64 {
        let a = self.unpack(fmt, op1);
        let b = self.unpack(fmt, op2);
        if let Some(r) = self.process_nans(fmt, &a, &b) {
            return r;
        }
        let sign = a.sign != b.sign;
        if (a.is_inf() && b.is_zero()) || (a.is_zero() && b.is_inf()) {
            self.default_nan_invalid(fmt)
        } else if a.is_inf() || b.is_inf() {
            fmt.infinity(sign)
        } else if a.is_zero() || b.is_zero() {
            fmt.zero(sign)
        } else {
            let rounding = self.rounding();
            self.round(fmt, product(&a, &b), rounding)
        }
    }

    /// FPMulAdd(addend, op1, op2): addend + op1 × op2 with a single rounding.
    pub fn mul_add(&mut self, fmt: Fmt, addend: u64, op1: u64, op2: u64) -> u64 {
        let c = self.unpack(fmt, addend);
        let a = self.unpack(fmt, op1);
        let b = self.unpack(fmt, op2);
        let inf_times_zero = (a.is_inf() && b.is_zero()) || (a.is_zero() && b.is_inf());
        let nan = self.process_nans3(fmt, &c, &a, &b);
        // A quiet-NaN addend does not hide the Invalid Operation of ∞ × 0.
        if c.ty == FpType::QNaN && inf_times_zero {
            return self.default_nan_invalid(fmt);
        }
        if let Some(r) = nan {
            return r;
        }
        let sign_p = a.sign != b.sign;
        let inf_p = a.is_inf() || b.is_inf();
        let zero_p = a.is_zero() || b.is_zero();
        if inf_times_zero || (c.is_inf() && inf_p && c.sign != sign_p) {
            self.default_nan_invalid(fmt)
        } else if (c.is_inf() && !c.sign) || (inf_p && !sign_p) {
            fmt.infinity(false)
        } else if (c.is_inf() && c.sign) || (inf_p && sign_p) {
            fmt.infinity(true)
        } else if c.is_zero() && zero_p && c.sign == sign_p {
            fmt.zero(c.sign)
        } else {
            let p = if zero_p {
                Exact {
                    sign: sign_p,
                    exp: 0,
                    mant: 0,
                }
            } else {
                product(&a, &b)
            };
            let sum = round::add(c.exact(), p);
            self.round_or_signed_zero(fmt, sum)
        }
    }

    /// FPDiv().
    pub fn div(&mut self, fmt: Fmt, op1: u64, op2: u64) -> u64 {
        let a = self.unpack(fmt, op1);
        let b = self.unpack(fmt, op2);
        if let Some(r) = self.process_nans(fmt, &a, &b) {
            return r;
        }
        let sign = a.sign != b.sign;
        if (a.is_inf() && b.is_inf()) || (a.is_zero() && b.is_zero()) {
            self.default_nan_invalid(fmt)
        } else if a.is_inf() || b.is_zero() {
            if !a.is_inf() {
                self.raise(FPSR_DZC);
            }
            fmt.infinity(sign)
        } else if a.is_zero() || b.is_inf() {
            fmt.zero(sign)
        } else {
            let s = (a.mant as u128).leading_zeros() - (127 - DIV_TOP);
            let n = (a.mant as u128) << s;
            let d = b.mant as u128;
            let q = (n / d) | (!n.is_multiple_of(d)) as u128;
            let x = Exact {
                sign,
                exp: a.exp - s as i32 - b.exp,
                mant: q,
            };
            let rounding = self.rounding();
            self.round(fmt, x, rounding)
        }
    }

    /// FPSqrt().
    pub fn sqrt(&mut self, fmt: Fmt, op: u64) -> u64 {
        let a = self.unpack(fmt, op);
        if a.is_nan() {
            self.process_nan(fmt, &a)
        } else if a.is_zero() {
            fmt.zero(a.sign)
        } else if a.is_inf() && !a.sign {
            fmt.infinity(false)
        } else if a.sign {
            self.default_nan_invalid(fmt)
        } else {
            // Place the leading one at bit 124 or 125 with an even exponent: the root has
            // 63 bits, and a nonzero remainder is jammed.
            let mut s = (a.mant as u128).leading_zeros() - 2;
            if (a.exp - s as i32) & 1 != 0 {
                s -= 1;
            }
            let m = (a.mant as u128) << s;
            let r = m.isqrt();
            let x = Exact {
                sign: false,
                exp: (a.exp - s as i32) / 2,
                mant: r | (r * r != m) as u128,
            };
            let rounding = self.rounding();
            self.round(fmt, x, rounding)
        }
    }

    /// FPMax().
    pub fn max(&mut self, fmt: Fmt, op1: u64, op2: u64) -> u64 {
        self.min_max(fmt, op1, op2, true)
    }

    /// FPMin().
    pub fn min(&mut self, fmt: Fmt, op1: u64, op2: u64) -> u64 {
        self.min_max(fmt, op1, op2, false)
    }

    fn min_max(&mut self, fmt: Fmt, op1: u64, op2: u64, is_max: bool) -> u64 {
        let a = self.unpack(fmt, op1);
        let b = self.unpack(fmt, op2);
        if let Some(r) = self.process_nans(fmt, &a, &b) {
            return r;
        }
        let first = match compare_values(fmt, &a, &b) {
            Ordering::Greater => is_max,
            Ordering::Less => !is_max,
            Ordering::Equal => false,
        };
        let pick = if first { a } else { b };
        match pick.ty {
            FpType::Infinity => fmt.infinity(pick.sign),
            // The most positive zero for max, the most negative for min.
            FpType::Zero if is_max => fmt.zero(a.sign && b.sign),
            FpType::Zero => fmt.zero(a.sign || b.sign),
            // FPRound of an operand's own value: exact, so the operand itself.
            _ => pick.bits,
        }
    }

    /// FPMaxNum(): a single quiet NaN is treated as -∞, so the number wins.
    pub fn max_num(&mut self, fmt: Fmt, op1: u64, op2: u64) -> u64 {
        let (op1, op2) = self.num_operands(fmt, op1, op2, fmt.infinity(true));
        self.max(fmt, op1, op2)
    }

    /// FPMinNum(): a single quiet NaN is treated as +∞.
    pub fn min_num(&mut self, fmt: Fmt, op1: u64, op2: u64) -> u64 {
        let (op1, op2) = self.num_operands(fmt, op1, op2, fmt.infinity(false));
        self.min(fmt, op1, op2)
    }

    fn num_operands(&mut self, fmt: Fmt, op1: u64, op2: u64, inf: u64) -> (u64, u64) {
        let q1 = self.unpack(fmt, op1).ty == FpType::QNaN;
        let q2 = self.unpack(fmt, op2).ty == FpType::QNaN;
        match (q1, q2) {
            (true, false) => (inf, op2),
            (false, true) => (op1, inf),
            _ => (op1, op2),
        }
    }

    /// FPCompare(): NZCV in bits 31:28. Unordered is 0011; a signalling NaN, or any NaN
    /// when `signal_nans` (FCMPE, FCCMPE), raises Invalid Operation.
    pub fn compare(&mut self, fmt: Fmt, op1: u64, op2: u64, signal_nans: bool) -> u32 {
        const UNORDERED: u32 = 0b0011 << 28;
        const EQUAL: u32 = 0b0110 << 28;
        const LESS: u32 = 0b1000 << 28;
        const GREATER: u32 = 0b0010 << 28;
        let a = self.unpack(fmt, op1);
        let b = self.unpack(fmt, op2);
        if a.is_nan() || b.is_nan() {
            if a.ty == FpType::SNaN || b.ty == FpType::SNaN || signal_nans {
                self.raise(FPSR_IOC);
            }
            return UNORDERED;
        }
        match compare_values(fmt, &a, &b) {
            Ordering::Equal => EQUAL,
            Ordering::Less => LESS,
            Ordering::Greater => GREATER,
        }
    }
}

/// The exact product of two finite nonzero operands (at most 106 bits).
pub(super) fn product(a: &Unpacked, b: &Unpacked) -> Exact {
    Exact {
        sign: a.sign != b.sign,
        exp: a.exp + b.exp,
        mant: a.mant as u128 * b.mant as u128,
    }
}

/// Orders two non-NaN operands of one format by value (+0 equals -0). Within a format the
/// magnitude's encoding is monotonic in its value; flushed denormals count as zero.
fn compare_values(fmt: Fmt, a: &Unpacked, b: &Unpacked) -> Ordering {
    let key = |u: &Unpacked| -> i64 {
        let magnitude = if u.is_zero() {
            0
        } else {
            fmt.abs(u.bits) as i64
        };
        if u.sign {
            -magnitude
        } else {
            magnitude
        }
    };
    key(a).cmp(&key(b))
}
