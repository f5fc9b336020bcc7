//! A block's frame: its two entries, its instructions (native where a group file compiles
//! them, else a call of the interpreter's handler), its exits, and the out-of-line code
//! after it (slow paths, the exits that return to the dispatcher).
//!
//! Guest state lives in memory (`Cpu`), except the guest registers a block caches in host
//! registers (`regs.rs`), the PC and the instruction count: the translator keeps the last
//! two as constants, and writes all three back only where something can look: before a
//! helper call, in slow paths, and at the block's exits.

use super::emit::{Alu, Cc, Emitter, Label, R, R13, RAX, RBX, RCX, RDI, RDX, RSI};
use super::regs::{RegCache, RegState};
use super::stats::Stats;
use super::{JitCtx, MODE_EL_MASK};
use crate::code_cache::Block;
use crate::cpu::Cpu;
use crate::decode::{Decoded, A64};
use crate::insn::Insn;
use std::mem::offset_of;
use std::sync::OnceLock;

/// Offsets into `Cpu` and `JitCtx` that generated code uses.
pub const fn x_off(n: u32) -> i32 {
    (offset_of!(Cpu, s) + offset_of!(crate::state::CpuState, x) + 8 * n as usize) as i32
}
pub const PC: i32 = (offset_of!(Cpu, s) + offset_of!(crate::state::CpuState, pc)) as i32;
pub const NZCV: i32 = (offset_of!(Cpu, s) + offset_of!(crate::state::CpuState, nzcv)) as i32;
pub const ICOUNT: i32 = offset_of!(Cpu, icount) as i32;
pub const CHAIN_END: i32 = offset_of!(JitCtx, chain_end) as i32;
pub const IRQ_UNMASKED: i32 = offset_of!(JitCtx, irq_unmasked) as i32;
pub const LINES: i32 = offset_of!(JitCtx, lines) as i32;
pub const FAST_TLB: i32 = offset_of!(JitCtx, fast_tlb) as i32;
pub const MONITORS_ARMED: i32 = offset_of!(JitCtx, monitors_armed) as i32;
pub const LINK_REQUEST: i32 = offset_of!(JitCtx, link_request) as i32;
pub const MEM: i32 = offset_of!(JitCtx, mem) as i32;

/// A chain exit as the translator left it (offsets within the block's bytes).
pub struct SlotOut {
    pub jmp_at: usize,
    pub unlinked: usize,
    pub target: u64,
}

pub struct Out {
    pub bytes: Vec<u8>,
    pub checked: usize,
    pub body: usize,
    pub slots: Vec<SlotOut>,
}

/// A native translation of one encoding row: true if it emitted the instruction, false
/// to have the interpreter's handler called instead (a form it does not cover).
pub type TranslateFn = fn(&mut Tx, Insn) -> bool;

/// The rows compiled natively, by the decode table's names.
const NATIVE: &[(&str, TranslateFn)] = &[
    ("ADR/ADRP", super::dp_imm::pc_rel),
    ("ADD/SUB (immediate)", super::dp_imm::add_sub_imm),
    ("logical (immediate)", super::dp_imm::logical_imm),
    ("move wide (immediate)", super::dp_imm::move_wide),
    ("bitfield", super::dp_imm::bitfield),
    ("EXTR", super::dp_imm::extract),
    ("logical (shifted register)", super::dp_reg::logical_shifted),
    ("ADD/SUB (shifted register)", super::dp_reg::add_sub_shifted),
    ("conditional select", super::dp_reg::cond_select),
    (
        "ADD/SUB (extended register)",
        super::dp_reg::add_sub_extended,
    ),
    ("ADC/SBC", super::dp_reg::adc_sbc),
    ("CCMN/CCMP (register)", super::dp_reg::cond_compare),
    ("CCMN/CCMP (immediate)", super::dp_reg::cond_compare),
    ("data processing (2 source)", super::dp_reg::dp_2src),
    ("data processing (1 source)", super::dp_reg::dp_1src),
    ("data processing (3 source)", super::dp_reg::dp_3src),
    ("B/BL", super::branch::b_imm),
    ("CBZ/CBNZ", super::branch::cbz),
    ("TBZ/TBNZ", super::branch::tbz),
    ("B.cond", super::branch::b_cond),
    ("BR", super::branch::br),
    ("BLR", super::branch::blr),
    ("RET", super::branch::ret),
    ("hints", super::branch::hint),
    (
        "load/store register (unsigned immediate)",
        super::load_store::unsigned_offset,
    ),
    ("load/store register (immediate)", super::load_store::imm9),
    (
        "load/store register (register offset)",
        super::load_store::register_offset,
    ),
    ("load/store pair", super::load_store::pair),
    ("DMB", super::system::barrier),
    ("DSB", super::system::barrier),
    ("ISB", super::system::isb),
    ("MRS", super::system::mrs),
];

