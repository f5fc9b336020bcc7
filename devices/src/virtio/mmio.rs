//! The virtio-mmio transport, version 2 ("modern"; virtio 1.2 §4.2.2), for one device.
//!
//! QEMU's virt machine builds its transports legacy (version 1) unless
//! `-global virtio-mmio.force-legacy=false`; Linux drives both, and version 2 is the one
//! the spec defines today (64-bit ring addresses, QueueReady, no page-size games), so
//! armvirt's populated slots are version 2. Empty slots keep QEMU's default answer
//! (`machine/src/placeholder.rs`).
//!
//! The interrupt line follows InterruptStatus (high while any bit is set), as QEMU's
//! `virtio_mmio_update_irq` drives it; the device tree makes the SPI edge-triggered, so
//! the GIC latches each rise. Queue notifications are recorded by the register write and
//! carried out by [`VirtioMmio::service`], which the machine calls at a round boundary.

use super::{Device, Fault, GuestMem, Queues, F_VERSION_1};
use crate::{DeviceError, IrqLine, MmioDevice};
use virtio_queue::{Queue, QueueState, QueueT};

/// VIRTIO_F_EVENT_IDX (§6).
const F_EVENT_IDX: u64 = 1 << virtio_bindings::virtio_ring::VIRTIO_RING_F_EVENT_IDX;

/// Register offsets (§4.2.2).
pub mod reg {
    pub const MAGIC_VALUE: u64 = 0x000;
    pub const VERSION: u64 = 0x004;
    pub const DEVICE_ID: u64 = 0x008;
    pub const VENDOR_ID: u64 = 0x00c;
    pub const DEVICE_FEATURES: u64 = 0x010;
    pub const DEVICE_FEATURES_SEL: u64 = 0x014;
    pub const DRIVER_FEATURES: u64 = 0x020;
    pub const DRIVER_FEATURES_SEL: u64 = 0x024;
    pub const QUEUE_SEL: u64 = 0x030;
    pub const QUEUE_NUM_MAX: u64 = 0x034;
    pub const QUEUE_NUM: u64 = 0x038;
    pub const QUEUE_READY: u64 = 0x044;
    pub const QUEUE_NOTIFY: u64 = 0x050;
    pub const INTERRUPT_STATUS: u64 = 0x060;
    pub const INTERRUPT_ACK: u64 = 0x064;
    pub const STATUS: u64 = 0x070;
    pub const QUEUE_DESC_LOW: u64 = 0x080;
    pub const QUEUE_DESC_HIGH: u64 = 0x084;
    pub const QUEUE_DRIVER_LOW: u64 = 0x090;
    pub const QUEUE_DRIVER_HIGH: u64 = 0x094;
    pub const QUEUE_DEVICE_LOW: u64 = 0x0a0;
    pub const QUEUE_DEVICE_HIGH: u64 = 0x0a4;
    pub const SHM_SEL: u64 = 0x0ac;
    pub const SHM_LEN_LOW: u64 = 0x0b0;
    pub const SHM_LEN_HIGH: u64 = 0x0b4;
    pub const SHM_BASE_LOW: u64 = 0x0b8;
    pub const SHM_BASE_HIGH: u64 = 0x0bc;
    pub const CONFIG_GENERATION: u64 = 0x0fc;
    pub const CONFIG: u64 = 0x100;
}

/// "virt", little-endian.
pub const MAGIC: u32 = 0x7472_6976;
pub const VERSION_MODERN: u32 = 2;
/// "QEMU", little-endian (QEMU's VIRT_VENDOR), so guests see QEMU's vendor.
pub const VENDOR_QEMU: u32 = 0x554d_4551;

/// Device status bits (§2.1).
pub mod status {
    pub const ACKNOWLEDGE: u32 = 1;
    pub const DRIVER: u32 = 2;
    pub const DRIVER_OK: u32 = 4;
    pub const FEATURES_OK: u32 = 8;
    pub const DEVICE_NEEDS_RESET: u32 = 0x40;
    pub const FAILED: u32 = 0x80;
}

/// InterruptStatus bits (§4.2.2).
pub const INT_USED_BUFFER: u32 = 1;
pub const INT_CONFIG_CHANGE: u32 = 2;

/// Bytes of the transport's window (QEMU's slots are 0x200 apart).
pub const WINDOW: u64 = 0x200;

/// What a transport holds that the guest can observe: its registers, each queue's
/// setup and ring positions, and the device's own state ([`Device::save`]). The rings
/// and buffers themselves are in guest RAM.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TransportState {
    #[serde(with = "queue_states")]
    queues: Vec<QueueState>,
    queue_sel: u32,
    device_features_sel: u32,
    driver_features_sel: u32,
    driver_features: u64,
    status: u32,
    isr: u32,
    irq_level: bool,
    config_generation: u32,
    pending: u64,
    device: Vec<u8>,
}

