//! User-mode networking throughput: Debian's cloud kernel gets a DHCP lease and fetches a
//! 4 MiB file from an HTTP server on the host's loopback (10.0.2.2 to the guest) with
//! busybox wget, on armvirt and on qemu-system-aarch64 (TCG, `-netdev user -device
//! virtio-net-device`), same kernel, initramfs and script.
//!
//! `cargo bench --bench net_fetch` (after fixtures/install.sh). Prints host seconds from
//! the guest's markers on the console: the DHCP exchange, the fetch and its MiB/s, and the
//! whole run; checks the file's sha256 in the guest against the host's; asserts nothing
//! about speed.
//!
//! Until the QEMU command line (h/cli) lands, armvirt runs as this bench's own child
//! process driving the machine library with `Config.options.virtio` set (the same device
//! and network `-netdev user -device virtio-net-device` will build).

#[path = "../tests/fixture_cache/mod.rs"]
mod fixture_cache;
#[path = "../tests/net_util/mod.rs"]
mod net_util;
use armvirt_machine::options::{UserNet, VirtioDevice};
use armvirt_machine::{Config, ConsoleInput, Machine};
use fixture_cache::{fixture, run_script_append};
use net_util::{sha256_of, HttpServer, Served, NET_UP};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SIZE: usize = 4 << 20;
/// Set in the child that runs armvirt's machine: the kernel command line.
const CHILD: &str = "ARMVIRT_NET_BENCH_APPEND";

/// Console lines the timings are taken at, in order.
const MARKS: [&str; 4] = [
    "net: dhcp",
    "udhcpc: eth0 bound",
    "net: fetch",
    "net: fetched",
];

fn child(append: String) {
    let mut c = Config::new(fixture("debian-cloud/Image"));
    c.initrd = Some(fixture("initramfs/initramfs.cpio.gz"));
    c.cmdline = Some(append);
    c.ram_size = 512 << 20;
    c.options.virtio = vec![VirtioDevice::Net {
        net: UserNet {
            id: Some("eth0".into()),
            hostfwd: vec![],
        },
        mac: None,
    }];
    let mut m = Machine::new(c).expect("machine");
    m.run_with(ConsoleInput::none()).expect("run");
}

/// Runs `cmd`, timestamping the marks as its console shows them; returns the seconds at
/// each mark and at exit, and the console.
fn timed(mut cmd: Command) -> (Vec<f64>, f64, String) {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 || tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                break;
            }
        }
    });
    let mut console = String::new();
    let mut at = Vec::new();
    while let Ok((t, chunk)) = rx.recv_timeout(Duration::from_secs(600)) {
        console.push_str(&String::from_utf8_lossy(&chunk));
        while at.len() < MARKS.len() && console.contains(MARKS[at.len()]) {
            at.push((t - start).as_secs_f64());
        }
    }
    child.wait().expect("wait");
    let total = start.elapsed().as_secs_f64();
    (at, total, console)
}

fn report(name: &str, want: &str, (at, total, console): (Vec<f64>, f64, String)) -> f64 {
    assert!(
        at.len() == MARKS.len() && console.contains(&format!("net: sha256 {want}")),
        "{name}: the guest did not fetch the file intact:\n{console}"
    );
    let fetch = at[3] - at[2];
    println!(
        "{name:>20}: dhcp {:.3} s, fetch of {} MiB {:.3} s ({:.2} MiB/s), whole run {:.2} s",
        at[1] - at[0],
        SIZE >> 20,
        fetch,
        (SIZE as f64 / (1 << 20) as f64) / fetch,
        total
    );
    fetch
}

fn main() {
    if let Ok(append) = std::env::var(CHILD) {
        return child(append);
    }
    let (served, blob) = Served::blob("blob", SIZE);
    let want = sha256_of(&blob);
    let server = HttpServer::start(&served.dir);
    let script = format!(
        "{NET_UP}echo 'net: fetch'
wget -q -O /tmp/blob http://10.0.2.2:{}/blob || echo 'net: wget failed'
echo 'net: fetched'
echo \"net: sha256 $(sha256sum < /tmp/blob)\"
",
        server.port
    );
    let append = run_script_append(&script);

    let mut armvirt = Command::new(std::env::current_exe().unwrap());
    armvirt.env(CHILD, &append);
    let a = report("armvirt", &want, timed(armvirt));

    let mut qemu = Command::new("qemu-system-aarch64");
    qemu.args([
        "-M",
        "virt",
        "-cpu",
        "cortex-a72",
        "-m",
        "512M",
        "-nographic",
    ])
    .arg("-kernel")
    .arg(fixture("debian-cloud/Image"))
    .arg("-initrd")
    .arg(fixture("initramfs/initramfs.cpio.gz"))
    .args(["-append", &append])
    .args([
        "-netdev",
        "user,id=eth0",
        "-device",
        "virtio-net-device,netdev=eth0",
    ]);
    let q = report("qemu-system-aarch64", &want, timed(qemu));
    println!("fetch time ratio armvirt/qemu {:.2}", a / q);
}
