//! The debug interface on a whole machine: memory through the vCPU's view (MMU off here),
//! writes that replace already decoded code, breakpoints, watchpoints and steps in the run
//! loop.

use super::*;
use crate::memmap::RAM_BASE;
use crate::test_rig;
use std::path::PathBuf;

const MIB: u64 = 1 << 20;
const MOVZ_X5_1: u32 = 0xd280_0025;
const MOVZ_X5_2: u32 = 0xd280_0045;
const NOP: u32 = 0xd503_201f;
const B_SELF: u32 = 0x1400_0000;
const STR_X5_X6: u32 = 0xf900_00c5;
const LDR_X7_X6: u32 = 0xf940_00c7;

/// A machine booting an Image whose body is `words`; returns it and the body's address.
fn machine(name: &str, words: &[u32]) -> (Machine, u64) {
    let (m, body, dir) = machine_with_files(name, words);
    std::fs::remove_dir_all(&dir).ok();
    (m, body)
}

/// [`machine`], leaving the Image's directory (returned) for the caller to remove.
fn machine_with_files(name: &str, words: &[u32]) -> (Machine, u64, PathBuf) {
    let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    test_rig::machine_with_files(&format!("debug-{name}"), 1, &code)
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
    assert_eq!(m.debug_step(0, false), DebugStep::Done);
    assert_eq!(m.regs(0).pc, body + 8);
    assert!(m.remove_breakpoint(body + 4));
    assert!(!m.remove_breakpoint(body + 4));
}

