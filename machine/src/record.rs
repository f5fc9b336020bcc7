//! Record and replay of a whole run (`--record FILE`, `--replay FILE`): everything that
//! enters the machine from outside — console and virtconsole bytes and the network frames
//! the NICs took, with the scheduling epoch and phase they entered at, the console's end,
//! idle clock jumps that network traffic caused, the RTC's starting time — and a hash of
//! the machine's state every [`HASH_INTERVAL`] instructions. A replay feeds the inputs
//! back at the same points (the host's console is not read, the user networks have no
//! host side) and compares the hashes: the first that differs stops the run with one line
//! naming its instruction count.
//!
//! The file is a magic, then one deflate stream of [`Event`]s written as they happen and
//! flushed at every hash point and at least every [`FLUSH_EVERY`] of host time, so a
//! killed run leaves a prefix that replays up to its last flush ([`Recording::complete`]
//! says whether the end was written). Not recorded: disk writes to a non-snapshot image,
//! semihosting's host files; a run that has them may not replay.

use crate::history::deliver_logged;
use crate::history::inputs::{Entry, Input, InputLog, Phase};
use crate::machine::Machine;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use std::collections::hash_map::DefaultHasher;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Instructions (all vCPUs together) between two state hashes.
pub const HASH_INTERVAL: u64 = 50_000_000;

/// The most host time between two flushes of the file while recording.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

const MAGIC: &[u8; 8] = b"ARMVREC2";

/// What identifies the recorded run's machine: the first event.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Header {
    armvirt: String,
    kernel_size: u64,
    kernel_crc: u32,
    rtc_start: u64,
}

/// One record of the file, in the order the run made them.
#[derive(Debug, Serialize, Deserialize)]
enum Event {
    Start(Header),
    Input(Entry),
    /// (epoch, instructions, state hash).
    Hash(u64, u64, u64),
    /// The run ended and the file was closed.
    End,
}

/// A recording, as read from its file.
#[derive(Clone, Debug, Default)]
pub struct Recording {
    pub armvirt: String,
    pub kernel_size: u64,
    pub kernel_crc: u32,
    /// The RTC's starting count of seconds (the host's clock, unless `--rtc base=`).
    pub rtc_start: u64,
    pub inputs: InputLog,
    /// (epoch, instructions, state hash) at each hash point, in order.
    pub hashes: Vec<(u64, u64, u64)>,
    /// Whether the file has its end (false: the recorded run was killed; this is the
    /// prefix up to its last flush).
    pub complete: bool,
}

impl Recording {
    pub fn read(path: &Path) -> Result<Self, String> {
        let name = path.display();
        let file = File::open(path).map_err(|e| format!("cannot read '{name}': {e}"))?;
        let mut file = BufReader::new(file);
        let mut magic = [0u8; 8];
        if file.read_exact(&mut magic).is_err() || &magic != MAGIC {
            return Err(format!("'{name}' is not an armvirt recording"));
        }
        Recording::decode(DeflateDecoder::new(file))
            .ok_or_else(|| format!("'{name}' is a corrupt or truncated recording"))
    }

    /// The events of `stream`; `None` when it does not start with the header.
    fn decode(mut stream: impl Read) -> Option<Self> {
        let Ok(Event::Start(h)) = bincode::deserialize_from(&mut stream) else {
            return None;
        };
        let mut rec = Recording {
            armvirt: h.armvirt,
            kernel_size: h.kernel_size,
            kernel_crc: h.kernel_crc,
            rtc_start: h.rtc_start,
            ..Recording::default()
        };
        // A cut stream ends at its last whole event.
        while let Ok(event) = bincode::deserialize_from(&mut stream) {
            match event {
                Event::Input(e) => rec.inputs.push(e.epoch, e.phase, e.input),
                Event::Hash(epoch, ticks, hash) => rec.hashes.push((epoch, ticks, hash)),
                Event::End => {
                    rec.complete = true;
                    break;
                }
                Event::Start(_) => return None,
            }
        }
        Some(rec)
    }

    /// Writes the whole recording to `path` (tests, tools that edit one).
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let mut w = RecordWriter::create(path, &self.header())?;
        for e in self.inputs.entries() {
            w.event(&Event::Input(e.clone()));
        }
        for &(epoch, ticks, hash) in &self.hashes {
            w.event(&Event::Hash(epoch, ticks, hash));
        }
        if self.complete {
            w.finish()
        } else {
            w.flush();
            w.error.map_or(Ok(()), Err)
        }
    }

    fn header(&self) -> Header {
        Header {
            armvirt: self.armvirt.clone(),
            kernel_size: self.kernel_size,
            kernel_crc: self.kernel_crc,
            rtc_start: self.rtc_start,
        }
    }

    /// The last epoch the recording says anything about.
    fn last_epoch(&self) -> u64 {
        let input = self.inputs.entries().last().map_or(0, |e| e.epoch);
        let hash = self.hashes.last().map_or(0, |h| h.0);
        input.max(hash)
    }
}

