//! virtio-blk requests (§5.2.6) through the test driver, over an in-memory disk.

use super::*;
use crate::virtio::mmio::{reg, status};
use crate::virtio::test_driver::{Driver, DATA};
use crate::MmioDevice;
use std::sync::{Arc, Mutex};

/// A disk in a shared buffer, so the test can look at it after the device wrote it.
#[derive(Clone)]
struct MemDisk {
    bytes: Arc<Mutex<Vec<u8>>>,
    flushes: Arc<Mutex<u32>>,
    fail: bool,
}

impl MemDisk {
    fn new(sectors: usize) -> Self {
        let bytes = (0..sectors * 512)
            .map(|i| (i / 512) as u8 ^ i as u8)
            .collect();
        MemDisk {
            bytes: Arc::new(Mutex::new(bytes)),
            flushes: Arc::default(),
            fail: false,
        }
    }
    fn at(&self, off: usize, len: usize) -> Vec<u8> {
        self.bytes.lock().unwrap()[off..off + len].to_vec()
    }
}

impl BlockBackend for MemDisk {
    fn size(&self) -> u64 {
        self.bytes.lock().unwrap().len() as u64
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        if self.fail {
            return Err(io::Error::other("broken"));
        }
        let o = offset as usize;
        buf.copy_from_slice(&self.bytes.lock().unwrap()[o..o + buf.len()]);
        Ok(())
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        let o = offset as usize;
        self.bytes.lock().unwrap()[o..o + data.len()].copy_from_slice(data);
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        *self.flushes.lock().unwrap() += 1;
        Ok(())
    }
}

const HDR: u64 = DATA;
const BUF: u64 = DATA + 0x1000;
const STATUS: u64 = DATA + 0x800;

fn blk(disk: &MemDisk, readonly: bool) -> Driver {
    let mut d = Driver::new(Box::new(Blk::new(Box::new(disk.clone()), readonly)));
    d.bring_up(d_features(readonly), 1, 16);
    d
}

fn d_features(readonly: bool) -> u64 {
    let ro = if readonly { 1 << VIRTIO_BLK_F_RO } else { 0 };
    1 << VIRTIO_BLK_F_FLUSH | 1 << VIRTIO_BLK_F_SEG_MAX | ro
}

fn header(d: &Driver, kind: u32, sector: u64) {
    let mut h = [0u8; 16];
    h[0..4].copy_from_slice(&kind.to_le_bytes());
    h[8..16].copy_from_slice(&sector.to_le_bytes());
    d.write_mem(HDR, &h);
    d.write_mem(STATUS, &[0xff]);
}

/// Sends a request with `data` (device-readable when `out`, else device-writable) and
/// returns (used length, status byte).
fn request(d: &mut Driver, kind: u32, sector: u64, data: u32, out: bool) -> (u32, u8) {
    header(d, kind, sector);
    let mut bufs = vec![(HDR, 16, false)];
    if data > 0 {
        bufs.push((BUF, data, !out));
    }
    bufs.push((STATUS, 1, true));
    d.offer(0, &bufs);
    d.kick(0);
    let used = d.used(0);
    assert_eq!(used.len(), 1);
    (used[0].1, d.read_mem(STATUS, 1)[0])
}

#[test]
fn config_space_has_capacity_seg_max_size_max_and_blk_size() {
    let disk = MemDisk::new(100);
    let mut d = Driver::new(Box::new(Blk::new(Box::new(disk), false)));
    assert_eq!(d.r(reg::DEVICE_ID), 2);
    assert_eq!(d.t.read(reg::CONFIG, 8), Ok(100));
    assert_eq!(d.t.read(reg::CONFIG + 8, 4), Ok(64 << 10));
    assert_eq!(d.t.read(reg::CONFIG + 12, 4), Ok(254));
    assert_eq!(d.t.read(reg::CONFIG + 20, 4), Ok(512));
    d.w(reg::DEVICE_FEATURES_SEL, 0);
    let f = d.r(reg::DEVICE_FEATURES);
    assert_ne!(f & 1 << VIRTIO_BLK_F_FLUSH, 0);
    assert_eq!(f & 1 << VIRTIO_BLK_F_RO, 0);
}

#[test]
fn reads_sectors_into_the_buffer() {
    let disk = MemDisk::new(16);
    let mut d = blk(&disk, false);
    assert_eq!(request(&mut d, VIRTIO_BLK_T_IN, 3, 1024, false), (1025, 0));
    assert_eq!(d.read_mem(BUF, 1024), disk.at(3 * 512, 1024));
    // Also written was reported for the buffer (for the machine's code cache).
    assert!(d.written.contains(&(BUF, 1024)));
}

