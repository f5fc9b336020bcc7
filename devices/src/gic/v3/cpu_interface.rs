//! The GICv3 CPU interface: the ICC_*_EL1 system registers (IHI 0069 chapter 12, the ICC
//! register descriptions), which MRS and MSR reach through the core's
//! [`SysRegExt`]. The machine plugs one [`IccRegs`] into each vCPU.

use std::sync::Arc;

use super::defs::*;
use super::state::{GicV3State, PRIORITY};
use crate::gic::regs::Rw;
use crate::gic::shared::Shared;
use armvirt_cpu::sysreg::SysRegExt;

/// One CPU's ICC_* registers: `cpu.sysreg_ext = Some(Box::new(gic.cpu_interface(n)))`.
///
/// An access may change what the GIC signals to any CPU (an EOI, a PMR change, an
/// SGI): the machine learns of it from `GicV3::take_changed`, as for any other change.
pub struct IccRegs {
    pub(super) gic: Arc<Shared<GicV3State>>,
    pub(super) cpu: usize,
}

impl SysRegExt for IccRegs {
    fn provides(&self, enc: u16) -> bool {
        icc_reg(enc).is_some()
    }

    fn read(&mut self, enc: u16) -> Option<u64> {
        let def = icc_reg(enc)?;
        if !matches!(def.rw, Rw::ReadOnly | Rw::ReadWrite) {
            return None;
        }
        let cpu = self.cpu;
        Some(self.gic.with(|s| s.icc_read(cpu, def.reg)))
    }

    fn write(&mut self, enc: u16, value: u64) -> bool {
        let Some(def) = icc_reg(enc) else {
            return false;
        };
        if !matches!(def.rw, Rw::WriteOnly | Rw::ReadWrite) {
            return false;
        }
        let cpu = self.cpu;
        self.gic.with(|s| s.icc_write(cpu, def.reg, value));
        true
    }
}

impl GicV3State {
    fn icc_read(&mut self, cpu: usize, reg: Icc) -> u64 {
        let c = &self.cpus[cpu];
        match reg {
            Icc::Pmr => c.prio.pmr.into(),
            Icc::Bpr0 => c.prio.bpr[0].into(),
            Icc::Bpr1 => self.bpr1(cpu).into(),
            Icc::Ap0r(n) => c.prio.apr_word(false, n.into()).into(),
            Icc::Ap1r(n) => c.prio.apr_word(true, n.into()).into(),
            Icc::Iar0 => self.acknowledge(cpu, false),
            Icc::Iar1 => self.acknowledge(cpu, true),
            Icc::Hppir0 => self.highest_pending_id(cpu, false),
            Icc::Hppir1 => self.highest_pending_id(cpu, true),
            Icc::Rpr => self.running_priority(cpu),
            Icc::Ctlr => self.icc_ctlr(cpu),
            Icc::Sre => ICC_SRE_VALUE,
            Icc::Igrpen0 => c.igrpen[0].into(),
            Icc::Igrpen1 => c.igrpen[1].into(),
            Icc::Eoir0 | Icc::Eoir1 | Icc::Dir | Icc::Sgi0r | Icc::Sgi1r => 0,
        }
    }

