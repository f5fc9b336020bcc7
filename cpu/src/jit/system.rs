//! System instructions (Arm ARM C4.1.85), compiled: beside `interp/system.rs`. Only the
//! forms that read plain state and change nothing the translation depends on: barriers,
//! and MRS of registers that are a field of guest state with no trap at the block's EL.
//! Everything that can change interrupt masking, translation or the budget (MSR, SYS,
//! WFI, ...) stays a handler call that ends the block.

use super::emit::{Alu, Cc, R8, RBX};
use super::translate::Tx;
use crate::cpu::Cpu;
use crate::insn::Insn;
use crate::state::CpuState;
use crate::sysreg::{enc, SysRegs};
use std::mem::offset_of;

const fn s_off(field: usize) -> i32 {
    (offset_of!(Cpu, s) + field) as i32
}
const fn sys_off(field: usize) -> i32 {
    (offset_of!(Cpu, sys) + field) as i32
}

/// DMB, DSB: one host thread runs every vCPU in order, so the interpreter's handler does
/// nothing, and neither does this.
pub fn barrier(_: &mut Tx, _: Insn) -> bool {
    true
}

/// ISB: ends the block, as its row says, back to the dispatcher at the next instruction.
pub fn isb(tx: &mut Tx, _: Insn) -> bool {
    tx.write_back();
    tx.sync_icount();
    tx.set_pc(tx.va.wrapping_add(4));
    tx.e.mov_imm(super::emit::RAX, 0);
    tx.e.ret();
    tx.end = super::translate::End::Exits;
    true
}

/// MRS of NZCV, DAIF, CurrentEL, SP_EL0, TPIDR_EL0, TPIDRRO_EL0, TPIDR_EL1 (the ones the
/// kernel reads on its hot paths: `current`, per-CPU offsets, `local_irq_save`). The EL1
/// registers are compiled only in EL1 blocks (at EL0 the handler raises UNDEFINED), DAIF
/// too (at EL0 SCTLR_EL1.UMA decides).
pub fn mrs(tx: &mut Tx, i: Insn) -> bool {
    let el1 = tx.el() == 1;
    let rt = i.rt();
    let reg = i.bits(20, 5) as u16;
    // (offset, 32-bit field)
    let field = match reg {
        r if r == enc(3, 3, 4, 2, 0) => (s_off(offset_of!(CpuState, nzcv)), true),
        r if r == enc(3, 3, 4, 2, 1) && el1 => (s_off(offset_of!(CpuState, daif)), true),
        r if r == enc(3, 3, 13, 0, 2) => (sys_off(offset_of!(SysRegs, tpidr_el0)), false),
        r if r == enc(3, 3, 13, 0, 3) => (sys_off(offset_of!(SysRegs, tpidrro_el0)), false),
        r if r == enc(3, 0, 13, 0, 4) && el1 => (sys_off(offset_of!(SysRegs, tpidr_el1)), false),
        r if r == enc(3, 0, 4, 2, 2) && el1 => {
            tx.e.mov_imm(R8, 1 << 2);
            tx.set_x(rt, R8, true);
            return true;
        }
        r if r == enc(3, 0, 4, 1, 0) && el1 => return sp_el0(tx, rt),
        _ => return false,
    };
    match field {
        (off, true) => tx.e.load32(R8, RBX, off),
        (off, false) => tx.e.load64(R8, RBX, off),
    }
    tx.set_x(rt, R8, true);
    true
}

/// SP_EL0 at EL1: its bank while SPSel is 1 (the kernel's case); with SPSel 0 it is the
/// live SP, and the slow path (the handler) reads it.
fn sp_el0(tx: &mut Tx, rt: u32) -> bool {
    let done = tx.e.label();
    let slow = tx.slow_path(done, None);
    tx.e.load8(R8, RBX, s_off(offset_of!(CpuState, spsel)));
    tx.e.alu(Alu::Test, false, R8, R8);
    tx.e.jcc(Cc::E, slow);
    tx.e.load64(R8, RBX, s_off(offset_of!(CpuState, sp_el0)));
    tx.set_x(rt, R8, true);
    tx.e.bind(done);
    true
}
