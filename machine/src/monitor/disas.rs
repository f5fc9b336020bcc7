//! `x /i` and `xp /i`: A64 disassembly laid out as QEMU 7.2's monitor prints it through
//! capstone (`disas/capstone.c`, `cap_dump_insn`): the address, the instruction word, the
//! mnemonic padded to 8 columns, the operands.
//!
//! The decoding is yaxpeax-arm's; where its text differs from capstone's, it is rewritten
//! here to capstone's: PC-relative targets as absolute addresses (`ldr x0, #0x40000018`),
//! immediates up to 9 in decimal (`#8`), MOVZ/MOVN and ORR-with-zero-register by their
//! own names rather than as `mov`, system registers by name (those armvirt implements)
//! and words that are no instruction as `.byte`. Kept as yaxpeax prints them, since the
//! Arm ARM (and GNU objdump) names them so and QEMU 7.2's capstone 4 predates them: UDF,
//! the pointer-authentication hints (`paciasp`) and LSE's store aliases (`stset`).
//! `tests.rs` compares with QEMU's output on a kernel's code.

use armvirt_cpu::sysreg;
use armvirt_devices::gic::v3::defs::icc_reg;
use std::fmt::Write;
use yaxpeax_arch::{Decoder, U8Reader};
use yaxpeax_arm::armv8::a64::{InstDecoder, Opcode, Operand};

/// capstone's HEX_THRESHOLD: immediates above it print in hex.
const DECIMAL_MAX: u8 = 9;

/// One instruction, `word` at `pc`: "mnemonic operands" in capstone's layout, or None for
/// an encoding that is not an instruction.
pub fn instruction(word: u32, pc: u64) -> Option<String> {
    let own = system_register_move(word)
        .or_else(|| move_wide(word))
        .or_else(|| add_sub_extended(word))
        .or_else(|| msr_immediate(word));
    if let Some(text) = own {
        return Some(text);
    }
    if unallocated(word) {
        return None;
    }
    let bytes = word.to_le_bytes();
    let mut reader = U8Reader::new(&bytes);
    let mut insn = InstDecoder::default().decode(&mut reader).ok()?;
    let adrp = insn.opcode == Opcode::ADRP;
    for op in insn.operands.iter_mut() {
        if let Operand::PCOffset(off) = *op {
            // ADRP's offset is from the PC's 4 KiB page (Arm ARM C6.2.11).
            let base = if adrp { pc & !0xfff } else { pc };
            *op = Operand::Imm64(base.wrapping_add(off as u64));
        }
    }
    let text = small_immediates_in_decimal(&insn.to_string());
    let (mnemonic, operands) = text.split_once(' ').unwrap_or((&text, ""));
    if mnemonic == "mov" && is_orr_immediate_from_zr(word) {
        // capstone 4 keeps ORR's own form: `orr w0, wzr, #imm`.
        let (rd, imm) = operands.split_once(", ")?;
        let zr = if rd.starts_with('x') { "xzr" } else { "wzr" };
        return Some(layout("orr", &format!("{rd}, {zr}, {imm}")));
    }
    Some(layout(mnemonic, operands))
}

/// Encodings the Arm ARM leaves unallocated that yaxpeax-arm 0.5 decodes anyway.
fn unallocated(word: u32) -> bool {
    // Logical (immediate) with sf = 0 and N = 1 (C4.1.92.4).
    const LOGICAL_IMM_MASK: u32 = 0x1f80_0000;
    const LOGICAL_IMM: u32 = 0x1200_0000;
    let logical_32_n1 =
        word & LOGICAL_IMM_MASK == LOGICAL_IMM && word >> 31 == 0 && (word >> 22) & 1 == 1;
    // Floating-point compare with opcode2 bits 2:0 not zero (C4.1.96.22).
    const FP_COMPARE_MASK: u32 = 0xff20_fc00;
    const FP_COMPARE: u32 = 0x1e20_2000;
    let fp_compare_bad = word & FP_COMPARE_MASK == FP_COMPARE && word & 7 != 0;
    logical_32_n1 || fp_compare_bad
}

/// A monitor line for `word` at `addr`: QEMU's `0x%08" PRIx64 ":  %08x  ` and the
/// instruction, or capstone's `.byte` list for a word that is none.
pub fn line(addr: u64, word: u32) -> String {
    let insn = instruction(word, addr).unwrap_or_else(|| {
        let b = word.to_le_bytes();
        let list = format!("{:#04x}, {:#04x}, {:#04x}, {:#04x}", b[0], b[1], b[2], b[3]);
        layout(".byte", &list)
    });
    format!("0x{addr:08x}:  {word:08x}  {insn}\n")
}