/// The file being recorded, written as the run goes.
pub(crate) struct RecordWriter {
    out: Option<DeflateEncoder<BufWriter<File>>>,
    path: PathBuf,
    last_flush: Instant,
    /// The first write error (reported when the run ends; recording stops there).
    error: Option<String>,
}

impl RecordWriter {
    fn create(path: &Path, header: &Header) -> Result<Self, String> {
        let fail = |e: std::io::Error| format!("cannot write '{}': {e}", path.display());
        let mut file = BufWriter::new(File::create(path).map_err(fail)?);
        file.write_all(MAGIC).map_err(fail)?;
        let mut w = RecordWriter {
            out: Some(DeflateEncoder::new(file, Compression::default())),
            path: path.to_path_buf(),
            last_flush: Instant::now(),
            error: None,
        };
        w.event(&Event::Start(header.clone()));
        w.flush();
        w.error.take().map_or(Ok(w), Err)
    }

    fn event(&mut self, event: &Event) {
        let Some(out) = self.out.as_mut() else {
            return;
        };
        if let Err(e) = bincode::serialize_into(out, event) {
            self.fail(&e.to_string());
        } else if self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush();
        }
    }

    /// Makes everything so far decodable from the file (a deflate sync flush).
    fn flush(&mut self) {
        self.last_flush = Instant::now();
        if let Some(out) = self.out.as_mut() {
            if let Err(e) = out.flush().and_then(|_| out.get_mut().flush()) {
                self.fail(&e.to_string());
            }
        }
    }

    fn fail(&mut self, why: &str) {
        self.out = None;
        self.error
            .get_or_insert_with(|| format!("cannot write '{}': {why}", self.path.display()));
    }

    /// Writes the end and closes the stream.
    fn finish(mut self) -> Result<(), String> {
        self.event(&Event::End);
        if let Some(out) = self.out.take() {
            let done = out.finish().and_then(|mut f| f.flush());
            if let Err(e) = done {
                self.fail(&e.to_string());
            }
        }
        self.error.map_or(Ok(()), Err)
    }
}

/// What the machine does with a recording.
pub(crate) enum Mode {
    Record {
        /// `None` once the run's end was written.
        writer: Option<RecordWriter>,
        console_closed: bool,
    },
    Replay {
        rec: Recording,
        next_hash: usize,
    },
}

pub(crate) struct Recorder {
    pub mode: Mode,
    next_hash_at: u64,
}

impl Machine {
    /// Starts recording the run into `file`, written as the run goes and closed by
    /// [`Machine::finish_recording`].
    pub fn record_to(&mut self, file: &Path) -> Result<(), String> {
        let (kernel_size, kernel_crc) = self.kernel_identity()?;
        let header = Header {
            armvirt: env!("CARGO_PKG_VERSION").into(),
            kernel_size,
            kernel_crc,
            rtc_start: self.rtc_start,
        };
        let writer = RecordWriter::create(file, &header)?;
        self.recorder = Some(Box::new(Recorder {
            mode: Mode::Record {
                writer: Some(writer),
                console_closed: false,
            },
            next_hash_at: HASH_INTERVAL,
        }));
        self.update_frame_logging();
        Ok(())
    }

