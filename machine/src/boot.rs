//! Where the boot loader puts the initrd, the device tree and its own stub in RAM, and how
//! vCPU 0 starts: QEMU's direct kernel boot (`hw/arm/boot.c`,
//! `arm_setup_direct_kernel_boot`), so a kernel sees the same addresses under both.
//!
//! - The initrd goes at RAM base + min(RAM/2, 128 MiB), or right after the kernel if that
//!   is higher, page-aligned ("far enough into RAM that the kernel will not clobber it").
//! - The DTB goes after the initrd (or where the initrd would be), 2 MiB-aligned: some
//!   arm64 kernels map the 2 MiB block around it early (QEMU's comment). booting.rst asks
//!   for 8-byte alignment and at most 2 MiB.
//! - Image and raw kernels start in a 40-byte stub at RAM base, QEMU's `bootloader_aarch64`:
//!   x0 = DTB address, x1 = x2 = x3 = 0 (booting.rst, "Call the kernel image"), then a
//!   branch to the kernel. A debugger's first stop is therefore RAM base.
//! - ELF files are entered directly at their entry point, as QEMU does; QEMU then puts the
//!   DTB at RAM base when the ELF leaves room below itself, and so do we. Unlike QEMU
//!   (which leaves x0 = 0 and ignores `-initrd` for ELF files) armvirt passes x0 = DTB and
//!   loads the initrd, which costs an ELF guest nothing.

use std::fmt;

use crate::loader::{Kernel, RamSpan, BOOT_STUB_RESERVED};
use crate::memmap::{Region, KIB, MIB};

/// The initrd sits at most this far above RAM base, unless the kernel reaches higher.
pub const INITRD_MAX_OFFSET: u64 = 128 * MIB;
/// The initrd is page-aligned (QEMU's TARGET_PAGE_ALIGN).
pub const INITRD_ALIGN: u64 = 4 * KIB;
/// The DTB is 2 MiB-aligned for AArch64 kernels (QEMU).
pub const DTB_ALIGN: u64 = 2 * MIB;
/// booting.rst: "The device tree blob (dtb) must be placed on an 8-byte boundary and must
/// not exceed 2 megabytes in size."
pub const DTB_MAX_SIZE: u64 = 2 * MIB;

// The boot stub, word by word (QEMU `bootloader_aarch64`; encodings from the Arm ARM,
// C6.2 "LDR (literal)", "ORR (shifted register)" as MOV, "BR").
/// `ldr x0, dtb` — LDR (literal), imm19 = 6: PC + 24, the DTB literal.
pub const STUB_LDR_X0_DTB: u32 = 0x5800_00c0;
/// `mov x1, xzr` (ORR x1, xzr, xzr).
pub const STUB_MOV_X1_XZR: u32 = 0xaa1f_03e1;
/// `mov x2, xzr`.
pub const STUB_MOV_X2_XZR: u32 = 0xaa1f_03e2;
/// `mov x3, xzr`.
pub const STUB_MOV_X3_XZR: u32 = 0xaa1f_03e3;
/// `ldr x4, entry` — LDR (literal), imm19 = 4: PC + 16, the entry literal.
pub const STUB_LDR_X4_ENTRY: u32 = 0x5800_0084;
/// `br x4`.
pub const STUB_BR_X4: u32 = 0xd61f_0080;
/// The six instructions; the two 64-bit literals (DTB, entry) follow.
pub const STUB_CODE: [u32; 6] = [
    STUB_LDR_X0_DTB,
    STUB_MOV_X1_XZR,
    STUB_MOV_X2_XZR,
    STUB_MOV_X3_XZR,
    STUB_LDR_X4_ENTRY,
    STUB_BR_X4,
];
/// Offset of the `dtb:` literal, then the `entry:` literal.
pub const STUB_DTB_LITERAL: usize = 24;
pub const STUB_ENTRY_LITERAL: usize = 32;
pub const STUB_SIZE: usize = 40;

