//! Data processing — immediate (Arm ARM C4.1.86): PC-relative addressing, add/subtract,
//! logical, move wide, bitfield and extract. Semantics follow the instructions' pseudocode
//! in C6.2 and the shared functions of J1 (DecodeBitMasks, AddWithCarry, ROR, Replicate).

use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::{sext, Insn};
use crate::mem::Mem;

/// ADRP's page: the low 12 bits of the PC are cleared and the immediate counts 4 KiB pages.
const PAGE_SHIFT: u32 = 12;
/// ADD/SUB (immediate) `sh` = 1 shifts imm12 left by 12.
const ADD_SUB_IMM_SHIFT: u32 = 12;
/// MOVZ/MOVN/MOVK place imm16 at hw * 16.
const MOVE_WIDE_CHUNK: u32 = 16;

/// Ones in the low `n` bits (n ≤ 64).
#[inline(always)]
const fn ones(n: u32) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

/// ROR(x, r) of the Arm ARM on an `esize`-bit value held in the low bits (r < esize ≤ 64).
#[inline(always)]
const fn ror_elem(x: u64, r: u32, esize: u32) -> u64 {
    if r == 0 {
        x
    } else {
        ((x >> r) | (x << (esize - r))) & ones(esize)
    }
}

/// Replicate(x, datasize / esize): copies an `esize`-bit element across `datasize` bits.
#[inline(always)]
const fn replicate(x: u64, esize: u32, datasize: u32) -> u64 {
    let mut out = 0;
    let mut pos = 0;
    while pos < datasize {
        out |= x << pos;
        pos += esize;
    }
    out
}

/// DecodeBitMasks() of the Arm ARM (J1, aarch64/instrs/integer/bitmasks): the (wmask, tmask)
/// pair that logical immediates (`immediate` = true, only wmask is used) and the bitfield
/// instructions (`immediate` = false) are built from, each `datasize` (32 or 64) bits wide.
/// `None` where the pseudocode says UNDEFINED (no element size, an all-ones S for a
/// logical immediate), and for an element wider than `datasize` or a `datasize` over 64
/// (an assertion there; callers reject those encodings first).
pub const fn decode_bit_masks(
    n: bool,
    imms: u32,
    immr: u32,
    immediate: bool,
    datasize: u32,
) -> Option<(u64, u64)> {
    // len = HighestSetBit(immN:NOT(imms)); the element is 2^len bits.
    let combined = (n as u32) << 6 | (!imms & 0x3f);
    if combined == 0 {
        return None;
    }
    let len = 31 - combined.leading_zeros();
    if len < 1 {
        return None;
    }
    let esize = 1u32 << len;
    if esize > datasize || datasize > 64 {
        return None;
    }
    let levels = esize - 1;
    // An all-ones S would make every bit of the logical immediate one: reserved.
    if immediate && imms & levels == levels {
        return None;
    }
    let s = imms & levels;
    let r = immr & levels;
    let d = s.wrapping_sub(r) & levels;
    let welem = ones(s + 1);
    let telem = ones(d + 1);
    let wmask = replicate(ror_elem(welem, r, esize), esize, datasize);
    let tmask = replicate(telem, esize, datasize);
    Some((wmask, tmask))
}

/// The operand width's all-ones mask.
#[inline(always)]
const fn width_mask(sf: bool) -> u64 {
    if sf {
        u64::MAX
    } else {
        u32::MAX as u64
    }
}

/// ROR on a datasize-bit register value.
#[inline(always)]
const fn ror(sf: bool, x: u64, r: u32) -> u64 {
    if sf {
        x.rotate_right(r)
    } else {
        (x as u32).rotate_right(r) as u64
    }
}

/// ADR, ADRP: Xd = PC (or its 4 KiB page) + a signed 21-bit offset. Register 31 is XZR.
pub fn pc_rel(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let page = i.bit(31);
    let imm = sext((i.bits(23, 5) << 2 | i.bits(30, 29)) as u64, 21);
    let value = if page {
        (cpu.s.pc & !ones(PAGE_SHIFT)).wrapping_add(imm << PAGE_SHIFT)
    } else {
        cpu.s.pc.wrapping_add(imm)
    };
    cpu.s.set_xr(i.rd(), value);
    Flow::Next
}

/// ADD, ADDS, SUB, SUBS (immediate), hence CMP, CMN and MOV to/from SP. Rn is SP for
/// register 31; Rd is SP unless flags are set (then XZR). The table fixes bit 23 to 0: the
/// v8.5 "with tags" forms (ADDG, SUBG) are not part of v8.0.
pub fn add_sub_imm(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let sf = i.sf();
    let sub = i.bit(30);
    let set_flags = i.bit(29);
    let shift = if i.bit(22) { ADD_SUB_IMM_SHIFT } else { 0 };
    let imm = (i.imm12() as u64) << shift;
    let op1 = cpu.s.rsp(sf, i.rn());
    let (op2, carry) = if sub { (!imm, true) } else { (imm, false) };
    let (result, flags) = super::add_with_carry(sf, op1, op2, carry);
    if set_flags {
        cpu.s.nzcv = flags;
        cpu.s.set_rr(sf, i.rd(), result);
    } else {
        cpu.s.set_rsp(sf, i.rd(), result);
    }
    Flow::Next
}