/// `virtio-queue`'s plain queue state in a saved file, field for field.
mod queue_states {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use virtio_queue::QueueState;

    #[derive(Serialize, Deserialize)]
    struct Saved {
        max_size: u16,
        next_avail: u16,
        next_used: u16,
        event_idx_enabled: bool,
        size: u16,
        ready: bool,
        desc_table: u64,
        avail_ring: u64,
        used_ring: u64,
    }

    pub fn serialize<S: Serializer>(qs: &[QueueState], s: S) -> Result<S::Ok, S::Error> {
        let saved: Vec<Saved> = qs
            .iter()
            .map(|q| Saved {
                max_size: q.max_size,
                next_avail: q.next_avail,
                next_used: q.next_used,
                event_idx_enabled: q.event_idx_enabled,
                size: q.size,
                ready: q.ready,
                desc_table: q.desc_table,
                avail_ring: q.avail_ring,
                used_ring: q.used_ring,
            })
            .collect();
        saved.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<QueueState>, D::Error> {
        let saved = Vec::<Saved>::deserialize(d)?;
        Ok(saved
            .into_iter()
            .map(|q| QueueState {
                max_size: q.max_size,
                next_avail: q.next_avail,
                next_used: q.next_used,
                event_idx_enabled: q.event_idx_enabled,
                size: q.size,
                ready: q.ready,
                desc_table: q.desc_table,
                avail_ring: q.avail_ring,
                used_ring: q.used_ring,
            })
            .collect())
    }
}

/// One virtio-mmio transport with its device plugged in.
pub struct VirtioMmio {
    dev: Box<dyn Device>,
    mem: GuestMem,
    irq: Box<dyn IrqLine>,
    queues: Vec<Queue>,
    queue_sel: u32,
    device_features_sel: u32,
    driver_features_sel: u32,
    driver_features: u64,
    status: u32,
    isr: u32,
    irq_level: bool,
    config_generation: u32,
    /// Queues notified since the last service, one bit each.
    pending: u64,
    written: Vec<(u64, u64)>,
}

impl VirtioMmio {
    /// Plugs `dev` in; `mem` is guest RAM (what its rings and buffers address) and `irq`
    /// the slot's SPI.
    pub fn new(dev: Box<dyn Device>, mem: GuestMem, irq: Box<dyn IrqLine>) -> Self {
        let queues = dev
            .queue_max_sizes()
            .iter()
            .map(|&max| Queue::new(max).expect("device queue sizes are powers of two"))
            .collect();
        VirtioMmio {
            dev,
            mem,
            irq,
            queues,
            queue_sel: 0,
            device_features_sel: 0,
            driver_features_sel: 0,
            driver_features: 0,
            status: 0,
            isr: 0,
            irq_level: false,
            config_generation: 0,
            pending: 0,
            written: Vec::new(),
        }
    }

    /// Plugs another device into this transport, which goes back to its power-on state
    /// (a backend chosen after the machine was built: tests capturing a console).
    pub fn replace_device(&mut self, dev: Box<dyn Device>) {
        let fresh = VirtioMmio::new(dev, self.mem.clone(), Box::new(crate::NoIrq));
        let irq = std::mem::replace(&mut self.irq, fresh.irq);
        self.irq.set_level(false);
        *self = VirtioMmio { irq, ..fresh };
    }

    /// A copy of the transport's state (see [`TransportState`]).
    pub fn save(&self) -> TransportState {
        TransportState {
            queues: self.queues.iter().map(|q| q.state()).collect(),
            queue_sel: self.queue_sel,
            device_features_sel: self.device_features_sel,
            driver_features_sel: self.driver_features_sel,
            driver_features: self.driver_features,
            status: self.status,
            isr: self.isr,
            irq_level: self.irq_level,
            config_generation: self.config_generation,
            pending: self.pending,
            device: self.dev.save(),
        }
    }

    /// Puts the transport back as `s` was saved from it, and its interrupt line with it.
    /// A queue state that the queue library refuses (only a state from another device
    /// could be) leaves that queue reset.
    pub fn restore(&mut self, s: &TransportState) {
        for (q, saved) in self.queues.iter_mut().zip(&s.queues) {
            *q = Queue::try_from(*saved).unwrap_or_else(|_| {
                Queue::new(saved.max_size).expect("device queue sizes are powers of two")
            });
        }
        self.queue_sel = s.queue_sel;
        self.device_features_sel = s.device_features_sel;
        self.driver_features_sel = s.driver_features_sel;
        self.driver_features = s.driver_features;
        self.status = s.status;
        self.isr = s.isr;
        self.irq_level = s.irq_level;
        self.config_generation = s.config_generation;
        self.pending = s.pending;
        self.written.clear();
        self.dev.restore(&s.device);
        self.irq.set_level(self.irq_level);
    }

