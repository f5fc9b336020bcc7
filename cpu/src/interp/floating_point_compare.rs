//! Floating-point compare, Arm ARM C4.1.90: FCMP and FCMPE, against a register or +0.0,
//! setting PSTATE.NZCV from FPCompare (unordered is 0011). FCMPE signals Invalid
//! Operation on quiet NaNs too.

use super::floating_point::{
    arith_fmt, commit_flags, fp_enabled_or_trap, fp_env, or_undefined, read_scalar,
};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

/// opcode2 (bits 4:0): bit 3 compares with zero, bit 4 signals; bits 2:0 must be 0.
const OPC2_ZERO: u32 = 1 << 3;
const OPC2_SIGNAL: u32 = 1 << 4;
const OPC2_RESERVED: u32 = 0b111;

pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let fmt = or_undefined!(arith_fmt(i));
    let opc2 = i.bits(4, 0);
    if i.bits(15, 14) != 0 || opc2 & OPC2_RESERVED != 0 {
        return super::undefined();
    }
    fp_enabled_or_trap!(cpu);
    let a = read_scalar(cpu, fmt, i.rn());
    // The zero forms encode Rm as 0 and compare with +0.0.
    let b = if opc2 & OPC2_ZERO != 0 {
        fmt.zero(false)
    } else {
        read_scalar(cpu, fmt, i.rm())
    };
    let mut fp = fp_env(cpu);
    cpu.s.nzcv = fp.compare(fmt, a, b, opc2 & OPC2_SIGNAL != 0);
    commit_flags(cpu, &fp);
    Flow::Next
}
