//! The `p` packet: one register at a time, which is how gdb reads the system registers
//! (gdbstub_arch numbers them by their MRS encoding). Writes go through `G` for the core
//! registers; writing system registers from gdb is not supported yet.

use crate::target::DebugTarget;
use armvirt_machine::Machine;
use gdbstub::target::ext::base::single_register_access::SingleRegisterAccess;
use gdbstub::target::{TargetError, TargetResult};
use gdbstub_arch::aarch64::reg::id::AArch64RegId;

impl SingleRegisterAccess<()> for DebugTarget<'_> {
    fn read_register(
        &mut self,
        _tid: (),
        reg: AArch64RegId,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        let n = self.vcpu;
        let s = self.machine.regs(n);
        let value: u128 = match reg {
            AArch64RegId::X(i @ 0..=30) => s.x[i as usize] as u128,
            AArch64RegId::Sp => s.x[31] as u128,
            AArch64RegId::Pc => s.pc as u128,
            AArch64RegId::Pstate => self.machine.pstate(n) as u128,
            AArch64RegId::V(i @ 0..=31) => s.v[i as usize],
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
        _tid: (),
        reg: AArch64RegId,
        val: &[u8],
    ) -> TargetResult<(), Self> {
        let mut bytes = [0u8; 16];
        let len = val.len().min(16);
        bytes[..len].copy_from_slice(&val[..len]);
        let value = u128::from_le_bytes(bytes);
        let n = self.vcpu;
        if reg == AArch64RegId::Pstate {
            return set_pstate(self.machine, n, value as u64);
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
