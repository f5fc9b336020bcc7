//! ARM PrimeCell General Purpose Input/Output (PL061), as its Technical Reference Manual
//! (ARM DDI 0190) defines it, with QEMU's `hw/gpio/pl061.c` where a model has to choose.
//! On QEMU's virt board its line 3 is the power button (`gpio-keys`, KEY_POWER).
//!
//! The model:
//! - Eight lines. A line is an output when its GPIODIR bit is 1, and then drives the
//!   GPIODATA bit; otherwise it is an input and reads the level the machine sets with
//!   [`Pl061::set_input`] (the outputs are wired to nothing on virt).
//! - GPIODATA is 256 words (0x000..0x3FC): address bits [9:2] mask the access, so a read
//!   returns only the masked lines and a write changes only the masked output lines.
//! - Interrupts: an input with GPIOIS = 0 latches GPIORIS on an edge (both with GPIOIBE,
//!   else rising with GPIOIEV = 1, falling with 0) until a write of 1 to GPIOIC; with
//!   GPIOIS = 1 its GPIORIS bit follows the level (high with GPIOIEV = 1, low with 0) and
//!   GPIOIC does not touch it (TRM, "GPIOIC"). GPIOINTR is `GPIORIS & GPIOIE`, driven on
//!   every change.
//! - PeriphID0..3 read 0x61, 0x10, 0x04, 0x00 (part 0x061, ARM, revision 0), and
//!   0xFD0..0xFDC read 0, as QEMU's `pl061_id`.

use crate::primecell::{self, IrqOutput};
use crate::{DeviceError, IrqLine, MmioDevice};

/// Size of the register block the machine maps.
pub const MMIO_SIZE: u64 = primecell::BLOCK_SIZE;
/// Lines of the controller.
pub const LINES: u32 = 8;

// Register offsets (TRM, "Summary of PrimeCell GPIO registers").
/// GPIODATA's window: the word at `GPIODATA + (mask << 2)` accesses the lines in `mask`.
pub const GPIODATA: u64 = 0x000;
pub const GPIODATA_END: u64 = 0x3fc;
pub const GPIODIR: u64 = 0x400;
pub const GPIOIS: u64 = 0x404;
pub const GPIOIBE: u64 = 0x408;
pub const GPIOIEV: u64 = 0x40c;
pub const GPIOIE: u64 = 0x410;
pub const GPIORIS: u64 = 0x414;
pub const GPIOMIS: u64 = 0x418;
pub const GPIOIC: u64 = 0x41c;
pub const GPIOAFSEL: u64 = 0x420;
/// Reserved for test, below the identification registers: QEMU reads them as zero.
const ID_ZERO_FIRST: u64 = 0xfd0;
const ID_ZERO_LAST: u64 = 0xfdc;

/// Every register holds one bit a line.
const LINE_MASK: u32 = (1 << LINES) - 1;

/// GPIOPeriphID0..3 (TRM, "Peripheral Identification Registers").
pub const PERIPH_ID: [u8; 4] = [0x61, 0x10, 0x04, 0x00];

/// Everything the guest can observe, kept apart from the wiring so it can be saved and
/// restored. Each field has one bit a line.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pl061State {
    /// What GPIODATA holds for the output lines.
    pub data: u32,
    /// The levels on the input pins.
    pub input: u32,
    pub dir: u32,
    pub is: u32,
    pub ibe: u32,
    pub iev: u32,
    pub ie: u32,
    /// The latched edge interrupts (level ones are computed, never latched).
    pub edges: u32,
    pub afsel: u32,
}

impl Pl061State {
    /// The level each pin reads: outputs their data, inputs their pin.
    fn pins(&self) -> u32 {
        (self.data & self.dir) | (self.input & !self.dir)
    }

    /// GPIORIS: latched edges, and the level-sensitive inputs at their active level.
    fn ris(&self) -> u32 {
        let active_level = !(self.input ^ self.iev) & self.is & !self.dir;
        (self.edges | active_level) & LINE_MASK
    }
}

/// A PL061 wired to its combined interrupt line (GPIOINTR).
pub struct Pl061 {
    state: Pl061State,
    irq: IrqOutput,
}

impl Pl061 {
    /// A PL061 in its reset state: every line an input, low, no interrupt enabled.
    pub fn new(irq: Box<dyn IrqLine>) -> Self {
        Pl061 {
            state: Pl061State::default(),
            irq: IrqOutput::new(irq),
        }
    }

    pub fn state(&self) -> &Pl061State {
        &self.state
    }

    /// Loads a saved state and drives the interrupt line to match.
    pub fn restore(&mut self, mut s: Pl061State) {
        for r in [
            &mut s.data,
            &mut s.input,
            &mut s.dir,
            &mut s.is,
            &mut s.ibe,
            &mut s.iev,
            &mut s.ie,
            &mut s.edges,
            &mut s.afsel,
        ] {
            *r &= LINE_MASK;
        }
        self.state = s;
        self.irq.force(self.state.ris(), self.state.ie);
    }

