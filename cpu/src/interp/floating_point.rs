//! What every scalar floating-point and AdvSIMD handler shares: the CPACR_EL1.FPEN access
//! check, the ptype field's formats, scalar register access and the FPSR update.

use crate::cpu::Cpu;
use crate::exception::{ec, Exception};
use crate::fp::{Fmt, Fp, D, H, S};
use crate::insn::Insn;

/// CPACR_EL1.FPEN, bits 21:20 (Arm ARM D17.2.30).
const CPACR_FPEN_SHIFT: u32 = 20;
/// FPEN = 0b01: EL0 accesses trap, EL1 ones do not.
const FPEN_EL0_TRAPS: u64 = 0b01;
/// FPEN = 0b11: nothing traps.
const FPEN_NO_TRAP: u64 = 0b11;

/// ISS of a trapped A64 FP/AdvSIMD access: CV = 1, COND = 0b1110 (as QEMU reports it).
const FP_ACCESS_ISS: u32 = 1 << 24 | 0b1110 << 20;

/// CheckFPAdvSIMDEnabled64() (Arm ARM J1, AArch64.CheckFPAdvSIMDEnabled): the trap to EL1
/// (EC 0x07) of an FP or AdvSIMD instruction, or of an FPCR/FPSR access, that
/// CPACR_EL1.FPEN disables at the current EL. FPEN 0b00 and 0b10 disable EL0 and EL1;
/// 0b01 disables EL0 only. Call it after the decode-time UNDEFINED checks.
pub fn check_fp_enabled(cpu: &Cpu) -> Result<(), Exception> {
    let fpen = cpu.sys.cpacr_el1 >> CPACR_FPEN_SHIFT & 3;
    let enabled = fpen == FPEN_NO_TRAP || (fpen == FPEN_EL0_TRAPS && cpu.s.el != 0);
    if enabled {
        Ok(())
    } else {
        Err(Exception::new(ec::FP_ACCESS, FP_ACCESS_ISS))
    }
}

/// The format a scalar instruction's ptype (bits 23:22) selects for arithmetic: single
/// or double. 0b11 is half precision, which needs FEAT_FP16 (v8.2) and so is UNDEFINED on
/// the A72, like the reserved 0b10.
pub fn arith_fmt(i: Insn) -> Option<Fmt> {
    match i.bits(23, 22) {
        0b00 => Some(S),
        0b01 => Some(D),
        _ => None,
    }
}

/// The format of a 2-bit type field where half precision is a storage format (FCVT).
pub fn storage_fmt(t: u32) -> Option<Fmt> {
    match t {
        0b00 => Some(S),
        0b01 => Some(D),
        0b11 => Some(H),
        _ => None,
    }
}

/// The low `fmt.n` bits of Vn.
pub fn read_scalar(cpu: &Cpu, fmt: Fmt, n: u32) -> u64 {
    cpu.s.v[n as usize] as u64 & fmt.mask()
}

/// Writes a scalar to Vd, zeroing the rest of the 128-bit register.
pub fn write_scalar(cpu: &mut Cpu, fmt: Fmt, d: u32, v: u64) {
    cpu.s.v[d as usize] = (v & fmt.mask()) as u128;
}

/// The floating-point environment of an instruction about to execute.
pub fn fp_env(cpu: &Cpu) -> Fp {
    Fp::new(cpu.s.fpcr)
}

/// Accumulates an operation's exception flags into FPSR.
pub fn commit_flags(cpu: &mut Cpu, fp: &Fp) {
    cpu.s.fpsr |= fp.flags;
}

/// Returns from a handler with the FP access trap, if FPEN disables FP here.
macro_rules! fp_enabled_or_trap {
    ($cpu:expr) => {
        if let Err(e) = $crate::interp::floating_point::check_fp_enabled($cpu) {
            return $crate::exec::Flow::Exception(e);
        }
    };
}
pub(crate) use fp_enabled_or_trap;

/// Returns UNDEFINED from a handler when the option is `None`.
macro_rules! or_undefined {
    ($e:expr) => {
        match $e {
            Some(v) => v,
            None => return $crate::interp::undefined(),
        }
    };
}
pub(crate) use or_undefined;

#[cfg(test)]
mod tests {
    use crate::a64;
    use crate::decode::decode;