    fn icc_write(&mut self, cpu: usize, reg: Icc, value: u64) {
        let c = &mut self.cpus[cpu];
        match reg {
            Icc::Pmr => c.prio.pmr = value as u8 & PRIORITY.mask(),
            Icc::Bpr0 => c.prio.set_bpr(false, value as u8),
            // With CBPR set, ICC_BPR1_EL1 writes are ignored (ICC_BPR1_EL1).
            Icc::Bpr1 if c.prio.cbpr => {}
            Icc::Bpr1 => c.prio.set_bpr(true, value as u8),
            Icc::Ap0r(n) => c.prio.set_apr_word(false, n.into(), value as u32),
            Icc::Ap1r(n) => c.prio.set_apr_word(true, n.into(), value as u32),
            Icc::Eoir0 => self.end_of_interrupt(cpu, value, false),
            Icc::Eoir1 => self.end_of_interrupt(cpu, value, true),
            Icc::Dir => self.deactivate(cpu, value),
            Icc::Sgi0r => self.send_sgi(cpu, value, false),
            Icc::Sgi1r => self.send_sgi(cpu, value, true),
            Icc::Ctlr => {
                c.prio.cbpr = value & ICC_CTLR_CBPR != 0;
                c.eoi_mode = value & ICC_CTLR_EOIMODE != 0;
            }
            Icc::Igrpen0 => c.igrpen[0] = value & ICC_IGRPEN_ENABLE != 0,
            Icc::Igrpen1 => c.igrpen[1] = value & ICC_IGRPEN_ENABLE != 0,
            Icc::Sre | Icc::Iar0 | Icc::Iar1 | Icc::Hppir0 | Icc::Hppir1 | Icc::Rpr => {}
        }
    }

    /// ICC_BPR1_EL1 reads as ICC_BPR0_EL1 plus one, saturated at 7, while
    /// ICC_CTLR_EL1.CBPR is set (ICC_BPR1_EL1). Test: `tests::cbpr_ties_bpr1_to_bpr0`.
    fn bpr1(&self, cpu: usize) -> u8 {
        let p = &self.cpus[cpu].prio;
        if p.cbpr {
            (p.bpr[0] + 1).min(7)
        } else {
            p.bpr[1]
        }
    }

    /// ICC_CTLR_EL1: CBPR and EOImode, with the read-only fields describing this
    /// interface — PRIbits = 4 (five priority bits), IDbits = 0 (16-bit INTIDs), no
    /// SEIS, A3V set, RSS clear (SGIs reach Aff0 0–15 only) (ICC_CTLR_EL1). Test:
    /// `tests::reset_values`.
    fn icc_ctlr(&self, cpu: usize) -> u64 {
        let c = &self.cpus[cpu];
        let mut v = u64::from(PRIORITY.bits - 1) << ICC_CTLR_PRIBITS_SHIFT | ICC_CTLR_A3V;
        if c.prio.cbpr {
            v |= ICC_CTLR_CBPR;
        }
        if c.eoi_mode {
            v |= ICC_CTLR_EOIMODE;
        }
        v
    }
}

#[cfg(test)]
mod tests {
    //! Register-level behaviour of the ICC registers; expected values from IHI 0069's ICC
    //! register descriptions and, where it leaves a choice, QEMU's arm_gicv3_cpuif.
    use super::super::testing::*;
    use armvirt_cpu::sysreg::{enc, SysRegExt};

    #[test]
    fn reset_values() {
        let r = Rig::new(2);
        for cpu in 0..2 {
            assert_eq!(r.icc_r(cpu, Icc::Pmr), 0);
            assert_eq!(r.icc_r(cpu, Icc::Bpr0), 2, "minimum for five priority bits");
            assert_eq!(r.icc_r(cpu, Icc::Bpr1), 3);
            assert_eq!(r.icc_r(cpu, Icc::Ctlr), 4 << 8 | 1 << 15);
            assert_eq!(r.icc_r(cpu, Icc::Sre), 0b111);
            assert_eq!(r.icc_r(cpu, Icc::Igrpen0), 0);
            assert_eq!(r.icc_r(cpu, Icc::Igrpen1), 0);
            assert_eq!(r.icc_r(cpu, Icc::Rpr), 0xff);
            assert_eq!(r.icc_r(cpu, Icc::Iar1), 1023);
            assert_eq!(r.icc_r(cpu, Icc::Hppir0), 1023);
            assert_eq!(r.icc_r(cpu, Icc::Ap0r(0)), 0);
            assert_eq!(r.icc_r(cpu, Icc::Ap1r(0)), 0);
        }
    }

