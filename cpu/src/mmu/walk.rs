//! The stage 1 translation of the EL1&0 regime (VMSAv8-64): the translation table walk for
//! the 4 KiB, 16 KiB and 64 KiB granules, and the flat mapping with the MMU off.
//!
//! Follows the Armv8.0 pseudocode of the Arm ARM (D4.2.10 in the v8.0 edition; chapter D8
//! of later ones): `AArch64.TranslationTableWalk`, `AArch64.TranslateAddressS1Off`, and the access
//! permission rules of `AArch64.CheckPermission` (D4.4.1), with no stage 2 (no EL2), no
//! hardware Access flag or dirty state update (those are v8.1), and Non-secure state only.
//! The walk reads descriptors from physical memory and never changes anything.

use crate::mem::Mem;
use crate::sysreg::SysRegs;

/// Implemented physical address size: ID_AA64MMFR0_EL1.PARange = 0b0100, 44 bits (the A72's).
pub const PA_BITS: u32 = 44;

/// Fields of block, page and table descriptors (Arm ARM D4.3, "VMSAv8-64 translation table
/// format descriptors").
pub mod desc {
    /// Bit 0: the descriptor is valid.
    pub const VALID: u64 = 1 << 0;
    /// Bit 1: a table descriptor at levels 0–2, a page descriptor at level 3; clear for
    /// a block descriptor.
    pub const TABLE: u64 = 1 << 1;
    /// Type bits of each kind, for building descriptors.
    pub const TYPE_TABLE: u64 = VALID | TABLE;
    pub const TYPE_PAGE: u64 = VALID | TABLE;
    pub const TYPE_BLOCK: u64 = VALID;
    /// AttrIndx[2:0], bits 4:2: index of the MAIR_EL1 attribute field.
    pub const ATTR_INDX_SHIFT: u32 = 2;
    pub const fn attr_indx(i: u64) -> u64 {
        (i & 7) << ATTR_INDX_SHIFT
    }
    /// AP[1], bit 6: accessible from EL0.
    pub const AP_EL0: u64 = 1 << 6;
    /// AP[2], bit 7: read-only.
    pub const AP_RO: u64 = 1 << 7;
    /// SH[1:0], bits 9:8: shareability.
    pub const SH_SHIFT: u32 = 8;
    pub const SH_INNER: u64 = 0b11 << SH_SHIFT;
    /// AF, bit 10: the Access flag.
    pub const AF: u64 = 1 << 10;
    /// nG, bit 11: not global (tagged with the current ASID).
    pub const NG: u64 = 1 << 11;
    /// Contiguous hint, bit 52 (a hint only: this TLB does not merge entries).
    pub const CONTIGUOUS: u64 = 1 << 52;
    /// PXN, bit 53: no execution at EL1.
    pub const PXN: u64 = 1 << 53;
    /// UXN (XN), bit 54: no execution at EL0.
    pub const UXN: u64 = 1 << 54;
    /// Hierarchical controls of table descriptors, bits 63:59.
    pub const PXN_TABLE: u64 = 1 << 59;
    pub const UXN_TABLE: u64 = 1 << 60;
    /// APTable[0]: no EL0 access below this table.
    pub const AP_TABLE_NO_EL0: u64 = 1 << 61;
    /// APTable[1]: no write access below this table.
    pub const AP_TABLE_RO: u64 = 1 << 62;
}

