//! The inputs a run takes from outside the machine, each with the scheduling epoch it
//! entered at: what makes a recorded stretch of execution replayable exactly. Console
//! bytes are the input a debugging session has; each is logged where the run loop handed
//! it to the UART (a round's start, or its idle wait), as many as the FIFO took.

use serde::{Deserialize, Serialize};

/// Where in a round an input entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Before the round's slices.
    Start,
    /// After the idle step's wait (every vCPU idle).
    Idle,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Input {
    /// Bytes delivered to the UART's receive FIFO.
    Console(Vec<u8>),
    /// Console input ended (stdin closed): from here on the idle step treats the console
    /// as gone, as the live run did.
    ConsoleClosed,
    /// The idle step moved the clock to this time instead of the next deadline (host
    /// time, which network traffic makes it follow).
    IdleUntil(u64),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub epoch: u64,
    pub phase: Phase,
    pub input: Input,
}

/// The log, in the order inputs entered.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct InputLog {
    entries: Vec<Entry>,
}

impl InputLog {
    pub fn push(&mut self, epoch: u64, phase: Phase, input: Input) {
        if let (Some(last), Input::Console(bytes)) = (self.entries.last_mut(), &input) {
            if last.epoch == epoch && last.phase == phase {
                if let Input::Console(had) = &mut last.input {
                    had.extend_from_slice(bytes);
                    return;
                }
            }
        }
        self.entries.push(Entry {
            epoch,
            phase,
            input,
        });
    }

    /// The inputs of `epoch` at `phase`.
    pub fn at(&self, epoch: u64, phase: Phase) -> impl Iterator<Item = &Input> {
        let first = self.entries.partition_point(|e| e.epoch < epoch);
        self.entries[first..]
            .iter()
            .take_while(move |e| e.epoch == epoch)
            .filter(move |e| e.phase == phase)
            .map(|e| &e.input)
    }

    /// The console bytes that entered at `epoch` and `phase`.
    pub fn console_at(&self, epoch: u64, phase: Phase) -> impl Iterator<Item = u8> + '_ {
        self.at(epoch, phase)
            .filter_map(|i| match i {
                Input::Console(bytes) => Some(bytes.iter().copied()),
                _ => None,
            })
            .flatten()
    }

    /// Where the idle step of `epoch` moved the clock, when not to the next deadline.
    pub fn idle_until(&self, epoch: u64) -> Option<u64> {
        self.at(epoch, Phase::Idle).find_map(|i| match i {
            Input::IdleUntil(t) => Some(*t),
            _ => None,
        })
    }

    /// Whether console input has ended.
    pub fn console_closed(&self) -> bool {
        self.entries.iter().any(|e| e.input == Input::ConsoleClosed)
    }

    /// Whether console input had ended by `epoch`.
    pub fn console_closed_by(&self, epoch: u64) -> bool {
        let end = self.entries.partition_point(|e| e.epoch <= epoch);
        self.entries[..end]
            .iter()
            .any(|e| e.input == Input::ConsoleClosed)
    }

    /// Forgets what entered after `epoch` (history cut at a write from the debugger).
    pub fn truncate_after(&mut self, epoch: u64) {
        let end = self.entries.partition_point(|e| e.epoch <= epoch);
        self.entries.truncate(end);
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Bytes held, for the history budget.
    pub fn bytes(&self) -> usize {
        self.entries
            .iter()
            .map(|e| {
                std::mem::size_of::<Entry>()
                    + match &e.input {
                        Input::Console(b) => b.len(),
                        Input::ConsoleClosed | Input::IdleUntil(_) => 0,
                    }
            })
            .sum()
    }
}
