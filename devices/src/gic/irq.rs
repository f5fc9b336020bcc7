//! The life cycle of one interrupt — inactive, pending, active, active and pending — and
//! the choice of the highest priority pending interrupt for a CPU, shared by GICv2 and
//! GICv3 (IHI 0048B §3.2, "General handling of interrupts", and §1.4, "Models for
//! handling interrupts"; IHI 0069 §4.1, "Interrupt lifecycle").
//!
//! SPIs have one state in the distributor; SGIs and PPIs have one per CPU (the banked
//! registers of GICv2's distributor, GICv3's redistributors).

use super::dist_common::gicd::BitReg;
use super::{NUM_IRQS, PRIVATE_COUNT, SGI_COUNT, SPI_BASE};

/// Int_config[1] of a GICD_ICFGR field: edge-triggered (IHI 0048B §4.3.13; IHI 0069
/// GICD_ICFGR<n>).
pub const ICFGR_EDGE: u32 = 0b10;

/// One interrupt's state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Irq {
    /// Forwarded to CPU interfaces (GICD_ISENABLER).
    pub enabled: bool,
    /// Pending state held by the GIC itself: set by an edge, by software (GICD_ISPENDR,
    /// an SGI), cleared by an acknowledge or GICD_ICPENDR.
    pub latch: bool,
    /// The level of the interrupt's input line.
    pub level: bool,
    pub active: bool,
    /// Group 1 rather than Group 0 (GICD_IGROUPR).
    pub group1: bool,
    /// Edge-triggered rather than level-sensitive (GICD_ICFGR Int_config[1]).
    pub edge: bool,
    pub priority: u8,
}

impl Irq {
    /// An interrupt at reset: inactive, disabled, Group 0, priority 0, level-sensitive.
    pub const RESET: Irq = Irq {
        enabled: false,
        latch: false,
        level: false,
        active: false,
        group1: false,
        edge: false,
        priority: 0,
    };

    /// Whether the interrupt is pending.
    ///
    /// A level-sensitive interrupt is pending while its line is asserted, or while
    /// software has set it pending; an edge-triggered one from the edge until it is
    /// acknowledged or cleared (IHI 0048B §3.2, "Interrupt handling state machine";
    /// IHI 0069 §4.1.2). Tests: `v2::state::tests::level_interrupt_stays_pending_while_asserted`,
    /// `v2::state::tests::edge_interrupt_is_pending_once_per_rising_edge`.
    pub fn pending(&self) -> bool {
        self.latch || (!self.edge && self.level)
    }

    /// Drives the input line. A rising edge latches an edge-triggered interrupt pending.
    pub fn drive(&mut self, level: bool) {
        if self.edge && level && !self.level {
            self.latch = true;
        }
        self.level = level;
    }

    /// Whether the distributor forwards it to a CPU whose enabled groups are `groups`
    /// (bit 0 Group 0, bit 1 Group 1): enabled, pending and not active.
    ///
    /// An active interrupt is not forwarded again until it is deactivated, even when it is
    /// also pending (IHI 0048B §3.2, "Interrupt handling state machine"; IHI 0069 §4.1.2). Test:
    /// `v2::state::tests::active_interrupt_is_not_signalled_again_after_priority_drop`.
    fn candidate(&self, groups: u8) -> bool {
        self.enabled && self.pending() && !self.active && groups & group_bit(self.group1) != 0
    }
}

/// The group-enable bit of a group in GICD_CTLR/GICC_CTLR layout: bit 0 for Group 0,
/// bit 1 for Group 1.
pub const fn group_bit(group1: bool) -> u8 {
    if group1 {
        2
    } else {
        1
    }
}

/// The highest priority pending interrupt of a CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Hppi {
    pub id: u32,
    pub priority: u8,
    pub group1: bool,
}

