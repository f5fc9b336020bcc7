//! The virt machine put together: RAM with the kernel, initrd, device tree and boot stub
//! in it (placed as QEMU places them), and the MMIO bus.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::boot::{self, Boot};
use crate::bus::MmioBus;
use crate::config::Config;
use crate::console::{Muted, Shared, Stdout};
use crate::dtb;
use crate::error::Error;
use crate::fdt::{self, DtParams};
use crate::guest_watch::{PanicSeen, PanicWatch};
use crate::irqchip::IrqChip;
use crate::loader::{self, Kernel, KernelFormat, RamSpan};
use crate::memmap::spi;
use crate::memmap::{self, Region, RAM_BASE};
use crate::monitor::Monitor;
use crate::net::Networks;
use crate::ram::GuestRam;
use crate::run::{RunEnd, Stop};
use crate::semihosting::{self, Semihost};
use crate::vcpu::Vcpu;
use crate::virtio::Virtio;
use crate::ConsoleInput;
use armvirt_cpu::{CodeCache, Monitors, SemihostingMode, TlbBroadcast};
use armvirt_devices::pl011::Pl011;
use armvirt_devices::pl031::Pl031;
use armvirt_devices::pl061::Pl061;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A machine ready to run: everything loaded, vCPU 0's start in [`Machine::boot`].
pub struct Machine {
    config: Config,
    pub(crate) ram: GuestRam,
    pub(crate) bus: MmioBus,
    boot: Boot,
    kernel_format: KernelFormat,
    dtb: Vec<u8>,
    pub(crate) vcpus: Vec<Vcpu>,
    pub(crate) uart: Shared<Pl011>,
    pub(crate) rtc: Shared<Pl031>,
    /// The PL061 GPIO with the power button on it (`power_button.rs`).
    pub(crate) gpio: Shared<Pl061>,
    /// When (virtual time) the pressed power button is released.
    pub(crate) power_button_release: Option<u64>,
    /// `now_ns` for the devices that read time (the RTC).
    pub(crate) clock: Arc<AtomicU64>,
    pub(crate) gic: IrqChip,
    /// The virtio-mmio transports that hold a device (`virtio.rs`).
    pub(crate) virtio: Virtio,
    pub(crate) code: CodeCache,
    pub(crate) monitors: Monitors,
    /// TLBI ...IS operations on their way to every vCPU's TLB.
    pub(crate) tlbi: TlbBroadcast,
    /// The machine's virtual clock in nanoseconds (see `run.rs`).
    pub(crate) now_ns: u64,
    /// Called after every block when set (the lockstep check of the engines runs a slice
    /// block by block; the guest sees no difference).
    pub(crate) block_hook: Option<BlockHook>,
    /// What the console watcher saw of a guest kernel panic.
    pub(crate) panic_seen: Arc<Mutex<PanicSeen>>,
    /// When (virtual time) the run reported the panic.
    pub(crate) panic_at: Option<u64>,
    /// `--timeout`: the host time the run ends at, and the timeout it came from.
    pub(crate) deadline: Option<(Instant, Duration)>,
    /// Powered off under `-no-shutdown`: the vCPUs are stopped for good, armvirt stays.
    pub(crate) stopped: bool,
    /// Semihosting's handles and console (`-semihosting`), when on.
    pub(crate) semihost: Option<Semihost>,
    /// Whether console input can still arrive (semihosting's console reads wait for it).
    pub(crate) input_open: bool,
    /// The HMP monitor (`-monitor`), when there is one.
    pub(crate) monitor: Option<Monitor>,
    /// The monitor stopped the vCPUs (`stop`, or `-S` with no debugger).
    pub(crate) paused: bool,
    /// How the monitor's `gdbserver` opens the stub's socket (set by the program).
    pub(crate) gdbserver: Option<Box<dyn crate::monitor::gdbserver::GdbServerControl>>,
    /// `gdbserver` asked the program to serve gdb on what it opened.
    pub(crate) gdb_handover: bool,
    /// Scheduling epochs so far: rounds of the run loop and the debugger's single steps
    /// (inputs and positions in history are placed by it).
    pub(crate) epoch: u64,
    /// Time travel's history, while a debugger is attached (`history/`).
    pub(crate) history: Option<Box<crate::history::History>>,
    /// A replay of history is running: inputs come from its log, nothing waits in host
    /// time, the console prints nothing (it printed all that the first time).
    pub(crate) replaying: bool,
    /// Silences the UART's output while set (replays).
    pub(crate) mute: Arc<std::sync::atomic::AtomicBool>,
    /// The RTC's starting count of seconds (a recording keeps it).
    pub(crate) rtc_start: u64,
    /// `--record` / `--replay` (`record.rs`).
    pub(crate) recorder: Option<Box<crate::record::Recorder>>,
}

