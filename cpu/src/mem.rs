//! Data and instruction accesses of a vCPU: virtual address → physical address through the
//! MMU (`mmu/`), then RAM directly or the machine's bus. Stores keep decoded code and the
//! exclusive monitors coherent. Every data access is checked against the debugger's
//! watchpoints (`watch.rs`) once it has translated, when any are set.

use crate::bus::{Bus, RamRegion};
use crate::cpu::Cpu;
use crate::exception::{ec, fsc, Exception};
use crate::exec::CodeCache;
use crate::mmu::TlbBroadcast;
use crate::monitor::Monitors;

/// Everything a vCPU's instructions reach outside the vCPU itself. The machine builds one
/// for each run of the executor; every vCPU of the machine shares its parts.
pub struct Mem<'a> {
    pub ram: RamRegion,
    pub bus: &'a mut dyn Bus,
    pub code: &'a mut CodeCache,
    pub monitors: &'a mut Monitors,
    /// TLB maintenance broadcast to every vCPU (the Inner Shareable TLBI forms).
    pub tlbi: &'a mut TlbBroadcast,
}

/// What an access is for: it selects the permission checked and the fault syndrome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Fetch,
    /// LDTR and friends: a read checked against EL0's permissions even at EL1
    /// (Arm ARM, "Load/store unprivileged").
    ReadUnpriv,
    /// STTR and friends: a write checked against EL0's permissions even at EL1.
    WriteUnpriv,
    /// DC CVAC/CVAU/CIVAC, IC IVAU: needs read permission (which EL1 always has);
    /// a fault reports ISS.CM = 1 and WnR = 1 (Arm ARM D17.2.37, ESR_EL1).
    CacheMaint,
    /// DC IVAC: as `CacheMaint`, but invalidating needs write permission.
    CacheInvalidate,
}

impl Access {
    /// Whether a fault on this access reports WnR = 1 (a write, or cache maintenance).
    #[inline(always)]
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Access::Write | Access::WriteUnpriv | Access::CacheMaint | Access::CacheInvalidate
        )
    }

    /// Whether this is a cache maintenance operation by VA (ISS.CM).
    #[inline(always)]
    pub fn is_cache_maint(self) -> bool {
        matches!(self, Access::CacheMaint | Access::CacheInvalidate)
    }

    /// Whether permissions are checked as for EL0 regardless of the current EL.
    #[inline(always)]
    pub fn is_unprivileged(self) -> bool {
        matches!(self, Access::ReadUnpriv | Access::WriteUnpriv)
    }
}

/// Size of the pages an access is split at: the smallest translation granule.
const PAGE_SIZE: u64 = 1 << 12;

/// Whether `[va, va+size)` runs into the next 4 KiB page (and so may translate apart).
#[inline(always)]
fn crosses_page(va: u64, size: u8) -> bool {
    (va & (PAGE_SIZE - 1)) + size as u64 > PAGE_SIZE
}

impl<'a> Mem<'a> {
    /// Reads physical memory (RAM or bus).
    #[inline]
    pub fn read_phys(&mut self, pa: u64, size: u8) -> Option<u64> {
        match self.ram.offset(pa, size as u64) {
            Some(off) => Some(self.ram.load(off, size)),
            None => self.bus.read(pa, size).ok(),
        }
    }

    /// Writes physical memory (RAM or bus), invalidating decoded code and clearing
    /// exclusive reservations on the written granule.
    #[inline]
    pub fn write_phys(&mut self, pa: u64, size: u8, v: u64) -> Option<()> {
        match self.ram.offset(pa, size as u64) {
            Some(off) => {
                self.ram.store(off, size, v);
                self.code.note_write(pa, size as u64);
                self.monitors.note_write(pa, size as u64);
                Some(())
            }
            None => self.bus.write(pa, size, v).ok(),
        }
    }
}

impl Cpu {
    /// Loads `size` bytes (1, 2, 4, 8) from virtual address `va`.
    #[inline]
    pub fn read(&mut self, m: &mut Mem<'_>, va: u64, size: u8) -> Result<u64, Exception> {
        self.read_as(m, va, size, Access::Read)
    }

    /// Stores `size` bytes (1, 2, 4, 8) to virtual address `va`.
    #[inline]
    pub fn write(&mut self, m: &mut Mem<'_>, va: u64, size: u8, v: u64) -> Result<(), Exception> {
        self.write_as(m, va, size, v, Access::Write)
    }

    /// Loads `size` bytes for `acc` (`Read`, or `ReadUnpriv` for LDTR and friends).
    #[inline(always)]
    pub fn read_as(
        &mut self,
        m: &mut Mem<'_>,
        va: u64,
        size: u8,
        acc: Access,
    ) -> Result<u64, Exception> {
        if crosses_page(va, size) {
            return self.read_split(m, va, size, acc);
        }
        let pa = self.translate(m, va, acc)?;
        if !self.watchpoints.is_empty() {
            self.check_watch(va, size as u64, acc)?;
        }
        if let Some(off) = m.ram.offset(pa, size as u64) {
            return Ok(m.ram.load(off, size));
        }
        m.bus
            .read(pa, size)
            .map_err(|_| self.external_abort(va, acc, size))
    }