/// The stub's bytes for a DTB at `dtb` and a kernel entered at `entry`.
pub fn stub_bytes(dtb: u64, entry: u64) -> [u8; STUB_SIZE] {
    let mut out = [0u8; STUB_SIZE];
    for (i, word) in STUB_CODE.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&word.to_le_bytes());
    }
    out[STUB_DTB_LITERAL..STUB_DTB_LITERAL + 8].copy_from_slice(&dtb.to_le_bytes());
    out[STUB_ENTRY_LITERAL..STUB_ENTRY_LITERAL + 8].copy_from_slice(&entry.to_le_bytes());
    out
}

/// No room for the initrd or the DTB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayoutError {
    NoRoomForInitrd { start: u64, ram_end: u64 },
    InitrdTooBig { start: u64, size: u64, ram_end: u64 },
    DtbTooBig { size: u64 },
    NoRoomForDtb { start: u64, size: u64, ram_end: u64 },
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::NoRoomForInitrd { start, ram_end } => write!(
                f,
                "no room for the initrd after the kernel: it would start at {start:#x}, \
                 RAM ends at {ram_end:#x}"
            ),
            LayoutError::InitrdTooBig {
                start,
                size,
                ram_end,
            } => write!(
                f,
                "the initrd ({size:#x} bytes at {start:#x}) does not fit in RAM, which ends \
                 at {ram_end:#x}; more memory (-m) may help"
            ),
            LayoutError::DtbTooBig { size } => write!(
                f,
                "the device tree is {size:#x} bytes; booting.rst allows at most {DTB_MAX_SIZE:#x}"
            ),
            LayoutError::NoRoomForDtb {
                start,
                size,
                ram_end,
            } => write!(
                f,
                "no room for the device tree ({size:#x} bytes at {start:#x}) after the \
                 kernel and initrd: RAM ends at {ram_end:#x}"
            ),
        }
    }
}

impl std::error::Error for LayoutError {}

const fn align_up(v: u64, align: u64) -> u64 {
    (v + align - 1) & !(align - 1)
}

/// Where the initrd goes (also where the DTB search starts when there is none).
pub fn initrd_start(ram: RamSpan, kernel: &Kernel) -> u64 {
    let start = ram.base + (ram.size / 2).min(INITRD_MAX_OFFSET);
    align_up(start.max(kernel.high), INITRD_ALIGN)
}

/// Places an initrd of `size` bytes.
pub fn place_initrd(ram: RamSpan, kernel: &Kernel, size: u64) -> Result<Region, LayoutError> {
    let start = initrd_start(ram, kernel);
    if start >= ram.end() {
        return Err(LayoutError::NoRoomForInitrd {
            start,
            ram_end: ram.end(),
        });
    }
    if size > ram.end() - start {
        return Err(LayoutError::InitrdTooBig {
            start,
            size,
            ram_end: ram.end(),
        });
    }
    Ok(Region::new(start, size))
}

/// Places a DTB of `size` bytes after the initrd (`initrd`, or where it would be).
pub fn place_dtb(
    ram: RamSpan,
    kernel: &Kernel,
    initrd: Option<Region>,
    size: u64,
) -> Result<Region, LayoutError> {
    if size > DTB_MAX_SIZE {
        return Err(LayoutError::DtbTooBig { size });
    }
    // QEMU, for ELF files: RAM base, when the DTB fits below the file's lowest byte.
    if !kernel.uses_stub && kernel.low - ram.base >= size {
        return Ok(Region::new(ram.base, size));
    }
    let after = initrd.map_or_else(|| initrd_start(ram, kernel), |r| r.end());
    let start = align_up(after, DTB_ALIGN);
    if start >= ram.end() || size > ram.end() - start {
        return Err(LayoutError::NoRoomForDtb {
            start,
            size,
            ram_end: ram.end(),
        });
    }
    Ok(Region::new(start, size))
}

