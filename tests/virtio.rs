//! End to end through the binary with QEMU's spelling of the virtio devices (`-drive
//! file=F,if=none,format=raw,id=hd0 -device virtio-blk-device,drive=hd0`, ...), on
//! Debian's cloud kernel and the fixture initramfs's virtio scripts (the same guest flows
//! run through the machine API in machine/src/virtio_tests.rs).

mod fixture_cache;
use fixture_cache::fixture;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn armvirt(script: &str, devices: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_armvirt"))
        .arg("-kernel")
        .arg(fixture("debian-cloud/Image"))
        .arg("-initrd")
        .arg(fixture("initramfs/initramfs.cpio.gz"))
        .args([
            "-append",
            &format!("console=ttyAMA0 armvirt.script={script}"),
        ])
        .args(["-m", "512M", "-nographic"])
        .args(devices)
        .stdin(Stdio::null())
        .output()
        .expect("run armvirt");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("armvirt-init: end {script} status=0")),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn ext4_image(dir: &Path) -> PathBuf {
    let content = dir.join("content");
    std::fs::create_dir_all(&content).unwrap();
    std::fs::write(content.join("hello.txt"), "hello from the host\n").unwrap();
    let img = dir.join("disk.img");
    let ok = Command::new("mkfs.ext4")
        .args(["-q", "-F", "-b", "1024", "-d"])
        .arg(&content)
        .arg(&img)
        .arg("8M")
        .status()
        .expect("mkfs.ext4 (e2fsprogs)")
        .success();
    assert!(ok);
    img
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("armvirt-tv-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn debugfs_cat(img: &Path, path: &str) -> String {
    let out = Command::new("debugfs")
        .args(["-R", &format!("cat {path}")])
        .arg(img)
        .output()
        .expect("debugfs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn drive(img: &Path, extra: &str) -> Vec<String> {
    vec![
        "-drive".into(),
        format!("file={},if=none,format=raw,id=hd0{extra}", img.display()),
        "-device".into(),
        "virtio-blk-device,drive=hd0".into(),
    ]
}

#[test]
fn virtio_blk_disk_is_mounted_read_and_written() {
    let dir = scratch("blk");
    let img = ext4_image(&dir);
    let args = drive(&img, "");
    let out = armvirt(
        "virtio-blk",
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("virtio-blk: hello=hello from the host"),
        "{text}"
    );
    assert_eq!(debugfs_cat(&img, "/guest.txt"), "written by the guest\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn virtio_blk_snapshot_leaves_the_image_alone() {
    let dir = scratch("snap");
    let img = ext4_image(&dir);
    let before = std::fs::read(&img).unwrap();
    let args = drive(&img, ",snapshot=on");
    let out = armvirt(
        "virtio-blk",
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("virtio-blk: wrote guest.txt"));
    assert!(std::fs::read(&img).unwrap() == before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn virtio_rng_feeds_dev_hwrng() {
    let out = armvirt("virtio-rng", &["-device", "virtio-rng-device"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("virtio-rng: read 64 bytes"), "{text}");
}

#[test]
fn virtconsole_output_reaches_stdio() {
    let out = armvirt(
        "virtio-console",
        // The serial port and the console share stdio, as QEMU requires (-nographic's
        // monitor would be a third user of it: none here).
        &[
            "-monitor",
            "none",
            "-chardev",
            "stdio,id=con0,mux=on",
            "-serial",
            "chardev:con0",
            "-device",
            "virtio-serial-device",
            "-device",
            "virtconsole,chardev=con0",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("hvc0 says hi"));
}

#[test]
fn a_missing_image_is_one_line_and_status_1() {
    let out = Command::new(env!("CARGO_BIN_EXE_armvirt"))
        .arg("-kernel")
        .arg(fixture("debian-cloud/Image"))
        .args(["-drive", "file=/no/such.img,if=none,format=raw,id=hd0"])
        .args(["-device", "virtio-blk-device,drive=hd0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot read disk image '/no/such.img'"),
        "{err}"
    );
}
