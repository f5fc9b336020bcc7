//! End to end: the `armvirt` binary with QEMU's `-semihosting` runs a bare-metal Image that
//! prints through SYS_WRITE0 and exits through SYS_EXIT; the process's stdout and exit
//! status are the guest's, as under `qemu-system-aarch64 -semihosting` (checked against it
//! when it is installed). The machine-level tests (`machine/src/semihosting_tests.rs`)
//! cover every operation.

mod image_util;
mod process_util;
use armvirt_cpu::a64;
use image_util::bare_metal_image;
use process_util::run_with_timeout;
use std::process::Command;
use std::time::Duration;

const SYS_WRITE0: u32 = 0x04;
const SYS_EXIT: u32 = 0x18;
const ADP_STOPPED_APPLICATION_EXIT: u32 = 0x20026;

fn image() -> Vec<u8> {
    bare_metal_image(&a64!(
        ; movz x0, SYS_WRITE0
        ; adr x1, >text
        ; hlt 0xf000
        ; movz x0, SYS_EXIT
        ; adr x1, >block
        ; hlt 0xf000
        ; b 0
        ; .align 8
        ; block:
        ; .u64 ADP_STOPPED_APPLICATION_EXIT as u64
        ; .u64 42
        ; text:
        ; .u64 0x0a6f6c6c6568   // "hello\n"
    ))
}

fn write_image(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("armvirt-{name}-{}.img", std::process::id()));
    std::fs::write(&path, image()).unwrap();
    path
}

#[test]

fn a_guest_prints_and_exits_with_its_status() {
    let img = write_image("semihosting");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_armvirt"));
    cmd.args([
        "-M",
        "virt",
        "-cpu",
        "cortex-a72",
        "-nographic",
        "-semihosting",
        "-kernel",
    ])
    .arg(&img);
    let (out, err, status) = run_with_timeout(cmd, Duration::from_secs(20));
    assert_eq!(status, Some(42), "stderr: {err}");
    assert!(out.contains("hello\n"), "stdout: {out:?}");

    if Command::new("qemu-system-aarch64")
        .arg("--version")
        .output()
        .is_ok()
    {
        let mut q = Command::new("qemu-system-aarch64");
        q.args([
            "-M",
            "virt",
            "-cpu",
            "cortex-a72",
            "-nographic",
            "-semihosting",
            "-kernel",
        ])
        .arg(&img);
        let (qout, qerr, qstatus) = run_with_timeout(q, Duration::from_secs(20));
        assert_eq!(qstatus, status);
        assert_eq!(qout + &qerr, out + &err);
    }
    std::fs::remove_file(img).ok();
}