/// capstone's `"%-8s %s"`.
fn layout(mnemonic: &str, operands: &str) -> String {
    format!("{mnemonic:<8} {operands}")
}

/// `#0x5` → `#5`, `#-0x3` → `#-3`: capstone prints immediates up to 9 in decimal.
fn small_immediates_in_decimal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('#') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let (sign, digits) = match rest.strip_prefix('-') {
            Some(d) => ("-", d),
            None => ("", rest),
        };
        if let Some(hex) = digits.strip_prefix("0x") {
            let len = hex
                .find(|c: char| !c.is_ascii_hexdigit())
                .unwrap_or(hex.len());
            if let Ok(v) = u8::from_str_radix(&hex[..len], 16) {
                if len <= 2 && v <= DECIMAL_MAX {
                    let _ = write!(out, "{sign}{v}");
                    rest = &hex[len..];
                }
            }
        }
    }
    out.push_str(rest);
    out
}

/// ORR (immediate) with Rn = the zero register, which yaxpeax shows as its `mov` alias.
fn is_orr_immediate_from_zr(word: u32) -> bool {
    const ORR_IMM_MASK: u32 = 0x7f80_0000;
    const ORR_IMM: u32 = 0x3200_0000;
    word & ORR_IMM_MASK == ORR_IMM && (word >> 5) & 31 == 31
}

/// MOVZ, MOVN and MOVK (Arm ARM C6.2.224-226) as capstone 4 prints them: by their own
/// names, the 16-bit immediate and its shift (`movz x0, #0x1234, lsl #16`).
fn move_wide(word: u32) -> Option<String> {
    const MOVE_WIDE_MASK: u32 = 0x1f80_0000;
    const MOVE_WIDE: u32 = 0x1280_0000;
    if word & MOVE_WIDE_MASK != MOVE_WIDE {
        return None;
    }
    let sf = word >> 31 == 1;
    let hw = (word >> 21) & 3;
    if !sf && hw > 1 {
        return None; // unallocated
    }
    let name = match (word >> 29) & 3 {
        0 => "movn",
        2 => "movz",
        3 => "movk",
        _ => return None, // unallocated
    };
    let rd = reg(sf, word & 31);
    // capstone 4 prints this immediate in hex but for 0.
    let imm = (word >> 5) & 0xffff;
    let mut ops = match imm {
        0 => format!("{rd}, #0"),
        _ => format!("{rd}, #{imm:#x}"),
    };
    if hw != 0 {
        let _ = write!(ops, ", lsl #{}", hw * 16);
    }
    Some(layout(name, &ops))
}

/// MRS and MSR (register) (Arm ARM C6.2.220/C6.2.222): the register by name when armvirt
/// knows it, else `s<op0>_<op1>_c<CRn>_c<CRm>_<op2>` as capstone shows unnamed ones.
fn system_register_move(word: u32) -> Option<String> {
    const SYSREG_MOVE_MASK: u32 = 0xfff0_0000;
    const MSR_REG: u32 = 0xd510_0000;
    const MRS: u32 = 0xd530_0000;
    let read = match word & SYSREG_MOVE_MASK {
        MRS => true,
        MSR_REG => false,
        _ => return None,
    };
    let field = |shift: u32, bits: u32| (word >> shift) & ((1 << bits) - 1);
    let (op0, op1, crn, crm, op2) = (
        2 + field(19, 1),
        field(16, 3),
        field(12, 4),
        field(8, 4),
        field(5, 3),
    );
    let enc = sysreg::enc(op0, op1, crn, crm, op2);
    let known = sysreg::lookup(enc)
        .map(|r| r.name)
        .or_else(|| icc_reg(enc).map(|r| r.name))
        .filter(|n| !n.contains(' ')); // not the reserved-ID-register placeholder
    let name = match known {
        Some(n) => n.to_ascii_lowercase(),
        None => format!("s{op0}_{op1}_c{crn}_c{crm}_{op2}"),
    };
    let rt = reg(true, word & 31);
    Some(if read {
        layout("mrs", &format!("{rt}, {name}"))
    } else {
        layout("msr", &format!("{name}, {rt}"))
    })
}

