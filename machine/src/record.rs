//! Record and replay of a whole run (`--record FILE`, `--replay FILE`): everything that
//! enters the machine from outside — console bytes with the scheduling epoch and phase
//! they entered at, the console's end, idle clock jumps that network traffic caused, the
//! RTC's starting time — and a hash of the machine's state every [`HASH_INTERVAL`]
//! instructions. A replay feeds the inputs back at the same points (the host's console is
//! not read) and compares the hashes: the first that differs stops the run with one line
//! naming its instruction count. The file is small: proportional to the input, plus 24 bytes
//! per hash.
//!
//! The log is written when the run ends (however it ends, short of the process being
//! killed). Not recorded: user-mode network packets, disk writes to a non-snapshot image,
//! semihosting's host files, virtio-console input; a run that has them may not replay.

use crate::history::deliver_logged;
use crate::history::inputs::{Input, InputLog, Phase};
use crate::machine::Machine;
use serde::{Deserialize, Serialize};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

/// Instructions (all vCPUs together) between two state hashes.
pub const HASH_INTERVAL: u64 = 50_000_000;

const MAGIC: &[u8; 8] = b"ARMVREC1";

/// A recording, as the file holds it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Recording {
    pub armvirt: String,
    pub kernel_size: u64,
    pub kernel_crc: u32,
    /// The RTC's starting count of seconds (the host's clock, unless `--rtc base=`).
    pub rtc_start: u64,
    pub inputs: InputLog,
    /// (epoch, instructions, state hash) at each hash point, in order.
    pub hashes: Vec<(u64, u64, u64)>,
}

impl Recording {
    pub fn read(path: &Path) -> Result<Self, String> {
        let name = path.display();
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read '{name}': {e}"))?;
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(format!("'{name}' is not an armvirt recording"));
        }
        bincode::deserialize(&bytes[MAGIC.len()..])
            .map_err(|_| format!("'{name}' is a corrupt or truncated recording"))
    }

    pub fn write(&self, path: &Path) -> Result<(), String> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend(bincode::serialize(self).map_err(|e| e.to_string())?);
        std::fs::write(path, bytes).map_err(|e| format!("cannot write '{}': {e}", path.display()))
    }
}

/// What the machine does with a recording.
pub(crate) enum Mode {
    Record { file: PathBuf, rec: Recording },
    Replay { rec: Recording, next_hash: usize },
}

pub(crate) struct Recorder {
    pub mode: Mode,
    next_hash_at: u64,
}

impl Machine {
    /// Starts recording the run into `file` (written by [`Machine::finish_recording`]).
    pub fn record_to(&mut self, file: &Path) -> Result<(), String> {
        let (kernel_size, kernel_crc) = self.kernel_identity()?;
        let rec = Recording {
            armvirt: env!("CARGO_PKG_VERSION").into(),
            kernel_size,
            kernel_crc,
            rtc_start: self.rtc_start,
            ..Recording::default()
        };
        self.recorder = Some(Box::new(Recorder {
            mode: Mode::Record {
                file: file.to_path_buf(),
                rec,
            },
            next_hash_at: HASH_INTERVAL,
        }));
        Ok(())
    }

    /// Replays `rec` (read before the machine was built with its RTC start); refused when
    /// it is another kernel's or another armvirt's.
    pub fn replay_from(&mut self, rec: Recording) -> Result<(), String> {
        let (size, crc) = self.kernel_identity()?;
        if (rec.kernel_size, rec.kernel_crc) != (size, crc) {
            return Err("the recording belongs to another kernel".into());
        }
        if rec.armvirt != env!("CARGO_PKG_VERSION") {
            return Err(format!("the recording was made by armvirt {}", rec.armvirt));
        }
        self.recorder = Some(Box::new(Recorder {
            mode: Mode::Replay { rec, next_hash: 0 },
            next_hash_at: HASH_INTERVAL,
        }));
        Ok(())
    }

