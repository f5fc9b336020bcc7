//! Data processing — immediate (Arm ARM C4.1.86), compiled: beside `interp/dp_imm.rs`,
//! whose handlers define what each form does. Forms not covered here return false and run
//! through the interpreter.

use super::emit::{Alu, Shift, R8, R9, RCX};
use super::translate::Tx;
use crate::insn::{sext, Insn};
use crate::interp::dp_imm::decode_bit_masks;

/// ADR, ADRP: the PC is a constant of the translation.
pub fn pc_rel(tx: &mut Tx, i: Insn) -> bool {
    let imm = sext((i.bits(23, 5) << 2 | i.bits(30, 29)) as u64, 21);
    let value = if i.bit(31) {
        (tx.va & !0xfff).wrapping_add(imm << 12)
    } else {
        tx.va.wrapping_add(imm)
    };
    tx.e.mov_imm(R8, value);
    tx.set_x(i.rd(), R8, true);
    true
}

/// ADD, ADDS, SUB, SUBS (immediate): Rn is SP for 31; Rd is SP unless flags are set.
pub fn add_sub_imm(tx: &mut Tx, i: Insn) -> bool {
    let sf = i.sf();
    let sub = i.bit(30);
    let set_flags = i.bit(29);
    let imm = (i.imm12() << if i.bit(22) { 12 } else { 0 }) as i32;
    tx.get_xsp(R8, i.rn());
    tx.e.alu_imm(if sub { Alu::Sub } else { Alu::Add }, sf, R8, imm);
    tx.write_add_sub(i.rd(), R8, sf, sub, set_flags, true);
    true
}

/// AND, ORR, EOR, ANDS (immediate): the bitmask is decoded at translation.
pub fn logical_imm(tx: &mut Tx, i: Insn) -> bool {
    let sf = i.sf();
    let n = i.bit(22);
    if !sf && n {
        return false;
    }
    let Some((imm, _)) = decode_bit_masks(
        n,
        i.bits(15, 10),
        i.bits(21, 16),
        true,
        if sf { 64 } else { 32 },
    ) else {
        return false;
    };
    let opc = i.bits(30, 29);
    tx.get_x(R8, i.rn());
    tx.e.mov_imm(R9, imm);
    let op = match opc {
        0b01 => Alu::Or,
        0b10 => Alu::Xor,
        _ => Alu::And,
    };
    tx.e.alu(op, sf, R8, R9);
    if opc == 0b11 {
        tx.set_nzcv_from_logic_flags();
        tx.set_x(i.rd(), R8, sf);
    } else {
        tx.set_xsp(i.rd(), R8, sf);
    }
    true
}

/// MOVN, MOVZ, MOVK.
pub fn move_wide(tx: &mut Tx, i: Insn) -> bool {
    let sf = i.sf();
    let opc = i.bits(30, 29);
    let hw = i.bits(22, 21);
    if opc == 0b01 || (!sf && hw >= 2) {
        return false;
    }
    let pos = hw * 16;
    let imm = (i.bits(20, 5) as u64) << pos;
    match opc {
        0b11 => {
            tx.get_x(R8, i.rd());
            tx.e.mov_imm(R9, !(0xffffu64 << pos));
            tx.e.alu(Alu::And, true, R8, R9);
            tx.e.mov_imm(R9, imm);
            tx.e.alu(Alu::Or, true, R8, R9);
            tx.set_x(i.rd(), R8, sf);
        }
        _ => {
            let v = if opc == 0b00 { !imm } else { imm };
            let v = if sf { v } else { v as u32 as u64 };
            tx.e.mov_imm(R8, v);
            tx.set_x(i.rd(), R8, true);
        }
    }
    true
}

/// SBFM, BFM, UBFM: rotate, then the masks of DecodeBitMasks() decoded at translation.
pub fn bitfield(tx: &mut Tx, i: Insn) -> bool {
    let sf = i.sf();
    let n = i.bit(22);
    let (immr, imms) = (i.bits(21, 16), i.bits(15, 10));
    let opc = i.bits(30, 29);
    if opc > 0b10 || n != sf || (!sf && (immr | imms) >= 32) {
        return false;
    }
    let Some((wmask, tmask)) = decode_bit_masks(n, imms, immr, false, if sf { 64 } else { 32 })
    else {
        return false;
    };
    let width = if sf { u64::MAX } else { u32::MAX as u64 };
    // R8 = bot = ROR(src, immr) & wmask.
    tx.get_x(R8, i.rn());
    if !sf {
        tx.e.mov32(R8, R8);
    }
    if immr != 0 {
        tx.e.shift_imm(Shift::Ror, sf, R8, immr as u8);
    }
    match opc {
        0b10 => {
            // UBFM: bot & tmask.
            tx.e.mov_imm(R9, wmask & tmask);
            tx.e.alu(Alu::And, true, R8, R9);
        }
        0b00 => {
            // SBFM: (top & !tmask) | (bot & tmask), top = Replicate(src<imms>).
            tx.e.mov_imm(R9, wmask & tmask);
            tx.e.alu(Alu::And, true, R8, R9);
            tx.get_x(RCX, i.rn());
            // Bit imms of src to the top, then an arithmetic shift replicates it.
            tx.e.shift_imm(Shift::Shl, true, RCX, (63 - imms) as u8);
            tx.e.shift_imm(Shift::Sar, true, RCX, 63);
            tx.e.mov_imm(R9, !tmask & width);
            tx.e.alu(Alu::And, true, RCX, R9);
            tx.e.alu(Alu::Or, true, R8, RCX);
        }
        _ => {
            // BFM: bot = (dst & !wmask) | bot; (dst & !tmask) | (bot & tmask).
            tx.e.mov_imm(R9, wmask);
            tx.e.alu(Alu::And, true, R8, R9);
            tx.get_x(RCX, i.rd());
            tx.e.mov_imm(R9, !wmask & width);
            tx.e.alu(Alu::And, true, R9, RCX);
            tx.e.alu(Alu::Or, true, R8, R9);
            tx.e.mov_imm(R9, tmask);
            tx.e.alu(Alu::And, true, R8, R9);
            tx.e.mov_imm(R9, !tmask & width);
            tx.e.alu(Alu::And, true, RCX, R9);
            tx.e.alu(Alu::Or, true, R8, RCX);
        }
    }
    tx.set_x(i.rd(), R8, sf);
    true
}

/// EXTR (hence ROR immediate): `shrd` of Rm with Rn's low bits entering at the top.
pub fn extract(tx: &mut Tx, i: Insn) -> bool {
    let sf = i.sf();
    let lsb = i.bits(15, 10);
    if i.bit(22) != sf || (!sf && lsb >= 32) {
        return false;
    }
    tx.get_x(R8, i.rm());
    if lsb != 0 {
        tx.get_x(R9, i.rn());
        tx.e.shrd(sf, R8, R9, lsb as u8);
    }
    tx.set_x(i.rd(), R8, sf);
    true
}
