//! Advanced SIMD floating-point conversions and one-operand operations (Arm ARM C4.1.90,
//! C7.2): the FP forms of "two-register miscellaneous" and its scalar form (FCVTN/FCVTN2,
//! FCVTXN, FCVTL/FCVTL2, FRINT[NAPMZXI], FCVT[NMAPZ][SU], SCVTF/UCVTF, FCMxx against zero,
//! FABS, FNEG, FSQRT, FRECPE, FRSQRTE, FRECPX, URECPE, URSQRTE) and the fixed-point
//! conversions of "shift by immediate" (SCVTF, UCVTF, FCVTZS, FCVTZU with fraction bits).
//! Half-precision arithmetic (FEAT_FP16, v8.2) is UNDEFINED on the A72; half precision
//! appears only as FCVTN's result and FCVTL's source.

use super::floating_point::{commit_flags, fp_env, or_undefined};
use super::simd::{check_fp, datasize, elem, highest_set_bit, lanes, ones};
use super::simd_fp_arith::fmt_of;
use super::undefined;
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::fp::{self, Fmt, Fp, Rounding, D, H, S};
use crate::insn::Insn;

/// A comparison against +0.0.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cmp {
    Gt,
    Ge,
    Eq,
    Le,
    Lt,
}

/// A two-register-misc FP operation. `None` roundings are FPCR's.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Misc {
    /// FCVTN (narrow by FPCR rounding).
    Cvtn,
    /// FCVTXN (double to single, round to odd).
    Cvtxn,
    /// FCVTL (widen).
    Cvtl,
    /// FRINT*: rounding and whether Inexact is signalled (FRINTX).
    RoundInt(Option<Rounding>, bool),
    /// FCVT*S / FCVT*U.
    ToInt(Rounding, bool),
    /// SCVTF / UCVTF.
    FromInt(bool),
    Compare(Cmp),
    Abs,
    Neg,
    Sqrt,
    RecipEstimate,
    RsqrtEstimate,
    RecpX,
    URecipEstimate,
    URsqrtEstimate,
}

/// FCVT[NMAPZ][SU], FRINT[NMPZA] and the compares against zero, shared by the vector and
/// scalar decodes: (U, size<1>, opcode).
fn common(u: bool, a: bool, opcode: u32) -> Option<Misc> {
    use Rounding::*;
    let r = match (a, opcode) {
        (false, 0b11010) => Misc::ToInt(TieEven, u),
        (false, 0b11011) => Misc::ToInt(NegInf, u),
        (false, 0b11100) => Misc::ToInt(TieAway, u),
        (false, 0b11101) => Misc::FromInt(u),
        (true, 0b11010) => Misc::ToInt(PosInf, u),
        (true, 0b11011) => Misc::ToInt(Zero, u),
        (true, 0b01100) => Misc::Compare(if u { Cmp::Ge } else { Cmp::Gt }),
        (true, 0b01101) => Misc::Compare(if u { Cmp::Le } else { Cmp::Eq }),
        (true, 0b01110) if !u => Misc::Compare(Cmp::Lt),
        (true, 0b11101) if !u => Misc::RecipEstimate,
        (true, 0b11101) => Misc::RsqrtEstimate,
        _ => return None,
    };
    Some(r)
}

/// The vector form's operation of (U, size<1>, opcode).
fn vector_op(u: bool, a: bool, opcode: u32) -> Option<Misc> {
    use Rounding::*;
    let r = match (u, a, opcode) {
        (false, false, 0b10110) => Misc::Cvtn,
        (false, false, 0b10111) => Misc::Cvtl,
        (true, false, 0b10110) => Misc::Cvtxn,
        (false, false, 0b11000) => Misc::RoundInt(Some(TieEven), false),
        (false, false, 0b11001) => Misc::RoundInt(Some(NegInf), false),
        (false, true, 0b11000) => Misc::RoundInt(Some(PosInf), false),
        (false, true, 0b11001) => Misc::RoundInt(Some(Zero), false),
        (true, false, 0b11000) => Misc::RoundInt(Some(TieAway), false),
        (true, false, 0b11001) => Misc::RoundInt(None, true),
        (true, true, 0b11001) => Misc::RoundInt(None, false),
        (false, true, 0b01111) => Misc::Abs,
        (true, true, 0b01111) => Misc::Neg,
        (true, true, 0b11111) => Misc::Sqrt,
        (false, true, 0b11100) => Misc::URecipEstimate,
        (true, true, 0b11100) => Misc::URsqrtEstimate,
        _ => return common(u, a, opcode),
    };
    Some(r)
}

