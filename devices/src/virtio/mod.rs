//! Virtio devices (virtio 1.2, OASIS) behind the virtio-mmio transport ([`mmio`]).
//!
//! A device type implements [`Device`]: its ID, feature bits, queue sizes and
//! configuration space, and what it does when the driver notifies a queue. The transport
//! ([`mmio::VirtioMmio`]) owns the register protocol, the feature negotiation, the split
//! virtqueues (rust-vmm's `virtio-queue`), the interrupt line and the device's error state;
//! a device sees its queues only through [`Queues`], which hands it validated descriptor
//! chains and records every guest byte it writes (so the machine can keep its decoded-code
//! cache coherent with device writes, as DMA on hardware is coherent with the data cache).
//!
//! Timing: nothing here runs on a host thread. The machine calls
//! [`mmio::VirtioMmio::service`] at the scheduler's round boundaries, so a request
//! completes at a fixed point of virtual time and a run repeats exactly.

pub mod blk;
pub mod console;
pub mod mmio;
pub mod net;
pub mod rng;

use std::fmt;

use virtio_queue::{Queue, QueueOwnedT, QueueT};
use vm_memory::{Bytes, GuestAddress, GuestMemory, Permissions};

/// Guest RAM as devices see it (vm-memory's mmap-backed memory; the machine builds one
/// over its RAM mapping).
pub type GuestMem = vm_memory::GuestMemoryMmap<()>;

/// Device IDs (virtio 1.2 §5).
pub const ID_NET: u32 = 1;
pub const ID_BLOCK: u32 = 2;
pub const ID_CONSOLE: u32 = 3;
pub const ID_RNG: u32 = 4;

/// VIRTIO_F_VERSION_1 (§6): the transport always offers it and requires it.
pub const F_VERSION_1: u64 = 1 << virtio_bindings::virtio_config::VIRTIO_F_VERSION_1;

/// The driver's "no interrupt, please" flag in the available ring (§2.7.6).
const VRING_AVAIL_F_NO_INTERRUPT: u16 = 1;

/// The most bytes one descriptor chain may describe. The spec's bound is 2^32 (§2.7.5.2);
/// no request of our devices comes near this one, so a longer chain is a broken driver.
pub const MAX_CHAIN_BYTES: u64 = 64 << 20;

/// One buffer of a descriptor chain: `len` bytes of guest RAM at `addr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub addr: u64,
    pub len: u32,
}

/// A validated descriptor chain: its head index (for the used ring), then its
/// device-readable buffers followed by its device-writable ones, each wholly in RAM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    pub head: u16,
    pub readable: Vec<Segment>,
    pub writable: Vec<Segment>,
}

impl Chain {
    pub fn readable_len(&self) -> u64 {
        self.readable.iter().map(|s| s.len as u64).sum()
    }

    pub fn writable_len(&self) -> u64 {
        self.writable.iter().map(|s| s.len as u64).sum()
    }
}

/// Why a queue is unusable: the driver broke the virtqueue rules (§2.7). The transport
/// answers with DEVICE_NEEDS_RESET and a configuration change interrupt (§2.1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The rings do not lie in RAM, or the driver notified a queue it never made ready.
    BadRing { queue: usize },
    /// The available index ran more than a queue's length ahead of the device.
    BadAvailIndex { queue: usize },
    /// A chain that loops, names a descriptor past the table, or cannot be read.
    BadChain { queue: usize, head: u16 },
    /// A buffer outside RAM.
    OutOfRam {
        queue: usize,
        head: u16,
        addr: u64,
        len: u32,
    },
    /// A device-readable buffer after a device-writable one (§2.7.4.2).
    Order { queue: usize, head: u16 },
    /// More than [`MAX_CHAIN_BYTES`] in one chain.
    TooLong { queue: usize, head: u16, bytes: u64 },
    /// A request the device type cannot parse (a block request without its header).
    BadRequest {
        queue: usize,
        head: u16,
        why: &'static str,
    },
    /// A used-ring entry that could not be written.
    BadUsed { queue: usize, head: u16 },
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::BadRing { queue } => write!(f, "queue {queue}: rings not ready or not in RAM"),
            Fault::BadAvailIndex { queue } => {
                write!(
                    f,
                    "queue {queue}: available index more than the queue size ahead"
                )
            }
            Fault::BadChain { queue, head } => write!(
                f,
                "queue {queue}: descriptor chain at {head} loops or leaves the table"
            ),
            Fault::OutOfRam {
                queue,
                head,
                addr,
                len,
            } => write!(
                f,
                "queue {queue}: chain at {head} has {len:#x} bytes at {addr:#x}, outside RAM"
            ),
            Fault::Order { queue, head } => write!(
                f,
                "queue {queue}: chain at {head} has a readable buffer after a writable one"
            ),
            Fault::TooLong { queue, head, bytes } => {
                write!(
                    f,
                    "queue {queue}: chain at {head} describes {bytes:#x} bytes"
                )
            }
            Fault::BadRequest { queue, head, why } => {
                write!(f, "queue {queue}: request at {head}: {why}")
            }
            Fault::BadUsed { queue, head } => {
                write!(
                    f,
                    "queue {queue}: cannot return chain {head} to the used ring"
                )
            }
        }
    }
}

