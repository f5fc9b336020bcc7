//! Conversion between floating-point and fixed-point, Arm ARM C4.1.90: FCVTZS/FCVTZU
//! (FPToFixed, rounding toward zero) and SCVTF/UCVTF (FixedToFP, FPCR rounding) with
//! fbits = 64 - scale fraction bits.

use super::floating_point::{
    arith_fmt, commit_flags, fp_enabled_or_trap, fp_env, or_undefined, read_scalar, write_scalar,
};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::fp::Rounding;
use crate::insn::Insn;
use crate::mem::Mem;

/// (rmode, opcode) of the four allocated forms.
const FCVTZS: (u32, u32) = (0b11, 0b000);
const FCVTZU: (u32, u32) = (0b11, 0b001);
const SCVTF: (u32, u32) = (0b00, 0b010);
const UCVTF: (u32, u32) = (0b00, 0b011);

pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let fmt = or_undefined!(arith_fmt(i));
    let sf = i.sf();
    let scale = i.bits(15, 10);
    // A 32-bit integer has at most 32 fraction bits: scale<5> must be set.
    if !sf && scale < 32 {
        return super::undefined();
    }
    let fbits = 64 - scale;
    let bits = if sf { 64 } else { 32 };
    let form = (i.bits(20, 19), i.bits(18, 16));
    if ![FCVTZS, FCVTZU, SCVTF, UCVTF].contains(&form) {
        return super::undefined();
    }
    fp_enabled_or_trap!(cpu);
    let mut fp = fp_env(cpu);
    if form == FCVTZS || form == FCVTZU {
        let op = read_scalar(cpu, fmt, i.rn());
        let r = fp.to_fixed(fmt, op, fbits, form == FCVTZU, bits, Rounding::Zero);
        commit_flags(cpu, &fp);
        cpu.s.set_rr(sf, i.rd(), r);
    } else {
        let op = cpu.s.rr(sf, i.rn());
        let rounding = fp.rounding();
        let r = fp.fixed_to_fp(fmt, op, fbits, form == UCVTF, bits, rounding);
        commit_flags(cpu, &fp);
        write_scalar(cpu, fmt, i.rd(), r);
    }
    Flow::Next
}