/// The native translation of each decode-table row, if any.
fn native(row: u16) -> Option<TranslateFn> {
    static TABLE: OnceLock<Vec<Option<TranslateFn>>> = OnceLock::new();
    let t = TABLE.get_or_init(|| {
        let mut t = vec![None; A64.len()];
        for &(name, f) in NATIVE {
            let row = A64.iter().position(|e| e.name == name);
            t[row.unwrap_or_else(|| panic!("no decode row named {name:?}"))] = Some(f);
        }
        t
    });
    t.get(row as usize).copied().flatten()
}

/// How a native instruction ended the block, if it did.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Falls through to the next instruction.
    No,
    /// Emitted its own exits (a branch).
    Exits,
}

/// Out-of-line code, emitted after the block's straight-line part.
enum Deferred {
    /// The slow path of a native instruction: run it through the interpreter (`pending`
    /// instructions counted first, the registers dirty at `entry_regs` written back),
    /// then refill the fast TLB, reload the registers loaded at `done_regs` and rejoin at
    /// `done`.
    Slow {
        entry: Label,
        done: Label,
        d: Decoded,
        va: u64,
        pending: u32,
        fill: Option<(R, bool)>,
        entry_regs: RegState,
        done_regs: RegState,
    },
}

/// What the x86 flags hold when they still mirror NZCV (the last instruction set them
/// and nothing has written them since): the operation that set them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostFlags {
    /// `add`/`adc`: C is CF.
    Add,
    /// `sub`/`cmp`: C is NOT CF.
    Sub,
    /// `and`/`test`: C and V are clear.
    Logic,
}

/// The translator's state for one block.
pub struct Tx<'a> {
    /// Set by an instruction that leaves NZCV in the x86 flags; moved to `live_flags`
    /// for the next instruction only.
    pub flags: Option<HostFlags>,
    pub live_flags: Option<HostFlags>,
    pub e: Emitter,
    /// VA of the instruction being translated.
    pub va: u64,
    pub mode: u32,
    /// Instructions retired in the block but not yet added to `icount`, this one included.
    pub pending: u32,
    /// The decoded instruction under translation.
    pub d: Decoded,
    pub end: End,
    /// The guest registers held in host registers.
    pub regs: RegCache,
    leave: Label,
    deferred: Vec<Deferred>,
    slots: Vec<(usize, Label, u64)>,
    stats: &'a mut Stats,
}

impl<'a> Tx<'a> {
    pub fn el(&self) -> u8 {
        (self.mode & MODE_EL_MASK) as u8
    }

    /// Adds the pending instructions to `icount` (before anything that can look at it).
    pub fn sync_icount(&mut self) {
        if self.pending != 0 {
            self.e.add_mem64_imm(RBX, ICOUNT, self.pending as i32);
            self.pending = 0;
        }
    }

    /// Writes `va` to the guest PC.
    pub fn set_pc(&mut self, va: u64) {
        self.e.mov_imm(RAX, va);
        self.e.store64(RBX, PC, RAX);
    }

    /// Reads Xn (register 31 as XZR) into `r`.
    pub fn get_x(&mut self, r: R, n: u32) {
        if n == 31 {
            self.e.mov_imm(r, 0);
        } else {
            self.get_xsp(r, n);
        }
    }

    /// Reads Xn with register 31 as SP.
    pub fn get_xsp(&mut self, r: R, n: u32) {
        match self.regs.host(n) {
            Some(h) => {
                if self.regs.state.loaded >> n & 1 == 0 {
                    self.e.load64(h, RBX, x_off(n));
                    self.regs.state.loaded |= 1 << n;
                }
                self.e.mov(r, h);
            }
            None => self.e.load64(r, RBX, x_off(n)),
        }
    }

