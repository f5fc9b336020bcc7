//! The JIT: decoded blocks (the same [`Decoded`] rows the interpreter runs) translated to
//! x86-64, with the interpreter as the reference it must never differ from.
//!
//! - Every instruction is covered: one the translator does not compile natively becomes a
//!   call to the interpreter's own handler with guest state in memory (`helpers.rs`).
//! - Blocks are the interpreter's blocks (same start, same end), and interrupts, budget
//!   and debugger stops are looked at only between blocks, as the interpreter does: so
//!   both retire the same instructions between the same events and the guest cannot tell
//!   them apart (`tests.rs` runs every CPU test on both and in lockstep).
//! - Translations are keyed by the block's virtual address and [`mode`]: the state the
//!   code was specialised for (EL, alignment checking). A block is used only after the
//!   fetch translates to the physical address it was made from.
//! - A direct branch to the same 4 KiB page is chained: patched to jump straight into the
//!   next block's checked entry, which tests the budget and interrupt lines (QEMU's TB
//!   prologue). Within one page the translation cannot change between blocks, since
//!   everything that changes it (MSR, TLBI, ERET, exceptions) ends a chain.
//! - Stores to a page holding code drop its blocks and their links (`code_cache.rs`); the
//!   block running finishes the instructions it had, as the interpreter's does.
//!
//! Files: `buffer.rs` (executable memory), `emit.rs` (the only place with x86 encodings),
//! `translate.rs` (a block's frame), `helpers.rs` (what generated code calls), and one
//! file per encoding group, named as the interpreter's: `dp_imm.rs`, `dp_reg.rs`,
//! `branch.rs`, `load_store.rs`, `system.rs`; `regs.rs` keeps guest registers in host ones.

mod branch;
mod buffer;
mod dp_imm;
mod dp_reg;
mod emit;
mod helpers;
mod load_store;
mod regs;
pub mod stats;
mod system;
mod translate;

#[cfg(test)]
mod tests;

use crate::code_cache::AddrHasher;
use crate::code_cache::{Block, PAGE_SHIFT};
use crate::cpu::Cpu;
use crate::exec::Exit;
use crate::mem::{Access, Mem};
use buffer::{CodeBuffer, CODE_BUFFER_SIZE};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// Which executor runs guest code. The guest cannot tell them apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Engine {
    /// Translated blocks of x86-64 code.
    #[default]
    Jit,
    /// The reference interpreter.
    Interp,
}

/// What a block is specialised for; part of its key. Changes only through instructions
/// that end chains (MSR, exceptions, ERET), so chained blocks share it.
pub fn mode(cpu: &Cpu) -> u32 {
    use crate::interp::load_store::{SCTLR_A, SCTLR_SA, SCTLR_SA0};
    let sctlr = cpu.sys.sctlr_el1;
    let sp_check = if cpu.s.el == 0 { SCTLR_SA0 } else { SCTLR_SA };
    let tcr = cpu.sys.tcr_el1;
    cpu.s.el as u32
        | ((sctlr & SCTLR_A != 0) as u32) << 1
        | ((sctlr & sp_check != 0) as u32) << 2
        | ((tcr & crate::mmu::walk::tcr::TBI0 != 0) as u32) << 3
        | ((tcr & crate::mmu::walk::tcr::TBI1 != 0) as u32) << 4
}

pub const MODE_EL_MASK: u32 = 1;
pub const MODE_ALIGN_CHECK: u32 = 1 << 1;
pub const MODE_SP_ALIGN_CHECK: u32 = 1 << 2;
/// TCR_EL1.TBI0 and TBI1: whether register branches drop a tag from their target.
pub const MODE_TBI0: u32 = 1 << 3;
pub const MODE_TBI1: u32 = 1 << 4;

