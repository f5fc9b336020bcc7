//! The run loop: vCPUs take turns on one host thread in fixed instruction quanta, so a run
//! is the same instruction for instruction every time.
//!
//! Time is virtual (see `cpu/src/timer.rs`): a round of the scheduler advances the
//! machine's clock by one quantum, each vCPU's counter reading that clock plus the
//! instructions it has run in the round. A slice ends early at the vCPU's next timer
//! deadline so the interrupt arrives on time. A vCPU in WFI waits for an interrupt; one in
//! WFE with its event register clear waits for an event, a WFE wake-up interrupt or the
//! timer event stream's next tick (`cpu/src/event.rs`): a waiting vCPU gives up its
//! slices instead of spinning through them. When every vCPU waits, the clock jumps to the
//! earliest timer deadline or event stream tick; only console input is waited for in host
//! time. Firmware calls (PSCI over HVC) are serviced between slices.

use crate::console::ConsoleInput;
use crate::history::inputs::{Input, Phase};
use crate::machine::Machine;
use crate::psci::{self, Outcome};
use crate::vcpu::{Power, Vcpu, Wait};
use armvirt_cpu::exception::Exception;
use armvirt_cpu::{Exit, Mem, WatchHit};
use std::fmt;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Instructions (virtual nanoseconds) a vCPU runs before the next one gets its turn.
pub const QUANTUM: u64 = 10_000;

/// Longest host-time wait for console input when every vCPU idles with no timer armed
/// (input wakes it at once; the limit only bounds how late a quit request is seen).
const IDLE_WAIT: Duration = Duration::from_millis(100);

/// After the console shows a kernel panic, how long (virtual time) the kernel may go on
/// printing its report before the run ends, if it never prints the end-of-panic line.
const PANIC_GRACE_NS: u64 = 100_000_000;
/// Longest idle wait in host time while a monitor is attached: its commands run between
/// rounds, so they wait at most this long on an idle guest.
const MONITOR_IDLE_WAIT: Duration = Duration::from_millis(10);

/// How a run ended normally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// PSCI SYSTEM_OFF.
    PowerOff,
    /// PSCI SYSTEM_RESET under `-no-reboot` (without it, the machine reboots and runs on).
    Reset,
    /// The user quit from the console (Ctrl-A x).
    Quit,
    /// The guest or the monitor ended the run with this exit status (semihosting
    /// SYS_EXIT, the monitor's `quit`); the process exits with its low 8 bits, as QEMU.
    Exit(u32),
}

/// A run that stopped because armvirt cannot go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Every vCPU is off and nothing can turn one on.
    AllOff,
    /// Every vCPU waits for an interrupt or event that nothing can raise.
    Deadlock { pc: u64 },
    /// `--timeout` passed (host time); where each vCPU was.
    Timeout { after: Duration, vcpus: Vec<VcpuAt> },
    /// The guest kernel panicked (the reason from its console line, already reported).
    GuestPanic(String),
    /// Rebuilding the machine for a guest reset failed (a file gone, ...).
    ResetFailed(String),
    /// `--replay`: the state hash at instruction count `at` differs from the recording's.
    Diverged { at: u64 },
    /// `--replay` of a cut recording (its run was killed): it says nothing past here.
    RecordingEnded { at: u64 },
}