/// The scalar form's operation of (U, size<1>, opcode).
fn scalar_op(u: bool, a: bool, opcode: u32) -> Option<Misc> {
    match (u, a, opcode) {
        (true, false, 0b10110) => Some(Misc::Cvtxn),
        (false, true, 0b11111) => Some(Misc::RecpX),
        _ => common(u, a, opcode),
    }
}

/// Whether (opcode, U, size) of two-register misc is a floating-point encoding (the
/// caller sends those here rather than to the integer decode).
pub fn is_fp(opcode: u32, size: u32) -> bool {
    matches!(opcode, 0b10110..=0b11111) || (matches!(opcode, 0b01100..=0b01111) && size >= 2)
}

/// One lane of a same-width operation.
fn lane(fp: &mut Fp, op: Misc, fmt: Fmt, x: u64) -> u64 {
    let zero = fmt.zero(false);
    let mask = |c: bool| if c { ones(fmt.n) } else { 0 };
    match op {
        Misc::RoundInt(r, exact) => {
            let r = r.unwrap_or(fp.rounding());
            fp.round_int(fmt, x, r, exact)
        }
        Misc::ToInt(r, unsigned) => fp.to_fixed(fmt, x, 0, unsigned, fmt.n, r),
        Misc::FromInt(unsigned) => {
            let r = fp.rounding();
            fp.fixed_to_fp(fmt, x, 0, unsigned, fmt.n, r)
        }
        Misc::Compare(Cmp::Gt) => mask(fp.compare_gt(fmt, x, zero)),
        Misc::Compare(Cmp::Ge) => mask(fp.compare_ge(fmt, x, zero)),
        Misc::Compare(Cmp::Eq) => mask(fp.compare_eq(fmt, x, zero)),
        Misc::Compare(Cmp::Le) => mask(fp.compare_ge(fmt, zero, x)),
        Misc::Compare(Cmp::Lt) => mask(fp.compare_gt(fmt, zero, x)),
        Misc::Abs => fmt.abs(x),
        Misc::Neg => fmt.neg(x),
        Misc::Sqrt => fp.sqrt(fmt, x),
        Misc::RecipEstimate => fp.recip_estimate(fmt, x),
        Misc::RsqrtEstimate => fp.rsqrt_estimate(fmt, x),
        Misc::RecpX => fp.recpx(fmt, x),
        Misc::URecipEstimate => fp::unsigned_recip_estimate(x as u32) as u64,
        Misc::URsqrtEstimate => fp::unsigned_rsqrt_estimate(x as u32) as u64,
        // The width-changing conversions are handled by the callers.
        Misc::Cvtn | Misc::Cvtxn | Misc::Cvtl => 0,
    }
}

/// The narrow format FCVTN produces from `wide` (double to single, single to half).
fn narrow_of(wide: Fmt) -> Fmt {
    if wide == D {
        S
    } else {
        H
    }
}

/// Two-register misc, FP forms: `0QU0_1110_zz10_000o_oooo_10nn_nnnd_dddd`.
pub fn two_reg_misc(cpu: &mut Cpu, i: Insn) -> Flow {
    let (u, q, sz) = (i.bit(29), i.bit(30), i.bit(22));
    let op = or_undefined!(vector_op(u, i.bit(23), i.bits(16, 12)));
    let reserved = match op {
        Misc::Cvtxn => !sz,
        Misc::Cvtn | Misc::Cvtl => false,
        Misc::URecipEstimate | Misc::URsqrtEstimate => sz,
        _ => sz && !q,
    };
    if reserved {
        return undefined();
    }
    check_fp!(cpu);
    let (n, d) = (i.rn(), i.rd());
    let mut fp = fp_env(cpu);
    match op {
        Misc::Cvtn | Misc::Cvtxn => {
            // Vpart[d, Q] = the 2*esize lanes of Vn narrowed.
            let wide = fmt_of(sz);
            let narrow = narrow_of(wide);
            let rounding = if op == Misc::Cvtxn {
                Rounding::Odd
            } else {
                fp.rounding()
            };
            let src = cpu.vreg(n);
            let r = lanes((64 / narrow.n) as usize, narrow.n, |e| {
                fp.convert(wide, narrow, elem(src, e, wide.n), rounding)
            });
            cpu.set_vpart(d, q, r as u64);
        }
        Misc::Cvtl => {
            // The lanes of Vpart[n, Q] widened (exactly).
            let wide = fmt_of(sz);
            let narrow = narrow_of(wide);
            let src = cpu.vpart(n, q) as u128;
            let rounding = fp.rounding();
            let r = lanes((64 / narrow.n) as usize, wide.n, |e| {
                fp.convert(narrow, wide, elem(src, e, narrow.n), rounding)
            });
            cpu.set_vreg(d, 128, r);
        }
        _ => {
            // URECPE/URSQRTE work on 32-bit integer lanes, the rest on FP lanes.
            let fmt = fmt_of(sz);
            let ds = datasize(i);
            let src = cpu.vreg(n);
            let r = lanes((ds / fmt.n) as usize, fmt.n, |e| {
                lane(&mut fp, op, fmt, elem(src, e, fmt.n))
            });
            cpu.set_vreg(d, ds, r);
        }
    }
    commit_flags(cpu, &fp);
    Flow::Next
}

