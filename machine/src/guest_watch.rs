//! Watches the guest's console output for the line Linux prints when it panics
//! (kernel/panic.c: `Kernel panic - not syncing: <reason>`, and after the backtrace
//! `---[ end Kernel panic - not syncing: <reason> ]---`), so the run can say so and end
//! with its own status instead of spinning in the kernel's panic loop until a timeout.

use std::io::Write;
use std::sync::{Arc, Mutex};

const PANIC: &str = "Kernel panic - not syncing: ";
const PANIC_END: &str = "---[ end Kernel panic - not syncing";
/// A longer line is cut here (the watcher keeps no more of a line than this).
const MAX_LINE: usize = 1024;

/// What the watcher has seen.
#[derive(Debug, Default)]
pub struct PanicSeen {
    /// The reason on the first panic line.
    pub reason: Option<String>,
    /// The kernel printed the end-of-panic line: its report is complete.
    pub ended: bool,
}

/// A writer passing everything through to `inner` while reading it line by line.
pub struct PanicWatch<W> {
    inner: W,
    line: Vec<u8>,
    seen: Arc<Mutex<PanicSeen>>,
}

impl<W> PanicWatch<W> {
    pub fn new(inner: W, seen: Arc<Mutex<PanicSeen>>) -> Self {
        PanicWatch {
            inner,
            line: Vec::new(),
            seen,
        }
    }

    fn end_line(&mut self) {
        let line = String::from_utf8_lossy(&self.line);
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if line.contains(PANIC_END) {
            seen.ended = true;
        } else if let Some(at) = line.find(PANIC) {
            if seen.reason.is_none() {
                seen.reason = Some(line[at + PANIC.len()..].trim_end().to_string());
            }
        }
        self.line.clear();
    }
}

impl<W: Write> Write for PanicWatch<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        for &b in &buf[..n] {
            match b {
                b'\n' => self.end_line(),
                b'\r' => {}
                _ if self.line.len() < MAX_LINE => self.line.push(b),
                _ => {}
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_reason_and_the_end_across_writes() {
        let seen = Arc::new(Mutex::new(PanicSeen::default()));
        let mut w = PanicWatch::new(Vec::new(), seen.clone());
        w.write_all(b"[    1.000000] Kernel panic - not sync")
            .unwrap();
        assert!(seen.lock().unwrap().reason.is_none());
        w.write_all(b"ing: VFS: Unable to mount root fs on unknown-block(0,0)\r\n")
            .unwrap();
        assert_eq!(
            seen.lock().unwrap().reason.as_deref(),
            Some("VFS: Unable to mount root fs on unknown-block(0,0)")
        );
        assert!(!seen.lock().unwrap().ended);
        w.write_all(b"Kernel panic - not syncing: a second one\n")
            .unwrap();
        w.write_all(b"[    1.1] ---[ end Kernel panic - not syncing: VFS: ... ]---\n")
            .unwrap();
        let s = seen.lock().unwrap();
        assert!(s.ended);
        assert_eq!(
            s.reason.as_deref(),
            Some("VFS: Unable to mount root fs on unknown-block(0,0)")
        );
        assert!(w.inner.starts_with(b"[    1.000000] Kernel panic"));
    }

    #[test]
    fn ordinary_output_is_not_a_panic() {
        let seen = Arc::new(Mutex::new(PanicSeen::default()));
        let mut w = PanicWatch::new(Vec::new(), seen.clone());
        w.write_all(b"panic=1 Kernel panic\nKernel panic - not syncing without colon\n")
            .unwrap();
        assert!(seen.lock().unwrap().reason.is_none());
    }
}
