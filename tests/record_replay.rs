//! End to end: `--record` a shell session on Debian's cloud kernel whose input arrives at
//! host times of its own (piped in with sleeps), then `--replay` it with no input at all:
//! the console bytes and the final state hash are the same. A recording whose typed input
//! was changed is caught at the first state hash after the change, named by its
//! instruction count.

mod fixture_cache;
use armvirt_machine::history::inputs::Input;
use armvirt_machine::record::Recording;
use fixture_cache::fixture;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

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

fn record(file: &Path) -> Output {
    let mut child = armvirt(&["--record", file.to_str().unwrap()])
        .stdin(Stdio::piped())
        .spawn()
        .expect("run armvirt");
    let mut stdin = child.stdin.take().unwrap();
    for (wait_ms, line) in [
        (2500, "echo $((6 * 7))-typed\n"),
        (700, "ls /proc | head -3\n"),
        (300, "echo again\n"),
        (400, "poweroff -f\n"),
    ] {
        std::thread::sleep(Duration::from_millis(wait_ms));
        stdin.write_all(line.as_bytes()).unwrap();
    }
    drop(stdin);
    child.wait_with_output().unwrap()
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
    let live = record(&file);
    let console = String::from_utf8_lossy(&live.stdout).into_owned();
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