/// Every interrupt's state: the SPIs, and each CPU's bank of SGIs and PPIs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Irqs {
    spis: Vec<Irq>,
    /// For each SPI, the CPUs it is routed to, bit n for CPU n (GICD_ITARGETSR for
    /// GICv2, GICD_IROUTER for GICv3).
    routes: Vec<u64>,
    private: Vec<[Irq; PRIVATE_COUNT as usize]>,
}

impl Irqs {
    /// All interrupts at reset for `num_cpus` CPUs; SGIs are edge-triggered (their
    /// GICD_ICFGR0 field reads 0b10, IHI 0048B §4.3.13) and, when `sgis_enabled`, always
    /// enabled (an IMPLEMENTATION DEFINED choice GICv2 allows, §4.3.5).
    pub fn new(num_cpus: usize, sgis_enabled: bool) -> Self {
        let mut bank = [Irq::RESET; PRIVATE_COUNT as usize];
        for sgi in &mut bank[..SGI_COUNT as usize] {
            sgi.edge = true;
            sgi.enabled = sgis_enabled;
        }
        let num_spis = (NUM_IRQS - SPI_BASE) as usize;
        Irqs {
            spis: vec![Irq::RESET; num_spis],
            routes: vec![0; num_spis],
            private: vec![bank; num_cpus],
        }
    }

    /// Interrupt `id` as CPU `cpu` sees it; `None` when there is no such interrupt.
    pub fn get(&self, cpu: usize, id: u32) -> Option<&Irq> {
        match id.checked_sub(SPI_BASE) {
            None => self.private.get(cpu)?.get(id as usize),
            Some(spi) => self.spis.get(spi as usize),
        }
    }

    pub fn get_mut(&mut self, cpu: usize, id: u32) -> Option<&mut Irq> {
        match id.checked_sub(SPI_BASE) {
            None => self.private.get_mut(cpu)?.get_mut(id as usize),
            Some(spi) => self.spis.get_mut(spi as usize),
        }
    }

    /// Drives the input line of interrupt `id` as `cpu` sees it; false when the level
    /// did not change or there is no such interrupt.
    pub fn drive(&mut self, cpu: usize, id: u32, level: bool) -> bool {
        match self.get_mut(cpu, id) {
            Some(irq) if irq.level != level => {
                irq.drive(level);
                true
            }
            _ => false,
        }
    }

    /// Sets or clears interrupt `id`'s active state; no such interrupt, no effect.
    pub fn set_active(&mut self, cpu: usize, id: u32, active: bool) {
        if let Some(irq) = self.get_mut(cpu, id) {
            irq.active = active;
        }
    }

    /// An acknowledge of interrupt `id` by `cpu`: it becomes active and its pending latch
    /// clears (a level-sensitive interrupt whose line is still high stays pending).
    pub fn acknowledge(&mut self, cpu: usize, id: u32) {
        if let Some(irq) = self.get_mut(cpu, id) {
            irq.active = true;
            irq.latch = false;
        }
    }

    /// The CPUs SPI `id` is routed to (bit n for CPU n); 0 for other interrupts.
    pub fn route(&self, id: u32) -> u64 {
        id.checked_sub(SPI_BASE)
            .and_then(|spi| self.routes.get(spi as usize))
            .copied()
            .unwrap_or(0)
    }

    pub fn set_route(&mut self, id: u32, cpus: u64) {
        if let Some(r) = id
            .checked_sub(SPI_BASE)
            .and_then(|spi| self.routes.get_mut(spi as usize))
        {
            *r = cpus;
        }
    }

    /// Bit `i` is `f` of interrupt `first + i`, for the 32 interrupts of a one-bit-per-
    /// interrupt register (GICD_ISENABLER and friends); absent interrupts read 0.
    pub fn bits(&self, cpu: usize, first: u32, f: impl Fn(&Irq) -> bool) -> u32 {
        (0..32).fold(0, |v, i| match self.get(cpu, first + i) {
            Some(irq) if f(irq) => v | 1 << i,
            _ => v,
        })
    }

