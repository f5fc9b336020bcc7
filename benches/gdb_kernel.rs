//! The kernel debugging session's speed: armvirt next to qemu-system-aarch64 (TCG), the
//! same debug kernel, initramfs and gdb-multiarch script on both.
//!
//! `cargo bench --bench gdb_kernel` (after fixtures/install.sh). Prints a table of
//! - wall time from the emulator's start to gdb stopped at `break start_kernel` (gdb
//!   loading vmlinux's symbols included, the same on both);
//! - `stepi` per second: gdb's `stepi N`, one resume/stop round trip and register fetch per
//!   instruction, from start_kernel on;
//! - `x/65536xb` throughput: 64 KiB of kernel text read through gdb's memory packets
//!   (formatted into a string, not printed); gdb reads one byte per `m` packet for it;
//! - `dump binary memory` throughput for 1 MiB, which gdb reads in packets as large as
//!   the stub allows;
//!
//! and asserts nothing about speed.

#[path = "../tests/fixture_cache/mod.rs"]
mod fixture_cache;
use fixture_cache::cache_dir;
use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const APPEND: &str = "console=ttyAMA0";
/// Instructions stepped per measurement.
const STEPS: u32 = 2000;
/// `x/65536xb` reads per measurement.
const READS: u32 = 4;
const READ_BYTES: u64 = 65536;
const DUMP_BYTES: u64 = 1 << 20;
/// Dumps per measurement.
const DUMPS: u32 = 4;

#[derive(Clone, Copy, Debug)]
enum Emulator {
    Armvirt,
    Qemu,
}

/// What one emulator measured.
struct Figures {
    to_start_kernel: f64,
    stepi_per_sec: f64,
    read_kib_per_sec: f64,
    dump_mib_per_sec: f64,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpListener::bind(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "nothing listened on {port}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A child in its own process group, killed with its children when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .stderr(Stdio::null())
            .status()
            .ok();
        self.0.wait().ok();
    }
}

fn spawn(mut cmd: Command, out: &Path) -> Proc {
    let f = File::create(out).unwrap();
    cmd.stdin(Stdio::null())
        .stdout(f.try_clone().unwrap())
        .stderr(f)
        .process_group(0);
    Proc(cmd.spawn().expect("spawn"))
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

/// The seconds gdb's script printed after `key` (`@@ key SECONDS`).
fn seconds(out: &str, key: &str) -> f64 {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("@@ {key} ")))
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {key} figure in gdb's output:\n{out}"))
}

fn measure(emu: Emulator, dir: &Path) -> Figures {
    let kdir = cache_dir().join("debug-kernel/current");
    let kernel = kdir.join("Image");
    let initrd = cache_dir().join("initramfs/initramfs.cpio.gz");
    let port = free_port();
    let start = Instant::now();
    let guest = match emu {
        Emulator::Armvirt => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_armvirt"));
            c.arg("--kernel")
                .arg(&kernel)
                .arg("--initrd")
                .arg(&initrd)
                .args(["--append", APPEND, "-S", "--gdb", &port.to_string()]);
            c
        }
        Emulator::Qemu => {
            let mut c =
                Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/qemu-boot.sh"));
            c.args(["--gdb", &port.to_string()])
                .arg(&kernel)
                .arg(&initrd)
                .arg(APPEND);
            c
        }
    };
    let _guest = spawn(guest, &dir.join(format!("{emu:?}-console")));
    wait_listening(port);

    // Each timed command runs in gdb's Python so the clock brackets just the command.
    let timed = |key: &str, command: &str, times: u32| {
        format!(
            "python import time; t = time.monotonic(); \
             [gdb.execute('{command}', to_string=True) for _ in range({times})]; \
             print('@@ {key} %f' % (time.monotonic() - t))"
        )
    };
    let mut gdb = Command::new("gdb-multiarch");
    gdb.args(["-nx", "-batch", "-ex", "set pagination off", "-ex"])
        .arg(format!("target extended-remote :{port}"))
        .args(["-ex", "break start_kernel", "-ex", "continue", "-ex"])
        .arg(timed("stepi", &format!("stepi {STEPS}"), 1))
        .arg("-ex")
        .arg(timed("read", &format!("x/{READ_BYTES}xb _text"), READS))
        .arg("-ex")
        .arg(timed(
            "dump",
            &format!(
                "dump binary memory {} _text _text+{DUMP_BYTES}",
                dir.join(format!("{emu:?}-dump")).display()
            ),
            DUMPS,
        ))
        .args(["-ex", "kill"])
        .arg(kdir.join("vmlinux"));
    let out = dir.join(format!("{emu:?}-gdb"));
    let mut g = spawn(gdb, &out);
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut to_start_kernel = None;
    while g.0.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "{emu:?}: timed out:\n{}",
            read(&out)
        );
        if to_start_kernel.is_none() && read(&out).contains("Breakpoint 1, start_kernel") {
            to_start_kernel = Some(start.elapsed().as_secs_f64());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let text = read(&out);
    let to_start_kernel = to_start_kernel
        .or_else(|| {
            text.contains("Breakpoint 1, start_kernel")
                .then_some(f64::NAN)
        })
        .unwrap_or_else(|| panic!("{emu:?}: never stopped at start_kernel:\n{text}"));
    Figures {
        to_start_kernel,
        stepi_per_sec: STEPS as f64 / seconds(&text, "stepi"),
        read_kib_per_sec: (READS as u64 * READ_BYTES) as f64 / 1024.0 / seconds(&text, "read"),
        dump_mib_per_sec: (DUMPS as u64 * DUMP_BYTES) as f64
            / (1 << 20) as f64
            / seconds(&text, "dump"),
    }
}

fn main() {
    let dir = std::env::temp_dir().join(format!("armvirt-bench-gdb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    assert!(
        cache_dir().join("debug-kernel/current/vmlinux").exists(),
        "run fixtures/install.sh first"
    );
    let a = measure(Emulator::Armvirt, &dir);
    let q = measure(Emulator::Qemu, &dir);
    std::fs::remove_dir_all(&dir).ok();

    println!("gdb on the debug kernel            armvirt   qemu-system-aarch64   armvirt/qemu");
    let row = |what: &str, a: f64, q: f64| {
        println!("{what:<34} {a:>9.2} {q:>21.2} {:>14.2}", a / q);
    };
    row(
        "start to stopped at start_kernel s",
        a.to_start_kernel,
        q.to_start_kernel,
    );
    row("stepi per second", a.stepi_per_sec, q.stepi_per_sec);
    row(
        "x/65536xb KiB per second",
        a.read_kib_per_sec,
        q.read_kib_per_sec,
    );
    row(
        "dump memory (1 MiB) MiB per second",
        a.dump_mib_per_sec,
        q.dump_mib_per_sec,
    );
}
