//! GICv2's state and the rules that move it: inputs from devices, acknowledge, priority
//! drop and deactivation, SGIs, and what each CPU interface signals (IHI 0048B chapter 3,
//! "Interrupt Handling and Prioritization", for a GIC without the Security Extensions).
//! The register frames that expose it are `distributor.rs` and `cpu_interface.rs`.

use super::defs::*;
use crate::gic::irq::{Hppi, Irqs};
use crate::gic::priority::{CpuPriority, Model as PriorityModel};
use crate::gic::shared::Model;
use crate::gic::{INTID_GROUP1_PENDING, INTID_SPURIOUS, NUM_IRQS, SGI_COUNT, SPI_BASE};

/// QEMU's GICv2 implements all eight priority bits.
pub const PRIORITY: PriorityModel = PriorityModel { bits: 8 };

/// One CPU interface.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CpuInterfaceState {
    /// GICC_CTLR.
    pub ctlr: u32,
    pub prio: CpuPriority,
    /// For each SGI, the CPUs whose requests for it are pending here (bit n for CPU n;
    /// GICD_SPENDSGIR): GICv2 keeps an SGI pending separately for each requester.
    pub sgi_sources: [u8; SGI_COUNT as usize],
    /// The highest priority pending interrupt the distributor forwards, as of the last
    /// update.
    hppi: Option<Hppi>,
    /// The IRQ and FIQ lines, as of the last update.
    lines: (bool, bool),
}

/// A GICv2 (distributor and CPU interfaces): everything the guest can observe.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GicV2State {
    /// GICD_CTLR.
    pub ctlr: u32,
    pub(crate) irqs: Irqs,
    pub cpus: Vec<CpuInterfaceState>,
}

impl GicV2State {
    /// The GIC at reset for `num_cpus` CPU interfaces (1 to [`MAX_CPUS`]).
    pub fn new(num_cpus: usize) -> Self {
        let cpu = CpuInterfaceState {
            ctlr: 0,
            prio: CpuPriority::reset(PRIORITY),
            sgi_sources: [0; SGI_COUNT as usize],
            hppi: None,
            lines: (false, false),
        };
        let mut irqs = Irqs::new(num_cpus, true);
        if num_cpus == 1 {
            // A uniprocessor GIC sends every SPI to its one CPU (§4.3.12).
            for id in SPI_BASE..NUM_IRQS {
                irqs.set_route(id, 1);
            }
        }
        GicV2State {
            ctlr: 0,
            irqs,
            cpus: vec![cpu; num_cpus],
        }
    }

    /// One bit for each implemented CPU interface.
    pub fn cpu_mask(&self) -> u8 {
        ((1u16 << self.cpus.len()) - 1) as u8
    }

    /// The groups both the distributor and `cpu`'s interface have enabled.
    ///
    /// An interrupt is signalled only when its group is enabled in GICD_CTLR (the
    /// distributor forwards it) and in GICC_CTLR (the CPU interface signals it) (§4.3.1,
    /// §4.4.1). Test: `tests::disabled_groups_are_neither_forwarded_nor_signalled`.
    fn groups(&self, cpu: usize) -> u8 {
        (self.ctlr & self.cpus[cpu].ctlr & GICD_CTLR_MASK) as u8
    }

    /// Sets the requesters of SGI `sgi` pending on `cpu`; the SGI is pending while any
    /// request is.
    pub(super) fn set_sgi_sources(&mut self, cpu: usize, sgi: u32, sources: u8) {
        let sources = sources & self.cpu_mask();
        if let (Some(slot), Some(irq)) = (
            self.cpus[cpu].sgi_sources.get_mut(sgi as usize),
            self.irqs.get_mut(cpu, sgi),
        ) {
            *slot = sources;
            irq.latch = sources != 0;
        }
    }

    /// `id` with, for an SGI, its lowest pending requester in bits `[12:10]` (the CPUID
    /// field of GICC_IAR and GICC_HPPIR, §4.4.4).
    fn with_source(&self, cpu: usize, id: u32) -> u32 {
        match self.cpus[cpu].sgi_sources.get(id as usize) {
            Some(&sources) if sources != 0 => id | sources.trailing_zeros() << IAR_CPUID_SHIFT,
            _ => id,
        }
    }

