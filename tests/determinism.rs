//! Determinism, end to end: the same inputs give the same run, instruction for
//! instruction, which is what record/replay and reverse debugging are built on.
//!
//! The project's debug kernel boots on two vCPUs (and on four with a GICv3) with the
//! busybox initramfs and runs a script whose output depends on time and scheduling (the
//! date, uptimes read by racing background jobs, interrupt and CPU-time counts, a sleep),
//! then powers off. With the RTC fixed (`--rtc base=DATETIME`) and stdin closed, two runs
//! print the same bytes, kernel timestamps included. The date the guest reads is the base
//! we set plus its virtual uptime. A run from another base differs in the lines that show
//! the date and nowhere else, once Linux's address-space randomisation is off: otherwise
//! the date also reaches the guest through its entropy pool (see
//! `another_rtc_base_changes_only_the_date_lines`).
//!
//! Fixtures (fixtures/install.sh): the debug kernel and the busybox initramfs, in
//! $ARMVIRT_CACHE (default ~/.cache/armvirt).

mod fixture_cache;
mod process_util;
use fixture_cache::{fixture, run_script_append};
use process_util::run_with_timeout;

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The base of the repeated runs, and its seconds since the epoch (GNU `date -u -d
/// 2024-01-02T03:04:05 +%s`: a reference independent of armvirt's parser).
const BASE: &str = "2024-01-02T03:04:05";
const BASE_EPOCH: u64 = 1_704_164_645;
/// The other base (`date -u -d 2031-05-06T07:08:09 +%s`).
const OTHER_BASE: &str = "2031-05-06T07:08:09";
const OTHER_BASE_EPOCH: u64 = 1_935_817_689;

/// Seconds the script sleeps between its two readings of the date.
const SLEEP: u64 = 2;
/// Racing background jobs.
const JOBS: usize = 8;
const TIMEOUT: Duration = Duration::from_secs(60);

/// The guest's script: lines of its own start with "det: ". The clock and scheduling
/// come first, the date second (see the module comment). `JOBS` and `SLEEP` stand for
/// those constants.
const SCRIPT: &str = r#"say() { echo "det: $*"; }
say "uptime $(cat /proc/uptime)"
for i in $(seq JOBS); do (say "job $i $(cat /proc/uptime) $(cat /proc/loadavg)") & done
wait
say "$(head -1 /proc/stat)"
sed 's/^/det: irq /' /proc/interrupts
say "date $(date -u +%Y-%m-%dT%H:%M:%S) epoch $(date +%s)"
say "hwclock $(hwclock -r -u)"
sleep SLEEP
say "date $(date -u +%Y-%m-%dT%H:%M:%S) epoch $(date +%s)"
say "uptime $(cat /proc/uptime)"
"#;

fn script() -> String {
    SCRIPT
        .replace("JOBS", &JOBS.to_string())
        .replace("SLEEP", &SLEEP.to_string())
}

/// The kernel command line: the console and the script for the initramfs's /init.
fn append() -> String {
    run_script_append(&script())
}

/// How a run is set up besides the RTC base.
#[derive(Clone, Copy, Debug)]
struct Setup {
    smp: u32,
    gic: u32,
    /// Kernel parameters added to the command line.
    extra: &'static str,
    /// The host time zone armvirt runs in (TZ), if not the test's own.
    tz: Option<&'static str>,
    /// `--engine`: jit (the default) or interp.
    engine: &'static str,
}

/// The brief's machine: two vCPUs on QEMU virt's default GICv2.
const TWO_CPUS: Setup = Setup {
    smp: 2,
    gic: 2,
    extra: "",
    tz: None,
    engine: "jit",
};

/// One run from `base` with stdin closed: its console output, which must end in a clean
/// power-off.
fn run(base: &str, setup: Setup) -> String {
    let Setup {
        smp,
        gic,
        extra,
        tz,
        engine,
    } = setup;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_armvirt"));
    if let Some(tz) = tz {
        cmd.env("TZ", tz);
    }
    cmd.arg("--kernel")
        .arg(fixture("debug-kernel/current/Image"))
        .arg("--initrd")
        .arg(fixture("initramfs/initramfs.cpio.gz"))
        .args([
            "--append",
            format!("{} {extra}", append()).trim_end(),
            "-m",
            "1G",
        ])
        .args(["--smp", &smp.to_string(), "--gic", &gic.to_string()])
        .args(["--rtc", &format!("base={base}")])
        .args(["--engine", engine]);
    let (out, err, code) = run_with_timeout(cmd, TIMEOUT);
    assert_eq!(code, Some(0), "base {base}, {setup:?}: {err}\n{out}");
    assert!(
        out.contains("armvirt-init: end run status=0"),
        "base {base}, {setup:?}: the script failed: {out}"
    );
    out
}

/// A console line without the kernel's `[ seconds.micros]` stamp.
fn without_timestamp(line: &str) -> &str {
    match line.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((stamp, rest)) if stamp.trim().parse::<f64>().is_ok() => rest,
        _ => line,
    }
}

