//! End to end: Debian's cloud arm64 kernel (fetched by fixtures/debian-kernel.sh) boots past
//! the boot stub into the kernel's own code. Until every instruction it needs is
//! implemented, the run ends with the unimplemented-instruction diagnostic, which must name
//! a PC inside the kernel; once the kernel gets further, its console output says so.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn cache_dir() -> PathBuf {
    match std::env::var_os("ARMVIRT_CACHE") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/armvirt"),
    }
}

/// The fixture kernel, or a failure naming the command that fetches it.
fn debian_image() -> PathBuf {
    let image = cache_dir().join("debian-cloud/Image");
    assert!(
        image.exists(),
        "{} is missing: run fixtures/install.sh (or fixtures/debian-kernel.sh) first",
        image.display()
    );
    image
}

/// Where QEMU's virt (and armvirt) load an Image: RAM base + 2 MiB, plus text_offset.
const KERNEL_BASE: u64 = 0x4020_0000;

#[test]
fn debian_cloud_kernel_runs_kernel_code() {
    let image = debian_image();
    let bytes = std::fs::read(&image).unwrap();
    let text_offset = u64::from_le_bytes(bytes[8..16].try_into().unwrap());
    let image_size = u64::from_le_bytes(bytes[16..24].try_into().unwrap());
    let (start, end) = (
        KERNEL_BASE + text_offset,
        KERNEL_BASE + text_offset + image_size,
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_armvirt"))
        .arg("--kernel")
        .arg(&image)
        .args(["--append", "console=ttyAMA0 earlycon", "-m", "1G"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run armvirt");
    // Read the console as it comes, so the test ends as soon as the kernel has spoken.
    let (tx, rx) = std::sync::mpsc::channel();
    let mut out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut stdout = String::new();
    let status = loop {
        while let Ok(chunk) = rx.try_recv() {
            stdout.push_str(&String::from_utf8_lossy(&chunk));
        }
        if stdout.contains("Booting Linux on physical CPU") {
            child.kill().ok();
            child.wait().ok();
            return; // The kernel ran far enough to print: past the point this test guards.
        }
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .ok();

    let status = status
        .unwrap_or_else(|| panic!("no console output and no exit in 120 s; stderr: {stderr}"));
    assert!(
        !status.success(),
        "armvirt exited 0 without console output; stderr: {stderr}"
    );
    let line = stderr
        .lines()
        .find(|l| l.contains("unimplemented instruction"))
        .unwrap_or_else(|| panic!("no unimplemented-instruction diagnostic; stderr: {stderr}"));
    let pc = line
        .split_whitespace()
        .skip_while(|w| *w != "pc")
        .nth(1)
        .and_then(|w| {
            u64::from_str_radix(w.trim_start_matches("0x").trim_end_matches(':'), 16).ok()
        })
        .unwrap_or_else(|| panic!("diagnostic names no pc: {line}"));
    let in_image = (start..end).contains(&pc);
    let kernel_va = pc >= 0xffff_0000_0000_0000;
    assert!(
        in_image || kernel_va,
        "pc {pc:#x} is not kernel code ({start:#x}..{end:#x}): {line}"
    );
}
