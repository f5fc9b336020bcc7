//! Time travel: while a debugger is attached, the machine keeps its history — snapshots
//! at intervals within a memory budget, the debugger's moves between them (`journal.rs`)
//! and every input from outside (`inputs.rs`) — so that any earlier position can be
//! reached again by restoring the snapshot before it and replaying forward, which gives
//! the same states instruction for instruction (execution is deterministic: `run.rs`).
//! `travel.rs` builds reverse steps and reverse continues on that.
//!
//! A position is where a vCPU was about to execute the instruction that its instruction
//! count `icount` starts; each is reached once in a run (counts only grow), so a vCPU and
//! a count name it. Positions are ordered by [`Key`].

pub mod inputs;
mod journal;
pub(crate) mod state;
mod travel;

use crate::console::Shared;
use crate::machine::Machine;
use crate::run::Round;
use crate::snapshot::ram::{RamHistory, SnapId};
use armvirt_devices::pl011::Pl011;
use armvirt_devices::virtio::console::Input as VirtconsoleInput;
use inputs::{Input, InputLog, Phase};
use journal::Journal;
pub use journal::Move;
use state::MachineState;
pub use travel::Travel;

/// Memory for history by default (`--history`): snapshots' pages and state, inputs.
pub const DEFAULT_BUDGET: u64 = 1 << 30;

/// Instructions (all vCPUs together) between two snapshots: at the JIT's speed a replay
/// from the nearest one takes a few tens of milliseconds.
const INTERVAL: u64 = 20_000_000;

/// Where a position lies in a run: the instructions all vCPUs had executed, the
/// scheduling epoch (rounds and steps so far), the vCPU (within a round they run in
/// index order). Increasing along every run.
pub type Key = (u64, u64, usize);

pub(crate) struct History {
    snaps: Vec<Snap>,
    journal: Journal,
    inputs: InputLog,
    ram: RamHistory,
    budget: u64,
    /// Instructions between snapshots ([`INTERVAL`]; tests take them closer).
    interval: u64,
    /// The machine stands at a recorded position before the end of history.
    past: bool,
    /// Replays that did not meet a recorded stop (none, unless something escapes the
    /// snapshots or the log).
    diverged: u32,
    /// Intervals replayed by searches (tests count them).
    pub(crate) searched: u32,
    /// Tests: the state's text after each live move, for replays to compare with.
    #[cfg(test)]
    pub(crate) after_move: Vec<String>,
    /// Hits noted by a search, with their keys (`travel.rs`).
    found: Vec<(Key, usize, armvirt_cpu::replay::Hit)>,
}

struct Snap {
    ram: SnapId,
    state: MachineState,
    /// How many moves come before it.
    at: usize,
    ticks: u64,
}

impl History {
    pub(crate) fn budget(&self) -> u64 {
        self.budget
    }

    /// Whether the log says console input has ended.
    pub(crate) fn console_closed(&self) -> bool {
        self.inputs.console_closed()
    }

    /// Logs an input of the live run (history kept from here on replays it).
    pub(crate) fn log_input(&mut self, epoch: u64, phase: Phase, input: Input) {
        self.inputs.push(epoch, phase, input);
    }
}

impl Snap {
    fn icount(&self, vcpu: usize) -> u64 {
        self.state.vcpus[vcpu].cpu.icount
    }
}

/// Puts the console bytes `log` has for `epoch` and `phase` into the UART's receive FIFO
/// and the virtconsole's input (`port`); returns whether the console was still open then.
pub(crate) fn deliver_logged(
    uart: &Shared<Pl011>,
    port: Option<&VirtconsoleInput>,
    log: &InputLog,
    epoch: u64,
    phase: Phase,
) -> bool {
    let mut uart = uart.lock();
    for b in log.console_at(epoch, phase) {
        uart.push_rx(b);
    }
    if let Some(port) = port {
        let bytes: Vec<u8> = log.virtconsole_at(epoch, phase).collect();
        if !bytes.is_empty() {
            port.push(&bytes);
        }
    }
    !log.console_closed_by(epoch)
}

impl Machine {
    /// Starts keeping history from here (a debugger attached), within `budget` bytes.
    pub fn start_history(&mut self, budget: u64) {
        let ram = RamHistory::new(&mut self.ram);
        let first = Snap {
            ram: ram.base(),
            state: self.save_state(),
            at: 0,
            ticks: self.ticks(),
        };
        self.history = Some(Box::new(History {
            snaps: vec![first],
            journal: Journal::default(),
            inputs: InputLog::default(),
            ram,
            budget,
            interval: INTERVAL,
            past: false,
            diverged: 0,
            searched: 0,
            #[cfg(test)]
            after_move: Vec::new(),
            found: Vec::new(),
        }));
        self.update_frame_logging();
    }

