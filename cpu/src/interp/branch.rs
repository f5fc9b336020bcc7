//! Branches (Arm ARM C4.1.87): unconditional immediate (B, BL), compare and branch (CBZ,
//! CBNZ), test and branch (TBZ, TBNZ), conditional (B.cond) and unconditional register (BR,
//! BLR, RET). Semantics follow the pseudocode of C6.2 and BranchTo()/BranchAddr() of J1.
//!
//! A taken branch writes `cpu.s.pc` and returns [`Flow::Jump`]; a branch not taken returns
//! [`Flow::Next`].

use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::{sext, Insn};
use crate::mem::Mem;

/// The link register BL and BLR write.
const LR: u32 = 30;
/// TCR_EL1.TBI0 and TBI1: top-byte-ignore for the lower and upper address ranges.
const TCR_TBI0: u64 = 1 << 37;
const TCR_TBI1: u64 = 1 << 38;
/// The address bit that selects the upper (TTBR1) range and that a tagged address's top
/// byte is replaced with.
const TAG_SELECT_BIT: u32 = 55;

/// AArch64.BranchAddr() (J1): at EL0 and EL1, when TCR_EL1.TBIx applies to the target, the
/// top byte is a tag and the PC receives bit 55 sign-extended over it.
fn branch_addr(cpu: &Cpu, target: u64) -> u64 {
    let upper = target >> TAG_SELECT_BIT & 1 == 1;
    let tbi = if upper { TCR_TBI1 } else { TCR_TBI0 };
    if cpu.sys.tcr_el1 & tbi != 0 {
        sext(target, TAG_SELECT_BIT + 1)
    } else {
        target
    }
}

/// BranchTo(): sets the PC and leaves the block.
#[inline(always)]
fn branch_to(cpu: &mut Cpu, target: u64) -> Flow {
    cpu.s.pc = branch_addr(cpu, target);
    Flow::Jump
}

/// PC + a signed word offset held in instruction bits hi..lo.
#[inline(always)]
fn pc_offset(cpu: &Cpu, i: Insn, hi: u32, lo: u32) -> u64 {
    let words = i.bits(hi, lo) as u64;
    cpu.s.pc.wrapping_add(sext(words << 2, hi - lo + 3))
}

/// B, BL: PC-relative ±128 MiB; BL writes the return address to X30.
pub fn b_imm(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let target = pc_offset(cpu, i, 25, 0);
    if i.bit(31) {
        cpu.s.set_xr(LR, cpu.s.pc.wrapping_add(4));
    }
    branch_to(cpu, target)
}

/// CBZ, CBNZ: branch (±1 MiB) if Wt/Xt is zero (op = 0) or not zero (op = 1).
pub fn cbz(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let is_zero = cpu.s.rr(i.sf(), i.rt()) == 0;
    if is_zero != i.bit(24) {
        branch_to(cpu, pc_offset(cpu, i, 23, 5))
    } else {
        Flow::Next
    }
}

/// TBZ, TBNZ: branch (±32 KiB) if bit b5:b40 of Xt is zero (op = 0) or one (op = 1).
pub fn tbz(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let bit_pos = i.bits(31, 31) << 5 | i.bits(23, 19);
    let bit_val = cpu.s.xr(i.rt()) >> bit_pos & 1 == 1;
    if bit_val == i.bit(24) {
        branch_to(cpu, pc_offset(cpu, i, 18, 5))
    } else {
        Flow::Next
    }
}

/// B.cond: branch (±1 MiB) if ConditionHolds(cond); cond 1111 (NV) behaves as AL.
pub fn b_cond(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    if cpu.s.condition_holds(i.bits(3, 0)) {
        branch_to(cpu, pc_offset(cpu, i, 23, 5))
    } else {
        Flow::Next
    }
}

/// BR: branch to Xn (register 31 is XZR).
pub fn br(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    branch_to(cpu, cpu.s.xr(i.rn()))
}

/// BLR: branch to Xn, writing the return address to X30. The target is read first, so
/// `blr x30` jumps to the old X30.
pub fn blr(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let target = cpu.s.xr(i.rn());
    cpu.s.set_xr(LR, cpu.s.pc.wrapping_add(4));
    branch_to(cpu, target)
}

