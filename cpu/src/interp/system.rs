//! System instructions: hints, barriers, CLREX, MSR (immediate), MRS/MSR (register),
//! SYS/SYSL (cache, TLB and address-translation maintenance) and ERET (Arm ARM C5, C6.2).
//!
//! System registers themselves are the table in `sysreg.rs`. A register or maintenance
//! operation this core does not model yet stops the machine with a diagnostic rather than
//! pretending; an encoding the architecture leaves unallocated is UNDEFINED.

use crate::cpu::Cpu;
use crate::exception::{ec, Exception};
use crate::exec::{Exit, Flow};
use crate::insn::Insn;
use crate::mem::{Access, Mem};
use crate::mmu::TlbiOp;
use crate::sysreg;

/// SCTLR_EL1 bits that open EL0 access to what is otherwise EL1's (Arm ARM D17.2.118).
const SCTLR_UMA: u64 = 1 << 9;
const SCTLR_DZE: u64 = 1 << 14;
const SCTLR_UCT: u64 = 1 << 15;
const SCTLR_NTWI: u64 = 1 << 16;
const SCTLR_NTWE: u64 = 1 << 18;

/// CNTKCTL_EL1 bits that open the timer registers to EL0 (Arm ARM D17.8.3).
const CNTKCTL_EL0PCTEN: u64 = 1 << 0;
const CNTKCTL_EL0VCTEN: u64 = 1 << 1;
const CNTKCTL_EL0VTEN: u64 = 1 << 8;
const CNTKCTL_EL0PTEN: u64 = 1 << 9;

/// DC ZVA block size in bytes (DCZID_EL0.BS = 4 words... 2^4 words = 64 bytes).
pub const DC_ZVA_BYTES: u64 = 64;

/// The fields of an MRS/MSR/SYS instruction: op0, op1, CRn, CRm, op2, Rt.
#[derive(Clone, Copy, Debug)]
struct SysFields {
    op0: u32,
    op1: u32,
    crn: u32,
    crm: u32,
    op2: u32,
    rt: u32,
    read: bool,
}

impl SysFields {
    fn of(i: Insn) -> Self {
        SysFields {
            op0: i.bits(20, 19),
            op1: i.bits(18, 16),
            crn: i.bits(15, 12),
            crm: i.bits(11, 8),
            op2: i.bits(7, 5),
            rt: i.rt(),
            read: i.bit(21),
        }
    }

    /// The trap of a system access to EL1: EC 0x18 with the ISS of Arm ARM D17.2.37.
    fn trap(&self) -> Flow {
        let iss = (self.op0 << 20)
            | (self.op2 << 17)
            | (self.op1 << 14)
            | (self.crn << 10)
            | (self.rt << 5)
            | (self.crm << 1)
            | self.read as u32;
        Flow::Exception(Exception::new(ec::SYSREG, iss))
    }
}

/// ERET: returns to ELR_EL1 with PSTATE from SPSR_EL1 (Arm ARM D1.11, "Exception return").
pub fn eret(cpu: &mut Cpu, m: &mut Mem<'_>, _: Insn) -> Flow {
    if cpu.s.el == 0 {
        return super::undefined();
    }
    // An exception return clears the local exclusive monitor (Arm ARM B2.9.5) and sets
    // the event register (D1.16.1).
    m.monitors.clear(cpu.index);
    cpu.event = true;
    let (spsr, elr) = (cpu.sys.spsr_el1, cpu.sys.elr_el1);
    if cpu.s.spsr_to_pstate(spsr) {
        cpu.s.pc = elr;
        return Flow::Jump;
    }
    // Illegal return (to EL2/EL3 or AArch32, none of which exist): PSTATE.IL is set and the
    // next instruction takes an Illegal Execution State exception (D1.11.4). Taking it here
    // has the same effect: ELR = that instruction, SPSR.IL = 1.
    cpu.s.pc = elr;
    cpu.s.il = 1;
    Flow::Exception(Exception::new(ec::ILLEGAL_STATE, 0))
}

