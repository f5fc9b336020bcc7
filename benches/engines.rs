//! The engines side by side with qemu-system-aarch64 in one run: Debian's cloud kernel
//! booted to /init and powered off (`quiet`), and the same boot running the initramfs's
//! busybox self-test (awk arithmetic, md5/sha hashes, gzip, shell loops, fork/exec), and
//! the same boot running the compiled-C workload (fixtures/cwork/cwork.c at scale 2:
//! sorting, recursion, bytecode dispatch, FP, string routines, syscalls, page faults,
//! fork), on armvirt's JIT, its interpreter, QEMU's TCG and QEMU's TCG with `-icount shift=0` (its
//! deterministic mode: one instruction, one nanosecond, as armvirt's clock).
//!
//! `cargo bench --bench engines [-- WORDS]` (after fixtures/install.sh; WORDS picks the
//! workloads whose names contain one of them, e.g. `-- compiled`). Prints the median wall time
//! of RUNS runs of each, and each one's ratio to QEMU's; asserts nothing about speed. The
//! runs alternate between the engines, so a load from elsewhere on the host falls on all
//! of them alike. `ENGINES_SKIP_INTERP=1` leaves out the (slow) interpreter.

#[path = "../tests/fixture_cache/mod.rs"]
mod fixture_cache;
use fixture_cache::{cache_dir, run_script_append};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

const RUNS: usize = 3;

/// One engine's command line for a workload.
type Runner<'a> = (&'a str, Box<dyn Fn() -> Command + 'a>);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Wall seconds of one run; the console must show `want`.
fn time(mut cmd: Command, want: &str) -> f64 {
    let start = Instant::now();
    let out = cmd.stdin(Stdio::null()).output().expect("run");
    let secs = start.elapsed().as_secs_f64();
    let console = String::from_utf8_lossy(&out.stdout);
    assert!(
        console.contains(want),
        "{cmd:?}: no {want:?} in the console:\n{console}\n{}",
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
    let cwork_initrd = cache_dir().join("cwork/initramfs-cwork.cpio.gz");
    assert!(cwork_initrd.exists(), "run fixtures/install.sh first");
    let cwork_append = format!(
        "{} quiet",
        run_script_append("/bin/cwork 2 && echo cwork-ok\n")
    );
    let work: [(&str, &PathBuf, &str, &str); 3] = [
        (
            "boot to /init, power-off",
            &initrd,
            "console=ttyAMA0 quiet armvirt.script=none",
            "armvirt-init: poweroff",
        ),
        (
            "boot + busybox self-test",
            &initrd,
            "console=ttyAMA0 quiet armvirt.script=userspace-selftest",
            "armvirt-init: end userspace-selftest status=0",
        ),
        (
            "boot + compiled C work",
            &cwork_initrd,
            &cwork_append,
            "cwork-ok",
        ),
    ];
    // cargo bench passes `--bench`; other arguments select workloads.
    let picked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    for (name, initrd, append, want) in work {
        if !picked.is_empty() && !picked.iter().any(|p| name.contains(p.as_str())) {
            continue;
        }
        let common = |cmd: &mut Command| {
            cmd.args([
                "-M",
                "virt",
                "-cpu",
                "cortex-a72",
                "-m",
                "1G",
                "-nographic",
                "-no-reboot",
            ])
            .arg("-kernel")
            .arg(&kernel)
            .arg("-initrd")
            .arg(initrd)
            .args(["-append", append]);
        };
        let runs: [Runner; 4] = [
            (
                "armvirt jit",
                Box::new(|| {
                    let mut c = Command::new(env!("CARGO_BIN_EXE_armvirt"));
                    common(&mut c);
                    c.args(["--engine", "jit"]);
                    c
                }),
            ),
            (
                "armvirt interp",
                Box::new(|| {
                    let mut c = Command::new(env!("CARGO_BIN_EXE_armvirt"));
                    common(&mut c);
                    c.args(["--engine", "interp"]);
                    c
                }),
            ),
            (
                "qemu tcg",
                Box::new(|| {
                    let mut c = Command::new("qemu-system-aarch64");
                    common(&mut c);
                    c
                }),
            ),
            (
                "qemu tcg -icount shift=0",
                Box::new(|| {
                    let mut c = Command::new("qemu-system-aarch64");
                    common(&mut c);
                    c.args(["-icount", "shift=0"]);
                    c
                }),
            ),
        ];
        let skip_interp = std::env::var_os("ENGINES_SKIP_INTERP").is_some();
        let runs: Vec<_> = runs
            .into_iter()
            .filter(|(who, _)| !(skip_interp && *who == "armvirt interp"))
            .collect();
        let mut samples = vec![Vec::new(); runs.len()];
        for _ in 0..RUNS {
            for ((_, cmd), s) in runs.iter().zip(samples.iter_mut()) {
                s.push(time(cmd(), want));
            }
        }
        let times: Vec<(&str, f64)> = runs
            .iter()
            .zip(samples)
            .map(|((who, _), s)| (*who, median(s)))
            .collect();
        let of = |who: &str| times.iter().find(|t| t.0 == who).map_or(f64::NAN, |t| t.1);
        let qemu = of("qemu tcg");
        let icount = of("qemu tcg -icount shift=0");
        println!("{name} (median of {RUNS}):");
        for (who, t) in &times {
            println!(
                "  {who:<26} {t:>7.2} s   {:>5.2}x qemu tcg   {:>5.2}x qemu -icount",
                t / qemu,
                t / icount
            );
        }
    }
}
