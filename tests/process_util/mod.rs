//! Running armvirt, QEMU and the fixture scripts from the end-to-end tests with a deadline:
//! a run that overstays is killed, not waited for.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often a wait looks at the child again.
const POLL: Duration = Duration::from_millis(50);

/// Runs a command with a timeout, returning (stdout, stderr, exit code or None on timeout).
pub fn run_with_timeout(cmd: Command, timeout: Duration) -> (String, String, Option<i32>) {
    run_with_input(cmd, None, timeout)
}

/// Like [`run_with_timeout`], with `input` written to the command's stdin (then closed).
pub fn run_with_input(
    mut cmd: Command,
    input: Option<&[u8]>,
    timeout: Duration,
) -> (String, String, Option<i32>) {
    let mut child = cmd
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(bytes).expect("write stdin");
    }
    let out_t = read_all(child.stdout.take().unwrap());
    let err_t = read_all(child.stderr.take().unwrap());
    let deadline = Instant::now() + timeout;
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        if killed_at(deadline, &mut child) {
            break None;
        }
        std::thread::sleep(POLL);
    };
    let stdout = String::from_utf8_lossy(&out_t.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap()).into_owned();
    (stdout, stderr, code)
}

/// Reads `from` to its end on a thread (so that neither of a child's pipes fills up while
/// the other is read).
fn read_all(mut from: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut s = Vec::new();
        from.read_to_end(&mut s).ok();
        s
    })
}

/// Reads `from` on a thread as it comes: each read's bytes arrive on the returned channel,
/// for a test that acts on a console before the run ends.
pub fn chunks(mut from: impl Read + Send + 'static) -> Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    rx
}

/// Whether `deadline` has passed; if it has, `child` is killed and reaped.
pub fn killed_at(deadline: Instant, child: &mut Child) -> bool {
    if Instant::now() <= deadline {
        return false;
    }
    child.kill().ok();
    child.wait().ok();
    true
}
