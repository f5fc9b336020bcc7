//! The `armvirt` command: parses the options (QEMU's spelling where QEMU has one), builds
//! the machine and runs it.
//!
//! Every problem ends the process with one line on stderr, `armvirt: <problem>`, and a
//! non-zero status: 2 for a malformed command line, 1 for anything else (a file that
//! cannot be loaded, a machine that cannot be built). No panic reaches the user as a
//! backtrace: a last-resort hook prints one line too.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use armvirt_machine::config::{self, Config, GdbAddr, DEFAULT_GDB_HOST, DEFAULT_GDB_PORT};
use armvirt_machine::irqchip::GicVersion;
use armvirt_machine::rtc::{self, RtcBase};
use armvirt_machine::{Machine, RunEnd};
use armvirt_stub::{Listener, Served};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::Parser;

/// Exit status for a command line that does not parse (clap's convention).
const EXIT_USAGE: u8 = 2;
/// Exit status for any other problem.
const EXIT_FAILURE: u8 = 1;
/// The guest reset the machine (PSCI SYSTEM_RESET), which armvirt does not restart yet.
const EXIT_RESET: u8 = 3;

/// An aarch64 system emulator: a cortex-A72 on a QEMU-virt-style machine, for debugging
/// arm64 Linux kernels.
#[derive(Parser, Debug)]
#[command(name = "armvirt", version)]
struct Cli {
    /// Kernel to boot: an arm64 Image, a gzip-compressed Image, or an ELF64 AArch64
    /// executable (loaded by physical address)
    #[arg(long, value_name = "PATH")]
    kernel: PathBuf,

    /// Load the kernel as a raw binary at ADDR instead (entered through the boot stub)
    #[arg(long, value_name = "ADDR", value_parser = config::parse_address)]
    kernel_raw_addr: Option<u64>,

    /// Initial ramdisk, placed after the kernel as QEMU places it
    #[arg(long, value_name = "PATH")]
    initrd: Option<PathBuf>,

    /// Kernel command line (/chosen/bootargs)
    #[arg(long, value_name = "STRING")]
    append: Option<String>,

    /// RAM size: 512M, 2G, ... (a bare number means MiB)
    #[arg(short = 'm', long = "memory", value_name = "SIZE", default_value = "1G",
          value_parser = parse_memory)]
    memory: u64,

    /// Number of CPUs described in the device tree (1 to 8)
    #[arg(long, value_name = "N", default_value = "1", value_parser = parse_smp)]
    smp: u32,

    /// Use this device tree blob instead of the generated one (its /memory, /chosen and
    /// /psci are patched for this machine, as QEMU does)
    #[arg(long, value_name = "PATH")]
    dtb: Option<PathBuf>,

    /// Write the machine's device tree blob to PATH and exit
    #[arg(long, value_name = "PATH")]
    dump_dtb: Option<PathBuf>,

    /// Do not start the CPUs: wait for the debugger
    #[arg(short = 'S')]
    start_halted: bool,

    /// Serve gdb on [ADDR:]PORT (ADDR defaults to 127.0.0.1), or on the Unix socket
    /// unix:PATH (gdb: target remote PATH)
    #[arg(long, value_name = "[ADDR:]PORT|unix:PATH", value_parser = config::parse_gdb_addr)]
    gdb: Option<GdbAddr>,

    /// Shorthand for --gdb 1234
    #[arg(short = 's', conflicts_with = "gdb")]
    gdb_default_port: bool,

    /// Interrupt controller: 2 (GICv2, the default, as QEMU virt) or 3 (GICv3)
    #[arg(long = "gic", value_name = "VERSION", default_value = "2", value_parser = parse_gic)]
    gic: GicVersion,

    /// Where the real-time clock starts: base=utc (the host's UTC time, the default),
    /// base=localtime (the host's local time) or base=DATETIME in UTC (2006-06-17T16:01:21
    /// or 2006-06-17); it then follows the virtual clock, so a fixed DATETIME makes runs
    /// repeatable
    #[arg(long, value_name = "base=utc|localtime|DATETIME", default_value = "base=utc",
          value_parser = rtc::parse_rtc)]
    rtc: RtcBase,

    /// Log these categories (comma-separated): unimp, int, mmu, guest_errors
    #[arg(short = 'd', value_name = "LIST", value_parser = armvirt_cpu::log::parse)]
    log: Option<u32>,

    /// Write the -d log to FILE instead of stderr
    #[arg(short = 'D', value_name = "FILE")]
    log_file: Option<PathBuf>,
}

fn parse_gic(text: &str) -> Result<GicVersion, String> {
    match text {
        "2" => Ok(GicVersion::V2),
        "3" => Ok(GicVersion::V3),
        _ => Err(format!("'{text}' is not a GIC version (2 or 3)")),
    }
}

fn parse_memory(text: &str) -> Result<u64, String> {
    let size = config::parse_size(text)?;
    config::check_ram_size(size)?;
    Ok(size)
}

