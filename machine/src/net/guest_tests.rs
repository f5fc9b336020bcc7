//! The user network under a real guest: Debian's cloud kernel (fixtures/debian-kernel.sh)
//! with its virtio_net driver and the fixture initramfs's busybox (udhcpc, wget, nc),
//! booted through the machine API with `Config.options.virtio` set as the QEMU command
//! line `-netdev user,id=eth0[,hostfwd=...] -device virtio-net-device,netdev=eth0` sets
//! it. The references: QEMU's addresses (10.0.2.15 by DHCP, 10.0.2.2 the host), the host's
//! `sha256sum` of the file served, the bytes a host socket exchanges with the guest.

use crate::config::Config;
use crate::console::ConsoleInput;
use crate::memmap::spi;
use crate::options::{HostFwd, UserNet, VirtioDevice};
use crate::run::RunEnd;
use crate::Machine;
use armvirt_devices::pl011::Pl011;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::test_rig::{fixture, Buf};

/// The guest's network bring-up: the virtio modules, eth0, a DHCP lease.
const NET_UP: &str = "armvirt-virtio-modules
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
udhcpc -i eth0 -n -q -t 5 -T 2 || { echo 'net: no lease'; exit 1; }
";

fn net_device(hostfwd: Vec<HostFwd>) -> VirtioDevice {
    VirtioDevice::Net {
        net: UserNet {
            id: Some("eth0".into()),
            hostfwd,
        },
        mac: None,
    }
}

