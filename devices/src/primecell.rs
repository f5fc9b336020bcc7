//! Conventions shared by ARM's AMBA PrimeCell peripherals (PL011, PL031, ...): a 4 KiB
//! block of 32-bit registers on APB, and eight identification registers at its top
//! (PrimeCell TRMs, "Peripheral identification registers" / "PrimeCell identification
//! registers" in each TRM, e.g. ARM DDI 0183).

use crate::DeviceError;

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