#[test]
fn watchpoints_stop_before_the_access_and_the_debugger_never_triggers_one() {
    let (mut m, body) = machine("watch", &[MOVZ_X5_1, STR_X5_X6, LDR_X7_X6, B_SELF]);
    let data = body + 0x100;
    m.regs_mut(0).x[6] = data;
    m.add_watchpoint(data + 4, 2, WatchKind::Write);
    // The debugger's own accesses go around the vCPU's memory path.
    assert_eq!(m.write_virt(0, data, &[0xee; 8]), 8);
    assert_eq!(m.read_virt(0, data, &mut [0; 8]), 8);
    let mut input = ConsoleInput::none();
    let DebugRun::Watchpoint { vcpu: 0, hit } = m.debug_run(&mut input, 1) else {
        panic!("no watchpoint stop");
    };
    assert_eq!(
        (hit.pc, hit.va, hit.size, hit.write),
        (body + 4, data, 8, true)
    );
    assert_eq!(hit.watchpoint.addr, data + 4);
    let mut word = [0; 8];
    m.read_virt(0, data, &mut word);
    assert_eq!((m.regs(0).pc, word), (body + 4, [0xee; 8]));
    // The step executes the store it stopped at.
    assert_eq!(m.debug_step(0, false), DebugStep::Done);
    m.read_virt(0, data, &mut word);
    assert_eq!((m.regs(0).pc, u64::from_le_bytes(word)), (body + 8, 1));
    // A step onto a watched load reports it, and the load has not happened.
    m.add_watchpoint(data, 1, WatchKind::Read);
    let DebugStep::Watchpoint(hit) = m.debug_step(0, false) else {
        panic!("the step did not report the watchpoint");
    };
    assert_eq!((hit.pc, hit.write, m.regs(0).x[7]), (body + 8, false, 0));
    assert!(m.remove_watchpoint(data, 1, WatchKind::Read));
    assert!(!m.remove_watchpoint(data, 1, WatchKind::Read));
    // A debugger that goes away leaves no watchpoint behind.
    m.clear_breakpoints();
    m.regs_mut(0).pc = body + 4;
    assert_eq!(m.debug_run(&mut input, 1), DebugRun::Slice);
    assert_eq!(m.regs(0).x[7], 1);
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

/// MRS encodings (op0:op1:CRn:CRm:op2) of the registers the walk test writes.
const SCTLR_EL1: u16 = 0xc080;
const TCR_EL1: u16 = 0xc102;
const TTBR0_EL1: u16 = 0xc100;
const MIDR_EL1: u16 = 0xc000;

#[test]
fn system_register_writes_take_effect_and_walks_are_shown() {
    let (mut m, _) = machine("walk", &[NOP]);
    // 4 KiB granule, T0SZ = 25 (39-bit VA): the walk starts at level 1 (Arm ARM D8.2).
    let (l1, l2, l3, page) = (
        RAM_BASE + 0x10_0000,
        RAM_BASE + 0x10_1000,
        RAM_BASE + 0x10_2000,
        RAM_BASE + 0x30_0000,
    );
    const TABLE: u64 = 0b11;
    const PAGE: u64 = 0b11 | 1 << 10; // valid page with AF
    let va = 0x4000_0000u64 + 0x123;
    m.write_phys(l1 + 8, &(l2 | TABLE).to_le_bytes()); // VA[38:30] = 1
    m.write_phys(l2, &(l3 | TABLE).to_le_bytes());
    m.write_phys(l3, &(page | PAGE).to_le_bytes());
    assert_eq!(m.write_sysreg(0, MIDR_EL1, 0), Err(SysRegWrite::ReadOnly));
    assert_eq!(m.write_sysreg(0, 0xffff, 0), Err(SysRegWrite::Unknown));
    m.write_sysreg(0, TTBR0_EL1, l1).unwrap();
    m.write_sysreg(0, TCR_EL1, 25 | 1 << 23).unwrap(); // EPD1: no TTBR1 walks
    let sctlr = m.read_sysreg(0, SCTLR_EL1).unwrap();
    m.write_sysreg(0, SCTLR_EL1, sctlr | 1).unwrap();
    assert_eq!(m.read_sysreg(0, TTBR0_EL1), Some(l1));
    let (steps, result) = m.translate_walk(0, va);
    let levels: Vec<(u8, u64)> = steps.iter().map(|s| (s.level, s.addr)).collect();
    assert_eq!(levels, [(1, l1 + 8), (2, l2), (3, l3)]);
    assert_eq!(steps[2].desc, page | PAGE);
    let t = result.unwrap();
    assert_eq!((t.pa, t.level, t.size_log2), (page + 0x123, 3, 12));
    // Memory through the new regime: the debugger's read sees the mapped page.
    m.write_phys(page + 0x123, &[0x5a]);
    let mut b = [0u8];
    assert_eq!(m.read_virt(0, va, &mut b), 1);
    assert_eq!(b[0], 0x5a);
    // An unmapped VA: the walk stops at the invalid level 2 entry.
    let (steps, result) = m.translate_walk(0, va + 0x20_0000);
    assert_eq!(steps.len(), 2);
    assert_eq!(result.unwrap_err().level, 2);
}

#[test]
fn a_step_runs_on_the_machine_clock() {
    let (mut m, _) = machine("step-clock", &[NOP]);
    m.now_ns = 5_000;
    assert_eq!(m.debug_step(0, false), DebugStep::Done);
    // The stepped vCPU's counter reads the machine's clock, which moved with the step.
    let cpu = &m.vcpus[0].cpu;
    assert_eq!(cpu.icount.wrapping_add(cpu.clock_offset), 5_001);
    assert_eq!((m.now_ns, m.regs(0).pc), (5_001, RAM_BASE + 4));
}

#[test]
fn a_reset_restarts_the_machine_and_keeps_breakpoints() {
    let (mut m, body, dir) = machine_with_files("reset", &[MOVZ_X5_1, B_SELF]);
    m.add_breakpoint(body + 4);
    let mut input = ConsoleInput::none();
    assert_eq!(m.debug_run(&mut input, 1), DebugRun::Breakpoint { vcpu: 0 });
    m.write_virt(0, body, &NOP.to_le_bytes());
    m.reset().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!((m.regs(0).pc, m.regs(0).x[5]), (RAM_BASE, 0));
    // RAM holds the kernel as loaded again, and the breakpoint is still there.
    let mut word = [0u8; 4];
    m.read_virt(0, body, &mut word);
    assert_eq!(u32::from_le_bytes(word), MOVZ_X5_1);
    assert_eq!(m.debug_run(&mut input, 1), DebugRun::Breakpoint { vcpu: 0 });
}
