//! The machine's debug interface, for the GDB stub (`stub/`): registers of a vCPU, memory by
//! virtual address through a vCPU's current translation regime or by physical address,
//! breakpoints and watchpoints checked by the executor, single step, and a run loop that
//! stops at either or after a bounded slice so the debugger can look at its socket.
//!
//! Nothing here changes what the guest can observe: translations for the debugger go
//! through `Cpu::translate_debug`, which neither fills the TLB nor reports a fault to the
//! guest; breakpoints are address matches, never patched instructions; the debugger's own
//! memory accesses never trigger a watchpoint (they do not go through the vCPU's memory
//! path, which is where watchpoints are checked).

use crate::console::ConsoleInput;
use crate::machine::Machine;
use crate::run::{Round, RunEnd, Slice, Stop};
use crate::vcpu::{Power, Vcpu};
use armvirt_cpu::mmu::{Fault, Translation};
use armvirt_cpu::state::CpuState;
use armvirt_cpu::{Exit, Mem, WatchHit, WatchKind};
use std::time::Duration;

/// Why a debug run handed control back to the debugger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DebugRun {
    /// The slice ran out; nothing happened that the debugger must hear about.
    Slice,
    /// vCPU `vcpu` is at a breakpoint; the instruction there has not run.
    Breakpoint { vcpu: usize },
    /// vCPU `vcpu`'s instruction at its PC makes an access `hit` names; it has not taken
    /// effect (gdb steps it with its watchpoints removed, then compares values).
    Watchpoint { vcpu: usize, hit: WatchHit },
    /// The run ended (power-off, reset, quit) or cannot go on.
    End(Result<RunEnd, Stop>),
}

/// What a vCPU is doing, as a debugger lists it (QEMU's `info threads` shows
/// `CPU#n [running]` or `[halted ]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VcpuState {
    Running,
    /// Waiting in WFI for an interrupt.
    Halted,
    /// Powered off (PSCI CPU_OFF, or a secondary not yet started by CPU_ON).
    Off,
}

/// Why the debugger could not write a system register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SysRegWrite {
    /// armvirt does not model the register.
    Unknown,
    /// The register is read-only (an ID register, CurrentEL, ...).
    ReadOnly,
}

/// One descriptor a translation table walk read: lookup level, its physical address and
/// its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkStep {
    pub level: u8,
    pub addr: u64,
    pub desc: u64,
}

/// What a debugger's single step did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DebugStep {
    /// The instruction ran (or took an exception), or the vCPU cannot run.
    Done,
    /// The instruction's access hits a watchpoint; it has not taken effect.
    Watchpoint(WatchHit),
    /// The step ended the run.
    End(Result<RunEnd, Stop>),
}

/// Granule the debugger's virtual accesses are translated in (the smallest page).
const DEBUG_PAGE: u64 = 1 << 12;

/// Longest host-time wait for console input while every vCPU idles under the debugger:
/// short, so the debugger's socket is looked at again within milliseconds (Ctrl-C).
const DEBUG_IDLE_WAIT: Duration = Duration::from_millis(2);

impl Machine {
    /// The parts of the machine an executor borrows, and the vCPUs beside them.
    fn split(&mut self) -> (Mem<'_>, &mut [Vcpu]) {
        let Machine {
            ram,
            bus,
            code,
            monitors,
            tlbi,
            vcpus,
            ..
        } = self;
        let mem = Mem {
            ram: ram.region(),
            bus,
            code,
            monitors,
            tlbi,
        };
        (mem, vcpus)
    }

    pub fn vcpu_count(&self) -> usize {
        self.vcpus.len()
    }

    /// vCPU `n`'s registers (x[31] is the current SP).
    pub fn regs(&self, n: usize) -> &CpuState {
        &self.vcpus[n].cpu.s
    }

    /// vCPU `n`'s registers, for writing. Use [`Machine::set_pstate`] for PSTATE, which
    /// also banks the stack pointer.
    pub fn regs_mut(&mut self, n: usize) -> &mut CpuState {
        self.debugger_writes();
        &mut self.vcpus[n].cpu.s
    }

    /// PSTATE of vCPU `n` in SPSR form (gdb's `cpsr`).
    pub fn pstate(&self, n: usize) -> u64 {
        self.vcpus[n].cpu.s.pstate_to_spsr()
    }

    /// Sets PSTATE of vCPU `n` from an SPSR-form value; false (and nothing changed) for a
    /// mode this core cannot be in (AArch32, EL2, EL3).
    pub fn set_pstate(&mut self, n: usize, spsr: u64) -> bool {
        self.debugger_writes();
        // spsr_to_pstate checks the mode before it changes anything.
        self.vcpus[n].cpu.s.spsr_to_pstate(spsr)
    }

    /// System register `enc` (op0:op1:CRn:CRm:op2, as MRS encodes it) of vCPU `n`, read as
    /// MRS reads it; `None` for a register armvirt does not model or cannot read.
    pub fn read_sysreg(&self, n: usize, enc: u16) -> Option<u64> {
        let read = armvirt_cpu::sysreg::lookup(enc)?.read?;
        Some(read(&self.vcpus[n].cpu))
    }

