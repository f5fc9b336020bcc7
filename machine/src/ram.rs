//! Guest RAM: one anonymous host mapping, so memory the guest never touches costs nothing
//! (`-m 64G` is cheap). The CPU reaches it through an [`armvirt_cpu::RamRegion`]; loaders
//! and the debugger use the bounds-checked accessors here.

use std::fmt;

use armvirt_cpu::RamRegion;
use memmap2::{MmapMut, MmapOptions};

/// An access outside guest RAM, or a mapping the host refused.
#[derive(Debug)]
pub enum RamError {
    /// `[addr, addr + len)` is not wholly inside RAM.
    OutOfRange {
        addr: u64,
        len: u64,
        base: u64,
        size: u64,
    },
    /// The host could not map `size` bytes.
    Map { size: u64, err: std::io::Error },
}

impl fmt::Display for RamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RamError::OutOfRange {
                addr,
                len,
                base,
                size,
            } => write!(
                f,
                "{len:#x} bytes at {addr:#x} do not fit in RAM [{base:#x}, {:#x})",
                base + size
            ),
            RamError::Map { size, err } => {
                write!(f, "cannot map {size:#x} bytes of guest RAM: {err}")
            }
        }
    }
}

impl std::error::Error for RamError {}

/// The machine's RAM at `base`.
pub struct GuestRam {
    base: u64,
    map: MmapMut,
}

impl GuestRam {
    /// Maps `size` bytes of zeroed RAM at guest physical `base`. Swap is not reserved
    /// (MAP_NORESERVE): pages are committed only when the guest touches them.
    pub fn new(base: u64, size: u64) -> Result<Self, RamError> {
        let len = usize::try_from(size).map_err(|_| RamError::Map {
            size,
            err: std::io::Error::other("larger than the host address space"),
        })?;
        let map = MmapOptions::new()
            .len(len)
            .no_reserve_swap()
            .map_anon()
            .map_err(|err| RamError::Map { size, err })?;
        Ok(GuestRam { base, map })
    }

    pub fn base(&self) -> u64 {
        self.base
    }

    pub fn size(&self) -> u64 {
        self.map.len() as u64
    }

    /// One past the last byte of RAM.
    pub fn end(&self) -> u64 {
        self.base + self.size()
    }

    /// Whether `[addr, addr + len)` lies wholly inside RAM.
    pub fn contains(&self, addr: u64, len: u64) -> bool {
        self.offset(addr, len).is_ok()
    }

    /// The CPU's view of this RAM. It stays valid as long as `self` lives; the machine
    /// owns both and drops the CPUs' copies first.
    pub fn region(&mut self) -> RamRegion {
        // SAFETY: the mapping is `size` writable bytes and outlives the region (above).
        unsafe { RamRegion::new(self.base, self.size(), self.map.as_mut_ptr()) }
    }

    /// The host address of RAM's first byte, for the devices' view of it (`virtio.rs`).
    pub(crate) fn host_ptr(&mut self) -> *mut u8 {
        self.map.as_mut_ptr()
    }

    fn offset(&self, addr: u64, len: u64) -> Result<usize, RamError> {
        let off = addr.wrapping_sub(self.base);
        if addr >= self.base && off <= self.size() && len <= self.size() - off {
            Ok(off as usize)
        } else {
            Err(RamError::OutOfRange {
                addr,
                len,
                base: self.base,
                size: self.size(),
            })
        }
    }

    /// Copies `data` into RAM at physical address `addr`.
    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), RamError> {
        self.slice_mut(addr, data.len() as u64)?
            .copy_from_slice(data);
        Ok(())
    }

    /// Zeroes `len` bytes at `addr` (an ELF segment's BSS).
    pub fn zero(&mut self, addr: u64, len: u64) -> Result<(), RamError> {
        self.slice_mut(addr, len)?.fill(0);
        Ok(())
    }

    /// The bytes at `[addr, addr + len)`.
    pub fn slice(&self, addr: u64, len: u64) -> Result<&[u8], RamError> {
        let off = self.offset(addr, len)?;
        Ok(&self.map[off..off + len as usize])
    }

    pub fn slice_mut(&mut self, addr: u64, len: u64) -> Result<&mut [u8], RamError> {
        let off = self.offset(addr, len)?;
        Ok(&mut self.map[off..off + len as usize])
    }
}

impl fmt::Debug for GuestRam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GuestRam[{:#x}, {:#x})", self.base, self.end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: u64 = 0x4000_0000;

    #[test]
    fn writes_land_at_physical_addresses() {
        let mut ram = GuestRam::new(BASE, 0x10000).unwrap();
        ram.write(BASE + 0x100, &[1, 2, 3, 4]).unwrap();
        assert_eq!(ram.slice(BASE + 0x100, 4).unwrap(), &[1, 2, 3, 4]);
        // The CPU's view reads the same bytes, little-endian.
        let region = ram.region();
        let off = region.offset(BASE + 0x100, 4).unwrap();
        assert_eq!(region.load(off, 4), 0x0403_0201);
    }

    #[test]
    fn last_byte_is_reachable_and_one_past_is_not() {
        let mut ram = GuestRam::new(BASE, 0x1000).unwrap();
        ram.write(BASE + 0xfff, &[7]).unwrap();
        ram.write(BASE + 0x1000, &[]).unwrap(); // empty write at the end: fine
        let e = ram.write(BASE + 0xfff, &[7, 8]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "0x2 bytes at 0x40000fff do not fit in RAM [0x40000000, 0x40001000)"
        );
    }

    #[test]
    fn below_base_and_wrapping_ranges_are_refused() {
        let mut ram = GuestRam::new(BASE, 0x1000).unwrap();
        assert!(ram.write(BASE - 1, &[0]).is_err());
        assert!(ram.slice(u64::MAX, 2).is_err());
        assert!(ram.zero(BASE, u64::MAX).is_err());
    }

    #[test]
    fn large_ram_is_cheap() {
        // 16 GiB of address space, never touched: must map without committing memory.
        let ram = GuestRam::new(BASE, 16 << 30).unwrap();
        assert_eq!(ram.end(), BASE + (16 << 30));
    }
}
