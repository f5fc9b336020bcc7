//! The GICv3 redistributors' register frames, GICR_* (IHI 0069 chapter 12, the GICR
//! register descriptions): one redistributor per CPU, each two 64 KiB frames — RD_base
//! (control, identification, power) and SGI_base (the CPU's SGIs and PPIs) — laid out
//! one after another in CPU order, the last marked by GICR_TYPER.Last. No LPIs.

use std::sync::Arc;

use super::defs::*;
use super::distributor::dword_part;
use super::state::{GicV3State, PRIORITY};
use crate::gic::regs;
use crate::gic::shared::Shared;
use crate::gic::SGI_COUNT;
use crate::{DeviceError, MmioDevice};

/// Every CPU's redistributor, as one region of `num_cpus` × [`GICR_STRIDE`] bytes.
pub struct Redistributors {
    pub(super) gic: Arc<Shared<GicV3State>>,
}

/// Which redistributor and frame an offset falls in.
enum Frame {
    Rd,
    Sgi,
}

fn locate(offset: u64) -> (usize, Frame, u64) {
    let cpu = (offset / GICR_STRIDE) as usize;
    let within = offset % GICR_STRIDE;
    if within < GICR_FRAME_SIZE {
        (cpu, Frame::Rd, within)
    } else {
        (cpu, Frame::Sgi, within - GICR_FRAME_SIZE)
    }
}

/// An error about a frame-relative offset, restated for the whole region.
fn rebase(e: DeviceError, base: u64) -> DeviceError {
    match e {
        DeviceError::BadOffset { offset } => DeviceError::BadOffset {
            offset: offset + base,
        },
        DeviceError::BadSize { offset, size } => DeviceError::BadSize {
            offset: offset + base,
            size,
        },
    }
}

impl MmioDevice for Redistributors {
    fn name(&self) -> &'static str {
        "gicv3-redistributors"
    }

    fn read(&mut self, offset: u64, size: u8) -> Result<u64, DeviceError> {
        let (cpu, frame, at) = locate(offset);
        self.gic
            .peek(|s| {
                if cpu >= s.cpus.len() {
                    return Err(DeviceError::BadOffset { offset: at });
                }
                match frame {
                    Frame::Rd => s.rd_read(cpu, at, size),
                    Frame::Sgi => s.sgi_read(cpu, at, size),
                }
            })
            .map_err(|e| rebase(e, offset - at))
    }

    fn write(&mut self, offset: u64, size: u8, value: u64) -> Result<(), DeviceError> {
        let (cpu, frame, at) = locate(offset);
        self.gic
            .with(|s| {
                if cpu >= s.cpus.len() {
                    return Err(DeviceError::BadOffset { offset: at });
                }
                match frame {
                    Frame::Rd => s.rd_write(cpu, at, size, value),
                    Frame::Sgi => s.sgi_write(cpu, at, size, value as u32),
                }
            })
            .map_err(|e| rebase(e, offset - at))
    }
}

impl GicV3State {
    fn rd_read(&self, cpu: usize, offset: u64, size: u8) -> Result<u64, DeviceError> {
        let hit = regs::decode(GICR_RD_MAP, offset, size, false)?;
        Ok(match hit.reg {
            GicrRd::Ctlr => 0,
            GicrRd::Iidr => GICR_IIDR_VALUE.into(),
            GicrRd::Typer => dword_part(self.gicr_typer(cpu), hit.at, size),
            GicrRd::Waker => self.waker(cpu).into(),
            GicrRd::Id => GICR_ID[hit.word() as usize].into(),
        })
    }

    fn rd_write(
        &mut self,
        cpu: usize,
        offset: u64,
        size: u8,
        value: u64,
    ) -> Result<(), DeviceError> {
        let hit = regs::decode(GICR_RD_MAP, offset, size, true)?;
        if hit.reg == GicrRd::Waker {
            self.cpus[cpu].sleep = value as u32 & GICR_WAKER_PROCESSOR_SLEEP != 0;
        }
        Ok(())
    }