/// The (date, epoch) pairs the script printed.
fn dates(console: &str) -> Vec<(String, u64)> {
    console
        .lines()
        .filter_map(|l| l.trim_end_matches('\r').strip_prefix("det: date "))
        .map(|rest| {
            let (date, epoch) = rest.split_once(" epoch ").expect("det: date line");
            (date.to_string(), epoch.parse().expect("epoch"))
        })
        .collect()
}

/// The first line that differs, for a readable failure.
fn first_difference(a: &str, b: &str) -> String {
    let line = a.lines().zip(b.lines()).position(|(x, y)| x != y);
    match line {
        Some(i) => format!(
            "line {}:\n  {:?}\n  {:?}",
            i + 1,
            a.lines().nth(i).unwrap(),
            b.lines().nth(i).unwrap()
        ),
        None => format!("{} vs {} lines", a.lines().count(), b.lines().count()),
    }
}

#[test]
fn the_same_inputs_give_the_same_run() {
    let first = run(BASE, TWO_CPUS);
    let second = run(BASE, TWO_CPUS);
    assert!(
        first == second,
        "two runs from the same inputs differ at {}",
        first_difference(&first, &second)
    );

    // Not trivially the same: the kernel log has timestamps, the jobs raced on two vCPUs
    // that both took timer interrupts, and the guest read the date we set plus its uptime.
    assert!(first.contains("[    0.000000] Booting Linux"), "{first}");
    let jobs = first.lines().filter(|l| l.starts_with("det: job ")).count();
    assert_eq!(jobs, JOBS, "{first}");
    let timer = first
        .lines()
        .find(|l| l.starts_with("det: irq") && l.contains("arch_timer"))
        .expect("timer interrupts in /proc/interrupts");
    let counts: Vec<u64> = timer
        .split_whitespace()
        .skip(3)
        .take(2)
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(counts.iter().all(|&n| n > 0), "{timer}");
    let seen = dates(&first);
    assert_eq!(seen.len(), 2, "{first}");
    assert!(seen[0].0.starts_with("2024-01-02T03:04:0"), "{seen:?}");
    assert!(
        (BASE_EPOCH..=BASE_EPOCH + 1).contains(&seen[0].1),
        "the date is the base plus a boot's virtual uptime: {seen:?}"
    );
    assert!(
        (SLEEP..=SLEEP + 1).contains(&(seen[1].1 - seen[0].1)),
        "sleep {SLEEP} moves the date by {SLEEP} s of virtual time: {seen:?}"
    );
    assert!(first.contains("det: hwclock Tue Jan  2 03:04:0"), "{first}");
}

/// The engines cannot be told apart: the interpreter's run prints the same bytes as the
/// JIT's, kernel timestamps, job races and /proc/interrupts included.
#[test]
fn the_interpreter_and_the_jit_give_the_same_run() {
    let jit = run(BASE, TWO_CPUS);
    let interp = run(
        BASE,
        Setup {
            engine: "interp",
            ..TWO_CPUS
        },
    );
    assert!(
        jit == interp,
        "the JIT's run and the interpreter's differ at {}",
        first_difference(&jit, &interp)
    );
}

