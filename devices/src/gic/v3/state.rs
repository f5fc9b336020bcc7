//! GICv3's state and the rules that move it: affinity routing of SPIs, SGIs by affinity,
//! acknowledge, priority drop and deactivation through the ICC_* registers, and what each
//! CPU interface signals (IHI 0069 chapter 2, "Distribution and Routing of Interrupts",
//! and chapter 4, "Physical Interrupt Handling and Prioritization"), with a single
//! Security state. The frames that expose it are `distributor.rs`, `redistributor.rs`
//! and `cpu_interface.rs`.

use super::defs::*;
use crate::gic::irq::{Hppi, Irqs};
use crate::gic::priority::{CpuPriority, Model as PriorityModel};
use crate::gic::shared::Model;
use crate::gic::{INTID_SPURIOUS, NUM_IRQS, SPI_BASE};

/// QEMU's GICv3 CPU interface implements five priority bits (ICC_CTLR_EL1.PRIbits = 4).
pub const PRIORITY: PriorityModel = PriorityModel { bits: 5 };

/// The affinity QEMU's virt machine gives vCPU `cpu` with a GICv3 — Aff0 counts 16 CPUs,
/// then Aff1 — in MPIDR_EL1's layout (Aff3 in `[39:32]`, Aff2, Aff1, Aff0 in `[23:0]`), which
/// GICD_IROUTER shares. The machine should give each vCPU this MPIDR affinity.
pub const fn cpu_affinity(cpu: usize) -> u64 {
    (((cpu / 16) << 8) | (cpu % 16)) as u64
}

/// One CPU interface with its redistributor.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CpuInterfaceState {
    pub prio: CpuPriority,
    /// ICC_CTLR_EL1.EOImode: ICC_EOIR<n>_EL1 drops priority only.
    pub eoi_mode: bool,
    /// ICC_IGRPEN0_EL1.Enable, ICC_IGRPEN1_EL1.Enable.
    pub igrpen: [bool; 2],
    /// GICR_WAKER.ProcessorSleep.
    pub sleep: bool,
    /// The CPU's affinity, in MPIDR_EL1 layout.
    pub affinity: u64,
    hppi: Option<Hppi>,
    lines: (bool, bool),
}

/// A GICv3 (distributor, redistributors, CPU interfaces): everything the guest can
/// observe.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GicV3State {
    /// GICD_CTLR's group enables.
    pub ctlr: u32,
    pub(crate) irqs: Irqs,
    /// GICD_IROUTER<n> of each SPI (index 0 is INTID 32).
    pub irouter: Vec<u64>,
    pub cpus: Vec<CpuInterfaceState>,
}

impl GicV3State {
    /// The GIC at reset for `num_cpus` CPUs with QEMU virt's affinities. Every
    /// GICD_IROUTER reads 0, routing SPIs to the CPU of affinity 0.0.0.0, and each
    /// redistributor is asleep (GICR_WAKER.ProcessorSleep set), as QEMU resets them.
    pub fn new(num_cpus: usize) -> Self {
        let cpus = (0..num_cpus)
            .map(|cpu| CpuInterfaceState {
                prio: CpuPriority::reset(PRIORITY),
                eoi_mode: false,
                igrpen: [false; 2],
                sleep: true,
                affinity: cpu_affinity(cpu),
                hppi: None,
                lines: (false, false),
            })
            .collect();
        let mut gic = GicV3State {
            ctlr: 0,
            irqs: Irqs::new(num_cpus, false),
            irouter: vec![0; (NUM_IRQS - SPI_BASE) as usize],
            cpus,
        };
        for id in SPI_BASE..NUM_IRQS {
            gic.set_irouter(id, 0);
        }
        gic
    }

    /// The CPUs whose affinity is `aff` (bit n for CPU n): one at most.
    fn cpus_at(&self, aff: u64) -> u64 {
        self.cpus
            .iter()
            .enumerate()
            .filter(|(_, c)| c.affinity == aff)
            .fold(0, |m, (n, _)| m | 1 << n)
    }

