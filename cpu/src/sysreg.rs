//! System registers reached by MRS/MSR, keyed by their encoding op0:op1:CRn:CRm:op2
//! (Arm ARM D17, "AArch64 System Register Descriptions"; C5.3 for the encodings).
//!
//! Registers are a table: each row names the register, its encoding, and how to read and
//! write it. An encoding with no row is UNDEFINED to the guest, as on hardware.
//! ID register values are the cortex-A72's as far as this core implements them: a feature
//! appears in an ID register only once it is implemented.

use crate::cpu::{Cpu, MIDR_CORTEX_A72};

/// Packs op0, op1, CRn, CRm, op2 the way MRS/MSR encode them (bits 20:5 of the instruction,
/// less the L bit) and the way gdbstub_arch numbers system registers.
pub const fn enc(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32) -> u16 {
    ((op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2) as u16
}

/// System-register state not kept in [`crate::state::CpuState`].
#[derive(Clone, Debug, Default)]
#[repr(C)]
pub struct SysRegs {
    pub mpidr_el1: u64,
    pub sctlr_el1: u64,
    pub tcr_el1: u64,
    pub ttbr0_el1: u64,
    pub ttbr1_el1: u64,
    pub mair_el1: u64,
    pub amair_el1: u64,
    pub vbar_el1: u64,
    pub esr_el1: u64,
    pub far_el1: u64,
    pub elr_el1: u64,
    pub spsr_el1: u64,
    pub par_el1: u64,
    pub cpacr_el1: u64,
    pub contextidr_el1: u64,
    pub tpidr_el0: u64,
    pub tpidr_el1: u64,
    pub tpidrro_el0: u64,
    pub cntkctl_el1: u64,
    pub mdscr_el1: u64,
    pub afsr0_el1: u64,
    pub afsr1_el1: u64,
    pub csselr_el1: u64,
}

/// ID_AA64MMFR0_EL1: PARange 0b0100 (44 bits), ASIDBits 0b0010 (16),
/// SNSMem 1, TGran16 1 (supported), TGran64 0 and TGran4 0 (supported).
pub const ID_AA64MMFR0_EL1: u64 = 0x0000_0000_0010_1024;

/// SCTLR_EL1 at reset on the A72 (its TRM; QEMU uses the same): MMU and caches off,
/// RES1 bits and the stack alignment checks set.
pub const SCTLR_EL1_RESET: u64 = 0x00c5_0838;

impl SysRegs {
    pub fn reset(mpidr_aff: u64) -> Self {
        SysRegs {
            // Bit 31 is RES1; U (bit 30) clear: this is a multiprocessor system.
            mpidr_el1: (1 << 31) | mpidr_aff,
            sctlr_el1: SCTLR_EL1_RESET,
            ..Default::default()
        }
    }
}

type ReadFn = fn(&Cpu) -> u64;
type WriteFn = fn(&mut Cpu, u64);

/// One row of the system register table.
pub struct SysRegDef {
    pub name: &'static str,
    pub enc: u16,
    /// Lowest exception level that may access it (0 or 1).
    pub min_el: u8,
    pub read: Option<ReadFn>,
    pub write: Option<WriteFn>,
}

macro_rules! sysregs {
    ($($name:literal ($op0:expr, $op1:expr, $crn:expr, $crm:expr, $op2:expr) @ $el:literal
        $(r: $read:expr)? $(, w: $write:expr)?;)*) => {
        &[$(SysRegDef {
            name: $name,
            enc: enc($op0, $op1, $crn, $crm, $op2),
            min_el: $el,
            read: sysregs!(@opt $($read)?),
            write: sysregs!(@opt $($write)?),
        },)*]
    };
    (@opt) => { None };
    (@opt $f:expr) => { Some($f) };
}

/// A read-only register with a constant value.
macro_rules! konst {
    ($v:expr) => {
        |_: &Cpu| -> u64 { $v }
    };
}

/// A plain read/write register field of [`SysRegs`].
macro_rules! field {
    ($f:ident) => {
        |c: &Cpu| -> u64 { c.sys.$f }
    };
}
macro_rules! set_field {
    ($f:ident) => {
        |c: &mut Cpu, v: u64| c.sys.$f = v
    };
}

pub static SYSREGS: &[SysRegDef] = sysregs! {
    // ── PSTATE fields and special-purpose registers (C5.2) ────────────────────────────
    "NZCV"        (3, 3, 4, 2, 0) @0 r: |c| c.s.nzcv as u64, w: |c, v| c.s.nzcv = v as u32 & 0xf000_0000;
    "DAIF"        (3, 3, 4, 2, 1) @1 r: |c| c.s.daif as u64, w: |c, v| c.s.daif = v as u32 & crate::state::DAIF_MASK;
    "CurrentEL"   (3, 0, 4, 2, 2) @1 r: |c| (c.s.el as u64) << 2;
    "SPSel"       (3, 0, 4, 2, 0) @1 r: |c| c.s.spsel as u64, w: |c, v| { let el = c.s.el; c.s.set_el_spsel(el, v as u8 & 1) };
    "SP_EL0"      (3, 0, 4, 1, 0) @1 r: |c| c.s.sp_el(0), w: |c, v| c.s.set_sp_el(0, v);
    "SPSR_EL1"    (3, 0, 4, 0, 0) @1 r: field!(spsr_el1), w: set_field!(spsr_el1);
    "ELR_EL1"     (3, 0, 4, 0, 1) @1 r: field!(elr_el1), w: set_field!(elr_el1);
    "FPCR"        (3, 3, 4, 4, 0) @0 r: |c| c.s.fpcr as u64, w: |c, v| c.s.fpcr = v as u32 & 0x07ff_9f00;
    "FPSR"        (3, 3, 4, 4, 1) @0 r: |c| c.s.fpsr as u64, w: |c, v| c.s.fpsr = v as u32 & 0xf800_009f;

    // ── Identification (D17.2) ─────────────────────────────────────────────────────────
    "MIDR_EL1"    (3, 0, 0, 0, 0) @1 r: konst!(MIDR_CORTEX_A72);
    "MPIDR_EL1"   (3, 0, 0, 0, 5) @1 r: field!(mpidr_el1);
    "REVIDR_EL1"  (3, 0, 0, 0, 6) @1 r: konst!(0);
    // EL0 and EL1 in AArch64 only; no EL2/EL3; FP and AdvSIMD implemented (0), as the A72.
    "ID_AA64PFR0_EL1"  (3, 0, 0, 4, 0) @1 r: konst!(0x0000_0000_0000_0011);
    "ID_AA64PFR1_EL1"  (3, 0, 0, 4, 1) @1 r: konst!(0);
    // Debug v8, 6 breakpoints, 4 watchpoints (as the A72); no PMU until it is modelled.
    "ID_AA64DFR0_EL1"  (3, 0, 0, 5, 0) @1 r: konst!(0x0000_0000_1030_5006);
    "ID_AA64DFR1_EL1"  (3, 0, 0, 5, 1) @1 r: konst!(0);
    "ID_AA64AFR0_EL1"  (3, 0, 0, 5, 4) @1 r: konst!(0);
    "ID_AA64AFR1_EL1"  (3, 0, 0, 5, 5) @1 r: konst!(0);
    // As the A72 with the Cryptographic Extension: AES with PMULL (2), SHA1 (1), SHA2 (1),
    // CRC32 (1).
    "ID_AA64ISAR0_EL1" (3, 0, 0, 6, 0) @1 r: konst!(0x0000_0000_0001_1120);
    "ID_AA64ISAR1_EL1" (3, 0, 0, 6, 1) @1 r: konst!(0);
    // 44-bit PA, 16-bit ASID, little-endian only; the 4K, 16K and 64K granules the MMU
    // implements (TGran16 = 1: one more than the A72, which lacks 16K).
    "ID_AA64MMFR0_EL1" (3, 0, 0, 7, 0) @1 r: konst!(ID_AA64MMFR0_EL1);
    "ID_AA64MMFR1_EL1" (3, 0, 0, 7, 1) @1 r: konst!(0);
    "ID_AA64MMFR2_EL1" (3, 0, 0, 7, 2) @1 r: konst!(0);
    // CTR_EL0: 64-byte lines, ERG/CWG 16 words, PIPT I-cache (as the A72: 0x8444c004).
    "CTR_EL0"     (3, 3, 0, 0, 1) @0 r: konst!(0x8444_c004);
    // DCZID_EL0: DC ZVA permitted, 64-byte blocks (BS = log2(16 words)).
    "DCZID_EL0"   (3, 3, 0, 0, 7) @0 r: konst!(4);

    // ── Thread pointers and context (D17.2) ────────────────────────────────────────────
    "TPIDR_EL0"   (3, 3, 13, 0, 2) @0 r: field!(tpidr_el0), w: set_field!(tpidr_el0);
    "TPIDRRO_EL0" (3, 3, 13, 0, 3) @0 r: field!(tpidrro_el0), w: set_field!(tpidrro_el0);
    "TPIDR_EL1"   (3, 0, 13, 0, 4) @1 r: field!(tpidr_el1), w: set_field!(tpidr_el1);
    "CONTEXTIDR_EL1" (3, 0, 13, 0, 1) @1 r: field!(contextidr_el1), w: set_field!(contextidr_el1);

    // ── Exception handling and memory system controls ─────────────────────────────────
    "VBAR_EL1"    (3, 0, 12, 0, 0) @1 r: field!(vbar_el1), w: |c, v| c.sys.vbar_el1 = v & !0x7ff;
    "ESR_EL1"     (3, 0, 5, 2, 0) @1 r: field!(esr_el1), w: set_field!(esr_el1);
    "FAR_EL1"     (3, 0, 6, 0, 0) @1 r: field!(far_el1), w: set_field!(far_el1);
    "AFSR0_EL1"   (3, 0, 5, 1, 0) @1 r: field!(afsr0_el1), w: set_field!(afsr0_el1);
    "AFSR1_EL1"   (3, 0, 5, 1, 1) @1 r: field!(afsr1_el1), w: set_field!(afsr1_el1);
    "PAR_EL1"     (3, 0, 7, 4, 0) @1 r: field!(par_el1), w: set_field!(par_el1);
    // Translation controls: writes keep the TLB consistent (mmu/mod.rs).
    "SCTLR_EL1"   (3, 0, 1, 0, 0) @1 r: field!(sctlr_el1), w: Cpu::set_sctlr_el1;
    "CPACR_EL1"   (3, 0, 1, 0, 2) @1 r: field!(cpacr_el1), w: |c, v| c.sys.cpacr_el1 = v & (3 << 20);
    "TCR_EL1"     (3, 0, 2, 0, 2) @1 r: field!(tcr_el1), w: Cpu::set_tcr_el1;
    "TTBR0_EL1"   (3, 0, 2, 0, 0) @1 r: field!(ttbr0_el1), w: Cpu::set_ttbr0_el1;
    "TTBR1_EL1"   (3, 0, 2, 0, 1) @1 r: field!(ttbr1_el1), w: Cpu::set_ttbr1_el1;
    "MAIR_EL1"    (3, 0, 10, 2, 0) @1 r: field!(mair_el1), w: Cpu::set_mair_el1;
    "AMAIR_EL1"   (3, 0, 10, 3, 0) @1 r: field!(amair_el1), w: set_field!(amair_el1);
    "CNTKCTL_EL1" (3, 0, 14, 1, 0) @1 r: field!(cntkctl_el1), w: set_field!(cntkctl_el1);

    // ── Generic timer (D11; timer.rs). EL0 access is gated by CNTKCTL_EL1 in system.rs ───
    "CNTFRQ_EL0"  (3, 3, 14, 0, 0) @0 r: konst!(crate::timer::CNTFRQ_HZ);
    "CNTPCT_EL0"  (3, 3, 14, 0, 1) @0 r: |c| c.counter();
    "CNTVCT_EL0"  (3, 3, 14, 0, 2) @0 r: |c| c.counter();
    "CNTP_TVAL_EL0" (3, 3, 14, 2, 0) @0 r: |c| c.timers.phys.read_tval(c.counter()),
        w: |c, v| { let n = c.counter(); c.timers.phys.write_tval(n, v) };
    "CNTP_CTL_EL0" (3, 3, 14, 2, 1) @0 r: |c| c.timers.phys.read_ctl(c.counter()),
        w: |c, v| c.timers.phys.ctl = v & 3;
    "CNTP_CVAL_EL0" (3, 3, 14, 2, 2) @0 r: |c| c.timers.phys.cval, w: |c, v| c.timers.phys.cval = v;
    "CNTV_TVAL_EL0" (3, 3, 14, 3, 0) @0 r: |c| c.timers.virt.read_tval(c.counter()),
        w: |c, v| { let n = c.counter(); c.timers.virt.write_tval(n, v) };
    "CNTV_CTL_EL0" (3, 3, 14, 3, 1) @0 r: |c| c.timers.virt.read_ctl(c.counter()),
        w: |c, v| c.timers.virt.ctl = v & 3;
    "CNTV_CVAL_EL0" (3, 3, 14, 3, 2) @0 r: |c| c.timers.virt.cval, w: |c, v| c.timers.virt.cval = v;
    "MDSCR_EL1"   (2, 0, 0, 2, 2) @1 r: field!(mdscr_el1), w: set_field!(mdscr_el1);
    "CSSELR_EL1"  (3, 2, 0, 0, 0) @1 r: field!(csselr_el1), w: |c, v| c.sys.csselr_el1 = v & 0xf;
};

/// System registers the machine provides beyond [`SYSREGS`], by encoding: the GICv3 CPU
/// interface's ICC_* registers (GIC architecture specification, IHI 0069, chapter 12), which
/// live in the interrupt controller rather than the core. The machine plugs one into each
/// vCPU ([`Cpu::sysreg_ext`]); MRS and MSR consult it for encodings the table lacks.
///
/// Every register it provides is accessible from EL1 only: at EL0 the core makes the
/// access UNDEFINED without calling it, so a read with side effects (ICC_IAR1_EL1) cannot
/// happen from EL0.
pub trait SysRegExt: Send {
    /// Whether `enc` is one of this extension's registers. Must not change any state.
    fn provides(&self, enc: u16) -> bool;
    /// MRS of a provided register; `None` when it cannot be read (a write-only
    /// register), which is UNDEFINED.
    fn read(&mut self, enc: u16) -> Option<u64>;
    /// MSR of a provided register; `false` when it cannot be written (a read-only
    /// register), which is UNDEFINED.
    fn write(&mut self, enc: u16, value: u64) -> bool;
}

/// Finds a system register by its encoding.
pub fn lookup(enc: u16) -> Option<&'static SysRegDef> {
    SYSREGS.iter().find(|r| r.enc == enc)
}

/// Finds a system register by its architectural name (case-insensitive).
pub fn by_name(name: &str) -> Option<&'static SysRegDef> {
    SYSREGS.iter().find(|r| r.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_unique() {
        for (i, a) in SYSREGS.iter().enumerate() {
            for b in &SYSREGS[i + 1..] {
                assert_ne!(a.enc, b.enc, "{} and {} share an encoding", a.name, b.name);
            }
        }
    }

    #[test]
    fn midr_matches_gdbstub_arch_numbering() {
        // gdbstub_arch numbers MIDR_EL1 0xc000 (op0=3 in bits 15:14).
        assert_eq!(enc(3, 0, 0, 0, 0), 0xc000);
        assert_eq!(by_name("midr_el1").unwrap().enc, 0xc000);
    }
}
