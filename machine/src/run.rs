//! The run loop: vCPUs take turns on one host thread in fixed instruction quanta, so a run
//! is the same instruction for instruction every time; firmware calls (PSCI over HVC) are
//! serviced between quanta; idle vCPUs (WFI) wait for input.

use crate::console::ConsoleInput;
use crate::machine::Machine;
use crate::psci::{self, Outcome};
use armvirt_cpu::exception::Exception;
use armvirt_cpu::exec::describe;
use armvirt_cpu::{Exit, Mem};
use std::fmt;
use std::time::Duration;

/// Instructions a vCPU runs before the next one gets its turn.
pub const QUANTUM: u64 = 10_000;

/// How a run ended normally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// PSCI SYSTEM_OFF.
    PowerOff,
    /// PSCI SYSTEM_RESET (the machine does not reboot yet: it stops and says so).
    Reset,
    /// The user quit from the console (Ctrl-A x).
    Quit,
}

/// A run that stopped because armvirt cannot go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// An encoding this core does not implement yet.
    Unimplemented { vcpu: usize, pc: u64, insn: u32 },
    /// Every vCPU is off and nothing can turn one on.
    AllOff,
    /// Every vCPU waits for an interrupt that nothing can raise.
    Deadlock { pc: u64 },
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Unimplemented { vcpu, pc, insn } => write!(
                f,
                "unimplemented instruction at pc {pc:#018x}: {} on vCPU {vcpu}",
                describe(*insn)
            ),
            Stop::AllOff => f.write_str("every vCPU is off (PSCI CPU_OFF) and none can wake"),
            Stop::Deadlock { pc } => write!(
                f,
                "every vCPU waits in WFI with no interrupt source (vCPU 0 at pc {pc:#018x})"
            ),
        }
    }
}

impl Machine {
    /// Runs until the guest powers off or resets, or armvirt cannot go on.
    pub fn run_with(&mut self, mut input: ConsoleInput) -> Result<RunEnd, Stop> {
        let ram = self.ram.region();
        loop {
            input.pump(&self.uart.0);
            if input.quit_requested() {
                return Ok(RunEnd::Quit);
            }
            let mut ran = false;
            for i in 0..self.vcpus.len() {
                if !self.vcpus[i].runnable() {
                    continue;
                }
                ran = true;
                let mut mem = Mem {
                    ram,
                    bus: &mut self.bus,
                    code: &mut self.code,
                    monitors: &mut self.monitors,
                    tlbi: &mut self.tlbi,
                };
                let exit = self.vcpus[i].cpu.run(&mut mem, QUANTUM);
                if let Some(end) = self.on_exit(i, exit) {
                    return end;
                }
            }
            if !ran {
                self.idle(&mut input)?;
            }
        }
    }

    /// Services what vCPU `i`'s executor handed back; `Some` when the run ends.
    /// (Also used by the debugger's run loop, `debug.rs`.)
    pub(crate) fn on_exit(&mut self, i: usize, exit: Exit) -> Option<Result<RunEnd, Stop>> {
        match exit {
            // Breakpoints are set only by the debugger, whose loop stops at them itself.
            Exit::Budget | Exit::Breakpoint => {}
            Exit::Hvc(_) => match psci::call(i, &mut self.vcpus) {
                Outcome::Continue | Outcome::CpuOff => {}
                Outcome::SystemOff => return Some(Ok(RunEnd::PowerOff)),
                Outcome::SystemReset => return Some(Ok(RunEnd::Reset)),
            },
            Exit::Smc(_) => {
                // The PSCI conduit is HVC; with no EL3, SMC is UNDEFINED (D1.10.2).
                let cpu = &mut self.vcpus[i].cpu;
                cpu.s.pc = cpu.s.pc.wrapping_sub(4);
                cpu.take_exception(Exception::undefined());
            }
            Exit::Wfi => self.vcpus[i].waiting = true,
            Exit::Unimplemented { pc, insn } => {
                return Some(Err(Stop::Unimplemented { vcpu: i, pc, insn }))
            }
        }
        None
    }

    /// No vCPU can run: wait for something that wakes one.
    pub(crate) fn idle(&mut self, input: &mut ConsoleInput) -> Result<(), Stop> {
        use crate::vcpu::Power;
        if self.vcpus.iter().all(|v| v.power == Power::Off) {
            return Err(Stop::AllOff);
        }
        // Without an interrupt controller yet, only console input can matter to a
        // waiting guest; WFI may end spuriously, so waking every waiter is allowed.
        if !input.open() {
            return Err(Stop::Deadlock {
                pc: self.vcpus[0].cpu.s.pc,
            });
        }
        if input.wait(Duration::from_millis(100)) {
            for v in &mut self.vcpus {
                v.waiting = false;
            }
        }
        Ok(())
    }
}
