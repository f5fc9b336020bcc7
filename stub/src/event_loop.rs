//! gdbstub's blocking event loop: while gdb waits for a stop, carry out the action it
//! asked for, in slices short enough that a Ctrl-C (or any other byte) from gdb is seen
//! within a fraction of a millisecond of guest execution.

use crate::target::{Action, DebugTarget};
use armvirt_machine::{DebugRun, DebugStep, RunEnd, Stop, WatchHit};
use gdbstub::common::Signal;
use gdbstub::conn::ConnectionExt;
use gdbstub::stub::run_blocking::{BlockingEventLoop, Event, WaitForStopReasonError};
use gdbstub::stub::SingleThreadStopReason;
use std::marker::PhantomData;
use std::net::TcpStream;

/// Rounds of vCPU quanta between two looks at the socket.
const ROUNDS_PER_POLL: u32 = 4;

/// Exit status gdb is told when the guest asks for a reset (as `armvirt` exits with).
const EXIT_RESET: u8 = 3;

type StopReason = SingleThreadStopReason<u64>;

pub(crate) struct EventLoop<'a>(PhantomData<&'a ()>);

impl<'a> BlockingEventLoop for EventLoop<'a> {
    type Target = DebugTarget<'a>;
    type Connection = TcpStream;
    type StopReason = StopReason;

    fn wait_for_stop_reason(
        t: &mut DebugTarget<'a>,
        conn: &mut TcpStream,
    ) -> Result<Event<StopReason>, WaitForStopReasonError<String, std::io::Error>> {
        match t.action {
            Action::Stopped => Ok(Event::TargetStopped(StopReason::Signal(Signal::SIGTRAP))),
            Action::Step => {
                t.action = Action::Stopped;
                Ok(Event::TargetStopped(match t.machine.debug_step(t.vcpu) {
                    DebugStep::Done => StopReason::DoneStep,
                    DebugStep::Watchpoint(hit) => watched(t, t.vcpu, &hit),
                    DebugStep::End(end) => stopped_by(t, end),
                }))
            }
            Action::Continue { fresh } => {
                if fresh {
                    t.action = Action::Continue { fresh: false };
                    if t.machine.at_breakpoint(t.vcpu) {
                        match t.machine.debug_step(t.vcpu) {
                            DebugStep::Done => {}
                            DebugStep::Watchpoint(hit) => {
                                return Ok(Event::TargetStopped(watched(t, t.vcpu, &hit)));
                            }
                            DebugStep::End(end) => {
                                return Ok(Event::TargetStopped(stopped_by(t, end)));
                            }
                        }
                    }
                }
                loop {
                    if data_waiting(conn) {
                        let byte = conn.read().map_err(WaitForStopReasonError::Connection)?;
                        return Ok(Event::IncomingData(byte));
                    }
                    match t.machine.debug_run(t.input, ROUNDS_PER_POLL) {
                        DebugRun::Slice => {}
                        DebugRun::Breakpoint { vcpu } => {
                            t.vcpu = vcpu;
                            t.action = Action::Stopped;
                            let pc = t.machine.regs(vcpu).pc;
                            return Ok(Event::TargetStopped(if t.hw_breakpoints.contains(pc) {
                                StopReason::HwBreak(())
                            } else {
                                StopReason::SwBreak(())
                            }));
                        }
                        DebugRun::Watchpoint { vcpu, hit } => {
                            return Ok(Event::TargetStopped(watched(t, vcpu, &hit)));
                        }
                        DebugRun::End(end) => return Ok(Event::TargetStopped(stopped_by(t, end))),
                    }
                }
            }
        }
    }

    /// Ctrl-C from gdb: the guest is already stopped between slices.
    fn on_interrupt(t: &mut DebugTarget<'a>) -> Result<Option<StopReason>, String> {
        t.action = Action::Stopped;
        Ok(Some(StopReason::Signal(Signal::SIGINT)))
    }
}

/// The stop gdb hears about when vCPU `vcpu` stopped at a watchpoint (before the access):
/// gdb looks at that vCPU from now on.
fn watched(t: &mut DebugTarget<'_>, vcpu: usize, hit: &WatchHit) -> StopReason {
    t.vcpu = vcpu;
    t.action = Action::Stopped;
    crate::watchpoints::stop_reason((), hit)
}

/// The stop gdb hears about when a run ends or cannot go on. Power-off, reset and quit
/// end the guest; a guest armvirt cannot run further stays inspectable.
fn stopped_by(t: &mut DebugTarget<'_>, end: Result<RunEnd, Stop>) -> StopReason {
    t.action = Action::Stopped;
    let reason = match &end {
        Ok(RunEnd::PowerOff) => StopReason::Exited(0),
        Ok(RunEnd::Reset) => StopReason::Exited(EXIT_RESET),
        Ok(RunEnd::Quit) => StopReason::Terminated(Signal::SIGKILL),
        Err(stop) => {
            eprintln!("armvirt: {stop}; stopped for the debugger");
            return StopReason::Signal(Signal::SIGILL);
        }
    };
    t.ended = Some(end);
    reason
}

/// Whether gdb sent something (a closed or broken socket counts: `read` then reports it).
/// The socket is left blocking, as gdbstub's writes expect.
fn data_waiting(conn: &mut TcpStream) -> bool {
    let waiting = conn.peek().map(|b| b.is_some()).unwrap_or(true);
    waiting || conn.set_nonblocking(false).is_err()
}
