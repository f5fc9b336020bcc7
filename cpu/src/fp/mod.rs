//! Scalar floating point as the Arm ARM defines it (shared/functions/float/*): FPUnpack,
//! FPRound, the arithmetic, comparison and conversion functions, with FPCR.{RMode, FZ, DN,
//! AHP} and the cumulative FPSR flags. Bit-exact with the pseudocode, not with a host FPU.
//!
//! The pseudocode computes on mathematical reals and rounds once (FPRound). We do the same
//! on integers: every finite value is `mant × 2^exp` with an integer `mant`, results are
//! formed exactly in a `u128` (or with a "jammed" sticky bit in bit 0 where an exact result
//! would not fit, which rounds identically), then `round.rs` applies FPRound.
//!
//! The cortex-A72 is v8.0: half precision exists only as a storage format (FCVT, and the
//! AdvSIMD conversions), there is no FPCR.FZ16, and FP exception traps are not supported,
//! so the trap-enable bits of FPCR never take effect (the flags are always cumulative).

mod arith;
mod convert;
mod estimate;
mod nan;
mod round;
mod simd;

pub use estimate::{unsigned_recip_estimate, unsigned_rsqrt_estimate};

#[cfg(test)]
mod tests;

/// FPCR fields (Arm ARM C5.2.7).
pub const FPCR_AHP: u32 = 1 << 26;
pub const FPCR_DN: u32 = 1 << 25;
pub const FPCR_FZ: u32 = 1 << 24;
pub const FPCR_RMODE_SHIFT: u32 = 22;

/// FPSR cumulative exception flags (Arm ARM C5.2.8).
pub const FPSR_IOC: u32 = 1 << 0;
pub const FPSR_DZC: u32 = 1 << 1;
pub const FPSR_OFC: u32 = 1 << 2;
pub const FPSR_UFC: u32 = 1 << 3;
pub const FPSR_IXC: u32 = 1 << 4;
pub const FPSR_IDC: u32 = 1 << 7;

/// A binary floating-point format: N bits, E exponent bits, F fraction bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fmt {
    pub n: u32,
    pub e: u32,
    pub f: u32,
}

/// IEEE half precision (storage only on v8.0).
pub const H: Fmt = Fmt { n: 16, e: 5, f: 10 };
/// Single precision.
pub const S: Fmt = Fmt { n: 32, e: 8, f: 23 };
/// Double precision.
pub const D: Fmt = Fmt {
    n: 64,
    e: 11,
    f: 52,
};

impl Fmt {
    /// All N bits set.
    pub const fn mask(self) -> u64 {
        u64::MAX >> (64 - self.n)
    }
    pub const fn sign_bit(self) -> u64 {
        1 << (self.n - 1)
    }
    pub const fn exp_mask(self) -> u64 {
        ((1 << self.e) - 1) << self.f
    }
    pub const fn frac_mask(self) -> u64 {
        (1 << self.f) - 1
    }
    /// The most significant fraction bit: set in a quiet NaN.
    pub const fn quiet_bit(self) -> u64 {
        1 << (self.f - 1)
    }
    pub const fn bias(self) -> i32 {
        (1 << (self.e - 1)) - 1
    }
    /// The exponent of the smallest normal number (`minimum_exp` in FPRound).
    pub const fn min_exp(self) -> i32 {
        1 - self.bias()
    }
    const fn sign(self, sign: bool) -> u64 {
        if sign {
            self.sign_bit()
        } else {
            0
        }
    }
    /// FPZero().
    pub const fn zero(self, sign: bool) -> u64 {
        self.sign(sign)
    }
    /// FPInfinity().
    pub const fn infinity(self, sign: bool) -> u64 {
        self.sign(sign) | self.exp_mask()
    }
    /// FPMaxNormal().
    pub const fn max_normal(self, sign: bool) -> u64 {
        self.sign(sign) | (self.exp_mask() - (1 << self.f)) | self.frac_mask()
    }
    /// FPDefaultNaN(): positive, quiet, zero payload.
    pub const fn default_nan(self) -> u64 {
        self.exp_mask() | self.quiet_bit()
    }
    /// FPNeg(): flips the sign, NaNs included (v8.0 has no FPCR.AH).
    pub const fn neg(self, bits: u64) -> u64 {
        (bits ^ self.sign_bit()) & self.mask()
    }
    /// FPAbs().
    pub const fn abs(self, bits: u64) -> u64 {
        bits & (self.mask() >> 1)
    }
}