    /// The level on input pin `line` (< [`LINES`]): what an external device drives. A
    /// line configured as an output ignores its pin, as QEMU's `pl061_set_irq`; the level
    /// is kept, so it reads if the line becomes an input.
    pub fn set_input(&mut self, line: u32, high: bool) {
        let Some(bit) = 1u32.checked_shl(line).filter(|b| b & LINE_MASK != 0) else {
            return;
        };
        let old = self.state.input;
        let new = if high { old | bit } else { old & !bit };
        self.state.input = new;
        if bit & !self.state.dir != 0 && old != new {
            self.latch_edge(bit, high);
        }
        self.update_irq();
    }

    /// An input's edge, latched in GPIORIS if its sense and event registers ask for it.
    fn latch_edge(&mut self, bit: u32, rising: bool) {
        let s = &mut self.state;
        if s.is & bit != 0 {
            return; // level-sensitive: GPIORIS follows the level
        }
        let wanted = s.ibe & bit != 0 || (s.iev & bit != 0) == rising;
        if wanted {
            s.edges |= bit;
        }
    }

    fn update_irq(&mut self) {
        self.irq.update(self.state.ris(), self.state.ie);
    }
}

impl primecell::Registers for Pl061 {
    const PERIPH_ID: [u8; 4] = PERIPH_ID;

    fn read_reg(&mut self, reg: u64) -> Option<u32> {
        let s = &self.state;
        Some(match reg {
            GPIODATA..=GPIODATA_END => s.pins() & (reg >> 2) as u32,
            GPIODIR => s.dir,
            GPIOIS => s.is,
            GPIOIBE => s.ibe,
            GPIOIEV => s.iev,
            GPIOIE => s.ie,
            GPIORIS => s.ris(),
            GPIOMIS => s.ris() & s.ie,
            GPIOAFSEL => s.afsel,
            ID_ZERO_FIRST..=ID_ZERO_LAST => 0,
            _ => return None,
        })
    }

    fn write_reg(&mut self, reg: u64, value: u32) -> Option<()> {
        let value = value & LINE_MASK;
        let s = &mut self.state;
        match reg {
            GPIODATA..=GPIODATA_END => {
                let mask = (reg >> 2) as u32 & s.dir;
                s.data = (s.data & !mask) | (value & mask);
            }
            // Changing a line's direction or sense raises no edge: only pin changes do.
            GPIODIR => s.dir = value,
            GPIOIS => s.is = value,
            GPIOIBE => s.ibe = value,
            GPIOIEV => s.iev = value,
            GPIOIE => s.ie = value,
            GPIOIC => s.edges &= !value,
            GPIOAFSEL => s.afsel = value,
            _ => return None,
        }
        self.update_irq();
        Some(())
    }
}

impl MmioDevice for Pl061 {
    fn name(&self) -> &'static str {
        "pl061"
    }

    /// 1-, 2- and 4-byte accesses, as QEMU accepts (Linux's gpio-pl061 uses bytes).
    fn read(&mut self, offset: u64, size: u8) -> Result<u64, DeviceError> {
        primecell::read(self, offset, size)
    }

    fn write(&mut self, offset: u64, size: u8, value: u64) -> Result<(), DeviceError> {
        primecell::write(self, offset, size, value)
    }
}

#[cfg(test)]
mod tests {
    //! Expected values come from the PL061 TRM's register descriptions (ARM DDI 0190B,
    //! chapter 3), and QEMU's hw/gpio/pl061.c for the identification registers.
    use super::*;
    use crate::testing::RecordingIrq;

    /// Line 3, the virt board's power button.
    const KEY: u32 = 1 << 3;

    fn rig() -> (Pl061, RecordingIrq) {
        let irq = RecordingIrq::default();
        (Pl061::new(Box::new(irq.clone())), irq)
    }

    fn rd(g: &mut Pl061, offset: u64) -> u32 {
        g.read(offset, 4).unwrap() as u32
    }

    fn wr(g: &mut Pl061, offset: u64, value: u32) {
        g.write(offset, 4, u64::from(value)).unwrap()
    }

    #[test]
    fn reset_values_and_identification() {
        let (mut g, irq) = rig();
        for r in [
            GPIODIR, GPIOIS, GPIOIBE, GPIOIEV, GPIOIE, GPIORIS, GPIOMIS, GPIOAFSEL,
        ] {
            assert_eq!(rd(&mut g, r), 0, "register {r:#x}");
        }
        assert_eq!(rd(&mut g, 0x3fc), 0);
        let ids: Vec<u32> = (0xfd0..0x1000).step_by(4).map(|o| rd(&mut g, o)).collect();
        assert_eq!(
            ids,
            [0, 0, 0, 0, 0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1]
        );
        assert!(irq.levels().is_empty());
    }