    /// Writes system register `enc` of vCPU `n` as MSR writes it (with its side effects),
    /// then drops vCPU `n`'s cached translations: a debugger changing translation
    /// registers means the new tables to apply at once.
    pub fn write_sysreg(&mut self, n: usize, enc: u16, v: u64) -> Result<(), SysRegWrite> {
        let def = armvirt_cpu::sysreg::lookup(enc).ok_or(SysRegWrite::Unknown)?;
        let write = def.write.ok_or(SysRegWrite::ReadOnly)?;
        self.debugger_writes();
        let cpu = &mut self.vcpus[n].cpu;
        write(cpu, v);
        cpu.mmu_context_changed();
        // A timer register may have raised or dropped the timer's line.
        self.gic.update_timer_ppis(n, &self.vcpus[n]);
        Ok(())
    }

    /// What vCPU `n` is doing.
    pub fn vcpu_state(&self, n: usize) -> VcpuState {
        let v = &self.vcpus[n];
        match (v.power, v.waiting()) {
            (Power::Off, _) => VcpuState::Off,
            (Power::On, true) => VcpuState::Halted,
            (Power::On, false) => VcpuState::Running,
        }
    }

    /// The translation of `va` for vCPU `n` now, with every descriptor the walk read
    /// (none with the MMU off), for a debugger's `monitor xlate`. Touches no TLB.
    pub fn translate_walk(
        &mut self,
        n: usize,
        va: u64,
    ) -> (Vec<WalkStep>, Result<Translation, Fault>) {
        let (mut m, vcpus) = self.split();
        let mut steps = Vec::new();
        let result = vcpus[n]
            .cpu
            .translate_debug_traced(&mut m, va, &mut |level, addr, desc| {
                steps.push(WalkStep { level, addr, desc })
            });
        (steps, result)
    }

    /// Whether vCPU `n` models system register `enc` (a readable one).
    pub fn has_sysreg(enc: u16) -> bool {
        armvirt_cpu::sysreg::lookup(enc).is_some_and(|r| r.read.is_some())
    }

    /// Reads memory at virtual address `va` as vCPU `n` sees it now. Returns how many
    /// bytes were read: fewer than `buf.len()` when the range runs into an address that
    /// does not translate or is not RAM (device registers are not read: reads have side
    /// effects there).
    pub fn read_virt(&mut self, n: usize, va: u64, buf: &mut [u8]) -> usize {
        self.access_virt(n, va, buf.len(), |m, pa, done, len| {
            read_ram(m, pa, &mut buf[done..done + len])
        })
    }

    /// Writes memory at virtual address `va` as vCPU `n` sees it now (decoded code and
    /// exclusive reservations on the written bytes are dropped). Returns how many bytes
    /// were written.
    pub fn write_virt(&mut self, n: usize, va: u64, data: &[u8]) -> usize {
        self.debugger_writes();
        self.guest_write_virt(n, va, data)
    }

    /// [`Machine::write_virt`] on the guest's behalf (semihosting): part of the run,
    /// which history replays.
    pub(crate) fn guest_write_virt(&mut self, n: usize, va: u64, data: &[u8]) -> usize {
        self.access_virt(n, va, data.len(), |m, pa, done, len| {
            write_ram(m, pa, &data[done..done + len])
        })
    }

    /// Reads RAM at physical address `pa`; returns how many bytes were read.
    pub fn read_phys(&mut self, pa: u64, buf: &mut [u8]) -> usize {
        let (mut m, _) = self.split();
        if read_ram(&mut m, pa, buf) {
            buf.len()
        } else {
            0
        }
    }

    /// Writes RAM at physical address `pa`; returns how many bytes were written.
    pub fn write_phys(&mut self, pa: u64, data: &[u8]) -> usize {
        self.debugger_writes();
        let (mut m, _) = self.split();
        if write_ram(&mut m, pa, data) {
            data.len()
        } else {
            0
        }
    }

