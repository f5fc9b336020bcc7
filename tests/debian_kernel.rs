//! End to end: Debian's cloud arm64 kernel (fetched by fixtures/debian-kernel.sh) boots past
//! the boot stub into the kernel's own code, which prints its banner on the PL011 (the
//! full boot to userspace is tests/linux_boot.rs).

mod fixture_cache;
mod process_util;
use fixture_cache::cache_dir;
use process_util::{chunks, killed_at};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

#[test]
fn debian_cloud_kernel_runs_kernel_code() {
    let image = debian_image();
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
    let rx = chunks(child.stdout.take().unwrap());
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
        if killed_at(deadline, &mut child) {
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
    panic!("the kernel printed no banner (exit {status:?}); stderr: {stderr}\nconsole: {stdout}");
}
