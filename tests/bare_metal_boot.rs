//! End to end: the `armvirt` binary boots a bare-metal arm64 Image (with the real header of
//! Documentation/arm64/booting.rst) the way it boots Linux. The guest checks the boot
//! protocol's promises (x0 = DTB with its magic, x1–x3 = 0, EL1, MMU off, DAIF masked),
//! prints over the PL011 and powers off through PSCI SYSTEM_OFF.

mod image_util;
use armvirt_cpu::a64;
use image_util::bare_metal_image;
use std::process::Command;

/// PL011 data register on QEMU's virt.
const UART_DR: u32 = 0x0900_0000;
const PSCI_SYSTEM_OFF: u32 = 0x8400_0008;
const PSCI_SYSTEM_RESET: u32 = 0x8400_0009;
/// The FDT magic 0xd00dfeed is big-endian in memory; a little-endian load sees this.
const FDT_MAGIC_LE: u32 = 0xedfe_0dd0;

/// A bare-metal Image: the 64-byte header, then code that reports on the boot state.
pub fn test_image() -> Vec<u8> {
    bare_metal_image(&a64!(
        ; mov x19, x0
        ; orr x21, x1, x2
        ; orr x21, x21, x3
        ; movz x20, UART_DR >> 16, lsl 16
        ; adr x1, ->hello
        ; bl ->puts
        // x0 = DTB, whose first word is the FDT magic.
        ; ldr w2, [x19]
        ; movz w3, FDT_MAGIC_LE & 0xffff
        ; movk w3, FDT_MAGIC_LE >> 16, lsl 16
        ; cmp w2, w3
        ; b.ne ->fail
        ; adr x1, ->dtb_ok
        ; bl ->puts
        // x1..x3 = 0
        ; cbnz x21, ->fail
        ; adr x1, ->regs_ok
        ; bl ->puts
        // EL1 (CurrentEL = 4), MMU off (SCTLR_EL1.M = 0), DAIF all masked.
        ; mrs x2, 0x4212
        ; cmp x2, 4
        ; b.ne ->fail
        ; mrs x2, 0x4080
        ; tbnz x2, 0, ->fail
        ; mrs x2, 0x5a11
        ; cmp x2, 0x3c0
        ; b.ne ->fail
        ; adr x1, ->state_ok
        ; bl ->puts
        ; movz w0, PSCI_SYSTEM_OFF & 0xffff
        ; movk w0, PSCI_SYSTEM_OFF >> 16, lsl 16
        ; hvc 0
        ; b ->hang
        ; ->fail:
        ; adr x1, ->failed
        ; bl ->puts
        ; movz w0, PSCI_SYSTEM_RESET & 0xffff
        ; movk w0, PSCI_SYSTEM_RESET >> 16, lsl 16
        ; hvc 0
        ; ->hang:
        ; wfi
        ; b ->hang
        // puts(x1): bytes up to NUL to the UART data register.
        ; ->puts:
        ; ldrb w2, [x1], 1
        ; cbz w2, ->puts_done
        ; strb w2, [x20]
        ; b ->puts
        ; ->puts_done:
        ; ret
        ; ->hello:
        ; .bytes b"hello from a bare-metal Image\n\0".iter().copied()
        ; ->dtb_ok:
        ; .bytes b"dtb magic ok\n\0".iter().copied()
        ; ->regs_ok:
        ; .bytes b"x1-x3 zero\n\0".iter().copied()
        ; ->state_ok:
        ; .bytes b"EL1, MMU off, DAIF masked\n\0".iter().copied()
        ; ->failed:
        ; .bytes b"boot state check FAILED\n\0".iter().copied()
    ))
}

#[test]
fn bare_metal_image_boots_prints_and_powers_off() {
    let dir = std::env::temp_dir().join(format!("armvirt-bare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let image = dir.join("Image");
    std::fs::write(&image, test_image()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_armvirt"))
        .arg("--kernel")
        .arg(&image)
        // A failed check resets the machine: -no-reboot makes that end the run.
        .args(["-m", "256M", "-no-reboot"])
        .output()
        .expect("run armvirt");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stdout,
        "hello from a bare-metal Image\ndtb magic ok\nx1-x3 zero\nEL1, MMU off, DAIF masked\n",
        "stderr: {stderr}"
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    std::fs::remove_dir_all(&dir).ok();
}
