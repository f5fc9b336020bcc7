//! Stand-ins at the addresses of devices the device tree lists but armvirt does not model
//! yet, so a guest probing them finds what QEMU shows when the device is idle rather than
//! an external abort.
//!
//! - [`EmptyVirtioMmio`]: a virtio-mmio transport with no backend. QEMU answers the magic
//!   value, the version and the vendor ID, and zero for everything else (device ID 0
//!   means "no device": Linux's virtio_mmio driver skips it quietly); writes are ignored
//!   (QEMU `hw/virtio/virtio-mmio.c`, `virtio_mmio_read` without `vdev`).

use armvirt_devices::{DeviceError, MmioDevice};

/// Virtio over MMIO register offsets (virtio 1.2, §4.2.2 "MMIO Device Register Layout").
pub const VIRTIO_MMIO_MAGIC_VALUE: u64 = 0x000;
pub const VIRTIO_MMIO_VERSION: u64 = 0x004;
pub const VIRTIO_MMIO_DEVICE_ID: u64 = 0x008;
pub const VIRTIO_MMIO_VENDOR_ID: u64 = 0x00c;
/// "virt", little-endian.
pub const VIRTIO_MMIO_MAGIC: u64 = 0x7472_6976;
/// QEMU's transports are legacy (version 1) unless `force-legacy=false`.
pub const VIRTIO_MMIO_LEGACY_VERSION: u64 = 1;
/// "QEMU", little-endian: QEMU's VIRT_VENDOR.
pub const VIRTIO_MMIO_VENDOR_QEMU: u64 = 0x554d_4551;

/// A virtio-mmio slot with nothing plugged in.
#[derive(Debug, Default)]
pub struct EmptyVirtioMmio;

impl MmioDevice for EmptyVirtioMmio {
    fn name(&self) -> &'static str {
        "virtio-mmio (empty)"
    }

    fn read(&mut self, offset: u64, _size: u8) -> Result<u64, DeviceError> {
        Ok(match offset {
            VIRTIO_MMIO_MAGIC_VALUE => VIRTIO_MMIO_MAGIC,
            VIRTIO_MMIO_VERSION => VIRTIO_MMIO_LEGACY_VERSION,
            VIRTIO_MMIO_VENDOR_ID => VIRTIO_MMIO_VENDOR_QEMU,
            _ => 0, // VIRTIO_MMIO_DEVICE_ID among them: 0, no device
        })
    }

    fn write(&mut self, _offset: u64, _size: u8, _value: u64) -> Result<(), DeviceError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_virtio_slot_identifies_as_no_device() {
        let mut d = EmptyVirtioMmio;
        assert_eq!(
            d.read(VIRTIO_MMIO_MAGIC_VALUE, 4),
            Ok(u32::from_le_bytes(*b"virt") as u64)
        );
        assert_eq!(d.read(VIRTIO_MMIO_VERSION, 4), Ok(1));
        assert_eq!(d.read(VIRTIO_MMIO_DEVICE_ID, 4), Ok(0));
        assert_eq!(
            d.read(VIRTIO_MMIO_VENDOR_ID, 4),
            Ok(u32::from_le_bytes(*b"QEMU") as u64)
        );
        assert_eq!(d.write(0x70, 4, 0xf), Ok(())); // Status: ignored
        assert_eq!(d.read(0x70, 4), Ok(0));
    }
}
