//! Data and instruction accesses of a vCPU: virtual address → physical address (the MMU
//! joins here), then RAM directly or the machine's bus. Stores keep decoded code and the
//! exclusive monitors coherent.

use crate::bus::{Bus, RamRegion};
use crate::cpu::Cpu;
use crate::exception::{ec, fsc, Exception};
use crate::exec::CodeCache;
use crate::monitor::Monitors;

/// Everything a vCPU's instructions reach outside the vCPU itself. The machine builds one
/// for each run of the executor; every vCPU of the machine shares its parts.
pub struct Mem<'a> {
    pub ram: RamRegion,
    pub bus: &'a mut dyn Bus,
    pub code: &'a mut CodeCache,
    pub monitors: &'a mut Monitors,
}

/// What an access is for: it selects the fault syndrome and, with the MMU, permissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Fetch,
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
    /// Translates a virtual address for `acc`. The MMU is not modelled yet: with
    /// SCTLR_EL1.M clear the translation is flat, which is the state Linux enters in.
    #[inline(always)]
    pub fn translate(&mut self, va: u64, _acc: Access) -> Result<u64, Exception> {
        Ok(va)
    }

    /// Loads `size` bytes (1, 2, 4, 8) from virtual address `va`.
    #[inline]
    pub fn read(&mut self, m: &mut Mem<'_>, va: u64, size: u8) -> Result<u64, Exception> {
        let pa = self.translate(va, Access::Read)?;
        if let Some(off) = m.ram.offset(pa, size as u64) {
            return Ok(m.ram.load(off, size));
        }
        m.bus
            .read(pa, size)
            .map_err(|_| self.external_abort(va, Access::Read, size))
    }

    /// Stores `size` bytes (1, 2, 4, 8) to virtual address `va`.
    #[inline]
    pub fn write(&mut self, m: &mut Mem<'_>, va: u64, size: u8, v: u64) -> Result<(), Exception> {
        let pa = self.translate(va, Access::Write)?;
        if m.ram.offset(pa, size as u64).is_some() {
            m.write_phys(pa, size, v);
            return Ok(());
        }
        m.bus
            .write(pa, size, v)
            .map_err(|_| self.external_abort(va, Access::Write, size))
    }

    /// Loads 16 bytes (a Q register) as two little-endian halves.
    pub fn read_u128(&mut self, m: &mut Mem<'_>, va: u64) -> Result<u128, Exception> {
        let lo = self.read(m, va, 8)? as u128;
        let hi = self.read(m, va.wrapping_add(8), 8)? as u128;
        Ok(hi << 64 | lo)
    }

    pub fn write_u128(&mut self, m: &mut Mem<'_>, va: u64, v: u128) -> Result<(), Exception> {
        // Check both halves translate before writing either, so a fault leaves memory as it was.
        self.translate(va.wrapping_add(8), Access::Write)?;
        self.write(m, va, 8, v as u64)?;
        self.write(m, va.wrapping_add(8), 8, (v >> 64) as u64)
    }

    /// A data abort for a bus error: synchronous external abort (DFSC 0b010000).
    pub fn external_abort(&self, va: u64, acc: Access, size: u8) -> Exception {
        self.data_abort(va, acc, size, fsc::SYNC_EXTERNAL)
    }

    /// A data abort taken to EL1 with fault status `dfsc` (ESR_EL1 ISS for EC 0x24/0x25).
    pub fn data_abort(&self, va: u64, acc: Access, _size: u8, dfsc: u32) -> Exception {
        let class = if self.s.el == 0 {
            ec::DABT_LOWER
        } else {
            ec::DABT_CUR
        };
        let wnr = (acc == Access::Write) as u32;
        Exception {
            ec: class,
            iss: (wnr << 6) | dfsc,
            far: Some(va),
            return_next: false,
        }
    }

    /// An alignment fault on a data access.
    pub fn alignment_fault(&self, va: u64, acc: Access, size: u8) -> Exception {
        self.data_abort(va, acc, size, fsc::ALIGNMENT)
    }
}