/// Scalar two-register misc, FP forms: `01U1_1110_zz10_000o_oooo_10nn_nnnd_dddd`.
pub fn scalar_two_reg_misc(cpu: &mut Cpu, i: Insn) -> Flow {
    let sz = i.bit(22);
    let op = or_undefined!(scalar_op(i.bit(29), i.bit(23), i.bits(16, 12)));
    if op == Misc::Cvtxn && !sz {
        return undefined();
    }
    check_fp!(cpu);
    let src = cpu.vreg(i.rn());
    let mut fp = fp_env(cpu);
    let r = if op == Misc::Cvtxn {
        fp.convert(D, S, elem(src, 0, D.n), Rounding::Odd)
    } else {
        let fmt = fmt_of(sz);
        lane(&mut fp, op, fmt, elem(src, 0, fmt.n))
    };
    commit_flags(cpu, &fp);
    cpu.set_vreg(i.rd(), 128, r as u128);
    Flow::Next
}

/// Shift by immediate opcode of SCVTF/UCVTF (fixed-point).
pub const CVTF_FIXED: u32 = 0b11100;
/// Shift by immediate opcode of FCVTZS/FCVTZU (fixed-point).
pub const FCVTZ_FIXED: u32 = 0b11111;

/// (format, fbits) of a fixed-point conversion's immh:immb: immh = 01xx is single, 1xxx
/// double; 001x is half precision (FEAT_FP16) and 0001 reserved.
fn fixed_fmt(i: Insn) -> Option<(Fmt, u32)> {
    let hsb = highest_set_bit(i.bits(22, 19))?;
    let fmt = match hsb {
        2 => S,
        3 => D,
        _ => return None,
    };
    Some((fmt, 2 * fmt.n - i.bits(22, 16)))
}

/// One lane of a fixed-point conversion.
fn fixed_lane(fp: &mut Fp, to_fp: bool, unsigned: bool, fmt: Fmt, fbits: u32, x: u64) -> u64 {
    if to_fp {
        let r = fp.rounding();
        fp.fixed_to_fp(fmt, x, fbits, unsigned, fmt.n, r)
    } else {
        fp.to_fixed(fmt, x, fbits, unsigned, fmt.n, Rounding::Zero)
    }
}

/// Shift by immediate, fixed-point conversions: `0QU0_1111_0hhh_hbbb_111o_o1nn_nnnd_dddd`.
pub fn fixed_point(cpu: &mut Cpu, i: Insn) -> Flow {
    let (fmt, fbits) = or_undefined!(fixed_fmt(i));
    if fmt == D && !i.bit(30) {
        return undefined();
    }
    check_fp!(cpu);
    let (to_fp, unsigned) = (i.bits(15, 11) == CVTF_FIXED, i.bit(29));
    let ds = datasize(i);
    let src = cpu.vreg(i.rn());
    let mut fp = fp_env(cpu);
    let r = lanes((ds / fmt.n) as usize, fmt.n, |e| {
        fixed_lane(&mut fp, to_fp, unsigned, fmt, fbits, elem(src, e, fmt.n))
    });
    commit_flags(cpu, &fp);
    cpu.set_vreg(i.rd(), ds, r);
    Flow::Next
}

/// Scalar shift by immediate, fixed-point conversions.
pub fn scalar_fixed_point(cpu: &mut Cpu, i: Insn) -> Flow {
    let (fmt, fbits) = or_undefined!(fixed_fmt(i));
    check_fp!(cpu);
    let (to_fp, unsigned) = (i.bits(15, 11) == CVTF_FIXED, i.bit(29));
    let x = elem(cpu.vreg(i.rn()), 0, fmt.n);
    let mut fp = fp_env(cpu);
    let r = fixed_lane(&mut fp, to_fp, unsigned, fmt, fbits, x);
    commit_flags(cpu, &fp);
    cpu.set_vreg(i.rd(), 128, r as u128);
    Flow::Next
}
