//! buildroot's board/qemu/aarch64-virt flow (its readme.txt's command line, unchanged but for
//! paths and a hostfwd port): the project's debug kernel, which has virtio-blk, virtio-net,
//! ext4, inet and AF_PACKET built in as buildroot's kernel does, boots with no initrd and
//! no -m, mounts the ext4 image on /dev/vda as root, and busybox init puts a getty on the
//! console (fixtures/rootfs-ext4.sh). The test logs in as root at "buildroot login:",
//! checks the root mount, takes a DHCP lease, fetches a file from an HTTP server on the
//! host's loopback, answers a TCP connection forwarded from the host, writes a file and
//! powers off; the file is then in the image (read back with debugfs) unless the run had
//! -snapshot. Every scenario runs on qemu-system-aarch64, the reference, and on armvirt,
//! with the same assertions.

mod fixture_cache;
mod net_util;
mod process_util;
use fixture_cache::fixture;
use net_util::{free_port, sha256_of, HttpServer, Served};
use process_util::{chunks, killed_at};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// Boot to the login prompt (the debug kernel, under a slow shared host).
const BOOT_TIMEOUT: Duration = Duration::from_secs(400);
/// One shell command, or the power-off.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(180);
/// The port `nc -l` listens on in the guest.
const GUEST_PORT: u16 = 7777;

#[derive(Clone, Copy, Debug)]
enum Emulator {
    Qemu,
    Armvirt,
}

/// buildroot's `board/qemu/aarch64-virt/readme.txt` command line for `image`, with
/// `hostfwd` appended to the netdev and `extra` at the end.
fn command(emu: Emulator, image: &Path, hostfwd: Option<u16>, extra: &[&str]) -> Command {
    let mut cmd = match emu {
        Emulator::Qemu => Command::new("qemu-system-aarch64"),
        Emulator::Armvirt => Command::new(env!("CARGO_BIN_EXE_armvirt")),
    };
    let mut netdev = "user,id=eth0".to_string();
    if let Some(h) = hostfwd {
        netdev += &format!(",hostfwd=tcp:127.0.0.1:{h}-:{GUEST_PORT}");
    }
    cmd.args([
        "-M",
        "virt",
        "-cpu",
        "cortex-a53",
        "-nographic",
        "-smp",
        "1",
    ])
    .arg("-kernel")
    .arg(fixture("debug-kernel/current/Image"))
    .args(["-append", "rootwait root=/dev/vda console=ttyAMA0"])
    .args(["-netdev", &netdev])
    .args(["-device", "virtio-net-device,netdev=eth0"])
    .arg("-drive")
    .arg(format!(
        "file={},if=none,format=raw,id=hd0",
        image.display()
    ))
    .args(["-device", "virtio-blk-device,drive=hd0"])
    .args(extra);
    cmd
}