/// Per-vCPU state generated code reads through `r13`. `repr(C)`: fixed offsets.
#[repr(C)]
pub struct JitCtx {
    /// Chained entries run only while `icount` is below this (0: never, so every block
    /// goes through the dispatcher, as with breakpoints set).
    pub chain_end: u64,
    /// The interrupt lines that would be taken now (DAIF applied), in `IrqLines` bits.
    pub irq_unmasked: u64,
    /// The vCPU's interrupt input word.
    pub lines: *const u8,
    /// The fast TLB (`mmu/tlb.rs`).
    pub fast_tlb: *mut u8,
    /// `Monitors::armed` of the machine: stores take the slow path while any exclusive
    /// reservation is held.
    pub monitors_armed: *const usize,
    /// The chain slot whose unlinked exit the last block took (`NO_LINK` if none).
    pub link_request: u32,
    pub _pad: u32,
    /// Where a slow path keeps a value across its helper call.
    pub spill: u64,
    /// The dispatcher's jump cache, which register branches look into.
    pub jmp_cache: *const u8,
    /// The `Mem` of the block running, for helper calls (set by the trampoline).
    pub mem: *mut u8,
    /// NZCV for each x86 OF:AH (after `lahf; seto al`), for an addition or logical
    /// operation ([0]) and a subtraction ([1], whose A64 carry is NOT borrow).
    pub nzcv_table: [[u32; 512]; 2],
}

/// The table of [`JitCtx::nzcv_table`].
fn nzcv_table() -> [[u32; 512]; 2] {
    use crate::state::{NZCV_C, NZCV_N, NZCV_V, NZCV_Z};
    let mut t = [[0; 512]; 2];
    for i in 0..512usize {
        let ah = i as u32 & 0xff;
        let of = i >> 8 != 0;
        let (sf, zf, cf) = (ah & 0x80 != 0, ah & 0x40 != 0, ah & 1 != 0);
        for (sub, row) in t.iter_mut().enumerate() {
            let c = cf != (sub == 1);
            row[i] = if sf { NZCV_N } else { 0 }
                | if zf { NZCV_Z } else { 0 }
                | if c { NZCV_C } else { 0 }
                | if of { NZCV_V } else { 0 };
        }
    }
    t
}

/// Offset of [`JitCtx::nzcv_table`].
pub const NZCV_TABLE: i32 = std::mem::offset_of!(JitCtx, nzcv_table) as i32;

const NO_LINK: u32 = u32::MAX;

/// Offset of [`JitCtx::jmp_cache`].
pub const JMP_CACHE: i32 = std::mem::offset_of!(JitCtx, jmp_cache) as i32;

/// Offset of [`JitCtx::spill`].
pub const SPILL: i32 = std::mem::offset_of!(JitCtx, spill) as i32;

impl Default for JitCtx {
    fn default() -> Self {
        JitCtx {
            chain_end: 0,
            irq_unmasked: 0,
            lines: std::ptr::null(),
            fast_tlb: std::ptr::null_mut(),
            monitors_armed: std::ptr::null(),
            link_request: NO_LINK,
            _pad: 0,
            spill: 0,
            jmp_cache: std::ptr::null(),
            mem: std::ptr::null_mut(),
            nzcv_table: nzcv_table(),
        }
    }
}

/// The per-vCPU JIT state kept in [`Cpu`].
#[derive(Default)]
pub struct VcpuJit {
    pub ctx: Box<JitCtx>,
    /// What a helper asked the executor to return (Exit codes of generated code).
    pub exit: Option<Exit>,
    /// A panic inside a helper, carried past the generated frames to be resumed in Rust.
    pub panic: Option<Box<dyn std::any::Any + Send>>,
    /// `CodeCache::code_epoch` this vCPU's fast write entries are valid for.
    pub code_epoch: u64,
}

/// A translated block.
struct Translated {
    pa: u64,
    /// Entry from a chain: checks budget and interrupts first.
    checked: usize,
    /// Entry from the dispatcher, which has checked them.
    body: usize,
    /// The chain slots of this block's exits (indices into `Cache::slots`).
    slots: Vec<u32>,
    /// Guest instructions.
    len: u32,
}