/// RET: branch to Xn (X30 when the assembler's operand is omitted), a hint that this is a
/// subroutine return.
pub fn ret(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    branch_to(cpu, cpu.s.xr(i.rn()))
}

#[cfg(test)]
mod tests {
    use crate::a64;
    use crate::cpu_test;
    use crate::exec::Exit;
    use crate::testing::{TestCpu, RAM_BASE};

    /// movz x0, #1: the marker that a branch fell through.
    const MOVZ_X0_1: u32 = 0xd280_0020;

    /// Runs exactly one instruction (one block of one branch) and returns the new PC.
    fn step_one(t: &mut TestCpu, word: u32) -> u64 {
        t.load_words(RAM_BASE, &[word]);
        t.cpu.s.pc = RAM_BASE;
        assert_eq!(t.run_limit(1), Exit::Budget);
        t.cpu.s.pc
    }

    // ── B, BL ─────────────────────────────────────────────────────────────────────────

    cpu_test! {
        fn b_forward_skips(t) {
            t.load(&a64!(
                ; b >skip
                ; movz x0, 1
                ; skip:
                ; movz x1, 2
            ));
            t.run();
            assert_eq!((t.x(0), t.x(1)), (0, 2));
        }

        fn b_backward(t) {
            t.load(&a64!(
                ; b >start
                ; back:
                ; movz x1, 7
                ; b >end
                ; start:
                ; b <back
                ; movz x2, 1
                ; end:
            ));
            t.run();
            assert_eq!((t.x(1), t.x(2)), (7, 0));
        }

        fn bl_links_and_ret_returns(t) {
            t.load(&a64!(
                ; bl >func
                ; add x0, x0, 1
                ; b >end
                ; func:
                ; add x0, x0, 10
                ; ret
                ; end:
            ));
            t.run();
            assert_eq!(t.x(0), 11);
            assert_eq!(t.x(30), RAM_BASE + 4);
        }

        fn bl_backward_links_next_instruction(t) {
            t.load(&a64!(
                ; b >start
                ; func:
                ; add x1, x30, 0
                ; b >end
                ; start:
                ; movz x2, 5
                ; bl <func
                ; end:
            ));
            t.run();
            assert_eq!(t.x(1), RAM_BASE + 20, "the BL at +16 links +20");
            assert_eq!(t.x(30), RAM_BASE + 20);
        }

        fn b_bl_range_edges(t) {
            // b #-128 MiB (0x16000000), b #+128 MiB - 4 (0x15ffffff), bl #-4 (0x97ffffff).
            assert_eq!(step_one(&mut t, 0x1600_0000), RAM_BASE - 0x800_0000);
            assert_eq!(step_one(&mut t, 0x15ff_ffff), RAM_BASE + 0x7ff_fffc);
            assert_eq!(t.x(30), 0, "B does not link");
            assert_eq!(step_one(&mut t, 0x97ff_ffff), RAM_BASE - 4);
            assert_eq!(t.x(30), RAM_BASE + 4);
        }
    }

    // ── CBZ, CBNZ ─────────────────────────────────────────────────────────────────────

    cpu_test! {
        fn cbz_cbnz_32_bit_looks_at_w_only(t) {
            t.load(&a64!(
                ; cbz w1, >a
                ; movz x2, 1
                ; a:
                ; cbz x1, >b
                ; movz x3, 1
                ; b:
                ; cbnz w1, >c
                ; movz x4, 1
                ; c:
                ; cbnz x1, >d
                ; movz x5, 1
                ; d:
            ));
            t.set_x(1, 0x1_0000_0000);
            t.run();
            assert_eq!(t.x(2), 0, "CBZ W1 taken: W1 is zero");
            assert_eq!(t.x(3), 1, "CBZ X1 not taken");
            assert_eq!(t.x(4), 1, "CBNZ W1 not taken");
            assert_eq!(t.x(5), 0, "CBNZ X1 taken");
        }

        fn cbnz_counts_down_a_loop(t) {
            t.load(&a64!(
                ; movz x0, 5
                ; top:
                ; add x1, x1, 3
                ; sub x0, x0, 1
                ; cbnz x0, <top
            ));
            t.run();
            assert_eq!((t.x(0), t.x(1)), (0, 15));
        }

        fn cbz_of_xzr_and_range_edge(t) {
            // cbz xzr, #8 (0xb400005f) always branches; cbz x1, #-1 MiB (0xb4800001).
            t.set_x(31, 0x55);
            assert_eq!(step_one(&mut t, 0xb400_005f), RAM_BASE + 8);
            assert_eq!(step_one(&mut t, 0xb480_0001), RAM_BASE - 0x10_0000);
            t.set_x(1, 1);
            assert_eq!(step_one(&mut t, 0xb480_0001), RAM_BASE + 4, "not taken");
        }
    }

