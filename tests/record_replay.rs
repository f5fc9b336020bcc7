//! End to end: `--record` a shell session on Debian's cloud kernel whose input arrives at
//! host times of its own (piped in with sleeps), then `--replay` it with no input at all:
//! the console bytes and the final state hash are the same. A recording whose typed input
//! was changed is caught at the first state hash after the change, named by its
//! instruction count. The same for a session that does DHCP and fetches a file from a
//! host HTTP server (replayed with the server gone: the frames come from the recording),
//! and for one typing into hvc0 through a virtconsole on stdio, whose guest side is
//! checked against qemu-system-aarch64.

mod fixture_cache;
mod net_util;
use armvirt_machine::history::inputs::Input;
use armvirt_machine::record::Recording;
use fixture_cache::{fixture, run_script_append};
use net_util::{sha256_of, HttpServer, Served, NET_UP};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn armvirt(args: &[&str]) -> Command {
    guest(
        Command::new(env!("CARGO_BIN_EXE_armvirt")),
        "console=ttyAMA0 quiet",
        &[&["-nographic", "--timeout", "120"], args].concat(),
    )
}

/// `emu` booting the fixture kernel and initramfs with `append` and `args`.
fn guest(mut c: Command, append: &str, args: &[&str]) -> Command {
    c.arg("-kernel")
        .arg(fixture("debian-cloud/Image"))
        .arg("-initrd")
        .arg(fixture("initramfs/initramfs.cpio.gz"))
        .args(["-M", "virt", "-cpu", "cortex-a72", "-m", "512M"])
        .args(["-append", append])
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
    assert!(rec.complete);
    let typed = rec
        .inputs
        .entries_mut()
        .iter_mut()
        .find(|e| matches!(&e.input, Input::Console(b) if b.windows(4).any(|w| w == b"((6 ")))
        .expect("the typed line in the log");
    let epoch = typed.epoch;
    if let Input::Console(bytes) = &mut typed.input {
        let at = bytes.windows(4).position(|w| w == b"((6 ").unwrap();
        bytes[at + 2] = b'7';
    }
    let tampered = dir.join("tampered.rec");
    rec.write(&tampered).unwrap();
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

/// Runs `cmd` to its end with stdin closed; its stdout and stderr.
fn finished(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("run armvirt")
}

#[test]
fn a_networked_session_replays_with_no_server() {
    let (served, blob) = Served::blob("rr-blob", 256 << 10);
    let want = sha256_of(&blob);
    let server = HttpServer::start(&served.dir);
    let script = format!(
        "{NET_UP}wget -q -O /tmp/blob http://10.0.2.2:{}/rr-blob || echo 'net: wget failed'
echo \"net: sha256 $(sha256sum < /tmp/blob)\"
",
        server.port
    );
    let dir = std::env::temp_dir().join(format!("armvirt-rr-net-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("net.rec");
    let net = [
        "-nographic",
        "--timeout",
        "200",
        "-netdev",
        "user,id=n0",
        "-device",
        "virtio-net-device,netdev=n0",
    ];
    let run = |extra: &[&str]| {
        let cmd = guest(
            Command::new(env!("CARGO_BIN_EXE_armvirt")),
            &run_script_append(&script),
            &[&net[..], extra].concat(),
        );
        finished(cmd)
    };
    let live = run(&["--record", file.to_str().unwrap()]);
    drop(server);
    let console = String::from_utf8_lossy(&live.stdout).into_owned();
    assert!(
        live.status.success(),
        "{console}{}",
        String::from_utf8_lossy(&live.stderr)
    );
    assert!(
        console.contains("udhcpc: eth0 bound 10.0.2.15"),
        "{console}"
    );
    assert!(
        console.contains(&format!("net: sha256 {want}")),
        "{console}"
    );

    let rec = Recording::read(&file).unwrap();
    let frames = rec
        .inputs
        .entries()
        .iter()
        .filter(|e| matches!(e.input, Input::Frame { .. }))
        .count();
    assert!(frames > 100, "{frames} frames logged");
    // The blob does not compress; the rest of the traffic (headers, ACKs) does.
    let size = std::fs::metadata(&file).unwrap().len();
    eprintln!(
        "recording: {size} bytes, {frames} frames, {} entries",
        rec.inputs.entries().len()
    );
    let frame_bytes: usize = rec
        .inputs
        .entries()
        .iter()
        .map(|e| match &e.input {
            Input::Frame { frame, .. } => frame.len(),
            _ => 0,
        })
        .sum();
    assert!(
        size < (256 << 10) + (24 << 10),
        "the log is {size} bytes ({frames} frames, {frame_bytes} bytes of them; {} entries)",
        rec.inputs.entries().len()
    );

    // No server now: what the guest gets can only come from the recording.
    let replayed = run(&["--replay", file.to_str().unwrap()]);
    assert!(
        replayed.status.success(),
        "{}",
        String::from_utf8_lossy(&replayed.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&replayed.stdout), console);
    assert_eq!(final_hash(&replayed), final_hash(&live));
    std::fs::remove_dir_all(&dir).ok();
}

/// The guest opens hvc0 (input that comes while no one has it open is lost in the
/// guest's tty layer), says so, reads a line and answers; the serial port is off, so
/// stdin and stdout are the virtconsole's alone.
const HVC_SCRIPT: &str = "armvirt-virtio-modules
i=0
while [ ! -c /dev/hvc0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
exec 3<> /dev/hvc0
stty -echo <&3
echo 'hvc0 ready' >&3
read line <&3
echo \"hvc0 got: $line\" >&3
";

const HVC_ARGS: [&str; 10] = [
    "-serial",
    "null",
    "-monitor",
    "none",
    "-display",
    "none",
    "-chardev",
    "stdio,id=c0",
    "-device",
    "virtio-serial-device",
];

/// `cmd` with a line typed on its stdin once the guest has hvc0 open, stdin closed once
/// the answer is out.
fn typed_into_hvc0(mut cmd: Command) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).spawn().expect("spawn");
    let mut stdout = child.stdout.take().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let seen = seen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    let mut stdin = child.stdin.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let said = |what: &str| String::from_utf8_lossy(&seen.lock().unwrap()).contains(what);
    while !said("hvc0 ready") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    stdin.write_all(b"hello from the host\n").unwrap();
    while !said("hvc0 got") {
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(stdin);
    let mut out = child.wait_with_output().unwrap();
    reader.join().unwrap();
    out.stdout = seen.lock().unwrap().clone();
    out
}

#[test]
fn virtconsole_input_reaches_hvc0_as_under_qemu_and_replays() {
    let append = run_script_append(HVC_SCRIPT);
    let hvc = [&HVC_ARGS[..], &["-device", "virtconsole,chardev=c0"]].concat();
    let qemu = typed_into_hvc0(guest(Command::new("qemu-system-aarch64"), &append, &hvc));
    let text = String::from_utf8_lossy(&qemu.stdout);
    assert!(
        text.contains("hvc0 got: hello from the host"),
        "qemu: {text}"
    );

    let dir = std::env::temp_dir().join(format!("armvirt-rr-hvc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("hvc.rec");
    let armvirt = |extra: &[&str]| {
        let args = [&hvc[..], &["--timeout", "120"], extra].concat();
        guest(Command::new(env!("CARGO_BIN_EXE_armvirt")), &append, &args)
    };
    // QEMU's spelling of --record and --replay.
    let rr = |mode: &str| format!("shift=auto,rr={mode},rrfile={}", file.display());
    let live = typed_into_hvc0(armvirt(&["-icount", &rr("record")]));
    let console = String::from_utf8_lossy(&live.stdout).into_owned();
    assert!(
        live.status.success(),
        "{}",
        String::from_utf8_lossy(&live.stderr)
    );
    assert!(
        console.contains("hvc0 got: hello from the host"),
        "{console}"
    );
    let rec = Recording::read(&file).unwrap();
    assert!(rec
        .inputs
        .entries()
        .iter()
        .any(|e| matches!(&e.input, Input::Virtconsole(b) if b.starts_with(b"hello"))));

    let replayed = finished(armvirt(&["-icount", &rr("replay")]));
    assert!(
        replayed.status.success(),
        "{}",
        String::from_utf8_lossy(&replayed.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&replayed.stdout), console);
    assert_eq!(final_hash(&replayed), final_hash(&live));
    std::fs::remove_dir_all(&dir).ok();
}
