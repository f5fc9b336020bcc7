//! The event register of WFE, SEV and SEVL, and the generic timer's event stream
//! (Arm ARM D1.16.1 "Wait for Event mechanism and Send event", D1.16.2 "WFE wake-up
//! events", D11.2.3 "Event streams").
//!
//! The register is set by SEVL and an exception return (locally, `Cpu::event`), by SEV on
//! any vCPU and by the clearing of this vCPU's exclusive reservation (sent through the
//! shared [`Monitors`]), and by the event stream: a transition of one bit of the virtual
//! counter, chosen by CNTKCTL_EL1. Everything is a function of guest state and virtual
//! time, so a run waits and wakes at the same instruction every time. A WFE whose register
//! is clear ends the vCPU's slice; the machine (`machine/src/run.rs`) resumes it when
//! [`Cpu::wfe_wakes`] says so or the event stream's next tick ([`Cpu::event_stream_ns`])
//! has come.

use crate::cpu::Cpu;
use crate::monitor::Monitors;
use crate::state::{DAIF_A, DAIF_F, DAIF_I};
use crate::timer::NS_PER_TICK;

/// CNTKCTL_EL1 event stream fields (Arm ARM D17.8.3): enable, direction (0: the bit's
/// 0 to 1 transition, 1: its 1 to 0 transition) and the counter bit (EVNTI, 7:4).
const CNTKCTL_EVNTEN: u64 = 1 << 2;
const CNTKCTL_EVNTDIR: u64 = 1 << 3;
const CNTKCTL_EVNTI_SHIFT: u32 = 4;
const CNTKCTL_EVNTI_MASK: u64 = 0xf;

/// The event stream's settings: `period` counts between events and the `phase` (counter
/// value modulo the period) at which each comes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stream {
    period: u64,
    phase: u64,
}

impl Stream {
    fn of(cntkctl: u64) -> Option<Stream> {
        if cntkctl & CNTKCTL_EVNTEN == 0 {
            return None;
        }
        let bit = (cntkctl >> CNTKCTL_EVNTI_SHIFT) & CNTKCTL_EVNTI_MASK;
        // Bit n rises at counts ≡ 2^n and falls at counts ≡ 0, modulo 2^(n+1).
        let phase = if cntkctl & CNTKCTL_EVNTDIR == 0 {
            1 << bit
        } else {
            0
        };
        Some(Stream {
            period: 2 << bit,
            phase,
        })
    }

    /// The first counter value after `count` at which an event comes.
    fn next_after(self, count: u64) -> u64 {
        let from = count.wrapping_add(1);
        from.wrapping_add(self.phase.wrapping_sub(from) & (self.period - 1))
    }
}

impl Cpu {
    /// Counter value at which the event stream next sets the event register, if enabled.
    fn next_stream_event(&self) -> Option<u64> {
        Stream::of(self.sys.cntkctl_el1).map(|s| s.next_after(self.stream_seen))
    }

    /// Sets the event register if the event stream ticked since it was last looked at.
    pub fn fold_event_stream(&mut self) {
        let now = self.counter();
        if self.next_stream_event().is_some_and(|at| at <= now) {
            self.event = true;
        }
        self.stream_seen = now;
    }

    /// Writes CNTKCTL_EL1: ticks under the old settings count, the new ones from now.
    pub fn set_cntkctl_el1(&mut self, v: u64) {
        self.fold_event_stream();
        self.sys.cntkctl_el1 = v & crate::sysreg::CNTKCTL_MASK;
    }

    /// WFE's test (Hint_WFE): gathers what set the event register since the last look;
    /// if it is set, clears it and returns true (WFE completes at once).
    pub fn take_event(&mut self, monitors: &mut Monitors) -> bool {
        if monitors.take_signal(self.index) {
            self.event = true;
        }
        self.fold_event_stream();
        std::mem::take(&mut self.event)
    }

    /// Virtual time (ns) of the event stream's next event after the last look: when a
    /// vCPU waiting in WFE wakes at the latest.
    pub fn event_stream_ns(&self) -> Option<u64> {
        self.next_stream_event()
            .map(|ticks| ticks.saturating_mul(NS_PER_TICK))
    }

