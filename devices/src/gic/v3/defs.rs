//! GICv3 register maps, system register encodings and bit fields (IHI 0069, chapter 12,
//! "Programmers' Model": the GICD_*, GICR_* and ICC_* register descriptions), for a GIC
//! with affinity routing always enabled, a single Security state (GICD_CTLR.DS = 1), and
//! no LPIs — QEMU's `arm_gicv3` as the virt machine configures it without EL3.

pub use crate::gic::dist_common::gicd::*;
use crate::gic::dist_common::{bitmap_row, cfg_row, gicd_map, word_row};
use crate::gic::regs::{RegDef, Rw, Width};
use crate::gic::{IIDR_ARM, NUM_IRQS, SPI_BASE};
use armvirt_cpu::sysreg::enc;

/// Where QEMU's virt machine puts the redistributors, and the room it leaves for them
/// (123 redistributors).
pub const VIRT_GICR_BASE: u64 = 0x080a_0000;
pub const VIRT_GICR_REGION_SIZE: u64 = 0xf6_0000;
/// Each redistributor is two 64 KiB frames: RD_base, then SGI_base (GICv3 without
/// virtual LPIs; GICR register descriptions).
pub const GICR_FRAME_SIZE: u64 = 0x1_0000;
pub const GICR_STRIDE: u64 = 2 * GICR_FRAME_SIZE;

/// Routing masks have one bit per CPU.
pub const MAX_CPUS: usize = 64;

// ── Distributor ──────────────────────────────────────────────────────────────────────

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gicd {
    Ctlr,
    Typer,
    Iidr,
    Typer2,
    /// GICD_IGROUPR<n> to GICD_ICACTIVER<n>.
    Bits(BitReg),
    Ipriorityr,
    /// RES0 with affinity routing: RAZ/WI.
    Itargetsr,
    Icfgr,
    /// RAZ/WI with a single Security state.
    Igrpmodr,
    /// RAZ/WI with a single Security state.
    Nsacr,
    Irouter,
    /// PIDR4–7, PIDR0–3, CIDR0–3.
    Id,
}

// Offsets beyond those GICv2 shares (`dist_common`).
pub const GICD_TYPER2: u64 = 0x000c;
pub const GICD_IGRPMODR: u64 = 0x0d00;
pub const GICD_NSACR: u64 = 0x0e00;
/// GICD_IROUTER<n> is at 0x6000 + 8n; n starts at 32, the first SPI.
pub const GICD_IROUTER: u64 = 0x6000 + 8 * SPI_BASE as u64;
pub const GICD_PIDR4: u64 = 0xffd0;
pub const GICD_PIDR2: u64 = 0xffe8;

/// The distributor register map, arrays sized for [`NUM_IRQS`] interrupts.
pub const GICD_MAP: &[RegDef<Gicd>] = gicd_map!(Gicd; [
    RegDef::new(Gicd::Ctlr, GICD_CTLR, 1, Width::Word, Rw::ReadWrite),
    RegDef::new(Gicd::Typer, GICD_TYPER, 1, Width::Word, Rw::ReadOnly),
    RegDef::new(Gicd::Iidr, GICD_IIDR, 1, Width::Word, Rw::ReadOnly),
    RegDef::new(Gicd::Typer2, GICD_TYPER2, 1, Width::Word, Rw::ReadOnly),
]; [
    bitmap_row(Gicd::Igrpmodr, GICD_IGRPMODR),
    cfg_row(Gicd::Nsacr, GICD_NSACR),
    RegDef::new(
        Gicd::Irouter,
        GICD_IROUTER,
        (NUM_IRQS - SPI_BASE) as u64,
        Width::Dword,
        Rw::ReadWrite,
    ),
    RegDef::new(Gicd::Id, GICD_PIDR4, 12, Width::Word, Rw::ReadOnly),
]);

// GICD_CTLR with DS = 1.
/// Affinity routing: always enabled (RAO/WI), as QEMU has no legacy mode.
pub const GICD_CTLR_ARE: u32 = 1 << 4;
/// Disable Security: a single Security state (RAO/WI).
pub const GICD_CTLR_DS: u32 = 1 << 6;
pub const GICD_CTLR_WRITABLE: u32 = GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1;

// GICD_TYPER.
pub const GICD_TYPER_IDBITS_SHIFT: u32 = 19;
/// INTIDs have 16 bits (IDbits = 15), the smallest a GICv3 may have.
pub const GICD_TYPER_IDBITS: u32 = 15;
/// Affinity level 3 is supported (non-zero values of Aff3 in routing and SGIs).
pub const GICD_TYPER_A3V: u32 = 1 << 24;
/// 1-of-N routing of SPIs is not supported.
pub const GICD_TYPER_NO1N: u32 = 1 << 25;