/// See [`Machine::block_hook`]: the vCPU's index and state after one of its blocks.
pub(crate) type BlockHook = Box<dyn FnMut(usize, &armvirt_cpu::Cpu)>;

impl Machine {
    /// Allocates RAM, loads the kernel, the initrd and the device tree, writes the boot
    /// stub, and builds the bus.
    pub fn new(config: Config) -> Result<Self, Error> {
        Self::build(config, &Networks::default())
    }

    /// [`Machine::new`], its NICs on `nets` where given (a reset keeps the networks).
    fn build(config: Config, nets: &Networks) -> Result<Self, Error> {
        config.validate().map_err(Error::Config)?;
        let ram_size = config.effective_ram_size();
        let span = RamSpan {
            base: RAM_BASE,
            size: ram_size,
        };
        // Map RAM first: a size the host refuses is the cheapest error to find.
        let mut ram = GuestRam::new(RAM_BASE, ram_size)?;

        let kernel_data = read_file("kernel", &config.kernel, ram_size)?;
        let kernel =
            loader::place_kernel(kernel_data, config.kernel_raw_addr, span).map_err(|err| {
                Error::Kernel {
                    path: config.kernel.clone(),
                    err,
                }
            })?;
        let initrd_data = match &config.initrd {
            Some(path) => Some(read_file("initrd", path, ram_size)?),
            None => None,
        };
        let initrd = match &initrd_data {
            Some(data) => Some(boot::place_initrd(span, &kernel, data.len() as u64)?),
            None => None,
        };

        let params = DtParams {
            ram: Region::new(RAM_BASE, ram_size),
            cpus: config.cpus,
            bootargs: config.cmdline.clone(),
            initrd: initrd.map(|r| (r.base, r.end())),
            seed: config.dtb_seed,
            gic: config.gic,
            cpu_compatible: config.options.cpu_model.ids().compatible,
        };
        let dtb = match &config.dtb {
            None => fdt::build(&params)?,
            Some(path) => {
                let data = read_file("device tree", path, ram_size)?;
                dtb::load(&data, &params).map_err(|err| Error::Dtb {
                    path: path.clone(),
                    err,
                })?
            }
        };
        let dtb_region = boot::place_dtb(span, &kernel, initrd, dtb.len() as u64)?;
        let boot = boot::boot_entry(span, &kernel, initrd, dtb_region);

        write_kernel(&mut ram, &kernel)?;
        if let (Some(region), Some(data)) = (initrd, &initrd_data) {
            ram.write(region.base, data)?;
        }
        ram.write(dtb_region.base, &dtb)?;
        if let Some(at) = boot.stub {
            ram.write(at, &boot::stub_bytes(dtb_region.base, kernel.entry))?;
        }

        let mut bus = MmioBus::new();
        let mut vcpus: Vec<Vcpu> = (0..config.cpus as usize).map(Vcpu::new).collect();
        for v in &mut vcpus {
            v.cpu.engine = config.options.engine;
            v.cpu.ids = config.options.cpu_model.ids();
        }
        let gic = IrqChip::new(config.gic, &mut vcpus, &mut bus)?;
        let virtio = Virtio::attach(&config, &mut ram, &gic, &mut bus, nets)?;
        let panic_seen = Arc::new(Mutex::new(PanicSeen::default()));
        let mute = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let uart_out = Muted::new(PanicWatch::new(Stdout, panic_seen.clone()), mute.clone());
        let uart = Shared::new(Pl011::new(Box::new(uart_out), gic.spi_line(spi::UART0)));
        // The RTC starts at `--rtc base=` (the host's UTC time by default, as QEMU) and
        // follows the machine's virtual time, as QEMU's `-rtc clock=vm`.
        let clock = Arc::new(AtomicU64::new(0));
        let rtc_base = config.rtc_base.start_seconds();
        let rtc_clock = clock.clone();
        let rtc = Shared::new(Pl031::new(
            Box::new(move || rtc_base + rtc_clock.load(Ordering::Relaxed) / 1_000_000_000),
            gic.spi_line(spi::RTC),
        ));
        bus.insert(memmap::RTC.base, memmap::RTC.size, Box::new(rtc.clone()))?;
        let gpio = Shared::new(Pl061::new(gic.spi_line(spi::GPIO)));
        bus.insert(memmap::GPIO.base, memmap::GPIO.size, Box::new(gpio.clone()))?;
        bus.insert(
            memmap::UART0.base,
            memmap::UART0.size,
            Box::new(uart.clone()),
        )?;
        let cpu0 = &mut vcpus[0].cpu;
        cpu0.s.pc = boot.pc;
        cpu0.s.x[..4].copy_from_slice(&boot.x);
        let monitors = Monitors::new(vcpus.len());
        let semihost = config.options.semihosting.as_ref().map(|sh| {
            let mode = if sh.userspace {
                SemihostingMode::El1AndEl0
            } else {
                SemihostingMode::El1
            };
            for v in &mut vcpus {
                v.cpu.semihosting = mode;
            }
            let mut used = vec![(boot.kernel.base, boot.kernel.end())];
            used.extend(boot.stub.map(|at| (at, at + boot::STUB_SIZE as u64)));
            used.extend(boot.initrd.map(|r| (r.base, r.end())));
            used.push((boot.dtb.base, boot.dtb.end()));
            let heap = semihosting::largest_gap(RAM_BASE, RAM_BASE + ram_size, &used);
            Semihost::new(semihosting_cmdline(&config, sh), rtc_base, heap)
        });

        let mut monitor = match &config.options.monitor {
            Some(backend) => Some(Monitor::start(backend)?),
            None => None,
        };
        // -S without a debugger: the monitor's `cont` starts the vCPUs.
        let paused = config.start_halted && config.gdb.is_none() && monitor.is_some();
        if let Some(mon) = &mut monitor {
            mon.prelaunch = paused;
        }

        Ok(Machine {
            config,
            ram,
            bus,
            boot,
            kernel_format: kernel.format,
            dtb,
            vcpus,
            uart,
            rtc,
            gpio,
            power_button_release: None,
            clock,
            gic,
            virtio,
            code: CodeCache::new(),
            monitors,
            tlbi: TlbBroadcast::new(),
            now_ns: 0,
            block_hook: None,
            panic_seen,
            panic_at: None,
            deadline: None,
            stopped: false,
            semihost,
            input_open: false,
            monitor,
            paused,
            gdbserver: None,
            gdb_handover: false,
            epoch: 0,
            history: None,
            replaying: false,
            mute,
            rtc_start: rtc_base,
            recorder: None,
        })
    }

