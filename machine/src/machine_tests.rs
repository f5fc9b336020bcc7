//! Whole-machine loading tests: files written to a scratch directory, a machine built
//! from them, RAM and boot state inspected against QEMU's placement rules.

use super::*;
use crate::boot::{STUB_DTB_LITERAL, STUB_ENTRY_LITERAL, STUB_LDR_X0_DTB};
use crate::dtb;
use armvirt_cpu::Bus;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

const MIB: u64 = 1 << 20;

/// A file in a per-test scratch directory, removed with it.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "armvirt-machine-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, data).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A modern arm64 Image (text_offset 0, image_size = file + 64 KiB of BSS) whose body is
/// `words`.
fn image(words: &[u32]) -> Vec<u8> {
    let mut v = vec![0u8; 64];
    v[0..4].copy_from_slice(&0x1400_0010u32.to_le_bytes()); // b +0x40
    let size = 64 + 4 * words.len() as u64 + 0x1_0000;
    v[16..24].copy_from_slice(&size.to_le_bytes());
    v[24..32].copy_from_slice(&0xau64.to_le_bytes());
    v[0x38..0x3c].copy_from_slice(b"ARM\x64");
    v.extend(words.iter().flat_map(|w| w.to_le_bytes()));
    v
}

fn config(kernel: PathBuf) -> Config {
    let mut c = Config::new(kernel);
    c.ram_size = 256 * MIB;
    c
}

fn u64_at(m: &Machine, addr: u64) -> u64 {
    u64::from_le_bytes(m.ram().slice(addr, 8).unwrap().try_into().unwrap())
}

#[test]
fn image_boots_through_the_stub_at_ram_base() {
    let s = Scratch::new();
    let kernel = image(&[0xd503_201f; 4]);
    let m = Machine::new(config(s.file("Image", &kernel))).unwrap();
    let b = m.boot();
    assert_eq!(m.kernel_format(), KernelFormat::Image);
    assert_eq!(
        (b.pc, b.x, b.stub, b.entry),
        (0x4000_0000, [0; 4], Some(0x4000_0000), 0x4020_0000)
    );
    // 256 MiB: initrd slot at base + 128 MiB; no initrd, so the DTB takes it.
    assert_eq!(b.dtb.base, 0x4800_0000);
    assert_eq!(
        m.ram().slice(0x4020_0000, kernel.len() as u64).unwrap(),
        &kernel[..]
    );
    assert_eq!(
        m.ram().slice(0x4000_0000, 4).unwrap(),
        STUB_LDR_X0_DTB.to_le_bytes()
    );
    assert_eq!(
        u64_at(&m, 0x4000_0000 + STUB_DTB_LITERAL as u64),
        0x4800_0000
    );
    assert_eq!(
        u64_at(&m, 0x4000_0000 + STUB_ENTRY_LITERAL as u64),
        0x4020_0000
    );
    assert_eq!(
        m.ram().slice(0x4800_0000, 4).unwrap(),
        [0xd0, 0x0d, 0xfe, 0xed]
    );
    assert_eq!(
        m.ram().slice(0x4800_0000, m.dtb().len() as u64).unwrap(),
        m.dtb()
    );
}

#[test]
fn initrd_is_loaded_and_described_in_chosen() {
    let s = Scratch::new();
    let mut c = config(s.file("Image", &image(&[0; 4])));
    let initrd: Vec<u8> = (0..=255u8).cycle().take(3 * MIB as usize + 5).collect();
    c.initrd = Some(s.file("initrd", &initrd));
    c.cmdline = Some("console=ttyAMA0".into());
    let m = Machine::new(c).unwrap();
    let b = m.boot();
    assert_eq!(
        b.initrd,
        Some(Region::new(0x4800_0000, initrd.len() as u64))
    );
    assert_eq!(
        m.ram().slice(0x4800_0000, initrd.len() as u64).unwrap(),
        &initrd[..]
    );
    // The DTB follows at the next 2 MiB boundary.
    assert_eq!(b.dtb.base, 0x4840_0000);
    let tree = dtb::parse(m.dtb()).unwrap();
    let chosen = tree.root.child("chosen").unwrap();
    assert_eq!(
        chosen.prop("linux,initrd-start").unwrap(),
        0x4800_0000u64.to_be_bytes()
    );
    let end = 0x4800_0000 + initrd.len() as u64;
    assert_eq!(chosen.prop("linux,initrd-end").unwrap(), end.to_be_bytes());
    assert_eq!(chosen.prop("bootargs").unwrap(), b"console=ttyAMA0\0");
}