    /// A GICD_SGIR write by `cpu`: SGI `SGIINTID` becomes pending from `cpu` on each CPU
    /// the TargetListFilter selects — those in CPUTargetList (0), all but the requester
    /// (1), or the requester alone (2); 3 is reserved and ignored (§4.3.15). CPUs that do
    /// not exist are dropped from the list. Test: `tests::sgi_target_list_filter`.
    pub(super) fn send_sgi(&mut self, cpu: usize, value: u32) {
        let sgi = value & SGIR_INTID_MASK;
        let me = 1u8 << cpu;
        let targets = match (value >> SGIR_FILTER_SHIFT) & SGIR_FILTER_MASK {
            SGIR_FILTER_LIST => (value >> SGIR_TARGET_LIST_SHIFT) as u8,
            SGIR_FILTER_OTHERS => !me,
            SGIR_FILTER_SELF => me,
            _ => return,
        } & self.cpu_mask();
        for target in (0..self.cpus.len()).filter(|t| targets & 1 << t != 0) {
            let sources = self.cpus[target].sgi_sources[sgi as usize] | me;
            self.set_sgi_sources(target, sgi, sources);
        }
    }

    /// A read of GICC_IAR (`alias` false) or GICC_AIAR (true) by `cpu`.
    ///
    /// Returns the highest priority pending interrupt and makes it active, when it is
    /// above the priority mask and can preempt the running priority; otherwise 1023. A
    /// Group 1 interrupt is acknowledged through GICC_IAR only when GICC_CTLR.AckCtl is
    /// set — else GICC_IAR returns 1022 — and GICC_AIAR acknowledges Group 1 only
    /// (§4.4.4, §4.4.9, §3.2 "Special interrupt numbers"). Acknowledging clears the
    /// pending latch: a level-sensitive interrupt whose line is still high stays pending
    /// (active and pending). For an SGI the lowest requester is acknowledged and
    /// returned in bits `[12:10]`; the others stay pending. Tests:
    /// `tests::spi_life_cycle_through_iar_and_eoir`, `tests::spurious_when_nothing_is_pending`,
    /// `tests::group1_needs_ackctl_or_the_aliased_register`,
    /// `tests::sgi_from_two_requesters_is_acknowledged_once_per_requester`.
    pub(super) fn acknowledge(&mut self, cpu: usize, alias: bool) -> u32 {
        let c = &self.cpus[cpu];
        let Some(h) = c.hppi else {
            return INTID_SPURIOUS;
        };
        if h.priority >= c.prio.pmr || (alias && !h.group1) {
            return INTID_SPURIOUS;
        }
        if !alias && h.group1 && c.ctlr & GICC_CTLR_ACK_CTL == 0 {
            return INTID_GROUP1_PENDING;
        }
        if !c.prio.preempts(&h) {
            return INTID_SPURIOUS;
        }
        let value = self.with_source(cpu, h.id);
        self.irqs.acknowledge(cpu, h.id);
        self.cpus[cpu].prio.activate(h.priority, h.group1);
        if h.id < SGI_COUNT {
            let requester = (value >> IAR_CPUID_SHIFT) & 7;
            let left = self.cpus[cpu].sgi_sources[h.id as usize] & !(1 << requester);
            self.set_sgi_sources(cpu, h.id, left);
        }
        value
    }

    /// GICC_HPPIR (`alias` false) or GICC_AHPPIR (true): the interrupt GICC_IAR or
    /// GICC_AIAR would return, without acknowledging it; like QEMU, the priority mask
    /// applies but the running priority does not (§4.4.7, §4.4.11). Test:
    /// `tests::hppir_reports_without_acknowledging`.
    pub(super) fn highest_pending_id(&self, cpu: usize, alias: bool) -> u32 {
        let c = &self.cpus[cpu];
        match c.hppi {
            Some(h) if h.priority < c.prio.pmr => match (alias, h.group1) {
                (true, false) => INTID_SPURIOUS,
                (false, true) if c.ctlr & GICC_CTLR_ACK_CTL == 0 => INTID_GROUP1_PENDING,
                _ => self.with_source(cpu, h.id),
            },
            _ => INTID_SPURIOUS,
        }
    }

