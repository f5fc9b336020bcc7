//! Block, network and virtio options: `-drive`, `-device`, `-netdev`, `-nic`, `-net`,
//! parsed into definitions that `resolve.rs` ties together by id.
//!
//! On armvirt every virtio device is virtio-mmio (QEMU's `virtio-*-device`): where QEMU's
//! virt would add a virtio-PCI device (`-drive if=virtio`, `-nic`, `-net nic`), armvirt adds
//! the virtio-mmio one; the guest sees the same disk or NIC behind the virtio_mmio driver.
//! A `*-pci` device named explicitly is refused.

use super::lexer::{boolean, suboptions};
use armvirt_machine::options::{Drive, HostFwd, UserNet};
use std::net::Ipv4Addr;
use std::path::PathBuf;

/// `-drive`: the disk, and whether a `-device` must attach it (`if=none`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriveDef {
    pub drive: Drive,
    /// `if=virtio` (QEMU virt's default interface): a virtio-blk-device of its own.
    pub virtio: bool,
}

/// `-device` drivers armvirt has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceDef {
    Blk {
        drive: String,
    },
    Net {
        netdev: String,
        mac: Option<[u8; 6]>,
    },
    Rng,
    Serial {
        id: Option<String>,
    },
    Console {
        chardev: String,
    },
}

const DEVICES: &str =
    "virtio-blk-device, virtio-net-device, virtio-rng-device, virtio-serial-device, virtconsole";

/// Refuses any key of `items` outside `allowed` (naming the option and the key).
pub fn check_keys(what: &str, items: &[(String, String)], allowed: &[&str]) -> Result<(), String> {
    for (k, _) in items {
        if !allowed.contains(&k.as_str()) {
            return Err(format!(
                "{what}: option '{k}' is not supported (supported: {})",
                allowed.join(", ")
            ));
        }
    }
    Ok(())
}

fn last<'a>(items: &'a [(String, String)], key: &str) -> Option<&'a str> {
    items
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn flag(items: &[(String, String)], key: &str, what: &str) -> Result<bool, String> {
    last(items, key).map_or(Ok(false), |v| boolean(key, v, what))
}

/// qcow2's magic ("QFI\xfb"): armvirt reads raw images only.
const QCOW_MAGIC: [u8; 4] = *b"QFI\xfb";

/// `-drive file=F[,if=none|virtio][,format=raw][,id=ID][,readonly=on][,snapshot=on]`.
pub fn parse_drive(text: &str) -> Result<DriveDef, String> {
    let what = format!("-drive {text}");
    let items = suboptions(text, None);
    check_keys(
        &what,
        &items,
        &[
            "file", "if", "format", "id", "readonly", "snapshot", "media", "cache",
        ],
    )?;
    let file = last(&items, "file")
        .filter(|f| !f.is_empty())
        .ok_or_else(|| format!("{what}: needs file="))?;
    let virtio = match last(&items, "if").unwrap_or("virtio") {
        "virtio" => true,
        "none" => false,
        other => {
            return Err(format!(
                "{what}: if={other} is not supported (supported: virtio, none)"
            ))
        }
    };
    match last(&items, "format") {
        None | Some("raw") => {}
        Some(f) => {
            return Err(format!(
                "{what}: format={f} is not supported (raw only; qemu-img convert -O raw)"
            ))
        }
    }
    if let Some(m) = last(&items, "media").filter(|m| *m != "disk") {
        return Err(format!("{what}: media={m} is not supported (disk only)"));
    }
    // QEMU would probe an image without format=; refuse the one format it would find
    // that armvirt would otherwise read as raw bytes.
    if let Ok(mut f) = std::fs::File::open(file) {
        let mut magic = [0u8; 4];
        if std::io::Read::read_exact(&mut f, &mut magic).is_ok() && magic == QCOW_MAGIC {
            return Err(format!(
                "{what}: '{file}' is a qcow2 image; armvirt reads raw images only (qemu-img convert -O raw)"
            ));
        }
    }
    let id = last(&items, "id").map(str::to_string);
    if !virtio && id.is_none() {
        return Err(format!(
            "{what}: if=none needs id= for a -device to name it"
        ));
    }
    Ok(DriveDef {
        drive: Drive {
            id,
            file: PathBuf::from(file),
            readonly: flag(&items, "readonly", &what)?,
            snapshot: flag(&items, "snapshot", &what)?,
        },
        virtio,
    })
}

