//! Tests of the Advanced SIMD data-movement groups: copy, permute, extract, table lookup
//! and modified immediate. Expected values follow each instruction's pseudocode (C7.2).

use super::super::simd::testing::*;
use crate::{a64, cpu_test};

/// 16 bytes 0x00, 0x01, ... 0x0f and 0x10 ... 0x1f: easy to follow lane by lane.
const A: u128 = 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100;
const B: u128 = 0x1f1e_1d1c_1b1a_1918_1716_1514_1312_1110;

cpu_test! {
    fn dup_element_and_general_in_every_lane_size(t) {
        exec(&mut t, &a64!(
            ; dup v0.b16, v1.b[5]
            ; dup v2.h4, w3
            ; dup v4.d2, x5
            ; dup v6.s4, v1.s[3]
        ), &[(1, A), (2, u128::MAX)]);
        t.set_x(3, 0);
        assert_eq!(v(&t, 0), 0x0505_0505_0505_0505_0505_0505_0505_0505);
        assert_eq!(v(&t, 6), 0x0f0e_0d0c_0f0e_0d0c_0f0e_0d0c_0f0e_0d0c);
    }

    fn dup_general_q0_zeroes_the_top(t) {
        load_simd(&mut t, &a64!(; dup v2.h4, w3 ; dup v4.d2, x5));
        set_v(&mut t, 2, u128::MAX);
        t.set_x(3, 0xdead_beef_1234);
        t.set_x(5, 0x0123_4567_89ab_cdef);
        t.run();
        assert_eq!(v(&t, 2), 0x1234_1234_1234_1234);
        assert_eq!(v(&t, 4), 0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
    }

    fn ins_umov_smov(t) {
        load_simd(&mut t, &a64!(
            ; mov v0.s[2], w1
            ; mov v0.b[15], v2.b[0]
            ; umov w3, v0.h[1]
            ; smov x4, v0.b[15]
            ; smov w5, v0.h[1]
            ; mov x6, v0.d[1]
        ));
        set_v(&mut t, 0, A);
        set_v(&mut t, 2, 0x80);
        t.set_x(1, 0xaabb_ccdd);
        t.set_x(5, u64::MAX);
        t.run();
        assert_eq!(v(&t, 0), 0x800e_0d0c_aabb_ccdd_0706_0504_0302_0100);
        assert_eq!(t.x(3), 0x0302);
        assert_eq!(t.x(4), 0xffff_ffff_ffff_ff80);
        assert_eq!(t.x(5), 0x0302, "SMOV Wd zero-extends into Xd");
        assert_eq!(t.x(6), 0x800e_0d0c_aabb_ccdd);
    }

    fn scalar_dup_element(t) {
        exec(&mut t, &a64!(; mov h5, v1.h[7]), &[(1, A), (5, u128::MAX)]);
        assert_eq!(v(&t, 5), 0x0f0e);
    }

    fn copy_reserved_encodings_are_undefined(t) {
        // DUP (general) to a 1D arrangement: imm5 = x1000 with Q = 0.
        assert_undefined(&mut t, 0x0e08_0c00);
        // UMOV Xd of a byte (Q = 1, imm5 = xxxx1).
        assert_undefined(&mut t, 0x4e01_3c00);
        // SMOV Wd of a word.
        assert_undefined(&mut t, 0x0e04_2c00);
    }

    fn zip_uzp_trn(t) {
        exec(&mut t, &a64!(
            ; zip1 v0.b16, v1.b16, v2.b16
            ; zip2 v3.h8, v1.h8, v2.h8
            ; uzp1 v4.s4, v1.s4, v2.s4
            ; uzp2 v5.b8, v1.b8, v2.b8
            ; trn1 v6.d2, v1.d2, v2.d2
            ; trn2 v7.h4, v1.h4, v2.h4
        ), &[(1, A), (2, B), (5, u128::MAX), (7, u128::MAX)]);
        assert_eq!(v(&t, 0), 0x1707_1606_1505_1404_1303_1202_1101_1000);
        assert_eq!(v(&t, 3), 0x1f1e_0f0e_1d1c_0d0c_1b1a_0b0a_1918_0908);
        assert_eq!(v(&t, 4), 0x1b1a_1918_1312_1110_0b0a_0908_0302_0100);
        // 8B: odd bytes of A's low half, then of B's; the top half is cleared.
        assert_eq!(v(&t, 5), 0x1715_1311_0705_0301);
        assert_eq!(v(&t, 6), 0x1716_1514_1312_1110_0706_0504_0302_0100);
        assert_eq!(v(&t, 7), 0x1716_0706_1312_0302);
    }

    fn ext_takes_bytes_from_the_pair(t) {
        exec(&mut t, &a64!(
            ; ext v0.b16, v1.b16, v2.b16, 3
            ; ext v3.b8, v1.b8, v2.b8, 7
        ), &[(1, A), (2, B), (3, u128::MAX)]);
        assert_eq!(v(&t, 0), 0x1211_100f_0e0d_0c0b_0a09_0807_0605_0403);
        assert_eq!(v(&t, 3), 0x1615_1413_1211_1007);
    }

    fn tbl_and_tbx_out_of_range_indices(t) {
        // Two table registers (32 bytes): 31 is in range, 32 and 255 are not.
        let idx = u128::from_le_bytes([0, 31, 32, 255, 16, 5, 40, 1, 0, 0, 0, 0, 0, 0, 0, 0x1f]);
        exec(&mut t, &a64!(
            ; tbl v0.b16, {v1.b16, v2.b16}, v3.b16
            ; tbx v4.b16, {v1.b16, v2.b16}, v3.b16
            ; tbl v5.b8, {v1.b16}, v3.b8
        ), &[(1, A), (2, B), (3, idx), (4, u128::MAX), (5, u128::MAX)]);
        let want_tbl = u128::from_le_bytes([0, 0x1f, 0, 0, 0x10, 5, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x1f]);
        assert_eq!(v(&t, 0), want_tbl);
        let want_tbx = u128::from_le_bytes([0, 0x1f, 0xff, 0xff, 0x10, 5, 0xff, 1, 0, 0, 0, 0, 0, 0, 0, 0x1f]);
        assert_eq!(v(&t, 4), want_tbx);
        // One register, 8B: index 16 and up give 0; the top half is cleared.
        assert_eq!(v(&t, 5), u64::from_le_bytes([0, 0, 0, 0, 0, 5, 0, 1]) as u128);
    }

    fn tbl_table_wraps_from_v31_to_v0(t) {
        let idx = u128::from_le_bytes([17, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        exec(&mut t, &a64!(; tbl v5.b16, {v31.b16, v0.b16}, v6.b16), &[(31, A), (0, B), (6, idx)]);
        assert_eq!(v(&t, 5) & 0xffff, 0x0211);
    }

    fn movi_mvni_orr_bic_fmov_immediates(t) {
        exec(&mut t, &a64!(
            ; movi v0.b16, 0xa5
            ; movi v1.d2, 0xff00_ff00_0000_00ff
            ; mvni v2.h4, 0x12, lsl 8
            ; orr v3.s4, 0x80, lsl 24
            ; bic v4.h8, 0xff
            ; fmov v5.s4, 1.0
            ; fmov v6.d2, -2.5
            ; movi v7.s2, 0x12, msl 16
            ; movi d8, 0xff00_0000_0000_ffff
        ), &[(2, u128::MAX), (3, 1), (4, u128::MAX), (8, u128::MAX)]);
        assert_eq!(v(&t, 0), u128::from_le_bytes([0xa5; 16]));
        assert_eq!(v(&t, 1), 0xff00_ff00_0000_00ff_ff00_ff00_0000_00ff);
        assert_eq!(v(&t, 2), 0xedff_edff_edff_edff);
        assert_eq!(v(&t, 3), 0x8000_0000_8000_0000_8000_0000_8000_0001);
        assert_eq!(v(&t, 4), 0xff00_ff00_ff00_ff00_ff00_ff00_ff00_ff00);
        assert_eq!(v(&t, 5), 0x3f80_0000_3f80_0000_3f80_0000_3f80_0000);
        assert_eq!(v(&t, 6), 0xc004_0000_0000_0000_c004_0000_0000_0000);
        assert_eq!(v(&t, 7), 0x0012_ffff_0012_ffff);
        assert_eq!(v(&t, 8), 0xff00_0000_0000_ffff);
    }
}