    #[test]
    fn writable_fields() {
        let r = Rig::new(1);
        r.icc_w(0, Icc::Pmr, 0x1ff);
        assert_eq!(r.icc_r(0, Icc::Pmr), 0xf8, "five bits");
        r.icc_w(0, Icc::Ctlr, !0);
        assert_eq!(r.icc_r(0, Icc::Ctlr), 4 << 8 | 1 << 15 | 0b11);
        r.icc_w(0, Icc::Sre, 0);
        assert_eq!(r.icc_r(0, Icc::Sre), 0b111, "RAO/WI");
        r.icc_w(0, Icc::Igrpen1, 3);
        assert_eq!(r.icc_r(0, Icc::Igrpen1), 1);
        r.icc_w(0, Icc::Bpr0, 0);
        assert_eq!(r.icc_r(0, Icc::Bpr0), 2, "clamped to the minimum");
        r.icc_w(0, Icc::Bpr0, 5);
        assert_eq!(r.icc_r(0, Icc::Bpr0), 5);
    }

    #[test]
    fn cbpr_ties_bpr1_to_bpr0() {
        let r = Rig::new(1);
        r.icc_w(0, Icc::Bpr1, 6);
        r.icc_w(0, Icc::Bpr0, 4);
        r.icc_w(0, Icc::Ctlr, ICC_CTLR_CBPR);
        assert_eq!(r.icc_r(0, Icc::Bpr1), 5);
        r.icc_w(0, Icc::Bpr1, 3);
        r.icc_w(0, Icc::Bpr0, 7);
        assert_eq!(r.icc_r(0, Icc::Bpr1), 7, "saturated");
        r.icc_w(0, Icc::Ctlr, 0);
        assert_eq!(r.icc_r(0, Icc::Bpr1), 6, "the write under CBPR was ignored");
    }

    #[test]
    fn a_vcpu_acknowledges_and_ends_an_interrupt_through_mrs_and_msr() {
        use armvirt_cpu::testing::{Executor, TestCpu, RAM_BASE};
        let r = Rig::enabled(1);
        r.group1(0, 40);
        r.enable(0, 40);
        r.gic.set_spi(8, true);
        let mut t = TestCpu::new(Executor::Interpreter);
        t.cpu.sysreg_ext = Some(Box::new(r.gic.cpu_interface(0)));
        // mrs x0, ICC_IAR1_EL1 ; mrs x1, ICC_RPR_EL1 ; msr ICC_EOIR1_EL1, x0
        t.load_words(RAM_BASE, &[0xd538_cc00, 0xd538_cb61, 0xd518_cc20]);
        t.run();
        assert_eq!(t.x(0), 40);
        assert_eq!(t.x(1), 0, "running priority of the acknowledged interrupt");
        assert_eq!(r.icc_r(0, Icc::Rpr), 0xff, "the EOI dropped it");
        assert_eq!(r.lines(0), (true, false), "level still high: pending again");
    }

    #[test]
    fn wrong_directions_and_absent_registers_are_undefined() {
        let r = Rig::new(1);
        let mut icc = r.gic.cpu_interface(0);
        let eoir1 = enc(3, 0, 12, 12, 1);
        let iar1 = enc(3, 0, 12, 12, 0);
        let ap1r1 = enc(3, 0, 12, 9, 1);
        assert!(icc.provides(eoir1) && icc.provides(ap1r1));
        assert_eq!(icc.read(eoir1), None);
        assert!(!icc.write(iar1, 0));
        assert_eq!(icc.read(ap1r1), None, "only one APR word with five bits");
        assert!(!icc.write(ap1r1, 0));
        // MIDR_EL1 is the core's, not the GIC's.
        assert!(!icc.provides(enc(3, 0, 0, 0, 0)));
        assert_eq!(icc.read(enc(3, 0, 0, 0, 0)), None);
    }
}