    /// Writes `r` to Xn (register 31 as XZR: discarded). `wide` false zero-extends Wn.
    pub fn set_x(&mut self, n: u32, r: R, wide: bool) {
        if n != 31 {
            self.set_xsp(n, r, wide);
        }
    }

    /// Writes `r` to Xn with register 31 as SP.
    pub fn set_xsp(&mut self, n: u32, r: R, wide: bool) {
        match self.regs.host(n) {
            Some(h) => {
                if wide {
                    self.e.mov(h, r);
                } else {
                    self.e.mov32(h, r);
                }
                self.regs.state.loaded |= 1 << n;
                self.regs.state.dirty |= 1 << n;
            }
            None => {
                if !wide {
                    self.e.mov32(r, r);
                }
                self.e.store64(RBX, x_off(n), r);
            }
        }
    }

    /// Stores the cached registers dirty in `state` to guest state (no flags change, so
    /// this may sit between a compare and its branch).
    fn emit_write_back(&mut self, state: RegState) {
        for (n, h) in self.regs.in_mask(state.dirty).collect::<Vec<_>>() {
            self.e.store64(RBX, x_off(n), h);
        }
    }

    /// Frees host register `h` for an instruction that clobbers it (x86 `div` and `rdx`):
    /// the guest register there is written back if dirty and is no longer loaded. After
    /// the instruction's reads (one could load it again) and before its first branch.
    pub fn clobber(&mut self, h: R) {
        if let Some(n) = self.regs.guest_of(h) {
            if self.regs.state.dirty >> n & 1 != 0 {
                self.e.store64(RBX, x_off(n), h);
            }
            self.regs.state.loaded &= !(1 << n);
            self.regs.state.dirty &= !(1 << n);
        }
    }

    /// Writes the dirty cached registers back here; they stay loaded (and now clean).
    pub fn write_back(&mut self) {
        self.emit_write_back(self.regs.state);
        self.regs.state.dirty = 0;
    }

    /// Writes the dirty cached registers back for a helper call, after which none is
    /// loaded (the helper may change any).
    fn flush_for_call(&mut self) {
        self.write_back();
        self.regs.state = RegState::default();
    }

    /// Sets NZCV from the x86 flags an `add` (or, with `sub`, a `sub`/`cmp`) or a logical
    /// operation just produced, and notes that the next instruction may still test them.
    /// Clobbers `rax`, `rcx`.
    pub fn set_nzcv_from_flags(&mut self, sub: bool) {
        let table = super::NZCV_TABLE + if sub { 512 * 4 } else { 0 };
        self.e.store_nzcv_from_host_flags(RBX, NZCV, R13, table);
        self.flags = Some(if sub { HostFlags::Sub } else { HostFlags::Add });
    }

    /// The end of an ADD/SUB whose x86 `add`/`sub` left its result in `r`: NZCV when
    /// `set_flags`, then Rd — register 31 is SP when `rd_sp` and no flags are set (the
    /// immediate and extended forms), else XZR.
    pub fn write_add_sub(
        &mut self,
        rd: u32,
        r: R,
        sf: bool,
        sub: bool,
        set_flags: bool,
        rd_sp: bool,
    ) {
        if set_flags {
            self.set_nzcv_from_flags(sub);
        }
        if rd_sp && !set_flags {
            self.set_xsp(rd, r, sf);
        } else {
            self.set_x(rd, r, sf);
        }
    }

    /// As [`Tx::set_nzcv_from_flags`] for a logical operation (C and V clear).
    pub fn set_nzcv_from_logic_flags(&mut self) {
        self.set_nzcv_from_flags(false);
        self.flags = Some(HostFlags::Logic);
    }

    /// Calls the interpreter's handler for the current instruction.
    pub fn call_handler(&mut self) {
        self.flush_for_call();
        self.sync_icount();
        let va = self.va;
        self.set_pc(va);
        self.emit_handler_call(self.d);
        let leave = self.leave;
        self.e.alu(Alu::Test, false, RAX, RAX);
        self.e.jcc(Cc::Ne, leave);
    }

