//! The GICv2 distributor's register frame, GICD_* (IHI 0048B §4.3), as QEMU's virt machine
//! maps it: registers of SGIs and PPIs are banked, each CPU seeing its own.

use std::sync::Arc;

use super::defs::*;
use super::state::{GicV2State, PRIORITY};
use crate::gic::regs::{self, Hit};
use crate::gic::shared::Shared;
use crate::gic::{NUM_IRQS, PRIVATE_COUNT, SGI_COUNT};
use crate::{DeviceError, MmioDevice};

/// The distributor frame ([`GICD_SIZE`] bytes). Accesses come from the vCPU the machine
/// last named with `GicV2::set_current_cpu`.
pub struct Distributor {
    pub(super) gic: Arc<Shared<GicV2State>>,
}

impl MmioDevice for Distributor {
    fn name(&self) -> &'static str {
        "gicv2-distributor"
    }

    fn read(&mut self, offset: u64, size: u8) -> Result<u64, DeviceError> {
        let cpu = self.gic.current_cpu();
        self.gic.peek(|s| s.dist_read(cpu, offset, size))
    }

    fn write(&mut self, offset: u64, size: u8, value: u64) -> Result<(), DeviceError> {
        let cpu = self.gic.current_cpu();
        self.gic
            .with(|s| s.dist_write(cpu, offset, size, value as u32))
    }
}

/// The first interrupt of word `n` of a one-bit-per-interrupt register.
fn first_of_bitmap(hit: &Hit<Gicd>) -> u32 {
    hit.word() * 32
}

impl GicV2State {
    fn dist_read(&self, cpu: usize, offset: u64, size: u8) -> Result<u64, DeviceError> {
        let hit = regs::decode(GICD_MAP, offset, size, false)?;
        let first = first_of_bitmap(&hit);
        let irqs = &self.irqs;
        let value = match hit.reg {
            Gicd::Ctlr => self.ctlr,
            Gicd::Typer => self.typer(),
            Gicd::Iidr => GICD_IIDR_VALUE,
            Gicd::Bits(reg) => irqs.read_bitreg(cpu, reg, first),
            Gicd::Ipriorityr => {
                return Ok(regs::read_bytes(hit.at, size, |id| {
                    irqs.priority(cpu, id as u32)
                }))
            }
            Gicd::Itargetsr => {
                return Ok(regs::read_bytes(hit.at, size, |id| {
                    self.targets(cpu, id as u32)
                }))
            }
            Gicd::Icfgr => irqs.icfgr(cpu, hit.word()),
            Gicd::Cpendsgir | Gicd::Spendsgir => {
                let sources = &self.cpus[cpu].sgi_sources;
                return Ok(regs::read_bytes(hit.at, size, |sgi| sources[sgi as usize]));
            }
            Gicd::Id => GICD_ID[hit.word() as usize],
            Gicd::Sgir => 0,
        };
        Ok(u64::from(value))
    }

    fn dist_write(
        &mut self,
        cpu: usize,
        offset: u64,
        size: u8,
        value: u32,
    ) -> Result<(), DeviceError> {
        let hit = regs::decode(GICD_MAP, offset, size, true)?;
        let first = first_of_bitmap(&hit);
        // SGI bits of the enable and pending registers are not writable (see below).
        let not_sgis = if first == 0 { value & !0xffff } else { value };
        let irqs = &mut self.irqs;
        match hit.reg {
            Gicd::Ctlr => self.ctlr = value & GICD_CTLR_MASK,
            // SGIs are always enabled: an IMPLEMENTATION DEFINED choice GICv2 allows and
            // QEMU makes (§4.3.5, §4.3.6). Test: `tests::sgis_are_always_enabled`. They
            // are set and cleared pending through GICD_SPENDSGIR/GICD_CPENDSGIR, per
            // requester; their GICD_ISPENDR0/GICD_ICPENDR0 bits ignore writes (§4.3.7,
            // §4.3.8). Test: `tests::pending_registers_leave_sgis_alone`.
            Gicd::Bits(
                reg @ (BitReg::SetEnable
                | BitReg::ClearEnable
                | BitReg::SetPending
                | BitReg::ClearPending),
            ) => irqs.write_bitreg(cpu, reg, first, not_sgis),
            Gicd::Bits(reg) => irqs.write_bitreg(cpu, reg, first, value),
            Gicd::Ipriorityr => regs::write_bytes(hit.at, size, value.into(), |id, b| {
                irqs.set_priority(cpu, id as u32, b & PRIORITY.mask())
            }),
            Gicd::Itargetsr => return self.set_targets(offset, hit.at, size, value),
            Gicd::Icfgr => return self.set_icfgr(cpu, offset, hit.word(), value),
            Gicd::Sgir => self.send_sgi(cpu, value),
            Gicd::Cpendsgir | Gicd::Spendsgir => {
                let set = hit.reg == Gicd::Spendsgir;
                regs::write_bytes(hit.at, size, value.into(), |sgi, b| {
                    let old = self.cpus[cpu].sgi_sources[sgi as usize];
                    let new = if set { old | b } else { old & !b };
                    self.set_sgi_sources(cpu, sgi as u32, new);
                });
            }
            Gicd::Typer | Gicd::Iidr | Gicd::Id => {}
        }
        Ok(())
    }

