//! Conversion between floating-point and integer, Arm ARM C4.1.90: FCVTNS/NU, FCVTPS/PU,
//! FCVTMS/MU, FCVTZS/ZU and FCVTAS/AU to W or X (FPToFixed with 0 fraction bits and the
//! rounding the mnemonic names), SCVTF/UCVTF from W or X (FixedToFP, FPCR rounding), and
//! FMOV between general and FP registers, including the top half of a V register.

use super::floating_point::{
    arith_fmt, commit_flags, fp_enabled_or_trap, fp_env, or_undefined, read_scalar, write_scalar,
};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::fp::{Fmt, Rounding, D, S};
use crate::insn::Insn;
use crate::mem::Mem;

/// opcode (bits 18:16) values.
const FCVT_XS: u32 = 0b000;
const FCVT_XU: u32 = 0b001;
const SCVTF: u32 = 0b010;
const UCVTF: u32 = 0b011;
const FCVTAS: u32 = 0b100;
const FCVTAU: u32 = 0b101;
const FMOV_TO_GENERAL: u32 = 0b110;
const FMOV_FROM_GENERAL: u32 = 0b111;

/// Which part of the FP register an FMOV moves.
#[derive(Clone, Copy)]
enum FmovPart {
    /// The low 32 or 64 bits, as a scalar (writes zero the rest).
    Scalar(Fmt),
    /// Vn.D[1], the upper 64 bits (writes keep the lower half).
    UpperHalf,
}

pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let (sf, ptype, rmode, opcode) = (i.sf(), i.bits(23, 22), i.bits(20, 19), i.bits(18, 16));
    match opcode {
        FCVT_XS | FCVT_XU => to_int(cpu, i, Rounding::from_rmode(rmode), opcode == FCVT_XU),
        FCVTAS | FCVTAU if rmode == 0 => to_int(cpu, i, Rounding::TieAway, opcode == FCVTAU),
        SCVTF | UCVTF if rmode == 0 => from_int(cpu, i, opcode == UCVTF),
        FMOV_TO_GENERAL | FMOV_FROM_GENERAL => {
            // The allocated forms; half-precision ones are FEAT_FP16, and sf=0 ptype=01
            // rmode=11 is FJCVTZS (v8.3), all UNDEFINED on the A72.
            let part = match (sf, ptype, rmode) {
                (false, 0b00, 0b00) => FmovPart::Scalar(S),
                (true, 0b01, 0b00) => FmovPart::Scalar(D),
                (true, 0b10, 0b01) => FmovPart::UpperHalf,
                _ => return super::undefined(),
            };
            fmov(cpu, i, part, opcode == FMOV_FROM_GENERAL)
        }
        _ => super::undefined(),
    }
}

/// FCVT*S/FCVT*U: FPToFixed(Vn, 0, unsigned, rounding) into Wd or Xd.
fn to_int(cpu: &mut Cpu, i: Insn, rounding: Rounding, unsigned: bool) -> Flow {
    let fmt = or_undefined!(arith_fmt(i));
    fp_enabled_or_trap!(cpu);
    let op = read_scalar(cpu, fmt, i.rn());
    let mut fp = fp_env(cpu);
    let bits = if i.sf() { 64 } else { 32 };
    let r = fp.to_fixed(fmt, op, 0, unsigned, bits, rounding);
    commit_flags(cpu, &fp);
    cpu.s.set_rr(i.sf(), i.rd(), r);
    Flow::Next
}

/// SCVTF/UCVTF: FixedToFP(Wn or Xn, 0, unsigned, FPCR rounding) into Vd.
fn from_int(cpu: &mut Cpu, i: Insn, unsigned: bool) -> Flow {
    let fmt = or_undefined!(arith_fmt(i));
    fp_enabled_or_trap!(cpu);
    let op = cpu.s.rr(i.sf(), i.rn());
    let mut fp = fp_env(cpu);
    let bits = if i.sf() { 64 } else { 32 };
    let rounding = fp.rounding();
    let r = fp.fixed_to_fp(fmt, op, 0, unsigned, bits, rounding);
    commit_flags(cpu, &fp);
    write_scalar(cpu, fmt, i.rd(), r);
    Flow::Next
}

/// FMOV (general): a bit copy, no FP processing.
fn fmov(cpu: &mut Cpu, i: Insn, part: FmovPart, from_general: bool) -> Flow {
    fp_enabled_or_trap!(cpu);
    let (d, n) = (i.rd(), i.rn());
    match (part, from_general) {
        (FmovPart::Scalar(fmt), true) => {
            let v = cpu.s.xr(n);
            write_scalar(cpu, fmt, d, v);
        }
        (FmovPart::Scalar(fmt), false) => {
            let v = read_scalar(cpu, fmt, n);
            cpu.s.set_xr(d, v);
        }
        (FmovPart::UpperHalf, true) => {
            let low = cpu.s.v[d as usize] as u64 as u128;
            cpu.s.v[d as usize] = (cpu.s.xr(n) as u128) << 64 | low;
        }
        (FmovPart::UpperHalf, false) => {
            let v = (cpu.s.v[n as usize] >> 64) as u64;
            cpu.s.set_xr(d, v);
        }
    }
    Flow::Next
}