    fn emit_handler_call(&mut self, d: Decoded) {
        self.e.mov(RDI, RBX);
        self.e.load64(RSI, R13, MEM);
        self.e.mov_imm(RDX, d.exec as usize as u64);
        self.e.mov_imm(RCX, d.insn.0 as u64);
        self.e
            .call(super::helpers::call_handler as *const () as usize);
    }

    /// A label for the slow path of the current native instruction, which runs it through
    /// the interpreter and rejoins at `done` (to bind after the native code). With `fill`
    /// = (register holding the VA, write), the fast TLB learns the page afterwards.
    pub fn slow_path(&mut self, done: Label, fill: Option<(R, bool)>) -> Label {
        let entry = self.e.label();
        self.deferred.push(Deferred::Slow {
            entry,
            done,
            d: self.d,
            va: self.va,
            pending: self.pending,
            fill,
            entry_regs: self.regs.state,
            // Filled in when the instruction is done (`block`).
            done_regs: self.regs.state,
        });
        entry
    }

    /// Leaves the block for `target` (pending instructions counted). Same-page targets
    /// get a chain slot, which starts unlinked (returning to the dispatcher).
    pub fn exit_to(&mut self, target: u64) {
        // The state stays as it is: a two-way branch's second exit writes back the same.
        self.emit_write_back(self.regs.state);
        self.sync_icount();
        let same_page = target >> 12 == self.va >> 12;
        if same_page {
            let unlinked = self.e.label();
            let at = self.e.patchable_jmp(unlinked);
            self.slots.push((at, unlinked, target));
        } else {
            self.set_pc(target);
            self.e.mov_imm(RAX, 0);
            self.e.ret();
        }
    }

    pub fn note_helper(&mut self) {
        self.stats.note_helper(self.d.row);
        if let Some(c) = self.stats.counter(self.d.row) {
            self.e.mov_imm(RAX, c as u64);
            self.e.inc_mem64(RAX);
        }
    }
}

/// The generated entry from Rust (System V): `(cpu, mem, ctx, code) -> u32`. Saves the
/// callee-saved registers, pins the conventions of `emit.rs`, and calls into the block,
/// which returns 0 (go on at the PC) or 1 (return `cpu.jit.exit`).
pub fn trampoline(base: usize) -> Vec<u8> {
    let mut e = Emitter::new(base);
    e.push_callee_saved();
    e.mov(RBX, RDI);
    e.store64(RDX, MEM, RSI);
    e.mov(R13, RDX);
    e.load64(super::emit::R14, RDX, FAST_TLB);
    e.call_reg(RCX);
    e.pop_callee_saved();
    e.ret();
    e.finish().expect("trampoline assembles")
}