    /// GICD_TYPER: ITLinesNumber = interrupts / 32 - 1, CPUNumber = CPUs - 1, no
    /// Security Extensions (§4.3.2). Test: `tests::reset_values`.
    fn typer(&self) -> u32 {
        ((NUM_IRQS / 32 - 1) << GICD_TYPER_ITLINES_SHIFT)
            | ((self.cpus.len() as u32 - 1) << GICD_TYPER_CPUNUMBER_SHIFT)
    }

    /// A GICD_ITARGETSR byte. In a uniprocessor GIC these are RAZ/WI; for SGIs and PPIs
    /// each field reads as the accessing CPU's own bit (§4.3.12). Test:
    /// `tests::itargetsr_bytes_and_banked_fields`.
    fn targets(&self, cpu: usize, id: u32) -> u8 {
        match id {
            _ if self.cpus.len() == 1 => 0,
            id if id < PRIVATE_COUNT => 1 << cpu,
            id => self.irqs.route(id) as u8,
        }
    }

    /// Writes GICD_ITARGETSR bytes: an SPI goes to the CPUs whose bits are set (bits of
    /// CPUs that do not exist are RAZ/WI); GICD_ITARGETSR0–7 (SGIs, PPIs) are read-only
    /// (§4.3.12). An SPI already pending follows its new targets. Test:
    /// `tests::itargetsr_bytes_and_banked_fields`.
    fn set_targets(
        &mut self,
        offset: u64,
        at: u64,
        size: u8,
        value: u32,
    ) -> Result<(), DeviceError> {
        if self.cpus.len() == 1 {
            return Ok(());
        }
        if at < u64::from(PRIVATE_COUNT) {
            return Err(DeviceError::BadOffset { offset });
        }
        let mask = self.cpu_mask();
        let irqs = &mut self.irqs;
        regs::write_bytes(at, size, value.into(), |id, b| {
            irqs.set_route(id as u32, u64::from(b & mask))
        });
        Ok(())
    }

