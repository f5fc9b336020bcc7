//! The architectural state of one A64 processing element, laid out for generated code.
//!
//! `#[repr(C)]` so the JIT can address registers by fixed offsets from one base pointer.
//! Register 31 is the stack pointer in `x[31]`: the *current* SP (SP_EL0 or SP_ELx, as
//! PSTATE.SPSel and the exception level select). The banked copy of the other one lives in
//! `sp_el0`/`sp_el1` and is swapped in by [`CpuState::set_el_spsel`]. Reads of register 31 as
//! XZR never touch `x[31]` (see [`CpuState::xr`]).

/// PSTATE.{N,Z,C,V} bit positions, as in NZCV and SPSR_ELx (Arm ARM C5.2.10).
pub const NZCV_N: u32 = 1 << 31;
pub const NZCV_Z: u32 = 1 << 30;
pub const NZCV_C: u32 = 1 << 29;
pub const NZCV_V: u32 = 1 << 28;

/// PSTATE.{D,A,I,F} bit positions, as in DAIF and SPSR_ELx (Arm ARM C5.2.2).
pub const DAIF_D: u32 = 1 << 9;
pub const DAIF_A: u32 = 1 << 8;
pub const DAIF_I: u32 = 1 << 7;
pub const DAIF_F: u32 = 1 << 6;
pub const DAIF_MASK: u32 = DAIF_D | DAIF_A | DAIF_I | DAIF_F;

#[repr(C, align(16))]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CpuState {
    /// X0–X30, and the current stack pointer in slot 31.
    pub x: [u64; 32],
    /// Program counter of the instruction being executed.
    pub pc: u64,
    /// PSTATE.NZCV in bits 31:28 (the NZCV register's layout); other bits zero.
    pub nzcv: u32,
    /// PSTATE.DAIF in bits 9:6 (the DAIF register's layout); other bits zero.
    pub daif: u32,
    /// Current exception level, 0 or 1.
    pub el: u8,
    /// PSTATE.SPSel: 0 selects SP_EL0 at every EL, 1 selects SP_ELx.
    pub spsel: u8,
    /// PSTATE.SS (software step) and PSTATE.IL, kept for SPSR round trips.
    pub ss: u8,
    pub il: u8,
    /// PSTATE.PAN (0 on the A72, which is v8.0; kept so SPSR writes round-trip).
    pub pan: u8,
    pub _pad: [u8; 3],
    /// Banked stack pointers; the one in use is mirrored in `x[31]`.
    pub sp_el0: u64,
    pub sp_el1: u64,
    /// AdvSIMD/FP registers V0–V31.
    pub v: [u128; 32],
    pub fpcr: u32,
    pub fpsr: u32,
}

impl Default for CpuState {
    fn default() -> Self {
        CpuState {
            x: [0; 32],
            pc: 0,
            nzcv: 0,
            daif: DAIF_MASK,
            el: 1,
            spsel: 1,
            ss: 0,
            il: 0,
            pan: 0,
            _pad: [0; 3],
            sp_el0: 0,
            sp_el1: 0,
            v: [0; 32],
            fpcr: 0,
            fpsr: 0,
        }
    }
}

impl CpuState {
    /// Reads Xn with register 31 as XZR.
    #[inline(always)]
    pub fn xr(&self, n: u32) -> u64 {
        if n == 31 {
            0
        } else {
            self.x[n as usize]
        }
    }

    /// Reads Xn with register 31 as the current SP.
    #[inline(always)]
    pub fn xsp(&self, n: u32) -> u64 {
        self.x[n as usize]
    }

    /// Writes Xn with register 31 as XZR (the write is discarded).
    #[inline(always)]
    pub fn set_xr(&mut self, n: u32, v: u64) {
        if n != 31 {
            self.x[n as usize] = v;
        }
    }

    /// Writes Xn with register 31 as the current SP.
    #[inline(always)]
    pub fn set_xsp(&mut self, n: u32, v: u64) {
        self.x[n as usize] = v;
    }

    /// Writes Xn (sf = 1) or Wn zero-extended (sf = 0), register 31 as XZR.
    #[inline(always)]
    pub fn set_rr(&mut self, sf: bool, n: u32, v: u64) {
        self.set_xr(n, if sf { v } else { v as u32 as u64 });
    }

    /// Writes Xn (sf = 1) or Wn zero-extended (sf = 0), register 31 as SP.
    #[inline(always)]
    pub fn set_rsp(&mut self, sf: bool, n: u32, v: u64) {
        self.set_xsp(n, if sf { v } else { v as u32 as u64 });
    }

    /// Reads Xn or Wn (zero-extended), register 31 as XZR.
    #[inline(always)]
    pub fn rr(&self, sf: bool, n: u32) -> u64 {
        let v = self.xr(n);
        if sf {
            v
        } else {
            v as u32 as u64
        }
    }

    /// Reads Xn or Wn (zero-extended), register 31 as SP.
    #[inline(always)]
    pub fn rsp(&self, sf: bool, n: u32) -> u64 {
        let v = self.xsp(n);
        if sf {
            v
        } else {
            v as u32 as u64
        }
    }

    /// Condition flags as booleans (N, Z, C, V).
    #[inline(always)]
    pub fn flags(&self) -> (bool, bool, bool, bool) {
        (
            self.nzcv & NZCV_N != 0,
            self.nzcv & NZCV_Z != 0,
            self.nzcv & NZCV_C != 0,
            self.nzcv & NZCV_V != 0,
        )
    }

    #[inline(always)]
    pub fn set_flags(&mut self, n: bool, z: bool, c: bool, v: bool) {
        self.nzcv = (n as u32) << 31 | (z as u32) << 30 | (c as u32) << 29 | (v as u32) << 28;
    }