    /// A warm reset of the whole machine, as PSCI SYSTEM_RESET asks: every vCPU, device
    /// and RAM back to how [`Machine::new`] left them (the kernel, initrd and device tree
    /// loaded again from their files), the clock back to zero; snapshot disks keep the
    /// guest's writes and user networks their sockets and forwarded ports, as under QEMU.
    /// Debugger breakpoints and watchpoints stay.
    pub fn reset(&mut self) -> Result<(), Error> {
        // The monitor (its socket and session) lives on across the reset.
        let mut config = self.config.clone();
        config.options.monitor = None;
        let mut fresh = Machine::build(config, &self.virtio.nets)?;
        fresh.config = self.config.clone();
        fresh.monitor = self.monitor.take();
        fresh.gdbserver = self.gdbserver.take();
        fresh.gdb_handover = self.gdb_handover;
        fresh.paused = self.paused;
        for (new, old) in fresh.vcpus.iter_mut().zip(&self.vcpus) {
            new.cpu.breakpoints = old.cpu.breakpoints.clone();
            new.cpu.watchpoints = old.cpu.watchpoints.without_hits();
        }
        fresh.deadline = self.deadline;
        fresh.virtio.keep_snapshots(&self.virtio);
        // History of the run before cannot be replayed into the rebuilt machine: it
        // starts again at the reset.
        let history = self.history.as_ref().map(|h| h.budget());
        *self = fresh;
        // The kept networks stop keeping frames for a log the reset dropped.
        self.update_frame_logging();
        if let Some(budget) = history {
            self.start_history(budget);
        }
        Ok(())
    }

