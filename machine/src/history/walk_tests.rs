//! Time travel on a booting kernel: a random walk of forward and backward moves (single
//! steps, continues to breakpoints and watchpoints, reverse steps and reverse continues)
//! on one and two vCPUs, with each engine. Every position the walk stands at is named by
//! its scheduling epoch and every vCPU's instruction count, and hashed with the whole
//! machine state (every vCPU, the exclusive monitors, the clock, every device; RAM every
//! few moves). A position reached again — through history or, at the end of history, live —
//! must hash the same as when it was first reached; most first visits are live, the
//! straight forward run itself.
//!
//! When one fails, `ARMVIRT_CHECK_REPLAY=1` makes every replay compare the machine after each
//! move with the live run's (slow), naming the first move and field that differ;
//! `ARMVIRT_CHECK_REPLAY_RAM=1` adds a digest of every RAM page.

use crate::config::Config;
use crate::console::{ConsoleInput, Muted};
use crate::debug::DebugRun;
use crate::history::Travel;
use crate::machine::Machine;
use crate::options::Engine;
use crate::rtc::RtcBase;
use crate::test_rig::{fixture, Buf};
use armvirt_cpu::WatchKind;
use std::collections::hash_map::{DefaultHasher, Entry};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Instructions between snapshots in these tests (the default interval is for speed).
const TEST_INTERVAL: u64 = 2_000_000;
/// Rounds run live before the walk starts (past the boot stub and the MMU's enabling).
const WARMUP_ROUNDS: u32 = 3_000;
/// Rounds a live continue runs at most (history's length bounds a search's cost).
const LIVE_CONTINUE_ROUNDS: u32 = 20;
/// How many recent PCs the walk picks breakpoints from.
const RECENT: usize = 32;

fn machine(cpus: u32, engine: Engine) -> Machine {
    let mut c = Config::new(fixture("debug-kernel/current/Image"));
    c.initrd = Some(fixture("initramfs/initramfs.cpio.gz"));
    c.cmdline = Some("console=ttyAMA0 armvirt.script=none".into());
    c.cpus = cpus;
    c.ram_size = 256 << 20;
    c.rtc_base = RtcBase::DateTime(1_704_164_645);
    c.options.engine = engine;
    let m = Machine::new(c).unwrap();
    let out = Muted::new(Buf::default(), m.mute.clone());
    m.uart.lock().set_output(Box::new(out));
    m
}

/// A small deterministic generator (xorshift64*), so a failure repeats.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

type Position = (u64, Vec<u64>);

fn position(m: &Machine) -> Position {
    (m.epoch, m.vcpus.iter().map(|v| v.cpu.icount).collect())
}

/// The machine's state apart from RAM as text, without what is the debugger's (a
/// watchpoint stop's pending step is not the guest's).
pub(crate) fn guest_state(m: &Machine) -> String {
    let mut s = m.save_state();
    for v in &mut s.vcpus {
        v.cpu.pending_watch = None;
    }
    format!("{s:?}")
}

/// The guest state and a digest of each nonzero RAM page, for finding what a replay got
/// wrong (`ARMVIRT_CHECK_REPLAY`).
pub(crate) fn debug_text(m: &Machine) -> String {
    let mut t = guest_state(m);
    if std::env::var_os("ARMVIRT_CHECK_REPLAY_RAM").is_none() {
        return t;
    }
    for p in m.ram.nonzero_pages() {
        let mut h = DefaultHasher::new();
        m.ram.page(p).hash(&mut h);
        t.push_str(&format!(", page {p:#x}={:x}", h.finish()));
    }
    t
}

fn state_hash(m: &Machine, with_ram: bool) -> u64 {
    if with_ram {
        return m.state_hash();
    }
    let mut h = DefaultHasher::new();
    guest_state(m).hash(&mut h);
    h.finish()
}

/// Moves whose first-visit states are kept as text (memory: about 100 KB each).
const KEEP_TEXT_MOVES: u32 = 500;

fn show_difference(first: Option<&String>, now: &str) {
    let Some(first) = first else {
        return;
    };
    for (i, (a, b)) in first.split(", ").zip(now.split(", ")).enumerate() {
        if a != b {
            eprintln!("field {i}: first visit {a:?}, now {b:?}");
        }
    }
}

#[derive(Default, Debug)]
struct Counts {
    moves: u32,
    revisits: u32,
    revisits_of_live: u32,
    ram_checks: u32,
    begins: u32,
    lives: u32,
}

