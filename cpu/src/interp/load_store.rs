//! What the A64 load/store groups share (Arm ARM C3.3; the pseudocode of C6.2's LDR/STR
//! pages and the shared functions of J1): the base register with CheckSPAlignment(), the
//! rule of AArch64.CheckAlignment(), CheckFPAdvSIMDEnabled64(), the size:V:opc decode of
//! the single-register classes, and one access of a general-purpose or SIMD&FP register.
//!
//! Loads write their destination only after every byte has been read, and handlers write
//! a base back only after the access: a faulting instruction leaves registers as they were.

use crate::cpu::Cpu;
use crate::exception::{ec, Exception};
use crate::exec::Flow;
use crate::insn::sext;
use crate::mem::{Access, Mem};

/// SCTLR_EL1.A: alignment checking of every data access (D17.2.118).
pub const SCTLR_A: u64 = 1 << 1;
/// SCTLR_EL1.SA: SP alignment checking at EL1.
pub const SCTLR_SA: u64 = 1 << 3;
/// SCTLR_EL1.SA0: SP alignment checking at EL0.
pub const SCTLR_SA0: u64 = 1 << 4;
/// The smallest translation granule: an access crossing one may fault on its second part.
const PAGE_SIZE: u64 = 4096;

/// The register a load fills or a store empties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reg {
    /// Wt or Xt, register 31 as the zero register. `sf`: the load writes Xt (else Wt,
    /// zeroing the top half); `signed`: the loaded value is sign-extended.
    Gpr { sf: bool, signed: bool },
    /// Bt, Ht, St, Dt or Qt: a load zeroes the rest of the 128-bit Vt.
    Fp,
}

/// MemOp of the pseudocode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemOp {
    Load,
    Store,
    Prefetch,
}

/// One decoded single-register access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Single {
    pub op: MemOp,
    pub reg: Reg,
    /// Bytes accessed: 1, 2, 4, 8 or 16.
    pub size: u8,
}

impl Single {
    /// log2 of the access size: the scale of scaled immediates and register offsets.
    pub fn scale(self) -> u32 {
        self.size.trailing_zeros()
    }
}

/// Decodes size:V:opc of the single-register classes (the LDR/STR (immediate) and
/// (register) "Shared decode" pseudocode; C4.1.88's tables). `None` is unallocated.
pub fn decode_single(size: u32, v: bool, opc: u32) -> Option<Single> {
    use MemOp::*;
    let load_or_store = |load: bool| if load { Load } else { Store };
    if v {
        // opc<1> selects the 128-bit Q form, which exists only with size 00.
        let bytes = match (opc >> 1, size) {
            (0, _) => 1 << size,
            (_, 0) => 16,
            _ => return None,
        };
        return Some(Single {
            op: load_or_store(opc & 1 == 1),
            reg: Reg::Fp,
            size: bytes,
        });
    }
    // MemOp, 64-bit destination, sign extension.
    let (op, sf, signed) = match (opc, size) {
        (0b00 | 0b01, _) => (load_or_store(opc == 0b01), size == 3, false),
        (0b10, 3) => (Prefetch, true, false),
        (0b10, _) => (Load, true, true),
        (0b11, 0 | 1) => (Load, false, true),
        _ => return None,
    };
    Some(Single {
        op,
        reg: Reg::Gpr { sf, signed },
        size: 1 << size,
    })
}

/// A handler's result as the executor wants it.
#[inline]
pub fn flow(r: Result<(), Exception>) -> Flow {
    match r {
        Ok(()) => Flow::Next,
        Err(e) => Flow::Exception(e),
    }
}

/// The UNDEFINED outcome as an error, for `?` in handlers.
pub const UNDEFINED: Exception = Exception::undefined();

/// CheckSPAlignment() (D1.8.2): with SCTLR_EL1.SA (SA0 at EL0) set, a load or store using
/// SP as its base faults unless SP is 16-byte aligned: EC 0x26, ISS 0, FAR not written.
pub fn check_sp_alignment(cpu: &Cpu) -> Result<(), Exception> {
    let sa = if cpu.s.el == 0 { SCTLR_SA0 } else { SCTLR_SA };
    if cpu.sys.sctlr_el1 & sa != 0 && cpu.s.xsp(31) & 15 != 0 {
        return Err(Exception::new(ec::SP_ALIGN, 0));
    }
    Ok(())
}

