//! What time travel (the machine's `history/`) asks of the executor: stop before the
//! instruction a given instruction count starts (a position in recorded history), and
//! note debugger breakpoint and watchpoint hits instead of stopping at them (the backward
//! search of `reverse-continue` runs an interval once and keeps its last hit).
//!
//! A stop is checked where breakpoints are: before each instruction, after the
//! interrupt the block boundary took, so "about to execute count N" is one state whichever
//! engine runs and whatever the previous stop was.

use crate::cpu::Cpu;
use crate::watch::WatchHit;

/// A breakpoint or watchpoint hit noted while searching, at the instruction count where the
/// vCPU was about to execute the instruction (which, for a watchpoint, made the access).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    pub icount: u64,
    pub kind: HitKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HitKind {
    /// The PC was at a breakpoint.
    Breakpoint { pc: u64 },
    /// The instruction's access hit a watchpoint (it went on to take effect).
    Watch(WatchHit),
}

/// The executor's instructions from time travel, off by default.
#[derive(Clone, Debug, Default)]
pub struct ReplayControl {
    /// Stop (with `Exit::Breakpoint`) when about to execute with `icount` equal to this.
    pub stop_at: Option<u64>,
    /// Note hits in `hits` and go on, instead of stopping at them.
    pub note_hits: bool,
    pub hits: Vec<Hit>,
}

impl ReplayControl {
    /// Whether the executor must check before each instruction.
    #[inline(always)]
    pub fn active(&self) -> bool {
        self.stop_at.is_some()
    }

    pub(crate) fn note(&mut self, hit: Hit) {
        // An instruction checking its parts one by one, or a block start checked twice,
        // is one hit.
        if self.hits.last() != Some(&hit) {
            self.hits.push(hit);
        }
    }
}

impl Cpu {
    /// The check before an instruction when breakpoints or a stop are set: true to stop
    /// (the instruction has not run). A breakpoint is noted rather than stopped at while
    /// searching; the stop position comes after, so a search that ends on a breakpoint
    /// still sees it.
    #[inline(always)]
    pub(crate) fn debug_stop(&mut self) -> bool {
        let pc = self.s.pc;
        if self.breakpoints.contains(pc) {
            if !self.replay.note_hits {
                return true;
            }
            let icount = self.icount;
            self.replay.note(Hit {
                icount,
                kind: HitKind::Breakpoint { pc },
            });
        }
        self.replay.stop_at == Some(self.icount)
    }

    /// Whether the stop position is reached at the start of a block, before its fetch (a
    /// fetch that faults is a counted step too, so it must not run past the stop).
    #[inline(always)]
    pub(crate) fn stop_before_fetch(&mut self) -> bool {
        self.replay.stop_at == Some(self.icount) && self.debug_stop()
    }

    /// Whether the stop position falls within the next `len` instructions.
    #[inline(always)]
    pub(crate) fn stop_within(&self, len: u64) -> bool {
        matches!(self.replay.stop_at, Some(s) if s.wrapping_sub(self.icount) < len)
    }
}

#[cfg(test)]
#[path = "replay_tests.rs"]
mod tests;