/// Where a vCPU was when a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VcpuAt {
    pub pc: u64,
    pub el: u8,
    pub on: bool,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::AllOff => f.write_str("every vCPU is off (PSCI CPU_OFF) and none can wake"),
            Stop::Deadlock { pc } => write!(
                f,
                "every vCPU waits in WFI or WFE with no interrupt or event source \
                 (vCPU 0 at pc {pc:#018x})"
            ),
            Stop::Timeout { after, vcpus } => {
                write!(f, "timeout: {} s of host time passed;", after.as_secs_f64())?;
                for (i, v) in vcpus.iter().enumerate() {
                    let sep = if i == 0 { "" } else { "," };
                    write!(f, "{sep} vCPU {i} at pc {:#018x} EL{}", v.pc, v.el)?;
                    if !v.on {
                        f.write_str(" (off)")?;
                    }
                }
                Ok(())
            }
            Stop::GuestPanic(reason) => write!(f, "guest kernel panic: {reason}"),
            Stop::ResetFailed(why) => write!(f, "cannot reboot after the guest's reset: {why}"),
            Stop::Diverged { at } => write!(
                f,
                "the replay diverged from the recording: the state at instruction count {at} \
                 differs"
            ),
            Stop::RecordingEnded { at } => write!(
                f,
                "the recording ends here (its run was cut short): replayed to instruction \
                 count {at}"
            ),
        }
    }
}

/// What one vCPU's slice asks of the machine.
enum SliceEnd {
    Continue,
    Finished(RunEnd),
    /// The vCPU reached a debugger breakpoint (the instruction there has not run).
    Breakpoint,
    /// The vCPU's next access hits a debugger watchpoint (the instruction has not run).
    Watchpoint(WatchHit),
}

/// What a slice of one vCPU does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slice {
    /// Up to a quantum of instructions, ending early at a timer deadline or breakpoint.
    Run,
    /// One instruction, past any breakpoint; with `irqs`, a pending unmasked interrupt is
    /// taken instead (the step ends at its vector).
    Step { irqs: bool },
}

/// How one scheduling round ended.
pub(crate) enum Round {
    /// Every runnable vCPU had its slice (or none could run and time moved on).
    Continue,
    /// No vCPU could run and the round waited for console input.
    Idle,
    /// The monitor stopped the machine (`stop`, `-S`): nothing ran, time stood still.
    Paused,
    /// vCPU `vcpu` stopped at a debugger breakpoint; the round ended there.
    Breakpoint { vcpu: usize },
    /// vCPU `vcpu` stopped at a debugger watchpoint; the round ended there.
    Watchpoint { vcpu: usize, hit: WatchHit },
    /// The run is over.
    End(Result<RunEnd, Stop>),
}

impl Machine {
    /// Runs until the guest powers off or resets (under `-no-reboot`; otherwise it
    /// reboots), its kernel panics, the timeout passes, or armvirt cannot go on. Under
    /// `-no-shutdown` a power-off or panic leaves the machine stopped until the user quits
    /// (Ctrl-A x) or the console input ends.
    pub fn run_with(&mut self, mut input: ConsoleInput) -> Result<RunEnd, Stop> {
        loop {
            if let Some(end) = self.run_round(&mut input) {
                return end;
            }
        }
    }

    /// One round of [`Machine::run_with`]'s loop; `Some` when the run ends.
    pub(crate) fn run_round(&mut self, input: &mut ConsoleInput) -> Option<Result<RunEnd, Stop>> {
        // (Breakpoints and watchpoints exist only while a debugger runs the machine:
        // `debug.rs`.)
        match self.round(input, IDLE_WAIT) {
            Round::End(end) => return Some(end),
            Round::Idle if self.stopped && !input.open() => return Some(Ok(RunEnd::PowerOff)),
            _ => {}
        }
        if let Some(at) = self.panic_at {
            let seen = self.panic_seen.lock().unwrap_or_else(|e| e.into_inner());
            let done = seen.ended || self.now_ns.saturating_sub(at) >= PANIC_GRACE_NS;
            if done && !self.config().options.no_shutdown {
                return Some(Err(Stop::GuestPanic(
                    seen.reason.clone().unwrap_or_default(),
                )));
            }
        }
        None
    }

    /// Ends the run (with [`Stop::Timeout`]) once `after` of host time has passed.
    pub fn set_timeout(&mut self, after: Duration) {
        self.deadline = Some((std::time::Instant::now() + after, after));
    }

