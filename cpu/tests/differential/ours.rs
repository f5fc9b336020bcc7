//! Our side: each case on `armvirt_cpu::testing::TestCpu` (the interpreter), its words at
//! the same address as in the reference ELF, run to the end marker.
//!
//! Cases run at EL0, as the reference does, with SCTLR_EL1 set as Linux sets it for user
//! space (cache maintenance, CTR_EL0 and DC ZVA allowed at EL0); most also run at EL1
//! (EL1h), where the same instructions must give the same results. At EL0 the end marker
//! (HVC) is itself UNDEFINED, so there the end is recognised by its address.

use super::case::{Case, State};
use super::layout::*;
use armvirt_cpu::exec::Exit;
use armvirt_cpu::testing::{Executor, TestCpu, END_MARKER};
use armvirt_cpu::Cpu;

/// HVC #0xfffd at every vector: a case that takes an exception on our side exits here.
const TRAP_MARKER: u16 = 0xfffd;
const END_IMM: u16 = (END_MARKER >> 5) as u16;
const VECTOR_ENTRIES: u64 = 16;
const VECTOR_STRIDE: u64 = 0x80;
/// ESR_ELx.EC for an UNDEFINED instruction ("Unknown reason").
const EC_UNKNOWN: u64 = 0;
const NZCV_MASK: u32 = 0xf000_0000;
/// Instructions a case may run beyond its length (none of ours loops).
const SLACK: u64 = 64;
/// SCTLR_EL1.{UCI, UCT, DZE}: EL0 may clean/invalidate by VA, read CTR_EL0, use DC ZVA
/// (Linux sets all three for user space; so does qemu-aarch64).
const SCTLR_UCI: u64 = 1 << 26;
const SCTLR_UCT: u64 = 1 << 15;
const SCTLR_DZE: u64 = 1 << 14;

/// The exception level a case runs at on our side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum El {
    El0,
    El1,
}

pub struct Ours {
    t: TestCpu,
}

impl Ours {
    pub fn new() -> Ours {
        let mut t = TestCpu::new(Executor::Interpreter);
        let hvc = 0xd400_0002 | (TRAP_MARKER as u32) << 5;
        for e in 0..VECTOR_ENTRIES {
            t.write_bytes(VECTORS + e * VECTOR_STRIDE, &hvc.to_le_bytes());
        }
        Ours { t }
    }

    /// Runs `case` with its first word at `addr`; Err describes how it failed to finish.
    pub fn run(&mut self, case: &Case, addr: u64, el: El, on: Executor) -> Result<State, String> {
        let t = &mut self.t;
        t.cpu = Cpu::new(0, 0);
        if on != Executor::Interpreter {
            t.cpu.engine = armvirt_cpu::Engine::Jit;
        }
        t.cpu.sys.vbar_el1 = VECTORS;
        t.cpu.sys.sctlr_el1 |= SCTLR_UCI | SCTLR_UCT | SCTLR_DZE;
        if el == El::El0 {
            t.cpu.s.set_el_spsel(0, 0);
        }
        t.load_words(addr, &case.words);
        t.cpu.s.x[..31].copy_from_slice(&case.x);
        t.cpu.s.x[31] = case.sp;
        t.cpu.s.nzcv = case.nzcv;
        t.cpu.s.pc = addr;
        if let Some(m) = &case.mem {
            t.write_bytes(BUF_ADDR, m);
        }
        let end = addr + 4 * case.words.len() as u64;
        let exit = t.run_limit(case.words.len() as u64 + SLACK);
        let s = &t.cpu.sys;
        let trapped = exit == Exit::Hvc(TRAP_MARKER);
        let ec = s.esr_el1 >> 26;
        let (nzcv, sp, undefined) = match exit {
            Exit::Hvc(END_IMM) if el == El::El1 && t.cpu.s.pc == end + 4 => {
                (t.cpu.s.nzcv, t.cpu.s.x[31], false)
            }
            // The flags as they were are in SPSR_EL1, SP_EL0 in its bank.
            _ if trapped && ec == EC_UNKNOWN => {
                let at_end = el == El::El0 && s.elr_el1 == end;
                let sp = if el == El::El0 {
                    t.cpu.s.sp_el(0)
                } else {
                    t.cpu.s.x[31]
                };
                (s.spsr_el1 as u32 & NZCV_MASK, sp, !at_end)
            }
            _ if trapped => {
                return Err(format!(
                    "took an exception: ESR_EL1 {:#x} (EC {:#x}) at ELR {:#x}, FAR {:#x}",
                    s.esr_el1, ec, s.elr_el1, s.far_el1
                ));
            }
            other => {
                return Err(format!("ended with {other:?} at pc {:#x}", t.cpu.s.pc));
            }
        };
        let mut x = [0u64; 31];
        x.copy_from_slice(&t.cpu.s.x[..31]);
        Ok(State {
            x,
            sp,
            nzcv,
            undefined,
            mem: case.mem.as_ref().map(|_| t.read_bytes(BUF_ADDR, BUF_SIZE)),
        })
    }
}