/// A copy of the fixture image in a fresh directory (the guest writes to it), removed at
/// drop.
struct Scratch {
    dir: PathBuf,
    image: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("armvirt-br-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let image = dir.join("rootfs.ext4");
        std::fs::copy(fixture("rootfs-ext4/rootfs.ext4"), &image).unwrap();
        Scratch { dir, image }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `path` in the ext4 image as debugfs reads it ("" if there is no such file).
fn debugfs_cat(image: &Path, path: &str) -> String {
    let out = Command::new("debugfs")
        .args(["-R", &format!("cat {path}")])
        .arg(image)
        .output()
        .expect("debugfs (e2fsprogs)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The emulator's serial console: everything it printed so far, and its stdin to type on.
struct Console {
    emu: Emulator,
    child: Child,
    stdin: Option<ChildStdin>,
    out: Receiver<Vec<u8>>,
    err: Receiver<Vec<u8>>,
    text: String,
    /// Where the next `expect` starts looking.
    seen: usize,
    /// Numbers the commands' end markers.
    commands: u32,
}

impl Console {
    fn start(emu: Emulator, mut cmd: Command) -> Self {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the emulator");
        let out = chunks(child.stdout.take().unwrap());
        let err = chunks(child.stderr.take().unwrap());
        Console {
            emu,
            stdin: child.stdin.take(),
            child,
            out,
            err,
            text: String::new(),
            seen: 0,
            commands: 0,
        }
    }

    fn drain(&mut self) {
        while let Ok(c) = self.out.try_recv() {
            self.text.push_str(&String::from_utf8_lossy(&c));
        }
    }

    /// Everything so far, and the emulator's stderr, for a failure message.
    fn transcript(&mut self) -> String {
        self.drain();
        let mut err = String::new();
        while let Ok(c) = self.err.try_recv() {
            err.push_str(&String::from_utf8_lossy(&c));
        }
        format!(
            "{:?} console:\n{}\n{:?} stderr:\n{err}",
            self.emu, self.text, self.emu
        )
    }

    /// Waits for `what` after what earlier calls matched; returns the text up to its end.
    fn expect(&mut self, what: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            self.drain();
            if let Some(at) = self.text[self.seen..].find(what) {
                let end = self.seen + at + what.len();
                let got = self.text[self.seen..end].to_string();
                self.seen = end;
                return got;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("exited ({status}) before {what:?}\n{}", self.transcript());
            }
            if killed_at(deadline, &mut self.child) {
                panic!("no {what:?} in {timeout:?}\n{}", self.transcript());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `line` and Return, as a terminal sends it.
    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\r").unwrap();
        stdin.flush().unwrap();
    }

    /// Types `cmd` at the shell prompt and waits for it to finish; returns its console
    /// output, asserting its exit status is 0.
    fn run(&mut self, cmd: &str) -> String {
        self.send_marked(cmd);
        self.finish(cmd)
    }

    /// Types `cmd` between a begin and an end marker and returns at once. The shell computes
    /// the markers, so the echoed command line (which line editing may wrap) never matches.
    fn send_marked(&mut self, cmd: &str) {
        self.commands += 1;
        let n = self.commands;
        self.send(&format!(
            "echo \"<<$(({n} + 0))\"; {cmd}; echo \">>$(({n} + 0)) $?\""
        ));
    }

    /// Waits for the command `send_marked` typed; returns its output, asserting status 0.
    fn finish(&mut self, cmd: &str) -> String {
        let n = self.commands;
        self.expect(&format!("<<{n}"), COMMAND_TIMEOUT);
        let end = format!(">>{n} ");
        let got = self.expect(&end, COMMAND_TIMEOUT);
        let status = self.expect("\n", COMMAND_TIMEOUT);
        assert_eq!(
            status.trim(),
            "0",
            "`{cmd}` failed:\n{got}\n{}",
            self.transcript()
        );
        self.expect("# ", COMMAND_TIMEOUT);
        got[..got.len() - end.len()]
            .replace('\r', "")
            .trim_start_matches('\n')
            .to_string()
    }

    /// Waits for the emulator to exit; returns its exit code.
    fn wait_exit(&mut self) -> Option<i32> {
        drop(self.stdin.take());
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        loop {
            self.drain();
            if let Some(s) = self.child.try_wait().unwrap() {
                self.drain();
                return s.code();
            }
            if killed_at(deadline, &mut self.child) {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Boots to the prompt and logs in as root (no password).
fn login(console: &mut Console) {
    console.expect("buildroot login: ", BOOT_TIMEOUT);
    console.send("root");
    console.expect("# ", COMMAND_TIMEOUT);
}

/// The kernel mounted /dev/vda as the ext4 root, and init made it writable.
fn check_root_mount(console: &mut Console) {
    let mounts = console.run("grep ' / ' /proc/mounts");
    assert!(
        mounts.lines().any(|l| l.starts_with("/dev/root / ext4 rw")),
        "{mounts}\n{}",
        console.transcript()
    );
    // /dev/root is the kernel's name for the device it mounted: / is on vda's numbers.
    let numbers =
        console.run("cat /sys/block/vda/dev; awk '$5 == \"/\" { print $3 }' /proc/self/mountinfo");
    let lines: Vec<&str> = numbers.lines().map(str::trim).collect();
    assert!(
        lines.len() == 2 && lines[0] == lines[1],
        "{numbers}\n{}",
        console.transcript()
    );
}

fn dhcp(console: &mut Console) {
    let lease = console.run("udhcpc -i eth0 -n -q -t 5 -T 2");
    assert!(
        lease.contains(
            "udhcpc: eth0 bound 10.0.2.15 netmask 255.255.255.0 router 10.0.2.2 dns 10.0.2.3"
        ),
        "{lease}\n{}",
        console.transcript()
    );
    let route = console.run("ip route; cat /etc/resolv.conf");
    assert!(route.contains("default via 10.0.2.2 dev eth0"), "{route}");
    assert!(route.contains("nameserver 10.0.2.3"), "{route}");
}

fn http_fetch(console: &mut Console) {
    let (served, blob) = Served::blob("blob", 1 << 20);
    let want = sha256_of(&blob);
    let server = HttpServer::start(&served.dir);
    let got = console.run(&format!(
        "wget -q -O /tmp/blob http://10.0.2.2:{}/blob && wc -c < /tmp/blob && sha256sum /tmp/blob",
        server.port
    ));
    assert!(got.contains(&format!("{}\n", 1 << 20)), "{got}");
    assert!(got.contains(&format!("{want}  /tmp/blob")), "{got}");
}

/// A connection to the host's `port` reaches `nc -l` in the guest, both ways.
fn hostfwd_exchange(console: &mut Console, port: u16) {
    let cmd = format!("echo 'pong from the guest' | nc -l -p {GUEST_PORT} > /tmp/got");
    console.send_marked(&cmd);
    // Until nc listens, the guest refuses and the host side is closed at once: try again.
    let mut answer = Vec::new();
    for _ in 0..120 {
        std::thread::sleep(Duration::from_millis(250));
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
            continue;
        };
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        if s.write_all(b"ping from the host\n").is_ok() && s.shutdown(Shutdown::Write).is_ok() {
            let _ = s.read_to_end(&mut answer);
        }
        if !answer.is_empty() {
            break;
        }
    }
    console.finish(&cmd);
    assert_eq!(
        String::from_utf8_lossy(&answer),
        "pong from the guest\n",
        "{}",
        console.transcript()
    );
    let got = console.run("cat /tmp/got");
    assert_eq!(got, "ping from the host\n");
}

/// Writes /root/guest.txt and powers off; the emulator must exit 0.
fn write_and_power_off(console: &mut Console) {
    console.run("echo 'written in the guest' > /root/guest.txt");
    console.send("poweroff");
    let code = console.wait_exit();
    assert_eq!(code, Some(0), "{}", console.transcript());
}

fn buildroot_flow(emu: Emulator) {
    let scratch = Scratch::new(&format!("{emu:?}"));
    let port = free_port();
    let mut console = Console::start(emu, command(emu, &scratch.image, Some(port), &[]));
    login(&mut console);
    check_root_mount(&mut console);
    dhcp(&mut console);
    http_fetch(&mut console);
    hostfwd_exchange(&mut console, port);
    write_and_power_off(&mut console);
    assert_eq!(
        debugfs_cat(&scratch.image, "/root/guest.txt"),
        "written in the guest\n"
    );
}

fn snapshot_flow(emu: Emulator) {
    let scratch = Scratch::new(&format!("{emu:?}-snapshot"));
    let before = std::fs::read(&scratch.image).unwrap();
    let mut console = Console::start(emu, command(emu, &scratch.image, None, &["-snapshot"]));
    login(&mut console);
    write_and_power_off(&mut console);
    assert_eq!(debugfs_cat(&scratch.image, "/root/guest.txt"), "");
    assert!(std::fs::read(&scratch.image).unwrap() == before);
}

#[test]
fn qemu_buildroot_flow() {
    buildroot_flow(Emulator::Qemu);
}

#[test]
fn armvirt_buildroot_flow() {
    buildroot_flow(Emulator::Armvirt);
}

#[test]
fn qemu_snapshot_leaves_the_image_alone() {
    snapshot_flow(Emulator::Qemu);
}

#[test]
fn armvirt_snapshot_leaves_the_image_alone() {
    snapshot_flow(Emulator::Armvirt);
}
