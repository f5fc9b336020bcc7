//! GICv3 as QEMU's virt machine has it with `gic-version=3` and no EL3 (`arm_gicv3`:
//! affinity routing always on, a single Security state, 256 SPIs, five priority bits,
//! no LPIs or ITS), per the GIC architecture specification v3/v4 (ARM IHI 0069).
//!
//! - `defs`: register maps, ICC encodings and bit fields;
//! - `state`: the state and the rules of interrupt handling;
//! - `distributor`, `redistributor`: the memory-mapped frames;
//! - `cpu_interface`: the ICC_* system registers.
//!
//! With one Security state, Group 0 interrupts reach the CPU as FIQ and Group 1 as IRQ.
//! Linux puts every interrupt in Group 1.
//!
//! ```ignore
//! let gic = GicV3::new(num_cpus);
//! bus.map(VIRT_GICD_BASE, GICD_SIZE, Box::new(gic.distributor()));
//! bus.map(VIRT_GICR_BASE, gic.redistributors_size(), Box::new(gic.redistributors()));
//! for (i, cpu) in cpus.iter_mut().enumerate() {
//!     // MPIDR_EL1 affinity from cpu_affinity(i); then the ICC_* registers and the lines:
//!     cpu.sysreg_ext = Some(Box::new(gic.cpu_interface(i)));
//!     gic.connect_cpu(i, cpu.lines.clone());
//! }
//! let uart = Pl011::new(.., Box::new(gic.spi_line(1)));
//! gic.set_ppi(cpu, 14, timer_asserted);
//! ```

mod cpu_interface;
pub mod defs;
mod distributor;
mod redistributor;
mod state;

pub use cpu_interface::IccRegs;
pub use defs::{
    GICD_SIZE, GICR_STRIDE, MAX_CPUS, VIRT_GICD_BASE, VIRT_GICR_BASE, VIRT_GICR_REGION_SIZE,
};
pub use distributor::Distributor;
pub use redistributor::Redistributors;
pub use state::{cpu_affinity, CpuInterfaceState, GicV3State};

use super::shared::Gic;

/// A handle on one GICv3; clones share the GIC.
pub type GicV3 = Gic<GicV3State>;

impl GicV3 {
    /// A GICv3 at reset for `num_cpus` CPUs, whose affinities are [`cpu_affinity`].
    ///
    /// # Panics
    /// If `num_cpus` is not 1 to [`MAX_CPUS`] (a machine configuration error).
    pub fn new(num_cpus: usize) -> Self {
        assert!(
            (1..=MAX_CPUS).contains(&num_cpus),
            "GICv3 supports 1 to {} CPUs here, not {}",
            MAX_CPUS,
            num_cpus
        );
        Gic::with_state(GicV3State::new(num_cpus))
    }

    /// The distributor frame, to map at [`VIRT_GICD_BASE`] ([`GICD_SIZE`] bytes).
    pub fn distributor(&self) -> Distributor {
        Distributor {
            gic: self.shared.clone(),
        }
    }

    /// Every CPU's redistributor in one region, to map at [`VIRT_GICR_BASE`]
    /// ([`GicV3::redistributors_size`] bytes; the device tree's second `reg` entry may
    /// give the whole [`VIRT_GICR_REGION_SIZE`], as QEMU's does).
    pub fn redistributors(&self) -> Redistributors {
        Redistributors {
            gic: self.shared.clone(),
        }
    }

    /// Bytes the redistributors occupy: one [`GICR_STRIDE`] per CPU.
    pub fn redistributors_size(&self) -> u64 {
        self.num_cpus() as u64 * GICR_STRIDE
    }

