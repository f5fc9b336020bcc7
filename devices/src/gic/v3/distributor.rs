//! The GICv3 distributor's register frame, GICD_* (IHI 0069 chapter 12, the GICD register
//! descriptions), with affinity routing enabled and a single Security state. SGIs and
//! PPIs belong to the redistributors: the distributor's registers for INTIDs 0–31 are
//! RES0 (RAZ/WI), as are GICD_ITARGETSR<n> (affinity routing), GICD_IGRPMODR<n> and
//! GICD_NSACR<n> (one Security state).

use std::sync::Arc;

use super::defs::*;
use super::state::{GicV3State, PRIORITY};
use crate::gic::regs;
use crate::gic::shared::Shared;
use crate::gic::{NUM_IRQS, PRIVATE_COUNT, SPI_BASE};
use crate::{DeviceError, MmioDevice};

/// The distributor frame ([`GICD_SIZE`] bytes).
pub struct Distributor {
    pub(super) gic: Arc<Shared<GicV3State>>,
}

impl MmioDevice for Distributor {
    fn name(&self) -> &'static str {
        "gicv3-distributor"
    }

    fn read(&mut self, offset: u64, size: u8) -> Result<u64, DeviceError> {
        self.gic.peek(|s| s.dist_read(offset, size))
    }

    fn write(&mut self, offset: u64, size: u8, value: u64) -> Result<(), DeviceError> {
        self.gic.with(|s| s.dist_write(offset, size, value))
    }
}

/// SPIs are the same for every CPU; the bank to look them up in does not matter.
const ANY_CPU: usize = 0;

/// The 64-bit register `value` as an access of `size` at byte `at` of it sees it.
pub(super) fn dword_part(value: u64, at: u64, size: u8) -> u64 {
    match size {
        8 => value,
        _ => (value >> (8 * (at & 4))) & 0xffff_ffff,
    }
}

/// `old` with the part an access of `size` at byte `at` writes replaced by `value`.
fn dword_merge(old: u64, at: u64, size: u8, value: u64) -> u64 {
    match size {
        8 => value,
        _ => {
            let shift = 8 * (at & 4);
            (old & !(0xffff_ffff << shift)) | ((value & 0xffff_ffff) << shift)
        }
    }
}

impl GicV3State {
    fn dist_read(&self, offset: u64, size: u8) -> Result<u64, DeviceError> {
        let hit = regs::decode(GICD_MAP, offset, size, false)?;
        let n = hit.word();
        let first = 32 * n;
        let irqs = &self.irqs;
        // Registers of INTIDs 0–31 read as zero (RES0 under affinity routing).
        let spis = first >= SPI_BASE;
        let value = match hit.reg {
            Gicd::Ctlr => self.ctlr | GICD_CTLR_ARE | GICD_CTLR_DS,
            Gicd::Typer => self.typer(),
            Gicd::Iidr => GICD_IIDR_VALUE,
            Gicd::Bits(reg) if spis => irqs.read_bitreg(ANY_CPU, reg, first),
            Gicd::Ipriorityr => {
                return Ok(regs::read_bytes(hit.at, size, |id| match id as u32 {
                    id if id < PRIVATE_COUNT => 0,
                    id => irqs.priority(ANY_CPU, id),
                }))
            }
            Gicd::Icfgr if 16 * n >= SPI_BASE => irqs.icfgr(ANY_CPU, n),
            Gicd::Irouter => {
                let value = self.irouter[(hit.at / 8) as usize];
                return Ok(dword_part(value, hit.at, size));
            }
            Gicd::Id => GICD_ID[n as usize],
            _ => 0,
        };
        Ok(u64::from(value))
    }

