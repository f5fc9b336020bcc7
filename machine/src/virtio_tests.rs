//! The virtio devices under a real driver: Debian's cloud kernel (fixtures/debian-kernel.sh)
//! and the fixture initramfs's virtio scripts (fixtures/initramfs/scripts/virtio-*), booted
//! through the machine API with `Config.options.virtio` set as the QEMU command line will
//! set it. Disk images are made with mkfs.ext4 -d and read back with debugfs (e2fsprogs).

use super::*;
use crate::console::ConsoleInput;
use crate::memmap::RAM_BASE;
use crate::options::{Drive, VirtioDevice as Opt};
use crate::run::RunEnd;
use crate::Machine;
use armvirt_devices::pl011::Pl011;
use armvirt_devices::virtio::console::Console;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::test_rig::{fixture, Buf};

/// A scratch directory removed at drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let d = std::env::temp_dir().join(format!("armvirt-virtio-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An 8 MiB ext4 image holding hello.txt.
fn ext4_image(dir: &Path) -> PathBuf {
    let content = dir.join("content");
    std::fs::create_dir_all(&content).unwrap();
    std::fs::write(content.join("hello.txt"), "hello from the host\n").unwrap();
    let img = dir.join("disk.img");
    let out = Command::new("mkfs.ext4")
        .args(["-q", "-F", "-b", "1024", "-d"])
        .arg(&content)
        .arg(&img)
        .arg("8M")
        .output()
        .expect("mkfs.ext4 (e2fsprogs; fixtures/install.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    img
}

/// `debugfs -R 'cat PATH'` of the image: the file's bytes, or None when it is not there.
fn debugfs_cat(img: &Path, path: &str) -> Option<String> {
    let out = Command::new("debugfs")
        .args(["-R", &format!("cat {path}")])
        .arg(img)
        .output()
        .expect("debugfs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr);
    (!err.contains("File not found")).then_some(text)
}

/// Boots the fixture kernel with `devices`, running /scripts/`script`; returns the serial
/// console's text. `setup` may touch the machine before it runs.
fn boot(script: &str, devices: Vec<Opt>, setup: impl FnOnce(&mut Machine)) -> String {
    let mut c = Config::new(fixture("debian-cloud/Image"));
    // A fixed wall clock, so that two runs can be compared byte for byte.
    c.rtc_base = crate::rtc::RtcBase::DateTime(1_700_000_000);
    c.initrd = Some(fixture("initramfs/initramfs.cpio.gz"));
    c.cmdline = Some(format!("console=ttyAMA0 armvirt.script={script}"));
    c.ram_size = 512 << 20;
    c.options.virtio = devices;
    let mut m = Machine::new(c).unwrap();
    let out = Buf::default();
    *m.uart.lock() = Pl011::new(Box::new(out.clone()), m.gic.spi_line(spi::UART0));
    setup(&mut m);
    let end = m.run_with(ConsoleInput::none());
    let text = out.text();
    assert_eq!(end, Ok(RunEnd::PowerOff), "{text}");
    assert!(
        text.contains(&format!("armvirt-init: end {script} status=0")),
        "{text}"
    );
    text
}

fn drive(file: PathBuf, readonly: bool, snapshot: bool) -> Opt {
    Opt::Blk(Drive {
        id: Some("hd0".into()),
        file,
        readonly,
        snapshot,
    })
}

#[test]
fn two_runs_print_the_same_and_write_the_same_image() {
    // Requests complete at round boundaries, not on a host thread's schedule: the guest's
    // console (kernel timestamps included) and the bytes it leaves on the disk repeat.
    let dir = Scratch::new("det");
    let img = ext4_image(&dir.0);
    let copy = dir.0.join("copy.img");
    std::fs::copy(&img, &copy).unwrap();
    let a = boot("virtio-blk", vec![drive(img.clone(), false, false)], |_| {});
    let b = boot(
        "virtio-blk",
        vec![drive(copy.clone(), false, false)],
        |_| {},
    );
    assert_eq!(a, b);
    assert!(std::fs::read(&img).unwrap() == std::fs::read(&copy).unwrap());
}

#[test]
fn snapshot_keeps_the_image_unchanged() {
    let dir = Scratch::new("snap");
    let img = ext4_image(&dir.0);
    let before = std::fs::read(&img).unwrap();
    let text = boot("virtio-blk", vec![drive(img.clone(), false, true)], |_| {});
    assert!(text.contains("virtio-blk: wrote guest.txt"), "{text}");
    assert!(std::fs::read(&img).unwrap() == before, "the image changed");
    assert_eq!(debugfs_cat(&img, "/guest.txt"), None);
}

#[test]
fn hvc0_output_reaches_the_console_backend() {
    let hvc = Buf::default();
    let sink = hvc.clone();
    let text = boot(
        "virtio-console",
        vec![Opt::Console(crate::options::CharBackend::Null)],
        move |m| {
            let t = m.virtio.transport(0).unwrap();
            t.lock()
                .replace_device(Box::new(Console::new(Box::new(sink))));
        },
    );
    assert!(text.contains("virtio-console: wrote hvc0"), "{text}");
    // The guest's tty turns "\n" into "\r\n" (onlcr), as under QEMU.
    assert_eq!(hvc.text(), "hvc0 says hi\r\n");
    assert!(!text.contains("hvc0 says hi"), "{text}");
}

#[test]
fn devices_take_slots_from_the_top_in_command_line_order() {
    let dir = Scratch::new("slots");
    let img = ext4_image(&dir.0);
    let c = {
        let mut c = Config::new(fixture("debian-cloud/Image"));
        c.options.virtio = vec![drive(img, false, false), Opt::Rng];
        c
    };
    let mut m = Machine::new(c).unwrap();
    let id = |m: &mut Machine, slot: u32| {
        let base = memmap::virtio_mmio(slot).base;
        m.bus.device_at(base).unwrap().read(8, 4).unwrap()
    };
    assert_eq!(id(&mut m, 31), 2); // the first -device: block, at 0x0a003e00
    assert_eq!(id(&mut m, 30), 4); // then the rng
    assert_eq!(id(&mut m, 29), 0);
    assert_eq!(id(&mut m, 0), 0);
    assert_eq!(m.virtio.len(), 2);
}

#[test]
fn a_missing_disk_image_fails_the_build_naming_it() {
    let mut c = Config::new(fixture("debian-cloud/Image"));
    c.options.virtio = vec![drive("/no/such/disk.img".into(), false, false)];
    let e = Machine::new(c).err().unwrap().to_string();
    assert_eq!(
        e,
        "cannot read disk image '/no/such/disk.img': No such file or directory"
    );
}

#[test]
fn a_snapshot_overlay_survives_a_machine_reset() {
    use armvirt_devices::virtio::blk::BlockBackend;
    let dir = Scratch::new("reset");
    let img = ext4_image(&dir.0);
    let before = std::fs::read(&img).unwrap();
    let mut c = Config::new(fixture("debian-cloud/Image"));
    c.options.virtio = vec![Opt::Rng, drive(img.clone(), false, true)];
    let mut m = Machine::new(c).unwrap();
    let mut disk = m.virtio.snapshots[0].1.clone();
    disk.write_at(4096, &[0x5a; 512]).unwrap();
    m.reset().unwrap();
    let mut after = m.virtio.snapshots[0].1.clone();
    let mut buf = [0u8; 512];
    after.read_at(4096, &mut buf).unwrap();
    assert_eq!(buf, [0x5a; 512]);
    assert!(std::fs::read(&img).unwrap() == before);
}

/// The guest script's own lines ("virtio-blk: ...") from a console log.
fn script_lines(text: &str, prefix: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .map(|l| l.trim_end().to_owned())
        .collect()
}

/// qemu-system-aarch64 -M virt running `script` with `devices` on its command line.
fn qemu(script: &str, devices: &[String]) -> String {
    let out = Command::new("qemu-system-aarch64")
        .args([
            "-M",
            "virt",
            "-cpu",
            "cortex-a72",
            "-m",
            "512M",
            "-nographic",
        ])
        .args(["-serial", "stdio", "-monitor", "none", "-no-reboot"])
        .arg("-kernel")
        .arg(fixture("debian-cloud/Image"))
        .arg("-initrd")
        .arg(fixture("initramfs/initramfs.cpio.gz"))
        .args([
            "-append",
            &format!("console=ttyAMA0 armvirt.script={script}"),
        ])
        .args(devices)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("qemu-system-aarch64 (fixtures/install.sh installs it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_guest_sees_the_disk_as_under_qemu() {
    for (readonly, opt) in [(false, ""), (true, ",readonly=on")] {
        let dir = Scratch::new(if readonly { "qro" } else { "qrw" });
        let img = ext4_image(&dir.0);
        let copy = dir.0.join("qemu.img");
        std::fs::copy(&img, &copy).unwrap();
        let ours = boot(
            "virtio-blk",
            vec![drive(img.clone(), readonly, false)],
            |_| {},
        );
        let theirs = qemu(
            "virtio-blk",
            &[
                "-drive".into(),
                format!("file={},if=none,format=raw,id=hd0{opt}", copy.display()),
                "-device".into(),
                "virtio-blk-device,drive=hd0".into(),
            ],
        );
        let ro = if readonly { 1 } else { 0 };
        assert!(
            ours.contains(&format!("virtio-blk: vda 16384 sectors ro={ro}")),
            "{ours}"
        );
        assert!(
            ours.contains("virtio-blk: hello=hello from the host"),
            "{ours}"
        );
        if readonly {
            assert!(ours.contains("virtio-blk: write refused"), "{ours}");
            assert_eq!(debugfs_cat(&img, "/guest.txt"), None);
        } else {
            assert!(ours.contains("virtio-blk: wrote guest.txt"), "{ours}");
            assert_eq!(
                debugfs_cat(&img, "/guest.txt").as_deref(),
                Some("written by the guest\n")
            );
        }
        // QEMU's run of the same script on a copy of the image prints the same lines and
        // leaves the same file.
        let want = script_lines(&theirs, "virtio-blk: ");
        assert!(want.len() >= 4, "QEMU's run: {theirs}");
        assert_eq!(script_lines(&ours, "virtio-blk: "), want);
        assert_eq!(
            debugfs_cat(&img, "/guest.txt"),
            debugfs_cat(&copy, "/guest.txt")
        );
    }
}

#[test]
fn the_guest_reads_the_rng_as_under_qemu_and_the_same_bytes_every_run() {
    let ours = boot("virtio-rng", vec![Opt::Rng], |_| {});
    assert!(ours.contains("virtio-rng: current=virtio_rng.0"), "{ours}");
    assert!(ours.contains("virtio-rng: read 64 bytes"), "{ours}");
    // Seeded from the machine's seed: the same bytes every run.
    let bytes = |t: &str| {
        t.lines()
            .find_map(|l| l.strip_prefix("virtio-rng: bytes ").map(str::to_owned))
            .unwrap()
    };
    let again = boot("virtio-rng", vec![Opt::Rng], |_| {});
    assert_eq!(bytes(&ours), bytes(&again));
    assert_eq!(bytes(&ours).trim_end().len(), 32, "{ours}");
    // QEMU's bytes come from the host; the device the guest picks and the count match.
    let theirs = qemu(
        "virtio-rng",
        &["-device".into(), "virtio-rng-device".into()],
    );
    let lines = |t: &str| {
        let mut l = script_lines(t, "virtio-rng: ");
        l.retain(|l| !l.starts_with("virtio-rng: bytes"));
        l
    };
    assert_eq!(lines(&ours), lines(&theirs), "QEMU's run: {theirs}");
    assert_eq!(lines(&ours).len(), 2);
}

#[test]
fn device_writes_drop_decoded_code_they_overwrite() {
    use armvirt_cpu::Bus;
    // A machine with an rng in slot 31, driven from here through the bus: one queue of
    // 8 at RAM + 1 MiB, a 64-byte buffer at RAM + 2 MiB holding decoded code.
    let mut c = Config::new(fixture("debian-cloud/Image"));
    c.options.virtio = vec![Opt::Rng];
    let mut m = Machine::new(c).unwrap();
    let base = memmap::virtio_mmio(31).base;
    let (desc, avail, used) = (
        RAM_BASE + 0x10_0000,
        RAM_BASE + 0x10_1000,
        RAM_BASE + 0x10_2000,
    );
    let buf = RAM_BASE + 0x20_0000;
    let w = |m: &mut Machine, off: u64, v: u64| m.bus.write(base + off, 4, v).unwrap();
    w(&mut m, 0x70, 1 | 2);
    w(&mut m, 0x24, 1);
    w(&mut m, 0x20, 1); // VERSION_1
    w(&mut m, 0x70, 1 | 2 | 8);
    w(&mut m, 0x38, 8);
    for (off, addr) in [(0x80, desc), (0x90, avail), (0xa0, used)] {
        w(&mut m, off, addr & 0xffff_ffff);
        w(&mut m, off + 4, addr >> 32);
    }
    w(&mut m, 0x44, 1);
    w(&mut m, 0x70, 1 | 2 | 8 | 4);
    let mut d = [0u8; 16];
    d[..8].copy_from_slice(&buf.to_le_bytes());
    d[8..12].copy_from_slice(&64u32.to_le_bytes());
    d[12..14].copy_from_slice(&2u16.to_le_bytes()); // device-writable
    m.ram.write(desc, &d).unwrap();
    m.ram.write(avail, &[0, 0, 1, 0, 0, 0]).unwrap(); // idx 1, ring[0] = 0
    let nop = armvirt_cpu::decode::decode(0xd503_201f);
    let region = m.ram.region();
    m.code.insert(&region, buf, std::rc::Rc::from([nop]));
    m.code
        .insert(&region, buf + 0x1000, std::rc::Rc::from([nop]));
    w(&mut m, 0x50, 0); // QueueNotify
    assert!(
        m.code.get(buf).is_some(),
        "nothing happens before the round boundary"
    );
    let code = &mut m.code;
    m.virtio
        .service(&mut |addr, len| code.note_write(addr, len));
    assert_eq!(m.ram.slice(used + 2, 2).unwrap(), [1, 0]);
    assert!(
        m.code.get(buf).is_none(),
        "the device's write left stale code"
    );
    assert!(
        m.code.get(buf + 0x1000).is_some(),
        "a page it did not write lost its code"
    );
}
