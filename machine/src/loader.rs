//! Kernel file formats: the arm64 `Image` (Linux Documentation/arch/arm64/booting.rst,
//! "Call the kernel image"), the same gzip-compressed (`Image.gz`, which the boot loader
//! must decompress on arm64), an ELF64 AArch64 executable loaded by its program headers,
//! and — only when asked, at an explicit address — a raw binary.
//!
//! Placement follows QEMU's `hw/arm/boot.c` (`load_aarch64_image`, `load_elf`), so the
//! same kernel lands at the same addresses under both: an Image with a non-zero
//! `image_size` goes `text_offset` bytes above RAM base, or 2 MiB higher when that would
//! collide with the boot stub at RAM base; one without (kernels before v3.17) goes at
//! RAM base + 0x80000. An ELF goes by physical address (`p_paddr`).
//!
//! Anything else is refused with the reason, never run as raw bytes by guesswork.

use std::fmt;
use std::io::Read;

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};
use object::Endianness;

use crate::memmap::MIB;

/// Size of the arm64 Image header.
pub const IMAGE_HEADER_SIZE: usize = 64;
/// `magic` at offset 0x38: "ARM\x64" (0x644d5241 little-endian).
pub const IMAGE_MAGIC: [u8; 4] = *b"ARM\x64";
const IMAGE_MAGIC_OFFSET: usize = 0x38;
const IMAGE_TEXT_OFFSET_OFFSET: usize = 0x08;
const IMAGE_SIZE_OFFSET: usize = 0x10;
const IMAGE_FLAGS_OFFSET: usize = 0x18;

/// Image flags bit 0: kernel endianness (1 = big-endian).
pub const IMAGE_FLAG_BE: u64 = 1 << 0;
/// Image flags bits 2:1: kernel page size (0 unspecified, 1 4K, 2 16K, 3 64K).
pub const IMAGE_FLAG_PAGE_SIZE_SHIFT: u32 = 1;
pub const IMAGE_FLAG_PAGE_SIZE_MASK: u64 = 0b11;
pub const IMAGE_PAGE_SIZE_16K: u64 = 2;
/// Image flags bit 3: 1 = the 2 MiB-aligned base may be anywhere in RAM, 0 = as close
/// to the base of DRAM as possible. QEMU's placement satisfies both.
pub const IMAGE_FLAG_PHYS_BASE: u64 = 1 << 3;

/// Images are placed `text_offset` bytes above a 2 MiB-aligned base.
pub const IMAGE_BASE_ALIGN: u64 = 2 * MIB;
/// text_offset assumed for Images without `image_size` (QEMU's KERNEL64_LOAD_ADDR).
pub const LEGACY_TEXT_OFFSET: u64 = 0x8_0000;
/// Room reserved for the boot stub at RAM base (QEMU's BOOTLOADER_MAX_SIZE): an Image
/// whose text_offset is below this is moved up by [`IMAGE_BASE_ALIGN`].
pub const BOOT_STUB_RESERVED: u64 = 0x1000;

/// gzip's member header magic (RFC 1952 §2.3.1).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// EFI zboot images (linux drivers/firmware/efi/libstub/zboot-header.S): "MZ", then
/// "zimg" at offset 4 and the payload's compression type at offset 24.
const ZBOOT_MAGIC_OFFSET: usize = 4;
const ZBOOT_MAGIC: [u8; 4] = *b"zimg";
const ZBOOT_COMP_TYPE_OFFSET: usize = 24;
/// The lowest arm64 kernel virtual address with 48-bit VAs: a p_paddr at or above it is
/// a virtual address (vmlinux's program headers carry p_paddr == p_vaddr).
const KERNEL_VA_START: u64 = 0xffff_0000_0000_0000;
/// e_ident bytes: EI_CLASS and EI_DATA (ELF gABI, "ELF Identification").
const EI_CLASS: usize = 4;
const EI_DATA: usize = 5;
const EI_NIDENT: usize = 16;

