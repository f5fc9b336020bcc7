//! Advanced SIMD floating-point arithmetic (Arm ARM C4.1.90 and C7.2): the FP forms of
//! "three same" (opcodes 11xxx: FADD ... FRSQRTS, the pairwise FADDP/FMAXP/..., the
//! compares FCMEQ/FCMGE/FCMGT/FACGE/FACGT) and of "scalar three same", of "vector/scalar x
//! indexed element" (FMLA, FMLS, FMUL, FMULX), of "across lanes" (FMAXV, FMINV, FMAXNMV,
//! FMINNMV) and of "scalar pairwise" (FADDP, FMAXP, FMINP, FMAXNMP, FMINNMP). Every lane
//! is one call into the soft-float core (`crate::fp`) under FPCR, and the lanes' FPSR
//! flags accumulate. Half-precision arithmetic (FEAT_FP16, v8.2) is UNDEFINED on the A72.

use super::floating_point::{commit_flags, fp_env, or_undefined};
use super::simd::{check_fp, datasize, elem, lanes, ones};
use super::undefined;
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::fp::{Fmt, Fp, D, S};
use crate::insn::Insn;

/// A floating-point three-same operation (also the by-element and pairwise ones).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    MaxNum,
    MinNum,
    Max,
    Min,
    Mla,
    Mls,
    Add,
    Sub,
    Mul,
    Mulx,
    Div,
    Abd,
    CmEq,
    CmGe,
    CmGt,
    AcGe,
    AcGt,
    Recps,
    Rsqrts,
}

/// The lane format the sz bit (22) selects: single or double.
pub fn fmt_of(sz: bool) -> Fmt {
    if sz {
        D
    } else {
        S
    }
}

/// An all-ones or all-zeros lane from a compare result.
fn mask(c: bool, fmt: Fmt) -> u64 {
    if c {
        ones(fmt.n)
    } else {
        0
    }
}

/// One lane: `x` op `y`, with `d` the destination lane (the accumulating forms).
pub fn lane(fp: &mut Fp, op: Op, fmt: Fmt, x: u64, y: u64, d: u64) -> u64 {
    match op {
        Op::MaxNum => fp.max_num(fmt, x, y),
        Op::MinNum => fp.min_num(fmt, x, y),
        Op::Max => fp.max(fmt, x, y),
        Op::Min => fp.min(fmt, x, y),
        Op::Mla => fp.mul_add(fmt, d, x, y),
        // FMLS negates element1 before FPMulAdd, NaNs included.
        Op::Mls => fp.mul_add(fmt, d, fmt.neg(x), y),
        Op::Add => fp.add(fmt, x, y),
        Op::Sub => fp.sub(fmt, x, y),
        Op::Mul => fp.mul(fmt, x, y),
        Op::Mulx => fp.mulx(fmt, x, y),
        Op::Div => fp.div(fmt, x, y),
        Op::Abd => fmt.abs(fp.sub(fmt, x, y)),
        Op::CmEq => mask(fp.compare_eq(fmt, x, y), fmt),
        Op::CmGe => mask(fp.compare_ge(fmt, x, y), fmt),
        Op::CmGt => mask(fp.compare_gt(fmt, x, y), fmt),
        Op::AcGe => mask(fp.compare_ge(fmt, fmt.abs(x), fmt.abs(y)), fmt),
        Op::AcGt => mask(fp.compare_gt(fmt, fmt.abs(x), fmt.abs(y)), fmt),
        Op::Recps => fp.recip_step(fmt, x, y),
        Op::Rsqrts => fp.rsqrt_step(fmt, x, y),
    }
}

/// The three-same FP operation of (U, size<1>, opcode<2:0>) and whether it is pairwise.
fn three_same_op(u: bool, a: bool, op: u32) -> Option<(Op, bool)> {
    let r = match (u, a, op) {
        (false, false, 0b000) => (Op::MaxNum, false),
        (false, false, 0b001) => (Op::Mla, false),
        (false, false, 0b010) => (Op::Add, false),
        (false, false, 0b011) => (Op::Mulx, false),
        (false, false, 0b100) => (Op::CmEq, false),
        (false, false, 0b110) => (Op::Max, false),
        (false, false, 0b111) => (Op::Recps, false),
        (false, true, 0b000) => (Op::MinNum, false),
        (false, true, 0b001) => (Op::Mls, false),
        (false, true, 0b010) => (Op::Sub, false),
        (false, true, 0b110) => (Op::Min, false),
        (false, true, 0b111) => (Op::Rsqrts, false),
        (true, false, 0b000) => (Op::MaxNum, true),
        (true, false, 0b010) => (Op::Add, true),
        (true, false, 0b011) => (Op::Mul, false),
        (true, false, 0b100) => (Op::CmGe, false),
        (true, false, 0b101) => (Op::AcGe, false),
        (true, false, 0b110) => (Op::Max, true),
        (true, false, 0b111) => (Op::Div, false),
        (true, true, 0b000) => (Op::MinNum, true),
        (true, true, 0b010) => (Op::Abd, false),
        (true, true, 0b100) => (Op::CmGt, false),
        (true, true, 0b101) => (Op::AcGt, false),
        (true, true, 0b110) => (Op::Min, true),
        _ => return None,
    };
    Some(r)
}

