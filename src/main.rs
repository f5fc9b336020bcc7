//! The `armvirt` command: parses the command line (`qemu_cli`: QEMU's options and
//! armvirt's own), builds the machine and runs it.
//!
//! Exit status: 0 when the guest powers off, resets under `-no-reboot`, or the user
//! quits; 1 for a problem running it (a file that cannot be loaded, an instruction not
//! implemented); 2 for a command line armvirt refuses; 4 when the guest kernel panics;
//! 124 when `--timeout` passes. Every problem is one line on stderr, `armvirt: <problem>`;
//! no panic reaches the user as a backtrace: a last-resort hook prints one line too.

mod qemu_cli;

use std::process::ExitCode;
use std::time::Duration;

use armvirt_machine::config::GdbAddr;
use armvirt_machine::monitor::gdbserver::GdbServerControl;
use armvirt_machine::record::Recording;
use armvirt_machine::rtc::RtcBase;
use armvirt_machine::ConsoleInput;
use armvirt_machine::{Machine, RunEnd, Stop};
use armvirt_stub::{Listener, Served};
use qemu_cli::{Request, Settings};
use std::sync::{Arc, Mutex};

/// Exit status for a command line armvirt refuses.
const EXIT_USAGE: u8 = 2;
/// Exit status for any other problem.
const EXIT_FAILURE: u8 = 1;
/// The guest kernel panicked (its console said `Kernel panic - not syncing`).
const EXIT_PANIC: u8 = 4;
/// `--timeout` passed (as coreutils' timeout(1)).
const EXIT_TIMEOUT: u8 = 124;
/// How long after `--timeout` a run that cannot notice it (halted for gdb) is ended anyway.
const TIMEOUT_BACKSTOP: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    install_panic_hook();
    let mut argv = std::env::args_os();
    let argv0 = argv
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    let args: Result<Vec<String>, String> = argv
        .map(|a| {
            a.into_string()
                .map_err(|a| format!("argument {a:?} is not valid UTF-8"))
        })
        .collect();
    match args.and_then(|args| qemu_cli::parse(&argv0, &args)) {
        Ok(Request::Print(text)) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Ok(Request::Run(settings)) => match run(*settings) {
            Ok(code) => code,
            Err(problem) => fail(EXIT_FAILURE, &problem),
        },
        Err(problem) => fail(EXIT_USAGE, &problem),
    }
}

