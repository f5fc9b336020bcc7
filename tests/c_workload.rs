//! End to end: a compiled C program (fixtures/cwork/cwork.c, static glibc: sorting,
//! recursion, a bytecode interpreter, FP matrix multiply and libm, libc's string routines,
//! pipes and other system calls, page faults through mmap/munmap/mprotect, fork) prints the
//! same per-section checksums in a Linux guest on armvirt, on the JIT and on the
//! interpreter, as under qemu-aarch64 (user mode, the reference).
//!
//! Fixtures (fixtures/install.sh): Debian's cloud kernel and fixtures/cwork.sh's binary and
//! initramfs (the test initramfs with /bin/cwork appended), in $ARMVIRT_CACHE.

mod fixture_cache;
mod process_util;
use fixture_cache::{fixture, run_script_append};
use process_util::run_with_timeout;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(600);

/// cwork's own lines.
fn checksums(out: &str) -> Vec<String> {
    out.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| l.starts_with("cwork: "))
        .map(str::to_owned)
        .collect()
}

/// cwork under qemu-aarch64 (once per test binary).
fn reference() -> &'static [String] {
    static R: OnceLock<Vec<String>> = OnceLock::new();
    R.get_or_init(|| {
        let mut cmd = Command::new("qemu-aarch64");
        cmd.arg(fixture("cwork/cwork"));
        let (out, err, code) = run_with_timeout(cmd, TIMEOUT);
        assert_eq!(code, Some(0), "qemu-aarch64 cwork: {err}\n{out}");
        let sums = checksums(&out);
        // Eight sections and the total.
        assert_eq!(sums.len(), 9, "qemu-aarch64's output:\n{out}");
        sums
    })
}

fn in_guest(engine: &str) {
    let script = "/bin/cwork\necho cwork-status=$?\n";
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_armvirt"));
    cmd.args(["-M", "virt", "-cpu", "cortex-a72", "-m", "1G", "-nographic"])
        .arg("-kernel")
        .arg(fixture("debian-cloud/Image"))
        .arg("-initrd")
        .arg(fixture("cwork/initramfs-cwork.cpio.gz"))
        .args(["-append", &format!("{} quiet", run_script_append(script))])
        .args(["--engine", engine]);
    let (out, err, code) = run_with_timeout(cmd, TIMEOUT);
    assert_eq!(code, Some(0), "armvirt --engine {engine}: {err}\n{out}");
    assert!(
        out.contains("cwork-status=0"),
        "cwork failed in the guest (--engine {engine}):\n{out}"
    );
    assert_eq!(
        checksums(&out),
        reference(),
        "--engine {engine}'s console:\n{out}"
    );
}

#[test]
fn cwork_on_the_jit_matches_qemu_user() {
    in_guest("jit");
}

#[test]
fn cwork_on_the_interpreter_matches_qemu_user() {
    in_guest("interp");
}