/// Boots the fixture kernel with `devices`, running `script` (shell text); returns the
/// console's text, which `console` also receives as it comes.
fn boot(script: &str, devices: Vec<VirtioDevice>, console: Buf) -> String {
    let mut b64 = Command::new("base64")
        .arg("-w0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    b64.stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let b64 = String::from_utf8(b64.wait_with_output().unwrap().stdout).unwrap();
    let mut c = Config::new(fixture("debian-cloud/Image"));
    c.initrd = Some(fixture("initramfs/initramfs.cpio.gz"));
    c.cmdline = Some(format!("console=ttyAMA0 armvirt.run={}", b64.trim()));
    c.ram_size = 512 << 20;
    c.options.virtio = devices;
    let mut m = Machine::new(c).unwrap();
    *m.uart.lock() = Pl011::new(Box::new(console.clone()), m.gic.spi_line(spi::UART0));
    let end = m.run_with(ConsoleInput::none());
    let text = console.text();
    assert_eq!(end, Ok(RunEnd::PowerOff), "{text}");
    assert!(text.contains("armvirt-init: end run status=0"), "{text}");
    text
}

/// Python's http.server on an ephemeral loopback port, serving `dir`; killed at drop.
struct HttpServer {
    child: Child,
    port: u16,
}

impl HttpServer {
    fn start(dir: &std::path::Path) -> Self {
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("http.server said: {line}"));
        HttpServer { child, port }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sha256_of(path: &std::path::Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

#[test]
fn linux_gets_its_lease_by_dhcp_and_fetches_a_file_from_the_host_over_http() {
    let dir = std::env::temp_dir().join(format!("armvirt-net-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // 1 MiB that no compression or caching could fake: a xorshift stream.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let blob: Vec<u8> = (0..1 << 17)
        .flat_map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()
        })
        .collect();
    std::fs::write(dir.join("blob"), &blob).unwrap();
    let want = sha256_of(&dir.join("blob"));
    let server = HttpServer::start(&dir);
    let script = format!(
        "{NET_UP}ip route | sed 's/^/net: route /'
wget -q -O /tmp/blob http://10.0.2.2:{}/blob || echo 'net: wget failed'
echo \"net: size $(wc -c < /tmp/blob)\"
echo \"net: sha256 $(sha256sum < /tmp/blob)\"
",
        server.port
    );
    let text = boot(&script, vec![net_device(vec![])], Buf::default());
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
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
    assert!(
        text.contains(&format!("net: size {}", blob.len())),
        "{text}"
    );
    assert!(text.contains(&format!("net: sha256 {want}")), "{text}");
}

#[test]
fn hostfwd_carries_a_tcp_exchange_from_the_host_into_the_guest() {
    let host_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let rule = HostFwd {
        udp: false,
        host_addr: Ipv4Addr::LOCALHOST,
        host_port,
        guest_addr: None,
        guest_port: 7777,
    };
    let script = format!(
        "{NET_UP}echo 'net: listening'
echo 'pong from the guest' | nc -l -p 7777 > /tmp/got
echo \"net: got $(cat /tmp/got)\"
"
    );
    let console = Buf::default();
    let watch = console.clone();
    // The host side: once the guest listens, connect through the forwarded port, send a
    // line, read the guest's answer to its end.
    let host = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(300);
        while !watch.text().contains("net: listening") {
            assert!(Instant::now() < deadline, "the guest never listened");
            std::thread::sleep(Duration::from_millis(50));
        }
        // "listening" is printed just before nc listens: a connection that comes first
        // is refused by the guest and closed here; try again. Under a loaded host the
        // connect itself was once refused (seen once in a full run, not reproduced alone;
        // see the stop's note): retried as well, the exchange must still happen.
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
    let text = boot(&script, vec![net_device(vec![rule])], console);
    let answer = host.join().unwrap();
    assert_eq!(answer, "pong from the guest\n", "{text}");
    assert!(text.contains("net: got ping from the host"), "{text}");
}

/// The MAC a virtio-net transport's config space holds.
fn mac_at(m: &mut Machine, slot: u32) -> Vec<u8> {
    let base = crate::memmap::virtio_mmio(slot).base;
    let dev = m.bus.device_at(base).unwrap();
    assert_eq!(dev.read(8, 4), Ok(1), "DeviceID: network card");
    (0..6)
        .map(|i| dev.read(0x100 + i, 1).unwrap() as u8)
        .collect()
}

#[test]
fn nics_take_qemus_default_macs_in_command_line_order_unless_given_one() {
    let mut c = Config::new(fixture("debian-cloud/Image"));
    let given = [0x02, 0, 0, 0, 0, 0x42];
    c.options.virtio = vec![
        net_device(vec![]),
        VirtioDevice::Rng,
        net_device(vec![]),
        VirtioDevice::Net {
            net: UserNet::default(),
            mac: Some(given),
        },
    ];
    let mut m = Machine::new(c).unwrap();
    assert_eq!(mac_at(&mut m, 31), [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    assert_eq!(mac_at(&mut m, 29), [0x52, 0x54, 0x00, 0x12, 0x34, 0x57]);
    assert_eq!(mac_at(&mut m, 28), given);
    assert_eq!(m.virtio.nets.0.len(), 3);
}

#[test]
fn a_hostfwd_port_already_taken_fails_the_build_naming_the_rule() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut c = Config::new(fixture("debian-cloud/Image"));
    c.options.virtio = vec![net_device(vec![HostFwd {
        udp: false,
        host_addr: Ipv4Addr::LOCALHOST,
        host_port: port,
        guest_addr: None,
        guest_port: 22,
    }])];
    let e = Machine::new(c).err().unwrap().to_string();
    assert_eq!(
        e,
        format!("-netdev user: could not set up host forwarding rule 'tcp:127.0.0.1:{port}-:22'")
    );
}

#[test]
fn a_machine_reset_keeps_the_network_and_its_forwarded_port() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = Config::new(fixture("debian-cloud/Image"));
    c.options.virtio = vec![net_device(vec![HostFwd {
        udp: false,
        host_addr: Ipv4Addr::LOCALHOST,
        host_port: port,
        guest_addr: None,
        guest_port: 22,
    }])];
    let mut m = Machine::new(c).unwrap();
    let before = m.virtio.nets.0[0].clone();
    // A fresh network would have to bind the port again while the old one holds it.
    m.reset().unwrap();
    assert!(m.virtio.nets.0[0].same(&before));
    assert_eq!(mac_at(&mut m, 31), [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    TcpStream::connect(("127.0.0.1", port)).expect("the forwarded port still listens");
}