    /// The device, for the machine's inspection (tests).
    pub fn device(&self) -> &dyn Device {
        &*self.dev
    }

    /// The Status register.
    pub fn status(&self) -> u32 {
        self.status
    }

    /// What the driver may accept: the device's bits and VERSION_1, less EVENT_IDX, which
    /// would need the device to keep avail_event up to date (not done: the device takes
    /// every notification, and interrupts unless VRING_AVAIL_F_NO_INTERRUPT says no).
    fn offered(&self) -> u64 {
        (self.dev.features() | F_VERSION_1) & !F_EVENT_IDX
    }

    fn active(&self) -> bool {
        self.status & status::DRIVER_OK != 0 && self.status & status::DEVICE_NEEDS_RESET == 0
    }

    /// Carries out the queue notifications since the last call and lets the device poll
    /// its host side, then drives the interrupt line. `written` receives every guest
    /// range the device wrote.
    pub fn service(&mut self, written: &mut dyn FnMut(u64, u64)) {
        if !self.active() {
            self.pending = 0;
            return;
        }
        let mut notify = false;
        let pending = std::mem::take(&mut self.pending);
        let mut result = Ok(());
        {
            let mut q = Queues {
                mem: &self.mem,
                queues: &mut self.queues,
                notify: &mut notify,
                written: &mut self.written,
            };
            for i in 0..64 {
                if pending & (1 << i) != 0 {
                    result = self.dev.notify(i, &mut q);
                    if result.is_err() {
                        break;
                    }
                }
            }
            if result.is_ok() {
                result = self.dev.poll(&mut q);
            }
        }
        if notify {
            self.isr |= INT_USED_BUFFER;
        }
        if let Err(fault) = result {
            self.fail(&fault);
        }
        for (addr, len) in self.written.drain(..) {
            written(addr, len);
        }
        self.update_irq();
    }

    /// The driver broke the queue rules: stop using the queues until it resets us, and
    /// tell it with a configuration change interrupt (§2.1.1, §4.2.3.3).
    fn fail(&mut self, fault: &Fault) {
        armvirt_cpu::log!(
            armvirt_cpu::log::Category::GuestErrors,
            "armvirt: guest error: {}: {fault}; device needs reset",
            self.dev.name()
        );
        self.status |= status::DEVICE_NEEDS_RESET;
        self.isr |= INT_CONFIG_CHANGE;
    }

    fn update_irq(&mut self) {
        let level = self.isr != 0;
        if level != self.irq_level {
            self.irq_level = level;
            self.irq.set_level(level);
        }
    }

    /// Status 0: the device and the transport back to their state at power-on (§2.4).
    fn reset(&mut self) {
        self.dev.reset();
        for q in &mut self.queues {
            q.reset();
        }
        self.queue_sel = 0;
        self.device_features_sel = 0;
        self.driver_features_sel = 0;
        self.driver_features = 0;
        self.status = 0;
        self.isr = 0;
        self.pending = 0;
        self.update_irq();
    }

    fn set_status(&mut self, value: u32) {
        if value == 0 {
            self.reset();
            return;
        }
        let mut value = value & !status::DEVICE_NEEDS_RESET; // the device's bit
        let newly = value & !self.status;
        if newly & status::FEATURES_OK != 0 {
            // §2.2.2 / §6.1: only offered features, and VERSION_1 for a modern device.
            let ok = self.driver_features & !self.offered() == 0
                && self.driver_features & F_VERSION_1 != 0;
            if !ok {
                value &= !status::FEATURES_OK;
            }
        }
        if newly & status::DRIVER_OK != 0 && value & status::FEATURES_OK != 0 {
            self.dev.activate(self.driver_features);
        }
        self.status = value | (self.status & status::DEVICE_NEEDS_RESET);
    }

    fn queue(&mut self) -> Option<&mut Queue> {
        self.queues.get_mut(self.queue_sel as usize)
    }

    /// Writes to a queue's setup while it is live are ignored (§4.2.2.2: the driver MUST
    /// NOT change them).
    fn queue_setup(&mut self) -> Option<&mut Queue> {
        self.queue().filter(|q| !q.ready())
    }