    /// A write of GICC_EOIR (`alias` false) or GICC_AEOIR (true) by `cpu`.
    ///
    /// Drops the running priority (clears the highest active priority of the
    /// interrupt's group) and, unless GICC_CTLR.EOImodeS splits the two, deactivates the
    /// interrupt (§4.4.5; §3.2, "Priority drop and interrupt deactivation"). IDs that
    /// name no interrupt (1020–1023 among them) are ignored, as is an EOI with nothing
    /// active and — GICC_AEOIR being for Group 1 — a Group 0 interrupt through
    /// GICC_AEOIR. Tests: `tests::spi_life_cycle_through_iar_and_eoir`,
    /// `tests::eoimode_splits_priority_drop_from_deactivation`.
    pub(super) fn end_of_interrupt(&mut self, cpu: usize, value: u32, alias: bool) {
        let id = value & IAR_INTID_MASK;
        let Some(group1) = self.irqs.get(cpu, id).map(|irq| irq.group1) else {
            return;
        };
        let c = &mut self.cpus[cpu];
        if (alias && !group1) || c.prio.highest_active().is_none() {
            return;
        }
        c.prio.drop_priority(group1);
        if c.ctlr & GICC_CTLR_EOI_MODE == 0 {
            self.irqs.set_active(cpu, id, false);
        }
    }

    /// A write of GICC_DIR: deactivates the interrupt. Meaningful only with
    /// GICC_CTLR.EOImodeS set; otherwise UNPREDICTABLE, and ignored as QEMU does
    /// (§4.4.15). Test: `tests::eoimode_splits_priority_drop_from_deactivation`.
    pub(super) fn deactivate(&mut self, cpu: usize, value: u32) {
        if self.cpus[cpu].ctlr & GICC_CTLR_EOI_MODE != 0 {
            self.irqs.set_active(cpu, value & IAR_INTID_MASK, false);
        }
    }

    /// GICC_RPR: the running priority, 0xFF when idle (§4.4.6).
    pub(super) fn running_priority(&self, cpu: usize) -> u32 {
        u32::from(self.cpus[cpu].prio.running_priority()).min(RPR_IDLE)
    }
}

impl Model for GicV2State {
    /// What each CPU interface signals: its highest priority pending interrupt, if it can
    /// preempt (above the priority mask and the running priority), as FIQ when it is
    /// Group 0 and GICC_CTLR.FIQEn is set, else as IRQ (§3.3, §4.4.1 FIQEn). Tests:
    /// `tests::group0_is_fiq_with_fiqen`, `tests::pmr_masks_interrupts_of_equal_or_lower_priority`.
    fn update(&mut self) {
        for cpu in 0..self.cpus.len() {
            let hppi = self.irqs.highest_pending(cpu, self.groups(cpu));
            let c = &mut self.cpus[cpu];
            c.hppi = hppi;
            c.lines = match hppi {
                Some(h) if c.prio.preempts(&h) => {
                    let fiq = !h.group1 && c.ctlr & GICC_CTLR_FIQ_EN != 0;
                    (!fiq, fiq)
                }
                _ => (false, false),
            };
        }
    }

    fn lines(&self, cpu: usize) -> (bool, bool) {
        self.cpus.get(cpu).map_or((false, false), |c| c.lines)
    }

    fn num_cpus(&self) -> usize {
        self.cpus.len()
    }

    fn irqs_mut(&mut self) -> &mut Irqs {
        &mut self.irqs
    }
}

#[cfg(test)]
mod tests {
    //! The rules, exercised through the registers as a guest would. Expected values come
    //! from IHI 0048B's register and behaviour descriptions cited on each rule.
    use super::super::testing::*;

    const SPI: u32 = 40;

