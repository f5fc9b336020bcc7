//! The `g`/`G` packets: gdbstub_arch's AArch64 core and FP/SIMD registers (features
//! org.gnu.gdb.aarch64.core and .fpu) from and to a vCPU's state. `cpsr` is PSTATE in
//! SPSR form (Arm ARM C5.2.18), as gdb and QEMU show it.

use armvirt_machine::Machine;
use gdbstub_arch::aarch64::reg::AArch64CoreRegs;

/// Index of the stack pointer in `CpuState::x` (the current SP).
const SP: usize = 31;

pub(crate) fn read(machine: &Machine, vcpu: usize, regs: &mut AArch64CoreRegs) {
    let s = machine.regs(vcpu);
    regs.x.copy_from_slice(&s.x[..31]);
    regs.sp = s.x[SP];
    regs.pc = s.pc;
    regs.cpsr = machine.pstate(vcpu) as u32;
    regs.v = s.v;
    regs.fpcr = s.fpcr;
    regs.fpsr = s.fpsr;
}

/// Writes every register. A `cpsr` naming a mode this core cannot be in is refused
/// (nothing is written); PSTATE goes first, as changing it banks the stack pointer.
pub(crate) fn write(machine: &mut Machine, vcpu: usize, regs: &AArch64CoreRegs) -> Result<(), ()> {
    if regs.cpsr as u64 != machine.pstate(vcpu) && !machine.set_pstate(vcpu, regs.cpsr as u64) {
        return Err(());
    }
    let s = machine.regs_mut(vcpu);
    s.x[..31].copy_from_slice(&regs.x);
    s.x[SP] = regs.sp;
    s.pc = regs.pc;
    s.v = regs.v;
    s.fpcr = regs.fpcr;
    s.fpsr = regs.fpsr;
    Ok(())
}