/// AND, ORR, EOR, ANDS (immediate), hence MOV (bitmask immediate) and TST. Rn is XZR; Rd
/// is SP unless flags are set (then XZR). N = 1 in a 32-bit form is UNDEFINED.
pub fn logical_imm(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    const AND: u32 = 0b00;
    const ORR: u32 = 0b01;
    const ANDS: u32 = 0b11;
    let sf = i.sf();
    let n = i.bit(22);
    if !sf && n {
        return super::undefined();
    }
    let datasize = if sf { 64 } else { 32 };
    let Some((imm, _)) = decode_bit_masks(n, i.bits(15, 10), i.bits(21, 16), true, datasize) else {
        return super::undefined();
    };
    let op1 = cpu.s.rr(sf, i.rn());
    let opc = i.bits(30, 29);
    let result = match opc {
        AND | ANDS => op1 & imm,
        ORR => op1 | imm,
        _ => op1 ^ imm,
    };
    if opc == ANDS {
        cpu.s.nzcv = super::logic_flags(sf, result);
        cpu.s.set_rr(sf, i.rd(), result);
    } else {
        cpu.s.set_rsp(sf, i.rd(), result);
    }
    Flow::Next
}

/// MOVN, MOVZ, MOVK, hence MOV (wide immediate) and MOV (inverted wide immediate). Register
/// 31 is XZR. opc = 01 is unallocated; a 32-bit form with hw ≥ 2 is UNDEFINED.
pub fn move_wide(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    const MOVN: u32 = 0b00;
    const MOVK: u32 = 0b11;
    let sf = i.sf();
    let opc = i.bits(30, 29);
    let hw = i.bits(22, 21);
    if opc == 0b01 || (!sf && hw >= 2) {
        return super::undefined();
    }
    let pos = hw * MOVE_WIDE_CHUNK;
    let imm = (i.bits(20, 5) as u64) << pos;
    let result = match opc {
        MOVK => cpu.s.xr(i.rd()) & !(ones(MOVE_WIDE_CHUNK) << pos) | imm,
        MOVN => !imm,
        _ => imm,
    };
    cpu.s.set_rr(sf, i.rd(), result);
    Flow::Next
}

/// SBFM, BFM, UBFM, hence ASR/LSL/LSR (immediate), SXTB/H/W, UXTB/H, SBFIZ, SBFX, UBFIZ,
/// UBFX, BFI, BFC and BFXIL. Register 31 is XZR. opc = 11 is unallocated; N must equal sf.
pub fn bitfield(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    const SBFM: u32 = 0b00;
    const BFM: u32 = 0b01;
    const UBFM: u32 = 0b10;
    let sf = i.sf();
    let n = i.bit(22);
    let immr = i.bits(21, 16);
    let imms = i.bits(15, 10);
    let opc = i.bits(30, 29);
    // N must equal sf, and a 32-bit form's immr and imms must fit in 5 bits.
    if opc > UBFM || n != sf || (!sf && (immr | imms) >= 32) {
        return super::undefined();
    }
    let datasize = if sf { 64 } else { 32 };
    let Some((wmask, tmask)) = decode_bit_masks(n, imms, immr, false, datasize) else {
        return super::undefined();
    };
    let src = cpu.s.rr(sf, i.rn());
    let bot = ror(sf, src, immr) & wmask;
    let result = match opc {
        SBFM => {
            let top = if src >> imms & 1 == 1 {
                width_mask(sf)
            } else {
                0
            };
            (top & !tmask) | (bot & tmask)
        }
        BFM => {
            let dst = cpu.s.rr(sf, i.rd());
            let bot = (dst & !wmask) | bot;
            (dst & !tmask) | (bot & tmask)
        }
        _ => bot & tmask,
    };
    cpu.s.set_rr(sf, i.rd(), result);
    Flow::Next
}

