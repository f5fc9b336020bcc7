//! Data processing — register (Arm ARM C4.1.89), compiled: beside `interp/dp_reg.rs`.

use super::branch::jump_if_condition;
use super::emit::{Alu, Cc, Shift, R8, R9, RAX, RBX, RCX, RDX};
use super::translate::Tx;
use super::translate::NZCV;
use crate::insn::Insn;

/// Loads Rm shifted by `ty` (LSL, LSR, ASR, ROR) by `amount` into `r`, in the datasize.
fn shifted_rm(tx: &mut Tx, r: super::emit::R, i: Insn, sf: bool) {
    tx.get_x(r, i.rm());
    let amount = i.imm6() as u8;
    if amount != 0 {
        let op = match i.shift() {
            0 => Shift::Shl,
            1 => Shift::Shr,
            2 => Shift::Sar,
            _ => Shift::Ror,
        };
        tx.e.shift_imm(op, sf, r, amount);
    }
}

/// AND, BIC, ORR, ORN, EOR, EON, ANDS, BICS (shifted register).
pub fn logical_shifted(tx: &mut Tx, i: Insn) -> bool {
    let sf = i.sf();
    if !sf && i.bit(15) {
        return false;
    }
    shifted_rm(tx, R9, i, sf);
    if i.bit(21) {
        tx.e.not(sf, R9);
    }
    tx.get_x(R8, i.rn());
    let opc = i.bits(30, 29);
    let op = match opc {
        0b01 => Alu::Or,
        0b10 => Alu::Xor,
        _ => Alu::And,
    };
    tx.e.alu(op, sf, R8, R9);
    if opc == 0b11 {
        tx.set_nzcv_from_logic_flags();
    }
    tx.set_x(i.rd(), R8, sf);
    true
}

/// ADD, ADDS, SUB, SUBS (shifted register); ROR is reserved.
pub fn add_sub_shifted(tx: &mut Tx, i: Insn) -> bool {
    let sf = i.sf();
    if i.shift() == 3 || (!sf && i.bit(15)) {
        return false;
    }
    shifted_rm(tx, R9, i, sf);
    tx.get_x(R8, i.rn());
    let sub = i.bit(30);
    tx.e.alu(if sub { Alu::Sub } else { Alu::Add }, sf, R8, R9);
    tx.write_add_sub(i.rd(), R8, sf, sub, i.bit(29), false);
    true
}

/// CSEL, CSINC, CSINV, CSNEG.
pub fn cond_select(tx: &mut Tx, i: Insn) -> bool {
    if i.bit(29) || i.bit(11) {
        return false;
    }
    let sf = i.sf();
    tx.get_x(R8, i.rn());
    tx.get_x(R9, i.rm());
    if i.bit(30) {
        tx.e.not(true, R9);
    }
    if i.bit(10) {
        tx.e.alu_imm(Alu::Add, true, R9, 1);
    }
    let holds = tx.e.label();
    jump_if_condition(tx, i.cond(), holds);
    tx.e.mov(R8, R9);
    tx.e.bind(holds);
    tx.set_x(i.rd(), R8, sf);
    true
}

/// MADD, MSUB; the long and high multiplies run through the interpreter.
pub fn dp_3src(tx: &mut Tx, i: Insn) -> bool {
    if i.bits(30, 29) != 0 || i.bits(23, 21) != 0 {
        return false;
    }
    let sf = i.sf();
    tx.get_x(R8, i.rn());
    tx.get_x(R9, i.rm());
    tx.e.imul(sf, R8, R9);
    if i.ra() == 31 && !i.bit(15) {
        // MUL: nothing to accumulate.
        tx.set_x(i.rd(), R8, sf);
        return true;
    }
    tx.get_x(RCX, i.ra());
    if i.bit(15) {
        tx.e.alu(Alu::Sub, sf, RCX, R8);
    } else {
        tx.e.alu(Alu::Add, sf, RCX, R8);
    }
    tx.set_x(i.rd(), RCX, sf);
    true
}

/// ADD, ADDS, SUB, SUBS (extended register): Rm extended and shifted; Rn is SP for 31,
/// Rd too unless flags are set.
pub fn add_sub_extended(tx: &mut Tx, i: Insn) -> bool {
    let sf = i.sf();
    let shift = i.bits(12, 10);
    if i.bits(23, 22) != 0 || shift > 4 {
        return false;
    }
    tx.get_x(R9, i.rm());
    match i.bits(15, 13) {
        0 => tx.e.zext(R9, R9, 8),
        1 => tx.e.zext(R9, R9, 16),
        2 => tx.e.mov32(R9, R9),
        4 => tx.e.sext(R9, R9, 8),
        5 => tx.e.sext(R9, R9, 16),
        6 => tx.e.sext(R9, R9, 32),
        _ => {}
    }
    if shift != 0 {
        tx.e.shift_imm(Shift::Shl, true, R9, shift as u8);
    }
    tx.get_xsp(R8, i.rn());
    let sub = i.bit(30);
    tx.e.alu(if sub { Alu::Sub } else { Alu::Add }, sf, R8, R9);
    tx.write_add_sub(i.rd(), R8, sf, sub, i.bit(29), true);
    true
}

