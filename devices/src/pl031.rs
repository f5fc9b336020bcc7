//! ARM PrimeCell Real Time Clock (PL031), as its Technical Reference Manual (ARM DDI
//! 0224) defines it, behaving as QEMU's `hw/rtc/pl031.c` does where a model has to
//! choose (Linux's `rtc-pl031` driver is the client).
//!
//! The model:
//! - The counter (RTCDR) is a 32-bit count of seconds: the machine's time source plus an
//!   offset that a write to RTCLR sets. The time source is a closure the machine
//!   provides, so it can be the host's wall clock or a deterministic one.
//! - The RTC is always running: RTCCR reads 1 and writes to it are ignored (QEMU).
//! - Match interrupt: RTCRIS is set when the counter reaches RTCMR. The device has no
//!   timer of its own, so it notices the counter passing RTCMR whenever it is accessed
//!   and whenever the machine calls [`Pl031::poll`]; [`Pl031::seconds_to_match`] tells
//!   the machine when that will next be needed. Writing RTCMR or RTCLR so that the two
//!   are equal matches at once (QEMU).
//! - The interrupt line (RTCINTR) is `RTCRIS & RTCIMSC`, driven on every change.

use crate::primecell::{self, IrqOutput};
use crate::{DeviceError, IrqLine, MmioDevice};

/// Size of the register block the machine maps.
pub const MMIO_SIZE: u64 = primecell::BLOCK_SIZE;

// Register offsets (TRM, "Summary of RTC registers").
pub const RTCDR: u64 = 0x000;
pub const RTCMR: u64 = 0x004;
pub const RTCLR: u64 = 0x008;
pub const RTCCR: u64 = 0x00c;
pub const RTCIMSC: u64 = 0x010;
pub const RTCRIS: u64 = 0x014;
pub const RTCMIS: u64 = 0x018;
pub const RTCICR: u64 = 0x01c;

/// RTCCR.RTCStart; the other control and interrupt registers also have just bit 0.
pub const CR_START: u32 = 1 << 0;
/// The match interrupt bit of RTCIMSC, RTCRIS, RTCMIS and RTCICR.
pub const INT_MATCH: u32 = 1 << 0;

/// RTCPeriphID0..3 as QEMU's "pl031" reports them: part 0x031, designer 0x41 (ARM),
/// revision 1.
pub const PERIPH_ID: [u8; 4] = [0x31, 0x10, 0x14, 0x00];

/// The time source: seconds, from any fixed origin (the Unix epoch for a wall clock).
pub type Clock = Box<dyn Fn() -> u64 + Send>;

/// Everything the guest can observe, kept apart from the wiring so it can be saved and
/// restored.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pl031State {
    /// Added to the time source (modulo 2^32) to give the counter.
    pub offset: u32,
    pub mr: u32,
    pub lr: u32,
    pub imsc: u32,
    pub ris: u32,
    /// The counter when the device last looked for a match.
    pub last_count: u32,
}

/// A PL031 wired to a time source and an interrupt line.
pub struct Pl031 {
    state: Pl031State,
    clock: Clock,
    irq: IrqOutput,
}

impl Pl031 {
    /// A PL031 in its reset state, counting the seconds `clock` returns (so RTCDR starts
    /// at `clock()` modulo 2^32). `irq` is RTCINTR.
    pub fn new(clock: Clock, irq: Box<dyn IrqLine>) -> Self {
        let mut rtc = Pl031 {
            state: Pl031State::default(),
            clock,
            irq: IrqOutput::new(irq),
        };
        rtc.state.last_count = rtc.count();
        rtc
    }

    /// Back to the reset state: match, load and interrupt registers cleared, the counter
    /// following the time source again.
    pub fn reset(&mut self) {
        self.state = Pl031State::default();
        self.state.last_count = self.count();
        self.update_irq();
    }

    pub fn state(&self) -> &Pl031State {
        &self.state
    }

