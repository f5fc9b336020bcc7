//! Load/store exclusive and load-acquire/store-release (Arm ARM C4.1.88, "Load/store
//! exclusive"; the LDXR, LDAXR, STXR, STLXR, LDXP, LDAXP, STXP, STLXP, LDAR and STLR pages
//! of C6.2; the exclusive monitors of B2.9 and AArch64.ExclusiveMonitorsPass(), J1).
//!
//! The monitor holds the *physical* address (`m.monitors`, one reservation per vCPU). The
//! acquire/release orderings need nothing more: vCPUs run one at a time on one host thread.
//! Fields the v8.0 encodings want all ones (Rs of loads, Rt2 of single-register forms)
//! are ignored, one of the behaviours their CONSTRAINED UNPREDICTABLE allows. The v8.1
//! encodings sharing this space (CAS, CASP, LDLAR, STLLR) are UNDEFINED on the A72.

use super::load_store::{self as ls, flow, UNDEFINED};
use crate::cpu::Cpu;
use crate::exception::Exception;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::{Access, Mem};

/// STXR's status: the store happened, or it did not.
const STATUS_PASS: u64 = 0;
const STATUS_FAIL: u64 = 1;

pub fn exec(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    flow(exclusive(cpu, m, i))
}

/// Operands of one instruction of the group.
#[derive(Clone, Copy)]
struct Operands {
    /// Bytes of each element: 1, 2, 4 or 8.
    size: u8,
    /// Rs (the status register of store-exclusives), Rt, Rt2 (pairs), Rn.
    s: u32,
    t: u32,
    t2: u32,
    n: u32,
}

