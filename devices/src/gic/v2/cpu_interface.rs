//! The GICv2 CPU interface's register frame, GICC_* (IHI 0048B §4.4), without the
//! Security Extensions. One frame serves every CPU: each access reaches the interface of
//! the vCPU making it.

use std::sync::Arc;

use super::defs::*;
use super::state::{GicV2State, PRIORITY};
use crate::gic::regs;
use crate::gic::shared::Shared;
use crate::{DeviceError, MmioDevice};

/// The CPU interface frame ([`GICC_SIZE`] bytes). Accesses come from the vCPU the machine
/// last named with `GicV2::set_current_cpu`.
pub struct CpuInterface {
    pub(super) gic: Arc<Shared<GicV2State>>,
}

impl MmioDevice for CpuInterface {
    fn name(&self) -> &'static str {
        "gicv2-cpu-interface"
    }

    fn read(&mut self, offset: u64, size: u8) -> Result<u64, DeviceError> {
        let cpu = self.gic.current_cpu();
        // A read of GICC_IAR changes state, so every read goes through `with`.
        self.gic.with(|s| s.cpu_read(cpu, offset, size))
    }

    fn write(&mut self, offset: u64, size: u8, value: u64) -> Result<(), DeviceError> {
        let cpu = self.gic.current_cpu();
        self.gic
            .with(|s| s.cpu_write(cpu, offset, size, value as u32))
    }
}

impl GicV2State {
    fn cpu_read(&mut self, cpu: usize, offset: u64, size: u8) -> Result<u64, DeviceError> {
        let hit = regs::decode(GICC_MAP, offset, size, false)?;
        let n = hit.word() as usize;
        let c = &self.cpus[cpu];
        let value = match hit.reg {
            Gicc::Ctlr => c.ctlr,
            Gicc::Pmr => c.prio.pmr.into(),
            Gicc::Bpr => c.prio.bpr[0].into(),
            Gicc::Abpr => c.prio.bpr[1].into(),
            Gicc::Iar => self.acknowledge(cpu, false),
            Gicc::Aiar => self.acknowledge(cpu, true),
            Gicc::Rpr => self.running_priority(cpu),
            Gicc::Hppir => self.highest_pending_id(cpu, false),
            Gicc::Ahppir => self.highest_pending_id(cpu, true),
            Gicc::Apr => c.prio.apr_word(false, n),
            Gicc::Nsapr => c.prio.apr_word(true, n),
            Gicc::Iidr => GICC_IIDR_VALUE,
            Gicc::Eoir | Gicc::Aeoir | Gicc::Dir => 0,
        };
        Ok(u64::from(value))
    }