/// Hints (C6.2.97): NOP, YIELD, WFE, WFI, SEV, SEVL; unallocated hints execute as NOP.
pub fn hint(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    const WFE: u32 = 2;
    const WFI: u32 = 3;
    const SEV: u32 = 4;
    const SEVL: u32 = 5;
    let op = i.bits(11, 5);
    let at_el0 = cpu.s.el == 0;
    match op {
        WFI if at_el0 && cpu.sys.sctlr_el1 & SCTLR_NTWI == 0 => {
            Flow::Exception(Exception::new(ec::WFX, 1 << 24))
        }
        WFI => {
            cpu.s.pc = cpu.s.pc.wrapping_add(4);
            Flow::Exit(Exit::Wfi)
        }
        // Hint_WFE: a set event register is cleared and WFE completes; only a WFE that
        // would wait traps from EL0 (D1.16.1, C6.2.353).
        WFE if cpu.take_event(m.monitors) => Flow::Next,
        WFE if at_el0 && cpu.sys.sctlr_el1 & SCTLR_NTWE == 0 => {
            Flow::Exception(Exception::new(ec::WFX, (1 << 24) | 1))
        }
        WFE => {
            cpu.s.pc = cpu.s.pc.wrapping_add(4);
            Flow::Exit(Exit::Wfe)
        }
        SEV => {
            m.monitors.signal_all();
            Flow::Next
        }
        SEVL => {
            cpu.event = true;
            Flow::Next
        }
        _ => Flow::Next,
    }
}

pub fn clrex(cpu: &mut Cpu, m: &mut Mem<'_>, _: Insn) -> Flow {
    m.monitors.clear(cpu.index);
    Flow::Next
}

/// DMB, DSB, ISB. Accesses are performed in program order on one host thread, so barriers
/// have nothing to wait for; ISB ends the block (its row says so) to resynchronise context.
pub fn barrier(_: &mut Cpu, _: &mut Mem<'_>, _: Insn) -> Flow {
    Flow::Next
}

/// MSR (immediate): writes to PSTATE fields (C6.2.193).
pub fn msr_imm(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let f = SysFields::of(i);
    let imm = f.crm;
    match (f.op1, f.op2) {
        // SPSel
        (0, 5) => {
            if cpu.s.el == 0 {
                return super::undefined();
            }
            let el = cpu.s.el;
            cpu.s.set_el_spsel(el, (imm & 1) as u8);
        }
        // DAIFSet / DAIFClr
        (3, 6) | (3, 7) => {
            if cpu.s.el == 0 && cpu.sys.sctlr_el1 & SCTLR_UMA == 0 {
                return f.trap();
            }
            let bits = imm << 6;
            if f.op2 == 6 {
                cpu.s.daif |= bits;
            } else {
                cpu.s.daif &= !bits;
            }
        }
        // PAN, UAO, DIT, SSBS, TCO...: later architecture versions than the A72's v8.0.
        _ => return super::undefined(),
    }
    Flow::Next
}

/// MRS: reads a system register into Xt.
pub fn mrs(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let f = SysFields::of(i);
    let enc = i.bits(20, 5) as u16;
    let Some(reg) = sysreg::lookup(enc) else {
        return match ext_access(cpu, enc, i) {
            Err(flow) => flow,
            Ok(ext) => match ext.read(enc) {
                Some(v) => {
                    cpu.s.set_xr(f.rt, v);
                    Flow::Next
                }
                None => super::undefined(),
            },
        };
    };
    // A write-only register's MRS encoding is unallocated: UNDEFINED before any trap.
    let Some(read) = reg.read else {
        return super::undefined();
    };
    if let Some(flow) = check_el0(cpu, &f, reg).or_else(|| check_fp_regs(cpu, reg)) {
        return flow;
    }
    let v = read(cpu);
    cpu.s.set_xr(f.rt, v);
    Flow::Next
}