/// The base address Xn|SP. SP is checked for alignment except for prefetches, which must
/// never fault (`check_sp` false).
pub fn base(cpu: &Cpu, n: u32, check_sp: bool) -> Result<u64, Exception> {
    if n == 31 && check_sp {
        check_sp_alignment(cpu)?;
    }
    Ok(cpu.s.xsp(n))
}

/// AArch64.CheckAlignment(): exclusive and acquire/release accesses (`strict`) need natural
/// alignment always, every other access only while SCTLR_EL1.A is set. DFSC 0x21.
///
/// TODO(mmu): an unaligned access to Device memory also faults, and with SCTLR_EL1.M clear
/// every data access is Device-nGnRnE (D5.2.9). That comes from the memory attributes
/// translation returns, so it belongs in `Cpu::translate`, not here.
pub fn check_alignment(
    cpu: &Cpu,
    va: u64,
    align: u64,
    acc: Access,
    strict: bool,
) -> Result<(), Exception> {
    let check = strict || cpu.sys.sctlr_el1 & SCTLR_A != 0;
    if check && va & (align - 1) != 0 {
        return Err(cpu.alignment_fault(va, acc, align as u8));
    }
    Ok(())
}

pub use super::floating_point::check_fp_enabled;

/// The low `size` bytes of register `t` as a store writes them.
pub fn read_reg(cpu: &Cpu, reg: Reg, t: u32, size: u8) -> u128 {
    let v = match reg {
        Reg::Gpr { .. } => cpu.s.xr(t) as u128,
        Reg::Fp => cpu.s.v[t as usize],
    };
    v & size_mask(size)
}

/// Writes a loaded `size`-byte value to register `t`, extended as `reg` says.
pub fn write_reg(cpu: &mut Cpu, reg: Reg, t: u32, size: u8, v: u128) {
    match reg {
        Reg::Gpr { sf, signed } => {
            let v = v as u64;
            let v = if signed { sext(v, size as u32 * 8) } else { v };
            cpu.s.set_rr(sf, t, v);
        }
        Reg::Fp => cpu.s.v[t as usize] = v & size_mask(size),
    }
}

fn size_mask(size: u8) -> u128 {
    if size >= 16 {
        u128::MAX
    } else {
        (1u128 << (size as u32 * 8)) - 1
    }
}

/// Mem[va, size] for a load: 16 bytes (a Q register) as two 8-byte accesses, as the
/// pseudocode performs them.
pub fn load(cpu: &mut Cpu, m: &mut Mem<'_>, va: u64, size: u8) -> Result<u128, Exception> {
    load_as(cpu, m, va, size, Access::Read)
}

/// A load of kind `acc`: `Read`, or `ReadUnpriv` for LDTR and friends.
fn load_as(
    cpu: &mut Cpu,
    m: &mut Mem<'_>,
    va: u64,
    size: u8,
    acc: Access,
) -> Result<u128, Exception> {
    check_alignment(cpu, va, size as u64, acc, false)?;
    if size == 16 {
        cpu.read_u128(m, va)
    } else {
        cpu.read_as(m, va, size, acc).map(u128::from)
    }
}

/// Mem[va, size] = v for a store of kind `acc`: `Write`, or `WriteUnpriv` for STTR and
/// friends (at most 8 bytes).
fn store_as(
    cpu: &mut Cpu,
    m: &mut Mem<'_>,
    va: u64,
    size: u8,
    v: u128,
    acc: Access,
) -> Result<(), Exception> {
    if size <= 8 {
        check_alignment(cpu, va, size as u64, acc, false)?;
        return cpu.write_as(m, va, size, v as u64, acc);
    }
    store_all(cpu, m, &[(va, size, v)])
}

/// Most 8-byte parts one instruction stores: a pair of Q registers.
const MAX_PARTS: usize = 4;