    /// The debugger is about to change the machine (memory, registers): history cannot
    /// replay that, so it starts again from here — in the past, what came after is gone.
    pub(crate) fn debugger_writes(&mut self) {
        let Some(h) = self.history.as_ref() else {
            return;
        };
        if h.journal.is_empty() {
            return;
        }
        let budget = h.budget;
        eprintln!("armvirt: the debugger changed the machine: reverse execution starts again here");
        self.stop_history();
        self.start_history(budget);
    }

    /// Drops history (the debugger went away).
    pub fn stop_history(&mut self) {
        self.history = None;
        self.ram.track_dirty(false);
        self.update_frame_logging();
    }

    pub fn history_active(&self) -> bool {
        self.history.is_some()
    }

    /// Whether the machine stands in recorded history, before its end: moving forward
    /// replays (the same inputs, the same result) until the end, then runs live.
    pub fn in_past(&self) -> bool {
        self.history.as_ref().is_some_and(|h| h.past)
    }

    /// Memory history holds now.
    pub fn history_bytes(&self) -> u64 {
        self.history.as_ref().map_or(0, |h| {
            (h.ram.bytes() + h.inputs.bytes() + h.snaps.len() * std::mem::size_of::<Snap>()) as u64
        })
    }

    /// How many snapshots history holds.
    pub fn history_snapshots(&self) -> usize {
        self.history.as_ref().map_or(0, |h| h.snaps.len())
    }

    /// Logs an input of the live run at this epoch, when history is kept.
    pub(crate) fn log_input(&mut self, phase: Phase, input: Input) {
        let epoch = self.epoch;
        if let (false, Some(h)) = (self.replaying, self.history.as_mut()) {
            h.log_input(epoch, phase, input);
        }
    }

    /// In a replay: gives the UART the console bytes that entered at this epoch and
    /// `phase`, and the console's open state then, as the live run had them.
    pub(crate) fn replay_inputs(&mut self, phase: Phase) {
        if let Some(h) = self.history.as_ref() {
            let port = self.virtio.virtconsole.as_ref();
            self.input_open = deliver_logged(&self.uart, port, &h.inputs, self.epoch, phase);
        }
    }

    /// At a round's start, in a replay (of history or of a recording): the NICs get the
    /// frames the live run's NICs took in this epoch.
    pub(crate) fn feed_logged_frames(&self) {
        let log = if self.replaying {
            self.history.as_ref().map(|h| &h.inputs)
        } else {
            self.recorded_inputs()
        };
        if let Some(log) = log {
            for (nic, frame) in log.frames_at(self.epoch) {
                self.virtio.nets.feed(nic, frame);
            }
        }
    }

    /// Logs the frames the NICs took since the last call (a live run that logs inputs),
    /// at this epoch.
    pub(crate) fn log_frames(&mut self) {
        if self.virtio.nets.is_empty() || self.replaying || self.replaying_recording() {
            return;
        }
        for (nic, frame) in self.virtio.nets.take_delivered() {
            let input = Input::Frame { nic, frame };
            self.log_input(Phase::Start, input.clone());
            self.record_input(Phase::Start, input);
        }
    }

    /// Whether inputs are logged (history or `--record`), so the NICs keep what they take.
    pub(crate) fn update_frame_logging(&self) {
        self.virtio
            .nets
            .log_delivered(self.history.is_some() || self.recording());
    }

    /// In a replay: where the live run's idle step moved the clock to at this epoch.
    pub(crate) fn replayed_idle_until(&self, deadline: u64) -> u64 {
        let logged = self
            .history
            .as_ref()
            .and_then(|h| h.inputs.idle_until(self.epoch));
        logged.unwrap_or(deadline)
    }

