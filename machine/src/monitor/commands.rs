//! The HMP commands armvirt has, with QEMU 7.2's output formats (checked against
//! `qemu-system-aarch64 -M virt -cpu cortex-a72` on the same guest: `monitor/tests.rs`).
//! Each returns its text; errors are QEMU's one-line messages.

use super::disas;
use super::memory_dump::{self, Format};
use super::Monitor;
use crate::debug::VcpuState;
use crate::machine::Machine;
use crate::memmap::RAM_BASE;
use crate::run::RunEnd;
use std::fmt::Write;

const HELP: &str = "\
c|cont  -- resume emulation
cpu index -- set the default CPU
gdbserver [device] -- start gdbserver on given device (default 'tcp::1234'), stop with 'none'
help|? [cmd] -- show the help
info cpus  -- show infos for each CPU
info mtree  -- show memory tree
info qtree  -- show device tree
info registers [-a|vcpu] -- show the cpu registers (-a: show register info for all cpus; vcpu: specific vCPU to query; show the current CPU's registers if no argument is specified)
info status  -- show the current VM status (running|paused)
info version  -- show the version of QEMU
loadvm file -- armvirt: restore the machine from a savevm file
q|quit  -- quit the emulator
savevm file -- armvirt: save the whole machine to a file (start from it with -loadvm file)
stop  -- stop emulation
system_powerdown  -- send system power down event
system_reset  -- reset the system
x /fmt addr -- virtual memory dump starting at 'addr'
xp /fmt addr -- physical memory dump starting at 'addr'
";

/// Runs one command line; returns its output and, for `quit`, how the run ends.
pub(super) fn run(m: &mut Machine, mon: &mut Monitor, line: &str) -> (String, Option<RunEnd>) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some(&cmd) = words.first() else {
        return (String::new(), None);
    };
    let args = &words[1..];
    let text = match cmd {
        "help" | "?" => help(args),
        "info" => info(m, mon, args),
        "x" | "xp" => examine(m, mon, cmd, line),
        "stop" => {
            m.paused = true;
            String::new()
        }
        "c" | "cont" => {
            m.paused = false;
            mon.prelaunch = false;
            String::new()
        }
        "cpu" => match args.first().and_then(|a| a.parse::<usize>().ok()) {
            Some(n) if n < m.vcpu_count() => {
                mon.cpu = n;
                String::new()
            }
            Some(_) => "invalid CPU index\n".into(),
            None => "Parameter 'index' is missing\n".into(),
        },
        "q" | "quit" => return (String::new(), Some(RunEnd::Exit(0))),
        "system_reset" => match m.reset() {
            Ok(()) => {
                mon.cpu = mon.cpu.min(m.vcpu_count() - 1);
                String::new()
            }
            Err(e) => format!("reset failed: {e}\n"),
        },
        // QEMU's virt without ACPI presses the gpio-keys power button; it prints nothing.
        "system_powerdown" => {
            m.press_power_button();
            String::new()
        }
        // QEMU's take a snapshot tag inside a qcow2 disk; armvirt's take a file.
        "savevm" => match args {
            [file] => match m.save_vm(std::path::Path::new(file)) {
                Ok(_) => String::new(),
                Err(e) => format!("Error: {e}\n"),
            },
            _ => "Usage: savevm FILE\n".into(),
        },
        "loadvm" => match args {
            [file] => match m.load_vm(std::path::Path::new(file)) {
                Ok(()) => String::new(),
                Err(e) => format!("Error: {e}\n"),
            },
            _ => "Usage: loadvm FILE\n".into(),
        },
        "gdbserver" => super::gdbserver::command(m, args),
        _ => format!("unknown command: '{cmd}'\n"),
    };
    (text, None)
}

fn help(args: &[&str]) -> String {
    match args.first() {
        None => HELP.into(),
        Some(&topic) => HELP
            .lines()
            .filter(|l| {
                let name = l.split(' ').next().unwrap_or("");
                name.split('|').any(|n| n == topic) || l.starts_with(&format!("{topic} "))
            })
            .map(|l| format!("{l}\n"))
            .collect(),
    }
}

fn info(m: &mut Machine, mon: &Monitor, args: &[&str]) -> String {
    match args {
        ["registers"] => registers(m, mon.cpu, true),
        ["registers", "-a"] => (0..m.vcpu_count()).map(|n| registers(m, n, true)).collect(),
        ["registers", n] => match n.parse::<usize>() {
            Ok(n) if n < m.vcpu_count() => registers(m, n, true),
            _ => "invalid vcpu\n".into(),
        },
        ["cpus"] => cpus(m, mon.cpu),
        ["mtree", ..] => mtree(m),
        ["qtree"] => qtree(m),
        ["status"] => format!(
            "VM status: {}\n",
            match (m.paused, mon.prelaunch) {
                (false, _) => "running",
                (true, true) => "paused (prelaunch)",
                (true, false) => "paused",
            }
        ),
        ["version"] => concat!("7.2.0 (armvirt ", env!("CARGO_PKG_VERSION"), ")\n").into(),
        [] => HELP
            .lines()
            .filter(|l| l.starts_with("info "))
            .map(|l| format!("{l}\n"))
            .collect(),
        [what, ..] => format!("unknown command: 'info {what}'\n"),
    }
}