/// Three same, opcode 11xxx: `0QU0_1110_asz1_mmmm_11oo_o1nn_nnnd_dddd`.
pub fn three_same(cpu: &mut Cpu, i: Insn) -> Flow {
    let (op, pairwise) = or_undefined!(three_same_op(i.bit(29), i.bit(23), i.bits(13, 11)));
    let sz = i.bit(22);
    if sz && !i.bit(30) {
        return undefined(); // 1D is reserved
    }
    check_fp!(cpu);
    let fmt = fmt_of(sz);
    let ds = datasize(i);
    let elements = (ds / fmt.n) as usize;
    let (a, b, d) = (cpu.vreg(i.rn()), cpu.vreg(i.rm()), cpu.vreg(i.rd()));
    let mut fp = fp_env(cpu);
    let r = if pairwise {
        // concat = operand2:operand1; each result lane combines two adjacent lanes.
        let half = elements / 2;
        lanes(elements, fmt.n, |e| {
            let (src, k) = if e < half {
                (a, 2 * e)
            } else {
                (b, 2 * (e - half))
            };
            let (x, y) = (elem(src, k, fmt.n), elem(src, k + 1, fmt.n));
            lane(&mut fp, op, fmt, x, y, 0)
        })
    } else {
        lanes(elements, fmt.n, |e| {
            let (x, y, z) = (elem(a, e, fmt.n), elem(b, e, fmt.n), elem(d, e, fmt.n));
            lane(&mut fp, op, fmt, x, y, z)
        })
    };
    commit_flags(cpu, &fp);
    cpu.set_vreg(i.rd(), ds, r);
    Flow::Next
}

/// Scalar three same, opcode 11xxx: FMULX, FCMEQ, FRECPS, FRSQRTS, FCMGE, FACGE, FABD,
/// FCMGT, FACGT on the low lane.
pub fn scalar_three_same(cpu: &mut Cpu, i: Insn) -> Flow {
    let (op, pairwise) = or_undefined!(three_same_op(i.bit(29), i.bit(23), i.bits(13, 11)));
    let scalar = matches!(
        op,
        Op::Mulx
            | Op::CmEq
            | Op::Recps
            | Op::Rsqrts
            | Op::CmGe
            | Op::AcGe
            | Op::Abd
            | Op::CmGt
            | Op::AcGt
    );
    if pairwise || !scalar {
        return undefined();
    }
    check_fp!(cpu);
    let fmt = fmt_of(i.bit(22));
    let x = elem(cpu.vreg(i.rn()), 0, fmt.n);
    let y = elem(cpu.vreg(i.rm()), 0, fmt.n);
    let mut fp = fp_env(cpu);
    let r = lane(&mut fp, op, fmt, x, y, 0);
    commit_flags(cpu, &fp);
    cpu.set_vreg(i.rd(), 128, r as u128);
    Flow::Next
}

/// The by-element FP operation of (U, opcode): FMLA, FMLS, FMUL (U = 0) and FMULX.
fn element_op(u: bool, opcode: u32) -> Option<Op> {
    match (u, opcode) {
        (false, 0b0001) => Some(Op::Mla),
        (false, 0b0101) => Some(Op::Mls),
        (false, 0b1001) => Some(Op::Mul),
        (true, 0b1001) => Some(Op::Mulx),
        _ => None,
    }
}

/// (format, index, Rm) of an FP by-element operand: size 10 is S with index H:L, 11 is D
/// with index H (L = 1 reserved); size 0x is half precision (FEAT_FP16) or reserved. Rm
/// is the full M:Rm.
fn fp_element(i: Insn) -> Option<(Fmt, usize)> {
    let (h, l) = (i.bit(11) as usize, i.bit(21) as usize);
    match i.bits(23, 22) {
        0b10 => Some((S, h << 1 | l)),
        0b11 if l == 0 => Some((D, h)),
        _ => None,
    }
}

