//! A vCPU's interrupt inputs (IRQ, FIQ, SError): wires the interrupt controller drives and
//! the executor samples at every block boundary. Atomics so the controller's handle can be
//! `Send`; every access is Relaxed because vCPUs and devices run on one host thread.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

const IRQ: u8 = 1 << 0;
const FIQ: u8 = 1 << 1;
const SERROR: u8 = 1 << 2;
/// The lines' bits in the word [`IrqLines::as_ptr`] points to (read by generated code).
pub const IRQ_BIT: u8 = IRQ;
pub const FIQ_BIT: u8 = FIQ;
pub const SERROR_BIT: u8 = SERROR;

#[derive(Default, Debug)]
pub struct IrqLines {
    level: AtomicU8,
}

impl IrqLines {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn set(&self, bit: u8, high: bool) {
        if high {
            self.level.fetch_or(bit, Ordering::Relaxed);
        } else {
            self.level.fetch_and(!bit, Ordering::Relaxed);
        }
    }

    pub fn set_irq(&self, high: bool) {
        self.set(IRQ, high)
    }
    pub fn set_fiq(&self, high: bool) {
        self.set(FIQ, high)
    }
    /// A physical SError (an asynchronous external abort), pending until taken.
    pub fn set_serror(&self, high: bool) {
        self.set(SERROR, high)
    }

    /// The input word, for the JIT's block entries (lines live as long as the vCPU).
    pub fn as_ptr(&self) -> *const u8 {
        self.level.as_ptr() as *const u8
    }

    /// Whether any input is asserted (masked or not): what ends a WFI.
    #[inline(always)]
    pub fn any(&self) -> bool {
        self.level.load(Ordering::Relaxed) != 0
    }
    pub fn irq(&self) -> bool {
        self.level.load(Ordering::Relaxed) & IRQ != 0
    }
    pub fn fiq(&self) -> bool {
        self.level.load(Ordering::Relaxed) & FIQ != 0
    }
    /// All three lines as one word (a snapshot's copy).
    pub fn level(&self) -> u8 {
        self.level.load(Ordering::Relaxed)
    }
    pub fn set_level(&self, level: u8) {
        self.level.store(level, Ordering::Relaxed)
    }
    pub fn serror(&self) -> bool {
        self.level.load(Ordering::Relaxed) & SERROR != 0
    }
}