/// `-device DRIVER,...`.
pub fn parse_device(text: &str) -> Result<DeviceDef, String> {
    let items = suboptions(text, Some("driver"));
    let driver = last(&items, "driver").unwrap_or("");
    let what = format!("-device {driver}");
    let need = |key: &str| -> Result<String, String> {
        last(&items, key)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .ok_or_else(|| format!("{what} needs {key}="))
    };
    let def = match driver {
        "virtio-blk-device" => {
            check_keys(&what, &items, &["driver", "id", "drive"])?;
            DeviceDef::Blk {
                drive: need("drive")?,
            }
        }
        "virtio-net-device" => {
            check_keys(&what, &items, &["driver", "id", "netdev", "mac"])?;
            DeviceDef::Net {
                netdev: need("netdev")?,
                mac: last(&items, "mac")
                    .map(|m| parse_mac(&what, m))
                    .transpose()?,
            }
        }
        "virtio-rng-device" => {
            check_keys(&what, &items, &["driver", "id"])?;
            DeviceDef::Rng
        }
        "virtio-serial-device" => {
            check_keys(&what, &items, &["driver", "id"])?;
            DeviceDef::Serial {
                id: last(&items, "id").map(str::to_string),
            }
        }
        "virtconsole" => {
            check_keys(&what, &items, &["driver", "id", "chardev", "bus"])?;
            DeviceDef::Console {
                chardev: need("chardev")?,
            }
        }
        d if d.contains("pci") || d == "virtio-blk" || d == "virtio-net" || d == "e1000" => {
            return Err(format!(
                "-device {d} is not supported: armvirt has no PCI; its virtio devices are \
                 virtio-mmio ({DEVICES})"
            ))
        }
        d => {
            return Err(format!(
                "-device {d} is not supported (supported: {DEVICES})"
            ))
        }
    };
    Ok(def)
}

/// `52:54:00:12:34:56`.
pub fn parse_mac(what: &str, text: &str) -> Result<[u8; 6], String> {
    let bad = || format!("{what}: mac={text} is not a MAC address (example: 52:54:00:12:34:56)");
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() != 6 {
        return Err(bad());
    }
    let mut mac = [0u8; 6];
    for (b, p) in mac.iter_mut().zip(parts) {
        if p.len() != 2 {
            return Err(bad());
        }
        *b = u8::from_str_radix(p, 16).map_err(|_| bad())?;
    }
    Ok(mac)
}

/// `[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT` (QEMU's hostfwd; an empty
/// HOSTADDR is 127.0.0.1 here, every interface in QEMU).
pub fn parse_hostfwd(what: &str, text: &str) -> Result<HostFwd, String> {
    let bad = |why: &str| {
        format!("{what}: hostfwd={text} {why} (format: tcp:127.0.0.1:HOSTPORT-:GUESTPORT)")
    };
    let (udp, rest) = if let Some(r) = text.strip_prefix("udp:") {
        (true, r)
    } else if let Some(r) = text.strip_prefix("tcp:") {
        (false, r)
    } else if let Some(r) = text.strip_prefix(':') {
        (false, r)
    } else {
        return Err(bad("names no protocol (tcp: or udp:)"));
    };
    let (host, guest) = rest.split_once('-').ok_or_else(|| bad("has no '-'"))?;
    let split = |s: &str| -> Result<(Option<Ipv4Addr>, u16), String> {
        let (a, p) = s.rsplit_once(':').ok_or_else(|| bad("lacks ADDR:PORT"))?;
        let addr = match a {
            "" => None,
            a => Some(
                a.parse()
                    .map_err(|_| bad(&format!("has '{a}', not an IPv4 address")))?,
            ),
        };
        let port: u16 = p
            .parse()
            .map_err(|_| bad(&format!("has '{p}', not a port")))?;
        if port == 0 {
            return Err(bad("has port 0"));
        }
        Ok((addr, port))
    };
    let (host_addr, host_port) = split(host)?;
    let (guest_addr, guest_port) = split(guest)?;
    Ok(HostFwd {
        udp,
        host_addr: host_addr.unwrap_or(Ipv4Addr::LOCALHOST),
        host_port,
        guest_addr,
        guest_port,
    })
}

