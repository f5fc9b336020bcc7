//! NaN propagation: FPProcessNaN(), FPProcessNaNs(), FPProcessNaNs3() and FPConvertNaN()
//! (Arm ARM shared/functions/float/fpprocessnan*). Signalling NaNs win over quiet ones,
//! then operand order decides; FPCR.DN replaces any NaN result by the default NaN.

use super::{Fmt, Fp, FpType, Unpacked, FPSR_IOC};

impl Fp {
    /// FPProcessNaN(): quiets a signalling NaN (raising Invalid Operation), or returns the
    /// default NaN under FPCR.DN.
    pub(super) fn process_nan(&mut self, fmt: Fmt, op: &Unpacked) -> u64 {
        let mut r = op.bits;
        if op.ty == FpType::SNaN {
            r |= fmt.quiet_bit();
            self.raise(FPSR_IOC);
        }
        if self.dn() {
            r = fmt.default_nan();
        }
        r
    }

    /// FPProcessNaNs(): the NaN result of a two-operand operation, if any operand is a NaN.
    pub(super) fn process_nans(&mut self, fmt: Fmt, a: &Unpacked, b: &Unpacked) -> Option<u64> {
        self.process_nans_of(fmt, &[a, b])
    }

    /// FPProcessNaNs3(): the same for three operands (FPMulAdd passes the addend first).
    pub(super) fn process_nans3(
        &mut self,
        fmt: Fmt,
        a: &Unpacked,
        b: &Unpacked,
        c: &Unpacked,
    ) -> Option<u64> {
        self.process_nans_of(fmt, &[a, b, c])
    }

    fn process_nans_of(&mut self, fmt: Fmt, ops: &[&Unpacked]) -> Option<u64> {
        let first = |ty| ops.iter().find(|o| o.ty == ty).copied();
        let op = first(FpType::SNaN).or_else(|| first(FpType::QNaN))?;
        Some(self.process_nan(fmt, op))
    }
}

/// FPConvertNaN(): a NaN of `from` as a quiet NaN of `to`, with its sign and the payload
/// below the quiet bit kept left-aligned (truncated or zero-extended on the right).
pub fn convert_nan(from: Fmt, to: Fmt, bits: u64) -> u64 {
    let sign = bits & from.sign_bit() != 0;
    let payload = bits & (from.quiet_bit() - 1);
    let payload = if to.f >= from.f {
        payload << (to.f - from.f)
    } else {
        payload >> (from.f - to.f)
    };
    to.zero(sign) | to.exp_mask() | to.quiet_bit() | payload
}
