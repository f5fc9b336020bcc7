//! KUnit's arm64 run (fixtures/kunit-kernel.sh's kernel) with kunit.py's own QEMU command
//! line (tools/testing/kunit/kunit_kernel.py and qemu_configs/arm64.py: `-nodefaults -m 1024
//! -no-reboot -nographic -serial stdio -machine virt -cpu cortex-a57`, `kunit.enable=1
//! console=ttyAMA0 kunit_shutdown=reboot`), on armvirt's JIT, its interpreter,
//! qemu-system-aarch64 and qemu-system-aarch64 `-icount shift=0`, taking turns round by
//! round so that load from elsewhere falls on all of them alike. The kunitconfig's 210
//! cases are mostly short; TIME_KUNIT_TEST's
//! time64_to_tm over 160 000 years of days is most of the run.
//!
//! `cargo bench --bench kunit` (after fixtures/install.sh). Prints the median wall time of
//! RUNS runs of each and its ratio to QEMU's; asserts nothing about speed.
//! `ENGINES_SKIP_INTERP=1` leaves out the interpreter.

#[path = "../tests/fixture_cache/mod.rs"]
mod fixture_cache;
use fixture_cache::cache_dir;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const RUNS: usize = 3;

/// One engine's command line.
type Runner<'a> = (&'a str, Box<dyn Fn() -> Command + 'a>);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// kunit.py's command line for `program`.
fn kunit_command(program: &str, image: &Path) -> Command {
    let mut c = Command::new(program);
    c.args(["-nodefaults", "-m", "1024", "-kernel"])
        .arg(image)
        .args([
            "-append",
            "kunit.enable=1 console=ttyAMA0 kunit_shutdown=reboot",
            "-no-reboot",
            "-nographic",
            "-serial",
            "stdio",
            "-machine",
            "virt",
            "-cpu",
            "cortex-a57",
        ]);
    c
}

/// Wall seconds of one run; every top-level suite of the KTAP report must say `ok`.
fn time(mut cmd: Command) -> f64 {
    let start = Instant::now();
    let out = cmd.stdin(Stdio::null()).output().expect("run");
    let secs = start.elapsed().as_secs_f64();
    let console = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = console.lines().map(|l| l.trim_end_matches('\r')).collect();
    let suites = lines
        .iter()
        .find_map(|l| l.strip_prefix("1.."))
        .and_then(|n| n.parse::<usize>().ok());
    let ok = lines.iter().filter(|l| l.starts_with("ok ")).count();
    assert!(
        suites.is_some_and(|n| n > 0 && n == ok),
        "{cmd:?}: {ok} suites ok of {suites:?}:\n{console}"
    );
    secs
}

fn main() {
    let image = cache_dir().join("kunit/current/build/arch/arm64/boot/Image.gz");
    assert!(image.exists(), "run fixtures/install.sh first");
    let armvirt = env!("CARGO_BIN_EXE_armvirt");
    let runs: [Runner; 4] = [
        (
            "armvirt jit",
            Box::new(|| {
                let mut c = kunit_command(armvirt, &image);
                c.args(["--engine", "jit"]);
                c
            }),
        ),
        (
            "armvirt interp",
            Box::new(|| {
                let mut c = kunit_command(armvirt, &image);
                c.args(["--engine", "interp"]);
                c
            }),
        ),
        (
            "qemu tcg",
            Box::new(|| kunit_command("qemu-system-aarch64", &image)),
        ),
        (
            "qemu -icount 0",
            Box::new(|| {
                let mut c = kunit_command("qemu-system-aarch64", &image);
                c.args(["-icount", "shift=0"]);
                c
            }),
        ),
    ];
    // As in the engines bench: the interpreter is ten times slower and may be left out.
    let skip_interp = std::env::var_os("ENGINES_SKIP_INTERP").is_some();
    let runs: Vec<_> = runs
        .into_iter()
        .filter(|(who, _)| !(skip_interp && *who == "armvirt interp"))
        .collect();
    let mut times = vec![Vec::new(); runs.len()];
    for _ in 0..RUNS {
        for (i, (_, cmd)) in runs.iter().enumerate() {
            times[i].push(time(cmd()));
        }
    }
    let medians: Vec<f64> = times.into_iter().map(median).collect();
    let of = |who: &str| {
        runs.iter()
            .zip(&medians)
            .find(|((w, _), _)| *w == who)
            .map_or(f64::NAN, |(_, t)| *t)
    };
    let (qemu, icount) = (of("qemu tcg"), of("qemu -icount 0"));
    println!("KUnit, kunit.py's command line (median of {RUNS}, taking turns):");
    for ((who, _), t) in runs.iter().zip(&medians) {
        println!(
            "  {who:<16} {t:>7.2} s   {:>5.2}x qemu tcg   {:>5.2}x qemu -icount",
            t / qemu,
            t / icount
        );
    }
}
