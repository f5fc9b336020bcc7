//! Loads and stores (Arm ARM C4.1.88), compiled: beside `interp/load_store_*.rs`.
//!
//! The fast path looks the page up in the fast TLB (`mmu/tlb.rs` `FastTlb`) inline and
//! reaches guest RAM through the host address it holds — about ten host instructions.
//! Anything else (a miss, a page-crossing access, a store while an exclusive reservation
//! is held, an SP alignment check that fails) takes the slow path: the whole instruction
//! runs through the interpreter's handler, which faults precisely, and the fast TLB then
//! learns the page. Nothing of the instruction has happened when the fast path gives up,
//! so running it again in the interpreter is exact.
//!
//! Compiled here: general-purpose register forms of LDR/STR (unsigned offset, unscaled,
//! pre- and post-indexed, register offset), LDRS*, PRFM, LDP/STP/LDPSW/LDNP/STNP. SIMD&FP
//! registers, LDTR/STTR and exclusives run through the interpreter; so does everything
//! while SCTLR_EL1.A checks alignment.

use super::emit::{Alu, Cc, Label, Shift, R, R13, R14, R8, R9, RAX, RCX, RDI, RSI};
use super::translate::{Tx, MONITORS_ARMED};
use super::{MODE_ALIGN_CHECK, MODE_SP_ALIGN_CHECK};
use crate::insn::{sext, Insn};
use crate::interp::load_store::{decode_single, MemOp, Reg, Single};
use crate::mmu::tlb::{FastTlb, FAST_TLB_ENTRIES};

/// Whether this block may use the fast path at all.
fn fast_ok(tx: &Tx) -> bool {
    tx.mode & MODE_ALIGN_CHECK == 0
}

/// Loads the base register Xn|SP into `r`; with SP and SP alignment checking on, a
/// misaligned SP goes to `slow` (where the interpreter raises the fault).
fn base(tx: &mut Tx, r: R, n: u32, slow: Label) {
    tx.get_xsp(r, n);
    if n == 31 && tx.mode & MODE_SP_ALIGN_CHECK != 0 {
        tx.e.alu_imm(Alu::Test, false, r, 15);
        tx.e.jcc(Cc::Ne, slow);
    }
}

/// The fast-TLB lookup of `[rsi, rsi + span)`: on a hit `rax` + `rsi` is the host address;
/// otherwise to `slow`. Clobbers `rax`, `rdi`.
fn lookup(tx: &mut Tx, write: bool, span: u32, slow: Label) {
    let set = FastTlb::set_offset(tx.el(), write) as i32;
    let e = &mut tx.e;
    if write {
        // Stores must clear other vCPUs' reservations: the slow path does that.
        e.load64(RAX, R13, MONITORS_ARMED);
        e.cmp_mem64_imm(RAX, 0, 0);
        e.jcc(Cc::Ne, slow);
    }
    e.mov(RDI, RSI);
    e.shift_imm(Shift::Shr, true, RDI, 12);
    e.alu_imm(Alu::And, false, RDI, FAST_TLB_ENTRIES as i32 - 1);
    e.shift_imm(Shift::Shl, false, RDI, 4);
    // The page of the last byte: an access running into the next page cannot match.
    e.lea(RAX, RSI, span as i32 - 1);
    e.alu_imm(Alu::And, true, RAX, -4096);
    e.cmp_mem64_rrd(RAX, R14, RDI, set);
    e.jcc(Cc::Ne, slow);
    e.load64_rrd(RAX, R14, RDI, set + 8);
}

/// Writes a loaded value in `v` to Rt as `reg` says.
fn write_loaded(tx: &mut Tx, s: Single, t: u32, v: R) {
    if let Reg::Gpr { sf, .. } = s.reg {
        tx.set_x(t, v, sf);
    }
}

/// Loads `size` bytes at host `rax + rsi` into `v`, extended as `s` says.
fn load_value(tx: &mut Tx, s: Single, v: R) {
    match s.reg {
        Reg::Gpr { signed: true, .. } => tx.e.load_host_signed(v, RAX, RSI, s.size),
        _ => tx.e.load_host(v, RAX, RSI, s.size),
    }
}

/// One single-register access at the VA in `rsi`, then `after` (the writeback).
fn single(tx: &mut Tx, s: Single, t: u32, slow: Label, done: Label, after: impl FnOnce(&mut Tx)) {
    match s.op {
        MemOp::Prefetch => {}
        MemOp::Load => {
            lookup(tx, false, s.size as u32, slow);
            load_value(tx, s, R8);
            write_loaded(tx, s, t, R8);
        }
        MemOp::Store => {
            lookup(tx, true, s.size as u32, slow);
            tx.get_x(R8, t);
            tx.e.store_host(RAX, RSI, R8, s.size);
        }
    }
    after(tx);
    tx.e.bind(done);
}

/// The decoded single-register form, if it is one compiled here.
fn gpr_single(tx: &Tx, i: Insn) -> Option<Single> {
    if i.bit(26) || !fast_ok(tx) {
        return None;
    }
    decode_single(i.size(), false, i.bits(23, 22))
}

