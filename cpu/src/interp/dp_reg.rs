//! Data processing — register (Arm ARM C4.1.89): logical and add/subtract on a shifted or
//! extended register, add/subtract with carry, conditional compare and select, and the
//! one-, two- and three-source groups. Each handler follows the instruction's pseudocode in
//! Arm ARM C6.2; the shared pseudocode functions (ShiftReg, ExtendReg, AddWithCarry) are in
//! J1. The core is v8.0 (Cortex-A72, which has the optional CRC32 instructions): encodings
//! allocated by later extensions (PAC, MTE, ...) are UNDEFINED here.

use super::{add_with_carry, logic_flags, undefined};
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::{sext, Insn};
use crate::mem::Mem;

/// ShiftType encodings of DecodeShift() (J1): the `shift` field of shifted-register forms.
pub const SHIFT_LSL: u32 = 0b00;
pub const SHIFT_LSR: u32 = 0b01;
pub const SHIFT_ASR: u32 = 0b10;
pub const SHIFT_ROR: u32 = 0b11;

/// CRC polynomials in the bit-reflected form the CRC32/CRC32C pseudocode's BitReverse()
/// calls amount to: 0x04C11DB7 (CRC-32) and 0x1EDC6F41 (CRC-32C, Castagnoli) reversed.
pub const CRC32_POLY_REFLECTED: u32 = 0xedb8_8320;
pub const CRC32C_POLY_REFLECTED: u32 = 0x82f6_3b78;

/// The low `datasize` bits of `v`: 32 when `sf` is clear, else all 64.
#[inline(always)]
fn trunc(sf: bool, v: u64) -> u64 {
    if sf {
        v
    } else {
        v as u32 as u64
    }
}

/// Register width in bits.
#[inline(always)]
fn datasize(sf: bool) -> u32 {
    if sf {
        64
    } else {
        32
    }
}

/// ShiftReg() (J1): `v` in a 32- or 64-bit datasize shifted by `ty` (LSL/LSR/ASR/ROR).
/// `amount` is taken modulo the datasize; callers have already refused larger values.
/// The result is zero-extended from the datasize.
#[inline(always)]
pub fn shift_reg(sf: bool, v: u64, ty: u32, amount: u32) -> u64 {
    if sf {
        let a = amount & 63;
        match ty & 3 {
            SHIFT_LSL => v << a,
            SHIFT_LSR => v >> a,
            SHIFT_ASR => ((v as i64) >> a) as u64,
            _ => v.rotate_right(a),
        }
    } else {
        let (v, a) = (v as u32, amount & 31);
        (match ty & 3 {
            SHIFT_LSL => v << a,
            SHIFT_LSR => v >> a,
            SHIFT_ASR => ((v as i32) >> a) as u32,
            _ => v.rotate_right(a),
        }) as u64
    }
}

/// ExtendReg() (J1): the low 8/16/32/64 bits of `v` selected by `option` (UXTB, UXTH, UXTW,
/// UXTX, SXTB, SXTH, SXTW, SXTX), zero- or sign-extended, shifted left by `shift` (0-4)
/// and truncated to the datasize. (The pseudocode's `len = Min(len, N - shift)` only drops
/// bits that the truncation drops too.)
#[inline(always)]
pub fn extend_reg(sf: bool, v: u64, option: u32, shift: u32) -> u64 {
    let len = 8u32 << (option & 3);
    let signed = option & 0b100 != 0;
    let x = match (len, signed) {
        (64, _) => v,
        (_, true) => sext(v, len),
        (_, false) => v & ((1u64 << len) - 1),
    };
    trunc(sf, x << (shift & 7))
}

/// ADD or SUB of the pseudocode: AddWithCarry(x, y, 0) or AddWithCarry(x, NOT(y), 1).
#[inline(always)]
pub fn add_sub(sf: bool, x: u64, y: u64, sub: bool) -> (u64, u32) {
    if sub {
        add_with_carry(sf, x, !y, true)
    } else {
        add_with_carry(sf, x, y, false)
    }
}

/// AND, BIC, ORR, ORN, EOR, EON, ANDS, BICS (shifted register), C6.2. Register 31 is XZR.
pub fn logical_shifted(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let sf = i.sf();
    if !sf && i.bit(15) {
        return undefined(); // imm6 >= 32 on a 32-bit register
    }
    let mut op2 = shift_reg(sf, cpu.s.xr(i.rm()), i.shift(), i.imm6());
    if i.bit(21) {
        op2 = !op2; // N: BIC, ORN, EON, BICS
    }
    let op1 = cpu.s.xr(i.rn());
    let opc = i.bits(30, 29);
    let r = trunc(
        sf,
        match opc {
            0b01 => op1 | op2,
            0b10 => op1 ^ op2,
            _ => op1 & op2, // AND and ANDS
        },
    );
    if opc == 0b11 {
        cpu.s.nzcv = logic_flags(sf, r);
    }
    cpu.s.set_rr(sf, i.rd(), r);
    Flow::Next
}

/// ADD, ADDS, SUB, SUBS (shifted register), C6.2. Register 31 is XZR; ROR is reserved.
pub fn add_sub_shifted(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let sf = i.sf();
    if i.shift() == SHIFT_ROR || (!sf && i.bit(15)) {
        return undefined();
    }
    let op1 = cpu.s.xr(i.rn());
    let op2 = shift_reg(sf, cpu.s.xr(i.rm()), i.shift(), i.imm6());
    let (r, flags) = add_sub(sf, op1, op2, i.bit(30));
    if i.bit(29) {
        cpu.s.nzcv = flags;
    }
    cpu.s.set_rr(sf, i.rd(), r);
    Flow::Next
}

/// ADD, ADDS, SUB, SUBS (extended register), C6.2. Rn is SP when 31; Rd is SP for ADD/SUB
/// and XZR for ADDS/SUBS. A left shift above 4 and a nonzero `opt` field are reserved.
pub fn add_sub_extended(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let sf = i.sf();
    let shift = i.bits(12, 10);
    if i.bits(23, 22) != 0 || shift > 4 {
        return undefined();
    }
    let op1 = cpu.s.rsp(sf, i.rn());
    let op2 = extend_reg(sf, cpu.s.xr(i.rm()), i.bits(15, 13), shift);
    let (r, flags) = add_sub(sf, op1, op2, i.bit(30));
    if i.bit(29) {
        cpu.s.nzcv = flags;
        cpu.s.set_rr(sf, i.rd(), r);
    } else {
        cpu.s.set_rsp(sf, i.rd(), r);
    }
    Flow::Next
}