    fn dist_write(&mut self, offset: u64, size: u8, value: u64) -> Result<(), DeviceError> {
        let hit = regs::decode(GICD_MAP, offset, size, true)?;
        let n = hit.word();
        let first = 32 * n;
        let spis = first >= SPI_BASE;
        let v = value as u32;
        let irqs = &mut self.irqs;
        match hit.reg {
            Gicd::Ctlr => self.ctlr = v & GICD_CTLR_WRITABLE,
            Gicd::Bits(reg) if spis => irqs.write_bitreg(ANY_CPU, reg, first, v),
            Gicd::Ipriorityr => regs::write_bytes(hit.at, size, value, |id, b| {
                if id >= u64::from(PRIVATE_COUNT) {
                    irqs.set_priority(ANY_CPU, id as u32, b & PRIORITY.mask());
                }
            }),
            Gicd::Icfgr if 16 * n >= SPI_BASE => irqs.set_icfgr(ANY_CPU, n, v),
            Gicd::Irouter => {
                let index = (hit.at / 8) as usize;
                let merged = dword_merge(self.irouter[index], hit.at, size, value);
                self.set_irouter(SPI_BASE + index as u32, merged);
            }
            _ => {}
        }
        Ok(())
    }

    /// GICD_TYPER: ITLinesNumber = interrupts / 32 - 1, 16-bit INTIDs, Aff3 supported,
    /// no 1-of-N routing, no LPIs, no message-based SPIs, no Security Extensions
    /// (GICD_TYPER). Test: `tests::reset_values`.
    fn typer(&self) -> u32 {
        (NUM_IRQS / 32 - 1)
            | GICD_TYPER_IDBITS << GICD_TYPER_IDBITS_SHIFT
            | GICD_TYPER_A3V
            | GICD_TYPER_NO1N
    }
}

#[cfg(test)]
mod tests {
    //! Register-level behaviour of the distributor; expected values from IHI 0069's GICD
    //! register descriptions and, where it leaves a choice, QEMU's arm_gicv3.
    use super::super::testing::*;
    use crate::DeviceError;

    #[test]
    fn reset_values() {
        let r = Rig::new(2);
        // ARE and DS read as one; both groups disabled.
        assert_eq!(r.dist_r(GICD_CTLR), 0x50);
        // ITLinesNumber 8, IDbits 15, A3V, No1N; LPIS, MBIS, SecurityExtn clear.
        assert_eq!(r.dist_r(GICD_TYPER), 8 | 15 << 19 | 1 << 24 | 1 << 25);
        assert_eq!(r.dist_r(GICD_IIDR), 0x43b);
        assert_eq!(r.dist_r(GICD_TYPER2), 0);
        for n in 1..9 {
            assert_eq!(r.dist_r(GICD_IGROUPR + 4 * n), 0);
            assert_eq!(r.dist_r(GICD_ISENABLER + 4 * n), 0);
            assert_eq!(r.dist_r(GICD_ISPENDR + 4 * n), 0);
        }
        assert_eq!(r.dist_r(GICD_ICFGR + 8), 0, "SPIs level-sensitive");
        assert_eq!(r.dist_r64(GICD_IROUTER), 0);
        assert_eq!(r.dist_r(GICD_PIDR2) >> 4 & 0xf, 3, "ArchRev 3");
    }

    #[test]
    fn ctlr_enables_groups_only() {
        let r = Rig::new(1);
        // Linux writes ARE_NS | EnableGrp1A | EnableGrp1 (0x13).
        r.dist_w(GICD_CTLR, 0x13);
        assert_eq!(r.dist_r(GICD_CTLR), 0x53);
        r.dist_w(GICD_CTLR, 0);
        assert_eq!(r.dist_r(GICD_CTLR), 0x50);
    }

    #[test]
    fn private_interrupt_registers_are_raz_wi() {
        let r = Rig::new(1);
        for reg in [
            GICD_IGROUPR,
            GICD_ISENABLER,
            GICD_ISPENDR,
            GICD_ISACTIVER,
            GICD_ICFGR,
        ] {
            r.dist_w(reg, !0);
            assert_eq!(r.dist_r(reg), 0, "{:#x}", reg);
        }
        r.dist_w(GICD_ICFGR + 4, !0);
        assert_eq!(r.dist_r(GICD_ICFGR + 4), 0);
        r.dist_w(GICD_IPRIORITYR + 28, !0);
        assert_eq!(r.dist_r(GICD_IPRIORITYR + 28), 0);
        assert_eq!(
            r.sgi_r(0, GICR_IGROUPR0),
            0,
            "the redistributor's untouched"
        );
        r.dist_w(GICD_ITARGETSR + 32, !0);
        assert_eq!(r.dist_r(GICD_ITARGETSR + 32), 0);
        r.dist_w(GICD_IGRPMODR + 4, !0);
        assert_eq!(r.dist_r(GICD_IGRPMODR + 4), 0);
    }