    #[test]
    fn spi_life_cycle_through_iar_and_eoir() {
        let r = Rig::enabled(1);
        r.set_priority(0, SPI, 0x80);
        r.enable(0, SPI);
        assert_eq!(r.lines(0), (false, false));
        r.dist_w(0, GICD_ISPENDR + 4, 1 << (SPI - 32));
        assert_eq!(r.lines(0), (true, false));
        assert_eq!(r.dist_r(0, GICD_ISPENDR + 4), 1 << (SPI - 32));
        assert_eq!(r.cpu_r(0, GICC_IAR), SPI);
        // Active, no longer pending; running priority is its group priority.
        assert_eq!(r.dist_r(0, GICD_ISPENDR + 4), 0);
        assert_eq!(r.dist_r(0, GICD_ISACTIVER + 4), 1 << (SPI - 32));
        assert_eq!(r.cpu_r(0, GICC_RPR), 0x80);
        assert_eq!(r.lines(0), (false, false));
        r.cpu_w(0, GICC_EOIR, SPI);
        assert_eq!(r.dist_r(0, GICD_ISACTIVER + 4), 0);
        assert_eq!(r.cpu_r(0, GICC_RPR), 0xff);
        assert_eq!(r.cpu_r(0, GICC_IAR), 1023);
    }

    #[test]
    fn spurious_when_nothing_is_pending() {
        let r = Rig::enabled(2);
        assert_eq!(r.cpu_r(0, GICC_IAR), 1023);
        assert_eq!(r.cpu_r(1, GICC_HPPIR), 1023);
        // Pending but disabled: still nothing to acknowledge.
        r.dist_w(0, GICD_ISPENDR + 4, 1 << (SPI - 32));
        r.route(SPI, 1);
        assert_eq!(r.cpu_r(0, GICC_IAR), 1023);
        // An EOI of the spurious ID changes nothing.
        r.cpu_w(0, GICC_EOIR, 1023);
        assert_eq!(r.cpu_r(0, GICC_RPR), 0xff);
    }

    #[test]
    fn level_interrupt_stays_pending_while_asserted() {
        let r = Rig::enabled(1);
        r.enable(0, SPI);
        r.gic.set_spi(SPI - 32, true);
        assert_eq!(r.lines(0), (true, false));
        assert_eq!(r.cpu_r(0, GICC_IAR), SPI);
        // Active and pending: the line is still high, yet it is not signalled again.
        assert_eq!(r.dist_r(0, GICD_ISPENDR + 4), 1 << (SPI - 32));
        assert_eq!(r.dist_r(0, GICD_ISACTIVER + 4), 1 << (SPI - 32));
        assert_eq!(r.lines(0), (false, false));
        // Clearing the pending state of an asserted level interrupt has no effect.
        r.dist_w(0, GICD_ICPENDR + 4, 1 << (SPI - 32));
        assert_eq!(r.dist_r(0, GICD_ISPENDR + 4), 1 << (SPI - 32));
        r.cpu_w(0, GICC_EOIR, SPI);
        assert_eq!(
            r.lines(0),
            (true, false),
            "still asserted after deactivation"
        );
        r.gic.set_spi(SPI - 32, false);
        assert_eq!(r.lines(0), (false, false));
        assert_eq!(r.dist_r(0, GICD_ISPENDR + 4), 0);
    }

    #[test]
    fn edge_interrupt_is_pending_once_per_rising_edge() {
        let r = Rig::enabled(1);
        r.enable(0, SPI);
        // GICD_ICFGR2 holds INTIDs 32–47; Int_config[1] of INTID 40's field is bit 17.
        r.dist_w(0, GICD_ICFGR + 8, 0b10 << (2 * (SPI - 32)));
        assert_eq!(r.dist_r(0, GICD_ICFGR + 8), 0b10 << (2 * (SPI - 32)));
        r.gic.set_spi(SPI - 32, true);
        assert_eq!(r.cpu_r(0, GICC_IAR), SPI);
        assert_eq!(
            r.dist_r(0, GICD_ISPENDR + 4),
            0,
            "the held level is no new edge"
        );
        r.cpu_w(0, GICC_EOIR, SPI);
        assert_eq!(r.lines(0), (false, false));
        r.gic.set_spi(SPI - 32, false);
        r.gic.set_spi(SPI - 32, true);
        assert_eq!(r.lines(0), (true, false));
        // An edge while active makes it active and pending.
        assert_eq!(r.cpu_r(0, GICC_IAR), SPI);
        r.gic.set_spi(SPI - 32, false);
        r.gic.set_spi(SPI - 32, true);
        assert_eq!(r.dist_r(0, GICD_ISPENDR + 4), 1 << (SPI - 32));
        r.cpu_w(0, GICC_EOIR, SPI);
        assert_eq!(r.cpu_r(0, GICC_IAR), SPI);
    }

