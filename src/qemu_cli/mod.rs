//! armvirt's command line: QEMU's `qemu-system-aarch64` options (so an existing QEMU
//! command line runs with `armvirt` in front, or with armvirt installed as
//! `qemu-system-aarch64`) and armvirt's own long spellings (`--kernel`, `--memory`,
//! `--gic`, `--dump-dtb`, ...) in one parser.
//!
//! A repeated option behaves as in QEMU: `-machine`, `-m`, `-smp`, `-rtc` and
//! `-semihosting-config` merge key by key (the last value of a key wins), `-kernel`,
//! `-append`, `-gdb` and the like keep their last value, and `-drive`, `-device`,
//! `-netdev`, `-chardev`, `-nic`, `-net`, `-serial` accumulate. Anything armvirt cannot
//! honour is refused with one line naming it; nothing is silently dropped.
//!
//! Defaults follow QEMU where a QEMU command line relies on them: when the command line
//! names the machine (`-M`/`-machine`) or the program is called `qemu-system-*`, RAM
//! defaults to QEMU virt's 128 MiB (hw/arm/virt.c, `mc->default_ram_size`); armvirt's own
//! spelling keeps its 1 GiB.

mod backends;
mod devices;
mod icount;
mod lexer;
mod machine_opts;
mod options;
mod resolve;
#[cfg(test)]
mod tests;

use armvirt_machine::config::{self, Config, GdbAddr, DEFAULT_GDB_HOST, DEFAULT_GDB_PORT};
use armvirt_machine::memmap::MIB;
use armvirt_machine::options::{Engine, Semihosting};
use armvirt_machine::rtc;
use lexer::{suboptions, Merged};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// QEMU virt's RAM when `-m` is not given (hw/arm/virt.c: `default_ram_size`).
pub const QEMU_DEFAULT_RAM_SIZE: u64 = 128 * MIB;

/// What the command line asks for.
#[derive(Debug)]
pub enum Request {
    Run(Box<Settings>),
    /// Print this text on stdout and exit 0 (`--help`, `-M help`, `-cpu help`, ...).
    Print(String),
}

/// A machine to run, and what the binary does around it.
#[derive(Debug)]
pub struct Settings {
    pub config: Config,
    /// `-d`: the log categories.
    pub log_mask: Option<u32>,
    /// `-D`: where the log goes (stderr without it).
    pub log_file: Option<PathBuf>,
    /// `--dump-dtb` / `-M dumpdtb=`: write the device tree there and exit.
    pub dump_dtb: Option<PathBuf>,
    /// `--timeout`: host time after which the run ends (status 124).
    pub timeout: Option<Duration>,
    /// `-loadvm FILE`: the machine starts from this savevm file.
    pub loadvm: Option<PathBuf>,
    /// `--record FILE` / `--replay FILE`.
    pub record: Option<PathBuf>,
    pub replay: Option<PathBuf>,
}