/// FPType.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FpType {
    Zero,
    Denormal,
    Nonzero,
    Infinity,
    QNaN,
    SNaN,
}

/// FPRounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    TieEven,
    PosInf,
    NegInf,
    Zero,
    TieAway,
    /// Round to odd (FCVTXN).
    Odd,
}

impl Rounding {
    /// FPDecodeRounding(): the FPCR.RMode encoding.
    pub const fn from_rmode(rmode: u32) -> Rounding {
        match rmode & 3 {
            0 => Rounding::TieEven,
            1 => Rounding::PosInf,
            2 => Rounding::NegInf,
            _ => Rounding::Zero,
        }
    }
}

/// An operand as FPUnpack() sees it: its type, sign and, when finite, its magnitude
/// `mant × 2^exp` (zero `mant` for zeros, infinities and NaNs). `bits` is the encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unpacked {
    pub ty: FpType,
    pub sign: bool,
    pub exp: i32,
    pub mant: u64,
    pub bits: u64,
}

impl Unpacked {
    pub fn is_nan(&self) -> bool {
        matches!(self.ty, FpType::QNaN | FpType::SNaN)
    }
    pub fn is_zero(&self) -> bool {
        self.ty == FpType::Zero
    }
    pub fn is_inf(&self) -> bool {
        self.ty == FpType::Infinity
    }
}

/// The floating-point environment of one operation: FPCR in, FPSR flags out. Callers OR
/// `flags` into FPSR once the operation is done.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fp {
    pub fpcr: u32,
    pub flags: u32,
}

impl Fp {
    pub fn new(fpcr: u32) -> Self {
        Fp { fpcr, flags: 0 }
    }

    /// FPProcessException() with every trap disabled: sets the cumulative flag.
    pub fn raise(&mut self, flag: u32) {
        self.flags |= flag;
    }

    /// FPRoundingMode(): FPCR.RMode.
    pub fn rounding(&self) -> Rounding {
        Rounding::from_rmode(self.fpcr >> FPCR_RMODE_SHIFT)
    }

    fn dn(&self) -> bool {
        self.fpcr & FPCR_DN != 0
    }

    fn ahp(&self) -> bool {
        self.fpcr & FPCR_AHP != 0
    }

    /// Whether FPCR.FZ flushes denormals of `fmt` (never half precision: FZ16 is v8.2).
    fn flushes(&self, fmt: Fmt) -> bool {
        self.fpcr & FPCR_FZ != 0 && fmt != H
    }

    /// FPUnpack(): classifies `bits` of `fmt`, flushing a denormal input to zero (and
    /// setting IDC) under FPCR.FZ. Half precision observes FPCR.AHP: with it set, the
    /// all-ones exponent encodes normal numbers rather than infinities and NaNs.
    pub fn unpack(&mut self, fmt: Fmt, bits: u64) -> Unpacked {
        let bits = bits & fmt.mask();
        let sign = bits & fmt.sign_bit() != 0;
        let exp = ((bits & fmt.exp_mask()) >> fmt.f) as i32;
        let frac = bits & fmt.frac_mask();
        let max_exp = (1 << fmt.e) - 1;
        let (ty, e, m) = if exp == 0 {
            if frac == 0 {
                (FpType::Zero, 0, 0)
            } else if self.flushes(fmt) {
                self.raise(FPSR_IDC);
                (FpType::Zero, 0, 0)
            } else {
                (FpType::Denormal, fmt.min_exp() - fmt.f as i32, frac)
            }
        } else if exp == max_exp && !(fmt == H && self.ahp()) {
            if frac == 0 {
                (FpType::Infinity, 0, 0)
            } else if frac & fmt.quiet_bit() != 0 {
                (FpType::QNaN, 0, 0)
            } else {
                (FpType::SNaN, 0, 0)
            }
        } else {
            let m = frac | 1 << fmt.f;
            (FpType::Nonzero, exp - fmt.bias() - fmt.f as i32, m)
        };
        Unpacked {
            ty,
            sign,
            exp: e,
            mant: m,
            bits,
        }
    }
}