/// A problem with a kernel file. The caller names the file.
#[derive(Debug)]
pub enum KernelError {
    Empty,
    /// Shorter than the 64-byte Image header (and not gzip or ELF).
    Truncated {
        len: usize,
    },
    /// No "ARM\x64" magic, and not gzip or ELF either.
    NotImage {
        found: [u8; 4],
    },
    BigEndian,
    PageSize16K,
    EfiZboot {
        compression: String,
    },
    Gzip(std::io::Error),
    /// The decompressed Image would be larger than RAM.
    GzipTooBig {
        limit: u64,
    },
    GzipNotImage {
        found: [u8; 4],
    },
    /// `[addr, addr + size)` does not fit in RAM.
    DoesNotFit {
        what: &'static str,
        addr: u64,
        size: u64,
        ram_base: u64,
        ram_end: u64,
    },
    ElfMalformed(&'static str),
    ElfNot64,
    ElfBigEndian,
    ElfMachine(u16),
    ElfType(u16),
    ElfNoSegments,
    ElfOverlap {
        a: (u64, u64),
        b: (u64, u64),
    },
    /// A PT_LOAD segment whose physical address range is not in RAM.
    ElfSegmentOutsideRam {
        paddr: u64,
        memsz: u64,
        ram_base: u64,
        ram_end: u64,
    },
    ElfEntryOutsideRam {
        entry: u64,
    },
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use KernelError::*;
        match self {
            Empty => f.write_str("the file is empty"),
            Truncated { len } => write!(
                f,
                "truncated: {len} bytes, shorter than the {IMAGE_HEADER_SIZE}-byte arm64 Image header"
            ),
            NotImage { found } => write!(
                f,
                "not an arm64 Image (no \"ARM\\x64\" magic at offset {IMAGE_MAGIC_OFFSET:#x}, found {}), \
                 nor gzip nor ELF; to load a raw binary give --kernel-raw-addr ADDR",
                hex(found)
            ),
            BigEndian => f.write_str(
                "big-endian kernel (Image flags bit 0 set): armvirt runs little-endian kernels only",
            ),
            PageSize16K => f.write_str(
                "kernel built for 16K pages, which the cortex-A72 does not implement \
                 (ID_AA64MMFR0_EL1.TGran16 = 0)",
            ),
            EfiZboot { compression } => write!(
                f,
                "EFI zboot image ({compression}-compressed payload): not supported, \
                 extract the Image from it first"
            ),
            Gzip(e) => write!(f, "corrupt gzip data: {e}"),
            GzipTooBig { limit } => {
                write!(f, "decompresses to more than {limit:#x} bytes, the size of RAM")
            }
            GzipNotImage { found } => write!(
                f,
                "gzip data is not an arm64 Image (no \"ARM\\x64\" magic at offset \
                 {IMAGE_MAGIC_OFFSET:#x}, found {})",
                hex(found)
            ),
            DoesNotFit { what, addr, size, ram_base, ram_end } => write!(
                f,
                "{what} needs {size:#x} bytes at {addr:#x}, beyond RAM [{ram_base:#x}, \
                 {ram_end:#x}); more memory (-m) may help"
            ),
            ElfMalformed(what) => write!(f, "malformed ELF: {what}"),
            ElfNot64 => f.write_str("32-bit ELF: only ELF64 AArch64 kernels can be loaded"),
            ElfBigEndian => f.write_str("big-endian ELF: armvirt runs little-endian code only"),
            ElfMachine(m) => {
                let arch = elf_machine_name(*m).map(|n| format!("{n}, ")).unwrap_or_default();
                write!(f, "ELF for {arch}machine {m}, not AArch64 (EM_AARCH64 = 183)")
            }
            ElfType(t) => write!(f, "ELF type {t} is not an executable (ET_EXEC)"),
            ElfNoSegments => f.write_str("ELF has no loadable (PT_LOAD) segments"),
            ElfOverlap { a, b } => write!(
                f,
                "ELF segments [{:#x}, {:#x}) and [{:#x}, {:#x}) overlap in physical memory",
                a.0, a.1, b.0, b.1
            ),
            ElfSegmentOutsideRam { paddr, memsz, ram_base, ram_end } => {
                write!(
                    f,
                    "ELF segment at p_paddr {paddr:#x} ({memsz:#x} bytes) is outside RAM \
                     [{ram_base:#x}, {ram_end:#x}); ELF files load by physical address"
                )?;
                if *paddr >= KERNEL_VA_START {
                    f.write_str(" (a vmlinux is linked at virtual addresses: boot its Image)")?;
                }
                Ok(())
            }
            ElfEntryOutsideRam { entry } => {
                write!(f, "ELF entry point {entry:#x} is outside RAM")
            }
        }
    }
}

