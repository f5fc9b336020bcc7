//! How the CPU reaches memory: guest RAM directly through a host pointer (the fast path a
//! software TLB and the JIT build on), everything else through the machine's [`Bus`].
//!
//! The CPU knows nothing of devices: a physical address outside RAM is handed to the bus,
//! and a bus error becomes an external abort (Arm ARM D8.8, "synchronous External abort").

use std::fmt;

/// A physical access the bus could not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusError {
    /// Nothing is mapped at this address.
    Unmapped,
    /// A device is there but refused this offset, size or value.
    DeviceError,
}

impl fmt::Display for BusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BusError::Unmapped => f.write_str("no device at this address"),
            BusError::DeviceError => f.write_str("device refused the access"),
        }
    }
}

/// The machine's physical address space outside RAM (MMIO devices).
///
/// `size` is 1, 2, 4 or 8 bytes; values are little-endian and right-aligned.
pub trait Bus {
    fn read(&mut self, pa: u64, size: u8) -> Result<u64, BusError>;
    fn write(&mut self, pa: u64, size: u8, value: u64) -> Result<(), BusError>;
}

/// Guest RAM as the CPU sees it: one contiguous block of host memory.
///
/// Built by the machine from its mapping; the CPU dereferences `host` directly.
#[derive(Clone, Copy, Debug)]
pub struct RamRegion {
    base: u64,
    size: u64,
    host: *mut u8,
    /// One bit per 4 KiB page, set by every store through the region; null when the
    /// machine does not track writes (time travel's RAM snapshots read it).
    dirty: *mut u64,
}

// SAFETY: the pointer targets a mapping that lives as long as the machine, and vCPUs
// run on one host thread at a time; sending the descriptor to that thread is fine.
unsafe impl Send for RamRegion {}

impl RamRegion {
    /// # Safety
    /// `host` must point to `size` writable bytes that outlive every use of this region.
    pub unsafe fn new(base: u64, size: u64, host: *mut u8) -> Self {
        RamRegion {
            base,
            size,
            host,
            dirty: std::ptr::null_mut(),
        }
    }

    /// The region with stores marking their pages in `dirty`.
    ///
    /// # Safety
    /// `dirty` must point to at least `size / 4096 / 64` rounded up words that outlive
    /// every use of the region, touched by no one else while it is used.
    pub unsafe fn with_dirty(self, dirty: *mut u64) -> Self {
        RamRegion { dirty, ..self }
    }

    /// Marks the pages of `[off, off + len)` written (stores through the region do it
    /// themselves; the JIT marks a page before it lets generated code store to it).
    #[inline(always)]
    pub fn mark(&self, off: usize, len: usize) {
        if self.dirty.is_null() || len == 0 {
            return;
        }
        for page in off >> 12..=(off + len - 1) >> 12 {
            // SAFETY: `off + len` is inside the region, which `with_dirty`'s bitmap covers.
            unsafe { *self.dirty.add(page / 64) |= 1 << (page % 64) };
        }
    }

    /// An empty region (a machine without RAM, for tests of the bus path).
    pub fn empty() -> Self {
        RamRegion {
            base: 0,
            size: 0,
            host: std::ptr::null_mut(),
            dirty: std::ptr::null_mut(),
        }
    }

    pub fn base(&self) -> u64 {
        self.base
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Offset of `[pa, pa+len)` in RAM when it lies wholly inside.
    #[inline(always)]
    pub fn offset(&self, pa: u64, len: u64) -> Option<usize> {
        let off = pa.wrapping_sub(self.base);
        (off < self.size && len <= self.size - off).then_some(off as usize)
    }

    /// Reads `size` bytes (1, 2, 4, 8) little-endian at RAM offset `off`.
    #[inline(always)]
    pub fn load(&self, off: usize, size: u8) -> u64 {
        // SAFETY: callers obtained `off` from `offset(pa, size)`.
        unsafe {
            let p = self.host.add(off);
            match size {
                1 => *p as u64,
                2 => u16::from_le(std::ptr::read_unaligned(p as *const u16)) as u64,
                4 => u32::from_le(std::ptr::read_unaligned(p as *const u32)) as u64,
                _ => u64::from_le(std::ptr::read_unaligned(p as *const u64)),
            }
        }
    }

    #[inline(always)]
    pub fn store(&self, off: usize, size: u8, v: u64) {
        self.mark(off, size as usize);
        // SAFETY: callers obtained `off` from `offset(pa, size)`.
        unsafe {
            let p = self.host.add(off);
            match size {
                1 => *p = v as u8,
                2 => std::ptr::write_unaligned(p as *mut u16, (v as u16).to_le()),
                4 => std::ptr::write_unaligned(p as *mut u32, (v as u32).to_le()),
                _ => std::ptr::write_unaligned(p as *mut u64, v.to_le()),
            }
        }
    }

    /// The host address of RAM offset `off` (`off` from [`Self::offset`]).
    pub fn host_ptr(&self, off: usize) -> *mut u8 {
        self.host.wrapping_add(off)
    }

    /// Copies RAM at offset `off` into `buf` (loaders, the debugger).
    pub fn read_bytes(&self, off: usize, buf: &mut [u8]) {
        assert!(
            off as u64 + buf.len() as u64 <= self.size,
            "RAM read out of bounds"
        );
        // SAFETY: bounds checked above; see `new`'s contract.
        unsafe { std::ptr::copy_nonoverlapping(self.host.add(off), buf.as_mut_ptr(), buf.len()) }
    }

    /// Copies `bytes` into RAM at offset `off`.
    pub fn write_bytes(&self, off: usize, bytes: &[u8]) {
        assert!(
            off as u64 + bytes.len() as u64 <= self.size,
            "RAM write out of bounds"
        );
        self.mark(off, bytes.len());
        // SAFETY: bounds checked above; see `new`'s contract.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.host.add(off), bytes.len()) }
    }
}
