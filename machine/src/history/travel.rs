//! Moving through recorded history: reaching a position again (restore the snapshot
//! before it, replay the journal with a stop at the position), and searching intervals
//! for the breakpoint and watchpoint hits they hold (replay with hits noted, not stopped
//! at). Reverse step and reverse continue, and forward motion while in the past, are
//! built from the two.

use super::{Key, Move};
use crate::console::ConsoleInput;
use crate::debug::DebugStep;
use crate::machine::Machine;
use crate::run::Round;
use armvirt_cpu::exec::Breakpoints;
use armvirt_cpu::replay::{Hit, HitKind};
use armvirt_cpu::watch::Watchpoints;
use armvirt_cpu::WatchHit;
use std::time::Duration;

/// Where a move through history stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Travel {
    /// The step is done: `vcpu` stands one instruction further (or back).
    Stepped { vcpu: usize },
    /// `vcpu` is at a breakpoint (its instruction not run).
    Breakpoint { vcpu: usize },
    /// `vcpu`'s instruction makes the access `hit` names; it has not taken effect.
    Watchpoint { vcpu: usize, hit: WatchHit },
    /// The start of recorded history: there is nothing earlier.
    Begin,
    /// The end of recorded history (the present): from here the machine runs live.
    Live,
}

/// A position to reach: `vcpu` about to execute the instruction its count `icount`
/// starts; with `after_step`, also the moment a debugger's single step of it ended there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Target {
    vcpu: usize,
    icount: u64,
    after_step: bool,
}

/// How a replay of moves ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Replayed {
    /// At the target; `at_end` when that is the end of history.
    Reached { at_end: bool },
    /// The moves ran out (the machine is at the end of what was replayed).
    Done,
}

/// The debugger's breakpoints and watchpoints, taken out of the vCPUs while a replay
/// re-creates recorded stops by count instead.
struct Stash(Vec<(Breakpoints, Watchpoints)>);

impl Machine {
    /// Reverse single step of `vcpu`: to just before the last instruction it executed.
    pub fn reverse_step(&mut self, vcpu: usize) -> Travel {
        let Some(h) = self.history.as_ref() else {
            return Travel::Begin;
        };
        let icount = self.vcpus[vcpu].cpu.icount;
        if icount <= h.snaps[0].icount(vcpu) {
            return Travel::Begin;
        }
        let target = Target {
            vcpu,
            icount: icount - 1,
            after_step: false,
        };
        match self.seek(target) {
            true => Travel::Stepped { vcpu },
            false => Travel::Begin,
        }
    }

    /// Forward single step of `vcpu` in the past: to where it stood one instruction on,
    /// as recorded; at the end of history, [`Travel::Live`] (step live from there).
    pub fn replay_step(&mut self, vcpu: usize) -> Travel {
        let icount = self.vcpus[vcpu].cpu.icount;
        let target = Target {
            vcpu,
            icount: icount + 1,
            after_step: true,
        };
        if self.seek(target) {
            return Travel::Stepped { vcpu };
        }
        Travel::Live
    }

    /// Reverse continue from where `vcpu` stopped: back to the last breakpoint or
    /// watchpoint hit before now, searching the intervals between snapshots backward.
    pub fn reverse_continue(&mut self, vcpu: usize) -> Travel {
        let now = self.key_now(vcpu);
        let Some(h) = self.history.as_ref() else {
            return Travel::Begin;
        };
        let last = h
            .snaps
            .iter()
            .rposition(|s| (s.ticks, s.state.epoch) <= (now.0, now.1))
            .unwrap_or(0);
        let watched = self.watched_pages(vcpu);
        for i in (0..=last).rev() {
            if let Some(pages) = &watched {
                let h = self.history.as_ref().expect("history");
                let skip = h.snaps.get(i + 1).is_some_and(|next| {
                    !pages.iter().any(|&p| h.ram.may_have_written(next.ram, p))
                });
                if skip {
                    continue;
                }
            }
            let hits = self.search(i, |key| key < now);
            if let Some(&(_, v, hit)) = hits.last() {
                return self.go_to_hit(v, hit, true);
            }
        }
        self.restore_snapshot(0);
        let moved = self.history.as_ref().is_some_and(|h| !h.journal.is_empty());
        self.set_past(moved);
        Travel::Begin
    }

