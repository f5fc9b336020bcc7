//! GICv2 register maps and bit fields (IHI 0048B §4.1.2, Table 4-1, "Distributor register
//! map"; §4.1.3, Table 4-2, "CPU interface register map"; the register descriptions of
//! §4.3 and §4.4), for a GIC without the Security Extensions.

pub use crate::gic::dist_common::gicd::*;
use crate::gic::dist_common::gicd_map;
use crate::gic::regs::{RegDef, Rw, Width};
use crate::gic::IIDR_ARM;

/// Size of the CPU interface frame as QEMU's virt machine maps it (the `reg` of the
/// reference device tree's `intc@8000000`; the distributor's is [`GICD_SIZE`]).
pub const GICC_SIZE: u64 = 0x1_0000;
/// Where QEMU's virt machine puts it (the distributor: [`VIRT_GICD_BASE`]).
pub const VIRT_GICC_BASE: u64 = 0x0801_0000;

/// At most eight CPU interfaces: GICD_ITARGETSR and GICD_SGIR have one bit per CPU.
pub const MAX_CPUS: usize = 8;

/// The distributor's registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gicd {
    Ctlr,
    Typer,
    Iidr,
    /// GICD_IGROUPR<n> to GICD_ICACTIVER<n>.
    Bits(BitReg),
    Ipriorityr,
    Itargetsr,
    Icfgr,
    Sgir,
    Cpendsgir,
    Spendsgir,
    /// PIDR4–7, PIDR0–3, CIDR0–3.
    Id,
}

// Distributor register offsets (Table 4-1) beyond those GICv3 shares (`dist_common`).
pub const GICD_SGIR: u64 = 0xf00;
pub const GICD_CPENDSGIR: u64 = 0xf10;
pub const GICD_SPENDSGIR: u64 = 0xf20;
pub const GICD_PIDR4: u64 = 0xfd0;
pub const GICD_PIDR2: u64 = 0xfe8;

/// The distributor register map (Table 4-1), arrays sized for [`crate::gic::NUM_IRQS`]
/// interrupts.
pub const GICD_MAP: &[RegDef<Gicd>] = gicd_map!(Gicd; [
    RegDef::new(Gicd::Ctlr, GICD_CTLR, 1, Width::Word, Rw::ReadWrite),
    RegDef::new(Gicd::Typer, GICD_TYPER, 1, Width::Word, Rw::ReadOnly),
    RegDef::new(Gicd::Iidr, GICD_IIDR, 1, Width::Word, Rw::ReadOnly),
]; [
    RegDef::new(Gicd::Sgir, GICD_SGIR, 1, Width::Word, Rw::WriteOnly),
    RegDef::new(Gicd::Cpendsgir, GICD_CPENDSGIR, 4, Width::Bytes, Rw::ReadWrite),
    RegDef::new(Gicd::Spendsgir, GICD_SPENDSGIR, 4, Width::Bytes, Rw::ReadWrite),
    RegDef::new(Gicd::Id, GICD_PIDR4, 12, Width::Word, Rw::ReadOnly),
]);

/// GICD_CTLR's writable bits (§4.3.1, GICv2 without Security Extensions).
pub const GICD_CTLR_MASK: u32 = GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1;

// GICD_TYPER (§4.3.2).
pub const GICD_TYPER_ITLINES_SHIFT: u32 = 0;
pub const GICD_TYPER_CPUNUMBER_SHIFT: u32 = 5;

// GICD_SGIR (§4.3.15).
pub const SGIR_INTID_MASK: u32 = 0xf;
pub const SGIR_TARGET_LIST_SHIFT: u32 = 16;
pub const SGIR_FILTER_SHIFT: u32 = 24;
pub const SGIR_FILTER_MASK: u32 = 0b11;
/// TargetListFilter: the CPUs in CPUTargetList.
pub const SGIR_FILTER_LIST: u32 = 0;
/// TargetListFilter: every CPU but the requester.
pub const SGIR_FILTER_OTHERS: u32 = 1;
/// TargetListFilter: the requester only.
pub const SGIR_FILTER_SELF: u32 = 2;

/// The identification registers from 0xFD0 (PIDR4–7, PIDR0–3, CIDR0–3) as QEMU's GICv2
/// reports them: PIDR2 = 0x2B says architecture revision 2 (§4.3, "Identification
/// registers": ArchRev is `PIDR2[7:4]`).
pub const GICD_ID: [u32; 12] = [
    0x04, 0x00, 0x00, 0x00, 0x90, 0xb4, 0x2b, 0x00, 0x0d, 0xf0, 0x05, 0xb1,
];

/// The CPU interface's registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gicc {
    Ctlr,
    Pmr,
    Bpr,
    Iar,
    Eoir,
    Rpr,
    Hppir,
    Abpr,
    Aiar,
    Aeoir,
    Ahppir,
    Apr,
    Nsapr,
    Iidr,
    Dir,
}

// CPU interface register offsets (Table 4-2).
pub const GICC_CTLR: u64 = 0x00;
pub const GICC_PMR: u64 = 0x04;
pub const GICC_BPR: u64 = 0x08;
pub const GICC_IAR: u64 = 0x0c;
pub const GICC_EOIR: u64 = 0x10;
pub const GICC_RPR: u64 = 0x14;
pub const GICC_HPPIR: u64 = 0x18;
pub const GICC_ABPR: u64 = 0x1c;
pub const GICC_AIAR: u64 = 0x20;
pub const GICC_AEOIR: u64 = 0x24;
pub const GICC_AHPPIR: u64 = 0x28;
pub const GICC_APR: u64 = 0xd0;
pub const GICC_NSAPR: u64 = 0xe0;
pub const GICC_IIDR: u64 = 0xfc;
pub const GICC_DIR: u64 = 0x1000;

