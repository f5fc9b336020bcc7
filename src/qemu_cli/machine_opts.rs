//! The machine's own options: `-machine`, `-cpu`, `-m`, `-smp`, `-accel`, `-gdb`, each
//! checked against what QEMU 7.2's virt accepts and what armvirt models.

use super::lexer::{suboptions, Merged};
use armvirt_machine::config::{
    self, check_cpus, check_ram_size, parse_gdb_addr, parse_size, GdbAddr,
};
use armvirt_machine::irqchip::GicVersion;
use armvirt_machine::options::CpuModel;

/// What `-machine` resolves to.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MachineOpts {
    pub gic: Option<GicVersion>,
    pub dumpdtb: Option<String>,
}

/// `-machine` keys armvirt knows it cannot honour, and why.
const MACHINE_REFUSED: &[(&str, &str)] = &[
    ("virtualization", "armvirt has no EL2"),
    ("secure", "armvirt has no EL3 or Secure state"),
    ("mte", "armvirt's CPUs have no MTE"),
    ("iommu", "armvirt has no SMMU (no PCI)"),
    ("acpi", "armvirt boots with a device tree"),
    ("memory-backend", "armvirt's RAM is anonymous memory"),
];

/// The merged `-machine` options.
pub fn machine(m: &Merged) -> Result<MachineOpts, String> {
    let mut out = MachineOpts::default();
    for (k, v) in &m.0 {
        match k.as_str() {
            "type" => match v.as_str() {
                "virt" => {}
                t if t.strip_prefix("virt-").is_some_and(|ver| {
                    !ver.is_empty() && ver.chars().all(|c| c.is_ascii_digit() || c == '.')
                }) => {}
                t => {
                    return Err(format!(
                        "-machine {t} is not supported: armvirt emulates only -machine virt"
                    ))
                }
            },
            "gic-version" => {
                out.gic = Some(match v.as_str() {
                    "2" => GicVersion::V2,
                    // max: the highest this TCG machine has, as QEMU resolves it.
                    "3" | "max" => GicVersion::V3,
                    g => {
                        return Err(format!(
                            "-machine gic-version={g} is not supported (supported: 2, 3, max)"
                        ))
                    }
                })
            }
            "dumpdtb" => out.dumpdtb = Some(v.clone()),
            "accel" => accel_list(&format!("-machine accel={v}"), v.split(':'))?,
            k => {
                return Err(match MACHINE_REFUSED.iter().find(|(key, _)| *key == k) {
                    Some((_, why)) => format!("-machine {k}={v} is not supported: {why}"),
                    None => format!(
                        "-machine option '{k}' is not supported (supported: type=virt, \
                         gic-version=2|3|max, dumpdtb=FILE)"
                    ),
                })
            }
        }
    }
    Ok(out)
}

/// Accelerators in QEMU's order of preference: fine when tcg is among them (QEMU falls
/// back to the next one that works; armvirt is, in effect, always tcg).
pub fn accel_list<'a>(what: &str, names: impl Iterator<Item = &'a str>) -> Result<(), String> {
    let names: Vec<&str> = names.collect();
    if names.contains(&"tcg") {
        return Ok(());
    }
    Err(format!(
        "{what} is not supported: armvirt is an emulator (supported: tcg)"
    ))
}

/// `-accel tcg[,thread=single|multi][,tb-size=N]`: the accelerator's name.
pub fn accel(text: &str) -> Result<String, String> {
    let items = suboptions(text, Some("accel"));
    let name = items
        .iter()
        .find(|(k, _)| k == "accel")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    for (k, v) in &items {
        match (k.as_str(), v.as_str()) {
            ("accel", _) => {}
            ("thread", "single" | "multi") | ("tb-size", _) if name == "tcg" => {}
            _ => {
                return Err(format!(
                    "-accel {text}: option '{k}={v}' is not supported (supported: thread=single|multi, tb-size=N)"
                ))
            }
        }
    }
    Ok(name)
}

/// `-cpu NAME`.
pub fn cpu(text: &str) -> Result<CpuModel, String> {
    let (name, props) = text.split_once(',').unwrap_or((text, ""));
    let model = [
        CpuModel::CortexA72,
        CpuModel::CortexA57,
        CpuModel::CortexA53,
    ]
    .into_iter()
    .find(|m| m.name() == name)
    .ok_or_else(|| {
        format!("-cpu {name} is not supported (supported: cortex-a72, cortex-a57, cortex-a53)")
    })?;
    if !props.is_empty() {
        return Err(format!(
            "-cpu {text}: CPU properties ('{props}') are not supported"
        ));
    }
    Ok(model)
}

