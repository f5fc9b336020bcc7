//! The GDB remote stub: gdbstub's protocol engine with gdbstub_arch's AArch64 registers,
//! over the machine's debug interface (`armvirt_machine::debug`).
//!
//! One file per protocol extension, as in gdbstub's own `examples/armv4t/gdb/`:
//! `registers.rs` and `memory.rs` (the base operations), `single_register.rs` (system
//! registers), `target_xml.rs`, `breakpoints.rs`, `watchpoints.rs`, `resume.rs` (continue
//! and single step), `reverse.rs` (reverse step and continue), `extended_mode.rs` (and kill), `monitor.rs` (`monitor` commands);
//! `event_loop.rs` runs the guest while gdb waits, `conn.rs` is the TCP or Unix socket (buffered), and
//! `server.rs` accepts connections and keeps the guest going between them. vCPUs are gdb's
//! threads (`target.rs`).
//!
//! Everything runs on the machine's thread: while the guest runs, the event loop checks
//! the socket between short slices of execution, so Ctrl-C is seen within a slice.

mod breakpoints;
mod conn;
mod event_loop;
mod extended_mode;
mod memory;
mod monitor;
mod registers;
mod resume;
mod reverse;
mod server;
mod single_register;
mod target;
mod target_xml;
mod watchpoints;

pub use conn::Listener;
pub use server::{serve, serve_on, Served};
pub use target::Settings;