    /// Writes GICD_IROUTER for SPI `id`: the SPI goes to the CPU whose affinity the
    /// register names, or to none if no CPU has it (IHI 0069 §2.3, "Affinity routing";
    /// GICD_IROUTER<n>). Test: `tests::irouter_routes_spis_by_affinity`.
    pub(super) fn set_irouter(&mut self, id: u32, value: u64) {
        let Some(slot) = id
            .checked_sub(SPI_BASE)
            .and_then(|n| self.irouter.get_mut(n as usize))
        else {
            return;
        };
        *slot = value & IROUTER_AFF_MASK;
        let route = self.cpus_at(value & IROUTER_AFF_MASK);
        self.irqs.set_route(id, route);
    }

    /// The groups enabled both in GICD_CTLR and by `cpu`'s ICC_IGRPEN<n>_EL1: only
    /// those are forwarded and signalled (IHI 0069 §4.7, "Enabling the distribution of
    /// interrupts"). Test: `tests::groups_must_be_enabled_in_distributor_and_cpu_interface`.
    fn groups(&self, cpu: usize) -> u8 {
        let c = &self.cpus[cpu];
        let cpu_groups = c.igrpen[0] as u32 | (c.igrpen[1] as u32) << 1;
        (self.ctlr & cpu_groups) as u8
    }

    /// A write of ICC_SGI1R_EL1 (`group1`) or ICC_SGI0R_EL1 by `cpu`: SGI INTID becomes
    /// pending on every CPU but the writer if IRM is set, else on each CPU of affinity
    /// Aff3.Aff2.Aff1 whose Aff0 is RS × 16 + a set bit of TargetList. A target takes it
    /// only if it has configured that SGI in the group the register generates
    /// (ICC_SGI1R_EL1 Group 1, ICC_SGI0R_EL1 Group 0, with a single Security state)
    /// (IHI 0069 §4.4, "Software Generated Interrupts", and the ICC_SGI1R_EL1
    /// description). Tests: `tests::sgi1r_targets_by_affinity_and_list`, `tests::sgi_group_must_match`.
    pub(super) fn send_sgi(&mut self, cpu: usize, value: u64, group1: bool) {
        let sgi = ((value >> SGIR_INTID_SHIFT) & SGIR_INTID_MASK) as u32;
        let upper = (((value >> SGIR_AFF3_SHIFT) & 0xff) << 32)
            | (((value >> SGIR_AFF2_SHIFT) & 0xff) << 16)
            | (((value >> SGIR_AFF1_SHIFT) & 0xff) << 8);
        let rs = (value >> SGIR_RS_SHIFT) & SGIR_RS_MASK;
        let list = value & SGIR_TARGET_LIST_MASK;
        for target in 0..self.cpus.len() {
            let aff = self.cpus[target].affinity;
            let hit = if value & SGIR_IRM != 0 {
                target != cpu
            } else {
                let aff0 = aff & 0xff;
                aff & !0xff == upper && aff0 >> 4 == rs && list & 1 << (aff0 & 0xf) != 0
            };
            match self.irqs.get_mut(target, sgi) {
                Some(irq) if hit && irq.group1 == group1 => irq.latch = true,
                _ => {}
            }
        }
    }

    /// A read of ICC_IAR1_EL1 (`group1`) or ICC_IAR0_EL1 by `cpu`.
    ///
    /// Returns the highest priority pending interrupt and makes it active, when it
    /// belongs to the register's group and can preempt (above ICC_PMR_EL1 and the running
    /// priority); otherwise 1023 (IHI 0069 §2.2.1 "Special INTIDs", §4.1.2, ICC_IAR1_EL1).
    /// Acknowledging clears the pending latch; a level-sensitive interrupt whose line is
    /// still high stays pending. Tests: `tests::spi_life_cycle_through_iar1_and_eoir1`,
    /// `tests::iar_of_the_other_group_is_spurious`.
    pub(super) fn acknowledge(&mut self, cpu: usize, group1: bool) -> u64 {
        let c = &self.cpus[cpu];
        let h = match c.hppi {
            Some(h) if h.group1 == group1 && c.prio.preempts(&h) => h,
            _ => return INTID_SPURIOUS.into(),
        };
        self.irqs.acknowledge(cpu, h.id);
        self.cpus[cpu].prio.activate(h.priority, h.group1);
        h.id.into()
    }

