//! QEMU's human monitor (HMP) on the backend `-monitor` names: a TCP server (telnet or raw),
//! a Unix socket server, stdio, or stdio shared with the guest's console (`mon:stdio`,
//! Ctrl-A c switches). QEMU's banner and `(qemu) ` prompt, so scripts that drive QEMU's
//! monitor drive this one.
//!
//! A socket backend has an I/O thread that accepts one client at a time, edits its input
//! into lines (`readline.rs`) and sends them over a channel; stdio's bytes come through
//! the console input (`console.rs`). Commands (`commands.rs`) run in the run loop between
//! scheduler rounds, so the guest's state is consistent when they look at it. A client that
//! sends garbage gets `unknown command` lines; one that goes away leaves nothing behind and
//! the next client is served.

mod commands;
mod disas;
pub mod gdbserver;
mod memory_dump;
pub mod readline;

use crate::console::{ConsoleInput, Stdout};
use crate::error::Error;
use crate::machine::Machine;
use crate::options::CharBackend;
use crate::run::RunEnd;
use crossbeam_channel::{Receiver, Sender};
use readline::{LineEditor, TELNET_GREETING};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// QEMU's greeting, with armvirt's name in it.
pub const BANNER: &str = concat!(
    "QEMU 7.2.0 monitor (armvirt ",
    env!("CARGO_PKG_VERSION"),
    ") - type 'help' for more information\r\n"
);
pub const PROMPT: &str = "(qemu) ";

/// Where the current client's output goes (none between clients).
type SharedOut = Arc<Mutex<Option<Box<dyn Write + Send>>>>;

/// The monitor of a machine.
pub struct Monitor {
    lines: Receiver<String>,
    /// Lines received while waiting, not yet run.
    pending: VecDeque<String>,
    out: SharedOut,
    /// stdio backends: the editor over the console input's monitor bytes.
    stdio: Option<Stdio>,
    /// The vCPU commands act on (`cpu N`).
    pub(crate) cpu: usize,
    /// `x`/`xp`'s format, size and count carried over from the last use (QEMU's defaults).
    pub(crate) last: memory_dump::Format,
    /// Started with `-S` and not continued yet ("paused (prelaunch)").
    pub(crate) prelaunch: bool,
    /// Kept alive for the I/O thread (a Unix socket's path is removed on drop).
    _socket: Option<SocketFile>,
}

struct Stdio {
    mux: bool,
    editor: LineEditor,
    /// The banner has been printed (on the first switch to the monitor).
    greeted: bool,
}

/// A Unix socket's path, removed when the monitor goes.
struct SocketFile(std::path::PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        std::fs::remove_file(&self.0).ok();
    }
}

impl Monitor {
    /// Starts the monitor on `backend` (binding its socket now, so a port in use is an
    /// error before the guest runs).
    pub fn start(backend: &CharBackend) -> Result<Monitor, Error> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let out: SharedOut = Arc::new(Mutex::new(None));
        let mut mon = Monitor {
            lines: rx,
            pending: VecDeque::new(),
            out: out.clone(),
            stdio: None,
            cpu: 0,
            last: memory_dump::Format::default(),
            prelaunch: false,
            _socket: None,
        };
        let fail = |what: String, e: std::io::Error| {
            Error::Config(format!("monitor: cannot listen on {what}: {e}"))
        };
        match backend {
            CharBackend::TcpServer { addr, telnet } => {
                let l = std::net::TcpListener::bind(addr).map_err(|e| fail(addr.to_string(), e))?;
                let telnet = *telnet;
                spawn(move || {
                    for s in l.incoming().flatten() {
                        let _ = s.set_nodelay(true);
                        if let Ok(w) = s.try_clone() {
                            serve_client(s, Box::new(w), telnet, &tx, &out);
                        }
                    }
                });
            }
            CharBackend::UnixServer { path } => {
                if std::fs::symlink_metadata(path)
                    .is_ok_and(|m| std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()))
                {
                    std::fs::remove_file(path).ok();
                }
                let l = std::os::unix::net::UnixListener::bind(path)
                    .map_err(|e| fail(path.display().to_string(), e))?;
                mon._socket = Some(SocketFile(path.clone()));
                spawn(move || {
                    for s in l.incoming().flatten() {
                        if let Ok(w) = s.try_clone() {
                            serve_client(s, Box::new(w), false, &tx, &out);
                        }
                    }
                });
            }
            CharBackend::Stdio | CharBackend::MuxStdio => {
                let mux = *backend == CharBackend::MuxStdio;
                *mon.out.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(Stdout));
                mon.stdio = Some(Stdio {
                    mux,
                    editor: LineEditor::new(false),
                    greeted: false,
                });
            }
            CharBackend::Null => {}
        }
        Ok(mon)
    }

    fn write(&self, text: &str) {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = out.as_mut() {
            let text = text.replace('\n', "\r\n");
            if w.write_all(text.as_bytes())
                .and_then(|_| w.flush())
                .is_err()
            {
                *out = None;
            }
        }
    }

    /// Waits up to `timeout` for a line from a socket client.
    fn wait(&mut self, timeout: Duration) {
        if let Ok(line) = self.lines.recv_timeout(timeout) {
            self.pending.push_back(line);
        }
    }
}

