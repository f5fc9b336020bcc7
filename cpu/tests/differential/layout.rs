//! Where things live, in the reference ELF and in TestCpu's RAM alike. Case code and the
//! scratch buffer sit at the same virtual addresses on both sides, so PC-relative results
//! (ADR, ADRP, BL's link, literal loads) and load/store addresses agree.

use armvirt_cpu::testing::{RAM_BASE, RAM_SIZE};

/// The ELF's one segment starts at TestCpu's RAM base; its headers occupy the first bytes.
pub const IMAGE_BASE: u64 = RAM_BASE;
/// TestCpu only: exception vectors whose every entry is an exit marker, so a case that
/// traps on our side is reported instead of running off.
pub const VECTORS: u64 = RAM_BASE + 0x800;
/// The scratch buffer that load/store cases address.
pub const BUF_ADDR: u64 = RAM_BASE + 0x1000;
pub const BUF_SIZE: usize = 512;
/// Case code (with the ELF's prologues and epilogues between cases) starts here...
pub const CODE_BASE: u64 = RAM_BASE + 0x2000;
/// ...and must end below this, so that our side can place every case at its ELF address
/// (and the end marker after it) inside TestCpu's RAM.
pub const CODE_LIMIT: u64 = RAM_BASE + RAM_SIZE as u64 - 0x1000;

/// Record layout, input and output alike: X0–X30, SP, NZCV, padding, then the buffer.
pub const REC_X: usize = 0;
pub const REC_SP: usize = 31 * 8;
pub const REC_NZCV: usize = 32 * 8;
/// 1 when the case ended in an UNDEFINED instruction (SIGILL on the reference side).
pub const REC_TRAP: usize = 33 * 8;
pub const REC_MEM: usize = 34 * 8;