    fn cpu_write(
        &mut self,
        cpu: usize,
        offset: u64,
        size: u8,
        value: u32,
    ) -> Result<(), DeviceError> {
        let hit = regs::decode(GICC_MAP, offset, size, true)?;
        let n = hit.word() as usize;
        let prio = &mut self.cpus[cpu].prio;
        match hit.reg {
            Gicc::Ctlr => {
                self.cpus[cpu].ctlr = value & GICC_CTLR_MASK;
                self.cpus[cpu].prio.cbpr = value & GICC_CTLR_CBPR != 0;
            }
            // Unimplemented priority bits are RAZ/WI (§4.4.2).
            Gicc::Pmr => prio.pmr = value as u8 & PRIORITY.mask(),
            Gicc::Bpr => prio.set_bpr(false, (value & BPR_MASK) as u8),
            Gicc::Abpr => prio.set_bpr(true, (value & BPR_MASK) as u8),
            Gicc::Eoir => self.end_of_interrupt(cpu, value, false),
            Gicc::Aeoir => self.end_of_interrupt(cpu, value, true),
            Gicc::Dir => self.deactivate(cpu, value),
            Gicc::Apr => prio.set_apr_word(false, n, value),
            Gicc::Nsapr => prio.set_apr_word(true, n, value),
            Gicc::Iar | Gicc::Aiar | Gicc::Rpr | Gicc::Hppir | Gicc::Ahppir | Gicc::Iidr => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Register-level behaviour of the CPU interface; expected values from IHI 0048B §4.4
    //! and, where the architecture leaves a choice, QEMU's arm_gic.
    use super::super::testing::*;
    use crate::DeviceError;

    #[test]
    fn reset_values() {
        let r = Rig::new(2);
        for cpu in 0..2 {
            assert_eq!(r.cpu_r(cpu, GICC_CTLR), 0);
            assert_eq!(r.cpu_r(cpu, GICC_PMR), 0);
            // The smallest binary points for eight priority bits: 0, and 1 for Group 1.
            assert_eq!(r.cpu_r(cpu, GICC_BPR), 0);
            assert_eq!(r.cpu_r(cpu, GICC_ABPR), 1);
            assert_eq!(r.cpu_r(cpu, GICC_RPR), 0xff, "idle");
            assert_eq!(r.cpu_r(cpu, GICC_HPPIR), 1023);
            assert_eq!(r.cpu_r(cpu, GICC_IAR), 1023);
            for n in 0..4 {
                assert_eq!(r.cpu_r(cpu, GICC_APR + 4 * n), 0);
                assert_eq!(r.cpu_r(cpu, GICC_NSAPR + 4 * n), 0);
            }
            // Architecture version 2, Implementer ARM.
            assert_eq!(r.cpu_r(cpu, GICC_IIDR), 0x0002_043b);
            assert_eq!(r.lines(cpu), (false, false));
        }
    }

    #[test]
    fn ctlr_keeps_its_defined_bits() {
        let r = Rig::new(1);
        r.cpu_w(0, GICC_CTLR, !0);
        assert_eq!(r.cpu_r(0, GICC_CTLR), 0x3ff, "bits [9:0]; EOImodeNS RAZ/WI");
    }

    #[test]
    fn bpr_is_clamped_to_its_minimum() {
        let r = Rig::new(1);
        r.cpu_w(0, GICC_BPR, 0xf3);
        assert_eq!(r.cpu_r(0, GICC_BPR), 3);
        r.cpu_w(0, GICC_ABPR, 0);
        assert_eq!(r.cpu_r(0, GICC_ABPR), 1);
        r.cpu_w(0, GICC_ABPR, 7);
        assert_eq!(r.cpu_r(0, GICC_ABPR), 7);
    }

    #[test]
    fn cpu_interfaces_are_per_cpu() {
        let r = Rig::new(2);
        r.cpu_w(1, GICC_PMR, 0xf0);
        assert_eq!(r.cpu_r(0, GICC_PMR), 0);
        assert_eq!(r.cpu_r(1, GICC_PMR), 0xf0);
    }

    #[test]
    fn apr_writes_set_the_running_priority() {
        let r = Rig::new(1);
        r.cpu_w(0, GICC_APR + 4, 1 << 2);
        assert_eq!(r.cpu_r(0, GICC_RPR), (32 + 2) << 1);
        r.cpu_w(0, GICC_APR + 4, 0);
        assert_eq!(r.cpu_r(0, GICC_RPR), 0xff);
    }

    #[test]
    fn bad_offsets_and_sizes_are_device_errors() {
        let r = Rig::new(1);
        let bad_offset = |offset| DeviceError::BadOffset { offset };
        assert_eq!(r.cpu_read(0, 0x2c, 4), Err(bad_offset(0x2c)));
        assert_eq!(r.cpu_read(0, 0xf0, 4), Err(bad_offset(0xf0)));
        assert_eq!(r.cpu_read(0, 0x1004, 4), Err(bad_offset(0x1004)));
        assert_eq!(r.cpu_read(0, GICC_EOIR, 4), Err(bad_offset(GICC_EOIR)));
        assert_eq!(r.cpu_read(0, GICC_DIR, 4), Err(bad_offset(GICC_DIR)));
        assert_eq!(r.cpu_write(0, GICC_IAR, 4, 0), Err(bad_offset(GICC_IAR)));
        assert_eq!(r.cpu_write(0, GICC_IIDR, 4, 0), Err(bad_offset(GICC_IIDR)));
        assert_eq!(
            r.cpu_read(0, GICC_PMR, 1),
            Err(DeviceError::BadSize {
                offset: GICC_PMR,
                size: 1
            })
        );
    }
}
