//! `monitor` commands (the `qRcmd` packet): what QEMU's monitor offers a kernel debugger
//! through gdb, and more. Each command returns its text; gdb prints it on its console.
//! A command that is not understood answers with a line saying so, never an error that
//! ends the session. Commands act on the vCPU that stopped last, or the one `cpu N`
//! chose (as in QEMU's monitor).

use crate::target::DebugTarget;
use armvirt_cpu::mmu::{perm, FaultKind, Translation};
use armvirt_cpu::state::{DAIF_A, DAIF_D, DAIF_F, DAIF_I};
use armvirt_cpu::sysreg;
use armvirt_machine::config::parse_address;
use armvirt_machine::{Machine, VcpuState, WalkStep};
use gdbstub::target::ext::monitor_cmd::{ConsoleOutput, MonitorCmd};
use std::fmt::Write;

const HELP: &str = "\
armvirt monitor commands:
  help                 this list
  cpu N                act on vCPU N (thread N+1) from now on (now: {cpu})
  info registers       general, PSTATE and system registers
  info mmu             the translation regime: SCTLR/TCR/TTBRn/MAIR decoded
  xlate VA             translate VA as the vCPU would now, showing the walk
                       (also: translate VA)
  phys on|off          gdb memory accesses by physical address (now: {phys})
  stepirq on|off       let single steps take pending interrupts (now: {stepirq})
  system_reset         reset the machine as PSCI SYSTEM_RESET would; gdb stays
  savevm FILE          save the whole machine to FILE (start from it: -loadvm FILE)
  quit                 exit armvirt
";

/// The system registers `info registers` shows, in this order.
const SYSREGS: [&str; 20] = [
    "SCTLR_EL1",
    "TCR_EL1",
    "TTBR0_EL1",
    "TTBR1_EL1",
    "MAIR_EL1",
    "VBAR_EL1",
    "ESR_EL1",
    "FAR_EL1",
    "ELR_EL1",
    "SPSR_EL1",
    "PAR_EL1",
    "CPACR_EL1",
    "TPIDR_EL0",
    "TPIDRRO_EL0",
    "TPIDR_EL1",
    "CONTEXTIDR_EL1",
    "CNTV_CTL_EL0",
    "CNTV_CVAL_EL0",
    "MIDR_EL1",
    "MPIDR_EL1",
];

/// SCTLR_EL1 and TCR_EL1 fields `info mmu` decodes (Arm ARM D17.2.118, D17.2.131).
mod bits {
    pub const SCTLR_M: u64 = 1 << 0;
    pub const SCTLR_C: u64 = 1 << 2;
    pub const SCTLR_I: u64 = 1 << 12;
    pub const SCTLR_WXN: u64 = 1 << 19;
    pub const TCR_EPD0: u64 = 1 << 7;
    pub const TCR_EPD1: u64 = 1 << 23;
    pub const TCR_A1: u64 = 1 << 22;
    pub const TCR_AS: u64 = 1 << 36;
    pub const TCR_TBI0: u64 = 1 << 37;
    pub const TCR_TBI1: u64 = 1 << 38;
    pub const TCR_T0SZ_SHIFT: u32 = 0;
    pub const TCR_T1SZ_SHIFT: u32 = 16;
    pub const TCR_TG0_SHIFT: u32 = 14;
    pub const TCR_TG1_SHIFT: u32 = 30;
    pub const TCR_IPS_SHIFT: u32 = 32;
}

impl MonitorCmd for DebugTarget<'_> {
    fn handle_monitor_cmd(&mut self, cmd: &[u8], mut out: ConsoleOutput<'_>) -> Result<(), String> {
        let cmd = String::from_utf8_lossy(cmd);
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let text = self.command(&words);
        let _ = out.write_str(&text);
        if self.quit {
            // Ends the session; the server then ends the emulator.
            return Err("quit from gdb (monitor quit)".into());
        }
        Ok(())
    }
}

