//! Tests of the kernel loaders. Headers and ELF files are built here, field by field, from
//! booting.rst's header table and the ELF-64 object file format; expected placements are
//! QEMU's (`hw/arm/boot.c`, `load_aarch64_image`; `include/hw/elf_ops.h`, `load_elf`).

use super::*;
use std::io::Write;

const RAM: RamSpan = RamSpan {
    base: 0x4000_0000,
    size: 64 * MIB,
};

/// An arm64 Image: the 64-byte header (booting.rst: code0, code1, text_offset, image_size,
/// flags, res2-4, magic, res5) followed by `body` bytes of 0xaa.
fn image(text_offset: u64, image_size: u64, flags: u64, body: usize) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&0x1400_0010u32.to_le_bytes()); // code0: b +0x40
    v.extend_from_slice(&0u32.to_le_bytes()); // code1
    v.extend_from_slice(&text_offset.to_le_bytes());
    v.extend_from_slice(&image_size.to_le_bytes());
    v.extend_from_slice(&flags.to_le_bytes());
    v.extend_from_slice(&[0; 24]); // res2, res3, res4
    v.extend_from_slice(b"ARM\x64");
    v.extend_from_slice(&0u32.to_le_bytes()); // res5
    assert_eq!(v.len(), 64);
    v.resize(64 + body, 0xaa);
    v
}

/// flags for a little-endian, 4K-page, placed-anywhere kernel (Linux's usual 0xa).
const FLAGS_LE_4K_ANYWHERE: u64 = (1 << 1) | (1 << 3);

fn err(data: Vec<u8>) -> String {
    place_kernel(data, None, RAM).unwrap_err().to_string()
}

#[test]
fn header_fields_are_little_endian_at_booting_rst_offsets() {
    let h = ImageHeader::parse(&image(0x8_0000, 0x12_3000, FLAGS_LE_4K_ANYWHERE, 0)).unwrap();
    assert_eq!(h.code0, 0x1400_0010);
    assert_eq!(h.text_offset, 0x8_0000);
    assert_eq!(h.image_size, 0x12_3000);
    assert_eq!(h.flags, 0xa);
    assert_eq!(h.page_size_field(), 1);
}

#[test]
fn modern_image_with_text_offset_zero_goes_2mib_above_ram_base() {
    // Linux ≥ 5.10 has text_offset 0; QEMU moves it past the boot stub to base + 2 MiB.
    let k = place_kernel(image(0, 0x10_0000, FLAGS_LE_4K_ANYWHERE, 0x100), None, RAM).unwrap();
    assert_eq!(k.format, KernelFormat::Image);
    assert_eq!(k.entry, 0x4020_0000);
    assert_eq!((k.low, k.high), (0x4020_0000, 0x4030_0000)); // image_size covers BSS
    assert_eq!(
        k.segments,
        [Segment {
            addr: 0x4020_0000,
            offset: 0,
            len: 0x140,
            mem_size: 0x140
        }]
    );
    assert!(k.uses_stub);
}

#[test]
fn image_with_large_text_offset_goes_at_that_offset() {
    let k = place_kernel(image(0x8_0000, 0x1000, FLAGS_LE_4K_ANYWHERE, 0), None, RAM).unwrap();
    assert_eq!(k.entry, 0x4008_0000);
    // Just below BOOT_STUB_RESERVED is still moved; at it is not.
    let h = ImageHeader::parse(&image(0xfff, 1, 0, 0)).unwrap();
    assert_eq!(h.load_offset(), 0x20_0fff);
    let h = ImageHeader::parse(&image(0x1000, 1, 0, 0)).unwrap();
    assert_eq!(h.load_offset(), 0x1000);
}

#[test]
fn pre_3_17_image_without_image_size_uses_0x80000_and_file_size() {
    // booting.rst: image_size 0 means text_offset is 0x80000 (of unknown endianness);
    // the flags field did not exist, so its bits are not interpreted.
    let data = image(0xdead_beef, 0, IMAGE_FLAG_BE, 0x40);
    let k = place_kernel(data, None, RAM).unwrap();
    assert_eq!(k.entry, 0x4008_0000);
    assert_eq!(k.high - k.low, 0x80);
}

