//! gdbstub's blocking event loop: while gdb waits for a stop, carry out the action it
//! asked for, in slices short enough that a Ctrl-C (or any other byte) from gdb is seen
//! within a fraction of a millisecond of guest execution (a few milliseconds when every
//! vCPU idles: the machine's debug idle wait).
//!
//! All-stop: every vCPU stops together, and the stop reply names the one that stopped
//! (gdb switches to that thread). Every stop reply is made by [`reply`].

use crate::server::Conn;
use crate::target::{tid, Action, DebugTarget};
use armvirt_machine::{DebugRun, DebugStep, RunEnd, Stop, Travel, WatchHit};
use gdbstub::common::Signal;
use gdbstub::conn::ConnectionExt;
use gdbstub::stub::run_blocking::{BlockingEventLoop, Event, WaitForStopReasonError};
use gdbstub::stub::MultiThreadStopReason;
use gdbstub::target::ext::base::reverse_exec::ReplayLogPosition;
use std::marker::PhantomData;

/// Rounds of vCPU quanta between two looks at the socket.
const ROUNDS_PER_POLL: u32 = 4;

/// Exit status gdb is told when the guest asks for a reset (as `armvirt` exits with).
const EXIT_RESET: u8 = 3;

type StopReason = MultiThreadStopReason<u64>;

/// Why the guest stopped, before it becomes a stop reply.
pub(crate) enum Stopped {
    /// gdb's single step of this vCPU is done.
    Step(usize),
    /// This vCPU reached a breakpoint (the instruction there has not run).
    Breakpoint(usize),
    /// This vCPU's next access hits a watchpoint (before the access takes effect).
    Watchpoint(usize, WatchHit),
    /// gdb interrupted the guest (Ctrl-C).
    Interrupt,
    /// A reverse move reached the start of history (gdb: "No more reverse-execution
    /// history.").
    HistoryBegin,
    /// The run ended, or armvirt cannot run the guest further.
    End(Result<RunEnd, Stop>),
}

pub(crate) struct EventLoop<'a>(PhantomData<&'a ()>);

impl<'a> BlockingEventLoop for EventLoop<'a> {
    type Target = DebugTarget<'a>;
    type Connection = Conn;
    type StopReason = StopReason;

    fn wait_for_stop_reason(
        t: &mut DebugTarget<'a>,
        conn: &mut Conn,
    ) -> Result<Event<StopReason>, WaitForStopReasonError<String, std::io::Error>> {
        match t.action {
            // Resumed nothing: report where it stands.
            Action::Stopped => Ok(Event::TargetStopped(reply(t, Stopped::Step(t.vcpu)))),
            Action::Step { vcpu } => {
                // In the past a step replays what happened; at the end of history it is live.
                let stopped = match t.machine.in_past() {
                    true => traveled(t.machine.replay_step(vcpu)),
                    false => None,
                };
                let stopped = stopped.unwrap_or_else(|| {
                    stepped(vcpu, t.machine.debug_step(vcpu, t.settings.step_irqs))
                });
                Ok(Event::TargetStopped(reply(t, stopped)))
            }
            Action::ReverseStep { vcpu } => {
                let stopped = traveled(t.machine.reverse_step(vcpu)).unwrap_or(Stopped::Step(vcpu));
                Ok(Event::TargetStopped(reply(t, stopped)))
            }
            Action::ReverseContinue => {
                let vcpu = t.vcpu;
                let stopped =
                    traveled(t.machine.reverse_continue(vcpu)).unwrap_or(Stopped::Step(vcpu));
                Ok(Event::TargetStopped(reply(t, stopped)))
            }
            Action::Continue { fresh } => {
                if fresh && t.machine.in_past() {
                    // Through recorded history first: to its next hit, or on live from
                    // its end.
                    t.action = Action::Continue { fresh: false };
                    if let Some(stopped) = traveled(t.machine.replay_continue(t.vcpu)) {
                        return Ok(Event::TargetStopped(reply(t, stopped)));
                    }
                }
                if fresh {
                    t.action = Action::Continue { fresh: false };
                    if t.machine.at_breakpoint(t.vcpu) {
                        let vcpu = t.vcpu;
                        match stepped(vcpu, t.machine.debug_step(vcpu, t.settings.step_irqs)) {
                            Stopped::Step(_) => {}
                            stopped => return Ok(Event::TargetStopped(reply(t, stopped))),
                        }
                    }
                }
                loop {
                    if conn.data_waiting() {
                        let byte = conn.read().map_err(WaitForStopReasonError::Connection)?;
                        return Ok(Event::IncomingData(byte));
                    }
                    let stopped = match t.machine.debug_run(t.input, ROUNDS_PER_POLL) {
                        DebugRun::Slice => continue,
                        DebugRun::Breakpoint { vcpu } => Stopped::Breakpoint(vcpu),
                        DebugRun::Watchpoint { vcpu, hit } => Stopped::Watchpoint(vcpu, hit),
                        DebugRun::End(end) => Stopped::End(end),
                    };
                    return Ok(Event::TargetStopped(reply(t, stopped)));
                }
            }
        }
    }

