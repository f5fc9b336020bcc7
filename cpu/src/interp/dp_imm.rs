//! TODO: dp_imm

use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

pub fn pc_rel(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn add_sub_imm(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn logical_imm(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn move_wide(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn bitfield(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn extract(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

