//! The MMU of the EL1&0 translation regime (VMSAv8-64 stage 1, Arm ARM D8; D4 in the
//! v8.0 edition): address translation for every access through the software TLB, TLB
//! maintenance (TLBI), the address translation instructions (AT), the writes to the
//! registers that control translation, and a side-effect-free translation for debuggers.
//!
//! - `walk.rs`: the table walk and the MMU-off mapping (pure functions of the registers).
//! - `tlb.rs`: the per-vCPU TLB and the broadcast of TLBI ...IS between vCPUs.

pub mod tlb;
pub mod walk;

#[cfg(test)]
mod tests;

pub use tlb::{Tlb, TlbBroadcast, TlbiOp};
pub use walk::{perm, Fault, FaultKind, Translation, PA_BITS};

use crate::cpu::Cpu;
use crate::exception::Exception;
use crate::mem::{Access, Mem};
use walk::{bits, sctlr, tcr};

/// PAR_EL1 fields (Arm ARM D17.2.100).
mod par {
    /// F: the translation failed.
    pub const F: u64 = 1 << 0;
    pub const FST_SHIFT: u32 = 1;
    pub const SH_SHIFT: u32 = 7;
    /// NS: the output address is Non-secure (this machine has only Non-secure state).
    pub const NS: u64 = 1 << 9;
    /// Bit 11 is RES1 in both formats.
    pub const RES1: u64 = 1 << 11;
    pub const ATTR_SHIFT: u32 = 56;
    /// SH reported for Device and Normal Non-cacheable memory: Outer Shareable.
    pub const SH_OUTER: u64 = 0b10;
    /// MAIR encoding of Normal, Inner and Outer Non-cacheable.
    pub const ATTR_NORMAL_NC: u8 = 0x44;
}

impl Cpu {
    /// Translates `va` for an access of kind `acc` at the current EL: a TLB hit, or a
    /// walk that fills the TLB. A failure is the abort to take (EC, ISS, FAR).
    #[inline(always)]
    pub fn translate(&mut self, m: &mut Mem<'_>, va: u64, acc: Access) -> Result<u64, Exception> {
        let need = self.permission_needed(acc);
        match self.tlb.lookup(va, need) {
            Some(pa) => Ok(pa),
            None => self.translate_miss(m, va, acc, need),
        }
    }

    /// The [`perm`] bit `acc` needs at the current EL.
    #[inline(always)]
    fn permission_needed(&self, acc: Access) -> u8 {
        let bit = match acc {
            Access::Read | Access::ReadUnpriv | Access::CacheMaint => perm::R1,
            Access::Write | Access::WriteUnpriv | Access::CacheInvalidate => perm::W1,
            Access::Fetch => perm::X1,
        };
        if self.s.el == 0 || acc.is_unprivileged() {
            bit << perm::EL0_SHIFT
        } else {
            bit
        }
    }

    #[inline(never)]
    fn translate_miss(
        &mut self,
        m: &mut Mem<'_>,
        va: u64,
        acc: Access,
        need: u8,
    ) -> Result<u64, Exception> {
        let t = walk::translate(m, &self.sys, va).map_err(|f| self.abort(va, acc, f.status()))?;
        if t.perms & need == 0 {
            let f = Fault::new(FaultKind::Permission, t.level);
            return Err(self.abort(va, acc, f.status()));
        }
        self.tlb.fill(va, &t);
        Ok(t.pa)
    }

    /// The translation of `va` at this moment, with the permissions of both ELs, for
    /// debuggers (`monitor info mmu`, the gdb stub): no TLB is read or filled, no
    /// exception is raised and no register changes. Descriptors are read with
    /// `m.read_phys`.
    pub fn translate_debug(&self, m: &mut Mem<'_>, va: u64) -> Result<Translation, Fault> {
        walk::translate(m, &self.sys, va)
    }

    /// [`Cpu::translate_debug`], telling `trace(level, descriptor address, descriptor)`
    /// about each descriptor the walk reads (nothing with the MMU off).
    pub fn translate_debug_traced(
        &self,
        m: &mut Mem<'_>,
        va: u64,
        trace: &mut impl FnMut(u8, u64, u64),
    ) -> Result<Translation, Fault> {
        if self.mmu_enabled() {
            walk::walk_traced(m, &self.sys, va, trace)
        } else {
            walk::flat(&self.sys, va)
        }
    }

