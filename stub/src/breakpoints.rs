//! The `Z0`/`Z1` packets: software and hardware breakpoints, both as PC matches the
//! executor checks before each instruction (never patched guest memory), so both work on
//! addresses that are not mapped yet. The two kinds differ only in how a stop is reported.

use crate::target::DebugTarget;
use gdbstub::target::ext::breakpoints::{
    Breakpoints, HwBreakpoint, HwBreakpointOps, HwWatchpointOps, SwBreakpoint, SwBreakpointOps,
};
use gdbstub::target::TargetResult;

/// Addresses of the breakpoints gdb asked for as hardware ones (a multiset).
#[derive(Default)]
pub(crate) struct HwBreakpoints(Vec<u64>);

impl HwBreakpoints {
    pub fn contains(&self, pc: u64) -> bool {
        self.0.contains(&pc)
    }
}

impl Breakpoints for DebugTarget<'_> {
    #[inline(always)]
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_hw_breakpoint(&mut self) -> Option<HwBreakpointOps<'_, Self>> {
        Some(self)
    }

    /// `watchpoints.rs`.
    #[inline(always)]
    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

impl SwBreakpoint for DebugTarget<'_> {
    fn add_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.machine.add_breakpoint(addr);
        Ok(true)
    }

    fn remove_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        Ok(self.machine.remove_breakpoint(addr))
    }
}

impl HwBreakpoint for DebugTarget<'_> {
    fn add_hw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.machine.add_breakpoint(addr);
        self.hw_breakpoints.0.push(addr);
        Ok(true)
    }

    fn remove_hw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        let Some(i) = self.hw_breakpoints.0.iter().position(|&a| a == addr) else {
            return Ok(false);
        };
        self.hw_breakpoints.0.swap_remove(i);
        Ok(self.machine.remove_breakpoint(addr))
    }
}
