//! The `m`/`M`/`X` packets: memory by virtual address through the thread's vCPU's
//! translation regime, without touching its TLB; or, after `monitor phys on`, by physical
//! address. An address that does not translate or is not RAM answers an error, so gdb
//! prints "Cannot access memory at address ...".

use armvirt_machine::Machine;
use gdbstub::target::TargetError;

pub(crate) fn read(
    machine: &mut Machine,
    phys: bool,
    vcpu: usize,
    start: u64,
    data: &mut [u8],
) -> Result<usize, TargetError<String>> {
    let n = if phys {
        read_phys(machine, start, data)
    } else {
        machine.read_virt(vcpu, start, data)
    };
    if n == 0 && !data.is_empty() {
        return Err(TargetError::NonFatal);
    }
    Ok(n)
}

pub(crate) fn write(
    machine: &mut Machine,
    phys: bool,
    vcpu: usize,
    start: u64,
    data: &[u8],
) -> Result<(), TargetError<String>> {
    let n = if phys {
        machine.write_phys(start, data)
    } else {
        machine.write_virt(vcpu, start, data)
    };
    if n < data.len() {
        return Err(TargetError::NonFatal);
    }
    Ok(())
}

/// Physical reads are all or nothing in the machine; gdb wants what can be read, so a
/// range that runs past the end of RAM is read up to there.
fn read_phys(machine: &mut Machine, start: u64, data: &mut [u8]) -> usize {
    let n = machine.read_phys(start, data);
    if n > 0 || data.is_empty() {
        return n;
    }
    let mut done = 0;
    while done < data.len()
        && machine.read_phys(start + done as u64, &mut data[done..done + 1]) == 1
    {
        done += 1;
    }
    done
}
