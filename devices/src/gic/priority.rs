//! The CPU interface's priority logic, shared by GICv2's GICC_* and GICv3's ICC_*
//! registers: the priority mask, binary points, active priorities and running priority
//! (IHI 0048B §3.3, "Interrupt prioritization"; IHI 0069 §4.8).
//!
//! A priority value splits at the binary point into a group priority, which decides
//! preemption, and a subpriority. Acknowledging an interrupt sets the bit of its group
//! priority in the Active Priorities Registers; the running priority is the highest
//! (numerically lowest) priority with a bit set; a priority drop clears the highest one.

use super::irq::Hppi;

/// "No interrupt is active": a running priority lower than any real one (QEMU's 0x100).
pub const IDLE_PRIORITY: u16 = 0x100;

/// How much of an 8-bit priority a CPU interface implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Model {
    /// Implemented priority bits (the top `bits` bits of the 8-bit field).
    pub bits: u8,
}

impl Model {
    /// The mask of implemented priority bits.
    pub const fn mask(self) -> u8 {
        (0xff00u16 >> self.bits) as u8
    }

    /// Implemented preemption bits: at most 7, since the smallest binary point (0) leaves
    /// one bit of subpriority.
    pub const fn pre_bits(self) -> u8 {
        if self.bits > 7 {
            7
        } else {
            self.bits
        }
    }

    /// The smallest binary point for Group 0 (GICC_BPR, ICC_BPR0_EL1): the one whose
    /// group priority field is exactly the preemption bits.
    pub const fn min_bpr0(self) -> u8 {
        7 - self.pre_bits()
    }

    /// Words of active priority bits per group: one bit per preemption level.
    pub const fn apr_words(self) -> usize {
        let levels = 1usize << self.pre_bits();
        if levels < 32 {
            1
        } else {
            levels / 32
        }
    }
}

/// A CPU interface's priority state.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CpuPriority {
    pub model: Model,
    /// Priority Mask: only interrupts of higher (numerically lower) priority are
    /// signalled.
    pub pmr: u8,
    /// Binary points: `[0]` GICC_BPR / ICC_BPR0_EL1, `[1]` GICC_ABPR / ICC_BPR1_EL1.
    pub bpr: [u8; 2],
    /// Common binary point: Group 1 uses `bpr[0]` too (GICC_CTLR.CBPR, ICC_CTLR_EL1.CBPR).
    pub cbpr: bool,
    /// Active priorities, per group: GICC_APRn / ICC_AP0Rn_EL1 (Group 0) and GICC_NSAPRn /
    /// ICC_AP1Rn_EL1 (Group 1). Bit k of word n is preemption level 32n + k.
    pub apr: [[u32; 4]; 2],
}

impl CpuPriority {
    /// Reset: everything masked, no active priorities, the smallest binary points (as
    /// QEMU resets them).
    pub fn reset(model: Model) -> Self {
        CpuPriority {
            model,
            pmr: 0,
            bpr: [model.min_bpr0(), model.min_bpr0() + 1],
            cbpr: false,
            apr: [[0; 4]; 2],
        }
    }

    /// Writes a binary point register, raising values below the implemented minimum to
    /// it (IHI 0048B §4.4.3: "if software writes a value lower than the minimum, the
    /// minimum is stored"). Test: `v2::cpu_interface::tests::bpr_is_clamped_to_its_minimum`.
    pub fn set_bpr(&mut self, group1: bool, value: u8) {
        let min = self.model.min_bpr0() + group1 as u8;
        self.bpr[group1 as usize] = (value & 7).max(min);
    }

    /// The group priority of priority `prio` in `group1`'s group: the bits above the
    /// binary point. Group 1 uses the Group 1 binary point less one — GICC_ABPR and
    /// ICC_BPR1_EL1 count one higher than GICC_BPR — unless CBPR makes Group 0's apply
    /// (IHI 0048B §3.3, "Priority grouping"; IHI 0069 §4.8, GroupBits() pseudocode).
    /// Test: `v2::state::tests::binary_point_limits_preemption_to_group_priority`.
    pub fn group_priority(&self, prio: u8, group1: bool) -> u8 {
        let bpr = if group1 && !self.cbpr {
            self.bpr[1].saturating_sub(1)
        } else {
            self.bpr[0]
        };
        prio & (0xffu32 << (bpr + 1)) as u8
    }

