//! A small harness for CPU tests: a vCPU with a block of RAM, no devices, and a program
//! that ends with a marker HVC. Tests are written once through [`cpu_test!`] and run on
//! every executor: the interpreter, the JIT, and the two in lockstep (each block run on
//! both from the same state, registers compared after every block, RAM at the end).

use crate::bus::{Bus, BusError, RamRegion};
use crate::cpu::Cpu;
use crate::exec::{CodeCache, Exit};
use crate::mem::Mem;
use crate::mmu::TlbBroadcast;
use crate::monitor::Monitors;

/// Where test programs are loaded: the virt machine's RAM base.
pub const RAM_BASE: u64 = 0x4000_0000;
pub const RAM_SIZE: usize = 4 << 20;
/// HVC #0xfffe: the marker the harness appends to end a program.
pub const END_MARKER: u32 = 0xd400_0002 | (0xfffe << 5);

/// The executors every CPU test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Executor {
    Interpreter,
    Jit,
    /// The JIT, checked block by block against a shadow interpreter.
    Lockstep,
}

/// A bus with nothing on it: every access is an external abort.
pub struct EmptyBus;

impl Bus for EmptyBus {
    fn read(&mut self, _: u64, _: u8) -> Result<u64, BusError> {
        Err(BusError::Unmapped)
    }
    fn write(&mut self, _: u64, _: u8, _: u64) -> Result<(), BusError> {
        Err(BusError::Unmapped)
    }
}

pub struct TestCpu {
    pub cpu: Cpu,
    pub executor: Executor,
    ram: Vec<u64>,
    code: CodeCache,
    monitors: Monitors,
    pub tlbi: TlbBroadcast,
}

impl TestCpu {
    pub fn new(executor: Executor) -> Self {
        let mut t = TestCpu {
            cpu: Cpu::new(0, 0),
            executor,
            ram: vec![0; RAM_SIZE / 8],
            code: CodeCache::new(),
            monitors: Monitors::new(1),
            tlbi: TlbBroadcast::new(),
        };
        t.cpu.s.pc = RAM_BASE;
        if executor != Executor::Interpreter {
            t.cpu.engine = crate::jit::Engine::Jit;
        }
        t
    }

    /// An interpreter copy of this vCPU and its RAM, to run beside it.
    fn shadow(&self) -> TestCpu {
        let mut s = TestCpu::new(Executor::Interpreter);
        s.ram.clone_from(&self.ram);
        s.monitors = self.monitors.clone();
        let (a, b) = (&mut s.cpu, &self.cpu);
        a.s = b.s.clone();
        a.sys = b.sys.clone();
        a.icount = b.icount;
        a.clock_offset = b.clock_offset;
        a.timers = b.timers.clone();
        a.event = b.event;
        a.stream_seen = b.stream_seen;
        a.breakpoints = b.breakpoints.clone();
        a.watchpoints = b.watchpoints.clone();
        a.replay = b.replay.clone();
        a.semihosting = b.semihosting;
        a.ids = b.ids;
        a.lines.set_irq(b.lines.irq());
        a.lines.set_fiq(b.lines.fiq());
        a.lines.set_serror(b.lines.serror());
        a.mmu_context_changed();
        s
    }

    /// Runs this (JIT) vCPU and an interpreter shadow one block at a time, comparing
    /// everything the guest can see after each block.
    fn run_lockstep(&mut self, limit: u64) -> Exit {
        if self.cpu.sysreg_ext.is_some() {
            // The machine's extension registers have side effects a shadow would repeat:
            // such a test runs on the JIT alone.
            return self.with_mem(None, |cpu, mem| cpu.run(mem, limit));
        }
        let mut shadow = self.shadow();
        let end = self.cpu.icount + limit;
        loop {
            let before = self.cpu.s.pc;
            let a = self.with_mem(None, |cpu, mem| cpu.run(mem, 1));
            let b = shadow.with_mem(None, |cpu, mem| cpu.run(mem, 1));
            let what = format!("block at {before:#x}");
            assert_eq!(a, b, "exit of the {what}");
            assert_same_state(&self.cpu, &shadow.cpu, &what);
            if a != Exit::Budget || self.cpu.icount >= end {
                assert!(self.ram == shadow.ram, "RAM differs after the {what}");
                return a;
            }
        }
    }

    pub fn ram_region(&mut self) -> RamRegion {
        // SAFETY: `ram` lives as long as `self` and is never reallocated.
        unsafe { RamRegion::new(RAM_BASE, RAM_SIZE as u64, self.ram.as_mut_ptr() as *mut u8) }
    }

    /// Copies little-endian instruction words to RAM at `addr`, followed by the end marker.
    pub fn load_words(&mut self, addr: u64, words: &[u32]) {
        let mut bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        bytes.extend_from_slice(&END_MARKER.to_le_bytes());
        self.write_bytes(addr, &bytes);
    }