/// `-netdev user,id=ID[,hostfwd=...]...`.
pub fn parse_netdev(text: &str) -> Result<UserNet, String> {
    let items = suboptions(text, Some("type"));
    match last(&items, "type").unwrap_or("") {
        "user" => {}
        t => {
            return Err(format!(
                "-netdev {t} is not supported (supported: user, libslirp's user-mode network)"
            ))
        }
    }
    let what = format!("-netdev {text}");
    check_keys(&what, &items, &["type", "id", "hostfwd"])?;
    let id = last(&items, "id")
        .filter(|i| !i.is_empty())
        .ok_or_else(|| format!("{what}: needs id="))?;
    Ok(UserNet {
        id: Some(id.to_string()),
        hostfwd: hostfwds(&what, &items)?,
    })
}

/// Every `hostfwd=` of an option, in order (QEMU allows several).
pub fn hostfwds(what: &str, items: &[(String, String)]) -> Result<Vec<HostFwd>, String> {
    items
        .iter()
        .filter(|(k, _)| k == "hostfwd")
        .map(|(_, v)| parse_hostfwd(what, v))
        .collect()
}

/// The NIC models that mean a virtio-net-device here (`virtio` is QEMU's
/// virtio-net-pci; armvirt has virtio-mmio only).
pub fn nic_model(what: &str, model: Option<&str>) -> Result<(), String> {
    match model {
        None | Some("virtio") | Some("virtio-net-device") => Ok(()),
        Some(m) => Err(format!(
            "{what}: model={m} is not supported (supported: virtio-net-device, virtio; \
             both are virtio-mmio here)"
        )),
    }
}

/// A `-nic`: its network and MAC address.
pub type Nic = (UserNet, Option<[u8; 6]>);

/// `-nic user[,hostfwd=..][,mac=..][,model=..]` or `-nic none`: a NIC and its network
/// in one; `None` for `none`.
pub fn parse_nic(text: &str) -> Result<Option<Nic>, String> {
    let items = suboptions(text, Some("type"));
    let what = format!("-nic {text}");
    match last(&items, "type").unwrap_or("") {
        "none" => return Ok(None),
        "user" => {}
        t => return Err(format!("-nic {t} is not supported (supported: user, none)")),
    }
    check_keys(&what, &items, &["type", "id", "hostfwd", "mac", "model"])?;
    nic_model(&what, last(&items, "model"))?;
    let mac = last(&items, "mac")
        .map(|m| parse_mac(&what, m))
        .transpose()?;
    Ok(Some((
        UserNet {
            id: last(&items, "id").map(str::to_string),
            hostfwd: hostfwds(&what, &items)?,
        },
        mac,
    )))
}

/// One legacy `-net` option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetDef {
    Nic {
        mac: Option<[u8; 6]>,
        /// `-net nic,netdev=ID`: attached to that -netdev instead of the hub.
        netdev: Option<String>,
    },
    User(UserNet),
    None,
}

