//! System registers reached by MRS/MSR, keyed by their encoding op0:op1:CRn:CRm:op2
//! (Arm ARM D17, "AArch64 System Register Descriptions"; C5.3 for the encodings).
//!
//! Registers are a table: each row names the register, its encoding, and how to read and
//! write it. An encoding with no row is UNDEFINED to the guest, as on hardware.
//! Identification registers (MIDR, REVIDR, the cache registers) are the `-cpu` model's
//! (`model.rs`); feature registers say what this core implements: a feature appears in an
//! ID register only once it is implemented.

use crate::cpu::Cpu;

/// Packs op0, op1, CRn, CRm, op2 the way MRS/MSR encode them (bits 20:5 of the instruction,
/// less the L bit) and the way gdbstub_arch numbers system registers.
pub const fn enc(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32) -> u16 {
    ((op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2) as u16
}

/// System-register state not kept in [`crate::state::CpuState`].
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// Self-hosted debug state (Arm ARM D2, D17.3): stored for the guest and for the
    /// breakpoint/watchpoint machinery; nothing fires from it yet.
    pub debug: DebugRegs,
}

/// The debug registers of D17.3 that Linux and a debugger program: the OS Lock and
/// Double Lock, the DCC interrupt enables, claim tags, and the breakpoint and watchpoint
/// value/control pairs ([`DEBUG_BRPS`] and [`DEBUG_WRPS`] of them, as ID_AA64DFR0_EL1 says).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[repr(C)]
pub struct DebugRegs {
    /// OSLSR_EL1.OSLK: the OS Lock, set by OSLAR_EL1 (locked at cold reset).
    pub os_lock: bool,
    pub osdlr_el1: u64,
    pub oseccr_el1: u64,
    pub mdccint_el1: u64,
    pub dbgprcr_el1: u64,
    /// The claim tag bits DBGCLAIMSET_EL1 sets and DBGCLAIMCLR_EL1 clears.
    pub claim: u64,
    pub bvr: [u64; DEBUG_BRPS],
    pub bcr: [u64; DEBUG_BRPS],
    pub wvr: [u64; DEBUG_WRPS],
    pub wcr: [u64; DEBUG_WRPS],
}

/// ID_AA64MMFR0_EL1: PARange 0b0100 (44 bits), ASIDBits 0b0010 (16),
/// SNSMem 1, TGran16 1 (supported), TGran64 0 and TGran4 0 (supported).
pub const ID_AA64MMFR0_EL1: u64 = 0x0000_0000_0010_1024;

/// ID_AA64DFR0_EL1: DebugVer 0b0110 (v8.0 debug), BRPs 5 (six breakpoints), WRPs 3 (four
/// watchpoints), CTX_CMPs 1 (two of the breakpoints context-aware), as the A72 (QEMU's
/// cortex-a72 has the same but for PMUVer). PMUVer 0: no PMU, so every PMU register is
/// UNDEFINED and has no row below; Linux checks PMUVer before touching PMUSERENR_EL0.
pub const ID_AA64DFR0_EL1: u64 = 0x0000_0000_1030_5006;
/// Breakpoints and watchpoints: one more than ID_AA64DFR0_EL1.BRPs and .WRPs.
pub const DEBUG_BRPS: usize = 6;
pub const DEBUG_WRPS: usize = 4;

/// Cache identification (CLIDR_EL1, CCSIDR_EL1, CTR_EL0) is the model's: `model.rs`.
/// CSSELR_EL1 selecting a cache that does not exist reads an UNKNOWN CCSIDR_EL1; this is 0.
/// CSSELR_EL1's fields on v8.0: Level (3:1) and InD (0).
pub const CSSELR_MASK: u64 = 0xf;

/// OSLSR_EL1 (D17.3): OSLM = 0b10 (the OS Lock is implemented; bit 3), nTT = 0, OSLK in
/// bit 1.
const OSLSR_OSLM_IMPLEMENTED: u64 = 1 << 3;
const OSLSR_OSLK_SHIFT: u32 = 1;
/// DBGAUTHSTATUS_EL1 (D17.3): no Secure state (no EL3: SNID, SID 0b00); Non-secure
/// invasive and non-invasive debug implemented and enabled (NSNID, NSID 0b11).
const DBGAUTHSTATUS: u64 = 0x0f;
/// DBGCLAIMSET_EL1 reads as the set of claim tag bits implemented: eight (D17.3).
const CLAIM_TAGS: u64 = 0xff;

