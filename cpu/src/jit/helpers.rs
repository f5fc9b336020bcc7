//! What generated code calls: the interpreter's handler for an instruction, and the fill
//! of the fast TLB after a slow path. `extern "C"` with raw pointers, since generated code
//! passes the pointers it holds; a panic is caught here and resumed by the dispatcher,
//! as unwinding cannot cross generated frames.

use crate::cpu::Cpu;
use crate::decode::ExecFn;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;
use crate::mmu::perm;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `exec` (the current instruction's interpreter handler, with `cpu.s.pc` and
/// `icount` already its own) as the interpreter's loop would: 0 = go on with the next
/// instruction, 1 = leave the block at the PC (a branch taken, an exception taken),
/// 2 = return `cpu.jit.exit` to the machine.
///
/// # Safety
/// `cpu` and `mem` are the dispatcher's exclusive borrows, passed through the trampoline.
pub unsafe extern "C" fn call_handler(
    cpu: *mut Cpu,
    mem: *mut Mem<'static>,
    exec: usize,
    insn: u32,
) -> u32 {
    // SAFETY: see the function's contract; nothing else touches them while a block runs.
    let (cpu, m) = unsafe { (&mut *cpu, &mut *mem) };
    // SAFETY: generated code passes a `Decoded::exec` it was translated with.
    let exec = unsafe { std::mem::transmute::<usize, ExecFn>(exec) };
    let r = catch_unwind(AssertUnwindSafe(|| match exec(cpu, m, Insn(insn)) {
        Flow::Next => 0,
        Flow::Jump => 1,
        Flow::Exception(e) => {
            if cpu.watch_stop(&e) {
                cpu.jit.exit = Some(crate::exec::Exit::Watchpoint);
                return 2;
            }
            cpu.take_exception(e);
            1
        }
        Flow::Exit(x) => {
            cpu.jit.exit = Some(x);
            2
        }
    }));
    r.unwrap_or_else(|p| {
        cpu.jit.panic = Some(p);
        cpu.jit.exit = Some(crate::exec::Exit::Budget);
        2
    })
}

/// After a slow path that accessed `va` successfully: caches the page in the fast TLB if
/// it may be (plain RAM; for a write, no translated code on it; no watchpoints set).
///
/// # Safety
/// As [`call_handler`].
pub unsafe extern "C" fn fill_fast_tlb(cpu: *mut Cpu, mem: *mut Mem<'static>, va: u64, write: u64) {
    // SAFETY: see the function's contract.
    let (cpu, m) = unsafe { (&mut *cpu, &mut *mem) };
    if !cpu.watchpoints.is_empty() {
        return;
    }
    let write = write != 0;
    let el = cpu.s.el;
    let bit = if write { perm::W1 } else { perm::R1 };
    let need = if el == 0 { bit << perm::EL0_SHIFT } else { bit };
    let Some(pa) = cpu.tlb.lookup(va, need) else {
        return;
    };
    let page = pa & !0xfff;
    let Some(off) = m.ram.offset(page, 0x1000) else {
        return;
    };
    if write && m.code.holds_code_at(page) {
        return;
    }
    if write {
        // Generated code's stores to the page will not mark it.
        m.ram.mark(off, 0x1000);
    }
    let host = m.ram.host_ptr(off) as u64;
    cpu.tlb.fast.fill(el, write, va, host);
}
