//! The reference interpreter: one file per Arm ARM encoding group, each holding the
//! handlers that the decode table (`decode/a64.rs`) names. Shared arithmetic lives here.

pub mod branch;
pub mod crypto_aes;
pub mod crypto_sha;
pub mod dp_imm;
pub mod dp_reg;
pub mod exception_gen;
pub mod floating_point;
pub mod floating_point_compare;
pub mod floating_point_conditional_compare;
pub mod floating_point_conditional_select;
pub mod floating_point_conversion_fixed;
pub mod floating_point_conversion_integer;
pub mod floating_point_data_processing_1;
pub mod floating_point_data_processing_2;
pub mod floating_point_data_processing_3;
pub mod floating_point_immediate;
pub(crate) mod load_store;
pub mod load_store_exclusive;
pub mod load_store_literal;
pub mod load_store_pair;
pub mod load_store_register_imm;
pub mod load_store_register_offset;
pub mod simd;
pub mod simd_across_lanes;
pub mod simd_copy;
pub mod simd_extract;
pub mod simd_fp_arith;
pub mod simd_fp_misc;
pub mod simd_load_store_multiple;
pub mod simd_load_store_single;
pub mod simd_modified_immediate;
pub mod simd_permute;
pub mod simd_shift_by_immediate;
pub mod simd_table_lookup;
pub mod simd_three_different;
pub mod simd_three_same;
pub mod simd_two_register_misc;
pub mod simd_vector_x_indexed_element;
pub mod system;

use crate::cpu::Cpu;
use crate::exception::Exception;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::Mem;

/// An encoding the architecture leaves unallocated: UNDEFINED.
pub fn unallocated(_: &mut Cpu, _: &mut Mem<'_>, _: Insn) -> Flow {
    Flow::Exception(Exception::undefined())
}

/// An encoding this core does not implement: UNDEFINED to the guest, as on a core without
/// the feature (a user process gets SIGILL), logged once per encoding under `-d unimp`.
pub fn unimplemented(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    crate::log::unimplemented_once(cpu.s.pc, i.0, "unimplemented encoding");
    Flow::Exception(Exception::undefined())
}

/// The UNDEFINED outcome, for handlers that find a reserved field value.
#[inline(always)]
pub fn undefined() -> Flow {
    Flow::Exception(Exception::undefined())
}

/// AddWithCarry() of the Arm ARM (J1.1.3): the result and NZCV, for 32- or 64-bit operands.
#[inline(always)]
pub fn add_with_carry(sf: bool, x: u64, y: u64, carry: bool) -> (u64, u32) {
    if sf {
        let (r1, c1) = x.overflowing_add(y);
        let (r, c2) = r1.overflowing_add(carry as u64);
        let v = ((x ^ r) & (y ^ r)) >> 63 != 0;
        (r, nzcv(r >> 63 != 0, r == 0, c1 || c2, v))
    } else {
        let (x, y) = (x as u32, y as u32);
        let (r1, c1) = x.overflowing_add(y);
        let (r, c2) = r1.overflowing_add(carry as u32);
        let v = ((x ^ r) & (y ^ r)) >> 31 != 0;
        (r as u64, nzcv(r >> 31 != 0, r == 0, c1 || c2, v))
    }
}

/// Packs flags into the NZCV register layout.
#[inline(always)]
pub const fn nzcv(n: bool, z: bool, c: bool, v: bool) -> u32 {
    (n as u32) << 31 | (z as u32) << 30 | (c as u32) << 29 | (v as u32) << 28
}

/// N and Z of a logical result (C and V cleared), as ANDS/BICS/TST set them.
#[inline(always)]
pub fn logic_flags(sf: bool, r: u64) -> u32 {
    if sf {
        nzcv(r >> 63 != 0, r == 0, false, false)
    } else {
        nzcv(r >> 31 & 1 != 0, r as u32 == 0, false, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_with_carry_edges() {
        // 0x7fffffff + 1: signed overflow, no carry (Arm ARM J1.1.3).
        assert_eq!(
            add_with_carry(false, 0x7fff_ffff, 1, false),
            (0x8000_0000, nzcv(true, false, false, true))
        );
        // 0 - 0 as SUBS: 0 + !0 + 1 → Z and C set.
        assert_eq!(
            add_with_carry(true, 0, !0, true),
            (0, nzcv(false, true, true, false))
        );
        // u64::MAX + 1 wraps with carry.
        assert_eq!(
            add_with_carry(true, u64::MAX, 1, false),
            (0, nzcv(false, true, true, false))
        );
        // A 32-bit add ignores the upper halves of its inputs.
        assert_eq!(
            add_with_carry(false, 0xdead_0000_0001, 0x1_0000_0001, false).0,
            2
        );
    }
}