/// TCR_EL1 fields (Arm ARM, TCR_EL1 register description).
pub mod tcr {
    pub const T0SZ_SHIFT: u32 = 0;
    pub const EPD0: u64 = 1 << 7;
    pub const TG0_SHIFT: u32 = 14;
    pub const T1SZ_SHIFT: u32 = 16;
    /// A1: the ASID comes from TTBR1_EL1 rather than TTBR0_EL1.
    pub const A1: u64 = 1 << 22;
    pub const EPD1: u64 = 1 << 23;
    pub const TG1_SHIFT: u32 = 30;
    pub const IPS_SHIFT: u32 = 32;
    /// AS: 16-bit ASIDs (else 8-bit).
    pub const AS: u64 = 1 << 36;
    pub const TBI0: u64 = 1 << 37;
    pub const TBI1: u64 = 1 << 38;
    /// TG0 encodings.
    pub const TG0_4K: u64 = 0b00;
    pub const TG0_64K: u64 = 0b01;
    pub const TG0_16K: u64 = 0b10;
    /// TG1 encodings (they differ from TG0's).
    pub const TG1_16K: u64 = 0b01;
    pub const TG1_4K: u64 = 0b10;
    pub const TG1_64K: u64 = 0b11;
    /// IPS = 0b100: 44-bit intermediate physical addresses.
    pub const IPS_44: u64 = 0b100;
}

/// SCTLR_EL1 bits the MMU reads (Arm ARM D17.2.118, as system.rs).
pub mod sctlr {
    /// M: stage 1 translation enabled.
    pub const M: u64 = 1 << 0;
    /// WXN: writable memory is execute-never.
    pub const WXN: u64 = 1 << 19;
    /// ITFSB (37), TCF0 (39:38), TCF (41:40), ATA0 (42), ATA (43): FEAT_MTE's controls.
    pub const MTE: u64 = 0x7f << 37;
}

/// Permission bits of a translation: what each of EL1 and EL0 may do.
pub mod perm {
    pub const R1: u8 = 1 << 0;
    pub const W1: u8 = 1 << 1;
    pub const X1: u8 = 1 << 2;
    pub const R0: u8 = 1 << 3;
    pub const W0: u8 = 1 << 4;
    pub const X0: u8 = 1 << 5;
    /// Everything (the MMU off).
    pub const ALL: u8 = R1 | W1 | X1 | R0 | W0 | X0;
    /// EL0's bits are EL1's shifted by this.
    pub const EL0_SHIFT: u32 = 3;
}

/// Why a translation failed: the fault status codes of ESR_EL1.ISS.{D,I}FSC and PAR_EL1.FST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    AddressSize,
    Translation,
    AccessFlag,
    Permission,
    /// Synchronous external abort on a translation table walk (a descriptor outside RAM
    /// that the bus could not read).
    ExternalWalk,
}

/// A failed translation, at the lookup level it was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    pub level: u8,
}

impl Fault {
    pub const fn new(kind: FaultKind, level: u8) -> Self {
        Fault { kind, level }
    }

    /// The fault status code: 0b0000LL address size, 0b0001LL translation, 0b0010LL access
    /// flag, 0b0011LL permission, 0b0101LL external abort on the walk.
    pub fn status(self) -> u32 {
        let base = match self.kind {
            FaultKind::AddressSize => 0b00_0000,
            FaultKind::Translation => 0b00_0100,
            FaultKind::AccessFlag => 0b00_1000,
            FaultKind::Permission => 0b00_1100,
            FaultKind::ExternalWalk => 0b01_0100,
        };
        base | self.level as u32
    }
}

/// A successful stage 1 translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    /// The physical address of the translated byte.
    pub pa: u64,
    /// Lookup level of the leaf descriptor (0 with the MMU off).
    pub level: u8,
    /// log2 of the size of the page or block the translation covers.
    pub size_log2: u8,
    /// [`perm`] bits.
    pub perms: u8,
    /// nG was clear (or the MMU is off): the translation holds for every ASID.
    pub global: bool,
    /// Memory attributes in MAIR format: the field AttrIndx selects, or Device-nGnRnE
    /// (0x00) for data with the MMU off.
    pub attr: u8,
    /// SH[1:0] of the descriptor (Outer Shareable with the MMU off).
    pub sh: u8,
}