#[test]
fn writes_sectors_to_the_disk() {
    let disk = MemDisk::new(16);
    let mut d = blk(&disk, false);
    let data: Vec<u8> = (0..512).map(|i| (i * 7) as u8).collect();
    d.write_mem(BUF, &data);
    assert_eq!(request(&mut d, VIRTIO_BLK_T_OUT, 15, 512, true), (1, 0));
    assert_eq!(disk.at(15 * 512, 512), data);
}

#[test]
fn out_of_range_and_partial_sectors_are_io_errors() {
    let disk = MemDisk::new(16);
    let before = disk.at(0, 16 * 512);
    let mut d = blk(&disk, false);
    let ioerr = VIRTIO_BLK_S_IOERR as u8;
    assert_eq!(request(&mut d, VIRTIO_BLK_T_IN, 16, 512, false).1, ioerr);
    assert_eq!(request(&mut d, VIRTIO_BLK_T_IN, 15, 1024, false).1, ioerr);
    assert_eq!(
        request(&mut d, VIRTIO_BLK_T_IN, u64::MAX / 4, 512, false).1,
        ioerr
    );
    assert_eq!(request(&mut d, VIRTIO_BLK_T_OUT, 0, 100, true).1, ioerr);
    assert_eq!(request(&mut d, VIRTIO_BLK_T_OUT, 16, 512, true).1, ioerr);
    assert_eq!(disk.at(0, 16 * 512), before);
}

#[test]
fn readonly_offers_ro_and_refuses_writes() {
    let disk = MemDisk::new(4);
    let before = disk.at(0, 512);
    let mut d = blk(&disk, true);
    d.w(reg::DEVICE_FEATURES_SEL, 0);
    assert_ne!(d.r(reg::DEVICE_FEATURES) & 1 << VIRTIO_BLK_F_RO, 0);
    d.write_mem(BUF, &[0xaa; 512]);
    let s = request(&mut d, VIRTIO_BLK_T_OUT, 0, 512, true).1;
    assert_eq!(s, VIRTIO_BLK_S_IOERR as u8);
    assert_eq!(disk.at(0, 512), before);
    // Reads still work.
    assert_eq!(request(&mut d, VIRTIO_BLK_T_IN, 0, 512, false).1, 0);
}

#[test]
fn flush_reaches_the_backend() {
    let disk = MemDisk::new(4);
    let mut d = blk(&disk, false);
    assert_eq!(request(&mut d, VIRTIO_BLK_T_FLUSH, 0, 0, false), (1, 0));
    assert_eq!(*disk.flushes.lock().unwrap(), 1);
}

#[test]
fn get_id_returns_the_serial() {
    let disk = MemDisk::new(4);
    let dev = Blk::new(Box::new(disk), false).with_serial("hd0");
    let mut d = Driver::new(Box::new(dev));
    d.bring_up(0, 1, 16);
    d.write_mem(BUF, &[0xee; 20]);
    assert_eq!(request(&mut d, VIRTIO_BLK_T_GET_ID, 0, 20, false), (5, 0));
    assert_eq!(d.read_mem(BUF, 5), b"hd0\0\xee");
}

#[test]
fn unknown_types_are_unsupported() {
    let disk = MemDisk::new(4);
    let mut d = blk(&disk, false);
    for kind in [VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES, 0x1234] {
        let s = request(&mut d, kind, 0, 512, true).1;
        assert_eq!(s, VIRTIO_BLK_S_UNSUPP as u8, "type {kind:#x}");
    }
}

#[test]
fn backend_errors_are_io_errors() {
    let mut disk = MemDisk::new(4);
    disk.fail = true;
    let mut d = blk(&disk, false);
    assert_eq!(request(&mut d, VIRTIO_BLK_T_IN, 0, 512, false), (1, 1));
}

#[test]
fn a_request_without_header_or_status_needs_reset() {
    let disk = MemDisk::new(4);
    let mut d = blk(&disk, false);
    d.offer(0, &[(HDR, 8, false), (STATUS, 1, true)]);
    d.kick(0);
    assert_ne!(d.r(reg::STATUS) & status::DEVICE_NEEDS_RESET, 0);

    let mut d = blk(&disk, false);
    header(&d, VIRTIO_BLK_T_IN, 0);
    d.offer(0, &[(HDR, 16, false), (BUF, 512, false)]);
    d.kick(0);
    assert_ne!(d.r(reg::STATUS) & status::DEVICE_NEEDS_RESET, 0);
}
