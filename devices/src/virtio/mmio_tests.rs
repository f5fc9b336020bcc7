//! The transport's register protocol and queue handling, driven by the test driver
//! (`test_driver.rs`) against the virtio 1.2 rules (§2, §3.1, §4.2).

use super::reg;
use super::status::*;
use super::*;
use crate::virtio::test_driver::{Driver, DATA, F_NEXT, RAM_BASE, RAM_SIZE};
use crate::virtio::{read_config_bytes, Queues};
use crate::MmioDevice;

/// A device for the transport's tests: queue 0 takes chains and writes their readable
/// bytes, reversed, into their writable part. Feature bits 5 and 29 (EVENT_IDX) are
/// offered; config space is 8 bytes 0x11..0x18.
struct Reverse;

const CONFIG: [u8; 8] = [0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18];

impl Device for Reverse {
    fn name(&self) -> &'static str {
        "reverse"
    }
    fn device_id(&self) -> u32 {
        42
    }
    fn features(&self) -> u64 {
        1 << 5 | 1 << 29
    }
    fn queue_max_sizes(&self) -> &[u16] {
        &[16]
    }
    fn read_config(&self, offset: u64, data: &mut [u8]) {
        read_config_bytes(&CONFIG, offset, data)
    }
    fn notify(&mut self, queue: usize, q: &mut Queues) -> Result<(), Fault> {
        while let Some(chain) = q.pop(queue)? {
            let mut buf = vec![0; chain.readable_len() as usize];
            q.read(&chain, 0, &mut buf);
            buf.reverse();
            let n = q.write(&chain, 0, &buf);
            q.add_used(queue, &chain, n as u32)?;
        }
        Ok(())
    }
}

fn driver() -> Driver {
    Driver::new(Box::new(Reverse))
}

fn up() -> Driver {
    let mut d = driver();
    d.bring_up(1 << 5, 1, 16);
    d
}

#[test]
fn identifies_as_a_modern_qemu_transport() {
    let mut d = driver();
    assert_eq!(d.r(reg::MAGIC_VALUE), u32::from_le_bytes(*b"virt"));
    assert_eq!(d.r(reg::VERSION), 2);
    assert_eq!(d.r(reg::DEVICE_ID), 42);
    assert_eq!(d.r(reg::VENDOR_ID), u32::from_le_bytes(*b"QEMU"));
    assert_eq!(d.r(reg::STATUS), 0);
    assert_eq!(d.r(reg::CONFIG_GENERATION), 0);
}

#[test]
fn device_features_are_paged_by_select_and_include_version_1() {
    let mut d = driver();
    d.w(reg::DEVICE_FEATURES_SEL, 0);
    // Not EVENT_IDX: the transport does not keep avail_event.
    assert_eq!(d.r(reg::DEVICE_FEATURES), 1 << 5);
    d.w(reg::DEVICE_FEATURES_SEL, 1);
    assert_eq!(d.r(reg::DEVICE_FEATURES), 1); // bit 32: VIRTIO_F_VERSION_1
    d.w(reg::DEVICE_FEATURES_SEL, 2);
    assert_eq!(d.r(reg::DEVICE_FEATURES), 0);
}

#[test]
fn features_ok_needs_version_1_and_only_offered_bits() {
    let mut d = driver();
    let s = ACKNOWLEDGE | DRIVER;
    for (lo, hi, accepted) in [(1 << 5, 1, true), (1 << 5, 0, false), (1 << 6, 1, false)] {
        d.w(reg::STATUS, 0);
        d.w(reg::STATUS, s);
        d.w(reg::DRIVER_FEATURES_SEL, 0);
        d.w(reg::DRIVER_FEATURES, lo);
        d.w(reg::DRIVER_FEATURES_SEL, 1);
        d.w(reg::DRIVER_FEATURES, hi);
        d.w(reg::STATUS, s | FEATURES_OK);
        let want = if accepted { s | FEATURES_OK } else { s };
        assert_eq!(d.r(reg::STATUS), want, "features {hi:#x}:{lo:#x}");
    }
}

#[test]
fn queue_registers_select_and_bound_queues() {
    let mut d = driver();
    d.w(reg::QUEUE_SEL, 0);
    assert_eq!(d.r(reg::QUEUE_NUM_MAX), 16);
    assert_eq!(d.r(reg::QUEUE_READY), 0);
    d.w(reg::QUEUE_READY, 1);
    assert_eq!(d.r(reg::QUEUE_READY), 1);
    // A queue the device does not have: max 0, never ready (§4.2.3.2).
    d.w(reg::QUEUE_SEL, 1);
    assert_eq!(d.r(reg::QUEUE_NUM_MAX), 0);
    d.w(reg::QUEUE_READY, 1);
    assert_eq!(d.r(reg::QUEUE_READY), 0);
}