/// DBGBCR<n>_EL1 (D17.3): BT 23:20, LBN 19:16, SSC 15:14, HMC 13, BAS 8:5, PMC 2:1,
/// E 0; the rest is RES0 (bits 4:3, 12:9 and 63:24).
pub const DBGBCR_MASK: u64 = 0x00ff_e1e7;
/// DBGWCR<n>_EL1 (D17.3): MASK 28:24, WT 20, LBN 19:16, SSC 15:14, HMC 13, BAS 12:5,
/// LSC 4:3, PAC 2:1, E 0; bits 23:21 and 63:29 are RES0.
pub const DBGWCR_MASK: u64 = 0x1f1f_ffff;
/// DBGBVR<n>_EL1 and DBGWVR<n>_EL1 (D17.3): bits 1:0 are RES0 (addresses are
/// word-aligned; a context ID lives in 31:0 only for context breakpoints, whose 1:0 the
/// comparison ignores alike).
pub const DBG_VR_MASK: u64 = !3;
/// MDCCINT_EL1 (D17.3): RX 30, TX 29.
const MDCCINT_MASK: u64 = (1 << 30) | (1 << 29);

/// MDSCR_EL1 (D17.3): the fields EL1 software always writes (SS 0, TDCC 12, KDE 13,
/// MDE 15), and those that save and restore the external debug state (ERR 6, HDE 14,
/// TDA 21, INTdis 23:22, TXU 26, RXO 27, TXfull 29, RXfull 30), which are writable only
/// while the OS Lock is locked and read-only otherwise.
pub const MDSCR_RW: u64 = (1 << 0) | (1 << 12) | (1 << 13) | (1 << 15);
pub const MDSCR_SAVE_RESTORE: u64 =
    (1 << 6) | (1 << 14) | (1 << 21) | (3 << 22) | (1 << 26) | (1 << 27) | (1 << 29) | (1 << 30);
/// MDSCR_EL1.TDCC: EL0 accesses to the debug communication channel trap to EL1.
pub const MDSCR_TDCC: u64 = 1 << 12;

/// CNTKCTL_EL1 (D17.8): EL0PCTEN 0, EL0VCTEN 1, EVNTEN 2, EVNTDIR 3, EVNTI 7:4, EL0VTEN 8,
/// EL0PTEN 9; the rest is RES0.
pub const CNTKCTL_MASK: u64 = 0x3ff;

/// SCTLR_EL1 at reset on the A72 (its TRM; QEMU uses the same): MMU and caches off,
/// RES1 bits and the stack alignment checks set.
pub const SCTLR_EL1_RESET: u64 = 0x00c5_0838;

impl SysRegs {
    pub fn reset(mpidr_aff: u64) -> Self {
        SysRegs {
            // Bit 31 is RES1; U (bit 30) clear: this is a multiprocessor system.
            mpidr_el1: (1 << 31) | mpidr_aff,
            sctlr_el1: SCTLR_EL1_RESET,
            debug: DebugRegs {
                // The OS Lock is locked at cold reset (OSLSR_EL1.OSLK, D17.3).
                os_lock: true,
                ..Default::default()
            },
            ..Default::default()
        }
    }
}

fn read_ccsidr(c: &Cpu) -> u64 {
    c.ids
        .ccsidr
        .get(c.sys.csselr_el1 as usize)
        .copied()
        .unwrap_or(0)
}

fn read_oslsr(c: &Cpu) -> u64 {
    OSLSR_OSLM_IMPLEMENTED | (c.sys.debug.os_lock as u64) << OSLSR_OSLK_SHIFT
}