    /// Splits `[va, va+len)` at page boundaries, translates each piece for vCPU `n` and
    /// hands it to `f(mem, pa, offset_in_range, piece_len)`; stops at the first piece
    /// that does not translate or that `f` refuses.
    fn access_virt(
        &mut self,
        n: usize,
        va: u64,
        len: usize,
        mut f: impl FnMut(&mut Mem<'_>, u64, usize, usize) -> bool,
    ) -> usize {
        let (mut m, vcpus) = self.split();
        let cpu = &vcpus[n].cpu;
        let mut done = 0;
        while done < len {
            let at = va.wrapping_add(done as u64);
            let in_page = (DEBUG_PAGE - (at & (DEBUG_PAGE - 1))) as usize;
            let piece = in_page.min(len - done);
            let Ok(t) = cpu.translate_debug(&mut m, at) else {
                break;
            };
            if !f(&mut m, t.pa, done, piece) {
                break;
            }
            done += piece;
        }
        done
    }

    /// Sets a breakpoint at virtual address `pc` on every vCPU.
    pub fn add_breakpoint(&mut self, pc: u64) {
        for v in &mut self.vcpus {
            v.cpu.breakpoints.insert(pc);
        }
    }

    /// Removes one breakpoint at `pc` from every vCPU; false if there was none.
    pub fn remove_breakpoint(&mut self, pc: u64) -> bool {
        let mut found = false;
        for v in &mut self.vcpus {
            found |= v.cpu.breakpoints.remove(pc);
        }
        found
    }

    /// Sets a watchpoint on `[addr, addr+len)` for accesses of `kind` on every vCPU.
    pub fn add_watchpoint(&mut self, addr: u64, len: u64, kind: WatchKind) {
        for v in &mut self.vcpus {
            v.cpu.watchpoints.insert(addr, len, kind);
        }
    }

    /// Removes one such watchpoint from every vCPU; false if there was none.
    pub fn remove_watchpoint(&mut self, addr: u64, len: u64, kind: WatchKind) -> bool {
        let mut found = false;
        for v in &mut self.vcpus {
            found |= v.cpu.watchpoints.remove(addr, len, kind);
        }
        found
    }

    /// Removes every breakpoint and watchpoint (a debugger went away without removing its
    /// own).
    pub fn clear_breakpoints(&mut self) {
        for v in &mut self.vcpus {
            v.cpu.breakpoints = Default::default();
            v.cpu.watchpoints.clear();
        }
    }

    /// Whether vCPU `n`'s PC is at a breakpoint.
    pub fn at_breakpoint(&self, n: usize) -> bool {
        let cpu = &self.vcpus[n].cpu;
        cpu.breakpoints.contains(cpu.s.pc)
    }

    /// Executes one instruction on vCPU `n` (the others stay), ignoring breakpoints (so
    /// a debugger can step off one), on the machine's clock as a run slice would
    /// (`run.rs`). Interrupts are not taken unless `irqs` (QEMU steps with SSTEP_NOIRQ by
    /// default); with `irqs` a pending unmasked one is the step, which stops at its
    /// vector. Watchpoints are checked: a hit stops the step before the instruction takes
    /// effect, except on the instruction the vCPU already stopped at for one. A vCPU that
    /// is off or waiting does not move.
    pub fn debug_step(&mut self, n: usize, irqs: bool) -> DebugStep {
        let step = self.step_unjournaled(n, irqs);
        let watch = match step {
            DebugStep::Watchpoint(hit) => Some(hit),
            _ => None,
        };
        self.note_step(n, irqs, watch);
        step
    }

    /// [`Machine::debug_step`] without a journal entry: a replay of history repeats the
    /// steps that were journaled. A step is a scheduling epoch of its own.
    pub(crate) fn step_unjournaled(&mut self, n: usize, irqs: bool) -> DebugStep {
        self.epoch += 1;
        if !self.runnable(n) {
            return DebugStep::Done;
        }
        match self.slice(n, Slice::Step { irqs }) {
            Exit::Watchpoint => match self.vcpus[n].cpu.watchpoints.pending() {
                Some(hit) => DebugStep::Watchpoint(hit),
                None => DebugStep::Done,
            },
            // A reset reboots (unless -no-reboot) as in a run.
            exit => match self.on_exit(n, exit).map(|end| self.finish(end)) {
                Some(Round::End(end)) => DebugStep::End(end),
                _ => DebugStep::Done,
            },
        }
    }

    /// Runs up to `rounds` scheduling rounds (the run loop's own, `run.rs`), stopping
    /// early at a breakpoint or watchpoint. A round is at most a quantum of instructions per vCPU, well
    /// under a millisecond, so a debugger checking its socket between calls notices
    /// Ctrl-C promptly.
    pub fn debug_run(&mut self, input: &mut ConsoleInput, rounds: u32) -> DebugRun {
        for _ in 0..rounds {
            let round = self.round(input, DEBUG_IDLE_WAIT);
            self.note_round(&round);
            match round {
                Round::Continue => {}
                // Idle waited in host time: give the debugger its turn.
                Round::Idle | Round::Paused => return DebugRun::Slice,
                Round::Breakpoint { vcpu } => return DebugRun::Breakpoint { vcpu },
                Round::Watchpoint { vcpu, hit } => return DebugRun::Watchpoint { vcpu, hit },
                Round::End(end) => return DebugRun::End(end),
            }
        }
        DebugRun::Slice
    }
}

fn read_ram(m: &mut Mem<'_>, pa: u64, buf: &mut [u8]) -> bool {
    match m.ram.offset(pa, buf.len() as u64) {
        Some(off) => {
            m.ram.read_bytes(off, buf);
            true
        }
        None => false,
    }
}

fn write_ram(m: &mut Mem<'_>, pa: u64, data: &[u8]) -> bool {
    match m.ram.offset(pa, data.len() as u64) {
        Some(off) => {
            m.ram.write_bytes(off, data);
            m.code.note_write(pa, data.len() as u64);
            m.monitors.note_write(pa, data.len() as u64);
            true
        }
        None => false,
    }
}

#[cfg(test)]
#[path = "debug_tests.rs"]
mod tests;