    /// Sends the PL011's output to `out` instead of the terminal (silenced during
    /// replays of history, as the terminal is).
    pub fn set_console_output(&mut self, out: Box<dyn std::io::Write + Send>) {
        let muted = Muted::new(out, self.mute.clone());
        self.uart.lock().set_output(Box::new(muted));
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// How vCPU 0 starts, and where the kernel, initrd and DTB are.
    pub fn boot(&self) -> &Boot {
        &self.boot
    }

    pub fn kernel_format(&self) -> KernelFormat {
        self.kernel_format
    }

    /// The device tree as loaded into RAM (for `--dump-dtb`).
    pub fn dtb(&self) -> &[u8] {
        &self.dtb
    }

    pub fn ram(&self) -> &GuestRam {
        &self.ram
    }

    pub fn ram_mut(&mut self) -> &mut GuestRam {
        &mut self.ram
    }

    pub fn bus_mut(&mut self) -> &mut MmioBus {
        &mut self.bus
    }

    /// Runs the machine until it powers off, with the host's stdin as console input.
    /// A terminal on stdin is put in raw mode for the run and restored after it.
    pub fn run(&mut self) -> Result<RunEnd, Stop> {
        let _raw = crate::terminal::RawMode::enter();
        self.run_with(ConsoleInput::from_stdin())
    }

    /// The vCPUs, for inspection (tests, the debugger).
    pub fn vcpus(&self) -> &[Vcpu] {
        &self.vcpus
    }
}

/// SYS_GET_CMDLINE's answer: `-semihosting-config arg=`s, else the kernel's path and the
/// words of `-append`, as QEMU's `semihosting_arg_fallback`.
fn semihosting_cmdline(config: &Config, sh: &crate::options::Semihosting) -> String {
    if !sh.args.is_empty() {
        return sh.args.join(" ");
    }
    let mut words = vec![config.kernel.display().to_string()];
    if let Some(line) = &config.cmdline {
        words.extend(line.split(' ').filter(|w| !w.is_empty()).map(String::from));
    }
    words.join(" ")
}

/// Reads `path` whole, refusing files larger than `limit` (RAM) before reading them.
fn read_file(what: &'static str, path: &Path, limit: u64) -> Result<Vec<u8>, Error> {
    let mut file = File::open(path).map_err(|e| Error::read(what, path, e))?;
    let meta = file.metadata().map_err(|e| Error::read(what, path, e))?;
    if meta.is_dir() {
        let err = std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory");
        return Err(Error::read(what, path, err));
    }
    if meta.len() > limit {
        return Err(Error::TooLarge {
            what,
            path: path.into(),
            size: meta.len(),
            ram: limit,
        });
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut data)
        .map_err(|e| Error::read(what, path, e))?;
    Ok(data)
}

fn write_kernel(ram: &mut GuestRam, kernel: &Kernel) -> Result<(), Error> {
    for seg in &kernel.segments {
        ram.write(seg.addr, &kernel.data[seg.offset..seg.offset + seg.len])?;
        let bss = seg.mem_size - seg.len as u64;
        ram.zero(seg.addr + seg.len as u64, bss)?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;

impl Drop for Machine {
    /// `-d jit`: what the JIT did over the machine's life.
    fn drop(&mut self) {
        use armvirt_cpu::log::{enabled, line, Category};
        if enabled(Category::Jit) {
            let retired: u64 = self.vcpus.iter().map(|v| v.cpu.icount).sum();
            line(format_args!("jit: {retired} instructions retired"));
            let stats = self.code.jit.stats.to_string();
            line(format_args!("{}", stats.trim_end()));
        }
    }
}
