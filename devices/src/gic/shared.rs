//! How the machine, the devices and the GIC's register frames reach one GIC: its state
//! behind a mutex (everything runs on the machine's one host thread, so the lock is never
//! contended; it only makes the handle `Send`), and its outputs — each CPU's IRQ and FIQ
//! lines and a "changed" flag — in atomics the machine can poll without locking. A vCPU's
//! [`IrqLines`] connected to the GIC are driven directly on every change.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::irq::Irqs;
use super::{PPI_BASE, PPI_COUNT, SPI_BASE};
use crate::IrqLine;
use armvirt_cpu::IrqLines;

const LINE_IRQ: u8 = 1;
const LINE_FIQ: u8 = 2;

/// A GIC version's state, as the shared handle needs it.
pub trait Model: Send {
    /// Recomputes what each CPU interface signals after a change.
    fn update(&mut self);
    /// The IRQ and FIQ lines of `cpu`, as of the last update.
    fn lines(&self, cpu: usize) -> (bool, bool);
    fn num_cpus(&self) -> usize;
    /// Every interrupt's state.
    fn irqs_mut(&mut self) -> &mut Irqs;

    /// Drives the input line of SPI `spi` (INTID 32 + `spi`); false when nothing changed.
    fn set_spi(&mut self, spi: u32, level: bool) -> bool {
        self.irqs_mut()
            .drive(0, SPI_BASE.saturating_add(spi), level)
    }

    /// Drives PPI `ppi` (INTID 16 + `ppi`) of `cpu`; false when nothing changed.
    fn set_ppi(&mut self, cpu: usize, ppi: u32, level: bool) -> bool {
        ppi < PPI_COUNT && self.irqs_mut().drive(cpu, PPI_BASE + ppi, level)
    }
}

/// A GIC's state and outputs.
pub struct Shared<S> {
    state: Mutex<S>,
    lines: Vec<AtomicU8>,
    changed: AtomicBool,
    /// Each CPU's input lines, once the machine connects them.
    cpus: Mutex<Vec<Option<Arc<IrqLines>>>>,
    /// The vCPU whose accesses the memory-mapped frames are seeing (QEMU's
    /// `current_cpu`): the machine sets it when it switches vCPUs.
    current_cpu: AtomicUsize,
}