#[test]
fn big_endian_and_16k_kernels_are_refused() {
    assert_eq!(
        err(image(0, 0x1000, IMAGE_FLAG_BE, 0)),
        "big-endian kernel (Image flags bit 0 set): armvirt runs little-endian kernels only"
    );
    assert!(err(image(0, 0x1000, 2 << 1, 0)).contains("16K pages"));
    // 64K pages (3) and unspecified (0) are fine on the A72.
    place_kernel(image(0, 0x1000, 3 << 1, 0), None, RAM).unwrap();
    place_kernel(image(0, 0x1000, 0, 0), None, RAM).unwrap();
}

#[test]
fn bad_magic_is_refused_naming_what_was_found() {
    let mut data = image(0, 0x1000, 0, 0x100);
    data[0x38..0x3c].copy_from_slice(b"ARM\x65");
    assert_eq!(
        err(data),
        "not an arm64 Image (no \"ARM\\x64\" magic at offset 0x38, found 41 52 4d 65), \
         nor gzip nor ELF; to load a raw binary give --kernel-raw-addr ADDR"
    );
}

#[test]
fn short_and_empty_files_are_refused() {
    assert_eq!(
        err(image(0, 0x1000, 0, 0)[..63].to_vec()),
        "truncated: 63 bytes, shorter than the 64-byte arm64 Image header"
    );
    assert_eq!(err(Vec::new()), "the file is empty");
    assert_eq!(
        place_kernel(Vec::new(), Some(0x4000_0000), RAM)
            .unwrap_err()
            .to_string(),
        "the file is empty"
    );
}

#[test]
fn image_larger_than_ram_is_refused() {
    // image_size (with BSS) past the end of 64 MiB of RAM, from base + 2 MiB.
    let e = err(image(0, 62 * MIB + 1, 0, 0));
    assert_eq!(
        e,
        "the kernel needs 0x3e00001 bytes at 0x40200000, beyond RAM [0x40000000, 0x44000000); \
         more memory (-m) may help"
    );
    // Exactly up to the end fits.
    place_kernel(image(0, 62 * MIB, 0, 0), None, RAM).unwrap();
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn gzip_image_is_decompressed_and_placed_like_an_image() {
    let plain = image(0, 0x2000, FLAGS_LE_4K_ANYWHERE, 0x1000);
    let k = place_kernel(gzip(&plain), None, RAM).unwrap();
    assert_eq!(k.format, KernelFormat::GzipImage);
    assert_eq!(k.data, plain);
    assert_eq!(k.entry, 0x4020_0000);
}

#[test]
fn gzip_bombs_and_garbage_are_refused() {
    let small = RamSpan {
        base: 0x4000_0000,
        size: 0x1000,
    };
    let big = image(0, 0x2000, 0, 0x1000); // 0x1040 bytes > 0x1000 of RAM
    let e = place_kernel(gzip(&big), None, small)
        .unwrap_err()
        .to_string();
    assert_eq!(e, "decompresses to more than 0x1000 bytes, the size of RAM");

    let mut corrupt = gzip(&big);
    corrupt.truncate(corrupt.len() / 2);
    assert!(err(corrupt).starts_with("corrupt gzip data: "));

    let e = err(gzip(&[0u8; 100]));
    assert!(
        e.starts_with("gzip data is not an arm64 Image (no \"ARM\\x64\" magic"),
        "{e}"
    );
}

#[test]
fn efi_zboot_is_named() {
    let mut data = vec![0u8; 0x100];
    data[..2].copy_from_slice(b"MZ");
    data[4..8].copy_from_slice(b"zimg");
    data[24..28].copy_from_slice(b"zstd");
    assert_eq!(
        err(data),
        "EFI zboot image (zstd-compressed payload): not supported, extract the Image from it first"
    );
}

#[test]
fn efi_stub_image_starting_with_mz_is_still_an_image() {
    // With the EFI stub, code0 begins "MZ" (booting.rst); only "zimg" marks zboot.
    let mut data = image(0, 0x1000, 0, 0);
    data[..4].copy_from_slice(&0x91005a4du32.to_le_bytes()); // "MZ" + add x13, x18, #0x16
    assert_eq!(
        place_kernel(data, None, RAM).unwrap().format,
        KernelFormat::Image
    );
}

#[test]
fn raw_binary_goes_exactly_where_asked() {
    let k = place_kernel(vec![1, 2, 3, 4], Some(0x4010_0000), RAM).unwrap();
    assert_eq!(k.format, KernelFormat::Raw);
    assert_eq!(
        (k.entry, k.low, k.high),
        (0x4010_0000, 0x4010_0000, 0x4010_0004)
    );
    // Not sniffed: an Image loaded raw stays where asked.
    let k = place_kernel(image(0, 0x1000, 0, 0), Some(0x4000_0000), RAM).unwrap();
    assert_eq!(k.entry, 0x4000_0000);
    let e = place_kernel(vec![0; 8], Some(0x0900_0000), RAM)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("the raw kernel needs 0x8 bytes at 0x9000000, beyond RAM"),
        "{e}"
    );
}

