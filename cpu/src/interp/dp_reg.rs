//! TODO: dp_reg

use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

pub fn logical_shifted(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn add_sub_shifted(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn add_sub_extended(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn adc_sbc(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn cond_compare(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn cond_select(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn dp_1src(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn dp_2src(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

pub fn dp_3src(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}

