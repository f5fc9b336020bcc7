//! The A64 decoder: a declarative table of encodings (`a64.rs`) turned into a lookup.
//!
//! Each row of the table is an Arm ARM encoding written as a 32-character bit pattern
//! (`0`/`1` fixed, any other character a field bit), the name of the instruction group, and
//! the handler that executes it. Rows are indexed by bits 31:21 and, inside an index bucket,
//! tried most specific first (most fixed bits), so an alias or a special case written as its
//! own row wins over the general form regardless of table order.
//!
//! The decoded form ([`Decoded`]) is what executors consume: the interpreter calls its
//! handler; the JIT will compile the rows it knows and call the handler for the rest.

mod a64;

use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;
use std::sync::OnceLock;

pub use a64::A64;

/// Executes one instruction. `cpu.s.pc` holds its address on entry.
pub type ExecFn = fn(&mut Cpu, &mut Mem<'_>, Insn) -> Flow;

/// The Arm ARM's top-level encoding groups (C4.1), used to name what an encoding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    DataProcessingImmediate,
    BranchExceptionSystem,
    LoadStore,
    DataProcessingRegister,
    ScalarFpAndSimd,
    Unallocated,
}

impl Group {
    /// The top-level group from bits 28:25 (op0), Arm ARM table C4-1.
    pub fn of(insn: u32) -> Group {
        let op0 = (insn >> 25) & 0xf;
        match op0 {
            0b1000 | 0b1001 => Group::DataProcessingImmediate,
            0b1010 | 0b1011 => Group::BranchExceptionSystem,
            0b0100 | 0b0110 | 0b1100 | 0b1110 => Group::LoadStore,
            0b0101 | 0b1101 => Group::DataProcessingRegister,
            0b0111 | 0b1111 => Group::ScalarFpAndSimd,
            _ => Group::Unallocated,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Group::DataProcessingImmediate => "data processing (immediate)",
            Group::BranchExceptionSystem => "branches, exception generating and system",
            Group::LoadStore => "loads and stores",
            Group::DataProcessingRegister => "data processing (register)",
            Group::ScalarFpAndSimd => "scalar floating-point and advanced SIMD",
            Group::Unallocated => "unallocated",
        }
    }
}

/// One row of the encoding table.
pub struct Encoding {
    /// The Arm ARM's name for the encoding (or encoding class).
    pub name: &'static str,
    pub mask: u32,
    pub value: u32,
    pub exec: ExecFn,
    /// Whether the instruction may change the PC, PSTATE.EL/translation, or wait:
    /// a decoded block ends after it.
    pub ends_block: bool,
}

/// Mask of the fixed bits of a pattern: `0`/`1` count, spaces and `_` are skipped.
pub const fn pattern_mask(p: &str) -> u32 {
    pattern(p).0
}

/// Value of the fixed bits of a pattern.
pub const fn pattern_value(p: &str) -> u32 {
    pattern(p).1
}

const fn pattern(p: &str) -> (u32, u32) {
    let b = p.as_bytes();
    let (mut mask, mut value, mut n, mut i) = (0u32, 0u32, 0u32, 0usize);
    while i < b.len() {
        let c = b[i];
        i += 1;
        if c == b' ' || c == b'_' {
            continue;
        }
        mask <<= 1;
        value <<= 1;
        if c == b'0' || c == b'1' {
            mask |= 1;
            value |= (c == b'1') as u32;
        }
        n += 1;
    }
    assert!(n == 32, "an encoding pattern must have 32 bits");
    (mask, value)
}

/// A decoded instruction: what every executor consumes.
#[derive(Clone, Copy)]
pub struct Decoded {
    pub exec: ExecFn,
    pub insn: Insn,
    /// Index of the table row, or `u16::MAX` when no row matched.
    pub row: u16,
}

impl Decoded {
    pub fn ends_block(&self) -> bool {
        self.row == u16::MAX || A64[self.row as usize].ends_block
    }

    /// The matching row's name, or the top-level group for an unmatched encoding.
    pub fn name(&self) -> &'static str {
        match self.row {
            u16::MAX => Group::of(self.insn.0).name(),
            r => A64[r as usize].name,
        }
    }
}

const INDEX_SHIFT: u32 = 21;
const INDEX_BUCKETS: usize = 1 << (32 - INDEX_SHIFT);

struct Index {
    buckets: Vec<Vec<u16>>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut order: Vec<u16> = (0..A64.len() as u16).collect();
        // Most fixed bits first; the sort is stable, so equal rows keep table order.
        order.sort_by_key(|&r| std::cmp::Reverse(A64[r as usize].mask.count_ones()));
        let top = !0u32 << INDEX_SHIFT;
        let buckets = (0..INDEX_BUCKETS as u32)
            .map(|b| {
                let bits = b << INDEX_SHIFT;
                order
                    .iter()
                    .copied()
                    .filter(|&r| {
                        let e = &A64[r as usize];
                        (bits ^ e.value) & e.mask & top == 0
                    })
                    .collect()
            })
            .collect();
        Index { buckets }
    })
}

/// Finds the table row of an instruction word.
pub fn lookup(insn: u32) -> Option<&'static Encoding> {
    row_of(insn).map(|r| &A64[r as usize])
}

fn row_of(insn: u32) -> Option<u16> {
    index().buckets[(insn >> INDEX_SHIFT) as usize]
        .iter()
        .copied()
        .find(|&r| insn & A64[r as usize].mask == A64[r as usize].value)
}

/// Decodes one instruction word.
pub fn decode(insn: u32) -> Decoded {
    match row_of(insn) {
        Some(r) => Decoded {
            exec: A64[r as usize].exec,
            insn: Insn(insn),
            row: r,
        },
        None => Decoded {
            exec: crate::interp::unallocated,
            insn: Insn(insn),
            row: u16::MAX,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_parse_to_mask_and_value() {
        let p = "1101_0101_0000_0011_0010_xxxx_xxx1_1111";
        assert_eq!(pattern_mask(p), 0xffff_f01f);
        assert_eq!(pattern_value(p), 0xd503_201f);
    }

    #[test]
    fn every_row_is_reachable_from_its_own_value() {
        // A row hidden entirely behind a more specific one is a table bug.
        for (i, e) in A64.iter().enumerate() {
            let found = row_of(e.value).map(|r| r as usize);
            let shadowed_by_more_specific = found
                .map(|r| A64[r].mask.count_ones() > e.mask.count_ones())
                .unwrap_or(false);
            assert!(
                found == Some(i) || shadowed_by_more_specific,
                "row {} ({}) is unreachable",
                i,
                e.name
            );
        }
    }

    #[test]
    fn known_encodings_find_their_rows() {
        assert_eq!(decode(0x9104_8c20).name(), "ADD/SUB (immediate)"); // add x0, x1, #0x123
        assert_eq!(decode(0xd503_201f).name(), "hints"); // nop
        assert_eq!(decode(0xd65f_03c0).name(), "RET"); // ret
        assert_eq!(decode(0x0000_0000).name(), "unallocated"); // udf #0
    }
}