    /// Whether a vCPU waiting in WFE wakes now, other than by the event stream: an event
    /// sent to it, or a WFE wake-up interrupt — a pending SError, FIQ or IRQ that PSTATE
    /// does not mask (D1.16.2; unlike WFI, a masked interrupt does not wake WFE).
    pub fn wfe_wakes(&self, monitors: &Monitors) -> bool {
        if self.event || monitors.signalled(self.index) {
            return true;
        }
        let daif = self.s.daif;
        (self.lines.serror() && daif & DAIF_A == 0)
            || (self.lines.fiq() && daif & DAIF_F == 0)
            || (self.lines.irq() && daif & DAIF_I == 0)
    }

    /// WFE completes after a wait: the event that woke it is consumed (its signal and the
    /// stream ticks up to now), as the register is cleared when WFE completes.
    pub fn end_wfe_wait(&mut self, monitors: &mut Monitors) {
        monitors.take_signal(self.index);
        self.event = false;
        self.stream_seen = self.counter();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// EVNTEN with EVNTI = `bit`, EVNTDIR = `dir`.
    fn cntkctl(bit: u64, dir: u64) -> u64 {
        CNTKCTL_EVNTEN | (dir << 3) | (bit << CNTKCTL_EVNTI_SHIFT)
    }

    #[test]
    fn the_stream_ticks_on_the_selected_transition_of_the_counter_bit() {
        assert_eq!(Stream::of(cntkctl(3, 0) & !CNTKCTL_EVNTEN), None);
        // Bit 3 rises at 8, 24, 40... (0b1000 after 0b0111) and falls at 16, 32...
        let rise = Stream::of(cntkctl(3, 0)).unwrap();
        assert_eq!(
            (rise.next_after(0), rise.next_after(7), rise.next_after(8)),
            (8, 8, 24)
        );
        let fall = Stream::of(cntkctl(3, 1)).unwrap();
        assert_eq!(
            (fall.next_after(0), fall.next_after(15), fall.next_after(16)),
            (16, 16, 32)
        );
        // Bit 0 rises at every odd count.
        let odd = Stream::of(cntkctl(0, 0)).unwrap();
        assert_eq!((odd.next_after(4), odd.next_after(5)), (5, 7));
        // Bit 15: 2^16 counts apart.
        let slow = Stream::of(cntkctl(15, 0)).unwrap();
        assert_eq!(slow.next_after(0x8000), 0x1_8000);
    }

    #[test]
    fn a_tick_since_the_last_look_sets_the_event_register_once() {
        let mut cpu = Cpu::new(0, 0);
        let mut mon = Monitors::new(1);
        cpu.set_cntkctl_el1(cntkctl(3, 0));
        assert!(!cpu.take_event(&mut mon)); // count 0: no tick yet
        assert_eq!(cpu.event_stream_ns(), Some(8 * NS_PER_TICK));
        cpu.icount = 8 * NS_PER_TICK; // count 8: bit 3 rose
        assert!(cpu.take_event(&mut mon));
        assert!(!cpu.take_event(&mut mon));
        assert_eq!(cpu.event_stream_ns(), Some(24 * NS_PER_TICK));
    }

    #[test]
    fn ticks_before_the_stream_was_enabled_do_not_count() {
        let mut cpu = Cpu::new(0, 0);
        let mut mon = Monitors::new(1);
        cpu.icount = 100 * NS_PER_TICK;
        cpu.set_cntkctl_el1(cntkctl(0, 0));
        assert!(!cpu.take_event(&mut mon));
    }

    #[test]
    fn only_an_unmasked_interrupt_or_an_event_wakes_wfe() {
        let mut cpu = Cpu::new(1, 0);
        let mut mon = Monitors::new(2);
        cpu.s.daif = DAIF_A | DAIF_I | DAIF_F;
        cpu.lines.set_irq(true);
        assert!(!cpu.wfe_wakes(&mon));
        cpu.s.daif = DAIF_A | DAIF_F;
        assert!(cpu.wfe_wakes(&mon));
        cpu.lines.set_irq(false);
        assert!(!cpu.wfe_wakes(&mon));
        mon.signal_all();
        assert!(cpu.wfe_wakes(&mon));
        cpu.end_wfe_wait(&mut mon);
        assert!(!cpu.wfe_wakes(&mon));
    }

    use crate::exec::Exit;
    use crate::testing::RAM_BASE;
    use crate::{a64, cpu_test};

    cpu_test! {
        fn sevl_then_wfe_falls_through(t) {
            t.load(&a64!(; sevl ; wfe ; movz x0, 1));
            t.run();
            assert_eq!(t.x(0), 1);
            assert!(!t.cpu.event, "WFE clears the register it found set");
        }

        fn wfe_with_the_register_clear_waits(t) {
            t.load(&a64!(; wfe ; movz x0, 1));
            assert_eq!(t.run_limit(100), Exit::Wfe);
            assert_eq!((t.cpu.s.pc, t.x(0)), (RAM_BASE + 4, 0));
        }

        fn only_a_wfe_that_would_wait_traps_from_el0(t) {
            // SCTLR_EL1.nTWE = 0 traps EL0's WFE, but Hint_WFE checks the event register
            // first: the trap is taken by the second WFE only (ESR: EC 0x01, CV 1, TI 1).
            t.load(&a64!(; sevl ; wfe ; wfe));
            t.cpu.sys.sctlr_el1 &= !(1 << 18);
            t.cpu.sys.vbar_el1 = 0x4010_0000;
            t.cpu.s.el = 0;
            let _ = t.run_limit(3);
            assert_eq!(t.cpu.sys.esr_el1 >> 26, 0x01);
            assert_eq!(t.cpu.sys.esr_el1 & 0x1ff_ffff, (1 << 24) | 1);
            assert_eq!(t.cpu.sys.elr_el1, RAM_BASE + 8);
            assert_eq!(t.cpu.s.pc, 0x4010_0400, "taken to EL1 from a lower EL");
        }

        fn sev_sets_the_senders_register_too(t) {
            t.load(&a64!(; sev ; wfe ; movz x0, 1));
            t.run();
            assert_eq!(t.x(0), 1);
        }

        fn eret_sets_the_event_register(t) {
            // ERET to EL1h at the WFE; the return is the only event.
            t.load(&a64!(; eret ; nop ; wfe ; movz x0, 1));
            t.cpu.sys.spsr_el1 = 0x3c5;
            t.cpu.sys.elr_el1 = RAM_BASE + 8;
            t.run();
            assert_eq!(t.x(0), 1);
        }

        fn another_vcpus_store_to_the_reserved_granule_is_an_event(t) {
            t.load(&a64!(; ldaxr x1, [x2] ; wfe ; wfe ; movz x0, 1));
            let flag = RAM_BASE + 0x1000;
            t.set_x(2, flag);
            assert_eq!(t.run_limit(100), Exit::Wfe);
            let mut other = Cpu::new(1, 1);
            // A store elsewhere is no event; one to the same 64-byte granule is.
            t.with_mem(Some(&mut other), |c, m| c.write(m, flag + 64, 8, 1)).unwrap();
            assert_eq!(t.run_limit(100), Exit::Wfe);
            assert_eq!(t.cpu.s.pc, RAM_BASE + 12);
            t.cpu.s.pc = RAM_BASE;
            assert_eq!(t.run_limit(100), Exit::Wfe);
            t.with_mem(Some(&mut other), |c, m| c.write(m, flag + 8, 8, 1)).unwrap();
            t.run();
            assert_eq!(t.x(0), 1);
        }

        fn the_event_stream_ends_a_wait(t) {
            // EVNTI = 0: bit 0 of the counter rises every other tick.
            t.cpu.set_cntkctl_el1(CNTKCTL_EVNTEN);
            t.load(&a64!(; wfe ; b >done ; done: ; movz x0, 1));
            assert_eq!(t.run_limit(100), Exit::Wfe);
            let wake = t.cpu.event_stream_ns().unwrap();
            assert!(wake <= 2 * NS_PER_TICK);
            t.cpu.icount = wake; // time reaches the tick
            t.cpu.s.pc = RAM_BASE;
            t.run();
            assert_eq!(t.x(0), 1);
        }
    }
}