    /// Writes the recording (when recording); the final state's hash, for the user to
    /// compare with a replay's.
    pub fn finish_recording(&mut self) -> Result<Option<u64>, String> {
        match self.recorder.as_ref().map(|r| &r.mode) {
            Some(Mode::Record { file, rec }) => rec.write(file)?,
            Some(Mode::Replay { .. }) => {}
            None => return Ok(None),
        }
        Ok(Some(self.state_hash()))
    }

    pub(crate) fn recording(&self) -> bool {
        matches!(
            self.recorder.as_ref().map(|r| &r.mode),
            Some(Mode::Record { .. })
        )
    }

    pub(crate) fn replaying_recording(&self) -> bool {
        matches!(
            self.recorder.as_ref().map(|r| &r.mode),
            Some(Mode::Replay { .. })
        )
    }

    /// Logs an input entering now (recording).
    pub(crate) fn record_input(&mut self, phase: Phase, input: Input) {
        let epoch = self.epoch;
        if let Some(Recorder {
            mode: Mode::Record { rec, .. },
            ..
        }) = self.recorder.as_deref_mut()
        {
            rec.inputs.push(epoch, phase, input);
        }
    }

    /// Logs the console's end, once, into history and the recording.
    pub(crate) fn note_console_closed(&mut self, phase: Phase) {
        if self.history.as_ref().is_some_and(|h| !h.console_closed()) {
            self.log_input(phase, Input::ConsoleClosed);
        }
        let epoch = self.epoch;
        if let Some(Recorder {
            mode: Mode::Record { rec, .. },
            ..
        }) = self.recorder.as_deref_mut()
        {
            if !rec.inputs.console_closed() {
                rec.inputs.push(epoch, phase, Input::ConsoleClosed);
            }
        }
    }

    /// The recording's log, when replaying one.
    pub(crate) fn recorded_inputs(&self) -> Option<&InputLog> {
        match self.recorder.as_ref().map(|r| &r.mode) {
            Some(Mode::Replay { rec, .. }) => Some(&rec.inputs),
            _ => None,
        }
    }

    /// `--replay`: the UART gets the console bytes recorded at this epoch and `phase`.
    pub(crate) fn recorded_console_input(&mut self, phase: Phase) {
        if let Some(log) = self.recorded_inputs() {
            self.input_open = deliver_logged(&self.uart, log, self.epoch, phase);
        }
    }

    /// `--replay`: where the recorded run's idle step moved the clock at this epoch.
    pub(crate) fn recorded_idle_until(&self, deadline: u64) -> u64 {
        let logged = self
            .recorded_inputs()
            .and_then(|log| log.idle_until(self.epoch));
        logged.unwrap_or(deadline)
    }

    /// At a round's end: a hash when one is due; in a replay, the first that differs from
    /// the recording's is the instruction count returned.
    pub(crate) fn check_hash(&mut self) -> Option<u64> {
        let ticks = self.ticks();
        let due = self
            .recorder
            .as_ref()
            .is_some_and(|r| ticks >= r.next_hash_at);
        if !due {
            return None;
        }
        let hash = self.state_hash();
        let epoch = self.epoch;
        let r = self.recorder.as_deref_mut()?;
        r.next_hash_at = (ticks / HASH_INTERVAL + 1) * HASH_INTERVAL;
        match &mut r.mode {
            Mode::Record { rec, .. } => {
                rec.hashes.push((epoch, ticks, hash));
                None
            }
            Mode::Replay { rec, next_hash } => {
                let want = rec.hashes.get(*next_hash).copied();
                *next_hash += 1;
                match want {
                    Some(w) if w == (epoch, ticks, hash) => None,
                    Some((_, at, _)) => Some(at.min(ticks)),
                    // Past the end of the recording: the run goes on unchecked.
                    None => None,
                }
            }
        }
    }

    /// A hash of every vCPU, device and nonzero RAM page.
    pub fn state_hash(&self) -> u64 {
        let mut h = DefaultHasher::new();
        let mut state = self.save_state();
        for v in &mut state.vcpus {
            // The debugger's, not the guest's.
            v.cpu.pending_watch = None;
        }
        format!("{state:?}").hash(&mut h);
        for p in self.ram.nonzero_pages() {
            p.hash(&mut h);
            self.ram.page(p).hash(&mut h);
        }
        h.finish()
    }
}
