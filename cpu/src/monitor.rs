//! The exclusive monitors of LDXR/STXR (Arm ARM B2.9, "Synchronization and semaphores").
//!
//! One reservation per vCPU, on a physical granule of 64 bytes (the A72's Exclusives
//! Reservation Granule, CTR_EL0.ERG = 4). Any store to a reserved granule, by any vCPU or by
//! the reserving one, clears the reservation: that is what makes another vCPU's STXR fail,
//! and the architecture permits it for the local monitor too.
//!
//! A reservation cleared by a store also sends its vCPU an event (Arm ARM D1.16.1: the
//! clearing of the global monitor sets the PE's event register), which is what wakes a
//! `LDAXR; WFE` spin. SEV's broadcast rides along: the monitors are the machine-wide state
//! every vCPU's instructions already reach. A vCPU folds its signal into its own event
//! register (`event.rs`) when it next looks.

/// log2 of the reservation granule in bytes.
pub const ERG_SHIFT: u32 = 6;

#[derive(Clone, Default, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Monitors {
    /// Reserved granule (physical address >> ERG_SHIFT) per vCPU index.
    reserved: Vec<Option<u64>>,
    /// How many reservations are held; zero skips the check on every store.
    armed: usize,
    /// Events sent to each vCPU that it has not folded into its event register yet.
    signalled: Vec<bool>,
}

impl Monitors {
    pub fn new(cpus: usize) -> Self {
        Monitors {
            reserved: vec![None; cpus],
            armed: 0,
            signalled: vec![false; cpus],
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
    /// Where the count of held reservations lives, for generated stores (which take the
    /// slow path while it is not zero). Valid while the monitors live.
    pub fn armed_ptr(&self) -> *const usize {
        &self.armed
    }

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
        for (cpu, slot) in self.reserved.iter_mut().enumerate() {
            if matches!(*slot, Some(g) if g >= first && g <= last) {
                *slot = None;
                self.armed -= 1;
                Self::flag(&mut self.signalled, cpu);
            }
        }
    }

    fn flag(signalled: &mut Vec<bool>, cpu: usize) {
        if cpu >= signalled.len() {
            signalled.resize(cpu + 1, false);
        }
        signalled[cpu] = true;
    }

    /// SEV: an event for every vCPU, the sender included (Arm ARM D1.16.1).
    pub fn signal_all(&mut self) {
        let n = self.signalled.len().max(self.reserved.len());
        self.signalled.clear();
        self.signalled.resize(n, true);
    }

    /// Whether an event was sent to `cpu` since it last took one.
    pub fn signalled(&self, cpu: usize) -> bool {
        self.signalled.get(cpu).copied().unwrap_or(false)
    }

    /// Takes the event sent to `cpu`, if any.
    pub fn take_signal(&mut self, cpu: usize) -> bool {
        self.signalled
            .get_mut(cpu)
            .map(std::mem::take)
            .unwrap_or(false)
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
        assert!(!m.signalled(0));
    }

    #[test]
    fn a_cleared_reservation_signals_its_vcpu_once() {
        let mut m = Monitors::new(2);
        m.mark(1, 0x4000_1000);
        m.note_write(0x4000_2000, 8); // elsewhere: no event
        assert!(!m.signalled(1));
        m.note_write(0x4000_1010, 4);
        assert!(m.signalled(1) && !m.signalled(0));
        assert!(m.take_signal(1));
        assert!(!m.take_signal(1));
        // CLREX and a completed STXR are the vCPU's own doing: no event.
        m.mark(1, 0x4000_1000);
        m.clear(1);
        assert!(!m.signalled(1));
    }

    #[test]
    fn sev_signals_every_vcpu() {
        let mut m = Monitors::new(3);
        m.signal_all();
        assert!((0..3).all(|c| m.take_signal(c)));
        assert!(!m.signalled(0));
    }
}