    /// Silences the console (replays) or lets it print again.
    pub(crate) fn console_mute(&mut self, on: bool) {
        self.mute.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Instructions executed by all vCPUs together.
    pub fn ticks(&self) -> u64 {
        self.vcpus.iter().map(|v| v.cpu.icount).sum()
    }

    /// The key of vCPU `vcpu`'s position now.
    pub(crate) fn key_now(&self, vcpu: usize) -> Key {
        (self.ticks(), self.epoch, vcpu)
    }

    /// Journals a live round (`debug_run`) and takes a snapshot when one is due.
    pub(crate) fn note_round(&mut self, round: &Round) {
        if self.replaying {
            return;
        }
        let Some(h) = self.history.as_mut() else {
            return;
        };
        match round {
            Round::Breakpoint { vcpu } => h.journal.push(Move::Stop {
                vcpu: *vcpu,
                icount: self.vcpus[*vcpu].cpu.icount,
                watch: None,
            }),
            Round::Watchpoint { vcpu, hit } => h.journal.push(Move::Stop {
                vcpu: *vcpu,
                icount: self.vcpus[*vcpu].cpu.icount,
                watch: Some(*hit),
            }),
            Round::Continue | Round::Idle => {
                h.journal.round();
                self.snapshot_if_due();
            }
            // A round that ended the run (a deadlock the debugger may look at) took its
            // epoch and its inputs: a replay repeats it (idle, in a replay). A paused round
            // did not run.
            Round::End(_) => h.journal.round(),
            Round::Paused => {}
        }
        #[cfg(test)]
        self.record_after_move();
    }

    /// Tests, under `ARMVIRT_CHECK_REPLAY`: keeps the state after each live move for
    /// replays to compare with (`travel.rs`).
    #[cfg(test)]
    pub(crate) fn record_after_move(&mut self) {
        if std::env::var_os("ARMVIRT_CHECK_REPLAY").is_none() || self.replaying {
            return;
        }
        let text = crate::history::walk_tests::debug_text(self);
        if let Some(h) = self.history.as_mut() {
            let n = h.journal.len();

            h.after_move.resize(n, String::new());
            if n > 0 {
                h.after_move[n - 1] = text;
            }
        }
    }

    /// Journals a live single step of `vcpu` that a watchpoint stopped (`watch`) or not.
    pub(crate) fn note_step(
        &mut self,
        vcpu: usize,
        irqs: bool,
        watch: Option<armvirt_cpu::WatchHit>,
    ) {
        if self.replaying {
            return;
        }
        if let Some(h) = self.history.as_mut() {
            h.journal.push(Move::Step { vcpu, irqs, watch });
        }
        #[cfg(test)]
        self.record_after_move();
    }

    fn snapshot_if_due(&mut self) {
        let ticks = self.ticks();
        let Some(h) = self.history.as_ref() else {
            return;
        };
        let last = h.snaps.last().map_or(0, |s| s.ticks);
        if ticks.saturating_sub(last) >= h.interval {
            self.take_snapshot();
        }
    }

    /// A snapshot at the end of the journal (the present).
    fn take_snapshot(&mut self) {
        let state = self.save_state();
        let ticks = self.ticks();
        let Some(h) = self.history.as_mut() else {
            return;
        };
        let ram = h.ram.capture(&mut self.ram);
        let at = h.journal.seal();
        h.snaps.push(Snap {
            ram,
            state,
            at,
            ticks,
        });
        self.forget_fast_writes();
        self.thin_history();
    }

    /// After the dirty pages were taken, every vCPU's next store to a page goes through
    /// the slow path again, which marks it.
    fn forget_fast_writes(&mut self) {
        for v in &mut self.vcpus {
            v.cpu.tlb.fast.clear_writes();
        }
    }

    /// Over budget: drops snapshots, keeping the first and the last two, and more of the
    /// recent ones than the old (the gap a removal leaves, relative to its age, is what is
    /// minimised), so a history of length L keeps about log L of them, as rr does.
    fn thin_history(&mut self) {
        loop {
            let bytes = self.history_bytes();
            let Some(h) = self.history.as_mut() else {
                return;
            };
            if bytes <= h.budget || h.snaps.len() <= 3 {
                return;
            }
            let now = h.snaps.last().map_or(0, |s| s.ticks);
            let victim = (1..h.snaps.len() - 2)
                .min_by_key(|&i| {
                    let gap = h.snaps[i + 1].ticks - h.snaps[i - 1].ticks;
                    let age = now - h.snaps[i].ticks + 1;
                    // gap / age, compared without division.
                    (gap as u128) * (1 << 20) / age as u128
                })
                .unwrap_or(1);
            let snap = h.snaps.remove(victim);
            h.ram.remove(snap.ram);
        }
    }

    /// Restores snapshot `i` (RAM and state); the decoded code and reservations on the
    /// pages that changed are dropped.
    fn restore_snapshot(&mut self, i: usize) {
        let Some(h) = self.history.as_mut() else {
            return;
        };
        let pages = h.ram.restore(&mut self.ram, h.snaps[i].ram);
        let state = h.snaps[i].state.clone();
        for pa in pages {
            self.code.note_write(pa, 4096);
            self.monitors.note_write(pa, 4096);
        }
        self.restore_state(&state);
        self.forget_fast_writes();
        // The interrupt controller's lines follow the restored timers.
        for i in 0..self.vcpus.len() {
            self.gic.update_timer_ppis(i, &self.vcpus[i]);
        }
    }
}

#[cfg(test)]
#[path = "walk_tests.rs"]
mod walk_tests;

#[cfg(test)]
#[path = "travel_tests.rs"]
mod travel_tests;