/// MSR (register): writes Xt to a system register.
pub fn msr_reg(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let f = SysFields::of(i);
    let enc = i.bits(20, 5) as u16;
    let Some(reg) = sysreg::lookup(enc) else {
        let v = cpu.s.xr(f.rt);
        return match ext_access(cpu, enc, i) {
            Err(flow) => flow,
            Ok(ext) => match ext.write(enc, v) {
                true => Flow::Next,
                false => super::undefined(),
            },
        };
    };
    // A read-only register's MSR encoding is unallocated: UNDEFINED before any trap.
    let Some(write) = reg.write else {
        return super::undefined();
    };
    if let Some(flow) = check_el0(cpu, &f, reg).or_else(|| check_fp_regs(cpu, reg)) {
        return flow;
    }
    let v = cpu.s.xr(f.rt);
    write(cpu, v);
    Flow::Next
}

/// The machine's extension registers for an encoding the table lacks ([`sysreg::SysRegExt`]):
/// UNDEFINED at EL0 (they are all EL1 registers); an encoding nobody provides stops the
/// is UNDEFINED.
fn ext_access(cpu: &mut Cpu, enc: u16, i: Insn) -> Result<&mut dyn sysreg::SysRegExt, Flow> {
    let el = cpu.s.el;
    let pc = cpu.s.pc;
    match cpu.sysreg_ext.as_deref_mut() {
        Some(ext) if ext.provides(enc) => {
            if el == 0 {
                Err(super::undefined())
            } else {
                Ok(ext)
            }
        }
        _ => Err(no_such_register(pc, i)),
    }
}

/// A system register or operation this core does not have: UNDEFINED, as on hardware
/// (Arm ARM D17.1), logged once per encoding under `-d unimp`.
fn no_such_register(pc: u64, i: Insn) -> Flow {
    crate::log::unimplemented_once(pc, i.0, "no such system register or operation");
    super::undefined()
}

/// EL0's access rules beyond a register's own level: registers that SCTLR_EL1 can open to
/// EL0 trap to EL1 when closed; EL1-only registers are UNDEFINED at EL0.
fn check_el0(cpu: &Cpu, f: &SysFields, reg: &sysreg::SysRegDef) -> Option<Flow> {
    if cpu.s.el > 0 {
        return None;
    }
    let sctlr = cpu.sys.sctlr_el1;
    let cntkctl = cpu.sys.cntkctl_el1;
    let timer_open = |bits: u64| cntkctl & bits != 0;
    match reg.name {
        "DAIF" if sctlr & SCTLR_UMA == 0 => Some(f.trap()),
        "CNTFRQ_EL0" if !timer_open(CNTKCTL_EL0PCTEN | CNTKCTL_EL0VCTEN) => Some(f.trap()),
        "CNTPCT_EL0" if !timer_open(CNTKCTL_EL0PCTEN) => Some(f.trap()),
        "CNTVCT_EL0" if !timer_open(CNTKCTL_EL0VCTEN) => Some(f.trap()),
        "CNTP_TVAL_EL0" | "CNTP_CTL_EL0" | "CNTP_CVAL_EL0" if !timer_open(CNTKCTL_EL0PTEN) => {
            Some(f.trap())
        }
        "CNTV_TVAL_EL0" | "CNTV_CTL_EL0" | "CNTV_CVAL_EL0" if !timer_open(CNTKCTL_EL0VTEN) => {
            Some(f.trap())
        }
        "CTR_EL0" if sctlr & SCTLR_UCT == 0 => Some(f.trap()),
        // The debug communication channel: EL0's unless MDSCR_EL1.TDCC traps it to EL1
        // (Arm ARM D17.3, MDCCSR_EL0/DBGDTR_EL0/DBGDTRRX_EL0 accessibility pseudocode).
        "MDCCSR_EL0" | "DBGDTR_EL0" | "DBGDTRRX_EL0"
            if cpu.sys.mdscr_el1 & sysreg::MDSCR_TDCC != 0 =>
        {
            Some(f.trap())
        }
        "TPIDRRO_EL0" if !f.read => Some(super::undefined()),
        _ if reg.min_el > 0 => Some(super::undefined()),
        _ => None,
    }
}

