//! Differential tests: the same A64 instruction sequences on our interpreter and on an
//! independent reference, QEMU's user-mode `qemu-aarch64` (EL0, `-cpu cortex-a72`),
//! comparing X0–X30, SP, NZCV and, for memory cases, a scratch buffer.
//!
//! The reference side writes one static AArch64 ELF per batch of cases (see
//! `differential/reference.rs`); our side runs each case on `testing::TestCpu` at the same
//! addresses, at EL0 and at EL1 (`differential/ours.rs`). An UNDEFINED instruction is an
//! outcome like any other: SIGILL there, an EC 0 exception here, with the registers as they
//! were. The generators (`differential/gen_*.rs`) draw encodings field by field and
//! operands from a deterministic xorshift PRNG with the edge values of each group; each
//! group is one test, and a failing test lists each failing form with its first case
//! (disassembled by qemu), the inputs and the differing registers.
//!
//! Run with `cargo test -p armvirt-cpu --test differential`. qemu-aarch64 comes from
//! Debian's `qemu-user`; without it these tests fail, unless ARMVIRT_SKIP_QEMU=1 is set.
//! ARMVIRT_QEMU_AARCH64 names another qemu-aarch64 binary.
//!
//! To add a group: write a generator returning `Vec<Case>` (see `differential/gen.rs`),
//! keep to encodings that EL0 may execute (or mark the case `expect_undefined`), keep
//! memory accesses aligned and inside the scratch buffer, and list it in `groups!` below.

#[path = "differential/case.rs"]
mod case;
#[path = "differential/disasm.rs"]
mod disasm;
#[path = "differential/elf.rs"]
mod elf;
#[path = "differential/enc.rs"]
mod enc;
#[path = "differential/harness.rs"]
mod harness;
#[path = "differential/known.rs"]
mod known;
#[path = "differential/layout.rs"]
mod layout;
#[path = "differential/ours.rs"]
mod ours;
#[path = "differential/reference.rs"]
mod reference;
#[path = "differential/rng.rs"]
mod rng;

#[path = "differential/gen.rs"]
mod gen;
#[path = "differential/gen_branch.rs"]
mod gen_branch;
#[path = "differential/gen_dp_imm.rs"]
mod gen_dp_imm;
#[path = "differential/gen_dp_reg.rs"]
mod gen_dp_reg;
#[path = "differential/gen_load_store.rs"]
mod gen_load_store;
#[path = "differential/gen_sequence.rs"]
mod gen_sequence;
#[path = "differential/gen_system.rs"]
mod gen_system;
#[path = "differential/gen_undefined.rs"]
mod gen_undefined;
#[path = "differential/selftest.rs"]
mod selftest;

/// One test per group, so each group's differences are reported on their own.
macro_rules! groups {
    ($($name:ident => $gen:path;)*) => {$(
        #[test]
        fn $name() {
            harness::check(stringify!($name), &$gen());
        }
    )*};
}

groups! {
    pc_rel => gen_dp_imm::pc_rel;
    add_sub_imm => gen_dp_imm::add_sub_imm;
    logical_imm => gen_dp_imm::logical_imm;
    move_wide => gen_dp_imm::move_wide;
    bitfield => gen_dp_imm::bitfield;
    extract => gen_dp_imm::extract;
    logical_shifted => gen_dp_reg::logical_shifted;
    add_sub_shifted => gen_dp_reg::add_sub_shifted;
    add_sub_extended => gen_dp_reg::add_sub_extended;
    adc_sbc => gen_dp_reg::adc_sbc;
    cond_compare => gen_dp_reg::cond_compare;
    cond_select => gen_dp_reg::cond_select;
    dp_1src => gen_dp_reg::dp_1src;
    dp_2src => gen_dp_reg::dp_2src;
    dp_3src => gen_dp_reg::dp_3src;
    b_cond => gen_branch::b_cond;
    cbz => gen_branch::cbz;
    tbz => gen_branch::tbz;
    unconditional => gen_branch::unconditional;
    ls_unsigned_offset => gen_load_store::unsigned_offset;
    ls_imm9 => gen_load_store::imm9;
    ls_register_offset => gen_load_store::register_offset;
    ls_pair => gen_load_store::pair;
    ls_literal => gen_load_store::literal;
    ls_exclusive => gen_load_store::exclusive;
    ls_sequences => gen_load_store::sequences;
    system => gen_system::system;
    undefined => gen_undefined::undefined;
    el0_undefined => gen_undefined::el0_undefined;
    sequences => gen_sequence::sequences;
}