    /// The ICC_* system registers of CPU `cpu`, to plug into that vCPU.
    ///
    /// # Panics
    /// If there is no CPU `cpu` (a machine wiring error).
    pub fn cpu_interface(&self, cpu: usize) -> IccRegs {
        assert!(cpu < self.num_cpus(), "no CPU {} on this GICv3", cpu);
        IccRegs {
            gic: self.shared.clone(),
            cpu,
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! A GICv3 with its frames and each CPU's ICC registers, accessed as the CPUs would.
    pub use super::defs::*;
    use super::*;
    use crate::{DeviceError, MmioDevice};
    use armvirt_cpu::sysreg::SysRegExt;
    use std::cell::RefCell;

    pub struct Rig {
        pub gic: GicV3,
        dist: RefCell<Distributor>,
        redist: RefCell<Redistributors>,
        icc: Vec<RefCell<IccRegs>>,
    }

    impl Rig {
        pub fn new(num_cpus: usize) -> Self {
            let gic = GicV3::new(num_cpus);
            Rig {
                dist: RefCell::new(gic.distributor()),
                redist: RefCell::new(gic.redistributors()),
                icc: (0..num_cpus)
                    .map(|c| RefCell::new(gic.cpu_interface(c)))
                    .collect(),
                gic,
            }
        }

        /// Both groups enabled in the distributor and every CPU interface, redistributors
        /// awake, nothing masked by the priority mask — what Linux sets up, but for the
        /// interrupts' groups, which stay 0 until a test sets them.
        pub fn enabled(num_cpus: usize) -> Self {
            let r = Rig::new(num_cpus);
            r.dist_w(GICD_CTLR, GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1);
            for cpu in 0..num_cpus {
                r.rd_w(cpu, GICR_WAKER, 0);
                r.icc_w(cpu, Icc::Pmr, 0xff);
                r.icc_w(cpu, Icc::Igrpen0, 1);
                r.icc_w(cpu, Icc::Igrpen1, 1);
            }
            r
        }

        pub fn dist_read(&self, offset: u64, size: u8) -> Result<u64, DeviceError> {
            self.dist.borrow_mut().read(offset, size)
        }

        pub fn dist_write(&self, offset: u64, size: u8, value: u64) -> Result<(), DeviceError> {
            self.dist.borrow_mut().write(offset, size, value)
        }

        pub fn redist_read(&self, offset: u64, size: u8) -> Result<u64, DeviceError> {
            self.redist.borrow_mut().read(offset, size)
        }

        pub fn redist_write(&self, offset: u64, size: u8, value: u64) -> Result<(), DeviceError> {
            self.redist.borrow_mut().write(offset, size, value)
        }

        pub fn dist_r(&self, offset: u64) -> u32 {
            self.dist_read(offset, 4).unwrap() as u32
        }

        pub fn dist_w(&self, offset: u64, value: u32) {
            self.dist_write(offset, 4, value.into()).unwrap()
        }

        pub fn dist_r8(&self, offset: u64) -> u8 {
            self.dist_read(offset, 1).unwrap() as u8
        }

        pub fn dist_w8(&self, offset: u64, value: u8) {
            self.dist_write(offset, 1, value.into()).unwrap()
        }

        pub fn dist_r64(&self, offset: u64) -> u64 {
            self.dist_read(offset, 8).unwrap()
        }

        pub fn dist_w64(&self, offset: u64, value: u64) {
            self.dist_write(offset, 8, value).unwrap()
        }

        fn rd_base(cpu: usize) -> u64 {
            cpu as u64 * GICR_STRIDE
        }

        fn sgi_base(cpu: usize) -> u64 {
            Self::rd_base(cpu) + GICR_STRIDE / 2
        }

        pub fn rd_r(&self, cpu: usize, offset: u64) -> u32 {
            self.redist_read(Self::rd_base(cpu) + offset, 4).unwrap() as u32
        }

        pub fn rd_r64(&self, cpu: usize, offset: u64) -> u64 {
            self.redist_read(Self::rd_base(cpu) + offset, 8).unwrap()
        }

        pub fn rd_w(&self, cpu: usize, offset: u64, value: u32) {
            self.redist_write(Self::rd_base(cpu) + offset, 4, value.into())
                .unwrap()
        }

        pub fn sgi_r(&self, cpu: usize, offset: u64) -> u32 {
            self.redist_read(Self::sgi_base(cpu) + offset, 4).unwrap() as u32
        }

        pub fn sgi_w(&self, cpu: usize, offset: u64, value: u32) {
            self.redist_write(Self::sgi_base(cpu) + offset, 4, value.into())
                .unwrap()
        }

        pub fn sgi_w8(&self, cpu: usize, offset: u64, value: u8) {
            self.redist_write(Self::sgi_base(cpu) + offset, 1, value.into())
                .unwrap()
        }

        fn enc(reg: Icc) -> u16 {
            ICC_REGS.iter().find(|d| d.reg == reg).unwrap().enc
        }

        /// MRS of an ICC register on `cpu`.
        pub fn icc_r(&self, cpu: usize, reg: Icc) -> u64 {
            self.icc[cpu].borrow_mut().read(Self::enc(reg)).unwrap()
        }

        /// MSR of an ICC register on `cpu`.
        pub fn icc_w(&self, cpu: usize, reg: Icc, value: u64) {
            assert!(self.icc[cpu].borrow_mut().write(Self::enc(reg), value));
        }

        /// Puts SPI `id` (or `cpu`'s SGI/PPI `id`) in Group 1.
        pub fn group1(&self, cpu: usize, id: u32) {
            if id < 32 {
                let v = self.sgi_r(cpu, GICR_IGROUPR0) | 1 << id;
                self.sgi_w(cpu, GICR_IGROUPR0, v);
            } else {
                let reg = GICD_IGROUPR + 4 * u64::from(id / 32);
                self.dist_w(reg, self.dist_r(reg) | 1 << (id % 32));
            }
        }

        pub fn enable(&self, cpu: usize, id: u32) {
            if id < 32 {
                self.sgi_w(cpu, GICR_ISENABLER0, 1 << id);
            } else {
                self.dist_w(GICD_ISENABLER + 4 * u64::from(id / 32), 1 << (id % 32));
            }
        }

        pub fn set_priority(&self, cpu: usize, id: u32, priority: u8) {
            if id < 32 {
                self.sgi_w8(cpu, GICR_IPRIORITYR + u64::from(id), priority);
            } else {
                self.dist_w8(GICD_IPRIORITYR + u64::from(id), priority);
            }
        }

        pub fn lines(&self, cpu: usize) -> (bool, bool) {
            self.gic.cpu_lines(cpu)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::GicV3;
    use crate::IrqLine;

    #[test]
    fn spi_line_drives_its_spi() {
        let r = Rig::enabled(1);
        r.group1(0, 33);
        r.enable(0, 33);
        let mut line = r.gic.spi_line(1);
        line.set_level(true);
        assert!(r.gic.take_changed());
        assert_eq!(r.lines(0), (true, false));
        assert_eq!(r.icc_r(0, Icc::Iar1), 33);
        line.set_level(false);
        r.icc_w(0, Icc::Eoir1, 33);
        assert_eq!(r.lines(0), (false, false));
    }

    #[test]
    fn connected_vcpu_lines_follow_the_gic() {
        let r = Rig::enabled(1);
        let lines = armvirt_cpu::IrqLines::new();
        r.gic.connect_cpu(0, lines.clone());
        r.group1(0, 40);
        r.enable(0, 40);
        r.gic.set_spi(8, true);
        assert!(lines.irq() && !lines.fiq());
        assert_eq!(r.icc_r(0, Icc::Iar1), 40);
        assert!(!lines.irq(), "dropped by the acknowledge, without polling");
    }

    #[test]
    fn inputs_that_do_not_exist_are_ignored() {
        let r = Rig::enabled(2);
        r.gic.set_spi(256, true);
        r.gic.set_ppi(2, 14, true);
        r.gic.set_ppi(0, 16, true);
        assert_eq!(r.gic.state(), Rig::enabled(2).gic.state());
    }

    #[test]
    fn redistributors_size_follows_cpus() {
        assert_eq!(GicV3::new(4).redistributors_size(), 4 * 0x20000);
    }
}