    #[test]
    fn scalar_fp_encodings_find_their_rows() {
        let cases: &[(Vec<u8>, &str)] = &[
            (a64!(; fcvtzs w0, s1, 4), "FP conversion (fixed-point)"),
            (a64!(; ucvtf d0, x1), "FP conversion (integer)"),
            (a64!(; fmov v0.d[1], x1), "FP conversion (integer)"),
            (a64!(; fsqrt d0, d1), "FP data-processing (1 source)"),
            (a64!(; fcvt h0, d1), "FP data-processing (1 source)"),
            (a64!(; fcmpe s1, 0.0), "FP compare"),
            (a64!(; fccmp d1, d2, 3, ne), "FP conditional compare"),
            (a64!(; fnmul s0, s1, s2), "FP data-processing (2 source)"),
            (a64!(; fcsel d0, d1, d2, eq), "FP conditional select"),
            (
                a64!(; fnmsub d0, d1, d2, d3),
                "FP data-processing (3 source)",
            ),
        ];
        for (code, row) in cases {
            let word = u32::from_le_bytes(code[..4].try_into().unwrap());
            assert_eq!(decode(word).name(), *row, "{word:#010x}");
        }
        // fmov s0, #1.0 (dynasm has no syntax for FP immediates).
        assert_eq!(decode(0x1e2e_1000).name(), "FP immediate");
    }
}

/// Helpers for the floating-point instruction tests: a program framed by `msr fpcr, x9`
/// and `mrs x10, fpsr`, run with chosen FPCR and source registers.
#[cfg(test)]
pub mod test_support {
    use crate::testing::{TestCpu, RAM_BASE};

    /// CPACR_EL1 with FPEN = 0b11: nothing traps.
    pub const FPEN_ALL: u64 = 3 << 20;
    /// What V0 (every test's destination) holds before the instruction runs, so that the
    /// zeroing of its upper bits is checked.
    pub const GARBAGE: u128 = 0xdead_beef_0bad_f00d_dead_beef_0bad_f00d;
    /// FPCR values.
    pub const RN: u64 = 0;
    pub const RP: u64 = 1 << 22;
    pub const RM: u64 = 2 << 22;
    pub const RZ: u64 = 3 << 22;
    pub const FZ: u64 = 1 << 24;
    pub const DN: u64 = 1 << 25;
    pub const AHP: u64 = 1 << 26;
    /// FPSR flags.
    pub const IOC: u32 = 1;
    pub const DZC: u32 = 2;
    pub const OFC: u32 = 4;
    pub const UFC: u32 = 8;
    pub const IXC: u32 = 0x10;
    pub const IDC: u32 = 0x80;

    /// MSR/MRS encodings of FPCR and FPSR (op0:op1:CRn:CRm:op2 = 3:3:4:4:0 and :1, as
    /// dynasm takes them).
    pub const FPCR_REG: u32 = 0x5a20;
    pub const FPSR_REG: u32 = 0x5a21;

    /// Loads `code` framed by `msr fpcr, x9` before and `mrs x10, fpsr` after.
    pub fn load(t: &mut TestCpu, code: &[u8]) {
        let mut all = crate::a64!(; msr FPCR_REG, x9);
        all.extend_from_slice(code);
        all.extend_from_slice(&crate::a64!(; mrs x10, FPSR_REG));
        t.load(&all);
    }

    /// Runs the loaded program with FP enabled, FPCR = `fpcr`, FPSR clear, V0 garbage and
    /// V1, V2, ... = `ops`. Returns V0 and FPSR as the program read it.
    pub fn run(t: &mut TestCpu, fpcr: u64, ops: &[u128]) -> (u128, u32) {
        t.cpu.sys.cpacr_el1 = FPEN_ALL;
        t.cpu.s.pc = RAM_BASE;
        t.cpu.s.fpsr = 0;
        t.cpu.s.v[0] = GARBAGE;
        for (i, v) in ops.iter().enumerate() {
            t.cpu.s.v[i + 1] = *v;
        }
        t.set_x(9, fpcr);
        t.run();
        (t.cpu.s.v[0], t.x(10) as u32)
    }

    /// Runs one instruction word expected to take a synchronous exception to EL1 (at
    /// EL1h, or from EL0 when `el0`); returns ESR_EL1.
    pub fn run_faulting(t: &mut TestCpu, word: u32, el0: bool) -> u64 {
        const VBAR: u64 = RAM_BASE + 0x1000;
        t.load_words(RAM_BASE, &[word]);
        t.cpu.sys.vbar_el1 = VBAR;
        // The end marker at both the current-EL and the lower-EL synchronous vectors.
        t.load_words(VBAR + 0x200, &[]);
        t.load_words(VBAR + 0x400, &[]);
        t.cpu.s.pc = RAM_BASE;
        if el0 {
            t.cpu.s.set_el_spsel(0, 0);
        }
        t.run();
        assert_eq!(t.cpu.sys.elr_el1, RAM_BASE, "the faulting instruction");
        t.cpu.sys.esr_el1
    }
}
