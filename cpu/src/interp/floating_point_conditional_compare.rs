//! Floating-point conditional compare, Arm ARM C4.1.90: FCCMP and FCCMPE. When the
//! condition holds, NZCV comes from FPCompare (FCCMPE signalling on every NaN); otherwise
//! from the instruction's immediate, and nothing is compared or raised.

use super::floating_point::{
    arith_fmt, commit_flags, fp_enabled_or_trap, fp_env, or_undefined, read_scalar,
};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let fmt = or_undefined!(arith_fmt(i));
    fp_enabled_or_trap!(cpu);
    if !cpu.s.condition_holds(i.cond()) {
        cpu.s.nzcv = i.bits(3, 0) << 28;
        return Flow::Next;
    }
    let a = read_scalar(cpu, fmt, i.rn());
    let b = read_scalar(cpu, fmt, i.rm());
    let mut fp = fp_env(cpu);
    cpu.s.nzcv = fp.compare(fmt, a, b, i.bit(4));
    commit_flags(cpu, &fp);
    Flow::Next
}

#[cfg(test)]
mod tests {
    use super::super::floating_point::test_support::*;
    use crate::{a64, cpu_test};

    cpu_test! {
        fn fccmp_compares_only_when_the_condition_holds(t) {
            // fccmp s1, s2, #0b0101, eq
            load(&mut t, &a64!(; fccmp s1, s2, 5, eq));
            let (one, two, qnan) = (0x3f80_0000u128, 0x4000_0000u128, 0x7fc0_0000u128);
            t.cpu.s.nzcv = 0; // Z clear: EQ fails, NZCV = #nzcv
            let (_, fpsr) = run(&mut t, RN, &[qnan, one]);
            assert_eq!((t.nzcv() >> 28, fpsr), (0b0101, 0));
            t.cpu.s.nzcv = 0x4000_0000; // Z set: compare
            let (_, fpsr) = run(&mut t, RN, &[one, two]);
            assert_eq!((t.nzcv() >> 28, fpsr), (0b1000, 0));
            t.cpu.s.nzcv = 0x4000_0000;
            let (_, fpsr) = run(&mut t, RN, &[qnan, one]);
            assert_eq!((t.nzcv() >> 28, fpsr), (0b0011, 0));
        }

        fn fccmpe_signals_on_quiet_nans_when_it_compares(t) {
            load(&mut t, &a64!(; fccmpe d1, d2, 0, ne));
            let qnan = 0x7ff8_0000_0000_0000u128;
            t.cpu.s.nzcv = 0; // NE holds
            let (_, fpsr) = run(&mut t, RN, &[qnan, 0]);
            assert_eq!((t.nzcv() >> 28, fpsr), (0b0011, IOC));
            t.cpu.s.nzcv = 0x4000_0000; // NE fails: no compare, no flag
            let (_, fpsr) = run(&mut t, RN, &[qnan, 0]);
            assert_eq!((t.nzcv() >> 28, fpsr), (0b0000, 0));
        }
    }
}
