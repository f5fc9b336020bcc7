//! A device tree blob supplied by the user (`--dtb`): read (Devicetree Specification
//! v0.4, chapter 5 "Flattened Devicetree (DTB) Format"), patched the way QEMU's
//! `arm_load_dtb` (`hw/arm/boot.c`) patches `-dtb` files, and written back with vm-fdt:
//!
//! - every root `memory`/`memory@…` node is replaced by one describing the machine's RAM;
//! - /chosen gets `bootargs` (when the command line is not empty) and the initrd's
//!   `linux,initrd-start`/`-end`, in the root's #address-cells;
//! - /psci is replaced by the machine's own (the function IDs it implements, over HVC).
//!
//! The rest of the tree is the user's business and is kept as it is.

use std::fmt;

use vm_fdt::{FdtReserveEntry, FdtWriter};

use crate::fdt::{psci_fn, DtParams};

const FDT_MAGIC: u32 = 0xd00d_feed;
const FDT_BEGIN_NODE: u32 = 0x1;
const FDT_END_NODE: u32 = 0x2;
const FDT_PROP: u32 = 0x3;
const FDT_NOP: u32 = 0x4;
const FDT_END: u32 = 0x9;
/// Header fields (big-endian u32s) by byte offset.
const HDR_MAGIC: usize = 0;
const HDR_TOTALSIZE: usize = 4;
const HDR_OFF_DT_STRUCT: usize = 8;
const HDR_OFF_DT_STRINGS: usize = 12;
const HDR_OFF_MEM_RSVMAP: usize = 16;
const HDR_VERSION: usize = 20;
const HDR_LAST_COMP_VERSION: usize = 24;
const HDR_BOOT_CPUID_PHYS: usize = 28;
const HDR_SIZE_DT_STRINGS: usize = 32;
const HDR_SIZE_DT_STRUCT: usize = 36;
const HDR_SIZE: usize = 40;
/// The format version armvirt reads: 17, and 16 (which lacks size_dt_struct).
const FDT_READ_VERSION: u32 = 17;
const FDT_MIN_VERSION: u32 = 16;
/// Linux's and vm-fdt's limit on node depth.
const MAX_DEPTH: usize = 64;
/// Devicetree Specification §2.3.5: defaults when a node lacks the properties.
const DEFAULT_ADDRESS_CELLS: u32 = 2;
const DEFAULT_SIZE_CELLS: u32 = 1;
/// More cells than any bus uses (PCI has 3) is corruption.
const MAX_CELLS: u32 = 4;

/// What is wrong with a user's device tree.
#[derive(Debug, PartialEq, Eq)]
pub enum DtbError {
    TooShort {
        len: usize,
    },
    BadMagic(u32),
    Version {
        version: u32,
        last_comp: u32,
    },
    Malformed(&'static str),
    /// The root's #address-cells or #size-cells is 0.
    ZeroCells,
    /// A value does not fit in the root's cells.
    CellsTooSmall {
        what: &'static str,
        cells: u32,
        value: u64,
    },
    Write(vm_fdt::Error),
}

impl fmt::Display for DtbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DtbError::TooShort { len } => {
                write!(
                    f,
                    "{len} bytes, shorter than a device tree header ({HDR_SIZE})"
                )
            }
            DtbError::BadMagic(m) => {
                write!(
                    f,
                    "not a device tree blob (magic {m:#010x}, expected {FDT_MAGIC:#010x})"
                )
            }
            DtbError::Version { version, last_comp } => write!(
                f,
                "unsupported device tree version {version} (compatible with {last_comp}); \
                 armvirt reads versions {FDT_MIN_VERSION} and {FDT_READ_VERSION}"
            ),
            DtbError::Malformed(what) => write!(f, "malformed device tree: {what}"),
            DtbError::ZeroCells => f.write_str("the root's #address-cells or #size-cells is 0"),
            DtbError::CellsTooSmall { what, cells, value } => write!(
                f,
                "{what} {value:#x} does not fit in the root's {cells} cell(s)"
            ),
            DtbError::Write(e) => write!(f, "cannot rewrite it: {e}"),
        }
    }
}

impl std::error::Error for DtbError {}