    /// Copies assembled code (bytes) to the start of RAM, followed by the end marker.
    pub fn load(&mut self, code: &[u8]) {
        let words: Vec<u32> = code
            .chunks(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        self.load_words(RAM_BASE, &words);
    }

    pub fn write_bytes(&mut self, addr: u64, bytes: &[u8]) {
        let ram = self.ram_region();
        let off = ram
            .offset(addr, bytes.len() as u64)
            .expect("outside test RAM");
        ram.write_bytes(off, bytes);
        self.code.note_write(addr, bytes.len() as u64);
    }

    pub fn read_bytes(&mut self, addr: u64, len: usize) -> Vec<u8> {
        let ram = self.ram_region();
        let off = ram.offset(addr, len as u64).expect("outside test RAM");
        let mut buf = vec![0; len];
        ram.read_bytes(off, &mut buf);
        buf
    }

    pub fn write_u64(&mut self, addr: u64, v: u64) {
        self.write_bytes(addr, &v.to_le_bytes());
    }

    pub fn read_u64(&mut self, addr: u64) -> u64 {
        u64::from_le_bytes(self.read_bytes(addr, 8).try_into().unwrap())
    }

    /// Calls `f` with another vCPU (`other`, e.g. a second vCPU of the machine) or this
    /// one, and the memory they share.
    pub fn with_mem<R>(
        &mut self,
        other: Option<&mut Cpu>,
        f: impl FnOnce(&mut Cpu, &mut Mem<'_>) -> R,
    ) -> R {
        let ram = self.ram_region();
        let mut bus = EmptyBus;
        let mut mem = Mem {
            ram,
            bus: &mut bus,
            code: &mut self.code,
            monitors: &mut self.monitors,
            tlbi: &mut self.tlbi,
        };
        f(other.unwrap_or(&mut self.cpu), &mut mem)
    }

    /// Runs until the end marker or another exit; at most `limit` instructions.
    pub fn run_limit(&mut self, limit: u64) -> Exit {
        let executor = self.executor;
        match executor {
            Executor::Lockstep => self.run_lockstep(limit),
            _ => self.with_mem(None, |cpu, mem| cpu.run(mem, limit)),
        }
    }

    /// Runs the loaded program to its end marker, panicking on any other exit.
    pub fn run(&mut self) {
        match self.run_limit(1_000_000) {
            Exit::Hvc(0xfffe) => {}
            other => panic!("program ended with {:?} at pc {:#x}", other, self.cpu.s.pc),
        }
    }

    pub fn x(&self, n: usize) -> u64 {
        self.cpu.s.x[n]
    }

    pub fn set_x(&mut self, n: usize, v: u64) {
        self.cpu.s.x[n] = v;
    }

    pub fn nzcv(&self) -> u32 {
        self.cpu.s.nzcv
    }
}

/// Asserts that two vCPUs are in the same architectural state (and count).
pub fn assert_same_state(a: &Cpu, b: &Cpu, what: &str) {
    assert_eq!(a.s.x, b.s.x, "X registers after the {what}");
    assert_eq!(a.s.pc, b.s.pc, "PC after the {what}");
    assert_eq!(a.s.nzcv, b.s.nzcv, "NZCV after the {what}");
    assert_eq!(
        (a.s.daif, a.s.el, a.s.spsel, a.s.sp_el0, a.s.sp_el1),
        (b.s.daif, b.s.el, b.s.spsel, b.s.sp_el0, b.s.sp_el1),
        "PSTATE and banked SPs after the {what}"
    );
    assert_eq!(a.s.v, b.s.v, "V registers after the {what}");
    assert_eq!(
        (a.s.fpcr, a.s.fpsr),
        (b.s.fpcr, b.s.fpsr),
        "FPCR/FPSR after the {what}"
    );
    assert_eq!(a.icount, b.icount, "instruction count after the {what}");
    assert_eq!(
        format!("{:?}", a.sys),
        format!("{:?}", b.sys),
        "system registers after the {what}"
    );
    assert_eq!(a.event, b.event, "event register after the {what}");
}

/// Assembles A64 code with dynasm into a byte vector:
/// `let code = a64!(; add x0, x1, 5 ; ret);` (dynasm's `.arch aarch64` syntax).
#[macro_export]
macro_rules! a64 {
    ($($t:tt)*) => {{
        #[allow(unused_imports)]
        use dynasmrt::{DynasmApi, DynasmLabelApi};
        let mut ops = dynasmrt::VecAssembler::<dynasmrt::aarch64::Aarch64Relocation>::new(0);
        dynasmrt::dynasm!(ops ; .arch aarch64 $($t)*);
        ops.finalize().expect("assembly failed")
    }};
}

/// Defines CPU tests that run on every executor:
/// ```ignore
/// cpu_test! {
///     fn adds_sets_carry(t) {
///         t.load(&a64!(; adds x0, x1, x2));
///         t.set_x(1, u64::MAX); t.set_x(2, 1);
///         t.run();
///         assert_eq!(t.x(0), 0);
///     }
/// }
/// ```
#[macro_export]
macro_rules! cpu_test {
    ($(fn $name:ident($t:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[test]
            fn interpreter() {
                #[allow(unused_mut)]
                let mut $t = $crate::testing::TestCpu::new($crate::testing::Executor::Interpreter);
                $body
            }
            #[test]
            fn jit() {
                #[allow(unused_mut)]
                let mut $t = $crate::testing::TestCpu::new($crate::testing::Executor::Jit);
                $body
            }
            #[test]
            fn lockstep() {
                #[allow(unused_mut)]
                let mut $t = $crate::testing::TestCpu::new($crate::testing::Executor::Lockstep);
                $body
            }
        }
    )*};
}