// GICD_IROUTER: the affinity fields; Interrupt_Routing_Mode (bit 31) is RAZ/WI since
// GICD_TYPER.No1N is set.
pub const IROUTER_AFF_MASK: u64 = 0xff_00ff_ffff;

/// Distributor identification as QEMU reports it; PIDR2 = 0x3B: ArchRev 3.
pub const GICD_ID: [u32; 12] = [
    0x44, 0x00, 0x00, 0x00, 0x92, 0xb4, 0x3b, 0x00, 0x0d, 0xf0, 0x05, 0xb1,
];

// ── Redistributor ─────────────────────────────────────────────────────────────────────

/// RD_base frame registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GicrRd {
    /// No LPIs: RAZ/WI.
    Ctlr,
    Iidr,
    Typer,
    Waker,
    Id,
}

pub const GICR_CTLR: u64 = 0x0000;
pub const GICR_IIDR: u64 = 0x0004;
pub const GICR_TYPER: u64 = 0x0008;
pub const GICR_WAKER: u64 = 0x0014;
pub const GICR_PIDR4: u64 = 0xffd0;
pub const GICR_PIDR2: u64 = 0xffe8;

pub const GICR_RD_MAP: &[RegDef<GicrRd>] = &[
    RegDef::new(GicrRd::Ctlr, GICR_CTLR, 1, Width::Word, Rw::ReadWrite),
    RegDef::new(GicrRd::Iidr, GICR_IIDR, 1, Width::Word, Rw::ReadOnly),
    RegDef::new(GicrRd::Typer, GICR_TYPER, 1, Width::Dword, Rw::ReadOnly),
    RegDef::new(GicrRd::Waker, GICR_WAKER, 1, Width::Word, Rw::ReadWrite),
    RegDef::new(GicrRd::Id, GICR_PIDR4, 12, Width::Word, Rw::ReadOnly),
];

/// SGI_base frame registers (offsets within that frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GicrSgi {
    /// GICR_IGROUPR0 to GICR_ICACTIVER0.
    Bits(BitReg),
    Ipriorityr,
    /// GICR_ICFGR0 (SGIs, read-only) and GICR_ICFGR1 (PPIs).
    Icfgr,
    /// RAZ/WI with a single Security state.
    Igrpmodr0,
    /// RAZ/WI with a single Security state.
    Nsacr,
}

pub const GICR_IGROUPR0: u64 = 0x0080;
pub const GICR_ISENABLER0: u64 = 0x0100;
pub const GICR_ICENABLER0: u64 = 0x0180;
pub const GICR_ISPENDR0: u64 = 0x0200;
pub const GICR_ICPENDR0: u64 = 0x0280;
pub const GICR_ISACTIVER0: u64 = 0x0300;
pub const GICR_ICACTIVER0: u64 = 0x0380;
pub const GICR_IPRIORITYR: u64 = 0x0400;
pub const GICR_ICFGR0: u64 = 0x0c00;
pub const GICR_IGRPMODR0: u64 = 0x0d00;
pub const GICR_NSACR: u64 = 0x0e00;

pub const GICR_SGI_MAP: &[RegDef<GicrSgi>] = &[
    word_row(GicrSgi::Bits(BitReg::Group), GICR_IGROUPR0),
    word_row(GicrSgi::Bits(BitReg::SetEnable), GICR_ISENABLER0),
    word_row(GicrSgi::Bits(BitReg::ClearEnable), GICR_ICENABLER0),
    word_row(GicrSgi::Bits(BitReg::SetPending), GICR_ISPENDR0),
    word_row(GicrSgi::Bits(BitReg::ClearPending), GICR_ICPENDR0),
    word_row(GicrSgi::Bits(BitReg::SetActive), GICR_ISACTIVER0),
    word_row(GicrSgi::Bits(BitReg::ClearActive), GICR_ICACTIVER0),
    RegDef::new(
        GicrSgi::Ipriorityr,
        GICR_IPRIORITYR,
        8,
        Width::Bytes,
        Rw::ReadWrite,
    ),
    RegDef::new(GicrSgi::Icfgr, GICR_ICFGR0, 2, Width::Word, Rw::ReadWrite),
    word_row(GicrSgi::Igrpmodr0, GICR_IGRPMODR0),
    word_row(GicrSgi::Nsacr, GICR_NSACR),
];