/// A device tree node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub props: Vec<(String, Vec<u8>)>,
    pub children: Vec<Node>,
}

impl Node {
    fn named(name: &str) -> Self {
        Node {
            name: name.into(),
            ..Default::default()
        }
    }

    pub fn prop(&self, name: &str) -> Option<&[u8]> {
        self.props
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn prop_u32(&self, name: &str) -> Option<u32> {
        self.prop(name)
            .and_then(|v| Some(u32::from_be_bytes(v.try_into().ok()?)))
    }

    /// Sets `name`, replacing an existing value in place.
    fn set(&mut self, name: &str, value: Vec<u8>) {
        match self.props.iter_mut().find(|(n, _)| n == name) {
            Some(p) => p.1 = value,
            None => self.props.push((name.into(), value)),
        }
    }
}

/// A whole device tree blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fdt {
    /// The memory reservation block: (address, size).
    pub reserved: Vec<(u64, u64)>,
    pub boot_cpuid_phys: u32,
    pub root: Node,
}

fn be32(data: &[u8], at: usize) -> Result<u32, DtbError> {
    let bytes = data
        .get(at..at + 4)
        .ok_or(DtbError::Malformed("truncated"))?;
    Ok(u32::from_be_bytes(bytes.try_into().unwrap()))
}

fn be64(data: &[u8], at: usize) -> Result<u64, DtbError> {
    Ok((be32(data, at)? as u64) << 32 | be32(data, at + 4)? as u64)
}

/// The NUL-terminated string at `at`.
fn cstr(data: &[u8], at: usize) -> Result<&str, DtbError> {
    let tail = data
        .get(at..)
        .ok_or(DtbError::Malformed("string offset beyond the blob"))?;
    let len = tail
        .iter()
        .position(|&b| b == 0)
        .ok_or(DtbError::Malformed("unterminated string"))?;
    std::str::from_utf8(&tail[..len]).map_err(|_| DtbError::Malformed("name is not UTF-8"))
}

const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// Reads a DTB.
pub fn parse(data: &[u8]) -> Result<Fdt, DtbError> {
    if data.len() < HDR_SIZE {
        return Err(DtbError::TooShort { len: data.len() });
    }
    let magic = be32(data, HDR_MAGIC)?;
    if magic != FDT_MAGIC {
        return Err(DtbError::BadMagic(magic));
    }
    let (version, last_comp) = (be32(data, HDR_VERSION)?, be32(data, HDR_LAST_COMP_VERSION)?);
    if version < FDT_MIN_VERSION || last_comp > FDT_READ_VERSION {
        return Err(DtbError::Version { version, last_comp });
    }
    let total = be32(data, HDR_TOTALSIZE)? as usize;
    let data = data
        .get(..total)
        .ok_or(DtbError::Malformed("totalsize beyond the file"))?;
    let strings_off = be32(data, HDR_OFF_DT_STRINGS)? as usize;
    let strings_len = be32(data, HDR_SIZE_DT_STRINGS)? as usize;
    let strings = data
        .get(strings_off..strings_off.saturating_add(strings_len))
        .ok_or(DtbError::Malformed("strings block beyond totalsize"))?;
    let struct_off = be32(data, HDR_OFF_DT_STRUCT)? as usize;
    let struct_end = if version >= FDT_READ_VERSION {
        struct_off.saturating_add(be32(data, HDR_SIZE_DT_STRUCT)? as usize)
    } else {
        total
    };
    let structure = data
        .get(struct_off..struct_end)
        .ok_or(DtbError::Malformed("structure block beyond totalsize"))?;
    Ok(Fdt {
        reserved: parse_reservations(data, be32(data, HDR_OFF_MEM_RSVMAP)? as usize)?,
        boot_cpuid_phys: be32(data, HDR_BOOT_CPUID_PHYS)?,
        root: parse_structure(structure, strings)?,
    })
}

fn parse_reservations(data: &[u8], mut at: usize) -> Result<Vec<(u64, u64)>, DtbError> {
    let mut out = Vec::new();
    loop {
        let entry = (be64(data, at)?, be64(data, at + 8)?);
        if entry == (0, 0) {
            return Ok(out);
        }
        out.push(entry);
        at += 16;
    }
}

