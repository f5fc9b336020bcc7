//! Field extraction from an A64 instruction word, named as the Arm ARM's encoding diagrams
//! name them (C4, "A64 Instruction Set Encoding").

/// One 32-bit A64 instruction word.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Insn(pub u32);

impl std::fmt::Debug for Insn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}

impl Insn {
    /// Bits hi..=lo, right-aligned.
    #[inline(always)]
    pub const fn bits(self, hi: u32, lo: u32) -> u32 {
        (self.0 >> lo) & ((1u32 << (hi - lo + 1)) - 1)
    }

    #[inline(always)]
    pub const fn bit(self, n: u32) -> bool {
        (self.0 >> n) & 1 == 1
    }

    #[inline(always)]
    pub const fn rd(self) -> u32 {
        self.0 & 31
    }
    #[inline(always)]
    pub const fn rt(self) -> u32 {
        self.0 & 31
    }
    #[inline(always)]
    pub const fn rn(self) -> u32 {
        (self.0 >> 5) & 31
    }
    #[inline(always)]
    pub const fn rt2(self) -> u32 {
        (self.0 >> 10) & 31
    }
    #[inline(always)]
    pub const fn ra(self) -> u32 {
        (self.0 >> 10) & 31
    }
    #[inline(always)]
    pub const fn rm(self) -> u32 {
        (self.0 >> 16) & 31
    }
    #[inline(always)]
    pub const fn rs(self) -> u32 {
        (self.0 >> 16) & 31
    }
    /// sf: 64-bit operation when set.
    #[inline(always)]
    pub const fn sf(self) -> bool {
        self.bit(31)
    }
    #[inline(always)]
    pub const fn imm12(self) -> u32 {
        self.bits(21, 10)
    }
    #[inline(always)]
    pub const fn imm9(self) -> u32 {
        self.bits(20, 12)
    }
    #[inline(always)]
    pub const fn imm7(self) -> u32 {
        self.bits(21, 15)
    }
    #[inline(always)]
    pub const fn imm6(self) -> u32 {
        self.bits(15, 10)
    }
    #[inline(always)]
    pub const fn cond(self) -> u32 {
        self.bits(15, 12)
    }
    #[inline(always)]
    pub const fn shift(self) -> u32 {
        self.bits(23, 22)
    }
    /// Load/store size field, bits 31:30.
    #[inline(always)]
    pub const fn size(self) -> u32 {
        self.bits(31, 30)
    }
}

/// Sign-extends the low `bits` bits of `v`.
#[inline(always)]
pub const fn sext(v: u64, bits: u32) -> u64 {
    let sh = 64 - bits;
    (((v << sh) as i64) >> sh) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_add_x0_x1_0x123() {
        // add x0, x1, #0x123 = 0x91048c20
        let i = Insn(0x9104_8c20);
        assert!(i.sf());
        assert_eq!((i.rd(), i.rn(), i.imm12()), (0, 1, 0x123));
    }

    #[test]
    fn sign_extension() {
        assert_eq!(sext(0x1ff, 9), u64::MAX);
        assert_eq!(sext(0x0ff, 9), 0xff);
        assert_eq!(sext(1 << 25, 26), 0xffff_ffff_fe00_0000);
    }
}