    // ── TBZ, TBNZ ─────────────────────────────────────────────────────────────────────

    cpu_test! {
        fn tbz_tbnz_bit_numbers(t) {
            t.load(&a64!(
                ; tbnz x1, 63, >a
                ; movz x2, 1
                ; a:
                ; tbz x1, 32, >b
                ; movz x3, 1
                ; b:
                ; tbnz w1, 31, >c
                ; movz x4, 1
                ; c:
                ; tbnz w1, 0, >d
                ; movz x5, 1
                ; d:
                ; tbz x1, 0, >e
                ; movz x6, 1
                ; e:
            ));
            t.set_x(1, 0x8000_0000_8000_0000);
            t.run();
            assert_eq!(t.x(2), 0, "bit 63 set: TBNZ taken");
            assert_eq!(t.x(3), 0, "bit 32 clear: TBZ taken");
            assert_eq!(t.x(4), 0, "bit 31 set: TBNZ taken");
            assert_eq!(t.x(5), 1, "bit 0 clear: TBNZ not taken");
            assert_eq!(t.x(6), 0, "bit 0 clear: TBZ taken");
        }

        fn tbz_tbnz_not_taken_on_the_other_value(t) {
            t.load(&a64!(
                ; tbz x1, 63, >a
                ; movz x2, 1
                ; a:
                ; tbnz x1, 32, >b
                ; movz x3, 1
                ; b:
            ));
            t.set_x(1, 0x8000_0000_0000_0000);
            t.run();
            assert_eq!((t.x(2), t.x(3)), (1, 1));
        }

        fn tbz_range_edge(t) {
            // tbz w1, #0, #-32 KiB (0x36040001).
            assert_eq!(step_one(&mut t, 0x3604_0001), RAM_BASE - 0x8000);
        }
    }

    // ── B.cond ────────────────────────────────────────────────────────────────────────

    /// The Arm ARM's condition table (C1.2.4), written out independently of
    /// `CpuState::condition_holds`.
    fn arm_arm_condition(cond: u32, n: bool, z: bool, c: bool, v: bool) -> bool {
        match cond {
            0b0000 => z,            // EQ
            0b0001 => !z,           // NE
            0b0010 => c,            // CS
            0b0011 => !c,           // CC
            0b0100 => n,            // MI
            0b0101 => !n,           // PL
            0b0110 => v,            // VS
            0b0111 => !v,           // VC
            0b1000 => c && !z,      // HI
            0b1001 => !c || z,      // LS
            0b1010 => n == v,       // GE
            0b1011 => n != v,       // LT
            0b1100 => !z && n == v, // GT
            0b1101 => z || n != v,  // LE
            _ => true,              // AL, and NV which behaves as AL
        }
    }

