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
    /// One bit per page written since the last [`GuestRam::take_dirty`], while tracked.
    dirty: Option<Box<[u64]>>,
}

/// Bytes of a page, as dirty tracking and snapshots count them.
pub const PAGE: u64 = 4096;

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
        Ok(GuestRam {
            base,
            map,
            dirty: None,
        })
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
        let region = unsafe { RamRegion::new(self.base, self.size(), self.map.as_mut_ptr()) };
        match &mut self.dirty {
            // SAFETY: the bitmap covers every page and lives as long as the mapping; only
            // regions (one in use at a time, on the machine's thread) write it.
            Some(bits) => unsafe { region.with_dirty(bits.as_mut_ptr()) },
            None => region,
        }
    }

    pub fn pages(&self) -> usize {
        (self.size() / PAGE) as usize
    }

    /// Starts (or stops) recording which pages are written.
    pub fn track_dirty(&mut self, on: bool) {
        self.dirty = on.then(|| vec![0u64; self.pages().div_ceil(64)].into_boxed_slice());
    }

    /// Marks `[addr, addr + len)` written (a device's DMA, which does not go through a
    /// region).
    pub fn mark_dirty(&mut self, addr: u64, len: u64) {
        let off = self.offset(addr, len);
        if let (Some(bits), Ok(off)) = (&mut self.dirty, off) {
            if len > 0 {
                let first = off / PAGE as usize;
                let last = (off + len as usize - 1) / PAGE as usize;
                for page in first..=last {
                    bits[page / 64] |= 1 << (page % 64);
                }
            }
        }
    }

    /// Hands `f` each page index written since the last call, and clears the record.
    pub fn take_dirty(&mut self, mut f: impl FnMut(usize)) {
        let Some(bits) = &mut self.dirty else {
            return;
        };
        for (w, word) in bits.iter_mut().enumerate() {
            let mut v = std::mem::take(word);
            while v != 0 {
                f(w * 64 + v.trailing_zeros() as usize);
                v &= v - 1;
            }
        }
    }

    /// Page `i`'s bytes.
    pub fn page(&self, i: usize) -> &[u8] {
        let off = i * PAGE as usize;
        &self.map[off..off + PAGE as usize]
    }

    pub fn page_mut(&mut self, i: usize) -> &mut [u8] {
        let off = i * PAGE as usize;
        &mut self.map[off..off + PAGE as usize]
    }

    /// The pages that hold anything: backed by the host and not all zeros (what a saved
    /// machine keeps; every other page reads zero).
    pub fn nonzero_pages(&self) -> impl Iterator<Item = usize> + '_ {
        self.resident_pages()
            .into_iter()
            .filter(|&p| self.page(p).iter().any(|&b| b != 0))
    }

    /// Which pages the host has ever backed with memory (the others read as zero): the
    /// kernel's page residency (mincore), so a 64 GiB guest's untouched RAM is not read.
    pub fn resident_pages(&self) -> Vec<usize> {
        let host_page = page_size();
        let len = self.map.len();
        let mut vec = vec![0u8; len.div_ceil(host_page)];
        // SAFETY: the mapping is `len` bytes at a page-aligned address; `vec` has a byte
        // per host page.
        let r = unsafe {
            libc::mincore(
                self.map.as_ptr() as *mut libc::c_void,
                len,
                vec.as_mut_ptr(),
            )
        };
        if r != 0 {
            // Cannot tell: every page counts.
            return (0..self.pages()).collect();
        }
        let per = host_page / PAGE as usize;
        (0..self.pages())
            .filter(|&i| vec[i / per.max(1)] & 1 != 0)
            .collect()
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

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).unwrap_or(4096).max(4096)
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