    /// A round's end of the run: a reset reboots unless `-no-reboot`, a power-off under
    /// `-no-shutdown` stops the vCPUs and keeps the machine.
    pub(crate) fn finish(&mut self, end: RunEnd) -> Round {
        let options = &self.config().options;
        match end {
            RunEnd::Reset if !options.no_reboot => match self.reset() {
                Ok(()) => Round::Continue,
                Err(e) => Round::End(Err(Stop::ResetFailed(e.to_string()))),
            },
            RunEnd::PowerOff if options.no_shutdown => {
                for v in &mut self.vcpus {
                    v.power = Power::Off;
                }
                self.stopped = true;
                eprintln!(
                    "armvirt: the guest powered off; -no-shutdown keeps armvirt running \
                     (Ctrl-A x or the end of input quits)"
                );
                Round::Idle
            }
            end => Round::End(Ok(end)),
        }
    }

    /// Where every vCPU is, for a report.
    fn positions(&self) -> Vec<VcpuAt> {
        self.vcpus
            .iter()
            .map(|v| VcpuAt {
                pc: v.cpu.s.pc,
                el: v.cpu.s.el,
                on: v.power == Power::On,
            })
            .collect()
    }

    /// One round of the scheduler: console input in, every runnable vCPU one slice (in
    /// index order), the clock one quantum on; or, with nothing runnable, the idle step
    /// (waiting at most `idle_wait` for console input).
    pub(crate) fn round(&mut self, input: &mut ConsoleInput, idle_wait: Duration) -> Round {
        // Frames a NIC reset drained in the last round's slices were taken in its epoch.
        self.log_frames();
        if !self.replaying {
            if let Some(round) = self.live_checks(input, idle_wait) {
                return round;
            }
        }
        // From here on the round is what history journals and a replay repeats.
        self.epoch += 1;
        if self.past_recording() {
            return Round::End(Err(Stop::RecordingEnded { at: self.ticks() }));
        }
        self.take_console_input(input, Phase::Start);
        if self.replaying || self.replaying_recording() {
            self.feed_logged_frames();
        }
        // Virtio requests the guest made last round complete now, at a round boundary.
        let (code, ram) = (&mut self.code, &mut self.ram);
        self.virtio.service(&mut |addr, len| {
            code.note_write(addr, len);
            ram.mark_dirty(addr, len);
        });
        self.log_frames();
        let mut ran = false;
        for i in 0..self.vcpus.len() {
            if !self.runnable(i) {
                continue;
            }
            ran = true;
            match self.run_slice(i) {
                Ok(SliceEnd::Continue) => {}
                Ok(SliceEnd::Finished(end)) => return self.finish(end),
                Ok(SliceEnd::Breakpoint) => return Round::Breakpoint { vcpu: i },
                Ok(SliceEnd::Watchpoint(hit)) => return Round::Watchpoint { vcpu: i, hit },
                Err(stop) => return Round::End(Err(stop)),
            }
        }
        let round = if ran {
            self.now_ns += QUANTUM;
            Round::Continue
        } else {
            match self.idle(input, idle_wait) {
                Ok(true) => Round::Continue,
                Ok(false) => Round::Idle,
                Err(stop) => return Round::End(Err(stop)),
            }
        };
        self.clock.store(self.now_ns, Ordering::Relaxed);
        self.rtc.lock().poll();
        self.poll_power_button();
        if !self.replaying {
            if let Some(at) = self.check_hash() {
                return Round::End(Err(Stop::Diverged { at }));
            }
        }
        round
    }

    /// What only a live round does before its slices: the monitor's and the user's
    /// requests, the panic watch and timeout. `Some` ends the round there, before it
    /// counts as a scheduling epoch (a paused machine does not move).
    fn live_checks(&mut self, input: &mut ConsoleInput, idle_wait: Duration) -> Option<Round> {
        self.route_console(input);
        if input.quit_requested() {
            return Some(Round::End(Ok(RunEnd::Quit)));
        }
        if let Some(end) = self.watch() {
            return Some(end);
        }
        let idle_wait = match self.monitor {
            Some(_) => idle_wait.min(MONITOR_IDLE_WAIT),
            None => idle_wait,
        };
        if let Some(end) = self.poll_monitor(input, idle_wait) {
            return Some(Round::End(Ok(end)));
        }
        if self.paused {
            // Stopped by the monitor: time stands still until `cont`.
            return Some(Round::Paused);
        }
        None
    }