/// EXTR, hence ROR (immediate): bits lsb+datasize-1..lsb of Rn:Rm. The table fixes op21
/// and o0; N must equal sf and a 32-bit lsb must be below 32.
pub fn extract(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let sf = i.sf();
    let lsb = i.bits(15, 10);
    if i.bit(22) != sf || (!sf && lsb >= 32) {
        return super::undefined();
    }
    let hi = cpu.s.rr(sf, i.rn());
    let lo = cpu.s.rr(sf, i.rm());
    let result = if sf {
        if lsb == 0 {
            lo
        } else {
            (lo >> lsb) | (hi << (64 - lsb))
        }
    } else {
        ((hi << 32 | lo) >> lsb) as u32 as u64
    };
    cpu.s.set_rr(sf, i.rd(), result);
    Flow::Next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::a64;
    use crate::cpu_test;
    use crate::state::{NZCV_C, NZCV_N, NZCV_V, NZCV_Z};
    use crate::testing::{TestCpu, RAM_BASE};

    /// Where UNDEFINED tests put the vector table; the current-EL SP_ELx sync vector is at
    /// +0x200 (Arm ARM D1.10.2).
    const VBAR: u64 = RAM_BASE + 0x1000;
    const SYNC_CURRENT_SPX: u64 = 0x200;
    /// ESR_EL1 of an UNDEFINED instruction: EC 0 (unknown reason), IL 1 (D17.2.37).
    const ESR_UNDEFINED: u64 = 0x0200_0000;

    /// Runs each raw word alone on a fresh vCPU and checks that it was taken as UNDEFINED.
    fn assert_undefined(t: &TestCpu, words: &[u32]) {
        for &w in words {
            let mut t = TestCpu::new(t.executor);
            t.load_words(RAM_BASE, &[w]);
            t.cpu.sys.vbar_el1 = VBAR;
            t.load_words(VBAR + SYNC_CURRENT_SPX, &[]);
            t.run();
            assert_eq!(
                t.cpu.sys.esr_el1, ESR_UNDEFINED,
                "{w:#010x} is not UNDEFINED"
            );
            assert_eq!(t.cpu.sys.elr_el1, RAM_BASE, "{w:#010x}");
            assert_eq!(t.cpu.s.pc, VBAR + SYNC_CURRENT_SPX + 4, "{w:#010x}");
        }
    }

    /// Runs each raw word alone on a fresh vCPU and checks that it executed (no exception):
    /// the positive controls of the UNDEFINED tests, one field away from them.
    fn assert_executes(t: &TestCpu, words: &[u32]) {
        for &w in words {
            let mut t = TestCpu::new(t.executor);
            t.load_words(RAM_BASE, &[w]);
            t.run();
            // The end marker's HVC leaves the PC past itself.
            assert_eq!(t.cpu.s.pc, RAM_BASE + 8, "{w:#010x} did not execute");
            assert_eq!(t.cpu.sys.esr_el1, 0, "{w:#010x}");
        }
    }

    // ── DecodeBitMasks ────────────────────────────────────────────────────────────────

    /// (N, immr, imms) → the logical immediate, from encodings printed by an assembler
    /// (llvm-mc -show-encoding of `and x0, x1, #value`) and the element/rotation rules of
    /// DecodeBitMasks (J1).
    const LOGICAL_64: &[(bool, u32, u32, u64)] = &[
        (true, 0, 0b000000, 0x0000_0000_0000_0001),
        (true, 1, 0b000000, 0x8000_0000_0000_0000),
        (true, 0, 0b111110, 0x7fff_ffff_ffff_ffff),
        (true, 1, 0b111110, 0xbfff_ffff_ffff_ffff),
        (true, 63, 0b111110, 0xffff_ffff_ffff_fffe),
        (false, 0, 0b000111, 0x0000_00ff_0000_00ff),
        (false, 16, 0b001111, 0xffff_0000_ffff_0000),
        (false, 0, 0b100111, 0x00ff_00ff_00ff_00ff),
        (false, 0, 0b110011, 0x0f0f_0f0f_0f0f_0f0f),
        (false, 3, 0b110010, 0xe0e0_e0e0_e0e0_e0e0),
        (false, 0, 0b111001, 0x3333_3333_3333_3333),
        (false, 0, 0b111100, 0x5555_5555_5555_5555),
        (false, 1, 0b111100, 0xaaaa_aaaa_aaaa_aaaa),
        // immr bits above the element size are ignored: R = immr AND levels.
        (false, 0b111101, 0b111100, 0xaaaa_aaaa_aaaa_aaaa),
    ];

    #[test]
    fn decode_bit_masks_gives_the_assemblers_logical_immediates() {
        for &(n, immr, imms, value) in LOGICAL_64 {
            let got = decode_bit_masks(n, imms, immr, true, 64).map(|m| m.0);
            assert_eq!(got, Some(value), "N={n} immr={immr} imms={imms:#08b}");
        }
        // 32-bit: `and w0, w1, #0xffff0000` is N=0 immr=16 imms=15; #0x7ffffffe is
        // N=0 immr=31 imms=29.
        assert_eq!(
            decode_bit_masks(false, 0b001111, 16, true, 32).map(|m| m.0),
            Some(0xffff_0000)
        );
        assert_eq!(
            decode_bit_masks(false, 0b011101, 31, true, 32).map(|m| m.0),
            Some(0x7fff_fffe)
        );
    }

    #[test]
    fn decode_bit_masks_reserved_values() {
        // No element size: HighestSetBit(N:NOT(imms)) < 1.
        assert_eq!(decode_bit_masks(false, 0b111111, 0, true, 64), None);
        assert_eq!(decode_bit_masks(false, 0b111110, 0, true, 64), None);
        assert_eq!(decode_bit_masks(false, 0b111110, 0, false, 64), None);
        // All-ones S is reserved for logical immediates only.
        assert_eq!(decode_bit_masks(true, 0b111111, 0, true, 64), None);
        assert_eq!(decode_bit_masks(false, 0b011111, 0, true, 32), None);
        assert_eq!(decode_bit_masks(false, 0b111101, 0, true, 64), None);
        assert_eq!(
            decode_bit_masks(true, 0b111111, 0, false, 64),
            Some((u64::MAX, u64::MAX))
        );
        // A 64-bit element does not fit a 32-bit operation.
        assert_eq!(decode_bit_masks(true, 0, 0, true, 32), None);
    }

    #[test]
    fn decode_bit_masks_tmask_for_bitfields() {
        // UBFX x, x, #8, #4 = UBFM immr=8 imms=11: wmask = ROR(Ones(12), 8), tmask = Ones(4).
        assert_eq!(
            decode_bit_masks(true, 11, 8, false, 64),
            Some((0xff00_0000_0000_000f, 0x0000_0000_0000_000f))
        );
        // LSL x, x, #4 = UBFM immr=60 imms=59: wmask = ROR(Ones(60), 60), tmask all ones
        // (d = 59 - 60 wraps to 63).
        assert_eq!(
            decode_bit_masks(true, 59, 60, false, 64),
            Some((0xffff_ffff_ffff_fff0, u64::MAX))
        );
        // LSL w, w, #4 = UBFM immr=28 imms=27 at 32 bits.
        assert_eq!(
            decode_bit_masks(false, 27, 28, false, 32),
            Some((0xffff_fff0, 0xffff_ffff))
        );
        // SXTB x = SBFM immr=0 imms=7.
        assert_eq!(decode_bit_masks(true, 7, 0, false, 64), Some((0xff, 0xff)));
    }

    /// Every encodable 64-bit logical immediate round-trips through dynasm's independent
    /// encoder. An element of e bits holds e - 1 run lengths at e rotations, so there are
    /// Σ e(e - 1) distinct values: 5,334 over e = 2..64 and 1,302 over e = 2..32.
    #[test]
    fn decode_bit_masks_agrees_with_dynasm_encoder() {
        use dynasmrt::aarch64::{encode_logical_immediate_32bit, encode_logical_immediate_64bit};
        let mut values = std::collections::BTreeSet::new();
        for n in [false, true] {
            for immr in 0..64 {
                for imms in 0..64 {
                    let Some((v, _)) = decode_bit_masks(n, imms, immr, true, 64) else {
                        continue;
                    };
                    values.insert(v);
                    let enc = encode_logical_immediate_64bit(v).expect("dynasm cannot encode");
                    let (en, er, es) = (
                        enc >> 12 & 1 == 1,
                        (enc >> 6 & 63) as u32,
                        (enc & 63) as u32,
                    );
                    assert_eq!(decode_bit_masks(en, es, er, true, 64).map(|m| m.0), Some(v));
                    // The element size and S agree; R may differ only in ignored bits.
                    assert_eq!((en, es), (n, imms), "{v:#x}");
                }
            }
        }
        assert_eq!(values.len(), 5334);
        let mut values32 = std::collections::BTreeSet::new();
        for immr in 0..32 {
            for imms in 0..64 {
                let Some((v, _)) = decode_bit_masks(false, imms, immr, true, 32) else {
                    continue;
                };
                values32.insert(v);
                let enc = encode_logical_immediate_32bit(v as u32).expect("dynasm cannot encode");
                let (er, es) = ((enc >> 6 & 63) as u32, (enc & 63) as u32);
                assert_eq!(
                    decode_bit_masks(false, es, er, true, 32).map(|m| m.0),
                    Some(v)
                );
                assert_eq!(es, imms, "{v:#x}");
            }
        }
        assert_eq!(values32.len(), 1302);
    }

    // ── ADR, ADRP ─────────────────────────────────────────────────────────────────────

    cpu_test! {
        fn adr_to_labels_forward_and_back(t) {
            t.load(&a64!(
                ; back:
                ; adr x0, >fwd
                ; adr x1, <back
                ; movz x9, 0
                ; fwd:
            ));
            t.run();
            assert_eq!(t.x(0), RAM_BASE + 12);
            assert_eq!(t.x(1), RAM_BASE);
        }

        fn adr_negative_offset_and_xzr(t) {
            // adr x2, #-1 (0x70ffffe2); adr xzr, #0 (0x1000001f) discards its result.
            t.load_words(RAM_BASE, &[0x70ff_ffe2, 0x1000_001f]);
            t.set_x(31, 0x1234);
            t.run();
            assert_eq!(t.x(2), RAM_BASE - 1);
            assert_eq!(t.x(31), 0x1234);
        }

        fn adrp_clears_the_low_12_bits_of_pc(t) {
            // At RAM_BASE + 4: adrp x3, #0x5000 (0xb0000023); adrp x4, #-0x1000 (0xf0ffffe4);
            // adrp x5, #0xfffff000 (0xf07fffe5), the largest page offset.
            t.load_words(RAM_BASE, &[0xd280_0009, 0xb000_0023, 0xf0ff_ffe4, 0xf07f_ffe5]);
            t.run();
            assert_eq!(t.x(3), RAM_BASE + 0x5000);
            assert_eq!(t.x(4), RAM_BASE - 0x1000);
            assert_eq!(t.x(5), RAM_BASE + 0xffff_f000);
        }
    }

    // ── ADD/SUB (immediate) ───────────────────────────────────────────────────────────

    cpu_test! {
        fn add_imm_plain_and_shifted(t) {
            t.load(&a64!(
                ; add x0, x1, 0x123
                ; add x2, x1, 0xfff, lsl 12
                ; sub x3, x1, 0xfff, lsl 12
                ; sub w4, w1, 0
            ));
            t.set_x(1, 0xffff_ffff_0100_0000);
            t.cpu.s.nzcv = NZCV_N | NZCV_V;
            t.run();
            assert_eq!(t.x(0), 0xffff_ffff_0100_0123);
            assert_eq!(t.x(2), 0xffff_ffff_01ff_f000);
            assert_eq!(t.x(3), 0xffff_ffff_0000_1000);
            assert_eq!(t.x(4), 0x0100_0000, "a 32-bit result zeroes the top half");
            assert_eq!(t.nzcv(), NZCV_N | NZCV_V, "ADD/SUB leave the flags alone");
        }

        fn add_imm_32_bit_wraps_and_zero_extends(t) {
            t.load(&a64!(; add w0, w1, 1 ; add w2, w3, 1));
            t.set_x(1, u64::MAX);
            t.set_x(3, 0x1234_5678_0000_0001);
            t.run();
            assert_eq!(t.x(0), 0);
            assert_eq!(t.x(2), 2);
        }

        fn add_sub_imm_register_31_is_sp(t) {
            t.load(&a64!(
                ; add x0, sp, 8
                ; sub sp, sp, 0x20
                ; add x1, sp, 0
                ; add sp, x2, 16
                ; add x3, sp, 0
                ; add wsp, w4, 4
            ));
            t.set_x(31, 0x8000);
            t.set_x(2, 0x1_0000);
            t.set_x(4, 0x1_ffff_fffe);
            t.run();
            assert_eq!(t.x(0), 0x8008);
            assert_eq!(t.x(1), 0x7fe0);
            assert_eq!(t.x(3), 0x1_0010);
            assert_eq!(t.x(31), 2, "a 32-bit write to WSP zero-extends");
        }

        fn adds_imm_flags(t) {
            t.load(&a64!(; adds x0, x1, 1));
            t.set_x(1, u64::MAX);
            t.run();
            assert_eq!((t.x(0), t.nzcv()), (0, NZCV_Z | NZCV_C));
        }

        fn adds_imm_signed_overflow_64(t) {
            t.load(&a64!(; adds x0, x1, 1));
            t.set_x(1, i64::MAX as u64);
            t.run();
            assert_eq!((t.x(0), t.nzcv()), (1 << 63, NZCV_N | NZCV_V));
        }

        fn adds_imm_signed_overflow_32(t) {
            t.load(&a64!(; adds w0, w1, 1));
            t.set_x(1, 0xffff_ffff_7fff_ffff);
            t.run();
            assert_eq!((t.x(0), t.nzcv()), (0x8000_0000, NZCV_N | NZCV_V));
        }

        fn subs_imm_borrow_and_equal(t) {
            t.load(&a64!(; subs x0, x1, 1));
            t.set_x(1, 0);
            t.run();
            // 0 - 1: no carry (a borrow), negative.
            assert_eq!((t.x(0), t.nzcv()), (u64::MAX, NZCV_N));
        }

        fn subs_imm_shifted_equal_sets_z_and_c(t) {
            t.load(&a64!(; subs x0, x1, 0x800, lsl 12));
            t.set_x(1, 0x80_0000);
            t.run();
            assert_eq!((t.x(0), t.nzcv()), (0, NZCV_Z | NZCV_C));
        }

        fn subs_imm_32_bit(t) {
            t.load(&a64!(; subs w0, w1, 1 ; subs w2, w3, 1));
            t.set_x(1, 0x1_0000_0000); // W1 = 0
            t.set_x(3, 0x8000_0000);
            t.run();
            assert_eq!(t.x(0), 0xffff_ffff);
            // The last SUBS: 0x80000000 - 1 overflows to positive with carry.
            assert_eq!((t.x(2), t.nzcv()), (0x7fff_ffff, NZCV_C | NZCV_V));
        }

        fn cmp_cmn_write_xzr_not_sp(t) {
            t.load(&a64!(; cmp sp, 0x10 ; mov x0, sp ; cmn x1, 1));
            t.set_x(31, 0x10);
            t.set_x(1, u64::MAX);
            t.run();
            assert_eq!(t.x(0), 0x10, "CMP SP read SP and left it alone");
            assert_eq!(t.x(31), 0x10, "CMN wrote XZR");
            assert_eq!(t.nzcv(), NZCV_Z | NZCV_C);
        }

        fn cmp_zero_with_zero(t) {
            t.load(&a64!(; cmp x1, 0));
            t.run();
            // 0 + NOT(0) + 1 carries out.
            assert_eq!(t.nzcv(), NZCV_Z | NZCV_C);
        }

        fn add_sub_imm_tagged_form_is_unallocated(t) {
            // Bit 23 set (ADDG/SUBG, v8.5) is no row of the table on a v8.0 core;
            // add x0, x1, #0 (0x91000020) is its valid neighbour.
            assert_executes(&t, &[0x9100_0020]);
            assert_undefined(&t, &[0x9180_0020]);
        }
    }

    // ── Logical (immediate) ───────────────────────────────────────────────────────────

    cpu_test! {
        fn logical_imm_64(t) {
            t.load(&a64!(
                ; and x0, x1, 0xff
                ; orr x2, x1, 0x5555555555555555
                ; eor x3, x1, 0xffff0000ffff0000
                ; eor x4, x1, 0x3333333333333333
            ));
            t.set_x(1, 0x0123_4567_89ab_cdef);
            t.cpu.s.nzcv = NZCV_C;
            t.run();
            assert_eq!(t.x(0), 0xef);
            assert_eq!(t.x(2), 0x5577_5577_ddff_ddff);
            assert_eq!(t.x(3), 0xfedc_4567_7654_cdef);
            assert_eq!(t.x(4), 0x3210_7654_ba98_fedc);
            assert_eq!(t.nzcv(), NZCV_C, "AND/ORR/EOR leave the flags alone");
        }

        fn logical_imm_32_zeroes_the_top_half(t) {
            t.load(&a64!(; and w0, w1, 0xf0f0f0f0 ; orr w2, w3, 1));
            t.set_x(1, u64::MAX);
            t.set_x(3, 0xffff_ffff_0000_0000);
            t.run();
            assert_eq!(t.x(0), 0xf0f0_f0f0);
            assert_eq!(t.x(2), 1);
        }

        fn ands_imm_sets_n_and_z_and_clears_c_v(t) {
            t.load(&a64!(; ands x0, x1, 0x8000000000000000));
            t.set_x(1, u64::MAX);
            t.cpu.s.nzcv = NZCV_Z | NZCV_C | NZCV_V;
            t.run();
            assert_eq!((t.x(0), t.nzcv()), (1 << 63, NZCV_N));
        }

        fn ands_imm_32_sign_bit_and_zero(t) {
            t.load(&a64!(; ands w0, w1, 0x80000000));
            t.set_x(1, 0x0000_0001_8000_0000);
            t.run();
            assert_eq!((t.x(0), t.nzcv()), (0x8000_0000, NZCV_N));
            t.cpu.s.pc = RAM_BASE;
            t.set_x(1, 0xffff_ffff_7fff_ffff);
            t.run();
            assert_eq!((t.x(0), t.nzcv()), (0, NZCV_Z));
        }

        fn logical_imm_register_31(t) {
            // TST writes XZR; ORR/AND (immediate) write SP, and read XZR as Rn.
            t.load(&a64!(
                ; tst x1, 1
                ; mov x0, sp
                ; orr sp, xzr, 0x1000
                ; mov x2, sp
                ; and wsp, w1, 0xfff0
            ));
            t.set_x(31, 0x7770);
            t.set_x(1, 0xffff_ffff_ffff_ffff);
            t.run();
            assert_eq!(t.x(0), 0x7770);
            assert_eq!(t.nzcv(), 0, "TST of a non-zero, non-negative result");
            assert_eq!(t.x(2), 0x1000);
            assert_eq!(t.x(31), 0xfff0);
        }

        fn logical_imm_reserved_encodings_are_undefined(t) {
            assert_executes(&t, &[0x1200_0020, 0x9240_0020, 0x1200_7820]);
            assert_undefined(&t, &[
                0x1240_0020, // and w0, w1 with N = 1
                0x9240_fc20, // N = 1, imms = 111111: all-ones S
                0x9200_fc20, // N = 0, imms = 111111: no element size
                0x9200_f820, // N = 0, imms = 111110: len = 0
                0x1200_7c20, // 32-bit element, S = 31: all ones
                0x1200_f420, // 2-bit element, S = 1: all ones
            ]);
        }
    }

    // ── Move wide (immediate) ─────────────────────────────────────────────────────────

    cpu_test! {
        fn movz_movn_64(t) {
            t.load(&a64!(
                ; movz x0, 0x1234, lsl 48
                ; movn x1, 0
                ; movn x2, 0x1234, lsl 16
            ));
            t.set_x(0, u64::MAX);
            t.run();
            assert_eq!(t.x(0), 0x1234_0000_0000_0000);
            assert_eq!(t.x(1), u64::MAX);
            assert_eq!(t.x(2), 0xffff_ffff_edcb_ffff);
        }

        fn movz_movn_32(t) {
            t.load(&a64!(; movz w0, 0xffff, lsl 16 ; movn w1, 0 ; movn w2, 0x1234, lsl 16));
            t.set_x(0, u64::MAX);
            t.run();
            assert_eq!(t.x(0), 0xffff_0000);
            assert_eq!(t.x(1), 0xffff_ffff, "MOVN inverts within 32 bits");
            assert_eq!(t.x(2), 0xedcb_ffff);
        }

        fn movk_keeps_the_other_bits(t) {
            t.load(&a64!(; movk x0, 0xbeef, lsl 32 ; movk w1, 0xbeef));
            t.set_x(0, 0x1111_2222_3333_4444);
            t.set_x(1, 0xffff_ffff_1234_5678);
            t.run();
            assert_eq!(t.x(0), 0x1111_beef_3333_4444);
            assert_eq!(t.x(1), 0x1234_beef);
        }

        fn move_wide_to_xzr_is_discarded(t) {
            t.load_words(RAM_BASE, &[0xd280_003f]); // movz xzr, #1
            t.set_x(31, 0x40);
            t.run();
            assert_eq!(t.x(31), 0x40);
        }

        fn move_wide_reserved_encodings_are_undefined(t) {
            // movz x0, #0, lsl 48 and movz w0, #0, lsl 16 execute; opc = 01 and a 32-bit
            // hw of 2 or 3 are UNDEFINED.
            assert_executes(&t, &[0xd2e0_0000, 0x52a0_0000]);
            assert_undefined(&t, &[0xb280_0000, 0x3280_0000, 0x52c0_0000, 0x52e0_0000]);
        }
    }

    // ── Bitfield ──────────────────────────────────────────────────────────────────────

    cpu_test! {
        fn lsl_imm(t) {
            t.load(&a64!(; lsl x0, x1, 0 ; lsl x2, x1, 63 ; lsl x3, x1, 4 ; lsl w4, w5, 31));
            t.set_x(1, 0xf000_0000_0000_00ff);
            t.set_x(5, 0xffff_ffff_ffff_fff3);
            t.run();
            assert_eq!(t.x(0), 0xf000_0000_0000_00ff);
            assert_eq!(t.x(2), 0x8000_0000_0000_0000);
            assert_eq!(t.x(3), 0x0000_0000_0000_0ff0);
            assert_eq!(t.x(4), 0x8000_0000);
        }

        fn lsr_imm(t) {
            t.load(&a64!(; lsr x0, x1, 63 ; lsr x2, x1, 0 ; lsr w3, w4, 31 ; lsr w5, w6, 0));
            t.set_x(1, 0x8000_0000_0000_0001);
            t.set_x(4, 0x1_8000_0000);
            t.set_x(6, 0xdead_beef_1234_5678);
            t.run();
            assert_eq!(t.x(0), 1);
            assert_eq!(t.x(2), 0x8000_0000_0000_0001);
            assert_eq!(t.x(3), 1);
            assert_eq!(t.x(5), 0x1234_5678);
        }

        fn asr_imm(t) {
            t.load(&a64!(
                ; asr x0, x1, 63
                ; asr x2, x3, 63
                ; asr x4, x5, 4
                ; asr w6, w7, 31
                ; asr w8, w9, 0
            ));
            t.set_x(1, 0x8000_0000_0000_0000);
            t.set_x(3, 0x7fff_ffff_ffff_ffff);
            t.set_x(5, 0x8000_0000_0000_0010);
            t.set_x(7, 0x8000_0000);
            t.set_x(9, 0xffff_ffff_8000_0001);
            t.run();
            assert_eq!(t.x(0), u64::MAX);
            assert_eq!(t.x(2), 0);
            assert_eq!(t.x(4), 0xf800_0000_0000_0001);
            assert_eq!(t.x(6), 0xffff_ffff);
            assert_eq!(t.x(8), 0x8000_0001);
        }

        fn sign_extends(t) {
            t.load(&a64!(
                ; sxtb x0, w1
                ; sxtb w2, w1
                ; sxth x3, w4
                ; sxth w5, w4
                ; sxtw x6, w7
                ; sxtw x8, w9
                ; sxtb x10, w11
            ));
            t.set_x(1, 0x80);
            t.set_x(4, 0x8000);
            t.set_x(7, 0x8000_0000);
            t.set_x(9, 0xffff_ffff_7fff_ffff);
            t.set_x(11, 0x1234_567f);
            t.run();
            assert_eq!(t.x(0), 0xffff_ffff_ffff_ff80);
            assert_eq!(t.x(2), 0xffff_ff80);
            assert_eq!(t.x(3), 0xffff_ffff_ffff_8000);
            assert_eq!(t.x(5), 0xffff_8000);
            assert_eq!(t.x(6), 0xffff_ffff_8000_0000);
            assert_eq!(t.x(8), 0x7fff_ffff);
            assert_eq!(t.x(10), 0x7f);
        }

        fn zero_extends(t) {
            t.load(&a64!(; uxtb w0, w1 ; uxth w2, w1 ; uxth w3, w4));
            t.set_x(1, 0xffff_ffff_ffff_ff80);
            t.set_x(4, 0xffff_ffff_ffff_8001);
            t.run();
            assert_eq!(t.x(0), 0x80);
            assert_eq!(t.x(2), 0xff80);
            assert_eq!(t.x(3), 0x8001);
        }

        fn ubfx_sbfx(t) {
            t.load(&a64!(
                ; ubfx x0, x1, 8, 4
                ; ubfx x2, x3, 60, 4
                ; ubfx x4, x3, 0, 64
                ; ubfx w5, w3, 28, 4
                ; sbfx x6, x1, 8, 4
                ; sbfx x7, x8, 8, 4
                ; sbfx w9, w3, 0, 32
            ));
            t.set_x(1, 0xab00);
            t.set_x(3, 0xc000_0000_9000_0000);
            t.set_x(8, 0x700);
            t.run();
            assert_eq!(t.x(0), 0xb);
            assert_eq!(t.x(2), 0xc);
            assert_eq!(t.x(4), 0xc000_0000_9000_0000);
            assert_eq!(t.x(5), 0x9);
            assert_eq!(t.x(6), 0xffff_ffff_ffff_fffb, "field 1011 is negative");
            assert_eq!(t.x(7), 7);
            assert_eq!(t.x(9), 0x9000_0000, "a 32-bit SBFM zeroes the top half");
        }

        fn ubfiz_sbfiz(t) {
            t.load(&a64!(
                ; ubfiz x0, x1, 8, 4
                ; ubfiz x2, x3, 60, 4
                ; ubfiz w4, w3, 31, 1
                ; sbfiz x5, x6, 8, 4
                ; sbfiz w7, w1, 4, 4
            ));
            t.set_x(1, 0xff);
            t.set_x(3, 0x5);
            t.set_x(6, 0x8);
            t.run();
            assert_eq!(t.x(0), 0xf00);
            assert_eq!(t.x(2), 0x5000_0000_0000_0000);
            assert_eq!(t.x(4), 0x8000_0000);
            assert_eq!(t.x(5), 0xffff_ffff_ffff_f800);
            assert_eq!(t.x(7), 0xffff_fff0);
        }

        fn bfi_bfxil_bfc(t) {
            t.load(&a64!(
                ; bfi x0, x1, 8, 4
                ; bfi w2, w1, 28, 4
                ; bfxil x3, x4, 8, 8
                ; bfxil x5, x4, 56, 8
                ; bfc x6, 4, 8
            ));
            t.set_x(0, u64::MAX);
            t.set_x(1, 0xa5);
            t.set_x(2, 0xffff_ffff_0000_0000);
            t.set_x(3, 0x1111_1111_1111_1111);
            t.set_x(4, 0xde00_0000_0000_abcd);
            t.set_x(5, 0x2222_2222_2222_2222);
            t.set_x(6, u64::MAX);
            t.run();
            assert_eq!(t.x(0), 0xffff_ffff_ffff_f5ff);
            assert_eq!(t.x(2), 0x5000_0000, "a 32-bit BFM zeroes the top half");
            assert_eq!(t.x(3), 0x1111_1111_1111_11ab);
            assert_eq!(t.x(5), 0x2222_2222_2222_22de);
            assert_eq!(t.x(6), 0xffff_ffff_ffff_f00f);
        }

        fn bitfield_reserved_encodings_are_undefined(t) {
            // ubfm w0, w1, #0, #0 (0x53000020) and ubfx x0, x1, #0, #8 (0xd3401c20) execute.
            assert_executes(&t, &[0x5300_0020, 0xd340_1c20]);
            assert_undefined(&t, &[
                0x7300_0020, // opc = 11
                0xd300_1c20, // sf = 1, N = 0
                0x5340_1c20, // sf = 0, N = 1
                0x5320_1c20, // sf = 0, immr = 32
                0x5300_8020, // sf = 0, imms = 32
            ]);
        }
    }

    // ── EXTR ──────────────────────────────────────────────────────────────────────────

    cpu_test! {
        fn extr_64(t) {
            t.load(&a64!(
                ; extr x0, x1, x2, 0
                ; extr x3, x1, x2, 63
                ; extr x4, x5, x6, 16
            ));
            t.set_x(1, 0x8000_0000_0000_0001);
            t.set_x(2, 0x8000_0000_0000_0000);
            t.set_x(5, 0x1111_2222_3333_4444);
            t.set_x(6, 0xaaaa_bbbb_cccc_dddd);
            t.run();
            assert_eq!(t.x(0), 0x8000_0000_0000_0000);
            assert_eq!(t.x(3), 0x3);
            assert_eq!(t.x(4), 0x4444_aaaa_bbbb_cccc);
        }

        fn extr_32(t) {
            t.load(&a64!(; extr w0, w1, w2, 8 ; extr w3, w4, w5, 31 ; extr w6, w1, w2, 0));
            t.set_x(1, 0xffff_ffff_1122_3344);
            t.set_x(2, 0xffff_ffff_5566_7788);
            t.set_x(4, 0x1);
            t.set_x(5, 0x8000_0000);
            t.run();
            assert_eq!(t.x(0), 0x4455_6677);
            assert_eq!(t.x(3), 0x3);
            assert_eq!(t.x(6), 0x5566_7788);
        }

        fn ror_imm(t) {
            t.load(&a64!(; ror x0, x1, 1 ; ror w2, w3, 4 ; ror x4, x3, 0));
            t.set_x(1, 1);
            t.set_x(3, 0xffff_ffff_1234_5678);
            t.run();
            assert_eq!(t.x(0), 0x8000_0000_0000_0000);
            assert_eq!(t.x(2), 0x8123_4567);
            assert_eq!(t.x(4), 0xffff_ffff_1234_5678);
        }

        fn extr_reserved_encodings_are_undefined(t) {
            // extr x0, x1, x2, #0 (0x93c20020) and extr w0, w1, w2, #31 (0x13827c20) execute.
            assert_executes(&t, &[0x93c2_0020, 0x1382_7c20]);
            assert_undefined(&t, &[
                0x9382_0020, // sf = 1, N = 0
                0x13c2_0020, // sf = 0, N = 1
                0x1382_8020, // sf = 0, imms = 32
                0x13a2_0020, // o0 = 1: unallocated
                0x33c2_0020 | 1 << 31, // op21 = 01: unallocated
            ]);
        }
    }
}