    #[test]
    fn pmr_masks_interrupts_of_equal_or_lower_priority() {
        let r = Rig::enabled(1);
        r.set_priority(0, SPI, 0x80);
        r.enable(0, SPI);
        r.dist_w(0, GICD_ISPENDR + 4, 1 << (SPI - 32));
        r.cpu_w(0, GICC_PMR, 0x80);
        assert_eq!(r.lines(0), (false, false));
        assert_eq!(r.cpu_r(0, GICC_IAR), 1023);
        assert_eq!(r.cpu_r(0, GICC_HPPIR), 1023);
        r.cpu_w(0, GICC_PMR, 0x81);
        assert_eq!(r.lines(0), (true, false));
        assert_eq!(r.cpu_r(0, GICC_IAR), SPI);
    }

    #[test]
    fn running_priority_blocks_all_but_higher_priorities() {
        let r = Rig::enabled(1);
        for (id, prio) in [(40, 0x80), (41, 0x80), (42, 0x40)] {
            r.set_priority(0, id, prio);
            r.enable(0, id);
        }
        r.dist_w(0, GICD_ISPENDR + 4, 1 << 8);
        assert_eq!(r.cpu_r(0, GICC_IAR), 40);
        // Equal priority cannot preempt.
        r.dist_w(0, GICD_ISPENDR + 4, 1 << 9);
        assert_eq!(r.lines(0), (false, false));
        assert_eq!(r.cpu_r(0, GICC_IAR), 1023);
        // Higher priority can: nested acknowledge.
        r.dist_w(0, GICD_ISPENDR + 4, 1 << 10);
        assert_eq!(r.lines(0), (true, false));
        assert_eq!(r.cpu_r(0, GICC_IAR), 42);
        assert_eq!(r.cpu_r(0, GICC_RPR), 0x40);
        // Preemption levels 0x40 >> 1 = 32 and 0x80 >> 1 = 64: bit 0 of words 1 and 2.
        assert_eq!(r.cpu_r(0, GICC_APR + 4), 1);
        assert_eq!(r.cpu_r(0, GICC_APR + 8), 1);
        r.cpu_w(0, GICC_EOIR, 42);
        assert_eq!(r.cpu_r(0, GICC_RPR), 0x80);
        r.cpu_w(0, GICC_EOIR, 40);
        assert_eq!(r.cpu_r(0, GICC_RPR), 0xff);
        assert_eq!(r.cpu_r(0, GICC_IAR), 41);
    }

    #[test]
    fn binary_point_limits_preemption_to_group_priority() {
        let r = Rig::enabled(1);
        // BPR 3: group priority is bits [7:4], so 0x48 and 0x40 share group 0x40.
        r.cpu_w(0, GICC_BPR, 3);
        for (id, prio) in [(40, 0x48), (41, 0x40), (42, 0x30)] {
            r.set_priority(0, id, prio);
            r.enable(0, id);
        }
        r.dist_w(0, GICD_ISPENDR + 4, 1 << 8);
        assert_eq!(r.cpu_r(0, GICC_IAR), 40);
        assert_eq!(r.cpu_r(0, GICC_RPR), 0x40);
        r.dist_w(0, GICD_ISPENDR + 4, 1 << 9);
        assert_eq!(
            r.cpu_r(0, GICC_IAR),
            1023,
            "same group priority does not preempt"
        );
        r.dist_w(0, GICD_ISPENDR + 4, 1 << 10);
        assert_eq!(r.cpu_r(0, GICC_IAR), 42);
    }

