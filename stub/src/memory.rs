//! The `m`/`M`/`X` packets: memory by virtual address through the current vCPU's
//! translation regime, without touching its TLB. An address that does not translate or is
//! not RAM answers an error, so gdb prints "Cannot access memory at address ...".

use armvirt_machine::Machine;
use gdbstub::target::TargetError;

pub(crate) fn read(
    machine: &mut Machine,
    vcpu: usize,
    start: u64,
    data: &mut [u8],
) -> Result<usize, TargetError<String>> {
    let n = machine.read_virt(vcpu, start, data);
    if n == 0 && !data.is_empty() {
        return Err(TargetError::NonFatal);
    }
    Ok(n)
}

pub(crate) fn write(
    machine: &mut Machine,
    vcpu: usize,
    start: u64,
    data: &[u8],
) -> Result<(), TargetError<String>> {
    if machine.write_virt(vcpu, start, data) < data.len() {
        return Err(TargetError::NonFatal);
    }
    Ok(())
}