    /// ICC_HPPIR1_EL1 (`group1`) or ICC_HPPIR0_EL1: the highest priority pending
    /// interrupt if it belongs to the register's group, else 1023; neither the priority
    /// mask nor the running priority applies (ICC_HPPIR1_EL1). Test:
    /// `tests::hppir_ignores_the_priority_mask`.
    pub(super) fn highest_pending_id(&self, cpu: usize, group1: bool) -> u64 {
        match self.cpus[cpu].hppi {
            Some(h) if h.group1 == group1 => h.id.into(),
            _ => INTID_SPURIOUS.into(),
        }
    }

    /// A write of ICC_EOIR1_EL1 (`group1`) or ICC_EOIR0_EL1 by `cpu`: drops the running
    /// priority if the highest active priority belongs to the register's group, and —
    /// unless ICC_CTLR_EL1.EOImode splits the two — deactivates the interrupt. Special
    /// INTIDs and INTIDs of no interrupt are ignored (ICC_EOIR1_EL1; as QEMU). Tests:
    /// `tests::spi_life_cycle_through_iar1_and_eoir1`, `tests::eoimode_splits_drop_and_deactivation`.
    pub(super) fn end_of_interrupt(&mut self, cpu: usize, value: u64, group1: bool) {
        let id = (value & ICC_INTID_MASK) as u32;
        if self.irqs.get(cpu, id).is_none() {
            return;
        }
        let c = &mut self.cpus[cpu];
        if c.prio.highest_active().map(|(g, _)| g) != Some(group1) {
            return;
        }
        c.prio.drop_priority(group1);
        if !c.eoi_mode {
            self.irqs.set_active(cpu, id, false);
        }
    }

    /// A write of ICC_DIR_EL1: deactivates the interrupt when ICC_CTLR_EL1.EOImode is set;
    /// otherwise UNPREDICTABLE, ignored as QEMU does (ICC_DIR_EL1). Test:
    /// `tests::eoimode_splits_drop_and_deactivation`.
    pub(super) fn deactivate(&mut self, cpu: usize, value: u64) {
        if self.cpus[cpu].eoi_mode {
            self.irqs
                .set_active(cpu, (value & ICC_INTID_MASK) as u32, false);
        }
    }

    /// ICC_RPR_EL1: the running priority, 0xFF when idle.
    pub(super) fn running_priority(&self, cpu: usize) -> u64 {
        u64::from(self.cpus[cpu].prio.running_priority()).min(ICC_RPR_IDLE)
    }
}