fn exclusive(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Result<(), Exception> {
    let size_field = i.size();
    let op = Operands {
        size: 1 << size_field,
        s: i.rs(),
        t: i.rt(),
        t2: i.rt2(),
        n: i.rn(),
    };
    let (o2, load, o1, o0) = (i.bit(23), i.bit(22), i.bit(21), i.bit(15));
    match (o2, o1) {
        (false, false) if load => load_exclusive(cpu, m, op, false),
        (false, false) => store_exclusive(cpu, m, op, false),
        // With size 0x this is CASP (v8.1).
        (false, true) if size_field < 2 => Err(UNDEFINED),
        (false, true) if load => load_exclusive(cpu, m, op, true),
        (false, true) => store_exclusive(cpu, m, op, true),
        // With o0 clear these are LDLAR/STLLR (v8.1).
        (true, false) if o0 => ordered(cpu, m, op, load),
        // (true, false) without o0 is LDLAR/STLLR, (true, true) CAS: both v8.1.
        _ => Err(UNDEFINED),
    }
}

/// The address of an exclusive or ordered access: Xn|SP, naturally aligned to `align`.
fn address(cpu: &Cpu, n: u32, align: u8, acc: Access) -> Result<u64, Exception> {
    let va = ls::base(cpu, n, true)?;
    ls::check_alignment(cpu, va, align as u64, acc, true)?;
    Ok(va)
}

/// LDXR/LDAXR, LDXP/LDAXP: load and mark the monitor with the physical address.
fn load_exclusive(
    cpu: &mut Cpu,
    m: &mut Mem<'_>,
    op: Operands,
    pair: bool,
) -> Result<(), Exception> {
    // LDXP of one register twice is CONSTRAINED UNPREDICTABLE; we pick UNDEFINED.
    if pair && op.t == op.t2 {
        return Err(UNDEFINED);
    }
    let total = if pair { op.size * 2 } else { op.size };
    let va = address(cpu, op.n, total, Access::Read)?;
    let pa = cpu.translate(m, va, Access::Read)?;
    let data = if total == 16 {
        // A pair of X registers is two 8-byte loads of one 16-byte aligned block.
        let lo = cpu.read(m, va, 8)?;
        let hi = cpu.read(m, va.wrapping_add(8), 8)?;
        (hi as u128) << 64 | lo as u128
    } else {
        cpu.read(m, va, total)? as u128
    };
    m.monitors.mark(cpu.index, pa);
    let sf = op.size == 8;
    if pair {
        let bits = op.size as u32 * 8;
        cpu.s.set_rr(sf, op.t, data as u64);
        cpu.s.set_rr(sf, op.t2, (data >> bits) as u64);
    } else {
        cpu.s.set_rr(sf, op.t, data as u64);
    }
    Ok(())
}

/// STXR/STLXR, STXP/STLXP: store only while this vCPU's monitor holds the address; Ws gets
/// 0 on success and 1 on failure, and the reservation is gone either way.
fn store_exclusive(
    cpu: &mut Cpu,
    m: &mut Mem<'_>,
    op: Operands,
    pair: bool,
) -> Result<(), Exception> {
    // Ws overlapping the data or (unless SP) the base is CONSTRAINED UNPREDICTABLE; we
    // pick UNDEFINED.
    if op.s == op.t || (pair && op.s == op.t2) || (op.s == op.n && op.n != 31) {
        return Err(UNDEFINED);
    }
    let total = if pair { op.size * 2 } else { op.size };
    let va = address(cpu, op.n, total, Access::Write)?;
    // Translation faults are detected before the monitor check (the order is
    // IMPLEMENTATION DEFINED; this one does not depend on the monitor's state).
    let pa = cpu.translate(m, va, Access::Write)?;
    let passed = m.monitors.holds(cpu.index, pa);
    if passed {
        // A store that will happen meets the debugger's watchpoints before the
        // reservation goes, so after the stop it runs again with the reservation it had.
        cpu.watch_access(va, total as u64, Access::Write)?;
    }
    m.monitors.clear(cpu.index);
    if passed {
        let mask = if op.size == 8 {
            u64::MAX
        } else {
            (1u64 << (op.size as u32 * 8)) - 1
        };
        let (d1, d2) = (cpu.s.xr(op.t) & mask, cpu.s.xr(op.t2) & mask);
        match (pair, total) {
            (false, _) => cpu.write(m, va, total, d1)?,
            (true, 16) => ls::store_all(cpu, m, &[(va, 16, (d2 as u128) << 64 | d1 as u128)])?,
            (true, _) => cpu.write(m, va, total, d2 << (op.size as u32 * 8) | d1)?,
        }
    }
    cpu.s
        .set_rr(false, op.s, if passed { STATUS_PASS } else { STATUS_FAIL });
    Ok(())
}

/// LDAR/STLR: a naturally aligned access with acquire or release ordering.
fn ordered(cpu: &mut Cpu, m: &mut Mem<'_>, op: Operands, load: bool) -> Result<(), Exception> {
    let acc = if load { Access::Read } else { Access::Write };
    let va = address(cpu, op.n, op.size, acc)?;
    if load {
        let v = cpu.read(m, va, op.size)?;
        cpu.s.set_rr(op.size == 8, op.t, v);
        Ok(())
    } else {
        cpu.write(m, va, op.size, cpu.s.xr(op.t))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{TestCpu, RAM_BASE};
    use crate::{a64, cpu_test};

    const DATA: u64 = RAM_BASE + 0x1000;
    const VBAR: u64 = RAM_BASE + 0x8000;
    const ESR_UNDEF: u64 = 1 << 25;
    /// ESR_EL1 of a data abort from the current EL: EC 0x25, IL 1.
    const ESR_DABT_CUR: u64 = 0x25 << 26 | 1 << 25;
    const DFSC_ALIGNMENT: u64 = 0x21;
    const WNR: u64 = 1 << 6;

    fn catch_exceptions(t: &mut TestCpu) {
        t.cpu.sys.vbar_el1 = VBAR;
        t.load_words(VBAR + 0x200, &[]);
    }

    cpu_test! {
        fn ldxr_then_stxr_succeeds(t) {
            t.load(&a64!(
                ; ldxr x0, [x9]
                ; stxr w1, x2, [x9]
            ));
            t.write_u64(DATA, 41);
            t.set_x(9, DATA);
            t.set_x(1, 0xffff_ffff_ffff_ffff);
            t.set_x(2, 42);
            t.run();
            assert_eq!(t.x(0), 41);
            assert_eq!(t.x(1), 0); // status: passed, written as W (top half zero)
            assert_eq!(t.read_u64(DATA), 42);
        }

        fn stxr_without_ldxr_fails(t) {
            t.load(&a64!(; stxr w1, x0, [x9]));
            t.write_u64(DATA, 5);
            t.set_x(0, 6);
            t.set_x(9, DATA);
            t.run();
            assert_eq!(t.x(1), 1);
            assert_eq!(t.read_u64(DATA), 5);
        }

        fn a_store_to_the_granule_in_between_breaks_the_reservation(t) {
            t.load(&a64!(
                ; ldxr w0, [x9]
                ; strb w2, [x9, 63] // last byte of the same 64-byte granule
                ; stxr w1, w3, [x9]
            ));
            t.set_x(9, DATA);
            t.set_x(2, 0xaa);
            t.set_x(3, 0x1234);
            t.run();
            assert_eq!(t.x(1), 1);
            assert_eq!(t.read_u64(DATA), 0);
        }

        fn a_store_elsewhere_keeps_the_reservation(t) {
            t.load(&a64!(
                ; ldxr w0, [x9]
                ; strb w2, [x9, 64] // the next granule
                ; stxr w1, w3, [x9]
            ));
            t.set_x(9, DATA);
            t.set_x(3, 0x1234);
            t.run();
            assert_eq!(t.x(1), 0);
            assert_eq!(t.read_u64(DATA), 0x1234);
        }

        fn the_reservation_is_used_up_by_a_store_exclusive(t) {
            t.load(&a64!(
                ; ldxr x0, [x9]
                ; stxr w1, x2, [x9]
                ; stxr w3, x4, [x9]
            ));
            t.set_x(9, DATA);
            t.set_x(2, 2);
            t.set_x(4, 4);
            t.run();
            assert_eq!((t.x(1), t.x(3)), (0, 1));
            assert_eq!(t.read_u64(DATA), 2);
        }

        fn a_failed_store_exclusive_clears_the_reservation(t) {
            // Reserve DATA, fail a STXR on another granule, then STXR to DATA also fails.
            t.load(&a64!(
                ; ldxr x0, [x9]
                ; stxr w1, x2, [x10]
                ; stxr w3, x2, [x9]
            ));
            t.set_x(9, DATA);
            t.set_x(10, DATA + 0x100);
            t.set_x(2, 7);
            t.run();
            assert_eq!((t.x(1), t.x(3)), (1, 1));
            assert_eq!(t.read_u64(DATA), 0);
            assert_eq!(t.read_u64(DATA + 0x100), 0);
        }

        fn byte_halfword_and_acquire_release_exclusives(t) {
            t.load(&a64!(
                ; ldaxrb w0, [x9]
                ; stlxrb w1, w5, [x9]
                ; ldxrh w2, [x10]
                ; stxrh w3, w5, [x10]
                ; ldaxr w4, [x11]
                ; stlxr w6, w5, [x11]
            ));
            t.write_u64(DATA, 0xfff1);
            t.write_u64(DATA + 0x40, 0xfff2_ff82);
            t.write_u64(DATA + 0x80, 0x1_8000_0003);
            t.set_x(9, DATA);
            t.set_x(10, DATA + 0x40);
            t.set_x(11, DATA + 0x80);
            t.set_x(5, 0x1122_3344_5566_7788);
            t.run();
            // Loads zero-extend.
            assert_eq!((t.x(0), t.x(2), t.x(4)), (0xf1, 0xff82, 0x8000_0003));
            assert_eq!((t.x(1), t.x(3), t.x(6)), (0, 0, 0));
            assert_eq!(t.read_u64(DATA), 0xff88);
            assert_eq!(t.read_u64(DATA + 0x40), 0xfff2_7788);
            assert_eq!(t.read_u64(DATA + 0x80), 0x1_5566_7788);
        }

        fn exclusive_pairs(t) {
            t.load(&a64!(
                ; ldxp w0, w1, [x9]
                ; stxp w2, w1, w0, [x9]
                ; ldaxp x3, x4, [x10]
                ; stlxp w5, x4, x3, [x10]
            ));
            t.write_u64(DATA, 0x2222_2222_1111_1111);
            t.write_u64(DATA + 0x40, 0x3333);
            t.write_u64(DATA + 0x48, 0x4444);
            t.set_x(9, DATA);
            t.set_x(10, DATA + 0x40);
            t.run();
            assert_eq!((t.x(0), t.x(1)), (0x1111_1111, 0x2222_2222));
            assert_eq!((t.x(3), t.x(4)), (0x3333, 0x4444));
            assert_eq!((t.x(2), t.x(5)), (0, 0));
            // Each pair stored back swapped: Rt at the lower address.
            assert_eq!(t.read_u64(DATA), 0x1111_1111_2222_2222);
            assert_eq!((t.read_u64(DATA + 0x40), t.read_u64(DATA + 0x48)), (0x4444, 0x3333));
        }

        fn ldar_and_stlr_of_every_size(t) {
            t.load(&a64!(
                ; ldarb w0, [x9]
                ; ldarh w1, [x9]
                ; ldar w2, [x9]
                ; ldar x3, [x9]
                ; stlrb w5, [x10]
                ; stlrh w5, [x10]
                ; stlr w5, [x11]
                ; stlr x5, [sp]
            ));
            t.write_u64(DATA, 0x8877_6655_4433_2211);
            t.set_x(9, DATA);
            t.set_x(10, DATA + 0x10);
            t.set_x(11, DATA + 0x20);
            t.cpu.s.x[31] = DATA + 0x30;
            t.set_x(5, 0xa1a2_a3a4_a5a6_a7a8);
            t.run();
            assert_eq!((t.x(0), t.x(1), t.x(2)), (0x11, 0x2211, 0x4433_2211));
            assert_eq!(t.x(3), 0x8877_6655_4433_2211);
            assert_eq!(t.read_u64(DATA + 0x10), 0xa7a8);
            assert_eq!(t.read_u64(DATA + 0x20), 0xa5a6_a7a8);
            assert_eq!(t.read_u64(DATA + 0x30), 0xa1a2_a3a4_a5a6_a7a8);
        }

        fn misaligned_ldxr_is_an_alignment_fault(t) {
            t.load(&a64!(; ldxr w0, [x9]));
            catch_exceptions(&mut t);
            t.set_x(9, DATA + 2);
            t.set_x(0, 0x55);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, ESR_DABT_CUR | DFSC_ALIGNMENT);
            assert_eq!(t.cpu.sys.far_el1, DATA + 2);
            assert_eq!(t.cpu.sys.elr_el1, RAM_BASE);
            assert_eq!(t.x(0), 0x55);
        }

        fn misaligned_stxr_faults_even_without_a_reservation(t) {
            t.load(&a64!(; stxr w1, x0, [x9]));
            catch_exceptions(&mut t);
            t.set_x(9, DATA + 4);
            t.set_x(1, 0x77);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, ESR_DABT_CUR | WNR | DFSC_ALIGNMENT);
            assert_eq!(t.cpu.sys.far_el1, DATA + 4);
            assert_eq!(t.x(1), 0x77);
        }

        fn exclusive_pairs_need_double_alignment(t) {
            // An X pair at an 8-byte (not 16-byte) aligned address.
            t.load(&a64!(; ldxp x0, x1, [x9]));
            catch_exceptions(&mut t);
            t.set_x(9, DATA + 8);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, ESR_DABT_CUR | DFSC_ALIGNMENT);
            assert_eq!(t.cpu.sys.far_el1, DATA + 8);
        }

        fn misaligned_ldar_and_stlr_fault(t) {
            t.load(&a64!(; stlrh w0, [x9]));
            catch_exceptions(&mut t);
            t.set_x(9, DATA + 1);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, ESR_DABT_CUR | WNR | DFSC_ALIGNMENT);
            assert_eq!(t.cpu.sys.far_el1, DATA + 1);
        }

        fn ldxr_from_unmapped_memory_aborts(t) {
            t.load(&a64!(; ldxr x0, [x9]));
            catch_exceptions(&mut t);
            t.set_x(9, 0x1000);
            t.set_x(0, 3);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, ESR_DABT_CUR | 0x10);
            assert_eq!(t.cpu.sys.far_el1, 0x1000);
            assert_eq!(t.x(0), 3);
        }

        fn v8_1_and_constrained_unpredictable_encodings_are_undefined(t) {
            for (word, what) in [
                (0xc8a0_7d20u32, "CAS X0, X0, [X9] (v8.1)"),
                (0x4820_7d20, "CASP X0, X1, X0, X1, [X9] (v8.1)"),
                (0xc8df_7d20, "LDLAR X0, [X9] (v8.1)"),
                (0xc89f_7d20, "STLLR X0, [X9] (v8.1)"),
                (0xc800_7d20, "STXR W0, X0, [X9]: Ws = Xt"),
                (0xc809_7d21, "STXR W9, X1, [X9]: Ws = Xn"),
                (0xc820_0520, "STXP W0, X0, X1, [X9]: Ws = Xt"),
                (0xc87f_0120, "LDXP X0, X0, [X9]"),
            ] {
                let mut t = TestCpu::new(t.executor);
                t.load_words(RAM_BASE, &[word]);
                catch_exceptions(&mut t);
                t.set_x(9, DATA);
                t.run();
                assert_eq!(t.cpu.sys.esr_el1, ESR_UNDEF, "{}", what);
            }
        }
    }
}
