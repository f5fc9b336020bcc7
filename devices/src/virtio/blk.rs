//! virtio-blk (virtio 1.2 §5.2): one request queue over a [`BlockBackend`] (a raw image;
//! the machine provides the file, or a snapshot overlay over it).
//!
//! Requests are carried out synchronously at the transport's service point, so each one
//! completes at a fixed point of virtual time; the cost is that the vCPUs wait for the
//! host's file I/O (page-cache speed for a small image; a cold disk would stall them).

use std::io;

use super::{read_config_bytes, Chain, Device, Fault, Queues, ID_BLOCK};
use virtio_bindings::virtio_blk::*;

/// Sector size of the request protocol (§5.2.6), and the block size offered.
pub const SECTOR: u64 = 512;
/// The queue's size (QEMU's virtio-blk default).
pub const QUEUE_SIZE: u16 = 256;
/// Segments per request: QEMU's seg_max for a 256-entry queue (two for header/status).
pub const SEG_MAX: u32 = QUEUE_SIZE as u32 - 2;
/// Largest segment: Linux's default segment size, so a request is at most 16 MiB.
pub const SIZE_MAX: u32 = 64 << 10;

/// A disk's bytes, as the device reads and writes them.
pub trait BlockBackend: Send {
    /// The size in bytes.
    fn size(&self) -> u64;
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()>;
    /// Makes written data durable (VIRTIO_BLK_T_FLUSH).
    fn flush(&mut self) -> io::Result<()>;
    /// The guest's writes a snapshot overlay holds (QEMU's `snapshot=on`), for a machine
    /// snapshot; `None` for a backend without one. Chunks are shared: a copy is cheap.
    fn overlay(&self) -> Option<Overlay> {
        None
    }
    /// Puts back what [`BlockBackend::overlay`] gave.
    fn set_overlay(&mut self, _overlay: Overlay) {}
}

/// A snapshot overlay's chunks by index, each shared until written (copy on write).
pub type Overlay = std::collections::HashMap<u64, std::sync::Arc<Vec<u8>>>;

pub struct Blk {
    disk: Box<dyn BlockBackend>,
    readonly: bool,
    /// What VIRTIO_BLK_T_GET_ID answers (QEMU's `serial=`, empty unless given).
    serial: Vec<u8>,
    config: [u8; 36],
}

/// The request header (§5.2.6): type, reserved, sector.
const HEADER: usize = 16;

impl Blk {
    pub fn new(disk: Box<dyn BlockBackend>, readonly: bool) -> Self {
        let mut config = [0u8; 36];
        config[0..8].copy_from_slice(&(disk.size() / SECTOR).to_le_bytes());
        config[8..12].copy_from_slice(&SIZE_MAX.to_le_bytes());
        config[12..16].copy_from_slice(&SEG_MAX.to_le_bytes());
        config[20..24].copy_from_slice(&(SECTOR as u32).to_le_bytes());
        config[34..36].copy_from_slice(&1u16.to_le_bytes()); // num_queues
        Blk {
            disk,
            readonly,
            serial: Vec::new(),
            config,
        }
    }

    /// Sets the ID string GET_ID returns (at most 20 bytes are used).
    pub fn with_serial(mut self, serial: &str) -> Self {
        self.serial = serial.as_bytes().to_vec();
        self
    }

    /// Carries out one request; returns the bytes written to the driver and the status.
    fn request(&mut self, q: &mut Queues, chain: &Chain, queue: usize) -> Result<u32, Fault> {
        let bad = |why| Fault::BadRequest {
            queue,
            head: chain.head,
            why,
        };
        let mut header = [0u8; HEADER];
        if q.read(chain, 0, &mut header) < HEADER {
            return Err(bad("no request header"));
        }
        let status_at = match chain.writable_len() {
            0 => return Err(bad("no status byte")),
            n => n - 1,
        };
        let kind = u32::from_le_bytes(header[0..4].try_into().unwrap());
        let sector = u64::from_le_bytes(header[8..16].try_into().unwrap());
        let mut written = 0u32;
        let status = match kind {
            VIRTIO_BLK_T_IN => {
                let len = status_at;
                match self.range(sector, len) {
                    Some(offset) => {
                        let mut buf = vec![0u8; len as usize];
                        match self.disk.read_at(offset, &mut buf) {
                            Ok(()) => {
                                written = q.write(chain, 0, &buf) as u32;
                                VIRTIO_BLK_S_OK
                            }
                            Err(_) => VIRTIO_BLK_S_IOERR,
                        }
                    }
                    None => VIRTIO_BLK_S_IOERR,
                }
            }
            VIRTIO_BLK_T_OUT => {
                let len = chain.readable_len() - HEADER as u64;
                match self.range(sector, len) {
                    Some(_) if self.readonly => VIRTIO_BLK_S_IOERR,
                    Some(offset) => {
                        let mut buf = vec![0u8; len as usize];
                        q.read(chain, HEADER as u64, &mut buf);
                        match self.disk.write_at(offset, &buf) {
                            Ok(()) => VIRTIO_BLK_S_OK,
                            Err(_) => VIRTIO_BLK_S_IOERR,
                        }
                    }
                    None => VIRTIO_BLK_S_IOERR,
                }
            }
            VIRTIO_BLK_T_FLUSH => match self.disk.flush() {
                Ok(()) => VIRTIO_BLK_S_OK,
                Err(_) => VIRTIO_BLK_S_IOERR,
            },
            VIRTIO_BLK_T_GET_ID => {
                // The serial and its NUL if it fits, within the 20-byte field (QEMU's rule).
                let mut id = self.serial.clone();
                id.push(0);
                id.truncate((VIRTIO_BLK_ID_BYTES as u64).min(status_at) as usize);
                written = q.write(chain, 0, &id) as u32;
                VIRTIO_BLK_S_OK
            }
            _ => VIRTIO_BLK_S_UNSUPP,
        };
        q.write(chain, status_at, &[status as u8]);
        Ok(written + 1)
    }

    /// The byte offset of `len` bytes at `sector` when they are whole sectors on the disk.
    fn range(&self, sector: u64, len: u64) -> Option<u64> {
        let offset = sector.checked_mul(SECTOR)?;
        (len.is_multiple_of(SECTOR) && offset.checked_add(len)? <= self.disk.size())
            .then_some(offset)
    }
}

impl Device for Blk {
    fn name(&self) -> &'static str {
        "virtio-blk"
    }

    fn device_id(&self) -> u32 {
        ID_BLOCK
    }

    fn features(&self) -> u64 {
        let mut f = 1 << VIRTIO_BLK_F_SIZE_MAX
            | 1 << VIRTIO_BLK_F_SEG_MAX
            | 1 << VIRTIO_BLK_F_BLK_SIZE
            | 1 << VIRTIO_BLK_F_FLUSH;
        if self.readonly {
            f |= 1 << VIRTIO_BLK_F_RO;
        }
        f
    }

    fn queue_max_sizes(&self) -> &[u16] {
        &[QUEUE_SIZE]
    }

    fn read_config(&self, offset: u64, data: &mut [u8]) {
        read_config_bytes(&self.config, offset, data)
    }

    fn notify(&mut self, queue: usize, q: &mut Queues) -> Result<(), Fault> {
        while let Some(chain) = q.pop(queue)? {
            let len = self.request(q, &chain, queue)?;
            q.add_used(queue, &chain, len)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "blk_tests.rs"]
mod tests;
