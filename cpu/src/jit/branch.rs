//! Branches (Arm ARM C4.1.87), compiled: beside `interp/branch.rs`. Direct targets are
//! constants of the translation, so each exit is a chain slot (same page) or a return to
//! the dispatcher with the PC set. Register branches, ERET and the exception generating
//! instructions run through the interpreter, and the block returns to the dispatcher.

use super::emit::{Alu, Cc, Label, Shift, R8, R9, RAX, RCX};
use super::translate::{End, HostFlags, Tx, NZCV};
use super::{MODE_TBI0, MODE_TBI1};
use crate::insn::{sext, Insn};
use crate::state::{NZCV_C, NZCV_N, NZCV_V, NZCV_Z};

const LR: u32 = 30;

/// PC + a signed word offset in instruction bits hi..lo, if BranchAddr() leaves it as it
/// is whatever TCR_EL1.TBIx say (it does for every target near a canonical PC).
fn target(tx: &Tx, i: Insn, hi: u32, lo: u32) -> Option<u64> {
    let words = i.bits(hi, lo) as u64;
    let t = tx.va.wrapping_add(sext(words << 2, hi - lo + 3));
    (sext(t, 56) == t).then_some(t)
}

/// The exits of a conditional branch: fall through to the next instruction, or (from
/// `taken`) go to `to`.
fn two_way(tx: &mut Tx, taken: Label, to: u64) {
    let pending = tx.pending;
    let next = tx.va.wrapping_add(4);
    tx.exit_to(next);
    tx.pending = pending;
    tx.e.bind(taken);
    tx.exit_to(to);
    tx.end = End::Exits;
}

/// Jumps to `l` if ConditionHolds(`cond`) on the guest's NZCV (clobbers `rax`, `rcx`).
pub fn jump_if_condition(tx: &mut Tx, cond: u32, l: Label) {
    let invert = cond & 1 == 1 && cond != 0b1111;
    let e = &mut tx.e;
    if cond >> 1 == 7 {
        e.jmp(l);
        return;
    }
    e.load32(RAX, super::emit::RBX, NZCV);
    // Each base condition leaves x86 ZF clear when it holds (`nz`) or set (`z`).
    let holds_on_nz = match cond >> 1 {
        0 => test(e, NZCV_Z),
        1 => test(e, NZCV_C),
        2 => test(e, NZCV_N),
        3 => test(e, NZCV_V),
        4 => {
            // HI: C set and Z clear.
            e.alu_imm(Alu::And, false, RAX, (NZCV_C | NZCV_Z) as i32);
            e.alu_imm(Alu::Cmp, false, RAX, NZCV_C as i32);
            false
        }
        5 => {
            // GE: N == V (N shifted onto V, xor'd).
            n_xor_v(e);
            false
        }
        _ => {
            // GT: N == V and Z clear.
            n_xor_v(e);
            e.alu_imm(Alu::And, false, RCX, NZCV_V as i32);
            e.alu_imm(Alu::And, false, RAX, NZCV_Z as i32);
            e.alu(Alu::Or, false, RCX, RAX);
            false
        }
    };
    let cc = if holds_on_nz != invert { Cc::Ne } else { Cc::E };
    e.jcc(cc, l);

    fn test(e: &mut super::emit::Emitter, bit: u32) -> bool {
        e.alu_imm(Alu::Test, false, RAX, bit as i32);
        true
    }
    fn n_xor_v(e: &mut super::emit::Emitter) {
        e.mov32(RCX, RAX);
        e.shift_imm(Shift::Shr, false, RCX, 3);
        e.alu(Alu::Xor, false, RCX, RAX);
        e.alu_imm(Alu::Test, false, RCX, NZCV_V as i32);
    }
}

