//! Connections: accept gdb, run a session, and keep the guest going between sessions.
//!
//! With `-S` the guest does not run until a gdb connects and continues it; otherwise it
//! runs from the start and a gdb may attach at any time (the guest stops on attach, as
//! under QEMU). After a detach or a dropped connection the guest goes on and the next gdb
//! can connect. A broken session (garbage on the socket, a protocol error) ends with one
//! log line; the emulator carries on.

use crate::conn::Listener;
use crate::event_loop::EventLoop;
use crate::target::{DebugTarget, Settings};
use armvirt_machine::history::DEFAULT_BUDGET;
use armvirt_machine::{ConsoleInput, DebugRun, Machine, RunEnd, Stop};
use gdbstub::stub::{DisconnectReason, GdbStub};

pub(crate) use crate::conn::Conn;

/// The largest packet gdb sends or asks for (gdb's own limit, MAX_REMOTE_PACKET_SIZE):
/// memory moves in 8 KiB pieces, where gdbstub's default of 4 KiB gives 2 KiB.
const PACKET_SIZE: usize = 16 * 1024;

/// Rounds of vCPU quanta between two looks for a new connection while no gdb is attached.
const ROUNDS_PER_ACCEPT: u32 = 64;

/// How a run under the stub ended.
#[derive(Debug)]
pub enum Served {
    /// The guest's run ended as without a debugger.
    Run(Result<RunEnd, Stop>),
    /// gdb killed the guest (`kill`).
    Killed,
    /// gdb asked the emulator to exit (`monitor quit`).
    Quit,
    /// The monitor's `gdbserver` changed the socket: the caller serves the new one, or
    /// runs on without (`gdbserver none`).
    Handover,
}

/// How long the monitor is waited for between looks for a gdb connection at `-S`.
const MONITOR_WAIT: std::time::Duration = std::time::Duration::from_millis(10);

/// Runs `machine` serving gdb on `listener` until the guest's run ends or gdb kills it.
/// With `start_halted`, nothing runs until a gdb connects and lets the guest go.
pub fn serve(machine: &mut Machine, listener: Listener, start_halted: bool) -> Served {
    let _raw = armvirt_machine::terminal::RawMode::enter();
    serve_on(
        machine,
        &mut ConsoleInput::from_stdin(),
        listener,
        start_halted,
    )
}

/// [`serve`] with the caller's console input (and terminal mode). Also returns
/// [`Served::Handover`] when, between gdb sessions, the monitor's `gdbserver` has opened
/// another socket or closed this one.
pub fn serve_on(
    machine: &mut Machine,
    input: &mut ConsoleInput,
    listener: Listener,
    start_halted: bool,
) -> Served {
    let mut settings = Settings::default();
    let mut waiting_for_gdb = start_halted;
    loop {
        if machine.take_gdb_handover() {
            return Served::Handover;
        }
        // A monitor is served while gdb is awaited, as QEMU serves it at -S.
        let block = waiting_for_gdb && !machine.has_monitor();
        match listener.accept(block) {
            Some(conn) => {
                waiting_for_gdb = false;
                if let Some(served) = session(machine, input, &mut settings, conn) {
                    return served;
                }
            }
            None if waiting_for_gdb => {
                if let Some(end) = machine.serve_monitor_while_halted(input, MONITOR_WAIT) {
                    return Served::Run(Ok(end));
                }
            }
            None => match machine.debug_run(input, ROUNDS_PER_ACCEPT) {
                DebugRun::Slice => {}
                // No gdb is attached, so no breakpoint or watchpoint can be set.
                DebugRun::Breakpoint { .. } | DebugRun::Watchpoint { .. } => {}
                DebugRun::End(end) => return Served::Run(end),
            },
        }
    }
}

/// One gdb session; `Some` when the emulator should stop.
fn session(
    machine: &mut Machine,
    input: &mut ConsoleInput,
    settings: &mut Settings,
    conn: Conn,
) -> Option<Served> {
    let stub = match GdbStub::builder(conn)
        .packet_buffer_size(PACKET_SIZE)
        .build()
    {
        Ok(stub) => stub,
        Err(e) => {
            eprintln!("armvirt: gdb: {e}");
            return None;
        }
    };
    // gdb's `continue` runs a machine the monitor stopped, as under QEMU.
    machine.release_monitor_pause();
    // History is kept while gdb is attached, for reverse execution.
    let budget = machine.config().options.history.unwrap_or(DEFAULT_BUDGET);
    if budget > 0 && !machine.history_active() {
        machine.start_history(budget);
    }
    let mut target = DebugTarget::new(machine, input, settings);
    let result = stub.run_blocking::<EventLoop<'_>>(&mut target);
    // A gdb that hung up mid-continue leaves its breakpoints and watchpoints in: the guest
    // goes on without, from the end of history (where it was before gdb went back).
    target.machine.clear_breakpoints();
    target.machine.return_to_present();
    target.machine.stop_history();
    if target.quit {
        return Some(Served::Quit);
    }
    match result {
        Ok(DisconnectReason::Disconnect) => None,
        Ok(DisconnectReason::Kill) => Some(Served::Killed),
        Ok(DisconnectReason::TargetExited(_) | DisconnectReason::TargetTerminated(_)) => {
            target.ended.take().map(Served::Run)
        }
        Err(e) => {
            eprintln!("armvirt: gdb connection closed: {e}");
            // A run that ended while gdb was attached still ends.
            target.ended.take().map(Served::Run)
        }
    }
}
