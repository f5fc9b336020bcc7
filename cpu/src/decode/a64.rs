//! The A64 encoding table: one row per encoding class of the Arm ARM's "A64 Instruction Set
//! Encoding" (C4.1), with the handler that executes it.
//!
//! Patterns read most significant bit first; `0`/`1` are fixed bits, letters are fields
//! (named as in the Arm ARM where it helps: `s` sf, `o` op, `S` set flags, `i` immediate,
//! `n` Rn, `d` Rd, `t` Rt, `m` Rm, `a` Ra/Rt2). `_` only groups bits for the eye.
//! Encodings that fall in no row are unallocated and UNDEFINED.

use super::{pattern_mask, pattern_value, Encoding};
use crate::interp::*;

macro_rules! encodings {
    ($($name:literal $pat:literal $exec:path $(, $ends:ident)?;)*) => {
        &[$(Encoding {
            name: $name,
            mask: pattern_mask($pat),
            value: pattern_value($pat),
            exec: $exec,
            ends_block: encodings!(@ends $($ends)?),
        },)*]
    };
    (@ends) => { false };
    (@ends END) => { true };
}

/// Rows marked `END` end a decoded block: they may branch, change the translation regime
/// or exception level, synchronise context, or wait.
pub static A64: &[Encoding] = encodings! {
    // ── Data processing — immediate (C4.1.86) ──────────────────────────────────────────
    "ADR/ADRP"               "oii1_0000_iiii_iiii_iiii_iiii_iiid_dddd" dp_imm::pc_rel;
    "ADD/SUB (immediate)"    "soS1_0001_0hii_iiii_iiii_iinn_nnnd_dddd" dp_imm::add_sub_imm;
    "logical (immediate)"    "soo1_0010_0Nrr_rrrr_ssss_ssnn_nnnd_dddd" dp_imm::logical_imm;
    "move wide (immediate)"  "soo1_0010_1hhi_iiii_iiii_iiii_iiid_dddd" dp_imm::move_wide;
    "bitfield"               "soo1_0011_0Nrr_rrrr_ssss_ssnn_nnnd_dddd" dp_imm::bitfield;
    "EXTR"                   "s001_0011_1N0m_mmmm_ssss_ssnn_nnnd_dddd" dp_imm::extract;

    // ── Branches, exception generating and system (C4.1.87) ────────────────────────────
    "B/BL"                   "o001_01ii_iiii_iiii_iiii_iiii_iiii_iiii" branch::b_imm, END;
    "CBZ/CBNZ"               "s011_010o_iiii_iiii_iiii_iiii_iiit_tttt" branch::cbz, END;
    "TBZ/TBNZ"               "b011_011o_bbbb_biii_iiii_iiii_iiit_tttt" branch::tbz, END;
    "B.cond"                 "0101_0100_iiii_iiii_iiii_iiii_iii0_cccc" branch::b_cond, END;
    "BR"                     "1101_0110_0001_1111_0000_00nn_nnn0_0000" branch::br, END;
    "BLR"                    "1101_0110_0011_1111_0000_00nn_nnn0_0000" branch::blr, END;
    "RET"                    "1101_0110_0101_1111_0000_00nn_nnn0_0000" branch::ret, END;
    "ERET"                   "1101_0110_1001_1111_0000_0011_1110_0000" system::eret, END;
    "SVC"                    "1101_0100_000i_iiii_iiii_iiii_iii0_0001" exception_gen::svc, END;
    "HVC"                    "1101_0100_000i_iiii_iiii_iiii_iii0_0010" exception_gen::hvc, END;
    "SMC"                    "1101_0100_000i_iiii_iiii_iiii_iii0_0011" exception_gen::smc, END;
    "BRK"                    "1101_0100_001i_iiii_iiii_iiii_iii0_0000" exception_gen::brk, END;
    "HLT"                    "1101_0100_010i_iiii_iiii_iiii_iii0_0000" exception_gen::hlt, END;
    "hints"                  "1101_0101_0000_0011_0010_mmmm_ooo1_1111" system::hint, END;
    "CLREX"                  "1101_0101_0000_0011_0011_mmmm_0101_1111" system::clrex;
    "DSB"                    "1101_0101_0000_0011_0011_mmmm_1001_1111" system::barrier;
    "DMB"                    "1101_0101_0000_0011_0011_mmmm_1011_1111" system::barrier;
    "ISB"                    "1101_0101_0000_0011_0011_mmmm_1101_1111" system::barrier, END;
    "MSR (immediate)"        "1101_0101_0000_0ooo_0100_mmmm_ooo1_1111" system::msr_imm, END;
    "SYS"                    "1101_0101_0000_1ooo_nnnn_mmmm_ooot_tttt" system::sys, END;
    "SYSL"                   "1101_0101_0010_1ooo_nnnn_mmmm_ooot_tttt" system::sysl, END;
    "MSR (register)"         "1101_0101_0001_oooo_nnnn_mmmm_ooot_tttt" system::msr_reg, END;
    "MRS"                    "1101_0101_0011_oooo_nnnn_mmmm_ooot_tttt" system::mrs;

    // ── Loads and stores (C4.1.88) ─────────────────────────────────────────────────────
    "load/store exclusive"   "zz00_1000_oLos_ssss_oaaa_aann_nnnt_tttt" load_store_exclusive::exec;
    "load register (literal)" "oo01_1V00_iiii_iiii_iiii_iiii_iiit_tttt" load_store_literal::exec;
    "load/store pair"        "oo10_1V0k_kLii_iiii_iaaa_aann_nnnt_tttt" load_store_pair::exec;
    "load/store register (immediate)" "zz11_1V00_oo0i_iiii_iiii_kknn_nnnt_tttt" load_store_register_imm::exec;
    "load/store register (register offset)" "zz11_1V00_oo1m_mmmm_xxxS_10nn_nnnt_tttt" load_store_register_offset::exec;
    "load/store register (unsigned immediate)" "zz11_1V01_ooii_iiii_iiii_iinn_nnnt_tttt" load_store_register_imm::unsigned_offset;
    "AdvSIMD load/store multiple structures" "0q00_1100_0L00_0000_oooo_zznn_nnnt_tttt" simd_load_store_multiple::exec;
    "AdvSIMD load/store multiple structures (post-index)" "0q00_1100_1L0m_mmmm_oooo_zznn_nnnt_tttt" simd_load_store_multiple::post_index;
    "AdvSIMD load/store single structure" "0q00_1101_0LR0_0000_oooS_zznn_nnnt_tttt" simd_load_store_single::exec;
    "AdvSIMD load/store single structure (post-index)" "0q00_1101_1LRm_mmmm_oooS_zznn_nnnt_tttt" simd_load_store_single::post_index;

    // ── Data processing — register (C4.1.89) ───────────────────────────────────────────
    "logical (shifted register)" "soo0_1010_hhNm_mmmm_iiii_iinn_nnnd_dddd" dp_reg::logical_shifted;
    "ADD/SUB (shifted register)" "soS0_1011_hh0m_mmmm_iiii_iinn_nnnd_dddd" dp_reg::add_sub_shifted;
    "ADD/SUB (extended register)" "soS0_1011_oo1m_mmmm_xxxi_iinn_nnnd_dddd" dp_reg::add_sub_extended;
    "ADC/SBC"                "soS1_1010_000m_mmmm_0000_00nn_nnnd_dddd" dp_reg::adc_sbc;
    "CCMN/CCMP (register)"   "soS1_1010_010m_mmmm_cccc_00nn_nnn0_ffff" dp_reg::cond_compare;
    "CCMN/CCMP (immediate)"  "soS1_1010_010i_iiii_cccc_10nn_nnn0_ffff" dp_reg::cond_compare;
    "conditional select"     "soS1_1010_100m_mmmm_cccc_oonn_nnnd_dddd" dp_reg::cond_select;
    "data processing (1 source)" "s1S1_1010_110o_oooo_oooo_oonn_nnnd_dddd" dp_reg::dp_1src;
    "data processing (2 source)" "s0S1_1010_110m_mmmm_oooo_oonn_nnnd_dddd" dp_reg::dp_2src;
    "data processing (3 source)" "soo1_1011_ooom_mmmm_oaaa_aann_nnnd_dddd" dp_reg::dp_3src;

    // ── Scalar floating-point (C4.1.90) ────────────────────────────────────────────────
    // M and S (bits 31, 29) are 0 in every allocated form; `t` is ptype. The groups with
    // bit 21 set differ in where the lowest set bit of bits 15:10 lies. FMOV (immediate)'s
    // imm5 `z` must be zero: its handler makes other values UNDEFINED.
    "FP conversion (fixed-point)" "s001_1110_tt0r_rooo_ssss_ssnn_nnnd_dddd" floating_point_conversion_fixed::exec;
    "FP conversion (integer)" "s001_1110_tt1r_rooo_0000_00nn_nnnd_dddd" floating_point_conversion_integer::exec;
    "FP data-processing (1 source)" "0001_1110_tt1o_oooo_o100_00nn_nnnd_dddd" floating_point_data_processing_1::exec;
    "FP compare"             "0001_1110_tt1m_mmmm_oo10_00nn_nnno_oooo" floating_point_compare::exec;
    "FP immediate"           "0001_1110_tt1i_iiii_iii1_00zz_zzzd_dddd" floating_point_immediate::exec;
    "FP conditional compare" "0001_1110_tt1m_mmmm_cccc_01nn_nnno_ffff" floating_point_conditional_compare::exec;
    "FP data-processing (2 source)" "0001_1110_tt1m_mmmm_oooo_10nn_nnnd_dddd" floating_point_data_processing_2::exec;
    "FP conditional select"  "0001_1110_tt1m_mmmm_cccc_11nn_nnnd_dddd" floating_point_conditional_select::exec;
    "FP data-processing (3 source)" "0001_1111_ttom_mmmm_oaaa_aann_nnnd_dddd" floating_point_data_processing_3::exec;

    // ── Advanced SIMD (C4.1.90) ─────────────────────────────────────────────────────────
    // Vector forms have bit 31 clear, scalar forms bits 31:30 = 01. The floating-point
    // opcodes inside these groups go from their handlers to simd_fp_arith/simd_fp_misc.
    // Half-precision arithmetic (FEAT_FP16, v8.2) has groups of its own: UNDEFINED here.
    "AdvSIMD three same (FP16)" "0qU0_1110_a10m_mmmm_00oo_o1nn_nnnd_dddd" unallocated;
    "AdvSIMD two-register miscellaneous (FP16)" "0qU0_1110_a111_100o_oooo_10nn_nnnd_dddd" unallocated;
    "AdvSIMD scalar three same (FP16)" "01U1_1110_a10m_mmmm_00oo_o1nn_nnnd_dddd" unallocated;
    "AdvSIMD scalar two-register miscellaneous (FP16)" "01U1_1110_a111_100o_oooo_10nn_nnnd_dddd" unallocated;
    "AdvSIMD table lookup"   "0q00_1110_zz0m_mmmm_0llx_00nn_nnnd_dddd" simd_table_lookup::exec;
    "AdvSIMD permute"        "0q00_1110_zz0m_mmmm_0ooo_10nn_nnnd_dddd" simd_permute::exec;
    "AdvSIMD extract"        "0q10_1110_zz0m_mmmm_0iii_i0nn_nnnd_dddd" simd_extract::exec;
    "AdvSIMD copy"           "0qo0_1110_000i_iiii_0iii_i1nn_nnnd_dddd" simd_copy::exec;
    "AdvSIMD three same"     "0qU0_1110_zz1m_mmmm_oooo_o1nn_nnnd_dddd" simd_three_same::exec;
    "AdvSIMD three different" "0qU0_1110_zz1m_mmmm_oooo_00nn_nnnd_dddd" simd_three_different::exec;
    "AdvSIMD two-register miscellaneous" "0qU0_1110_zz10_000o_oooo_10nn_nnnd_dddd" simd_two_register_misc::exec;
    "AdvSIMD across lanes"   "0qU0_1110_zz11_000o_oooo_10nn_nnnd_dddd" simd_across_lanes::exec;
    "AdvSIMD vector x indexed element" "0qU0_1111_zzLM_mmmm_oooo_H0nn_nnnd_dddd" simd_vector_x_indexed_element::exec;
    "AdvSIMD modified immediate" "0qo0_1111_0000_0iii_cccc_o1ii_iiid_dddd" simd_modified_immediate::exec;
    "AdvSIMD shift by immediate" "0qU0_1111_0hhh_hbbb_oooo_o1nn_nnnd_dddd" simd_shift_by_immediate::exec;
    "crypto AES"             "0100_1110_zz10_100o_oooo_10nn_nnnd_dddd" crypto_aes::exec;
    "crypto three-register SHA" "0101_1110_zz0m_mmmm_0ooo_00nn_nnnd_dddd" crypto_sha::three_reg;
    "crypto two-register SHA" "0101_1110_zz10_100o_oooo_10nn_nnnd_dddd" crypto_sha::two_reg;
    "AdvSIMD scalar shift by immediate" "01U1_1111_0hhh_hbbb_oooo_o1nn_nnnd_dddd" simd_shift_by_immediate::scalar;
    "AdvSIMD scalar three different" "01U1_1110_zz1m_mmmm_oooo_00nn_nnnd_dddd" simd_three_different::scalar;
    "AdvSIMD scalar two-register miscellaneous" "01U1_1110_zz10_000o_oooo_10nn_nnnd_dddd" simd_two_register_misc::scalar;
    "AdvSIMD scalar pairwise" "01U1_1110_zz11_000o_oooo_10nn_nnnd_dddd" simd_across_lanes::scalar_pairwise;
    "AdvSIMD scalar x indexed element" "01U1_1111_zzLM_mmmm_oooo_H0nn_nnnd_dddd" simd_vector_x_indexed_element::scalar;
    "AdvSIMD scalar copy"    "01o1_1110_000i_iiii_0iii_i1nn_nnnd_dddd" simd_copy::scalar;
    "AdvSIMD scalar three same" "01U1_1110_zz1m_mmmm_oooo_o1nn_nnnd_dddd" simd_three_same::scalar;
    // ── end of Advanced SIMD ────────────────────────────────────────────────────────────

    // ── Scalar floating-point and Advanced SIMD (C4.1.90) ───────────────────────────────
    "scalar floating-point and advanced SIMD" "xxxx_111x_xxxx_xxxx_xxxx_xxxx_xxxx_xxxx" unimplemented;
};
