//! GICv2 as QEMU's virt machine has it (`arm_gic`, revision 2, no Security Extensions,
//! 256 SPIs), per the GIC architecture specification v2 (ARM IHI 0048B).
//!
//! - `defs`: register maps and bit fields;
//! - `state`: the state and the rules of interrupt handling;
//! - `distributor`, `cpu_interface`: the two register frames.
//!
//! Without the Security Extensions the guest sees one view of everything: GICD_CTLR and
//! GICC_CTLR enable Group 0 and Group 1 separately, and Group 0 interrupts are signalled
//! as FIQ only if GICC_CTLR.FIQEn is set. Linux leaves every interrupt in Group 0 and
//! FIQEn clear, so it takes all of them as IRQs.
//!
//! ```ignore
//! let gic = GicV2::new(num_cpus);
//! bus.map(VIRT_GICD_BASE, GICD_SIZE, Box::new(gic.distributor()));
//! bus.map(VIRT_GICC_BASE, GICC_SIZE, Box::new(gic.cpu_interface()));
//! let uart = Pl011::new(.., Box::new(gic.spi_line(1)));   // interrupts = <0 1 4>
//! gic.set_ppi(cpu, 14, timer_asserted);                   // <1 14 ..>: INTID 30
//! for (i, cpu) in cpus.iter().enumerate() {
//!     gic.connect_cpu(i, cpu.lines.clone());              // IRQ/FIQ driven from now on
//! }
//! // run loop:
//! gic.set_current_cpu(i);  // before running vCPU i
//! ```
//!
//! Instead of connecting the vCPUs' lines, a run loop may poll: when
//! `gic.take_changed()`, read `gic.cpu_lines(i)` for each vCPU.

mod cpu_interface;
pub mod defs;
mod distributor;
mod state;

pub use cpu_interface::CpuInterface;
pub use defs::{GICC_SIZE, GICD_SIZE, MAX_CPUS, VIRT_GICC_BASE, VIRT_GICD_BASE};
pub use distributor::Distributor;
pub use state::{CpuInterfaceState, GicV2State};

use super::shared::Gic;

/// A handle on one GICv2; clones share the GIC.
pub type GicV2 = Gic<GicV2State>;

impl GicV2 {
    /// A GICv2 at reset with `num_cpus` CPU interfaces.
    ///
    /// # Panics
    /// If `num_cpus` is not 1 to [`MAX_CPUS`] (a machine configuration error; the machine
    /// checks `--smp` first).
    pub fn new(num_cpus: usize) -> Self {
        assert!(
            (1..=MAX_CPUS).contains(&num_cpus),
            "GICv2 supports 1 to {} CPUs, not {}",
            MAX_CPUS,
            num_cpus
        );
        Gic::with_state(GicV2State::new(num_cpus))
    }

    /// The distributor frame, to map at [`VIRT_GICD_BASE`] ([`GICD_SIZE`] bytes).
    pub fn distributor(&self) -> Distributor {
        Distributor {
            gic: self.shared.clone(),
        }
    }

    /// The CPU interface frame, to map at [`VIRT_GICC_BASE`] ([`GICC_SIZE`] bytes).
    pub fn cpu_interface(&self) -> CpuInterface {
        CpuInterface {
            gic: self.shared.clone(),
        }
    }

