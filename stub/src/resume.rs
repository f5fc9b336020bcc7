//! The `vCont` (and `c`/`s`) packets: gdb lets the guest go. All-stop: a continue runs
//! every vCPU; a step moves only the stepped vCPU, whatever gdb says of the others (as
//! QEMU steps). Nothing runs here: the event loop (`event_loop.rs`) carries out the
//! recorded action while it watches the socket.

use crate::target::{Action, DebugTarget};
use gdbstub::common::{Signal, Tid};
use gdbstub::target::ext::base::multithread::{
    MultiThreadResume, MultiThreadSchedulerLocking, MultiThreadSchedulerLockingOps,
    MultiThreadSingleStep, MultiThreadSingleStepOps,
};
use gdbstub::target::ext::base::reverse_exec::{ReverseContOps, ReverseStepOps};

impl MultiThreadResume for DebugTarget<'_> {
    fn resume(&mut self) -> Result<(), Self::Error> {
        self.action = match self.pending_step.take() {
            Some(vcpu) => Action::Step { vcpu },
            None => Action::Continue { fresh: true },
        };
        Ok(())
    }

    fn clear_resume_actions(&mut self) -> Result<(), Self::Error> {
        self.pending_step = None;
        Ok(())
    }

    /// Signals mean nothing to a bare machine; gdb passes none unless told to. Every
    /// vCPU runs in a continue, whichever threads gdb names.
    fn set_resume_action_continue(
        &mut self,
        _tid: Tid,
        _signal: Option<Signal>,
    ) -> Result<(), Self::Error> {
        Ok(())
    }

    #[inline(always)]
    fn support_single_step(&mut self) -> Option<MultiThreadSingleStepOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_scheduler_locking(&mut self) -> Option<MultiThreadSchedulerLockingOps<'_, Self>> {
        Some(self)
    }

    /// Reverse execution needs the machine's history, kept while gdb is attached unless
    /// `--history 0`.
    #[inline(always)]
    fn support_reverse_step(&mut self) -> Option<ReverseStepOps<'_, Tid, Self>> {
        self.machine.history_active().then_some(self)
    }

    #[inline(always)]
    fn support_reverse_cont(&mut self) -> Option<ReverseContOps<'_, Tid, Self>> {
        self.machine.history_active().then_some(self)
    }
}

impl MultiThreadSchedulerLocking for DebugTarget<'_> {
    /// gdb steps one thread with the others held (`vCont;s:N` alone), which is what a
    /// step does anyway. A continue of some threads only still runs every vCPU: the
    /// machine's clock and devices move for all of them.
    fn set_resume_action_scheduler_lock(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

impl MultiThreadSingleStep for DebugTarget<'_> {
    /// A thread that does not exist steps the vCPU that stopped last (an error here
    /// would end the session).
    fn set_resume_action_step(
        &mut self,
        tid: Tid,
        _signal: Option<Signal>,
    ) -> Result<(), Self::Error> {
        self.pending_step = Some(self.vcpu_of(tid).unwrap_or(self.vcpu));
        Ok(())
    }
}
