//! Floating-point compare, Arm ARM C4.1.90: FCMP and FCMPE, against a register or +0.0,
//! setting PSTATE.NZCV from FPCompare (unordered is 0011). FCMPE signals Invalid
//! Operation on quiet NaNs too.

use super::floating_point::{
    arith_fmt, commit_flags, fp_enabled_or_trap, fp_env, or_undefined, read_scalar,
};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

/// opcode2 (bits 4:0): bit 3 compares with zero, bit 4 signals; bits 2:0 must be 0.
const OPC2_ZERO: u32 = 1 << 3;
const OPC2_SIGNAL: u32 = 1 << 4;
const OPC2_RESERVED: u32 = 0b111;

pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let fmt = or_undefined!(arith_fmt(i));
    let opc2 = i.bits(4, 0);
    if i.bits(15, 14) != 0 || opc2 & OPC2_RESERVED != 0 {
        return super::undefined();
    }
    fp_enabled_or_trap!(cpu);
    let a = read_scalar(cpu, fmt, i.rn());
    // The zero forms encode Rm as 0 and compare with +0.0.
    let b = if opc2 & OPC2_ZERO != 0 {
        fmt.zero(false)
    } else {
        read_scalar(cpu, fmt, i.rm())
    };
    let mut fp = fp_env(cpu);
    cpu.s.nzcv = fp.compare(fmt, a, b, opc2 & OPC2_SIGNAL != 0);
    commit_flags(cpu, &fp);
    Flow::Next
}

#[cfg(test)]
mod tests {
    use super::super::floating_point::test_support::*;
    use crate::{a64, cpu_test};

    fn d(x: f64) -> u128 {
        x.to_bits() as u128
    }

    /// Runs the loaded compare and returns (NZCV, FPSR).
    fn flags(t: &mut crate::testing::TestCpu, fpcr: u64, ops: &[u128]) -> (u32, u32) {
        t.cpu.s.nzcv = 0;
        let (_, fpsr) = run(t, fpcr, ops);
        (t.nzcv() >> 28, fpsr)
    }

    const QNAN: u128 = 0x7ff8_0000_0000_0000;
    const SNAN: u128 = 0x7ff0_0000_0000_0001;

    cpu_test! {
        fn fcmp_sets_nzcv(t) {
            load(&mut t, &a64!(; fcmp d1, d2));
            assert_eq!(flags(&mut t, RN, &[d(1.0), d(1.0)]), (0b0110, 0));
            assert_eq!(flags(&mut t, RN, &[d(1.0), d(2.0)]), (0b1000, 0));
            assert_eq!(flags(&mut t, RN, &[d(2.0), d(1.0)]), (0b0010, 0));
            assert_eq!(flags(&mut t, RN, &[d(-0.0), d(0.0)]), (0b0110, 0));
            assert_eq!(flags(&mut t, RN, &[d(f64::NEG_INFINITY), d(-1e308)]), (0b1000, 0));
            // Unordered: 0011; only a signalling NaN raises Invalid.
            assert_eq!(flags(&mut t, RN, &[QNAN, d(1.0)]), (0b0011, 0));
            assert_eq!(flags(&mut t, RN, &[d(1.0), SNAN]), (0b0011, IOC));
            // Denormals compare as themselves, or as zero (with IDC) under FZ.
            assert_eq!(flags(&mut t, RN, &[1, 0]), (0b0010, 0));
            assert_eq!(flags(&mut t, FZ, &[1, 0]), (0b0110, IDC));
        }

        fn fcmpe_signals_on_quiet_nans(t) {
            load(&mut t, &a64!(; fcmpe s1, s2));
            assert_eq!(flags(&mut t, RN, &[0x7fc0_0000, 0]), (0b0011, IOC));
            assert_eq!(flags(&mut t, RN, &[0x3f80_0000, 0x3f80_0000]), (0b0110, 0));
        }

        fn compare_with_zero_forms(t) {
            load(&mut t, &a64!(; fcmp d1, 0.0));
            assert_eq!(flags(&mut t, RN, &[d(-0.0)]), (0b0110, 0));
            assert_eq!(flags(&mut t, RN, &[d(-5.0)]), (0b1000, 0));
            assert_eq!(flags(&mut t, RN, &[QNAN]), (0b0011, 0));
            load(&mut t, &a64!(; fcmpe s1, 0.0));
            assert_eq!(flags(&mut t, RN, &[0x7fc0_0000]), (0b0011, IOC));
            assert_eq!(flags(&mut t, RN, &[0x3f80_0000]), (0b0010, 0));
        }

        fn reserved_compare_encodings_are_undefined(t) {
            t.cpu.sys.cpacr_el1 = FPEN_ALL;
            // fcmp s1, s2 with op (bits 15:14) = 01, and with opcode2<0> set.
            assert_eq!(run_faulting(&mut t, 0x1e22_2020 | 1 << 14, false) >> 26, 0);
            assert_eq!(run_faulting(&mut t, 0x1e22_2021, false) >> 26, 0);
        }
    }
}