fn spawn(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .name("monitor".into())
        .spawn(f)
        .ok();
}

/// One client: greeting, then its lines to the run loop until it hangs up. Echo and
/// command output both go through `out`, so they never interleave mid-write.
fn serve_client(
    mut conn: impl Read,
    mut w: Box<dyn Write + Send>,
    telnet: bool,
    tx: &Sender<String>,
    out: &SharedOut,
) {
    let mut hello = Vec::new();
    if telnet {
        hello.extend_from_slice(&TELNET_GREETING);
    }
    hello.extend_from_slice(BANNER.as_bytes());
    hello.extend_from_slice(PROMPT.as_bytes());
    if w.write_all(&hello).is_err() {
        return;
    }
    *out.lock().unwrap_or_else(|e| e.into_inner()) = Some(w);
    let echo_out = |echo: &[u8]| -> bool {
        match out.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            Some(w) => w.write_all(echo).is_ok(),
            None => false,
        }
    };
    let mut ed = LineEditor::new(telnet);
    let mut buf = [0u8; 512];
    let mut echo = Vec::new();
    'conn: while let Ok(n) = conn.read(&mut buf) {
        if n == 0 {
            break;
        }
        echo.clear();
        for &b in &buf[..n] {
            if let Some(line) = ed.feed(b, &mut echo) {
                // The echo up to the newline goes before the command's output.
                if !echo_out(&echo) || tx.send(line).is_err() {
                    break 'conn;
                }
                echo.clear();
            }
        }
        if !echo.is_empty() && !echo_out(&echo) {
            break;
        }
    }
    *out.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

impl Machine {
    /// Whether the machine has an HMP monitor (`-monitor`).
    pub fn has_monitor(&self) -> bool {
        self.monitor.is_some()
    }

    /// While nothing runs because a debugger is awaited (`-S -gdb`): runs the monitor's
    /// commands, waiting up to `wait` for one, as paused (prelaunch). `Some` when one ends
    /// the run (`quit`). (The guest starts when gdb lets it go, even after `cont`.)
    pub fn serve_monitor_while_halted(
        &mut self,
        input: &mut ConsoleInput,
        wait: Duration,
    ) -> Option<RunEnd> {
        let was = std::mem::replace(&mut self.paused, true);
        let end = self.poll_monitor(input, wait);
        self.paused = was;
        end
    }

    /// Runs the monitor's waiting commands; `Some` when one ends the run (`quit`). While
    /// the machine is stopped, also waits up to `wait` for a command.
    pub(crate) fn poll_monitor(
        &mut self,
        input: &mut ConsoleInput,
        wait: Duration,
    ) -> Option<RunEnd> {
        let mut mon = self.monitor.take()?;
        let end = self.poll_with(&mut mon, input, wait);
        self.monitor = Some(mon);
        end
    }

    fn poll_with(
        &mut self,
        mon: &mut Monitor,
        input: &mut ConsoleInput,
        wait: Duration,
    ) -> Option<RunEnd> {
        if let Some(stdio) = &mut mon.stdio {
            let route = input.monitor_route(stdio.mux);
            if route.active && !stdio.greeted {
                stdio.greeted = true;
                let mut t = String::from(BANNER);
                t.push_str(PROMPT);
                let _ = Stdout.write_all(t.as_bytes());
            }
            let mut echo = Vec::new();
            while let Some(b) = route.bytes.pop_front() {
                if let Some(line) = stdio.editor.feed(b, &mut echo) {
                    mon.pending.push_back(line);
                }
            }
            if !echo.is_empty() {
                let _ = Stdout.write_all(&echo);
            }
        }
        while let Ok(line) = mon.lines.try_recv() {
            mon.pending.push_back(line);
        }
        if mon.pending.is_empty() && self.paused {
            if mon.stdio.is_some() {
                std::thread::sleep(wait);
            } else {
                mon.wait(wait);
            }
        }
        while let Some(line) = mon.pending.pop_front() {
            let (text, end) = commands::run(self, mon, &line);
            mon.write(&text);
            if end.is_some() {
                return end;
            }
            mon.write(PROMPT);
        }
        None
    }

    /// Gives a stdio monitor its share of the console input (before input is pumped, so no
    /// byte meant for it reaches the guest).
    pub(crate) fn route_console(&mut self, input: &mut ConsoleInput) {
        if let Some(stdio) = self.monitor.as_ref().and_then(|m| m.stdio.as_ref()) {
            input.monitor_route(stdio.mux);
        }
    }

    /// Whether the monitor stopped the guest (`stop`, or `-S` before `cont`).
    pub fn paused(&self) -> bool {
        self.paused
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