    fn read_reg(&mut self, offset: u64) -> Result<u32, DeviceError> {
        use reg::*;
        Ok(match offset {
            MAGIC_VALUE => MAGIC,
            VERSION => VERSION_MODERN,
            DEVICE_ID => self.dev.device_id(),
            VENDOR_ID => VENDOR_QEMU,
            DEVICE_FEATURES => match self.device_features_sel {
                0 => self.offered() as u32,
                1 => (self.offered() >> 32) as u32,
                _ => 0,
            },
            QUEUE_NUM_MAX => self
                .queues
                .get(self.queue_sel as usize)
                .map_or(0, |q| q.max_size() as u32),
            QUEUE_READY => self
                .queues
                .get(self.queue_sel as usize)
                .map_or(0, |q| q.ready() as u32),
            INTERRUPT_STATUS => self.isr,
            STATUS => self.status,
            // No shared memory regions: a length of -1 says so (§4.2.2).
            SHM_LEN_LOW | SHM_LEN_HIGH | SHM_BASE_LOW | SHM_BASE_HIGH => u32::MAX,
            CONFIG_GENERATION => self.config_generation,
            _ => return Err(DeviceError::BadOffset { offset }),
        })
    }

    fn write_reg(&mut self, offset: u64, v: u32) -> Result<(), DeviceError> {
        use reg::*;
        match offset {
            DEVICE_FEATURES_SEL => self.device_features_sel = v,
            DRIVER_FEATURES => {
                // Fixed once FEATURES_OK is set (§3.1.1).
                if self.status & status::FEATURES_OK == 0 {
                    let shift = match self.driver_features_sel {
                        0 => 0,
                        1 => 32,
                        _ => return Ok(()),
                    };
                    self.driver_features &= !(0xffff_ffffu64 << shift);
                    self.driver_features |= (v as u64) << shift;
                }
            }
            DRIVER_FEATURES_SEL => self.driver_features_sel = v,
            QUEUE_SEL => self.queue_sel = v,
            QUEUE_NUM => {
                if let Some(q) = self.queue_setup() {
                    // A size that is zero, too large or not a power of two is refused;
                    // the queue keeps its size and a later notify finds it as set up.
                    let _ = q.try_set_size(v as u16);
                }
            }
            QUEUE_READY => {
                if let Some(q) = self.queue() {
                    if v & 1 == 0 {
                        q.set_ready(false);
                    } else if !q.ready() {
                        q.set_ready(true);
                    }
                }
            }
            QUEUE_NOTIFY => {
                // Without VIRTIO_F_NOTIFICATION_DATA the value is the queue index.
                if (v as usize) < self.queues.len() {
                    self.pending |= 1 << v;
                }
            }
            INTERRUPT_ACK => {
                self.isr &= !v;
                self.update_irq();
            }
            STATUS => self.set_status(v),
            QUEUE_DESC_LOW => {
                if let Some(q) = self.queue_setup() {
                    q.set_desc_table_address(Some(v), None);
                }
            }
            QUEUE_DESC_HIGH => {
                if let Some(q) = self.queue_setup() {
                    q.set_desc_table_address(None, Some(v));
                }
            }
            QUEUE_DRIVER_LOW => {
                if let Some(q) = self.queue_setup() {
                    q.set_avail_ring_address(Some(v), None);
                }
            }
            QUEUE_DRIVER_HIGH => {
                if let Some(q) = self.queue_setup() {
                    q.set_avail_ring_address(None, Some(v));
                }
            }
            QUEUE_DEVICE_LOW => {
                if let Some(q) = self.queue_setup() {
                    q.set_used_ring_address(Some(v), None);
                }
            }
            QUEUE_DEVICE_HIGH => {
                if let Some(q) = self.queue_setup() {
                    q.set_used_ring_address(None, Some(v));
                }
            }
            SHM_SEL => {}
            _ => return Err(DeviceError::BadOffset { offset }),
        }
        Ok(())
    }
}

impl MmioDevice for VirtioMmio {
    fn name(&self) -> &'static str {
        self.dev.name()
    }

    fn read(&mut self, offset: u64, size: u8) -> Result<u64, DeviceError> {
        if offset >= reg::CONFIG {
            let mut buf = [0u8; 8];
            let data = &mut buf[..size as usize];
            self.dev.read_config(offset - reg::CONFIG, data);
            return Ok(u64::from_le_bytes(buf));
        }
        // The register block takes 32-bit accesses only (§4.2.2.2); QEMU reads others as 0.
        if size != 4 {
            return Err(DeviceError::BadOffset { offset });
        }
        self.read_reg(offset).map(u64::from)
    }

    fn write(&mut self, offset: u64, size: u8, value: u64) -> Result<(), DeviceError> {
        if offset >= reg::CONFIG {
            let bytes = value.to_le_bytes();
            self.dev
                .write_config(offset - reg::CONFIG, &bytes[..size as usize]);
            return Ok(());
        }
        if size != 4 {
            return Err(DeviceError::BadOffset { offset });
        }
        self.write_reg(offset, value as u32)
    }
}

#[cfg(test)]
#[path = "mmio_tests.rs"]
mod tests;