    /// GICR_TYPER: the CPU's affinity (Aff3.Aff2.Aff1.Aff0 in `[63:32]`), its number in
    /// `[23:8]`, and Last on the final redistributor of the region, which is how software
    /// finds the redistributor of a CPU (GICR_TYPER). Test:
    /// `tests::typer_gives_affinity_number_and_last`.
    fn gicr_typer(&self, cpu: usize) -> u64 {
        let aff = self.cpus[cpu].affinity;
        let packed = (aff & 0xff_ffff) | ((aff >> 32) & 0xff) << 24;
        let last = if cpu + 1 == self.cpus.len() {
            GICR_TYPER_LAST
        } else {
            0
        };
        packed << GICR_TYPER_AFFINITY_SHIFT
            | (cpu as u64) << GICR_TYPER_PROCESSOR_NUMBER_SHIFT
            | last
    }

    /// GICR_WAKER: ChildrenAsleep follows ProcessorSleep at once — there is no power
    /// state to wait for — and, as in QEMU, a sleeping redistributor still forwards
    /// interrupts (GICR_WAKER). Test: `tests::waker_wakes_at_once`.
    fn waker(&self, cpu: usize) -> u32 {
        if self.cpus[cpu].sleep {
            GICR_WAKER_PROCESSOR_SLEEP | GICR_WAKER_CHILDREN_ASLEEP
        } else {
            0
        }
    }

    fn sgi_read(&self, cpu: usize, offset: u64, size: u8) -> Result<u64, DeviceError> {
        let hit = regs::decode(GICR_SGI_MAP, offset, size, false)?;
        let irqs = &self.irqs;
        let value = match hit.reg {
            GicrSgi::Bits(reg) => irqs.read_bitreg(cpu, reg, 0),
            GicrSgi::Ipriorityr => {
                return Ok(regs::read_bytes(hit.at, size, |id| {
                    irqs.priority(cpu, id as u32)
                }))
            }
            GicrSgi::Icfgr => irqs.icfgr(cpu, hit.word()),
            GicrSgi::Igrpmodr0 | GicrSgi::Nsacr => 0,
        };
        Ok(value.into())
    }