/// The same with four vCPUs on a GICv3 (its CPU interface is system registers, its
/// redistributors per vCPU: other code paths than the GICv2's).
#[test]
fn the_same_inputs_give_the_same_run_on_four_cpus_and_gicv3() {
    let setup = Setup {
        smp: 4,
        gic: 3,
        ..TWO_CPUS
    };
    let first = run(BASE, setup);
    let second = run(BASE, setup);
    assert!(
        first == second,
        "two runs from the same inputs differ at {}",
        first_difference(&first, &second)
    );
    assert!(first.contains("armvirt-init: cpus online 0-3"), "{first}");
    assert_eq!(dates(&first).len(), 2, "{first}");
}

#[test]
fn another_rtc_base_changes_only_the_date_lines() {
    // Another base changes the date lines and nothing else, once the date's other path
    // into the guest is closed: setting the clock mixes the time into Linux's entropy pool
    // (`do_settimeofday64` calls `add_device_randomness`), which randomises the processes'
    // memory layouts, so their page faults and hence their scheduling would differ too.
    // `norandmaps` turns that layout randomisation off.
    let setup = Setup {
        extra: "norandmaps",
        ..TWO_CPUS
    };
    let fixed = run(BASE, setup);
    let other = run(OTHER_BASE, setup);
    assert_eq!(
        fixed.lines().count(),
        other.lines().count(),
        "{}",
        first_difference(&fixed, &other)
    );
    // Printing a later date runs a few more instructions than an earlier one, so what
    // the kernel logs after the script's last date line may be stamped a few
    // microseconds later: those lines are compared without their timestamps.
    let lines: Vec<&str> = fixed.lines().collect();
    let last_date = lines
        .iter()
        .rposition(|l| l.starts_with("det: date "))
        .expect("a date line");
    let differing: Vec<(&str, &str)> = fixed
        .lines()
        .zip(other.lines())
        .enumerate()
        .filter(|(i, (x, y))| {
            if *i > last_date {
                without_timestamp(x) != without_timestamp(y)
            } else {
                x != y
            }
        })
        .map(|(_, pair)| pair)
        .collect();
    for (x, y) in &differing {
        assert!(
            x.contains("2024") && y.contains("2031"),
            "a line that does not show the date differs:\n  {x:?}\n  {y:?}"
        );
    }
    let kinds: Vec<&str> = differing
        .iter()
        .map(|(x, _)| match x {
            x if x.contains("rtc-pl031") && x.contains("setting system clock") => "kernel",
            x if x.starts_with("det: date ") => "date",
            x if x.starts_with("det: hwclock ") => "hwclock",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["kernel", "date", "hwclock", "date"],
        "{differing:#?}"
    );
    let fixed_dates = dates(&fixed);
    let other_dates = dates(&other);
    assert_eq!(other_dates.len(), 2, "{other}");
    assert_eq!(
        (
            other_dates[0].1 - OTHER_BASE_EPOCH,
            other_dates[1].1 - OTHER_BASE_EPOCH
        ),
        (fixed_dates[0].1 - BASE_EPOCH, fixed_dates[1].1 - BASE_EPOCH)
    );
    assert!(other.contains("det: hwclock Tue May  6 07:08:0"), "{other}");
}

/// The bases that read the host's clock: `utc` is the host's UTC time, `localtime` the
/// host's local time counted as UTC (QEMU's meaning); here a zone 5 hours east of UTC.
#[test]
fn host_clock_bases() {
    const EAST: u64 = 5 * 3600;
    let setup = Setup {
        smp: 1,
        tz: Some("XYZ-5"),
        ..TWO_CPUS
    };
    let host_now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    for (base, offset) in [("utc", 0), ("localtime", EAST)] {
        let before = host_now();
        let out = run(base, setup);
        let after = host_now();
        let seen = dates(&out);
        assert_eq!(seen.len(), 2, "{out}");
        assert!(
            (before + offset..=after + offset + 1).contains(&seen[0].1),
            "base={base}: the guest read {seen:?}; the host's UTC time was {before} to {after}"
        );
    }
}