/// B, BL.
pub fn b_imm(tx: &mut Tx, i: Insn) -> bool {
    let Some(to) = target(tx, i, 25, 0) else {
        return false;
    };
    if i.bit(31) {
        tx.e.mov_imm(R8, tx.va.wrapping_add(4));
        tx.set_x(LR, R8, true);
    }
    tx.exit_to(to);
    tx.end = End::Exits;
    true
}

/// CBZ, CBNZ.
pub fn cbz(tx: &mut Tx, i: Insn) -> bool {
    let Some(to) = target(tx, i, 23, 5) else {
        return false;
    };
    tx.get_x(R8, i.rt());
    tx.e.alu(Alu::Test, i.sf(), R8, R8);
    // Once for both exits (the stores leave the flags alone).
    tx.write_back();
    let taken = tx.e.label();
    tx.e.jcc(if i.bit(24) { Cc::Ne } else { Cc::E }, taken);
    two_way(tx, taken, to);
    true
}

/// TBZ, TBNZ.
pub fn tbz(tx: &mut Tx, i: Insn) -> bool {
    let Some(to) = target(tx, i, 18, 5) else {
        return false;
    };
    let bit = (i.bits(31, 31) << 5 | i.bits(23, 19)) as u8;
    tx.get_x(R8, i.rt());
    tx.e.bt(R8, bit);
    tx.write_back();
    let taken = tx.e.label();
    tx.e.jcc(if i.bit(24) { Cc::B } else { Cc::Ae }, taken);
    two_way(tx, taken, to);
    true
}

/// The x86 condition that tests A64 condition `cond` while the x86 flags still hold
/// what `from` set them to, if one does.
fn host_condition(from: HostFlags, cond: u32) -> Option<Cc> {
    use HostFlags::*;
    let holds = match (cond >> 1, from) {
        (0, _) => Cc::E,
        (1, Sub) => Cc::Ae,
        (1, Add | Logic) => Cc::B,
        (2, _) => Cc::S,
        (3, _) => Cc::O,
        (4, Sub) => Cc::A,
        (5, _) => Cc::Ge,
        (6, _) => Cc::G,
        _ => return None,
    };
    Some(if cond & 1 == 0 {
        holds
    } else {
        holds.inverse()
    })
}

/// B.cond; right after a flag-setting instruction, a test of the x86 flags it left.
pub fn b_cond(tx: &mut Tx, i: Insn) -> bool {
    let Some(to) = target(tx, i, 23, 5) else {
        return false;
    };
    tx.write_back();
    let taken = tx.e.label();
    let cond = i.bits(3, 0);
    match tx.live_flags.and_then(|f| host_condition(f, cond)) {
        Some(cc) => tx.e.jcc(cc, taken),
        None => jump_if_condition(tx, cond, taken),
    }
    two_way(tx, taken, to);
    true
}

/// The hints that do nothing here (NOP, YIELD, and the v8.x hints a v8.0 core executes
/// as NOP); WFE, WFI, SEV and SEVL run through the interpreter.
pub fn hint(_: &mut Tx, i: Insn) -> bool {
    !matches!(i.bits(11, 5), 2..=5)
}

/// BR, BLR, RET: the target leaves the block for the dispatcher. BranchAddr() is applied
/// as the block's mode says TCR_EL1.TBIx are: a tagged target gets bit 55 over its top
/// byte.
fn branch_reg(tx: &mut Tx, i: Insn, link: bool) -> bool {
    tx.get_x(R8, i.rn());
    if link {
        tx.e.mov_imm(R9, tx.va.wrapping_add(4));
        tx.set_x(LR, R9, true);
    }
    let (tbi0, tbi1) = (tx.mode & MODE_TBI0 != 0, tx.mode & MODE_TBI1 != 0);
    if tbi0 || tbi1 {
        let keep = tx.e.label();
        if tbi0 != tbi1 {
            // Only one half is tagged: bit 55 chooses whether this target is.
            tx.e.bt(R8, 55);
            tx.e.jcc(if tbi0 { Cc::B } else { Cc::Ae }, keep);
        }
        tx.e.shift_imm(Shift::Shl, true, R8, 8);
        tx.e.shift_imm(Shift::Sar, true, R8, 8);
        tx.e.bind(keep);
    }
    tx.write_back();
    tx.sync_icount();
    tx.e.store64(super::emit::RBX, super::translate::PC, R8);
    jump_to_cached_block(tx);
    tx.end = End::Exits;
    true
}

