//! Advanced SIMD three different (Arm ARM C4.1.90, "Advanced SIMD three different" and
//! "Advanced SIMD scalar three different"): the long forms (SADDL, SSUBL, SABAL, SABDL,
//! SMLAL, SMLSL, SMULL, SQDMLAL, SQDMLSL, SQDMULL and unsigned twins), the wide forms
//! (SADDW, SSUBW) and the high-narrowing forms (ADDHN, RADDHN, SUBHN, RSUBHN), plus PMULL
//! (8 → 16 bits, and the crypto extension's 64 → 128). The "2" forms (Q = 1) read the upper
//! halves of their narrow sources or write the upper half of a narrow result (C7.2).

use super::simd::{check_fp, elem, int, lanes, ones, pmul, Sat};
use super::undefined;
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

pub const SADDL: u32 = 0b0000;
pub const SADDW: u32 = 0b0001;
pub const SSUBL: u32 = 0b0010;
pub const SSUBW: u32 = 0b0011;
pub const ADDHN: u32 = 0b0100;
pub const SABAL: u32 = 0b0101;
pub const SUBHN: u32 = 0b0110;
pub const SABDL: u32 = 0b0111;
pub const SMLAL: u32 = 0b1000;
pub const SQDMLAL: u32 = 0b1001;
pub const SMLSL: u32 = 0b1010;
pub const SQDMLSL: u32 = 0b1011;
pub const SMULL: u32 = 0b1100;
pub const SQDMULL: u32 = 0b1101;
pub const PMULL: u32 = 0b1110;

/// One lane of a long (2*esize result) operation on narrow lanes `a`, `b` and the wide
/// accumulator `acc`. Also the by-element long multiplies use it.
pub fn long_lane(opcode: u32, u: bool, esize: u32, a: u64, b: u64, acc: u64, sat: &mut Sat) -> u64 {
    let (x, y) = (int(a, esize, u), int(b, esize, u));
    let w = 2 * esize;
    let m = ones(w);
    let acc_i = int(acc, w, false);
    match opcode {
        SADDL => (x + y) as u64 & m,
        SSUBL => (x - y) as u64 & m,
        SABAL => acc.wrapping_add((x - y).unsigned_abs() as u64) & m,
        SABDL => (x - y).unsigned_abs() as u64 & m,
        SMLAL => acc.wrapping_add((x * y) as u64) & m,
        SMLSL => acc.wrapping_sub((x * y) as u64) & m,
        SMULL => (x * y) as u64 & m,
        SQDMULL => sat.signed(2 * x * y, w),
        SQDMLAL | SQDMLSL => {
            // The doubled product saturates first, then the accumulation.
            let p = sat.signed(2 * x * y, w);
            let p = int(p, w, false);
            let r = if opcode == SQDMLAL {
                acc_i + p
            } else {
                acc_i - p
            };
            sat.signed(r, w)
        }
        _ => 0,
    }
}

/// `0QU0_1110_zz1m_mmmm_oooo_00nn_nnnd_dddd`.
pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let opcode = i.bits(15, 12);
    let u = i.bit(29);
    let q = i.bit(30);
    let size = i.bits(23, 22);
    let reserved = match opcode {
        PMULL => u || size == 1 || size == 2,
        SQDMLAL | SQDMLSL | SQDMULL => u || size == 0 || size == 3,
        0b1111 => true,
        _ => size == 3,
    };
    if reserved {
        return undefined();
    }
    check_fp!(cpu);
    let esize = 8u32 << size;
    let (n, m, d) = (i.rn(), i.rm(), i.rd());
    let elements = (64 / esize) as usize;
    let mut sat = Sat::default();
    match opcode {
        PMULL if size == 3 => {
            let r = pmul(cpu.vpart(n, q), cpu.vpart(m, q));
            cpu.set_vreg(d, 128, r);
        }
        PMULL => {
            let (a, b) = (cpu.vpart(n, q) as u128, cpu.vpart(m, q) as u128);
            let r = lanes(elements, 16, |e| pmul(elem(a, e, 8), elem(b, e, 8)) as u64);
            cpu.set_vreg(d, 128, r);
        }
        ADDHN | SUBHN => {
            // Wide lanes combined, the high half kept (U: rounded).
            let (a, b) = (cpu.vreg(n), cpu.vreg(m));
            let w = 2 * esize;
            let round = if u { 1u64 << (esize - 1) } else { 0 };
            let r = lanes(elements, esize, |e| {
                let (x, y) = (elem(a, e, w), elem(b, e, w));
                let s = if opcode == ADDHN {
                    x.wrapping_add(y)
                } else {
                    x.wrapping_sub(y)
                };
                (s.wrapping_add(round) & ones(w)) >> esize
            });
            cpu.set_vpart(d, q, r as u64);
        }
        SADDW | SSUBW => {
            let (a, b) = (cpu.vreg(n), cpu.vpart(m, q) as u128);
            let w = 2 * esize;
            let r = lanes(elements, w, |e| {
                let y = int(elem(b, e, esize), esize, u) as u64;
                let x = elem(a, e, w);
                if opcode == SADDW {
                    x.wrapping_add(y)
                } else {
                    x.wrapping_sub(y)
                }
            });
            cpu.set_vreg(d, 128, r);
        }
        _ => {
            let (a, b, acc) = (
                cpu.vpart(n, q) as u128,
                cpu.vpart(m, q) as u128,
                cpu.vreg(d),
            );
            let r = lanes(elements, 2 * esize, |e| {
                let (x, y) = (elem(a, e, esize), elem(b, e, esize));
                long_lane(opcode, u, esize, x, y, elem(acc, e, 2 * esize), &mut sat)
            });
            cpu.set_vreg(d, 128, r);
        }
    }
    cpu.note_saturation(sat.0);
    Flow::Next
}

/// `01U1_1110_zz1m_mmmm_oooo_00nn_nnnd_dddd`: SQDMLAL, SQDMLSL and SQDMULL on scalars.
pub fn scalar(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let opcode = i.bits(15, 12);
    let size = i.bits(23, 22);
    if i.bit(29) || !matches!(opcode, SQDMLAL | SQDMLSL | SQDMULL) || size == 0 || size == 3 {
        return undefined();
    }
    check_fp!(cpu);
    let esize = 8u32 << size;
    let a = elem(cpu.vreg(i.rn()), 0, esize);
    let b = elem(cpu.vreg(i.rm()), 0, esize);
    let acc = elem(cpu.vreg(i.rd()), 0, 2 * esize);
    let mut sat = Sat::default();
    let r = long_lane(opcode, false, esize, a, b, acc, &mut sat);
    cpu.note_saturation(sat.0);
    cpu.set_vreg(i.rd(), 128, r as u128);
    Flow::Next
}
