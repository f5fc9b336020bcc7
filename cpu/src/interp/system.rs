//! TODO: system

use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

pub fn eret(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn hint(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn clrex(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn barrier(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn msr_imm(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn sys(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn sysl(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn msr_reg(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn mrs(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