/// FPCR and FPSR accesses trap to EL1 as FP instructions do when CPACR_EL1.FPEN disables
/// FP at this EL (Arm ARM D17.2.52/D17.2.55, the FPCR and FPSR accessibility pseudocode).
fn check_fp_regs(cpu: &Cpu, reg: &sysreg::SysRegDef) -> Option<Flow> {
    match reg.name {
        "FPCR" | "FPSR" => super::floating_point::check_fp_enabled(cpu)
            .err()
            .map(Flow::Exception),
        _ => None,
    }
}

/// SYS: cache maintenance (DC, IC), TLB maintenance (TLBI) and address translation (AT).
pub fn sys(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    let f = SysFields::of(i);
    match (f.op1, f.crn, f.crm, f.op2) {
        // DC ZVA: zero a naturally aligned 64-byte block, as a write.
        (3, 7, 4, 1) => {
            if cpu.s.el == 0 && cpu.sys.sctlr_el1 & SCTLR_DZE == 0 {
                return f.trap();
            }
            let base = cpu.s.xr(f.rt) & !(DC_ZVA_BYTES - 1);
            // A watchpoint sees one write of the whole block.
            if let Err(e) = cpu.watch_range(m, base, DC_ZVA_BYTES, Access::Write) {
                return Flow::Exception(e);
            }
            for off in (0..DC_ZVA_BYTES).step_by(8) {
                if let Err(e) = cpu.write(m, base + off, 8, 0) {
                    return Flow::Exception(e);
                }
            }
            Flow::Next
        }
        // DC CVAC, CVAU, CIVAC, CVAP (by VA, EL0-capable with SCTLR_EL1.UCI): memory is
        // coherent, nothing to clean; the VA is still translated so a bad one faults.
        // (DC CVAP is v8.2's FEAT_DPB: UNDEFINED on the A72, like any unknown operation.)
        (3, 7, 10, 1) | (3, 7, 11, 1) | (3, 7, 14, 1) => dc_by_va(cpu, m, &f),
        // DC IVAC (EL1 only): invalidating needs write permission.
        (0, 7, 6, 1) => {
            if cpu.s.el == 0 {
                return super::undefined();
            }
            let va = cpu.s.xr(f.rt);
            match cpu.translate(m, va, Access::CacheInvalidate) {
                Ok(_) => Flow::Next,
                Err(e) => Flow::Exception(e),
            }
        }
        // DC ISW/CSW/CISW (set/way, EL1 only).
        (0, 7, 6, 2) | (0, 7, 10, 2) | (0, 7, 14, 2) => {
            if cpu.s.el == 0 {
                return super::undefined();
            }
            Flow::Next
        }
        // IC IALLUIS, IC IALLU: decoded code is dropped.
        (0, 7, 1, 0) | (0, 7, 5, 0) => {
            if cpu.s.el == 0 {
                return super::undefined();
            }
            m.code.flush();
            Flow::Next
        }
        // IC IVAU (EL0-capable with SCTLR_EL1.UCI): drop decoded code of the VA's page.
        (3, 7, 5, 1) => {
            const SCTLR_UCI: u64 = 1 << 26;
            if cpu.s.el == 0 && cpu.sys.sctlr_el1 & SCTLR_UCI == 0 {
                return f.trap();
            }
            let va = cpu.s.xr(f.rt);
            match cpu.translate(m, va, Access::CacheMaint) {
                Ok(pa) => m.code.note_write(pa, 4),
                Err(_) => m.code.flush(),
            }
            Flow::Next
        }
        // TLBI: CRm 3 the Inner Shareable forms, CRm 7 the local ones.
        (0, 8, 3, _) | (0, 8, 7, _) if cpu.s.el > 0 => {
            let xt = cpu.s.xr(f.rt);
            let Some(op) = TlbiOp::decode(f.op2, xt, cpu.asid_mask()) else {
                return super::undefined();
            };
            cpu.tlb_maintenance(m, op, f.crm == 3);
            Flow::Next
        }
        // AT S1E1R/W, S1E0R/W: the result of a stage 1 translation into PAR_EL1.
        (0, 7, 8, 0..=3) if cpu.s.el > 0 => {
            let va = cpu.s.xr(f.rt);
            let (el0, write) = (f.op2 & 2 != 0, f.op2 & 1 != 0);
            cpu.sys.par_el1 = cpu.address_translate(m, va, el0, write);
            Flow::Next
        }
        // Other TLBI and AT forms belong to EL2/EL3 or later architecture versions
        // (Outer Shareable, range); every TLBI and AT is EL1-only.
        (_, 8, _, _) | (_, 7, 8, _) | (_, 7, 9, _) => super::undefined(),
        _ => no_such_register(cpu.s.pc, i),
    }
}