impl DebugTarget<'_> {
    /// Runs one monitor command; returns what to print.
    pub(crate) fn command(&mut self, words: &[&str]) -> String {
        let n = self.monitor_vcpu.unwrap_or(self.vcpu);
        match words {
            [] | ["help"] | ["?"] => HELP
                .replace("{cpu}", &n.to_string())
                .replace("{phys}", on_off(self.settings.phys))
                .replace("{stepirq}", on_off(self.settings.step_irqs)),
            ["info", "registers"] | ["info", "reg"] => registers(self.machine, n),
            ["info", "mmu"] | ["info", "tlb"] => mmu(self.machine, n),
            ["cpu", i] => match i.parse::<usize>() {
                Ok(i) if i < self.machine.vcpu_count() => {
                    self.monitor_vcpu = Some(i);
                    format!("monitor commands now act on CPU#{i} (thread {})\n", i + 1)
                }
                _ => format!(
                    "no CPU '{i}': the CPUs are 0 to {}\n",
                    self.machine.vcpu_count() - 1
                ),
            },
            ["xlate" | "translate", va] => match parse_address(va) {
                Ok(va) => xlate(self.machine, n, va),
                // gdb passes the words as typed: expressions are not evaluated.
                Err(_) => format!(
                    "'{va}' is not a number; for an expression use gdb's eval: \
                     eval \"monitor xlate %#lx\", {va}\n"
                ),
            },
            ["phys"] => format!("phys is {}\n", on_off(self.settings.phys)),
            ["phys", v] => match switch(v) {
                Some(on) => {
                    self.settings.phys = on;
                    format!(
                        "gdb memory accesses now use {} addresses\n",
                        if on { "physical" } else { "virtual" }
                    )
                }
                None => "usage: phys on|off\n".into(),
            },
            ["stepirq"] => format!("stepirq is {}\n", on_off(self.settings.step_irqs)),
            ["stepirq", v] => match switch(v) {
                Some(on) => {
                    self.settings.step_irqs = on;
                    if on {
                        "single steps now take pending interrupts (stopping at the vector)\n".into()
                    } else {
                        "single steps now leave interrupts pending\n".into()
                    }
                }
                None => "usage: stepirq on|off\n".into(),
            },
            ["system_reset"] => self.system_reset(),
            ["savevm", file] => match self.machine.save_vm(std::path::Path::new(file)) {
                Ok(size) => format!("saved the machine to {file} ({} KiB)\n", size >> 10),
                Err(e) => format!("savevm: {e}\n"),
            },
            ["quit" | "q"] => {
                self.quit = true;
                String::new()
            }
            _ => format!(
                "unknown command '{}'; 'monitor help' lists the commands\n",
                words.join(" ")
            ),
        }
    }

    fn system_reset(&mut self) -> String {
        match self.machine.reset() {
            Ok(()) => {
                self.vcpu = 0;
                format!(
                    "machine reset (vCPU 0 at pc {:#x}); gdb still shows the old registers: \
                     'flushregs' reads them again\n",
                    self.machine.regs(0).pc
                )
            }
            Err(e) => format!("reset failed: {e}\n"),
        }
    }
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

fn switch(word: &str) -> Option<bool> {
    match word {
        "on" | "1" => Some(true),
        "off" | "0" => Some(false),
        _ => None,
    }
}

fn sysreg(machine: &Machine, n: usize, name: &str) -> u64 {
    sysreg::by_name(name)
        .and_then(|r| machine.read_sysreg(n, r.enc))
        .unwrap_or(0)
}