/// Translates `block`, decoded at `va`, for `mode`, to run at host address `base`.
pub fn block(
    base: usize,
    va: u64,
    mode: u32,
    block: &Block,
    first_slot: u32,
    stats: &mut Stats,
) -> Result<Out, dynasmrt::DynasmError> {
    let mut e = Emitter::new(base);
    let bail = e.label();
    let leave = e.label();
    // Checked entry: the budget, then the interrupt lines DAIF lets through.
    let checked = e.len();
    e.load64(RAX, RBX, ICOUNT);
    e.cmp_mem64(RAX, R13, CHAIN_END);
    e.jcc(Cc::Ae, bail);
    e.load64(RAX, R13, LINES);
    e.load8(RAX, RAX, 0);
    e.test_mem8(RAX, R13, IRQ_UNMASKED);
    e.jcc(Cc::Ne, bail);
    let body = e.len();
    let mut tx = Tx {
        flags: None,
        live_flags: None,
        e,
        va,
        mode,
        pending: 0,
        d: block[0],
        end: End::No,
        regs: RegCache::for_block(block, |row| native(row).is_some()),
        leave,
        deferred: Vec::new(),
        slots: Vec::new(),
        stats,
    };
    let n = block.len();
    for (k, d) in block.iter().enumerate() {
        tx.va = va.wrapping_add(4 * k as u64);
        tx.d = *d;
        tx.pending += 1;
        tx.end = End::No;
        tx.live_flags = tx.flags.take();
        let first_slow = tx.deferred.len();
        let native = native(d.row).is_some_and(|f| f(&mut tx, d.insn));
        let done_regs = tx.regs.state;
        for Deferred::Slow { done_regs: r, .. } in &mut tx.deferred[first_slow..] {
            *r = done_regs;
        }
        if native {
            tx.stats.native += 1;
        } else {
            tx.note_helper();
            tx.call_handler();
            if d.ends_block() {
                // The handler fell through (a branch not taken, a system instruction):
                // back to the dispatcher, which sees any state it changed.
                let next = tx.va.wrapping_add(4);
                tx.sync_icount();
                tx.set_pc(next);
                tx.e.mov_imm(RAX, 0);
                tx.e.ret();
                tx.end = End::Exits;
            }
        }
        if tx.end == End::Exits {
            debug_assert_eq!(k + 1, n, "only a block's last instruction leaves it");
            break;
        }
        if k + 1 == n {
            // The block stopped at a page end or at its length limit.
            let next = tx.va.wrapping_add(4);
            tx.exit_to(next);
        }
    }
    let Tx {
        mut e,
        deferred,
        slots,
        regs,
        ..
    } = tx;
    // Bail from the checked entry: nothing ran; the dispatcher resumes at the block.
    e.bind(bail);
    e.mov_imm(RAX, va);
    e.store64(RBX, PC, RAX);
    e.mov_imm(RAX, 0);
    e.ret();
    // A helper asked to leave: 1 → 0 (go on at the PC), 2 → 1 (return the exit).
    e.bind(leave);
    e.alu_imm(Alu::Sub, false, RAX, 1);
    e.ret();
    for d in deferred {
        match d {
            Deferred::Slow {
                entry,
                done,
                d,
                va,
                pending,
                fill,
                entry_regs,
                done_regs,
            } => {
                e.bind(entry);
                if let Some((r, _)) = fill {
                    // The VA survives the handler call in the context's spill slot.
                    e.store64(R13, super::SPILL, r);
                }
                for (n, h) in regs.in_mask(entry_regs.dirty) {
                    e.store64(RBX, x_off(n), h);
                }
                if pending != 0 {
                    e.add_mem64_imm(RBX, ICOUNT, pending as i32);
                }
                e.mov_imm(RAX, va);
                e.store64(RBX, PC, RAX);
                e.mov(RDI, RBX);
                e.load64(RSI, R13, MEM);
                e.mov_imm(RDX, d.exec as usize as u64);
                e.mov_imm(RCX, d.insn.0 as u64);
                e.call(super::helpers::call_handler as *const () as usize);
                e.alu(Alu::Test, false, RAX, RAX);
                e.jcc(Cc::Ne, leave);
                if let Some((_, write)) = fill {
                    e.mov(RDI, RBX);
                    e.load64(RSI, R13, MEM);
                    e.load64(RDX, R13, super::SPILL);
                    e.mov_imm(RCX, write as u64);
                    e.call(super::helpers::fill_fast_tlb as *const () as usize);
                }
                if pending != 0 {
                    e.add_mem64_imm(RBX, ICOUNT, -(pending as i32));
                }
                // The interpreter wrote its results to guest state: the fast path's
                // registers come from there.
                for (n, h) in regs.in_mask(done_regs.loaded) {
                    e.load64(h, RBX, x_off(n));
                }
                e.jmp(done);
            }
        }
    }
    let mut slots_out = Vec::with_capacity(slots.len());
    for (k, (at, unlinked, target)) in slots.into_iter().enumerate() {
        e.bind(unlinked);
        let stub = e.len();
        e.mov_imm(RAX, target);
        e.store64(RBX, PC, RAX);
        // Tells the dispatcher which slot to link (slots are numbered in order).
        e.store32_imm(R13, LINK_REQUEST, (first_slot + k as u32) as i32);
        e.mov_imm(RAX, 0);
        e.ret();
        slots_out.push(SlotOut {
            jmp_at: at,
            unlinked: stub,
            target,
        });
    }
    let bytes = e.finish()?;
    Ok(Out {
        bytes,
        checked,
        body,
        slots: slots_out,
    })
}
