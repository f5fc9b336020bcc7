//! Floating-point data-processing (2 source), Arm ARM C4.1.90: FMUL, FDIV, FADD, FSUB,
//! FMAX, FMIN, FMAXNM, FMINNM and FNMUL.

use super::floating_point::{
    arith_fmt, commit_flags, fp_enabled_or_trap, fp_env, or_undefined, read_scalar, write_scalar,
};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::fp::{Fmt, Fp};
use crate::insn::Insn;
use crate::mem::Mem;

type BinaryOp = fn(&mut Fp, Fmt, u64, u64) -> u64;

/// FNMUL: the product negated after rounding (a NaN result's sign flips too: FPNeg).
fn fnmul(fp: &mut Fp, fmt: Fmt, a: u64, b: u64) -> u64 {
    fmt.neg(fp.mul(fmt, a, b))
}

/// The operation of opcode (bits 15:12); 0b1001 and above are unallocated.
fn operation(opcode: u32) -> Option<BinaryOp> {
    Some(match opcode {
        0b0000 => Fp::mul,
        0b0001 => Fp::div,
        0b0010 => Fp::add,
        0b0011 => Fp::sub,
        0b0100 => Fp::max,
        0b0101 => Fp::min,
        0b0110 => Fp::max_num,
        0b0111 => Fp::min_num,
        0b1000 => fnmul,
        _ => return None,
    })
}

pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let fmt = or_undefined!(arith_fmt(i));
    let op = or_undefined!(operation(i.bits(15, 12)));
    fp_enabled_or_trap!(cpu);
    let a = read_scalar(cpu, fmt, i.rn());
    let b = read_scalar(cpu, fmt, i.rm());
    let mut fp = fp_env(cpu);
    let r = op(&mut fp, fmt, a, b);
    commit_flags(cpu, &fp);
    write_scalar(cpu, fmt, i.rd(), r);
    Flow::Next
}
