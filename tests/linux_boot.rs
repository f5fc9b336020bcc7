//! End to end: real arm64 kernels boot on armvirt to a busybox userspace, run the
//! initramfs's self-test script and power off with exit status 0, on 1, 2 and 4 vCPUs and
//! with GICv2 and GICv3; the script's output equals QEMU's for the same kernel and
//! initramfs, and the kernel log has no warning QEMU's lacks.
//!
//! Fixtures (fixtures/install.sh): Debian's cloud kernel, the project's debug kernel and the
//! busybox initramfs, in $ARMVIRT_CACHE (default ~/.cache/armvirt). The QEMU reference run
//! uses qemu-system-aarch64 -M virt -cpu cortex-a72 through fixtures/qemu-boot.sh.

mod fixture_cache;
mod process_util;
use fixture_cache::fixture;
use process_util::{chunks, killed_at, run_with_timeout};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const SELFTEST: &str = "console=ttyAMA0 armvirt.script=userspace-selftest";
const TIMEOUT: Duration = Duration::from_secs(600);

fn armvirt(kernel: &Path, smp: u32, gic: u32, append: &str) -> (String, String, Option<i32>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_armvirt"));
    cmd.arg("--kernel")
        .arg(kernel)
        .arg("--initrd")
        .arg(fixture("initramfs/initramfs.cpio.gz"))
        .args(["--append", append, "-m", "1G"])
        .args(["--smp", &smp.to_string(), "--gic", &gic.to_string()]);
    run_with_timeout(cmd, TIMEOUT)
}

fn qemu(kernel: &Path, append: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/qemu-boot.sh");
    let mut cmd = Command::new(script);
    cmd.args(["--smp", "2", "--timeout", "600"])
        .arg(kernel)
        .arg(fixture("initramfs/initramfs.cpio.gz"))
        .arg(append);
    let (out, err, code) = run_with_timeout(cmd, TIMEOUT);
    assert_eq!(code, Some(0), "QEMU reference run failed: {err}\n{out}");
    out
}

/// The self-test's own lines.
fn selftest_lines(console: &str) -> Vec<&str> {
    console
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| l.starts_with("selftest: "))
        .collect()
}

/// Kernel log lines that signal trouble (the list).
fn trouble(console: &str) -> Vec<String> {
    const MARKS: &[&str] = &[
        "WARNING",
        "BUG",
        "Oops",
        "Unable to handle",
        "Bad mode",
        "undefined instruction",
    ];
    console
        .lines()
        .filter(|l| {
            MARKS.iter().any(|m| l.contains(m)) || (l.contains("rcu") && l.contains("stall"))
        })
        .map(|l| {
            // Drop the timestamp so the same message compares equal across machines.
            l.split_once("] ")
                .map(|(_, rest)| rest)
                .unwrap_or(l)
                .trim()
                .to_string()
        })
        .collect()
}

struct Reference {
    selftest: Vec<String>,
    trouble: Vec<String>,
}

fn reference(kernel: &Path, cell: &'static OnceLock<Reference>) -> &'static Reference {
    cell.get_or_init(|| {
        let out = qemu(kernel, SELFTEST);
        Reference {
            selftest: selftest_lines(&out).into_iter().map(String::from).collect(),
            trouble: trouble(&out),
        }
    })
}

fn check_boot(kernel: &Path, reference: &Reference, smp: u32, gic: u32) {
    let (out, err, code) = armvirt(kernel, smp, gic, SELFTEST);
    let tail: String = out
        .lines()
        .rev()
        .take(40)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        out.contains("armvirt-init: userspace up"),
        "no userspace (smp {smp}, gic {gic}): {err}\n{tail}"
    );
    assert!(
        out.contains("armvirt-init: end userspace-selftest status=0"),
        "self-test failed (smp {smp}, gic {gic}): {err}\n{tail}"
    );
    assert_eq!(
        code,
        Some(0),
        "poweroff -f must end armvirt with 0 (smp {smp}, gic {gic}): {err}\n{tail}"
    );
    assert_eq!(
        selftest_lines(&out),
        reference
            .selftest
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        "self-test output differs from QEMU's (smp {smp}, gic {gic})"
    );
    let extra: Vec<_> = trouble(&out)
        .into_iter()
        .filter(|l| !reference.trouble.contains(l))
        .collect();
    assert!(
        extra.is_empty(),
        "kernel log lines QEMU's lacks (smp {smp}, gic {gic}): {extra:#?}"
    );
}

fn debian() -> PathBuf {
    fixture("debian-cloud/Image")
}

fn debug_kernel() -> PathBuf {
    fixture("debug-kernel/current/Image")
}

static DEBIAN_REF: OnceLock<Reference> = OnceLock::new();
static DEBUG_REF: OnceLock<Reference> = OnceLock::new();

#[test]
fn debian_kernel_userspace_on_every_smp_and_gic() {
    let k = debian();
    let r = reference(&k, &DEBIAN_REF);
    for (smp, gic) in [(1, 2), (2, 3), (4, 2), (1, 3), (2, 2), (4, 3)] {
        check_boot(&k, r, smp, gic);
    }
}

#[test]
fn debug_kernel_userspace_on_every_smp_and_gic() {
    let k = debug_kernel();
    let r = reference(&k, &DEBUG_REF);
    for (smp, gic) in [(1, 2), (2, 3), (4, 2), (1, 3), (2, 2), (4, 3)] {
        check_boot(&k, r, smp, gic);
    }
}

/// Piped input reaches the guest shell in order. It is written once the shell's prompt is
/// up: Linux's PL011 driver drains the receive FIFO when the console is first opened
/// (`pl011_enable_interrupts`), on armvirt as on QEMU and hardware, so bytes sent before
/// that are lost by the guest.
#[test]
fn piped_stdin_reaches_the_guest_shell() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_armvirt"))
        .arg("--kernel")
        .arg(debian())
        .arg("--initrd")
        .arg(fixture("initramfs/initramfs.cpio.gz"))
        .args(["--append", "console=ttyAMA0 armvirt.script=shell"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run armvirt");
    let rx = chunks(child.stdout.take().unwrap());
    let mut stdin = child.stdin.take();
    let deadline = Instant::now() + TIMEOUT;
    let mut console = String::new();
    let code = loop {
        while let Ok(chunk) = rx.try_recv() {
            console.push_str(&String::from_utf8_lossy(&chunk));
        }
        if console.contains("/ # ") {
            if let Some(mut input) = stdin.take() {
                input
                    .write_all(b"echo piped-$((6 * 7)); uname -m; poweroff -f\n")
                    .unwrap();
            }
        }
        if let Some(s) = child.try_wait().unwrap() {
            while let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
                console.push_str(&String::from_utf8_lossy(&chunk));
            }
            break s.code();
        }
        if killed_at(deadline, &mut child) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(console.contains("piped-42"), "{console}");
    assert!(console.contains("aarch64"), "{console}");
    assert_eq!(code, Some(0), "{console}");
}
