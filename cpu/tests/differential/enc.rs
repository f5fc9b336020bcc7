//! A64 encoders for the few instructions the reference harness itself needs (Arm ARM C6.2,
//! each encoding written from its diagram), checked against dynasm in `encoders_agree`.

pub const NOP: u32 = 0xd503_201f;
/// SVC #0: the Linux system call.
pub const SVC0: u32 = 0xd400_0001;

/// ADRP Xd, page(target) for an instruction at `pc`.
pub fn adrp(rd: u32, pc: u64, target: u64) -> u32 {
    let pages = ((target >> 12) as i64 - (pc >> 12) as i64) as u32;
    assert!(
        ((pages as i32) << 11 >> 11) as u32 == pages,
        "ADRP out of range"
    );
    0x9000_0000 | (pages & 3) << 29 | (pages >> 2 & 0x7ffff) << 5 | rd
}

/// ADD Xd|SP, Xn|SP, #imm12.
pub fn add_imm(rd: u32, rn: u32, imm: u32) -> u32 {
    assert!(imm < 4096);
    0x9100_0000 | imm << 10 | rn << 5 | rd
}

/// LDP/STP Xt, Xt2, [Xn|SP, #off] (signed offset, multiple of 8 in -512..=504).
pub fn ldp(rt: u32, rt2: u32, rn: u32, off: i32) -> u32 {
    pair(0xa940_0000, rt, rt2, rn, off)
}

pub fn stp(rt: u32, rt2: u32, rn: u32, off: i32) -> u32 {
    pair(0xa900_0000, rt, rt2, rn, off)
}

fn pair(op: u32, rt: u32, rt2: u32, rn: u32, off: i32) -> u32 {
    assert!(off % 8 == 0 && (-512..=504).contains(&off));
    op | ((off / 8) as u32 & 0x7f) << 15 | rt2 << 10 | rn << 5 | rt
}

/// LDR/STR Xt, [Xn|SP, #off] (unsigned offset, multiple of 8).
pub fn ldr(rt: u32, rn: u32, off: u32) -> u32 {
    assert!(off.is_multiple_of(8) && off / 8 < 4096);
    0xf940_0000 | (off / 8) << 10 | rn << 5 | rt
}

pub fn str(rt: u32, rn: u32, off: u32) -> u32 {
    assert!(off.is_multiple_of(8) && off / 8 < 4096);
    0xf900_0000 | (off / 8) << 10 | rn << 5 | rt
}

/// MOVZ Xd, #imm16.
pub fn movz(rd: u32, imm: u16) -> u32 {
    0xd280_0000 | (imm as u32) << 5 | rd
}

/// System register encodings as MRS/MSR carry them in bits 20:5 (o0 folded into op0).
pub const NZCV: u32 = sysreg(3, 3, 4, 2, 0);
pub const TPIDR_EL0: u32 = sysreg(3, 3, 13, 0, 2);

pub const fn sysreg(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32) -> u32 {
    (op0 - 2) << 19 | op1 << 16 | crn << 12 | crm << 8 | op2 << 5
}

/// MSR <sysreg>, Xt.
pub fn msr(sysreg: u32, rt: u32) -> u32 {
    0xd510_0000 | sysreg | rt
}

/// MRS Xt, <sysreg>.
pub fn mrs(rt: u32, sysreg: u32) -> u32 {
    0xd530_0000 | sysreg | rt
}
