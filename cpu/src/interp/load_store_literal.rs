//! TODO: load_store_literal

use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

pub fn exec(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    super::unimplemented(cpu, m, i)
}