fn dc_by_va(cpu: &mut Cpu, m: &mut Mem<'_>, f: &SysFields) -> Flow {
    const SCTLR_UCI: u64 = 1 << 26;
    if cpu.s.el == 0 && cpu.sys.sctlr_el1 & SCTLR_UCI == 0 {
        return f.trap();
    }
    let va = cpu.s.xr(f.rt);
    match cpu.translate(m, va, Access::CacheMaint) {
        Ok(_) => Flow::Next,
        Err(e) => Flow::Exception(e),
    }
}

/// SYSL: no SYSL operation is defined for this core.
pub fn sysl(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    no_such_register(cpu.s.pc, i)
}

#[cfg(test)]
mod tests {
    use crate::a64;
    use crate::cpu_test;
    use crate::exec::Exit;
    use crate::state::{DAIF_F, DAIF_I, DAIF_MASK};
    use crate::sysreg::{enc, SysRegExt};
    use std::sync::{Arc, Mutex};

    /// An extension with one read-only register (ICC_IAR1_EL1's encoding, counting its
    /// reads as a side effect) and one write-only register (ICC_EOIR1_EL1's).
    #[derive(Clone, Default)]
    struct FakeExt(Arc<Mutex<(u64, Vec<u64>)>>);

    const RO: u16 = enc(3, 0, 12, 12, 0);
    const WO: u16 = enc(3, 0, 12, 12, 1);

    impl SysRegExt for FakeExt {
        fn provides(&self, e: u16) -> bool {
            e == RO || e == WO
        }
        fn read(&mut self, e: u16) -> Option<u64> {
            let mut s = self.0.lock().unwrap();
            (e == RO).then(|| {
                s.0 += 1;
                0x1000 + s.0
            })
        }
        fn write(&mut self, e: u16, v: u64) -> bool {
            if e == WO {
                self.0.lock().unwrap().1.push(v);
            }
            e == WO
        }
    }

