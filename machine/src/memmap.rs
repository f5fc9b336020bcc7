//! The physical memory map and interrupt numbers of QEMU's `virt` machine, which armvirt
//! reproduces so that guests (and the device tree) see the same board.
//!
//! Source: QEMU `hw/arm/virt.c` (`base_memmap`, `a15irqmap`) as realised in QEMU 7.2's
//! device tree for `-M virt -cpu cortex-a72` (`machine/testdata/qemu-7.2-virt-cortex-a72-
//! smp2-1G.dts`). Addresses are guest physical; sizes in bytes.

/// A region of the physical address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub base: u64,
    pub size: u64,
}

impl Region {
    pub const fn new(base: u64, size: u64) -> Self {
        Region { base, size }
    }

    /// One past the last byte.
    pub const fn end(&self) -> u64 {
        self.base + self.size
    }
}

pub const KIB: u64 = 1 << 10;
pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;

/// Flash (two 64 MiB banks in QEMU; not modelled by armvirt).
pub const FLASH: Region = Region::new(0, 0x0800_0000);
/// GICv2 distributor.
pub const GIC_DIST: Region = Region::new(0x0800_0000, 0x1_0000);
/// GICv2 CPU interface.
pub const GIC_CPU: Region = Region::new(0x0801_0000, 0x1_0000);
/// GICv2m MSI frame (only useful with PCIe; not modelled by armvirt).
pub const GIC_V2M: Region = Region::new(0x0802_0000, 0x1000);
/// GICv3 redistributors (room for 123 CPUs of 2 × 64 KiB frames), for a later GICv3.
pub const GIC_REDIST: Region = Region::new(0x080a_0000, 0x00f6_0000);
/// The PL011 UART (console, `stdout-path`).
pub const UART0: Region = Region::new(0x0900_0000, 0x1000);
/// The PL031 real-time clock.
pub const RTC: Region = Region::new(0x0901_0000, 0x1000);
/// QEMU's fw-cfg interface (not modelled by armvirt).
pub const FW_CFG: Region = Region::new(0x0902_0000, 0x18);
/// The PL061 GPIO controller (its line 3 is the power button).
pub const GPIO: Region = Region::new(0x0903_0000, 0x1000);
/// The first virtio-mmio transport; [`VIRTIO_MMIO_COUNT`] follow at [`VIRTIO_MMIO_STRIDE`].
pub const VIRTIO_MMIO_BASE: u64 = 0x0a00_0000;
pub const VIRTIO_MMIO_STRIDE: u64 = 0x200;
/// QEMU's NUM_VIRTIO_TRANSPORTS.
pub const VIRTIO_MMIO_COUNT: u32 = 32;
/// Guest RAM starts at 1 GiB (QEMU's `VIRT_MEM`); the boot loader's `loader_start`.
pub const RAM_BASE: u64 = 0x4000_0000;
/// The most RAM the low RAM region of the map holds: QEMU's VIRT_MEM is 255 GiB long,
/// ending at 256 GiB, above which QEMU places its high MMIO regions.
pub const RAM_MAX_SIZE: u64 = 255 * GIB;

/// The `n`th virtio-mmio transport (`n < VIRTIO_MMIO_COUNT`).
pub const fn virtio_mmio(n: u32) -> Region {
    Region::new(
        VIRTIO_MMIO_BASE + n as u64 * VIRTIO_MMIO_STRIDE,
        VIRTIO_MMIO_STRIDE,
    )
}

/// Shared peripheral interrupt numbers (SPI n is GIC INTID 32 + n), QEMU's `a15irqmap`.
pub mod spi {
    pub const UART0: u32 = 1;
    pub const RTC: u32 = 2;
    /// PCIe INTA..INTD are 3..=6 (not modelled).
    pub const PCIE_FIRST: u32 = 3;
    pub const GPIO: u32 = 7;
    /// virtio-mmio transport n raises SPI `VIRTIO_MMIO_FIRST + n`.
    pub const VIRTIO_MMIO_FIRST: u32 = 16;
    pub const GIC_V2M_FIRST: u32 = 48;
}

/// Private peripheral interrupt numbers (PPI n is GIC INTID 16 + n), as QEMU's virt board
/// wires the cortex-A72's timers and PMU (`ARCH_TIMER_*_IRQ`, `VIRTUAL_PMU_IRQ`).
pub mod ppi {
    /// Secure EL1 physical timer (INTID 29).
    pub const TIMER_SEC_EL1: u32 = 13;
    /// Non-secure EL1 physical timer (INTID 30).
    pub const TIMER_NS_EL1: u32 = 14;
    /// EL1 virtual timer (INTID 27).
    pub const TIMER_VIRT: u32 = 11;
    /// Non-secure EL2 physical timer (INTID 26).
    pub const TIMER_NS_EL2: u32 = 10;
    /// PMU overflow (INTID 23).
    pub const PMU: u32 = 7;
}

/// GICv2 supports at most 8 CPU interfaces; QEMU's virt refuses more CPUs with GICv2.
pub const GICV2_MAX_CPUS: u32 = 8;

/// The affinity value (MPIDR_EL1 Aff fields) of vCPU `index`, as QEMU's virt assigns it
/// with GICv2 (`virt_cpu_mp_affinity`: clusters of 8, Aff1 = cluster, Aff0 = core). It is
/// also the CPU's `reg` in the device tree and its PSCI CPU_ON target.
pub const fn mpidr_affinity(index: u32) -> u64 {
    let cluster = (index / GICV2_MAX_CPUS) as u64;
    let core = (index % GICV2_MAX_CPUS) as u64;
    (cluster << 8) | core
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtio_slots_follow_qemu_layout() {
        // Reference DTS: virtio_mmio@a000000 … virtio_mmio@a003e00, SPIs 0x10 … 0x2f.
        assert_eq!(virtio_mmio(0), Region::new(0x0a00_0000, 0x200));
        assert_eq!(virtio_mmio(31).base, 0x0a00_3e00);
        assert_eq!(spi::VIRTIO_MMIO_FIRST + 31, 0x2f);
    }

    #[test]
    fn devices_do_not_overlap() {
        let mut regions = vec![
            FLASH, GIC_DIST, GIC_CPU, GIC_V2M, GIC_REDIST, UART0, RTC, FW_CFG, GPIO,
        ];
        regions.extend((0..VIRTIO_MMIO_COUNT).map(virtio_mmio));
        regions.push(Region::new(RAM_BASE, RAM_MAX_SIZE));
        regions.sort_by_key(|r| r.base);
        for w in regions.windows(2) {
            assert!(w[0].end() <= w[1].base, "{:x?} overlaps {:x?}", w[0], w[1]);
        }
    }

    #[test]
    fn affinity_is_cluster_of_eight() {
        assert_eq!(mpidr_affinity(0), 0);
        assert_eq!(mpidr_affinity(7), 7);
        assert_eq!(mpidr_affinity(9), 0x101);
    }
}
