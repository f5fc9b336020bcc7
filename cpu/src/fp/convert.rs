//! Conversions of shared/functions/float: FPConvert (between formats, with FPCR.AHP for
//! half precision), FPRoundInt (FRINT*), FPToFixed (FCVT* to integers and fixed point)
//! and FixedToFP (SCVTF, UCVTF).

use super::nan::convert_nan;
use super::round::Exact;
use super::{Fmt, Fp, Rounding, FPSR_IOC, FPSR_IXC, H};

/// An integral magnitude and what was cut off below it, for the round-to-integer rules
/// that FPRoundInt and FPToFixed share.
struct Truncated {
    int: u128,
    /// The fraction as a 128-bit binary fraction (bit 127 is one half), jammed.
    frac: u128,
}

/// `mant × 2^exp` split into its integer part and fraction. `exp` ≥ 0 only with
/// `mant << exp` below 2^127 (the callers ensure it).
fn truncate(mant: u64, exp: i32) -> Truncated {
    let m = mant as u128;
    if exp >= 0 {
        return Truncated {
            int: m << exp,
            frac: 0,
        };
    }
    let s = exp.unsigned_abs();
    if s >= 128 {
        // Far below one half (the magnitude has at most 64 bits).
        return Truncated {
            int: 0,
            frac: (m != 0) as u128,
        };
    }
    // frac_bits < 2^s, so moving it to the top of 128 bits loses nothing.
    let frac_bits = m & ((1u128 << s) - 1);
    Truncated {
        int: m >> s,
        frac: frac_bits << (128 - s),
    }
}

/// Whether rounding a magnitude with this truncation moves it away from zero, per the
/// round_up cases of FPRoundInt/FPToFixed restated on magnitude and sign.
fn rounds_away(t: &Truncated, sign: bool, rounding: Rounding) -> bool {
    const HALF: u128 = 1 << 127;
    let inexact = t.frac != 0;
    match rounding {
        Rounding::TieEven => t.frac > HALF || (t.frac == HALF && t.int & 1 == 1),
        Rounding::TieAway => t.frac >= HALF,
        Rounding::PosInf => inexact && !sign,
        Rounding::NegInf => inexact && sign,
        Rounding::Zero | Rounding::Odd => false,
    }
}

impl Fp {
    /// FPConvert(): `op` of `from` to `to`, rounding with `rounding`. Half precision
    /// follows FPCR.AHP and is never flushed; single and double inputs and outputs
    /// observe FPCR.FZ.
    pub fn convert(&mut self, from: Fmt, to: Fmt, op: u64, rounding: Rounding) -> u64 {
        let a = self.unpack(from, op);
        let alt_hp = to == H && self.ahp();
        if a.is_nan() {
            if alt_hp || a.ty == super::FpType::SNaN {
                self.raise(FPSR_IOC);
            }
            if alt_hp {
                to.zero(a.sign)
            } else if self.dn() {
                to.default_nan()
            } else {
                convert_nan(from, to, a.bits)
            }
        } else if a.is_inf() {
            if alt_hp {
                self.raise(FPSR_IOC);
                to.zero(a.sign) | (to.mask() >> 1)
            } else {
                to.infinity(a.sign)
            }
        } else if a.is_zero() {
            to.zero(a.sign)
        } else {
            let x = Exact {
                sign: a.sign,
                exp: a.exp,
                mant: a.mant as u128,
            };
            self.round(to, x, rounding)
        }
    }

    /// FPRoundInt(): `op` rounded to an integral value in its own format; `exact` (FRINTX)
    /// raises Inexact when that changed the value. A zero result keeps the operand's sign.
    pub fn round_int(&mut self, fmt: Fmt, op: u64, rounding: Rounding, exact: bool) -> u64 {
        let a = self.unpack(fmt, op);
        if a.is_nan() {
            return self.process_nan(fmt, &a);
        }
        if a.is_inf() || a.is_zero() {
            return if a.is_inf() {
                fmt.infinity(a.sign)
            } else {
                fmt.zero(a.sign)
            };
        }
        if a.exp >= 0 {
            // Already integral.
            return a.bits;
        }
        let t = truncate(a.mant, a.exp);
        let int = t.int + rounds_away(&t, a.sign, rounding) as u128;
        if t.frac != 0 && exact {
            self.raise(FPSR_IXC);
        }
        if int == 0 {
            return fmt.zero(a.sign);
        }
        let x = Exact {
            sign: a.sign,
            exp: 0,
            mant: int,
        };
        // Exact, so it raises nothing.
        self.round(fmt, x, Rounding::Zero)
    }

    /// FPToFixed(): `op` × 2^fbits rounded to an integer of `bits` bits (32 or 64),
    /// saturating with Invalid Operation; NaNs give 0 and Invalid Operation.
    pub fn to_fixed(
        &mut self,
        fmt: Fmt,
        op: u64,
        fbits: u32,
        unsigned: bool,
        bits: u32,
        rounding: Rounding,
    ) -> u64 {
        let a = self.unpack(fmt, op);
        if a.is_nan() {
            self.raise(FPSR_IOC);
            return 0;
        }
        let exp = a.exp + fbits as i32;
        let (int, inexact) = if a.is_inf() || (a.mant != 0 && exp > 64) {
            // At least 2^65 in magnitude: saturates whatever the rounding.
            (1i128 << 65, false)
        } else {
            let t = truncate(a.mant, exp);
            let m = t.int + rounds_away(&t, a.sign, rounding) as u128;
            (m as i128, t.frac != 0)
        };
        let int = if a.sign { -int } else { int };
        let (min, max) = if unsigned {
            (0i128, (1i128 << bits) - 1)
        } else {
            (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
        };
        let sat = int.clamp(min, max);
        if sat != int {
            self.raise(FPSR_IOC);
        } else if inexact {
            self.raise(FPSR_IXC);
        }
        sat as u64 & (u64::MAX >> (64 - bits))
    }

    /// FixedToFP(): the integer `op` of `bits` bits (32 or 64), divided by 2^fbits and
    /// rounded to `fmt`. Zero converts to +0.
    pub fn fixed_to_fp(
        &mut self,
        fmt: Fmt,
        op: u64,
        fbits: u32,
        unsigned: bool,
        bits: u32,
        rounding: Rounding,
    ) -> u64 {
        let op = op & (u64::MAX >> (64 - bits));
        let (sign, magnitude) = if unsigned {
            (false, op)
        } else {
            let v = crate::insn::sext(op, bits) as i64;
            (v < 0, v.unsigned_abs())
        };
        if magnitude == 0 {
            return fmt.zero(false);
        }
        let x = Exact {
            sign,
            exp: -(fbits as i32),
            mant: magnitude as u128,
        };
        self.round(fmt, x, rounding)
    }
}
