//! virtio-net (virtio 1.2 §5.1): one receive and one transmit queue, a MAC address and a
//! link that is always up; no offloads, no control queue, no mergeable receive buffers.
//! What QEMU's `-device virtio-net-device,netdev=ID` is with those features left out.
//!
//! Every buffer starts with a `virtio_net_hdr` (§5.1.6), 12 bytes with VIRTIO_F_VERSION_1.
//! With no offload negotiated its fields are zero on transmit and written as zero on
//! receive, but for `num_buffers`, which is 1 (§5.1.6.4.1: no VIRTIO_NET_F_MRG_RXBUF).
//!
//! The frames themselves go to and come from a [`NetBackend`] the machine plugs in (the
//! user-mode network). Transmitted frames are handed over as the transport services the
//! transmit queue; received ones move into the guest's receive buffers only at service
//! points (scheduler round boundaries), so when a frame enters the guest is a point of
//! virtual time. Frames with no receive buffer to go to wait in the backend, which keeps
//! a bounded number and drops the oldest beyond it, as a NIC's FIFO overflows.

use super::{read_config_bytes, Device, Fault, Queues, ID_NET};
use virtio_bindings::virtio_net::{VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS, VIRTIO_NET_S_LINK_UP};

/// QEMU's virtio-net queue sizes (`rx_queue_size`, `tx_queue_size` defaults).
pub const QUEUE_SIZE: u16 = 256;
const RX: usize = 0;
const TX: usize = 1;

/// `virtio_net_hdr` with `num_buffers` (§5.1.6: present with VIRTIO_F_VERSION_1).
pub const HDR_LEN: usize = 12;
/// Offset of `num_buffers` in the header.
const HDR_NUM_BUFFERS: usize = 10;

/// QEMU's first NIC address (`qemu_macaddr_default_if_unset`: 52:54:00:12:34:56, the next
/// NICs counting up in the last byte).
pub const DEFAULT_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

/// Where a NIC's frames go and come from: the machine's network backend.
pub trait NetBackend: Send {
    /// A frame the guest sent: an Ethernet frame without the virtio header.
    fn send(&mut self, frame: &[u8]);
    /// Services the host side without waiting, so that frames it has for the guest
    /// become available to [`NetBackend::recv`].
    fn poll(&mut self);
    /// The oldest frame waiting for the guest.
    fn recv(&mut self) -> Option<Vec<u8>>;
}

pub struct Net {
    mac: [u8; 6],
    backend: Box<dyn NetBackend>,
    /// A frame taken from the backend whose receive buffer has not come yet.
    held: Option<Vec<u8>>,
    /// Frames dropped because the receive buffer offered was too small for them.
    pub rx_too_long: u64,
}

impl Net {
    pub fn new(mac: [u8; 6], backend: Box<dyn NetBackend>) -> Self {
        Net {
            mac,
            backend,
            held: None,
            rx_too_long: 0,
        }
    }

    /// The `n`th NIC's default MAC (n from 0), as QEMU numbers them.
    pub fn default_mac(n: u8) -> [u8; 6] {
        let mut mac = DEFAULT_MAC;
        mac[5] = mac[5].wrapping_add(n);
        mac
    }

    fn transmit(&mut self, q: &mut Queues) -> Result<(), Fault> {
        while let Some(chain) = q.pop(TX)? {
            let len = chain.readable_len() as usize;
            if len < HDR_LEN {
                // QEMU's virtio_net_flush_tx: "virtio-net header incorrect", the device
                // marked broken.
                return Err(Fault::BadRequest {
                    queue: TX,
                    head: chain.head,
                    why: "transmit buffer shorter than the virtio-net header",
                });
            }
            let mut frame = vec![0u8; len - HDR_LEN];
            q.read(&chain, HDR_LEN as u64, &mut frame);
            self.backend.send(&frame);
            q.add_used(TX, &chain, 0)?;
        }
        Ok(())
    }

    fn receive(&mut self, q: &mut Queues) -> Result<(), Fault> {
        if !q.ready(RX) {
            return Ok(());
        }
        loop {
            let Some(frame) = self.held.take().or_else(|| self.backend.recv()) else {
                return Ok(());
            };
            let Some(chain) = q.pop(RX)? else {
                self.held = Some(frame);
                return Ok(());
            };
            let mut hdr = [0u8; HDR_LEN];
            hdr[HDR_NUM_BUFFERS..].copy_from_slice(&1u16.to_le_bytes());
            if chain.writable_len() < (HDR_LEN + frame.len()) as u64 {
                // Only a driver offering less than the MTU's worth gets here: the frame is
                // lost and the buffer comes back empty, which Linux counts as a length
                // error.
                self.rx_too_long += 1;
                q.add_used(RX, &chain, 0)?;
                continue;
            }
            let mut n = q.write(&chain, 0, &hdr);
            n += q.write(&chain, HDR_LEN as u64, &frame);
            q.add_used(RX, &chain, n as u32)?;
        }
    }
}

impl Device for Net {
    fn name(&self) -> &'static str {
        "virtio-net"
    }

    fn device_id(&self) -> u32 {
        ID_NET
    }

    fn features(&self) -> u64 {
        1 << VIRTIO_NET_F_MAC | 1 << VIRTIO_NET_F_STATUS
    }

    fn queue_max_sizes(&self) -> &[u16] {
        &[QUEUE_SIZE, QUEUE_SIZE]
    }

    fn read_config(&self, offset: u64, data: &mut [u8]) {
        // struct virtio_net_config (§5.1.4): mac, status, max_virtqueue_pairs (read as 1,
        // meaningful only with VIRTIO_NET_F_MQ).
        let mut config = [0u8; 10];
        config[..6].copy_from_slice(&self.mac);
        config[6..8].copy_from_slice(&(VIRTIO_NET_S_LINK_UP as u16).to_le_bytes());
        config[8..10].copy_from_slice(&1u16.to_le_bytes());
        read_config_bytes(&config, offset, data)
    }

    /// The frame held for a receive buffer (tagged: a held frame may be empty), which a
    /// snapshot must bring back for the guest to receive it again.
    fn save(&self) -> Vec<u8> {
        match &self.held {
            Some(frame) => [&[1u8][..], frame].concat(),
            None => Vec::new(),
        }
    }

    fn restore(&mut self, state: &[u8]) {
        self.held = match state.split_first() {
            Some((1, frame)) => Some(frame.to_vec()),
            _ => None,
        };
    }

    fn reset(&mut self) {
        // What the old driver never took is not for the next one.
        self.held = None;
        while self.backend.recv().is_some() {}
    }

    fn notify(&mut self, queue: usize, q: &mut Queues) -> Result<(), Fault> {
        match queue {
            TX => self.transmit(q),
            _ => self.receive(q),
        }
    }

    fn poll(&mut self, q: &mut Queues) -> Result<(), Fault> {
        self.backend.poll();
        self.receive(q)
    }
}

#[cfg(test)]
#[path = "net_tests.rs"]
mod tests;
