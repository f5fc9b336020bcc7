//! The `bs` and `bc` packets (gdb's `reverse-stepi`, `reverse-continue`, and what
//! `reverse-step/next/finish` are made of): the machine's history (`armvirt_machine::
//! history`) moves it back. As for forward motion, nothing runs here: the event loop
//! carries out the action.

use crate::target::{Action, DebugTarget};
use gdbstub::common::Tid;
use gdbstub::target::ext::base::reverse_exec::{ReverseCont, ReverseStep};

impl ReverseStep<Tid> for DebugTarget<'_> {
    /// A thread that does not exist (`Hc-1`, `Hc0`) steps the vCPU that stopped last,
    /// as a forward step does.
    fn reverse_step(&mut self, tid: Tid) -> Result<(), Self::Error> {
        let vcpu = self.vcpu_of(tid).unwrap_or(self.vcpu);
        self.action = Action::ReverseStep { vcpu };
        Ok(())
    }
}

impl ReverseCont<Tid> for DebugTarget<'_> {
    fn reverse_cont(&mut self) -> Result<(), Self::Error> {
        self.action = Action::ReverseContinue;
        Ok(())
    }
}
