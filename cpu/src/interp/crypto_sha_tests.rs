//! SHA-1 and SHA-256 compressions of FIPS 180-4 run with the A64 instructions over the
//! one-block message "abc" (FIPS 180-4 examples, digests from its Appendix A/B test vectors).

// dynasm expands dynamic register operands through `From<u8>`.
#![allow(clippy::useless_conversion)]

use super::super::simd::testing::*;
use crate::testing::{TestCpu, RAM_BASE};
use crate::{a64, cpu_test};

/// The padded block of "abc" as 16 big-endian words (FIPS 180-4 §5.1.1).
const ABC_BLOCK: [u32; 16] = [0x6162_6380, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x18];

fn words(w: &[u32]) -> u128 {
    w.iter().rev().fold(0u128, |acc, &x| acc << 32 | x as u128)
}

fn lane(v: u128, e: usize) -> u32 {
    (v >> (32 * e)) as u32
}

/// Appends a program to `code` and runs it.
fn run(t: &mut TestCpu, code: Vec<u8>) {
    load_simd(t, &code);
    t.run();
}

/// SHA-256's K: the first 32 bits of the fractional parts of the cube roots of the first
/// 64 primes (FIPS 180-4 §4.2.2), computed with an integer cube root.
fn sha256_k() -> Vec<u32> {
    let primes: Vec<u64> = (2u64..)
        .filter(|n| (2..*n).all(|d| n % d != 0))
        .take(64)
        .collect();
    primes
        .iter()
        .map(|&p| {
            // floor(cbrt(p) * 2^32) = floor(cbrt(p * 2^96)), by bisection on u128.
            let target = (p as u128) << 96;
            let (mut lo, mut hi) = (0u128, 1u128 << 40);
            while lo + 1 < hi {
                let mid = (lo + hi) / 2;
                if mid * mid * mid <= target {
                    lo = mid
                } else {
                    hi = mid
                }
            }
            lo as u32
        })
        .collect()
}

#[test]
fn sha256_k_starts_and_ends_as_fips_180_4() {
    let k = sha256_k();
    assert_eq!((k[0], k[1], k[63]), (0x428a_2f98, 0x7137_4491, 0xc671_78f2));
}

cpu_test! {
    fn sha1_compression_of_abc(t) {
        // V0 = ABCD, S1 = E, V16-V19 the message ring, V20-V23 the round constants.
        let mut code = Vec::new();
        for g in 0u8..20 {
            let (cur, n1, n2, n3) = (16 + g % 4, 16 + (g + 1) % 4, 16 + (g + 2) % 4, 16 + (g + 3) % 4);
            let k = 20 + g / 5;
            let mut c = if g >= 4 {
                a64!(
                    ; sha1su0 V(cur).s4, V(n1).s4, V(n2).s4
                    ; sha1su1 V(cur).s4, V(n3).s4
                )
            } else {
                Vec::new()
            };
            c.extend(a64!(
                ; add v2.s4, V(cur).s4, V(k).s4
                ; sha1h s3, s0
            ));
            c.extend(match g / 5 {
                0 => a64!(; sha1c q0, s1, v2.s4),
                2 => a64!(; sha1m q0, s1, v2.s4),
                _ => a64!(; sha1p q0, s1, v2.s4),
            });
            c.extend(a64!(; mov v1.b16, v3.b16));
            code.extend(c);
        }
        let h = [0x6745_2301u32, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476, 0xc3d2_e1f0];
        set_v(&mut t, 0, words(&h[..4]));
        set_v(&mut t, 1, h[4] as u128);
        for k in 0..4 {
            set_v(&mut t, 16 + k, words(&ABC_BLOCK[4 * k..4 * k + 4]));
        }
        for (k, kc) in [0x5a82_7999u32, 0x6ed9_eba1, 0x8f1b_bcdc, 0xca62_c1d6].iter().enumerate() {
            set_v(&mut t, 20 + k, words(&[*kc; 4]));
        }
        run(&mut t, code);
        let (abcd, e) = (v(&t, 0), v(&t, 1));
        let digest: Vec<u32> = (0..5)
            .map(|k| h[k].wrapping_add(if k < 4 { lane(abcd, k) } else { e as u32 }))
            .collect();
        assert_eq!(digest, [0xa999_3e36, 0x4706_816a, 0xba3e_2571, 0x7850_c26c, 0x9cd0_d89d]);
    }

    fn sha256_compression_of_abc(t) {
        // V0 = ABCD, V1 = EFGH, V16-V19 the message ring, K streamed from memory by LD1.
        let mut code = Vec::new();
        for g in 0u8..16 {
            let (cur, n1, n2, n3) = (16 + g % 4, 16 + (g + 1) % 4, 16 + (g + 2) % 4, 16 + (g + 3) % 4);
            if g >= 4 {
                code.extend(a64!(
                    ; sha256su0 V(cur).s4, V(n1).s4
                    ; sha256su1 V(cur).s4, V(n2).s4, V(n3).s4
                ));
            }
            code.extend(a64!(
                ; ld1 {v4.s4}, [x0], 16
                ; add v2.s4, V(cur).s4, v4.s4
                ; mov v3.b16, v0.b16
                ; sha256h q0, q1, v2.s4
                ; sha256h2 q1, q3, v2.s4
            ));
        }
        let kaddr = RAM_BASE + 0x10_0000;
        let kb: Vec<u8> = sha256_k().iter().flat_map(|k| k.to_le_bytes()).collect();
        t.write_bytes(kaddr, &kb);
        t.set_x(0, kaddr);
        let h = [
            0x6a09_e667u32, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a,
            0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
        ];
        set_v(&mut t, 0, words(&h[..4]));
        set_v(&mut t, 1, words(&h[4..]));
        for k in 0..4 {
            set_v(&mut t, 16 + k, words(&ABC_BLOCK[4 * k..4 * k + 4]));
        }
        run(&mut t, code);
        let digest: Vec<u32> = (0..8)
            .map(|k| h[k].wrapping_add(lane(v(&t, k / 4), k % 4)))
            .collect();
        assert_eq!(
            digest,
            [
                0xba78_16bf, 0x8f01_cfea, 0x4141_40de, 0x5dae_2223,
                0xb003_61a3, 0x9617_7a9c, 0xb410_ff61, 0xf200_15ad
            ]
        );
    }

    fn sha_reserved_encodings_are_undefined(t) {
        // SHA1C with size = 01; opcode 111 of the three-register group.
        assert_undefined(&mut t, 0x5e40_0000);
        assert_undefined(&mut t, 0x5e00_7000);
        // Two-register opcode 00011.
        assert_undefined(&mut t, 0x5e28_3800);
    }
}
