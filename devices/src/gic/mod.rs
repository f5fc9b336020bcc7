//! The Arm Generic Interrupt Controller of QEMU's virt machine, in either of the versions
//! `-M virt,gic-version=` offers:
//! - [`v2`]: GICv2 as QEMU's `arm_gic` (GIC architecture specification v2, ARM IHI 0048B):
//!   a distributor and a memory-mapped CPU interface, no Security Extensions;
//! - [`v3`]: GICv3 as QEMU's `arm_gicv3` (GIC architecture specification v3/v4, ARM IHI
//!   0069): a distributor, one redistributor per CPU, and the CPU interface as the ICC_*
//!   system registers; a single Security state (GICD_CTLR.DS = 1), no LPIs or ITS.
//!
//! What the two versions share lives here: interrupt numbering, the life cycle of one
//! interrupt (`irq`), the CPU interface's priority logic (`priority`), register frames
//! as tables (`regs`) and the handle through which the machine and the devices reach a
//! GIC (`shared`).
//!
//! How the machine uses a GIC (either version; see [`v2::GicV2`] and [`v3::GicV3`]):
//! - create it for `n` vCPUs and map its register frames (each an [`crate::MmioDevice`]);
//! - give each device an [`SpiLine`] for its SPI, drive per-CPU lines (the timer's PPIs)
//!   with `set_ppi`;
//! - `connect_cpu(i, cpu.lines.clone())` each vCPU's interrupt inputs, which the GIC then
//!   drives at every change (or poll: `take_changed()`, then `cpu_lines(i)`).

pub mod v2;
pub mod v3;

mod dist_common;
mod irq;
mod priority;
mod regs;
mod shared;

pub use shared::{Gic, SpiLine};

/// Software Generated Interrupts are INTIDs 0–15 (IHI 0048B §2.2.1, "Interrupt IDs";
/// IHI 0069 §2.2, "INTIDs").
pub const SGI_COUNT: u32 = 16;
/// Private Peripheral Interrupts are INTIDs 16–31: PPI n is INTID 16 + n.
pub const PPI_BASE: u32 = 16;
pub const PPI_COUNT: u32 = 16;
/// Shared Peripheral Interrupts start at INTID 32: SPI n (the device tree's number) is
/// INTID 32 + n.
pub const SPI_BASE: u32 = 32;
/// Interrupts private to each CPU (SGIs and PPIs).
pub const PRIVATE_COUNT: u32 = 32;
/// QEMU's virt machine gives its GIC 256 SPIs (`NUM_IRQS` in hw/arm/virt.c) ...
pub const NUM_SPIS: u32 = 256;
/// ... so 288 INTIDs in all, and GICD_TYPER.ITLinesNumber = 288 / 32 - 1 = 8.
pub const NUM_IRQS: u32 = SPI_BASE + NUM_SPIS;

/// The INTID an acknowledge returns when there is nothing to acknowledge (IHI 0048B §3.2,
/// "Special interrupt numbers"; IHI 0069 §2.2.1, "Special INTIDs").
pub const INTID_SPURIOUS: u32 = 1023;
/// GICv2: the highest priority pending interrupt is Group 1 and GICC_CTLR.AckCtl forbids
/// acknowledging it through GICC_IAR (IHI 0048B §3.2, "Special interrupt numbers").
pub const INTID_GROUP1_PENDING: u32 = 1022;

/// The CPU interface identification value QEMU reports for ARM's GICs: JEP106 code 0x43B
/// (ARM) in GICC_IIDR/GICD_IIDR bits `[11:0]`.
pub const IIDR_ARM: u32 = 0x43b;