    /// Loads a saved state and drives the interrupt line to match. A match the counter
    /// passed while the state was saved is noticed at the next poll or access.
    pub fn restore(&mut self, mut s: Pl031State) {
        s.imsc &= INT_MATCH;
        s.ris &= INT_MATCH;
        self.state = s;
        self.irq.force(self.state.ris, self.state.imsc);
    }

    /// Looks for the counter having reached RTCMR since the last look. The machine calls
    /// this when time may have passed (at least as often as [`seconds_to_match`]
    /// (Self::seconds_to_match) asks for); every register access does it too.
    pub fn poll(&mut self) {
        let now = self.count();
        let last = self.state.last_count;
        if now != last {
            // Counters wrap modulo 2^32, so compare distances from the last look: MR was
            // reached if it lies in (last, now].
            let to_match = self.state.mr.wrapping_sub(last);
            if to_match != 0 && to_match <= now.wrapping_sub(last) {
                self.state.ris |= INT_MATCH;
                self.update_irq();
            }
            self.state.last_count = now;
        }
    }

    /// Seconds of the time source until the counter next equals RTCMR: 2^32 when it
    /// equals it now, as the next match is a full wrap away.
    pub fn seconds_to_match(&self) -> u64 {
        match self.state.mr.wrapping_sub(self.count()) {
            0 => 1 << 32,
            n => u64::from(n),
        }
    }

    fn count(&self) -> u32 {
        ((self.clock)() as u32).wrapping_add(self.state.offset)
    }

    /// After RTCMR or RTCLR changes: restarts the search for a match from now, matching
    /// at once if the two are equal (QEMU's pl031_set_alarm).
    fn rearm(&mut self) {
        let now = self.count();
        self.state.last_count = now;
        if self.state.mr == now {
            self.state.ris |= INT_MATCH;
            self.update_irq();
        }
    }

    fn update_irq(&mut self) {
        self.irq.update(self.state.ris, self.state.imsc);
    }
}

/// Every register access first looks for a match the counter has reached.
impl primecell::Registers for Pl031 {
    const PERIPH_ID: [u8; 4] = PERIPH_ID;

    fn read_reg(&mut self, reg: u64) -> Option<u32> {
        self.poll();
        let s = &self.state;
        Some(match reg {
            RTCDR => self.count(),
            RTCMR => s.mr,
            RTCLR => s.lr,
            RTCCR => CR_START,
            RTCIMSC => s.imsc,
            RTCRIS => s.ris,
            RTCMIS => s.ris & s.imsc,
            _ => return None,
        })
    }

    fn write_reg(&mut self, reg: u64, value: u32) -> Option<()> {
        self.poll();
        match reg {
            RTCMR => {
                self.state.mr = value;
                self.rearm();
            }
            RTCLR => {
                // The counter is loaded with the value and counts on from it.
                self.state.lr = value;
                self.state.offset = value.wrapping_sub((self.clock)() as u32);
                self.rearm();
            }
            RTCCR => {} // always running
            RTCIMSC => {
                self.state.imsc = value & INT_MATCH;
                self.update_irq();
            }
            RTCICR => {
                self.state.ris &= !value;
                self.update_irq();
            }
            _ => return None,
        }
        Some(())
    }
}

impl MmioDevice for Pl031 {
    fn name(&self) -> &'static str {
        "pl031"
    }

    /// 1-, 2- and 4-byte accesses, as QEMU accepts (Linux uses 4-byte ones).
    fn read(&mut self, offset: u64, size: u8) -> Result<u64, DeviceError> {
        primecell::read(self, offset, size)
    }

    fn write(&mut self, offset: u64, size: u8, value: u64) -> Result<(), DeviceError> {
        primecell::write(self, offset, size, value)
    }
}

#[cfg(test)]
mod tests {
    //! Expected values come from the PL031 TRM's register descriptions, and from QEMU's
    //! hw/rtc/pl031.c where the module comment says we follow it.
    use super::*;
    use crate::testing::RecordingIrq;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    struct Rig {
        rtc: Pl031,
        time: Arc<AtomicU64>,
        irq: RecordingIrq,
    }

