//! Synchronous exceptions and their entry to EL1 (Arm ARM D1.10, "Exception entry";
//! the syndrome encodings of D17.2.37, ESR_EL1).

use crate::cpu::Cpu;

/// Exception classes (ESR_ELx.EC) this core raises.
pub mod ec {
    pub const UNKNOWN: u8 = 0x00;
    pub const WFX: u8 = 0x01;
    pub const FP_ACCESS: u8 = 0x07;
    pub const ILLEGAL_STATE: u8 = 0x0e;
    pub const SVC64: u8 = 0x15;
    pub const HVC64: u8 = 0x16;
    pub const SMC64: u8 = 0x17;
    pub const SYSREG: u8 = 0x18;
    pub const IABT_LOWER: u8 = 0x20;
    pub const IABT_CUR: u8 = 0x21;
    pub const PC_ALIGN: u8 = 0x22;
    pub const DABT_LOWER: u8 = 0x24;
    pub const DABT_CUR: u8 = 0x25;
    pub const SP_ALIGN: u8 = 0x26;
    pub const FP_EXC64: u8 = 0x2c;
    pub const SERROR: u8 = 0x2f;
    pub const BREAKPOINT_LOWER: u8 = 0x30;
    pub const BREAKPOINT_CUR: u8 = 0x31;
    pub const SOFTSTEP_LOWER: u8 = 0x32;
    pub const SOFTSTEP_CUR: u8 = 0x33;
    pub const WATCHPOINT_LOWER: u8 = 0x34;
    pub const WATCHPOINT_CUR: u8 = 0x35;
    pub const BRK64: u8 = 0x3c;
}

/// Data/instruction fault status codes (ESR_ELx.ISS.{D,I}FSC).
pub mod fsc {
    pub const ADDRESS_SIZE_L0: u32 = 0x00;
    pub const TRANSLATION_L0: u32 = 0x04;
    pub const ACCESS_FLAG_L0: u32 = 0x08;
    pub const PERMISSION_L0: u32 = 0x0c;
    pub const SYNC_EXTERNAL: u32 = 0x10;
    pub const ALIGNMENT: u32 = 0x21;
}

/// A synchronous exception about to be taken to EL1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exception {
    pub ec: u8,
    /// ESR_EL1.ISS, bits 24:0.
    pub iss: u32,
    /// FAR_EL1 value for aborts and alignment faults.
    pub far: Option<u64>,
    /// The preferred return address is the next instruction (SVC, HVC, SMC) rather than
    /// the faulting one.
    pub return_next: bool,
}

impl Exception {
    /// An UNDEFINED instruction (EC 0, IL 1).
    pub const fn undefined() -> Self {
        Exception {
            ec: ec::UNKNOWN,
            iss: 0,
            far: None,
            return_next: false,
        }
    }

    pub const fn new(ec: u8, iss: u32) -> Self {
        Exception {
            ec,
            iss,
            far: None,
            return_next: false,
        }
    }

    /// ESR_EL1 value: EC, IL = 1 (every A64 instruction is 32 bits), ISS.
    pub fn esr(&self) -> u64 {
        ((self.ec as u64) << 26) | (1 << 25) | (self.iss as u64 & 0x1ff_ffff)
    }
}

/// Offsets into the vector table from VBAR_EL1 (Arm ARM D1.10.2).
pub mod vector {
    pub const CURRENT_SP0: u64 = 0x000;
    pub const CURRENT_SPX: u64 = 0x200;
    pub const LOWER_A64: u64 = 0x400;
    pub const SYNC: u64 = 0x000;
    pub const IRQ: u64 = 0x080;
    pub const FIQ: u64 = 0x100;
    pub const SERROR: u64 = 0x180;
}

impl Cpu {
    /// Takes a synchronous exception to EL1: ESR/FAR/ELR/SPSR, PSTATE, and the vector.
    pub fn take_exception(&mut self, e: Exception) {
        let ret = if e.return_next {
            self.s.pc.wrapping_add(4)
        } else {
            self.s.pc
        };
        if matches!(
            e.ec,
            ec::IABT_LOWER | ec::IABT_CUR | ec::DABT_LOWER | ec::DABT_CUR
        ) {
            crate::log!(
                crate::log::Category::Mmu,
                "vCPU {}: {} abort, fault status {:#04x}{} at VA {:#018x}, pc {:#018x}",
                self.index,
                if e.ec <= ec::IABT_CUR {
                    "instruction"
                } else {
                    "data"
                },
                e.iss & 0x3f,
                if e.iss & (1 << 6) != 0 && e.ec >= ec::DABT_LOWER {
                    " (write)"
                } else {
                    ""
                },
                e.far.unwrap_or(0),
                self.s.pc
            );
        }
        self.sys.esr_el1 = e.esr();
        if let Some(far) = e.far {
            self.sys.far_el1 = far;
        }
        self.enter_el1(ret, vector::SYNC);
    }

    /// Takes an asynchronous exception (IRQ, FIQ, SError) whose return address is `pc`.
    pub fn take_interrupt(&mut self, kind: u64) {
        let pc = self.s.pc;
        crate::log!(
            crate::log::Category::Int,
            "vCPU {}: {} at pc {:#018x} (EL{})",
            self.index,
            match kind {
                vector::IRQ => "IRQ",
                vector::FIQ => "FIQ",
                _ => "SError",
            },
            pc,
            self.s.el
        );
        self.enter_el1(pc, kind);
    }

    fn enter_el1(&mut self, ret: u64, kind: u64) {
        let base = if self.s.el == 0 {
            vector::LOWER_A64
        } else if self.s.spsel == 0 {
            vector::CURRENT_SP0
        } else {
            vector::CURRENT_SPX
        };
        self.sys.spsr_el1 = self.s.pstate_to_spsr();
        self.sys.elr_el1 = ret;
        self.s.set_el_spsel(1, 1);
        self.s.daif = crate::state::DAIF_MASK;
        self.s.ss = 0;
        self.s.il = 0;
        self.s.pc = self.sys.vbar_el1.wrapping_add(base + kind);
    }
}

#[cfg(test)]
mod tests {
    use crate::a64;
    use crate::cpu_test;

    cpu_test! {
        fn an_unmasked_irq_enters_the_irq_vector(t) {
            // Unmask IRQs; the pending line is taken at the next block boundary.
            t.load(&a64!(; msr daifclr, 2 ; nop ; nop));
            t.cpu.sys.vbar_el1 = 0x4000_1000;
            t.load_words(0x4000_1000 + 0x280, &[]); // current EL with SP_ELx, IRQ
            t.cpu.lines.set_irq(true);
            t.run();
            assert_eq!(t.cpu.sys.elr_el1, 0x4000_0004); // the instruction after the MSR
            assert_eq!(t.cpu.sys.spsr_el1 & 0x3cf, 0x345); // D, A, F still set, I clear; EL1h
            assert_eq!(t.cpu.s.daif, 0x3c0);
        }

        fn a_masked_irq_waits(t) {
            t.load(&a64!(; nop ; nop));
            t.cpu.lines.set_irq(true);
            t.run(); // DAIF.I is set at reset: the program runs to its end marker
            assert_eq!(t.cpu.s.pc, 0x4000_000c); // past the end marker
        }
    }
}
