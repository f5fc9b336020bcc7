//! Tests of the Advanced SIMD structure loads and stores (multiple and single structure).
//! Expected values follow the "LDST multiple/single structures" pseudocode of C7.2.

use super::super::simd::testing::*;
use crate::testing::RAM_BASE;
use crate::{a64, cpu_test};

const DATA: u64 = RAM_BASE + 0x1000;

/// Bytes 0, 1, 2, ... `len`-1 at DATA.
fn ramp(t: &mut crate::testing::TestCpu, len: usize) {
    let b: Vec<u8> = (0..len as u8).collect();
    t.write_bytes(DATA, &b);
}

cpu_test! {
    fn ld3_deinterleaves_rgb_and_post_increments(t) {
        load_simd(&mut t, &a64!(; ld3 {v0.b16, v1.b16, v2.b16}, [x0], 48));
        ramp(&mut t, 48);
        t.set_x(0, DATA);
        t.run();
        // Element e of register s comes from byte 3*e + s.
        let expect = |s: u8| bytes(core::array::from_fn(|e| 3 * e as u8 + s));
        assert_eq!(v(&t, 0), expect(0));
        assert_eq!(v(&t, 1), expect(1));
        assert_eq!(v(&t, 2), expect(2));
        assert_eq!(t.x(0), DATA + 48);
    }

    fn st3_interleaves_back(t) {
        load_simd(&mut t, &a64!(; st3 {v4.h4, v5.h4, v6.h4}, [x1]));
        set_v(&mut t, 4, 0x0003_0002_0001_0000);
        set_v(&mut t, 5, 0x0013_0012_0011_0010);
        set_v(&mut t, 6, 0x0023_0022_0021_0020);
        t.set_x(1, DATA);
        t.run();
        let got: Vec<u16> = t
            .read_bytes(DATA, 24)
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(got, [0, 0x10, 0x20, 1, 0x11, 0x21, 2, 0x12, 0x22, 3, 0x13, 0x23]);
        assert_eq!(t.x(1), DATA, "no writeback without post-index");
    }

    fn ld1_four_registers_64_bit_zeroes_upper_halves(t) {
        load_simd(&mut t, &a64!(; ld1 {v30.b8, v31.b8, v0.b8, v1.b8}, [x2], x3));
        ramp(&mut t, 32);
        for n in [30, 31, 0, 1] {
            set_v(&mut t, n, u128::MAX);
        }
        t.set_x(2, DATA);
        t.set_x(3, 0x100);
        t.run();
        // LD1 with four registers reads consecutive 8-byte blocks; the list wraps at V31.
        assert_eq!(v(&t, 30), 0x0706_0504_0302_0100);
        assert_eq!(v(&t, 31), 0x0f0e_0d0c_0b0a_0908);
        assert_eq!(v(&t, 0), 0x1716_1514_1312_1110);
        assert_eq!(v(&t, 1), 0x1f1e_1d1c_1b1a_1918);
        assert_eq!(t.x(2), DATA + 0x100, "post-index by register");
    }

    fn ld2_words_and_st4_doublewords(t) {
        load_simd(&mut t, &a64!(
            ; ld2 {v0.s4, v1.s4}, [x0]
            ; st4 {v2.d2, v3.d2, v4.d2, v5.d2}, [x1], 64
        ));
        ramp(&mut t, 32);
        for n in 2..6 {
            set_v(&mut t, n, (n as u128) << 64 | (n as u128 + 0x10));
        }
        t.set_x(0, DATA);
        t.set_x(1, DATA + 0x100);
        t.run();
        assert_eq!(v(&t, 0), 0x1b1a_1918_1312_1110_0b0a_0908_0302_0100);
        assert_eq!(v(&t, 1), 0x1f1e_1d1c_1716_1514_0f0e_0d0c_0706_0504);
        let words: Vec<u64> = (0..8).map(|k| t.read_u64(DATA + 0x100 + 8 * k)).collect();
        assert_eq!(words, [0x12, 0x13, 0x14, 0x15, 2, 3, 4, 5]);
        assert_eq!(t.x(1), DATA + 0x140);
    }

    fn ld4r_replicates_and_ld1_lane_keeps_others(t) {
        load_simd(&mut t, &a64!(
            ; ld4r {v0.h8, v1.h8, v2.h8, v3.h8}, [x0], 8
            ; ld1 {v4.s}[3], [x1]
            ; ld2r {v5.b8, v6.b8}, [x1]
        ));
        ramp(&mut t, 16);
        set_v(&mut t, 4, u128::MAX);
        set_v(&mut t, 5, u128::MAX);
        t.set_x(0, DATA);
        t.set_x(1, DATA + 4);
        t.run();
        assert_eq!(v(&t, 0), 0x0100_0100_0100_0100_0100_0100_0100_0100);
        assert_eq!(v(&t, 3), 0x0706_0706_0706_0706_0706_0706_0706_0706);
        assert_eq!(t.x(0), DATA + 8);
        assert_eq!(v(&t, 4), 0x0706_0504_ffff_ffff_ffff_ffff_ffff_ffff);
        // LD2R to 8B registers clears the upper halves.
        assert_eq!(v(&t, 5), 0x0404_0404_0404_0404);
        assert_eq!(v(&t, 6), 0x0505_0505_0505_0505);
    }

    fn st2_lane_and_ld3_lane_post_index(t) {
        load_simd(&mut t, &a64!(
            ; st2 {v0.d, v1.d}[1], [x0], 16
            ; ld3 {v2.b, v3.b, v4.b}[15], [x1], x2
        ));
        set_v(&mut t, 0, 0xaaaa << 64);
        set_v(&mut t, 1, 0xbbbb << 64);
        ramp(&mut t, 3);
        t.set_x(0, DATA + 0x40);
        t.set_x(1, DATA);
        t.set_x(2, 7);
        t.run();
        assert_eq!(t.read_u64(DATA + 0x40), 0xaaaa);
        assert_eq!(t.read_u64(DATA + 0x48), 0xbbbb);
        assert_eq!(t.x(0), DATA + 0x50);
        assert_eq!(v(&t, 2) >> 120, 0);
        assert_eq!(v(&t, 3) >> 120, 1);
        assert_eq!(v(&t, 4) >> 120, 2);
        assert_eq!(t.x(1), DATA + 7);
    }

    fn ld1_with_sp_base(t) {
        load_simd(&mut t, &a64!(; ld1 {v7.d2}, [sp], 16));
        ramp(&mut t, 16);
        t.set_x(31, DATA);
        t.run();
        assert_eq!(v(&t, 7), 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100);
        assert_eq!(t.x(31), DATA + 16);
    }

    fn reserved_structure_encodings_are_undefined(t) {
        // LD2 {v0.1d, v1.1d}: size = 11 with Q = 0 and selem > 1.
        assert_undefined(&mut t, 0x0c40_8c00);
        // LD1 (single) .h with size<0> set.
        assert_undefined(&mut t, 0x0d40_4400 | 1 << 10);
        // ST1R does not exist: opcode 110 with L = 0.
        assert_undefined(&mut t, 0x0d00_c000);
    }

    fn simd_access_traps_when_cpacr_disables_fp(t) {
        t.load(&a64!(; ld1 {v0.b16}, [x0]));
        t.set_x(0, DATA);
        t.cpu.sys.vbar_el1 = 0x4010_0000;
        let _ = t.run_limit(1);
        assert_eq!(t.cpu.sys.esr_el1 >> 26, 0x07);
        assert_eq!(t.cpu.sys.esr_el1 & 0x1ff_ffff, 0x1e0_0000);
        assert_eq!(t.cpu.s.pc, 0x4010_0200);
    }

    fn fpen_01_traps_el0_but_not_el1(t) {
        t.load(&a64!(; movi v0.b16, 1));
        t.cpu.sys.cpacr_el1 = 0b01 << 20;
        t.run_limit(1);
        assert_eq!(v(&t, 0), u128::from_le_bytes([1; 16]), "EL1 is not trapped");
        let mut t = crate::testing::TestCpu::new(t.executor);
        t.load(&a64!(; movi v0.b16, 1));
        t.cpu.sys.cpacr_el1 = 0b01 << 20;
        t.cpu.sys.vbar_el1 = 0x4010_0000;
        t.cpu.s.el = 0;
        let _ = t.run_limit(1);
        assert_eq!(t.cpu.sys.esr_el1 >> 26, 0x07);
        assert_eq!(t.cpu.s.pc, 0x4010_0400, "taken to EL1 from a lower EL");
        assert_eq!(v(&t, 0), 0);
    }
}

#[test]
fn simd_encodings_find_their_rows() {
    use crate::decode::decode;
    let name = |w: u32| decode(w).name();
    assert_eq!(name(0x4e28_4800), "crypto AES"); // aese v0.16b, v0.16b
    assert_eq!(name(0x5e00_0000), "crypto three-register SHA"); // sha1c q0, s0, v0.4s
    assert_eq!(name(0x4c40_4000), "AdvSIMD load/store multiple structures"); // ld3 {v0.16b-v2.16b}, [x0]
    assert_eq!(name(0x4f00_e400), "AdvSIMD modified immediate"); // movi v0.16b, #0
    assert_eq!(name(0x4f08_0400), "AdvSIMD shift by immediate"); // sshr v0.16b, v0.16b, #8
    assert_eq!(name(0x4e20_8400), "AdvSIMD three same"); // add v0.16b, v0.16b, v0.16b
    assert_eq!(name(0x0e20_e000), "AdvSIMD three different"); // pmull v0.8h, v0.8b, v0.8b
}