/// Walks `moves` random moves after a warm-up on `cpus` vCPUs; panics at the first
/// position whose state differs from its first visit.
fn walk(cpus: u32, engine: Engine, moves: u32, seed: u64) -> Counts {
    let mut m = machine(cpus, engine);
    m.start_history(1 << 30);
    m.history.as_mut().unwrap().interval = TEST_INTERVAL;
    let mut input = ConsoleInput::none();
    let mut rng = Rng(seed);
    for r in 0..WARMUP_ROUNDS {
        assert_eq!(
            m.debug_run(&mut input, 1),
            DebugRun::Slice,
            "warm-up round {r}"
        );
    }
    // Breakpoint candidates: PCs the walk stood at lately.
    let mut recent = vec![m.vcpus[0].cpu.s.pc];
    let stack_slot = m.vcpus[0].cpu.s.x[31].wrapping_sub(64) & !7;
    let mut seen: HashMap<Position, (u64, bool)> = HashMap::new();
    // The first visit's state as text, kept while the walk is short, to show a difference.
    let mut text: HashMap<Position, String> = HashMap::new();
    let mut ram_hashes: HashMap<Position, u64> = HashMap::new();
    let mut c = Counts::default();
    let mut check = |m: &Machine, c: &mut Counts, live: bool, op: &str| {
        let pos = position(m);
        let hash = state_hash(m, false);
        match seen.entry(pos.clone()) {
            Entry::Occupied(e) => {
                let (first, first_live) = *e.get();
                if hash != first {
                    show_difference(text.get(&pos), &guest_state(m));
                }
                assert_eq!(
                    hash, first,
                    "move {} ({op}): state at {pos:?} differs from its first visit",
                    c.moves
                );
                c.revisits += 1;
                c.revisits_of_live += first_live as u32;
            }
            Entry::Vacant(e) => {
                e.insert((hash, live));
                if c.moves < KEEP_TEXT_MOVES {
                    text.insert(pos.clone(), guest_state(m));
                }
            }
        }
        // RAM too, on every eighth first visit and on every return to one of those.
        let first_with_ram = !ram_hashes.contains_key(&pos) && c.moves.is_multiple_of(8);
        if first_with_ram || ram_hashes.contains_key(&pos) {
            let ram = state_hash(m, true);
            match ram_hashes.entry(pos) {
                Entry::Occupied(e) => {
                    assert_eq!(ram, *e.get(), "move {} ({op}): RAM differs", c.moves);
                    c.ram_checks += 1;
                }
                Entry::Vacant(e) => {
                    e.insert(ram);
                }
            }
        }
    };
    check(&m, &mut c, true, "start");
    for _ in 0..moves {
        c.moves += 1;
        let on: Vec<usize> = (0..cpus as usize)
            .filter(|&i| m.vcpus[i].power == crate::vcpu::Power::On)
            .collect();
        let vcpu = on[rng.below(on.len() as u64) as usize];
        let live_before = !m.in_past();
        let (op, live) = match rng.below(10) {
            0..=2 => {
                let live = !m.in_past() || m.replay_step(vcpu) == Travel::Live;
                if live {
                    m.debug_step(vcpu, false);
                }
                ("stepi", live)
            }
            3..=5 => {
                let t = m.reverse_step(vcpu);
                c.begins += (t == Travel::Begin) as u32;
                ("reverse-stepi", false)
            }
            6 => {
                let pc = recent[rng.below(recent.len() as u64) as usize];
                m.add_breakpoint(pc);
                let watch = rng.below(3) == 0;
                if watch {
                    m.add_watchpoint(stack_slot, 8, WatchKind::Write);
                }
                let mut live = !m.in_past();
                if !live {
                    let t = m.replay_continue(vcpu);
                    live = t == Travel::Live;
                }
                if live {
                    // A live continue: stopped by a hit or after a few hundred rounds.
                    if m.at_breakpoint(vcpu) {
                        m.debug_step(vcpu, false);
                    }
                    for _ in 0..LIVE_CONTINUE_ROUNDS {
                        if m.debug_run(&mut input, 1) != DebugRun::Slice {
                            break;
                        }
                    }
                }
                m.remove_breakpoint(pc);
                if watch {
                    m.remove_watchpoint(stack_slot, 8, WatchKind::Write);
                }
                ("continue", live)
            }
            7 => {
                // A breakpoint, a breakpoint and the watchpoint, or the watchpoint alone
                // (whose search skips intervals that never wrote its page).
                let pc = recent[rng.below(recent.len() as u64) as usize];
                let (bp, watch) = match rng.below(3) {
                    0 => (true, false),
                    1 => (true, true),
                    _ => (false, true),
                };
                if bp {
                    m.add_breakpoint(pc);
                }
                if watch {
                    m.add_watchpoint(stack_slot, 8, WatchKind::Write);
                }
                let t = m.reverse_continue(vcpu);
                c.begins += (t == Travel::Begin) as u32;
                if bp {
                    m.remove_breakpoint(pc);
                }
                if watch {
                    m.remove_watchpoint(stack_slot, 8, WatchKind::Write);
                }
                ("reverse-continue", false)
            }
            _ => {
                // A short live run (or a replay to the end of history).
                if m.in_past() {
                    assert_eq!(m.replay_continue(vcpu), Travel::Live);
                }
                m.debug_run(&mut input, 1 + rng.below(5) as u32);
                ("run", true)
            }
        };
        assert_eq!(
            m.history.as_ref().unwrap().diverged,
            0,
            "move {} ({op}) diverged",
            c.moves
        );
        c.lives += (live && live_before) as u32;
        check(&m, &mut c, live && !m.in_past(), op);
        // Where the walk stood lately: breakpoints there are hit again soon, in loops.
        let pc = m.vcpus[vcpu].cpu.s.pc;
        if recent.len() < RECENT {
            recent.push(pc);
        } else {
            recent[c.moves as usize % RECENT] = pc;
        }
    }
    c
}

fn assert_walk(c: &Counts, moves: u32) {
    eprintln!("walk: {c:?}");
    assert_eq!(c.moves, moves);
    assert!(c.revisits > moves / 5, "too few positions came back: {c:?}");
    assert!(
        c.revisits_of_live > moves / 20,
        "too few checks against the live run: {c:?}"
    );
    assert!(c.ram_checks > c.revisits / 20, "too few RAM checks: {c:?}");
}

#[test]
fn random_walk_on_one_vcpu() {
    let c = walk(1, Engine::Jit, 10_000, 0x5eed_0001);
    assert_walk(&c, 10_000);
}

#[test]
fn random_walk_on_two_vcpus() {
    let c = walk(2, Engine::Jit, 10_000, 0x5eed_0002);
    assert_walk(&c, 10_000);
}

#[test]
fn random_walk_with_the_interpreter() {
    let c = walk(2, Engine::Interp, 1_000, 0x5eed_0003);
    assert_walk(&c, 1_000);
}
