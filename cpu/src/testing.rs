//! A small harness for CPU tests: a vCPU with a block of RAM, no devices, and a program
//! that ends with a marker HVC. Tests are written once through [`cpu_test!`] and run on
//! every executor (the interpreter today; the JIT and a lockstep JIT-vs-interpreter
//! variant join by adding to [`Executor`] without touching the tests).

use crate::bus::{Bus, BusError, RamRegion};
use crate::cpu::Cpu;
use crate::exec::{CodeCache, Exit};
use crate::mem::Mem;
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
}

impl TestCpu {
    pub fn new(executor: Executor) -> Self {
        let mut t = TestCpu {
            cpu: Cpu::new(0, 0),
            executor,
            ram: vec![0; RAM_SIZE / 8],
            code: CodeCache::new(),
            monitors: Monitors::new(1),
        };
        t.cpu.s.pc = RAM_BASE;
        t
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

    /// Runs until the end marker or another exit; at most `limit` instructions.
    pub fn run_limit(&mut self, limit: u64) -> Exit {
        let ram = self.ram_region();
        let mut bus = EmptyBus;
        let mut mem = Mem {
            ram,
            bus: &mut bus,
            code: &mut self.code,
            monitors: &mut self.monitors,
        };
        match self.executor {
            Executor::Interpreter => self.cpu.run(&mut mem, limit),
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
        }
    )*};
}