    #[test]
    fn spi_registers() {
        let r = Rig::new(1);
        r.dist_w(GICD_IGROUPR + 4, 0xffff_0000);
        r.dist_w(GICD_ISENABLER + 4, 0x0001_0001);
        r.dist_w(GICD_ICENABLER + 4, 0x0000_0001);
        r.dist_w(GICD_ISPENDR + 8, 0x8000_0000);
        r.dist_w(GICD_ISACTIVER + 0x20, 0x8000_0000);
        assert_eq!(r.dist_r(GICD_IGROUPR + 4), 0xffff_0000);
        assert_eq!(r.dist_r(GICD_ICENABLER + 4), 0x0001_0000);
        assert_eq!(r.dist_r(GICD_ICPENDR + 8), 0x8000_0000);
        assert_eq!(r.dist_r(GICD_ICACTIVER + 0x20), 0x8000_0000, "INTID 287");
        r.dist_w(GICD_ICPENDR + 8, !0);
        assert_eq!(r.dist_r(GICD_ISPENDR + 8), 0);
    }

    #[test]
    fn ipriorityr_keeps_five_bits_and_takes_bytes() {
        let r = Rig::new(1);
        r.dist_w(GICD_IPRIORITYR + 32, 0xffa5_1807);
        assert_eq!(r.dist_r(GICD_IPRIORITYR + 32), 0xf8a0_1800);
        r.dist_w8(GICD_IPRIORITYR + 33, 0x40);
        assert_eq!(r.dist_r8(GICD_IPRIORITYR + 33), 0x40);
    }

    #[test]
    fn irouter_takes_doublewords_and_words() {
        let r = Rig::new(1);
        r.dist_w64(GICD_IROUTER + 8, 0xffff_ff12_ffff_ff34);
        // Aff3, Aff2, Aff1, Aff0 kept; IRM and reserved bits RAZ/WI.
        assert_eq!(r.dist_r64(GICD_IROUTER + 8), 0x12_00ff_ff34);
        assert_eq!(r.dist_r(GICD_IROUTER + 12), 0x12);
        r.dist_w(GICD_IROUTER + 12, 0);
        assert_eq!(r.dist_r64(GICD_IROUTER + 8), 0xff_ff34);
    }

    #[test]
    fn bad_offsets_and_sizes_are_device_errors() {
        let r = Rig::new(1);
        let bad_offset = |offset| DeviceError::BadOffset { offset };
        let bad_size = |offset, size| DeviceError::BadSize { offset, size };
        assert_eq!(r.dist_read(0x10, 4), Err(bad_offset(0x10)));
        assert_eq!(
            r.dist_read(0xf00, 4),
            Err(bad_offset(0xf00)),
            "no GICD_SGIR"
        );
        assert_eq!(
            r.dist_read(0x6000, 8),
            Err(bad_offset(0x6000)),
            "IROUTER0–31"
        );
        assert_eq!(r.dist_read(0x6900, 8), Err(bad_offset(0x6900)));
        assert_eq!(r.dist_write(GICD_TYPER, 4, 0), Err(bad_offset(GICD_TYPER)));
        assert_eq!(r.dist_read(GICD_CTLR, 8), Err(bad_size(GICD_CTLR, 8)));
        assert_eq!(
            r.dist_read(GICD_IROUTER + 4, 8),
            Err(bad_size(GICD_IROUTER + 4, 8))
        );
        assert_eq!(r.dist_read(GICD_IROUTER, 2), Err(bad_size(GICD_IROUTER, 2)));
    }
}