/// `--version`'s line.
pub fn version() -> String {
    format!(
        "armvirt {} (a qemu-system-aarch64 drop-in for -M virt with -cpu cortex-a72, \
         cortex-a57 or cortex-a53; QEMU 7.2's command line)\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// Parses `args` (without argv[0]); `argv0` decides the QEMU defaults (see the module
/// comment). An `Err` is one line for the user, and exit status 2.
pub fn parse(argv0: &str, args: &[String]) -> Result<Request, String> {
    let called_qemu = std::path::Path::new(argv0)
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("qemu-system-"));
    let mut b = Builder {
        qemu_defaults: called_qemu,
        ..Builder::default()
    };
    for arg in lexer::lex(args)? {
        if let Some(text) = b.option(&arg)? {
            return Ok(Request::Print(text));
        }
    }
    b.finish().map(|s| Request::Run(Box::new(s)))
}

/// Everything the options said, before references are resolved.
#[derive(Default)]
struct Builder {
    qemu_defaults: bool,
    kernel: Option<PathBuf>,
    kernel_raw_addr: Option<u64>,
    initrd: Option<PathBuf>,
    append: Option<String>,
    dtb: Option<PathBuf>,
    machine: Merged,
    cpu: Option<String>,
    memory: Option<(String, Merged)>,
    smp: Merged,
    rtc: Merged,
    accels: Vec<String>,
    engine: Option<Engine>,
    gdb: Option<(String, Option<GdbAddr>)>,
    gdb_default_port: bool,
    start_halted: bool,
    log_mask: Option<u32>,
    log_file: Option<PathBuf>,
    dump_dtb: Option<PathBuf>,
    timeout: Option<Duration>,
    history: Option<u64>,
    loadvm: Option<PathBuf>,
    record: Option<PathBuf>,
    replay: Option<PathBuf>,
    semihosting: bool,
    semihosting_config: Option<Merged>,
    semihosting_args: Vec<String>,
    no_reboot: bool,
    no_shutdown: bool,
    refs: resolve::Refs,
}

impl Builder {
    /// Takes one option in; `Some(text)` when it asks for text to be printed instead of a run.
    fn option(&mut self, arg: &lexer::Arg) -> Result<Option<String>, String> {
        let v = arg.value.clone().unwrap_or_default();
        let spelled = arg.spelled.as_str();
        match arg.spec.names[0] {
            "machine" => {
                if v == "help" || v == "?" {
                    return Ok(Some(
                        "Supported machines are:\nvirt                 QEMU 7.2 'virt' generic virtual platform (armvirt)\n".into(),
                    ));
                }
                self.qemu_defaults = true;
                self.machine.merge(suboptions(&v, Some("type")));
            }
            "cpu" => {
                if v == "help" || v == "?" {
                    return Ok(Some(
                        "Available CPUs:\n  cortex-a53\n  cortex-a57\n  cortex-a72\n".into(),
                    ));
                }
                self.cpu = Some(v);
            }
            "m" => {
                let m = self
                    .memory
                    .get_or_insert_with(|| (spelled.to_string(), Merged::default()));
                m.0 = spelled.to_string();
                m.1.merge(suboptions(&v, Some("size")));
            }
            "smp" => self.smp.merge(suboptions(&v, Some("cpus"))),
            "gic" => {
                let g = match v.trim() {
                    "2" | "3" => v.trim().to_string(),
                    _ => return Err(format!("'{v}' is not a GIC version (2 or 3)")),
                };
                self.machine.merge(vec![("gic-version".into(), g)]);
            }
            "accel" => self.accels.push(machine_opts::accel(&v)?),
            "rtc" => self.rtc.merge(suboptions(&v, None)),
            "engine" => {
                self.engine = Some(match v.as_str() {
                    "jit" => Engine::Jit,
                    "interp" => Engine::Interp,
                    _ => return Err(format!("{spelled} {v} is not an engine (jit or interp)")),
                })
            }
            "kernel" => self.kernel = Some(PathBuf::from(v)),
            "kernel-raw-addr" => {
                self.kernel_raw_addr = Some(
                    config::parse_address(&v)
                        .map_err(|e| format!("invalid value '{v}' for {spelled}: {e}"))?,
                )
            }
            "initrd" => self.initrd = Some(PathBuf::from(v)),
            "append" => self.append = Some(v),
            "dtb" => self.dtb = Some(PathBuf::from(v)),
            "dump-dtb" => self.dump_dtb = Some(PathBuf::from(v)),
            "S" => self.start_halted = true,
            "s" => self.gdb_default_port = true,
            "gdb" => self.gdb = Some((spelled.to_string(), machine_opts::gdb(&v)?)),
            "d" => {
                self.log_mask = Some(
                    armvirt_cpu::log::parse(&v)
                        .map_err(|e| format!("invalid value '{v}' for {spelled}: {e}"))?,
                )
            }
            "D" => self.log_file = Some(PathBuf::from(v)),
            "loadvm" => self.loadvm = Some(PathBuf::from(v)),
            "record" => self.record = Some(PathBuf::from(v)),
            "replay" => self.replay = Some(PathBuf::from(v)),
            "icount" => match icount::parse(&v)? {
                icount::Icount::Fixed => {}
                icount::Icount::Record(file) => self.record = Some(file),
                icount::Icount::Replay(file) => self.replay = Some(file),
            },
            "history" => {
                let size = armvirt_machine::config::parse_size(&v)
                    .map_err(|e| format!("invalid value for {spelled}: {e}"))?;
                self.history = Some(size);
            }
            "timeout" => {
                let secs: f64 = v
                    .trim()
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s < 1e9)
                    .ok_or_else(|| {
                        format!("{spelled} {v}: not a number of seconds (example: 30, 0.5)")
                    })?;
                self.timeout = Some(Duration::from_secs_f64(secs));
            }
            "display" => {
                if v != "none" {
                    return Err(format!(
                        "{spelled} {v} is not supported: armvirt has no display (supported: none)"
                    ));
                }
            }
            "parallel" | "vga" => {
                if v != "none" {
                    return Err(format!("{spelled} {v} is not supported (supported: none)"));
                }
            }
            "nographic" => self.refs.nographic = true,
            "nodefaults" => self.refs.nodefaults = true,
            "serial" => self.refs.serial.push(backends::parse_short(spelled, &v)?),
            "monitor" => self.refs.monitor.push(backends::parse_short(spelled, &v)?),
            "mon" => self.refs.mon(&v)?,
            "chardev" => self.refs.chardev(backends::parse_chardev(&v)?)?,
            "drive" => self.refs.drive(devices::parse_drive(&v)?)?,
            "device" => {
                if v == "help" || v == "?" {
                    return Ok(Some(
                        "Devices (virtio-mmio): virtio-blk-device, virtio-net-device, \
                         virtio-rng-device, virtio-serial-device, virtconsole\n"
                            .into(),
                    ));
                }
                self.refs.device(devices::parse_device(&v)?)
            }
            "netdev" => self.refs.netdev(devices::parse_netdev(&v)?)?,
            "nic" => self.refs.nic(devices::parse_nic(&v)?),
            "net" => self.refs.net(devices::parse_net(&v)?),
            "snapshot" => self.refs.snapshot = true,
            "semihosting" => self.semihosting = true,
            "semihosting-config" => {
                let items = suboptions(&v, Some("enable"));
                devices::check_keys(
                    &format!("{spelled} {v}"),
                    &items,
                    &["enable", "target", "userspace", "arg"],
                )?;
                for (k, val) in &items {
                    if k == "arg" {
                        self.semihosting_args.push(val.clone());
                    }
                }
                self.semihosting_config
                    .get_or_insert_with(Merged::default)
                    .merge(items.into_iter().filter(|(k, _)| k != "arg").collect());
            }
            "no-reboot" => self.no_reboot = true,
            "no-shutdown" => self.no_shutdown = true,
            "name" | "no-user-config" => {}
            "version" => return Ok(Some(version())),
            "help" => return Ok(Some(options::help_text())),
            other => unreachable!("option {other} has no handler"),
        }
        Ok(None)
    }

    fn finish(self) -> Result<Settings, String> {
        let machine = machine_opts::machine(&self.machine)?;
        if !self.accels.is_empty() {
            machine_opts::accel_list(
                &format!("-accel {}", self.accels.join(" -accel ")),
                self.accels.iter().map(String::as_str),
            )?;
        }
        let cpu_model = match &self.cpu {
            Some(c) => machine_opts::cpu(c)?,
            None => Default::default(),
        };
        let ram_size = match &self.memory {
            Some((spelled, m)) => machine_opts::memory(spelled, m)?,
            None if self.qemu_defaults => QEMU_DEFAULT_RAM_SIZE,
            None => config::DEFAULT_RAM_SIZE,
        };
        let cpus = if self.smp.is_empty() {
            1
        } else {
            machine_opts::smp(&self.smp)?
        };
        let rtc_base = if self.rtc.is_empty() {
            rtc::RtcBase::Utc
        } else {
            let text: Vec<String> = self.rtc.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
            rtc::parse_rtc(&text.join(","))?
        };
        let gdb = match (&self.gdb, self.gdb_default_port) {
            (Some((spelled, _)), true) => {
                return Err(format!(
                    "the argument '-s' cannot be used with '{spelled}' (-s is -gdb tcp::1234)"
                ))
            }
            (Some((_, addr)), false) => addr.clone(),
            (None, true) => Some(GdbAddr::Tcp(SocketAddr::new(
                DEFAULT_GDB_HOST,
                DEFAULT_GDB_PORT,
            ))),
            (None, false) => None,
        };
        let semihosting = self.semihosting_config.as_ref().map_or(
            Ok(self.semihosting),
            |m| -> Result<bool, String> {
                if let Some(t) = m.get("target").filter(|t| *t != "native" && *t != "auto") {
                    return Err(format!(
                        "-semihosting-config target={t} is not supported (supported: native, auto)"
                    ));
                }
                match m.get("enable") {
                    None => Ok(true),
                    Some(v) => lexer::boolean("enable", v, "-semihosting-config"),
                }
            },
        )?;
        let semihosting = if semihosting {
            let userspace = match self
                .semihosting_config
                .as_ref()
                .and_then(|m| m.get("userspace"))
            {
                Some(v) => lexer::boolean("userspace", v, "-semihosting-config")?,
                None => false,
            };
            Some(Semihosting {
                userspace,
                args: self.semihosting_args.clone(),
            })
        } else {
            None
        };
        let resolved = self.refs.resolve()?;
        let Some(kernel) = self.kernel else {
            return Err("missing --kernel <PATH> (see --help)".into());
        };
        let mut config = Config::new(kernel);
        config.kernel_raw_addr = self.kernel_raw_addr;
        config.initrd = self.initrd;
        config.cmdline = self.append;
        config.ram_size = ram_size;
        config.cpus = cpus;
        config.dtb = self.dtb;
        config.gdb = gdb;
        config.start_halted = self.start_halted;
        config.gic = machine.gic.unwrap_or(config.gic);
        config.rtc_base = rtc_base;
        let o = &mut config.options;
        o.cpu_model = cpu_model;
        o.engine = self.engine.unwrap_or_default();
        o.virtio = resolved.virtio;
        o.serial = resolved.serial;
        o.monitor = resolved.monitor;
        o.semihosting = semihosting;
        o.no_reboot = self.no_reboot;
        o.no_shutdown = self.no_shutdown;
        o.history = self.history;
        Ok(Settings {
            config,
            log_mask: self.log_mask,
            log_file: self.log_file,
            dump_dtb: self.dump_dtb.or(machine.dumpdtb.map(PathBuf::from)),
            timeout: self.timeout,
            loadvm: self.loadvm,
            record: self.record,
            replay: self.replay,
        })
    }
}
