//! The `Z2`/`Z3`/`Z4` packets: write, read and access watchpoints on virtual address ranges
//! of any length, checked by the vCPUs' memory path (`cpu/src/watch.rs`), and the stop
//! reply for a hit.
//!
//! A hit stops the vCPU before the accessing instruction takes effect, with the PC on it:
//! gdb on aarch64 treats watchpoints as non-steppable (`have_nonsteppable_watchpoint`), so it
//! then removes them, steps that instruction, puts them back and prints "Old value" / "New
//! value" (or "Value") with the PC past it, as it does against QEMU.

use crate::target::DebugTarget;
use armvirt_machine::{WatchHit, WatchKind};
use gdbstub::stub::BaseStopReason;
use gdbstub::target::ext::breakpoints::{HwWatchpoint, WatchKind as GdbWatchKind};
use gdbstub::target::TargetResult;

fn kind_of(kind: GdbWatchKind) -> WatchKind {
    match kind {
        GdbWatchKind::Write => WatchKind::Write,
        GdbWatchKind::Read => WatchKind::Read,
        GdbWatchKind::ReadWrite => WatchKind::Access,
    }
}

impl HwWatchpoint for DebugTarget<'_> {
    fn add_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: GdbWatchKind,
    ) -> TargetResult<bool, Self> {
        self.machine.add_watchpoint(addr, len, kind_of(kind));
        Ok(true)
    }

    fn remove_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: GdbWatchKind,
    ) -> TargetResult<bool, Self> {
        Ok(self.machine.remove_watchpoint(addr, len, kind_of(kind)))
    }
}

/// The stop reply for `hit` on thread `tid`: `watch`, `rwatch` or `awatch` as gdb set the
/// watchpoint, with the address gdb gave for it (as QEMU replies), which gdb matches
/// against its own watchpoints.
pub(crate) fn stop_reason<Tid>(tid: Tid, hit: &WatchHit) -> BaseStopReason<Tid, u64> {
    let kind = match hit.watchpoint.kind {
        WatchKind::Write => GdbWatchKind::Write,
        WatchKind::Read => GdbWatchKind::Read,
        WatchKind::Access => GdbWatchKind::ReadWrite,
    };
    BaseStopReason::Watch {
        tid,
        kind,
        addr: hit.watchpoint.addr,
    }
}