/// The CPU interface register map (Table 4-2).
pub const GICC_MAP: &[RegDef<Gicc>] = &[
    RegDef::new(Gicc::Ctlr, GICC_CTLR, 1, Width::Word, Rw::ReadWrite),
    RegDef::new(Gicc::Pmr, GICC_PMR, 1, Width::Word, Rw::ReadWrite),
    RegDef::new(Gicc::Bpr, GICC_BPR, 1, Width::Word, Rw::ReadWrite),
    RegDef::new(Gicc::Iar, GICC_IAR, 1, Width::Word, Rw::ReadOnly),
    RegDef::new(Gicc::Eoir, GICC_EOIR, 1, Width::Word, Rw::WriteOnly),
    RegDef::new(Gicc::Rpr, GICC_RPR, 1, Width::Word, Rw::ReadOnly),
    RegDef::new(Gicc::Hppir, GICC_HPPIR, 1, Width::Word, Rw::ReadOnly),
    RegDef::new(Gicc::Abpr, GICC_ABPR, 1, Width::Word, Rw::ReadWrite),
    RegDef::new(Gicc::Aiar, GICC_AIAR, 1, Width::Word, Rw::ReadOnly),
    RegDef::new(Gicc::Aeoir, GICC_AEOIR, 1, Width::Word, Rw::WriteOnly),
    RegDef::new(Gicc::Ahppir, GICC_AHPPIR, 1, Width::Word, Rw::ReadOnly),
    RegDef::new(Gicc::Apr, GICC_APR, 4, Width::Word, Rw::ReadWrite),
    RegDef::new(Gicc::Nsapr, GICC_NSAPR, 4, Width::Word, Rw::ReadWrite),
    RegDef::new(Gicc::Iidr, GICC_IIDR, 1, Width::Word, Rw::ReadOnly),
    RegDef::new(Gicc::Dir, GICC_DIR, 1, Width::Word, Rw::WriteOnly),
];

// GICC_CTLR (§4.4.1, GICv2 without Security Extensions: the layout of the Secure copy).
pub const GICC_CTLR_ENABLE_GRP0: u32 = 1 << 0;
pub const GICC_CTLR_ENABLE_GRP1: u32 = 1 << 1;
pub const GICC_CTLR_ACK_CTL: u32 = 1 << 2;
pub const GICC_CTLR_FIQ_EN: u32 = 1 << 3;
pub const GICC_CTLR_CBPR: u32 = 1 << 4;
/// FIQBypDisGrp0, IRQBypDisGrp0, FIQBypDisGrp1, IRQBypDisGrp1: the legacy bypass signals
/// do not exist here, so these only read back.
pub const GICC_CTLR_BYPASS_DISABLE: u32 = 0xf << 5;
/// EOImodeS: GICC_EOIR drops priority only; GICC_DIR deactivates.
pub const GICC_CTLR_EOI_MODE: u32 = 1 << 9;
/// The writable bits. Bit 10 (EOImodeNS) belongs to the Security Extensions' Non-secure
/// copy; QEMU's GIC without them keeps it RAZ/WI, and so do we.
pub const GICC_CTLR_MASK: u32 = GICC_CTLR_ENABLE_GRP0
    | GICC_CTLR_ENABLE_GRP1
    | GICC_CTLR_ACK_CTL
    | GICC_CTLR_FIQ_EN
    | GICC_CTLR_CBPR
    | GICC_CTLR_BYPASS_DISABLE
    | GICC_CTLR_EOI_MODE;

// GICC_IAR, GICC_EOIR, GICC_HPPIR, GICC_DIR (§4.4.4): interrupt ID and, for SGIs, the
// requesting CPU.
pub const IAR_INTID_MASK: u32 = 0x3ff;
pub const IAR_CPUID_SHIFT: u32 = 10;

/// GICC_BPR/GICC_ABPR: the binary point field.
pub const BPR_MASK: u32 = 0b111;

/// GICC_RPR when no interrupt is active (§4.4.6).
pub const RPR_IDLE: u32 = 0xff;

/// GICC_IIDR as QEMU reports it: architecture version 2, Implementer ARM (§4.4.14).
pub const GICC_IIDR_VALUE: u32 = (2 << 16) | IIDR_ARM;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gic::regs::assert_well_formed;

    #[test]
    fn maps_are_well_formed() {
        assert_well_formed(GICD_MAP);
        assert_well_formed(GICC_MAP);
        assert!(GICD_MAP.iter().all(|r| r.end() <= GICD_SIZE));
        assert!(GICC_MAP.iter().all(|r| r.end() <= GICC_SIZE));
    }

    #[test]
    fn arrays_end_where_table_4_1_puts_the_next_register_block() {
        // 288 interrupts: 9 bitmap registers, 72 priority/target registers, 18 ICFGRs,
        // all inside their architectural ranges.
        let end = |reg| GICD_MAP.iter().find(|r| r.reg == reg).unwrap().end();
        assert_eq!(end(Gicd::Bits(BitReg::SetEnable)), 0x124);
        assert!(end(Gicd::Bits(BitReg::ClearActive)) <= 0x400);
        assert_eq!(end(Gicd::Ipriorityr), 0x520);
        assert!(end(Gicd::Itargetsr) <= 0xc00);
        assert_eq!(end(Gicd::Icfgr), 0xc48);
    }
}
