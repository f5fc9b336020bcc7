//! The `c`/`s` (and `vCont`) packets: gdb lets the guest go. Nothing runs here: the event
//! loop (`event_loop.rs`) carries out the recorded action while it watches the socket.

use crate::target::{Action, DebugTarget};
use gdbstub::common::Signal;
use gdbstub::target::ext::base::singlethread::{
    SingleThreadResume, SingleThreadSingleStep, SingleThreadSingleStepOps,
};

impl SingleThreadResume for DebugTarget<'_> {
    /// Signals mean nothing to a bare machine; gdb passes none unless told to.
    fn resume(&mut self, _signal: Option<Signal>) -> Result<(), Self::Error> {
        self.action = Action::Continue { fresh: true };
        Ok(())
    }

    #[inline(always)]
    fn support_single_step(&mut self) -> Option<SingleThreadSingleStepOps<'_, Self>> {
        Some(self)
    }
}

impl SingleThreadSingleStep for DebugTarget<'_> {
    fn step(&mut self, _signal: Option<Signal>) -> Result<(), Self::Error> {
        self.action = Action::Step;
        Ok(())
    }
}
