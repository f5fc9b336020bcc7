//! virtio-console (virtio 1.2 §5.3) with a single port, the console: what QEMU's
//! `-device virtio-serial-device -device virtconsole,chardev=ID` gives a guest as hvc0.
//!
//! QEMU's virtio-serial offers VIRTIO_CONSOLE_F_MULTIPORT (31 ports and a control queue);
//! this device does not, so the driver makes port 0 the console at probe (Linux's
//! `init_port_console`): the guest still sees /dev/hvc0, without the /dev/vport* ports.
//! Queue 0 is the port's receive queue (host → guest), queue 1 its transmit queue.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex};

use super::{read_config_bytes, Device, Fault, Queues, ID_CONSOLE};

/// QEMU's virtio-serial queue size.
pub const QUEUE_SIZE: u16 = 128;
const RX: usize = 0;
const TX: usize = 1;

/// Host input on its way to the guest's hvc0: the machine keeps one end (see
/// [`Console::input`]), the device drains it into receive buffers at its service points.
#[derive(Clone, Default)]
pub struct Input(Arc<Mutex<VecDeque<u8>>>);

impl Input {
    pub fn push(&self, bytes: &[u8]) {
        self.lock().extend(bytes);
    }

    /// Bytes the guest has not taken yet.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<u8>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct Console {
    out: Box<dyn Write + Send>,
    input: Input,
}

impl Console {
    /// A console writing the guest's output to `out`.
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Console {
            out,
            input: Input::default(),
        }
    }

    /// The input queue: bytes pushed there reach the guest at a later service point,
    /// as receive buffers allow.
    pub fn input(&self) -> Input {
        self.input.clone()
    }

    fn transmit(&mut self, q: &mut Queues) -> Result<(), Fault> {
        while let Some(chain) = q.pop(TX)? {
            let mut buf = vec![0u8; chain.readable_len() as usize];
            q.read(&chain, 0, &mut buf);
            // A backend that cannot take output (a closed stdout) loses it; the guest
            // must not stall on the host's problem.
            let _ = self.out.write_all(&buf);
            let _ = self.out.flush();
            q.add_used(TX, &chain, 0)?;
        }
        Ok(())
    }

    fn receive(&mut self, q: &mut Queues) -> Result<(), Fault> {
        let mut input = self.input.lock();
        while !input.is_empty() && q.ready(RX) {
            let Some(chain) = q.pop(RX)? else {
                break;
            };
            let n = (chain.writable_len() as usize).min(input.len());
            let bytes: Vec<u8> = input.drain(..n).collect();
            let n = q.write(&chain, 0, &bytes);
            q.add_used(RX, &chain, n as u32)?;
        }
        Ok(())
    }
}

impl Device for Console {
    fn name(&self) -> &'static str {
        "virtio-console"
    }

    fn device_id(&self) -> u32 {
        ID_CONSOLE
    }

    fn features(&self) -> u64 {
        0
    }

    fn queue_max_sizes(&self) -> &[u16] {
        &[QUEUE_SIZE, QUEUE_SIZE]
    }

    fn read_config(&self, offset: u64, data: &mut [u8]) {
        // cols, rows (no VIRTIO_CONSOLE_F_SIZE: unused), max_nr_ports, emerg_wr.
        let mut config = [0u8; 12];
        config[4..8].copy_from_slice(&1u32.to_le_bytes());
        read_config_bytes(&config, offset, data)
    }

    fn reset(&mut self) {
        self.input.lock().clear();
    }

    /// Input the guest has not taken yet: what a snapshot must give it again.
    fn save(&self) -> Vec<u8> {
        self.input.lock().iter().copied().collect()
    }

    fn restore(&mut self, state: &[u8]) {
        let mut input = self.input.lock();
        input.clear();
        input.extend(state);
    }

    fn notify(&mut self, queue: usize, q: &mut Queues) -> Result<(), Fault> {
        match queue {
            TX => self.transmit(q),
            _ => self.receive(q),
        }
    }

    fn poll(&mut self, q: &mut Queues) -> Result<(), Fault> {
        self.receive(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SharedBuf;
    use crate::virtio::mmio::reg;
    use crate::virtio::test_driver::{Driver, DATA};
    use crate::MmioDevice;

    fn console() -> (Driver, SharedBuf) {
        let out = SharedBuf::default();
        let mut d = Driver::new(Box::new(Console::new(Box::new(out.clone()))));
        d.bring_up(0, 2, 16);
        (d, out)
    }

    #[test]
    fn identifies_as_a_one_port_console() {
        let (mut d, _) = console();
        assert_eq!(d.r(reg::DEVICE_ID), 3);
        assert_eq!(d.t.read(reg::CONFIG + 4, 4), Ok(1)); // max_nr_ports
        d.w(reg::DEVICE_FEATURES_SEL, 0);
        assert_eq!(d.r(reg::DEVICE_FEATURES), 0); // no MULTIPORT: port 0 is the console
    }

    #[test]
    fn transmitted_buffers_reach_the_backend_in_order() {
        let (mut d, out) = console();
        d.write_mem(DATA, b"hi ");
        d.write_mem(DATA + 0x100, b"there\n");
        d.offer(1, &[(DATA, 3, false)]);
        d.offer(1, &[(DATA + 0x100, 6, false)]);
        d.kick(1);
        assert_eq!(out.contents(), b"hi there\n");
        assert_eq!(d.used(1).len(), 2);
    }

    #[test]
    fn input_waits_for_receive_buffers() {
        let c = Console::new(Box::new(std::io::sink()));
        let input = c.input();
        let mut d = Driver::new(Box::new(c));
        d.bring_up(0, 2, 16);
        input.push(b"abc");
        d.service();
        assert!(d.used(0).is_empty(), "no buffer yet");
        d.offer(0, &[(DATA, 2, true)]);
        d.offer(0, &[(DATA + 0x100, 8, true)]);
        d.kick(0);
        assert_eq!(d.used(0), [(0, 2), (1, 1)]);
        assert_eq!(d.read_mem(DATA, 2), b"ab");
        assert_eq!(d.read_mem(DATA + 0x100, 1), b"c");
        assert!(input.is_empty());
        // A snapshot keeps what the guest has not taken.
        input.push(b"zz");
        let saved = d.t.save();
        d.offer(0, &[(DATA + 0x200, 8, true)]);
        d.kick(0);
        assert!(input.is_empty());
        d.t.restore(&saved);
        assert_eq!(input.len(), 2);
        input.push(b"zz");
        // A reset drops what the guest never took.
        d.w(reg::STATUS, 0);
        assert!(input.is_empty());
    }
}