// ---- ELF ------------------------------------------------------------------------------

struct Ph {
    vaddr: u64,
    paddr: u64,
    flags: u32,
    data: Vec<u8>,
    memsz: u64,
}

const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;
const PF_R: u32 = 4;
const EM_AARCH64: u16 = 183;
const EM_X86_64: u16 = 62;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;

/// An ELF-64 file: Elf64_Ehdr (64 bytes), Elf64_Phdr table (56 bytes each), then data.
fn elf(class: u8, encoding: u8, machine: u16, e_type: u16, entry: u64, phs: &[Ph]) -> Vec<u8> {
    let mut v = vec![0x7f, b'E', b'L', b'F', class, encoding, 1, 0];
    v.resize(16, 0);
    v.extend_from_slice(&e_type.to_le_bytes());
    v.extend_from_slice(&machine.to_le_bytes());
    v.extend_from_slice(&1u32.to_le_bytes()); // e_version
    v.extend_from_slice(&entry.to_le_bytes());
    v.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    v.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    v.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    v.extend_from_slice(&64u16.to_le_bytes()); // e_ehsize
    v.extend_from_slice(&56u16.to_le_bytes()); // e_phentsize
    v.extend_from_slice(&(phs.len() as u16).to_le_bytes());
    v.extend_from_slice(&[0; 6]); // e_shentsize, e_shnum, e_shstrndx
    assert_eq!(v.len(), 64);
    let mut offset = 64 + 56 * phs.len() as u64;
    for ph in phs {
        v.extend_from_slice(&PT_LOAD.to_le_bytes());
        v.extend_from_slice(&ph.flags.to_le_bytes());
        v.extend_from_slice(&offset.to_le_bytes());
        v.extend_from_slice(&ph.vaddr.to_le_bytes());
        v.extend_from_slice(&ph.paddr.to_le_bytes());
        v.extend_from_slice(&(ph.data.len() as u64).to_le_bytes());
        v.extend_from_slice(&ph.memsz.to_le_bytes());
        v.extend_from_slice(&0x1000u64.to_le_bytes());
        offset += ph.data.len() as u64;
    }
    for ph in phs {
        v.extend_from_slice(&ph.data);
    }
    v
}

fn aarch64_exec(entry: u64, phs: &[Ph]) -> Vec<u8> {
    elf(2, 1, EM_AARCH64, ET_EXEC, entry, phs)
}

fn text(addr: u64, data: &[u8]) -> Ph {
    Ph {
        vaddr: addr,
        paddr: addr,
        flags: PF_R | PF_X,
        data: data.to_vec(),
        memsz: data.len() as u64,
    }
}

#[test]
fn elf_segments_load_by_paddr_with_bss() {
    let bss = Ph {
        vaddr: 0x4100_0000,
        paddr: 0x4100_0000,
        flags: PF_R,
        data: vec![9; 8],
        memsz: 0x100,
    };
    let file = aarch64_exec(
        0x4008_0004,
        &[text(0x4008_0000, &[1, 2, 3, 4, 5, 6, 7, 8]), bss],
    );
    let k = place_kernel(file, None, RAM).unwrap();
    assert_eq!(k.format, KernelFormat::Elf);
    assert_eq!(k.entry, 0x4008_0004);
    assert!(!k.uses_stub);
    assert_eq!((k.low, k.high), (0x4008_0000, 0x4100_0100));
    let hdrs = 64 + 2 * 56;
    assert_eq!(
        k.segments,
        [
            Segment {
                addr: 0x4008_0000,
                offset: hdrs,
                len: 8,
                mem_size: 8
            },
            Segment {
                addr: 0x4100_0000,
                offset: hdrs + 8,
                len: 8,
                mem_size: 0x100
            },
        ]
    );
}