    /// Writes GICD_ICFGR word `n`. GICD_ICFGR0 (SGIs, always edge-triggered) is read-only;
    /// GICD_ICFGR1 configures the writer's own PPIs (programmable here, as in QEMU — the
    /// architecture leaves it IMPLEMENTATION DEFINED, §4.3.13); the rest configure SPIs.
    /// Test: `tests::icfgr_configures_edge_or_level`.
    fn set_icfgr(
        &mut self,
        cpu: usize,
        offset: u64,
        n: u32,
        value: u32,
    ) -> Result<(), DeviceError> {
        if 16 * n < SGI_COUNT {
            return Err(DeviceError::BadOffset { offset });
        }
        self.irqs.set_icfgr(cpu, n, value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Register-level behaviour of the distributor; expected values from IHI 0048B §4.3
    //! and, where the architecture leaves a choice, QEMU's arm_gic.
    use super::super::testing::*;
    use crate::DeviceError;

    #[test]
    fn reset_values() {
        let r = Rig::new(2);
        assert_eq!(r.dist_r(0, GICD_CTLR), 0);
        // ITLinesNumber 8 (288 interrupts), CPUNumber 1 (two CPUs), SecurityExtn 0.
        assert_eq!(r.dist_r(0, GICD_TYPER), 8 | 1 << 5);
        assert_eq!(r.dist_r(0, GICD_IIDR), 0x43b);
        for n in 0..9 {
            assert_eq!(r.dist_r(0, GICD_IGROUPR + 4 * n), 0, "Group 0");
            assert_eq!(r.dist_r(0, GICD_ISPENDR + 4 * n), 0);
            assert_eq!(r.dist_r(0, GICD_ISACTIVER + 4 * n), 0);
        }
        assert_eq!(
            r.dist_r(0, GICD_ISENABLER),
            0xffff,
            "SGIs enabled, PPIs disabled"
        );
        assert_eq!(r.dist_r(0, GICD_ISENABLER + 4), 0);
        assert_eq!(r.dist_r(0, GICD_IPRIORITYR + 0x40), 0);
        assert_eq!(r.dist_r(0, GICD_ICFGR), 0xaaaa_aaaa, "SGIs edge-triggered");
        assert_eq!(r.dist_r(0, GICD_ICFGR + 4), 0, "PPIs level-sensitive");
        assert_eq!(r.dist_r(0, GICD_ITARGETSR + 0x20), 0, "SPIs target no CPU");
        // PIDR2: ArchRev 2.
        assert_eq!(r.dist_r(0, GICD_PIDR2) >> 4 & 0xf, 2);
        let cid: Vec<u32> = (0..4).map(|i| r.dist_r(0, 0xff0 + 4 * i)).collect();
        assert_eq!(cid, [0x0d, 0xf0, 0x05, 0xb1]);
    }

    #[test]
    fn typer_counts_cpus() {
        assert_eq!(Rig::new(1).dist_r(0, GICD_TYPER), 8);
        assert_eq!(Rig::new(8).dist_r(7, GICD_TYPER), 8 | 7 << 5);
    }

    #[test]
    fn sgis_are_always_enabled() {
        let r = Rig::new(1);
        r.dist_w(0, GICD_ICENABLER, !0);
        assert_eq!(r.dist_r(0, GICD_ISENABLER), 0xffff);
        r.dist_w(0, GICD_ISENABLER, 0xffff_0000);
        assert_eq!(r.dist_r(0, GICD_ICENABLER), !0);
    }

    #[test]
    fn enable_registers_set_and_clear_bits() {
        let r = Rig::new(1);
        r.dist_w(0, GICD_ISENABLER + 8, 0x8000_0001);
        r.dist_w(0, GICD_ISENABLER + 8, 0x10);
        assert_eq!(r.dist_r(0, GICD_ISENABLER + 8), 0x8000_0011);
        r.dist_w(0, GICD_ICENABLER + 8, 0x8000_0000);
        assert_eq!(r.dist_r(0, GICD_ICENABLER + 8), 0x11);
    }

    #[test]
    fn pending_registers_leave_sgis_alone() {
        let r = Rig::new(1);
        r.dist_w(0, GICD_ISPENDR, !0);
        assert_eq!(r.dist_r(0, GICD_ISPENDR), 0xffff_0000);
        assert_eq!(r.dist_r(0, GICD_SPENDSGIR), 0);
        r.dist_w8(0, GICD_SPENDSGIR, 1);
        r.dist_w(0, GICD_ICPENDR, !0);
        assert_eq!(r.dist_r(0, GICD_ISPENDR), 1, "SGI 0 still pending");
    }

    #[test]
    fn active_registers_set_and_clear() {
        let r = Rig::new(2);
        r.dist_w(1, GICD_ISACTIVER, 1 << 3 | 1 << 20);
        r.dist_w(1, GICD_ISACTIVER + 4, 1);
        assert_eq!(r.dist_r(1, GICD_ISACTIVER), 1 << 3 | 1 << 20);
        assert_eq!(r.dist_r(0, GICD_ISACTIVER), 0, "banked");
        assert_eq!(r.dist_r(0, GICD_ISACTIVER + 4), 1, "SPIs are not");
        r.dist_w(1, GICD_ICACTIVER, 1 << 3);
        assert_eq!(r.dist_r(1, GICD_ICACTIVER), 1 << 20);
    }

    #[test]
    fn group_registers_are_banked_for_private_interrupts() {
        let r = Rig::new(2);
        r.dist_w(1, GICD_IGROUPR, 0xffff_ffff);
        r.dist_w(1, GICD_IGROUPR + 4, 0x5);
        assert_eq!(r.dist_r(0, GICD_IGROUPR), 0);
        assert_eq!(r.dist_r(1, GICD_IGROUPR), !0);
        assert_eq!(r.dist_r(0, GICD_IGROUPR + 4), 0x5);
    }

    #[test]
    fn ipriorityr_is_byte_accessible() {
        let r = Rig::new(1);
        r.dist_w(0, GICD_IPRIORITYR + 0x20, 0x4433_2211);
        assert_eq!(r.dist_r8(0, GICD_IPRIORITYR + 0x22), 0x33);
        r.dist_w8(0, GICD_IPRIORITYR + 0x23, 0xa0);
        assert_eq!(r.dist_r(0, GICD_IPRIORITYR + 0x20), 0xa033_2211);
        // Last implemented interrupt, 287.
        r.dist_w8(0, GICD_IPRIORITYR + 287, 0x10);
        assert_eq!(r.dist_r(0, GICD_IPRIORITYR + 284) >> 24, 0x10);
    }

    #[test]
    fn itargetsr_bytes_and_banked_fields() {
        let r = Rig::new(4);
        // GICD_ITARGETSR0–7 read as the reader's own bit in every field.
        assert_eq!(r.dist_r(2, GICD_ITARGETSR), 0x0404_0404);
        assert_eq!(r.dist_r8(3, GICD_ITARGETSR + 29), 0x08);
        assert_eq!(
            r.dist_write(0, GICD_ITARGETSR + 28, 4, 0),
            Err(DeviceError::BadOffset {
                offset: GICD_ITARGETSR + 28
            })
        );
        // SPI fields: bits of CPUs 4–7 do not exist.
        r.dist_w(0, GICD_ITARGETSR + 32, 0xff03_0201);
        assert_eq!(r.dist_r(1, GICD_ITARGETSR + 32), 0x0f03_0201);
        r.dist_w8(0, GICD_ITARGETSR + 33, 0x0c);
        assert_eq!(r.dist_r8(0, GICD_ITARGETSR + 33), 0x0c);
        // A pending SPI follows its targets.
        r.enable(0, 33);
        r.dist_w(0, GICD_CTLR, 1);
        for cpu in 0..4 {
            r.cpu_w(cpu, GICC_CTLR, 1);
            r.cpu_w(cpu, GICC_PMR, 0xff);
        }
        r.dist_w(0, GICD_ISPENDR + 4, 1 << 1);
        assert!(!r.lines(1).0);
        assert!(r.lines(2).0);
        r.dist_w8(0, GICD_ITARGETSR + 33, 0x02);
        assert_eq!((r.lines(1).0, r.lines(2).0), (true, false));
    }

    #[test]
    fn uniprocessor_targets_are_raz_wi() {
        let r = Rig::enabled(1);
        assert_eq!(r.dist_r(0, GICD_ITARGETSR), 0);
        r.dist_w(0, GICD_ITARGETSR + 32, 0x0202_0202);
        assert_eq!(r.dist_r(0, GICD_ITARGETSR + 32), 0);
        // Every SPI still reaches CPU 0.
        r.enable(0, 287);
        r.gic.set_spi(287 - 32, true);
        assert_eq!(r.cpu_r(0, GICC_IAR), 287);
    }

    #[test]
    fn icfgr_configures_edge_or_level() {
        let r = Rig::new(2);
        assert_eq!(
            r.dist_write(0, GICD_ICFGR, 4, 0),
            Err(DeviceError::BadOffset { offset: GICD_ICFGR })
        );
        // PPI configuration is banked; Int_config[0] bits are reserved.
        r.dist_w(1, GICD_ICFGR + 4, 0xffff_ffff);
        assert_eq!(r.dist_r(1, GICD_ICFGR + 4), 0xaaaa_aaaa);
        assert_eq!(r.dist_r(0, GICD_ICFGR + 4), 0);
        r.dist_w(0, GICD_ICFGR + 0x44, 0x8000_0002);
        assert_eq!(r.dist_r(1, GICD_ICFGR + 0x44), 0x8000_0002);
    }

    #[test]
    fn bad_offsets_and_sizes_are_device_errors() {
        let r = Rig::new(1);
        let bad_offset = |offset| DeviceError::BadOffset { offset };
        let bad_size = |offset, size| DeviceError::BadSize { offset, size };
        // Reserved space, and arrays past the 288 implemented interrupts.
        assert_eq!(r.dist_read(0, 0x00c, 4), Err(bad_offset(0x00c)));
        assert_eq!(
            r.dist_read(0, GICD_ISENABLER + 36, 4),
            Err(bad_offset(GICD_ISENABLER + 36))
        );
        assert_eq!(
            r.dist_read(0, GICD_IPRIORITYR + 288, 1),
            Err(bad_offset(GICD_IPRIORITYR + 288))
        );
        assert_eq!(r.dist_read(0, 0xf30, 4), Err(bad_offset(0xf30)));
        assert_eq!(r.dist_read(0, 0x1000, 4), Err(bad_offset(0x1000)));
        // Wrong direction.
        assert_eq!(r.dist_read(0, GICD_SGIR, 4), Err(bad_offset(GICD_SGIR)));
        assert_eq!(
            r.dist_write(0, GICD_TYPER, 4, 0),
            Err(bad_offset(GICD_TYPER))
        );
        // Widths: word registers take words; byte-field registers bytes or words.
        assert_eq!(r.dist_read(0, GICD_CTLR, 1), Err(bad_size(GICD_CTLR, 1)));
        assert_eq!(r.dist_read(0, GICD_CTLR, 8), Err(bad_size(GICD_CTLR, 8)));
        assert_eq!(
            r.dist_read(0, GICD_IPRIORITYR, 2),
            Err(bad_size(GICD_IPRIORITYR, 2))
        );
        assert_eq!(
            r.dist_read(0, GICD_IPRIORITYR + 2, 4),
            Err(bad_size(GICD_IPRIORITYR + 2, 4))
        );
    }
}