/// `-net nic[,model=..][,mac=..][,netdev=ID]`, `-net user[,hostfwd=..]`, `-net none`.
pub fn parse_net(text: &str) -> Result<NetDef, String> {
    let items = suboptions(text, Some("type"));
    let what = format!("-net {text}");
    match last(&items, "type").unwrap_or("") {
        "nic" => {
            check_keys(
                &what,
                &items,
                &["type", "model", "mac", "netdev", "id", "name"],
            )?;
            nic_model(&what, last(&items, "model"))?;
            Ok(NetDef::Nic {
                mac: last(&items, "mac")
                    .map(|m| parse_mac(&what, m))
                    .transpose()?,
                netdev: last(&items, "netdev").map(str::to_string),
            })
        }
        "user" => {
            check_keys(&what, &items, &["type", "hostfwd", "id", "name"])?;
            Ok(NetDef::User(UserNet {
                id: None,
                hostfwd: hostfwds(&what, &items)?,
            }))
        }
        "none" => Ok(NetDef::None),
        t => Err(format!(
            "-net {t} is not supported (supported: nic, user, none)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drives() {
        let d = parse_drive("file=r.img,if=none,format=raw,id=hd0,readonly=on").unwrap();
        assert_eq!(
            d,
            DriveDef {
                drive: Drive {
                    id: Some("hd0".into()),
                    file: "r.img".into(),
                    readonly: true,
                    snapshot: false
                },
                virtio: false
            }
        );
        let d = parse_drive("file=a,,b,snapshot=on").unwrap();
        assert!(d.virtio && d.drive.snapshot && d.drive.file == std::path::Path::new("a,b"));
        let err = |t| parse_drive(t).unwrap_err();
        assert!(err("if=none,id=x").contains("needs file="));
        assert!(err("file=x,if=ide").contains("if=ide is not supported"));
        assert!(err("file=x,format=qcow2").contains("format=qcow2 is not supported"));
        assert!(err("file=x,if=none").contains("needs id="));
        assert!(err("file=x,aio=native").contains("option 'aio'"));
    }

    #[test]
    fn devices() {
        assert_eq!(
            parse_device("virtio-blk-device,drive=hd0"),
            Ok(DeviceDef::Blk {
                drive: "hd0".into()
            })
        );
        assert_eq!(
            parse_device("virtio-net-device,netdev=n,mac=52:54:00:12:34:56"),
            Ok(DeviceDef::Net {
                netdev: "n".into(),
                mac: Some([0x52, 0x54, 0, 0x12, 0x34, 0x56])
            })
        );
        assert_eq!(parse_device("virtio-rng-device"), Ok(DeviceDef::Rng));
        assert_eq!(
            parse_device("virtconsole,chardev=c"),
            Ok(DeviceDef::Console {
                chardev: "c".into()
            })
        );
        let err = |t| parse_device(t).unwrap_err();
        assert!(err("virtio-blk-pci,drive=x").contains("armvirt has no PCI"));
        assert!(err("virtio-blk-device").contains("needs drive="));
        assert!(
            err("sb16").starts_with("-device sb16 is not supported (supported: virtio-blk-device")
        );
        assert!(err("virtio-net-device,netdev=n,mac=zz").contains("not a MAC address"));
    }

    #[test]
    fn hostfwd_rules() {
        let f = parse_hostfwd("-netdev", "tcp:127.0.0.1:2222-:22").unwrap();
        assert_eq!(
            f,
            HostFwd {
                udp: false,
                host_addr: Ipv4Addr::LOCALHOST,
                host_port: 2222,
                guest_addr: None,
                guest_port: 22
            }
        );
        let f = parse_hostfwd("-netdev", "udp::5555-10.0.2.15:55").unwrap();
        assert!(f.udp && f.guest_addr == Some(Ipv4Addr::new(10, 0, 2, 15)));
        assert!(parse_hostfwd("-n", "tcp:1-2").is_err());
        assert!(parse_hostfwd("-n", "sctp::1-:2").is_err());
        let n = parse_netdev("user,id=n0,hostfwd=tcp::1-:2,hostfwd=tcp::3-:4").unwrap();
        assert_eq!(n.hostfwd.len(), 2);
        assert!(parse_netdev("tap,id=t")
            .unwrap_err()
            .contains("-netdev tap is not supported"));
        assert!(parse_netdev("user").unwrap_err().contains("needs id="));
    }

    #[test]
    fn legacy_net() {
        assert_eq!(
            parse_net("nic"),
            Ok(NetDef::Nic {
                mac: None,
                netdev: None
            })
        );
        assert_eq!(parse_net("none"), Ok(NetDef::None));
        assert!(parse_net("nic,model=e1000")
            .unwrap_err()
            .contains("model=e1000"));
        assert!(matches!(
            parse_net("user,hostfwd=tcp::1-:2"),
            Ok(NetDef::User(_))
        ));
        assert_eq!(parse_nic("none"), Ok(None));
        assert!(parse_nic("tap").is_err());
    }
}