// GICR_TYPER.
pub const GICR_TYPER_LAST: u64 = 1 << 4;
pub const GICR_TYPER_PROCESSOR_NUMBER_SHIFT: u32 = 8;
pub const GICR_TYPER_AFFINITY_SHIFT: u32 = 32;

// GICR_WAKER.
pub const GICR_WAKER_PROCESSOR_SLEEP: u32 = 1 << 1;
pub const GICR_WAKER_CHILDREN_ASLEEP: u32 = 1 << 2;

pub const GICR_IIDR_VALUE: u32 = IIDR_ARM;

/// Redistributor identification as QEMU reports it; PIDR2 = 0x3B: ArchRev 3.
pub const GICR_ID: [u32; 12] = [
    0x44, 0x00, 0x00, 0x00, 0x93, 0xb4, 0x3b, 0x00, 0x0d, 0xf0, 0x05, 0xb1,
];

// ── CPU interface: ICC_* system registers ─────────────────────────────────────────────

/// The CPU interface's system registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Icc {
    Pmr,
    Iar0,
    Eoir0,
    Hppir0,
    Bpr0,
    /// ICC_AP0R<n>_EL1.
    Ap0r(u8),
    /// ICC_AP1R<n>_EL1.
    Ap1r(u8),
    Dir,
    Rpr,
    Sgi1r,
    Sgi0r,
    Iar1,
    Eoir1,
    Hppir1,
    Bpr1,
    Ctlr,
    Sre,
    Igrpen0,
    Igrpen1,
}

/// One row of the ICC register table: the register, its MRS/MSR encoding
/// (op0, op1, CRn, CRm, op2) and the accesses it takes.
pub struct IccDef {
    pub reg: Icc,
    pub name: &'static str,
    pub enc: u16,
    pub rw: Rw,
}

const fn icc(reg: Icc, name: &'static str, crn: u32, crm: u32, op2: u32, rw: Rw) -> IccDef {
    IccDef {
        reg,
        name,
        enc: enc(3, 0, crn, crm, op2),
        rw,
    }
}

/// Every ICC_*_EL1 register of a GICv3 CPU interface at EL1 with a single Security
/// state (encodings from the ICC register descriptions of IHI 0069 chapter 12). ICC_AP0R1–3 and ICC_AP1R1–3 exist only
/// with more than five priority bits: they are here, accessible neither way, so that
/// touching them is UNDEFINED as the architecture says.
pub const ICC_REGS: &[IccDef] = &[
    icc(Icc::Pmr, "ICC_PMR_EL1", 4, 6, 0, Rw::ReadWrite),
    icc(Icc::Iar0, "ICC_IAR0_EL1", 12, 8, 0, Rw::ReadOnly),
    icc(Icc::Eoir0, "ICC_EOIR0_EL1", 12, 8, 1, Rw::WriteOnly),
    icc(Icc::Hppir0, "ICC_HPPIR0_EL1", 12, 8, 2, Rw::ReadOnly),
    icc(Icc::Bpr0, "ICC_BPR0_EL1", 12, 8, 3, Rw::ReadWrite),
    icc(Icc::Ap0r(0), "ICC_AP0R0_EL1", 12, 8, 4, Rw::ReadWrite),
    icc(Icc::Ap0r(1), "ICC_AP0R1_EL1", 12, 8, 5, Rw::Neither),
    icc(Icc::Ap0r(2), "ICC_AP0R2_EL1", 12, 8, 6, Rw::Neither),
    icc(Icc::Ap0r(3), "ICC_AP0R3_EL1", 12, 8, 7, Rw::Neither),
    icc(Icc::Ap1r(0), "ICC_AP1R0_EL1", 12, 9, 0, Rw::ReadWrite),
    icc(Icc::Ap1r(1), "ICC_AP1R1_EL1", 12, 9, 1, Rw::Neither),
    icc(Icc::Ap1r(2), "ICC_AP1R2_EL1", 12, 9, 2, Rw::Neither),
    icc(Icc::Ap1r(3), "ICC_AP1R3_EL1", 12, 9, 3, Rw::Neither),
    icc(Icc::Dir, "ICC_DIR_EL1", 12, 11, 1, Rw::WriteOnly),
    icc(Icc::Rpr, "ICC_RPR_EL1", 12, 11, 3, Rw::ReadOnly),
    icc(Icc::Sgi1r, "ICC_SGI1R_EL1", 12, 11, 5, Rw::WriteOnly),
    icc(Icc::Sgi0r, "ICC_SGI0R_EL1", 12, 11, 7, Rw::WriteOnly),
    icc(Icc::Iar1, "ICC_IAR1_EL1", 12, 12, 0, Rw::ReadOnly),
    icc(Icc::Eoir1, "ICC_EOIR1_EL1", 12, 12, 1, Rw::WriteOnly),
    icc(Icc::Hppir1, "ICC_HPPIR1_EL1", 12, 12, 2, Rw::ReadOnly),
    icc(Icc::Bpr1, "ICC_BPR1_EL1", 12, 12, 3, Rw::ReadWrite),
    icc(Icc::Ctlr, "ICC_CTLR_EL1", 12, 12, 4, Rw::ReadWrite),
    icc(Icc::Sre, "ICC_SRE_EL1", 12, 12, 5, Rw::ReadWrite),
    icc(Icc::Igrpen0, "ICC_IGRPEN0_EL1", 12, 12, 6, Rw::ReadWrite),
    icc(Icc::Igrpen1, "ICC_IGRPEN1_EL1", 12, 12, 7, Rw::ReadWrite),
];

