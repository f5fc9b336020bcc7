//! virtio-net against the test driver (register protocol and rings as Linux's
//! virtio_mmio and virtio_net use them) with a backend whose frames the test controls.

use super::*;
use crate::virtio::mmio::{reg, status};
use crate::virtio::test_driver::{Driver, DATA};
use crate::MmioDevice;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// A backend that keeps what the guest sent and hands the guest what the test queued.
#[derive(Clone, Default)]
struct Wire {
    sent: Arc<Mutex<Vec<Vec<u8>>>>,
    inbox: Arc<Mutex<VecDeque<Vec<u8>>>>,
}

impl NetBackend for Wire {
    fn send(&mut self, frame: &[u8]) {
        self.sent.lock().unwrap().push(frame.to_vec());
    }
    fn poll(&mut self) {}
    fn recv(&mut self) -> Option<Vec<u8>> {
        self.inbox.lock().unwrap().pop_front()
    }
}

fn nic() -> (Driver, Wire) {
    let wire = Wire::default();
    let mut d = Driver::new(Box::new(Net::new(DEFAULT_MAC, Box::new(wire.clone()))));
    let features = 1 << VIRTIO_NET_F_MAC | 1 << VIRTIO_NET_F_STATUS;
    d.bring_up(features, 2, 16);
    (d, wire)
}

fn frame(n: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| n.wrapping_add(i as u8)).collect()
}

#[test]
fn identifies_as_network_card_with_qemus_mac_and_link_up() {
    let (mut d, _) = nic();
    assert_eq!(d.r(reg::DEVICE_ID), 1);
    d.w(reg::DEVICE_FEATURES_SEL, 0);
    let low = d.r(reg::DEVICE_FEATURES);
    assert_eq!(
        low,
        1 << 5 | 1 << 16,
        "VIRTIO_NET_F_MAC and VIRTIO_NET_F_STATUS only"
    );
    d.w(reg::DEVICE_FEATURES_SEL, 1);
    assert_eq!(d.r(reg::DEVICE_FEATURES), 1, "VIRTIO_F_VERSION_1");
    let mac: Vec<u8> = (0..6)
        .map(|i| d.t.read(reg::CONFIG + i, 1).unwrap() as u8)
        .collect();
    assert_eq!(mac, [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    assert_eq!(d.t.read(reg::CONFIG + 6, 2), Ok(1), "VIRTIO_NET_S_LINK_UP");
    assert_eq!(Net::default_mac(1), [0x52, 0x54, 0x00, 0x12, 0x34, 0x57]);
}

#[test]
fn transmitted_frames_reach_the_backend_without_the_header() {
    let (mut d, wire) = nic();
    let f = frame(7, 60);
    // Linux puts the header and the frame in one buffer; another driver may split them
    // anywhere: here across the header's end.
    d.write_mem(DATA, &[0; HDR_LEN]);
    d.write_mem(DATA + HDR_LEN as u64, &f);
    d.offer(1, &[(DATA, HDR_LEN as u32 + 60, false)]);
    d.write_mem(DATA + 0x1000, &[0; 8]);
    d.write_mem(DATA + 0x2000, &[0, 0, 0, 0]);
    d.write_mem(DATA + 0x2004, &f);
    d.offer(1, &[(DATA + 0x1000, 8, false), (DATA + 0x2000, 64, false)]);
    d.kick(1);
    assert_eq!(*wire.sent.lock().unwrap(), vec![f.clone(), f]);
    assert_eq!(d.used(1), [(0, 0), (1, 0)]);
    assert_eq!(d.ack() & 1, 1, "used-buffer interrupt");
}

#[test]
fn a_transmit_buffer_without_a_whole_header_breaks_the_device() {
    let (mut d, wire) = nic();
    d.offer(1, &[(DATA, HDR_LEN as u32 - 1, false)]);
    d.kick(1);
    assert!(wire.sent.lock().unwrap().is_empty());
    assert_ne!(d.r(reg::STATUS) & status::DEVICE_NEEDS_RESET, 0);
}

#[test]
fn received_frames_wait_for_buffers_and_arrive_in_order_with_a_header() {
    let (mut d, wire) = nic();
    let (a, b) = (frame(1, 42), frame(2, 1514));
    wire.inbox.lock().unwrap().extend([a.clone(), b.clone()]);
    d.service();
    assert!(d.used(0).is_empty(), "no receive buffer yet");
    assert_eq!(d.ack(), 0);

    // Linux's small buffers: header plus 1518 bytes, one descriptor.
    let size = (HDR_LEN + 1518) as u32;
    d.write_mem(DATA, &[0xee; HDR_LEN]);
    d.offer(0, &[(DATA, size, true)]);
    d.kick(0);
    assert_eq!(d.used(0), [(0, (HDR_LEN + a.len()) as u32)]);
    let mut hdr = [0u8; HDR_LEN];
    hdr[10] = 1; // num_buffers
    assert_eq!(d.read_mem(DATA, HDR_LEN), hdr);
    assert_eq!(d.read_mem(DATA + HDR_LEN as u64, a.len()), a);
    assert_eq!(d.ack() & 1, 1);

    // A chain of two buffers: the header and the start of the frame in the first.
    d.offer(
        0,
        &[(DATA + 0x1000, 100, true), (DATA + 0x2000, 1500, true)],
    );
    d.kick(0);
    assert_eq!(d.used(0), [(1, (HDR_LEN + b.len()) as u32)]);
    let mut got = d.read_mem(DATA + 0x1000 + HDR_LEN as u64, 100 - HDR_LEN);
    got.extend(d.read_mem(DATA + 0x2000, b.len() - got.len()));
    assert_eq!(got, b);
}

#[test]
fn a_receive_buffer_too_small_comes_back_empty_and_the_frame_is_lost() {
    let (mut d, wire) = nic();
    wire.inbox
        .lock()
        .unwrap()
        .extend([frame(1, 1000), frame(2, 50)]);
    d.offer(0, &[(DATA, 500, true)]);
    d.offer(0, &[(DATA + 0x1000, 500, true)]);
    d.kick(0);
    assert_eq!(d.used(0), [(0, 0), (1, (HDR_LEN + 50) as u32)]);
    assert_eq!(d.read_mem(DATA + 0x1000 + HDR_LEN as u64, 50), frame(2, 50));
}

#[test]
fn a_reset_drops_the_frames_the_driver_never_took() {
    let (mut d, wire) = nic();
    wire.inbox
        .lock()
        .unwrap()
        .extend([frame(1, 60), frame(2, 60)]);
    d.service();
    d.w(reg::STATUS, 0);
    assert!(wire.inbox.lock().unwrap().is_empty());
    let features = 1 << VIRTIO_NET_F_MAC | 1 << VIRTIO_NET_F_STATUS;
    d.bring_up(features, 2, 16);
    wire.inbox.lock().unwrap().push_back(frame(3, 60));
    d.offer(0, &[(DATA, 2048, true)]);
    d.kick(0);
    assert_eq!(d.used(0), [(0, (HDR_LEN + 60) as u32)]);
    assert_eq!(d.read_mem(DATA + HDR_LEN as u64, 60), frame(3, 60));
}