    /// Ctrl-C from gdb: the guest is already stopped between slices.
    fn on_interrupt(t: &mut DebugTarget<'a>) -> Result<Option<StopReason>, String> {
        Ok(Some(reply(t, Stopped::Interrupt)))
    }
}

/// Where a move through history stopped; `None` at the end of history, from where the
/// machine goes on live.
fn traveled(travel: Travel) -> Option<Stopped> {
    Some(match travel {
        Travel::Stepped { vcpu } => Stopped::Step(vcpu),
        Travel::Breakpoint { vcpu } => Stopped::Breakpoint(vcpu),
        Travel::Watchpoint { vcpu, hit } => Stopped::Watchpoint(vcpu, hit),
        Travel::Begin => Stopped::HistoryBegin,
        Travel::Live => return None,
    })
}

/// What a single step of `vcpu` that ended in `step` is, as a stop.
fn stepped(vcpu: usize, step: DebugStep) -> Stopped {
    match step {
        DebugStep::Done => Stopped::Step(vcpu),
        DebugStep::Watchpoint(hit) => Stopped::Watchpoint(vcpu, hit),
        DebugStep::End(end) => Stopped::End(end),
    }
}

/// The stop reply for `stopped`, and the target's state after it: stopped, with the
/// stopping vCPU as the one a later Ctrl-C or continue starts from. Power-off, reset and
/// quit end the guest; a guest armvirt cannot run further stays inspectable.
pub(crate) fn reply(t: &mut DebugTarget<'_>, stopped: Stopped) -> StopReason {
    t.action = Action::Stopped;
    let signal = |vcpu, signal| StopReason::SignalWithThread {
        tid: tid(vcpu),
        signal,
    };
    match stopped {
        Stopped::Step(vcpu) => {
            t.vcpu = vcpu;
            signal(vcpu, Signal::SIGTRAP)
        }
        Stopped::Breakpoint(vcpu) => {
            t.vcpu = vcpu;
            if t.hw_breakpoints.contains(t.machine.regs(vcpu).pc) {
                StopReason::HwBreak(tid(vcpu))
            } else {
                StopReason::SwBreak(tid(vcpu))
            }
        }
        Stopped::Watchpoint(vcpu, hit) => {
            t.vcpu = vcpu;
            crate::watchpoints::stop_reason(tid(vcpu), &hit)
        }
        Stopped::Interrupt => signal(t.vcpu, Signal::SIGINT),
        Stopped::HistoryBegin => StopReason::ReplayLog {
            tid: Some(tid(t.vcpu)),
            pos: ReplayLogPosition::Begin,
        },
        Stopped::End(Err(stop)) => {
            eprintln!("armvirt: {stop}; stopped for the debugger");
            signal(t.vcpu, Signal::SIGILL)
        }
        Stopped::End(Ok(end)) => {
            t.ended = Some(Ok(end));
            match end {
                RunEnd::PowerOff => StopReason::Exited(0),
                RunEnd::Reset => StopReason::Exited(EXIT_RESET),
                RunEnd::Quit => StopReason::Terminated(Signal::SIGKILL),
                RunEnd::Exit(status) => StopReason::Exited(status as u8),
            }
        }
    }
}
