//! armvirt's cortex-A72 core: A64 decoding, the reference interpreter, system registers,
//! exceptions and memory access.
//!
//! The core knows nothing of devices or the machine: it reaches memory through
//! [`bus::RamRegion`] and the [`bus::Bus`] trait, and is told of interrupts through its
//! input lines. The machine drives it with [`cpu::Cpu::run`].

pub mod bus;
pub mod code_cache;
pub mod cpu;
pub mod decode;
pub mod event;
pub mod exception;
pub mod exec;
pub mod fp;
pub mod insn;
pub mod interp;
pub mod irq;
pub mod jit;
pub mod log;
pub mod mem;
pub mod mmu;
pub mod model;
pub mod monitor;
pub mod replay;
pub mod snapshot;
pub mod state;
pub mod sysreg;
pub mod testing;
pub mod timer;
pub mod watch;

pub use bus::{Bus, BusError, RamRegion};
pub use cpu::{Cpu, SemihostingMode};
pub use exec::{CodeCache, Exit, Flow};
pub use irq::IrqLines;
pub use jit::Engine;
pub use mem::{Access, Mem};
pub use mmu::TlbBroadcast;
pub use monitor::Monitors;
pub use watch::{WatchHit, WatchKind, Watchpoint};