    cpu_test! {
        fn mrs_reads_midr_currentel_and_mpidr(t) {
            t.load(&a64!(; mrs x0, 0x4000 ; mrs x1, 0x4212 ; mrs x2, 0x4005));
            t.run();
            assert_eq!(t.x(0), 0x410f_d083);
            assert_eq!(t.x(1), 1 << 2); // CurrentEL: EL1 in bits 3:2
            assert_eq!(t.x(2), 1 << 31); // MPIDR_EL1: RES1 bit 31, affinity 0
        }

        fn id_registers_advertise_the_a72_fp_simd_and_crypto(t) {
            // ID_AA64PFR0_EL1 (3,0,0,4,0): EL0/EL1 AArch64, FP = 0 and AdvSIMD = 0
            // (implemented). ID_AA64ISAR0_EL1 (3,0,0,6,0): AES = 2 (with PMULL), SHA1 = 1,
            // SHA2 = 1, CRC32 = 1 (Cortex-A72 TRM, with the Cryptographic Extension).
            t.load(&a64!(; mrs x0, 0x4020 ; mrs x1, 0x4030));
            t.run();
            assert_eq!(t.x(0), 0x0000_0000_0000_0011);
            assert_eq!(t.x(1), 0x0000_0000_0001_1120);
        }

        fn msr_and_mrs_nzcv_round_trip(t) {
            // msr nzcv, x0 ; mrs x1, nzcv (NZCV = 3,3,4,2,0 → 0x5a10)
            t.load(&a64!(; msr 0x5a10, x0 ; mrs x1, 0x5a10));
            t.set_x(0, 0xffff_ffff_ffff_ffff);
            t.run();
            assert_eq!(t.x(1), 0xf000_0000);
            assert_eq!(t.nzcv(), 0xf000_0000);
        }

        fn daifset_and_daifclr(t) {
            t.load(&a64!(; msr daifclr, 0xf ; mrs x0, 0x5a11 ; msr daifset, 3 ; mrs x1, 0x5a11));
            t.run();
            assert_eq!(t.x(0), 0);
            assert_eq!(t.x(1), (DAIF_I | DAIF_F) as u64);
        }

        fn spsel_swaps_the_stack_pointer(t) {
            t.load(&a64!(; mov sp, x0 ; msr spsel, 0 ; mov sp, x1 ; msr spsel, 1 ; mov x2, sp));
            t.set_x(0, 0x1000);
            t.set_x(1, 0x2000);
            t.run();
            assert_eq!(t.x(2), 0x1000);
            assert_eq!(t.cpu.s.sp_el0, 0x2000);
        }

        fn eret_returns_to_el0_with_spsr_state(t) {
            // msr elr_el1, x0 ; msr spsr_el1, x1 ; eret; then at EL0 an SVC whose vector
            // holds the end marker: the SVC's SPSR shows the state ERET installed.
            t.load(&a64!(; msr 0x4201, x0 ; msr 0x4200, x1 ; eret));
            t.cpu.sys.vbar_el1 = 0x4000_1000;
            t.set_x(0, 0x4000_0100);
            t.set_x(1, 0x6000_0000); // EL0t, Z and C set, DAIF clear
            t.write_bytes(0x4000_0100, &0xd400_0001u32.to_le_bytes()); // svc #0
            t.load_words(0x4000_1000 + 0x400, &[]);
            t.run();
            assert_eq!(t.cpu.sys.spsr_el1, 0x6000_0000);
            assert_eq!(t.cpu.sys.elr_el1, 0x4000_0104);
        }

        fn eret_to_el2_is_an_illegal_return(t) {
            t.load(&a64!(; msr 0x4201, x0 ; msr 0x4200, x1 ; eret));
            t.cpu.sys.vbar_el1 = 0x4000_1000;
            t.set_x(0, 0x4000_0100);
            t.set_x(1, 0b01001); // EL2h
            t.load_words(0x4000_1000 + 0x200, &[]);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1 >> 26, 0x0e);
            assert_eq!(t.cpu.sys.elr_el1, 0x4000_0100);
            assert_eq!(t.cpu.sys.spsr_el1 >> 20 & 1, 1); // SPSR.IL
            assert_eq!(t.cpu.s.daif, DAIF_MASK);
        }

        fn dc_zva_zeroes_its_aligned_block(t) {
            t.load(&a64!(; dc zva, x0));
            for a in (0x4001_0000u64..0x4001_0100).step_by(8) {
                t.write_u64(a, !0);
            }
            t.set_x(0, 0x4001_0047); // inside the block at 0x40010040
            t.run();
            assert_eq!(t.read_u64(0x4001_0038), !0);
            for a in (0x4001_0040u64..0x4001_0080).step_by(8) {
                assert_eq!(t.read_u64(a), 0, "at {:#x}", a);
            }
            assert_eq!(t.read_u64(0x4001_0080), !0);
        }

