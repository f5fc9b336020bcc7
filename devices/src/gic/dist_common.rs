//! What the GICv2 and GICv3 distributors have in common: the registers both have at the
//! same offsets (IHI 0048B §4.1.2, Table 4-1, "Distributor register map"; IHI 0069
//! §12.9, "The GIC Distributor register map"), the per-interrupt arrays sized for
//! [`NUM_IRQS`] interrupts, and the rows of the register map for them ([`gicd_map!`]).
//! What each version adds or reads differently stays in `v2/defs.rs` and `v3/defs.rs`.

use crate::gic::regs::{RegDef, Rw, Width};
use crate::gic::NUM_IRQS;

/// The registers' offsets and values both versions define alike; each version's `defs`
/// re-exports them beside its own.
pub mod gicd {
    use crate::gic::IIDR_ARM;

    /// Where QEMU's virt machine puts the distributor, of either version, and its size.
    pub const VIRT_GICD_BASE: u64 = 0x0800_0000;
    pub const GICD_SIZE: u64 = 0x1_0000;

    pub const GICD_CTLR: u64 = 0x0000;
    pub const GICD_TYPER: u64 = 0x0004;
    pub const GICD_IIDR: u64 = 0x0008;
    pub const GICD_IGROUPR: u64 = 0x0080;
    pub const GICD_ISENABLER: u64 = 0x0100;
    pub const GICD_ICENABLER: u64 = 0x0180;
    pub const GICD_ISPENDR: u64 = 0x0200;
    pub const GICD_ICPENDR: u64 = 0x0280;
    pub const GICD_ISACTIVER: u64 = 0x0300;
    pub const GICD_ICACTIVER: u64 = 0x0380;
    pub const GICD_IPRIORITYR: u64 = 0x0400;
    pub const GICD_ITARGETSR: u64 = 0x0800;
    pub const GICD_ICFGR: u64 = 0x0c00;

    // GICD_CTLR's group enables (IHI 0048B §4.3.1 without the Security Extensions;
    // IHI 0069, GICD_CTLR with DS = 1).
    pub const GICD_CTLR_ENABLE_GRP0: u32 = 1 << 0;
    pub const GICD_CTLR_ENABLE_GRP1: u32 = 1 << 1;

    /// GICD_IIDR as QEMU's GICs report it: Implementer ARM, product and revision 0.
    pub const GICD_IIDR_VALUE: u32 = IIDR_ARM;

    /// The one-bit-per-interrupt registers: GICD_IGROUPR<n> to GICD_ICACTIVER<n> (IHI
    /// 0048B §4.3.4–§4.3.10; IHI 0069's GICD register descriptions), and the GICR_*0
    /// registers of GICv3's SGI frame, which are the same for SGIs and PPIs. Both
    /// registers of a set/clear pair read the state they change.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum BitReg {
        Group,
        SetEnable,
        ClearEnable,
        SetPending,
        ClearPending,
        SetActive,
        ClearActive,
    }
}

/// Registers with one bit per interrupt: 32 interrupts per register.
pub const BITMAP_REGS: u64 = NUM_IRQS as u64 / 32;
/// Registers with one byte per interrupt.
pub const BYTE_REGS: u64 = NUM_IRQS as u64 / 4;
/// GICD_ICFGR: two bits per interrupt.
pub const CFG_REGS: u64 = NUM_IRQS as u64 / 16;

/// A read-write row of one-bit-per-interrupt registers (GICD_IGROUPR and friends).
pub const fn bitmap_row<R>(reg: R, offset: u64) -> RegDef<R> {
    RegDef::new(reg, offset, BITMAP_REGS, Width::Word, Rw::ReadWrite)
}

/// A read-write row of one 32-bit register.
pub const fn word_row<R>(reg: R, offset: u64) -> RegDef<R> {
    RegDef::new(reg, offset, 1, Width::Word, Rw::ReadWrite)
}

/// A read-write row of byte-per-interrupt registers (GICD_IPRIORITYR, GICD_ITARGETSR).
pub const fn byte_row<R>(reg: R, offset: u64) -> RegDef<R> {
    RegDef::new(reg, offset, BYTE_REGS, Width::Bytes, Rw::ReadWrite)
}

/// The GICD_ICFGR row.
pub const fn cfg_row<R>(reg: R, offset: u64) -> RegDef<R> {
    RegDef::new(reg, offset, CFG_REGS, Width::Word, Rw::ReadWrite)
}

/// A version's distributor register map: its `head` rows, then the rows of the registers
/// both versions have from GICD_IGROUPR to GICD_ICFGR, then its `tail` rows. `$gicd` is
/// the version's register enum, which names those registers alike (`Bits` holding a
/// [`gicd::BitReg`] for the one-bit-per-interrupt ones).
macro_rules! gicd_map {
    ($gicd:ident; [$($head:expr),* $(,)?]; [$($tail:expr),* $(,)?]) => {{
        use $crate::gic::dist_common::{self as common, gicd, gicd::BitReg};
        &[
            $($head,)*
            common::bitmap_row($gicd::Bits(BitReg::Group), gicd::GICD_IGROUPR),
            common::bitmap_row($gicd::Bits(BitReg::SetEnable), gicd::GICD_ISENABLER),
            common::bitmap_row($gicd::Bits(BitReg::ClearEnable), gicd::GICD_ICENABLER),
            common::bitmap_row($gicd::Bits(BitReg::SetPending), gicd::GICD_ISPENDR),
            common::bitmap_row($gicd::Bits(BitReg::ClearPending), gicd::GICD_ICPENDR),
            common::bitmap_row($gicd::Bits(BitReg::SetActive), gicd::GICD_ISACTIVER),
            common::bitmap_row($gicd::Bits(BitReg::ClearActive), gicd::GICD_ICACTIVER),
            common::byte_row($gicd::Ipriorityr, gicd::GICD_IPRIORITYR),
            common::byte_row($gicd::Itargetsr, gicd::GICD_ITARGETSR),
            common::cfg_row($gicd::Icfgr, gicd::GICD_ICFGR),
            $($tail,)*
        ]
    }};
}
pub(crate) use gicd_map;