/// Mask of bits `hi..=lo`.
#[inline(always)]
pub const fn bits(hi: u32, lo: u32) -> u64 {
    (u64::MAX >> (63 - hi)) & (u64::MAX << lo)
}

/// AddrTop(): the highest VA bit that takes part in translation — 55 when the top byte is
/// ignored (TCR_EL1.TBI0/TBI1, chosen by VA bit 55), else 63.
#[inline(always)]
pub fn addr_top(tcr: u64, va: u64) -> u32 {
    let tbi = if va >> 55 & 1 == 1 {
        tcr::TBI1
    } else {
        tcr::TBI0
    };
    if tcr & tbi != 0 {
        55
    } else {
        63
    }
}

/// Output address size of TCR_EL1.IPS, capped at the implemented PA size.
fn output_size(tcr: u64) -> u32 {
    let ips = match tcr >> tcr::IPS_SHIFT & 7 {
        0b000 => 32,
        0b001 => 36,
        0b010 => 40,
        0b011 => 42,
        0b100 => 44,
        _ => 48,
    };
    ips.min(PA_BITS)
}

/// The translation of `va` in the EL1&0 regime as the registers in `sys` define it,
/// before permission checks: the MMU-off flat map or a table walk.
pub fn translate(m: &mut Mem<'_>, sys: &SysRegs, va: u64) -> Result<Translation, Fault> {
    if sys.sctlr_el1 & sctlr::M == 0 {
        flat(sys, va)
    } else {
        walk(m, sys, va)
    }
}

/// AArch64.TranslateAddressS1Off: PA = VA, which must fit the implemented PA size, else
/// an Address size fault at level 0. Data is Device-nGnRnE; nothing is forbidden.
pub fn flat(sys: &SysRegs, va: u64) -> Result<Translation, Fault> {
    const DEVICE_NGNRNE: u8 = 0x00;
    const SH_OUTER: u8 = 0b10;
    let top = addr_top(sys.tcr_el1, va);
    if va & bits(top, PA_BITS) != 0 {
        return Err(Fault::new(FaultKind::AddressSize, 0));
    }
    Ok(Translation {
        pa: va & bits(PA_BITS - 1, 0),
        level: 0,
        size_log2: 12,
        perms: perm::ALL,
        global: true,
        attr: DEVICE_NGNRNE,
        sh: SH_OUTER,
    })
}

/// The half of the address space a VA falls in, with its TCR_EL1 controls.
struct Half {
    ttbr: u64,
    inputsize: u32,
    /// log2 of the granule: 12, 14 or 16.
    grain: u32,
}

/// Selects TTBR0 or TTBR1 for `va`; a VA in neither range, or in a range whose walks
/// are disabled (EPDn), is a Translation fault at level 0.
fn select_half(sys: &SysRegs, va: u64) -> Result<Half, Fault> {
    const MAX_INPUT: u32 = 48;
    const MIN_INPUT: u32 = 25;
    let tcr = sys.tcr_el1;
    let top = addr_top(tcr, va);
    let upper = va >> top & 1 == 1;
    let (tsz, disabled, ttbr, grain) = if upper {
        let grain = match tcr >> tcr::TG1_SHIFT & 3 {
            tcr::TG1_64K => 16,
            tcr::TG1_16K => 14,
            // 0b00 is reserved: the pseudocode treats it as the 4 KiB granule.
            _ => 12,
        };
        let tsz = (tcr >> tcr::T1SZ_SHIFT & 0x3f) as u32;
        (tsz, tcr & tcr::EPD1 != 0, sys.ttbr1_el1, grain)
    } else {
        let grain = match tcr >> tcr::TG0_SHIFT & 3 {
            tcr::TG0_64K => 16,
            tcr::TG0_16K => 14,
            // 0b11 is reserved: the pseudocode treats it as the 4 KiB granule.
            _ => 12,
        };
        let tsz = (tcr >> tcr::T0SZ_SHIFT & 0x3f) as u32;
        (tsz, tcr & tcr::EPD0 != 0, sys.ttbr0_el1, grain)
    };
    // Out-of-range TxSZ is CONSTRAINED UNPREDICTABLE; like QEMU, clamp it.
    let inputsize = (64 - tsz).clamp(MIN_INPUT, MAX_INPUT);
    let range = bits(top, inputsize);
    let in_range = if upper {
        va & range == range
    } else {
        va & range == 0
    };
    if !in_range || disabled {
        return Err(Fault::new(FaultKind::Translation, 0));
    }
    Ok(Half {
        ttbr,
        inputsize,
        grain,
    })
}

