//! MMIO devices of armvirt's virt machine. Every device is a plain state machine behind
//! [`MmioDevice`]: no threads, no file descriptors; the machine wires its interrupt line,
//! its output and its input.

pub mod pl011;

use std::fmt;

/// An access a device refuses: an offset it does not decode, or a width it does not
/// support. The bus logs it (QEMU's `guest_errors`) and the CPU sees an external abort
/// or, for reads the hardware defines as RAZ, the device answers 0 itself.
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
                write!(f, "{}-byte access to offset {:#x} is not supported", size, offset)
            }
        }
    }
}

/// A memory-mapped device. `offset` is relative to the device's base; `size` is 1, 2, 4
/// or 8 bytes; values are right-aligned.
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