    #[test]
    fn lowest_intid_wins_between_equal_priorities() {
        let r = Rig::enabled(1);
        for id in [45, 41, 43] {
            r.enable(0, id);
            r.dist_w(0, GICD_ISPENDR + 4, 1 << (id - 32));
        }
        assert_eq!(r.cpu_r(0, GICC_HPPIR), 41);
    }

    #[test]
    fn sgi_target_list_filter() {
        let r = Rig::enabled(3);
        // Filter 0, list {1, 2}, SGI 5, from CPU 0.
        r.dist_w(0, GICD_SGIR, (0b110 << 16) | 5);
        assert_eq!(r.cpu_r(0, GICC_IAR), 1023);
        assert_eq!(r.cpu_r(1, GICC_IAR), 5, "requester 0 in bits [12:10]");
        assert_eq!(r.cpu_r(2, GICC_IAR), 5);
        // Filter 1 from CPU 2: CPUs 0 and 1.
        r.dist_w(2, GICD_SGIR, (1 << 24) | 6);
        assert_eq!(r.cpu_r(0, GICC_IAR), (2 << 10) | 6);
        assert_eq!(r.cpu_r(2, GICC_IAR), 1023);
        // Filter 2 from CPU 1: itself only, whatever the list says.
        r.dist_w(1, GICD_SGIR, (2 << 24) | (0xff << 16) | 7);
        assert_eq!(r.dist_r(0, GICD_SPENDSGIR + 4), 0);
        assert_eq!(
            r.dist_r(1, GICD_SPENDSGIR + 4) >> 24,
            0b010,
            "SGI 7 from CPU 1"
        );
        // Filter 3 is reserved: nothing happens.
        r.dist_w(0, GICD_SGIR, (3 << 24) | (0xff << 16) | 8);
        for cpu in 0..3 {
            assert_eq!(r.dist_r(cpu, GICD_SPENDSGIR + 8), 0);
        }
        // Non-existent CPUs in the list are dropped.
        r.dist_w(0, GICD_SGIR, (0xf8 << 16) | 9);
        assert_eq!(r.dist_r(0, GICD_ISPENDR), 0);
    }

    #[test]
    fn sgi_from_two_requesters_is_acknowledged_once_per_requester() {
        let r = Rig::enabled(3);
        r.dist_w(1, GICD_SGIR, (1 << 16) | 3);
        r.dist_w(2, GICD_SGIR, (1 << 16) | 3);
        assert_eq!(r.dist_r(0, GICD_SPENDSGIR), 0b110 << 24);
        assert_eq!(r.cpu_r(0, GICC_HPPIR), (1 << 10) | 3);
        assert_eq!(r.cpu_r(0, GICC_IAR), (1 << 10) | 3);
        // CPU 2's request is still pending behind the active SGI.
        assert_eq!(r.dist_r(0, GICD_ISPENDR) & (1 << 3), 1 << 3);
        assert_eq!(r.cpu_r(0, GICC_IAR), 1023);
        r.cpu_w(0, GICC_EOIR, (1 << 10) | 3);
        assert_eq!(r.cpu_r(0, GICC_IAR), (2 << 10) | 3);
        r.cpu_w(0, GICC_EOIR, (2 << 10) | 3);
        assert_eq!(r.dist_r(0, GICD_ISPENDR), 0);
    }

    #[test]
    fn sgi_pending_set_and_cleared_per_requester() {
        let r = Rig::enabled(2);
        // GICD_SPENDSGIR byte for SGI 1 on CPU 1: requesters 0 and 1; CPU 2 does not exist.
        r.dist_w8(1, GICD_SPENDSGIR + 1, 0b111);
        assert_eq!(r.dist_r(1, GICD_SPENDSGIR), 0b011 << 8);
        assert_eq!(r.dist_r(0, GICD_SPENDSGIR), 0, "banked");
        r.dist_w8(1, GICD_CPENDSGIR + 1, 0b001);
        assert_eq!(r.dist_r(1, GICD_CPENDSGIR), 0b010 << 8);
        assert_eq!(r.cpu_r(1, GICC_IAR), (1 << 10) | 1);
    }