    /// Stores `size` bytes for `acc` (`Write`, or `WriteUnpriv` for STTR and friends).
    #[inline(always)]
    pub fn write_as(
        &mut self,
        m: &mut Mem<'_>,
        va: u64,
        size: u8,
        v: u64,
        acc: Access,
    ) -> Result<(), Exception> {
        if crosses_page(va, size) {
            return self.write_split(m, va, size, v, acc);
        }
        let pa = self.translate(m, va, acc)?;
        if !self.watchpoints.is_empty() {
            self.check_watch(va, size as u64, acc)?;
        }
        if m.ram.offset(pa, size as u64).is_some() {
            m.write_phys(pa, size, v);
            return Ok(());
        }
        m.bus
            .write(pa, size, v)
            .map_err(|_| self.external_abort(va, acc, size))
    }

    /// Physical addresses of the two parts of a page-crossing access, both translated
    /// (so a fault on either comes before any effect), and the length of the first.
    fn split_pas(
        &mut self,
        m: &mut Mem<'_>,
        va: u64,
        size: u8,
        acc: Access,
    ) -> Result<(u64, u64, u64), Exception> {
        let first = PAGE_SIZE - (va & (PAGE_SIZE - 1));
        let lo = self.translate(m, va, acc)?;
        let hi = self.translate(m, va.wrapping_add(first), acc)?;
        debug_assert!(first < size as u64);
        self.watch_access(va, size as u64, acc)?;
        Ok((lo, hi, first))
    }

    #[cold]
    fn read_split(
        &mut self,
        m: &mut Mem<'_>,
        va: u64,
        size: u8,
        acc: Access,
    ) -> Result<u64, Exception> {
        let (lo, hi, first) = self.split_pas(m, va, size, acc)?;
        let mut v = 0;
        for i in 0..size as u64 {
            let pa = if i < first { lo + i } else { hi + (i - first) };
            let byte = m
                .read_phys(pa, 1)
                .ok_or_else(|| self.external_abort(va.wrapping_add(i), acc, size))?;
            v |= byte << (8 * i);
        }
        Ok(v)
    }

    #[cold]
    fn write_split(
        &mut self,
        m: &mut Mem<'_>,
        va: u64,
        size: u8,
        v: u64,
        acc: Access,
    ) -> Result<(), Exception> {
        let (lo, hi, first) = self.split_pas(m, va, size, acc)?;
        for i in 0..size as u64 {
            let pa = if i < first { lo + i } else { hi + (i - first) };
            m.write_phys(pa, 1, v >> (8 * i))
                .ok_or_else(|| self.external_abort(va.wrapping_add(i), acc, size))?;
        }
        Ok(())
    }

    /// Loads 16 bytes (a Q register) as two little-endian halves.
    pub fn read_u128(&mut self, m: &mut Mem<'_>, va: u64) -> Result<u128, Exception> {
        // A watchpoint sees one 16-byte access.
        self.watch_range(m, va, 16, Access::Read)?;
        let lo = self.read(m, va, 8)? as u128;
        let hi = self.read(m, va.wrapping_add(8), 8)? as u128;
        Ok(hi << 64 | lo)
    }

    pub fn write_u128(&mut self, m: &mut Mem<'_>, va: u64, v: u128) -> Result<(), Exception> {
        // Check the first and last bytes translate before writing either half, so a
        // fault leaves memory as it was (16 bytes span at most two pages).
        self.translate(m, va, Access::Write)?;
        self.translate(m, va.wrapping_add(15), Access::Write)?;
        self.watch_access(va, 16, Access::Write)?;
        self.write(m, va, 8, v as u64)?;
        self.write(m, va.wrapping_add(8), 8, (v >> 64) as u64)
    }

    /// A data abort for a bus error: synchronous external abort (DFSC 0b010000).
    pub fn external_abort(&self, va: u64, acc: Access, size: u8) -> Exception {
        self.data_abort(va, acc, size, fsc::SYNC_EXTERNAL)
    }

    /// An abort taken to EL1 with fault status `status`: an instruction abort (EC
    /// 0x20/0x21, ISS.IFSC) for a fetch, otherwise a data abort (EC 0x24/0x25, ISS.DFSC
    /// with WnR and CM) — Arm ARM D17.2.37, ESR_EL1. ISV is 0, as for every stage 1
    /// abort QEMU reports to EL1.
    pub fn abort(&self, va: u64, acc: Access, status: u32) -> Exception {
        const ISS_WNR: u32 = 1 << 6;
        const ISS_CM: u32 = 1 << 8;
        let lower = self.s.el == 0;
        let (class, iss) = match acc {
            Access::Fetch => (if lower { ec::IABT_LOWER } else { ec::IABT_CUR }, status),
            _ => {
                let wnr = if acc.is_write() { ISS_WNR } else { 0 };
                let cm = if acc.is_cache_maint() { ISS_CM } else { 0 };
                (
                    if lower { ec::DABT_LOWER } else { ec::DABT_CUR },
                    cm | wnr | status,
                )
            }
        };
        Exception {
            ec: class,
            iss,
            far: Some(va),
            return_next: false,
        }
    }

    /// A data abort taken to EL1 with fault status `dfsc` (ESR_EL1 ISS for EC 0x24/0x25).
    pub fn data_abort(&self, va: u64, acc: Access, _size: u8, dfsc: u32) -> Exception {
        let acc = if acc == Access::Fetch {
            Access::Read
        } else {
            acc
        };
        self.abort(va, acc, dfsc)
    }

    /// An alignment fault on a data access.
    pub fn alignment_fault(&self, va: u64, acc: Access, size: u8) -> Exception {
        self.data_abort(va, acc, size, fsc::ALIGNMENT)
    }
}
