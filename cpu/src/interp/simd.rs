//! Shared pieces of the Advanced SIMD handlers: vector register lanes (the Arm ARM's
//! `Elem[]`, `V[]` and `Vpart[]` accessors, J1), the FP/SIMD access check of CPACR_EL1
//! (`CheckFPAdvSIMDEnabled64()`, D13.2.30), saturation into FPSR.QC (`SatQ()`, J1) and the
//! unbounded-precision shifts the SSHL/SRSHL/SQSHL family is written with.
//!
//! Lanes are held as `u64` values of `esize` bits (8, 16, 32 or 64), zero-extended; the
//! register file keeps each V register as a little-endian `u128`.

use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;

/// FPSR.QC, the cumulative saturation flag (C5.2.8).
pub const FPSR_QC: u32 = 1 << 27;

/// CheckFPAdvSIMDEnabled64(): the trap CPACR_EL1.FPEN asks for, if any. The check itself
/// is `floating_point::check_fp_enabled`, shared with the scalar FP instructions.
#[inline(always)]
pub fn fp_access_trap(cpu: &Cpu) -> Option<Flow> {
    super::floating_point::check_fp_enabled(cpu)
        .err()
        .map(Flow::Exception)
}

/// Returns the access trap from the enclosing handler, if CPACR_EL1 asks for one.
macro_rules! check_fp {
    ($cpu:expr) => {
        if let Some(f) = $crate::interp::simd::fp_access_trap($cpu) {
            return f;
        }
    };
}
pub(crate) use check_fp;

/// All-ones in the low `esize` bits.
#[inline(always)]
pub const fn ones(esize: u32) -> u64 {
    if esize >= 64 {
        u64::MAX
    } else {
        (1u64 << esize) - 1
    }
}

/// Elem[v, idx, esize]: lane `idx` of `v`, zero-extended.
#[inline(always)]
pub const fn elem(v: u128, idx: usize, esize: u32) -> u64 {
    ((v >> ((idx as u32 * esize) & 127)) as u64) & ones(esize)
}

/// Elem[v, idx, esize] = x: `v` with lane `idx` replaced by the low `esize` bits of `x`.
#[inline(always)]
pub const fn with_elem(v: u128, idx: usize, esize: u32, x: u64) -> u128 {
    let sh = (idx as u32 * esize) & 127;
    let m = (ones(esize) as u128) << sh;
    (v & !m) | (((x & ones(esize)) as u128) << sh)
}

/// A lane as a signed value.
#[inline(always)]
pub const fn sx(x: u64, esize: u32) -> i64 {
    let sh = 64 - esize;
    ((x << sh) as i64) >> sh
}

/// The low `datasize` bits of a vector (64 or 128).
#[inline(always)]
pub const fn trunc_v(v: u128, datasize: u32) -> u128 {
    if datasize >= 128 {
        v
    } else {
        v & ((1u128 << datasize) - 1)
    }
}

/// Replicates the low `esize` bits of `x` across `datasize` bits.
pub const fn replicate(x: u64, esize: u32, datasize: u32) -> u128 {
    let mut r = 0u128;
    let mut i = 0;
    while i < datasize / esize {
        r = with_elem(r, i as usize, esize, x);
        i += 1;
    }
    r
}

/// Q (bit 30) as the vector datasize in bits.
#[inline(always)]
pub const fn datasize(i: Insn) -> u32 {
    if i.bit(30) {
        128
    } else {
        64
    }
}

impl Cpu {
    /// V[n] as 128 bits.
    #[inline(always)]
    pub fn vreg(&self, n: u32) -> u128 {
        self.s.v[(n & 31) as usize]
    }

    /// V[n] = the low `datasize` bits of `v`; a 64-bit write clears bits 127:64 (the
    /// Arm ARM's V[] setter zero-extends to the register width).
    #[inline(always)]
    pub fn set_vreg(&mut self, n: u32, datasize: u32, v: u128) {
        self.s.v[(n & 31) as usize] = trunc_v(v, datasize);
    }

    /// Vpart[n, part]: the low (0) or high (1) 64 bits of V[n].
    #[inline(always)]
    pub fn vpart(&self, n: u32, part: bool) -> u64 {
        (self.vreg(n) >> if part { 64 } else { 0 }) as u64
    }

