//! Differential tests: the same A64 instruction sequences on our interpreter and on an
//! independent reference, QEMU's user-mode `qemu-aarch64` (EL0, `-cpu cortex-a72`),
//! comparing X0–X30, SP, NZCV and, for memory cases, a scratch buffer.
//!
//! The reference side writes one static AArch64 ELF per batch of cases (see
//! `differential/reference.rs`); our side runs each case on `testing::TestCpu` at the same
//! addresses (`differential/ours.rs`). The generators (`differential/gen_*.rs`) draw
//! encodings field by field and operands from a deterministic xorshift PRNG with the
//! edge values of each group. Run with `cargo test -p armvirt-cpu --test differential`.
//! qemu-aarch64 comes from Debian's `qemu-user`; without it these tests fail, unless
//! ARMVIRT_SKIP_QEMU=1 is set.

#[path = "differential/case.rs"]
mod case;
#[path = "differential/elf.rs"]
mod elf;
#[path = "differential/enc.rs"]
mod enc;
#[path = "differential/harness.rs"]
mod harness;
#[path = "differential/layout.rs"]
mod layout;
#[path = "differential/ours.rs"]
mod ours;
#[path = "differential/reference.rs"]
mod reference;
#[path = "differential/rng.rs"]
mod rng;

#[path = "differential/selftest.rs"]
mod selftest;