    fn rig_at(t: u64) -> Rig {
        let time = Arc::new(AtomicU64::new(t));
        let irq = RecordingIrq::default();
        let clock = time.clone();
        let rtc = Pl031::new(
            Box::new(move || clock.load(Ordering::SeqCst)),
            Box::new(irq.clone()),
        );
        Rig { rtc, time, irq }
    }

    impl Rig {
        fn rd(&mut self, offset: u64) -> u32 {
            self.rtc.read(offset, 4).unwrap() as u32
        }

        fn wr(&mut self, offset: u64, value: u32) {
            self.rtc.write(offset, 4, u64::from(value)).unwrap()
        }

        fn advance(&mut self, seconds: u64) {
            self.time.fetch_add(seconds, Ordering::SeqCst);
        }
    }

    #[test]
    fn reset_values() {
        let mut r = rig_at(1_700_000_000);
        assert_eq!(r.rd(RTCDR), 1_700_000_000);
        assert_eq!(r.rd(RTCMR), 0);
        assert_eq!(r.rd(RTCLR), 0);
        assert_eq!(r.rd(RTCCR), 1, "always running (QEMU)");
        assert_eq!(r.rd(RTCIMSC), 0);
        assert_eq!(r.rd(RTCRIS), 0);
        assert_eq!(r.rd(RTCMIS), 0);
        assert!(r.irq.levels().is_empty());
    }