fn write_mdscr(c: &mut Cpu, v: u64) {
    let writable = if c.sys.debug.os_lock {
        MDSCR_RW | MDSCR_SAVE_RESTORE
    } else {
        MDSCR_RW
    };
    c.sys.mdscr_el1 = (c.sys.mdscr_el1 & !writable) | (v & writable);
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

/// Rows: `"NAME" (op0, op1, CRn, CRm, op2) @min_el r: read, w: write;`. A read-only
/// register has no `, w:`; a write-only one has no `r:` and keeps the comma (`@1 , w: f;`).
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
    "MIDR_EL1"    (3, 0, 0, 0, 0) @1 r: |c| c.ids.midr;
    "MPIDR_EL1"   (3, 0, 0, 0, 5) @1 r: field!(mpidr_el1);
    "REVIDR_EL1"  (3, 0, 0, 0, 6) @1 r: |c| c.ids.revidr;
    // EL0 and EL1 in AArch64 only; no EL2/EL3; FP and AdvSIMD implemented (0), as the A72.
    "ID_AA64PFR0_EL1"  (3, 0, 0, 4, 0) @1 r: konst!(0x0000_0000_0000_0011);
    "ID_AA64PFR1_EL1"  (3, 0, 0, 4, 1) @1 r: konst!(0);
    "ID_AA64DFR0_EL1"  (3, 0, 0, 5, 0) @1 r: konst!(ID_AA64DFR0_EL1);
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
    // AArch32 ID registers. A real A72 implements AArch32 and gives them values (QEMU's
    // cortex-a72 has them); this core is AArch64-only (ID_AA64PFR0_EL1.EL0 = 1), for which
    // the Arm ARM makes them UNKNOWN, and zero is what they read. Linux reads them only
    // when ID_AA64PFR0_EL1 says EL0 has AArch32. The rest of op0=3, op1=0, CRn=0,
    // CRm=1..7 reads as zero by the rule in `lookup`.
    "ID_PFR0_EL1"  (3, 0, 0, 1, 0) @1 r: konst!(0);
    "ID_PFR1_EL1"  (3, 0, 0, 1, 1) @1 r: konst!(0);
    "ID_DFR0_EL1"  (3, 0, 0, 1, 2) @1 r: konst!(0);
    "ID_AFR0_EL1"  (3, 0, 0, 1, 3) @1 r: konst!(0);
    "ID_MMFR0_EL1" (3, 0, 0, 1, 4) @1 r: konst!(0);
    "ID_MMFR1_EL1" (3, 0, 0, 1, 5) @1 r: konst!(0);
    "ID_MMFR2_EL1" (3, 0, 0, 1, 6) @1 r: konst!(0);
    "ID_MMFR3_EL1" (3, 0, 0, 1, 7) @1 r: konst!(0);
    "ID_ISAR0_EL1" (3, 0, 0, 2, 0) @1 r: konst!(0);
    "ID_ISAR1_EL1" (3, 0, 0, 2, 1) @1 r: konst!(0);
    "ID_ISAR2_EL1" (3, 0, 0, 2, 2) @1 r: konst!(0);
    "ID_ISAR3_EL1" (3, 0, 0, 2, 3) @1 r: konst!(0);
    "ID_ISAR4_EL1" (3, 0, 0, 2, 4) @1 r: konst!(0);
    "ID_ISAR5_EL1" (3, 0, 0, 2, 5) @1 r: konst!(0);
    "ID_MMFR4_EL1" (3, 0, 0, 2, 6) @1 r: konst!(0);
    "MVFR0_EL1"    (3, 0, 0, 3, 0) @1 r: konst!(0);
    "MVFR1_EL1"    (3, 0, 0, 3, 1) @1 r: konst!(0);
    "MVFR2_EL1"    (3, 0, 0, 3, 2) @1 r: konst!(0);
    // Caches (D17.2). CCSIDR_EL1 describes the cache CSSELR_EL1 selects.
    "CCSIDR_EL1"  (3, 1, 0, 0, 0) @1 r: read_ccsidr;
    "CLIDR_EL1"   (3, 1, 0, 0, 1) @1 r: |c| c.ids.clidr;
    "AIDR_EL1"    (3, 1, 0, 0, 7) @1 r: konst!(0);
    "CSSELR_EL1"  (3, 2, 0, 0, 0) @1 r: field!(csselr_el1), w: |c, v| c.sys.csselr_el1 = v & CSSELR_MASK;
    // CTR_EL0: 64-byte lines, ERG/CWG 16 words; the I-cache policy is the model's.
    "CTR_EL0"     (3, 3, 0, 0, 1) @0 r: |c| c.ids.ctr;
    // DCZID_EL0: DC ZVA permitted, 64-byte blocks (BS = log2(16 words)).
    "DCZID_EL0"   (3, 3, 0, 0, 7) @0 r: konst!(4);

    // ── Thread pointers and context (D17.2) ────────────────────────────────────────────
    "TPIDR_EL0"   (3, 3, 13, 0, 2) @0 r: field!(tpidr_el0), w: set_field!(tpidr_el0);
    "TPIDRRO_EL0" (3, 3, 13, 0, 3) @0 r: field!(tpidrro_el0), w: set_field!(tpidrro_el0);
    "TPIDR_EL1"   (3, 0, 13, 0, 4) @1 r: field!(tpidr_el1), w: set_field!(tpidr_el1);
    // CONTEXTIDR_EL1.PROCID is bits 31:0; 63:32 are RES0.
    "CONTEXTIDR_EL1" (3, 0, 13, 0, 1) @1 r: field!(contextidr_el1), w: |c, v| c.sys.contextidr_el1 = v & 0xffff_ffff;

    // ── Exception handling and memory system controls ─────────────────────────────────
    "VBAR_EL1"    (3, 0, 12, 0, 0) @1 r: field!(vbar_el1), w: |c, v| c.sys.vbar_el1 = v & !0x7ff;
    // ESR_EL1: bits 63:32 are RES0 on v8.0.
    "ESR_EL1"     (3, 0, 5, 2, 0) @1 r: field!(esr_el1), w: |c, v| c.sys.esr_el1 = v & 0xffff_ffff;
    "FAR_EL1"     (3, 0, 6, 0, 0) @1 r: field!(far_el1), w: set_field!(far_el1);
    "AFSR0_EL1"   (3, 0, 5, 1, 0) @1 r: field!(afsr0_el1), w: set_field!(afsr0_el1);
    "AFSR1_EL1"   (3, 0, 5, 1, 1) @1 r: field!(afsr1_el1), w: set_field!(afsr1_el1);
    "PAR_EL1"     (3, 0, 7, 4, 0) @1 r: field!(par_el1), w: set_field!(par_el1);
    // ACTLR_EL1 is IMPLEMENTATION DEFINED; the A72's is RES0 (A72 TRM 4.3.4): RAZ/WI. The
    // A72's other IMPLEMENTATION DEFINED registers (CPUACTLR_EL1, L2CTLR_EL1, ...) are
    // absent, so UNDEFINED: EL1 reaches them on hardware only if EL3 firmware allows it.
    "ACTLR_EL1"   (3, 0, 1, 0, 1) @1 r: konst!(0), w: |_, _| {};
    // Translation controls: writes keep the TLB consistent (mmu/mod.rs).
    "SCTLR_EL1"   (3, 0, 1, 0, 0) @1 r: field!(sctlr_el1), w: Cpu::set_sctlr_el1;
    "CPACR_EL1"   (3, 0, 1, 0, 2) @1 r: field!(cpacr_el1), w: |c, v| c.sys.cpacr_el1 = v & (3 << 20);
    "TCR_EL1"     (3, 0, 2, 0, 2) @1 r: field!(tcr_el1), w: Cpu::set_tcr_el1;
    "TTBR0_EL1"   (3, 0, 2, 0, 0) @1 r: field!(ttbr0_el1), w: Cpu::set_ttbr0_el1;
    "TTBR1_EL1"   (3, 0, 2, 0, 1) @1 r: field!(ttbr1_el1), w: Cpu::set_ttbr1_el1;
    "MAIR_EL1"    (3, 0, 10, 2, 0) @1 r: field!(mair_el1), w: Cpu::set_mair_el1;
    "AMAIR_EL1"   (3, 0, 10, 3, 0) @1 r: field!(amair_el1), w: set_field!(amair_el1);
    "CNTKCTL_EL1" (3, 0, 14, 1, 0) @1 r: field!(cntkctl_el1), w: Cpu::set_cntkctl_el1;

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

    // ── Debug (D17.3; Arm ARM D2 for self-hosted debug) ───────────────────────────────
    "MDSCR_EL1"   (2, 0, 0, 2, 2) @1 r: field!(mdscr_el1), w: write_mdscr;
    "MDRAR_EL1"   (2, 0, 1, 0, 0) @1 r: konst!(0); // ROMADDRV = 0: no debug ROM table
    "OSLAR_EL1"   (2, 0, 1, 0, 4) @1 , w: |c, v| c.sys.debug.os_lock = v & 1 != 0;
    "OSLSR_EL1"   (2, 0, 1, 1, 4) @1 r: read_oslsr;
    "OSDLR_EL1"   (2, 0, 1, 3, 4) @1 r: |c| c.sys.debug.osdlr_el1, w: |c, v| c.sys.debug.osdlr_el1 = v & 1;
    "OSECCR_EL1"  (2, 0, 0, 6, 2) @1 r: |c| c.sys.debug.oseccr_el1, w: |c, v| c.sys.debug.oseccr_el1 = v & 0xffff_ffff;
    "DBGPRCR_EL1" (2, 0, 1, 4, 4) @1 r: |c| c.sys.debug.dbgprcr_el1, w: |c, v| c.sys.debug.dbgprcr_el1 = v & 1;
    "DBGCLAIMSET_EL1" (2, 0, 7, 8, 6) @1 r: konst!(CLAIM_TAGS), w: |c, v| c.sys.debug.claim |= v & CLAIM_TAGS;
    "DBGCLAIMCLR_EL1" (2, 0, 7, 9, 6) @1 r: |c| c.sys.debug.claim, w: |c, v| c.sys.debug.claim &= !v;
    "DBGAUTHSTATUS_EL1" (2, 0, 7, 14, 6) @1 r: konst!(DBGAUTHSTATUS);
    // The debug communication channel, with no external debugger on its other end: nothing
    // arrives and what is sent vanishes (RAZ/WI, as QEMU). EL0 may use it unless
    // MDSCR_EL1.TDCC traps it (system.rs).
    "MDCCINT_EL1" (2, 0, 0, 2, 0) @1 r: |c| c.sys.debug.mdccint_el1, w: |c, v| c.sys.debug.mdccint_el1 = v & MDCCINT_MASK;
    "MDCCSR_EL0"  (2, 3, 0, 1, 0) @0 r: konst!(0);
    "DBGDTR_EL0"  (2, 3, 0, 4, 0) @0 r: konst!(0), w: |_, _| {};
    // One encoding: DBGDTRRX_EL0 when read, DBGDTRTX_EL0 when written.
    "DBGDTRRX_EL0" (2, 3, 0, 5, 0) @0 r: konst!(0), w: |_, _| {};
    "OSDTRRX_EL1" (2, 0, 0, 0, 2) @1 r: konst!(0), w: |_, _| {};
    "OSDTRTX_EL1" (2, 0, 0, 3, 2) @1 r: konst!(0), w: |_, _| {};
    // Breakpoints (n = 0..5) and watchpoints (n = 0..3): value and control pairs, CRm = n.
    "DBGBVR0_EL1" (2, 0, 0, 0, 4) @1 r: |c| c.sys.debug.bvr[0], w: |c, v| c.sys.debug.bvr[0] = v & DBG_VR_MASK;
    "DBGBCR0_EL1" (2, 0, 0, 0, 5) @1 r: |c| c.sys.debug.bcr[0], w: |c, v| c.sys.debug.bcr[0] = v & DBGBCR_MASK;
    "DBGBVR1_EL1" (2, 0, 0, 1, 4) @1 r: |c| c.sys.debug.bvr[1], w: |c, v| c.sys.debug.bvr[1] = v & DBG_VR_MASK;
    "DBGBCR1_EL1" (2, 0, 0, 1, 5) @1 r: |c| c.sys.debug.bcr[1], w: |c, v| c.sys.debug.bcr[1] = v & DBGBCR_MASK;
    "DBGBVR2_EL1" (2, 0, 0, 2, 4) @1 r: |c| c.sys.debug.bvr[2], w: |c, v| c.sys.debug.bvr[2] = v & DBG_VR_MASK;
    "DBGBCR2_EL1" (2, 0, 0, 2, 5) @1 r: |c| c.sys.debug.bcr[2], w: |c, v| c.sys.debug.bcr[2] = v & DBGBCR_MASK;
    "DBGBVR3_EL1" (2, 0, 0, 3, 4) @1 r: |c| c.sys.debug.bvr[3], w: |c, v| c.sys.debug.bvr[3] = v & DBG_VR_MASK;
    "DBGBCR3_EL1" (2, 0, 0, 3, 5) @1 r: |c| c.sys.debug.bcr[3], w: |c, v| c.sys.debug.bcr[3] = v & DBGBCR_MASK;
    "DBGBVR4_EL1" (2, 0, 0, 4, 4) @1 r: |c| c.sys.debug.bvr[4], w: |c, v| c.sys.debug.bvr[4] = v & DBG_VR_MASK;
    "DBGBCR4_EL1" (2, 0, 0, 4, 5) @1 r: |c| c.sys.debug.bcr[4], w: |c, v| c.sys.debug.bcr[4] = v & DBGBCR_MASK;
    "DBGBVR5_EL1" (2, 0, 0, 5, 4) @1 r: |c| c.sys.debug.bvr[5], w: |c, v| c.sys.debug.bvr[5] = v & DBG_VR_MASK;
    "DBGBCR5_EL1" (2, 0, 0, 5, 5) @1 r: |c| c.sys.debug.bcr[5], w: |c, v| c.sys.debug.bcr[5] = v & DBGBCR_MASK;
    "DBGWVR0_EL1" (2, 0, 0, 0, 6) @1 r: |c| c.sys.debug.wvr[0], w: |c, v| c.sys.debug.wvr[0] = v & DBG_VR_MASK;
    "DBGWCR0_EL1" (2, 0, 0, 0, 7) @1 r: |c| c.sys.debug.wcr[0], w: |c, v| c.sys.debug.wcr[0] = v & DBGWCR_MASK;
    "DBGWVR1_EL1" (2, 0, 0, 1, 6) @1 r: |c| c.sys.debug.wvr[1], w: |c, v| c.sys.debug.wvr[1] = v & DBG_VR_MASK;
    "DBGWCR1_EL1" (2, 0, 0, 1, 7) @1 r: |c| c.sys.debug.wcr[1], w: |c, v| c.sys.debug.wcr[1] = v & DBGWCR_MASK;
    "DBGWVR2_EL1" (2, 0, 0, 2, 6) @1 r: |c| c.sys.debug.wvr[2], w: |c, v| c.sys.debug.wvr[2] = v & DBG_VR_MASK;
    "DBGWCR2_EL1" (2, 0, 0, 2, 7) @1 r: |c| c.sys.debug.wcr[2], w: |c, v| c.sys.debug.wcr[2] = v & DBGWCR_MASK;
    "DBGWVR3_EL1" (2, 0, 0, 3, 6) @1 r: |c| c.sys.debug.wvr[3], w: |c, v| c.sys.debug.wvr[3] = v & DBG_VR_MASK;
    "DBGWCR3_EL1" (2, 0, 0, 3, 7) @1 r: |c| c.sys.debug.wcr[3], w: |c, v| c.sys.debug.wcr[3] = v & DBGWCR_MASK;
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

/// What every unallocated encoding of the ID register space reads through.
static RESERVED_ID_REGISTER: SysRegDef = SysRegDef {
    name: "reserved ID register",
    enc: enc(3, 0, 0, 1, 0),
    min_el: 1,
    read: Some(konst!(0)),
    write: None,
};

/// Whether `e` lies in the ID register space op0=3, op1=0, CRn=0, CRm=1..7 (Arm ARM
/// C5.3, where the table of op0=0b11 encodings marks them "reserved, RAZ"): its unallocated
/// encodings are reserved ID registers, RAZ at EL1 (not UNDEFINED) so that software can
/// probe for registers later architecture versions add (ID_AA64ZFR0_EL1, ID_AA64ISAR2_EL1,
/// ID_AA64MMFR3_EL1, ID_AA64PFR2_EL1, ...). Writes are UNDEFINED; so is EL0 access, as
/// v8.0 has no FEAT_IDST (Linux emulates the ID registers for EL0 from that UNDEFINED).
fn in_id_space(e: u16) -> bool {
    const SPACE_MASK: u16 = enc(3, 7, 15, 0, 0);
    let crm = (e >> 3) & 0xf;
    e & SPACE_MASK == enc(3, 0, 0, 0, 0) && (1..=7).contains(&crm)
}

/// Finds a system register by its encoding: a row of [`SYSREGS`], or a reserved ID
/// register.
pub fn lookup(enc: u16) -> Option<&'static SysRegDef> {
    SYSREGS
        .iter()
        .find(|r| r.enc == enc)
        .or_else(|| in_id_space(enc).then_some(&RESERVED_ID_REGISTER))
}

/// Finds a system register by its architectural name (case-insensitive).
pub fn by_name(name: &str) -> Option<&'static SysRegDef> {
    SYSREGS.iter().find(|r| r.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
#[path = "sysreg_tests.rs"]
mod cpu_tests;

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