    cpu_test! {
        fn b_cond_every_condition_and_flag_combination(t) {
            for cond in 0..16u32 {
                // b.<cond> #8 over a movz x0, #1 to the end marker.
                t.load_words(RAM_BASE, &[0x5400_0040 | cond, MOVZ_X0_1]);
                let (mut taken, mut not_taken) = (0, 0);
                for flags in 0..16u32 {
                    t.cpu.s.pc = RAM_BASE;
                    t.set_x(0, 0);
                    t.cpu.s.nzcv = flags << 28;
                    let bit = |b: u32| flags & b != 0;
                    let (n, z, c, v) = (bit(8), bit(4), bit(2), bit(1));
                    t.run();
                    let expected = arm_arm_condition(cond, n, z, c, v);
                    assert_eq!(t.x(0) == 0, expected, "cond {cond:04b} flags {flags:04b}");
                    assert_eq!(t.nzcv(), flags << 28, "B.cond leaves the flags alone");
                    if expected { taken += 1 } else { not_taken += 1 }
                }
                // Every condition but AL/NV is taken for some flags and not for others.
                assert!(taken > 0 && (not_taken > 0 || cond >= 0b1110), "cond {cond:04b}");
            }
        }

        fn b_cond_backward_loop(t) {
            t.load(&a64!(
                ; movz x0, 3
                ; top:
                ; add x1, x1, 2
                ; subs x0, x0, 1
                ; b.ne <top
            ));
            t.run();
            assert_eq!((t.x(0), t.x(1)), (0, 6));
        }

        fn b_cond_range_edge(t) {
            // b.al #-1 MiB (0x5480000e).
            assert_eq!(step_one(&mut t, 0x5480_000e), RAM_BASE - 0x10_0000);
        }

        fn bc_cond_is_unallocated(t) {
            // Bit 4 set is BC.cond (v8.8): no row on a v8.0 core; UNDEFINED.
            t.load_words(RAM_BASE, &[0x5400_0050]);
            t.cpu.sys.vbar_el1 = RAM_BASE + 0x1000;
            t.load_words(RAM_BASE + 0x1200, &[]);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, 0x0200_0000);
            assert_eq!(t.cpu.sys.elr_el1, RAM_BASE);
        }
    }

    // ── BR, BLR, RET ──────────────────────────────────────────────────────────────────

    cpu_test! {
        fn br_to_register(t) {
            t.load(&a64!(
                ; adr x1, >target
                ; br x1
                ; movz x0, 1
                ; target:
            ));
            t.run();
            assert_eq!(t.x(0), 0);
            assert_eq!(t.x(30), 0, "BR does not link");
        }

        fn blr_links_and_ret_to_other_register(t) {
            t.load(&a64!(
                ; adr x2, >func
                ; blr x2
                ; add x0, x0, 1
                ; b >end
                ; func:
                ; add x5, x30, 0
                ; add x0, x0, 10
                ; ret x5
                ; end:
            ));
            t.run();
            assert_eq!(t.x(0), 11);
            assert_eq!(t.x(30), RAM_BASE + 8);
        }

        fn blr_x30_jumps_to_the_old_x30(t) {
            t.load(&a64!(
                ; adr x30, >func
                ; blr x30
                ; movz x0, 1
                ; b >end
                ; func:
                ; movz x1, 2
                ; end:
            ));
            t.run();
            assert_eq!((t.x(0), t.x(1)), (0, 2));
            assert_eq!(t.x(30), RAM_BASE + 8);
        }

        fn br_xzr_goes_to_zero(t) {
            t.set_x(31, 0x4000_0100);
            assert_eq!(step_one(&mut t, 0xd61f_03e0), 0); // br xzr
        }
    }

    // ── Top-byte-ignore on branch targets ─────────────────────────────────────────────

    /// TCR_EL1.TBI0 and TBI1 (Arm ARM D17.2.131).
    const TBI0: u64 = 1 << 37;
    const TBI1: u64 = 1 << 38;

    cpu_test! {
        fn branch_target_tags_follow_tcr_tbi(t) {
            const BR_X1: u32 = 0xd61f_0020;
            let lower = 0xab00_0000_4000_0010;
            let upper = 0x12ff_ffff_8000_0000;
            t.set_x(1, lower);
            assert_eq!(step_one(&mut t, BR_X1), lower, "no TBI: the tag stays");
            t.cpu.sys.tcr_el1 = TBI0;
            assert_eq!(step_one(&mut t, BR_X1), 0x0000_0000_4000_0010);
            t.set_x(1, upper);
            assert_eq!(step_one(&mut t, BR_X1), upper, "bit 55 set selects TBI1");
            t.cpu.sys.tcr_el1 = TBI1;
            assert_eq!(step_one(&mut t, BR_X1), 0xffff_ffff_8000_0000);
        }
    }
}
