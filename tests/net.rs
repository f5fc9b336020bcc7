//! User-mode networking end to end with QEMU's spelling: `-netdev user,id=eth0[,hostfwd=
//! tcp:127.0.0.1:H-:G] -device virtio-net-device,netdev=eth0` (and `-nic user`), Debian's
//! cloud kernel and the fixture initramfs's busybox (udhcpc, wget, nc). Each scenario runs
//! on qemu-system-aarch64, the reference, and on armvirt; both must give the guest the
//! lease 10.0.2.15, the file the host serves (its sha256 as the host's `sha256sum` says)
//! and the bytes of a forwarded TCP connection. (The machine-level tests in
//! machine/src/net/guest_tests.rs run the same scenarios through `Config.options.virtio`.)

mod fixture_cache;
mod net_util;
mod process_util;
use fixture_cache::{fixture, run_script_append};
use net_util::{free_port, sha256_of, HttpServer, Served, NET_UP};
use process_util::{chunks, killed_at};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Clone, Copy)]
enum Emulator {
    Qemu,
    Armvirt,
}

/// `emu` booting the fixture kernel with `net_args`, running `script` in the guest.
fn command(emu: Emulator, net_args: &[String], script: &str) -> Command {
    let mut cmd = match emu {
        Emulator::Qemu => Command::new("qemu-system-aarch64"),
        Emulator::Armvirt => Command::new(env!("CARGO_BIN_EXE_armvirt")),
    };
    cmd.args([
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
    .arg("-append")
    .arg(run_script_append(script))
    .args(net_args);
    cmd
}

fn netdev(hostfwd: Option<(u16, u16)>) -> Vec<String> {
    let mut user = "user,id=eth0".to_string();
    if let Some((h, g)) = hostfwd {
        user += &format!(",hostfwd=tcp:127.0.0.1:{h}-:{g}");
    }
    vec![
        "-netdev".into(),
        user,
        "-device".into(),
        "virtio-net-device,netdev=eth0".into(),
    ]
}

/// Runs `cmd`, its console collected into `console` as it comes, until it exits (or the
/// timeout); returns the exit code.
fn run(mut cmd: Command, console: Arc<Mutex<String>>) -> Option<i32> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let rx = chunks(child.stdout.take().unwrap());
    let err = chunks(child.stderr.take().unwrap());
    let deadline = Instant::now() + TIMEOUT;
    let code = loop {
        while let Ok(c) = rx.try_recv() {
            console
                .lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&c));
        }
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        if killed_at(deadline, &mut child) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    while let Ok(c) = rx.recv_timeout(Duration::from_millis(200)) {
        console
            .lock()
            .unwrap()
            .push_str(&String::from_utf8_lossy(&c));
    }
    while let Ok(c) = err.try_recv() {
        console
            .lock()
            .unwrap()
            .push_str(&String::from_utf8_lossy(&c));
    }
    code
}

fn dhcp_and_http_fetch(emu: Emulator, net_args: Vec<String>) {
    let (served, blob) = Served::blob("blob", 1 << 20);
    let want = sha256_of(&blob);
    let server = HttpServer::start(&served.dir);
    let script = format!(
        "{NET_UP}ip route | sed 's/^/net: route /'
wget -q -O /tmp/blob http://10.0.2.2:{}/blob || echo 'net: wget failed'
echo \"net: size $(wc -c < /tmp/blob)\"
echo \"net: sha256 $(sha256sum < /tmp/blob)\"
",
        server.port
    );
    let console = Arc::new(Mutex::new(String::new()));
    let code = run(command(emu, &net_args, &script), console.clone());
    let text = console.lock().unwrap().clone();
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(
            "udhcpc: eth0 bound 10.0.2.15 netmask 255.255.255.0 router 10.0.2.2 dns 10.0.2.3"
        ),
        "{text}"
    );
    assert!(
        text.contains("net: route default via 10.0.2.2 dev eth0"),
        "{text}"
    );
    assert!(text.contains(&format!("net: size {}", 1 << 20)), "{text}");
    assert!(text.contains(&format!("net: sha256 {want}")), "{text}");
}

fn hostfwd_tcp_exchange(emu: Emulator) {
    let host_port = free_port();
    let script = format!(
        "{NET_UP}echo 'net: listening'
echo 'pong from the guest' | nc -l -p 7777 > /tmp/got
echo \"net: got $(cat /tmp/got)\"
"
    );
    let console = Arc::new(Mutex::new(String::new()));
    let watch = console.clone();
    let host = std::thread::spawn(move || {
        let deadline = Instant::now() + TIMEOUT;
        while !watch.lock().unwrap().contains("net: listening") {
            if Instant::now() > deadline {
                return String::new();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // The line comes just before nc listens: a connection that arrives first is
        // refused in the guest and closed here; try again.
        for _ in 0..40 {
            let Ok(mut s) = TcpStream::connect(("127.0.0.1", host_port)) else {
                std::thread::sleep(Duration::from_millis(250));
                continue;
            };
            s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
            let mut got = Vec::new();
            if s.write_all(b"ping from the host\n").is_ok() && s.shutdown(Shutdown::Write).is_ok() {
                let _ = s.read_to_end(&mut got);
            }
            if !got.is_empty() {
                return String::from_utf8_lossy(&got).into_owned();
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        String::new()
    });
    let code = run(
        command(emu, &netdev(Some((host_port, 7777))), &script),
        console.clone(),
    );
    let answer = host.join().unwrap();
    let text = console.lock().unwrap().clone();
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(answer, "pong from the guest\n", "{text}");
    assert!(text.contains("net: got ping from the host"), "{text}");
}

#[test]
fn qemu_dhcp_and_http_fetch() {
    dhcp_and_http_fetch(Emulator::Qemu, netdev(None));
}

#[test]
fn armvirt_dhcp_and_http_fetch() {
    dhcp_and_http_fetch(Emulator::Armvirt, netdev(None));
}

#[test]
fn qemu_hostfwd_tcp_exchange() {
    hostfwd_tcp_exchange(Emulator::Qemu);
}

#[test]
fn armvirt_hostfwd_tcp_exchange() {
    hostfwd_tcp_exchange(Emulator::Armvirt);
}

/// `-nic user`: QEMU's virt makes that a virtio-net-pci (and its `-nic` takes no mmio
/// model: "Unsupported NIC model: virtio-net-device"); armvirt has no PCI, so its
/// `-nic user` is the virtio-net-device, and the guest must see what the `-netdev` form
/// gives it.
#[test]
fn armvirt_nic_user_shorthand() {
    dhcp_and_http_fetch(Emulator::Armvirt, vec!["-nic".into(), "user".into()]);
}
