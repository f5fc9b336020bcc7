//! The device tree armvirt hands the kernel: QEMU 7.2 `virt`'s (`hw/arm/virt.c`,
//! `create_fdt` and the `fdt_add_*`/`create_*` functions; `hw/arm/boot.c` for /memory,
//! /chosen and /psci) for the same options, minus the nodes of devices armvirt does not
//! have (fw-cfg, flash, PCIe, the platform bus, the GICv2m frame, the PMU). `fdt_tests.rs` compares it with QEMU's own, node by node.
//!
//! One function per node, each naming the binding it follows (Linux
//! Documentation/devicetree/bindings/...). Nodes appear in the order of QEMU's DTB;
//! properties too (libfdt inserts each new property first, so QEMU's order is the reverse
//! of its calls).

use crate::irqchip::GicVersion;
use vm_fdt::{FdtWriter, FdtWriterNode};

use crate::memmap::{self, ppi, spi, Region};

/// The options the device tree depends on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DtParams {
    pub ram: Region,
    pub cpus: u32,
    /// The kernel command line (/chosen/bootargs), omitted when empty as QEMU does.
    pub bootargs: Option<String>,
    /// Start and end (exclusive) of the initrd in RAM.
    pub initrd: Option<(u64, u64)>,
    /// Seed of /chosen/kaslr-seed and rng-seed: QEMU draws them from its RNG; armvirt
    /// derives them from this, so runs are reproducible.
    pub seed: u64,
    pub gic: GicVersion,
    /// The cpu nodes' `compatible` (the `-cpu` model's, "arm,cortex-a72").
    pub cpu_compatible: &'static str,
}

// Phandles, in QEMU's allocation order (qemu_fdt_alloc_phandle counts from 0x8000): the
// clock first, then the CPUs from the last to the first, then the GIC.
/// The fixed 24 MHz APB clock.
pub const PHANDLE_CLOCK: u32 = 0x8000;
/// The last CPU's phandle; CPU i of n has `PHANDLE_FIRST_CPU + (n - 1 - i)`.
pub const PHANDLE_FIRST_CPU: u32 = 0x8001;

/// Phandle of CPU `index` of `cpus`.
pub const fn cpu_phandle(index: u32, cpus: u32) -> u32 {
    PHANDLE_FIRST_CPU + (cpus - 1 - index)
}

/// Phandle of the GIC (the root's interrupt-parent), allocated after the CPUs'.
pub const fn gic_phandle(cpus: u32) -> u32 {
    PHANDLE_FIRST_CPU + cpus
}

/// Phandle of the PL061 (the power button's controller). QEMU allocates one for its MSI
/// controller (the GICv2m frame, or GICv3's ITS) after the GIC's; armvirt has none but
/// keeps the number free, so the PL061's is QEMU's.
pub const fn pl061_phandle(cpus: u32) -> u32 {
    gic_phandle(cpus) + 2
}

/// The PL061 line of QEMU's power button ("GPIO Key Poweroff").
pub const POWER_BUTTON_LINE: u32 = 3;
/// Linux's KEY_POWER (include/uapi/linux/input-event-codes.h).
pub const KEY_POWER: u32 = 116;
/// bindings/gpio/gpio.txt flags: GPIO_ACTIVE_HIGH.
pub const GPIO_ACTIVE_HIGH: u32 = 0;

// GIC interrupt specifiers (bindings/interrupt-controller/arm,gic.yaml): cell 1 is the
// type, cell 2 the number within it, cell 3 the flags.
pub const GIC_FDT_IRQ_TYPE_SPI: u32 = 0;
pub const GIC_FDT_IRQ_TYPE_PPI: u32 = 1;
/// Flags bits 3:0 (bindings/interrupt-controller/irq.h).
pub const IRQ_TYPE_EDGE_RISING: u32 = 1;
pub const IRQ_TYPE_LEVEL_HIGH: u32 = 4;
/// Flags bits 15:8 of a GICv2 PPI: the CPUs it is wired to.
pub const GIC_FDT_IRQ_PPI_CPU_SHIFT: u32 = 8;

