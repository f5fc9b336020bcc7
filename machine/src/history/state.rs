//! The machine's state apart from RAM, as a snapshot holds it: every vCPU with what the
//! scheduler knows of it, the exclusive monitors, the virtual clock and the scheduler's
//! position, and every device.

use crate::irqchip::IrqChip;
use crate::machine::Machine;
use crate::vcpu::{Power, Wait};
use armvirt_cpu::mmu::tlb::TlbBroadcast;
use armvirt_cpu::snapshot::CpuSnapshot;
use armvirt_cpu::Monitors;
use armvirt_devices::gic::v2::GicV2State;
use armvirt_devices::gic::v3::GicV3State;
use armvirt_devices::pl011::Pl011State;
use armvirt_devices::pl031::Pl031State;
use armvirt_devices::pl061::Pl061State;
use armvirt_devices::virtio::blk::Overlay;
use armvirt_devices::virtio::mmio::TransportState;
use std::sync::atomic::Ordering;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct VcpuState {
    pub cpu: CpuSnapshot,
    pub power: Power,
    pub wait: Wait,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct MachineState {
    pub vcpus: Vec<VcpuState>,
    pub monitors: Monitors,
    /// TLB maintenance broadcast but not yet applied by every vCPU.
    pub tlbi: TlbBroadcast,
    pub now_ns: u64,
    pub epoch: u64,
    pub stopped: bool,
    pub devices: Devices,
}

/// Every device's own state.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Devices {
    pub gic: GicState,
    pub uart: Pl011State,
    pub rtc: Pl031State,
    pub gpio: Pl061State,
    /// When the pressed power button is released (`power_button.rs`).
    pub power_button_release: Option<u64>,
    pub virtio: Vec<TransportState>,
    /// `snapshot=on` disks' overlays (their chunks shared, copied on the next write).
    pub disks: Vec<(usize, Overlay)>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) enum GicState {
    V2(GicV2State),
    V3(GicV3State),
}

impl Machine {
    pub(crate) fn save_state(&self) -> MachineState {
        MachineState {
            vcpus: self
                .vcpus
                .iter()
                .map(|v| VcpuState {
                    cpu: v.cpu.save(),
                    power: v.power,
                    wait: v.wait,
                })
                .collect(),
            monitors: self.monitors.clone(),
            tlbi: self.tlbi.clone(),
            now_ns: self.now_ns,
            epoch: self.epoch,
            stopped: self.stopped,
            devices: self.save_devices(),
        }
    }

    /// Puts everything but RAM back as `s` was taken (RAM is the RAM history's).
    pub(crate) fn restore_state(&mut self, s: &MachineState) {
        for (v, saved) in self.vcpus.iter_mut().zip(&s.vcpus) {
            v.cpu.restore(&saved.cpu);
            v.power = saved.power;
            v.wait = saved.wait;
        }
        // In place: generated code holds the address of the monitors' armed count.
        self.monitors.clone_from(&s.monitors);
        self.tlbi.clone_from(&s.tlbi);
        self.now_ns = s.now_ns;
        self.epoch = s.epoch;
        self.stopped = s.stopped;
        self.clock.store(self.now_ns, Ordering::Relaxed);
        self.restore_devices(&s.devices);
    }

    fn save_devices(&self) -> Devices {
        let gic = match &self.gic {
            IrqChip::V2(g) => GicState::V2(g.state()),
            IrqChip::V3(g) => GicState::V3(g.state()),
        };
        Devices {
            gic,
            uart: self.uart.lock().state().clone(),
            rtc: self.rtc.lock().state().clone(),
            gpio: self.gpio.lock().state().clone(),
            power_button_release: self.power_button_release,
            virtio: self.virtio.save(),
            disks: self.virtio.save_disks(),
        }
    }

    fn restore_devices(&mut self, d: &Devices) {
        match (&self.gic, &d.gic) {
            (IrqChip::V2(g), GicState::V2(s)) => g.restore(s.clone()),
            (IrqChip::V3(g), GicState::V3(s)) => g.restore(s.clone()),
            // A snapshot of this machine has its GIC's version.
            _ => {}
        }
        self.uart.lock().restore(d.uart.clone());
        self.rtc.lock().restore(d.rtc.clone());
        self.gpio.lock().restore(d.gpio.clone());
        self.power_button_release = d.power_button_release;
        self.virtio.restore(&d.virtio);
        self.virtio.restore_disks(&d.disks);
    }
}
