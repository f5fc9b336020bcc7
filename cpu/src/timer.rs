//! The generic timer as a vCPU sees it: the system counter and the EL1 physical and virtual
//! timers (Arm ARM D11, "The Generic Timer in AArch64 state").
//!
//! Time is virtual: the counter advances with retired instructions (one nanosecond each,
//! a 1 GHz virtual core), so a run reads the same counter values every time. The machine
//! keeps the vCPUs' clocks in step by setting `clock_offset` at each scheduling quantum and
//! moves time forward to the next deadline when every vCPU waits.

use crate::cpu::Cpu;

/// CNTFRQ_EL0: 62.5 MHz, as QEMU's virt machine.
pub const CNTFRQ_HZ: u64 = 62_500_000;
/// Virtual nanoseconds per counter tick (1e9 / 62.5e6).
pub const NS_PER_TICK: u64 = 16;

/// CNTx_CTL_EL0 bits.
pub const CTL_ENABLE: u64 = 1 << 0;
pub const CTL_IMASK: u64 = 1 << 1;
pub const CTL_ISTATUS: u64 = 1 << 2;

/// One EL1 timer (physical or virtual): its control and compare value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimerRegs {
    /// ENABLE and IMASK; ISTATUS is computed on read.
    pub ctl: u64,
    pub cval: u64,
}

impl TimerRegs {
    /// The timer condition: enabled and the counter has reached the compare value.
    pub fn fired(&self, count: u64) -> bool {
        self.ctl & CTL_ENABLE != 0 && count >= self.cval
    }

    /// The interrupt output (ISTATUS and not IMASK).
    pub fn asserted(&self, count: u64) -> bool {
        self.fired(count) && self.ctl & CTL_IMASK == 0
    }

    pub fn read_ctl(&self, count: u64) -> u64 {
        self.ctl | if self.fired(count) { CTL_ISTATUS } else { 0 }
    }

    /// TVAL reads as the signed 32-bit distance to the compare value (D11.2.4).
    pub fn read_tval(&self, count: u64) -> u64 {
        self.cval.wrapping_sub(count) as u32 as u64
    }

    pub fn write_tval(&mut self, count: u64, v: u64) {
        self.cval = count.wrapping_add(v as u32 as i32 as i64 as u64);
    }

    /// Counter value at which this timer's output will rise, if it is armed and unmasked.
    pub fn deadline(&self) -> Option<u64> {
        (self.ctl & (CTL_ENABLE | CTL_IMASK) == CTL_ENABLE).then_some(self.cval)
    }
}

/// The EL1 timers of one vCPU.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Timers {
    pub phys: TimerRegs,
    pub virt: TimerRegs,
}

impl Cpu {
    /// Virtual nanoseconds since the machine started.
    #[inline(always)]
    pub fn now_ns(&self) -> u64 {
        self.icount.wrapping_add(self.clock_offset)
    }

    /// The system counter (CNTPCT_EL0; CNTVCT_EL0 equals it, CNTVOFF being 0 without EL2).
    #[inline(always)]
    pub fn counter(&self) -> u64 {
        self.now_ns() / NS_PER_TICK
    }

    /// Levels of the timer interrupt outputs: (physical, virtual).
    pub fn timer_outputs(&self) -> (bool, bool) {
        let c = self.counter();
        (self.timers.phys.asserted(c), self.timers.virt.asserted(c))
    }

    /// The earliest virtual time (ns) at which a timer output of this vCPU rises.
    pub fn next_timer_ns(&self) -> Option<u64> {
        [self.timers.phys.deadline(), self.timers.virt.deadline()]
            .into_iter()
            .flatten()
            .min()
            .map(|ticks| ticks.saturating_mul(NS_PER_TICK))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tval_is_a_signed_distance() {
        let mut t = TimerRegs::default();
        t.write_tval(1000, (-10i32) as u32 as u64);
        assert_eq!(t.cval, 990);
        assert_eq!(t.read_tval(1000), (-10i32) as u32 as u64);
        t.ctl = CTL_ENABLE;
        assert!(t.fired(1000));
        assert_eq!(t.read_ctl(1000), CTL_ENABLE | CTL_ISTATUS);
        t.ctl |= CTL_IMASK;
        assert!(!t.asserted(1000));
        assert_eq!(t.deadline(), None);
    }
}
