//! Cryptographic AES (Arm ARM C4.1.90, "Cryptographic AES"): AESE, AESD, AESMC and AESIMC,
//! as their pseudocode in C7.2 defines them over the AES primitives of FIPS-197 (SubBytes,
//! ShiftRows, MixColumns and their inverses). The state is the 128-bit register with byte
//! 4*c + r holding row r of column c, FIPS-197's column-major order.

use super::simd::check_fp;
use super::undefined;
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

const AESE: u32 = 0b00100;
const AESD: u32 = 0b00101;
const AESMC: u32 = 0b00110;
const AESIMC: u32 = 0b00111;

/// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS-197 §4.2).
const fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        let hi = a & 0x80;
        a <<= 1;
        if hi != 0 {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    p
}

/// The S-box of FIPS-197 §5.1.1: the multiplicative inverse followed by the affine map.
const fn make_sbox() -> [u8; 256] {
    let mut s = [0u8; 256];
    let mut x = 0usize;
    while x < 256 {
        // The inverse by search: 0 maps to 0.
        let mut inv = 0u8;
        let mut y = 1usize;
        while x != 0 && y < 256 {
            if gf_mul(x as u8, y as u8) == 1 {
                inv = y as u8;
                break;
            }
            y += 1;
        }
        let b = inv;
        s[x] = b ^ b.rotate_left(1) ^ b.rotate_left(2) ^ b.rotate_left(3) ^ b.rotate_left(4) ^ 0x63;
        x += 1;
    }
    s
}

const fn invert(s: &[u8; 256]) -> [u8; 256] {
    let mut r = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        r[s[i] as usize] = i as u8;
        i += 1;
    }
    r
}

pub static SBOX: [u8; 256] = make_sbox();
pub static INV_SBOX: [u8; 256] = invert(&SBOX);

fn sub_bytes(s: [u8; 16], table: &[u8; 256]) -> [u8; 16] {
    s.map(|b| table[b as usize])
}

/// ShiftRows (inverse = false) or InvShiftRows: row r rotates left (right) by r columns.
fn shift_rows(s: [u8; 16], inverse: bool) -> [u8; 16] {
    core::array::from_fn(|i| {
        let (r, c) = (i % 4, i / 4);
        let src = if inverse {
            (c + 4 - r) % 4
        } else {
            (c + r) % 4
        };
        s[4 * src + r]
    })
}

/// MixColumns with the matrix rows {2,3,1,1} or InvMixColumns with {e,b,d,9}.
fn mix_columns(s: [u8; 16], inverse: bool) -> [u8; 16] {
    let k: [u8; 4] = if inverse {
        [0x0e, 0x0b, 0x0d, 0x09]
    } else {
        [0x02, 0x03, 0x01, 0x01]
    };
    core::array::from_fn(|i| {
        let (r, c) = (i % 4, i / 4);
        (0..4).fold(0, |acc, j| acc ^ gf_mul(k[(j + 4 - r) % 4], s[4 * c + j]))
    })
}

/// `0100_1110_zz10_1000_oooo_o10n_nnnn_dddd`: size must be 00.
pub fn exec(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let opcode = i.bits(16, 12);
    if i.bits(23, 22) != 0 || !(AESE..=AESIMC).contains(&opcode) {
        return undefined();
    }
    check_fp!(cpu);
    let (d, n) = (i.rd(), i.rn());
    let r = match opcode {
        AESE => {
            let s = (cpu.vreg(d) ^ cpu.vreg(n)).to_le_bytes();
            sub_bytes(shift_rows(s, false), &SBOX)
        }
        AESD => {
            let s = (cpu.vreg(d) ^ cpu.vreg(n)).to_le_bytes();
            sub_bytes(shift_rows(s, true), &INV_SBOX)
        }
        AESMC => mix_columns(cpu.vreg(n).to_le_bytes(), false),
        _ => mix_columns(cpu.vreg(n).to_le_bytes(), true),
    };
    cpu.set_vreg(d, 128, u128::from_le_bytes(r));
    Flow::Next
}

#[cfg(test)]
mod tests {
    use super::super::simd::testing::*;
    use super::*;
    use crate::{a64, cpu_test};

    /// A 16-byte block as FIPS-197 writes it (in0 first) in a register.
    fn block(hex: &str) -> u128 {
        let b: Vec<u8> = (0..16)
            .map(|k| u8::from_str_radix(&hex[2 * k..2 * k + 2], 16).unwrap())
            .collect();
        u128::from_le_bytes(b.try_into().unwrap())
    }