    /// Names the vCPU whose memory accesses reach the GIC from now on: the frames bank
    /// registers by CPU, and the bus does not say which CPU is accessing. The machine
    /// calls this whenever it switches vCPUs. Out-of-range values are ignored.
    pub fn set_current_cpu(&self, cpu: usize) {
        if cpu < self.num_cpus() {
            self.shared.set_current_cpu(cpu);
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! A GICv2 with its two frames, accessed as each CPU would.
    pub use super::defs::*;
    use super::*;
    use crate::{DeviceError, MmioDevice};
    use std::cell::RefCell;

    pub struct Rig {
        pub gic: GicV2,
        dist: RefCell<Distributor>,
        cpu_if: RefCell<CpuInterface>,
    }

    impl Rig {
        pub fn new(num_cpus: usize) -> Self {
            let gic = GicV2::new(num_cpus);
            Rig {
                dist: RefCell::new(gic.distributor()),
                cpu_if: RefCell::new(gic.cpu_interface()),
                gic,
            }
        }

        /// Group 0 enabled in the distributor and every CPU interface, nothing masked by
        /// the priority mask.
        pub fn enabled(num_cpus: usize) -> Self {
            let r = Rig::new(num_cpus);
            r.dist_w(0, GICD_CTLR, GICD_CTLR_ENABLE_GRP0);
            for cpu in 0..num_cpus {
                r.cpu_w(cpu, GICC_CTLR, GICC_CTLR_ENABLE_GRP0);
                r.cpu_w(cpu, GICC_PMR, 0xff);
            }
            r
        }

        pub fn dist_read(&self, cpu: usize, offset: u64, size: u8) -> Result<u64, DeviceError> {
            self.gic.set_current_cpu(cpu);
            self.dist.borrow_mut().read(offset, size)
        }

        pub fn dist_write(
            &self,
            cpu: usize,
            offset: u64,
            size: u8,
            value: u64,
        ) -> Result<(), DeviceError> {
            self.gic.set_current_cpu(cpu);
            self.dist.borrow_mut().write(offset, size, value)
        }

        pub fn cpu_read(&self, cpu: usize, offset: u64, size: u8) -> Result<u64, DeviceError> {
            self.gic.set_current_cpu(cpu);
            self.cpu_if.borrow_mut().read(offset, size)
        }

        pub fn cpu_write(
            &self,
            cpu: usize,
            offset: u64,
            size: u8,
            value: u64,
        ) -> Result<(), DeviceError> {
            self.gic.set_current_cpu(cpu);
            self.cpu_if.borrow_mut().write(offset, size, value)
        }

        pub fn dist_r(&self, cpu: usize, offset: u64) -> u32 {
            self.dist_read(cpu, offset, 4).unwrap() as u32
        }

        pub fn dist_w(&self, cpu: usize, offset: u64, value: u32) {
            self.dist_write(cpu, offset, 4, value.into()).unwrap()
        }

        pub fn dist_r8(&self, cpu: usize, offset: u64) -> u8 {
            self.dist_read(cpu, offset, 1).unwrap() as u8
        }

        pub fn dist_w8(&self, cpu: usize, offset: u64, value: u8) {
            self.dist_write(cpu, offset, 1, value.into()).unwrap()
        }

        pub fn cpu_r(&self, cpu: usize, offset: u64) -> u32 {
            self.cpu_read(cpu, offset, 4).unwrap() as u32
        }

        pub fn cpu_w(&self, cpu: usize, offset: u64, value: u32) {
            self.cpu_write(cpu, offset, 4, value.into()).unwrap()
        }

        /// Enables interrupt `id` (in `cpu`'s bank for SGIs and PPIs).
        pub fn enable(&self, cpu: usize, id: u32) {
            self.dist_w(cpu, GICD_ISENABLER + 4 * u64::from(id / 32), 1 << (id % 32));
        }

        pub fn set_priority(&self, cpu: usize, id: u32, priority: u8) {
            self.dist_w8(cpu, GICD_IPRIORITYR + u64::from(id), priority);
        }

        /// Targets SPI `id` at the CPUs in `cpus`.
        pub fn route(&self, id: u32, cpus: u8) {
            self.dist_w8(0, GICD_ITARGETSR + u64::from(id), cpus);
        }

        pub fn lines(&self, cpu: usize) -> (bool, bool) {
            self.gic.cpu_lines(cpu)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::GicV2;
    use crate::IrqLine;

    #[test]
    fn spi_line_drives_its_spi() {
        let r = Rig::enabled(1);
        r.enable(0, 33);
        let mut line = r.gic.spi_line(1);
        line.set_level(true);
        assert_eq!(r.lines(0), (true, false));
        assert_eq!(r.cpu_r(0, GICC_IAR), 33);
        line.set_level(false);
        r.cpu_w(0, GICC_EOIR, 33);
        assert_eq!(r.lines(0), (false, false));
    }

    #[test]
    fn connected_vcpu_lines_follow_the_gic() {
        let r = Rig::enabled(2);
        r.enable(0, 40);
        r.route(40, 0b10);
        r.gic.set_spi(8, true);
        let lines: Vec<_> = (0..2).map(|_| armvirt_cpu::IrqLines::new()).collect();
        lines[1].set_serror(true);
        for (i, l) in lines.iter().enumerate() {
            r.gic.connect_cpu(i, l.clone());
        }
        assert!(
            !lines[0].irq() && lines[1].irq(),
            "current levels on connection"
        );
        r.cpu_w(0, GICC_CTLR, GICC_CTLR_ENABLE_GRP0 | GICC_CTLR_FIQ_EN);
        r.cpu_w(1, GICC_CTLR, GICC_CTLR_ENABLE_GRP0 | GICC_CTLR_FIQ_EN);
        assert!(!lines[1].irq() && lines[1].fiq());
        assert!(lines[1].serror(), "SError is not the GIC's");
        assert_eq!(r.cpu_r(1, GICC_IAR), 40);
        assert!(!lines[1].irq() && !lines[1].fiq());
    }

    #[test]
    fn inputs_that_do_not_exist_are_ignored() {
        let r = Rig::enabled(2);
        r.gic.set_spi(256, true);
        r.gic.set_ppi(2, 14, true);
        r.gic.set_ppi(0, 16, true);
        r.gic.set_current_cpu(5);
        assert_eq!(r.gic.state(), Rig::enabled(2).gic.state());
    }

    #[test]
    #[should_panic(expected = "1 to 8 CPUs")]
    fn more_than_eight_cpus_is_refused() {
        GicV2::new(9);
    }
}