    /// Forward continue in the past: to the next hit after now, or the end of history
    /// ([`Travel::Live`]: continue live from there).
    pub fn replay_continue(&mut self, vcpu: usize) -> Travel {
        let now = self.key_now(vcpu);
        let Some(h) = self.history.as_ref() else {
            return Travel::Live;
        };
        let first = h
            .snaps
            .iter()
            .rposition(|s| (s.ticks, s.state.epoch) <= (now.0, now.1))
            .unwrap_or(0);
        let count = h.snaps.len();
        for i in first..count {
            let hits = self.search(i, |key| key > now);
            if let Some(&(_, v, hit)) = hits.first() {
                return self.go_to_hit(v, hit, false);
            }
        }
        // The last interval's search ran to the end of history: the present.
        self.set_past(false);
        Travel::Live
    }

    /// Goes to where `hit` stops the machine. Backward, a watchpoint stops just after
    /// the access (where running backward meets it first); gdb then steps back over the
    /// instruction, as it steps forward over it after a forward stop, and finds the value
    /// changed.
    /// With only write watchpoints set (no breakpoint, no read watch), the RAM pages they
    /// cover as `vcpu` translates them now: an interval that never wrote one of them holds
    /// no hit. `None` when anything else is set or an address does not translate to RAM.
    fn watched_pages(&mut self, vcpu: usize) -> Option<Vec<usize>> {
        let cpu = &self.vcpus[vcpu].cpu;
        if !cpu.breakpoints.is_empty() || cpu.watchpoints.is_empty() {
            return None;
        }
        let ranges: Vec<(u64, u64)> = cpu
            .watchpoints
            .iter()
            .map(|w| (w.addr, w.len.max(1), w.kind))
            .filter(|r| r.2 == armvirt_cpu::WatchKind::Write)
            .map(|(a, l, _)| (a, l))
            .collect();
        if ranges.len() != cpu.watchpoints.iter().count() {
            return None;
        }
        let mut pages = Vec::new();
        for (addr, len) in ranges {
            let mut va = addr & !0xfff;
            while va < addr.saturating_add(len) {
                // A page that does not translate (or is not RAM) cannot be ruled out.
                let t = self.translate_walk(vcpu, va).1.ok()?;
                let base = self.ram.base();
                if !self.ram.contains(t.pa, 1) {
                    return None;
                }
                pages.push(((t.pa - base) / crate::ram::PAGE) as usize);
                va += 0x1000;
            }
        }
        Some(pages)
    }

    fn go_to_hit(&mut self, vcpu: usize, hit: Hit, backward: bool) -> Travel {
        let after = backward && matches!(hit.kind, HitKind::Watch(_));
        let target = Target {
            vcpu,
            icount: hit.icount + after as u64,
            after_step: false,
        };
        self.seek(target);
        match hit.kind {
            HitKind::Breakpoint { .. } => Travel::Breakpoint { vcpu },
            HitKind::Watch(hit) => Travel::Watchpoint { vcpu, hit },
        }
    }

    /// Back to the end of history (a debugger leaving): replays from the last snapshot.
    pub fn return_to_present(&mut self) {
        if !self.in_past() {
            return;
        }
        let Some(h) = self.history.as_ref() else {
            return;
        };
        let last = h.snaps.len() - 1;
        let (from, to) = (h.snaps[last].at, h.journal.len());
        self.restore_snapshot(last);
        let stash = self.stash_debug();
        self.replay_moves(from, to, None);
        self.unstash_debug(stash);
        self.set_past(false);
    }

    fn note_divergence(&mut self) {
        if let Some(h) = self.history.as_mut() {
            h.diverged += 1;
        }
    }

    fn set_past(&mut self, past: bool) {
        if let Some(h) = self.history.as_mut() {
            h.past = past;
        }
    }

    /// Goes to `target`: restores the last snapshot before it and replays. False when the
    /// target is not in history; the machine is then at the end of history.
    fn seek(&mut self, target: Target) -> bool {
        let Some(h) = self.history.as_ref() else {
            return false;
        };
        // A snapshot where the vCPU has not yet passed the target (for a step's end, not
        // yet executed the step's instruction).
        let limit = target.icount - target.after_step as u64;
        let i = h
            .snaps
            .iter()
            .rposition(|s| s.icount(target.vcpu) <= limit)
            .unwrap_or(0);
        let from = h.snaps[i].at;
        let to = h.journal.len();
        self.restore_snapshot(i);
        let stash = self.stash_debug();
        let r = self.replay_moves(from, to, Some(target));
        self.unstash_debug(stash);
        let (reached, at_end) = match r {
            Replayed::Reached { at_end } => (true, at_end),
            // At the end of history, which may be the target itself (a step's end).
            Replayed::Done => (self.vcpus[target.vcpu].cpu.icount == target.icount, true),
        };
        self.set_past(!at_end);
        reached
    }