/// PSCI function IDs in the /psci node (Arm DEN0022 PSCI, table 5-x: SMC64 forms where
/// they exist, as QEMU advertises for AArch64 CPUs).
pub mod psci_fn {
    pub const CPU_SUSPEND_64: u32 = 0xc400_0001;
    pub const CPU_OFF: u32 = 0x8400_0002;
    pub const CPU_ON_64: u32 = 0xc400_0003;
    pub const MIGRATE_64: u32 = 0xc400_0005;
}

/// APB clock of the PrimeCells (QEMU's `/apb-pclk`).
pub const APB_CLOCK_HZ: u32 = 24_000_000;
/// The console UART's node path, /chosen/stdout-path.
pub const UART0_PATH: &str = "/pl011@9000000";

type Result<T> = std::result::Result<T, vm_fdt::Error>;

/// Builds the DTB.
pub fn build(p: &DtParams) -> Result<Vec<u8>> {
    let mut fdt = FdtWriter::new()?;
    let root = fdt.begin_node("")?;
    root_properties(&mut fdt, p)?;
    psci(&mut fdt)?;
    memory(&mut fdt, p.ram)?;
    // QEMU creates the transports from the last to the first, so they read upwards.
    for n in 0..memmap::VIRTIO_MMIO_COUNT {
        virtio_mmio(&mut fdt, n)?;
    }
    gpio_keys(&mut fdt, p.cpus)?;
    pl061(&mut fdt, p.cpus)?;
    pl031(&mut fdt)?;
    pl011(&mut fdt)?;
    match p.gic {
        GicVersion::V2 => gic(&mut fdt, p.cpus)?,
        GicVersion::V3 => gic_v3(&mut fdt, p.cpus)?,
    }
    cpus(&mut fdt, p.cpus, p.cpu_compatible)?;
    timer(&mut fdt, p.cpus, p.gic)?;
    apb_clock(&mut fdt)?;
    chosen(&mut fdt, p)?;
    fdt.end_node(root)?;
    fdt.finish()
}

/// `reg` with #address-cells = #size-cells = 2, as the root declares.
fn reg(regions: &[Region]) -> Vec<u64> {
    regions.iter().flat_map(|r| [r.base, r.size]).collect()
}

/// An SPI specifier.
fn spi_irq(number: u32, flags: u32) -> [u32; 3] {
    [GIC_FDT_IRQ_TYPE_SPI, number, flags]
}