    /// Vpart[n, part] = v: part 0 writes the low half and clears the top; part 1 writes the
    /// top half and keeps the low one.
    #[inline(always)]
    pub fn set_vpart(&mut self, n: u32, part: bool, v: u64) {
        let r = &mut self.s.v[(n & 31) as usize];
        *r = if part {
            (*r as u64 as u128) | (v as u128) << 64
        } else {
            v as u128
        };
    }

    /// Sets FPSR.QC when `saturated`.
    #[inline(always)]
    pub fn note_saturation(&mut self, saturated: bool) {
        if saturated {
            self.s.fpsr |= FPSR_QC;
        }
    }
}

/// Builds a vector of `elements` lanes of `esize` bits from a per-lane function.
#[inline(always)]
pub fn lanes(elements: usize, esize: u32, mut f: impl FnMut(usize) -> u64) -> u128 {
    let mut r = 0u128;
    for e in 0..elements {
        r = with_elem(r, e, esize, f(e));
    }
    r
}

/// A saturation tracker: `SatQ()` results that saturated set it, and the handler copies it
/// into FPSR.QC at the end.
#[derive(Default, Clone, Copy)]
pub struct Sat(pub bool);

impl Sat {
    /// SignedSatQ(x, esize): `x` clamped to the signed `esize`-bit range, as lane bits.
    #[inline(always)]
    pub fn signed(&mut self, x: i128, esize: u32) -> u64 {
        let max = (1i128 << (esize - 1)) - 1;
        let min = -(1i128 << (esize - 1));
        let c = x.clamp(min, max);
        self.0 |= c != x;
        (c as u64) & ones(esize)
    }

    /// UnsignedSatQ(x, esize): `x` clamped to 0..2^esize-1.
    #[inline(always)]
    pub fn unsigned(&mut self, x: i128, esize: u32) -> u64 {
        let max = ones(esize) as i128;
        let c = x.clamp(0, max);
        self.0 |= c != x;
        c as u64
    }

    /// SatQ(x, esize, unsigned).
    #[inline(always)]
    pub fn sat(&mut self, x: i128, esize: u32, unsigned: bool) -> u64 {
        if unsigned {
            self.unsigned(x, esize)
        } else {
            self.signed(x, esize)
        }
    }
}

/// A lane as an integer of unbounded precision: Int(x, unsigned) of the pseudocode.
#[inline(always)]
pub const fn int(x: u64, esize: u32, unsigned: bool) -> i128 {
    if unsigned {
        x as i128
    } else {
        sx(x, esize) as i128
    }
}

/// `(x + round) << shift` in unbounded precision, where a negative `shift` shifts right and
/// `round` adds 1 << (-shift - 1) first (the SSHL/SRSHL/SQSHL/SQRSHL pseudocode). `x` is a
/// lane of at most 64 bits extended. Results too large for any lane come back as ±2^100
/// (their low 64 bits are zero, as the exact value's are, and they saturate alike).
pub fn shift_round(x: i128, shift: i32, round: bool) -> i128 {
    const HUGE: i128 = 1 << 100;
    if shift >= 0 {
        if shift >= 64 {
            return x.signum() * HUGE;
        }
        // |x| < 2^64, so x << 63 still fits.
        return x << shift;
    }
    let n = (-shift).min(66) as u32;
    if round {
        (x + (1i128 << (n - 1))) >> n
    } else {
        x >> n
    }
}

/// PolynomialMult() (J1): the carry-less product of two polynomials over GF(2).
pub const fn pmul(a: u64, b: u64) -> u128 {
    let mut r = 0u128;
    let mut i = 0;
    while i < 64 {
        if (b >> i) & 1 == 1 {
            r ^= (a as u128) << i;
        }
        i += 1;
    }
    r
}

/// HighestSetBit() of a field, or None for zero.
#[inline(always)]
pub const fn highest_set_bit(x: u32) -> Option<u32> {
    if x == 0 {
        None
    } else {
        Some(31 - x.leading_zeros())
    }
}