    /// Applies `f` to interrupt `first + i` for each set bit `i` of `value`.
    pub fn for_bits(&mut self, cpu: usize, first: u32, value: u32, f: impl Fn(&mut Irq)) {
        for i in (0..32).filter(|i| value & 1 << i != 0) {
            if let Some(irq) = self.get_mut(cpu, first + i) {
                f(irq);
            }
        }
    }

    /// Reads register `reg` for the 32 interrupts from `first`.
    pub fn read_bitreg(&self, cpu: usize, reg: BitReg, first: u32) -> u32 {
        match reg {
            BitReg::Group => self.bits(cpu, first, |i| i.group1),
            BitReg::SetEnable | BitReg::ClearEnable => self.bits(cpu, first, |i| i.enabled),
            BitReg::SetPending | BitReg::ClearPending => self.bits(cpu, first, |i| i.pending()),
            BitReg::SetActive | BitReg::ClearActive => self.bits(cpu, first, |i| i.active),
        }
    }

    /// Writes register `reg` for the 32 interrupts from `first`: the group register sets
    /// each interrupt's group; the others act on the interrupts whose bits are set.
    pub fn write_bitreg(&mut self, cpu: usize, reg: BitReg, first: u32, value: u32) {
        match reg {
            BitReg::Group => self.set_groups(cpu, first, value),
            BitReg::SetEnable => self.for_bits(cpu, first, value, |i| i.enabled = true),
            BitReg::ClearEnable => self.for_bits(cpu, first, value, |i| i.enabled = false),
            BitReg::SetPending => self.for_bits(cpu, first, value, |i| i.latch = true),
            BitReg::ClearPending => self.for_bits(cpu, first, value, |i| i.latch = false),
            BitReg::SetActive => self.for_bits(cpu, first, value, |i| i.active = true),
            BitReg::ClearActive => self.for_bits(cpu, first, value, |i| i.active = false),
        }
    }

    /// Writes a one-bit-per-interrupt group register (GICD_IGROUPR<n>, GICR_IGROUPR0):
    /// interrupt `first + i` is Group 1 when bit `i` of `value` is set, else Group 0.
    pub fn set_groups(&mut self, cpu: usize, first: u32, value: u32) {
        for i in 0..32 {
            if let Some(irq) = self.get_mut(cpu, first + i) {
                irq.group1 = value & 1 << i != 0;
            }
        }
    }

    /// Interrupt `id`'s priority (a GICD_IPRIORITYR byte); 0 for no such interrupt.
    pub fn priority(&self, cpu: usize, id: u32) -> u8 {
        self.get(cpu, id).map_or(0, |i| i.priority)
    }

    /// Sets interrupt `id`'s priority; no such interrupt, no effect.
    pub fn set_priority(&mut self, cpu: usize, id: u32, priority: u8) {
        if let Some(irq) = self.get_mut(cpu, id) {
            irq.priority = priority;
        }
    }

    /// GICD_ICFGR word `n` (GICR_ICFGR0/1 for n = 0, 1): Int_config[1] — edge-triggered —
    /// of interrupts 16n to 16n + 15 in bits 2i + 1; Int_config[0] is reserved.
    pub fn icfgr(&self, cpu: usize, n: u32) -> u32 {
        (0..16).fold(0, |v, i| match self.get(cpu, 16 * n + i) {
            Some(irq) if irq.edge => v | ICFGR_EDGE << (2 * i),
            _ => v,
        })
    }

    /// Writes GICD_ICFGR word `n` (the caller refuses the read-only SGI word).
    pub fn set_icfgr(&mut self, cpu: usize, n: u32, value: u32) {
        for i in 0..16 {
            if let Some(irq) = self.get_mut(cpu, 16 * n + i) {
                irq.edge = value & ICFGR_EDGE << (2 * i) != 0;
            }
        }
    }

