//! The exclusive monitors of LDXR/STXR (Arm ARM B2.9, "Synchronization and semaphores").
//!
//! One reservation per vCPU, on a physical granule of 64 bytes (the A72's Exclusives
//! Reservation Granule, CTR_EL0.ERG = 4). Any store to a reserved granule, by any vCPU or by
//! the reserving one, clears the reservation: that is what makes another vCPU's STXR fail,
//! and the architecture permits it for the local monitor too.

/// log2 of the reservation granule in bytes.
pub const ERG_SHIFT: u32 = 6;

#[derive(Default, Debug)]
pub struct Monitors {
    /// Reserved granule (physical address >> ERG_SHIFT) per vCPU index.
    reserved: Vec<Option<u64>>,
    /// How many reservations are held; zero skips the check on every store.
    armed: usize,
}

impl Monitors {
    pub fn new(cpus: usize) -> Self {
        Monitors {
            reserved: vec![None; cpus],
            armed: 0,
        }
    }

    fn slot(&mut self, cpu: usize) -> &mut Option<u64> {
        if cpu >= self.reserved.len() {
            self.reserved.resize(cpu + 1, None);
        }
        &mut self.reserved[cpu]
    }

    /// LDXR and friends: marks `pa` for `cpu`, replacing its previous reservation.
    pub fn mark(&mut self, cpu: usize, pa: u64) {
        let slot = self.slot(cpu);
        let was = slot.replace(pa >> ERG_SHIFT);
        if was.is_none() {
            self.armed += 1;
        }
    }

    /// Whether `cpu` holds a reservation covering `pa`.
    pub fn holds(&self, cpu: usize, pa: u64) -> bool {
        self.reserved.get(cpu).copied().flatten() == Some(pa >> ERG_SHIFT)
    }

    /// CLREX, exception return, and a completed STXR: drops `cpu`'s reservation.
    pub fn clear(&mut self, cpu: usize) {
        if self.slot(cpu).take().is_some() {
            self.armed -= 1;
        }
    }

    /// A store to `[pa, pa+len)` clears every reservation on the granules it touches.
    #[inline(always)]
    pub fn note_write(&mut self, pa: u64, len: u64) {
        if self.armed == 0 {
            return;
        }
        let first = pa >> ERG_SHIFT;
        let last = (pa + len.max(1) - 1) >> ERG_SHIFT;
        for slot in self.reserved.iter_mut() {
            if matches!(*slot, Some(g) if g >= first && g <= last) {
                *slot = None;
                self.armed -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_by_another_vcpu_breaks_the_reservation() {
        let mut m = Monitors::new(2);
        m.mark(0, 0x4000_1008);
        assert!(m.holds(0, 0x4000_1000)); // same 64-byte granule
        m.note_write(0x4000_2000, 8); // elsewhere
        assert!(m.holds(0, 0x4000_1008));
        m.note_write(0x4000_103f, 1); // last byte of the granule
        assert!(!m.holds(0, 0x4000_1008));
    }

    #[test]
    fn clear_and_remark() {
        let mut m = Monitors::new(1);
        m.mark(0, 0x100);
        m.mark(0, 0x200);
        assert!(!m.holds(0, 0x100));
        m.clear(0);
        assert!(!m.holds(0, 0x200));
        m.note_write(0x200, 8); // nothing armed: no effect, no underflow
    }
}