/// ADC, ADCS, SBC, SBCS, C6.2: AddWithCarry with PSTATE.C as the carry in.
pub fn adc_sbc(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let sf = i.sf();
    let (_, _, carry, _) = cpu.s.flags();
    let op1 = cpu.s.xr(i.rn());
    let mut op2 = cpu.s.xr(i.rm());
    if i.bit(30) {
        op2 = !op2; // SBC: x + NOT(y) + C
    }
    let (r, flags) = add_with_carry(sf, op1, op2, carry);
    if i.bit(29) {
        cpu.s.nzcv = flags;
    }
    cpu.s.set_rr(sf, i.rd(), r);
    Flow::Next
}

/// CCMN and CCMP, register and immediate forms, C6.2: if the condition holds, the flags of
/// Rn + op2 (CCMN) or Rn - op2 (CCMP); otherwise the immediate nzcv. Bit 11 selects imm5
/// over Rm; S = 0 is unallocated.
pub fn cond_compare(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    if !i.bit(29) {
        return undefined();
    }
    let sf = i.sf();
    let op2 = if i.bit(11) {
        i.bits(20, 16) as u64
    } else {
        cpu.s.xr(i.rm())
    };
    cpu.s.nzcv = if cpu.s.condition_holds(i.cond()) {
        add_sub(sf, cpu.s.xr(i.rn()), op2, i.bit(30)).1
    } else {
        i.bits(3, 0) << 28
    };
    Flow::Next
}

/// CSEL, CSINC, CSINV, CSNEG, C6.2: Rn if the condition holds, else Rm, inverted (op),
/// incremented (op2<0>) or both (negated). S = 1 and op2<1> = 1 are unallocated.
pub fn cond_select(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    if i.bit(29) || i.bit(11) {
        return undefined();
    }
    let sf = i.sf();
    let r = if cpu.s.condition_holds(i.cond()) {
        cpu.s.xr(i.rn())
    } else {
        let mut r = cpu.s.xr(i.rm());
        if i.bit(30) {
            r = !r;
        }
        if i.bit(10) {
            r = r.wrapping_add(1);
        }
        r
    };
    cpu.s.set_rr(sf, i.rd(), r);
    Flow::Next
}

/// Reverses the bytes inside each 16-bit halfword (REV16).
#[inline(always)]
pub fn rev16(v: u64) -> u64 {
    const LOW_BYTES: u64 = 0x00ff_00ff_00ff_00ff;
    ((v & LOW_BYTES) << 8) | ((v >> 8) & LOW_BYTES)
}

/// Reverses the bytes inside each 32-bit word (REV32; REV of a W register).
#[inline(always)]
pub fn rev32(v: u64) -> u64 {
    ((v as u32).swap_bytes() as u64) | (((v >> 32) as u32).swap_bytes() as u64) << 32
}

/// CountLeadingSignBits() (J1): leading bits equal to the sign bit, not counting it.
#[inline(always)]
pub fn cls(sf: bool, v: u64) -> u64 {
    let lz = if sf {
        let x = if (v as i64) < 0 { !v } else { v };
        x.leading_zeros()
    } else {
        let w = v as u32;
        let x = if (w as i32) < 0 { !w } else { w };
        x.leading_zeros()
    };
    (lz - 1) as u64
}

/// Opcodes of the one-source group (opcode2 = 00000), C4.1.89.
mod op1src {
    pub const RBIT: u32 = 0b000000;
    pub const REV16: u32 = 0b000001;
    /// REV of a W register (sf = 0) or REV32 (sf = 1).
    pub const REV32: u32 = 0b000010;
    /// REV of an X register; unallocated with sf = 0.
    pub const REV64: u32 = 0b000011;
    pub const CLZ: u32 = 0b000100;
    pub const CLS: u32 = 0b000101;
}

/// RBIT, REV16, REV32, REV, CLZ, CLS, C6.2. S = 1, any nonzero opcode2 (the v8.3 pointer
/// authentication instructions among them) and the other opcodes are unallocated on v8.0.
pub fn dp_1src(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    if i.bit(29) || i.bits(20, 16) != 0 {
        return undefined();
    }
    let sf = i.sf();
    let v = cpu.s.rr(sf, i.rn());
    let r = match (i.bits(15, 10), sf) {
        (op1src::RBIT, true) => v.reverse_bits(),
        (op1src::RBIT, false) => (v as u32).reverse_bits() as u64,
        (op1src::REV16, _) => rev16(v),
        (op1src::REV32, _) => rev32(v),
        (op1src::REV64, true) => v.swap_bytes(),
        (op1src::CLZ, true) => v.leading_zeros() as u64,
        (op1src::CLZ, false) => (v as u32).leading_zeros() as u64,
        (op1src::CLS, _) => cls(sf, v),
        _ => return undefined(),
    };
    cpu.s.set_rr(sf, i.rd(), r);
    Flow::Next
}

/// Opcodes of the two-source group, C4.1.89.
mod op2src {
    pub const UDIV: u32 = 0b000010;
    pub const SDIV: u32 = 0b000011;
    /// LSLV, LSRV, ASRV, RORV: 0b0010 then the shift type.
    pub const SHIFTV: u32 = 0b0010;
    /// CRC32{B,H,W,X}: 0b010 then C then sz.
    pub const CRC: u32 = 0b010;
}

/// The CRC32 and CRC32C pseudocode (C6.2): `acc` updated with the low `bytes` bytes of
/// `val`, least significant bit first, no initial or final inversion. BitReverse() of the
/// operands and the result turns Poly32Mod2() into this reflected bitwise division.
pub fn crc32_update(acc: u32, val: u64, bytes: u32, poly_reflected: u32) -> u32 {
    let mut crc = acc;
    for k in 0..bytes {
        crc ^= (val >> (8 * k)) as u8 as u32;
        for _ in 0..8 {
            crc = (crc >> 1) ^ if crc & 1 != 0 { poly_reflected } else { 0 };
        }
    }
    crc
}

/// UDIV, SDIV, LSLV, LSRV, ASRV, RORV, CRC32*, CRC32C*, C6.2. S = 1 and the opcodes of
/// later extensions (MTE's SUBP/IRG/GMI, v8.3 PACGA) are unallocated on v8.0.
pub fn dp_2src(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    if i.bit(29) {
        return undefined();
    }
    let sf = i.sf();
    let opcode = i.bits(15, 10);
    let (n, m) = (cpu.s.rr(sf, i.rn()), cpu.s.rr(sf, i.rm()));
    let r = match opcode {
        op2src::UDIV => udiv(sf, n, m),
        op2src::SDIV => sdiv(sf, n, m),
        _ if opcode >> 2 == op2src::SHIFTV => {
            // The shift amount is Rm modulo the datasize.
            shift_reg(sf, n, opcode & 3, (m % datasize(sf) as u64) as u32)
        }
        _ if opcode >> 3 == op2src::CRC => {
            let sz = opcode & 3;
            // CRC32X/CRC32CX need sf = 1; the byte, halfword and word forms need sf = 0.
            if sf != (sz == 0b11) {
                return undefined();
            }
            let poly = if opcode & 0b100 != 0 {
                CRC32C_POLY_REFLECTED
            } else {
                CRC32_POLY_REFLECTED
            };
            let acc = cpu.s.xr(i.rn()) as u32;
            crc32_update(acc, cpu.s.xr(i.rm()), 1 << sz, poly) as u64
        }
        _ => return undefined(),
    };
    // The CRC result is a W register even in the X form: `r` is already 32 bits there.
    cpu.s.set_rr(sf, i.rd(), r);
    Flow::Next
}

