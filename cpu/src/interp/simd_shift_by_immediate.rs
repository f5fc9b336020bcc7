//! Advanced SIMD shift by immediate (Arm ARM C4.1.90, "Advanced SIMD shift by immediate" and
//! "Advanced SIMD scalar shift by immediate"): SSHR/USHR, SSRA/USRA, SRSHR/URSHR,
//! SRSRA/URSRA, SRI, SHL, SLI, SQSHL/UQSHL/SQSHLU (immediate), the narrowing
//! SHRN/RSHRN/SQSHRN/UQSHRN/SQRSHRN/UQRSHRN/SQSHRUN/SQRSHRUN and the widening SSHLL/USHLL.
//! The element size is 8 << HighestSetBit(immh); right shifts are 2*esize - immh:immb, left
//! shifts immh:immb - esize (C7.2). The fixed-point conversions (SCVTF, UCVTF, FCVTZS,
//! FCVTZU) are in `simd_fp_misc`.

use super::simd::{check_fp, datasize, elem, highest_set_bit, int, lanes, ones, Sat};
use super::{simd_fp_misc, undefined};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

pub const SSHR: u32 = 0b00000;
pub const SSRA: u32 = 0b00010;
pub const SRSHR: u32 = 0b00100;
pub const SRSRA: u32 = 0b00110;
pub const SRI: u32 = 0b01000;
pub const SHL: u32 = 0b01010;
pub const SQSHLU: u32 = 0b01100;
pub const SQSHL: u32 = 0b01110;
pub const SHRN: u32 = 0b10000;
pub const RSHRN: u32 = 0b10001;
pub const SQSHRN: u32 = 0b10010;
pub const SQRSHRN: u32 = 0b10011;
pub const SSHLL: u32 = 0b10100;
const SCVTF_FIXED: u32 = 0b11100;
const FCVTZS_FIXED: u32 = 0b11111;

/// Right shift of an extended lane, rounding when asked: (x + 2^(shift-1)) >> shift.
/// `shift` is 1..=64.
#[inline(always)]
fn shr(x: i128, shift: u32, round: bool) -> i128 {
    let r = if round { 1i128 << (shift - 1) } else { 0 };
    (x + r) >> shift
}

/// One lane of a same-width shift (everything but the narrowing and widening forms).
/// `sh` is the decoded shift: right for SSHR..SRI, left for SHL..SQSHL.
fn lane(opcode: u32, u: bool, esize: u32, sh: u32, a: u64, d: u64, sat: &mut Sat) -> u64 {
    let m = ones(esize);
    let x = int(a, esize, u);
    match opcode {
        SSHR => shr(x, sh, false) as u64 & m,
        SRSHR => shr(x, sh, true) as u64 & m,
        SSRA => d.wrapping_add(shr(x, sh, false) as u64) & m,
        SRSRA => d.wrapping_add(shr(x, sh, true) as u64) & m,
        SRI => {
            // The shifted-in field replaces the low esize - shift bits; shift = esize
            // leaves the destination unchanged.
            let keep = if sh >= esize { m } else { !(m >> sh) & m };
            let ins = if sh >= esize { 0 } else { a >> sh };
            (d & keep) | ins
        }
        SHL if u => {
            // SLI
            let keep = !(m << sh) & m;
            (d & keep) | ((a << sh) & m)
        }
        SHL => (a << sh) & m,
        SQSHLU => sat.unsigned(int(a, esize, false) << sh, esize),
        SQSHL => sat.sat(x << sh, esize, u),
        _ => 0,
    }
}

/// The shift a same-width or narrowing opcode takes, from immh:immb and esize.
fn is_left(opcode: u32) -> bool {
    matches!(opcode, SHL | SQSHLU | SQSHL | SSHLL)
}

/// One lane of a narrowing shift: a 2*esize source lane shifted right, then truncated or
/// saturated to esize. `U` picks unsigned for SQSHRN/SQRSHRN; SHRN/RSHRN never saturate;
/// SQSHRUN/SQRSHRUN (U=1 with opcodes SHRN/RSHRN) take a signed source and saturate unsigned.
fn narrow_lane(opcode: u32, u: bool, esize: u32, sh: u32, a: u64, sat: &mut Sat) -> u64 {
    let round = opcode & 1 == 1;
    match (opcode & !1, u) {
        (SHRN, false) => shr(a as i128, sh, round) as u64 & ones(esize),
        (SHRN, true) => sat.unsigned(shr(int(a, 2 * esize, false), sh, round), esize),
        (_, unsigned) => sat.sat(shr(int(a, 2 * esize, unsigned), sh, round), esize, unsigned),
    }
}

