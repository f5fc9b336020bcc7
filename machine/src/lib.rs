//! armvirt's QEMU-virt-style machine: the memory map, guest RAM, the MMIO bus, the kernel
//! loaders and boot stub, and the device tree.
//!
//! [`Machine::new`] builds a machine from a [`Config`]: RAM mapped, kernel, initrd and DTB
//! loaded where QEMU's `virt` would put them, vCPU 0's start in [`Machine::boot`].

pub mod boot;
pub mod bus;
pub mod config;
pub mod console;
pub mod debug;
pub mod disk;
pub mod dtb;
pub mod error;
pub mod fdt;
pub mod guest_watch;
pub mod history;
pub mod irqchip;
pub mod loader;
mod machine;
pub mod memmap;
pub mod monitor;
pub mod net;
pub mod options;
pub mod placeholder;
pub mod power_button;
pub mod psci;
pub mod ram;
pub mod record;
pub mod rtc;
pub mod run;
pub mod semihosting;
pub mod snapshot;
pub mod terminal;
#[cfg(test)]
mod test_rig;
pub mod vcpu;
pub mod virtio;

pub use armvirt_cpu::{WatchHit, WatchKind};
pub use boot::Boot;
pub use bus::MmioBus;
pub use config::Config;
pub use console::ConsoleInput;
pub use debug::{DebugRun, DebugStep, SysRegWrite, VcpuState, WalkStep};
pub use error::Error;
pub use history::Travel;
pub use loader::KernelFormat;
pub use machine::Machine;
pub use ram::GuestRam;
pub use run::{RunEnd, Stop};
