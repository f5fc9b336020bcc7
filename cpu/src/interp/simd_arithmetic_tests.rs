//! Tests of the Advanced SIMD integer arithmetic groups: three same, three different, shift
//! by immediate, two-register misc, across lanes, by element, and their scalar forms.
//! Expected values are worked from each instruction's pseudocode (C7.2) by hand; saturating
//! forms must set FPSR.QC (SatQ(), J1), and 64-bit forms clear bits 127:64.

use super::super::simd::testing::*;
use super::super::simd::FPSR_QC;
use crate::{a64, cpu_test};

/// A vector of 16-bit lanes, lane 0 first.
fn h8(l: [u16; 8]) -> u128 {
    l.iter().rev().fold(0, |a, &x| a << 16 | x as u128)
}

/// A vector of 32-bit lanes, lane 0 first.
fn s4(l: [u32; 4]) -> u128 {
    l.iter().rev().fold(0, |a, &x| a << 32 | x as u128)
}

fn d2(lo: u64, hi: u64) -> u128 {
    (hi as u128) << 64 | lo as u128
}

/// Carry-less multiplication, written independently of the interpreter's.
fn clmul(a: u64, b: u64) -> u128 {
    (0..64)
        .filter(|i| b >> i & 1 == 1)
        .fold(0, |r, i| r ^ (a as u128) << i)
}