/// Opcodes allocated with U = 0 and with U = 1.
fn allocated(opcode: u32, u: bool) -> bool {
    match opcode {
        SSHR | SSRA | SRSHR | SRSRA | SHL | SQSHL | SHRN | RSHRN | SQSHRN | SQRSHRN | SSHLL => true,
        SRI | SQSHLU => u,
        _ => false,
    }
}

/// `0QU0_1111_0hhh_hbbb_oooo_o1nn_nnnd_dddd` (immh != 0).
pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let opcode = i.bits(15, 11);
    let u = i.bit(29);
    let q = i.bit(30);
    let immh = i.bits(22, 19);
    let immhb = i.bits(22, 16);
    if matches!(opcode, SCVTF_FIXED | FCVTZS_FIXED) {
        return simd_fp_misc::fixed_point(cpu, i);
    }
    let Some(hsb) = highest_set_bit(immh) else {
        return undefined();
    };
    if !allocated(opcode, u) {
        return undefined();
    }
    let esize = 8u32 << hsb;
    let long_or_narrow = matches!(opcode, SHRN | RSHRN | SQSHRN | SQRSHRN | SSHLL);
    // 64-bit lanes: never for the narrowing/widening forms, only 2D for the others.
    if hsb == 3 && (long_or_narrow || !q) {
        return undefined();
    }
    check_fp!(cpu);
    let sh = if is_left(opcode) {
        immhb - esize
    } else {
        2 * esize - immhb
    };
    let (n, d) = (i.rn(), i.rd());
    let mut sat = Sat::default();
    if opcode == SSHLL {
        // Source Vpart[n, Q]: esize lanes widened to 2*esize and shifted left.
        let src = cpu.vpart(n, q) as u128;
        let r = lanes((64 / esize) as usize, 2 * esize, |e| {
            (int(elem(src, e, esize), esize, u) << sh) as u64
        });
        cpu.set_vreg(d, 128, r);
    } else if long_or_narrow {
        let src = cpu.vreg(n);
        let r = lanes((64 / esize) as usize, esize, |e| {
            narrow_lane(opcode, u, esize, sh, elem(src, e, 2 * esize), &mut sat)
        });
        cpu.set_vpart(d, q, r as u64);
    } else {
        let ds = datasize(i);
        let (src, dst) = (cpu.vreg(n), cpu.vreg(d));
        let r = lanes((ds / esize) as usize, esize, |e| {
            let (a, x) = (elem(src, e, esize), elem(dst, e, esize));
            lane(opcode, u, esize, sh, a, x, &mut sat)
        });
        cpu.set_vreg(d, ds, r);
    }
    cpu.note_saturation(sat.0);
    Flow::Next
}

/// `01U1_1111_0hhh_hbbb_oooo_o1nn_nnnd_dddd`: the scalar forms. The plain shifts and
/// inserts exist only for 64-bit lanes; the saturating ones for every size; the narrowing
/// ones only saturate (no scalar SHRN/RSHRN).
pub fn scalar(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let opcode = i.bits(15, 11);
    let u = i.bit(29);
    let immh = i.bits(22, 19);
    let immhb = i.bits(22, 16);
    if matches!(opcode, SCVTF_FIXED | FCVTZS_FIXED) {
        return simd_fp_misc::scalar_fixed_point(cpu, i);
    }
    let Some(hsb) = highest_set_bit(immh) else {
        return undefined();
    };
    let ok = match opcode {
        SSHR | SSRA | SRSHR | SRSRA | SHL => hsb == 3,
        SRI => u && hsb == 3,
        SQSHLU => u,
        SQSHL => true,
        SQSHRN | SQRSHRN => hsb != 3,
        SHRN | RSHRN => u && hsb != 3, // SQSHRUN, SQRSHRUN
        _ => false,
    };
    if !ok {
        return undefined();
    }
    check_fp!(cpu);
    let esize = 8u32 << hsb;
    let sh = if is_left(opcode) {
        immhb - esize
    } else {
        2 * esize - immhb
    };
    let mut sat = Sat::default();
    let src = cpu.vreg(i.rn());
    let r = if matches!(opcode, SHRN | RSHRN | SQSHRN | SQRSHRN) {
        narrow_lane(opcode, u, esize, sh, elem(src, 0, 2 * esize), &mut sat)
    } else {
        let dst = elem(cpu.vreg(i.rd()), 0, esize);
        lane(opcode, u, esize, sh, elem(src, 0, esize), dst, &mut sat)
    };
    cpu.note_saturation(sat.0);
    cpu.set_vreg(i.rd(), 128, r as u128);
    Flow::Next
}