    /// The highest priority interrupt forwarded to `cpu`, considering the groups enabled
    /// in `groups` (bit 0 Group 0, bit 1 Group 1).
    ///
    /// A lower priority value is a higher priority; between equal priorities the lowest
    /// INTID wins (the specifications leave the choice IMPLEMENTATION DEFINED; QEMU picks
    /// the lowest). An SPI is a candidate for the CPUs it is routed to, and once one of
    /// them acknowledges it, it is active and no longer a candidate for the others — the
    /// 1-N model (IHI 0048B §1.4, "Models for handling interrupts"; IHI 0069 §1.2.3). Tests:
    /// `v2::state::tests::lowest_intid_wins_between_equal_priorities`,
    /// `v2::state::tests::spi_for_two_cpus_is_taken_by_one`.
    pub fn highest_pending(&self, cpu: usize, groups: u8) -> Option<Hppi> {
        let private = self.private.get(cpu)?.iter().enumerate();
        let bit = 1u64 << cpu;
        let spis = self
            .spis
            .iter()
            .zip(&self.routes)
            .enumerate()
            .filter(|(_, (_, route))| *route & bit != 0)
            .map(|(n, (irq, _))| (n + SPI_BASE as usize, irq));
        private
            .chain(spis)
            .filter(|(_, irq)| irq.candidate(groups))
            .min_by_key(|(id, irq)| (irq.priority, *id))
            .map(|(id, irq)| Hppi {
                id: id as u32,
                priority: irq.priority,
                group1: irq.group1,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_latches_on_rising_edges_only() {
        let mut irq = Irq {
            edge: true,
            ..Irq::RESET
        };
        irq.drive(true);
        assert!(irq.pending());
        irq.latch = false; // acknowledged
        irq.drive(true);
        assert!(!irq.pending(), "a held level is not a new edge");
        irq.drive(false);
        irq.drive(true);
        assert!(irq.pending());
    }

    #[test]
    fn level_is_pending_while_high() {
        let mut irq = Irq::RESET;
        irq.drive(true);
        assert!(irq.pending() && !irq.latch);
        irq.drive(false);
        assert!(!irq.pending());
    }

    #[test]
    fn ids_map_to_banks_and_spis() {
        let mut irqs = Irqs::new(2, true);
        irqs.get_mut(1, 20).unwrap().priority = 7;
        assert_eq!(irqs.get(0, 20).unwrap().priority, 0);
        assert_eq!(irqs.get(1, 20).unwrap().priority, 7);
        irqs.get_mut(0, 40).unwrap().priority = 9;
        assert_eq!(irqs.get(1, 40).unwrap().priority, 9);
        assert!(irqs.get(0, NUM_IRQS).is_none());
        assert!(irqs.get(2, 3).is_none());
        assert_eq!(irqs.bits(0, 0, |i| i.enabled), 0xffff, "SGIs enabled");
    }

    #[test]
    fn highest_pending_respects_groups_routes_and_active() {
        let mut irqs = Irqs::new(2, false);
        for id in [33, 34] {
            let irq = irqs.get_mut(0, id).unwrap();
            irq.enabled = true;
            irq.latch = true;
            irq.priority = 0x40;
        }
        irqs.get_mut(0, 34).unwrap().group1 = true;
        irqs.set_route(33, 0b10);
        irqs.set_route(34, 0b10);
        assert_eq!(irqs.highest_pending(0, 3), None, "not routed to CPU 0");
        let h = irqs.highest_pending(1, 3).unwrap();
        assert_eq!((h.id, h.group1), (33, false));
        let h = irqs.highest_pending(1, 2).unwrap();
        assert_eq!((h.id, h.group1), (34, true), "Group 0 disabled");
        irqs.get_mut(1, 34).unwrap().active = true;
        assert_eq!(irqs.highest_pending(1, 2), None);
    }
}
