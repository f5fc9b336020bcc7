//! A minimal static AArch64 Linux executable: an ELF64 header and one PT_LOAD segment that
//! maps the whole file read-write-execute, with zero fill after it (ELF-64 Object File
//! Format 1.5; AArch64 ELF ABI for EM_AARCH64).

const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;
/// Bytes at the start of an image that the headers occupy.
pub const HEADERS_SIZE: usize = EHDR_SIZE + PHDR_SIZE;

const ET_EXEC: u16 = 2;
const EM_AARCH64: u16 = 183;
const PT_LOAD: u32 = 1;
const PF_RWX: u32 = 7;
const SEGMENT_ALIGN: u64 = 0x1_0000;

/// Writes the headers into `image[..HEADERS_SIZE]`. The image is loaded at `base` (aligned
/// to 64 KiB) and the segment extends to `memsz` bytes, zero-filled past the image.
pub fn finish(image: &mut [u8], base: u64, entry: u64, memsz: u64) {
    assert!(base.is_multiple_of(SEGMENT_ALIGN) && memsz >= image.len() as u64);
    let mut h = Vec::with_capacity(HEADERS_SIZE);
    // e_ident: magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_SYSV, padding.
    h.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    h.extend_from_slice(&ET_EXEC.to_le_bytes());
    h.extend_from_slice(&EM_AARCH64.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes()); // e_version
    h.extend_from_slice(&entry.to_le_bytes());
    h.extend_from_slice(&(EHDR_SIZE as u64).to_le_bytes()); // e_phoff
    h.extend_from_slice(&0u64.to_le_bytes()); // e_shoff: no sections
    h.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    h.extend_from_slice(&(EHDR_SIZE as u16).to_le_bytes());
    h.extend_from_slice(&(PHDR_SIZE as u16).to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes()); // e_phnum
    h.extend_from_slice(&64u16.to_le_bytes()); // e_shentsize
    h.extend_from_slice(&0u16.to_le_bytes()); // e_shnum
    h.extend_from_slice(&0u16.to_le_bytes()); // e_shstrndx
    h.extend_from_slice(&PT_LOAD.to_le_bytes());
    h.extend_from_slice(&PF_RWX.to_le_bytes());
    h.extend_from_slice(&0u64.to_le_bytes()); // p_offset
    h.extend_from_slice(&base.to_le_bytes()); // p_vaddr
    h.extend_from_slice(&base.to_le_bytes()); // p_paddr
    h.extend_from_slice(&(image.len() as u64).to_le_bytes()); // p_filesz
    h.extend_from_slice(&memsz.to_le_bytes());
    h.extend_from_slice(&SEGMENT_ALIGN.to_le_bytes());
    assert_eq!(h.len(), HEADERS_SIZE);
    image[..HEADERS_SIZE].copy_from_slice(&h);
}
