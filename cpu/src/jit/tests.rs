//! The cases that are hard for a translator, as guest programs: each runs on the
//! interpreter, the JIT and the two in lockstep (`cpu_test!`), and asserts what the
//! architecture (and the interpreter, the reference) says.

use crate::exec::Exit;
use crate::testing::RAM_BASE;
use crate::{a64, cpu_test};

const DATA: u64 = RAM_BASE + 0x2000;
const VBAR: u64 = RAM_BASE + 0x8000;
/// ESR_EL1.EC of a data abort taken from EL1 (D17.2.37).
const EC_DABT_CUR: u64 = 0x25;
/// VBAR offsets: current EL with SP_ELx, synchronous and IRQ.
const SYNC_SPX: u64 = 0x200;
const IRQ_SPX: u64 = 0x280;

cpu_test! {
    fn a_chained_loop_that_rewrites_itself_runs_the_new_code_from_the_next_pass(t) {
        const ADD_X2_100: u32 = 0x9101_9042; // add x2, x2, #100
        t.load(&a64!(
            ; movz x2, 0
            ; movz x3, 0
            ; adr x5, ->insn
            ; movz w6, ADD_X2_100 & 0xffff
            ; movk w6, ADD_X2_100 >> 16, lsl 16
            ; b ->insn
            ; ->insn:
            ; add x2, x2, 1
            ; add x3, x3, 1
            ; cmp x3, 3
            ; b.ne ->next
            ; str w6, [x5] // rewrites the loop's first instruction
            ; ->next:
            ; cmp x3, 6
            ; b.ne ->insn
        ));
        t.run();
        // Three passes of the old instruction, three of the new one.
        assert_eq!((t.x(2), t.x(3)), (3 + 300, 6));
    }

    fn a_fault_in_the_middle_of_a_block_leaves_the_state_of_the_instructions_before_it(t) {
        t.cpu.sys.vbar_el1 = VBAR;
        t.load_words(VBAR + SYNC_SPX, &[]);
        t.load(&a64!(
            ; movz x1, 1
            ; add x2, x2, 2
            ; ldr x3, [x9]  // nothing is there: an external abort
            ; movz x4, 4
        ));
        t.set_x(9, 0x1000_0000);
        t.set_x(3, 33);
        t.run();
        assert_eq!((t.x(1), t.x(2), t.x(3), t.x(4)), (1, 2, 33, 0));
        assert_eq!(t.cpu.sys.elr_el1, RAM_BASE + 8);
        assert_eq!(t.cpu.sys.far_el1, 0x1000_0000);
        assert_eq!(t.cpu.sys.esr_el1 >> 26, EC_DABT_CUR);
        // Three instructions and the vector's end marker: the faulting one counts.
        assert_eq!(t.cpu.icount, 4);
    }

    fn accesses_across_a_page_boundary(t) {
        t.load(&a64!(
            ; str x1, [x9]
            ; ldr x2, [x9]
            ; stp x1, x3, [x10]
            ; ldp x4, x5, [x10]
            ; ldurh w6, [x9, 3]
            ; ldursw x7, [x9, 2]
        ));
        t.set_x(9, DATA + 0xffc);
        t.set_x(10, DATA + 0x1ff8);
        t.set_x(1, 0x1122_3344_5566_7788);
        t.set_x(3, 0x99aa_bbcc_ddee_ff00);
        t.run();
        assert_eq!(t.read_u64(DATA + 0xffc), 0x1122_3344_5566_7788);
        assert_eq!(t.x(2), 0x1122_3344_5566_7788);
        assert_eq!((t.x(4), t.x(5)), (0x1122_3344_5566_7788, 0x99aa_bbcc_ddee_ff00));
        // Bytes from 0xffc: 88 77 66 55 | 44 33 22 11.
        assert_eq!(t.x(6), 0x4455);
        assert_eq!(t.x(7), 0x3344_5566);
    }

    fn a_masked_interrupt_waits_through_a_chained_loop_and_is_taken_after_the_unmask(t) {
        t.cpu.sys.vbar_el1 = VBAR;
        t.load_words(VBAR + IRQ_SPX, &[]);
        t.load(&a64!(
            ; movz x0, 0
            ; ->again:
            ; add x0, x0, 1
            ; cmp x0, 1000
            ; b.ne ->again
            ; msr daifclr, 2
            ; movz x1, 1 // the interrupt comes first: the next block boundary
        ));
        t.cpu.lines.set_irq(true);
        t.run();
        assert_eq!((t.x(0), t.x(1)), (1000, 0));
        assert_eq!(t.cpu.sys.elr_el1, RAM_BASE + 20);
    }

    fn a_register_cached_in_the_block_is_written_back_for_a_helper_and_for_a_fault(t) {
        t.cpu.sys.vbar_el1 = VBAR;
        t.load_words(VBAR + SYNC_SPX, &[]);
        t.load(&a64!(
            ; movz x1, 1
            ; add x1, x1, 1     // x1 written in its host register
            ; udiv x3, x1, x4   // a handler call: it must see x1 = 2
            ; add x1, x1, x3    // x1 again after the call, which may change any register
            ; add x1, x1, x1
            ; ldr x5, [x9]      // an external abort with x1 written only in the host
            ; movz x1, 0
        ));
        t.set_x(4, 1);
        t.set_x(9, 0x1000_0000);
        t.run();
        assert_eq!((t.x(1), t.x(3), t.x(5)), (8, 2, 0));
        assert_eq!(t.cpu.sys.elr_el1, RAM_BASE + 20);
        assert_eq!(t.cpu.sys.esr_el1 >> 26, EC_DABT_CUR);
    }

    fn a_load_on_its_slow_path_rejoins_with_the_cached_registers_it_would_hold(t) {
        t.write_u64(DATA, 10);
        t.load(&a64!(
            ; movz x1, 5
            ; movz x6, 0
            ; ->again:
            ; add x1, x1, 1
            ; ldr x2, [x9]      // the first pass misses the fast TLB: the interpreter loads
            ; add x3, x2, x1
            ; add x1, x1, x2
            ; str x1, [x9, 8]   // the first store takes the slow path too
            ; add x6, x6, 1
            ; cmp x6, 2
            ; b.ne ->again
        ));
        t.set_x(9, DATA);
        t.run();
        // Pass 1: x1 = 6 + 10 = 16; pass 2: x1 = 17 + 10 = 27, x3 = 10 + 17.
        assert_eq!((t.x(1), t.x(2), t.x(3)), (27, 10, 27));
        assert_eq!(t.read_u64(DATA + 8), 27);
    }

    fn mrs_of_sp_el0_reads_the_bank_or_with_spsel_0_the_live_sp(t) {
        t.cpu.s.sp_el0 = 0x5000;
        t.load(&a64!(
            ; mrs x2, 0x4208    // SP_EL0 with SPSel = 1: its bank
            ; mrs x7, 0x4684    // TPIDR_EL1
            ; cmp x2, x2
            ; mrs x8, 0x5a10    // NZCV: Z and C
            ; .u32 0xd50040bf   // msr spsel, 0
            ; mov sp, x6
            ; mrs x3, 0x4208    // SP_EL0 is now the live SP
            ; add x4, x3, 1
        ));
        t.set_x(6, 0x7000);
        t.cpu.sys.tpidr_el1 = 0x1234;
        t.run();
        assert_eq!((t.x(2), t.x(3), t.x(4)), (0x5000, 0x7000, 0x7001));
        assert_eq!((t.x(7), t.x(8)), (0x1234, 0x6000_0000));
    }

    fn divides_by_zero_and_of_min_by_minus_one_give_what_the_arm_arm_says(t) {
        t.load(&a64!(
            ; udiv x10, x1, x2   // 100 / 7
            ; sdiv x11, x3, x2   // -100 / 7 rounds toward zero
            ; udiv x12, x1, xzr  // / 0 = 0
            ; sdiv x13, x4, x5   // MIN / -1 = MIN
            ; sdiv w14, w6, w5   // 32-bit MIN / -1
            ; udiv w15, w5, w2   // 0xffff_ffff / 7, the upper half of x5 ignored
            ; sdiv x16, x1, x5   // 100 / -1
        ));
        t.set_x(1, 100);
        t.set_x(2, 7);
        t.set_x(3, -100i64 as u64);
        t.set_x(4, i64::MIN as u64);
        t.set_x(5, u64::MAX);
        t.set_x(6, 0x8000_0000);
        t.run();
        assert_eq!((t.x(10), t.x(11), t.x(12)), (14, -14i64 as u64, 0));
        assert_eq!((t.x(13), t.x(14)), (i64::MIN as u64, 0x8000_0000));
        assert_eq!((t.x(15), t.x(16)), (0xffff_ffff / 7, -100i64 as u64));
    }

    fn a_divide_keeps_the_guest_register_cached_in_the_host_register_x86_div_clobbers(t) {
        // x1–x3 are used most, so x4 gets the fourth cache register: RDX, which `div`
        // overwrites with the remainder.
        t.load(&a64!(
            ; add x1, x1, x1
            ; add x1, x1, x1
            ; add x2, x2, x2
            ; add x2, x2, x2
            ; add x3, x3, x3
            ; add x3, x3, x3
            ; udiv x5, x4, x6
            ; add x7, x4, x4
        ));
        t.set_x(4, 100);
        t.set_x(6, 7);
        t.run();
        assert_eq!((t.x(5), t.x(7)), (14, 200));
    }

    fn a_budget_ends_at_the_same_block_boundary_as_the_interpreter(t) {
        t.load(&a64!(
            ; movz x0, 0
            ; ->again:
            ; add x0, x0, 1
            ; b ->again
        ));
        // Blocks of 3 (movz, add, b), then 2 (add, b): the one under way finishes.
        assert_eq!(t.run_limit(10), Exit::Budget);
        assert_eq!((t.cpu.icount, t.x(0)), (11, 5));
        assert_eq!(t.cpu.s.pc, RAM_BASE + 4);
    }
}