    #[test]
    fn id_registers() {
        let mut r = rig_at(0);
        let ids: Vec<u32> = (0..8).map(|i| r.rd(0xfe0 + 4 * i)).collect();
        assert_eq!(ids, [0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
    }

    #[test]
    fn counter_follows_the_clock_modulo_2_32() {
        let mut r = rig_at((1 << 32) + 5);
        assert_eq!(r.rd(RTCDR), 5);
        r.advance(3);
        assert_eq!(r.rd(RTCDR), 8);
        r.wr(RTCCR, 0); // ignored: the RTC cannot be stopped
        r.advance(1);
        assert_eq!(r.rd(RTCDR), 9);
    }

    #[test]
    fn load_sets_the_counter() {
        let mut r = rig_at(100);
        r.wr(RTCLR, 1000);
        assert_eq!(r.rd(RTCDR), 1000);
        assert_eq!(r.rd(RTCLR), 1000);
        r.advance(5);
        assert_eq!(r.rd(RTCDR), 1005);
        assert_eq!(r.rd(RTCLR), 1000);
        // Loading wraps like the counter.
        r.wr(RTCLR, u32::MAX);
        r.advance(2);
        assert_eq!(r.rd(RTCDR), 1);
    }

    #[test]
    fn match_raises_the_interrupt_when_reached() {
        let mut r = rig_at(50);
        r.wr(RTCIMSC, INT_MATCH);
        r.wr(RTCMR, 53);
        assert_eq!(r.rtc.seconds_to_match(), 3);
        r.advance(2);
        r.rtc.poll();
        assert!(r.irq.levels().is_empty());
        r.advance(1);
        r.rtc.poll();
        assert_eq!(r.irq.levels(), [true]);
        assert_eq!(r.rd(RTCRIS), INT_MATCH);
        assert_eq!(r.rd(RTCMIS), INT_MATCH);
        // Passing on does not match again; ICR clears.
        r.advance(1);
        r.wr(RTCICR, INT_MATCH);
        assert_eq!(r.rd(RTCRIS), 0);
        assert_eq!(r.irq.levels(), [true, false]);
        r.advance(10);
        r.rtc.poll();
        assert_eq!(r.irq.levels(), [true, false]);
    }

    #[test]
    fn a_match_skipped_over_between_polls_still_fires() {
        let mut r = rig_at(0);
        r.wr(RTCIMSC, INT_MATCH);
        r.wr(RTCMR, 10);
        r.advance(25);
        // A register access notices it, without an explicit poll.
        assert_eq!(r.rd(RTCRIS), INT_MATCH);
        assert!(r.irq.level());
    }

    #[test]
    fn match_across_the_wrap() {
        let mut r = rig_at(u64::from(u32::MAX) - 1);
        r.wr(RTCIMSC, INT_MATCH);
        r.wr(RTCMR, 1);
        assert_eq!(r.rtc.seconds_to_match(), 3);
        r.advance(2);
        r.rtc.poll();
        assert!(!r.irq.level());
        r.advance(1);
        r.rtc.poll();
        assert!(r.irq.level());
    }

    #[test]
    fn writing_mr_or_lr_equal_to_the_counter_matches_at_once() {
        let mut r = rig_at(77);
        r.wr(RTCMR, 77);
        assert_eq!(r.rd(RTCRIS), INT_MATCH);
        assert_eq!(r.rtc.seconds_to_match(), 1 << 32);
        r.wr(RTCICR, INT_MATCH);
        r.wr(RTCMR, 500);
        assert_eq!(r.rd(RTCRIS), 0);
        r.wr(RTCLR, 500);
        assert_eq!(r.rd(RTCRIS), INT_MATCH);
    }

    #[test]
    fn mask_gates_the_line_not_the_raw_status() {
        let mut r = rig_at(0);
        r.wr(RTCMR, 1);
        r.advance(1);
        r.rtc.poll();
        assert_eq!(r.rd(RTCRIS), INT_MATCH);
        assert_eq!(r.rd(RTCMIS), 0);
        assert!(r.irq.levels().is_empty());
        r.wr(RTCIMSC, 0xffff_ffff);
        assert_eq!(r.rd(RTCIMSC), INT_MATCH);
        assert_eq!(r.irq.levels(), [true]);
        r.wr(RTCIMSC, 0);
        assert_eq!(r.irq.levels(), [true, false]);
    }

    #[test]
    fn reset_and_restore() {
        let mut r = rig_at(10);
        r.wr(RTCLR, 1000);
        r.wr(RTCIMSC, INT_MATCH);
        r.wr(RTCMR, 1000);
        assert!(r.irq.level());
        let saved = r.rtc.state().clone();
        r.rtc.reset();
        assert!(!r.irq.level());
        assert_eq!(r.rd(RTCDR), 10);
        assert_eq!(r.rd(RTCMR), 0);
        r.rtc.restore(saved);
        assert!(r.irq.level());
        assert_eq!(r.rd(RTCDR), 1000);
    }

    #[test]
    fn narrow_reads() {
        let mut r = rig_at(0x1234_5678);
        assert_eq!(r.rtc.read(RTCDR + 2, 2), Ok(0x1234));
        assert_eq!(r.rtc.read(0xfe0, 1), Ok(0x31));
    }

    #[test]
    fn bad_offsets_and_sizes() {
        let mut r = rig_at(0);
        for offset in [0x020, 0x100, 0xfdc, 0x1000] {
            assert_eq!(
                r.rtc.read(offset, 4),
                Err(DeviceError::BadOffset { offset })
            );
            assert_eq!(
                r.rtc.write(offset, 4, 0),
                Err(DeviceError::BadOffset { offset })
            );
        }
        // Read-only DR, RIS, MIS and IDs; write-only ICR.
        for offset in [RTCDR, RTCRIS, RTCMIS, 0xfe0] {
            assert_eq!(
                r.rtc.write(offset, 4, 1),
                Err(DeviceError::BadOffset { offset })
            );
        }
        assert_eq!(
            r.rtc.read(RTCICR, 4),
            Err(DeviceError::BadOffset { offset: RTCICR })
        );
        assert_eq!(r.rd(RTCDR), 0, "refused DR write changed nothing");
        assert_eq!(
            r.rtc.read(RTCDR, 8),
            Err(DeviceError::BadSize { offset: 0, size: 8 })
        );
        assert_eq!(
            r.rtc.write(RTCMR, 8, 0),
            Err(DeviceError::BadSize { offset: 4, size: 8 })
        );
        assert_eq!(
            r.rtc.read(0x6, 4),
            Err(DeviceError::BadSize { offset: 6, size: 4 })
        );
    }
}