    /// AT S1E1R/W, S1E0R/W: translates `va` as a read or write at EL0 or EL1 and returns
    /// the PAR_EL1 value (Arm ARM D17.2.100).
    pub fn address_translate(&self, m: &mut Mem<'_>, va: u64, el0: bool, write: bool) -> u64 {
        let bit = if write { perm::W1 } else { perm::R1 };
        let need = if el0 { bit << perm::EL0_SHIFT } else { bit };
        let result = walk::translate(m, &self.sys, va).and_then(|t| {
            if t.perms & need == 0 {
                Err(Fault::new(FaultKind::Permission, t.level))
            } else {
                Ok(t)
            }
        });
        match result {
            Ok(t) => {
                let device = t.attr >> 4 == 0;
                let sh = if device || t.attr == par::ATTR_NORMAL_NC {
                    par::SH_OUTER
                } else {
                    t.sh as u64
                };
                (t.attr as u64) << par::ATTR_SHIFT
                    | (t.pa & bits(47, 12))
                    | par::RES1
                    | par::NS
                    | sh << par::SH_SHIFT
            }
            Err(f) => par::RES1 | (f.status() as u64) << par::FST_SHIFT | par::F,
        }
    }

    /// TLB maintenance: performs `op` on this vCPU's TLB and, for the Inner Shareable
    /// forms (`broadcast`), on every vCPU's before it next runs.
    pub fn tlb_maintenance(&mut self, m: &mut Mem<'_>, op: TlbiOp, broadcast: bool) {
        let shared = if broadcast { Some(&mut *m.tlbi) } else { None };
        self.tlb.maintain(op, shared);
    }

    /// The mask of the ASID size TCR_EL1.AS selects.
    pub fn asid_mask(&self) -> u16 {
        if self.sys.tcr_el1 & tcr::AS != 0 {
            0xffff
        } else {
            0xff
        }
    }

    /// Recomputes the current ASID from TCR_EL1.A1/AS and the TTBRs.
    fn update_asid(&mut self) {
        let ttbr = if self.sys.tcr_el1 & tcr::A1 != 0 {
            self.sys.ttbr1_el1
        } else {
            self.sys.ttbr0_el1
        };
        self.tlb.set_asid((ttbr >> 48) as u16 & self.asid_mask());
    }

    /// To call after changing translation registers behind the sysreg table's back (a
    /// loader, a debugger poking `sys` directly): drops every cached translation.
    pub fn mmu_context_changed(&mut self) {
        self.update_asid();
        self.tlb.flush();
    }

    /// MSR SCTLR_EL1. A change can switch the MMU or WXN: cached translations go. The
    /// MTE controls (ATA, ATA0, TCF, TCF0, ITFSB) are RES0 without FEAT_MTE, which the A72
    /// lacks: they read as zero, as under QEMU (Linux sets ITFSB unconditionally).
    pub fn set_sctlr_el1(&mut self, v: u64) {
        let v = v & !sctlr::MTE;
        if v != self.sys.sctlr_el1 {
            self.sys.sctlr_el1 = v;
            self.tlb.flush();
        }
    }

    /// MSR TCR_EL1. A change can alter every translation and the ASID: everything goes.
    pub fn set_tcr_el1(&mut self, v: u64) {
        if v != self.sys.tcr_el1 {
            self.sys.tcr_el1 = v;
            self.mmu_context_changed();
        }
    }

    /// MSR TTBR0_EL1 / TTBR1_EL1: the ASID may change; cached entries stay. They are
    /// tagged with their ASID (non-global) or hold for every ASID (global), and the
    /// architecture lets entries of an ASID outlive a change of tables until a TLBI
    /// removes them (Arm ARM, "TLB maintenance requirements"); QEMU flushes on an ASID
    /// change only because its TLB has no ASID tags. Flushing here would drop the kernel's global entries on
    /// every context switch and, with Linux's software PAN (ARM64_SW_TTBR0_PAN, which a
    /// v8.0 core needs), on every kernel entry and user access.
    pub fn set_ttbr0_el1(&mut self, v: u64) {
        self.sys.ttbr0_el1 = v;
        self.update_asid();
    }

    pub fn set_ttbr1_el1(&mut self, v: u64) {
        self.sys.ttbr1_el1 = v;
        self.update_asid();
    }

    /// MSR MAIR_EL1. The TLB holds no attributes, but flush anyway: MAIR changes are rare.
    pub fn set_mair_el1(&mut self, v: u64) {
        if v != self.sys.mair_el1 {
            self.sys.mair_el1 = v;
            self.tlb.flush();
        }
    }

    /// Whether stage 1 translation is on (SCTLR_EL1.M).
    pub fn mmu_enabled(&self) -> bool {
        self.sys.sctlr_el1 & sctlr::M != 0
    }
}
