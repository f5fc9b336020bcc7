//! Register frames as tables: each frame (distributor, CPU interface, redistributor) is a
//! list of rows giving a register or register array, its offset, how many registers it
//! holds, their width and which accesses they take. Decoding an access against the table
//! yields the row and the offset within it, or the [`DeviceError`] the bus expects
//! ([`crate::MmioDevice`]): a reserved offset, a read of a write-only register or a write
//! to a read-only one is `BadOffset`; a width the register does not take, or an
//! unaligned access, is `BadSize`.
//!
//! Widths follow the GIC specifications' access rules (IHI 0048B §4.1, "About the
//! programmers' model"; IHI 0069 chapter 12, "Programmers' Model"): registers are 32-bit and word-accessible; those holding
//! byte fields (IPRIORITYR, ITARGETSR, CPENDSGIR, SPENDSGIR) are also byte-accessible;
//! 64-bit registers (GICD_IROUTER, GICR_TYPER) take doubleword or word accesses.

use crate::DeviceError;

/// Who may access a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rw {
    ReadOnly,
    WriteOnly,
    ReadWrite,
    /// Present but accessible neither way (an unimplemented ICC_APnR<n>_EL1).
    Neither,
}

/// The width of a row's registers, which fixes the access sizes they take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// 32-bit registers: word accesses only.
    Word,
    /// 32-bit registers of byte fields: byte or word accesses.
    Bytes,
    /// 64-bit registers: doubleword accesses, or word accesses to either half.
    Dword,
}

impl Width {
    /// Bytes one register of this width spans.
    pub const fn span(self) -> u64 {
        match self {
            Width::Word | Width::Bytes => 4,
            Width::Dword => 8,
        }
    }

    fn takes(self, size: u8) -> bool {
        match self {
            Width::Word => size == 4,
            Width::Bytes => size == 1 || size == 4,
            Width::Dword => size == 4 || size == 8,
        }
    }
}

/// One row of a register table: `count` registers of `width` from `offset`.
#[derive(Clone, Copy, Debug)]
pub struct RegDef<R> {
    pub reg: R,
    pub offset: u64,
    pub count: u64,
    pub width: Width,
    pub rw: Rw,
}

impl<R> RegDef<R> {
    pub const fn new(reg: R, offset: u64, count: u64, width: Width, rw: Rw) -> Self {
        RegDef {
            reg,
            offset,
            count,
            width,
            rw,
        }
    }

    /// One past the last byte of the row.
    pub const fn end(&self) -> u64 {
        self.offset + self.count * self.width.span()
    }
}

/// A decoded access: the row's register and the access's byte offset within the row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit<R> {
    pub reg: R,
    pub at: u64,
}

impl<R> Hit<R> {
    /// Index of the (32-bit) word accessed within the row.
    pub fn word(&self) -> u32 {
        (self.at / 4) as u32
    }
}

/// Decodes an access of `size` bytes at `offset` against `table`.
pub fn decode<R: Copy>(
    table: &[RegDef<R>],
    offset: u64,
    size: u8,
    write: bool,
) -> Result<Hit<R>, DeviceError> {
    let row = table
        .iter()
        .find(|r| (r.offset..r.end()).contains(&offset))
        .ok_or(DeviceError::BadOffset { offset })?;
    // Sizes are powers of two: aligned when the low bits are clear.
    if !row.width.takes(size) || offset & (u64::from(size) - 1) != 0 {
        return Err(DeviceError::BadSize { offset, size });
    }
    let allowed = match row.rw {
        Rw::ReadWrite => true,
        Rw::ReadOnly => !write,
        Rw::WriteOnly => write,
        Rw::Neither => false,
    };
    if !allowed {
        return Err(DeviceError::BadOffset { offset });
    }
    Ok(Hit {
        reg: row.reg,
        at: offset - row.offset,
    })
}

