//! Shared by the gdb end-to-end tests: a bare-metal Image built for debugging, armvirt
//! started with `--gdb` on a free port, and gdb-multiarch in batch mode against it.

#![allow(dead_code)]

use armvirt_cpu::a64;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const PSCI_SYSTEM_OFF: u32 = 0x8400_0008;
/// "ARM\x64", little-endian, at offset 0x38 of the header.
const IMAGE_MAGIC: u32 = 0x644d_5241;

/// Where the Image's first byte lands: RAM base + 2 MiB (the boot stub sits at RAM base).
pub const IMAGE_BASE: u64 = 0x4020_0000;
/// Offsets into the Image of the places the tests stop at.
pub const START: u64 = 0x40;
pub const BREAK_AT: u64 = START + 5 * 4;
pub const HBREAK_AT: u64 = BREAK_AT + 4;
pub const SPIN: u64 = HBREAK_AT + 4;
pub const BUFFER: u64 = SPIN + 7 * 4;
/// The buffer's first doubleword as the Image holds it.
pub const BUFFER_VALUE: u64 = 0x1122_3344_5566_7788;

/// A bare-metal Image: a few register moves to step through, two places to stop, then a
/// loop that spins until the word at `BUFFER + 8` is non-zero (the debugger sets it),
/// then PSCI SYSTEM_OFF.
pub fn debug_image() -> Vec<u8> {
    let mut image = a64!(
        ; b ->start                 // code0
        ; .u32 0                    // code1
        ; .u64 0                    // text_offset
        ; .u64 0x10000              // image_size
        ; .u64 0b1010               // flags: little-endian, 4K pages, anywhere in RAM
        ; .u64 0
        ; .u64 0
        ; .u64 0
        ; .u32 IMAGE_MAGIC
        ; .u32 0
        ; ->start:                  // START
        ; movz x1, 1
        ; movz x2, 2
        ; add x3, x1, x2
        ; adr x4, ->buffer
        ; ldr x5, [x4]
        ; add x6, x5, 1             // BREAK_AT
        ; add x7, x6, 1             // HBREAK_AT
        ; ->spin:                   // SPIN
        ; ldr w8, [x4, 8]
        ; cbz w8, ->spin
        ; movz w0, PSCI_SYSTEM_OFF & 0xffff
        ; movk w0, PSCI_SYSTEM_OFF >> 16, lsl 16
        ; hvc 0
        ; ->hang:
        ; b ->hang
        ; nop                       // aligns the buffer (MMU off: Device memory)
        ; ->buffer:                 // BUFFER
        ; .u64 BUFFER_VALUE
        ; .u64 0
    );
    assert_eq!(
        image.len() as u64,
        BUFFER + 16,
        "the offset constants are stale"
    );
    image.resize(0x10000, 0);
    image
}

/// A scratch directory with the debug Image in it, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("armvirt-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Image"), debug_image()).unwrap();
        Scratch(dir)
    }

    pub fn image(&self) -> PathBuf {
        self.0.join("Image")
    }

    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// armvirt serving gdb on `port`, started halted with `-S` when `halted`; returns once it
/// listens.
pub fn start_armvirt(image: &Path, port: u16, halted: bool) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_armvirt"));
    cmd.arg("--kernel")
        .arg(image)
        .args(["-m", "256M", "--gdb", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if halted {
        cmd.arg("-S");
    }
    let child = cmd.spawn().expect("run armvirt");
    wait_listening(port);
    child
}

/// Waits until something listens on `port`: binding it then fails (Linux refuses to bind
/// a listening port even with SO_REUSEADDR). Connecting instead would be a gdb session.
pub fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpListener::bind(("127.0.0.1", port)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "armvirt never listened on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// gdb-multiarch in batch mode: `target remote :port`, then `script`.
pub fn gdb_command(port: u16, script: &Path) -> Command {
    gdb_command_with("remote", port, script)
}

/// gdb-multiarch in batch mode: `target <mode> :port` (remote, extended-remote), then
/// `script`.
pub fn gdb_command_with(mode: &str, port: u16, script: &Path) -> Command {
    let mut cmd = Command::new("gdb-multiarch");
    cmd.args(["-nx", "-batch", "-ex", "set architecture aarch64", "-ex"])
        .arg(format!("target {mode} :{port}"))
        .arg("-x")
        .arg(script)
        .stdin(Stdio::null());
    cmd
}

/// Waits for `child` with a deadline, killing it when it overstays.
pub fn wait_output(mut child: Child, secs: u64) -> Output {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            child.kill().ok();
            let out = child.wait_with_output().unwrap();
            panic!(
                "timed out; stdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
