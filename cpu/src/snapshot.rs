//! A vCPU's state in a snapshot (time travel, `savevm`): everything the guest can observe
//! and the executor's position, as a plain struct, the TLB's entries included (a stale one
//! is observable until the guest's TLBI). What only speeds execution up — the fast TLB,
//! translated code — is dropped on restore and rebuilt as the guest runs.

use crate::cpu::Cpu;
use crate::mmu::tlb::TlbState;
use crate::state::CpuState;
use crate::sysreg::SysRegs;
use crate::timer::Timers;
use crate::watch::WatchHit;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuSnapshot {
    pub s: CpuState,
    pub sys: SysRegs,
    pub icount: u64,
    pub clock_offset: u64,
    pub timers: Timers,
    pub event: bool,
    pub stream_seen: u64,
    /// The interrupt inputs as the controller last drove them.
    pub lines: u8,
    /// A watchpoint stop not yet run past (its instruction runs unwatched next).
    pub pending_watch: Option<WatchHit>,
    pub tlb: TlbState,
}

impl Cpu {
    pub fn save(&self) -> CpuSnapshot {
        CpuSnapshot {
            s: self.s.clone(),
            sys: self.sys.clone(),
            icount: self.icount,
            clock_offset: self.clock_offset,
            timers: self.timers.clone(),
            event: self.event,
            stream_seen: self.stream_seen,
            lines: self.lines.level(),
            pending_watch: self.watchpoints.pending(),
            tlb: self.tlb.save(),
        }
    }

    /// Puts the vCPU back where `snap` was taken; its translated code is not its state.
    /// Breakpoints and watchpoints stay (they are the debugger's, not the guest's).
    pub fn restore(&mut self, snap: &CpuSnapshot) {
        self.s = snap.s.clone();
        self.sys = snap.sys.clone();
        self.icount = snap.icount;
        self.clock_offset = snap.clock_offset;
        self.timers = snap.timers.clone();
        self.event = snap.event;
        self.stream_seen = snap.stream_seen;
        self.lines.set_level(snap.lines);
        self.watchpoints.set_pending(snap.pending_watch);
        self.tlb.restore(&snap.tlb);
    }
}
