//! Debugger watchpoints: which accesses hit (overlap of byte ranges, the three kinds), what
//! a hit reports, and that the stop comes before the instruction takes effect, with the PC
//! on it (what gdb's aarch64 support expects: see `watch.rs`), so running on executes it.

use crate::testing::{TestCpu, RAM_BASE};
use crate::watch::{WatchHit, WatchKind, Watchpoint};
use crate::{a64, cpu_test, Exit};

const DATA: u64 = RAM_BASE + 0x1000;
const VBAR: u64 = RAM_BASE + 0x8000;
/// SCTLR_EL1.A: alignment checking (Arm ARM D17.2.118).
const SCTLR_A: u64 = 1 << 1;
/// ESR_EL1.EC of a data abort from the current EL (D17.2.37).
const EC_DABT_CUR: u64 = 0x25;
const DFSC_ALIGNMENT: u64 = 0x21;
/// CPACR_EL1.FPEN = 0b11: SIMD&FP enabled at EL1 and EL0 (D17.2.30).
const FPEN_ALL: u64 = 3 << 20;

/// Runs the loaded program; the watchpoint hit it stops at, if any.
fn run_to_watch(t: &mut TestCpu) -> Option<WatchHit> {
    match t.run_limit(1000) {
        Exit::Watchpoint => Some(t.cpu.watchpoints.pending().expect("the hit")),
        Exit::Hvc(0xfffe) => None,
        other => panic!("stopped with {other:?} at {:#x}", t.cpu.s.pc),
    }
}

fn watch(t: &mut TestCpu, addr: u64, len: u64, kind: WatchKind) {
    t.cpu.watchpoints.insert(addr, len, kind);
}

/// A hit of watchpoint `(addr, len, kind)` by the access `[va, va+size)` of the
/// instruction at `pc`.
fn hit(w: (u64, u64, WatchKind), write: bool, va: u64, size: u64, pc: u64) -> WatchHit {
    WatchHit {
        watchpoint: Watchpoint {
            addr: w.0,
            len: w.1,
            kind: w.2,
        },
        write,
        va,
        size,
        pc,
    }
}

/// Exceptions go to VBAR_EL1, where the end marker waits.
fn catch_exceptions(t: &mut TestCpu) {
    t.cpu.sys.vbar_el1 = VBAR;
    t.load_words(VBAR + 0x200, &[]);
}

