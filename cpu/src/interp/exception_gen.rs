//! Exception generation: SVC, HVC, SMC, BRK, HLT (Arm ARM C4.1.87.4, C6.2).
//!
//! Only EL0 and EL1 exist. HVC and SMC at EL1 are firmware calls: the machine services them
//! as QEMU's virt does for its PSCI conduit. At EL0 both are UNDEFINED (D1.10.2). HLT is
//! UNDEFINED because halting debug is never enabled, except `HLT #0xF000` where
//! the machine turned semihosting on (`Cpu::semihosting`): that is a call for the host.

use crate::cpu::Cpu;
use crate::exception::{ec, Exception};
use crate::exec::{Exit, Flow};
use crate::insn::Insn;
use crate::mem::Mem;

fn imm16(i: Insn) -> u16 {
    i.bits(20, 5) as u16
}

pub fn svc(_: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    Flow::Exception(Exception {
        ec: ec::SVC64,
        iss: imm16(i) as u32,
        far: None,
        return_next: true,
    })
}

pub fn hvc(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    if cpu.s.el == 0 {
        return super::undefined();
    }
    cpu.s.pc = cpu.s.pc.wrapping_add(4);
    Flow::Exit(Exit::Hvc(imm16(i)))
}

pub fn smc(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    if cpu.s.el == 0 {
        return super::undefined();
    }
    cpu.s.pc = cpu.s.pc.wrapping_add(4);
    Flow::Exit(Exit::Smc(imm16(i)))
}

pub fn brk(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    let _ = cpu;
    Flow::Exception(Exception::new(ec::BRK64, imm16(i) as u32))
}

/// The A64 semihosting trap ("Semihosting for AArch32 and AArch64" §2.2).
pub const SEMIHOSTING_HLT: u16 = 0xf000;

pub fn hlt(cpu: &mut Cpu, _: &mut Mem<'_>, i: Insn) -> Flow {
    if imm16(i) == SEMIHOSTING_HLT && cpu.semihosting.serves(cpu.s.el) {
        cpu.s.pc = cpu.s.pc.wrapping_add(4);
        return Flow::Exit(Exit::Semihosting);
    }
    super::undefined()
}

#[cfg(test)]
mod tests {
    use crate::a64;
    use crate::cpu_test;
    use crate::exec::Exit;

    cpu_test! {
        fn svc_enters_el1_sync_vector_with_syndrome(t) {
            t.load(&a64!(; svc 0x1234));
            t.cpu.sys.vbar_el1 = 0x4000_0800;
            t.cpu.s.set_el_spsel(0, 0);
            t.load_words(0x4000_0800 + 0x400, &[]); // lower-EL sync vector: the end marker
            t.run_limit(2);
            // ESR: EC 0x15, IL 1, ISS imm16 (Arm ARM D17.2.37).
            assert_eq!(t.cpu.sys.esr_el1, 0x5600_1234);
            assert_eq!(t.cpu.sys.elr_el1, 0x4000_0004);
            assert_eq!(t.cpu.sys.spsr_el1 & 0xf, 0); // from EL0t
            assert_eq!(t.cpu.s.el, 1);
        }

        fn hvc_at_el1_exits_with_pc_past_it(t) {
            t.load(&a64!(; hvc 7));
            assert_eq!(t.run_limit(10), Exit::Hvc(7));
            assert_eq!(t.cpu.s.pc, 0x4000_0004);
        }

        fn brk_reports_its_immediate(t) {
            t.load(&a64!(; brk 0x3e8));
            t.cpu.sys.vbar_el1 = 0x4000_1000;
            t.load_words(0x4000_1000 + 0x200, &[]); // current EL, SP_ELx, sync
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, 0xf200_03e8);
            assert_eq!(t.cpu.sys.elr_el1, 0x4000_0000); // BRK returns to itself
        }

        fn hlt_is_undefined(t) {
            t.load(&a64!(; hlt 1));
            t.cpu.sys.vbar_el1 = 0x4000_1000;
            t.load_words(0x4000_1000 + 0x200, &[]);
            t.run();
            assert_eq!(t.cpu.sys.esr_el1, 0x0200_0000);
        }

        fn semihosting_hlt_is_undefined_unless_enabled(t) {
            t.load(&a64!(; hlt 0xf000));
            t.cpu.sys.vbar_el1 = 0x4000_1000;
            t.load_words(0x4000_1000 + 0x200, &[]);
            t.run();
            // EC 0 (unknown reason), IL 1; the exception returns to the HLT itself.
            assert_eq!(t.cpu.sys.esr_el1, 0x0200_0000);
            assert_eq!(t.cpu.sys.elr_el1, 0x4000_0000);
        }

        fn semihosting_hlt_exits_past_itself_when_enabled(t) {
            t.load(&a64!(; hlt 0xf000; hlt 0xf001));
            t.cpu.semihosting = crate::cpu::SemihostingMode::El1;
            assert_eq!(t.run_limit(10), Exit::Semihosting);
            assert_eq!(t.cpu.s.pc, 0x4000_0004);
            // Another immediate stays UNDEFINED.
            t.cpu.sys.vbar_el1 = 0x4000_1000;
            t.load_words(0x4000_1000 + 0x200, &[]);
            t.run();
            assert_eq!(t.cpu.sys.elr_el1, 0x4000_0004);
        }

        fn semihosting_from_el0_needs_userspace(t) {
            t.load(&a64!(; hlt 0xf000));
            t.cpu.semihosting = crate::cpu::SemihostingMode::El1;
            t.cpu.sys.vbar_el1 = 0x4000_1000;
            t.cpu.s.set_el_spsel(0, 0);
            t.load_words(0x4000_1000 + 0x400, &[]); // lower-EL sync vector
            t.run_limit(2);
            assert_eq!((t.cpu.s.el, t.cpu.sys.esr_el1), (1, 0x0200_0000));
        }
    }
}
