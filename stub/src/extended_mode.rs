//! Extended remote mode (`target extended-remote`), and `kill` in either mode: the
//! machine is a process that is always there, attached from the start (so quitting gdb
//! detaches rather than kills, as with QEMU); `kill` ends the emulator after answering
//! gdb (without extended mode gdbstub would hang up before the answer gdb waits for).

use crate::target::DebugTarget;
use gdbstub::common::Pid;
use gdbstub::target::ext::extended_mode::{Args, AttachKind, ExtendedMode, ShouldTerminate};
use gdbstub::target::{TargetError, TargetResult};

impl ExtendedMode for DebugTarget<'_> {
    /// There is no program to start: the machine is the process.
    fn run(&mut self, _filename: Option<&[u8]>, _args: Args<'_, '_>) -> TargetResult<Pid, Self> {
        Err(TargetError::NonFatal)
    }

    fn attach(&mut self, _pid: Pid) -> TargetResult<(), Self> {
        Ok(())
    }

    fn query_if_attached(&mut self, _pid: Pid) -> TargetResult<AttachKind, Self> {
        Ok(AttachKind::Attach)
    }

    fn kill(&mut self, _pid: Option<Pid>) -> TargetResult<ShouldTerminate, Self> {
        Ok(ShouldTerminate::Yes)
    }

    fn restart(&mut self) -> Result<(), Self::Error> {
        Err("restarting the machine from gdb is not supported yet".into())
    }
}