cpu_test! {
    fn a_byte_store_inside_the_range_stops_before_it(t) {
        t.load(&a64!(; movz x0, 1 ; strb w1, [x9], 1 ; movz x2, 2));
        t.set_x(9, DATA + 3);
        t.set_x(1, 0xab);
        let w = (DATA, 8, WatchKind::Write);
        watch(&mut t, w.0, w.1, w.2);
        let pc = RAM_BASE + 4;
        assert_eq!(run_to_watch(&mut t), Some(hit(w, true, DATA + 3, 1, pc)));
        // Nothing of the store happened: memory, the base write-back, the PC.
        assert_eq!((t.cpu.s.pc, t.x(9), t.read_u64(DATA)), (pc, DATA + 3, 0));
        assert_eq!((t.x(0), t.x(2), t.cpu.icount), (1, 0, 1));
        // Stepping executes it (the vCPU is on the reported instruction): PC past it.
        assert_eq!(t.with_mem(None, |cpu, m| cpu.step(m, false)), None);
        assert_eq!((t.cpu.s.pc, t.x(9)), (pc + 4, DATA + 4));
        assert_eq!(t.read_u64(DATA), 0xab << 24);
        t.run();
        assert_eq!(t.x(2), 2);
    }

    fn running_on_without_removing_it_completes_the_instruction(t) {
        // A loop storing to the watched byte stops once per store, each a step further.
        t.load(&a64!(
            ; movz x0, 3
            ; ->top:
            ; strb w0, [x9]
            ; subs x0, x0, 1
            ; b.ne ->top
        ));
        t.set_x(9, DATA);
        watch(&mut t, DATA, 1, WatchKind::Write);
        for left in [3, 2, 1] {
            let h = run_to_watch(&mut t).expect("a hit per store");
            assert_eq!((h.pc, t.x(0)), (RAM_BASE + 4, left));
            assert_eq!(t.read_u64(DATA), if left == 3 { 0 } else { left + 1 });
        }
        assert_eq!(run_to_watch(&mut t), None);
        assert_eq!(t.read_u64(DATA), 1);
    }

    fn stores_next_to_the_range_do_not_hit(t) {
        t.load(&a64!(
            ; sturb w1, [x9, -1]    // the byte below
            ; strb w1, [x9, 4]      // the byte above
            ; stur x1, [x9, -8]     // the doubleword ending just below
            ; stur x1, [x9, 4]      // the doubleword starting just above
        ));
        t.set_x(9, DATA);
        t.set_x(1, u64::MAX);
        watch(&mut t, DATA, 4, WatchKind::Write);
        assert_eq!(run_to_watch(&mut t), None);
        assert_eq!(t.read_u64(DATA) as u32, 0);
    }

    fn an_unaligned_store_overlapping_by_one_byte_hits(t) {
        // Bytes DATA-7 ..= DATA: only the last is watched.
        t.load(&a64!(; stur x1, [x9, -7]));
        t.set_x(9, DATA);
        t.set_x(1, u64::MAX);
        let w = (DATA, 4, WatchKind::Write);
        watch(&mut t, w.0, w.1, w.2);
        assert_eq!(run_to_watch(&mut t), Some(hit(w, true, DATA - 7, 8, RAM_BASE)));
        assert_eq!(t.read_u64(DATA - 8), 0);
    }

    fn a_store_straddling_a_page_checks_both_pages(t) {
        // An 8-byte store across the page end at DATA+0x1000 hits a watchpoint on the
        // first byte of the next page.
        let page = DATA + 0x1000;
        t.load(&a64!(; str x1, [x9]));
        t.set_x(9, page - 3);
        t.set_x(1, u64::MAX);
        let w = (page + 4, 1, WatchKind::Write);
        watch(&mut t, w.0, w.1, w.2);
        assert_eq!(run_to_watch(&mut t), Some(hit(w, true, page - 3, 8, RAM_BASE)));
        assert_eq!(t.read_u64(page - 8), 0);
        assert!(t.cpu.watchpoints.remove(w.0, w.1, w.2));
        t.cpu.s.pc = RAM_BASE;
        t.cpu.watchpoints.insert(page + 5, 1, WatchKind::Write);
        assert_eq!(run_to_watch(&mut t), None);
    }

    fn a_store_pair_stops_before_either_register_is_stored(t) {
        t.load(&a64!(; stp x1, x2, [x9]));
        t.set_x(9, DATA);
        t.set_x(1, 1);
        t.set_x(2, 2);
        // Only the second register's doubleword is watched; the hit names the whole pair.
        let w = (DATA + 8, 8, WatchKind::Write);
        watch(&mut t, w.0, w.1, w.2);
        assert_eq!(run_to_watch(&mut t), Some(hit(w, true, DATA, 16, RAM_BASE)));
        assert_eq!((t.read_u64(DATA), t.read_u64(DATA + 8)), (0, 0));
        assert_eq!(run_to_watch(&mut t), None);
        assert_eq!((t.read_u64(DATA), t.read_u64(DATA + 8)), (1, 2));
    }

    fn a_load_pair_hits_a_read_watchpoint_and_loads_nothing(t) {
        t.load(&a64!(; ldp x1, x2, [x9], 16));
        t.set_x(9, DATA);
        t.write_u64(DATA, 5);
        t.write_u64(DATA + 8, 6);
        let w = (DATA + 12, 2, WatchKind::Read);
        watch(&mut t, w.0, w.1, w.2);
        // The loads are checked one at a time: the second register's is the one that hits.
        assert_eq!(run_to_watch(&mut t), Some(hit(w, false, DATA + 8, 8, RAM_BASE)));
        assert_eq!((t.x(1), t.x(2), t.x(9)), (0, 0, DATA));
        assert_eq!(run_to_watch(&mut t), None);
        assert_eq!((t.x(1), t.x(2), t.x(9)), (5, 6, DATA + 16));
    }

    fn exclusives_hit_and_keep_their_reservation(t) {
        t.load(&a64!(
            ; ldxr x0, [x9]
            ; add x0, x0, 1
            ; stxr w1, x0, [x9]
        ));
        t.set_x(9, DATA);
        t.set_x(1, 7);
        t.write_u64(DATA, 41);
        let w = (DATA, 8, WatchKind::Access);
        watch(&mut t, w.0, w.1, w.2);
        assert_eq!(run_to_watch(&mut t), Some(hit(w, false, DATA, 8, RAM_BASE)));
        let pc = RAM_BASE + 8;
        assert_eq!(run_to_watch(&mut t), Some(hit(w, true, DATA, 8, pc)));
        assert_eq!((t.read_u64(DATA), t.x(1)), (41, 7));
        // The stop did not use up the reservation: the store exclusive then succeeds.
        assert_eq!(run_to_watch(&mut t), None);
        assert_eq!((t.read_u64(DATA), t.x(1)), (42, 0));
    }

    fn a_failed_store_exclusive_does_not_hit(t) {
        // No LDXR before: the STXR fails and stores nothing (Arm ARM B2.9.5).
        t.load(&a64!(; stxr w1, x0, [x9]));
        t.set_x(9, DATA);
        t.set_x(0, 9);
        watch(&mut t, DATA, 8, WatchKind::Write);
        assert_eq!(run_to_watch(&mut t), None);
        assert_eq!((t.x(1), t.read_u64(DATA)), (1, 0));
    }

    fn dc_zva_is_a_write_of_its_whole_block(t) {
        t.load(&a64!(; dc zva, x9));
        // Any address in the block names it; the block is DC_ZVA_BYTES aligned.
        t.set_x(9, DATA + 0x45);
        t.write_u64(DATA + 0x78, u64::MAX);
        watch(&mut t, DATA + 0x20, 4, WatchKind::Read);
        let w = (DATA + 0x7c, 100, WatchKind::Write);
        watch(&mut t, w.0, w.1, w.2);
        assert_eq!(run_to_watch(&mut t), Some(hit(w, true, DATA + 0x40, 64, RAM_BASE)));
        assert_eq!(t.read_u64(DATA + 0x78), u64::MAX);
        assert_eq!(run_to_watch(&mut t), None);
        assert_eq!(t.read_u64(DATA + 0x78), 0);
    }

    fn the_three_kinds(t) {
        t.load(&a64!(
            ; ldr w0, [x9]          // RAM_BASE
            ; str w0, [x9]          // + 4
            ; ldr w0, [x10]         // + 8
            ; str w0, [x10]         // + 12
        ));
        t.set_x(9, DATA);
        t.set_x(10, DATA + 0x10);
        let read = (DATA, 4, WatchKind::Read);
        let write = (DATA + 0x10, 4, WatchKind::Write);
        watch(&mut t, read.0, read.1, read.2);
        watch(&mut t, write.0, write.1, write.2);
        // A read watchpoint ignores the store, a write watchpoint the load.
        assert_eq!(run_to_watch(&mut t), Some(hit(read, false, DATA, 4, RAM_BASE)));
        assert_eq!(run_to_watch(&mut t), Some(hit(write, true, DATA + 0x10, 4, RAM_BASE + 12)));
        assert_eq!(run_to_watch(&mut t), None);
        // An access watchpoint sees both.
        t.cpu.watchpoints.clear();
        let any = (DATA + 2, 1, WatchKind::Access);
        watch(&mut t, any.0, any.1, any.2);
        t.cpu.s.pc = RAM_BASE;
        assert_eq!(run_to_watch(&mut t), Some(hit(any, false, DATA, 4, RAM_BASE)));
        assert_eq!(run_to_watch(&mut t), Some(hit(any, true, DATA, 4, RAM_BASE + 4)));
        assert_eq!(run_to_watch(&mut t), None);
    }

    fn a_load_that_faults_does_not_report(t) {
        // With SCTLR_EL1.A set the unaligned load takes an alignment fault, which has
        // priority over the watchpoint (AArch64.CheckAlignment comes before translation
        // and its debug check); the exception goes to the guest.
        catch_exceptions(&mut t);
        t.cpu.sys.sctlr_el1 |= SCTLR_A;
        t.load(&a64!(; ldr x0, [x9]));
        t.set_x(9, DATA + 1);
        watch(&mut t, DATA, 16, WatchKind::Access);
        assert_eq!(run_to_watch(&mut t), None);
        assert_eq!(t.cpu.s.pc, VBAR + 0x204); // past the end marker there
        assert_eq!(t.cpu.sys.esr_el1 >> 26, EC_DABT_CUR);
        assert_eq!(t.cpu.sys.esr_el1 & 0x3f, DFSC_ALIGNMENT);
        assert_eq!(t.cpu.watchpoints.pending(), None);
    }

    fn simd_st1_of_several_registers_is_one_access(t) {
        t.load(&a64!(; st1 {v0.b16, v1.b16, v2.b16}, [x9], 48));
        t.cpu.sys.cpacr_el1 = FPEN_ALL;
        t.set_x(9, DATA);
        for r in 0..3 {
            t.cpu.s.v[r] = u128::MAX;
        }
        let w = (DATA + 40, 1, WatchKind::Write);
        watch(&mut t, w.0, w.1, w.2);
        assert_eq!(run_to_watch(&mut t), Some(hit(w, true, DATA, 48, RAM_BASE)));
        assert_eq!((t.read_u64(DATA), t.x(9)), (0, DATA));
        assert_eq!(run_to_watch(&mut t), None);
        assert_eq!((t.read_u64(DATA + 40), t.x(9)), (u64::MAX, DATA + 48));
    }

    fn a_q_register_load_is_one_access(t) {
        t.load(&a64!(; ldr q0, [x9]));
        t.cpu.sys.cpacr_el1 = FPEN_ALL;
        t.set_x(9, DATA);
        let w = (DATA + 15, 1, WatchKind::Read);
        watch(&mut t, w.0, w.1, w.2);
        assert_eq!(run_to_watch(&mut t), Some(hit(w, false, DATA, 16, RAM_BASE)));
    }

    fn unprivileged_accesses_are_checked(t) {
        t.load(&a64!(; sttr x1, [x9] ; ldtr x2, [x9]));
        t.set_x(9, DATA);
        t.set_x(1, 3);
        let w = (DATA, 8, WatchKind::Access);
        watch(&mut t, w.0, w.1, w.2);
        assert_eq!(run_to_watch(&mut t), Some(hit(w, true, DATA, 8, RAM_BASE)));
        assert_eq!(run_to_watch(&mut t), Some(hit(w, false, DATA, 8, RAM_BASE + 4)));
        assert_eq!(run_to_watch(&mut t), None);
        assert_eq!(t.x(2), 3);
    }

    fn a_step_reports_the_hit_and_the_next_step_executes(t) {
        t.load(&a64!(; str x1, [x9]));
        t.set_x(9, DATA);
        t.set_x(1, 5);
        let w = (DATA, 8, WatchKind::Write);
        watch(&mut t, w.0, w.1, w.2);
        let first = t.with_mem(None, |cpu, m| cpu.step(m, false));
        assert_eq!(first, Some(Exit::Watchpoint));
        assert_eq!(t.cpu.watchpoints.pending(), Some(hit(w, true, DATA, 8, RAM_BASE)));
        assert_eq!((t.cpu.s.pc, t.read_u64(DATA)), (RAM_BASE, 0));
        assert_eq!(t.with_mem(None, |cpu, m| cpu.step(m, false)), None);
        assert_eq!((t.cpu.s.pc, t.read_u64(DATA)), (RAM_BASE + 4, 5));
    }

    fn a_moved_pc_drops_the_pending_hit(t) {
        // The debugger sets the PC back after the stop: the instruction is new and
        // stops again.
        t.load(&a64!(; nop ; str x1, [x9]));
        t.set_x(9, DATA);
        watch(&mut t, DATA, 8, WatchKind::Write);
        assert!(run_to_watch(&mut t).is_some());
        t.cpu.s.pc = RAM_BASE;
        assert_eq!(run_to_watch(&mut t).map(|h| h.pc), Some(RAM_BASE + 4));
    }
}
