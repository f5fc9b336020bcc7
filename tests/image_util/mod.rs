//! Bare-metal arm64 Images for the end-to-end tests: the 64-byte header of
//! Documentation/arm64/booting.rst, then the test's program, padded to the size the header
//! gives.

#![allow(dead_code)]

use armvirt_cpu::a64;

/// The header's length: a program starts this far into its Image.
pub const HEADER_LEN: u64 = 0x40;
/// image_size in the header; every test Image is padded to it.
pub const IMAGE_SIZE: usize = 0x10000;
/// `IMAGE_SIZE` as the header's field holds it.
const IMAGE_SIZE_FIELD: u64 = IMAGE_SIZE as u64;
/// "ARM\x64", little-endian, at offset 0x38 of the header.
const IMAGE_MAGIC: u32 = 0x644d_5241;

/// The header (whose code0 branches past it), then `code`, unpadded.
pub fn with_header(code: &[u8]) -> Vec<u8> {
    let mut image = a64!(
        ; b ->start                 // code0
        ; .u32 0                    // code1
        ; .u64 0                    // text_offset
        ; .u64 IMAGE_SIZE_FIELD      // image_size
        ; .u64 0b1010               // flags: little-endian, 4K pages, anywhere in RAM
        ; .u64 0
        ; .u64 0
        ; .u64 0
        ; .u32 IMAGE_MAGIC
        ; .u32 0
        ; ->start:
    );
    assert_eq!(image.len() as u64, HEADER_LEN);
    image.extend_from_slice(code);
    image
}

/// An Image running `code`: the header, `code`, zeros up to `IMAGE_SIZE`.
pub fn bare_metal_image(code: &[u8]) -> Vec<u8> {
    padded(with_header(code))
}

/// `image` with zeros up to `IMAGE_SIZE`.
pub fn padded(mut image: Vec<u8>) -> Vec<u8> {
    image.resize(IMAGE_SIZE, 0);
    image
}
