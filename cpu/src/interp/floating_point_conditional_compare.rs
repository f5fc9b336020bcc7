//! Floating-point conditional compare, Arm ARM C4.1.90: FCCMP and FCCMPE. When the
//! condition holds, NZCV comes from FPCompare (FCCMPE signalling on every NaN); otherwise
//! from the instruction's immediate, and nothing is compared or raised.

use super::floating_point::{
    arith_fmt, commit_flags, fp_enabled_or_trap, fp_env, or_undefined, read_scalar,
};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let fmt = or_undefined!(arith_fmt(i));
    fp_enabled_or_trap!(cpu);
    if !cpu.s.condition_holds(i.cond()) {
        cpu.s.nzcv = i.bits(3, 0) << 28;
        return Flow::Next;
    }
    let a = read_scalar(cpu, fmt, i.rn());
    let b = read_scalar(cpu, fmt, i.rm());
    let mut fp = fp_env(cpu);
    cpu.s.nzcv = fp.compare(fmt, a, b, i.bit(4));
    commit_flags(cpu, &fp);
    Flow::Next
}
