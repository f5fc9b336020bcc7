//! MMIO devices of armvirt's virt machine. Every device is a plain state machine behind
//! [`MmioDevice`]: no threads, no file descriptors; the machine wires its interrupt line,
//! its output and its input.

pub mod gic;
pub mod pl011;
pub mod pl031;
pub mod pl061;
mod primecell;
pub mod virtio;

use std::fmt;

/// An access a device refuses: an offset it does not decode, or a width it does not
/// support. The access itself had no effect on the device; what the bus does next is set
/// out on [`MmioDevice`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceError {
    BadOffset { offset: u64 },
    BadSize { offset: u64, size: u8 },
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceError::BadOffset { offset } => write!(f, "no register at offset {:#x}", offset),
            DeviceError::BadSize { offset, size } => {
                write!(
                    f,
                    "{}-byte access to offset {:#x} is not supported",
                    size, offset
                )
            }
        }
    }
}

impl std::error::Error for DeviceError {}

/// A memory-mapped device. `offset` is relative to the device's base; `size` is 1, 2, 4
/// or 8 bytes; values are right-aligned.
///
/// Errors, and what the bus does with them (QEMU's behaviour, which guests are written
/// against):
/// - [`DeviceError::BadOffset`]: a reserved offset, a read of a write-only register or a
///   write to a read-only one. The bus logs a guest error and completes the access as
///   RAZ/WI: the read returns 0, the write is dropped. (QEMU's device models log
///   `LOG_GUEST_ERROR` and do exactly this.)
/// - [`DeviceError::BadSize`]: a width the device's bus interface does not accept (an
///   8-byte access to a 32-bit APB peripheral, or an access straddling two registers).
///   The bus logs it and the CPU takes a synchronous external abort (QEMU's memory core
///   answers such an access with a decode error, which Arm CPUs turn into an abort).
pub trait MmioDevice: Send {
    /// A short name for logs ("pl011").
    fn name(&self) -> &'static str;
    fn read(&mut self, offset: u64, size: u8) -> Result<u64, DeviceError>;
    fn write(&mut self, offset: u64, size: u8, value: u64) -> Result<(), DeviceError>;
}

/// A level-sensitive interrupt line from a device to the interrupt controller.
pub trait IrqLine: Send {
    fn set_level(&mut self, high: bool);
}

/// A line connected to nothing (a device whose interrupt is unused).
pub struct NoIrq;

impl IrqLine for NoIrq {
    fn set_level(&mut self, _: bool) {}
}

/// Test doubles shared by the device tests: a recording interrupt line and a byte sink.
#[cfg(test)]
pub(crate) mod testing {
    use super::IrqLine;
    use std::io;
    use std::sync::{Arc, Mutex};

    /// Records every level driven onto the line, in order.
    #[derive(Clone, Default)]
    pub struct RecordingIrq(pub Arc<Mutex<Vec<bool>>>);

    impl RecordingIrq {
        pub fn levels(&self) -> Vec<bool> {
            self.0.lock().unwrap().clone()
        }

        /// The current level: the last one driven (low if never driven).
        pub fn level(&self) -> bool {
            self.levels().last().copied().unwrap_or(false)
        }
    }

    impl IrqLine for RecordingIrq {
        fn set_level(&mut self, high: bool) {
            self.0.lock().unwrap().push(high);
        }
    }

    /// A writer that appends to a shared buffer.
    #[derive(Clone, Default)]
    pub struct SharedBuf(pub Arc<Mutex<Vec<u8>>>);

    impl SharedBuf {
        pub fn contents(&self) -> Vec<u8> {
            self.0.lock().unwrap().clone()
        }
    }

    impl io::Write for SharedBuf {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
}
