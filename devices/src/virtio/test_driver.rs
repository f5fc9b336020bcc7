//! A small virtio driver for the device tests: it brings a transport up through its
//! registers as Linux's virtio_mmio does (§3.1.1), lays split virtqueues out in a test
//! RAM, offers descriptor chains and reads the used rings back.

use super::mmio::{reg, status, VirtioMmio};
use super::{Device, GuestMem};
use crate::testing::RecordingIrq;
use crate::MmioDevice;
use vm_memory::{Bytes, GuestAddress};

pub const RAM_BASE: u64 = 0x4000_0000;
pub const RAM_SIZE: u64 = 0x10_0000;
/// Where the test driver puts queue `n`'s rings, and where its data buffers start.
const RINGS: u64 = RAM_BASE;
const RING_STRIDE: u64 = 0x1_0000;
pub const DATA: u64 = RAM_BASE + 0x8_0000;

pub const F_NEXT: u16 = 1;
pub const F_WRITE: u16 = 2;

pub fn ram() -> GuestMem {
    GuestMem::from_ranges(&[(GuestAddress(RAM_BASE), RAM_SIZE as usize)]).unwrap()
}

pub struct Driver {
    pub t: VirtioMmio,
    pub mem: GuestMem,
    pub irq: RecordingIrq,
    /// Per queue: size, next free descriptor, the avail index we published, the used
    /// index we have read up to.
    queues: Vec<(u16, u16, u16, u16)>,
    /// Every range the device reported written.
    pub written: Vec<(u64, u64)>,
}

impl Driver {
    pub fn new(dev: Box<dyn Device>) -> Self {
        let mem = ram();
        let irq = RecordingIrq::default();
        let t = VirtioMmio::new(dev, mem.clone(), Box::new(irq.clone()));
        Driver {
            t,
            mem,
            irq,
            queues: Vec::new(),
            written: Vec::new(),
        }
    }

    pub fn r(&mut self, off: u64) -> u32 {
        self.t.read(off, 4).unwrap() as u32
    }

    pub fn w(&mut self, off: u64, v: u32) {
        self.t.write(off, 4, v as u64).unwrap()
    }

    /// Reset, ACKNOWLEDGE, DRIVER, accept `features` (VERSION_1 is added), FEATURES_OK,
    /// then set up `nqueues` queues of `size` and DRIVER_OK. Panics if the device refuses.
    pub fn bring_up(&mut self, features: u64, nqueues: usize, size: u16) {
        self.w(reg::STATUS, 0);
        self.w(reg::STATUS, status::ACKNOWLEDGE);
        self.w(reg::STATUS, status::ACKNOWLEDGE | status::DRIVER);
        let features = features | super::F_VERSION_1;
        self.w(reg::DRIVER_FEATURES_SEL, 0);
        self.w(reg::DRIVER_FEATURES, features as u32);
        self.w(reg::DRIVER_FEATURES_SEL, 1);
        self.w(reg::DRIVER_FEATURES, (features >> 32) as u32);
        let s = status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK;
        self.w(reg::STATUS, s);
        assert_eq!(self.r(reg::STATUS), s, "device refused the features");
        self.queues.clear();
        for n in 0..nqueues {
            self.setup_queue(n as u32, size);
        }
        self.w(reg::STATUS, s | status::DRIVER_OK);
    }

    fn ring(n: usize) -> (u64, u64, u64) {
        let base = RINGS + n as u64 * RING_STRIDE;
        (base, base + 0x4000, base + 0x8000)
    }

    pub fn setup_queue(&mut self, n: u32, size: u16) {
        self.w(reg::QUEUE_SEL, n);
        assert!(self.r(reg::QUEUE_NUM_MAX) >= size as u32);
        self.w(reg::QUEUE_NUM, size as u32);
        let (desc, avail, used) = Self::ring(n as usize);
        // Fresh rings, as a driver allocates zeroed ones.
        self.mem
            .write_slice(&vec![0; RING_STRIDE as usize], GuestAddress(desc))
            .unwrap();
        for (lo, addr) in [
            (reg::QUEUE_DESC_LOW, desc),
            (reg::QUEUE_DRIVER_LOW, avail),
            (reg::QUEUE_DEVICE_LOW, used),
        ] {
            self.w(lo, addr as u32);
            self.w(lo + 4, (addr >> 32) as u32);
        }
        self.w(reg::QUEUE_READY, 1);
        while self.queues.len() <= n as usize {
            self.queues.push((0, 0, 0, 0));
        }
        self.queues[n as usize] = (size, 0, 0, 0);
    }