#[test]
fn config_space_reads_at_0x100_in_any_width() {
    let mut d = driver();
    assert_eq!(d.t.read(reg::CONFIG, 1), Ok(0x11));
    assert_eq!(d.t.read(reg::CONFIG + 2, 2), Ok(0x1413));
    assert_eq!(d.t.read(reg::CONFIG + 4, 4), Ok(0x1817_1615));
    assert_eq!(d.t.read(reg::CONFIG, 8), Ok(0x1817_1615_1413_1211));
    // Past the structure: zeros.
    assert_eq!(d.t.read(reg::CONFIG + 6, 4), Ok(0x1817));
    assert_eq!(d.t.read(0x1fc, 4), Ok(0));
}

#[test]
fn registers_take_only_32_bit_accesses() {
    let mut d = driver();
    assert!(d.t.read(reg::MAGIC_VALUE, 2).is_err());
    assert!(d.t.read(reg::MAGIC_VALUE, 8).is_err());
    assert!(d.t.write(reg::STATUS, 1, 1).is_err());
    assert_eq!(d.r(reg::STATUS), 0);
    // Write-only and reserved registers are refused (the bus makes them RAZ/WI).
    assert!(d.t.read(reg::QUEUE_NOTIFY, 4).is_err());
    assert!(d.t.read(0x0e0, 4).is_err());
    assert!(d.t.write(reg::MAGIC_VALUE, 4, 0).is_err());
}

#[test]
fn a_chain_is_processed_returned_and_interrupts() {
    let mut d = up();
    d.write_mem(DATA, b"hello");
    let head = d.offer(0, &[(DATA, 5, false), (DATA + 0x100, 8, true)]);
    assert!(!d.irq.level());
    d.kick(0);
    assert_eq!(d.used(0), [(head as u32, 5)]);
    assert_eq!(d.read_mem(DATA + 0x100, 5), b"olleh");
    assert!(d.irq.level());
    assert_eq!(d.ack(), INT_USED_BUFFER);
    assert!(!d.irq.level());
    // The device reported what it wrote: the buffer and the used ring.
    assert!(d.written.contains(&(DATA + 0x100, 5)));
    assert!(d.written.iter().any(|&(a, _)| a == RAM_BASE + 0x8000));
}

#[test]
fn chains_spanning_several_buffers_gather_and_scatter() {
    let mut d = up();
    d.write_mem(DATA, b"abc");
    d.write_mem(DATA + 0x10, b"defg");
    d.offer(
        0,
        &[
            (DATA, 3, false),
            (DATA + 0x10, 4, false),
            (DATA + 0x100, 2, true),
            (DATA + 0x200, 10, true),
        ],
    );
    d.kick(0);
    assert_eq!(d.used(0)[0].1, 7);
    assert_eq!(d.read_mem(DATA + 0x100, 2), b"gf");
    assert_eq!(d.read_mem(DATA + 0x200, 5), b"edcba");
}

#[test]
fn notifications_wait_for_the_service_point_and_driver_ok() {
    let mut d = driver();
    d.bring_up(0, 1, 16);
    d.write_mem(DATA, b"x");
    d.offer(0, &[(DATA, 1, false), (DATA + 0x100, 1, true)]);
    d.w(reg::QUEUE_NOTIFY, 0);
    assert!(
        d.used(0).is_empty(),
        "nothing happens inside the register write"
    );
    d.service();
    assert_eq!(d.used(0).len(), 1);

    // Before DRIVER_OK a notification does nothing.
    let mut d = driver();
    d.w(reg::STATUS, ACKNOWLEDGE);
    d.setup_queue(0, 16);
    d.offer(0, &[(DATA, 1, false), (DATA + 0x100, 1, true)]);
    d.kick(0);
    assert!(d.used(0).is_empty());
}

#[test]
fn no_interrupt_when_the_driver_suppresses_it() {
    let mut d = up();
    // VRING_AVAIL_F_NO_INTERRUPT in the avail ring's flags (§2.7.7).
    d.write_mem(RAM_BASE + 0x4000, &1u16.to_le_bytes());
    d.offer(0, &[(DATA, 1, false), (DATA + 0x100, 1, true)]);
    d.kick(0);
    assert_eq!(d.used(0).len(), 1);
    assert_eq!(d.r(reg::INTERRUPT_STATUS), 0);
    assert!(!d.irq.level());
}