/// The merged `-m` options: the RAM size.
pub fn memory(spelled: &str, m: &Merged) -> Result<u64, String> {
    for (k, _) in &m.0 {
        if k != "size" {
            return Err(format!(
                "{spelled} {k}=: memory hotplug (slots=, maxmem=) is not supported (supported: size=)"
            ));
        }
    }
    let text = m.get("size").unwrap_or("");
    let size =
        parse_size(text).map_err(|e| format!("invalid value '{text}' for {spelled}: {e}"))?;
    check_ram_size(size)?;
    Ok(size)
}

/// The merged `-smp` options: the number of CPUs, with QEMU 7.2's rules for the
/// topology (hw/core/machine-smp.c: a missing count is derived, preferring cores since
/// 6.2; the product of sockets, dies, clusters, cores and threads must be maxcpus).
pub fn smp(m: &Merged) -> Result<u32, String> {
    let n = |key: &str| -> Result<Option<u32>, String> {
        match m.get(key) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<u32>()
                .map(Some)
                .map_err(|_| format!("'{v}' is not a number of CPUs")),
        }
    };
    let cpus = n("cpus")?;
    let maxcpus = n("maxcpus")?;
    let sockets = n("sockets")?;
    let dies = n("dies")?.unwrap_or(1);
    let clusters = n("clusters")?.unwrap_or(1);
    let mut cores = n("cores")?;
    let mut threads = n("threads")?;
    for (k, _) in &m.0 {
        if ![
            "cpus", "maxcpus", "sockets", "dies", "clusters", "cores", "threads",
        ]
        .contains(&k.as_str())
        {
            return Err(format!(
                "-smp option '{k}' is not supported (supported: cpus, cores, threads, sockets, dies, clusters, maxcpus)"
            ));
        }
    }
    if cpus == Some(0) {
        check_cpus(0)?;
    }
    let sockets_v;
    if cpus.is_none() && maxcpus.is_none() {
        sockets_v = sockets.unwrap_or(1);
        cores = Some(cores.unwrap_or(1));
        threads = Some(threads.unwrap_or(1));
    } else {
        let max = maxcpus.or(cpus).unwrap();
        sockets_v = sockets.unwrap_or(1);
        let t = threads.unwrap_or(1);
        if cores.is_none() {
            cores = Some(max / (sockets_v * dies * clusters * t).max(1));
        }
        if threads.is_none() {
            threads = Some(max / (sockets_v * dies * clusters * cores.unwrap()).max(1));
        }
    }
    let product = sockets_v as u64
        * dies as u64
        * clusters as u64
        * cores.unwrap() as u64
        * threads.unwrap() as u64;
    let maxcpus = maxcpus.or(cpus).map(u64::from).unwrap_or(product);
    let cpus = cpus.map(u64::from).unwrap_or(maxcpus);
    if product != maxcpus {
        return Err(format!(
            "-smp: invalid CPU topology: sockets ({sockets_v}) * dies ({dies}) * clusters ({clusters}) \
             * cores ({}) * threads ({}) = {product} must be maxcpus ({maxcpus})",
            cores.unwrap(),
            threads.unwrap()
        ));
    }
    if cpus > maxcpus {
        return Err(format!(
            "-smp: {cpus} CPUs is more than maxcpus ({maxcpus})"
        ));
    }
    let cpus = u32::try_from(cpus).unwrap_or(u32::MAX);
    check_cpus(cpus)?;
    check_cpus(u32::try_from(maxcpus).unwrap_or(u32::MAX))?;
    Ok(cpus)
}