    /// Replays `rec` (read before the machine was built with its RTC start and with
    /// offline networks); refused when it is another kernel's or another armvirt's.
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
        self.virtio.nets.replay(true);
        Ok(())
    }

    /// Closes the recording (when recording); the final state's hash, for the user to
    /// compare with a replay's.
    pub fn finish_recording(&mut self) -> Result<Option<u64>, String> {
        // Frames taken in the last round.
        self.log_frames();
        match self.recorder.as_deref_mut().map(|r| &mut r.mode) {
            Some(Mode::Record { writer, .. }) => {
                if let Some(w) = writer.take() {
                    w.finish()?;
                }
            }
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
            mode: Mode::Record {
                writer: Some(w), ..
            },
            ..
        }) = self.recorder.as_deref_mut()
        {
            w.event(&Event::Input(Entry {
                epoch,
                phase,
                input,
            }));
        }
    }

    /// Logs the console's end, once, into history and the recording.
    pub(crate) fn note_console_closed(&mut self, phase: Phase) {
        if self.history.as_ref().is_some_and(|h| !h.console_closed()) {
            self.log_input(phase, Input::ConsoleClosed);
        }
        let first = match self.recorder.as_deref_mut().map(|r| &mut r.mode) {
            Some(Mode::Record { console_closed, .. }) => !std::mem::replace(console_closed, true),
            _ => false,
        };
        if first {
            self.record_input(phase, Input::ConsoleClosed);
        }
    }

    /// The recording's log, when replaying one.
    pub(crate) fn recorded_inputs(&self) -> Option<&InputLog> {
        match self.recorder.as_ref().map(|r| &r.mode) {
            Some(Mode::Replay { rec, .. }) => Some(&rec.inputs),
            _ => None,
        }
    }

    /// `--replay` of a recording whose run was killed: whether this epoch is past all it
    /// says (the replay ends there, where the recorded run's file does).
    pub(crate) fn past_recording(&self) -> bool {
        match self.recorder.as_ref().map(|r| &r.mode) {
            Some(Mode::Replay { rec, .. }) => !rec.complete && self.epoch > rec.last_epoch(),
            _ => false,
        }
    }

    /// `--replay`: the UART (or the virtconsole with stdin) gets the console bytes
    /// recorded at this epoch and `phase`.
    pub(crate) fn recorded_console_input(&mut self, phase: Phase) {
        if let Some(log) = self.recorded_inputs() {
            let port = self.virtio.virtconsole.as_ref();
            self.input_open = deliver_logged(&self.uart, port, log, self.epoch, phase);
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
            Mode::Record { writer, .. } => {
                if let Some(w) = writer.as_mut() {
                    w.event(&Event::Hash(epoch, ticks, hash));
                    w.flush();
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Recording {
        let mut rec = Recording {
            armvirt: "0.1.0".into(),
            kernel_size: 1234,
            kernel_crc: 0xdead_beef,
            rtc_start: 1_700_000_000,
            complete: true,
            ..Recording::default()
        };
        rec.inputs
            .push(7, Phase::Start, Input::Console(b"ls\n".to_vec()));
        rec.inputs.push(
            9,
            Phase::Start,
            Input::Frame {
                nic: 0,
                frame: vec![0xff; 60],
            },
        );
        rec.inputs.push(9, Phase::Idle, Input::IdleUntil(5_000));
        rec.inputs
            .push(12, Phase::Idle, Input::Virtconsole(b"hi".to_vec()));
        rec.inputs.push(13, Phase::Idle, Input::ConsoleClosed);
        rec.hashes.push((10, 50_000_000, 42));
        rec
    }

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("armvirt-rec-{}-{name}", std::process::id()))
    }

    #[test]
    fn a_recording_reads_back_as_written() {
        let path = temp("whole");
        let rec = sample();
        rec.write(&path).unwrap();
        let back = Recording::read(&path).unwrap();
        assert!(back.complete);
        assert_eq!(back.inputs.entries(), rec.inputs.entries());
        assert_eq!(back.hashes, rec.hashes);
        assert_eq!(
            (
                back.armvirt.as_str(),
                back.kernel_size,
                back.kernel_crc,
                back.rtc_start
            ),
            ("0.1.0", 1234, 0xdead_beef, 1_700_000_000)
        );
        assert_eq!(back.last_epoch(), 13);
        std::fs::remove_file(&path).ok();
    }

    #[test]
    fn repeated_frames_compress() {
        let path = temp("frames");
        let mut rec = sample();
        for epoch in 100..1100 {
            let frame = (0..1500).map(|i| (i % 7) as u8).collect();
            rec.inputs
                .push(epoch, Phase::Start, Input::Frame { nic: 0, frame });
        }
        rec.write(&path).unwrap();
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size < 100_000, "1.5 MB of frames took {size} bytes");
        assert_eq!(
            Recording::read(&path)
                .unwrap()
                .inputs
                .frames_at(500)
                .count(),
            1
        );
        std::fs::remove_file(&path).ok();
    }

    #[test]
    fn a_cut_file_is_the_prefix_before_its_last_flush() {
        let path = temp("cut");
        let mut rec = sample();
        rec.complete = false;
        rec.write(&path).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        // What a killed run leaves: the flushed stream, maybe half an event more.
        bytes.extend_from_slice(&[0x55; 3]);
        std::fs::write(&path, &bytes).unwrap();
        let back = Recording::read(&path).unwrap();
        assert!(!back.complete);
        assert_eq!(back.inputs.entries(), rec.inputs.entries());

        let whole = Recording::read(&path).unwrap();
        let cut = &bytes[..MAGIC.len() + 4];
        std::fs::write(&path, cut).unwrap();
        let err = Recording::read(&path).unwrap_err();
        assert!(err.contains("corrupt or truncated"), "{err}");
        assert!(!whole.complete);
        std::fs::write(&path, b"not a recording at all").unwrap();
        assert!(Recording::read(&path)
            .unwrap_err()
            .contains("not an armvirt recording"));
        std::fs::remove_file(&path).ok();
    }
}
