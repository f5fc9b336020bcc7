//! Time travel's executor controls: a stop at an exact instruction count (also in the
//! middle of a cached or translated block and before a fetch that faults), and hits noted
//! without stopping, on both engines.

use crate::a64;
use crate::cpu_test;
use crate::replay::{Hit, HitKind};
use crate::testing::RAM_BASE;
use crate::{Exit, WatchKind};

cpu_test! {
    fn a_stop_at_a_count_stops_before_that_instruction(t) {
        t.load(&a64!(; movz x0, 1 ; movz x1, 2 ; movz x2, 3 ; movz x3, 4));
        t.run_limit(100);
        // Again from the start, now that the block is cached (and translated).
        t.cpu.s.pc = RAM_BASE;
        t.set_x(2, 0);
        let start = t.cpu.icount;
        t.cpu.replay.stop_at = Some(start + 2);
        assert_eq!(t.run_limit(100), Exit::Breakpoint);
        assert_eq!((t.cpu.s.pc, t.x(2), t.cpu.icount), (RAM_BASE + 8, 0, start + 2));
        // It holds until cleared.
        assert_eq!(t.run_limit(100), Exit::Breakpoint);
        t.cpu.replay.stop_at = None;
        t.run();
        assert_eq!(t.x(2), 3);
    }

    fn a_stop_in_a_loop_counts_iterations_not_addresses(t) {
        // x0 counts down from 10; stop when 7 instructions have run: in the third pass.
        t.load(&a64!(; movz x0, 10 ; ->top: ; sub x0, x0, 1 ; add x1, x1, 1 ; cbnz x0, ->top));
        t.cpu.replay.stop_at = Some(7);
        assert_eq!(t.run_limit(1000), Exit::Breakpoint);
        assert_eq!((t.cpu.icount, t.x(0), t.x(1), t.cpu.s.pc), (7, 8, 2, RAM_BASE + 4));
    }

    fn a_stop_comes_before_a_faulting_fetch(t) {
        // A branch to an unaligned target: the next "instruction" is a PC alignment fault,
        // which counts; the stop at that count must leave the PC at the target.
        t.load(&a64!(; movz x0, 0x4000, lsl 16 ; add x0, x0, 2 ; br x0));
        t.cpu.replay.stop_at = Some(3);
        assert_eq!(t.run_limit(100), Exit::Breakpoint);
        assert_eq!((t.cpu.icount, t.cpu.s.pc), (3, RAM_BASE + 2));
    }

    fn searching_notes_breakpoints_and_runs_on(t) {
        t.load(&a64!(; movz x0, 3 ; ->top: ; sub x0, x0, 1 ; cbnz x0, ->top ; movz x5, 5));
        t.cpu.breakpoints.insert(RAM_BASE + 4);
        t.cpu.replay.note_hits = true;
        t.cpu.replay.stop_at = Some(8);
        assert_eq!(t.run_limit(1000), Exit::Breakpoint);
        assert_eq!(t.cpu.s.pc, RAM_BASE + 16);
        let pcs: Vec<u64> = t.cpu.replay.hits.iter().map(|h| h.icount).collect();
        assert_eq!(pcs, [1, 3, 5]);
        assert_eq!(t.x(5), 5);
    }

    fn searching_notes_watchpoint_hits_and_lets_the_access_happen(t) {
        const DATA: u64 = RAM_BASE + 0x2000;
        t.load(&a64!(; movz x1, 0x4000, lsl 16 ; add x1, x1, 0x2, lsl 12
            ; movz x0, 7 ; str x0, [x1] ; ldr x2, [x1] ; str x2, [x1, 8] ; movz x9, 1));
        t.cpu.watchpoints.insert(DATA, 8, WatchKind::Write);
        t.cpu.replay.note_hits = true;
        t.cpu.replay.stop_at = Some(7);
        assert_eq!(t.run_limit(100), Exit::Breakpoint);
        assert_eq!(t.read_u64(DATA), 7);
        assert_eq!(t.x(9), 1);
        let hits: Vec<Hit> = t.cpu.replay.hits.clone();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].icount, 3);
        let HitKind::Watch(w) = hits[0].kind else { panic!("{hits:?}") };
        assert_eq!((w.pc, w.va, w.write), (RAM_BASE + 12, DATA, true));
    }

    fn a_saved_vcpu_restores_to_the_same_run(t) {
        t.load(&a64!(; movz x0, 5 ; ->top: ; add x1, x1, x0 ; sub x0, x0, 1 ; cbnz x0, ->top ; movz x7, 7));
        t.run_limit(4);
        let snap = t.cpu.save();
        t.run();
        let end = t.cpu.save();
        t.cpu.restore(&snap);
        assert_eq!(t.cpu.save(), snap);
        t.run();
        assert_eq!(t.cpu.save(), end);
        assert_eq!(t.x(1), 15);
    }
}
