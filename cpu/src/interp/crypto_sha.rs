//! Cryptographic SHA (Arm ARM C4.1.90, "Cryptographic three-register SHA" and
//! "Cryptographic two-register SHA"): SHA1C/SHA1P/SHA1M/SHA1SU0/SHA1H/SHA1SU1 and
//! SHA256H/SHA256H2/SHA256SU0/SHA256SU1, following their pseudocode in C7.2 and the shared
//! functions SHAchoose, SHAparity, SHAmajority, SHAhashSIGMA0/1 and SHA256hash (J1), which
//! are FIPS 180-4's Ch, Parity, Maj and Σ0/Σ1.

use super::simd::{check_fp, elem, with_elem};
use super::undefined;
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

const SHA1C: u32 = 0b000;
const SHA1P: u32 = 0b001;
const SHA1M: u32 = 0b010;
const SHA1SU0: u32 = 0b011;
const SHA256H: u32 = 0b100;
const SHA256H2: u32 = 0b101;
const SHA256SU1: u32 = 0b110;

const SHA1H: u32 = 0b00000;
const SHA1SU1: u32 = 0b00001;
const SHA256SU0: u32 = 0b00010;

#[inline(always)]
fn w(v: u128, e: usize) -> u32 {
    elem(v, e, 32) as u32
}

#[inline(always)]
fn choose(x: u32, y: u32, z: u32) -> u32 {
    ((y ^ z) & x) ^ z
}

#[inline(always)]
fn parity(x: u32, y: u32, z: u32) -> u32 {
    x ^ y ^ z
}

#[inline(always)]
fn majority(x: u32, y: u32, z: u32) -> u32 {
    (x & y) | ((x | y) & z)
}

/// The SHA1C/SHA1P/SHA1M loop: four rounds on X = {a,b,c,d} (V[d]) and Y = e (S[n]).
fn sha1_rounds(mut x: u128, mut y: u32, wv: u128, f: fn(u32, u32, u32) -> u32) -> u128 {
    for e in 0..4 {
        let t = f(w(x, 1), w(x, 2), w(x, 3));
        y = y
            .wrapping_add(w(x, 0).rotate_left(5))
            .wrapping_add(t)
            .wrapping_add(w(wv, e));
        x = with_elem(x, 1, 32, w(x, 1).rotate_left(30) as u64);
        // <Y, X> = ROL(Y : X, 32)
        let top = w(x, 3);
        x = x << 32 | y as u128;
        y = top;
    }
    x
}

fn sigma0(x: u32) -> u32 {
    x.rotate_right(2) ^ x.rotate_right(13) ^ x.rotate_right(22)
}

fn sigma1(x: u32) -> u32 {
    x.rotate_right(6) ^ x.rotate_right(11) ^ x.rotate_right(25)
}

/// SHA256hash(X, Y, W, part1): four rounds on X = {a,b,c,d}, Y = {e,f,g,h}.
fn sha256_hash(mut x: u128, mut y: u128, wv: u128, part1: bool) -> u128 {
    for e in 0..4 {
        let chs = choose(w(y, 0), w(y, 1), w(y, 2));
        let maj = majority(w(x, 0), w(x, 1), w(x, 2));
        let t = w(y, 3)
            .wrapping_add(sigma1(w(y, 0)))
            .wrapping_add(chs)
            .wrapping_add(w(wv, e));
        x = with_elem(x, 3, 32, t.wrapping_add(w(x, 3)) as u64);
        y = with_elem(
            y,
            3,
            32,
            t.wrapping_add(sigma0(w(x, 0))).wrapping_add(maj) as u64,
        );
        // <Y, X> = ROL(Y : X, 32)
        let (xt, yt) = (w(x, 3), w(y, 3));
        x = x << 32 | yt as u128;
        y = y << 32 | xt as u128;
    }
    if part1 {
        x
    } else {
        y
    }
}

/// `0101_1110_zz0m_mmmm_0ooo_00nn_nnnd_dddd`: size must be 00, opcode 111 is unallocated.
pub fn three_reg(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let opcode = i.bits(14, 12);
    if i.bits(23, 22) != 0 || opcode > SHA256SU1 {
        return undefined();
    }
    check_fp!(cpu);
    let (d, n, m) = (cpu.vreg(i.rd()), cpu.vreg(i.rn()), cpu.vreg(i.rm()));
    let r = match opcode {
        SHA1C => sha1_rounds(d, w(n, 0), m, choose),
        SHA1P => sha1_rounds(d, w(n, 0), m, parity),
        SHA1M => sha1_rounds(d, w(n, 0), m, majority),
        SHA1SU0 => ((n << 64) | (d >> 64)) ^ d ^ m,
        SHA256H => sha256_hash(d, n, m, true),
        SHA256H2 => sha256_hash(n, d, m, false),
        _ => sha256su1(d, n, m),
    };
    cpu.set_vreg(i.rd(), 128, r);
    Flow::Next
}

/// The SHA256 message schedule's σ1 half-step (SHA256SU1).
fn sha256su1(d: u128, n: u128, m: u128) -> u128 {
    let s1 = |x: u32| x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10);
    let t0 = (m << 96) | (n >> 32);
    let t1 = m >> 64;
    let mut r = 0u128;
    for e in 0..2 {
        let v = s1(w(t1, e)).wrapping_add(w(d, e)).wrapping_add(w(t0, e));
        r = with_elem(r, e, 32, v as u64);
    }
    for e in 2..4 {
        let v = s1(w(r, e - 2)).wrapping_add(w(d, e)).wrapping_add(w(t0, e));
        r = with_elem(r, e, 32, v as u64);
    }
    r
}

/// `0101_1110_zz10_1000_oooo_o10n_nnnn_dddd`: size must be 00.
pub fn two_reg(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let opcode = i.bits(16, 12);
    if i.bits(23, 22) != 0 || opcode > SHA256SU0 {
        return undefined();
    }
    check_fp!(cpu);
    let (d, n) = (cpu.vreg(i.rd()), cpu.vreg(i.rn()));
    let r = match opcode {
        SHA1H => w(n, 0).rotate_left(30) as u128,
        SHA1SU1 => {
            let t = d ^ (n >> 32);
            let mut r = 0u128;
            for e in 0..4 {
                r = with_elem(r, e, 32, w(t, e).rotate_left(1) as u64);
            }
            let top = w(r, 3) ^ w(t, 0).rotate_left(2);
            with_elem(r, 3, 32, top as u64)
        }
        _ => {
            // SHA256SU0: σ0 of T = operand2<31:0>:operand1<127:32>, plus operand1.
            let s0 = |x: u32| x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3);
            let t = (n << 96) | (d >> 32);
            let mut r = 0u128;
            for e in 0..4 {
                r = with_elem(r, e, 32, s0(w(t, e)).wrapping_add(w(d, e)) as u64);
            }
            r
        }
    };
    cpu.set_vreg(i.rd(), 128, r);
    Flow::Next
}

#[cfg(test)]
#[path = "crypto_sha_tests.rs"]
mod tests;
