//! Debugger watchpoints (gdb's `Z2`/`Z3`/`Z4`): ranges of virtual addresses of any length,
//! checked on every data access the guest makes through the CPU's memory path (`mem.rs`).
//! Accesses by the debugger itself never go through that path and never trigger one.
//!
//! A hit stops the vCPU *before* the accessing instruction takes effect, with the PC on it,
//! as an AArch64 hardware watchpoint does (Arm ARM chapter D2, "Watchpoint exceptions": the
//! exception is synchronous and the preferred return address is the instruction). gdb
//! expects exactly that on aarch64 (`maint print architecture` shows
//! `have_nonsteppable_watchpoint = 1`), and QEMU's arm target stops before the access too
//! (its `gdb_stop_before_watchpoint`; seen in a session against qemu-system-aarch64 7.2: the
//! stop reply comes with the old value in memory). gdb then removes its watchpoints,
//! single-steps the instruction, puts them back and prints the old and new values with
//! the PC past the instruction. `tests/gdb_watch.rs` checks the same script prints the same
//! under both.
//!
//! The check sits after translation (a translation or alignment fault has priority over a
//! watchpoint, as in the pseudocode's AArch64.TranslateAddress, which calls
//! AArch64.CheckDebug only when translation did not fault) and before the access. An
//! instruction that stores several parts checks all of them before its first store, so
//! the stop leaves memory as it was; a hit is then an `Exception` with an EC no real
//! exception has, which the executor turns into `Exit::Watchpoint` instead of taking.

use crate::cpu::Cpu;
use crate::exception::Exception;
use crate::mem::{Access, Mem};

/// The exception class of a debugger watchpoint hit: outside ESR_ELx.EC's six bits, so no
/// architectural exception can be mistaken for one. Never taken to the guest.
pub const EC_DEBUGGER_WATCHPOINT: u8 = 0xff;

/// Which accesses a watchpoint stops at (gdb's `Z2`, `Z3`, `Z4`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WatchKind {
    Write,
    Read,
    /// Reads and writes.
    Access,
}

impl WatchKind {
    fn matches(self, write: bool) -> bool {
        match self {
            WatchKind::Write => write,
            WatchKind::Read => !write,
            WatchKind::Access => true,
        }
    }
}

/// One watched range `[addr, addr + len)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Watchpoint {
    pub addr: u64,
    pub len: u64,
    pub kind: WatchKind,
}

impl Watchpoint {
    /// Whether `[va, va + size)` shares a byte with the watched range (wrapping at the top
    /// of the address space like the addresses themselves).
    fn overlaps(&self, va: u64, size: u64) -> bool {
        va.wrapping_sub(self.addr) < self.len.max(1) || self.addr.wrapping_sub(va) < size
    }
}

/// What a watchpoint stopped: the watchpoint (as the debugger set it) and the access that
/// triggered it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WatchHit {
    pub watchpoint: Watchpoint,
    /// Whether the access was a store (a load otherwise).
    pub write: bool,
    /// The accessed range: its first virtual address and its length in bytes. An
    /// instruction storing several parts reports the whole range it stores; DC ZVA its
    /// block.
    pub va: u64,
    pub size: u64,
    /// The accessing instruction, which has not taken effect.
    pub pc: u64,
}

/// The watchpoints of one vCPU (a multiset, as gdb may set the same one twice), and the hit
/// the vCPU last stopped at.
#[derive(Clone, Debug, Default)]
pub struct Watchpoints {
    set: Vec<Watchpoint>,
    /// The hit of the instruction now stopping, between the check and the executor.
    hit: Option<WatchHit>,
    /// The hit reported and not yet run past: the next run or step executes that
    /// instruction once without checks, if the vCPU is still on it, so a debugger that
    /// resumes without removing the watchpoint is not stopped by it again.
    pending: Option<WatchHit>,
}

impl Watchpoints {
    /// The same watchpoints with no hit in flight (for a vCPU that starts afresh).
    pub fn without_hits(&self) -> Self {
        Watchpoints {
            set: self.set.clone(),
            hit: None,
            pending: None,
        }
    }

    pub fn insert(&mut self, addr: u64, len: u64, kind: WatchKind) {
        self.set.push(Watchpoint { addr, len, kind });
    }