/// LowestSetBit() of the low 5 bits (imm5 of the copy group), or None for zero.
#[inline(always)]
pub const fn lowest_set_bit(x: u32) -> Option<u32> {
    if x == 0 {
        None
    } else {
        Some(x.trailing_zeros())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_get_and_set() {
        let v = 0x0011_2233_4455_6677_8899_aabb_ccdd_eeffu128;
        assert_eq!(elem(v, 0, 8), 0xff);
        assert_eq!(elem(v, 15, 8), 0x00);
        assert_eq!(elem(v, 1, 16), 0xccdd);
        assert_eq!(elem(v, 1, 64), 0x0011_2233_4455_6677);
        assert_eq!(with_elem(v, 3, 32, 0xdead_beef) >> 96, 0xdead_beef);
        assert_eq!(sx(0x80, 8), -128);
    }

    #[test]
    fn saturation_clamps_and_notes() {
        let mut q = Sat::default();
        assert_eq!(q.signed(127, 8), 0x7f);
        assert!(!q.0);
        assert_eq!(q.signed(-129, 8), 0x80);
        assert!(q.0);
        let mut q = Sat::default();
        assert_eq!(q.unsigned(-1, 16), 0);
        assert!(q.0);
    }

    #[test]
    fn shifts_of_unbounded_precision() {
        assert_eq!(shift_round(-1, -64, false), -1);
        assert_eq!(shift_round(-1, -64, true), 0);
        assert_eq!(shift_round(u64::MAX as i128, -64, true), 1);
        assert_eq!(shift_round(5, -1, true), 3);
        assert_eq!(shift_round(1, 70, false), 1 << 100);
        assert_eq!(shift_round(u64::MAX as i128, -128, true), 0);
    }

    #[test]
    fn carry_less_multiply() {
        assert_eq!(pmul(0b11, 0b11), 0b101);
        assert_eq!(pmul(u64::MAX, 2), (u64::MAX as u128) << 1);
    }
}

/// Test support shared by the Advanced SIMD test modules.
#[cfg(test)]
pub(crate) mod testing {
    use crate::testing::TestCpu;

    /// CPACR_EL1.FPEN = 0b11: FP/SIMD instructions do not trap.
    pub const FPEN_ALL: u64 = 0b11 << 20;

    /// Loads `code` and lets FP/SIMD instructions execute (CPACR_EL1 resets to trapping).
    pub fn load_simd(t: &mut TestCpu, code: &[u8]) {
        t.load(code);
        t.cpu.sys.cpacr_el1 = FPEN_ALL;
    }

    /// Loads `code`, sets the given V registers, runs it.
    pub fn exec(t: &mut TestCpu, code: &[u8], regs: &[(usize, u128)]) {
        load_simd(t, code);
        t.cpu.s.pc = crate::testing::RAM_BASE;
        for &(n, x) in regs {
            t.cpu.s.v[n] = x;
        }
        t.run();
    }

    /// FPSR.QC as a bool.
    pub fn qc(t: &TestCpu) -> bool {
        t.cpu.s.fpsr & super::FPSR_QC != 0
    }

    pub fn v(t: &TestCpu, n: usize) -> u128 {
        t.cpu.s.v[n]
    }

    pub fn set_v(t: &mut TestCpu, n: usize, x: u128) {
        t.cpu.s.v[n] = x;
    }

    /// A vector from its 16 bytes, lane 0 first.
    pub fn bytes(b: [u8; 16]) -> u128 {
        u128::from_le_bytes(b)
    }

    /// Runs one word expecting an UNDEFINED exception (ESR_EL1.EC = 0).
    pub fn assert_undefined(t: &mut TestCpu, word: u32) {
        t.load_words(crate::testing::RAM_BASE, &[word]);
        t.cpu.sys.cpacr_el1 = FPEN_ALL;
        t.cpu.sys.vbar_el1 = 0x4010_0000;
        let _ = t.run_limit(1);
        assert_eq!(
            t.cpu.sys.esr_el1 >> 26,
            0,
            "{word:#010x} should be UNDEFINED"
        );
        assert_eq!(
            t.cpu.s.pc, 0x4010_0200,
            "{word:#010x} should take an exception"
        );
    }
}
