//! The machine's interrupt controller: a GICv2 (QEMU virt's default) or a GICv3
//! (`--gic 3`, QEMU's `gic-version=3`), mapped at QEMU virt's addresses, with the vCPUs'
//! IRQ/FIQ inputs and timer PPIs wired to it.

use crate::bus::{MapError, MmioBus};
use crate::memmap::{self, ppi};
use crate::vcpu::Vcpu;
use armvirt_devices::gic::v2::GicV2;
use armvirt_devices::gic::v3::GicV3;
use armvirt_devices::IrqLine;

/// Which GIC architecture the machine has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum GicVersion {
    #[default]
    V2,
    V3,
}

#[derive(Clone)]
pub enum IrqChip {
    V2(GicV2),
    V3(GicV3),
}

impl IrqChip {
    /// Creates the GIC for `vcpus`, maps its MMIO frames on `bus` and connects every vCPU.
    pub fn new(
        version: GicVersion,
        vcpus: &mut [Vcpu],
        bus: &mut MmioBus,
    ) -> Result<Self, MapError> {
        let n = vcpus.len();
        let chip = match version {
            GicVersion::V2 => {
                let gic = GicV2::new(n);
                bus.insert(
                    memmap::GIC_DIST.base,
                    memmap::GIC_DIST.size,
                    Box::new(gic.distributor()),
                )?;
                bus.insert(
                    memmap::GIC_CPU.base,
                    memmap::GIC_CPU.size,
                    Box::new(gic.cpu_interface()),
                )?;
                IrqChip::V2(gic)
            }
            GicVersion::V3 => {
                let gic = GicV3::new(n);
                bus.insert(
                    memmap::GIC_DIST.base,
                    memmap::GIC_DIST.size,
                    Box::new(gic.distributor()),
                )?;
                bus.insert(
                    memmap::GIC_REDIST.base,
                    gic.redistributors_size(),
                    Box::new(gic.redistributors()),
                )?;
                for (i, v) in vcpus.iter_mut().enumerate() {
                    v.cpu.sysreg_ext = Some(Box::new(gic.cpu_interface(i)));
                }
                IrqChip::V3(gic)
            }
        };
        for (i, v) in vcpus.iter().enumerate() {
            match &chip {
                IrqChip::V2(g) => g.connect_cpu(i, v.cpu.lines.clone()),
                IrqChip::V3(g) => g.connect_cpu(i, v.cpu.lines.clone()),
            }
        }
        Ok(chip)
    }

    /// The line a device raises for SPI `n` (the device tree's SPI number).
    pub fn spi_line(&self, n: u32) -> Box<dyn IrqLine> {
        match self {
            IrqChip::V2(g) => Box::new(g.spi_line(n)),
            IrqChip::V3(g) => Box::new(g.spi_line(n)),
        }
    }

    /// Tells a GICv2 which CPU's banked registers the next MMIO accesses see (GICv3's
    /// redistributors and system registers are per-CPU already).
    pub fn set_current_cpu(&self, cpu: usize) {
        if let IrqChip::V2(g) = self {
            g.set_current_cpu(cpu);
        }
    }

    /// Drives vCPU `cpu`'s timer PPIs from its timers' outputs.
    pub fn update_timer_ppis(&self, cpu: usize, vcpu: &Vcpu) {
        let (phys, virt) = vcpu.cpu.timer_outputs();
        self.set_ppi(cpu, ppi::TIMER_NS_EL1, phys);
        self.set_ppi(cpu, ppi::TIMER_VIRT, virt);
    }

    fn set_ppi(&self, cpu: usize, n: u32, level: bool) {
        match self {
            IrqChip::V2(g) => g.set_ppi(cpu, n, level),
            IrqChip::V3(g) => g.set_ppi(cpu, n, level),
        }
    }
}