impl std::error::Error for KernelError {}

/// Names of the e_machine values a wrong file most likely has (ELF gABI, "e_machine").
fn elf_machine_name(machine: u16) -> Option<&'static str> {
    Some(match machine {
        3 => "x86",
        40 => "32-bit Arm",
        62 => "x86-64",
        243 => "RISC-V",
        _ => return None,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The arm64 Image header's fields that a boot loader uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageHeader {
    pub code0: u32,
    pub code1: u32,
    pub text_offset: u64,
    /// Effective size including BSS; 0 in kernels before v3.17.
    pub image_size: u64,
    pub flags: u64,
}

impl ImageHeader {
    /// Parses and checks the header at the start of `data`.
    pub fn parse(data: &[u8]) -> Result<Self, KernelError> {
        if data.len() < IMAGE_HEADER_SIZE {
            return Err(KernelError::Truncated { len: data.len() });
        }
        let magic = field::<4>(data, IMAGE_MAGIC_OFFSET);
        if magic != IMAGE_MAGIC {
            return Err(KernelError::NotImage { found: magic });
        }
        let h = ImageHeader {
            code0: u32::from_le_bytes(field(data, 0)),
            code1: u32::from_le_bytes(field(data, 4)),
            text_offset: u64::from_le_bytes(field(data, IMAGE_TEXT_OFFSET_OFFSET)),
            image_size: u64::from_le_bytes(field(data, IMAGE_SIZE_OFFSET)),
            flags: u64::from_le_bytes(field(data, IMAGE_FLAGS_OFFSET)),
        };
        // Before v3.17 (image_size 0) the flags field did not exist (booting.rst).
        if h.image_size != 0 {
            if h.flags & IMAGE_FLAG_BE != 0 {
                return Err(KernelError::BigEndian);
            }
            if h.page_size_field() == IMAGE_PAGE_SIZE_16K {
                return Err(KernelError::PageSize16K);
            }
        }
        Ok(h)
    }

    /// Flags bits 2:1 (0 unspecified, 1 4K, 2 16K, 3 64K).
    pub fn page_size_field(&self) -> u64 {
        (self.flags >> IMAGE_FLAG_PAGE_SIZE_SHIFT) & IMAGE_FLAG_PAGE_SIZE_MASK
    }

    /// Where QEMU loads this Image, as an offset from RAM base (`load_aarch64_image`).
    pub fn load_offset(&self) -> u64 {
        if self.image_size == 0 {
            return LEGACY_TEXT_OFFSET;
        }
        if self.text_offset < BOOT_STUB_RESERVED {
            // The stub owns the bottom of RAM; the protocol only asks for text_offset
            // above *a* 2 MiB boundary, so use the next one.
            self.text_offset + IMAGE_BASE_ALIGN
        } else {
            self.text_offset
        }
    }
}

fn field<const N: usize>(data: &[u8], at: usize) -> [u8; N] {
    data[at..at + N]
        .try_into()
        .expect("caller checked the length")
}

/// What kind of file the kernel was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelFormat {
    Image,
    GzipImage,
    Elf,
    Raw,
}

/// Bytes to copy to RAM: `file[offset..offset + len]` at `addr`, zero-filled up to
/// `mem_size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub addr: u64,
    pub offset: usize,
    pub len: usize,
    pub mem_size: u64,
}

/// A kernel placed in the physical address space, ready to be written to RAM.
#[derive(Debug)]
pub struct Kernel {
    pub format: KernelFormat,
    /// The file's bytes (decompressed for `Image.gz`).
    pub data: Vec<u8>,
    pub segments: Vec<Segment>,
    pub entry: u64,
    /// First byte used and first byte not used, including BSS (`image_size`).
    pub low: u64,
    pub high: u64,
    /// Booted through the stub with Linux's register protocol (Image and raw), or
    /// entered directly (ELF, as QEMU does).
    pub uses_stub: bool,
}

/// The RAM the kernel must fit in.
#[derive(Clone, Copy, Debug)]
pub struct RamSpan {
    pub base: u64,
    pub size: u64,
}

