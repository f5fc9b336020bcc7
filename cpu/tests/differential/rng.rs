//! A deterministic xorshift PRNG and the operand values the generators draw from.
//!
//! Every run generates the same cases, so a mismatch reproduces exactly; the seed is the
//! group's name.

/// xorshift64* (Vigna, "An experimental exploration of Marsaglia's xorshift generators").
pub struct Rng(u64);

/// Values where integer instructions change behaviour: zero, one, all ones, the sign bits
/// and their neighbours at 8, 16, 32 and 64 bits, and small shift/bit counts.
pub const EDGES: &[u64] = &[
    0,
    1,
    2,
    31,
    32,
    63,
    64,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0x8000_0001,
    0xffff_fffe,
    0xffff_ffff,
    0x1_0000_0000,
    0x1_0000_0001,
    0xffff_ffff_0000_0000,
    0xffff_ffff_7fff_ffff,
    0xffff_ffff_8000_0000,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    0x8000_0000_0000_0001,
    u64::MAX - 1,
    u64::MAX,
];

impl Rng {
    /// A generator seeded from a name (FNV-1a of its bytes), never zero.
    pub fn new(seed: &str) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0; the tiny modulo bias does not matter here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    pub fn bool(&mut self) -> bool {
        self.next() & 1 == 1
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// An operand value: edges, edges nudged by a little, small numbers, 32-bit values
    /// (zero- and sign-extended) and full 64-bit noise.
    pub fn value(&mut self) -> u64 {
        match self.below(10) {
            0..=2 => self.pick(EDGES),
            3 => self.pick(EDGES).wrapping_add(self.below(5)).wrapping_sub(2),
            4 => self.below(70),
            5 => self.next() as u32 as u64,
            6 => self.next() as u32 as i32 as i64 as u64,
            7 => self.next() >> self.below(64),
            _ => self.next(),
        }
    }

    /// A general register number 0–30, or 31 (XZR/SP by context) one time in eight.
    pub fn reg(&mut self) -> u32 {
        if self.below(8) == 0 {
            31
        } else {
            self.below(31) as u32
        }
    }

    /// A general register 0–30 (never 31).
    pub fn reg30(&mut self) -> u32 {
        self.below(31) as u32
    }

    /// Four random flags in NZCV's layout (bits 31:28).
    pub fn nzcv(&mut self) -> u32 {
        (self.below(16) as u32) << 28
    }
}