/// LDR/STR/PRFM (unsigned immediate).
pub fn unsigned_offset(tx: &mut Tx, i: Insn) -> bool {
    let Some(s) = gpr_single(tx, i) else {
        return false;
    };
    let done = tx.e.label();
    let slow = tx.slow_path(done, Some((RSI, s.op == MemOp::Store)));
    if s.op == MemOp::Prefetch {
        // Never faults and touches nothing.
        tx.e.bind(done);
        return true;
    }
    base(tx, RSI, i.rn(), slow);
    let offset = (i.imm12() as i32) << s.scale();
    if offset != 0 {
        tx.e.lea(RSI, RSI, offset);
    }
    single(tx, s, i.rt(), slow, done, |_| {});
    true
}

/// LDUR/STUR/PRFUM, pre- and post-indexed LDR/STR (LDTR/STTR run in the interpreter).
pub fn imm9(tx: &mut Tx, i: Insn) -> bool {
    let mode = i.bits(11, 10);
    let Some(s) = gpr_single(tx, i) else {
        return false;
    };
    let (n, t) = (i.rn(), i.rt());
    let wback = mode == 0b01 || mode == 0b11;
    if mode == 0b10
        || (s.op == MemOp::Prefetch && mode != 0b00)
        || (wback && s.op == MemOp::Load && n == t && n != 31)
    {
        return false;
    }
    let done = tx.e.label();
    let slow = tx.slow_path(done, Some((RSI, s.op == MemOp::Store)));
    if s.op == MemOp::Prefetch {
        tx.e.bind(done);
        return true;
    }
    let offset = sext(i.imm9() as u64, 9) as i32;
    base(tx, RCX, n, slow);
    if mode == 0b01 {
        tx.e.mov(RSI, RCX);
    } else {
        tx.e.lea(RSI, RCX, offset);
    }
    single(tx, s, t, slow, done, |tx| {
        if wback {
            tx.e.lea(RCX, RCX, offset);
            tx.set_xsp(n, RCX, true);
        }
    });
    true
}

/// LDR/STR/PRFM (register offset): Xm or Wm extended, optionally scaled.
pub fn register_offset(tx: &mut Tx, i: Insn) -> bool {
    let option = i.bits(15, 13);
    let Some(s) = gpr_single(tx, i) else {
        return false;
    };
    if option & 0b010 == 0 {
        return false;
    }
    let done = tx.e.label();
    let slow = tx.slow_path(done, Some((RSI, s.op == MemOp::Store)));
    if s.op == MemOp::Prefetch {
        tx.e.bind(done);
        return true;
    }
    // RDI: the lookup clobbers it, but only after the index is added.
    tx.get_x(RDI, i.rm());
    match option {
        0b010 => tx.e.mov32(RDI, RDI),
        0b110 => tx.e.sext(RDI, RDI, 32),
        _ => {}
    }
    if i.bit(12) && s.scale() != 0 {
        tx.e.shift_imm(Shift::Shl, true, RDI, s.scale() as u8);
    }
    base(tx, RSI, i.rn(), slow);
    tx.e.alu(Alu::Add, true, RSI, RDI);
    single(tx, s, i.rt(), slow, done, |_| {});
    true
}

/// LDP, STP, LDPSW, LDNP, STNP of general-purpose registers.
pub fn pair(tx: &mut Tx, i: Insn) -> bool {
    let (mode, load) = (i.bits(24, 23), i.bit(22));
    if i.bit(26) || !fast_ok(tx) {
        return false;
    }
    let (sf, signed, size) = match i.bits(31, 30) {
        0b00 => (false, false, 4u8),
        0b01 if load && mode != 0b00 => (true, true, 4),
        0b10 => (true, false, 8),
        _ => return false,
    };
    let (n, t, t2) = (i.rn(), i.rt(), i.rt2());
    let wback = mode == 0b01 || mode == 0b11;
    if load && ((wback && (t == n || t2 == n) && n != 31) || t == t2) {
        return false;
    }
    let done = tx.e.label();
    let slow = tx.slow_path(done, Some((RSI, !load)));
    let offset = (sext(i.imm7() as u64, 7) as i32) << size.trailing_zeros();
    base(tx, RCX, n, slow);
    if mode == 0b01 {
        tx.e.mov(RSI, RCX);
    } else {
        tx.e.lea(RSI, RCX, offset);
    }
    lookup(tx, !load, 2 * size as u32, slow);
    let s = Single {
        op: MemOp::Load,
        reg: Reg::Gpr { sf, signed },
        size,
    };
    if load {
        load_value(tx, s, R8);
        tx.e.lea(RSI, RSI, size as i32);
        load_value(tx, s, R9);
        write_loaded(tx, s, t, R8);
        write_loaded(tx, s, t2, R9);
    } else {
        tx.get_x(R8, t);
        tx.get_x(R9, t2);
        tx.e.store_host(RAX, RSI, R8, size);
        tx.e.lea(RSI, RSI, size as i32);
        tx.e.store_host(RAX, RSI, R9, size);
    }
    if wback {
        tx.e.lea(RCX, RCX, offset);
        tx.set_xsp(n, RCX, true);
    }
    tx.e.bind(done);
    true
}
