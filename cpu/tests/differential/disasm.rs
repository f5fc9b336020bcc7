//! Disassembly for reports, from qemu-aarch64's own translation log (`-d in_asm`, which
//! prints each translated instruction with Capstone): a tiny program faults on a load just
//! before the word, so the word is translated but never executed, and a SIGSEGV handler
//! exits quietly (no core dump).

use super::elf;
use super::enc::*;
use super::layout::IMAGE_BASE;
use super::reference::{qemu, write_elf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

const SIGSEGV: u16 = 11;
const SYS_RT_SIGACTION: u16 = 134;
const SYS_EXIT: u16 = 93;
const ACT: u64 = IMAGE_BASE + 0x100;
const CODE: u64 = IMAGE_BASE + 0x200;
const MEMSZ: u64 = 0x1_0000;

/// `word` in assembly syntax, or None when qemu-aarch64 cannot say.
pub fn disassemble(word: u32) -> Option<String> {
    static SERIAL: AtomicUsize = AtomicUsize::new(0);
    let mut w = vec![movz(0, SIGSEGV)];
    w.push(adrp(1, CODE + 4, ACT));
    w.push(add_imm(1, 1, (ACT & 0xfff) as u32));
    w.extend([movz(2, 0), movz(3, 8), movz(8, SYS_RT_SIGACTION), SVC0]);
    w.push(movz(1, 0));
    w.push(ldr(0, 1, 0)); // faults: LDR X0, [X1 = 0]
    w.push(word);
    let handler = CODE + 4 * w.len() as u64;
    w.extend([movz(0, 0), movz(8, SYS_EXIT), SVC0]);

    let mut image = vec![0u8; (CODE - IMAGE_BASE) as usize];
    let act = (ACT - IMAGE_BASE) as usize;
    image[act..act + 8].copy_from_slice(&handler.to_le_bytes());
    image.extend(w.iter().flat_map(|w| w.to_le_bytes()));
    // qemu-aarch64 declines (silently) a segment with no room after the file's end.
    elf::finish(&mut image, IMAGE_BASE, CODE, MEMSZ);

    let exe = write_elf(
        &format!("dis-{}", SERIAL.fetch_add(1, Ordering::Relaxed)),
        &image,
    );
    let log = exe.with_extension("log");
    let ran = Command::new(qemu())
        .arg("-d")
        .arg("in_asm")
        .arg("-D")
        .arg(&log)
        .arg(&exe)
        .output();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = (std::fs::remove_file(&exe), std::fs::remove_file(&log));
    ran.ok()?;
    let key = format!(":  {word:08x}  ");
    let line = text.lines().find(|l| l.contains(&key))?;
    let asm = line.split_once(&key)?.1;
    Some(asm.split_whitespace().collect::<Vec<_>>().join(" "))
}
