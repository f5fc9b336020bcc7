//! The monitor's `gdbserver [device]`, as QEMU 7.2's `hmp_gdbserver`: starts the gdb stub
//! on `tcp:[HOST]:PORT` or `unix:PATH` (default `tcp::1234`) of a running machine, or
//! stops it with `none`.
//!
//! The stub's crate sits above this one, so the program that runs it registers a
//! [`GdbServerControl`] ([`Machine::set_gdbserver_control`]); the command opens the socket
//! through it at once (a refusal is the command's answer) and marks a hand-over, which
//! the run loop ([`Machine::run_until_gdbserver`]) and the stub's loop between sessions
//! return for, so the program serves gdb on the new socket from there.

use crate::config::{parse_gdb_addr, parse_tcp_addr, GdbAddr};
use crate::console::ConsoleInput;
use crate::machine::Machine;
use crate::run::{RunEnd, Stop};

/// QEMU's DEFAULT_GDBSTUB_PORT device.
pub const DEFAULT_DEVICE: &str = "tcp::1234";

/// Opens and closes the gdb stub's socket for the monitor.
pub trait GdbServerControl: Send {
    /// Binds `addr` for gdb, to be served from the hand-over on; `Err` says why not.
    fn start(&mut self, addr: &GdbAddr) -> Result<(), String>;
    /// No gdb socket from the hand-over on.
    fn stop(&mut self);
}

/// `device` as `gdbserver` takes it: QEMU's `tcp:[HOST]:PORT` and `unix:PATH` (with
/// `,server`, `,nowait`); an empty HOST is 127.0.0.1.
pub fn parse_device(device: &str) -> Result<GdbAddr, String> {
    let not_a_driver = || format!("'{device}' is not a valid char driver");
    if device.starts_with("unix:") {
        return parse_gdb_addr(device);
    }
    let rest = device.strip_prefix("tcp:").ok_or_else(not_a_driver)?;
    let mut parts = rest.split(',');
    let host_port = parts.next().unwrap_or("");
    if let Some(opt) = parts.find(|o| !["server", "nowait", "wait=off", "server=on"].contains(o)) {
        return Err(format!(
            "option '{opt}' is not supported (supported: server, nowait)"
        ));
    }
    parse_tcp_addr(host_port.strip_prefix(':').unwrap_or(host_port)).map(GdbAddr::Tcp)
}

/// The command: its arguments after `gdbserver`, its output.
pub(super) fn command(m: &mut Machine, args: &[&str]) -> String {
    let device = match args {
        [] => DEFAULT_DEVICE,
        [d] => d,
        _ => {
            return "gdbserver: extraneous characters at the end of line\n\
                    Try \"help gdbserver\" for more information\n"
                .into()
        }
    };
    let Some(control) = m.gdbserver.as_mut() else {
        return format!(
            "armvirt: this program has no gdb stub\nCould not open gdbserver on device '{device}'\n"
        );
    };
    if device == "none" {
        control.stop();
        m.gdb_handover = true;
        return "Disabled gdbserver\n".into();
    }
    match parse_device(device).and_then(|addr| control.start(&addr)) {
        Ok(()) => {
            m.gdb_handover = true;
            format!("Waiting for gdb connection on device '{device}'\n")
        }
        Err(why) => format!("{why}\nCould not open gdbserver on device '{device}'\n"),
    }
}

impl Machine {
    /// Lets the monitor's `gdbserver` open the gdb stub's sockets through `control`.
    pub fn set_gdbserver_control(&mut self, control: Box<dyn GdbServerControl>) {
        self.gdbserver = Some(control);
    }

    /// Whether `gdbserver` asked for a hand-over since the last call (and forgets it).
    pub fn take_gdb_handover(&mut self) -> bool {
        std::mem::take(&mut self.gdb_handover)
    }

    /// Runs as [`Machine::run_with`] does; `None` when the monitor's `gdbserver` asks the
    /// caller to serve gdb (the machine is left between two rounds, ready to go on).
    pub fn run_until_gdbserver(
        &mut self,
        input: &mut ConsoleInput,
    ) -> Option<Result<RunEnd, Stop>> {
        loop {
            if self.take_gdb_handover() {
                return None;
            }
            if let Some(end) = self.run_round(input) {
                return Some(end);
            }
        }
    }

    /// A debugger took over from the monitor's `stop` or `-S`: the vCPUs run when it
    /// lets them (QEMU's gdb `continue` starts a stopped VM).
    pub fn release_monitor_pause(&mut self) {
        self.paused = false;
        if let Some(mon) = &mut self.monitor {
            mon.prelaunch = false;
        }
    }
}
