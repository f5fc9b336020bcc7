//! The interpreter's execution loop over decoded basic blocks, and the cache of those blocks.
//!
//! Blocks are keyed by the *physical* address of their first instruction, never cross a
//! page, and end after any instruction whose table row says so (branches, exception
//! generation, system instructions). A store to a page that holds decoded code drops that
//! page's blocks (`code_cache.rs`), so self-modifying and freshly loaded code is always seen.

use crate::code_cache::PAGE_SHIFT;
pub use crate::code_cache::{Block, CodeCache};
use crate::cpu::Cpu;
use crate::decode::{self, Decoded};
use crate::exception::Exception;
use crate::insn::Insn;
use crate::mem::{Access, Mem};
use std::rc::Rc;

/// What a handler tells the executor.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Go on with the next instruction (PC + 4).
    Next,
    /// The handler wrote the PC (a taken branch, ERET): leave the block.
    Jump,
    /// Take this synchronous exception.
    Exception(Exception),
    /// Hand control back to the machine.
    Exit(Exit),
}

/// Why the executor returned to the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The instruction budget ran out.
    Budget,
    /// HVC #imm at EL1: a firmware call (PSCI). The PC is already past the HVC.
    Hvc(u16),
    /// SMC #imm: a firmware call. The PC is already past the SMC.
    Smc(u16),
    /// WFI: the vCPU waits for an interrupt. The PC is already past the WFI.
    Wfi,
    /// `HLT #0xF000` with semihosting on for the current EL (`Cpu::semihosting`): a call
    /// for the host, operation in W0, parameter in X1, result to X0. The PC is already
    /// past the HLT, where QEMU resumes.
    Semihosting,
    /// WFE with the event register clear: the vCPU waits for an event or a WFE wake-up
    /// interrupt (`event.rs`). The PC is already past the WFE.
    Wfe,
    /// The PC reached a debugger breakpoint, or the instruction count reached time
    /// travel's stop (`replay.rs`); the instruction there has not run.
    Breakpoint,
    /// An access hit a debugger watchpoint (`watch.rs`; the hit is
    /// `watchpoints.pending()`); the PC is on the accessing instruction, which has not
    /// taken effect. Running or stepping on executes it. (No payload: a small `Exit`
    /// keeps every handler's `Flow` small.)
    Watchpoint,
}

/// Debugger breakpoints: PC values checked by the executor before each instruction, so
/// guest memory is never patched and an address works before it is mapped. A multiset,
/// as gdb may put a software and a hardware breakpoint on the same address.
#[derive(Clone, Debug, Default)]
pub struct Breakpoints(Vec<u64>);

impl Breakpoints {
    pub fn insert(&mut self, pc: u64) {
        self.0.push(pc);
    }

    /// Removes one breakpoint at `pc`; false if there was none.
    pub fn remove(&mut self, pc: u64) -> bool {
        match self.0.iter().position(|&a| a == pc) {
            Some(i) => {
                self.0.swap_remove(i);
                true
            }
            None => false,
        }
    }

    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    #[inline(always)]
    pub fn contains(&self, pc: u64) -> bool {
        self.0.contains(&pc)
    }
}

/// Most instructions in one decoded block.
pub const MAX_BLOCK: usize = 64;

impl Cpu {
    /// Runs until `budget` instructions have retired (finishing the current block) or an
    /// instruction hands control back.
    pub fn run(&mut self, m: &mut Mem<'_>, budget: u64) -> Exit {
        // Off a watchpoint hit first: that instruction runs once unwatched.
        if let Some(set) = self.take_pending_watch() {
            let exit = self.step_one(m, false);
            self.restore_watch(set);
            if let Some(x) = exit {
                return x;
            }
        }
        if self.engine == crate::jit::Engine::Jit {
            return self.run_jit(m, budget);
        }
        // Two instances of one loop: the breakpoint check costs nothing when none is set.
        if self.breakpoints.is_empty() && !self.replay.active() {
            self.run_blocks::<false>(m, budget)
        } else {
            self.run_blocks::<true>(m, budget)
        }
    }

    /// The execution loop; with `BREAKPOINTS`, the PC is checked before each instruction
    /// and the loop stops before one that is at a breakpoint.
    #[inline(always)]
    fn run_blocks<const BREAKPOINTS: bool>(&mut self, m: &mut Mem<'_>, budget: u64) -> Exit {
        let end = self.icount.saturating_add(budget);
        // Other vCPUs' TLBI ...IS since this one last ran take effect now.
        self.tlb.sync(m.tlbi);
        while self.icount < end {
            if self.lines.any() {
                self.take_pending_interrupt();
            }
            if let Some(x) = self.interp_block::<BREAKPOINTS>(m) {
                return x;
            }
        }
        Exit::Budget
    }

    /// Fetches and interprets the block at the PC (the loop's body after the interrupt
    /// check; the JIT's dispatcher uses it for code it does not translate).
    #[inline(always)]
    pub(crate) fn interp_block<const BREAKPOINTS: bool>(
        &mut self,
        m: &mut Mem<'_>,
    ) -> Option<Exit> {
        if BREAKPOINTS && self.stop_before_fetch() {
            return Some(Exit::Breakpoint);
        }
        let block = match self.fetch_block(m) {
            Ok(b) => b,
            Err(e) => {
                // A faulting fetch counts as a step, so a guest caught in an
                // exception loop still runs out of budget.
                self.icount += 1;
                self.take_exception(e);
                return None;
            }
        };
        for d in block.iter() {
            if BREAKPOINTS && self.debug_stop() {
                return Some(Exit::Breakpoint);
            }
            self.icount += 1;
            match (d.exec)(self, m, d.insn) {
                Flow::Next => self.s.pc = self.s.pc.wrapping_add(4),
                Flow::Jump => break,
                Flow::Exception(e) => {
                    if self.watch_stop(&e) {
                        return Some(Exit::Watchpoint);
                    }
                    self.take_exception(e);
                    break;
                }
                Flow::Exit(x) => return Some(x),
            }
        }
        None
    }