/// A direct-branch exit of a block that may be linked to its target's checked entry.
struct Slot {
    /// Buffer offset of the exit's `jmp rel32`.
    jmp_at: u32,
    /// Where the jmp goes while unlinked (the exit that returns to the dispatcher).
    unlinked: usize,
    /// The block's key (for the mode) and the target VA.
    mode: u32,
    target: u64,
    linked: bool,
}

type Key = (u64, u32);

/// The dispatcher's first look: a direct-mapped cache of recent lookups (QEMU's
/// `tb_jmp_cache`), in front of the block map.
pub(crate) const JMP_CACHE_BITS: u32 = 12;

/// `repr(C)`, 64 bytes: register branches look entries up in generated code
/// (`branch.rs`), with the offsets below.
#[repr(C, align(64))]
#[derive(Clone, Copy)]
pub(crate) struct JmpEntry {
    va: u64,
    pa: u64,
    body: usize,
    checked: usize,
    mode: u32,
    len: u32,
}

pub(crate) const JMP_ENTRY_SHIFT: u32 = 6;
pub(crate) const JMP_VA: i32 = std::mem::offset_of!(JmpEntry, va) as i32;
pub(crate) const JMP_PA: i32 = std::mem::offset_of!(JmpEntry, pa) as i32;
pub(crate) const JMP_CHECKED: i32 = std::mem::offset_of!(JmpEntry, checked) as i32;
pub(crate) const JMP_MODE: i32 = std::mem::offset_of!(JmpEntry, mode) as i32;
pub(crate) const JMP_INDEX_MASK: u64 = (1 << JMP_CACHE_BITS) - 1;

const JMP_EMPTY: JmpEntry = JmpEntry {
    va: 0,
    pa: 0,
    body: 0,
    checked: 0,
    mode: u32::MAX,
    len: 0,
};

pub(crate) fn jmp_index(va: u64, mode: u32) -> usize {
    ((va >> 2) ^ (va >> (2 + JMP_CACHE_BITS)) ^ (mode as u64) << 7) as usize
        & ((1 << JMP_CACHE_BITS) - 1)
}

/// The translated code of a machine, shared by its vCPUs (it lives in [`crate::CodeCache`]
/// beside the decoded blocks, and is dropped with them).
pub struct Cache {
    buf: Option<CodeBuffer>,
    trampoline: usize,
    blocks: HashMap<Key, Translated, BuildHasherDefault<AddrHasher>>,
    /// Keys of the blocks translated from each physical page.
    pages: HashMap<u64, Vec<Key>, BuildHasherDefault<AddrHasher>>,
    jmp_cache: Box<[JmpEntry]>,
    slots: Vec<Slot>,
    pub stats: stats::Stats,
    /// `/tmp/perf-PID.map` under `-d jit`, so `perf report` names guest blocks.
    perf_map: Option<std::io::BufWriter<std::fs::File>>,
}

impl Default for Cache {
    fn default() -> Self {
        let mut c = Cache {
            buf: CodeBuffer::new(CODE_BUFFER_SIZE),
            trampoline: 0,
            blocks: HashMap::default(),
            pages: HashMap::default(),
            jmp_cache: vec![JMP_EMPTY; 1 << JMP_CACHE_BITS].into_boxed_slice(),
            slots: Vec::new(),
            stats: if crate::log::enabled(crate::log::Category::Jit) {
                stats::Stats::counting()
            } else {
                Default::default()
            },
            perf_map: None,
        };
        c.reset();
        c
    }
}