/// QEMU's `info registers` layout (X registers three to a line, PSTATE decoded), then the
/// system registers.
fn registers(machine: &Machine, n: usize) -> String {
    let s = machine.regs(n);
    let state = match machine.vcpu_state(n) {
        VcpuState::Running => "running",
        VcpuState::Halted => "halted in WFI",
        VcpuState::Off => "off",
    };
    let mut t = format!("CPU#{n} (thread {}) {state}\n", n + 1);
    let _ = writeln!(t, " PC={:016x} SP={:016x}", s.pc, s.x[31]);
    for i in 0..31 {
        let _ = write!(t, "X{i:02}={:016x}", s.x[i]);
        t.push(if i % 3 == 2 || i == 30 { '\n' } else { ' ' });
    }
    let pstate = machine.pstate(n);
    let _ = writeln!(t, "PSTATE={pstate:08x} {}", pstate_text(pstate));
    let mut regs: Vec<(String, u64)> = SYSREGS
        .iter()
        .map(|name| (name.to_string(), sysreg(machine, n, name)))
        .collect();
    regs.insert(10, ("SP_EL0".into(), s.sp_el(0)));
    regs.insert(11, ("SP_EL1".into(), s.sp_el(1)));
    regs.insert(12, ("CurrentEL".into(), (s.el as u64) << 2));
    regs.insert(13, ("DAIF".into(), s.daif as u64));
    for (i, (name, v)) in regs.iter().enumerate() {
        let _ = write!(t, "{name:>14}={v:016x}");
        t.push(if i % 3 == 2 { '\n' } else { ' ' });
    }
    if !t.ends_with('\n') {
        t.push('\n');
    }
    t
}

/// `-ZC- EL1h D A I F` for an SPSR-form PSTATE: flags, EL and stack, masked exceptions.
fn pstate_text(p: u64) -> String {
    let flag = |bit: u32, c: char| if p >> bit & 1 == 1 { c } else { '-' };
    let el = p >> 2 & 3;
    let sp = if el == 0 {
        't'
    } else if p & 1 == 1 {
        'h'
    } else {
        't'
    };
    let mut t = format!(
        "{}{}{}{} EL{el}{sp}",
        flag(31, 'N'),
        flag(30, 'Z'),
        flag(29, 'C'),
        flag(28, 'V')
    );
    let masked: Vec<&str> = [(DAIF_D, "D"), (DAIF_A, "A"), (DAIF_I, "I"), (DAIF_F, "F")]
        .iter()
        .filter(|(bit, _)| p & *bit as u64 != 0)
        .map(|(_, name)| *name)
        .collect();
    if !masked.is_empty() {
        let _ = write!(t, " masked: {}", masked.join(" "));
    }
    t
}

/// The regime's controls decoded: on/off, each half's size, granule and table base, the
/// output size, ASIDs and MAIR's attributes.
fn mmu(machine: &Machine, n: usize) -> String {
    use bits::*;
    let sctlr = sysreg(machine, n, "SCTLR_EL1");
    let tcr = sysreg(machine, n, "TCR_EL1");
    let mair = sysreg(machine, n, "MAIR_EL1");
    let yes = |v: u64, bit: u64| on_off(v & bit != 0);
    let mut t = format!(
        "CPU#{n}: MMU {} (SCTLR_EL1={sctlr:#x}: C {} I {} WXN {})\n",
        yes(sctlr, SCTLR_M),
        yes(sctlr, SCTLR_C),
        yes(sctlr, SCTLR_I),
        yes(sctlr, SCTLR_WXN)
    );
    let ips = match tcr >> TCR_IPS_SHIFT & 7 {
        0 => 32,
        1 => 36,
        2 => 40,
        3 => 42,
        4 => 44,
        _ => 48,
    };
    let _ = writeln!(
        t,
        "TCR_EL1={tcr:#x}: {ips}-bit PA, {}-bit ASID from TTBR{}",
        if tcr & TCR_AS != 0 { 16 } else { 8 },
        if tcr & TCR_A1 != 0 { 1 } else { 0 }
    );
    for half in 0..2u32 {
        let (sz, tg, epd, tbi, name) = if half == 0 {
            (
                tcr >> TCR_T0SZ_SHIFT & 63,
                tcr >> TCR_TG0_SHIFT & 3,
                TCR_EPD0,
                TCR_TBI0,
                "TTBR0_EL1",
            )
        } else {
            (
                tcr >> TCR_T1SZ_SHIFT & 63,
                tcr >> TCR_TG1_SHIFT & 3,
                TCR_EPD1,
                TCR_TBI1,
                "TTBR1_EL1",
            )
        };
        let granule = match (half, tg) {
            (0, 1) | (1, 3) => "64K",
            (0, 2) | (1, 1) => "16K",
            _ => "4K",
        };
        let ttbr = sysreg(machine, n, name);
        let _ = writeln!(
            t,
            "{name}={ttbr:#018x}: ASID {:#x}, table {:#x}, {}-bit VA, {granule} granule, walks {}, top byte {}",
            ttbr >> 48,
            ttbr & 0x0000_ffff_ffff_fffe,
            // The walker clamps TxSZ as QEMU does (`walk.rs`).
            (64 - sz).clamp(25, 48),
            if tcr & epd != 0 { "disabled" } else { "enabled" },
            if tcr & tbi != 0 { "ignored" } else { "checked" }
        );
    }
    let _ = write!(t, "MAIR_EL1={mair:#x}:");
    for i in 0..8 {
        let attr = (mair >> (8 * i)) as u8;
        let _ = write!(t, " {i}={attr:#04x}({})", attr_name(attr));
    }
    t.push('\n');
    t
}