impl RamSpan {
    pub fn end(&self) -> u64 {
        self.base + self.size
    }

    /// Whether `[addr, addr + size)` lies wholly inside RAM.
    pub fn contains(&self, addr: u64, size: u64) -> bool {
        addr >= self.base && addr - self.base <= self.size && size <= self.end() - addr
    }

    fn check(&self, what: &'static str, addr: u64, size: u64) -> Result<(), KernelError> {
        if self.contains(addr, size) {
            Ok(())
        } else {
            Err(KernelError::DoesNotFit {
                what,
                addr,
                size,
                ram_base: self.base,
                ram_end: self.end(),
            })
        }
    }
}

/// Recognises and places a kernel file. `raw_addr` asks for raw loading at that address.
pub fn place_kernel(
    data: Vec<u8>,
    raw_addr: Option<u64>,
    ram: RamSpan,
) -> Result<Kernel, KernelError> {
    if let Some(addr) = raw_addr {
        return place_raw(data, addr, ram);
    }
    if data.is_empty() {
        return Err(KernelError::Empty);
    }
    if data.starts_with(&elf::ELFMAG) {
        return place_elf(data, ram);
    }
    if data.starts_with(&GZIP_MAGIC) {
        let image = gunzip(&data, ram.size)?;
        return place_image(image, KernelFormat::GzipImage, ram).map_err(|e| match e {
            KernelError::NotImage { found } => KernelError::GzipNotImage { found },
            other => other,
        });
    }
    if let Some(compression) = zboot_compression(&data) {
        return Err(KernelError::EfiZboot { compression });
    }
    place_image(data, KernelFormat::Image, ram)
}

fn place_image(data: Vec<u8>, format: KernelFormat, ram: RamSpan) -> Result<Kernel, KernelError> {
    let header = ImageHeader::parse(&data)?;
    let entry = ram.base + header.load_offset();
    // image_size covers BSS, which the file does not hold: the kernel needs the larger.
    let size = header.image_size.max(data.len() as u64);
    ram.check("the kernel", entry, size)?;
    let segment = Segment {
        addr: entry,
        offset: 0,
        len: data.len(),
        mem_size: data.len() as u64,
    };
    Ok(Kernel {
        format,
        data,
        segments: vec![segment],
        entry,
        low: entry,
        high: entry + size,
        uses_stub: true,
    })
}

fn place_raw(data: Vec<u8>, addr: u64, ram: RamSpan) -> Result<Kernel, KernelError> {
    if data.is_empty() {
        return Err(KernelError::Empty);
    }
    let len = data.len() as u64;
    ram.check("the raw kernel", addr, len)?;
    let segment = Segment {
        addr,
        offset: 0,
        len: data.len(),
        mem_size: len,
    };
    Ok(Kernel {
        format: KernelFormat::Raw,
        data,
        segments: vec![segment],
        entry: addr,
        low: addr,
        high: addr + len,
        uses_stub: true,
    })
}

/// Decompresses a gzip file, refusing output larger than `limit` (the RAM size).
fn gunzip(data: &[u8], limit: u64) -> Result<Vec<u8>, KernelError> {
    let mut out = Vec::new();
    // A multi-member reader, like gzip(1) and QEMU's g_zlib: one byte over the limit
    // tells "too big" from "exactly fits".
    let mut reader = flate2::read::MultiGzDecoder::new(data).take(limit.saturating_add(1));
    reader.read_to_end(&mut out).map_err(KernelError::Gzip)?;
    if out.len() as u64 > limit {
        return Err(KernelError::GzipTooBig { limit });
    }
    Ok(out)
}

/// The payload compression of an EFI zboot image, if `data` is one.
fn zboot_compression(data: &[u8]) -> Option<String> {
    let comp = data.get(ZBOOT_COMP_TYPE_OFFSET..ZBOOT_COMP_TYPE_OFFSET + 32)?;
    if !data.starts_with(b"MZ") || data[ZBOOT_MAGIC_OFFSET..ZBOOT_MAGIC_OFFSET + 4] != ZBOOT_MAGIC {
        return None;
    }
    let name: String = comp
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| b as char)
        .collect();
    Some(if name.is_empty() {
        "unknown".into()
    } else {
        name
    })
}

