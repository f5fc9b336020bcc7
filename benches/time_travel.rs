//! Time travel's costs, on Debian's cloud kernel (1 GiB, one vCPU) next to QEMU's record
//! mode in the same run:
//!
//! - the forward-speed cost of keeping history: the boot to /init and power-off with and
//!   without history (armvirt), and with and without `-icount shift=auto,rr=record`
//!   (qemu-system-aarch64, which records its inputs only: no snapshots without a qcow2
//!   disk);
//! - `reverse_step` latency (median and max of 25, each one instruction further back) at
//!   10^8, 10^9 and 10^10 instructions of history, the guest busy in a shell loop;
//! - `reverse_continue` to a breakpoint that never hits, which scans the whole history
//!   (10^9 instructions), against the forward time of that span;
//! - snapshot and restore of 1 GiB of RAM, every page written.
//!
//! `cargo bench --bench time_travel` (after fixtures/install.sh). Asserts nothing about
//! speed.

#[path = "../tests/fixture_cache/mod.rs"]
mod fixture_cache;
use armvirt_machine::rtc::RtcBase;
use armvirt_machine::snapshot::ram::RamHistory;
use armvirt_machine::{Config, ConsoleInput, DebugRun, GuestRam, Machine, Travel};
use fixture_cache::{cache_dir, run_script_append};
use std::process::{Command, Stdio};
use std::time::Instant;

const GIB: u64 = 1 << 30;
const SAMPLES: usize = 25;

fn config(append: &str) -> Config {
    let mut c = Config::new(cache_dir().join("debian-cloud/Image"));
    c.initrd = Some(cache_dir().join("initramfs/initramfs.cpio.gz"));
    c.cmdline = Some(append.into());
    c.ram_size = GIB;
    c.rtc_base = RtcBase::DateTime(1_704_164_645);
    c
}

fn machine(append: &str, history: bool) -> Machine {
    let mut m = Machine::new(config(append)).expect("machine");
    m.set_console_output(Box::new(std::io::sink()));
    if history {
        m.start_history(armvirt_machine::history::DEFAULT_BUDGET);
    }
    m
}

/// Runs until the guest powers off; seconds taken.
fn boot_to_power_off(history: bool) -> f64 {
    let mut m = machine("console=ttyAMA0 quiet armvirt.script=none", history);
    let mut input = ConsoleInput::none();
    let start = Instant::now();
    loop {
        match m.debug_run(&mut input, 64) {
            DebugRun::Slice => {}
            DebugRun::End(end) => {
                assert!(end.is_ok(), "{end:?}");
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    start.elapsed().as_secs_f64()
}

/// Runs `m` on until it has executed `ticks` instructions.
fn run_to(m: &mut Machine, ticks: u64) {
    let mut input = ConsoleInput::none();
    while m.ticks() < ticks {
        assert_eq!(m.debug_run(&mut input, 64), DebugRun::Slice);
    }
}

fn qemu_boot(record: bool, dir: &std::path::Path) -> Option<f64> {
    let mut cmd = Command::new("qemu-system-aarch64");
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
    .arg(cache_dir().join("debian-cloud/Image"))
    .arg("-initrd")
    .arg(cache_dir().join("initramfs/initramfs.cpio.gz"))
    .args(["-append", "console=ttyAMA0 quiet armvirt.script=none"]);
    let icount = if record {
        format!(
            "shift=auto,rr=record,rrfile={}",
            dir.join("rr.bin").display()
        )
    } else {
        "shift=auto".into()
    };
    cmd.args(["-icount", &icount]);
    let start = Instant::now();
    let out = cmd.stdin(Stdio::null()).output().ok()?;
    let secs = start.elapsed().as_secs_f64();
    String::from_utf8_lossy(&out.stdout)
        .contains("armvirt-init: userspace up")
        .then_some(secs)
}

fn median_max(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[v.len() - 1])
}

fn main() {
    assert!(
        cache_dir().join("debian-cloud/Image").exists(),
        "run fixtures/install.sh first"
    );
    let dir = std::env::temp_dir().join(format!("armvirt-bench-tt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    println!("forward cost of history (boot to /init and power-off, median of 3):");
    let med = |f: &dyn Fn() -> Option<f64>| {
        let mut v: Vec<f64> = (0..3).filter_map(|_| f()).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    };
    let plain = med(&|| Some(boot_to_power_off(false))).unwrap();
    let kept = med(&|| Some(boot_to_power_off(true))).unwrap();
    println!(
        "  armvirt      without {plain:.2} s, keeping history {kept:.2} s: +{:.1} %",
        (kept / plain - 1.0) * 100.0
    );
    match (
        med(&|| qemu_boot(false, &dir)),
        med(&|| qemu_boot(true, &dir)),
    ) {
        (Some(q), Some(r)) => println!(
            "  QEMU icount  without {q:.2} s, rr=record {r:.2} s: +{:.1} %",
            (r / q - 1.0) * 100.0
        ),
        _ => println!("  QEMU: not installed or its run failed"),
    }

    println!("reverse_step latency (guest busy in a shell loop; median / max of {SAMPLES}):");
    let busy = run_script_append("while :; do :; done");
    let mut m = machine(&format!("{busy} quiet"), true);
    let start = Instant::now();
    for depth in [100_000_000u64, 1_000_000_000, 10_000_000_000] {
        run_to(&mut m, depth);
        let mut times = Vec::new();
        for _ in 0..SAMPLES {
            let t = Instant::now();
            assert!(matches!(m.reverse_step(0), Travel::Stepped { .. }));
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let (median, max) = median_max(times);
        println!(
            "  at {depth:>14} instructions: {median:6.1} ms / {max:6.1} ms   \
             ({} snapshots, {} MiB of history)",
            m.history_snapshots(),
            m.history_bytes() >> 20
        );
        m.return_to_present();
        if depth == 1_000_000_000 {
            // A breakpoint nothing executes: the search replays every interval.
            let forward = start.elapsed().as_secs_f64();
            m.add_breakpoint(0xdead_0000);
            let t = Instant::now();
            assert_eq!(m.reverse_continue(0), Travel::Begin);
            let scan = t.elapsed().as_secs_f64();
            m.remove_breakpoint(0xdead_0000);
            m.return_to_present();
            println!(
                "  reverse_continue over all {depth} instructions: {scan:.2} s, \
                 the forward run of the span {forward:.2} s ({:.2}x)",
                scan / forward
            );
        }
    }

    println!("RAM snapshots of 1 GiB, every page written:");
    let mut ram = GuestRam::new(0x4000_0000, GIB).unwrap();
    let fill = |ram: &mut GuestRam, v: u8| {
        let r = ram.region();
        for off in (0..GIB as usize).step_by(4096) {
            r.write_bytes(off, &[v; 64]);
        }
    };
    fill(&mut ram, 1);
    let t = Instant::now();
    let mut h = RamHistory::new(&mut ram);
    let base = h.base();
    let first = t.elapsed().as_secs_f64();
    fill(&mut ram, 2);
    let t = Instant::now();
    let _second = h.capture(&mut ram);
    let capture = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let pages = h.restore(&mut ram, base).len();
    let restore = t.elapsed().as_secs_f64();
    println!(
        "  first snapshot {first:.3} s, incremental snapshot of all pages {capture:.3} s, \
         restore of {pages} pages {restore:.3} s"
    );
    std::fs::remove_dir_all(&dir).ok();
}