    /// Replays interval `i` (snapshot `i` to the next, or to the end) noting every
    /// breakpoint and watchpoint hit; returns those whose key `keep` accepts, in order.
    fn search(&mut self, i: usize, keep: impl Fn(Key) -> bool) -> Vec<(Key, usize, Hit)> {
        let Some(h) = self.history.as_mut() else {
            return Vec::new();
        };
        let from = h.snaps[i].at;
        let to = h.snaps.get(i + 1).map_or(h.journal.len(), |s| s.at);
        h.found.clear();
        h.searched += 1;
        self.restore_snapshot(i);
        for v in &mut self.vcpus {
            v.cpu.replay.note_hits = true;
        }
        self.replay_moves(from, to, None);
        for v in &mut self.vcpus {
            v.cpu.replay.note_hits = false;
            v.cpu.replay.hits.clear();
        }
        let Some(h) = self.history.as_mut() else {
            return Vec::new();
        };
        let mut hits: Vec<_> = std::mem::take(&mut h.found)
            .into_iter()
            .filter(|(key, _, _)| keep(*key))
            .collect();
        hits.sort_by_key(|(key, _, _)| *key);
        hits.dedup_by_key(|(key, _, _)| *key);
        hits
    }

    /// Re-executes moves `from..to` of the journal as they ran, stopping at `target`.
    fn replay_moves(&mut self, from: usize, to: usize, target: Option<Target>) -> Replayed {
        let mut input = ConsoleInput::none();
        self.replaying = true;
        self.virtio.nets.replay(true);
        self.console_mute(true);
        let mut result = Replayed::Done;
        'moves: for j in from..to {
            let Some(mv) = self.history.as_ref().and_then(|h| h.journal.get(j)) else {
                break;
            };
            let last = j + 1 == to;
            match mv {
                Move::Rounds(n) => {
                    self.set_stops(target, None);
                    for _ in 0..n {
                        if let Round::Breakpoint { .. } = self.round(&mut input, Duration::ZERO) {
                            result = Replayed::Reached { at_end: false };
                            break 'moves;
                        }
                    }
                }
                Move::Stop {
                    vcpu,
                    icount,
                    watch,
                } => {
                    self.set_stops(target, Some((vcpu, icount)));
                    let Round::Breakpoint { vcpu: v } = self.round(&mut input, Duration::ZERO)
                    else {
                        // Replays are exact; a round that does not stop where it did
                        // means history cannot be trusted further.
                        eprintln!("armvirt: history replay diverged at move {j}");
                        self.note_divergence();
                        break 'moves;
                    };
                    let here = self.vcpus[v].cpu.icount;
                    if target.is_some_and(|t| (t.vcpu, t.icount) == (v, here)) {
                        let at_stop = (v, here) == (vcpu, icount);
                        result = Replayed::Reached {
                            at_end: last && at_stop,
                        };
                        break 'moves;
                    }
                    if let Some(hit) = watch {
                        self.replay_watch_stop(vcpu, hit);
                    }
                }
                Move::Step { vcpu, irqs, watch } => {
                    let here = self.vcpus[vcpu].cpu.icount;
                    if target.is_some_and(|t| (t.vcpu, t.icount) == (vcpu, here)) {
                        result = Replayed::Reached { at_end: false };
                        break 'moves;
                    }
                    match watch {
                        Some(hit) => self.replay_watch_step(vcpu, irqs, hit),
                        None => {
                            self.step_unjournaled(vcpu, irqs);
                        }
                    }
                    let here = self.vcpus[vcpu].cpu.icount;
                    if target.is_some_and(|t| t.after_step && (t.vcpu, t.icount) == (vcpu, here)) {
                        result = Replayed::Reached { at_end: last };
                        break 'moves;
                    }
                }
            }
            #[cfg(test)]
            if std::env::var_os("ARMVIRT_CHECK_REPLAY").is_some() {
                self.compare_after_move(j);
            }
        }
        self.set_stops(None, None);
        self.console_mute(false);
        self.replaying = false;
        self.virtio.nets.replay(self.replaying_recording());
        result
    }

    /// Tests, under `ARMVIRT_CHECK_REPLAY`: panics naming the first field where the replay
    /// of move `j` left the machine otherwise than the live run did.
    #[cfg(test)]
    fn compare_after_move(&mut self, j: usize) {
        let Some(h) = self.history.as_ref() else {
            return;
        };
        let Some(want) = h.after_move.get(j).filter(|w| !w.is_empty()) else {
            return;
        };
        let got = crate::history::walk_tests::debug_text(self);
        if &got != want {
            eprintln!(
                "replay differs from the live run after move {j} {:?}",
                h.journal.get(j)
            );
            for (i, (a, b)) in want.split(", ").zip(got.split(", ")).enumerate() {
                if a != b {
                    eprintln!("  field {i}: live {a:?} replay {b:?}");
                }
            }
            panic!("replay differs");
        }
    }

    /// A recorded watchpoint stop: the vCPU is left as the stop left it (its next run
    /// executes the instruction once unwatched), and a search notes the hit if the
    /// watchpoint is still set.
    fn replay_watch_stop(&mut self, vcpu: usize, hit: WatchHit) {
        self.vcpus[vcpu].cpu.watchpoints.set_pending(Some(hit));
        self.note_watch_hit(vcpu, hit);
    }

    /// A recorded single step that a watchpoint stopped: stepped again with only that
    /// watchpoint set, so it stops the same way, with the same effects on the machine's
    /// clock and interrupt lines as the live step had.
    fn replay_watch_step(&mut self, vcpu: usize, irqs: bool, hit: WatchHit) {
        let cpu = &mut self.vcpus[vcpu].cpu;
        let noting = std::mem::replace(&mut cpu.replay.note_hits, false);
        let own = std::mem::take(&mut cpu.watchpoints);
        let w = hit.watchpoint;
        cpu.watchpoints.insert(w.addr, w.len, w.kind);
        cpu.watchpoints.set_pending(own.pending());
        let step = self.step_unjournaled(vcpu, irqs);
        let cpu = &mut self.vcpus[vcpu].cpu;
        let pending = cpu.watchpoints.pending();
        cpu.watchpoints = own;
        cpu.watchpoints.set_pending(pending);
        cpu.replay.note_hits = noting;
        if !matches!(step, DebugStep::Watchpoint(_)) {
            eprintln!("armvirt: history replay diverged at a watchpoint step of vCPU {vcpu}");
            self.note_divergence();
        }
        self.note_watch_hit(vcpu, hit);
    }

    /// While searching, notes a recorded watchpoint stop as a hit if the debugger's
    /// watchpoint is still set.
    fn note_watch_hit(&mut self, vcpu: usize, hit: WatchHit) {
        let cpu = &self.vcpus[vcpu].cpu;
        if cpu.replay.note_hits {
            let w = hit.watchpoint;
            let set = cpu.watchpoints.find(w.addr, w.len.max(1), hit.write);
            if set == Some(w) {
                let icount = cpu.icount;
                let key = self.key_now(vcpu);
                if let Some(h) = self.history.as_mut() {
                    h.found.push((
                        key,
                        vcpu,
                        Hit {
                            icount,
                            kind: HitKind::Watch(hit),
                        },
                    ));
                }
            }
        }
    }

    /// Each vCPU's stop position for the next move: the target's, and the journal's own
    /// stop of this move; the earlier of the two where both are on one vCPU.
    fn set_stops(&mut self, target: Option<Target>, journal: Option<(usize, u64)>) {
        for (i, v) in self.vcpus.iter_mut().enumerate() {
            let t = target.filter(|t| t.vcpu == i).map(|t| t.icount);
            let j = journal.filter(|j| j.0 == i).map(|j| j.1);
            v.cpu.replay.stop_at = match (t, j) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }

    /// Collects the hits vCPU `i` noted in its slice, keyed by where they happened.
    pub(crate) fn collect_hits(&mut self, i: usize) {
        if self.vcpus[i].cpu.replay.hits.is_empty() {
            return;
        }
        let others: u64 = self
            .vcpus
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, v)| v.cpu.icount)
            .sum();
        let hits = std::mem::take(&mut self.vcpus[i].cpu.replay.hits);
        let epoch = self.epoch;
        if let Some(h) = self.history.as_mut() {
            h.found.extend(
                hits.into_iter()
                    .map(|hit| ((others + hit.icount, epoch, i), i, hit)),
            );
        }
    }

    fn stash_debug(&mut self) -> Stash {
        Stash(
            self.vcpus
                .iter_mut()
                .map(|v| {
                    let b = std::mem::take(&mut v.cpu.breakpoints);
                    let pending = v.cpu.watchpoints.pending();
                    let mut w = std::mem::take(&mut v.cpu.watchpoints);
                    w.set_pending(None);
                    v.cpu.watchpoints.set_pending(pending);
                    (b, w)
                })
                .collect(),
        )
    }

    fn unstash_debug(&mut self, stash: Stash) {
        for (v, (b, w)) in self.vcpus.iter_mut().zip(stash.0) {
            let pending = v.cpu.watchpoints.pending();
            v.cpu.breakpoints = b;
            v.cpu.watchpoints = w;
            v.cpu.watchpoints.set_pending(pending);
        }
    }
}