    #[test]
    fn sbox_matches_fips_197_figure_7() {
        assert_eq!(SBOX[0x00], 0x63);
        assert_eq!(SBOX[0x53], 0xed);
        assert_eq!(SBOX[0xff], 0x16);
        assert_eq!(INV_SBOX[0x63], 0x00);
    }

    /// KeyExpansion of FIPS-197 §5.2 for a 128-bit key: the 11 round keys.
    fn key_expansion(key: [u8; 16]) -> [u128; 11] {
        let mut w: Vec<[u8; 4]> = key.chunks(4).map(|c| c.try_into().unwrap()).collect();
        let mut rcon = 1u8;
        for k in 4..44 {
            let mut tmp = w[k - 1];
            if k % 4 == 0 {
                tmp = [tmp[1], tmp[2], tmp[3], tmp[0]].map(|b| SBOX[b as usize]);
                tmp[0] ^= rcon;
                rcon = gf_mul(rcon, 2);
            }
            let prev = w[k - 4];
            w.push(core::array::from_fn(|j| prev[j] ^ tmp[j]));
        }
        core::array::from_fn(|r| {
            let b: Vec<u8> = w[4 * r..4 * r + 4].concat();
            u128::from_le_bytes(b.try_into().unwrap())
        })
    }

    cpu_test! {
        fn aese_aesmc_is_one_cipher_round_of_fips_197_appendix_b(t) {
            // FIPS-197 Appendix B, round 1: the start-of-round state, then after SubBytes,
            // ShiftRows and MixColumns; AESE takes AddRoundKey (with the round-0 key)
            // first, so feed it the input and the cipher key.
            load_simd(&mut t, &a64!(; aese v0.b16, v1.b16 ; aesmc v2.b16, v0.b16));
            set_v(&mut t, 0, block("3243f6a8885a308d313198a2e0370734"));
            set_v(&mut t, 1, block("2b7e151628aed2a6abf7158809cf4f3c"));
            t.run();
            // After SubBytes and ShiftRows of round 1.
            assert_eq!(v(&t, 0), block("d4bf5d30e0b452aeb84111f11e2798e5"));
            // After MixColumns of round 1.
            assert_eq!(v(&t, 2), block("046681e5e0cb199a48f8d37a2806264c"));
        }

        fn aes128_encrypts_and_decrypts_fips_197_appendix_c1(t) {
            // FIPS-197 Appendix C.1: AES-128, the full cipher and the equivalent inverse
            // cipher (§5.3.5) written with AESE/AESMC and AESD/AESIMC, round keys in
            // V16-V26 (decryption keys InvMixColumns'd in V6-V14).
            let rk = key_expansion(block("000102030405060708090a0b0c0d0e0f").to_le_bytes());
            let mut words = Vec::new();
            for r in 0..9 {
                words.push(0x4e28_4800 | (16 + r) << 5); // aese v0, v(16+r)
                words.push(0x4e28_6800); // aesmc v0, v0
            }
            words.push(0x4e28_4800 | 25 << 5); // aese v0, v25
            words.push(0x6e20_1c00 | 26 << 16 | 1); // eor v1, v0, v26
            // Decrypt V1 into V2.
            words.push(0x4ea0_1c00 | 1 << 16 | 1 << 5 | 2); // mov v2, v1
            for r in (1..10).rev() {
                let k = if r == 9 { 26 } else { 6 + r + 1 };
                words.push(0x4e28_5800 | k << 5 | 2); // aesd v2, key
                words.push(0x4e28_7800 | 2 << 5 | 2); // aesimc v2, v2
            }
            words.push(0x4e28_5800 | 7 << 5 | 2); // aesd v2, IMC(rk1)
            words.push(0x6e20_1c00 | 16 << 16 | 2 << 5 | 2); // eor v2, v2, rk0
            t.load_words(crate::testing::RAM_BASE, &words);
            t.cpu.sys.cpacr_el1 = FPEN_ALL;
            set_v(&mut t, 0, block("00112233445566778899aabbccddeeff"));
            for (r, k) in rk.iter().enumerate() {
                set_v(&mut t, 16 + r, *k);
            }
            // IMC(rk[r]) for r = 1..=9 in V7..V15; V26 holds rk10 itself.
            for (r, k) in rk.iter().enumerate().take(10).skip(1) {
                let imc = u128::from_le_bytes(mix_columns(k.to_le_bytes(), true));
                set_v(&mut t, 6 + r, imc);
            }
            t.run();
            assert_eq!(v(&t, 1), block("69c4e0d86a7b0430d8cdb78070b4c55a"));
            assert_eq!(v(&t, 2), block("00112233445566778899aabbccddeeff"));
        }

        fn aes_reserved_size_is_undefined(t) {
            assert_undefined(&mut t, 0x4e28_4800 | 1 << 22);
        }
    }
}