/// AArch64.TranslationTableWalk for stage 1 of the EL1&0 regime.
pub fn walk(m: &mut Mem<'_>, sys: &SysRegs, va: u64) -> Result<Translation, Fault> {
    walk_traced(m, sys, va, &mut |_, _, _| {})
}

/// [`walk`], telling `trace(level, descriptor address, descriptor)` about each
/// descriptor it reads (a debugger shows the walk).
#[inline(always)]
pub fn walk_traced(
    m: &mut Mem<'_>,
    sys: &SysRegs,
    va: u64,
    trace: &mut impl FnMut(u8, u64, u64),
) -> Result<Translation, Fault> {
    let Half {
        ttbr,
        inputsize,
        grain,
    } = select_half(sys, va)?;
    let outputsize = output_size(sys.tcr_el1);
    let oversize = |addr: u64| addr & bits(47, outputsize) != 0;
    if oversize(ttbr) {
        return Err(Fault::new(FaultKind::AddressSize, 0));
    }
    let stride = grain - 3;
    // The starting level is the number of strides needed to consume the input address.
    let mut level = 4 - (inputsize - grain).div_ceil(stride);
    // The first table holds 2^(inputsize - bits resolved below it) entries of 8 bytes.
    let base_lower = 3 + inputsize - ((3 - level) * stride + grain);
    let mut base = ttbr & bits(47, base_lower);
    let mut top = inputsize - 1;
    let (mut ro_table, mut no_el0_table, mut uxn_table, mut pxn_table) =
        (false, false, false, false);
    let (desc, bottom) = loop {
        let bottom = (3 - level) * stride + grain;
        let index = (va & bits(top, bottom)) >> bottom;
        let lvl = level as u8;
        let desc = m
            .read_phys(base | index << 3, 8)
            .ok_or(Fault::new(FaultKind::ExternalWalk, lvl))?;
        trace(lvl, base | index << 3, desc);
        // Invalid (x0), or a block type (01) at level 3, which is reserved.
        let block = desc & desc::TABLE == 0;
        if desc & desc::VALID == 0 || (block && level == 3) {
            return Err(Fault::new(FaultKind::Translation, lvl));
        }
        if block || level == 3 {
            break (desc, bottom);
        }
        if oversize(desc) {
            return Err(Fault::new(FaultKind::AddressSize, lvl));
        }
        base = desc & bits(47, grain);
        ro_table |= desc & desc::AP_TABLE_RO != 0;
        no_el0_table |= desc & desc::AP_TABLE_NO_EL0 != 0;
        uxn_table |= desc & desc::UXN_TABLE != 0;
        pxn_table |= desc & desc::PXN_TABLE != 0;
        level += 1;
        top = bottom - 1;
    };
    let lvl = level as u8;
    // Blocks exist at level 1 and 2 with 4 KiB granules, at level 2 only with 16/64 KiB.
    let first_block_level = if grain == 12 { 1 } else { 2 };
    if level < first_block_level {
        return Err(Fault::new(FaultKind::Translation, lvl));
    }
    if oversize(desc) {
        return Err(Fault::new(FaultKind::AddressSize, lvl));
    }
    // v8.0 has no hardware Access flag management: AF = 0 always faults.
    if desc & desc::AF == 0 {
        return Err(Fault::new(FaultKind::AccessFlag, lvl));
    }
    let ro = desc & desc::AP_RO != 0 || ro_table;
    let el0 = desc & desc::AP_EL0 != 0 && !no_el0_table;
    let uxn = desc & desc::UXN != 0 || uxn_table;
    let pxn = desc & desc::PXN != 0 || pxn_table;
    let wxn = sys.sctlr_el1 & sctlr::WXN != 0;
    let attr_indx = (desc >> desc::ATTR_INDX_SHIFT & 7) as u32;
    Ok(Translation {
        pa: desc & bits(47, bottom) | va & bits(bottom - 1, 0),
        level: lvl,
        size_log2: bottom as u8,
        perms: permissions(ro, el0, uxn, pxn, wxn),
        global: desc & desc::NG == 0,
        attr: (sys.mair_el1 >> (8 * attr_indx)) as u8,
        sh: (desc >> desc::SH_SHIFT & 3) as u8,
    })
}

