//! Guest general-purpose registers held in host registers within a block.
//!
//! Each block gives its most used guest registers (X0–X30, and the SP as 31) a host
//! register for the whole block: a fixed assignment, so every point of the block's code
//! has one cache state known at translation (which registers are loaded, which written).
//! A register is loaded on first use and, if written, stored back wherever anything but
//! the block's own code can look at guest state:
//! - before a helper call, which may read or change any register: the cache is empty
//!   after it;
//! - at the entry of a slow path (it runs the instruction in the interpreter), which
//!   reloads before rejoining what the fast path would hold there;
//! - at every exit (chained, to the dispatcher, through the jump cache).
//!
//! Faults are raised only inside helpers and slow paths, so an exception, the
//! interpreter and gdb always see the architectural registers.
//!
//! What this needs of the group files: a native instruction writes guest registers
//! (`Tx::set_x`) only after its last jump to its slow path, and reads them outside any
//! branch of its own (so the cache state does not depend on the path taken).

use super::emit::{R, R10, R11, R12, R15, RBP, RDX};
use crate::decode::{Decoded, A64};

/// The host registers that hold guest registers: the ones no translation uses as scratch
/// (`emit.rs`). RBP, R12 and R15 survive helper calls, the others do not; either way the
/// cache is written back before a call and empty after it.
pub const CACHE_REGS: [R; 6] = [RBP, R12, R15, RDX, R10, R11];

/// A register's first use costs a load as before; caching pays from the second.
const MIN_USES: u32 = 2;

/// Which guest registers hold their value in their host register (`loaded`), and which
/// of those differ from guest state in memory (`dirty`), as bit masks by register number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RegState {
    pub loaded: u32,
    pub dirty: u32,
}

/// A block's assignment of guest registers to host registers, and the state at the point
/// being translated.
pub struct RegCache {
    host: [Option<R>; 32],
    pub state: RegState,
}

impl RegCache {
    /// Assigns the host registers to the guest registers `block`'s natively compiled
    /// instructions name most often.
    pub fn for_block(block: &[Decoded], native: impl Fn(u16) -> bool) -> Self {
        let mut uses = [0u32; 32];
        for d in block.iter().filter(|d| native(d.row)) {
            let i = d.insn;
            // Operand fields by position: Rd/Rt, Rn (31 here is usually SP), and for
            // register forms Rm and Ra/Rt2. Counting a field that is really an
            // immediate only misjudges which registers pay.
            let name = A64.get(d.row as usize).map_or("", |e| e.name);
            let regs_form = [
                "(shifted register)",
                "(extended register)",
                "(register offset)",
                "source",
                "conditional select",
                "ADC/SBC",
                "CCMN/CCMP (register)",
            ]
            .iter()
            .any(|k| name.contains(k));
            let fields = [
                Some(i.rd()).filter(|&r| r != 31),
                Some(i.rn()),
                regs_form.then(|| i.rm()).filter(|&r| r != 31),
                (name.contains("3 source") || name.contains("pair"))
                    .then(|| i.ra())
                    .filter(|&r| r != 31),
            ];
            for r in fields.into_iter().flatten() {
                uses[r as usize] += 1;
            }
        }
        let mut order: Vec<usize> = (0..32).filter(|&r| uses[r] >= MIN_USES).collect();
        order.sort_by_key(|&r| std::cmp::Reverse(uses[r]));
        let mut host = [None; 32];
        for (&r, &h) in order.iter().zip(CACHE_REGS.iter()) {
            host[r] = Some(h);
        }
        RegCache {
            host,
            state: RegState::default(),
        }
    }

    /// The host register of guest register `n` (31: the SP), if it has one.
    pub fn host(&self, n: u32) -> Option<R> {
        self.host[n as usize]
    }

    /// The guest register host register `h` holds, if any.
    pub fn guest_of(&self, h: R) -> Option<u32> {
        (0..32u32).find(|&n| self.host[n as usize] == Some(h))
    }

    /// The (guest, host) pairs whose bit is set in `mask`.
    pub fn in_mask(&self, mask: u32) -> impl Iterator<Item = (u32, R)> + '_ {
        (0..32u32).filter_map(move |n| {
            let h = self.host[n as usize]?;
            (mask >> n & 1 != 0).then_some((n, h))
        })
    }
}
