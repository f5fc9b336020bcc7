//! Engine speed on integer loops: millions of guest instructions per second.
//!
//! Bare-metal guests (assembled here with dynasm) run on the reference interpreter and on
//! the JIT:
//! a mixed loop of integer arithmetic, logical ops, a load and a store per iteration,
//! and a store-heavy loop (half its instructions are stores, as in memset or a stack
//! spill), which measures the cost every RAM store pays to keep decoded code coherent.
//! Run with `cargo bench --bench interp_mips`; it prints the figures, it asserts nothing.

use armvirt_cpu::a64;
use armvirt_cpu::testing::{Executor, TestCpu};
use std::time::Instant;

const ITERATIONS: u64 = 2_000_000;

fn main() {
    // x0: counter, x1..x5: work registers, x6: scratch buffer.
    let mixed = a64!(
        ; movz x0, (ITERATIONS & 0xffff) as u32
        ; movk x0, ((ITERATIONS >> 16) & 0xffff) as u32, lsl 16
        ; movz x6, 0x4010, lsl 16
        ; movz x1, 1
        ; ->top:
        ; add x2, x1, x0
        ; eor x3, x2, x1, lsl 3
        ; and x4, x3, 0x00ff_00ff_00ff_00ff
        ; orr x1, x4, x2, lsr 7
        ; ldr x5, [x6, 8]
        ; add x5, x5, x1
        ; str x5, [x6, 8]
        ; madd x1, x1, x2, x5
        ; subs x0, x0, 1
        ; b.ne ->top
    );
    run("mixed", &mixed, 10);

    // x0: counter, x6 and x7: buffers on two pages; five stores per iteration.
    let stores = a64!(
        ; movz x0, (ITERATIONS & 0xffff) as u32
        ; movk x0, ((ITERATIONS >> 16) & 0xffff) as u32, lsl 16
        ; movz x6, 0x4010, lsl 16
        ; add x7, x6, 1, lsl 12
        ; ->top:
        ; str x0, [x6]
        ; str x0, [x6, 8]
        ; stp x0, x0, [x6, 16]
        ; strb w0, [x7]
        ; strh w0, [x7, 2]
        ; add x1, x0, 3
        ; add x2, x1, x0
        ; subs x0, x0, 1
        ; b.ne ->top
    );
    run("stores", &stores, 9);
}

/// Runs `code` to its end marker on each engine and prints the rates.
fn run(name: &str, code: &[u8], per_iteration: u64) {
    for on in [Executor::Interpreter, Executor::Jit] {
        run_on(on, name, code, per_iteration);
    }
}

fn run_on(on: Executor, name: &str, code: &[u8], per_iteration: u64) {
    let mut t = TestCpu::new(on);
    t.load(code);
    let start = Instant::now();
    t.run_limit(u64::MAX / 2);
    let secs = start.elapsed().as_secs_f64();
    let retired = t.cpu.icount;
    assert!(
        retired >= ITERATIONS * per_iteration,
        "the {name} loop did not run: {retired}"
    );
    println!(
        "{on:?}, {name}: {} instructions in {:.3} s = {:.1} MIPS",
        retired,
        secs,
        retired as f64 / secs / 1e6
    );
}