fn run(s: Settings) -> Result<ExitCode, String> {
    if let Some(mask) = s.log_mask {
        let sink: Option<Box<dyn std::io::Write + Send>> = match &s.log_file {
            Some(path) => Some(Box::new(std::fs::File::create(path).map_err(|e| {
                format!(
                    "cannot create log file '{}': {}",
                    path.display(),
                    io_reason(&e)
                )
            })?)),
            None => None,
        };
        armvirt_cpu::log::init(mask, sink);
    }
    let gdb = s.config.gdb.clone();
    let start_halted = s.config.start_halted;
    if start_halted && gdb.is_none() && s.config.options.monitor.is_none() {
        return Err(
            "-S needs -gdb, -s or -monitor: only a debugger or the monitor can start halted CPUs"
                .into(),
        );
    }
    let mut config = s.config;
    let replay = match &s.replay {
        Some(file) => {
            let rec = Recording::read(file)?;
            if !rec.complete {
                eprintln!(
                    "armvirt: '{}' has no end (its run was killed): replaying what it has",
                    file.display()
                );
            }
            // The recorded run's clock start, not the host's now; its frames, not a network's.
            config.rtc_base = RtcBase::DateTime(rec.rtc_start as u32);
            config.net_offline = true;
            Some(rec)
        }
        None => None,
    };
    if s.record.is_some() && replay.is_some() {
        return Err("--record and --replay cannot be used together".into());
    }
    let mut machine = Machine::new(config).map_err(|e| e.to_string())?;
    if let Some(file) = &s.loadvm {
        machine.load_vm(file)?;
    }
    if let Some(rec) = replay {
        machine.replay_from(rec)?;
    }
    if let Some(file) = &s.record {
        machine.record_to(file)?;
    }
    if let Some(path) = s.dump_dtb {
        std::fs::write(&path, machine.dtb()).map_err(|e| {
            format!(
                "cannot write the device tree to '{}': {}",
                path.display(),
                io_reason(&e)
            )
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(after) = s.timeout {
        machine.set_timeout(after);
        backstop(after);
    }
    let Some(end) = serve(&mut machine, gdb, start_halted)? else {
        return Ok(ExitCode::SUCCESS); // gdb ended the emulator
    };
    match machine.finish_recording() {
        Ok(Some(hash)) => eprintln!("armvirt: state hash at the end: {hash:016x}"),
        Ok(None) => {}
        Err(e) => eprintln!("armvirt: {e}"),
    }
    match end {
        // A reset ends the run only under -no-reboot: QEMU then exits 0, silently.
        Ok(RunEnd::PowerOff | RunEnd::Reset) => Ok(ExitCode::SUCCESS),
        Ok(RunEnd::Quit) => {
            eprintln!("armvirt: terminated from the console (Ctrl-A x)");
            Ok(ExitCode::SUCCESS)
        }
        // The run reported the panic line when it saw it.
        Err(Stop::GuestPanic(_)) => Ok(ExitCode::from(EXIT_PANIC)),
        Err(stop @ Stop::Timeout { .. }) => Ok(fail(EXIT_TIMEOUT, &stop.to_string())),
        Ok(RunEnd::Exit(status)) => Ok(ExitCode::from(status as u8)),
        Err(stop) => Err(stop.to_string()),
    }
}

/// Runs the machine, serving gdb on `gdb` (`-gdb`) and on whatever the monitor's
/// `gdbserver` opens later: without a socket the machine runs on its own until the monitor
/// opens one, with one the stub serves it until the monitor changes it. `None` when gdb
/// killed the guest or quit the emulator (said on stderr).
fn serve(
    machine: &mut Machine,
    gdb: Option<GdbAddr>,
    start_halted: bool,
) -> Result<Option<Result<RunEnd, Stop>>, String> {
    let mut listener = gdb.as_ref().map(listen).transpose()?;
    let opened = Arc::new(Mutex::new(None));
    machine.set_gdbserver_control(Box::new(MonitorGdbServer(opened.clone())));
    let _raw = armvirt_machine::terminal::RawMode::enter();
    let mut input = ConsoleInput::from_stdin();
    let mut halted = start_halted;
    loop {
        let served = match listener.take() {
            Some(l) => armvirt_stub::serve_on(machine, &mut input, l, halted),
            None => match machine.run_until_gdbserver(&mut input) {
                Some(end) => Served::Run(end),
                None => Served::Handover,
            },
        };
        halted = false;
        match served {
            Served::Handover => {
                listener = opened.lock().unwrap_or_else(|e| e.into_inner()).take();
            }
            Served::Run(end) => return Ok(Some(end)),
            Served::Killed => {
                eprintln!("armvirt: killed from gdb");
                return Ok(None);
            }
            Served::Quit => {
                eprintln!("armvirt: quit from gdb (monitor quit)");
                return Ok(None);
            }
        }
    }
}

fn listen(addr: &GdbAddr) -> Result<Listener, String> {
    match addr {
        GdbAddr::Tcp(addr) => Listener::tcp(*addr),
        GdbAddr::Unix(path) => Listener::unix(path),
    }
}

/// The monitor's `gdbserver`: binds the socket at once (so the monitor reports a refusal),
/// for `serve` to take at the hand-over.
struct MonitorGdbServer(Arc<Mutex<Option<Listener>>>);

impl GdbServerControl for MonitorGdbServer {
    fn start(&mut self, addr: &GdbAddr) -> Result<(), String> {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // A socket opened before and not served yet gives way to this one.
        *slot = None;
        *slot = Some(listen(addr)?);
        Ok(())
    }

    fn stop(&mut self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Ends the process shortly after `after` if the run loop has not (it notices the timeout
/// only while the vCPUs run: not while they are halted waiting for gdb).
fn backstop(after: Duration) {
    std::thread::spawn(move || {
        std::thread::sleep(after + TIMEOUT_BACKSTOP);
        armvirt_machine::terminal::restore_now();
        eprintln!(
            "armvirt: timeout: {} s of host time passed with the vCPUs halted (for gdb)",
            after.as_secs_f64()
        );
        std::process::exit(EXIT_TIMEOUT.into());
    });
}

fn fail(status: u8, problem: &str) -> ExitCode {
    eprintln!("armvirt: {problem}");
    ExitCode::from(status)
}

/// An I/O error's text without Rust's "(os error N)".
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    text.split(" (os error ")
        .next()
        .unwrap_or(&text)
        .to_string()
}

/// A bug must still end with one line, not a backtrace.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        armvirt_machine::terminal::restore_now();
        let payload = info.payload();
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("unknown panic");
        let what = what.lines().next().unwrap_or("");
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("armvirt: internal error: {what}{at} (please report this)");
    }));
}