#[test]
fn elf_is_entered_directly_with_dtb_below_it() {
    let s = Scratch::new();
    // One PT_LOAD at 0x40080000: 8 bytes of code, 0x20 bytes in memory.
    let mut elf = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    elf.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    elf.extend_from_slice(&183u16.to_le_bytes()); // EM_AARCH64
    elf.extend_from_slice(&1u32.to_le_bytes());
    elf.extend_from_slice(&0x4008_0000u64.to_le_bytes()); // e_entry
    elf.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    elf.extend_from_slice(&[0; 12]); // e_shoff, e_flags
    for half in [64u16, 56, 1, 0, 0, 0] {
        elf.extend_from_slice(&half.to_le_bytes());
    }
    for word in [1u32, 5] {
        elf.extend_from_slice(&word.to_le_bytes()); // PT_LOAD, R+X
    }
    for field in [120u64, 0x4008_0000, 0x4008_0000, 8, 0x20, 0x1000] {
        elf.extend_from_slice(&field.to_le_bytes());
    }
    elf.extend_from_slice(&[0x11; 8]);
    let mut c = config(s.file("prog.elf", &elf));
    c.ram_size = 64 * MIB;
    let m = Machine::new(c).unwrap();
    let b = m.boot().clone();
    assert_eq!(m.kernel_format(), KernelFormat::Elf);
    assert_eq!((b.pc, b.stub, b.dtb.base), (0x4008_0000, None, 0x4000_0000));
    assert_eq!(b.x, [0x4000_0000, 0, 0, 0]);
    assert_eq!(m.ram().slice(0x4008_0000, 8).unwrap(), [0x11; 8]);
    // The ELF's code is 0x11 bytes: an unallocated encoding, UNDEFINED at vCPU 0's entry.
    assert_eq!(m.vcpus()[0].cpu.s.pc, 0x4008_0000);
}

#[test]
fn user_dtb_is_patched_for_this_machine() {
    let s = Scratch::new();
    let mut c = config(s.file("Image", &image(&[0; 4])));
    // QEMU's own tree for 1 GiB, given to a 256 MiB machine: /memory must follow -m.
    let params = DtParams {
        gic: crate::irqchip::GicVersion::V2,
        ram: Region::new(RAM_BASE, 1 << 30),
        cpus: 2,
        bootargs: None,
        initrd: None,
        cpu_compatible: "arm,cortex-a72",
        seed: 9,
    };
    c.dtb = Some(s.file("virt.dtb", &fdt::build(&params).unwrap()));
    c.cmdline = Some("quiet".into());
    let m = Machine::new(c).unwrap();
    let tree = dtb::parse(m.dtb()).unwrap();
    let reg = tree
        .root
        .child("memory@40000000")
        .unwrap()
        .prop("reg")
        .unwrap();
    assert_eq!(reg[8..], (256 * MIB).to_be_bytes());
    assert_eq!(
        tree.root.child("chosen").unwrap().prop("bootargs").unwrap(),
        b"quiet\0"
    );
    assert!(tree.root.child("cpus").unwrap().child("cpu@1").is_some());
}