/// A virtio device type, as the transport drives it. Plain state: no threads; a backend
/// with host I/O (a disk file, a socket) is handed in by the machine.
pub trait Device: Send {
    /// For logs: "virtio-blk".
    fn name(&self) -> &'static str;
    /// The virtio device ID (§5): [`ID_BLOCK`], ...
    fn device_id(&self) -> u32;
    /// Device-type feature bits offered (the transport adds [`F_VERSION_1`]).
    fn features(&self) -> u64;
    /// Each queue's maximum size (powers of two); the length is the number of queues.
    fn queue_max_sizes(&self) -> &[u16];
    /// Reads configuration space at `offset`; bytes past its end read as zero.
    fn read_config(&self, offset: u64, data: &mut [u8]);
    /// A driver write to configuration space (most fields are read-only: ignored).
    fn write_config(&mut self, _offset: u64, _data: &[u8]) {}
    /// The driver set DRIVER_OK with these negotiated features.
    fn activate(&mut self, _features: u64) {}
    /// The driver reset the device (Status 0): back to the state before activation.
    fn reset(&mut self) {}
    /// The device's own state beyond its queues, for a machine snapshot (empty when
    /// it has none the guest can observe).
    fn save(&self) -> Vec<u8> {
        Vec::new()
    }
    /// Loads what [`Device::save`] gave.
    fn restore(&mut self, _state: &[u8]) {}
    /// The driver notified `queue` (QueueNotify): take its available chains.
    fn notify(&mut self, queue: usize, queues: &mut Queues) -> Result<(), Fault>;
    /// Called at every service point of an active device, after notifications: work that
    /// arrives from the host side (received packets, console input).
    fn poll(&mut self, _queues: &mut Queues) -> Result<(), Fault> {
        Ok(())
    }
}

/// A device's access to its queues and guest memory while the transport services it.
pub struct Queues<'a> {
    pub(crate) mem: &'a GuestMem,
    pub(crate) queues: &'a mut [Queue],
    /// Set when a used buffer should interrupt the driver.
    pub(crate) notify: &'a mut bool,
    /// Guest ranges written, for the machine's code-cache coherence.
    pub(crate) written: &'a mut Vec<(u64, u64)>,
}

