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

/// How a run ended normally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// PSCI SYSTEM_OFF.
    PowerOff,
    /// PSCI SYSTEM_RESET (the machine does not reboot yet: it stops and says so).
    Reset,
    /// The user quit from the console (Ctrl-A x).
    Quit,
}

/// A run that stopped because armvirt cannot go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Every vCPU is off and nothing can turn one on.
    AllOff,
    /// Every vCPU waits for an interrupt or event that nothing can raise.
    Deadlock { pc: u64 },
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
    /// vCPU `vcpu` stopped at a debugger breakpoint; the round ended there.
    Breakpoint { vcpu: usize },
    /// vCPU `vcpu` stopped at a debugger watchpoint; the round ended there.
    Watchpoint { vcpu: usize, hit: WatchHit },
    /// The run is over.
    End(Result<RunEnd, Stop>),
}

impl Machine {
    /// Runs until the guest powers off or resets, or armvirt cannot go on.
    pub fn run_with(&mut self, mut input: ConsoleInput) -> Result<RunEnd, Stop> {
        loop {
            // (Breakpoints and watchpoints exist only while a debugger runs the machine:
            // `debug.rs`.)
            if let Round::End(end) = self.round(&mut input, IDLE_WAIT) {
                return end;
            }
        }
    }

    /// One round of the scheduler: console input in, every runnable vCPU one slice (in
    /// index order), the clock one quantum on; or, with nothing runnable, the idle step
    /// (waiting at most `idle_wait` for console input).
    pub(crate) fn round(&mut self, input: &mut ConsoleInput, idle_wait: Duration) -> Round {
        input.pump(&self.uart);
        if input.quit_requested() {
            return Round::End(Ok(RunEnd::Quit));
        }
        // Virtio requests the guest made last round complete now, at a round boundary.
        self.virtio.service(&mut self.code);
        let mut ran = false;
        for i in 0..self.vcpus.len() {
            if !self.runnable(i) {
                continue;
            }
            ran = true;
            match self.run_slice(i) {
                Ok(SliceEnd::Continue) => {}
                Ok(SliceEnd::Finished(end)) => return Round::End(Ok(end)),
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
        round
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
                vcpu.cpu.run(&mut mem, budget)
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
            .filter(|&t| t > now)
            .min();
        if let Some(deadline) = next {
            // With network traffic in flight, idle time follows host time (`net/mod.rs`).
            self.now_ns = self.virtio.nets.idle_until(now, deadline);
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
        if self.virtio.nets.wait(wait) {
            input.pump(&self.uart);
            return Ok(false);
        }
        if !input.open() {
            return Err(Stop::Deadlock {
                pc: self.vcpus[0].cpu.s.pc,
            });
        }
        if input.wait(wait) {
            input.pump(&self.uart);
        }
        Ok(false)
    }
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