    /// The running priority: the group priority of the highest priority active
    /// interrupt, [`IDLE_PRIORITY`] when none is active (IHI 0048B §4.4.6; IHI 0069
    /// ICC_RPR_EL1).
    pub fn running_priority(&self) -> u16 {
        match self.highest_active() {
            Some((_, level)) => (level << (8 - self.model.pre_bits())) as u16,
            None => IDLE_PRIORITY,
        }
    }

    /// Whether `h` may be signalled and acknowledged: its priority is higher than the
    /// priority mask, and its group priority higher than the running priority — the
    /// preemption rule (IHI 0048B §3.3, "Preemption" and "Priority masking";
    /// IHI 0069 §4.8). Tests: `v2::state::tests::pmr_masks_interrupts_of_equal_or_lower_priority`,
    /// `v2::state::tests::running_priority_blocks_all_but_higher_priorities`.
    pub fn preempts(&self, h: &Hppi) -> bool {
        h.priority < self.pmr
            && u16::from(self.group_priority(h.priority, h.group1)) < self.running_priority()
    }

    /// Marks the group priority of an acknowledged interrupt active.
    pub fn activate(&mut self, prio: u8, group1: bool) {
        let level = u32::from(self.group_priority(prio, group1) >> (8 - self.model.pre_bits()));
        let word = (level / 32) as usize;
        if let Some(w) = self.apr[group1 as usize].get_mut(word) {
            *w |= 1 << (level % 32);
        }
    }

    /// The group (Group 1 = true) and preemption level of the highest active priority.
    pub fn highest_active(&self) -> Option<(bool, u32)> {
        let words = self.model.apr_words();
        (0..words).find_map(|n| {
            let (g0, g1) = (self.apr[0][n], self.apr[1][n]);
            let both = g0 | g1;
            (both != 0).then(|| {
                let bit = both.trailing_zeros();
                (g0 & 1 << bit == 0, 32 * n as u32 + bit)
            })
        })
    }

    /// Priority drop for an interrupt of `group1`'s group: clears that group's highest
    /// active priority bit (as QEMU does; software must drop priorities in the reverse
    /// order of acknowledgement, IHI 0048B §3.2, "Priority drop and interrupt
    /// deactivation"). Returns false when the group had nothing active.
    pub fn drop_priority(&mut self, group1: bool) -> bool {
        let words = self.model.apr_words();
        let apr = &mut self.apr[group1 as usize];
        match apr[..words].iter_mut().find(|w| **w != 0) {
            Some(w) => {
                *w &= *w - 1;
                true
            }
            None => false,
        }
    }

    /// Reads an Active Priorities Register word; words beyond the implemented ones are 0.
    pub fn apr_word(&self, group1: bool, n: usize) -> u32 {
        if n < self.model.apr_words() {
            self.apr[group1 as usize][n]
        } else {
            0
        }
    }

    pub fn set_apr_word(&mut self, group1: bool, n: usize, value: u32) {
        if n < self.model.apr_words() {
            self.apr[group1 as usize][n] = value;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V2: Model = Model { bits: 8 };
    const V3: Model = Model { bits: 5 };

    #[test]
    fn models() {
        assert_eq!(
            (V2.mask(), V2.pre_bits(), V2.min_bpr0(), V2.apr_words()),
            (0xff, 7, 0, 4)
        );
        // Five bits as QEMU's GICv3 CPU interface: BPR0 minimum 2 (the Cortex-A76 TRM's
        // ICC_BPR0_EL1 says the same), one APR word.
        assert_eq!(
            (V3.mask(), V3.pre_bits(), V3.min_bpr0(), V3.apr_words()),
            (0xf8, 5, 2, 1)
        );
    }

    #[test]
    fn activation_and_drop_track_the_running_priority() {
        let mut p = CpuPriority::reset(V2);
        assert_eq!(p.running_priority(), IDLE_PRIORITY);
        p.activate(0x80, false);
        p.activate(0x40, true);
        assert_eq!(p.running_priority(), 0x40);
        assert_eq!(p.highest_active(), Some((true, 0x20)));
        assert!(p.drop_priority(true));
        assert_eq!(p.running_priority(), 0x80);
        assert!(!p.drop_priority(true));
        assert!(p.drop_priority(false));
        assert_eq!(p.running_priority(), IDLE_PRIORITY);
    }

    #[test]
    fn five_bit_model_uses_one_word() {
        let mut p = CpuPriority::reset(V3);
        p.activate(0xf8, true);
        assert_eq!(p.apr_word(true, 0), 1 << 31);
        assert_eq!(p.running_priority(), 0xf8);
        p.set_apr_word(true, 1, 5);
        assert_eq!(p.apr_word(true, 1), 0);
    }
}