#[test]
fn elf_entry_moves_with_its_executable_segment_when_paddr_differs() {
    // Linked at VA 0xffff_0000_1000_0000, loaded at PA 0x4040_0000.
    let seg = Ph {
        vaddr: 0xffff_0000_1000_0000,
        paddr: 0x4040_0000,
        flags: PF_R | PF_X,
        data: vec![0; 0x100],
        memsz: 0x100,
    };
    let k = place_kernel(aarch64_exec(0xffff_0000_1000_0040, &[seg]), None, RAM).unwrap();
    assert_eq!(k.entry, 0x4040_0040);
    assert_eq!(k.segments[0].addr, 0x4040_0000);
    // A non-executable segment does not move the entry (QEMU checks PF_X).
    let seg = Ph {
        vaddr: 0x1000_0000,
        paddr: 0x4040_0000,
        flags: PF_R,
        data: vec![0; 0x100],
        memsz: 0x100,
    };
    let e = place_kernel(aarch64_exec(0x1000_0040, &[seg]), None, RAM).unwrap_err();
    assert_eq!(e.to_string(), "ELF entry point 0x10000040 is outside RAM");
}

#[test]
fn vmlinux_linked_at_virtual_addresses_is_refused_with_a_hint() {
    let va = 0xffff_8000_0800_0000;
    let file = aarch64_exec(va, &[text(va, &[0; 16])]);
    assert_eq!(
        err(file),
        "ELF segment at p_paddr 0xffff800008000000 (0x10 bytes) is outside RAM \
         [0x40000000, 0x44000000); ELF files load by physical address \
         (a vmlinux is linked at virtual addresses: boot its Image)"
    );
}

#[test]
fn elf_segment_past_end_of_ram_is_refused() {
    let seg = Ph {
        vaddr: 0x43ff_f000,
        paddr: 0x43ff_f000,
        flags: PF_R,
        data: vec![],
        memsz: 0x1001,
    };
    let e = err(aarch64_exec(
        0x4000_0000,
        &[text(0x4000_0000, &[0; 4]), seg],
    ));
    assert!(
        e.starts_with("ELF segment at p_paddr 0x43fff000 (0x1001 bytes) is outside RAM"),
        "{e}"
    );
    assert!(!e.contains("vmlinux"));
}

#[test]
fn foreign_elf_files_are_refused_by_reason() {
    let t = [text(0x4000_0000, &[0; 4])];
    assert_eq!(
        err(elf(1, 1, EM_AARCH64, ET_EXEC, 0, &t)),
        "32-bit ELF: only ELF64 AArch64 kernels can be loaded"
    );
    assert_eq!(
        err(elf(2, 2, EM_AARCH64, ET_EXEC, 0, &t)),
        "big-endian ELF: armvirt runs little-endian code only"
    );
    assert_eq!(
        err(elf(2, 1, EM_X86_64, ET_EXEC, 0x4000_0000, &t)),
        "ELF for x86-64, machine 62, not AArch64 (EM_AARCH64 = 183)"
    );
    assert_eq!(
        err(elf(2, 1, 999, ET_EXEC, 0x4000_0000, &t)),
        "ELF for machine 999, not AArch64 (EM_AARCH64 = 183)"
    );
    assert_eq!(
        err(elf(2, 1, EM_AARCH64, ET_DYN, 0x4000_0000, &t)),
        "ELF type 3 is not an executable (ET_EXEC)"
    );
    assert_eq!(
        err(aarch64_exec(0x4000_0000, &[])),
        "ELF has no loadable (PT_LOAD) segments"
    );
    assert_eq!(err(b"\x7fELF\x02\x01".to_vec()), "malformed ELF: header");
}

#[test]
fn elf_with_segment_data_beyond_the_file_is_refused() {
    let mut file = aarch64_exec(0x4000_0000, &[text(0x4000_0000, &[0; 64])]);
    file.truncate(file.len() - 1);
    assert_eq!(err(file), "malformed ELF: segment beyond the file");
}

#[test]
fn overlapping_elf_segments_are_refused() {
    let file = aarch64_exec(
        0x4000_0000,
        &[text(0x4000_0000, &[0; 0x20]), text(0x4000_0010, &[0; 0x20])],
    );
    assert_eq!(
        err(file),
        "ELF segments [0x40000000, 0x40000020) and [0x40000010, 0x40000030) overlap in physical memory"
    );
}

#[test]
fn empty_elf_segments_are_ignored() {
    let empty = Ph {
        vaddr: 0,
        paddr: 0,
        flags: PF_R,
        data: vec![],
        memsz: 0,
    };
    let k = place_kernel(
        aarch64_exec(0x4000_0000, &[empty, text(0x4000_0000, &[0; 4])]),
        None,
        RAM,
    )
    .unwrap();
    assert_eq!(k.segments.len(), 1);
}