fn parse_smp(text: &str) -> Result<u32, String> {
    let n = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number of CPUs"))?;
    config::check_cpus(n)?;
    Ok(n)
}

fn main() -> ExitCode {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => return fail(EXIT_USAGE, &usage_problem(&e)),
    };
    match run(cli) {
        Ok(code) => code,
        Err(problem) => fail(EXIT_FAILURE, &problem),
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    if let Some(mask) = cli.log {
        let sink: Option<Box<dyn std::io::Write + Send>> = match &cli.log_file {
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
    let gdb = match (cli.gdb, cli.gdb_default_port) {
        (Some(addr), _) => Some(addr),
        (None, true) => Some(GdbAddr::Tcp(SocketAddr::new(
            DEFAULT_GDB_HOST,
            DEFAULT_GDB_PORT,
        ))),
        (None, false) => None,
    };
    if cli.start_halted && gdb.is_none() {
        return Err("-S needs --gdb or -s: only a debugger can start halted CPUs".into());
    }
    let config = Config {
        kernel: cli.kernel,
        kernel_raw_addr: cli.kernel_raw_addr,
        initrd: cli.initrd,
        cmdline: cli.append,
        ram_size: cli.memory,
        cpus: cli.smp,
        dtb: cli.dtb,
        gdb: gdb.clone(),
        start_halted: cli.start_halted,
        gic: cli.gic,
        rtc_base: cli.rtc,
        ..Config::new("")
    };
    let mut machine = Machine::new(config).map_err(|e| e.to_string())?;
    if let Some(path) = cli.dump_dtb {
        std::fs::write(&path, machine.dtb()).map_err(|e| {
            format!(
                "cannot write the device tree to '{}': {}",
                path.display(),
                io_reason(&e)
            )
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let end = match gdb {
        Some(addr) => {
            let listener = match &addr {
                GdbAddr::Tcp(addr) => Listener::tcp(*addr)?,
                GdbAddr::Unix(path) => Listener::unix(path)?,
            };
            match armvirt_stub::serve(&mut machine, listener, cli.start_halted) {
                Served::Run(end) => end,
                Served::Killed => {
                    eprintln!("armvirt: killed from gdb");
                    return Ok(ExitCode::SUCCESS);
                }
                Served::Quit => {
                    eprintln!("armvirt: quit from gdb (monitor quit)");
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
        None => machine.run(),
    };
    match end {
        Ok(RunEnd::PowerOff) => Ok(ExitCode::SUCCESS),
        Ok(RunEnd::Quit) => {
            eprintln!("armvirt: terminated from the console (Ctrl-A x)");
            Ok(ExitCode::SUCCESS)
        }
        Ok(RunEnd::Exit(status)) => Ok(ExitCode::from(status as u8)),
        Ok(RunEnd::Reset) => {
            eprintln!("armvirt: the guest asked for a reset (PSCI SYSTEM_RESET); stopping");
            Ok(ExitCode::from(EXIT_RESET))
        }
        Err(stop) => Err(stop.to_string()),
    }
}

/// One line for a command line clap refused.
fn usage_problem(e: &clap::Error) -> String {
    if e.kind() == ErrorKind::MissingRequiredArgument {
        if let Some(ContextValue::Strings(args)) = e.get(ContextKind::InvalidArg) {
            return format!("missing {} (see --help)", args.join(", "));
        }
    }
    let text = e.to_string();
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid command line");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    format!("{first} (see --help)")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(args: &[&str]) -> String {
        let e = Cli::try_parse_from(std::iter::once("armvirt").chain(args.iter().copied()))
            .expect_err("should be refused");
        usage_problem(&e)
    }

    #[test]
    fn usage_problems_are_one_line() {
        assert_eq!(problem(&[]), "missing --kernel <PATH> (see --help)");
        let p = problem(&["--kernel", "k", "-m", "12X"]);
        assert_eq!(
            p,
            "invalid value '12X' for '--memory <SIZE>': '12X' is not a size (examples: 512M, 2G, 1024) (see --help)"
        );
        assert!(problem(&["--kernel", "k", "--smp", "9"]).contains("9 CPUs requested"));
        assert!(problem(&["--kernel", "k", "--bogus"]).starts_with("unexpected argument '--bogus'"));
        assert!(problem(&["--kernel", "k", "-s", "--gdb", "1"]).contains("cannot be used with"));
        assert!(problem(&["--kernel", "k", "--rtc", "base=2024-02-30"])
            .contains("'2024-02-30' names a day that does not exist"));
        for args in [
            &["--kernel", "k", "--gdb", "0"][..],
            &["--kernel", "k", "-m", "1M"],
        ] {
            assert!(!problem(args).contains('\n'));
        }
    }

    #[test]
    fn defaults() {
        let cli = Cli::try_parse_from(["armvirt", "--kernel", "k"]).unwrap();
        assert_eq!((cli.memory, cli.smp), (1 << 30, 1));
        assert_eq!(cli.rtc, RtcBase::Utc);
        assert!(!cli.start_halted && cli.gdb.is_none() && !cli.gdb_default_port);
    }
}