/// AArch64.CheckPermission for the EL1&0 regime, as [`perm`] bits for both ELs.
///
/// EL1 may always read; it may write unless read-only; EL0 may read with AP[1] and write
/// with AP[1] and not read-only. Execution needs UXN/PXN clear; with SCTLR_EL1.WXN a
/// writable region is execute-never; and EL1 never executes what EL0 may write.
/// EL0 may execute what it cannot read (execute-only memory is allowed in v8.0).
fn permissions(ro: bool, el0: bool, uxn: bool, pxn: bool, wxn: bool) -> u8 {
    let priv_w = !ro;
    let user_r = el0;
    let user_w = el0 && !ro;
    let user_x = !(uxn || (user_w && wxn));
    let priv_x = !(pxn || (priv_w && wxn) || user_w);
    let bit = |on: bool, b: u8| if on { b } else { 0 };
    perm::R1
        | bit(priv_w, perm::W1)
        | bit(priv_x, perm::X1)
        | bit(user_r, perm::R0)
        | bit(user_w, perm::W0)
        | bit(user_x, perm::X0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_masks() {
        assert_eq!(bits(47, 12), 0x0000_ffff_ffff_f000);
        assert_eq!(bits(63, 44), 0xffff_f000_0000_0000);
        assert_eq!(bits(11, 0), 0xfff);
    }

    #[test]
    fn fault_status_codes_follow_esr_el1() {
        // ESR_EL1.ISS.DFSC encodings (Arm ARM D17.2.37).
        assert_eq!(Fault::new(FaultKind::AddressSize, 2).status(), 0b00_0010);
        assert_eq!(Fault::new(FaultKind::Translation, 3).status(), 0b00_0111);
        assert_eq!(Fault::new(FaultKind::AccessFlag, 1).status(), 0b00_1001);
        assert_eq!(Fault::new(FaultKind::Permission, 2).status(), 0b00_1110);
        assert_eq!(Fault::new(FaultKind::ExternalWalk, 0).status(), 0b01_0100);
    }

    #[test]
    fn permission_table_of_ap_and_xn() {
        use perm::*;
        // AP = 00: EL1 read/write, EL0 nothing; executable by both unless XN.
        assert_eq!(
            permissions(false, false, false, false, false),
            R1 | W1 | X1 | X0
        );
        // AP = 01: both read/write; EL1 may not execute what EL0 can write.
        assert_eq!(
            permissions(false, true, false, false, false),
            R1 | W1 | R0 | W0 | X0
        );
        // AP = 10: EL1 read-only.
        assert_eq!(permissions(true, false, true, false, false), R1 | X1);
        // AP = 11 with PXN: both read-only, EL0 may execute.
        assert_eq!(permissions(true, true, false, true, false), R1 | R0 | X0);
        // WXN: a region writable at EL1 is not executable at EL1.
        assert_eq!(permissions(false, false, true, false, true), R1 | W1);
    }
}