/// Goes on at the PC in `r8` without the dispatcher when it has been there before: the
/// fetch set of the fast TLB gives the page's PA as the dispatcher's fetch would, and the
/// jump cache the block translated from it for this mode, entered at its checked entry
/// (which tests the budget and interrupts). Anything else returns to the dispatcher.
fn jump_to_cached_block(tx: &mut Tx) {
    use super::emit::{R13, R14, R9, RDI};
    use super::{
        JMP_CACHE, JMP_CHECKED, JMP_ENTRY_SHIFT, JMP_INDEX_MASK, JMP_MODE, JMP_PA, JMP_VA,
    };
    use crate::mmu::tlb::{FastTlb, FAST_TLB_ENTRIES};
    let dispatcher = tx.e.label();
    let e = &mut tx.e;
    // A misaligned PC faults at the fetch: the dispatcher raises that.
    e.alu_imm(Alu::Test, false, R8, 3);
    e.jcc(Cc::Ne, dispatcher);
    let set = FastTlb::fetch_set_offset((tx.mode & super::MODE_EL_MASK) as u8) as i32;
    e.mov(RDI, R8);
    e.shift_imm(Shift::Shr, true, RDI, 12);
    e.alu_imm(Alu::And, false, RDI, FAST_TLB_ENTRIES as i32 - 1);
    e.shift_imm(Shift::Shl, false, RDI, 4);
    e.mov(RAX, R8);
    e.alu_imm(Alu::And, true, RAX, -4096);
    e.cmp_mem64_rrd(RAX, R14, RDI, set);
    e.jcc(Cc::Ne, dispatcher);
    e.load64_rrd(R9, R14, RDI, set + 8);
    // The jump cache's index of (PC, mode), as `jmp_index` computes it.
    e.mov(RAX, R8);
    e.shift_imm(Shift::Shr, true, RAX, 2);
    e.mov(RCX, R8);
    e.shift_imm(Shift::Shr, true, RCX, 2 + super::JMP_CACHE_BITS as u8);
    e.alu(Alu::Xor, true, RAX, RCX);
    e.alu_imm(Alu::Xor, true, RAX, (tx.mode << 7) as i32);
    e.alu_imm(Alu::And, false, RAX, JMP_INDEX_MASK as i32);
    e.shift_imm(Shift::Shl, false, RAX, JMP_ENTRY_SHIFT as u8);
    e.load64(RCX, R13, JMP_CACHE);
    e.alu(Alu::Add, true, RAX, RCX);
    e.cmp_mem64(R8, RAX, JMP_VA);
    e.jcc(Cc::Ne, dispatcher);
    e.cmp_mem32_imm(RAX, JMP_MODE, tx.mode as i32);
    e.jcc(Cc::Ne, dispatcher);
    e.load64(RCX, RAX, JMP_PA);
    e.alu_imm(Alu::And, true, RCX, -4096);
    e.alu(Alu::Cmp, true, RCX, R9);
    e.jcc(Cc::Ne, dispatcher);
    e.jmp_mem(RAX, JMP_CHECKED);
    e.bind(dispatcher);
    e.mov_imm(RAX, 0);
    e.ret();
}

pub fn br(tx: &mut Tx, i: Insn) -> bool {
    branch_reg(tx, i, false)
}

pub fn blr(tx: &mut Tx, i: Insn) -> bool {
    branch_reg(tx, i, true)
}

pub fn ret(tx: &mut Tx, i: Insn) -> bool {
    branch_reg(tx, i, false)
}