impl<S: Model> Shared<S> {
    pub fn new(state: S) -> Arc<Self> {
        let lines = (0..state.num_cpus()).map(|_| AtomicU8::new(0)).collect();
        let cpus = Mutex::new(vec![None; state.num_cpus()]);
        Arc::new(Shared {
            state: Mutex::new(state),
            lines,
            changed: AtomicBool::new(false),
            cpus,
            current_cpu: AtomicUsize::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, S> {
        // A panic elsewhere cannot leave the state half-updated in a way that matters
        // more than stopping the machine would; keep going with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the state, then recomputes and publishes the CPU lines.
    pub fn with<T>(&self, f: impl FnOnce(&mut S) -> T) -> T {
        let mut s = self.lock();
        let r = f(&mut s);
        s.update();
        self.publish(&s);
        r
    }

    /// Runs `f`, which reports whether it changed anything, and recomputes the CPU lines
    /// only if it did: for inputs driven often with the same level.
    pub fn change(&self, f: impl FnOnce(&mut S) -> bool) {
        let mut s = self.lock();
        if f(&mut s) {
            s.update();
            self.publish(&s);
        }
    }

    /// Runs `f` on the state without changing it.
    pub fn peek<T>(&self, f: impl FnOnce(&S) -> T) -> T {
        f(&self.lock())
    }

    fn publish(&self, s: &S) {
        for (cpu, slot) in self.lines.iter().enumerate() {
            let (irq, fiq) = s.lines(cpu);
            let v = if irq { LINE_IRQ } else { 0 } | if fiq { LINE_FIQ } else { 0 };
            if slot.swap(v, Ordering::Relaxed) != v {
                self.changed.store(true, Ordering::Release);
                self.drive(cpu, irq, fiq);
            }
        }
    }

    fn drive(&self, cpu: usize, irq: bool, fiq: bool) {
        let cpus = self.cpus.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(Some(lines)) = cpus.get(cpu) {
            lines.set_irq(irq);
            lines.set_fiq(fiq);
        }
    }

    /// Connects `cpu`'s input lines: from now on the GIC drives their IRQ and FIQ, starting
    /// with their current levels. Out-of-range CPUs are ignored.
    pub fn connect(&self, cpu: usize, lines: Arc<IrqLines>) {
        let (irq, fiq) = self.lines(cpu);
        lines.set_irq(irq);
        lines.set_fiq(fiq);
        let mut cpus = self.cpus.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = cpus.get_mut(cpu) {
            *slot = Some(lines);
        }
    }

    pub fn lines(&self, cpu: usize) -> (bool, bool) {
        let v = self
            .lines
            .get(cpu)
            .map_or(0, |slot| slot.load(Ordering::Relaxed));
        (v & LINE_IRQ != 0, v & LINE_FIQ != 0)
    }

    pub fn take_changed(&self) -> bool {
        self.changed.swap(false, Ordering::Acquire)
    }

    pub fn set_current_cpu(&self, cpu: usize) {
        self.current_cpu.store(cpu, Ordering::Relaxed);
    }

    pub fn current_cpu(&self) -> usize {
        self.current_cpu.load(Ordering::Relaxed)
    }

    pub fn set_spi(&self, spi: u32, level: bool) {
        self.change(|s| s.set_spi(spi, level));
    }
}

/// Where an [`SpiLine`] sends its level.
trait SpiSink: Send + Sync {
    fn set_spi(&self, spi: u32, level: bool);
}

impl<S: Model> SpiSink for Shared<S> {
    fn set_spi(&self, spi: u32, level: bool) {
        Shared::set_spi(self, spi, level)
    }
}

/// A device's interrupt line into one SPI of a GIC: give it to the device as its
/// [`IrqLine`]. Made by `GicV2::spi_line` or `GicV3::spi_line`.
#[derive(Clone)]
pub struct SpiLine {
    gic: Arc<dyn SpiSink>,
    spi: u32,
}

impl SpiLine {
    pub(crate) fn new<S: Model + 'static>(gic: Arc<Shared<S>>, spi: u32) -> Self {
        SpiLine { gic, spi }
    }

    /// The SPI number (INTID 32 + n) this line drives.
    pub fn spi(&self) -> u32 {
        self.spi
    }
}

impl IrqLine for SpiLine {
    fn set_level(&mut self, high: bool) {
        self.gic.set_spi(self.spi, high);
    }
}

/// A handle on one GIC of either version; clones share the GIC. [`super::v2::GicV2`]
/// and [`super::v3::GicV3`] are this over their state, each adding its own register
/// frames; what follows is what the machine does the same way with both.
pub struct Gic<S> {
    pub(super) shared: Arc<Shared<S>>,
}

impl<S> Clone for Gic<S> {
    fn clone(&self) -> Self {
        Gic {
            shared: self.shared.clone(),
        }
    }
}

impl<S: Model + Clone + 'static> Gic<S> {
    pub(super) fn with_state(state: S) -> Self {
        Gic {
            shared: Shared::new(state),
        }
    }

    pub fn num_cpus(&self) -> usize {
        self.shared.peek(|s| s.num_cpus())
    }

    /// An interrupt line into SPI `spi` (INTID 32 + `spi`, the number a device tree's
    /// `interrupts = <0 spi flags>` gives), for a device.
    pub fn spi_line(&self, spi: u32) -> SpiLine {
        SpiLine::new(self.shared.clone(), spi)
    }

    /// Drives SPI `spi`'s input line. SPIs that do not exist are ignored.
    pub fn set_spi(&self, spi: u32, level: bool) {
        self.shared.set_spi(spi, level);
    }

    /// Drives PPI `ppi` (INTID 16 + `ppi`, as a device tree's `<1 ppi flags>`) of `cpu`:
    /// the per-CPU lines, such as the generic timer's. Lines that do not exist are
    /// ignored.
    pub fn set_ppi(&self, cpu: usize, ppi: u32, level: bool) {
        self.shared.change(|s| s.set_ppi(cpu, ppi, level));
    }

    /// Connects vCPU `cpu`'s interrupt inputs (`cpu.lines`): the GIC drives their IRQ and
    /// FIQ from now on, at every change, so the run loop need not copy
    /// [`cpu_lines`](Self::cpu_lines) itself.
    pub fn connect_cpu(&self, cpu: usize, lines: Arc<IrqLines>) {
        self.shared.connect(cpu, lines);
    }

    /// Whether the GIC asserts `cpu`'s (IRQ, FIQ) lines now.
    pub fn cpu_lines(&self, cpu: usize) -> (bool, bool) {
        self.shared.lines(cpu)
    }

    /// True, once, when some CPU's lines have changed since the last call: the cheap test
    /// a polling run loop makes before copying [`cpu_lines`](Self::cpu_lines) into the
    /// vCPUs.
    pub fn take_changed(&self) -> bool {
        self.shared.take_changed()
    }

    /// A copy of everything the guest can observe.
    pub fn state(&self) -> S {
        self.shared.peek(|s| s.clone())
    }

    /// Puts back a state [`Gic::state`] gave (a machine snapshot); the CPU lines follow.
    pub fn restore(&self, state: S) {
        self.shared.with(|s| *s = state);
    }
}