    #[test]
    fn ppis_are_banked_per_cpu() {
        let r = Rig::enabled(2);
        let ppi = 14; // the EL1 physical timer, INTID 30
        r.enable(1, 30);
        r.set_priority(1, 30, 0x20);
        assert_eq!(
            r.dist_r(0, GICD_ISENABLER) & 1 << 30,
            0,
            "CPU 0's bank untouched"
        );
        assert_eq!(r.dist_r8(0, GICD_IPRIORITYR + 30), 0);
        r.gic.set_ppi(1, ppi, true);
        assert_eq!(r.lines(0), (false, false));
        assert_eq!(r.lines(1), (true, false));
        r.gic.set_ppi(0, ppi, true);
        assert_eq!(r.lines(0), (false, false), "disabled on CPU 0");
        assert_eq!(r.dist_r(0, GICD_ISPENDR) & 1 << 30, 1 << 30);
        assert_eq!(r.cpu_r(1, GICC_IAR), 30);
        assert_eq!(r.dist_r(1, GICD_ISACTIVER), 1 << 30);
        assert_eq!(r.dist_r(0, GICD_ISACTIVER), 0);
    }

    #[test]
    fn spi_for_two_cpus_is_taken_by_one() {
        let r = Rig::enabled(2);
        r.enable(0, SPI);
        r.route(SPI, 0b11);
        r.dist_w(0, GICD_ISPENDR + 4, 1 << (SPI - 32));
        assert_eq!((r.lines(0), r.lines(1)), ((true, false), (true, false)));
        assert_eq!(r.cpu_r(1, GICC_IAR), SPI);
        assert_eq!(r.lines(0), (false, false));
        assert_eq!(r.cpu_r(0, GICC_IAR), 1023);
    }

    #[test]
    fn disabled_groups_are_neither_forwarded_nor_signalled() {
        let r = Rig::enabled(1);
        r.enable(0, SPI);
        r.dist_w(0, GICD_ISPENDR + 4, 1 << (SPI - 32));
        r.dist_w(0, GICD_CTLR, 0);
        assert_eq!((r.lines(0), r.cpu_r(0, GICC_IAR)), ((false, false), 1023));
        r.dist_w(0, GICD_CTLR, 1);
        r.cpu_w(0, GICC_CTLR, 0);
        assert_eq!((r.lines(0), r.cpu_r(0, GICC_IAR)), ((false, false), 1023));
        r.cpu_w(0, GICC_CTLR, 1);
        assert_eq!(r.lines(0), (true, false));
    }

    #[test]
    fn group0_is_fiq_with_fiqen() {
        let r = Rig::enabled(1);
        r.enable(0, SPI);
        r.dist_w(0, GICD_ISPENDR + 4, 1 << (SPI - 32));
        r.cpu_w(0, GICC_CTLR, GICC_CTLR_ENABLE_GRP0 | GICC_CTLR_FIQ_EN);
        assert_eq!(r.lines(0), (false, true));
        // Group 1 is always IRQ.
        r.dist_w(0, GICD_IGROUPR + 4, 1 << (SPI - 32));
        r.dist_w(0, GICD_CTLR, 3);
        r.cpu_w(0, GICC_CTLR, 3 | GICC_CTLR_FIQ_EN);
        assert_eq!(r.lines(0), (true, false));
    }