    fn sgi_write(&mut self, cpu: usize, offset: u64, size: u8, v: u32) -> Result<(), DeviceError> {
        let hit = regs::decode(GICR_SGI_MAP, offset, size, true)?;
        let irqs = &mut self.irqs;
        match hit.reg {
            GicrSgi::Bits(reg) => irqs.write_bitreg(cpu, reg, 0, v),
            GicrSgi::Ipriorityr => regs::write_bytes(hit.at, size, v.into(), |id, b| {
                irqs.set_priority(cpu, id as u32, b & PRIORITY.mask())
            }),
            // GICR_ICFGR0: SGIs are always edge-triggered, the register read-only.
            // GICR_ICFGR1 configures PPIs (programmable, as QEMU).
            GicrSgi::Icfgr if 16 * hit.word() < SGI_COUNT => {
                return Err(DeviceError::BadOffset { offset })
            }
            GicrSgi::Icfgr => irqs.set_icfgr(cpu, hit.word(), v),
            GicrSgi::Igrpmodr0 | GicrSgi::Nsacr => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Register-level behaviour of the redistributors; expected values from IHI 0069's
    //! GICR register descriptions and, where it leaves a choice, QEMU's arm_gicv3.
    use super::super::testing::*;
    use crate::DeviceError;

    #[test]
    fn reset_values() {
        let r = Rig::new(2);
        for cpu in 0..2 {
            assert_eq!(r.rd_r(cpu, GICR_CTLR), 0);
            assert_eq!(r.rd_r(cpu, GICR_IIDR), 0x43b);
            assert_eq!(r.rd_r(cpu, GICR_WAKER), 0b110, "asleep");
            assert_eq!(r.rd_r(cpu, GICR_PIDR2) >> 4 & 0xf, 3, "ArchRev 3");
            assert_eq!(r.sgi_r(cpu, GICR_IGROUPR0), 0);
            assert_eq!(r.sgi_r(cpu, GICR_ISENABLER0), 0);
            assert_eq!(r.sgi_r(cpu, GICR_ISPENDR0), 0);
            assert_eq!(r.sgi_r(cpu, GICR_ISACTIVER0), 0);
            assert_eq!(r.sgi_r(cpu, GICR_IPRIORITYR + 28), 0);
            assert_eq!(
                r.sgi_r(cpu, GICR_ICFGR0),
                0xaaaa_aaaa,
                "SGIs edge-triggered"
            );
            assert_eq!(r.sgi_r(cpu, GICR_ICFGR0 + 4), 0, "PPIs level-sensitive");
        }
    }

    #[test]
    fn typer_gives_affinity_number_and_last() {
        let r = Rig::new(18);
        assert_eq!(r.rd_r64(0, GICR_TYPER), 0);
        assert_eq!(r.rd_r64(5, GICR_TYPER), 5 << 32 | 5 << 8);
        // CPU 17 is Aff1 1, Aff0 1, and the last redistributor.
        assert_eq!(r.rd_r64(17, GICR_TYPER), 0x101 << 32 | 17 << 8 | 1 << 4);
        assert_eq!(r.rd_r(17, GICR_TYPER + 4), 0x101);
        assert_eq!(r.rd_r(17, GICR_TYPER), 17 << 8 | 1 << 4);
    }

    #[test]
    fn waker_wakes_at_once() {
        let r = Rig::new(1);
        r.rd_w(0, GICR_WAKER, 0);
        assert_eq!(r.rd_r(0, GICR_WAKER), 0);
        r.rd_w(0, GICR_WAKER, 0b10);
        assert_eq!(r.rd_r(0, GICR_WAKER), 0b110);
    }

    #[test]
    fn sgi_frame_registers_are_banked() {
        let r = Rig::new(2);
        r.sgi_w(1, GICR_ISENABLER0, 0x8000_0001);
        r.sgi_w(1, GICR_ISPENDR0, 1 << 5);
        r.sgi_w(1, GICR_ISACTIVER0, 1 << 6);
        r.sgi_w(1, GICR_IGROUPR0, 0xffff);
        r.sgi_w8(1, GICR_IPRIORITYR + 31, 0xa7);
        r.sgi_w(1, GICR_ICFGR0 + 4, 0x8000_0000);
        assert_eq!(r.sgi_r(1, GICR_ICENABLER0), 0x8000_0001);
        assert_eq!(
            r.sgi_r(1, GICR_ICPENDR0),
            1 << 5,
            "SGIs set pending directly"
        );
        assert_eq!(r.sgi_r(1, GICR_ICACTIVER0), 1 << 6);
        assert_eq!(r.sgi_r(1, GICR_IGROUPR0), 0xffff);
        assert_eq!(r.sgi_r(1, GICR_IPRIORITYR + 28), 0xa0 << 24);
        assert_eq!(r.sgi_r(1, GICR_ICFGR0 + 4), 0x8000_0000);
        for reg in [
            GICR_ISENABLER0,
            GICR_ISPENDR0,
            GICR_ISACTIVER0,
            GICR_IGROUPR0,
        ] {
            assert_eq!(r.sgi_r(0, reg), 0, "CPU 0's {:#x}", reg);
        }
        r.sgi_w(1, GICR_ICENABLER0, 1);
        r.sgi_w(1, GICR_ICPENDR0, !0);
        r.sgi_w(1, GICR_ICACTIVER0, !0);
        assert_eq!(r.sgi_r(1, GICR_ISENABLER0), 0x8000_0000);
        assert_eq!(r.sgi_r(1, GICR_ISPENDR0), 0);
        assert_eq!(r.sgi_r(1, GICR_ISACTIVER0), 0);
    }

    #[test]
    fn bad_offsets_and_sizes_are_device_errors() {
        let r = Rig::new(2);
        let bad_offset = |offset| DeviceError::BadOffset { offset };
        let base1 = GICR_STRIDE;
        let sgi1 = GICR_STRIDE + GICR_FRAME_SIZE;
        assert_eq!(
            r.redist_read(base1 + 0x70, 8),
            Err(bad_offset(base1 + 0x70)),
            "no LPIs"
        );
        assert_eq!(r.redist_read(sgi1 + 0x84, 4), Err(bad_offset(sgi1 + 0x84)));
        assert_eq!(
            r.redist_read(2 * GICR_STRIDE, 4),
            Err(bad_offset(2 * GICR_STRIDE))
        );
        assert_eq!(
            r.redist_write(base1 + GICR_TYPER, 8, 0),
            Err(bad_offset(base1 + GICR_TYPER))
        );
        assert_eq!(
            r.redist_write(sgi1 + GICR_ICFGR0, 4, 0),
            Err(bad_offset(sgi1 + GICR_ICFGR0))
        );
        assert_eq!(
            r.redist_read(base1 + GICR_WAKER, 8),
            Err(DeviceError::BadSize {
                offset: base1 + GICR_WAKER,
                size: 8
            })
        );
    }
}