/// The stores of one instruction, each element `(va, size, value)` (a Q register, or the
/// two registers of a pair), such that a fault on any part leaves memory unchanged:
/// alignment, translation and watchpoints of every part are checked before the first write, and the
/// parts outside RAM, whose bus writes may still fail, are written before those in RAM.
pub fn store_all(
    cpu: &mut Cpu,
    m: &mut Mem<'_>,
    elems: &[(u64, u8, u128)],
) -> Result<(), Exception> {
    // (va, size, value, in RAM) of each part of at most 8 bytes.
    let mut parts = [(0u64, 0u8, 0u64, false); MAX_PARTS];
    let mut count = 0;
    for &(va, size, v) in elems {
        check_alignment(cpu, va, size as u64, Access::Write, false)?;
        let halves = if size == 16 { 2 } else { 1 };
        for h in 0..halves {
            let (pva, psize) = (va.wrapping_add(8 * h), size.min(8));
            let pa = translate_all(cpu, m, pva, psize)?;
            if count < MAX_PARTS {
                parts[count] = (
                    pva,
                    psize,
                    (v >> (64 * h)) as u64,
                    m.ram.offset(pa, psize as u64).is_some(),
                );
                count += 1;
            }
        }
    }
    // A watchpoint sees the instruction's whole (contiguous) range, before any store.
    if let Some(&(va, ..)) = elems.first() {
        let len = elems.iter().map(|e| e.1 as u64).sum();
        cpu.watch_access(va, len, Access::Write)?;
    }
    for ram in [false, true] {
        for &(va, size, v, in_ram) in &parts[..count] {
            if in_ram == ram {
                cpu.write(m, va, size, v)?;
            }
        }
    }
    Ok(())
}

/// Translates every page `[va, va+size)` touches for a write; the physical address of `va`.
fn translate_all(cpu: &mut Cpu, m: &mut Mem<'_>, va: u64, size: u8) -> Result<u64, Exception> {
    let pa = cpu.translate(m, va, Access::Write)?;
    let last = va.wrapping_add(size as u64 - 1);
    if last & !(PAGE_SIZE - 1) != va & !(PAGE_SIZE - 1) {
        // The first byte on the next page is where a byte-by-byte access would fault.
        cpu.translate(m, last & !(PAGE_SIZE - 1), Access::Write)?;
    }
    Ok(pa)
}

/// One single-register access to `va`: a load fills register `t` once the whole value has
/// been read; a prefetch does nothing and never faults.
pub fn access(cpu: &mut Cpu, m: &mut Mem<'_>, s: Single, t: u32, va: u64) -> Result<(), Exception> {
    access_as(cpu, m, s, t, va, false)
}

/// As [`access`]; `unprivileged` (LDTR/STTR) checks EL0's permissions even at EL1.
pub fn access_as(
    cpu: &mut Cpu,
    m: &mut Mem<'_>,
    s: Single,
    t: u32,
    va: u64,
    unprivileged: bool,
) -> Result<(), Exception> {
    let (read, write) = if unprivileged {
        (Access::ReadUnpriv, Access::WriteUnpriv)
    } else {
        (Access::Read, Access::Write)
    };
    match s.op {
        MemOp::Prefetch => Ok(()),
        MemOp::Load => {
            let v = load_as(cpu, m, va, s.size, read)?;
            write_reg(cpu, s.reg, t, s.size, v);
            Ok(())
        }
        MemOp::Store => {
            let v = read_reg(cpu, s.reg, t, s.size);
            store_as(cpu, m, va, s.size, v, write)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_register_decode_follows_the_encoding_tables() {
        let gpr = |sf, signed| Reg::Gpr { sf, signed };
        // LDRSB to W (size 00, opc 11) and to X (opc 10).
        assert_eq!(
            decode_single(0, false, 0b11),
            Some(Single {
                op: MemOp::Load,
                reg: gpr(false, true),
                size: 1
            })
        );
        assert_eq!(
            decode_single(0, false, 0b10),
            Some(Single {
                op: MemOp::Load,
                reg: gpr(true, true),
                size: 1
            })
        );
        // LDRSW (size 10, opc 10); size 10 opc 11 is unallocated.
        assert_eq!(
            decode_single(2, false, 0b10),
            Some(Single {
                op: MemOp::Load,
                reg: gpr(true, true),
                size: 4
            })
        );
        assert_eq!(decode_single(2, false, 0b11), None);
        // PRFM (size 11, opc 10); size 11 opc 11 is unallocated.
        assert_eq!(
            decode_single(3, false, 0b10).map(|s| s.op),
            Some(MemOp::Prefetch)
        );
        assert_eq!(decode_single(3, false, 0b11), None);
        // SIMD&FP: Q needs size 00.
        assert_eq!(
            decode_single(0, true, 0b11),
            Some(Single {
                op: MemOp::Load,
                reg: Reg::Fp,
                size: 16
            })
        );
        assert_eq!(decode_single(1, true, 0b10), None);
        assert_eq!(
            decode_single(3, true, 0b00),
            Some(Single {
                op: MemOp::Store,
                reg: Reg::Fp,
                size: 8
            })
        );
    }
}
