//! The executor's debugger breakpoints: a stop *before* the instruction at the address,
//! also inside an already decoded block; stepping is what moves past one.

use crate::a64;
use crate::cpu_test;
use crate::testing::RAM_BASE;
use crate::Exit;

cpu_test! {
    fn breakpoint_stops_before_the_instruction(t) {
        t.load(&a64!(; movz x0, 1 ; movz x1, 2 ; movz x2, 3));
        t.cpu.breakpoints.insert(RAM_BASE + 4);
        assert_eq!(t.run_limit(100), Exit::Breakpoint);
        assert_eq!((t.cpu.s.pc, t.x(0), t.x(1), t.cpu.icount), (RAM_BASE + 4, 1, 0, 1));
        // Running again does not move: the debugger steps off a breakpoint.
        assert_eq!(t.run_limit(100), Exit::Breakpoint);
        assert_eq!(t.cpu.icount, 1);
        assert_eq!(t.with_mem(None, |cpu, m| cpu.step(m, false)), None);
        assert_eq!((t.cpu.s.pc, t.x(1)), (RAM_BASE + 8, 2));
        t.run();
        assert_eq!(t.x(2), 3);
    }

    fn breakpoint_inside_a_cached_block(t) {
        t.load(&a64!(; movz x0, 1 ; movz x1, 2 ; movz x2, 3));
        t.run();
        // The block from RAM_BASE is decoded and cached now; a breakpoint in its middle
        // must still stop it.
        t.cpu.s.pc = RAM_BASE;
        t.set_x(2, 0);
        t.cpu.breakpoints.insert(RAM_BASE + 8);
        assert_eq!(t.run_limit(100), Exit::Breakpoint);
        assert_eq!((t.cpu.s.pc, t.x(2)), (RAM_BASE + 8, 0));
        assert!(t.cpu.breakpoints.remove(RAM_BASE + 8));
        assert!(!t.cpu.breakpoints.remove(RAM_BASE + 8));
        t.run();
        assert_eq!(t.x(2), 3);
    }

    fn breakpoint_at_a_branch_target(t) {
        t.load(&a64!(; b ->over ; movz x0, 7 ; ->over: ; movz x1, 9));
        t.cpu.breakpoints.insert(RAM_BASE + 8);
        assert_eq!(t.run_limit(100), Exit::Breakpoint);
        assert_eq!((t.cpu.s.pc, t.x(0), t.x(1)), (RAM_BASE + 8, 0, 0));
    }
}

cpu_test! {
    // A step leaves a pending IRQ pending unless asked to take it (QEMU's SSTEP_NOIRQ
    // default); taken, it is the whole step: the PC stops at the vector (Arm ARM D1.10.2:
    // current EL with SP_ELx, IRQ at VBAR_EL1 + 0x280).
    fn a_step_takes_a_pending_irq_only_when_asked(t) {
        const VBAR: u64 = RAM_BASE + 0x1000;
        t.load(&a64!(; movz x0, 1 ; movz x1, 2));
        t.cpu.sys.vbar_el1 = VBAR;
        t.cpu.s.daif = 0;
        t.cpu.lines.set_irq(true);
        assert_eq!(t.with_mem(None, |cpu, m| cpu.step(m, false)), None);
        assert_eq!((t.cpu.s.pc, t.x(0)), (RAM_BASE + 4, 1));
        assert_eq!(t.with_mem(None, |cpu, m| cpu.step(m, true)), None);
        assert_eq!((t.cpu.s.pc, t.x(1)), (VBAR + 0x280, 0));
        assert_eq!(t.cpu.sys.elr_el1, RAM_BASE + 4);
    }
}