    /// Console input into the UART (or the virtconsole that has stdin) at this point of
    /// the round: live, what the host has (logged when history is kept or the run is
    /// recorded); in a replay, what the log says entered here.
    fn take_console_input(&mut self, input: &mut ConsoleInput, phase: Phase) {
        if self.replaying {
            self.replay_inputs(phase);
            return;
        }
        if self.replaying_recording() {
            // `--replay`: the recording's input, not the host's.
            self.recorded_console_input(phase);
            return;
        }
        let logged = self.history.is_some() || self.recording();
        if let Some(port) = self.virtio.virtconsole.clone() {
            // stdin is the virtconsole's: its device queues what the guest has not taken.
            let bytes = input.take_all();
            if !bytes.is_empty() {
                port.push(&bytes);
                if logged {
                    self.log_input(phase, Input::Virtconsole(bytes.clone()));
                    self.record_input(phase, Input::Virtconsole(bytes));
                }
            }
        } else if !logged {
            input.pump(&self.uart);
        } else {
            let mut bytes = Vec::new();
            input.pump_with(&self.uart, |b| bytes.push(b));
            if !bytes.is_empty() {
                self.log_input(phase, Input::Console(bytes.clone()));
                self.record_input(phase, Input::Console(bytes));
            }
        }
        if !logged {
            self.input_open = input.open();
            return;
        }
        let open = input.open();
        if !open {
            self.note_console_closed(phase);
        }
        self.input_open = open;
    }

    /// What a round looks at before its slices (a reset may end every slice early): the
    /// console's panic line, reported once, and the timeout.
    fn watch(&mut self) -> Option<Round> {
        if self.panic_at.is_none() {
            if let Some(reason) = &self
                .panic_seen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .reason
            {
                eprintln!("armvirt: guest kernel panic: {reason}");
                self.panic_at = Some(self.now_ns);
            }
        }
        if let Some((deadline, after)) = self.deadline {
            if std::time::Instant::now() >= deadline {
                return Some(Round::End(Err(Stop::Timeout {
                    after,
                    vcpus: self.positions(),
                })));
            }
        }
        None
    }

    /// Runs vCPU `i` for at most one quantum of virtual time.
    fn run_slice(&mut self, i: usize) -> Result<SliceEnd, Stop> {
        let exit = self.slice(i, Slice::Run);
        match exit {
            Exit::Breakpoint => return Ok(SliceEnd::Breakpoint),
            Exit::Watchpoint => {
                if let Some(hit) = self.vcpus[i].cpu.watchpoints.pending() {
                    return Ok(SliceEnd::Watchpoint(hit));
                }
            }
            _ => {}
        }
        Ok(match self.on_exit(i, exit) {
            Some(end) => SliceEnd::Finished(end),
            None => SliceEnd::Continue,
        })
    }

