//! The debug interface on a whole machine: memory through the vCPU's view (MMU off here),
//! writes that replace already decoded code, breakpoints and steps in the run loop.

use super::*;
use crate::config::Config;
use crate::memmap::RAM_BASE;
use std::path::PathBuf;

const MIB: u64 = 1 << 20;
const MOVZ_X5_1: u32 = 0xd280_0025;
const MOVZ_X5_2: u32 = 0xd280_0045;
const NOP: u32 = 0xd503_201f;
const B_SELF: u32 = 0x1400_0000;
/// The Image header's size: its first instruction branches past it.
const HEADER: u64 = 0x40;

/// A machine booting an Image whose body is `words`; returns it and the body's address.
fn machine(name: &str, words: &[u32]) -> (Machine, u64) {
    let dir = std::env::temp_dir().join(format!("armvirt-debug-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut image = vec![0u8; HEADER as usize];
    image[0..4].copy_from_slice(&0x1400_0010u32.to_le_bytes()); // b +0x40
    image[16..24].copy_from_slice(&0x1_0000u64.to_le_bytes());
    image[24..32].copy_from_slice(&0xau64.to_le_bytes());
    image[0x38..0x3c].copy_from_slice(b"ARM\x64");
    image.extend(words.iter().flat_map(|w| w.to_le_bytes()));
    let path: PathBuf = dir.join("Image");
    std::fs::write(&path, &image).unwrap();
    let mut c = Config::new(path);
    c.ram_size = 256 * MIB;
    let m = Machine::new(c).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let body = m.boot().entry + HEADER;
    (m, body)
}

#[test]
fn reads_stop_where_ram_ends() {
    let (mut m, body) = machine("ram-end", &[NOP]);
    let mut word = [0u8; 4];
    assert_eq!(m.read_virt(0, body, &mut word), 4);
    assert_eq!(u32::from_le_bytes(word), NOP);
    let end = RAM_BASE + 256 * MIB;
    let mut buf = [0u8; 16];
    assert_eq!(m.read_virt(0, end - 8, &mut buf), 8);
    // Below RAM is the device area: not read (reads have side effects there).
    assert_eq!(m.read_virt(0, 0x0900_0000, &mut buf), 0);
    assert_eq!(m.read_phys(end - 4, &mut buf[..4]), 4);
    assert_eq!(m.read_phys(end - 4, &mut buf[..8]), 0);
}

#[test]
fn a_write_replaces_decoded_code() {
    let (mut m, body) = machine("rewrite", &[MOVZ_X5_1, B_SELF]);
    let mut input = ConsoleInput::none();
    assert_eq!(m.debug_run(&mut input, 1), DebugRun::Slice);
    assert_eq!((m.regs(0).x[5], m.regs(0).pc), (1, body + 4));
    assert_eq!(m.write_virt(0, body, &MOVZ_X5_2.to_le_bytes()), 4);
    m.regs_mut(0).pc = body;
    assert_eq!(m.debug_run(&mut input, 1), DebugRun::Slice);
    assert_eq!(m.regs(0).x[5], 2);
}

#[test]
fn breakpoints_stop_the_run_and_a_step_moves_off() {
    let (mut m, body) = machine("break", &[MOVZ_X5_1, NOP, B_SELF]);
    let mut input = ConsoleInput::none();
    m.add_breakpoint(body + 4);
    assert_eq!(m.debug_run(&mut input, 1), DebugRun::Breakpoint { vcpu: 0 });
    assert!(m.at_breakpoint(0));
    assert_eq!((m.regs(0).pc, m.regs(0).x[5]), (body + 4, 1));
    assert_eq!(m.debug_step(0, false), None);
    assert_eq!(m.regs(0).pc, body + 8);
    assert!(m.remove_breakpoint(body + 4));
    assert!(!m.remove_breakpoint(body + 4));
}

#[test]
fn pstate_refuses_modes_the_core_lacks() {
    let (mut m, _) = machine("pstate", &[NOP]);
    // Reset: EL1h with DAIF masked.
    assert_eq!(m.pstate(0), 0x3c5);
    // M = 0b01001 is EL2h, which this core does not implement.
    assert!(!m.set_pstate(0, 0x3c9));
    assert_eq!(m.pstate(0), 0x3c5);
    // EL1t: SP_EL0 becomes the current stack pointer.
    m.regs_mut(0).sp_el0 = 0x1234;
    m.regs_mut(0).x[31] = 0x5678;
    assert!(m.set_pstate(0, 0x3c4));
    assert_eq!((m.pstate(0), m.regs(0).x[31]), (0x3c4, 0x1234));
}
