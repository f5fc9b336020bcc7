//! Conventions shared by ARM's AMBA PrimeCell peripherals (PL011, PL031, ...): a 4 KiB
//! block of 32-bit registers on APB, and eight identification registers at its top
//! (PrimeCell TRMs, "Peripheral identification registers" / "PrimeCell identification
//! registers" in each TRM, e.g. ARM DDI 0183).

use crate::{DeviceError, IrqLine};

/// Size of a PrimeCell's register block.
pub const BLOCK_SIZE: u64 = 0x1000;
/// First identification register: PeriphID0..3 at 0xFE0..0xFEC, CellID0..3 at 0xFF0..0xFFC.
pub const ID_BASE: u64 = 0xFE0;
/// The PrimeCell identification bytes every PrimeCell shares (CellID0..3: 0xB105F00D).
pub const CELL_ID: [u8; 4] = [0x0d, 0xf0, 0x05, 0xb1];

/// The register an access of `size` bytes at `offset` falls in, and the bit position of
/// the accessed bytes within it.
///
/// APB has no byte strobes: the peripheral decodes `PADDR[11:2]` and moves a whole
/// register, and the interconnect places it on the byte lanes of a narrow access. So a
/// 1- or 2-byte read returns the addressed bytes of the register and a narrow write
/// writes the register with the addressed bytes in place and zeros elsewhere (as QEMU's
/// memory core does for devices with a 4-byte minimum). 8-byte accesses and accesses
/// straddling two registers are refused.
pub fn lane(offset: u64, size: u8) -> Result<(u64, u32), DeviceError> {
    let within = offset & 3;
    match size {
        1 | 2 | 4 if within + u64::from(size) <= 4 => Ok((offset & !3, (within * 8) as u32)),
        _ => Err(DeviceError::BadSize { offset, size }),
    }
}

/// Extracts a narrow read's bytes from a register value.
pub fn read_lane(reg: u32, shift: u32, size: u8) -> u64 {
    (u64::from(reg) >> shift) & size_mask(size)
}

/// Places a narrow write's bytes into a register value (other bytes zero).
pub fn write_lane(value: u64, shift: u32, size: u8) -> u32 {
    ((value & size_mask(size)) << shift) as u32
}

fn size_mask(size: u8) -> u64 {
    match size {
        1 => 0xff,
        2 => 0xffff,
        _ => 0xffff_ffff,
    }
}

/// The identification register at word offset `reg`, if it is one: `periph` are
/// PeriphID0..3, followed by [`CELL_ID`].
pub fn id_register(periph: &[u8; 4], reg: u64) -> Option<u32> {
    let index = usize::try_from(reg.checked_sub(ID_BASE)? / 4).ok()?;
    periph
        .iter()
        .chain(CELL_ID.iter())
        .nth(index)
        .map(|&b| u32::from(b))
}

/// A PrimeCell's 32-bit registers by word offset; [`read`] and [`write`] put the APB
/// byte lanes and the identification registers around them.
pub trait Registers {
    /// PeriphID0..3.
    const PERIPH_ID: [u8; 4];

    /// The value of the register at word offset `reg`; `None` if nothing there reads.
    fn read_reg(&mut self, reg: u64) -> Option<u32>;

    /// Writes the register at word offset `reg`; `None` if nothing there takes writes.
    fn write_reg(&mut self, reg: u64, value: u32) -> Option<()>;
}

/// A read of `size` bytes at `offset`: the register's bytes on the access's lanes, or an
/// identification register; a `BadOffset` where nothing reads.
pub fn read<R: Registers>(dev: &mut R, offset: u64, size: u8) -> Result<u64, DeviceError> {
    let (reg, shift) = lane(offset, size)?;
    let value = dev
        .read_reg(reg)
        .or_else(|| id_register(&R::PERIPH_ID, reg))
        .ok_or(DeviceError::BadOffset { offset })?;
    Ok(read_lane(value, shift, size))
}

/// A write of `size` bytes at `offset` (see [`lane`]); a `BadOffset` where nothing takes
/// writes (the identification registers among them).
pub fn write<R: Registers>(
    dev: &mut R,
    offset: u64,
    size: u8,
    value: u64,
) -> Result<(), DeviceError> {
    let (reg, shift) = lane(offset, size)?;
    dev.write_reg(reg, write_lane(value, shift, size))
        .ok_or(DeviceError::BadOffset { offset })
}

/// A PrimeCell's combined interrupt output (UARTINTR, RTCINTR): high while any raw
/// interrupt is unmasked (RIS & IMSC). The line is driven when that level changes.
pub struct IrqOutput {
    line: Box<dyn IrqLine>,
    /// The level last driven onto `line`.
    level: bool,
}

impl IrqOutput {
    /// The output of a device at reset: low, and not driven until it changes.
    pub fn new(line: Box<dyn IrqLine>) -> Self {
        IrqOutput { line, level: false }
    }

    /// Drives the line if the level for `ris` and `imsc` differs from the last one.
    pub fn update(&mut self, ris: u32, imsc: u32) {
        let level = ris & imsc != 0;
        if level != self.level {
            self.drive(level);
        }
    }

    /// Drives the line for `ris` and `imsc` whatever it was (a restored state).
    pub fn force(&mut self, ris: u32, imsc: u32) {
        self.drive(ris & imsc != 0);
    }

    fn drive(&mut self, level: bool) {
        self.level = level;
        self.line.set_level(level);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_of_narrow_accesses() {
        assert_eq!(lane(0x18, 4), Ok((0x18, 0)));
        assert_eq!(lane(0x19, 1), Ok((0x18, 8)));
        assert_eq!(lane(0x1a, 2), Ok((0x18, 16)));
        assert_eq!(
            lane(0x1b, 2),
            Err(DeviceError::BadSize {
                offset: 0x1b,
                size: 2
            })
        );
        assert_eq!(
            lane(0x1a, 4),
            Err(DeviceError::BadSize {
                offset: 0x1a,
                size: 4
            })
        );
        assert_eq!(
            lane(0x18, 8),
            Err(DeviceError::BadSize {
                offset: 0x18,
                size: 8
            })
        );
        assert_eq!(
            lane(0x18, 3),
            Err(DeviceError::BadSize {
                offset: 0x18,
                size: 3
            })
        );
        assert_eq!(read_lane(0x1234_5678, 8, 1), 0x56);
        assert_eq!(write_lane(0x1ff, 8, 1), 0xff00);
    }

    #[test]
    fn id_registers_cover_fe0_to_ffc() {
        let p = [1, 2, 3, 4];
        assert_eq!(id_register(&p, 0xfdc), None);
        assert_eq!(id_register(&p, 0xfe0), Some(1));
        assert_eq!(id_register(&p, 0xfec), Some(4));
        assert_eq!(id_register(&p, 0xff0), Some(0x0d));
        assert_eq!(id_register(&p, 0xffc), Some(0xb1));
        assert_eq!(id_register(&p, 0x1000), None);
    }
}
