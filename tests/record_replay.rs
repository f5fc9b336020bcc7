//! End to end: `--record` a shell session on Debian's cloud kernel whose input arrives at
//! host times of its own (piped in with sleeps), then `--replay` it with no input at all:
//! the console bytes and the final state hash are the same. A recording whose typed input
//! was changed is caught at the first state hash after the change, named by its
//! instruction count.

mod fixture_cache;
use armvirt_machine::history::inputs::Input;
use armvirt_machine::record::Recording;
use fixture_cache::fixture;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn armvirt(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_armvirt"));
    c.arg("-kernel")
        .arg(fixture("debian-cloud/Image"))
        .arg("-initrd")
        .arg(fixture("initramfs/initramfs.cpio.gz"))
        .args([
            "-append",
            "console=ttyAMA0 quiet",
            "-m",
            "512M",
            "-nographic",
        ])
        .args(["--timeout", "120"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// The recorded run: once the shell's prompt is up (typed-ahead input before the UART
/// driver is up would be lost, and how much depends on the host's speed), four lines at
/// host times of their own; its console output and its exit.
fn record(file: &Path) -> (String, Output) {
    let mut child = armvirt(&["--record", file.to_str().unwrap()])
        .stdin(Stdio::piped())
        .spawn()
        .expect("run armvirt");
    let mut stdout = child.stdout.take().unwrap();
    let console = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let console = console.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                console.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    while !String::from_utf8_lossy(&console.lock().unwrap()).contains("/ # ") {
        assert!(Instant::now() < deadline, "no shell prompt");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut stdin = child.stdin.take().unwrap();
    for (wait_ms, line) in [
        (300, "echo $((6 * 7))-typed\n"),
        (700, "ls /proc | head -3\n"),
        (200, "echo again\n"),
        (400, "poweroff -f\n"),
    ] {
        std::thread::sleep(Duration::from_millis(wait_ms));
        stdin.write_all(line.as_bytes()).unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    reader.join().unwrap();
    let console = String::from_utf8_lossy(&console.lock().unwrap()).into_owned();
    (console, out)
}

fn final_hash(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines()
        .find_map(|l| l.strip_prefix("armvirt: state hash at the end: "))
        .unwrap_or_else(|| panic!("no final hash in:\n{err}"))
        .to_owned()
}

#[test]
fn a_recorded_shell_session_replays_exactly_and_a_changed_one_is_caught() {
    let dir = std::env::temp_dir().join(format!("armvirt-rr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("session.rec");
    let (console, live) = record(&file);
    assert!(
        live.status.success(),
        "{}",
        String::from_utf8_lossy(&live.stderr)
    );
    assert!(console.contains("42-typed"), "{console}");
    let size = std::fs::metadata(&file).unwrap().len();
    assert!(size < 16 << 10, "the log is {size} bytes");

    let replayed = armvirt(&["--replay", file.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        replayed.status.success(),
        "{}",
        String::from_utf8_lossy(&replayed.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&replayed.stdout), console);
    assert_eq!(final_hash(&replayed), final_hash(&live));

    // The typed 6 becomes a 7: the guest's state departs at the epoch that byte entered.
    let mut rec = Recording::read(&file).unwrap();
    let (epoch, _) = rec
        .inputs
        .entries()
        .iter()
        .enumerate()
        .find(|(_, e)| matches!(&e.input, Input::Console(b) if b.contains(&b'6')))
        .map(|(i, e)| (e.epoch, i))
        .expect("the typed line in the log");
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes
        .windows(4)
        .position(|w| w == b"((6 ")
        .expect("the typed line in the file");
    bytes[at + 2] = b'7';
    let tampered = dir.join("tampered.rec");
    std::fs::write(&tampered, &bytes).unwrap();
    rec = Recording::read(&tampered).unwrap();
    let expected = rec
        .hashes
        .iter()
        .find(|(e, _, _)| *e >= epoch)
        .map(|&(_, ticks, _)| ticks)
        .expect("a hash after the change");
    let bad = armvirt(&["--replay", tampered.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "the state at instruction count {expected} differs"
        )),
        "expected a divergence at {expected}: {err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
