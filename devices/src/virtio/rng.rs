//! virtio-rng (virtio 1.2 §5.4): one request queue whose device-writable buffers the device
//! fills with random bytes.
//!
//! The bytes come from a PRNG seeded by the machine (from its `dtb_seed`), not from the
//! host's entropy as QEMU's `rng-random` backend does: armvirt's runs repeat instruction
//! for instruction, and a guest reading /dev/hwrng must not break that. The price is that
//! the guest's "hardware" randomness is predictable: fine for a test and debug machine,
//! wrong for anything that needs real secrets.

use super::{Device, Fault, Queues, ID_RNG};

/// QEMU's virtio-rng queue size.
pub const QUEUE_SIZE: u16 = 8;

/// The most bytes handed out per request (a chain is at most 64 MiB; the Linux driver
/// asks for 64 at a time).
const MAX_REQUEST: u64 = 64 << 10;

pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// SplitMix64 (Steele, Lea, Flood 2014): every seed gives a full-period stream.
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

impl Device for Rng {
    fn save(&self) -> Vec<u8> {
        self.state.to_le_bytes().to_vec()
    }

    fn restore(&mut self, state: &[u8]) {
        if let Ok(bytes) = state.try_into() {
            self.state = u64::from_le_bytes(bytes);
        }
    }

    fn name(&self) -> &'static str {
        "virtio-rng"
    }

    fn device_id(&self) -> u32 {
        ID_RNG
    }

    fn features(&self) -> u64 {
        0
    }

    fn queue_max_sizes(&self) -> &[u16] {
        &[QUEUE_SIZE]
    }

    fn read_config(&self, _offset: u64, data: &mut [u8]) {
        data.fill(0); // no configuration space (§5.4.4)
    }

    fn notify(&mut self, queue: usize, q: &mut Queues) -> Result<(), Fault> {
        while let Some(chain) = q.pop(queue)? {
            let mut buf = vec![0u8; chain.writable_len().min(MAX_REQUEST) as usize];
            self.fill(&mut buf);
            let n = q.write(&chain, 0, &buf);
            q.add_used(queue, &chain, n as u32)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::virtio::test_driver::{Driver, DATA};

    fn bytes(seed: u64, n: u32) -> Vec<u8> {
        let mut d = Driver::new(Box::new(Rng::new(seed)));
        d.bring_up(0, 1, 8);
        d.offer(0, &[(DATA, n, true)]);
        d.kick(0);
        assert_eq!(d.used(0), [(0, n)]);
        d.read_mem(DATA, n as usize)
    }

    #[test]
    fn fills_the_buffer_and_repeats_for_a_seed() {
        let a = bytes(1, 64);
        assert_eq!(a, bytes(1, 64));
        assert_ne!(a, bytes(2, 64));
        // Not a constant fill: 64 bytes of SplitMix64 output have many distinct values.
        let mut distinct = a.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() > 32, "{a:?}");
        // SplitMix64's first output for seed 0 (the reference implementation's).
        assert_eq!(bytes(0, 8), 0xe220_a839_7b1d_cdafu64.to_le_bytes().to_vec());
    }

    #[test]
    fn identifies_as_an_entropy_device_with_one_queue() {
        use crate::virtio::mmio::reg;
        let mut d = Driver::new(Box::new(Rng::new(0)));
        assert_eq!(d.r(reg::DEVICE_ID), 4);
        d.w(reg::QUEUE_SEL, 0);
        assert_eq!(d.r(reg::QUEUE_NUM_MAX), 8);
        d.w(reg::QUEUE_SEL, 1);
        assert_eq!(d.r(reg::QUEUE_NUM_MAX), 0);
    }

    #[test]
    fn odd_lengths_and_readable_only_chains() {
        assert_eq!(bytes(7, 13).len(), 13);
        let mut d = Driver::new(Box::new(Rng::new(0)));
        d.bring_up(0, 1, 8);
        d.offer(0, &[(DATA, 16, false)]);
        d.kick(0);
        assert_eq!(d.used(0), [(0, 0)]);
    }
}
