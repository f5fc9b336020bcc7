//! The serial console: the PL011's output goes to the host's stdout as raw bytes; the
//! host's stdin is read by an I/O thread and handed to the run loop over a channel, which
//! feeds the UART only as fast as its FIFO drains, so no input byte is ever dropped.

use crate::terminal::{Escapes, Key, HELP};
use armvirt_devices::pl011::Pl011;
use armvirt_devices::{DeviceError, MmioDevice};
use crossbeam_channel::{Receiver, TryRecvError};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

/// A device shared between the bus (guest accesses) and the run loop (the UART's input,
/// the RTC's clock).
pub struct Shared<T>(pub Arc<Mutex<T>>);

impl<T> Shared<T> {
    pub fn new(device: T) -> Self {
        Shared(Arc::new(Mutex::new(device)))
    }

    /// The device, locked. A poisoned lock only means another thread panicked
    /// mid-access; the register file is still valid, so carry on with it.
    pub fn lock(&self) -> std::sync::MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T: MmioDevice> MmioDevice for Shared<T> {
    fn name(&self) -> &'static str {
        self.lock().name()
    }
    fn read(&mut self, offset: u64, size: u8) -> Result<u64, DeviceError> {
        self.lock().read(offset, size)
    }
    fn write(&mut self, offset: u64, size: u8, value: u64) -> Result<(), DeviceError> {
        self.lock().write(offset, size, value)
    }
}

/// Stdout as the UART's transmitter: every write is flushed, as on a terminal.
pub struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut out = std::io::stdout().lock();
        out.write_all(buf)?;
        out.flush()?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush()
    }
}

/// A writer that drops what it is given while its flag is set (the UART during a replay
/// of history, which must not print the guest's output a second time).
pub struct Muted<W> {
    inner: W,
    mute: Arc<std::sync::atomic::AtomicBool>,
}

impl<W> Muted<W> {
    pub fn new(inner: W, mute: Arc<std::sync::atomic::AtomicBool>) -> Self {
        Muted { inner, mute }
    }
}

impl<W: Write> Write for Muted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.mute.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(buf.len());
        }
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Host input waiting for the guest's UART.
pub struct ConsoleInput {
    rx: Option<Receiver<u8>>,
    pending: VecDeque<u8>,
    /// Ctrl-A escapes, when stdin is a terminal (a pipe's bytes all go to the guest).
    escapes: Option<Escapes>,
    quit: bool,
    /// The monitor's share of stdin when it is on stdio (`monitor/`).
    monitor: Option<MonitorRoute>,
}

/// Where stdin's bytes go when the monitor is on stdio: to the monitor while `active`
/// (always for `-monitor stdio`; switched by Ctrl-A c for `mon:stdio`).
pub(crate) struct MonitorRoute {
    pub active: bool,
    pub mux: bool,
    pub bytes: VecDeque<u8>,
}

impl ConsoleInput {
    /// Starts the stdin reader thread. At end of input the channel closes.
    pub fn from_stdin() -> Self {
        let (tx, rx) = crossbeam_channel::bounded(4096);
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || {
                let mut stdin = std::io::stdin().lock();
                let mut buf = [0u8; 256];
                while let Ok(n) = stdin.read(&mut buf) {
                    if n == 0 || buf[..n].iter().any(|&b| tx.send(b).is_err()) {
                        break;
                    }
                }
            })
            .ok();
        let escapes = crate::terminal::stdin_is_tty().then(Escapes::default);
        ConsoleInput {
            rx: Some(rx),
            pending: VecDeque::new(),
            escapes,
            quit: false,
            monitor: None,
        }
    }

    /// Input from `rx` (tests, other front ends), with Ctrl-A escapes when `escapes`.
    pub fn from_channel(rx: Receiver<u8>, escapes: bool) -> Self {
        ConsoleInput {
            rx: Some(rx),
            pending: VecDeque::new(),
            escapes: escapes.then(Escapes::default),
            quit: false,
            monitor: None,
        }
    }

    /// The monitor's route, made on first use. A multiplexed one starts on the guest's
    /// console and always reads Ctrl-A escapes (QEMU's mux does, terminal or not).
    pub(crate) fn monitor_route(&mut self, mux: bool) -> &mut MonitorRoute {
        if mux && self.escapes.is_none() {
            self.escapes = Some(Escapes::default());
        }
        self.monitor.get_or_insert_with(|| MonitorRoute {
            active: !mux,
            mux,
            bytes: VecDeque::new(),
        })
    }

    /// No input at all (tests, and machines whose console is elsewhere).
    pub fn none() -> Self {
        ConsoleInput {
            rx: None,
            pending: VecDeque::new(),
            escapes: None,
            quit: false,
            monitor: None,
        }
    }

    /// Whether the user asked to quit (Ctrl-A x).
    pub fn quit_requested(&self) -> bool {
        self.quit
    }

    fn accept(&mut self, b: u8) {
        let key = match &mut self.escapes {
            Some(esc) => esc.feed(b),
            None => Key::Guest(b),
        };
        match key {
            Key::Guest(b) => match &mut self.monitor {
                Some(m) if m.active => m.bytes.push_back(b),
                _ => self.pending.push_back(b),
            },
            Key::Switch => {
                if let Some(m) = self.monitor.as_mut().filter(|m| m.mux) {
                    m.active = !m.active;
                }
            }
            Key::None => {}
            Key::Quit => self.quit = true,
            Key::Help => {
                let _ = std::io::stderr().write_all(HELP.as_bytes());
            }
        }
    }

    /// Moves waiting input into the UART while its FIFO has room. Returns whether any
    /// byte was delivered.
    pub fn pump(&mut self, uart: &Shared<Pl011>) -> bool {
        self.pump_with(uart, |_| {})
    }

    /// [`ConsoleInput::pump`], telling `delivered` each byte the UART took (history logs
    /// them).
    pub fn pump_with(&mut self, uart: &Shared<Pl011>, mut delivered: impl FnMut(u8)) -> bool {
        while let Some(rx) = &self.rx {
            match rx.try_recv() {
                Ok(b) => self.accept(b),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => self.rx = None,
            }
        }
        if self.pending.is_empty() {
            return false;
        }
        let mut uart = uart.lock();
        let mut any = false;
        while uart.rx_has_space() {
            let Some(b) = self.pending.pop_front() else {
                break;
            };
            uart.push_rx(b);
            delivered(b);
            any = true;
        }
        any
    }

    /// Takes all waiting input (for a virtconsole, whose device queues what the guest
    /// has not taken yet).
    pub fn take_all(&mut self) -> Vec<u8> {
        while let Some(rx) = &self.rx {
            match rx.try_recv() {
                Ok(b) => self.accept(b),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => self.rx = None,
            }
        }
        self.pending.drain(..).collect()
    }

    /// Waits up to `timeout` for input to arrive (all vCPUs idle). Returns whether some did.
    pub fn wait(&mut self, timeout: std::time::Duration) -> bool {
        if !self.pending.is_empty() {
            return true;
        }
        match &self.rx {
            Some(rx) => match rx.recv_timeout(timeout) {
                Ok(b) => {
                    self.accept(b);
                    true
                }
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => false,
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                    self.rx = None;
                    false
                }
            },
            None => {
                std::thread::sleep(timeout);
                false
            }
        }
    }

    /// Whether more input can ever arrive.
    pub fn open(&self) -> bool {
        self.rx.is_some() || !self.pending.is_empty()
    }
}