/// A MAIR attribute byte, briefly (Arm ARM D17.2.97).
fn attr_name(attr: u8) -> &'static str {
    match attr {
        0x00 => "Device-nGnRnE",
        0x04 => "Device-nGnRE",
        0x08 => "Device-nGRE",
        0x0c => "Device-GRE",
        0x44 => "Normal-NC",
        0xff => "Normal-WB",
        0xbb => "Normal-WT",
        a if a >> 4 == 0 => "Device",
        _ => "Normal",
    }
}

/// The walk for `va`: each descriptor, then the PA and attributes, or the fault.
fn xlate(machine: &mut Machine, n: usize, va: u64) -> String {
    let (steps, result) = machine.translate_walk(n, va);
    let mut t = format!("CPU#{n}: VA {va:#018x}\n");
    if steps.is_empty() && result.is_ok() {
        t.push_str("  MMU off: PA = VA\n");
    }
    for WalkStep { level, addr, desc } in &steps {
        let kind = if desc & 1 == 0 {
            "invalid"
        } else if *level == 3 {
            "page"
        } else if desc & 2 != 0 {
            "table"
        } else {
            "block"
        };
        let _ = writeln!(
            t,
            "  L{level} descriptor at PA {addr:#x} = {desc:#018x} ({kind})"
        );
    }
    match result {
        Ok(tr) => t.push_str(&translation(&tr)),
        Err(f) => {
            let kind = match f.kind {
                FaultKind::AddressSize => "address size fault",
                FaultKind::Translation => "translation fault",
                FaultKind::AccessFlag => "access flag fault",
                FaultKind::Permission => "permission fault",
                FaultKind::ExternalWalk => "external abort on the walk",
            };
            let _ = writeln!(t, "  -> {kind} at level {}", f.level);
        }
    }
    t
}

fn translation(tr: &Translation) -> String {
    let p = |bit: u8, c: char| if tr.perms & bit != 0 { c } else { '-' };
    let size = match tr.size_log2 {
        s @ 30.. => format!("{}G", 1u64 << (s - 30)),
        s @ 20.. => format!("{}M", 1u64 << (s - 20)),
        s => format!("{}K", 1u64 << (s - 10)),
    };
    let sh = match tr.sh {
        0 => "non-shareable",
        2 => "outer shareable",
        3 => "inner shareable",
        _ => "reserved",
    };
    format!(
        "  -> PA {:#x} ({size} at level {}), attr {:#04x} ({}), {sh}, EL1 {}{}{} EL0 {}{}{}{}\n",
        tr.pa,
        tr.level,
        tr.attr,
        attr_name(tr.attr),
        p(perm::R1, 'r'),
        p(perm::W1, 'w'),
        p(perm::X1, 'x'),
        p(perm::R0, 'r'),
        p(perm::W0, 'w'),
        p(perm::X0, 'x'),
        if tr.global {
            ", global"
        } else {
            ", non-global"
        }
    )
}
