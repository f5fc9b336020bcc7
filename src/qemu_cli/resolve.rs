//! References between options, resolved as QEMU resolves them: `-device
//! virtio-blk-device,drive=ID` takes the `-drive id=ID`, `virtio-net-device,netdev=ID` the
//! `-netdev`, `virtconsole`/`-serial chardev:`/`-mon` a `-chardev`; `-net nic` pairs with
//! `-net user` on QEMU's hub. Each definition is used exactly once (a mux=on stdio chardev
//! may serve the serial port and the monitor); an unknown id, a duplicate id, or a
//! definition nothing uses is an error.
//!
//! Serial port and monitor defaults follow QEMU's vl.c: with `-nographic` and neither
//! given, both share stdio (`mon:stdio`, Ctrl-A c switches); with `-nographic` and a
//! monitor elsewhere, the serial port is stdio; with `-nographic` and a serial port
//! elsewhere, the monitor is stdio; `-nodefaults` leaves unset ones out (the PL011's
//! output then goes nowhere). Without `-nographic` armvirt has no display to put them on,
//! so the serial port is the terminal and there is no monitor; `-monitor stdio` then shares
//! the terminal with the serial port (as `mon:stdio`).

use super::backends::{Chardev, Short};
use super::devices::{DeviceDef, DriveDef, NetDef, Nic};
use super::lexer::suboptions;
use armvirt_machine::options::{CharBackend, UserNet, VirtioDevice};

/// An option that creates a virtio device, in command-line order.
#[derive(Debug)]
enum Item {
    /// `-drive if=virtio`: index into `drives`.
    Drive(usize),
    Device(DeviceDef),
    Nic(UserNet, Option<[u8; 6]>),
    Net(NetDef),
}

#[derive(Default, Debug)]
pub struct Refs {
    pub nographic: bool,
    pub nodefaults: bool,
    pub snapshot: bool,
    pub serial: Vec<Short>,
    pub monitor: Vec<Short>,
    /// `-mon chardev=ID`.
    mons: Vec<String>,
    chardevs: Vec<(Chardev, u32)>,
    drives: Vec<(DriveDef, bool)>,
    netdevs: Vec<(UserNet, bool)>,
    items: Vec<Item>,
}

/// What the references resolve to.
#[derive(Debug, Default)]
pub struct Resolved {
    pub virtio: Vec<VirtioDevice>,
    pub serial: Option<CharBackend>,
    pub monitor: Option<CharBackend>,
}

impl Refs {
    pub fn mon(&mut self, text: &str) -> Result<(), String> {
        let items = suboptions(text, Some("chardev"));
        let mut id = None;
        for (k, v) in &items {
            match (k.as_str(), v.as_str()) {
                ("chardev", v) => id = Some(v.to_string()),
                ("mode", "readline") | ("id", _) => {}
                ("mode", m) => {
                    return Err(format!(
                        "-mon mode={m} is not supported: armvirt's monitor is HMP (mode=readline)"
                    ))
                }
                (k, _) => {
                    return Err(format!(
                        "-mon {text}: option '{k}' is not supported (supported: chardev, mode=readline)"
                    ))
                }
            }
        }
        self.mons
            .push(id.ok_or_else(|| format!("-mon {text}: needs chardev=ID"))?);
        Ok(())
    }

    pub fn chardev(&mut self, c: Chardev) -> Result<(), String> {
        if self.chardevs.iter().any(|(d, _)| d.id == c.id) {
            return Err(format!("-chardev id={}: duplicate chardev id", c.id));
        }
        self.chardevs.push((c, 0));
        Ok(())
    }

    pub fn drive(&mut self, d: DriveDef) -> Result<(), String> {
        if let Some(id) = &d.drive.id {
            if self
                .drives
                .iter()
                .any(|(e, _)| e.drive.id.as_ref() == Some(id))
            {
                return Err(format!("-drive id={id}: duplicate drive id"));
            }
        }
        if d.virtio {
            self.items.push(Item::Drive(self.drives.len()));
        }
        let used = d.virtio;
        self.drives.push((d, used));
        Ok(())
    }

    pub fn device(&mut self, d: DeviceDef) {
        self.items.push(Item::Device(d));
    }

    pub fn netdev(&mut self, n: UserNet) -> Result<(), String> {
        if self.netdevs.iter().any(|(e, _)| e.id == n.id) {
            return Err(format!(
                "-netdev id={}: duplicate netdev id",
                n.id.as_deref().unwrap_or("")
            ));
        }
        self.netdevs.push((n, false));
        Ok(())
    }

    pub fn nic(&mut self, nic: Option<Nic>) {
        if let Some((net, mac)) = nic {
            self.items.push(Item::Nic(net, mac));
        }
    }