/// Vector x indexed element, FP forms: `0QU0_1111_zzLM_mmmm_oooo_H0nn_nnnd_dddd`.
pub fn by_element(cpu: &mut Cpu, i: Insn) -> Flow {
    let op = or_undefined!(element_op(i.bit(29), i.bits(15, 12)));
    let (fmt, index) = or_undefined!(fp_element(i));
    if fmt == D && !i.bit(30) {
        return undefined();
    }
    check_fp!(cpu);
    let ds = datasize(i);
    let y = elem(cpu.vreg(i.bits(20, 16)), index, fmt.n);
    let (a, d) = (cpu.vreg(i.rn()), cpu.vreg(i.rd()));
    let mut fp = fp_env(cpu);
    let r = lanes((ds / fmt.n) as usize, fmt.n, |e| {
        lane(&mut fp, op, fmt, elem(a, e, fmt.n), y, elem(d, e, fmt.n))
    });
    commit_flags(cpu, &fp);
    cpu.set_vreg(i.rd(), ds, r);
    Flow::Next
}

/// Scalar x indexed element, FP forms: `01U1_1111_zzLM_mmmm_oooo_H0nn_nnnd_dddd`.
pub fn scalar_by_element(cpu: &mut Cpu, i: Insn) -> Flow {
    let op = or_undefined!(element_op(i.bit(29), i.bits(15, 12)));
    let (fmt, index) = or_undefined!(fp_element(i));
    check_fp!(cpu);
    let y = elem(cpu.vreg(i.bits(20, 16)), index, fmt.n);
    let x = elem(cpu.vreg(i.rn()), 0, fmt.n);
    let d = elem(cpu.vreg(i.rd()), 0, fmt.n);
    let mut fp = fp_env(cpu);
    let r = lane(&mut fp, op, fmt, x, y, d);
    commit_flags(cpu, &fp);
    cpu.set_vreg(i.rd(), 128, r as u128);
    Flow::Next
}

/// The reduction of across-lanes opcode 0b01100 (FMAXNMV/FMINNMV) or 0b01111
/// (FMAXV/FMINV), and of the matching scalar pairwise opcodes, with size<1> = `a`
/// choosing min. Scalar pairwise opcode 0b01101 is FADDP.
fn reduce_op(opcode: u32, a: bool) -> Option<Op> {
    match (opcode, a) {
        (0b01100, false) => Some(Op::MaxNum),
        (0b01100, true) => Some(Op::MinNum),
        (0b01111, false) => Some(Op::Max),
        (0b01111, true) => Some(Op::Min),
        _ => None,
    }
}

/// Across lanes, FP forms (U = 1; U = 0 is half precision): only 4S exists. Reduce()
/// pairs lanes as a tree: op(op(e0, e1), op(e2, e3)).
pub fn across_lanes(cpu: &mut Cpu, i: Insn) -> Flow {
    let op = or_undefined!(reduce_op(i.bits(16, 12), i.bit(23)));
    if !i.bit(29) || i.bit(22) || !i.bit(30) {
        return undefined();
    }
    check_fp!(cpu);
    let v = cpu.vreg(i.rn());
    let e = |k| elem(v, k, S.n);
    let mut fp = fp_env(cpu);
    let lo = lane(&mut fp, op, S, e(0), e(1), 0);
    let hi = lane(&mut fp, op, S, e(2), e(3), 0);
    let r = lane(&mut fp, op, S, lo, hi, 0);
    commit_flags(cpu, &fp);
    cpu.set_vreg(i.rd(), 128, r as u128);
    Flow::Next
}

/// Scalar pairwise, FP forms (U = 1; U = 0 is half precision): the two lanes of Vn
/// combined, sz choosing S or D.
pub fn scalar_pairwise(cpu: &mut Cpu, i: Insn) -> Flow {
    let opcode = i.bits(16, 12);
    let a = i.bit(23);
    let op = match (opcode, a) {
        (0b01101, false) => Op::Add,
        _ => or_undefined!(reduce_op(opcode, a)),
    };
    if !i.bit(29) {
        return undefined();
    }
    check_fp!(cpu);
    let fmt = fmt_of(i.bit(22));
    let v = cpu.vreg(i.rn());
    let mut fp = fp_env(cpu);
    let r = lane(&mut fp, op, fmt, elem(v, 0, fmt.n), elem(v, 1, fmt.n), 0);
    commit_flags(cpu, &fp);
    cpu.set_vreg(i.rd(), 128, r as u128);
    Flow::Next
}

#[cfg(test)]
#[path = "simd_fp_tests.rs"]
mod tests;