    /// One slice of vCPU `i` on the machine's clock: the vCPU's counter reads the clock
    /// plus what it runs, and its timer lines reach the interrupt controller afterwards.
    /// A run and the debugger's single step (`debug.rs`) share it, so a step sees the
    /// same time and interrupt lines a run would.
    pub(crate) fn slice(&mut self, i: usize, kind: Slice) -> Exit {
        let now = self.now_ns;
        let vcpu = &mut self.vcpus[i];
        vcpu.cpu.clock_offset = now.wrapping_sub(vcpu.cpu.icount);
        if let Wait::Event { .. } = vcpu.wait {
            vcpu.cpu.end_wfe_wait(&mut self.monitors);
        }
        vcpu.wait = Wait::No;
        self.gic.set_current_cpu(i);
        if let Slice::Step { .. } = kind {
            // A run raises lines after each slice; a step may be the first since time moved.
            self.gic.update_timer_ppis(i, &self.vcpus[i]);
        }
        let vcpu = &mut self.vcpus[i];
        let mut mem = Mem {
            ram: self.ram.region(),
            bus: &mut self.bus,
            code: &mut self.code,
            monitors: &mut self.monitors,
            tlbi: &mut self.tlbi,
        };
        let exit = match kind {
            Slice::Run => {
                let budget = match vcpu.cpu.next_timer_ns() {
                    Some(deadline) if deadline > now => (deadline - now).min(QUANTUM),
                    _ => QUANTUM,
                };
                match self.block_hook.as_mut() {
                    None => vcpu.cpu.run(&mut mem, budget),
                    Some(hook) => {
                        // The same slice, one block per call (a run of 1 runs one block).
                        let end = vcpu.cpu.icount + budget;
                        loop {
                            let exit = vcpu.cpu.run(&mut mem, 1);
                            hook(i, &vcpu.cpu);
                            if exit != Exit::Budget || vcpu.cpu.icount >= end {
                                break exit;
                            }
                        }
                    }
                }
            }
            Slice::Step { irqs } => {
                let before = vcpu.cpu.icount;
                let exit = vcpu.cpu.step(&mut mem, irqs).unwrap_or(Exit::Budget);
                // The machine's clock follows the stepped vCPU: a stepped loop sees time pass.
                self.now_ns += vcpu.cpu.icount - before;
                exit
            }
        };
        self.gic.update_timer_ppis(i, &self.vcpus[i]);
        if self.replaying {
            // A search of history noted the breakpoint and watchpoint hits it ran past.
            self.collect_hits(i);
        }
        exit
    }

    /// Services what vCPU `i`'s executor handed back (a firmware call, WFI); `Some` when
    /// the run ends. Also used by the debugger's single step (`debug.rs`).
    pub(crate) fn on_exit(&mut self, i: usize, exit: Exit) -> Option<RunEnd> {
        match exit {
            // Breakpoints and watchpoints are the debugger's: its loop stops at them itself.
            Exit::Budget | Exit::Breakpoint | Exit::Watchpoint => {}
            Exit::Hvc(_) => match psci::call(i, &mut self.vcpus) {
                Outcome::Continue | Outcome::CpuOff => {}
                Outcome::SystemOff => return Some(RunEnd::PowerOff),
                Outcome::SystemReset => return Some(RunEnd::Reset),
            },
            Exit::Smc(_) => {
                // The PSCI conduit is HVC; with no EL3, SMC is UNDEFINED (D1.10.2).
                let cpu = &mut self.vcpus[i].cpu;
                cpu.s.pc = cpu.s.pc.wrapping_sub(4);
                cpu.take_exception(Exception::undefined());
            }
            Exit::Wfi => self.vcpus[i].wait = Wait::Interrupt,
            Exit::Semihosting => return self.semihosting_call(i),
            Exit::Wfe => {
                let stream_ns = self.vcpus[i].cpu.event_stream_ns();
                self.vcpus[i].wait = Wait::Event { stream_ns };
            }
        }
        None
    }

    /// Whether vCPU `i` runs this round: it is on and not waiting, or what it waits for
    /// has come. A waiting vCPU's timers are brought up to the clock first, so a timer
    /// interrupt wakes it while other vCPUs run.
    pub(crate) fn runnable(&mut self, i: usize) -> bool {
        let now = self.now_ns;
        let v = &mut self.vcpus[i];
        if v.power != Power::On {
            return false;
        }
        if v.wait == Wait::No {
            return true;
        }
        if v.cpu.next_timer_ns().is_some_and(|t| t <= now) {
            v.cpu.clock_offset = now.wrapping_sub(v.cpu.icount);
            self.gic.update_timer_ppis(i, v);
        }
        match v.wait {
            Wait::No => true,
            Wait::Interrupt => v.cpu.lines.any(),
            Wait::Event { stream_ns } => {
                stream_ns.is_some_and(|t| t <= now) || v.cpu.wfe_wakes(&self.monitors)
            }
        }
    }