    pub fn net(&mut self, n: NetDef) {
        self.items.push(Item::Net(n));
    }

    /// The backend chardev `id` names, for `user` (a message's subject).
    fn take_chardev(&mut self, id: &str, user: &str) -> Result<CharBackend, String> {
        let Some((c, uses)) = self.chardevs.iter_mut().find(|(c, _)| c.id == id) else {
            return Err(format!("{user}: no -chardev with id={id}"));
        };
        *uses += 1;
        if *uses > 1 && c.backend != CharBackend::MuxStdio {
            return Err(format!(
                "{user}: chardev '{id}' is already in use (only a stdio chardev with mux=on can be shared)"
            ));
        }
        Ok(c.backend.clone())
    }

    fn take_netdev(&mut self, id: &str, user: &str) -> Result<UserNet, String> {
        let Some((n, used)) = self
            .netdevs
            .iter_mut()
            .find(|(n, _)| n.id.as_deref() == Some(id))
        else {
            return Err(format!("{user}: no -netdev with id={id}"));
        };
        if *used {
            return Err(format!("{user}: netdev '{id}' is already in use"));
        }
        *used = true;
        Ok(n.clone())
    }

    pub fn resolve(mut self) -> Result<Resolved, String> {
        let mut out = Resolved::default();
        let snapshot = self.snapshot;
        for (d, _) in &mut self.drives {
            d.drive.snapshot |= snapshot;
        }
        // -net user is QEMU's hub backend; a -net nic without netdev= joins it.
        let mut hub_users: Vec<UserNet> = Vec::new();
        let mut hub_nics = 0;
        for item in &self.items {
            match item {
                Item::Net(NetDef::User(u)) => hub_users.push(u.clone()),
                Item::Net(NetDef::Nic { netdev: None, .. }) => hub_nics += 1,
                _ => {}
            }
        }
        match (hub_nics, hub_users.len()) {
            (0, 0) | (1, 1) => {}
            (0, _) => return Err("-net user needs a -net nic (or use -nic user)".into()),
            (_, 0) => {
                return Err("-net nic needs -net user (armvirt's only network backend)".into())
            }
            _ => return Err(
                "-net: one -net nic with one -net user is supported; use -netdev/-device for more"
                    .into(),
            ),
        }
        // virtio-serial-device slots: index into out.virtio, and whether a console sits on it.
        let mut serial_slots: Vec<(usize, bool)> = Vec::new();
        let items = std::mem::take(&mut self.items);
        for item in items {
            let dev = match item {
                Item::Drive(i) => VirtioDevice::Blk(self.drives[i].0.drive.clone()),
                Item::Device(DeviceDef::Blk { drive }) => {
                    let user = format!("-device virtio-blk-device,drive={drive}");
                    let Some((d, used)) = self
                        .drives
                        .iter_mut()
                        .find(|(d, _)| d.drive.id.as_deref() == Some(drive.as_str()))
                    else {
                        return Err(format!("{user}: no -drive with id={drive}"));
                    };
                    if *used {
                        return Err(format!(
                            "{user}: drive '{drive}' is already in use (by another device, or if=virtio)"
                        ));
                    }
                    *used = true;
                    VirtioDevice::Blk(d.drive.clone())
                }
                Item::Device(DeviceDef::Net { netdev, mac }) => VirtioDevice::Net {
                    net: self.take_netdev(
                        &netdev,
                        &format!("-device virtio-net-device,netdev={netdev}"),
                    )?,
                    mac,
                },
                Item::Device(DeviceDef::Rng) => VirtioDevice::Rng,
                Item::Device(DeviceDef::Serial { .. }) => {
                    serial_slots.push((out.virtio.len(), false));
                    // Filled in by its virtconsole.
                    VirtioDevice::Console(CharBackend::Null)
                }
                Item::Device(DeviceDef::Console { chardev }) => {
                    let user = format!("-device virtconsole,chardev={chardev}");
                    let backend = self.take_chardev(&chardev, &user)?;
                    let Some(slot) = serial_slots.iter_mut().find(|(_, has)| !has) else {
                        return Err(format!(
                            "{user}: needs a -device virtio-serial-device before it (one console per device)"
                        ));
                    };
                    slot.1 = true;
                    out.virtio[slot.0] = VirtioDevice::Console(backend);
                    continue;
                }
                Item::Nic(net, mac) => VirtioDevice::Net { net, mac },
                Item::Net(NetDef::Nic { mac, netdev }) => match netdev {
                    Some(id) => VirtioDevice::Net {
                        net: self.take_netdev(&id, &format!("-net nic,netdev={id}"))?,
                        mac,
                    },
                    None => VirtioDevice::Net {
                        net: hub_users[0].clone(),
                        mac,
                    },
                },
                Item::Net(NetDef::User(_) | NetDef::None) => continue,
            };
            out.virtio.push(dev);
        }
        if serial_slots.iter().any(|(_, has)| !has) {
            return Err(
                "-device virtio-serial-device without a -device virtconsole on it is not supported"
                    .into(),
            );
        }
        self.serial_and_monitor(&mut out)?;
        if let Some((d, _)) = self.drives.iter().find(|(_, used)| !used) {
            return Err(format!(
                "-drive id={}: no -device virtio-blk-device,drive={} uses it",
                d.drive.id.as_deref().unwrap_or(""),
                d.drive.id.as_deref().unwrap_or("")
            ));
        }
        if let Some((n, _)) = self.netdevs.iter().find(|(_, used)| !used) {
            return Err(format!(
                "-netdev id={}: no -device virtio-net-device uses it",
                n.id.as_deref().unwrap_or("")
            ));
        }
        if let Some((c, _)) = self.chardevs.iter().find(|(_, uses)| *uses == 0) {
            return Err(format!(
                "-chardev id={}: not used by -serial, -mon or a virtconsole",
                c.id
            ));
        }
        let backends: Vec<&CharBackend> = [&out.serial, &out.monitor]
            .into_iter()
            .flatten()
            .chain(out.virtio.iter().filter_map(|d| match d {
                VirtioDevice::Console(b) => Some(b),
                _ => None,
            }))
            .collect();
        // One stdio chardev at most, as QEMU: plain users, plus the shared (mux) one.
        let stdio_users = backends
            .iter()
            .filter(|b| ***b == CharBackend::Stdio)
            .count()
            + backends.iter().any(|b| **b == CharBackend::MuxStdio) as usize;
        if stdio_users > 1 {
            return Err(
                "cannot use stdio by multiple character devices (the serial port, monitor \
                 and consoles): share it with -serial mon:stdio or -chardev stdio,mux=on"
                    .into(),
            );
        }
        Ok(out)
    }