/// QEMU's `aarch64_cpu_dump_state` with CPU_DUMP_FPU, under HMP's `CPU#n` line.
fn registers(m: &Machine, n: usize, header: bool) -> String {
    let s = m.regs(n);
    let mut t = String::new();
    if header {
        let _ = writeln!(t, "\nCPU#{n}");
    }
    let _ = write!(t, " PC={:016x} ", s.pc);
    for i in 0..31 {
        let sep = if (i + 2) % 3 != 0 { " " } else { "\n" };
        let _ = write!(t, "X{i:02}={:016x}{sep}", s.x[i]);
    }
    let _ = writeln!(t, " SP={:016x}", s.x[31]);
    let psr = m.pstate(n) as u32;
    let flag = |bit: u32, c: char| if psr >> bit & 1 == 1 { c } else { '-' };
    let el = psr >> 2 & 3;
    let _ = write!(
        t,
        "PSTATE={psr:08x} {}{}{}{} EL{el}{}",
        flag(31, 'N'),
        flag(30, 'Z'),
        flag(29, 'C'),
        flag(28, 'V'),
        if psr & 1 == 1 { 'h' } else { 't' }
    );
    // CPACR_EL1.FPEN: 0b11 traps nothing, 0b01 only EL0, otherwise EL0 and EL1.
    let cpacr = sysreg(m, n, "CPACR_EL1");
    let fpen = cpacr >> 20 & 3;
    let fp_enabled = fpen == 3 || (fpen == 1 && el >= 1);
    if !fp_enabled {
        t.push_str("    FPU disabled\n");
        return t;
    }
    let _ = writeln!(t, "     FPCR={:08x} FPSR={:08x}", s.fpcr, s.fpsr);
    for (i, q) in s.v.iter().enumerate() {
        let sep = if i & 1 == 1 { "\n" } else { " " };
        let _ = write!(
            t,
            "Q{i:02}={:016x}:{:016x}{sep}",
            (q >> 64) as u64,
            *q as u64
        );
    }
    t
}

pub(crate) fn sysreg(m: &Machine, n: usize, name: &str) -> u64 {
    armvirt_cpu::sysreg::by_name(name)
        .and_then(|r| m.read_sysreg(n, r.enc))
        .unwrap_or(0)
}

/// QEMU's `* CPU #0: thread_id=N`, with the PC (armvirt's vCPUs share one thread) and the
/// state of a vCPU that is not running.
fn cpus(m: &Machine, current: usize) -> String {
    let mut t = String::new();
    for n in 0..m.vcpu_count() {
        let state = match m.vcpu_state(n) {
            VcpuState::Running => "",
            VcpuState::Halted => " (halted)",
            VcpuState::Off => " (off)",
        };
        let _ = writeln!(
            t,
            "{} CPU #{n}: pc=0x{:016x}{state} thread_id={}",
            if n == current { '*' } else { ' ' },
            m.regs(n).pc,
            std::process::id()
        );
    }
    t
}

/// The memory map in QEMU's `info mtree` layout: RAM and every device on the bus.
fn mtree(m: &Machine) -> String {
    let mut regions: Vec<(u64, u64, &str, &str)> = m
        .bus
        .mappings()
        .map(|map| (map.base, map.size, "i/o", qemu_name(map.name)))
        .collect();
    regions.push((RAM_BASE, m.ram().size(), "ram", "mach-virt.ram"));
    regions.sort();
    let mut t = String::from(
        "address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n",
    );
    for (base, size, kind, name) in regions {
        let _ = writeln!(
            t,
            "    {base:016x}-{:016x} (prio 0, {kind}): {name}",
            base + size - 1
        );
    }
    t.push('\n');
    t
}

/// A bus device's name as QEMU's memory regions name it.
fn qemu_name(name: &'static str) -> &'static str {
    name.strip_suffix(" (empty)").unwrap_or(name)
}

/// The devices in QEMU's `info qtree` layout (their MMIO ranges).
fn qtree(m: &Machine) -> String {
    let mut t = String::from("bus: main-system-bus\n  type System\n");
    for map in m.bus.mappings() {
        let _ = writeln!(
            t,
            "  dev: {}, id \"\"\n    mmio {:016x}/{:016x}",
            qemu_name(map.name),
            map.base,
            map.size
        );
    }
    t
}

/// `x /fmt addr` (virtual, the current vCPU's view) and `xp /fmt addr` (physical).
fn examine(m: &mut Machine, mon: &mut Monitor, cmd: &str, line: &str) -> String {
    let rest = line.trim_start()[cmd.len()..].trim_start();
    let try_help = format!("Try \"help {cmd}\" for more information\n");
    let (f, expr) = match rest.strip_prefix('/') {
        Some(spec) => {
            let end = spec.find(char::is_whitespace).unwrap_or(spec.len());
            match memory_dump::parse_format(&spec[..end], mon.last) {
                Ok(f) => (f, &spec[end..]),
                Err(e) => return format!("{e}\n{try_help}"),
            }
        }
        None => (
            Format {
                count: 1,
                ..mon.last
            },
            rest,
        ),
    };
    // QEMU keeps a parsed format even when the address then fails.
    mon.last = f;
    let addr = match memory_dump::eval(m, mon.cpu, expr) {
        Ok(a) => a,
        Err(e) => return format!("{e}\n{try_help}"),
    };
    if f.letter == b'i' {
        return disassemble(m, mon.cpu, addr, f.count, cmd == "xp");
    }
    memory_dump::dump(m, mon.cpu, addr, f, cmd == "xp")
}

/// `count` instructions from `addr` (QEMU's `monitor_disas`), up to the first word that
/// cannot be read.
fn disassemble(m: &mut Machine, cpu: usize, addr: u64, count: u64, physical: bool) -> String {
    let mut t = String::new();
    let mut at = addr;
    for _ in 0..count {
        let mut word = [0u8; 4];
        let got = if physical {
            m.read_phys(at, &mut word)
        } else {
            m.read_virt(cpu, at, &mut word)
        };
        if got < word.len() {
            let _ = writeln!(t, "0x{at:08x}: unable to read memory");
            break;
        }
        t.push_str(&disas::line(at, u32::from_le_bytes(word)));
        at = at.wrapping_add(4);
    }
    t
}
