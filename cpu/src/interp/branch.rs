//! TODO: branch

use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

pub fn b_imm(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn cbz(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn tbz(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn b_cond(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn br(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn blr(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn ret(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

