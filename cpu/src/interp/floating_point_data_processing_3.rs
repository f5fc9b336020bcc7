//! Floating-point data-processing (3 source), Arm ARM C4.1.90: FMADD, FMSUB, FNMADD and
//! FNMSUB, each one fused multiply-add (FPMulAdd) with a single rounding. The negations
//! are FPNeg of the operands before the operation, so a NaN operand's sign flips too.

use super::floating_point::{
    arith_fmt, commit_flags, fp_enabled_or_trap, fp_env, or_undefined, read_scalar, write_scalar,
};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let fmt = or_undefined!(arith_fmt(i));
    let (o1, o0) = (i.bit(21), i.bit(15));
    // FMADD: Ra + Rn×Rm; FMSUB: Ra - Rn×Rm; FNMADD: -Ra - Rn×Rm; FNMSUB: -Ra + Rn×Rm.
    let negate_addend = o1;
    let negate_op1 = o0 != o1;
    fp_enabled_or_trap!(cpu);
    let mut addend = read_scalar(cpu, fmt, i.ra());
    let mut op1 = read_scalar(cpu, fmt, i.rn());
    let op2 = read_scalar(cpu, fmt, i.rm());
    if negate_addend {
        addend = fmt.neg(addend);
    }
    if negate_op1 {
        op1 = fmt.neg(op1);
    }
    let mut fp = fp_env(cpu);
    let r = fp.mul_add(fmt, addend, op1, op2);
    commit_flags(cpu, &fp);
    write_scalar(cpu, fmt, i.rd(), r);
    Flow::Next
}