        fn wfi_exits_to_the_machine(t) {
            t.load(&a64!(; wfi));
            assert_eq!(t.run_limit(10), Exit::Wfi);
            assert_eq!(t.cpu.s.pc, 0x4000_0004);
        }

        fn mrs_of_a_register_the_core_lacks_is_undefined(t) {
            // mrs x0, s3_0_c15_c0_0 (IMPLEMENTATION DEFINED space): UNDEFINED (Arm ARM D17.1).
            t.load_words(0x4000_0000, &[0xd538_f000]);
            t.cpu.sys.vbar_el1 = 0x4000_1000;
            t.load_words(0x4000_1000 + 0x200, &[]);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, 0x0200_0000);
            assert_eq!(t.cpu.sys.elr_el1, 0x4000_0000);
        }

        fn mrs_and_msr_reach_the_machines_extension_registers(t) {
            // mrs x0, ICC_IAR1_EL1 ; msr ICC_EOIR1_EL1, x0 (raw encodings less 0x8000)
            t.load(&a64!(; mrs x0, 0x4660 ; msr 0x4661, x0));
            let ext = FakeExt::default();
            t.cpu.sysreg_ext = Some(Box::new(ext.clone()));
            t.run();
            assert_eq!(t.x(0), 0x1001);
            assert_eq!(ext.0.lock().unwrap().1, [0x1001]);
        }

        fn extension_register_in_the_wrong_direction_is_undefined(t) {
            // mrs x0, ICC_EOIR1_EL1: a write-only register.
            t.load(&a64!(; mrs x0, 0x4661));
            t.cpu.sysreg_ext = Some(Box::new(FakeExt::default()));
            t.cpu.sys.vbar_el1 = 0x4000_1000;
            t.load_words(0x4000_1000 + 0x200, &[]);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1 >> 26, 0, "EC 0: unknown reason");
            assert_eq!(t.cpu.sys.elr_el1, 0x4000_0000);
        }

        fn extension_registers_are_undefined_at_el0_without_side_effects(t) {
            t.load(&a64!(; mrs x0, 0x4660));
            let ext = FakeExt::default();
            t.cpu.sysreg_ext = Some(Box::new(ext.clone()));
            t.cpu.sys.vbar_el1 = 0x4000_1000;
            t.cpu.s.set_el_spsel(0, 0);
            t.load_words(0x4000_1000 + 0x400, &[]);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1 >> 26, 0);
            assert_eq!(ext.0.lock().unwrap().0, 0, "the register was not read");
        }

        fn encodings_no_extension_provides_are_undefined(t) {
            t.load_words(0x4000_0000, &[0xd538_f000]);
            t.cpu.sysreg_ext = Some(Box::new(FakeExt::default()));
            t.cpu.sys.vbar_el1 = 0x4000_1000;
            t.load_words(0x4000_1000 + 0x200, &[]);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1 >> 26, 0);
        }

        fn el0_reading_an_el1_register_is_undefined(t) {
            t.load(&a64!(; mrs x0, 0x4000));
            t.cpu.sys.vbar_el1 = 0x4000_1000;
            t.cpu.s.set_el_spsel(0, 0);
            t.load_words(0x4000_1000 + 0x400, &[]);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1 >> 26, 0);
        }

        fn el0_ctr_read_traps_when_uct_is_clear(t) {
            t.load(&a64!(; mrs x3, 0x5801));
            t.cpu.sys.vbar_el1 = 0x4000_1000;
            t.cpu.sys.sctlr_el1 &= !(1 << 15);
            t.cpu.s.set_el_spsel(0, 0);
            t.load_words(0x4000_1000 + 0x400, &[]);
            t.run();
            // EC 0x18; ISS: op0 3, op2 1, op1 3, CRn 0, Rt 3, CRm 0, read.
            let iss = (3 << 20) | (1 << 17) | (3 << 14) | (3 << 5) | 1;
            assert_eq!(t.cpu.sys.esr_el1, (0x18 << 26) | (1 << 25) | iss);
        }
    }
}