/// The structure block's tokens into a tree (§5.4).
fn parse_structure(s: &[u8], strings: &[u8]) -> Result<Node, DtbError> {
    let mut stack: Vec<Node> = Vec::new();
    let mut root = None;
    let mut at = 0;
    loop {
        let token = be32(s, at)?;
        at += 4;
        match token {
            FDT_BEGIN_NODE => {
                if root.is_some() || stack.len() >= MAX_DEPTH {
                    return Err(DtbError::Malformed(
                        "node outside the root or nested too deep",
                    ));
                }
                let name = cstr(s, at)?;
                at += align4(name.len() + 1);
                stack.push(Node::named(name));
            }
            FDT_END_NODE => {
                let node = stack
                    .pop()
                    .ok_or(DtbError::Malformed("unbalanced FDT_END_NODE"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            FDT_PROP => {
                let len = be32(s, at)? as usize;
                let name = cstr(strings, be32(s, at + 4)? as usize)?.to_string();
                let value = s
                    .get(at + 8..at + 8 + len)
                    .ok_or(DtbError::Malformed("truncated"))?;
                let node = stack
                    .last_mut()
                    .ok_or(DtbError::Malformed("property outside a node"))?;
                node.props.push((name, value.to_vec()));
                at += 8 + align4(len);
            }
            FDT_NOP => {}
            FDT_END => break,
            _ => return Err(DtbError::Malformed("unknown structure token")),
        }
    }
    if !stack.is_empty() {
        return Err(DtbError::Malformed("unterminated node"));
    }
    root.ok_or(DtbError::Malformed("no root node"))
}

/// Writes `fdt` as a DTB.
pub fn write(fdt: &Fdt) -> Result<Vec<u8>, DtbError> {
    let reserved: Vec<FdtReserveEntry> = fdt
        .reserved
        .iter()
        .map(|&(a, s)| FdtReserveEntry::new(a, s))
        .collect::<Result<_, _>>()
        .map_err(DtbError::Write)?;
    let mut w = FdtWriter::new_with_mem_reserv(&reserved).map_err(DtbError::Write)?;
    w.set_boot_cpuid_phys(fdt.boot_cpuid_phys);
    write_node(&mut w, &fdt.root).map_err(DtbError::Write)?;
    w.finish().map_err(DtbError::Write)
}

fn write_node(w: &mut FdtWriter, node: &Node) -> Result<(), vm_fdt::Error> {
    let handle = w.begin_node(&node.name)?;
    for (name, value) in &node.props {
        w.property(name, value)?;
    }
    for child in &node.children {
        write_node(w, child)?;
    }
    w.end_node(handle)
}

/// `value` as `cells` big-endian u32s.
fn sized_cells(what: &'static str, cells: u32, value: u64) -> Result<Vec<u8>, DtbError> {
    let too_small = DtbError::CellsTooSmall { what, cells, value };
    match cells {
        1 => Ok(u32::try_from(value)
            .map_err(|_| too_small)?
            .to_be_bytes()
            .to_vec()),
        _ => {
            let mut v = vec![0u8; 4 * cells as usize - 8];
            v.extend_from_slice(&value.to_be_bytes());
            Ok(v)
        }
    }
}

/// Applies QEMU's `-dtb` patches for the machine described by `p`.
pub fn patch(fdt: &mut Fdt, p: &DtParams) -> Result<(), DtbError> {
    let root = &mut fdt.root;
    let acells = root
        .prop_u32("#address-cells")
        .unwrap_or(DEFAULT_ADDRESS_CELLS);
    let scells = root.prop_u32("#size-cells").unwrap_or(DEFAULT_SIZE_CELLS);
    if acells == 0 || scells == 0 {
        return Err(DtbError::ZeroCells);
    }
    if acells > MAX_CELLS || scells > MAX_CELLS {
        return Err(DtbError::Malformed("#address-cells or #size-cells above 4"));
    }

    let mut reg = sized_cells("RAM base", acells, p.ram.base)?;
    reg.extend(sized_cells("RAM size", scells, p.ram.size)?);
    let mut memory = Node::named(&format!("memory@{:x}", p.ram.base));
    memory
        .props
        .push(("device_type".into(), b"memory\0".to_vec()));
    memory.props.push(("reg".into(), reg));
    root.children
        .retain(|c| c.name != "memory" && !c.name.starts_with("memory@"));
    root.children.insert(0, memory);

    root.children.retain(|c| c.name != "psci");
    root.children.insert(0, psci_node());

    if root.child("chosen").is_none() {
        root.children.push(Node::named("chosen"));
    }
    let chosen = root
        .children
        .iter_mut()
        .find(|c| c.name == "chosen")
        .unwrap();
    if let Some(args) = p.bootargs.as_deref().filter(|a| !a.is_empty()) {
        let mut value = args.as_bytes().to_vec();
        value.push(0);
        chosen.set("bootargs", value);
    }
    if let Some((start, end)) = p.initrd {
        chosen.set(
            "linux,initrd-start",
            sized_cells("initrd start", acells, start)?,
        );
        chosen.set("linux,initrd-end", sized_cells("initrd end", acells, end)?);
    }
    Ok(())
}

/// The machine's /psci node (as `fdt::psci` writes it).
fn psci_node() -> Node {
    let mut n = Node::named("psci");
    let cell = |v: u32| v.to_be_bytes().to_vec();
    n.props.push((
        "compatible".into(),
        b"arm,psci-1.0\0arm,psci-0.2\0arm,psci\0".to_vec(),
    ));
    n.props.push(("method".into(), b"hvc\0".to_vec()));
    n.props
        .push(("cpu_suspend".into(), cell(psci_fn::CPU_SUSPEND_64)));
    n.props.push(("cpu_off".into(), cell(psci_fn::CPU_OFF)));
    n.props.push(("cpu_on".into(), cell(psci_fn::CPU_ON_64)));
    n.props.push(("migrate".into(), cell(psci_fn::MIGRATE_64)));
    n
}

/// Reads, patches and rewrites a user's DTB.
pub fn load(data: &[u8], p: &DtParams) -> Result<Vec<u8>, DtbError> {
    let mut fdt = parse(data)?;
    patch(&mut fdt, p)?;
    write(&fdt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fdt;
    use crate::memmap::{Region, RAM_BASE};

    fn params() -> DtParams {
        DtParams {
            gic: crate::irqchip::GicVersion::V2,
            ram: Region::new(RAM_BASE, 1 << 30),
            cpus: 2,
            bootargs: Some("console=ttyAMA0".into()),
            initrd: Some((0x4800_0000, 0x4810_0000)),
            cpu_compatible: "arm,cortex-a72",
            seed: 3,
        }
    }

    /// A user's tree: other RAM, an SMC psci, an old command line, 1-cell addresses.
    fn user_dtb(address_cells: u32, size_cells: u32) -> Vec<u8> {
        let mut w =
            FdtWriter::new_with_mem_reserv(&[FdtReserveEntry::new(0x4000_0000, 0x1000).unwrap()])
                .unwrap();
        let root = w.begin_node("").unwrap();
        w.property_u32("#address-cells", address_cells).unwrap();
        w.property_u32("#size-cells", size_cells).unwrap();
        w.property_string("model", "mine").unwrap();
        let m = w.begin_node("memory@80000000").unwrap();
        w.property_string("device_type", "memory").unwrap();
        w.end_node(m).unwrap();
        let m = w.begin_node("memory").unwrap();
        w.end_node(m).unwrap();
        let psci = w.begin_node("psci").unwrap();
        w.property_string("method", "smc").unwrap();
        w.end_node(psci).unwrap();
        let chosen = w.begin_node("chosen").unwrap();
        w.property_string("bootargs", "old").unwrap();
        w.property_string("stdout-path", "/uart").unwrap();
        w.end_node(chosen).unwrap();
        let soc = w.begin_node("soc").unwrap();
        let uart = w.begin_node("uart@1000").unwrap();
        w.property_null("keep-me").unwrap();
        w.end_node(uart).unwrap();
        w.end_node(soc).unwrap();
        w.end_node(root).unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn generated_tree_round_trips_byte_for_byte() {
        let dtb = fdt::build(&params()).unwrap();
        assert_eq!(write(&parse(&dtb).unwrap()).unwrap(), dtb);
    }

    #[test]
    fn patch_replaces_memory_psci_and_chosen_like_qemu() {
        let out = load(&user_dtb(2, 2), &params()).unwrap();
        let fdt = parse(&out).unwrap();
        assert_eq!(fdt.reserved, [(0x4000_0000, 0x1000)]);
        let root = &fdt.root;
        let names: Vec<_> = root.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["psci", "memory@40000000", "chosen", "soc"]);
        let mem = root.child("memory@40000000").unwrap();
        assert_eq!(
            mem.prop("reg").unwrap(),
            [0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0]
        );
        assert_eq!(mem.prop("device_type").unwrap(), b"memory\0");
        let psci = root.child("psci").unwrap();
        assert_eq!(psci.prop("method").unwrap(), b"hvc\0");
        assert_eq!(psci.prop("cpu_on").unwrap(), 0xc400_0003u32.to_be_bytes());
        let chosen = root.child("chosen").unwrap();
        assert_eq!(chosen.prop("bootargs").unwrap(), b"console=ttyAMA0\0");
        assert_eq!(chosen.prop("stdout-path").unwrap(), b"/uart\0");
        assert_eq!(
            chosen.prop("linux,initrd-start").unwrap(),
            0x4800_0000u64.to_be_bytes()
        );
        assert_eq!(
            chosen.prop("linux,initrd-end").unwrap(),
            0x4810_0000u64.to_be_bytes()
        );
        let uart = root.child("soc").unwrap().child("uart@1000").unwrap();
        assert_eq!(uart.prop("keep-me"), Some(&[][..]));
    }

    #[test]
    fn one_cell_trees_get_one_cell_values() {
        let fdt = parse(&load(&user_dtb(1, 1), &params()).unwrap()).unwrap();
        let mem = fdt.root.child("memory@40000000").unwrap();
        assert_eq!(mem.prop("reg").unwrap(), [0x40, 0, 0, 0, 0x40, 0, 0, 0]);
        let chosen = fdt.root.child("chosen").unwrap();
        assert_eq!(
            chosen.prop("linux,initrd-start").unwrap(),
            0x4800_0000u32.to_be_bytes()
        );
    }

    #[test]
    fn empty_command_line_keeps_the_users_and_missing_chosen_is_added() {
        let mut p = params();
        p.bootargs = Some(String::new());
        let fdt = parse(&load(&user_dtb(2, 2), &p).unwrap()).unwrap();
        assert_eq!(
            fdt.root.child("chosen").unwrap().prop("bootargs").unwrap(),
            b"old\0"
        );

        let mut w = FdtWriter::new().unwrap();
        let root = w.begin_node("").unwrap();
        w.end_node(root).unwrap();
        let fdt = parse(&load(&w.finish().unwrap(), &params()).unwrap()).unwrap();
        assert!(fdt.root.child("chosen").unwrap().prop("bootargs").is_some());
    }

    #[test]
    fn refusals() {
        assert_eq!(parse(&[0; 8]), Err(DtbError::TooShort { len: 8 }));
        let mut bad = user_dtb(2, 2);
        bad[0] = 0;
        assert_eq!(
            parse(&bad).unwrap_err().to_string(),
            "not a device tree blob (magic 0x000dfeed, expected 0xd00dfeed)"
        );
        let good = user_dtb(2, 2);
        assert_eq!(
            parse(&good[..good.len() - 1]),
            Err(DtbError::Malformed("totalsize beyond the file"))
        );
        assert_eq!(load(&user_dtb(0, 2), &params()), Err(DtbError::ZeroCells));
        let mut big = params();
        big.ram.size = 4 << 30;
        assert_eq!(
            load(&user_dtb(1, 1), &big).unwrap_err().to_string(),
            "RAM size 0x100000000 does not fit in the root's 1 cell(s)"
        );
    }

    #[test]
    fn corrupt_structure_is_malformed_not_a_panic() {
        let good = fdt::build(&params()).unwrap();
        // Flip every byte of the structure block in turn: parse must return, never panic.
        let struct_off = u32::from_be_bytes(good[8..12].try_into().unwrap()) as usize;
        for i in struct_off..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0xff;
            let _ = parse(&bad);
        }
    }
}
