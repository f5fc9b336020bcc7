//! End to end: Linux's own KUnit runner (tools/testing/kunit/kunit.py) runs its arm64 test
//! kernel on armvirt, standing in for qemu-system-aarch64 (a symlink first on PATH), and
//! reports the same results as with Debian's real qemu-system-aarch64: every suite, every
//! test case's name and status, and the totals.
//!
//! `kunit.py exec`, not `run`: `run` would configure and build first, and on the built
//! tree that is still minutes of make walking the source on a 2-core machine, for
//! nothing this test looks at. `exec` boots the cached Image.gz with kunit.py's own QEMU
//! command line (`-nodefaults -m 1024 -no-reboot -nographic -serial stdio -machine virt
//! -cpu cortex-a57`, `kunit_shutdown=reboot`) and parses the KTAP output.
//!
//! Fixture (fixtures/install.sh): fixtures/kunit-kernel.sh's build of
//! fixtures/kunit/.kunitconfig, in $ARMVIRT_CACHE/kunit/current.

mod fixture_cache;
mod process_util;
use fixture_cache::fixture;
use process_util::run_with_timeout;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(900);

/// `kunit.py exec` on the cached build with `path_first` (if any) ahead of PATH; its
/// parsed report.
fn kunit_exec(dir: &Path, path_first: Option<&Path>) -> String {
    let mut cmd = Command::new("python3");
    cmd.arg(dir.join("src/tools/testing/kunit/kunit.py"))
        .args([
            "exec",
            "--arch=arm64",
            "--cross_compile=aarch64-linux-gnu-",
            "--timeout=800",
        ])
        .arg(format!("--build_dir={}", dir.join("build").display()));
    if let Some(first) = path_first {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![first.to_path_buf()];
        dirs.extend(std::env::split_paths(&path));
        cmd.env("PATH", std::env::join_paths(dirs).unwrap());
    }
    let (out, err, code) = run_with_timeout(cmd, TIMEOUT);
    assert_eq!(code, Some(0), "kunit.py exec failed:\n{out}\n{err}");
    out
}

/// The results in kunit.py's report: suite headers and footers, each case's status line
/// and the totals, without the timestamps and the lines naming the run (command, times).
fn results(report: &str) -> Vec<String> {
    report
        .lines()
        .map(|l| match l.strip_prefix('[') {
            // "[23:28:24] [PASSED] name": drop the time stamp.
            Some(rest) => rest.split_once("] ").map_or(l, |(_, tail)| tail),
            None => l,
        })
        .filter(|l| {
            l.starts_with("==")
                || l.starts_with("[PASSED]")
                || l.starts_with("[SKIPPED]")
                || l.starts_with("[FAILED]")
                || l.starts_with("[CRASHED]")
                || l.starts_with("Testing complete.")
        })
        .map(str::to_owned)
        .collect()
}

/// A directory holding `qemu-system-aarch64`, a symlink to armvirt's binary.
fn armvirt_as_qemu() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("armvirt-kunit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("qemu-system-aarch64");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_armvirt"), &link).unwrap();
    dir
}

#[test]
fn kunit_py_reports_the_same_results_on_armvirt_as_on_qemu() {
    fixture("kunit/current/build/arch/arm64/boot/Image.gz");
    let dir = fixture("kunit/current");
    // One test runs both: kunit.py writes build/test.log, so two runs on one tree cannot
    // overlap.
    let qemu = results(&kunit_exec(&dir, None));
    let fake = armvirt_as_qemu();
    let armvirt = results(&kunit_exec(&dir, Some(&fake)));
    std::fs::remove_dir_all(&fake).ok();

    // The reference must have run the configuration's cases, and all but the skips passed.
    let totals = qemu.last().expect("a report from the QEMU run");
    assert!(
        totals.starts_with("Testing complete. Ran ") && !totals.contains("failed"),
        "QEMU's run: {totals}"
    );
    let cases = qemu.iter().filter(|l| l.starts_with("[PASSED]")).count();
    assert!(cases >= 200, "only {cases} cases passed on QEMU");
    let time_suite = "[PASSED] time64_to_tm_test_date_range";
    assert!(qemu.iter().any(|l| l == time_suite), "no {time_suite}");

    if armvirt != qemu {
        let first = (0..qemu.len().max(armvirt.len()))
            .find(|&i| qemu.get(i) != armvirt.get(i))
            .unwrap();
        panic!(
            "armvirt's report differs from QEMU's at line {first}: QEMU {:?}, armvirt {:?}\n\
             armvirt's totals: {:?}",
            qemu.get(first),
            armvirt.get(first),
            armvirt.last()
        );
    }
}