impl Queues<'_> {
    /// Whether the driver made `queue` ready.
    pub fn ready(&self, queue: usize) -> bool {
        self.queues.get(queue).is_some_and(|q| q.ready())
    }

    /// The next available chain of `queue`, validated; `None` when the driver offered
    /// nothing more.
    pub fn pop(&mut self, queue: usize) -> Result<Option<Chain>, Fault> {
        let mem = self.mem;
        let Some(q) = self.queues.get_mut(queue) else {
            return Err(Fault::BadRing { queue });
        };
        if !q.is_valid(mem) {
            return Err(Fault::BadRing { queue });
        }
        let mut avail = q.iter(mem).map_err(|_| Fault::BadAvailIndex { queue })?;
        let Some(descs) = avail.next() else {
            return Ok(None);
        };
        let head = descs.head_index();
        let mut chain = Chain {
            head,
            readable: Vec::new(),
            writable: Vec::new(),
        };
        let mut bytes = 0u64;
        // virtio-queue ends the walk quietly at a loop (its TTL), an index past the table
        // or an unreadable descriptor: a chain whose last descriptor still says NEXT was
        // cut short by one of those.
        let mut last_has_next = true;
        for d in descs {
            last_has_next = d.has_next();
            let (addr, len) = (d.addr().0, d.len());
            let access = if d.is_write_only() {
                Permissions::Write
            } else {
                Permissions::Read
            };
            if len != 0 && !mem.check_range(GuestAddress(addr), len as usize, access) {
                return Err(Fault::OutOfRam {
                    queue,
                    head,
                    addr,
                    len,
                });
            }
            bytes += len as u64;
            if bytes > MAX_CHAIN_BYTES {
                return Err(Fault::TooLong { queue, head, bytes });
            }
            let seg = Segment { addr, len };
            if d.is_write_only() {
                chain.writable.push(seg);
            } else if chain.writable.is_empty() {
                chain.readable.push(seg);
            } else {
                return Err(Fault::Order { queue, head });
            }
        }
        if last_has_next {
            return Err(Fault::BadChain { queue, head });
        }
        Ok(Some(chain))
    }

    /// Copies the chain's readable bytes from `offset` into `buf`; returns how many.
    pub fn read(&self, chain: &Chain, offset: u64, buf: &mut [u8]) -> usize {
        let mut done = 0;
        for (addr, n) in spans(&chain.readable, offset, buf.len()) {
            // In RAM: `pop` checked every segment.
            if self
                .mem
                .read_slice(&mut buf[done..done + n], GuestAddress(addr))
                .is_err()
            {
                break;
            }
            done += n;
        }
        done
    }

    /// Copies `data` into the chain's writable bytes from `offset`; returns how many fit.
    pub fn write(&mut self, chain: &Chain, offset: u64, data: &[u8]) -> usize {
        let mut done = 0;
        for (addr, n) in spans(&chain.writable, offset, data.len()) {
            if self
                .mem
                .write_slice(&data[done..done + n], GuestAddress(addr))
                .is_err()
            {
                break;
            }
            self.written.push((addr, n as u64));
            done += n;
        }
        done
    }

    /// Returns `chain` to the driver with `len` bytes written, interrupting it unless
    /// it asked not to be (VRING_AVAIL_F_NO_INTERRUPT).
    pub fn add_used(&mut self, queue: usize, chain: &Chain, len: u32) -> Result<(), Fault> {
        let mem = self.mem;
        let head = chain.head;
        let q = self
            .queues
            .get_mut(queue)
            .ok_or(Fault::BadUsed { queue, head })?;
        q.add_used(mem, head, len)
            .map_err(|_| Fault::BadUsed { queue, head })?;
        let used = q.used_ring();
        // The used ring: flags, idx, the elements and used_event.
        self.written.push((used, 6 + 8 * q.size() as u64));
        // virtio-queue leaves VRING_AVAIL_F_NO_INTERRUPT to us (§2.7.7.2: without
        // EVENT_IDX the device SHOULD NOT interrupt while the driver's flags say so).
        let flags: u16 = mem
            .read_obj(GuestAddress(q.avail_ring()))
            .map(u16::from_le)
            .unwrap_or(0);
        if flags & VRING_AVAIL_F_NO_INTERRUPT == 0 && q.needs_notification(mem).unwrap_or(true) {
            *self.notify = true;
        }
        Ok(())
    }
}

/// The (address, length) pieces of `segs` covering `len` bytes from byte `offset`.
fn spans(segs: &[Segment], mut offset: u64, mut len: usize) -> Vec<(u64, usize)> {
    let mut out = Vec::new();
    for s in segs {
        if len == 0 {
            break;
        }
        let slen = s.len as u64;
        if offset >= slen {
            offset -= slen;
            continue;
        }
        let n = ((slen - offset) as usize).min(len);
        out.push((s.addr + offset, n));
        offset = 0;
        len -= n;
    }
    out
}

/// Copies the little-endian image of a configuration structure to a driver's read at
/// `offset` (bytes past its end read as zero, as QEMU's config reads do).
pub fn read_config_bytes(image: &[u8], offset: u64, data: &mut [u8]) {
    for (i, b) in data.iter_mut().enumerate() {
        *b = usize::try_from(offset)
            .ok()
            .and_then(|o| o.checked_add(i))
            .and_then(|o| image.get(o))
            .copied()
            .unwrap_or(0);
    }
}

#[cfg(test)]
pub(crate) mod test_driver;