/// MSR (immediate) (Arm ARM C6.2.229) with the PSTATE field by name (`msr daifset, #0xf`),
/// where yaxpeax-arm shows its number.
fn msr_immediate(word: u32) -> Option<String> {
    const MSR_IMM_MASK: u32 = 0xfff8_f01f;
    const MSR_IMM: u32 = 0xd500_401f;
    if word & MSR_IMM_MASK != MSR_IMM {
        return None;
    }
    let (op1, crm, op2) = ((word >> 16) & 7, (word >> 8) & 15, (word >> 5) & 7);
    let field = match (op1, op2) {
        (0, 3) => "uao",
        (0, 4) => "pan",
        (0, 5) => "spsel",
        (3, 1) => "ssbs",
        (3, 2) => "dit",
        (3, 4) => "tco",
        (3, 6) => "daifset",
        (3, 7) => "daifclr",
        _ => return None,
    };
    let imm = if crm <= u32::from(DECIMAL_MAX) {
        format!("#{crm}")
    } else {
        format!("#{crm:#x}")
    };
    Some(layout("msr", &format!("{field}, {imm}")))
}

/// ADD/ADDS/SUB/SUBS (extended register) (Arm ARM C6.2.3/C6.2.5/C6.2.356/C6.2.358),
/// which yaxpeax-arm 0.5 shows without their UXTW/SXTW extend: `add x0, x27, w0, uxtw #3`,
/// with the LSL form only where the Arm ARM prefers it (SP involved, UXTX/UXTW), and
/// CMP/CMN for flag-setting ones without a destination.
fn add_sub_extended(word: u32) -> Option<String> {
    const ADD_SUB_EXT_MASK: u32 = 0x1fe0_0000;
    const ADD_SUB_EXT: u32 = 0x0b20_0000;
    if word & ADD_SUB_EXT_MASK != ADD_SUB_EXT {
        return None;
    }
    let sf = word >> 31 == 1;
    let sub = (word >> 30) & 1 == 1;
    let flags = (word >> 29) & 1 == 1;
    let (rm, option, imm3) = ((word >> 16) & 31, (word >> 13) & 7, (word >> 10) & 7);
    let (rn, rd) = ((word >> 5) & 31, word & 31);
    if imm3 > 4 {
        return None; // reserved
    }
    let sp_or = |n: u32| match (n, sf) {
        (31, true) => "sp".to_string(),
        (31, false) => "wsp".to_string(),
        _ => reg(sf, n),
    };
    // Rm is a W register but for the doubleword extends, UXTX and SXTX.
    let rm = reg(sf && option & 3 == 3, rm);
    let lsl_preferred = (rd == 31 && !flags || rn == 31) && option == if sf { 3 } else { 2 };
    let extend = if lsl_preferred {
        match imm3 {
            0 => String::new(),
            n => format!(", lsl #{n}"),
        }
    } else {
        let name = [
            "uxtb", "uxth", "uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx",
        ][option as usize];
        match imm3 {
            0 => format!(", {name}"),
            n => format!(", {name} #{n}"),
        }
    };
    let name = match (sub, flags) {
        (false, false) => "add",
        (false, true) => "adds",
        (true, false) => "sub",
        (true, true) => "subs",
    };
    let rn = sp_or(rn);
    Some(match (flags, rd) {
        (true, 31) => layout(
            if sub { "cmp" } else { "cmn" },
            &format!("{rn}, {rm}{extend}"),
        ),
        (true, _) => layout(name, &format!("{}, {rn}, {rm}{extend}", reg(sf, rd))),
        (false, _) => layout(name, &format!("{}, {rn}, {rm}{extend}", sp_or(rd))),
    })
}

