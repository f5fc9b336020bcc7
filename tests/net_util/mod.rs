//! The host side of the user-network tests and the net_fetch bench: an HTTP server on the
//! loopback (Python's http.server, which the guest reaches as 10.0.2.2), a file of bytes
//! no compression could fake, its sha256 by the host's `sha256sum`, and the guest's
//! network bring-up as shell text for the fixture initramfs.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// The guest's network bring-up: the virtio modules, eth0, a DHCP lease (udhcpc's event
/// script prints "udhcpc: eth0 bound ADDR netmask ... router ... dns ...").
pub const NET_UP: &str = "armvirt-virtio-modules
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
echo 'net: dhcp'
udhcpc -i eth0 -n -q -t 5 -T 2 || { echo 'net: no lease'; exit 1; }
";

/// A directory of files to serve, removed at drop.
pub struct Served {
    pub dir: PathBuf,
}

impl Served {
    /// `name` in a fresh directory (one per call: tests run in parallel) holding `len`
    /// bytes of a xorshift64 stream.
    pub fn blob(name: &str, len: usize) -> (Self, PathBuf) {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("armvirt-net-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut data = Vec::with_capacity(len + 8);
        while data.len() < len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            data.extend_from_slice(&x.to_le_bytes());
        }
        data.truncate(len);
        let path = dir.join(name);
        std::fs::write(&path, &data).unwrap();
        (Served { dir }, path)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The host's `sha256sum` of `path`, hex.
pub fn sha256_of(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

/// Python's http.server on an ephemeral loopback port, serving a directory; killed at drop.
pub struct HttpServer {
    child: Child,
    pub port: u16,
}

impl HttpServer {
    pub fn start(dir: &Path) -> Self {
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

/// A loopback port free a moment ago (for a hostfwd rule).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