/// PPI flags: level-high, wired to every CPU (GICv2's CPU mask, QEMU's `deposit32`);
/// GICv3 specifiers carry no CPU mask.
fn ppi_flags(cpus: u32, gic: GicVersion) -> u32 {
    match gic {
        GicVersion::V2 => ((1 << cpus) - 1) << GIC_FDT_IRQ_PPI_CPU_SHIFT | IRQ_TYPE_LEVEL_HIGH,
        GicVersion::V3 => IRQ_TYPE_LEVEL_HIGH,
    }
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The root (Devicetree Specification v0.4, §3.2 "Root node").
fn root_properties(fdt: &mut FdtWriter, p: &DtParams) -> Result<()> {
    fdt.property_u32("interrupt-parent", gic_phandle(p.cpus))?;
    fdt.property_string("model", "linux,dummy-virt")?;
    fdt.property_u32("#size-cells", 2)?;
    fdt.property_u32("#address-cells", 2)?;
    fdt.property_string("compatible", "linux,dummy-virt")
}

/// bindings/arm/psci.yaml: PSCI 1.0 called with HVC (the guest runs at EL1).
fn psci(fdt: &mut FdtWriter) -> Result<()> {
    let node = fdt.begin_node("psci")?;
    fdt.property_u32("migrate", psci_fn::MIGRATE_64)?;
    fdt.property_u32("cpu_on", psci_fn::CPU_ON_64)?;
    fdt.property_u32("cpu_off", psci_fn::CPU_OFF)?;
    fdt.property_u32("cpu_suspend", psci_fn::CPU_SUSPEND_64)?;
    fdt.property_string("method", "hvc")?;
    fdt.property_string_list(
        "compatible",
        strings(&["arm,psci-1.0", "arm,psci-0.2", "arm,psci"]),
    )?;
    fdt.end_node(node)
}

/// Devicetree Specification §3.4 "/memory node".
fn memory(fdt: &mut FdtWriter, ram: Region) -> Result<()> {
    let node = fdt.begin_node(&format!("memory@{:x}", ram.base))?;
    fdt.property_array_u64("reg", &reg(&[ram]))?;
    fdt.property_string("device_type", "memory")?;
    fdt.end_node(node)
}

/// bindings/virtio/mmio.yaml: one transport, edge-triggered as QEMU wires it.
fn virtio_mmio(fdt: &mut FdtWriter, n: u32) -> Result<()> {
    let region = memmap::virtio_mmio(n);
    let node = fdt.begin_node(&format!("virtio_mmio@{:x}", region.base))?;
    fdt.property_null("dma-coherent")?;
    let irq = spi_irq(spi::VIRTIO_MMIO_FIRST + n, IRQ_TYPE_EDGE_RISING);
    fdt.property_array_u32("interrupts", &irq)?;
    fdt.property_array_u64("reg", &reg(&[region]))?;
    fdt.property_string("compatible", "virtio,mmio")?;
    fdt.end_node(node)
}

/// bindings/input/gpio-keys.yaml: QEMU's power button, a key on the PL061's line 3.
fn gpio_keys(fdt: &mut FdtWriter, cpus: u32) -> Result<()> {
    let node = fdt.begin_node("gpio-keys")?;
    fdt.property_string("compatible", "gpio-keys")?;
    let key = fdt.begin_node("poweroff")?;
    let gpios = [pl061_phandle(cpus), POWER_BUTTON_LINE, GPIO_ACTIVE_HIGH];
    fdt.property_array_u32("gpios", &gpios)?;
    fdt.property_u32("linux,code", KEY_POWER)?;
    fdt.property_string("label", "GPIO Key Poweroff")?;
    close(fdt, [key, node])
}

/// bindings/gpio/pl061-gpio.yaml (a PrimeCell): two-cell GPIO specifiers (line, flags).
fn pl061(fdt: &mut FdtWriter, cpus: u32) -> Result<()> {
    let node = fdt.begin_node(&format!("pl061@{:x}", memmap::GPIO.base))?;
    fdt.property_phandle(pl061_phandle(cpus))?;
    fdt.property_string("clock-names", "apb_pclk")?;
    fdt.property_u32("clocks", PHANDLE_CLOCK)?;
    fdt.property_array_u32("interrupts", &spi_irq(spi::GPIO, IRQ_TYPE_LEVEL_HIGH))?;
    fdt.property_null("gpio-controller")?;
    fdt.property_u32("#gpio-cells", 2)?;
    fdt.property_string_list("compatible", strings(&["arm,pl061", "arm,primecell"]))?;
    fdt.property_array_u64("reg", &reg(&[memmap::GPIO]))?;
    fdt.end_node(node)
}

/// bindings/rtc/arm,pl031.yaml (a PrimeCell, bindings/arm/primecell.yaml).
fn pl031(fdt: &mut FdtWriter) -> Result<()> {
    let node = fdt.begin_node(&format!("pl031@{:x}", memmap::RTC.base))?;
    fdt.property_string("clock-names", "apb_pclk")?;
    fdt.property_u32("clocks", PHANDLE_CLOCK)?;
    fdt.property_array_u32("interrupts", &spi_irq(spi::RTC, IRQ_TYPE_LEVEL_HIGH))?;
    fdt.property_array_u64("reg", &reg(&[memmap::RTC]))?;
    fdt.property_string_list("compatible", strings(&["arm,pl031", "arm,primecell"]))?;
    fdt.end_node(node)
}

/// bindings/serial/arm,pl011.yaml: both the UART clock and the APB clock are the 24 MHz
/// fixed clock (Linux will not probe the PL011 without clocks, QEMU notes).
fn pl011(fdt: &mut FdtWriter) -> Result<()> {
    let node = fdt.begin_node(&UART0_PATH[1..])?;
    fdt.property_string_list("clock-names", strings(&["uartclk", "apb_pclk"]))?;
    fdt.property_array_u32("clocks", &[PHANDLE_CLOCK, PHANDLE_CLOCK])?;
    fdt.property_array_u32("interrupts", &spi_irq(spi::UART0, IRQ_TYPE_LEVEL_HIGH))?;
    fdt.property_array_u64("reg", &reg(&[memmap::UART0]))?;
    fdt.property_string_list("compatible", strings(&["arm,pl011", "arm,primecell"]))?;
    fdt.end_node(node)
}

/// bindings/interrupt-controller/arm,gic.yaml: a GICv2 ("arm,cortex-a15-gic") with its
/// distributor and CPU interface; no virtualization extensions, no v2m frame.
fn gic(fdt: &mut FdtWriter, cpus: u32) -> Result<()> {
    let node = fdt.begin_node(&format!("intc@{:x}", memmap::GIC_DIST.base))?;
    fdt.property_phandle(gic_phandle(cpus))?;
    fdt.property_array_u64("reg", &reg(&[memmap::GIC_DIST, memmap::GIC_CPU]))?;
    fdt.property_string("compatible", "arm,cortex-a15-gic")?;
    interrupt_controller(fdt)?;
    fdt.end_node(node)
}

/// bindings/interrupt-controller/arm,gic-v3.yaml: the distributor and one redistributor
/// region, as QEMU's `gic-version=3` without an ITS or virtualization.
fn gic_v3(fdt: &mut FdtWriter, cpus: u32) -> Result<()> {
    let node = fdt.begin_node(&format!("intc@{:x}", memmap::GIC_DIST.base))?;
    fdt.property_phandle(gic_phandle(cpus))?;
    fdt.property_array_u64("reg", &reg(&[memmap::GIC_DIST, memmap::GIC_REDIST]))?;
    fdt.property_u32("#redistributor-regions", 1)?;
    fdt.property_string("compatible", "arm,gic-v3")?;
    interrupt_controller(fdt)?;
    fdt.end_node(node)
}

/// What both GIC bindings ask of the node after its frames: an empty `ranges` over
/// 64-bit child addresses (for a v2m frame or an ITS, which QEMU's virt may add), and
/// three-cell interrupt specifiers (type, number, flags).
fn interrupt_controller(fdt: &mut FdtWriter) -> Result<()> {
    fdt.property_null("ranges")?;
    fdt.property_u32("#size-cells", 2)?;
    fdt.property_u32("#address-cells", 2)?;
    fdt.property_null("interrupt-controller")?;
    fdt.property_u32("#interrupt-cells", 3)
}

/// bindings/arm/cpus.yaml, and bindings/cpu/cpu-topology.txt for cpu-map: QEMU's default
/// topology for `-smp N` is one socket, one cluster, N cores.
fn cpus(fdt: &mut FdtWriter, n: u32, compatible: &str) -> Result<()> {
    let node = fdt.begin_node("cpus")?;
    fdt.property_u32("#size-cells", 0)?;
    fdt.property_u32("#address-cells", 1)?;
    cpu_map(fdt, n)?;
    for i in 0..n {
        cpu(fdt, i, n, compatible)?;
    }
    fdt.end_node(node)
}

fn cpu_map(fdt: &mut FdtWriter, n: u32) -> Result<()> {
    let map = fdt.begin_node("cpu-map")?;
    let socket = fdt.begin_node("socket0")?;
    let cluster = fdt.begin_node("cluster0")?;
    for i in 0..n {
        let core = fdt.begin_node(&format!("core{i}"))?;
        fdt.property_u32("cpu", cpu_phandle(i, n))?;
        fdt.end_node(core)?;
    }
    close(fdt, [cluster, socket, map])
}

fn close<const N: usize>(fdt: &mut FdtWriter, nodes: [FdtWriterNode; N]) -> Result<()> {
    nodes.into_iter().try_for_each(|n| fdt.end_node(n))
}

/// One core of the `-cpu` model (`compatible`); `reg` is its MPIDR affinity. QEMU names
/// PSCI as the enable method only when there are secondaries to enable.
fn cpu(fdt: &mut FdtWriter, i: u32, n: u32, compatible: &str) -> Result<()> {
    let node = fdt.begin_node(&format!("cpu@{i}"))?;
    fdt.property_phandle(cpu_phandle(i, n))?;
    fdt.property_u32("reg", memmap::mpidr_affinity(i) as u32)?;
    if n > 1 {
        fdt.property_string("enable-method", "psci")?;
    }
    fdt.property_string("compatible", compatible)?;
    fdt.property_string("device_type", "cpu")?;
    fdt.end_node(node)
}

/// bindings/timer/arm,arch_timer.yaml: secure, non-secure, virtual and hypervisor
/// physical timer PPIs, level-triggered (QEMU machines after virt-2.8).
fn timer(fdt: &mut FdtWriter, cpus: u32, gic: GicVersion) -> Result<()> {
    let node = fdt.begin_node("timer")?;
    let flags = ppi_flags(cpus, gic);
    let ppis = [
        ppi::TIMER_SEC_EL1,
        ppi::TIMER_NS_EL1,
        ppi::TIMER_VIRT,
        ppi::TIMER_NS_EL2,
    ];
    let cells: Vec<u32> = ppis
        .iter()
        .flat_map(|&p| [GIC_FDT_IRQ_TYPE_PPI, p, flags])
        .collect();
    fdt.property_array_u32("interrupts", &cells)?;
    fdt.property_null("always-on")?;
    fdt.property_string_list(
        "compatible",
        strings(&["arm,armv8-timer", "arm,armv7-timer"]),
    )?;
    fdt.end_node(node)
}

/// bindings/clock/fixed-clock.yaml.
fn apb_clock(fdt: &mut FdtWriter) -> Result<()> {
    let node = fdt.begin_node("apb-pclk")?;
    fdt.property_phandle(PHANDLE_CLOCK)?;
    fdt.property_string("clock-output-names", "clk24mhz")?;
    fdt.property_u32("clock-frequency", APB_CLOCK_HZ)?;
    fdt.property_u32("#clock-cells", 0)?;
    fdt.property_string("compatible", "fixed-clock")?;
    fdt.end_node(node)
}

/// Devicetree Specification §3.6 "/chosen"; bindings/chosen.txt for kaslr-seed, rng-seed
/// and linux,initrd-*. Cells of the initrd addresses follow the root's #address-cells.
fn chosen(fdt: &mut FdtWriter, p: &DtParams) -> Result<()> {
    let node = fdt.begin_node("chosen")?;
    if let Some((start, end)) = p.initrd {
        fdt.property_u64("linux,initrd-end", end)?;
        fdt.property_u64("linux,initrd-start", start)?;
    }
    if let Some(args) = p.bootargs.as_deref().filter(|a| !a.is_empty()) {
        fdt.property_string("bootargs", args)?;
    }
    fdt.property_string("stdout-path", UART0_PATH)?;
    let (kaslr, rng) = seeds(p.seed);
    fdt.property("rng-seed", &rng)?;
    fdt.property_u64("kaslr-seed", kaslr)?;
    fdt.end_node(node)
}

/// Bytes of /chosen/rng-seed (QEMU's size).
pub const RNG_SEED_BYTES: usize = 32;

/// kaslr-seed and rng-seed from `seed`, by SplitMix64 (Steele, Lea, Flood, "Fast
/// splittable pseudorandom number generators", 2014): well mixed and reproducible.
pub fn seeds(seed: u64) -> (u64, [u8; RNG_SEED_BYTES]) {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let kaslr = next();
    let mut rng = [0u8; RNG_SEED_BYTES];
    for chunk in rng.chunks_mut(8) {
        chunk.copy_from_slice(&next().to_be_bytes());
    }
    (kaslr, rng)
}

#[cfg(test)]
#[path = "fdt_tests.rs"]
mod tests;
