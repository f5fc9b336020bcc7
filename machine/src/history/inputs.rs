//! The inputs a run takes from outside the machine, each with the scheduling epoch it
//! entered at: what makes a recorded stretch of execution replayable exactly. Console
//! bytes are logged where the run loop handed them to the UART (a round's start, or its
//! idle wait), as many as the FIFO took; virtconsole bytes where they were queued for
//! hvc0; network frames where the NIC took them from its backend (the virtio service at
//! a round's start: a replay hands the NIC the same frames at the same epoch).

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
    /// An Ethernet frame the `nic`th NIC (command-line order) took from its network.
    Frame { nic: u8, frame: Vec<u8> },
    /// Bytes queued for the virtconsole's port (hvc0), which the device hands the guest
    /// as its receive buffers allow.
    Virtconsole(Vec<u8>),
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
        if let Some(last) = self.entries.last_mut() {
            if last.epoch == epoch && last.phase == phase {
                // Bytes of one stream at one point are one entry.
                match (&mut last.input, &input) {
                    (Input::Console(had), Input::Console(bytes))
                    | (Input::Virtconsole(had), Input::Virtconsole(bytes)) => {
                        had.extend_from_slice(bytes);
                        return;
                    }
                    _ => {}
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

    /// The virtconsole bytes that entered at `epoch` and `phase`.
    pub fn virtconsole_at(&self, epoch: u64, phase: Phase) -> impl Iterator<Item = u8> + '_ {
        self.at(epoch, phase)
            .filter_map(|i| match i {
                Input::Virtconsole(bytes) => Some(bytes.iter().copied()),
                _ => None,
            })
            .flatten()
    }

    /// The frames the NICs took at `epoch`, in the order they took them.
    pub fn frames_at(&self, epoch: u64) -> impl Iterator<Item = (u8, &[u8])> {
        self.at(epoch, Phase::Start).filter_map(|i| match i {
            Input::Frame { nic, frame } => Some((*nic, frame.as_slice())),
            _ => None,
        })
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

    /// The entries, to change (tests that tamper with a recording).
    pub fn entries_mut(&mut self) -> &mut [Entry] {
        &mut self.entries
    }

    /// Bytes held, for the history budget.
    pub fn bytes(&self) -> usize {
        self.entries
            .iter()
            .map(|e| {
                std::mem::size_of::<Entry>()
                    + match &e.input {
                        Input::Console(b) | Input::Virtconsole(b) => b.len(),
                        Input::Frame { frame, .. } => frame.len(),
                        Input::ConsoleClosed | Input::IdleUntil(_) => 0,
                    }
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_of_one_stream_at_one_point_merge_and_others_keep_their_order() {
        let mut log = InputLog::default();
        log.push(3, Phase::Start, Input::Console(b"ab".to_vec()));
        log.push(3, Phase::Start, Input::Console(b"c".to_vec()));
        log.push(
            3,
            Phase::Start,
            Input::Frame {
                nic: 1,
                frame: vec![1, 2],
            },
        );
        log.push(
            3,
            Phase::Start,
            Input::Frame {
                nic: 0,
                frame: vec![3],
            },
        );
        log.push(3, Phase::Start, Input::Virtconsole(b"x".to_vec()));
        log.push(3, Phase::Start, Input::Virtconsole(b"y".to_vec()));
        log.push(3, Phase::Idle, Input::Virtconsole(b"z".to_vec()));
        log.push(
            4,
            Phase::Start,
            Input::Frame {
                nic: 0,
                frame: vec![4],
            },
        );
        assert_eq!(log.entries().len(), 6);
        assert_eq!(log.console_at(3, Phase::Start).collect::<Vec<_>>(), b"abc");
        assert_eq!(
            log.virtconsole_at(3, Phase::Start).collect::<Vec<_>>(),
            b"xy"
        );
        assert_eq!(log.virtconsole_at(3, Phase::Idle).collect::<Vec<_>>(), b"z");
        let frames: Vec<_> = log.frames_at(3).collect();
        assert_eq!(frames, [(1, &[1u8, 2][..]), (0, &[3][..])]);
        assert_eq!(log.frames_at(4).count(), 1);
        assert_eq!(log.frames_at(5).count(), 0);
        log.truncate_after(3);
        assert_eq!(log.frames_at(4).count(), 0);
    }
}