    #[test]
    fn group1_needs_ackctl_or_the_aliased_register() {
        let r = Rig::enabled(1);
        r.dist_w(0, GICD_CTLR, 3);
        r.cpu_w(0, GICC_CTLR, 3);
        r.enable(0, SPI);
        r.dist_w(0, GICD_IGROUPR + 4, 1 << (SPI - 32));
        r.dist_w(0, GICD_ISPENDR + 4, 1 << (SPI - 32));
        assert_eq!(r.cpu_r(0, GICC_HPPIR), 1022);
        assert_eq!(r.cpu_r(0, GICC_IAR), 1022);
        assert_eq!(r.cpu_r(0, GICC_AHPPIR), SPI);
        assert_eq!(r.cpu_r(0, GICC_AIAR), SPI);
        assert_eq!(r.cpu_r(0, GICC_NSAPR), 1 << 0, "Group 1 active priority 0");
        r.cpu_w(0, GICC_AEOIR, SPI);
        assert_eq!(r.dist_r(0, GICD_ISACTIVER + 4), 0);
        // With AckCtl, GICC_IAR acknowledges Group 1 too.
        r.cpu_w(0, GICC_CTLR, 3 | GICC_CTLR_ACK_CTL);
        r.dist_w(0, GICD_ISPENDR + 4, 1 << (SPI - 32));
        assert_eq!(r.cpu_r(0, GICC_IAR), SPI);
    }

    #[test]
    fn eoimode_splits_priority_drop_from_deactivation() {
        let r = Rig::enabled(1);
        r.cpu_w(0, GICC_CTLR, 1 | GICC_CTLR_EOI_MODE);
        r.enable(0, SPI);
        r.set_priority(0, SPI, 0x80);
        r.dist_w(0, GICD_ISPENDR + 4, 1 << (SPI - 32));
        assert_eq!(r.cpu_r(0, GICC_IAR), SPI);
        r.cpu_w(0, GICC_EOIR, SPI);
        assert_eq!(r.cpu_r(0, GICC_RPR), 0xff, "priority dropped");
        assert_eq!(
            r.dist_r(0, GICD_ISACTIVER + 4),
            1 << (SPI - 32),
            "still active"
        );
        r.cpu_w(0, GICC_DIR, SPI);
        assert_eq!(r.dist_r(0, GICD_ISACTIVER + 4), 0);
        // Without EOImode, GICC_DIR is ignored.
        r.cpu_w(0, GICC_CTLR, 1);
        r.dist_w(0, GICD_ISACTIVER + 4, 1 << (SPI - 32));
        r.cpu_w(0, GICC_DIR, SPI);
        assert_eq!(r.dist_r(0, GICD_ISACTIVER + 4), 1 << (SPI - 32));
    }

    #[test]
    fn active_interrupt_is_not_signalled_again_after_priority_drop() {
        let r = Rig::enabled(1);
        r.cpu_w(0, GICC_CTLR, 1 | GICC_CTLR_EOI_MODE);
        r.enable(0, SPI);
        r.gic.set_spi(SPI - 32, true);
        assert_eq!(r.cpu_r(0, GICC_IAR), SPI);
        r.cpu_w(0, GICC_EOIR, SPI);
        // Running priority idle and the line high, but the interrupt is still active.
        assert_eq!(r.cpu_r(0, GICC_RPR), 0xff);
        assert_eq!(r.lines(0), (false, false));
        assert_eq!(r.cpu_r(0, GICC_IAR), 1023);
        r.cpu_w(0, GICC_DIR, SPI);
        assert_eq!(r.lines(0), (true, false));
    }

    #[test]
    fn hppir_reports_without_acknowledging() {
        let r = Rig::enabled(1);
        r.enable(0, SPI);
        r.dist_w(0, GICD_ISPENDR + 4, 1 << (SPI - 32));
        assert_eq!(r.cpu_r(0, GICC_HPPIR), SPI);
        assert_eq!(r.cpu_r(0, GICC_HPPIR), SPI);
        assert_eq!(r.dist_r(0, GICD_ISACTIVER + 4), 0);
    }

    #[test]
    fn changed_flag_reports_line_changes_once() {
        let r = Rig::enabled(1);
        r.enable(0, SPI);
        assert!(!r.gic.take_changed());
        r.gic.set_spi(SPI - 32, true);
        assert!(r.gic.take_changed());
        assert!(!r.gic.take_changed());
        r.gic.set_spi(SPI - 32, true);
        assert!(!r.gic.take_changed(), "same level, no change");
        assert_eq!(r.cpu_r(0, GICC_IAR), SPI);
        assert!(r.gic.take_changed(), "IRQ dropped on acknowledge");
    }
}
