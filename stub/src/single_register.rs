//! The `p`/`P` packets: one register of a thread's vCPU at a time, which is how gdb reads
//! and writes the system registers (gdbstub_arch numbers them by their MRS encoding).
//! A system register write goes through the CPU's MSR path, so its side effects happen
//! (a new SCTLR_EL1 or TCR_EL1 drops cached translations); read-only ones refuse.

use crate::target::DebugTarget;
use armvirt_machine::Machine;
use gdbstub::common::Tid;
use gdbstub::target::ext::base::single_register_access::SingleRegisterAccess;
use gdbstub::target::{TargetError, TargetResult};
use gdbstub_arch::aarch64::reg::id::AArch64RegId;

/// SP_EL1's encoding (op0 3, op1 4, CRn 4, CRm 1, op2 0): MRS reaches it from EL2 only, so
/// the CPU's table lacks it, but a kernel debugger wants EL1's stack pointer while the
/// vCPU is at EL0 (where `sp` is SP_EL0).
pub(crate) const SP_EL1: u16 = 0xe208;

impl SingleRegisterAccess<Tid> for DebugTarget<'_> {
    fn read_register(
        &mut self,
        tid: Tid,
        reg: AArch64RegId,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        let n = self.select(tid)?;
        let s = self.machine.regs(n);
        let value: u128 = match reg {
            AArch64RegId::X(i @ 0..=30) => s.x[i as usize] as u128,
            AArch64RegId::Sp => s.x[31] as u128,
            AArch64RegId::Pc => s.pc as u128,
            AArch64RegId::Pstate => self.machine.pstate(n) as u128,
            AArch64RegId::V(i @ 0..=31) => s.v[i as usize],
            AArch64RegId::System(SP_EL1) => s.sp_el(1) as u128,
            AArch64RegId::System(enc) => match self.machine.read_sysreg(n, enc) {
                Some(v) => v as u128,
                None => return Err(TargetError::NonFatal),
            },
            _ => return Err(TargetError::NonFatal),
        };
        let size = reg_size(reg).min(buf.len());
        buf[..size].copy_from_slice(&value.to_le_bytes()[..size]);
        Ok(size)
    }

    fn write_register(
        &mut self,
        tid: Tid,
        reg: AArch64RegId,
        val: &[u8],
    ) -> TargetResult<(), Self> {
        let mut bytes = [0u8; 16];
        let len = val.len().min(16);
        bytes[..len].copy_from_slice(&val[..len]);
        let value = u128::from_le_bytes(bytes);
        let n = self.select(tid)?;
        match reg {
            AArch64RegId::Pstate => return set_pstate(self.machine, n, value as u64),
            AArch64RegId::System(SP_EL1) => {
                self.machine.regs_mut(n).set_sp_el(1, value as u64);
                return Ok(());
            }
            AArch64RegId::System(enc) => {
                return self
                    .machine
                    .write_sysreg(n, enc, value as u64)
                    .map_err(|_| TargetError::NonFatal)
            }
            _ => {}
        }
        let s = self.machine.regs_mut(n);
        match reg {
            AArch64RegId::X(i @ 0..=30) => s.x[i as usize] = value as u64,
            AArch64RegId::Sp => s.x[31] = value as u64,
            AArch64RegId::Pc => s.pc = value as u64,
            AArch64RegId::V(i @ 0..=31) => s.v[i as usize] = value,
            _ => return Err(TargetError::NonFatal),
        }
        Ok(())
    }
}

fn set_pstate(machine: &mut Machine, n: usize, v: u64) -> Result<(), TargetError<String>> {
    if machine.set_pstate(n, v) {
        Ok(())
    } else {
        Err(TargetError::NonFatal)
    }
}

fn reg_size(reg: AArch64RegId) -> usize {
    match reg {
        AArch64RegId::V(_) => 16,
        AArch64RegId::Pstate => 4,
        _ => 8,
    }
}