impl Model for GicV3State {
    /// What each CPU interface signals: its highest priority pending interrupt, if it can
    /// preempt, as FIQ when it is Group 0 and as IRQ when it is Group 1 — a PE at EL1
    /// with a single Security state takes Group 0 as FIQ and Group 1 as IRQ (IHI 0069
    /// §4.6.2, "Interrupt assignment to IRQ and FIQ signals"). Test: `tests::group0_is_fiq_group1_is_irq`.
    fn update(&mut self) {
        for cpu in 0..self.cpus.len() {
            let hppi = self.irqs.highest_pending(cpu, self.groups(cpu));
            let c = &mut self.cpus[cpu];
            c.hppi = hppi;
            c.lines = match hppi {
                Some(h) if c.prio.preempts(&h) => (h.group1, !h.group1),
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
    //! from IHI 0069's register and behaviour descriptions cited on each rule.
    use super::super::testing::*;
    use super::cpu_affinity;

    const SPI: u32 = 40;

    #[test]
    fn affinities_follow_qemu_virt() {
        assert_eq!(cpu_affinity(0), 0);
        assert_eq!(cpu_affinity(7), 7);
        assert_eq!(cpu_affinity(17), 0x101);
    }

    #[test]
    fn spi_life_cycle_through_iar1_and_eoir1() {
        let r = Rig::enabled(1);
        r.group1(0, SPI);
        r.set_priority(0, SPI, 0xa0);
        r.enable(0, SPI);
        r.gic.set_spi(SPI - 32, true);
        assert_eq!(r.lines(0), (true, false));
        assert_eq!(r.icc_r(0, Icc::Hppir1), SPI as u64);
        assert_eq!(r.icc_r(0, Icc::Iar1), SPI as u64);
        assert_eq!(r.icc_r(0, Icc::Rpr), 0xa0);
        assert_eq!(r.icc_r(0, Icc::Ap1r(0)), 1 << (0xa0 >> 3));
        assert_eq!(r.dist_r(GICD_ISACTIVER + 4), 1 << (SPI - 32));
        assert_eq!(r.lines(0), (false, false));
        r.gic.set_spi(SPI - 32, false);
        r.icc_w(0, Icc::Eoir1, SPI.into());
        assert_eq!(r.dist_r(GICD_ISACTIVER + 4), 0);
        assert_eq!(r.icc_r(0, Icc::Rpr), 0xff);
        assert_eq!(r.icc_r(0, Icc::Iar1), 1023);
    }

    #[test]
    fn iar_of_the_other_group_is_spurious() {
        let r = Rig::enabled(1);
        r.enable(0, SPI);
        r.dist_w(GICD_ISPENDR + 4, 1 << (SPI - 32));
        assert_eq!(r.icc_r(0, Icc::Iar1), 1023, "Group 0 pending");
        assert_eq!(r.icc_r(0, Icc::Hppir1), 1023);
        assert_eq!(r.icc_r(0, Icc::Iar0), SPI as u64);
        // ICC_EOIR1_EL1 does not drop a Group 0 priority.
        r.icc_w(0, Icc::Eoir1, SPI.into());
        assert_eq!(r.dist_r(GICD_ISACTIVER + 4), 1 << (SPI - 32));
        r.icc_w(0, Icc::Eoir0, SPI.into());
        assert_eq!(r.dist_r(GICD_ISACTIVER + 4), 0);
    }

    #[test]
    fn group0_is_fiq_group1_is_irq() {
        let r = Rig::enabled(1);
        r.enable(0, SPI);
        r.dist_w(GICD_ISPENDR + 4, 1 << (SPI - 32));
        assert_eq!(r.lines(0), (false, true));
        r.group1(0, SPI);
        assert_eq!(r.lines(0), (true, false));
    }

    #[test]
    fn groups_must_be_enabled_in_distributor_and_cpu_interface() {
        let r = Rig::enabled(1);
        r.group1(0, SPI);
        r.enable(0, SPI);
        r.dist_w(GICD_ISPENDR + 4, 1 << (SPI - 32));
        r.icc_w(0, Icc::Igrpen1, 0);
        assert_eq!((r.lines(0), r.icc_r(0, Icc::Iar1)), ((false, false), 1023));
        r.icc_w(0, Icc::Igrpen1, 1);
        r.dist_w(GICD_CTLR, GICD_CTLR_ENABLE_GRP0);
        assert_eq!((r.lines(0), r.icc_r(0, Icc::Iar1)), ((false, false), 1023));
        r.dist_w(GICD_CTLR, GICD_CTLR_ENABLE_GRP1);
        assert_eq!(r.lines(0), (true, false));
    }

    #[test]
    fn pmr_and_running_priority_gate_preemption() {
        let r = Rig::enabled(1);
        for (id, prio) in [(40, 0x80), (41, 0x80), (42, 0x40)] {
            r.group1(0, id);
            r.set_priority(0, id, prio);
            r.enable(0, id);
        }
        r.icc_w(0, Icc::Pmr, 0x80);
        r.dist_w(GICD_ISPENDR + 4, 1 << 8);
        assert_eq!((r.lines(0), r.icc_r(0, Icc::Iar1)), ((false, false), 1023));
        r.icc_w(0, Icc::Pmr, 0x88);
        assert_eq!(r.icc_r(0, Icc::Iar1), 40);
        r.dist_w(GICD_ISPENDR + 4, 1 << 9);
        assert_eq!((r.lines(0), r.icc_r(0, Icc::Iar1)), ((false, false), 1023));
        r.dist_w(GICD_ISPENDR + 4, 1 << 10);
        assert_eq!(r.icc_r(0, Icc::Iar1), 42);
        assert_eq!(r.icc_r(0, Icc::Rpr), 0x40);
        r.icc_w(0, Icc::Eoir1, 42);
        r.icc_w(0, Icc::Eoir1, 40);
        assert_eq!(r.icc_r(0, Icc::Iar1), 41);
    }

    #[test]
    fn hppir_ignores_the_priority_mask() {
        let r = Rig::enabled(1);
        r.group1(0, SPI);
        r.enable(0, SPI);
        r.dist_w(GICD_ISPENDR + 4, 1 << (SPI - 32));
        r.icc_w(0, Icc::Pmr, 0);
        assert_eq!(r.icc_r(0, Icc::Hppir1), SPI as u64);
        assert_eq!(r.icc_r(0, Icc::Iar1), 1023);
    }

    #[test]
    fn eoimode_splits_drop_and_deactivation() {
        let r = Rig::enabled(1);
        r.icc_w(0, Icc::Ctlr, ICC_CTLR_EOIMODE);
        r.group1(0, SPI);
        r.enable(0, SPI);
        r.gic.set_spi(SPI - 32, true);
        assert_eq!(r.icc_r(0, Icc::Iar1), SPI as u64);
        r.icc_w(0, Icc::Eoir1, SPI.into());
        assert_eq!(r.icc_r(0, Icc::Rpr), 0xff);
        assert_eq!(r.lines(0), (false, false), "active: not signalled again");
        r.icc_w(0, Icc::Dir, SPI.into());
        assert_eq!(r.lines(0), (true, false), "line still high");
        // Without EOImode, ICC_DIR_EL1 is ignored.
        r.icc_w(0, Icc::Ctlr, 0);
        assert_eq!(r.icc_r(0, Icc::Iar1), SPI as u64);
        r.icc_w(0, Icc::Dir, SPI.into());
        assert_eq!(r.dist_r(GICD_ISACTIVER + 4), 1 << (SPI - 32));
    }

    #[test]
    fn irouter_routes_spis_by_affinity() {
        let r = Rig::enabled(3);
        r.group1(0, SPI);
        r.enable(0, SPI);
        r.dist_w(GICD_ISPENDR + 4, 1 << (SPI - 32));
        assert_eq!(r.lines(0), (true, false), "IROUTER 0 at reset: CPU 0");
        r.dist_w64(GICD_IROUTER + 8 * 8, 2);
        assert_eq!((r.lines(0), r.lines(2)), ((false, false), (true, false)));
        // Affinity 1.0.0.2 names no CPU.
        r.dist_w64(GICD_IROUTER + 8 * 8, 1 << 32 | 2);
        assert_eq!(r.dist_r64(GICD_IROUTER + 8 * 8), 1 << 32 | 2);
        assert!((0..3).all(|c| r.lines(c) == (false, false)));
        // The upper half alone, and Interrupt_Routing_Mode RAZ/WI (no 1-of-N).
        r.dist_w(GICD_IROUTER + 8 * 8 + 4, 0);
        r.dist_w(GICD_IROUTER + 8 * 8, 0x8000_0001);
        assert_eq!(r.dist_r64(GICD_IROUTER + 8 * 8), 1);
        assert_eq!(r.icc_r(1, Icc::Iar1), SPI as u64);
    }

    #[test]
    fn sgi1r_targets_by_affinity_and_list() {
        let r = Rig::enabled(3);
        for cpu in 0..3 {
            r.sgi_w(cpu, GICR_IGROUPR0, !0);
            r.sgi_w(cpu, GICR_ISENABLER0, 0xffff);
        }
        // SGI 5 to Aff0 1 and 2 (Aff3.Aff2.Aff1 = 0.0.0, RS 0).
        r.icc_w(0, Icc::Sgi1r, 5 << 24 | 0b110);
        assert_eq!(r.icc_r(0, Icc::Iar1), 1023);
        assert_eq!(r.icc_r(1, Icc::Iar1), 5, "no requester field in GICv3");
        assert_eq!(r.icc_r(2, Icc::Iar1), 5);
        // Wrong Aff1: nobody.
        r.icc_w(0, Icc::Sgi1r, 6 << 24 | 1 << 16 | 0b111);
        assert!((0..3).all(|c| r.sgi_r(c, GICR_ISPENDR0) & 1 << 6 == 0));
        // Wrong range selector: nobody.
        r.icc_w(0, Icc::Sgi1r, 1 << 44 | 6 << 24 | 0b111);
        assert!((0..3).all(|c| r.sgi_r(c, GICR_ISPENDR0) & 1 << 6 == 0));
        // IRM: everybody but the writer.
        r.icc_w(1, Icc::Sgi1r, 1 << 40 | 7 << 24);
        let pending: Vec<u32> = (0..3).map(|c| r.sgi_r(c, GICR_ISPENDR0) >> 7 & 1).collect();
        assert_eq!(pending, [1, 0, 1]);
    }

    #[test]
    fn sgi_group_must_match() {
        let r = Rig::enabled(2);
        r.sgi_w(1, GICR_ISENABLER0, 0xffff);
        // SGIs are Group 0 on CPU 1: ICC_SGI1R_EL1 does not reach them, ICC_SGI0R_EL1 does.
        r.icc_w(0, Icc::Sgi1r, 3 << 24 | 0b10);
        assert_eq!(r.sgi_r(1, GICR_ISPENDR0), 0);
        r.icc_w(0, Icc::Sgi0r, 3 << 24 | 0b10);
        assert_eq!(r.sgi_r(1, GICR_ISPENDR0), 1 << 3);
        assert_eq!(r.lines(1), (false, true));
        assert_eq!(r.icc_r(1, Icc::Iar0), 3);
    }

    #[test]
    fn ppis_are_banked_per_redistributor() {
        let r = Rig::enabled(2);
        r.sgi_w(1, GICR_IGROUPR0, 1 << 27);
        r.sgi_w(1, GICR_ISENABLER0, 1 << 27);
        r.gic.set_ppi(0, 11, true);
        r.gic.set_ppi(1, 11, true);
        assert_eq!(
            r.lines(0),
            (false, false),
            "disabled in CPU 0's redistributor"
        );
        assert_eq!(r.lines(1), (true, false));
        assert_eq!(r.sgi_r(0, GICR_ISPENDR0), 1 << 27);
        assert_eq!(r.icc_r(1, Icc::Iar1), 27);
        assert_eq!(r.sgi_r(1, GICR_ISACTIVER0), 1 << 27);
        assert_eq!(r.sgi_r(0, GICR_ISACTIVER0), 0);
    }

    #[test]
    fn edge_and_level_ppis() {
        let r = Rig::enabled(1);
        r.sgi_w(0, GICR_IGROUPR0, !0);
        r.sgi_w(0, GICR_ISENABLER0, 1 << 20 | 1 << 21);
        r.sgi_w(0, GICR_ICFGR0 + 4, 0b10 << (2 * 5)); // INTID 21 edge
        r.gic.set_ppi(0, 4, true);
        r.gic.set_ppi(0, 5, true);
        assert_eq!(r.icc_r(0, Icc::Iar1), 20);
        r.icc_w(0, Icc::Eoir1, 20);
        assert_eq!(r.icc_r(0, Icc::Iar1), 20, "level still high: pending again");
        r.gic.set_ppi(0, 4, false);
        r.icc_w(0, Icc::Eoir1, 20);
        assert_eq!(r.icc_r(0, Icc::Iar1), 21);
        r.icc_w(0, Icc::Eoir1, 21);
        assert_eq!(r.icc_r(0, Icc::Iar1), 1023, "edge: once per rising edge");
    }
}