    /// Executes exactly one instruction (the debugger's single step). With `irqs`, a
    /// pending unmasked interrupt is taken first and is the step: the PC stops at its
    /// vector entry. Without, interrupts wait (QEMU's default `SSTEP_NOIRQ`). Breakpoints
    /// are not checked; watchpoints are, except on the instruction the vCPU stopped at for
    /// one.
    pub fn step(&mut self, m: &mut Mem<'_>, irqs: bool) -> Option<Exit> {
        match self.take_pending_watch() {
            Some(set) => {
                let exit = self.step_one(m, irqs);
                self.restore_watch(set);
                exit
            }
            None => self.step_one(m, irqs),
        }
    }

    fn step_one(&mut self, m: &mut Mem<'_>, irqs: bool) -> Option<Exit> {
        self.tlb.sync(m.tlbi);
        if irqs && self.lines.any() && self.take_pending_interrupt() {
            return None;
        }
        let d = match self.fetch_one(m) {
            Ok(d) => d,
            Err(e) => {
                self.take_exception(e);
                return None;
            }
        };
        self.icount += 1;
        match (d.exec)(self, m, d.insn) {
            Flow::Next => self.s.pc = self.s.pc.wrapping_add(4),
            Flow::Jump => {}
            Flow::Exception(e) if self.watch_stop(&e) => return Some(Exit::Watchpoint),
            Flow::Exception(e) => self.take_exception(e),
            Flow::Exit(x) => return Some(x),
        }
        None
    }

    /// Takes the highest-priority unmasked asynchronous exception, if any (SError, then FIQ,
    /// then IRQ). PSTATE.{A,I,F} mask them at EL1 and, for these EL1-targeted
    /// interrupts, at EL0 too (Arm ARM D1.11.1). True if one was taken.
    pub(crate) fn take_pending_interrupt(&mut self) -> bool {
        use crate::exception::vector;
        use crate::state::{DAIF_A, DAIF_F, DAIF_I};
        let daif = self.s.daif;
        let kind = if self.lines.serror() && daif & DAIF_A == 0 {
            self.sys.esr_el1 = (crate::exception::ec::SERROR as u64) << 26;
            vector::SERROR
        } else if self.lines.fiq() && daif & DAIF_F == 0 {
            vector::FIQ
        } else if self.lines.irq() && daif & DAIF_I == 0 {
            vector::IRQ
        } else {
            return false;
        };
        self.take_interrupt(kind);
        true
    }

    fn fetch_one(&mut self, m: &mut Mem<'_>) -> Result<Decoded, Exception> {
        let pc = self.s.pc;
        if pc & 3 != 0 {
            return Err(self.pc_alignment_fault());
        }
        let pa = self.translate(m, pc, Access::Fetch)?;
        let word = m.read_phys(pa, 4).ok_or_else(|| self.fetch_abort(pc))?;
        Ok(decode::decode(word as u32))
    }

    /// The decoded block at the current PC, from the cache or freshly decoded.
    fn fetch_block(&mut self, m: &mut Mem<'_>) -> Result<Block, Exception> {
        let pc = self.s.pc;
        if pc & 3 != 0 {
            return Err(self.pc_alignment_fault());
        }
        let pa = self.translate(m, pc, Access::Fetch)?;
        if let Some(b) = m.code.get(pa) {
            return Ok(b.clone());
        }
        let Some(_) = m.ram.offset(pa, 4) else {
            // Code outside RAM (a device, flash) is not cached: one instruction at a time.
            let word = m.read_phys(pa, 4).ok_or_else(|| self.fetch_abort(pc))?;
            return Ok(Rc::from([decode::decode(word as u32)]));
        };
        let block = self.decode_block(m, pa);
        m.code.insert(&m.ram, pa, block.clone());
        Ok(block)
    }

    /// Decodes the block at physical address `pa` (in RAM): up to the page's end, the
    /// block length limit, or an instruction that ends blocks.
    pub(crate) fn decode_block(&self, m: &Mem<'_>, pa: u64) -> Block {
        let page_end = (pa | ((1 << PAGE_SHIFT) - 1)) + 1;
        let mut insns = Vec::with_capacity(16);
        let mut a = pa;
        while a < page_end && insns.len() < MAX_BLOCK {
            let Some(off) = m.ram.offset(a, 4) else { break };
            let d = decode::decode(m.ram.load(off, 4) as u32);
            insns.push(d);
            a += 4;
            if d.ends_block() {
                break;
            }
        }
        Rc::from(insns)
    }

    pub(crate) fn pc_alignment_fault(&self) -> Exception {
        Exception {
            ec: crate::exception::ec::PC_ALIGN,
            iss: 0,
            far: Some(self.s.pc),
            return_next: false,
        }
    }

    /// An instruction abort for a fetch the bus could not serve (IFSC external abort).
    fn fetch_abort(&self, pc: u64) -> Exception {
        let class = if self.s.el == 0 {
            crate::exception::ec::IABT_LOWER
        } else {
            crate::exception::ec::IABT_CUR
        };
        Exception {
            ec: class,
            iss: crate::exception::fsc::SYNC_EXTERNAL,
            far: Some(pc),
            return_next: false,
        }
    }
}

/// Describes an instruction for diagnostics: its encoding and decoded class.
pub fn describe(insn: u32) -> String {
    let d = decode::decode(insn);
    format!("{:#010x} ({})", Insn(insn).0, d.name())
}

#[cfg(test)]
#[path = "exec_tests.rs"]
mod tests;
