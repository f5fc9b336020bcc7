//! Boot time of Debian's cloud kernel to /init and power-off: armvirt next to
//! qemu-system-aarch64 (TCG) on the same machine, same kernel, same initramfs.
//!
//! `cargo bench --bench boot_linux` (after fixtures/install.sh). Prints wall-clock seconds
//! for each and their ratio, on one vCPU and on four (where vCPUs waiting for each other
//! in WFE show); asserts nothing about speed.

#[path = "../tests/fixture_cache/mod.rs"]
mod fixture_cache;
use fixture_cache::cache_dir;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// `armvirt.script=none` names no script: /init says so and powers off at once.
const APPEND: &str = "console=ttyAMA0 armvirt.script=none";

fn time(mut cmd: Command) -> f64 {
    let start = Instant::now();
    let out = cmd.stdin(Stdio::null()).output().expect("run");
    let secs = start.elapsed().as_secs_f64();
    let console = String::from_utf8_lossy(&out.stdout);
    assert!(
        console.contains("armvirt-init: userspace up") && out.status.success(),
        "boot did not reach /init and power off: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    secs
}

fn main() {
    let kernel = cache_dir().join("debian-cloud/Image");
    let initrd = cache_dir().join("initramfs/initramfs.cpio.gz");
    assert!(
        kernel.exists() && initrd.exists(),
        "run fixtures/install.sh first"
    );

    for smp in ["1", "4"] {
        let mut armvirt = Command::new(env!("CARGO_BIN_EXE_armvirt"));
        armvirt
            .arg("--kernel")
            .arg(&kernel)
            .arg("--initrd")
            .arg(&initrd)
            .args(["--append", APPEND, "--smp", smp]);
        let a = time(armvirt);

        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/qemu-boot.sh");
        let mut qemu = Command::new(script);
        qemu.args(["--smp", smp])
            .arg(&kernel)
            .arg(&initrd)
            .arg(APPEND);
        let q = time(qemu);

        println!(
            "boot to /init and power-off, smp {smp}: armvirt {a:.2} s, \
             qemu-system-aarch64 {q:.2} s, ratio {:.2}",
            a / q
        );
    }
}