/// Checks a table is sorted and its rows do not overlap (for the tables' tests).
#[cfg(test)]
pub fn assert_well_formed<R: std::fmt::Debug>(table: &[RegDef<R>]) {
    for pair in table.windows(2) {
        assert!(
            pair[0].end() <= pair[1].offset,
            "{:?} overlaps or follows {:?}",
            pair[0].reg,
            pair[1].reg
        );
    }
}

/// The value of a byte-field register access: `size` bytes from byte `first`, each given
/// by `byte` (little-endian, as the GIC's registers are).
pub fn read_bytes(first: u64, size: u8, mut byte: impl FnMut(u64) -> u8) -> u64 {
    (0..u64::from(size)).fold(0, |v, i| v | u64::from(byte(first + i)) << (8 * i))
}

/// Applies a byte-field register write: `set(n, b)` for each of the `size` bytes.
pub fn write_bytes(first: u64, size: u8, value: u64, mut set: impl FnMut(u64, u8)) {
    for i in 0..u64::from(size) {
        set(first + i, (value >> (8 * i)) as u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum T {
        Ctl,
        Prio,
        Wo,
        Route,
    }

    const TABLE: &[RegDef<T>] = &[
        RegDef::new(T::Ctl, 0x0, 1, Width::Word, Rw::ReadWrite),
        RegDef::new(T::Wo, 0x10, 1, Width::Word, Rw::WriteOnly),
        RegDef::new(T::Prio, 0x400, 2, Width::Bytes, Rw::ReadWrite),
        RegDef::new(T::Route, 0x6100, 2, Width::Dword, Rw::ReadOnly),
    ];

    fn bad_offset(offset: u64) -> DeviceError {
        DeviceError::BadOffset { offset }
    }

    fn bad_size(offset: u64, size: u8) -> DeviceError {
        DeviceError::BadSize { offset, size }
    }

    #[test]
    fn rows_are_found_with_the_offset_within_them() {
        assert_well_formed(TABLE);
        assert_eq!(decode(TABLE, 0x0, 4, true), Ok(Hit { reg: T::Ctl, at: 0 }));
        assert_eq!(
            decode(TABLE, 0x405, 1, false),
            Ok(Hit {
                reg: T::Prio,
                at: 5
            })
        );
        assert_eq!(
            decode(TABLE, 0x6108, 8, false),
            Ok(Hit {
                reg: T::Route,
                at: 8
            })
        );
        assert_eq!(
            decode(TABLE, 0x610c, 4, false),
            Ok(Hit {
                reg: T::Route,
                at: 12
            })
        );
    }

    #[test]
    fn reserved_offsets_and_wrong_directions_are_bad_offsets() {
        assert_eq!(decode(TABLE, 0x4, 4, false), Err(bad_offset(0x4)));
        assert_eq!(decode(TABLE, 0x408, 4, false), Err(bad_offset(0x408)));
        assert_eq!(decode(TABLE, 0x10, 4, false), Err(bad_offset(0x10)));
        assert_eq!(decode(TABLE, 0x6100, 8, true), Err(bad_offset(0x6100)));
    }

    #[test]
    fn widths_and_alignment_are_checked() {
        assert_eq!(decode(TABLE, 0x0, 1, false), Err(bad_size(0x0, 1)));
        assert_eq!(decode(TABLE, 0x0, 8, false), Err(bad_size(0x0, 8)));
        assert_eq!(decode(TABLE, 0x400, 2, false), Err(bad_size(0x400, 2)));
        assert_eq!(decode(TABLE, 0x402, 4, false), Err(bad_size(0x402, 4)));
        assert_eq!(decode(TABLE, 0x6104, 8, false), Err(bad_size(0x6104, 8)));
        assert_eq!(decode(TABLE, 0x6100, 1, false), Err(bad_size(0x6100, 1)));
    }

    #[test]
    fn byte_fields_are_little_endian() {
        assert_eq!(read_bytes(4, 4, |n| n as u8 * 0x11), 0x7766_5544);
        let mut got = vec![];
        write_bytes(8, 4, 0x0403_0201, |n, b| got.push((n, b)));
        assert_eq!(got, [(8, 1), (9, 2), (10, 3), (11, 4)]);
    }
}