    fn serial_and_monitor(&mut self, out: &mut Resolved) -> Result<(), String> {
        let default_serial = self.serial.is_empty() && !self.nodefaults;
        let default_monitor = self.monitor.is_empty() && self.mons.is_empty() && !self.nodefaults;
        let serial = std::mem::take(&mut self.serial);
        let mut monitor_set = false;
        for (i, s) in serial.into_iter().enumerate() {
            let backend = match s {
                Short::Backend(b) => b,
                Short::None => CharBackend::Null,
                Short::MonStdio => {
                    out.monitor = Some(CharBackend::MuxStdio);
                    monitor_set = true;
                    CharBackend::MuxStdio
                }
                Short::Chardev(id) => self.take_chardev(&id, &format!("-serial chardev:{id}"))?,
            };
            if i == 0 {
                out.serial = Some(backend);
            } else if backend != CharBackend::Null {
                return Err("a second -serial: the virt machine has one UART (PL011)".into());
            }
        }
        let mut monitors: Vec<CharBackend> = Vec::new();
        for m in std::mem::take(&mut self.monitor) {
            match m {
                Short::Backend(b) => monitors.push(b),
                Short::MonStdio => monitors.push(CharBackend::Stdio),
                Short::None => {}
                Short::Chardev(id) => {
                    monitors.push(self.take_chardev(&id, &format!("-monitor chardev:{id}"))?)
                }
            }
        }
        for id in std::mem::take(&mut self.mons) {
            monitors.push(self.take_chardev(&id, &format!("-mon chardev={id}"))?);
        }
        if monitor_set {
            if !monitors.is_empty() {
                return Err(
                    "-serial mon:stdio and another monitor: armvirt has one monitor".into(),
                );
            }
        } else {
            match monitors.len() {
                0 => {}
                1 => out.monitor = monitors.pop(),
                _ => return Err("more than one monitor: armvirt has one".into()),
            }
        }
        if self.nographic {
            match (default_serial, default_monitor) {
                (true, true) => {
                    out.serial = Some(CharBackend::MuxStdio);
                    out.monitor = Some(CharBackend::MuxStdio);
                }
                (true, false) => out.serial = Some(CharBackend::Stdio),
                (false, true) if !monitor_set => out.monitor = Some(CharBackend::Stdio),
                _ => {}
            }
        } else if out.serial.is_none() && self.nodefaults {
            out.serial = Some(CharBackend::Null);
        } else if out.serial.is_none() && out.monitor == Some(CharBackend::Stdio) {
            // QEMU would put the serial port on its display; armvirt's is the terminal,
            // which the monitor then shares (Ctrl-A c).
            out.serial = Some(CharBackend::MuxStdio);
            out.monitor = Some(CharBackend::MuxStdio);
        }
        Ok(())
    }
}