/// Places an ELF64 AArch64 executable by its PT_LOAD segments' physical addresses.
fn place_elf(data: Vec<u8>, ram: RamSpan) -> Result<Kernel, KernelError> {
    // Check the identification bytes first: `object` refuses a 32-bit or unknown-endian
    // header without saying which.
    let ident = data
        .get(..EI_NIDENT)
        .ok_or(KernelError::ElfMalformed("header"))?;
    if ident[EI_CLASS] != elf::ELFCLASS64.0 {
        return Err(KernelError::ElfNot64);
    }
    if ident[EI_DATA] != elf::ELFDATA2LSB.0 {
        return Err(KernelError::ElfBigEndian);
    }
    let (segments, entry) = {
        let header = elf::FileHeader64::<Endianness>::parse(&*data)
            .map_err(|_| KernelError::ElfMalformed("header"))?;
        let endian = Endianness::Little;
        let machine = header.e_machine(endian);
        if machine != elf::EM_AARCH64 {
            return Err(KernelError::ElfMachine(machine.0));
        }
        let file_type = header.e_type(endian);
        if file_type != elf::ET_EXEC {
            return Err(KernelError::ElfType(file_type.0));
        }
        let phdrs = header
            .program_headers(endian, &*data)
            .map_err(|_| KernelError::ElfMalformed("program header table"))?;
        elf_segments(&data, endian, header.e_entry(endian), phdrs, ram)?
    };
    let low = segments
        .iter()
        .map(|s| s.addr)
        .min()
        .ok_or(KernelError::ElfNoSegments)?;
    let high = segments
        .iter()
        .map(|s| s.addr + s.mem_size)
        .max()
        .unwrap_or(low);
    if !(ram.base..ram.end()).contains(&entry) {
        return Err(KernelError::ElfEntryOutsideRam { entry });
    }
    Ok(Kernel {
        format: KernelFormat::Elf,
        data,
        segments,
        entry,
        low,
        high,
        uses_stub: false,
    })
}

/// The PT_LOAD segments (empty ones skipped, as QEMU does) and the entry point, moved
/// from virtual to physical the way QEMU's `load_elf` does: when an executable
/// segment's p_vaddr and p_paddr differ and e_entry falls in it.
fn elf_segments(
    data: &[u8],
    endian: Endianness,
    e_entry: u64,
    phdrs: &[elf::ProgramHeader64<Endianness>],
    ram: RamSpan,
) -> Result<(Vec<Segment>, u64), KernelError> {
    let mut segments: Vec<Segment> = Vec::new();
    let mut entry = e_entry;
    for ph in phdrs.iter().filter(|ph| ph.p_type(endian) == elf::PT_LOAD) {
        let (paddr, vaddr) = (ph.p_paddr(endian), ph.p_vaddr(endian));
        let (filesz, memsz) = (ph.p_filesz(endian), ph.p_memsz(endian));
        if memsz == 0 {
            continue;
        }
        if filesz > memsz {
            return Err(KernelError::ElfMalformed("segment with p_filesz > p_memsz"));
        }
        ph.data(endian, data)
            .map_err(|_| KernelError::ElfMalformed("segment beyond the file"))?;
        if !ram.contains(paddr, memsz) {
            let (ram_base, ram_end) = (ram.base, ram.end());
            return Err(KernelError::ElfSegmentOutsideRam {
                paddr,
                memsz,
                ram_base,
                ram_end,
            });
        }
        let executable = ph.p_flags(endian).0 & elf::PF_X.0 != 0;
        if executable && vaddr != paddr && e_entry.wrapping_sub(vaddr) < filesz {
            entry = e_entry - vaddr + paddr;
        }
        let new = Segment {
            addr: paddr,
            offset: ph.p_offset(endian) as usize,
            len: filesz as usize,
            mem_size: memsz,
        };
        let overlapping =
            |s: &&Segment| s.addr < new.addr + new.mem_size && new.addr < s.addr + s.mem_size;
        if let Some(old) = segments.iter().find(overlapping) {
            let a = (old.addr, old.addr + old.mem_size);
            return Err(KernelError::ElfOverlap {
                a,
                b: (new.addr, new.addr + new.mem_size),
            });
        }
        segments.push(new);
    }
    Ok((segments, entry))
}

#[cfg(test)]
#[path = "loader_tests.rs"]
mod tests;