/// `-gdb`: QEMU's `tcp:[HOST]:PORT[,server,nowait]` and `unix:PATH[,server,nowait]`, and
/// armvirt's `[HOST:]PORT`; `None` for `none`. An empty HOST is 127.0.0.1 (QEMU listens on
/// every interface).
pub fn gdb(text: &str) -> Result<Option<GdbAddr>, String> {
    let t = text.trim();
    if t == "none" {
        return Ok(None);
    }
    if t.starts_with("unix:") {
        return parse_gdb_addr(t).map(Some);
    }
    // `:PORT` (which QEMU refuses) is taken as `tcp::PORT`.
    let Some(rest) = t
        .strip_prefix("tcp:")
        .or_else(|| t.starts_with(':').then_some(t))
    else {
        return parse_gdb_addr(t).map(Some);
    };
    let mut parts = rest.split(',');
    let host_port = parts.next().unwrap_or("");
    for opt in parts {
        if ![
            "server",
            "nowait",
            "wait=off",
            "server=on",
            "nodelay",
            "nodelay=on",
            "ipv4",
        ]
        .contains(&opt)
        {
            return Err(format!(
                "-gdb {text}: option '{opt}' is not supported (supported: server, nowait)"
            ));
        }
    }
    let addr = match host_port.strip_prefix(':') {
        Some(port) => config::parse_tcp_addr(port)?,
        None => config::parse_tcp_addr(host_port)?,
    };
    Ok(Some(GdbAddr::Tcp(addr)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(texts: &[&str], implied: &str) -> Merged {
        let mut m = Merged::default();
        for t in texts {
            m.merge(suboptions(t, Some(implied)));
        }
        m
    }

    #[test]
    fn smp_topologies_as_qemu() {
        let cases: &[(&[&str], Result<u32, &str>)] = &[
            (&["2"], Ok(2)),
            (&["2,cores=2"], Ok(2)),
            (&["cores=2,threads=2"], Ok(4)),
            (&["sockets=2,cores=2"], Ok(4)),
            (&["4,sockets=2"], Ok(4)),
            (&["2,maxcpus=4"], Ok(2)),
            (&["maxcpus=4"], Ok(4)),
            (&["cpus=1", "cpus=3"], Ok(3)),
            (&["9"], Err("9 CPUs requested")),
            (&["cores=9"], Err("9 CPUs requested")),
            (&["0"], Err("0 CPUs requested")),
            (&["4,cores=3"], Err("invalid CPU topology")),
            (&["4,maxcpus=2"], Err("more than maxcpus")),
            (&["two"], Err("'two' is not a number of CPUs")),
            (&["2,books=1"], Err("option 'books'")),
        ];
        for (texts, want) in cases {
            let got = smp(&merged(texts, "cpus"));
            match want {
                Ok(n) => assert_eq!(got, Ok(*n), "{texts:?}"),
                Err(e) => assert!(got.as_ref().unwrap_err().contains(e), "{texts:?}: {got:?}"),
            }
        }
    }

    #[test]
    fn machine_types_and_gic() {
        let m = machine(&merged(&["virt", "type=virt,gic-version=max"], "type")).unwrap();
        assert_eq!(m.gic, Some(GicVersion::V3));
        assert!(machine(&merged(&["virt-7.2"], "type")).is_ok());
        let err = |t: &[&str]| machine(&merged(t, "type")).unwrap_err();
        assert_eq!(
            err(&["raspi3b"]),
            "-machine raspi3b is not supported: armvirt emulates only -machine virt"
        );
        assert!(err(&["virt,gic-version=host"]).contains("gic-version=host"));
        assert!(err(&["virt,virtualization=on"]).contains("no EL2"));
        assert!(err(&["virt,highmem=off"]).contains("option 'highmem'"));
        assert!(err(&["virt,accel=kvm"]).contains("accel=kvm"));
        assert!(machine(&merged(&["virt,accel=kvm:tcg"], "type")).is_ok());
    }

    #[test]
    fn memory_sizes() {
        assert_eq!(memory("-m", &merged(&["2048"], "size")), Ok(2 << 30));
        assert_eq!(memory("-m", &merged(&["size=2G"], "size")), Ok(2 << 30));
        assert_eq!(
            memory("-m", &merged(&["1G", "512M"], "size")),
            Ok(512 << 20)
        );
        assert!(memory("-m", &merged(&["1G,slots=2"], "size")).is_err());
    }

    #[test]
    fn gdb_addresses() {
        let tcp = |s: &str| Ok(Some(GdbAddr::Tcp(s.parse().unwrap())));
        assert_eq!(gdb("tcp::3333"), tcp("127.0.0.1:3333"));
        assert_eq!(gdb("tcp:0.0.0.0:3333,server,nowait"), tcp("0.0.0.0:3333"));
        assert_eq!(gdb("3333"), tcp("127.0.0.1:3333"));
        assert_eq!(gdb(":3333"), tcp("127.0.0.1:3333"));
        assert_eq!(gdb("localhost:3333"), tcp("127.0.0.1:3333"));
        assert_eq!(gdb("none"), Ok(None));
        assert_eq!(
            gdb("unix:/tmp/g,server,nowait"),
            Ok(Some(GdbAddr::Unix("/tmp/g".into())))
        );
        assert!(gdb("tcp::99999").is_err());
        assert!(gdb("tcp::1,reconnect=1").is_err());
    }

    #[test]
    fn cpus_and_accels() {
        assert_eq!(cpu("cortex-a53"), Ok(CpuModel::CortexA53));
        assert!(cpu("max")
            .unwrap_err()
            .starts_with("-cpu max is not supported (supported: cortex-a72"));
        assert!(cpu("cortex-a57,pmu=off").is_err());
        assert_eq!(accel("tcg,thread=multi"), Ok("tcg".into()));
        assert!(accel("tcg,foo=1").is_err());
    }
}