    /// Writes descriptor `i` of queue `q` as given.
    pub fn put_desc(&mut self, q: usize, i: u16, addr: u64, len: u32, flags: u16, next: u16) {
        let (desc, _, _) = Self::ring(q);
        let at = GuestAddress(desc + 16 * i as u64);
        let mut raw = [0u8; 16];
        raw[..8].copy_from_slice(&addr.to_le_bytes());
        raw[8..12].copy_from_slice(&len.to_le_bytes());
        raw[12..14].copy_from_slice(&flags.to_le_bytes());
        raw[14..].copy_from_slice(&next.to_le_bytes());
        self.mem.write_slice(&raw, at).unwrap();
    }

    /// Puts `head` in the available ring and publishes it (does not notify).
    pub fn publish(&mut self, q: usize, head: u16) {
        let (_, avail, _) = Self::ring(q);
        let (size, _, idx, _) = self.queues[q];
        let slot = GuestAddress(avail + 4 + 2 * (idx % size) as u64);
        self.mem.write_obj(head.to_le(), slot).unwrap();
        let idx = idx.wrapping_add(1);
        self.mem
            .write_obj(idx.to_le(), GuestAddress(avail + 2))
            .unwrap();
        self.queues[q].2 = idx;
    }

    /// Sets the avail ring's published index directly (to break it).
    pub fn set_avail_idx(&mut self, q: usize, idx: u16) {
        let (_, avail, _) = Self::ring(q);
        self.mem
            .write_obj(idx.to_le(), GuestAddress(avail + 2))
            .unwrap();
    }

    /// Offers a chain of buffers `(addr, len, device_writable)` on queue `q` using fresh
    /// descriptors; returns its head.
    pub fn offer(&mut self, q: usize, bufs: &[(u64, u32, bool)]) -> u16 {
        let (size, free, _, _) = self.queues[q];
        let head = free;
        for (k, &(addr, len, wr)) in bufs.iter().enumerate() {
            let i = (free + k as u16) % size;
            let last = k + 1 == bufs.len();
            let flags = if wr { F_WRITE } else { 0 } | if last { 0 } else { F_NEXT };
            self.put_desc(q, i, addr, len, flags, (i + 1) % size);
        }
        self.queues[q].1 = (free + bufs.len() as u16) % size;
        self.publish(q, head);
        head
    }

    /// QueueNotify, then the machine's service point.
    pub fn kick(&mut self, q: u32) {
        self.w(reg::QUEUE_NOTIFY, q);
        self.service();
    }

    pub fn service(&mut self) {
        let written = &mut self.written;
        self.t.service(&mut |a, l| written.push((a, l)));
    }

    /// Used entries (id, len) the device returned since the last call.
    pub fn used(&mut self, q: usize) -> Vec<(u32, u32)> {
        let (_, _, used) = Self::ring(q);
        let (size, _, _, seen) = self.queues[q];
        let idx: u16 = self.mem.read_obj(GuestAddress(used + 2)).unwrap();
        let mut out = Vec::new();
        let mut i = seen;
        while i != idx {
            let e = used + 4 + 8 * (i % size) as u64;
            let id: u32 = self.mem.read_obj(GuestAddress(e)).unwrap();
            let len: u32 = self.mem.read_obj(GuestAddress(e + 4)).unwrap();
            out.push((id, len));
            i = i.wrapping_add(1);
        }
        self.queues[q].3 = idx;
        out
    }

    pub fn read_mem(&self, addr: u64, len: usize) -> Vec<u8> {
        let mut v = vec![0; len];
        self.mem.read_slice(&mut v, GuestAddress(addr)).unwrap();
        v
    }

    pub fn write_mem(&self, addr: u64, data: &[u8]) {
        self.mem.write_slice(data, GuestAddress(addr)).unwrap();
    }

    /// Reads the InterruptStatus and acknowledges it, as the driver's handler does.
    pub fn ack(&mut self) -> u32 {
        let isr = self.r(reg::INTERRUPT_STATUS);
        self.w(reg::INTERRUPT_ACK, isr);
        isr
    }
}