#[test]
fn status_zero_resets_transport_and_queues() {
    let mut d = up();
    d.offer(0, &[(DATA, 1, false), (DATA + 0x100, 1, true)]);
    d.kick(0);
    assert!(d.irq.level());
    d.w(reg::STATUS, 0);
    assert_eq!(d.r(reg::STATUS), 0);
    assert_eq!(d.r(reg::INTERRUPT_STATUS), 0);
    assert!(!d.irq.level());
    d.w(reg::QUEUE_SEL, 0);
    assert_eq!(d.r(reg::QUEUE_READY), 0);
    // And it comes up again from scratch, indices at zero.
    d.bring_up(0, 1, 16);
    let head = d.offer(0, &[(DATA, 1, false), (DATA + 0x100, 1, true)]);
    d.kick(0);
    assert_eq!(d.used(0), [(head as u32, 1)]);
}

#[test]
fn queue_setup_is_frozen_while_ready() {
    let mut d = up();
    d.w(reg::QUEUE_SEL, 0);
    // Moving the used ring of a live queue is ignored: the device keeps using the old one.
    d.w(reg::QUEUE_DEVICE_LOW, (RAM_BASE + 0x9000) as u32);
    d.offer(0, &[(DATA, 1, false), (DATA + 0x100, 1, true)]);
    d.kick(0);
    assert_eq!(d.used(0).len(), 1);
}

/// Offers a broken chain, kicks, and checks the device is in its error state: NEEDS_RESET,
/// a configuration change interrupt, nothing returned; later kicks are ignored; a reset
/// brings it back.
fn assert_needs_reset(mut d: Driver) {
    d.kick(0);
    assert_eq!(d.used(0), []);
    assert_ne!(d.r(reg::STATUS) & DEVICE_NEEDS_RESET, 0);
    assert!(d.irq.level());
    assert_eq!(d.ack() & INT_CONFIG_CHANGE, INT_CONFIG_CHANGE);
    d.offer(0, &[(DATA, 1, false), (DATA + 0x100, 1, true)]);
    d.kick(0);
    assert_eq!(d.used(0), []);
    // The driver cannot clear the device's bit by writing Status; a reset does.
    let s = d.r(reg::STATUS);
    d.w(reg::STATUS, s & !DEVICE_NEEDS_RESET);
    assert_ne!(d.r(reg::STATUS) & DEVICE_NEEDS_RESET, 0);
    d.bring_up(0, 1, 16);
    assert_eq!(d.r(reg::STATUS) & DEVICE_NEEDS_RESET, 0);
    let head = d.offer(0, &[(DATA, 1, false), (DATA + 0x100, 1, true)]);
    d.kick(0);
    assert_eq!(d.used(0), [(head as u32, 1)]);
}

#[test]
fn a_looping_chain_needs_reset() {
    let mut d = up();
    d.put_desc(0, 0, DATA, 4, F_NEXT, 1);
    d.put_desc(0, 1, DATA, 4, F_NEXT, 0);
    d.publish(0, 0);
    assert_needs_reset(d);
}

#[test]
fn a_self_loop_needs_reset() {
    let mut d = up();
    d.put_desc(0, 3, DATA, 4, F_NEXT, 3);
    d.publish(0, 3);
    assert_needs_reset(d);
}

#[test]
fn a_next_past_the_table_needs_reset() {
    let mut d = up();
    d.put_desc(0, 0, DATA, 4, F_NEXT, 16);
    d.publish(0, 0);
    assert_needs_reset(d);
}

#[test]
fn a_head_past_the_table_needs_reset() {
    let mut d = up();
    d.publish(0, 200);
    assert_needs_reset(d);
}

#[test]
fn a_buffer_outside_ram_needs_reset() {
    for addr in [0x1000, RAM_BASE + RAM_SIZE - 2, u64::MAX - 1] {
        let mut d = up();
        d.offer(0, &[(DATA, 1, false), (addr, 4, true)]);
        assert_needs_reset(d);
    }
}

#[test]
fn an_absurd_length_needs_reset() {
    let mut d = up();
    d.offer(0, &[(DATA, 1, false), (DATA, u32::MAX, true)]);
    assert_needs_reset(d);
}

#[test]
fn a_readable_buffer_after_a_writable_one_needs_reset() {
    let mut d = up();
    d.offer(0, &[(DATA + 0x100, 1, true), (DATA, 1, false)]);
    assert_needs_reset(d);
}

#[test]
fn an_avail_index_far_ahead_needs_reset() {
    let mut d = up();
    d.set_avail_idx(0, 100);
    assert_needs_reset(d);
}

#[test]
fn rings_outside_ram_need_reset() {
    let mut d = driver();
    d.bring_up(0, 0, 16);
    d.w(reg::QUEUE_SEL, 0);
    d.w(reg::QUEUE_DESC_LOW, 0x1000);
    d.w(reg::QUEUE_DRIVER_LOW, 0x2000);
    d.w(reg::QUEUE_DEVICE_LOW, 0x3000);
    d.w(reg::QUEUE_READY, 1);
    d.kick(0);
    assert_ne!(d.r(reg::STATUS) & DEVICE_NEEDS_RESET, 0);
}
