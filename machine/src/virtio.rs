//! The 32 virtio-mmio transports of QEMU's virt board (`hw/arm/virt.c`
//! `create_virtio_devices`): slot n at 0x0a00_0000 + n * 0x200 raising SPI 16 + n, every
//! slot in the device tree whether or not a device sits in it. Devices take slots as QEMU
//! gives them: the first `-device` the highest address (slot 31), the next slot 30, ...
//! (QEMU's transports are created in ascending order, and qbus lists them newest first).
//!
//! An empty slot is the placeholder that answers DeviceID 0; a populated one is a
//! [`VirtioMmio`] the run loop services at each round boundary ([`Virtio::service`]), so
//! requests complete at fixed points of virtual time. With no device configured the list
//! is empty and costs nothing.

use crate::bus::MmioBus;
use crate::config::Config;
use crate::console::{Shared, Stdout};
use crate::disk::{self, SharedDisk};
use crate::error::Error;
use crate::irqchip::IrqChip;
use crate::memmap::{self, spi};
use crate::net::{Networks, SharedNet, UserNetwork};
use crate::options::{CharBackend, VirtioDevice};
use crate::placeholder::EmptyVirtioMmio;
use crate::ram::GuestRam;
use armvirt_devices::virtio::blk::{Blk, BlockBackend, Overlay};
use armvirt_devices::virtio::console::{Console, Input as ConsoleInput};
use armvirt_devices::virtio::mmio::{TransportState, VirtioMmio};
use armvirt_devices::virtio::net::Net;
use armvirt_devices::virtio::rng::Rng;
use armvirt_devices::virtio::{Device, GuestMem};
use vm_memory::{GuestAddress, GuestRegionMmap, MmapRegion};

/// The populated transports, for the run loop.
#[derive(Default)]
pub struct Virtio {
    transports: Vec<Shared<VirtioMmio>>,
    /// The snapshot disks, by device index, for [`Virtio::keep_snapshots`].
    snapshots: Vec<(usize, SharedDisk)>,
    /// The user networks behind the virtio-net devices, in NIC order, for the run loop's
    /// idle step and for the machine after a reset (which keeps them, as QEMU keeps its
    /// netdevs: their sockets, connections and forwarded ports).
    pub(crate) nets: Networks,
    /// The input of the virtconsole that has stdin (on a chardev of its own).
    pub(crate) virtconsole: Option<ConsoleInput>,
}

impl Virtio {
    /// Maps all 32 slots on `bus`, building the configured devices into theirs; the NICs
    /// take over `keep`'s networks (a reset's), in NIC order, where it has them.
    pub fn attach(
        config: &Config,
        ram: &mut GuestRam,
        gic: &IrqChip,
        bus: &mut MmioBus,
        keep: &Networks,
    ) -> Result<Self, Error> {
        let devices = &config.options.virtio;
        let count = memmap::VIRTIO_MMIO_COUNT as usize;
        if devices.len() > count {
            return Err(Error::Config(format!(
                "{} virtio devices, but the virt machine has {count} virtio-mmio slots",
                devices.len()
            )));
        }
        let mem = if devices.is_empty() {
            None
        } else {
            Some(guest_memory(ram)?)
        };
        let mut transports = Vec::new();
        let mut snapshots = Vec::new();
        let mut built = Built::default();
        for n in 0..memmap::VIRTIO_MMIO_COUNT {
            let slot = memmap::virtio_mmio(n);
            // The first device gets the last slot.
            let index = count - 1 - n as usize;
            match (devices.get(index), &mem) {
                (Some(dev), Some(mem)) => {
                    let (dev, snapshot) = build(dev, index, config, keep, &mut built)?;
                    if let Some(disk) = snapshot {
                        snapshots.push((index, disk));
                    }
                    let irq = gic.spi_line(spi::VIRTIO_MMIO_FIRST + n);
                    let t = Shared::new(VirtioMmio::new(dev, mem.clone(), irq));
                    bus.insert(slot.base, slot.size, Box::new(t.clone()))?;
                    transports.push(t);
                }
                _ => bus.insert(slot.base, slot.size, Box::new(EmptyVirtioMmio))?,
            }
        }
        // Lowest address first: the last device on the command line first.
        built.nics.sort_by_key(|(nic, _)| *nic);
        let nets = Networks(built.nics.into_iter().map(|(_, net)| net).collect());
        Ok(Virtio {
            transports,
            snapshots,
            nets,
            virtconsole: built.virtconsole,
        })
    }

    /// After a machine reset: the snapshot disks keep the guest's writes from before it,
    /// as QEMU's `snapshot=on` overlay lasts until the process exits.
    pub fn keep_snapshots(&mut self, old: &Virtio) {
        for (index, disk) in &self.snapshots {
            if let Some((_, before)) = old.snapshots.iter().find(|(i, _)| i == index) {
                disk.take_from(before);
            }
        }
    }

    /// Carries out the queue notifications since the last round and the devices'
    /// host-side work. Device writes to guest RAM drop the decoded code they cover, as
    /// the CPU's own stores do (`written` hears of each range).
    pub fn service(&mut self, written: &mut dyn FnMut(u64, u64)) {
        for t in &self.transports {
            t.lock().service(&mut *written);
        }
    }