/// How vCPU 0 starts and where everything was put.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Boot {
    /// vCPU 0's first PC: the stub, or the kernel's entry.
    pub pc: u64,
    /// x0–x3 at the first instruction (zero when the stub sets them).
    pub x: [u64; 4],
    /// The kernel's entry point (where the stub branches).
    pub entry: u64,
    /// The stub's address, when one is used.
    pub stub: Option<u64>,
    /// The kernel's extent, including BSS.
    pub kernel: Region,
    pub initrd: Option<Region>,
    pub dtb: Region,
}

/// vCPU 0's start for `kernel` with its DTB at `dtb`: through the stub at RAM base for
/// Image and raw kernels (a raw kernel that covers RAM base is entered directly with the
/// registers preset), directly for ELF files.
pub fn boot_entry(ram: RamSpan, kernel: &Kernel, initrd: Option<Region>, dtb: Region) -> Boot {
    let stub_fits = kernel.low >= ram.base + BOOT_STUB_RESERVED;
    let stub = (kernel.uses_stub && stub_fits).then_some(ram.base);
    let (pc, x) = match stub {
        Some(at) => (at, [0; 4]),
        None => (kernel.entry, [dtb.base, 0, 0, 0]),
    };
    Boot {
        pc,
        x,
        entry: kernel.entry,
        stub,
        kernel: Region::new(kernel.low, kernel.high - kernel.low),
        initrd,
        dtb,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::{KernelFormat, Segment};

    const GIB: u64 = 1 << 30;

    fn ram(size: u64) -> RamSpan {
        RamSpan {
            base: 0x4000_0000,
            size,
        }
    }

    fn kernel(low: u64, high: u64, uses_stub: bool) -> Kernel {
        let seg = Segment {
            addr: low,
            offset: 0,
            len: 0,
            mem_size: high - low,
        };
        let format = if uses_stub {
            KernelFormat::Image
        } else {
            KernelFormat::Elf
        };
        Kernel {
            format,
            data: vec![],
            segments: vec![seg],
            entry: low,
            low,
            high,
            uses_stub,
        }
    }

    #[test]
    fn stub_words_are_the_a64_encodings_of_its_assembly() {
        // Assembled independently by dynasm; the literals follow the code as in QEMU.
        use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
        let mut ops = dynasmrt::VecAssembler::<dynasmrt::aarch64::Aarch64Relocation>::new(0);
        dynasm!(ops
            ; .arch aarch64
            ; ldr x0, >dtb
            ; mov x1, xzr
            ; mov x2, xzr
            ; mov x3, xzr
            ; ldr x4, >entry
            ; br x4
            ; dtb:
            ; .u64 0x4800_0000
            ; entry:
            ; .u64 0x4020_0000
        );
        let expected = ops.finalize().unwrap();
        assert_eq!(stub_bytes(0x4800_0000, 0x4020_0000).to_vec(), expected);
    }

    #[test]
    fn stub_sets_linux_boot_registers_and_branches_on_the_interpreter() {
        use armvirt_cpu::testing::{Executor, TestCpu, RAM_BASE};
        let mut t = TestCpu::new(Executor::Interpreter);
        let (dtb, entry) = (0x4030_0000, RAM_BASE + 0x1000);
        t.write_bytes(RAM_BASE, &stub_bytes(dtb, entry));
        t.load_words(entry, &[]); // just the harness's end marker at the entry
        for n in 0..5 {
            t.set_x(n, 0xdead_0000 + n as u64);
        }
        t.run(); // reaching the end marker at `entry` is the branch's check
        assert_eq!(
            [t.x(0), t.x(1), t.x(2), t.x(3), t.x(4)],
            [dtb, 0, 0, 0, entry]
        );
    }

    #[test]
    fn one_gib_machine_puts_initrd_and_dtb_at_128_mib() {
        // QEMU 7.2, -m 1G, a 30 MiB Image: initrd at 0x48000000, DTB right after it.
        let k = kernel(0x4020_0000, 0x4020_0000 + 30 * MIB, true);
        let initrd = place_initrd(ram(GIB), &k, 0x12_3456).unwrap();
        assert_eq!(initrd, Region::new(0x4800_0000, 0x12_3456));
        let dtb = place_dtb(ram(GIB), &k, Some(initrd), 0x10_0000).unwrap();
        assert_eq!(dtb.base, 0x4820_0000);
        // Without an initrd, the DTB takes the initrd's place (QEMU: dtb at 0x48000000).
        assert_eq!(
            place_dtb(ram(GIB), &k, None, 0x10_0000).unwrap().base,
            0x4800_0000
        );
    }

    #[test]
    fn small_ram_puts_initrd_at_half() {
        let k = kernel(0x4020_0000, 0x4030_0000, true);
        assert_eq!(initrd_start(ram(128 * MIB), &k), 0x4400_0000);
    }

    #[test]
    fn initrd_never_overlaps_a_large_kernel() {
        let k = kernel(0x4020_0000, 0x4900_0123, true);
        assert_eq!(initrd_start(ram(GIB), &k), 0x4900_1000);
    }

    #[test]
    fn refusals_name_the_addresses() {
        let k = kernel(0x4020_0000, 0x4400_0000, true);
        let e = place_initrd(ram(64 * MIB), &k, 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no room for the initrd after the kernel: it would start at 0x44000000, RAM ends at 0x44000000"
        );
        let k = kernel(0x4020_0000, 0x4030_0000, true);
        let e = place_initrd(ram(64 * MIB), &k, 32 * MIB + 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the initrd (0x2000001 bytes at 0x42000000) does not fit in RAM, which ends at \
             0x44000000; more memory (-m) may help"
        );
        let e = place_dtb(ram(64 * MIB), &k, None, DTB_MAX_SIZE + 1).unwrap_err();
        assert_eq!(
            e,
            LayoutError::DtbTooBig {
                size: DTB_MAX_SIZE + 1
            }
        );
        // An initrd that fills RAM leaves no 2 MiB-aligned room for the DTB.
        let initrd = place_initrd(ram(64 * MIB), &k, 32 * MIB).unwrap();
        let e = place_dtb(ram(64 * MIB), &k, Some(initrd), 0x1000).unwrap_err();
        assert!(matches!(
            e,
            LayoutError::NoRoomForDtb {
                start: 0x4400_0000,
                ..
            }
        ));
    }

    #[test]
    fn image_boots_through_the_stub() {
        let k = kernel(0x4020_0000, 0x4030_0000, true);
        let dtb = Region::new(0x4800_0000, 0x1000);
        let b = boot_entry(ram(GIB), &k, None, dtb);
        assert_eq!(
            (b.pc, b.x, b.stub, b.entry),
            (0x4000_0000, [0; 4], Some(0x4000_0000), 0x4020_0000)
        );
    }

    #[test]
    fn raw_kernel_at_ram_base_is_entered_directly_with_x0_set() {
        let mut k = kernel(0x4000_0000, 0x4000_1000, true);
        k.format = KernelFormat::Raw;
        let dtb = Region::new(0x4800_0000, 0x1000);
        let b = boot_entry(ram(GIB), &k, None, dtb);
        assert_eq!(
            (b.pc, b.x, b.stub),
            (0x4000_0000, [0x4800_0000, 0, 0, 0], None)
        );
    }

    #[test]
    fn elf_gets_dtb_at_ram_base_when_it_fits_below() {
        let k = kernel(0x4008_0000, 0x4010_0000, false);
        let dtb = place_dtb(ram(GIB), &k, None, 0x8_0000).unwrap();
        assert_eq!(dtb.base, 0x4000_0000);
        let b = boot_entry(ram(GIB), &k, None, dtb);
        assert_eq!((b.pc, b.x[0], b.stub), (0x4008_0000, 0x4000_0000, None));
        // One byte too big for the gap: after the (absent) initrd instead.
        assert_eq!(
            place_dtb(ram(GIB), &k, None, 0x8_0001).unwrap().base,
            0x4800_0000
        );
    }
}