    #[test]
    fn data_is_masked_by_address_bits_9_to_2() {
        let (mut g, _) = rig();
        wr(&mut g, GPIODIR, 0x0f); // lines 0..3 out, 4..7 in
        wr(&mut g, 0x3fc, 0xff); // all lines unmasked: only outputs take it
        assert_eq!(rd(&mut g, 0x3fc), 0x0f);
        wr(&mut g, 0x3 << 2, 0x00); // clears only lines 0 and 1
        assert_eq!(rd(&mut g, 0x3fc), 0x0c);
        assert_eq!(
            rd(&mut g, 0x4 << 2),
            0x04,
            "a read returns only masked lines"
        );
        g.set_input(6, true);
        assert_eq!(rd(&mut g, 0x3fc), 0x4c);
        g.set_input(1, true); // an output's pin is not what it reads
        assert_eq!(rd(&mut g, 0x3fc), 0x4c);
        assert_eq!(g.read(0x3fc, 1).unwrap(), 0x4c, "byte access, as Linux's");
    }

    #[test]
    fn both_edges_latch_until_cleared() {
        // Linux's gpio-keys asks for both edges on the power button's line.
        let (mut g, irq) = rig();
        wr(&mut g, GPIOIBE, KEY);
        wr(&mut g, GPIOIE, KEY);
        g.set_input(3, true);
        assert_eq!(rd(&mut g, GPIORIS), KEY);
        assert_eq!(rd(&mut g, GPIOMIS), KEY);
        assert!(irq.level());
        assert_eq!(rd(&mut g, 0x3fc), KEY, "the key reads pressed");
        wr(&mut g, GPIOIC, KEY);
        assert_eq!(rd(&mut g, GPIORIS), 0);
        assert!(!irq.level());
        g.set_input(3, false);
        assert_eq!(rd(&mut g, GPIORIS), KEY, "the release is an edge too");
        assert!(irq.level());
        wr(&mut g, GPIOIC, KEY);
        assert_eq!(irq.levels(), [true, false, true, false]);
    }

    #[test]
    fn single_edges_follow_iev() {
        let (mut g, _) = rig();
        wr(&mut g, GPIOIEV, 0x01); // line 0 rising, line 1 falling
        g.set_input(1, true);
        g.set_input(0, true);
        assert_eq!(rd(&mut g, GPIORIS), 0x01);
        g.set_input(1, false);
        g.set_input(0, false);
        assert_eq!(rd(&mut g, GPIORIS), 0x03);
        wr(&mut g, GPIOIC, 0x01);
        assert_eq!(rd(&mut g, GPIORIS), 0x02);
    }

    #[test]
    fn level_interrupts_follow_the_pin_and_ignore_clear() {
        let (mut g, irq) = rig();
        wr(&mut g, GPIOIS, KEY);
        wr(&mut g, GPIOIEV, KEY); // active high
        wr(&mut g, GPIOIE, KEY);
        g.set_input(3, true);
        wr(&mut g, GPIOIC, KEY);
        assert_eq!(rd(&mut g, GPIORIS), KEY);
        g.set_input(3, false);
        assert_eq!(rd(&mut g, GPIORIS), 0);
        assert_eq!(irq.levels(), [true, false]);
        wr(&mut g, GPIOIEV, 0); // active low: the low pin now interrupts
        assert!(irq.level());
    }

    #[test]
    fn disabled_interrupts_still_show_raw() {
        let (mut g, irq) = rig();
        g.set_input(3, true); // IEV = 0: falling only
        g.set_input(3, false);
        assert_eq!(rd(&mut g, GPIORIS), KEY);
        assert_eq!(rd(&mut g, GPIOMIS), 0);
        assert!(irq.levels().is_empty());
        wr(&mut g, GPIOIE, KEY);
        assert!(irq.level(), "enabling a pending interrupt raises the line");
    }

    #[test]
    fn bad_accesses_are_errors_not_panics() {
        let (mut g, _) = rig();
        assert_eq!(
            g.write(GPIORIS, 4, 1),
            Err(DeviceError::BadOffset { offset: GPIORIS })
        );
        assert_eq!(
            g.read(GPIOIC, 4),
            Err(DeviceError::BadOffset { offset: GPIOIC })
        );
        assert_eq!(
            g.read(0x800, 4),
            Err(DeviceError::BadOffset { offset: 0x800 })
        );
        assert!(matches!(g.read(0, 8), Err(DeviceError::BadSize { .. })));
        g.set_input(8, true);
        g.set_input(u32::MAX, true);
        assert_eq!(g.state().input, 0);
    }

    #[test]
    fn restore_drives_the_line() {
        let (mut g, irq) = rig();
        g.restore(Pl061State {
            edges: KEY,
            ie: KEY | 0x100,
            ..Default::default()
        });
        assert!(irq.level());
        assert_eq!(g.state().ie, KEY);
    }
}