    /// Removes one watchpoint equal to this one; false if there was none.
    pub fn remove(&mut self, addr: u64, len: u64, kind: WatchKind) -> bool {
        let w = Watchpoint { addr, len, kind };
        match self.set.iter().position(|&x| x == w) {
            Some(i) => {
                self.set.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// Removes every watchpoint.
    pub fn clear(&mut self) {
        self.set.clear();
        self.hit = None;
        self.pending = None;
    }

    #[inline(always)]
    /// The watchpoints set.
    pub fn iter(&self) -> impl Iterator<Item = &Watchpoint> {
        self.set.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// The first watchpoint an access of `size` bytes at `va` triggers.
    pub fn find(&self, va: u64, size: u64, write: bool) -> Option<Watchpoint> {
        self.set
            .iter()
            .find(|w| w.kind.matches(write) && w.overlaps(va, size))
            .copied()
    }

    /// The hit the vCPU stopped at (`Exit::Watchpoint`) and has not yet run past.
    pub fn pending(&self) -> Option<WatchHit> {
        self.pending
    }

    /// Puts the vCPU back at a watchpoint stop (time travel replaying one): its next run
    /// executes that instruction unwatched first, as after the original stop.
    pub fn set_pending(&mut self, hit: Option<WatchHit>) {
        self.pending = hit;
    }
}

impl Cpu {
    /// The watchpoint check of a data access of `size` bytes at `va` that translated:
    /// `Err` with the debugger-watchpoint exception if it hits one. Callers test
    /// `watchpoints.is_empty()` first, so an unwatched guest pays one branch.
    #[cold]
    #[inline(never)]
    pub fn check_watch(&mut self, va: u64, size: u64, acc: Access) -> Result<(), Exception> {
        let write = acc.is_write();
        let Some(watchpoint) = self.watchpoints.find(va, size, write) else {
            return Ok(());
        };
        let hit = WatchHit {
            watchpoint,
            write,
            va,
            size,
            pc: self.s.pc,
        };
        if self.replay.note_hits {
            // Searching: the access goes ahead; the count is already the instruction's next.
            let icount = self.icount - 1;
            self.replay.note(crate::replay::Hit {
                icount,
                kind: crate::replay::HitKind::Watch(hit),
            });
            return Ok(());
        }
        self.watchpoints.hit = Some(hit);
        Err(Exception::new(EC_DEBUGGER_WATCHPOINT, 0))
    }

    /// As [`Cpu::check_watch`], testing for an empty set first (for instructions that
    /// check their whole range before storing its parts).
    #[inline(always)]
    pub fn watch_access(&mut self, va: u64, size: u64, acc: Access) -> Result<(), Exception> {
        if self.watchpoints.is_empty() {
            return Ok(());
        }
        self.check_watch(va, size, acc)
    }

    /// The watchpoint check of an instruction's whole access `[va, va+len)` (`len` at most
    /// a page: DC ZVA's block, a SIMD structure, a Q register), made before its first
    /// part: both ends are translated first so a fault keeps its priority.
    #[inline(always)]
    pub fn watch_range(
        &mut self,
        m: &mut Mem<'_>,
        va: u64,
        len: u64,
        acc: Access,
    ) -> Result<(), Exception> {
        if self.watchpoints.is_empty() || len == 0 {
            return Ok(());
        }
        self.translate(m, va, acc)?;
        self.translate(m, va.wrapping_add(len - 1), acc)?;
        self.check_watch(va, len, acc)
    }

    /// The executor's side of a hit: true when `e` is a watchpoint hit rather than an
    /// exception for the guest; the hit is then pending. The instruction did not complete:
    /// it is not counted.
    pub(crate) fn watch_stop(&mut self, e: &Exception) -> bool {
        if e.ec != EC_DEBUGGER_WATCHPOINT {
            return false;
        }
        let Some(hit) = self.watchpoints.hit.take() else {
            return false;
        };
        self.icount -= 1;
        self.watchpoints.pending = Some(hit);
        true
    }

    /// Before running on: if the vCPU stopped at a watchpoint and is still on that
    /// instruction, takes it back out of the set for one instruction. Returns what
    /// `step_over_watch` must put back.
    pub(crate) fn take_pending_watch(&mut self) -> Option<Vec<Watchpoint>> {
        let hit = self.watchpoints.pending.take()?;
        if hit.pc != self.s.pc {
            return None;
        }
        Some(std::mem::take(&mut self.watchpoints.set))
    }

    /// Puts back the watchpoints [`Cpu::take_pending_watch`] took out.
    pub(crate) fn restore_watch(&mut self, set: Vec<Watchpoint>) {
        self.watchpoints.set = set;
    }
}

#[cfg(test)]
#[path = "watch_tests.rs"]
mod tests;
