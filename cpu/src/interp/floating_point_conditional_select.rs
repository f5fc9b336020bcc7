//! Floating-point conditional select, Arm ARM C4.1.90: FCSEL copies Vn or Vm by the
//! condition, bit for bit (no NaN processing, no flags).

use super::floating_point::{
    arith_fmt, fp_enabled_or_trap, or_undefined, read_scalar, write_scalar,
};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let fmt = or_undefined!(arith_fmt(i));
    fp_enabled_or_trap!(cpu);
    let n = if cpu.s.condition_holds(i.cond()) {
        i.rn()
    } else {
        i.rm()
    };
    let v = read_scalar(cpu, fmt, n);
    write_scalar(cpu, fmt, i.rd(), v);
    Flow::Next
}

#[cfg(test)]
mod tests {
    use super::super::floating_point::test_support::*;
    use crate::{a64, cpu_test};

    cpu_test! {
        fn fcsel_copies_by_condition_and_zeroes_the_rest(t) {
            load(&mut t, &a64!(; fcsel d0, d1, d2, mi));
            let a = 0xffff_0000_0000_0000_7ff0_0000_0000_0001u128; // SNaN: copied untouched
            let b = 0x1111_2222_3333_4444_5555_6666_7777_8888u128;
            t.cpu.s.nzcv = 0x8000_0000;
            assert_eq!(run(&mut t, RN, &[a, b]), (0x7ff0_0000_0000_0001, 0));
            t.cpu.s.nzcv = 0;
            assert_eq!(run(&mut t, RN, &[a, b]), (0x5555_6666_7777_8888, 0));
            load(&mut t, &a64!(; fcsel s0, s1, s2, al));
            assert_eq!(run(&mut t, RN, &[a, b]), (0x0000_0001, 0));
        }
    }
}