/// General-purpose register `n`, 31 being the zero register (as in MOVZ, MRS and MSR).
fn reg(sf: bool, n: u32) -> String {
    match (n, sf) {
        (31, true) => "xzr".into(),
        (31, false) => "wzr".into(),
        (n, true) => format!("x{n}"),
        (n, false) => format!("w{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines QEMU 7.2 printed for `xp /i` on the boot stub and Debian's 6.1 cloud kernel
    /// (`-M virt -cpu cortex-a72 -S`), one for each way the text is made here.
    const QEMU: &[&str] = &[
        "0x40000000:  580000c0  ldr      x0, #0x40000018",
        "0x40000004:  aa1f03e1  mov      x1, xzr",
        "0x40000014:  d61f0080  br       x4",
        "0x40000018:  48000000  stxrh    w0, w0, [x0]",
        "0x40000020:  40200000  .byte    0x00, 0x00, 0x20, 0x40",
        "0x40210000:  d503201f  nop      ",
        "0x4021000c:  a9bd7bfd  stp      x29, x30, [sp, #-0x30]!",
        "0x40210018:  b000c093  adrp     x19, #0x41a21000",
        "0x4021001c:  9132c273  add      x19, x19, #0xcb0",
        "0x40210038:  1400000b  b        #0x40210064",
        "0x40210048:  721c141f  tst      w0, #0x3f0",
        "0x40210050:  d50339bf  dmb      ishld",
        "0x40210054:  d538d082  mrs      x2, tpidr_el1",
        "0x40210060:  940446a8  bl       #0x40321b00",
        "0x40210070:  54fffe69  b.ls     #0x4021003c",
        "0x40210074:  a94153f3  ldp      x19, x20, [sp, #0x10]",
        "0x40210084:  d65f03c0  ret      ",
        "0x4021008c:  88dffec0  ldar     w0, [x22]",
        "0x402100b0:  d538cc13  mrs      x19, icc_iar1_el1",
        "0x402100f4:  39400440  ldrb     w0, [x2, #1]",
        "0x40210100:  5283ffe0  movz     w0, #0x1fff",
        "0x40210110:  d518cb33  msr      icc_dir_el1, x19",
        "0x402101bc:  d4210000  brk      #0x800",
        "0x4021080c:  37700080  tbnz     w0, #0xe, #0x4021081c",
        "0x4021081c:  d51bd040  msr      tpidr_el0, x0",
        "0x40211508:  32013fe0  orr      w0, wzr, #0x80007fff",
        "0x40211538:  12800015  movn     w21, #0",
        "0x4021204c:  d5034fdf  msr      daifset, #0xf",
        "0x40212198:  f2bfb7fe  movk     x30, #0xfdbf, lsl #16",
        "0x40212c0c:  f10007de  subs     x30, x30, #1",
        "0x406001d4:  8b244000  add      x0, x0, w4, uxtw",
        "0x406006a0:  8b204f60  add      x0, x27, w0, uxtw #3",
        "0x40601510:  d5384600  mrs      x0, icc_pmr_el1",
        "0x40601f34:  72a00020  movk     w0, #0x1, lsl #16",
        "0x40e003a8:  72657473  .byte    0x73, 0x74, 0x65, 0x72",
        "0x40e00554:  1e212329  .byte    0x29, 0x23, 0x21, 0x1e",
    ];

    fn ours(qemu_line: &str) -> String {
        let (addr, rest) = qemu_line.split_once(":  ").unwrap();
        let addr = u64::from_str_radix(&addr[2..], 16).unwrap();
        let word = u32::from_str_radix(&rest[..8], 16).unwrap();
        line(addr, word).trim_end_matches('\n').to_string()
    }

    #[test]
    fn lines_match_qemu_7_2() {
        let wrong: Vec<String> = QEMU
            .iter()
            .filter(|q| ours(q) != **q)
            .map(|q| format!("QEMU: {q:?}\nours: {:?}", ours(q)))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// Where armvirt keeps the Arm ARM's name and QEMU 7.2's capstone 4 has none (the
    /// module comment): what each prints.
    #[test]
    fn newer_names_than_capstone_4() {
        let cases = [
            (0x0000_0000, "udf      #0"), // QEMU: .byte 0x00, 0x00, 0x00, 0x00
            (0xd503_233f, "paciasp  "),   // QEMU: hint #0x19
            (0xf836_32ff, "stset    x22, [x23]"), // QEMU: .byte
            (0xb823_0003, "ldadd    w3, w3, [x0]"),
        ];
        for (word, want) in cases {
            assert_eq!(
                instruction(word, 0x4000_0000).as_deref(),
                Some(want),
                "{word:#010x}"
            );
        }
    }

    /// As GNU objdump (binutils-aarch64-linux-gnu 2.40) prints them.
    #[test]
    fn extended_register_forms() {
        let cases = [
            (0x8b24_4000, "add      x0, x0, w4, uxtw"),
            (0x8b20_63e0, "add      x0, sp, x0"), // UXTX with SP: LSL, omitted
            (0x8b20_6be0, "add      x0, sp, x0, lsl #2"),
            (0xeb20_c01f, "cmp      x0, w0, sxtw"),
            (0x2b22_203f, "cmn      w1, w2, uxth"),
            (0xcb3f_63ff, "sub      sp, sp, xzr"),
        ];
        for (word, want) in cases {
            assert_eq!(instruction(word, 0).as_deref(), Some(want), "{word:#010x}");
        }
    }
}