    /// No vCPU can run: move time to the next timer deadline or event stream tick (true),
    /// or wait for input in host time for at most `wait` (false).
    fn idle(&mut self, input: &mut ConsoleInput, wait: Duration) -> Result<bool, Stop> {
        if self.stopped {
            // -no-shutdown after a power-off: only the user (or a debugger) acts now.
            self.idle_wait(input, wait);
            return Ok(false);
        }
        if self.vcpus.iter().all(|v| v.power == Power::Off) {
            return Err(Stop::AllOff);
        }
        let stream = |v: &Vcpu| match v.wait {
            Wait::Event { stream_ns } => stream_ns,
            _ => None,
        };
        // Deadlines already past woke nobody (`runnable` brought them in): the next one
        // ahead is what can.
        let now = self.now_ns;
        let next = self
            .vcpus
            .iter()
            .filter(|v| v.power == Power::On)
            .flat_map(|v| [v.cpu.next_timer_ns(), stream(v)])
            .flatten()
            .chain(self.power_button_release)
            .filter(|&t| t > now)
            .min();
        if let Some(deadline) = next {
            // With network traffic in flight, idle time follows host time (`net/mod.rs`):
            // an input from outside, which history logs when it is not the deadline.
            self.now_ns = if self.replaying {
                self.replayed_idle_until(deadline)
            } else if self.replaying_recording() {
                self.recorded_idle_until(deadline)
            } else {
                let until = self.virtio.nets.idle_until(now, deadline);
                if until != deadline {
                    self.log_input(Phase::Idle, Input::IdleUntil(until));
                    self.record_input(Phase::Idle, Input::IdleUntil(until));
                }
                until
            };
            for (i, v) in self.vcpus.iter_mut().enumerate() {
                v.cpu.clock_offset = self.now_ns.wrapping_sub(v.cpu.icount);
                self.gic.update_timer_ppis(i, v);
            }
            return Ok(true);
        }
        // Nothing ahead: a vCPU in WFE resumes (a spurious wakeup, which WFE allows)
        // rather than the machine stopping where hardware might have gone on.
        let in_wfe = |v: &&mut Vcpu| v.power == Power::On && matches!(v.wait, Wait::Event { .. });
        if let Some(v) = self.vcpus.iter_mut().find(in_wfe) {
            v.wait = Wait::No;
            return Ok(true);
        }
        // No timer or event stream armed: only console input or the network can wake a
        // guest now.
        if self.replaying_recording() && !self.input_open {
            // The recorded run found its console gone here, as a live one would.
            return Err(Stop::Deadlock {
                pc: self.vcpus[0].cpu.s.pc,
            });
        }
        if self.replaying || self.replaying_recording() {
            // The live run waited here; what arrived while it did is in the log.
            self.take_console_input(input, Phase::Idle);
            return Ok(false);
        }
        if self.virtio.nets.wait(wait) {
            self.take_console_input(input, Phase::Idle);
            return Ok(false);
        }
        if !input.open() {
            return Err(Stop::Deadlock {
                pc: self.vcpus[0].cpu.s.pc,
            });
        }
        self.idle_wait(input, wait);
        Ok(false)
    }

    /// Waits up to `wait` of host time for console input and takes what came (a replay
    /// takes what the live run's wait brought, without waiting).
    fn idle_wait(&mut self, input: &mut ConsoleInput, wait: Duration) {
        if self.replaying || self.replaying_recording() || input.wait(wait) {
            self.take_console_input(input, Phase::Idle);
        }
    }
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "lockstep_tests.rs"]
mod lockstep_tests;