/// The generated entry from Rust: `fn(cpu, mem, ctx, code) -> u32`.
type Trampoline = unsafe extern "C" fn(*mut Cpu, *mut Mem<'static>, *mut JitCtx, usize) -> u32;

impl Cache {
    /// Whether the host gave executable memory (if not, the interpreter runs everything).
    pub fn available(&self) -> bool {
        self.buf.is_some()
    }

    /// Empties the buffer and lays the trampoline at its start.
    fn reset(&mut self) {
        self.blocks.clear();
        self.pages.clear();
        self.slots.clear();
        self.jmp_cache.fill(JMP_EMPTY);
        if let Some(buf) = self.buf.as_mut() {
            buf.reset();
            let code = translate::trampoline(buf.next_addr());
            let off = buf.push(&code);
            self.trampoline = buf.addr(off);
            self.stats.flushes += 1;
        }
    }

    /// Drops the blocks translated from physical page `page` (its code was written).
    pub(crate) fn drop_page(&mut self, page: u64) {
        let Some(keys) = self.pages.remove(&page) else {
            return;
        };
        for key in keys {
            let same_page = |t: &Translated| t.pa >> PAGE_SHIFT == page;
            if self.blocks.get(&key).is_some_and(same_page) {
                let t = self.blocks.remove(&key).expect("present");
                self.unlink(&t);
                let j = &mut self.jmp_cache[jmp_index(key.0, key.1)];
                if (j.va, j.mode) == key {
                    *j = JMP_EMPTY;
                }
            }
        }
    }

    /// Drops everything (IC IALLU and friends reach the decoded cache's flush).
    pub(crate) fn flush(&mut self) {
        if !self.blocks.is_empty() {
            self.reset();
        }
    }

    /// Points the block's chain exits back at the dispatcher.
    fn unlink(&mut self, t: &Translated) {
        let Some(buf) = self.buf.as_mut() else { return };
        for &s in &t.slots {
            let slot = &mut self.slots[s as usize];
            if slot.linked {
                buf.patch_jmp(slot.jmp_at, slot.unlinked);
                slot.linked = false;
            }
        }
    }

    /// Links slot `s` to the checked entry of the block now at its target, if that block
    /// has the slot's mode (same page is given: slots exist only for same-page targets).
    fn link(&mut self, s: u32) {
        let Some(slot) = self.slots.get(s as usize) else {
            return;
        };
        if slot.linked {
            return;
        }
        let Some(t) = self.blocks.get(&(slot.target, slot.mode)) else {
            return;
        };
        let (at, target) = (slot.jmp_at, t.checked);
        if let Some(buf) = self.buf.as_mut() {
            buf.patch_jmp(at, target);
            self.slots[s as usize].linked = true;
            self.stats.links += 1;
        }
    }

    /// Names the block in the perf map (`START SIZE name`, perf's JIT map format).
    fn note_perf_map(&mut self, start: usize, size: usize, va: u64, mode: u32) {
        use std::io::Write;
        if self.perf_map.is_none() {
            let path = format!("/tmp/perf-{}.map", std::process::id());
            self.perf_map = std::fs::File::create(path)
                .ok()
                .map(std::io::BufWriter::new);
        }
        if let Some(f) = self.perf_map.as_mut() {
            let _ = writeln!(
                f,
                "{start:x} {size:x} guest_{va:016x}_el{}",
                mode & MODE_EL_MASK
            );
        }
    }

    /// The translation of (`va`, `mode`) made from `pa`, if there is one.
    #[inline(always)]
    fn lookup(&mut self, va: u64, mode: u32, pa: u64) -> Option<(usize, u32)> {
        let j = &mut self.jmp_cache[jmp_index(va, mode)];
        if j.va == va && j.mode == mode && j.pa == pa {
            return Some((j.body, j.len));
        }
        let t = self.blocks.get(&(va, mode)).filter(|t| t.pa == pa)?;
        *j = JmpEntry {
            va,
            pa,
            body: t.body,
            checked: t.checked,
            mode,
            len: t.len,
        };
        Some((t.body, t.len))
    }

    /// Translates `block` (decoded at `va`, physical `pa`) for `mode`.
    fn translate(&mut self, va: u64, pa: u64, mode: u32, block: &Block) -> Option<(usize, u32)> {
        let started = std::time::Instant::now();
        let buf = self.buf.as_mut()?;
        let start_slot = self.slots.len() as u32;
        let out = translate::block(
            buf.next_addr(),
            va,
            mode,
            block,
            start_slot,
            &mut self.stats,
        );
        let code = match out {
            Ok(out) => out,
            Err(_) => return None,
        };
        if !buf.has_room(code.bytes.len()) {
            self.reset();
            // Slots were numbered for the old buffer: translate again from scratch.
            return self.translate(va, pa, mode, block);
        }
        let off = buf.push(&code.bytes);
        let base = buf.addr(off);
        self.stats.translate_ns += started.elapsed().as_nanos() as u64;
        self.stats.blocks += 1;
        self.stats.guest_insns += block.len() as u64;
        self.stats.code_bytes += code.bytes.len() as u64;
        let mut slots = Vec::with_capacity(code.slots.len());
        for s in &code.slots {
            slots.push(self.slots.len() as u32);
            self.slots.push(Slot {
                jmp_at: off + s.jmp_at as u32,
                unlinked: base + s.unlinked,
                mode,
                target: s.target,
                linked: false,
            });
        }
        let t = Translated {
            pa,
            checked: base + code.checked,
            body: base + code.body,
            slots,
            len: block.len() as u32,
        };
        let body = t.body;
        let len = t.len;
        if !self.stats.executed_rows.is_empty() {
            self.note_perf_map(base, code.bytes.len(), va, mode);
        }
        if let Some(old) = self.blocks.insert((va, mode), t) {
            self.unlink(&old);
        }
        let checked = base + code.checked;
        self.jmp_cache[jmp_index(va, mode)] = JmpEntry {
            va,
            pa,
            body,
            checked,
            mode,
            len,
        };
        self.pages
            .entry(pa >> PAGE_SHIFT)
            .or_default()
            .push((va, mode));
        Some((body, len))
    }
}

impl Cpu {
    /// The JIT's execution loop: the interpreter's loop (`exec.rs`) with translated
    /// blocks. Runs until `budget` instructions have retired (finishing the block under
    /// way) or an instruction hands control back.
    pub(crate) fn run_jit(&mut self, m: &mut Mem<'_>, budget: u64) -> Exit {
        let end = self.icount.saturating_add(budget);
        self.tlb.sync(m.tlbi);
        let breakpoints = !self.breakpoints.is_empty();
        // With a stop position (time travel) or breakpoints, the dispatcher checks each
        // block before it runs.
        let checks = breakpoints || self.replay.active();
        if !self.watchpoints.is_empty() {
            // Every access must be checked: no fast path.
            self.tlb.fast.clear();
        }
        self.jit.ctx.chain_end = match (breakpoints, self.replay.stop_at) {
            (true, _) => 0,
            // Chained blocks may run until a block could reach the stop.
            (false, Some(stop)) => end.min(stop.saturating_sub(crate::exec::MAX_BLOCK as u64)),
            (false, None) => end,
        };
        self.jit.ctx.lines = self.lines.as_ptr();
        self.jit.ctx.fast_tlb = &mut *self.tlb.fast as *mut _ as *mut u8;
        self.jit.ctx.monitors_armed = m.monitors.armed_ptr();
        self.jit.ctx.jmp_cache = m.code.jit.jmp_cache.as_ptr() as *const u8;
        while self.icount < end {
            if self.lines.any() {
                self.take_pending_interrupt();
            }
            if checks && self.stop_before_fetch() {
                return Exit::Breakpoint;
            }
            let pc = self.s.pc;
            let pa = match self.fetch_pa(m) {
                Ok(pa) => pa,
                Err(e) => {
                    self.icount += 1;
                    self.take_exception(e);
                    continue;
                }
            };
            let mode = mode(self);
            self.tlb.fast.fill_fetch(self.s.el, pc, pa & !0xfff);
            let entry = match m.code.jit.lookup(pc, mode, pa) {
                Some(e) => Some(e),
                None => self.jit_translate(m, pc, pa, mode),
            };
            let Some((body, len)) = entry else {
                // Code outside RAM, or a host without executable memory: interpret.
                if let Some(x) = self.interp_block::<false>(m) {
                    return x;
                }
                continue;
            };
            if checks && (self.block_has_breakpoint(pc, len) || self.stop_within(len as u64)) {
                if let Some(x) = self.interp_block::<true>(m) {
                    return x;
                }
                continue;
            }
            if self.jit.code_epoch != m.code.code_epoch() {
                self.jit.code_epoch = m.code.code_epoch();
                self.tlb.fast.clear_writes();
            }
            self.jit.ctx.irq_unmasked = self.unmasked_lines() as u64;
            let tramp: Trampoline =
                // SAFETY: the trampoline was generated with this signature (`translate.rs`).
                unsafe { std::mem::transmute::<usize, Trampoline>(m.code.jit.trampoline) };
            let ctx: *mut JitCtx = &mut *self.jit.ctx;
            let mp = (m as *mut Mem<'_>).cast::<Mem<'static>>();
            // SAFETY: `body` is a block of this buffer translated for `mode` from the code
            // at `pa`, which the fetch just reached; it uses only the pointers passed.
            let r = unsafe { tramp(self, mp, ctx, body) };
            if let Some(p) = self.jit.panic.take() {
                std::panic::resume_unwind(p);
            }
            let link = std::mem::replace(&mut self.jit.ctx.link_request, NO_LINK);
            if link != NO_LINK && !breakpoints {
                self.jit_link(m, link);
            }
            if r != 0 {
                return self.jit.exit.take().unwrap_or(Exit::Budget);
            }
        }
        Exit::Budget
    }

    /// The PA of the instruction at the PC, faulting as the interpreter's fetch does.
    fn fetch_pa(&mut self, m: &mut Mem<'_>) -> Result<u64, crate::exception::Exception> {
        if self.s.pc & 3 != 0 {
            return Err(self.pc_alignment_fault());
        }
        self.translate(m, self.s.pc, Access::Fetch)
    }

    /// Decodes (through the shared decoded cache) and translates the block at the PC.
    fn jit_translate(
        &mut self,
        m: &mut Mem<'_>,
        pc: u64,
        pa: u64,
        mode: u32,
    ) -> Option<(usize, u32)> {
        m.ram.offset(pa, 4)?;
        if !m.code.jit.available() {
            return None;
        }
        let block = match m.code.get(pa) {
            Some(b) => b.clone(),
            None => {
                let b = self.decode_block(m, pa);
                m.code.insert(&m.ram, pa, b.clone());
                b
            }
        };
        m.code.jit.translate(pc, pa, mode, &block)
    }

    /// Links the chain slot a block left through to the block now at its target, after
    /// translating that one if needed (the dispatcher is about to run it anyway).
    fn jit_link(&mut self, m: &mut Mem<'_>, slot: u32) {
        let Some(s) = m.code.jit.slots.get(slot as usize) else {
            return;
        };
        if s.linked || s.target != self.s.pc || s.mode != mode(self) {
            return;
        }
        let (target, mode) = (s.target, s.mode);
        // The block at (target, mode) may have been made from another physical page: the
        // same VA in an earlier process (an exec'd static binary at 0x400000 after busybox).
        // Linking to it would run that process's code, so only the current PA's will do.
        let Ok(pa) = self.fetch_pa(m) else { return };
        if m.code.jit.lookup(target, mode, pa).is_none()
            && self.jit_translate(m, self.s.pc, pa, mode).is_none()
        {
            return;
        }
        m.code.jit.link(slot);
    }

    fn block_has_breakpoint(&self, pc: u64, len: u32) -> bool {
        (0..len as u64).any(|i| self.breakpoints.contains(pc.wrapping_add(4 * i)))
    }

    /// The bits of the interrupt lines that `take_pending_interrupt` would take now.
    fn unmasked_lines(&self) -> u8 {
        use crate::state::{DAIF_A, DAIF_F, DAIF_I};
        let d = self.s.daif;
        let mut bits = 0;
        if d & DAIF_I == 0 {
            bits |= crate::irq::IRQ_BIT;
        }
        if d & DAIF_F == 0 {
            bits |= crate::irq::FIQ_BIT;
        }
        if d & DAIF_A == 0 {
            bits |= crate::irq::SERROR_BIT;
        }
        bits
    }
}