/// The ICC register with encoding `enc`.
pub fn icc_reg(enc: u16) -> Option<&'static IccDef> {
    ICC_REGS.iter().find(|r| r.enc == enc)
}

// ICC_CTLR_EL1.
pub const ICC_CTLR_CBPR: u64 = 1 << 0;
pub const ICC_CTLR_EOIMODE: u64 = 1 << 1;
pub const ICC_CTLR_WRITABLE: u64 = ICC_CTLR_CBPR | ICC_CTLR_EOIMODE;
pub const ICC_CTLR_PRIBITS_SHIFT: u32 = 8;
pub const ICC_CTLR_A3V: u64 = 1 << 15;

/// ICC_SRE_EL1: SRE, DFB, DIB all RAO/WI — the system register interface is the only
/// one, and the bypasses are disabled (as QEMU).
pub const ICC_SRE_VALUE: u64 = 0b111;

/// ICC_IGRPEN<n>_EL1.Enable.
pub const ICC_IGRPEN_ENABLE: u64 = 1;

/// INTID fields of ICC_IAR/EOIR/HPPIR/DIR: 24 bits.
pub const ICC_INTID_MASK: u64 = 0xff_ffff;

/// ICC_RPR_EL1 when no interrupt is active.
pub const ICC_RPR_IDLE: u64 = 0xff;

// ICC_SGI0R_EL1/ICC_SGI1R_EL1.
pub const SGIR_TARGET_LIST_MASK: u64 = 0xffff;
pub const SGIR_AFF1_SHIFT: u32 = 16;
pub const SGIR_INTID_SHIFT: u32 = 24;
pub const SGIR_INTID_MASK: u64 = 0xf;
pub const SGIR_AFF2_SHIFT: u32 = 32;
pub const SGIR_IRM: u64 = 1 << 40;
pub const SGIR_RS_SHIFT: u32 = 44;
pub const SGIR_RS_MASK: u64 = 0xf;
pub const SGIR_AFF3_SHIFT: u32 = 48;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gic::regs::assert_well_formed;

    #[test]
    fn maps_are_well_formed() {
        assert_well_formed(GICD_MAP);
        assert_well_formed(GICR_RD_MAP);
        assert_well_formed(GICR_SGI_MAP);
        assert!(GICD_MAP.iter().all(|r| r.end() <= GICD_SIZE));
        assert!(GICR_RD_MAP.iter().all(|r| r.end() <= GICR_FRAME_SIZE));
        assert!(GICR_SGI_MAP.iter().all(|r| r.end() <= GICR_FRAME_SIZE));
        // GICD_IROUTER32 is at 0x6100 and the last one, for INTID 287, at 0x68F8.
        let irouter = GICD_MAP.iter().find(|r| r.reg == Gicd::Irouter).unwrap();
        assert_eq!((irouter.offset, irouter.end()), (0x6100, 0x6900));
    }

    #[test]
    fn icc_encodings() {
        for (i, a) in ICC_REGS.iter().enumerate() {
            assert!(
                ICC_REGS[i + 1..].iter().all(|b| b.enc != a.enc),
                "{}",
                a.name
            );
        }
        // S3_0_C12_C12_0 is ICC_IAR1_EL1: 0xC660 in gdbstub_arch's numbering.
        assert_eq!(icc_reg(0xc660).unwrap().reg, Icc::Iar1);
        // S3_0_C4_C6_0 is ICC_PMR_EL1.
        assert_eq!(icc_reg(0xc230).unwrap().reg, Icc::Pmr);
        assert!(armvirt_cpu::sysreg::SYSREGS
            .iter()
            .all(|r| icc_reg(r.enc).is_none()));
    }
}