/// ADC, ADCS, SBC, SBCS: x86's carry is loaded with PSTATE.C; SBC adds NOT(Rm), as the
/// pseudocode does, so the flags come out of one `adc` either way.
pub fn adc_sbc(tx: &mut Tx, i: Insn) -> bool {
    let sf = i.sf();
    tx.get_x(R8, i.rn());
    tx.get_x(R9, i.rm());
    if i.bit(30) {
        tx.e.not(sf, R9);
    }
    tx.e.bt_mem32(RBX, NZCV, 29);
    tx.e.alu(Alu::Adc, sf, R8, R9);
    if i.bit(29) {
        tx.set_nzcv_from_flags(false);
    }
    tx.set_x(i.rd(), R8, sf);
    true
}

/// CCMN, CCMP (register and immediate).
pub fn cond_compare(tx: &mut Tx, i: Insn) -> bool {
    if !i.bit(29) {
        return false;
    }
    let sf = i.sf();
    tx.get_x(R8, i.rn());
    if i.bit(11) {
        tx.e.mov_imm(R9, i.bits(20, 16) as u64);
    } else {
        tx.get_x(R9, i.rm());
    }
    let holds = tx.e.label();
    let done = tx.e.label();
    jump_if_condition(tx, i.cond(), holds);
    tx.e.store32_imm(RBX, NZCV, (i.bits(3, 0) << 28) as i32);
    tx.e.jmp(done);
    tx.e.bind(holds);
    let sub = i.bit(30);
    tx.e.alu(if sub { Alu::Sub } else { Alu::Add }, sf, R8, R9);
    tx.set_nzcv_from_flags(sub);
    // Only one path set the x86 flags.
    tx.flags = None;
    tx.e.bind(done);
    true
}

/// LSLV, LSRV, ASRV, RORV: x86 takes the count modulo the operand width, as A64 does.
/// UDIV, SDIV; CRC32 runs through the interpreter.
pub fn dp_2src(tx: &mut Tx, i: Insn) -> bool {
    let opcode = i.bits(15, 10);
    if !i.bit(29) && (opcode == 0b000010 || opcode == 0b000011) {
        divide(tx, i, opcode == 0b000011);
        return true;
    }
    if i.bit(29) || opcode >> 2 != 0b0010 {
        return false;
    }
    let sf = i.sf();
    tx.get_x(R8, i.rn());
    tx.get_x(RCX, i.rm());
    let op = match opcode & 3 {
        0 => Shift::Shl,
        1 => Shift::Shr,
        2 => Shift::Sar,
        _ => Shift::Ror,
    };
    if !sf {
        tx.e.mov32(R8, R8);
    }
    tx.e.shift_cl(op, sf, R8);
    tx.set_x(i.rd(), R8, sf);
    true
}

/// UDIV, SDIV: x / 0 is 0, and SDIV's MIN / -1 is MIN (C6.2.388), where x86 faults: those
/// are decided before the `div`.
fn divide(tx: &mut Tx, i: Insn, signed: bool) {
    let sf = i.sf();
    tx.get_x(RAX, i.rn());
    tx.get_x(R9, i.rm());
    // After the reads: one of them may be the guest register kept in RDX.
    tx.clobber(RDX);
    let (zero, negate, done) = (tx.e.label(), tx.e.label(), tx.e.label());
    tx.e.alu(Alu::Test, sf, R9, R9);
    tx.e.jcc(Cc::E, zero);
    if signed {
        tx.e.alu_imm(Alu::Cmp, sf, R9, -1);
        tx.e.jcc(Cc::E, negate);
    }
    tx.e.div_rax(sf, signed, R9);
    tx.e.mov(R8, RAX);
    tx.e.jmp(done);
    tx.e.bind(negate);
    // x / -1 = -x, wrapping: MIN stays MIN.
    tx.e.mov(R8, RAX);
    tx.e.neg(sf, R8);
    tx.e.jmp(done);
    tx.e.bind(zero);
    tx.e.mov_imm(R8, 0);
    tx.e.bind(done);
    tx.set_x(i.rd(), R8, sf);
}

/// REV16 runs through the interpreter, as do RBIT and CLS; REV32, REV and CLZ are
/// compiled.
pub fn dp_1src(tx: &mut Tx, i: Insn) -> bool {
    if i.bit(29) || i.bits(20, 16) != 0 {
        return false;
    }
    let sf = i.sf();
    let op = i.bits(15, 10);
    match (op, sf) {
        // REV (32-bit), REV32 (each word of X), REV (64-bit).
        (2, false) | (2, true) | (3, true) | (4, _) => {}
        _ => return false,
    }
    tx.get_x(R8, i.rn());
    match (op, sf) {
        (2, false) => tx.e.bswap(false, R8),
        (2, true) => {
            tx.e.bswap(true, R8);
            tx.e.shift_imm(Shift::Ror, true, R8, 32);
        }
        (3, true) => tx.e.bswap(true, R8),
        _ => tx.e.count_leading_zeros(sf, R8, R9),
    }
    tx.set_x(i.rd(), R8, sf);
    true
}