#[test]
fn empty_virtio_slots_stand_in_and_primecells_identify_on_the_bus() {
    let s = Scratch::new();
    let mut m = Machine::new(config(s.file("Image", &image(&[0; 4])))).unwrap();
    let bus = m.bus_mut();
    assert_eq!(bus.read(0x0a00_3e00, 4), Ok(0x7472_6976)); // "virt", slot 31
    assert_eq!(bus.read(0x0a00_3e08, 4), Ok(0)); // device ID 0: nothing there
    assert_eq!(bus.read(0x0901_0fe0, 4), Ok(0x31)); // PL031 PeriphID0 (PL031 TRM)
    assert_eq!(bus.read(0x0900_0fe0, 4), Ok(0x11)); // the PL011's PeriphID0 (PL011 TRM)
    assert!(bus.read(0x0904_0000, 4).is_err()); // nothing mapped there
}

fn error(c: Config) -> String {
    Machine::new(c)
        .err()
        .expect("machine should be refused")
        .to_string()
}

#[test]
fn file_problems_name_the_file() {
    let s = Scratch::new();
    let missing = s.0.join("nope");
    assert_eq!(
        error(config(missing.clone())),
        format!(
            "cannot read kernel '{}': No such file or directory",
            missing.display()
        )
    );
    assert_eq!(
        error(config(s.0.clone())),
        format!("cannot read kernel '{}': is a directory", s.0.display())
    );
    let mut c = config(s.file("Image", &image(&[0; 4])));
    c.initrd = Some(missing.clone());
    assert!(error(c).starts_with("cannot read initrd '"));
    let mut c = config(s.file("Image", &image(&[0; 4])));
    c.dtb = Some(s.file(
        "bad.dtb",
        b"not a device tree blob at all, long enough for a header",
    ));
    assert!(error(c).contains("bad.dtb': not a device tree blob (magic"));
    let junk = s.file("junk", &[0u8; 100]);
    assert!(error(config(junk.clone()))
        .starts_with(&format!("kernel '{}': not an arm64 Image", junk.display())));
}

#[test]
fn files_larger_than_ram_are_refused_before_reading() {
    let s = Scratch::new();
    let mut c = config(s.file("Image", &image(&[0; 4])));
    c.ram_size = 8 * MIB;
    let big = s.0.join("big");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(9 * MIB)
        .unwrap(); // sparse
    c.initrd = Some(big.clone());
    assert_eq!(
        error(c),
        format!(
            "initrd '{}' is 0x900000 bytes, more than RAM (0x800000); more memory (-m) may help",
            big.display()
        )
    );
}

#[test]
fn initrd_that_does_not_fit_is_refused() {
    let s = Scratch::new();
    let mut c = config(s.file("Image", &image(&[0; 4])));
    c.ram_size = 8 * MIB;
    c.initrd = Some(s.file("initrd", &vec![0; 5 * MIB as usize]));
    assert!(error(c).starts_with("the initrd (0x500000 bytes at 0x40400000) does not fit in RAM"));
}

#[test]
fn config_problems_are_reported() {
    let mut c = Config::new("/dev/null");
    c.cpus = 9;
    assert_eq!(error(c), "9 CPUs requested: the GICv2 serves 1 to 8");
}

#[test]
fn loading_a_segment_zeroes_its_bss_over_stale_bytes() {
    let mut ram = GuestRam::new(RAM_BASE, MIB).unwrap();
    ram.slice_mut(RAM_BASE, MIB).unwrap().fill(0xff);
    let seg = loader::Segment {
        addr: RAM_BASE + 0x100,
        offset: 1,
        len: 2,
        mem_size: 0x10,
    };
    let kernel = Kernel {
        format: KernelFormat::Elf,
        data: vec![9, 1, 2],
        segments: vec![seg],
        entry: RAM_BASE + 0x100,
        low: RAM_BASE + 0x100,
        high: RAM_BASE + 0x110,
        uses_stub: false,
    };
    write_kernel(&mut ram, &kernel).unwrap();
    let mut expected = vec![1, 2];
    expected.extend([0; 14]);
    assert_eq!(ram.slice(RAM_BASE + 0x100, 0x10).unwrap(), &expected[..]);
    assert_eq!(ram.slice(RAM_BASE + 0x110, 1).unwrap(), [0xff]);
}