/// UDIV: rounds toward zero; a zero divisor gives zero (no trap on A64).
#[inline(always)]
fn udiv(sf: bool, n: u64, m: u64) -> u64 {
    trunc(sf, n.checked_div(m).unwrap_or(0))
}

/// SDIV: rounds toward zero; a zero divisor gives zero and INT_MIN / -1 gives INT_MIN (the
/// quotient 2^(N-1) truncated to N bits).
#[inline(always)]
fn sdiv(sf: bool, n: u64, m: u64) -> u64 {
    if m == 0 {
        0
    } else if sf {
        (n as i64).wrapping_div(m as i64) as u64
    } else {
        (n as i32).wrapping_div(m as i32) as u32 as u64
    }
}

/// op31 values of the three-source group (with op54 = 00), C4.1.89.
mod op3src {
    pub const MADD: u32 = 0b000;
    pub const SMADDL: u32 = 0b001;
    pub const SMULH: u32 = 0b010;
    pub const UMADDL: u32 = 0b101;
    pub const UMULH: u32 = 0b110;
}

/// MADD, MSUB, SMADDL, SMSUBL, UMADDL, UMSUBL, SMULH, UMULH, C6.2. o0 selects the
/// subtracting form; op54 != 00, the long and high forms with sf = 0, o0 = 1 with the
/// high forms, and the other op31 values are unallocated. The high forms' Ra field is
/// should-be-one and is ignored (the permitted CONSTRAINED UNPREDICTABLE choice of
/// executing as if it were 11111).
pub fn dp_3src(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    if i.bits(30, 29) != 0 {
        return undefined();
    }
    let sf = i.sf();
    let sub = i.bit(15);
    let (n, m, a) = (cpu.s.xr(i.rn()), cpu.s.xr(i.rm()), cpu.s.xr(i.ra()));
    let accumulate = |p: u64| {
        if sub {
            a.wrapping_sub(p)
        } else {
            a.wrapping_add(p)
        }
    };
    let r = match (i.bits(23, 21), sf) {
        (op3src::MADD, _) => accumulate(n.wrapping_mul(m)),
        (op3src::SMADDL, true) => {
            accumulate((n as i32 as i64).wrapping_mul(m as i32 as i64) as u64)
        }
        (op3src::UMADDL, true) => accumulate((n as u32 as u64) * (m as u32 as u64)),
        (op3src::SMULH, true) if !sub => ((n as i64 as i128 * m as i64 as i128) >> 64) as u64,
        (op3src::UMULH, true) if !sub => ((n as u128 * m as u128) >> 64) as u64,
        _ => return undefined(),
    };
    cpu.s.set_rr(sf, i.rd(), r);
    Flow::Next
}

#[cfg(test)]
mod tests {
    use crate::a64;
    use crate::cpu_test;
    use crate::testing::{TestCpu, RAM_BASE};

    /// Flag values as NZCV bits 31:28, for readable expectations.
    const N: u32 = 1 << 31;
    const Z: u32 = 1 << 30;
    const C: u32 = 1 << 29;
    const V: u32 = 1 << 28;