cpu_test! {
    fn add_sub_in_each_lane_size_and_q0_zeroing(t) {
        exec(&mut t, &a64!(
            ; add v0.b16, v1.b16, v2.b16
            ; sub v3.h4, v1.h4, v2.h4
            ; add v4.d2, v1.d2, v2.d2
        ), &[(1, u128::MAX), (2, d2(2, 1)), (3, u128::MAX)]);
        assert_eq!(v(&t, 0), u128::from_le_bytes([1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
        assert_eq!(v(&t, 3), 0xffff_ffff_ffff_fffd);
        assert_eq!(v(&t, 4), d2(1, 0));
    }

    fn sqadd_uqsub_saturate_and_set_qc(t) {
        exec(&mut t, &a64!(; sqadd v0.h8, v1.h8, v2.h8),
            &[(1, h8([0x7fff, 0x8000, 1, 0, 0, 0, 0, 0])), (2, h8([1, 0xffff, 1, 0, 0, 0, 0, 0]))]);
        assert_eq!(v(&t, 0), h8([0x7fff, 0x8000, 2, 0, 0, 0, 0, 0]));
        assert!(qc(&t));
    }

    fn uqsub_without_saturation_leaves_qc(t) {
        exec(&mut t, &a64!(; uqsub v0.s4, v1.s4, v2.s4), &[(1, s4([5, 7, 9, 0])), (2, s4([5, 6, 1, 0]))]);
        assert_eq!(v(&t, 0), s4([0, 1, 8, 0]));
        assert!(!qc(&t));
        exec(&mut t, &a64!(; uqsub v0.s4, v1.s4, v2.s4), &[(1, s4([5, 7, 9, 0])), (2, s4([6, 6, 1, 0]))]);
        assert_eq!(v(&t, 0), s4([0, 1, 8, 0]));
        assert!(qc(&t), "5 - 6 saturates at 0");
    }

    fn halving_and_rounding_halving(t) {
        exec(&mut t, &a64!(
            ; shadd v0.b8, v1.b8, v2.b8
            ; urhadd v3.b8, v1.b8, v2.b8
            ; uhsub v4.b8, v2.b8, v1.b8
        ), &[(1, 0x80_ff), (2, 0x80_02)]);
        // SHADD: (-1 + 2) >> 1 = 0, (-128 + -128) >> 1 = -128.
        assert_eq!(v(&t, 0) & 0xffff, 0x80_00);
        // URHADD: (255 + 2 + 1) >> 1 = 129, (128 + 128 + 1) >> 1 = 128.
        assert_eq!(v(&t, 3) & 0xffff, 0x80_81);
        // UHSUB: (2 - 255) >> 1 = -127 → 0x81.
        assert_eq!(v(&t, 4) & 0xffff, 0x00_81);
    }

    fn compares_signed_and_unsigned(t) {
        exec(&mut t, &a64!(
            ; cmgt v0.b8, v1.b8, v2.b8
            ; cmhi v3.b8, v1.b8, v2.b8
            ; cmeq v4.d2, v1.d2, v2.d2
            ; cmtst v5.b8, v1.b8, v2.b8
            ; cmge v6.b8, v1.b8, v2.b8
            ; cmhs v7.b8, v1.b8, v2.b8
        ), &[(1, 0x01_ff), (2, 0x01_01)]);
        assert_eq!(v(&t, 0) & 0xffff, 0x0000, "-1 > 1 is false signed");
        assert_eq!(v(&t, 3) & 0xffff, 0x00ff, "255 > 1 unsigned");
        assert_eq!(v(&t, 4), d2(0, u64::MAX));
        assert_eq!(v(&t, 5) & 0xffff, 0xffff);
        assert_eq!(v(&t, 6) & 0xffff, 0xff00);
        assert_eq!(v(&t, 7) >> 16, 0xffff_ffff_ffff, "0 >= 0 in the upper lanes");
    }

    fn register_shifts_sshl_srshl_uqrshl(t) {
        exec(&mut t, &a64!(
            ; sshl v0.s4, v1.s4, v2.s4
            ; srshl v3.s4, v1.s4, v2.s4
            ; ushl v4.s4, v1.s4, v2.s4
        ), &[(1, s4([0x8000_0001, 5, 1, 0xffff_ffff])), (2, s4([0xff, 0xfe, 32, 0xe0]))]);
        // Shift counts are the signed low byte: -1, -2, 32, -32.
        assert_eq!(v(&t, 0), s4([0xc000_0000, 1, 0, 0xffff_ffff]));
        assert_eq!(v(&t, 3), s4([0xc000_0001, 1, 0, 0]));
        assert_eq!(v(&t, 4), s4([0x4000_0000, 1, 0, 0]));
        exec(&mut t, &a64!(; uqrshl v5.h8, v1.h8, v2.h8), &[(1, h8([0x8000, 3, 0, 0, 0, 0, 0, 0])), (2, h8([1, 0xffff, 0, 0, 0, 0, 0, 0]))]);
        assert_eq!(v(&t, 5), h8([0xffff, 2, 0, 0, 0, 0, 0, 0]));
        assert!(qc(&t));
    }

    fn sqshl_register_saturates_signed(t) {
        exec(&mut t, &a64!(; sqshl v0.b16, v1.b16, v2.b16), &[(1, 0x40_c0), (2, 0x01_02)]);
        // 0xc0 (-64) << 2 = -256 → -128; 0x40 (64) << 1 = 128 → 127.
        assert_eq!(v(&t, 0) & 0xffff, 0x7f_80);
        assert!(qc(&t));
    }

    fn max_min_abd_aba(t) {
        exec(&mut t, &a64!(
            ; smax v0.b8, v1.b8, v2.b8
            ; umin v3.b8, v1.b8, v2.b8
            ; sabd v4.b8, v1.b8, v2.b8
            ; uaba v5.b8, v1.b8, v2.b8
        ), &[(1, 0x05_80), (2, 0x07_7f), (5, 0x10_10)]);
        assert_eq!(v(&t, 0) & 0xffff, 0x07_7f);
        assert_eq!(v(&t, 3) & 0xffff, 0x05_7f);
        assert_eq!(v(&t, 4) & 0xffff, 0x02_ff, "|-128 - 127| = 255");
        assert_eq!(v(&t, 5) & 0xffff, 0x12_11);
    }

    fn pairwise_addp_smaxp_uminp(t) {
        exec(&mut t, &a64!(
            ; addp v0.s4, v1.s4, v2.s4
            ; smaxp v3.h4, v1.h4, v2.h4
            ; addp d4, v1.d2
        ), &[(1, s4([1, 2, 3, 4])), (2, s4([10, 20, 0xffff_ffff, 1]))]);
        assert_eq!(v(&t, 0), s4([3, 7, 30, 0]));
        // H lanes of v1 low half: 1, 0, 2, 0; v2: 10, 0, 20, 0.
        assert_eq!(v(&t, 3), 0x0014_000a_0002_0001);
        assert_eq!(v(&t, 4), (2 + 4) << 32 | (1 + 3));
    }

    fn mul_mla_mls_pmul(t) {
        exec(&mut t, &a64!(
            ; mul v0.h8, v1.h8, v2.h8
            ; mla v3.s4, v1.s4, v2.s4
            ; mls v4.b16, v1.b16, v2.b16
            ; pmul v5.b16, v1.b16, v2.b16
        ), &[(1, h8([0x100, 3, 0, 0, 0, 0, 0, 0])), (2, h8([0x100, 0xffff, 0, 0, 0, 0, 0, 0])), (3, s4([1, 1, 1, 1])), (4, 0x05)]);
        assert_eq!(v(&t, 0), h8([0, 0xfffd, 0, 0, 0, 0, 0, 0]));
        // mla S lanes: v1.s[0] = 0x0003_0100, v2.s[0] = 0xffff_0100.
        let p = 0x0003_0100u32.wrapping_mul(0xffff_0100).wrapping_add(1);
        assert_eq!(v(&t, 3) as u32, p);
        assert_eq!(v(&t, 4) & 0xff, 5, "0 * 0 subtracted from 5");
        // pmul bytes: 0x00*0x00 = 0 ; byte 1: 0x01 (x) 0x01 = 1 ; byte 2: 3 (x) 0xff.
        assert_eq!((v(&t, 5) >> 16) as u8, clmul(3, 0xff) as u8);
    }

    fn sqdmulh_and_sqrdmulh(t) {
        exec(&mut t, &a64!(
            ; sqdmulh v0.h8, v1.h8, v2.h8
            ; sqrdmulh v3.s4, v4.s4, v5.s4
        ), &[(1, h8([0x8000, 0x4000, 0x0003, 0, 0, 0, 0, 0])), (2, h8([0x8000, 0x4000, 0x4000, 0, 0, 0, 0, 0])), (4, s4([0x4000_0000, 1, 0, 0])), (5, s4([0x0000_0003, 0x4000_0000, 0, 0]))]);
        // (-1) * (-1) doubled overflows Q15: saturates to 0x7fff with QC.
        assert_eq!(v(&t, 0), h8([0x7fff, 0x2000, 0x0001, 0, 0, 0, 0, 0]));
        assert!(qc(&t));
        // 2 * 0x4000_0000 * 3 >> 32 = 1.5 → rounds to 2; 2 * 1 * 2^30 + 2^31 >> 32 = 1.
        assert_eq!(v(&t, 3), s4([2, 1, 0, 0]));
    }

    fn bitwise_logic_and_selects(t) {
        let (a, b, d) = (0xff00_ff00u128, 0x0ff0_0ff0u128, 0xf0f0_f0f0u128);
        exec(&mut t, &a64!(
            ; and v0.b16, v1.b16, v2.b16
            ; bic v3.b16, v1.b16, v2.b16
            ; orn v4.b8, v1.b8, v2.b8
            ; eor v5.b16, v1.b16, v2.b16
            ; bsl v6.b16, v1.b16, v2.b16
            ; bit v7.b16, v1.b16, v2.b16
            ; bif v8.b16, v1.b16, v2.b16
        ), &[(1, a), (2, b), (6, d), (7, d), (8, d)]);
        assert_eq!(v(&t, 0), a & b);
        assert_eq!(v(&t, 3), a & !b);
        assert_eq!(v(&t, 4), (a | !b) & u64::MAX as u128);
        assert_eq!(v(&t, 5), a ^ b);
        assert_eq!(v(&t, 6), (d & a) | (!d & b));
        assert_eq!(v(&t, 7), (b & a) | (!b & d));
        assert_eq!(v(&t, 8), (!b & a) | (b & d));
    }

    fn shift_right_immediates_at_the_edges(t) {
        exec(&mut t, &a64!(
            ; sshr v0.d2, v1.d2, 64
            ; ushr v2.d2, v1.d2, 64
            ; srshr v3.s4, v4.s4, 1
            ; usra v5.b8, v6.b8, 4
            ; ursra v7.h4, v8.h4, 16
        ), &[(1, d2(1 << 63, 5)), (4, s4([3, 0xffff_fffd, 0, 0])), (5, 0x0101), (6, 0xf0f0), (7, 1), (8, 0x8000)]);
        assert_eq!(v(&t, 0), d2(u64::MAX, 0));
        assert_eq!(v(&t, 2), 0);
        // SRSHR #1: (3 + 1) >> 1 = 2, (-3 + 1) >> 1 = -1.
        assert_eq!(v(&t, 3), s4([2, 0xffff_ffff, 0, 0]));
        assert_eq!(v(&t, 5), 0x1010);
        // URSRA #16 of 0x8000: (0x8000 + 0x8000) >> 16 = 1, plus 1.
        assert_eq!(v(&t, 7), 2);
    }

    fn sri_sli_shl_insert_bits(t) {
        exec(&mut t, &a64!(
            ; sri v0.b8, v1.b8, 3
            ; sli v2.h4, v1.h4, 4
            ; shl v3.d2, v1.d2, 63
            ; sri d4, d1, 64
        ), &[(0, 0xffff), (1, 0x00f0), (2, 0xffff), (4, 0x1234)]);
        // SRI #3: top 3 bits of the destination kept, (0xf0 >> 3) = 0x1e below.
        assert_eq!(v(&t, 0), 0xe0_fe);
        // SLI #4: low 4 bits kept (0xf), 0x00f0 << 4 = 0x0f00.
        assert_eq!(v(&t, 2), 0x0f0f);
        assert_eq!(v(&t, 3), 0);
        assert_eq!(v(&t, 4), 0x1234, "SRI #64 keeps the destination");
    }

    fn saturating_shift_left_immediates(t) {
        exec(&mut t, &a64!(
            ; sqshl v0.b16, v1.b16, 1
            ; uqshl v2.h8, v3.h8, 15
            ; sqshlu v4.s4, v5.s4, 0
        ), &[(1, 0x3f_c0), (3, 0x0001_0002), (5, s4([0x8000_0000, 7, 0, 0]))]);
        assert_eq!(v(&t, 0) & 0xffff, 0x7e_80);
        assert_eq!(v(&t, 2), 0x8000_ffff);
        assert_eq!(v(&t, 4), s4([0, 7, 0, 0]));
        assert!(qc(&t));
    }

    fn narrowing_shifts_and_q1_upper_halves(t) {
        exec(&mut t, &a64!(
            ; shrn v0.b8, v1.h8, 4
            ; rshrn2 v0.b16, v1.h8, 8
            ; sqshrn v2.h4, v3.s4, 1
            ; uqrshrn2 v2.h8, v3.s4, 16
            ; sqshrun v4.b8, v5.h8, 2
        ), &[(1, h8([0x1234, 0x0080, 0x0180, 0, 0, 0, 0, 0xffff])), (2, u128::MAX), (3, s4([0xffff_fff0, 0x0002_0000, 0x1_8000, 0x7fff_ffff])), (5, h8([0xfff0, 0x0100, 0x7fff, 0, 0, 0, 0, 0]))]);
        assert_eq!(v(&t, 0) as u64, u64::from_le_bytes([0x23, 0x08, 0x18, 0, 0, 0, 0, 0xff]));
        // RSHRN2 #8: (x + 0x80) >> 8 into the top half; 0x0080 rounds up to 1.
        assert_eq!((v(&t, 0) >> 64) as u64, u64::from_le_bytes([0x12, 0x01, 0x02, 0, 0, 0, 0, 0x00]));
        // SQSHRN #1: -16 >> 1 = -8; 0x20000 >> 1 = 0x10000 saturates to 0x7fff.
        assert_eq!(v(&t, 2) as u64, 0x7fff_7fff_7fff_fff8);
        // UQRSHRN2 #16: rounding gives 0xffff+..., 0x2, 0x2, 0x8000.
        assert_eq!((v(&t, 2) >> 64) as u64, 0x8000_0002_0002_ffff);
        // SQSHRUN #2: negative → 0, 0x100 >> 2 = 0x40, 0x7fff >> 2 = 0x1fff → 0xff.
        assert_eq!(v(&t, 4), 0xff_40_00);
        assert!(qc(&t));
    }

    fn widening_shifts(t) {
        exec(&mut t, &a64!(
            ; sshll v0.h8, v1.b8, 2
            ; ushll2 v2.s4, v1.h8, 0
            ; sxtl v3.d2, v1.s2
        ), &[(1, d2(0x0000_0000_8000_00ff, 0x0001_0002_0003_8004))]);
        assert_eq!(v(&t, 0), h8([0xfffc, 0, 0, 0xfe00, 0, 0, 0, 0]));
        assert_eq!(v(&t, 2), s4([0x8004, 3, 2, 1]));
        assert_eq!(v(&t, 3), d2(0xffff_ffff_8000_00ff, 0));
    }

    fn long_wide_and_high_narrowing(t) {
        exec(&mut t, &a64!(
            ; saddl v0.h8, v1.b8, v2.b8
            ; uaddl2 v3.s4, v1.h8, v2.h8
            ; ssubw v4.s4, v5.s4, v2.h4
            ; addhn v6.b8, v1.h8, v2.h8
            ; raddhn2 v6.b16, v1.h8, v2.h8
            ; sabdl v7.d2, v1.s2, v2.s2
        ), &[(1, d2(0x80ff, 0xffff_0000_0000_0000)), (2, d2(0x8001, 0x0001_0000_0000_0000)), (5, s4([0, 0, 0, 0]))]);
        assert_eq!(v(&t, 0), h8([0, 0xff00, 0, 0, 0, 0, 0, 0]));
        assert_eq!(v(&t, 3), s4([0, 0, 0, 0x10000]));
        assert_eq!(v(&t, 4), s4([0x7fff, 0, 0, 0]), "0 - SInt(0x8001) = 32767");
        // ADDHN: (0x80ff + 0x8001) = 0x10100 → high byte of the 16-bit sum 0x01.
        assert_eq!(v(&t, 6) & 0xff, 0x01);
        assert_eq!(v(&t, 7), d2(0xfe, 0));
    }

    fn smlal_umlsl_sqdmull_sqdmlal(t) {
        exec(&mut t, &a64!(
            ; smlal v0.s4, v1.h4, v2.h4
            ; umlsl v3.d2, v4.s2, v5.s2
            ; sqdmull v6.s4, v1.h4, v2.h4
        ), &[(0, s4([10, 0, 0, 0])), (1, h8([0xffff, 0x8000, 0, 0, 0, 0, 0, 0])), (2, h8([3, 0x8000, 0, 0, 0, 0, 0, 0])), (3, d2(0, 5)), (4, 2), (5, 3)]);
        assert_eq!(v(&t, 0), s4([7, 0x4000_0000, 0, 0]));
        assert_eq!(v(&t, 3), d2(u64::MAX - 5, 5));
        assert_eq!(v(&t, 6), s4([0xffff_fffa, 0x7fff_ffff, 0, 0]));
        assert!(qc(&t));
    }

    fn pmull_8_and_64_bit_against_carry_less_multiply(t) {
        let (a, b) = (0x8765_4321_0fed_cba9u64, 0xf0e1_d2c3_b4a5_9687u64);
        let (a2, b2) = (0x0123_4567_89ab_cdefu64, 0xfedc_ba98_7654_3210u64);
        exec(&mut t, &a64!(
            ; pmull v0.q1, v1.d1, v2.d1
            ; pmull2 v3.q1, v1.d2, v2.d2
            ; pmull v4.h8, v1.b8, v2.b8
        ), &[(1, d2(a, a2)), (2, d2(b, b2))]);
        assert_eq!(v(&t, 0), clmul(a, b));
        assert_eq!(v(&t, 3), clmul(a2, b2));
        let want = (0..8).fold(0u128, |r, e| {
            let p = clmul(a >> (8 * e) & 0xff, b >> (8 * e) & 0xff);
            r | p << (16 * e)
        });
        assert_eq!(v(&t, 4), want);
    }

    fn two_register_misc_bit_ops(t) {
        exec(&mut t, &a64!(
            ; rev16 v0.b16, v1.b16
            ; rev32 v2.h8, v1.h8
            ; rev64 v3.s4, v1.s4
            ; cnt v4.b8, v1.b8
            ; not v5.b16, v1.b16
            ; rbit v6.b8, v1.b8
            ; cls v7.h8, v8.h8
            ; clz v9.s4, v8.s4
        ), &[(1, 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100), (8, s4([0xffff_0001, 0x0000_8000, 0, 0x0001_0000]))]);
        assert_eq!(v(&t, 0), 0x0e0f_0c0d_0a0b_0809_0607_0405_0203_0001);
        assert_eq!(v(&t, 2), 0x0d0c_0f0e_0908_0b0a_0504_0706_0100_0302);
        assert_eq!(v(&t, 3), 0x0b0a_0908_0f0e_0d0c_0302_0100_0706_0504);
        assert_eq!(v(&t, 4), 0x0302_0201_0201_0100);
        assert_eq!(v(&t, 5), !0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100u128);
        assert_eq!(v(&t, 6), 0xe060_a020_c040_8000);
        // CLS H lanes: 0x0001 → 14, 0xffff → 15, 0x8000 → 0, 0 → 15, 0, 0 → 15, 0 → 15, 1 → 14.
        assert_eq!(v(&t, 7), h8([14, 15, 0, 15, 15, 15, 15, 14]));
        assert_eq!(v(&t, 9), s4([0, 16, 32, 15]));
    }

    fn two_register_misc_arithmetic(t) {
        exec(&mut t, &a64!(
            ; abs v0.b8, v1.b8
            ; neg v2.h4, v3.h4
            ; sqabs v4.b8, v1.b8
            ; sqneg v5.b8, v1.b8
            ; cmlt v6.b8, v1.b8, 0
            ; cmge v7.b8, v1.b8, 0
            ; cmeq v8.b8, v1.b8, 0
            ; saddlp v9.h4, v1.b8
            ; uadalp v10.s2, v3.h4
        ), &[(1, 0x00_80_ff_05), (3, 0x0001_8000), (10, s4([1, 0, 0, 0]))]);
        assert_eq!(v(&t, 0), 0x00_80_01_05);
        assert_eq!(v(&t, 2), 0xffff_8000);
        assert_eq!(v(&t, 4), 0x00_7f_01_05);
        // SQNEG: -(-128) saturates to 127, -(-1) = 1, -5 = 0xfb.
        assert_eq!(v(&t, 5), 0x00_7f_01_fb);
        assert!(qc(&t));
        assert_eq!(v(&t, 6), 0x00_ff_ff_00);
        assert_eq!(v(&t, 7), 0xffff_ffff_ff00_00ff);
        assert_eq!(v(&t, 8), 0xffff_ffff_ff00_0000);
        assert_eq!(v(&t, 9), h8([0x0004, 0xff80, 0, 0, 0, 0, 0, 0]) & u64::MAX as u128);
        assert_eq!(v(&t, 10), s4([0x8002, 0, 0, 0]));
    }

    fn extract_narrow_family(t) {
        exec(&mut t, &a64!(
            ; xtn v0.b8, v1.h8
            ; xtn2 v0.b16, v2.h8
            ; sqxtn v3.h4, v4.s4
            ; uqxtn v5.b8, v1.h8
            ; sqxtun v6.h4, v4.s4
            ; shll v7.s4, v8.h4, 16
        ), &[(1, h8([0x1234, 0x00ff, 0x0100, 0, 0, 0, 0, 0])), (2, h8([0xabcd, 0, 0, 0, 0, 0, 0, 0x1])), (4, s4([0xffff_8000, 0xffff_7fff, 0x7fff, 0x1_0000])), (8, 0x0001_ffff)]);
        assert_eq!(v(&t, 0), d2(0x00_00_ff_34, 0x01_00_00_00_00_00_00_cd));
        assert_eq!(v(&t, 3), 0x7fff_7fff_8000_8000);
        assert_eq!(v(&t, 5), 0x00_ff_ff_ff);
        assert_eq!(v(&t, 6), 0xffff_7fff_0000_0000);
        assert_eq!(v(&t, 7), s4([0xffff_0000, 0x0001_0000, 0, 0]));
        assert!(qc(&t));
    }

    fn suqadd_usqadd(t) {
        exec(&mut t, &a64!(; suqadd v0.b8, v1.b8 ; usqadd v2.b8, v3.b8),
            &[(0, 0x7f_f0), (1, 0x01_20), (2, 0x05_f0), (3, 0xf0_20)]);
        assert_eq!(v(&t, 0), 0x7f_10);
        assert_eq!(v(&t, 2), 0x00_ff);
        assert!(qc(&t));
    }

    fn reductions_across_lanes(t) {
        exec(&mut t, &a64!(
            ; addv b0, v1.b16
            ; saddlv h2, v1.b8
            ; umaxv s3, v4.s4
            ; sminv h5, v6.h8
            ; uaddlv d7, v4.s4
        ), &[(0, u128::MAX), (1, u128::from_le_bytes([0xff; 16])), (4, s4([1, 0xffff_fffe, 7, 3])), (6, h8([5, 0x8000, 3, 0, 0, 0, 0, 0x7fff]))]);
        assert_eq!(v(&t, 0), 0xf0);
        assert_eq!(v(&t, 2), 0xfff8);
        assert_eq!(v(&t, 3), 0xffff_fffe);
        assert_eq!(v(&t, 5), 0x8000);
        assert_eq!(v(&t, 7), 0x1_0000_0009);
    }

    fn by_element_multiplies(t) {
        exec(&mut t, &a64!(
            ; mul v0.s4, v1.s4, v2.s[3]
            ; mla v3.h8, v1.h8, v15.h[7]
            ; smull2 v4.d2, v1.s4, v2.s[0]
            ; sqdmulh v5.h4, v6.h4, v15.h[7]
            ; umlsl v7.s4, v1.h4, v2.h[1]
        ), &[(1, s4([1, 2, 3, 0xffff_ffff])), (2, s4([0xffff_fffe, 0, 0, 5])), (15, h8([0, 0, 0, 0, 0, 0, 0, 0x8000])), (6, h8([0x8000, 1, 0, 0, 0, 0, 0, 0])), (7, s4([10, 10, 10, 10]))]);
        assert_eq!(v(&t, 0), s4([5, 10, 15, 0xffff_fffb]));
        // MLA by 0x8000: odd products land in bit 15.
        assert_eq!(v(&t, 3), h8([0x8000, 0, 0, 0, 0x8000, 0, 0x8000, 0x8000]));
        assert_eq!(v(&t, 4), d2(0xffff_ffff_ffff_fffa, 2));
        assert_eq!(v(&t, 5), h8([0x7fff, 0xffff, 0, 0, 0, 0, 0, 0]) & u64::MAX as u128);
        assert!(qc(&t));
        // UMLSL by h[1] of v2 (0xffff): 10 - 1*0xffff, 10 - 0*.., 10 - 2*0xffff, 10.
        assert_eq!(v(&t, 7), s4([10u32.wrapping_sub(0xffff), 10, 10u32.wrapping_sub(0x1fffe), 10]));
    }

    fn scalar_three_same_and_shifts(t) {
        exec(&mut t, &a64!(
            ; add d0, d1, d2
            ; cmeq d3, d1, d1
            ; sqadd b4, b5, b6
            ; ushl d7, d1, d8
            ; sshr d9, d1, 1
            ; sqrshrn h10, s11, 4
            ; uqsub s12, s13, s14
        ), &[(1, d2(u64::MAX, 0x55)), (2, d2(2, 0x66)), (5, 0x7f), (6, 0x01), (8, 0xff), (11, 0x0010_0008), (13, 0), (14, 1)]);
        assert_eq!(v(&t, 0), 1, "scalar ADD ignores and clears the top half");
        assert_eq!(v(&t, 3), u64::MAX as u128);
        assert_eq!(v(&t, 4), 0x7f);
        assert_eq!(v(&t, 7), 0x7fff_ffff_ffff_ffff);
        assert_eq!(v(&t, 9), u64::MAX as u128);
        assert_eq!(v(&t, 10), 0x7fff);
        assert_eq!(v(&t, 12), 0);
        assert!(qc(&t));
    }

    fn scalar_misc_long_and_by_element(t) {
        exec(&mut t, &a64!(
            ; sqabs b0, b1
            ; neg d2, d3
            ; cmgt d4, d3, 0
            ; sqxtn b5, h6
            ; sqdmull s7, h8, h9
            ; sqdmulh s10, s11, v12.s[2]
            ; sqdmlal d13, s14, v15.s[1]
        ), &[(1, 0x80), (3, 5), (6, 0x0100), (8, 0x4000), (9, 0x4000), (11, 0x4000_0000), (12, s4([0, 0, 0x4000_0000, 0])), (13, 1), (14, 2), (15, s4([0, 3, 0, 0]))]);
        assert_eq!(v(&t, 0), 0x7f);
        assert_eq!(v(&t, 2), (-5i64) as u64 as u128);
        assert_eq!(v(&t, 4), u64::MAX as u128);
        assert_eq!(v(&t, 5), 0x7f);
        assert_eq!(v(&t, 7), 0x2000_0000);
        assert_eq!(v(&t, 10), 0x2000_0000);
        assert_eq!(v(&t, 13), 13);
        assert_eq!(t.cpu.s.fpsr, FPSR_QC);
    }

    fn reserved_arithmetic_encodings_are_undefined(t) {
        // ADD with size = 11 and Q = 0 (1D).
        assert_undefined(&mut t, 0x0ee0_8400);
        // SHADD with 64-bit lanes.
        assert_undefined(&mut t, 0x4ee0_0400);
        // PMUL with size = 01.
        assert_undefined(&mut t, 0x2e60_9c00);
        // SADDL with size = 11.
        assert_undefined(&mut t, 0x0ee0_0000);
        // ADDV of 2S.
        assert_undefined(&mut t, 0x0eb1_b800);
        // SHL immediate to 1D (immh = 1xxx, Q = 0).
        assert_undefined(&mut t, 0x0f40_5400);
        // MUL by element with size = 00.
        assert_undefined(&mut t, 0x0f00_8000);
        // Scalar ADD with size = 10.
        assert_undefined(&mut t, 0x5ea0_8400);
    }
}