    /// ConditionHolds() of the Arm ARM (J1.3), for B.cond, CSEL, CCMP and friends.
    #[inline(always)]
    pub fn condition_holds(&self, cond: u32) -> bool {
        let (n, z, c, v) = self.flags();
        let base = match cond >> 1 {
            0 => z,
            1 => c,
            2 => n,
            3 => v,
            4 => c && !z,
            5 => n == v,
            6 => n == v && !z,
            _ => true,
        };
        if cond & 1 == 1 && cond != 0b1111 {
            !base
        } else {
            base
        }
    }

    /// The SP register slot PSTATE currently selects: 0 for SP_EL0, 1 for SP_EL1.
    #[inline(always)]
    pub fn sp_index(&self) -> u8 {
        if self.el == 0 || self.spsel == 0 {
            0
        } else {
            1
        }
    }

    /// Saves the live SP into its bank.
    pub fn bank_sp(&mut self) {
        match self.sp_index() {
            0 => self.sp_el0 = self.x[31],
            _ => self.sp_el1 = self.x[31],
        }
    }

    /// Changes EL and SPSel, swapping the live stack pointer to the newly selected bank.
    pub fn set_el_spsel(&mut self, el: u8, spsel: u8) {
        self.bank_sp();
        self.el = el;
        self.spsel = spsel;
        self.x[31] = match self.sp_index() {
            0 => self.sp_el0,
            _ => self.sp_el1,
        };
    }

    /// Reads SP_EL0 or SP_EL1 wherever it currently lives (banked or live).
    pub fn sp_el(&self, el: u8) -> u64 {
        if self.sp_index() == el {
            self.x[31]
        } else if el == 0 {
            self.sp_el0
        } else {
            self.sp_el1
        }
    }

    pub fn set_sp_el(&mut self, el: u8, v: u64) {
        if self.sp_index() == el {
            self.x[31] = v;
        } else if el == 0 {
            self.sp_el0 = v;
        } else {
            self.sp_el1 = v;
        }
    }

    /// PSTATE packed as SPSR_EL1 holds it for an AArch64 source (Arm ARM C5.2.18).
    pub fn pstate_to_spsr(&self) -> u64 {
        let m = (self.el as u32) << 2 | if self.el == 0 { 0 } else { self.spsel as u32 };
        (self.nzcv
            | (self.pan as u32) << 22
            | (self.ss as u32) << 21
            | (self.il as u32) << 20
            | self.daif
            | m) as u64
    }

    /// Restores PSTATE from an SPSR value (ERET). Returns false for an illegal return
    /// (an AArch32 or higher-EL target), which the caller turns into PSTATE.IL.
    pub fn spsr_to_pstate(&mut self, spsr: u64) -> bool {
        let spsr = spsr as u32;
        let m = spsr & 0x1f;
        let (el, spsel) = match m {
            0b00000 => (0, 0),
            0b00100 => (1, 0),
            0b00101 => (1, 1),
            _ => return false,
        };
        self.nzcv = spsr & 0xf000_0000;
        self.daif = spsr & DAIF_MASK;
        self.ss = (spsr >> 21 & 1) as u8;
        self.il = (spsr >> 20 & 1) as u8;
        self.pan = (spsr >> 22 & 1) as u8;
        self.set_el_spsel(el, spsel);
        true
    }

    /// Vn as a 64-bit scalar (the low half), for FP/SIMD code.
    #[inline(always)]
    pub fn d(&self, n: u32) -> u64 {
        self.v[n as usize] as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_31_is_zero_or_sp_by_accessor() {
        let mut s = CpuState::default();
        s.set_xsp(31, 0x1000);
        assert_eq!(s.xr(31), 0);
        assert_eq!(s.xsp(31), 0x1000);
        s.set_xr(31, 5);
        assert_eq!(s.xsp(31), 0x1000);
    }

    #[test]
    fn sp_banks_follow_el_and_spsel() {
        let mut s = CpuState::default();
        s.x[31] = 0x8000; // SP_EL1 live at reset (EL1h)
        s.set_el_spsel(0, 0);
        s.x[31] = 0x4000; // SP_EL0
        s.set_el_spsel(1, 1);
        assert_eq!(s.x[31], 0x8000);
        assert_eq!(s.sp_el(0), 0x4000);
        s.set_el_spsel(1, 0); // EL1t uses SP_EL0
        assert_eq!(s.x[31], 0x4000);
        assert_eq!(s.sp_el(1), 0x8000);
    }

    #[test]
    fn spsr_round_trip() {
        let s = CpuState {
            nzcv: NZCV_N | NZCV_C,
            daif: DAIF_I | DAIF_F,
            ..Default::default()
        };
        let spsr = s.pstate_to_spsr();
        assert_eq!(spsr, 0xa000_00c5);
        let mut t = CpuState::default();
        assert!(t.spsr_to_pstate(spsr));
        assert_eq!((t.nzcv, t.daif, t.el, t.spsel), (s.nzcv, s.daif, 1, 1));
        assert!(!t.spsr_to_pstate(0b01001)); // EL2h: not implemented
    }

    #[test]
    fn conditions_follow_the_arm_arm_table() {
        let mut s = CpuState::default();
        s.set_flags(false, true, false, false);
        assert!(s.condition_holds(0b0000)); // EQ
        assert!(!s.condition_holds(0b0001)); // NE
        assert!(s.condition_holds(0b1001)); // LS: !C || Z
        assert!(s.condition_holds(0b1110)); // AL
        assert!(s.condition_holds(0b1111)); // NV behaves as AL
        s.set_flags(true, false, false, false);
        assert!(s.condition_holds(0b1011)); // LT: N != V
        assert!(!s.condition_holds(0b1100)); // GT
    }
}
