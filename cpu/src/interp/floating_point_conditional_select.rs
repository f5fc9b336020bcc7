//! Floating-point conditional select, Arm ARM C4.1.90: FCSEL copies Vn or Vm by the
//! condition, bit for bit (no NaN processing, no flags).

use super::floating_point::{
    arith_fmt, fp_enabled_or_trap, or_undefined, read_scalar, write_scalar,
};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let fmt = or_undefined!(arith_fmt(i));
    fp_enabled_or_trap!(cpu);
    let n = if cpu.s.condition_holds(i.cond()) {
        i.rn()
    } else {
        i.rm()
    };
    let v = read_scalar(cpu, fmt, n);
    write_scalar(cpu, fmt, i.rd(), v);
    Flow::Next
}
