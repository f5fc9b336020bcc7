//! virtio-blk throughput: `dd` in the guest reads, then writes, N MiB of /dev/vda
//! (fixtures/initramfs/scripts/virtio-dd), on armvirt and on qemu-system-aarch64 (TCG)
//! with the same kernel, initramfs and kind of image. The host times the stretch between
//! the guest's begin and end markers as they reach the console, so boot time is left out.
//!
//! `cargo bench --bench virtio_blk` (after fixtures/install.sh); `VIRTIO_BENCH_MIB=N` sets
//! N (default 32). Until the QEMU command line (`-drive ... -device virtio-blk-device`)
//! lands in the binary, the armvirt side is this bench re-run as a child that builds the
//! machine through `armvirt_machine`'s API with the same options. Asserts nothing about
//! speed.

#[path = "../tests/fixture_cache/mod.rs"]
mod fixture_cache;
use armvirt_machine::options::{Drive, VirtioDevice};
use armvirt_machine::{Config, ConsoleInput, Machine};
use fixture_cache::cache_dir;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const CHILD: &str = "ARMVIRT_VIRTIO_BENCH_CHILD";

fn append(mib: u64) -> String {
    format!("console=ttyAMA0 armvirt.script=virtio-dd armvirt.dd={mib}")
}

/// The child: one armvirt run with the image on virtio-blk, console on stdout.
fn child(kernel: PathBuf, initrd: PathBuf, image: PathBuf, mib: u64) {
    let mut c = Config::new(kernel);
    c.initrd = Some(initrd);
    c.cmdline = Some(append(mib));
    c.options.virtio = vec![VirtioDevice::Blk(Drive {
        id: Some("hd0".into()),
        file: image,
        readonly: false,
        snapshot: false,
    })];
    let mut m = Machine::new(c).unwrap_or_else(|e| panic!("{e}"));
    m.run_with(ConsoleInput::none()).expect("run");
}

/// Runs `cmd`, timing its console's markers; returns (read seconds, write seconds).
fn measure(mut cmd: Command) -> (f64, f64) {
    let mut p = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run");
    let mut at = HashMap::new();
    let mut log = String::new();
    for line in BufReader::new(p.stdout.take().unwrap()).lines() {
        let Ok(line) = line else { break };
        if let Some(m) = line.trim_end().strip_prefix("virtio-dd: ") {
            at.insert(m.to_string(), Instant::now());
        }
        log.push_str(&line);
        log.push('\n');
    }
    let status = p.wait().unwrap();
    let span = |what: &str| {
        let (Some(b), Some(e)) = (
            at.get(&format!("{what} begin")),
            at.get(&format!("{what} end")),
        ) else {
            panic!("no {what} markers ({status}):\n{log}");
        };
        (*e - *b).as_secs_f64()
    };
    (span("read"), span("write"))
}

fn main() {
    let kernel = cache_dir().join("debian-cloud/Image");
    let initrd = cache_dir().join("initramfs/initramfs.cpio.gz");
    let mib: u64 = std::env::var("VIRTIO_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32);
    if let Some(image) = std::env::var_os(CHILD) {
        return child(kernel, initrd, image.into(), mib);
    }
    assert!(
        kernel.exists() && initrd.exists(),
        "run fixtures/install.sh first"
    );
    let dir = std::env::temp_dir().join(format!("armvirt-virtio-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let image = dir.join("disk.img");
    let fresh = |p: &Path| {
        let f = std::fs::File::create(p).unwrap();
        f.set_len((mib + 16) << 20).unwrap();
    };

    fresh(&image);
    let mut armvirt = Command::new(std::env::current_exe().unwrap());
    armvirt
        .env(CHILD, &image)
        .env("VIRTIO_BENCH_MIB", mib.to_string());
    let (ar, aw) = measure(armvirt);

    fresh(&image);
    let mut qemu = Command::new("qemu-system-aarch64");
    qemu.args(["-M", "virt", "-cpu", "cortex-a72", "-m", "1G", "-nographic"])
        .args(["-serial", "stdio", "-monitor", "none", "-no-reboot"])
        .arg("-kernel")
        .arg(&kernel)
        .arg("-initrd")
        .arg(&initrd)
        .args(["-append", &append(mib)])
        .arg("-drive")
        .arg(format!(
            "file={},if=none,format=raw,id=hd0",
            image.display()
        ))
        .args(["-device", "virtio-blk-device,drive=hd0"]);
    let (qr, qw) = measure(qemu);
    let _ = std::fs::remove_dir_all(&dir);

    let rate = |s: f64| mib as f64 / s;
    println!(
        "virtio-blk dd {mib} MiB read (bs=1M): armvirt {ar:.2} s ({:.1} MiB/s), \
         qemu-system-aarch64 {qr:.2} s ({:.1} MiB/s)",
        rate(ar),
        rate(qr)
    );
    println!(
        "virtio-blk dd {mib} MiB write (bs=1M, conv=fsync): armvirt {aw:.2} s ({:.1} MiB/s), \
         qemu-system-aarch64 {qw:.2} s ({:.1} MiB/s)",
        rate(aw),
        rate(qw)
    );
}