    /// Each snapshot disk's overlay, by device index (a machine snapshot).
    pub fn save_disks(&self) -> Vec<(usize, Overlay)> {
        self.snapshots
            .iter()
            .filter_map(|(i, d)| d.overlay().map(|o| (*i, o)))
            .collect()
    }

    /// Puts back what [`Virtio::save_disks`] gave.
    pub fn restore_disks(&self, saved: &[(usize, Overlay)]) {
        for (index, overlay) in saved {
            if let Some((_, disk)) = self.snapshots.iter().find(|(i, _)| i == index) {
                disk.clone().set_overlay(overlay.clone());
            }
        }
    }

    /// Every transport's state, in slot order (a machine snapshot).
    pub fn save(&self) -> Vec<TransportState> {
        self.transports.iter().map(|t| t.lock().save()).collect()
    }

    /// Puts back what [`Virtio::save`] gave.
    pub fn restore(&self, states: &[TransportState]) {
        for (t, s) in self.transports.iter().zip(states) {
            t.lock().restore(s);
        }
    }

    /// The `k`th populated transport (in slot order, lowest address first).
    pub fn transport(&self, k: usize) -> Option<&Shared<VirtioMmio>> {
        self.transports.get(k)
    }

    /// How many slots hold a device.
    pub fn len(&self) -> usize {
        self.transports.len()
    }

    pub fn is_empty(&self) -> bool {
        self.transports.is_empty()
    }
}

/// What the run loop takes from the devices built: their inputs' host ends.
#[derive(Default)]
struct Built {
    nics: Vec<(usize, SharedNet)>,
    virtconsole: Option<ConsoleInput>,
}

/// The device model for one `-device`, and its disk if that is a snapshot; `index` is its
/// place on the command line.
fn build(
    dev: &VirtioDevice,
    index: usize,
    config: &Config,
    keep: &Networks,
    inputs: &mut Built,
) -> Result<(Box<dyn Device>, Option<SharedDisk>), Error> {
    let dev: Box<dyn Device> = match dev {
        VirtioDevice::Blk(drive) => {
            let disk = disk::open(drive)?;
            let blk = Box::new(Blk::new(Box::new(disk.clone()), drive.readonly));
            return Ok((blk, drive.snapshot.then_some(disk)));
        }
        // Seeded from the machine's seed, distinct per device: runs repeat (`rng.rs`).
        VirtioDevice::Rng => Box::new(Rng::new(
            config.dtb_seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
        )),
        VirtioDevice::Console(backend) => {
            let console = Console::new(match backend {
                CharBackend::Stdio | CharBackend::MuxStdio => Box::new(Stdout),
                CharBackend::Null => Box::new(std::io::sink()),
                other => {
                    return Err(Error::Config(format!(
                        "virtconsole: chardev {other:?} is not supported (stdio or null)"
                    )))
                }
            });
            // stdin alone (not muxed with the serial port, which keeps it then, as
            // QEMU's mux gives it the serial port) is the port's input.
            if *backend == CharBackend::Stdio {
                inputs.virtconsole.get_or_insert_with(|| console.input());
            }
            Box::new(console)
        }
        VirtioDevice::Net { net, mac } => {
            // QEMU numbers default MACs by NIC in command-line order.
            let nic = config.options.virtio[..index]
                .iter()
                .filter(|d| matches!(d, VirtioDevice::Net { .. }))
                .count();
            let shared = match keep.0.get(nic) {
                Some(old) => old.clone(),
                None if config.net_offline => SharedNet::offline(),
                None => SharedNet::new(
                    UserNetwork::new(net)
                        .map_err(|e| Error::Config(format!("-netdev user: {e}")))?,
                ),
            };
            inputs.nics.push((nic, shared.clone()));
            let mac = mac.unwrap_or_else(|| Net::default_mac(nic as u8));
            Box::new(Net::new(mac, Box::new(shared)))
        }
    };
    Ok((dev, None))
}

/// Guest RAM as the devices see it: a vm-memory region over the machine's mapping (not a
/// second mapping: the same bytes the vCPUs use).
fn guest_memory(ram: &mut GuestRam) -> Result<GuestMem, Error> {
    let size = ram.size() as usize;
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
    // SAFETY: `host_ptr` is the start of `size` readable and writable bytes that stay
    // mapped for as long as the machine (which owns both the RAM and the devices) lives;
    // a raw region is never unmapped by vm-memory. Devices run on the vCPUs' thread,
    // between slices, so their accesses never race the guest's.
    let region = unsafe {
        MmapRegion::build_raw(
            ram.host_ptr(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            flags,
        )
    }
    .map_err(|e| Error::Config(format!("cannot share guest RAM with the devices: {e}")))?;
    let region = GuestRegionMmap::new(region, GuestAddress(ram.base()))
        .ok_or_else(|| Error::Config("guest RAM does not fit the address space".into()))?;
    GuestMem::from_regions(vec![region])
        .map_err(|e| Error::Config(format!("cannot share guest RAM with the devices: {e}")))
}

#[cfg(test)]
#[path = "virtio_tests.rs"]
mod tests;