    const VBAR: u64 = RAM_BASE + 0x1000;
    /// Current EL with SP_ELx, synchronous: the vector an EL1 UNDEFINED enters.
    const VECTOR_CURRENT_SPX_SYNC: u64 = 0x200;
    /// ESR_EL1 of an UNDEFINED instruction: EC 0 (unknown reason), IL 1 (D17.2.37).
    const ESR_UNDEFINED: u64 = 0x0200_0000;
    /// An ADC/SBC case: code, x1, x2, C in, result, NZCV out (None: the flags must not change).
    type AdcCase<'a> = (&'a [u8], u64, u64, bool, u64, Option<u32>);

    const SENTINEL: u64 = 0x5e5e_5e5e_5e5e_5e5e;

    /// Runs each word alone on a fresh vCPU of `t`'s executor and checks that it is
    /// UNDEFINED: it enters the EL1 synchronous vector with EC 0, returns to itself, and
    /// leaves its destination (x0) and the flags untouched.
    fn assert_undefined(t: &TestCpu, words: &[u32]) {
        for &w in words {
            let mut u = TestCpu::new(t.executor);
            u.load_words(RAM_BASE, &[w]);
            u.cpu.sys.vbar_el1 = VBAR;
            u.load_words(VBAR + VECTOR_CURRENT_SPX_SYNC, &[]);
            u.set_x(0, SENTINEL);
            for r in 1..4 {
                u.set_x(r, r as u64);
            }
            u.run();
            assert_eq!(
                u.cpu.sys.esr_el1, ESR_UNDEFINED,
                "{w:#010x} should be UNDEFINED"
            );
            assert_eq!(u.cpu.sys.elr_el1, RAM_BASE, "{w:#010x}");
            assert_eq!(u.x(0), SENTINEL, "{w:#010x}");
            assert_eq!(u.nzcv(), 0, "{w:#010x}");
        }
    }

    /// Runs `code` on a fresh vCPU of `t`'s executor with the given registers and flags.
    fn run_on(t: &TestCpu, code: &[u8], regs: &[(usize, u64)], flags: u32) -> TestCpu {
        let mut u = TestCpu::new(t.executor);
        u.load(code);
        for &(r, v) in regs {
            u.set_x(r, v);
        }
        u.cpu.s.nzcv = flags;
        u.run();
        u
    }

    cpu_test! {
        // ── logical (shifted register) ──────────────────────────────────────────────────

        fn logical_ops_with_each_shift(t) {
            t.load(&a64!(
                ; and x3, x1, x2, lsl 0
                ; bic x4, x1, x2, lsr 59
                ; orr x5, x1, x2, asr 63
                ; orn x6, xzr, x2, ror 1
                ; eor x7, x1, x2, lsl 63
                ; eon x8, x1, x2, ror 63
            ));
            t.set_x(1, 0xf0f0_f0f0_f0f0_f0f0);
            t.set_x(2, 0x8000_0000_0000_0001);
            t.cpu.s.nzcv = C | V;
            t.run();
            assert_eq!(t.x(3), 0x8000_0000_0000_0000);
            assert_eq!(t.x(4), 0xf0f0_f0f0_f0f0_f0e0); // x2 LSR 59 = 0x10
            assert_eq!(t.x(5), u64::MAX); // ASR keeps the sign: all ones
            assert_eq!(t.x(6), 0x3fff_ffff_ffff_ffff); // NOT(x2 ROR 1 = 0xc000..0)
            assert_eq!(t.x(7), 0x70f0_f0f0_f0f0_f0f0);
            assert_eq!(t.x(8), 0x0f0f_0f0f_0f0f_0f0c); // x1 EOR NOT(3)
            assert_eq!(t.nzcv(), C | V); // non-S forms leave the flags alone
        }

        fn logical_32_bit_shifts_within_the_word_and_zero_the_top(t) {
            t.load(&a64!(
                ; orr w0, w1, w2, ror 31
                ; eor w3, w1, w4, asr 31
                ; and w5, w6, w6, lsr 31
                ; orr w7, w1, w6, lsl 31
            ));
            t.set_x(1, 0xffff_ffff_0000_0000);
            t.set_x(2, 1);
            t.set_x(4, 0x8000_0000);
            t.set_x(6, 0xffff_ffff_ffff_ffff);
            t.run();
            assert_eq!(t.x(0), 2); // 1 ROR 31 in 32 bits
            assert_eq!(t.x(3), 0xffff_ffff); // ASR of bit 31 in 32 bits
            assert_eq!(t.x(5), 1);
            assert_eq!(t.x(7), 0x8000_0000);
        }

        fn ands_and_bics_set_n_and_z_and_clear_c_v(t) {
            let regs = [(1, 0xffff_ffff_8000_0000), (2, 0x8000_0001_8000_0000)];
            let u = run_on(&t, &a64!(; ands x0, x1, x2), &regs, C | V);
            assert_eq!((u.x(0), u.nzcv()), (0x8000_0001_8000_0000, N));
            let u = run_on(&t, &a64!(; bics x0, x1, x1, lsl 0), &regs, N | C | V);
            assert_eq!((u.x(0), u.nzcv()), (0, Z));
            // 32-bit: N is bit 31 of the W result.
            let u = run_on(&t, &a64!(; ands w0, w1, w2), &regs, Z | C);
            assert_eq!((u.x(0), u.nzcv()), (0x8000_0000, N));
            // TST (ANDS to WZR): w1 & w5 = 0 in 32 bits although x1 & x5 != 0.
            let tst = [(1, 0xffff_ffff_8000_0000), (5, 0xffff_ffff_7fff_ffff)];
            let u = run_on(&t, &a64!(; tst w1, w5), &tst, N | V);
            assert_eq!(u.nzcv(), Z);
            // BICS: x1 AND NOT(x2 LSR 1), sign bit survives.
            let u = run_on(&t, &a64!(; bics x0, x1, x2, lsr 1), &regs, 0);
            assert_eq!((u.x(0), u.nzcv()), (0xbfff_ffff_0000_0000, N));
        }

        fn logical_reserved_encodings(t) {
            assert_undefined(&t, &[
                0x0a02_8020, // and w0, w1, w2, lsl #32
                0x2a02_fc20, // orr w0, w1, w2, lsl #63
            ]);
        }

        // ── ADD/SUB (shifted register) ─────────────────────────────────────────────────

        fn add_sub_shifted_values(t) {
            t.load(&a64!(
                ; add x3, x1, x2, lsl 3
                ; sub x4, x1, x2, lsr 63
                ; add x5, x1, x2, asr 63
                ; add x6, xzr, x1
                ; sub x7, x1, x2
                ; neg x8, x1, lsl 4
                ; add xzr, x1, x1
            ));
            t.set_x(1, 0x1000);
            t.set_x(2, 0x8000_0000_0000_0001);
            t.set_x(31, 0xd_ead0); // SP: register 31 here is XZR, never SP
            t.cpu.s.nzcv = N | V;
            t.run();
            assert_eq!(t.x(3), 0x1008);
            assert_eq!(t.x(4), 0xfff);
            assert_eq!(t.x(5), 0xfff); // ASR #63 of a negative value is -1
            assert_eq!(t.x(6), 0x1000);
            assert_eq!(t.x(7), 0x8000_0000_0000_0fff);
            assert_eq!(t.x(8), 0xffff_ffff_ffff_0000);
            assert_eq!(t.x(31), 0xd_ead0);
            assert_eq!(t.nzcv(), N | V);
        }

        fn add_sub_shifted_32_bit(t) {
            t.load(&a64!(
                ; add w0, w1, w2, lsl 31
                ; sub w3, w1, w2, asr 1
                ; sub w4, w5, w6, lsr 31
            ));
            t.set_x(1, 0xffff_ffff_0000_0001);
            t.set_x(2, 3);
            t.set_x(5, 0xffff_ffff_0000_0000);
            t.set_x(6, 0x8000_0000);
            t.run();
            assert_eq!(t.x(0), 0x8000_0001);
            assert_eq!(t.x(3), 0);
            assert_eq!(t.x(4), 0xffff_ffff);
        }

        fn adds_subs_shifted_flags(t) {
            // Expected flags from AddWithCarry (J1.1.3); SUB is x + NOT(y) + 1.
            let cases: [(&[u8], u64, u64, u64, u32); 8] = [
                (&a64!(; adds x0, x1, x2), 0x7fff_ffff_ffff_ffff, 1, 0x8000_0000_0000_0000, N | V),
                (&a64!(; adds x0, x1, x2), u64::MAX, 1, 0, Z | C),
                (&a64!(; subs x0, x1, x2), 0, 1, u64::MAX, N),
                (&a64!(; subs x0, x1, x2), 5, 5, 0, Z | C),
                (&a64!(; subs x0, x1, x2), 0x8000_0000_0000_0000, 1, 0x7fff_ffff_ffff_ffff, C | V),
                (&a64!(; adds w0, w1, w2), u64::MAX, 0x1_0000_0001, 0, Z | C),
                (&a64!(; subs w0, w1, w2, lsl 31), 0, 1, 0x8000_0000, N | V),
                (&a64!(; adds x0, x1, x2, lsr 1), 1, 2, 2, 0),
            ];
            for (code, x1, x2, r, flags) in cases {
                let u = run_on(&t, code, &[(1, x1), (2, x2)], (N | Z | C | V) ^ flags);
                assert_eq!((u.x(0), u.nzcv()), (r, flags), "{x1:#x} {x2:#x}");
            }
            // CMN (ADDS to WZR) on W registers: 0x7fffffff + 1.
            let u = run_on(&t, &a64!(; cmn w1, w2), &[(1, 0x9_7fff_ffff), (2, 0x4_0000_0001)], 0);
            assert_eq!(u.nzcv(), N | V);
        }

        fn add_sub_shifted_reserved_encodings(t) {
            assert_undefined(&t, &[
                0x8bc2_0020, // add x0, x1, x2, ror #0 (shift = 11)
                0xebc2_0020, // subs x0, x1, x2, ror #0
                0x0b02_8020, // add w0, w1, w2, lsl #32
                0x6b02_fc20, // subs w0, w1, w2, lsl #63
            ]);
        }

        // ── ADD/SUB (extended register) ────────────────────────────────────────────────

        fn add_sub_extended_each_extend_and_shift(t) {
            t.load(&a64!(
                ; add x2, x0, w1, uxtb 0
                ; add x3, x0, w1, uxth 1
                ; add x4, x0, w1, uxtw 2
                ; add x5, x0, x1, uxtx 3
                ; add x6, x0, w1, sxtb 4
                ; add x7, x0, w1, sxth 0
                ; add x8, x0, w1, sxtw 0
                ; sub x9, x0, x1, sxtx 1
                ; add w10, w0, w1, uxtw 4
                ; add w11, w0, w1, sxth 0
                ; sub w12, w0, w1, uxtb 1
            ));
            t.set_x(0, 0x1000);
            // Low byte, halfword and word all negative as signed values.
            t.set_x(1, 0xffff_ffff_8765_8281);
            t.run();
            assert_eq!(t.x(2), 0x1081);
            assert_eq!(t.x(3), 0x1_1502);
            assert_eq!(t.x(4), 0x2_1d96_1a04);
            assert_eq!(t.x(5), 0xffff_fffc_3b2c_2408);
            assert_eq!(t.x(6), 0x810); // -0x7f << 4 = -0x7f0
            assert_eq!(t.x(7), 0xffff_ffff_ffff_9281);
            assert_eq!(t.x(8), 0xffff_ffff_8765_9281);
            assert_eq!(t.x(9), 0xf135_0afe);
            assert_eq!(t.x(10), 0x7658_3810); // the shift drops bits above 31
            assert_eq!(t.x(11), 0xffff_9281);
            assert_eq!(t.x(12), 0xefe);
        }

        fn add_sub_extended_uses_sp_for_rn_and_rd(t) {
            t.load(&a64!(
                ; add x0, sp, x1
                ; sub sp, sp, x1
                ; add x2, sp, x1, uxtx 2
                ; adds x3, sp, x1
                ; cmn sp, x1 // ADDS to register 31 writes XZR: SP is unchanged
                ; add x4, sp, xzr // Rm 31 is XZR
            ));
            t.set_x(31, 0x8000);
            t.set_x(1, 0x10);
            t.cpu.s.nzcv = N | Z | C | V;
            t.run();
            assert_eq!(t.x(0), 0x8010);
            assert_eq!(t.x(31), 0x7ff0);
            assert_eq!(t.x(2), 0x8030);
            assert_eq!(t.x(3), 0x8000);
            assert_eq!(t.x(4), 0x7ff0);
            assert_eq!(t.nzcv(), 0);
        }

        fn add_sub_extended_32_bit_sp(t) {
            t.load(&a64!(
                ; add w0, wsp, w1
                ; add wsp, wsp, w1
            ));
            t.set_x(31, 0xffff_ffff_0000_0010);
            t.set_x(1, 0x1_0000_0020);
            t.run();
            assert_eq!(t.x(0), 0x30);
            assert_eq!(t.x(31), 0x30); // the W write to SP zero-extends
        }

        fn adds_subs_extended_flags(t) {
            let regs = [(1, 5), (2, 0xffff_ffff_0000_0005)];
            let u = run_on(&t, &a64!(; subs x0, x1, w2, sxtw), &regs, N);
            assert_eq!((u.x(0), u.nzcv()), (0, Z | C));
            let u = run_on(&t, &a64!(; cmp w1, w2, uxtb), &[(1, 0x80), (2, 0xffff_ff80)], N);
            assert_eq!(u.nzcv(), Z | C);
            let regs = [(1, 0x7fff_ffff_ffff_ffff), (2, 0x101)];
            let u = run_on(&t, &a64!(; adds x0, x1, w2, sxtb), &regs, 0);
            assert_eq!((u.x(0), u.nzcv()), (0x8000_0000_0000_0000, N | V));
            // 0 - SXTH(0x8000) = 0 - 0xffff8000 = 0x8000 in 32 bits: borrow, so C clear.
            let all = N | Z | C | V;
            let u = run_on(&t, &a64!(; subs w0, w1, w2, sxth), &[(1, 0), (2, 0x8000)], all);
            assert_eq!((u.x(0), u.nzcv()), (0x8000, 0));
        }

        fn add_sub_extended_reserved_encodings(t) {
            assert_undefined(&t, &[
                0x8b22_1420, // add x0, x1, w2, uxtb #5
                0x8b22_1c20, // add x0, x1, w2, uxtb #7
                0x8b62_0020, // opt = 01
                0x8ba2_0020, // opt = 10
                0xeb22_1420, // subs x0, x1, w2, uxtb #5
            ]);
        }

        // ── ADC/SBC ────────────────────────────────────────────────────────────────────

        fn adc_sbc_values_and_flags(t) {
            let cases: [AdcCase; 12] = [
                (&a64!(; adc x0, x1, x2), 1, 2, true, 4, None),
                (&a64!(; adc x0, x1, x2), 1, 2, false, 3, None),
                (&a64!(; adcs x0, x1, x2), u64::MAX, 0, true, 0, Some(Z | C)),
                (&a64!(; adcs x0, x1, x2), 0x7fff_ffff_ffff_ffff, 0, true, 1 << 63, Some(N | V)),
                (&a64!(; sbc x0, x1, x2), 5, 3, false, 1, None),
                (&a64!(; sbc x0, x1, x2), 5, 3, true, 2, None),
                (&a64!(; sbcs w0, w1, w2), 0x1_0000_0000, 0x2_0000_0000, true, 0, Some(Z | C)),
                (&a64!(; sbcs x0, x1, x2), 1 << 63, 0, false, 0x7fff_ffff_ffff_ffff, Some(C | V)),
                (&a64!(; sbcs x0, x1, x2), 0, 0, false, u64::MAX, Some(N)),
                (&a64!(; ngc x0, x1), 1, 0, true, u64::MAX, None),
                // 32 bits: 0xffffffff + 0 + 1 wraps to 0; the upper halves are ignored.
                (&a64!(; adc w0, w1, w2), 0xffff_ffff, 0x1_0000_0000, true, 0, None),
                (&a64!(; adcs w0, w1, w2), 0x7fff_ffff, 0, true, 0x8000_0000, Some(N | V)),
            ];
            for (code, x1, x2, c, r, flags) in cases {
                let fin = if c { C } else { 0 };
                let u = run_on(&t, code, &[(1, x1), (2, x2)], fin);
                assert_eq!((u.x(0), u.nzcv()), (r, flags.unwrap_or(fin)), "{x1:#x} {x2:#x} {c}");
            }
            // Register 31 is XZR, not SP.
            let u = run_on(&t, &a64!(; adc x0, xzr, xzr), &[(31, 0x999)], C);
            assert_eq!(u.x(0), 1);
        }

        // ── CCMN/CCMP ──────────────────────────────────────────────────────────────────

        fn cond_compare_register_and_immediate(t) {
            // (code, x1, x2, NZCV in, NZCV out)
            let cases: [(&[u8], u64, u64, u32, u32); 9] = [
                (&a64!(; ccmp x1, x2, 0, eq), 1, 2, Z, N), // holds: flags of 1 - 2
                (&a64!(; ccmp x1, x2, 15, ne), 1, 2, Z, N | Z | C | V), // fails: the immediate
                (&a64!(; ccmp x1, 31, 4, eq), 31, 0, Z, Z | C),
                (&a64!(; ccmp x1, 0, 0, cs), 1 << 63, 0, C, N | C),
                (&a64!(; ccmn w1, w2, 2, eq), 0x5_ffff_ffff, 0x1_0000_0001, Z, Z | C),
                (&a64!(; ccmn x1, 5, 0, eq), 5u64.wrapping_neg(), 0, Z, Z | C),
                (&a64!(; ccmn x1, x2, 10, lt), 0x7fff_ffff_ffff_ffff, 1, N, N | V),
                (&a64!(; ccmp w1, 1, 5, gt), 1, 0, Z, Z | V), // GT fails with Z set
                (&a64!(; ccmp xzr, x1, 0, eq), 0, 0, Z, Z | C), // XZR, not SP (= 5)
            ];
            for (k, (code, x1, x2, fin, fout)) in cases.into_iter().enumerate() {
                let u = run_on(&t, code, &[(1, x1), (2, x2), (31, 5)], fin);
                assert_eq!(u.nzcv(), fout, "case {k}");
            }
        }

        fn cond_compare_reserved_encodings(t) {
            assert_undefined(&t, &[
                0xda42_0020, // CCMP register form with S = 0
                0xda42_0820, // CCMP immediate form with S = 0
                0x9a42_0020, // CCMN register form with S = 0
            ]);
        }

        // ── conditional select ─────────────────────────────────────────────────────────

        fn cond_select_forms(t) {
            // (code, x1, x2, NZCV in, result)
            let cases: [(&[u8], u64, u64, u32, u64); 13] = [
                (&a64!(; csel x0, x1, x2, eq), 7, 9, Z, 7),
                (&a64!(; csel x0, x1, x2, eq), 7, 9, 0, 9),
                (&a64!(; csinc x0, x1, x2, ne), 7, u64::MAX, Z, 0),
                (&a64!(; csinc x0, x1, x2, ne), 7, u64::MAX, 0, 7),
                (&a64!(; csinv x0, x1, x2, ne), 7, 0x00ff, Z, 0xffff_ffff_ffff_ff00),
                (&a64!(; csneg x0, x1, x2, ne), 7, 1 << 63, Z, 1 << 63),
                (&a64!(; csneg x0, x1, x2, ne), 7, 2, Z, 2u64.wrapping_neg()),
                (&a64!(; csneg w0, w1, w2, ne), 7, 0xffff_ffff_0000_0001, Z, 0xffff_ffff),
                (&a64!(; csel w0, w1, w2, eq), 0xffff_ffff_1234_5678, 0, Z, 0x1234_5678),
                (&a64!(; csinc w0, w1, w2, eq), 0, 0xffff_ffff, 0, 0), // wraps in 32 bits
                (&a64!(; cset x0, eq), 0, 0, Z, 1), // CSINC from XZR, not SP
                (&a64!(; csetm x0, ne), 0, 0, Z, 0),
                (&a64!(; csetm x0, ne), 0, 0, 0, u64::MAX),
            ];
            for (k, (code, x1, x2, f, r)) in cases.into_iter().enumerate() {
                let u = run_on(&t, code, &[(1, x1), (2, x2), (31, 0x77)], f);
                assert_eq!((u.x(0), u.nzcv()), (r, f), "case {k}");
            }
            // Condition NV behaves as AL (J1.3): csel x0, x1, x2, nv.
            t.load_words(RAM_BASE, &[0x9a82_f020]);
            t.set_x(1, 7);
            t.set_x(2, 9);
            t.run();
            assert_eq!(t.x(0), 7);
        }

        fn cond_select_reserved_encodings(t) {
            assert_undefined(&t, &[
                0x9a82_0820, // op2 = 10
                0x9a82_0c20, // op2 = 11
                0xba82_0020, // S = 1
                0xfa82_0420, // S = 1 with op = 1
            ]);
        }

        // ── data processing (1 source) ─────────────────────────────────────────────────

        fn dp_1src_values(t) {
            const BYTES: u64 = 0x0102_0304_0506_0708;
            let cases: [(&[u8], u64, u64); 29] = [
                (&a64!(; rbit x0, x1), 1, 1 << 63),
                (&a64!(; rbit x0, x1), 0x0000_0000_0000_00f2, 0x4f00_0000_0000_0000),
                (&a64!(; rbit w0, w1), 0xffff_ffff_0000_0001, 0x8000_0000),
                (&a64!(; rev16 x0, x1), BYTES, 0x0201_0403_0605_0807),
                (&a64!(; rev16 w0, w1), BYTES, 0x0605_0807),
                (&a64!(; rev16 x0, x1), 0x0001_0000_0000_0001, 0x0100_0000_0000_0100),
                (&a64!(; rev32 x0, x1), BYTES, 0x0403_0201_0807_0605),
                (&a64!(; rev w0, w1), BYTES, 0x0807_0605),
                (&a64!(; rev x0, x1), BYTES, 0x0807_0605_0403_0201),
                (&a64!(; clz x0, x1), 0, 64),
                (&a64!(; clz x0, x1), 1, 63),
                (&a64!(; clz x0, x1), 1 << 63, 0),
                (&a64!(; clz w0, w1), 0xffff_ffff_0000_0000, 32),
                (&a64!(; clz w0, w1), 0x8000_0000, 0),
                (&a64!(; clz w0, w1), 1, 31),
                // CountLeadingSignBits: leading bits equal to the sign, not counting it.
                (&a64!(; cls x0, x1), 0, 63),
                (&a64!(; cls x0, x1), u64::MAX, 63),
                (&a64!(; cls x0, x1), 1 << 63, 0),
                (&a64!(; cls x0, x1), 0xc000_0000_0000_0000, 1),
                (&a64!(; cls x0, x1), 0x4000_0000_0000_0000, 0),
                (&a64!(; cls x0, x1), 1, 62),
                (&a64!(; cls w0, w1), 0xffff_ffff, 31),
                (&a64!(; cls w0, w1), 0xffff_ffff_0000_0001, 30),
                (&a64!(; cls w0, w1), 0x8000_0000, 0),
                (&a64!(; cls w0, w1), 0, 31),
                (&a64!(; cls w0, w1), 0xffff_fff0, 27),
                (&a64!(; rbit x0, xzr), 0, 0),
                (&a64!(; clz x0, xzr), 0, 64), // XZR, not SP (= 0x77)
                (&a64!(; rev x0, x1), 0xff, 0xff00_0000_0000_0000),
            ];
            for (k, (code, x1, r)) in cases.into_iter().enumerate() {
                let u = run_on(&t, code, &[(0, SENTINEL), (1, x1), (31, 0x77)], N | C);
                assert_eq!((u.x(0), u.nzcv()), (r, N | C), "case {k}");
            }
        }

        fn dp_1src_reserved_encodings(t) {
            assert_undefined(&t, &[
                0x5ac0_0c20, // REV with opc 11 on a W register
                0xdac1_0020, // PACIA x0, x1 (v8.3)
                0xdac1_43e0, // XPACI x0 (v8.3)
                0xdac0_1820, // opcode 000110
                0xdac0_4020, // opcode 010000
                0xfac0_0020, // S = 1
            ]);
        }

        // ── data processing (2 source) ─────────────────────────────────────────────────

        fn divide(t) {
            let m7 = 7u64.wrapping_neg();
            let cases: [(&[u8], u64, u64, u64); 13] = [
                (&a64!(; udiv x0, x1, x2), 100, 7, 14),
                (&a64!(; udiv x0, x1, x2), 100, 0, 0), // no trap: zero
                (&a64!(; udiv x0, x1, x2), u64::MAX, 1, u64::MAX),
                (&a64!(; udiv x0, x1, x2), u64::MAX, 2, 0x7fff_ffff_ffff_ffff),
                (&a64!(; udiv w0, w1, w2), 0x1_0000_0010, 0x1_0000_0004, 4),
                (&a64!(; udiv w0, w1, w2), 0xffff_ffff, 0x1_0000_0000, 0), // W divisor is 0
                (&a64!(; sdiv x0, x1, x2), m7, 2, 3u64.wrapping_neg()), // rounds toward zero
                (&a64!(; sdiv x0, x1, x2), 7, 2u64.wrapping_neg(), 3u64.wrapping_neg()),
                (&a64!(; sdiv x0, x1, x2), 1 << 63, u64::MAX, 1 << 63), // INT_MIN / -1
                (&a64!(; sdiv x0, x1, x2), 5, 0, 0),
                (&a64!(; sdiv w0, w1, w2), 0x8000_0000, 0xffff_ffff, 0x8000_0000),
                (&a64!(; sdiv w0, w1, w2), m7 as u32 as u64, 2, 0xffff_fffd),
                // 100 / -10 in 32 bits.
                (&a64!(; sdiv w0, w1, w2), 0xffff_ffff_0000_0064, 0xffff_fff6, 0xffff_fff6),
            ];
            for (k, (code, x1, x2, r)) in cases.into_iter().enumerate() {
                let u = run_on(&t, code, &[(1, x1), (2, x2)], Z);
                assert_eq!((u.x(0), u.nzcv()), (r, Z), "case {k}");
            }
        }

        fn variable_shifts_take_the_amount_modulo_the_size(t) {
            let cases: [(&[u8], u64, u64, u64); 16] = [
                (&a64!(; lslv x0, x1, x2), 1, 67, 8),
                (&a64!(; lslv x0, x1, x2), 1, 63, 1 << 63),
                (&a64!(; lslv x0, x1, x2), 5, 64, 5),
                (&a64!(; lsrv x0, x1, x2), 1 << 63, 63, 1),
                (&a64!(; lsrv x0, x1, x2), 1 << 63, 0, 1 << 63),
                (&a64!(; asrv x0, x1, x2), 1 << 63, 63, u64::MAX),
                (&a64!(; asrv x0, x1, x2), 1 << 63, 64, 1 << 63),
                (&a64!(; rorv x0, x1, x2), 1, 1, 1 << 63),
                (&a64!(; rorv x0, x1, x2), 0x8000_0000_0000_0001, 65, 0xc000_0000_0000_0000),
                (&a64!(; lslv w0, w1, w2), 0x8000_0001, 33, 2),
                (&a64!(; lsrv w0, w1, w2), 0xffff_ffff_8000_0000, 31, 1),
                (&a64!(; asrv w0, w1, w2), 0x8000_0000, 31, 0xffff_ffff),
                (&a64!(; asrv w0, w1, w2), 0x8000_0000, 32, 0x8000_0000),
                (&a64!(; rorv w0, w1, w2), 1, 1, 0x8000_0000),
                (&a64!(; rorv w0, w1, w2), 1, 0xffff_ffff_ffff_ffe1, 0x8000_0000),
                (&a64!(; lsrv x0, x1, x2), u64::MAX, u64::MAX, 1), // amount 63
            ];
            for (k, (code, x1, x2, r)) in cases.into_iter().enumerate() {
                let u = run_on(&t, code, &[(1, x1), (2, x2)], V);
                assert_eq!((u.x(0), u.nzcv()), (r, V), "case {k}");
            }
        }

        fn crc32_check_values(t) {
            // The check values of the catalogue of CRC algorithms: "123456789" under CRC-32
            // (ISO-HDLC) is 0xcbf43926 and under CRC-32C (Castagnoli) 0xe3069283, both with
            // initial value and final XOR 0xffffffff, which the instructions leave to software.
            let check = b"123456789";
            let le = |b: &[u8]| b.iter().rev().fold(0u64, |a, &x| a << 8 | x as u64);
            let crc = |code: &[u8], chunks: &[&[u8]]| -> (u32, u64) {
                // Upper bits of x0 and beyond each chunk are garbage the instructions ignore.
                let mut regs = vec![(0, 0xdead_beef_ffff_ffff)];
                for (k, c) in chunks.iter().enumerate() {
                    let garbage = 0xa5a5_a5a5_a5a5_a5a5u64.checked_shl(8 * c.len() as u32);
                    let garbage = garbage.unwrap_or(0);
                    regs.push((k + 1, le(c) | garbage));
                }
                let u = run_on(&t, code, &regs, N);
                assert_eq!(u.nzcv(), N);
                (!(u.x(0) as u32), u.x(0) >> 32)
            };
            let bytes: Vec<&[u8]> = check.chunks(1).collect();
            let b = a64!(; crc32b w0, w0, w1 ; crc32b w0, w0, w2 ; crc32b w0, w0, w3
                ; crc32b w0, w0, w4 ; crc32b w0, w0, w5 ; crc32b w0, w0, w6
                ; crc32b w0, w0, w7 ; crc32b w0, w0, w8 ; crc32b w0, w0, w9);
            let cb = a64!(; crc32cb w0, w0, w1 ; crc32cb w0, w0, w2 ; crc32cb w0, w0, w3
                ; crc32cb w0, w0, w4 ; crc32cb w0, w0, w5 ; crc32cb w0, w0, w6
                ; crc32cb w0, w0, w7 ; crc32cb w0, w0, w8 ; crc32cb w0, w0, w9);
            assert_eq!(crc(&b, &bytes), (0xcbf4_3926, 0));
            assert_eq!(crc(&cb, &bytes), (0xe306_9283, 0));
            // Wider forms consume their operand least significant byte first.
            let halves: [&[u8]; 5] = [b"12", b"34", b"56", b"78", b"9"];
            let h = a64!(; crc32h w0, w0, w1 ; crc32h w0, w0, w2 ; crc32h w0, w0, w3
                ; crc32h w0, w0, w4 ; crc32b w0, w0, w5);
            let ch = a64!(; crc32ch w0, w0, w1 ; crc32ch w0, w0, w2 ; crc32ch w0, w0, w3
                ; crc32ch w0, w0, w4 ; crc32cb w0, w0, w5);
            assert_eq!(crc(&h, &halves), (0xcbf4_3926, 0));
            assert_eq!(crc(&ch, &halves), (0xe306_9283, 0));
            let words: [&[u8]; 3] = [b"1234", b"5678", b"9"];
            let w = a64!(; crc32w w0, w0, w1 ; crc32w w0, w0, w2 ; crc32b w0, w0, w3);
            let cw = a64!(; crc32cw w0, w0, w1 ; crc32cw w0, w0, w2 ; crc32cb w0, w0, w3);
            assert_eq!(crc(&w, &words), (0xcbf4_3926, 0));
            assert_eq!(crc(&cw, &words), (0xe306_9283, 0));
            let doubles: [&[u8]; 2] = [b"12345678", b"9"];
            let x = a64!(; crc32x w0, w0, x1 ; crc32b w0, w0, w2);
            let cx = a64!(; crc32cx w0, w0, x1 ; crc32cb w0, w0, w2);
            assert_eq!(crc(&x, &doubles), (0xcbf4_3926, 0));
            assert_eq!(crc(&cx, &doubles), (0xe306_9283, 0));
        }

        fn dp_2src_reserved_encodings(t) {
            assert_undefined(&t, &[
                0x1ac1_4c00, // CRC32X with sf = 0
                0x9ac1_4000, // CRC32B with sf = 1
                0x9ac1_5000, // CRC32CB with sf = 1
                0x1ac1_5c00, // CRC32CX with sf = 0
                0x9ac2_3020, // PACGA (v8.3)
                0x9ac2_0020, // SUBP (MTE)
                0x9ac2_1020, // IRG (MTE)
                0x9ac2_0420, // opcode 000001
                0x9ac2_6020, // opcode 011000
                0xbac2_0820, // UDIV with S = 1
            ]);
        }

        // ── data processing (3 source) ─────────────────────────────────────────────────

        fn multiply_add_and_long_and_high(t) {
            let m2 = 2u64.wrapping_neg();
            let w_max = u32::MAX as u64;
            let cases: [(&[u8], u64, u64, u64, u64); 22] = [
                (&a64!(; madd x0, x1, x2, x3), 3, 4, 5, 17),
                (&a64!(; msub x0, x1, x2, x3), 3, 4, 5, 7u64.wrapping_neg()),
                (&a64!(; madd x0, x1, x2, x3), 0x8000_0000_0000_0001, 2, 5, 7),
                (&a64!(; madd w0, w1, w2, w3), 0x1_0000_0003, 0x1_0000_0004, 0x1_0000_0005, 17),
                (&a64!(; madd w0, w1, w2, w3), 0x1_0000, 0x1_0000, 0, 0),
                (&a64!(; msub w0, w1, w2, w3), 1, 1, 0, 0xffff_ffff),
                (&a64!(; mul x0, x1, x2), 3, 4, 0, 12), // Ra = XZR, not SP
                (&a64!(; mneg x0, x1, x2), 3, 4, 0, 12u64.wrapping_neg()),
                (&a64!(; smaddl x0, w1, w2, x3), 0x1234_ffff_fffe, 3, 10, 4),
                (&a64!(; smsubl x0, w1, w2, x3), 0x1234_ffff_fffe, 3, 10, 16),
                (&a64!(; smaddl x0, w1, w2, x3), 0x8000_0000, 0x8000_0000, 0, 1 << 62),
                (&a64!(; umaddl x0, w1, w2, x3), w_max, w_max, 1, 0xffff_fffe_0000_0002),
                (&a64!(; umsubl x0, w1, w2, x3), w_max, w_max, 0, 0x1_ffff_ffff),
                (&a64!(; umaddl x0, w1, w2, x3), 0xffff_ffff_0000_0002, 3, 0, 6),
                (&a64!(; smulh x0, x1, x2), u64::MAX, u64::MAX, 0, 0),
                (&a64!(; smulh x0, x1, x2), 1 << 63, 1 << 63, 0, 1 << 62),
                (&a64!(; smulh x0, x1, x2), u64::MAX, 2, 0, u64::MAX),
                (&a64!(; smulh x0, x1, x2), i64::MAX as u64, i64::MAX as u64, 0, (1 << 62) - 1),
                (&a64!(; smulh x0, x1, x2), 1 << 63, 4, 0, m2),
                (&a64!(; umulh x0, x1, x2), u64::MAX, u64::MAX, 0, m2),
                (&a64!(; umulh x0, x1, x2), 1 << 63, 4, 0, 2),
                (&a64!(; umulh x0, x1, x2), u64::MAX, 1, 0, 0),
            ];
            for (k, (code, x1, x2, x3, r)) in cases.into_iter().enumerate() {
                let u = run_on(&t, code, &[(1, x1), (2, x2), (3, x3), (31, 0x1000)], C);
                assert_eq!((u.x(0), u.nzcv()), (r, C), "case {k}");
            }
        }

        fn dp_3src_reserved_encodings(t) {
            assert_undefined(&t, &[
                0xbb02_0c20, // op54 = 01
                0xdb02_0c20, // op54 = 10
                0x1b22_0c20, // SMADDL with sf = 0
                0x1ba2_0c20, // UMADDL with sf = 0
                0x1b42_7c20, // SMULH with sf = 0
                0x9b42_fc20, // SMULH with o0 = 1
                0x9bc2_fc20, // UMULH with o0 = 1
                0x9b62_0c20, // op31 = 011
                0x9be2_0c20, // op31 = 111
                0x9b82_0c20, // op31 = 100
            ]);
        }
    }
}
