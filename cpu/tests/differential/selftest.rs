//! Checks of the harness itself, against values worked out by hand rather than against our
//! interpreter: the reference program's register/flag/memory round trip, and the harness
//! encoders against dynasm.

use super::case::Case;
use super::enc;
use super::harness::{reference_states, skip_without_qemu};
use super::layout::{BUF_ADDR, BUF_SIZE, CODE_BASE, CODE_LIMIT};
use super::ours::{El, Ours};
use super::reference;
use super::rng::Rng;

fn words(code: &[u8]) -> Vec<u32> {
    code.chunks(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn asm(
    f: impl FnOnce(&mut dynasmrt::VecAssembler<dynasmrt::aarch64::Aarch64Relocation>),
) -> Vec<u32> {
    let mut ops = dynasmrt::VecAssembler::new(0);
    f(&mut ops);
    words(&ops.finalize().unwrap())
}

macro_rules! a64w {
    ($($t:tt)*) => {
        asm(|ops| { dynasmrt::dynasm!(ops ; .arch aarch64 $($t)*); })
    };
}

/// Distinct recognisable register values: 0x1111_0000_0000_00nn.
fn marked() -> [u64; 31] {
    std::array::from_fn(|n| 0x1111_0000_0000_0000 | n as u64)
}

#[test]
fn encoders_agree_with_dynasm() {
    assert_eq!(enc::add_imm(31, 0, 0), a64w!(; mov sp, x0)[0]);
    assert_eq!(enc::add_imm(1, 31, 0), a64w!(; mov x1, sp)[0]);
    assert_eq!(enc::add_imm(30, 30, 0xabc), a64w!(; add x30, x30, 0xabc)[0]);
    assert_eq!(
        enc::ldp(28, 29, 30, 224),
        a64w!(; ldp x28, x29, [x30, 224])[0]
    );
    assert_eq!(enc::stp(1, 2, 4, -512), a64w!(; stp x1, x2, [x4, -512])[0]);
    assert_eq!(enc::ldr(30, 30, 240), a64w!(; ldr x30, [x30, 240])[0]);
    assert_eq!(enc::str(1, 0, 256), a64w!(; str x1, [x0, 256])[0]);
    assert_eq!(enc::movz(8, 93), a64w!(; movz x8, 93)[0]);
    assert_eq!(enc::SVC0, a64w!(; svc 0)[0]);
    assert_eq!(enc::NOP, a64w!(; nop)[0]);
    // NZCV is op0=3 op1=3 CRn=4 CRm=2 op2=0; TPIDR_EL0 op0=3 op1=3 CRn=13 CRm=0 op2=2
    // (Arm ARM D17.2); dynasm takes the 15-bit number without op0's top bit.
    assert_eq!(enc::msr(enc::NZCV, 0), a64w!(; msr 0x5a10, x0)[0]);
    assert_eq!(enc::mrs(1, enc::NZCV), a64w!(; mrs x1, 0x5a10)[0]);
    assert_eq!(enc::msr(enc::TPIDR_EL0, 0), a64w!(; msr 0x5e82, x0)[0]);
    assert_eq!(enc::mrs(1, enc::TPIDR_EL0), a64w!(; mrs x1, 0x5e82)[0]);
    // ADRP from 0x4000_2004 to 0x4000_1abc: one page back.
    assert_eq!(
        enc::adrp(4, 0x4000_2004, 0x4000_1abc),
        0xf000_0004 | 0x7ffff << 5
    );
}

#[test]
fn reference_round_trips_registers_sp_and_flags() {
    if skip_without_qemu() {
        return;
    }
    let mut c = Case::new("empty", vec![], marked(), 0xa000_0000);
    c.sp = 0xdead_beef_0000_0010;
    let s = &reference_states("selftest-empty", &[c.clone()])[0];
    assert_eq!(s.x, c.x);
    assert_eq!(s.sp, c.sp);
    assert_eq!(s.nzcv, 0xa000_0000);
    assert_eq!(s.mem, None);
    assert!(!s.undefined);
}

#[test]
fn reference_reports_undefined_with_state_at_the_fault() {
    if skip_without_qemu() {
        return;
    }
    let mut x = marked();
    x[1] = 1;
    // UDF #0 (all zeros) is permanently UNDEFINED (Arm ARM C6.2.376): the first ADD has
    // run, the second has not; flags as set before.
    let mut words = a64w!(; add x0, x1, 1);
    words.push(0);
    words.extend(a64w!(; add x2, x2, 1));
    let c = Case::new("udf", words, x, 0x5000_0000);
    let ok = Case::new("after", a64w!(; add x3, x3, 1), marked(), 0);
    let s = reference_states("selftest-udf", &[c.clone(), ok, c]);
    for s in [&s[0], &s[2]] {
        assert!(s.undefined);
        assert_eq!(s.x[0], 2);
        assert_eq!(s.x[2], marked()[2]);
        assert_eq!(s.nzcv, 0x5000_0000);
    }
    assert!(!s[1].undefined);
    assert_eq!(s[1].x[3], marked()[3] + 1);
}

#[test]
fn reference_exclusives_succeed_in_pairs_and_fail_after_clrex() {
    if skip_without_qemu() {
        return;
    }
    let mut x = marked();
    x[2] = BUF_ADDR + 0x40;
    x[3] = 0x1234;
    // LDXR then STXR to the same address: status 0, the store done (Arm ARM B2.9.2).
    let pair = Case::new(
        "ldxr-stxr",
        a64w!(; ldxr x1, [x2] ; stxr w4, x3, [x2]),
        x,
        0,
    );
    // CLREX leaves the monitor Open Access: STXR fails with status 1, no store.
    let clrex = Case::new("clrex-stxr", a64w!(; clrex ; stxr w4, x3, [x2]), x, 0);
    let mem: Vec<u8> = (0..BUF_SIZE as u32).map(|i| i as u8).collect();
    let cases = [pair.with_mem(mem.clone()), clrex.with_mem(mem.clone())];
    let s = reference_states("selftest-excl", &cases);
    assert_eq!(
        s[0].x[1],
        u64::from_le_bytes(mem[0x40..0x48].try_into().unwrap())
    );
    assert_eq!(s[0].x[4], 0);
    assert_eq!(
        &s[0].mem.as_ref().unwrap()[0x40..0x48],
        &0x1234u64.to_le_bytes()
    );
    assert_eq!(s[1].x[4], 1);
    assert_eq!(s[1].mem.as_ref().unwrap(), &mem);
}

#[test]
fn ours_reports_a_difference() {
    if skip_without_qemu() {
        return;
    }
    // The reference runs ADD; ours runs nothing at the same address (only the end marker,
    // which works before any handler exists): the comparison must name X0 and nothing else.
    let mut x = marked();
    x[1] = 7;
    let add = Case::new("add", a64w!(; add x0, x1, 1), x, 0x2000_0000);
    let want = &reference_states("selftest-diff", std::slice::from_ref(&add))[0];
    let addr = reference::build(std::slice::from_ref(&add)).case_addrs[0];
    let empty = Case {
        words: vec![],
        ..add
    };
    for el in [El::El0, El::El1] {
        let got = Ours::new()
            .run(
                &empty,
                addr,
                el,
                armvirt_cpu::testing::Executor::Interpreter,
            )
            .expect("the empty case runs");
        assert_eq!(
            got.diff(want),
            vec![format!("x0: want {:#018x} got {:#018x}", 8, x[0])]
        );
    }
}

#[test]
fn reference_computes_hand_checked_values() {
    if skip_without_qemu() {
        return;
    }
    let mut x = marked();
    x[1] = 41;
    let add = Case::new("add", a64w!(; add x0, x1, 1), x, 0);
    let mut x = marked();
    x[1] = u64::MAX;
    x[2] = 1;
    // ADDS: u64::MAX + 1 = 0 with carry out, no signed overflow (AddWithCarry, J1.1.3).
    let adds = Case::new("adds", a64w!(; adds x0, x1, x2), x, 0x9000_0000);
    let mut x = marked();
    x[1] = 0x0123_4567_89ab_cdef;
    x[2] = BUF_ADDR + 8;
    let store = Case::new("str", a64w!(; str x1, [x2]), x, 0).with_mem(vec![0x5a; BUF_SIZE]);
    let adr = Case::new("adr", a64w!(; adr x3, 0x10), marked(), 0);
    let cases = [add, adds, store, adr];
    let s = reference_states("selftest-hand", &cases);

    assert_eq!(s[0].x[0], 42);
    assert_eq!(&s[0].x[1..], &cases[0].x[1..]);
    assert_eq!(s[1].x[0], 0);
    assert_eq!(s[1].nzcv, 0x6000_0000); // Z and C
    let mem = s[2].mem.as_ref().unwrap();
    assert_eq!(&mem[8..16], &0x0123_4567_89ab_cdefu64.to_le_bytes());
    assert!(mem[..8].iter().chain(&mem[16..]).all(|&b| b == 0x5a));
    let addr = reference::build(&cases).case_addrs[3];
    assert_eq!(addr % 16, 0);
    assert_eq!(s[3].x[3], addr + 0x10);
}

#[test]
fn batches_keep_code_inside_test_ram() {
    let mut rng = Rng::new("batches");
    let cases: Vec<Case> = (0..20_000)
        .map(|i| {
            let c = Case::new("nop", vec![enc::NOP; 1 + i % 5], [0; 31], 0);
            if rng.below(3) == 0 {
                c.with_mem(vec![0; BUF_SIZE])
            } else {
                c
            }
        })
        .collect();
    let batches = reference::batches(&cases);
    assert!(batches.len() > 1);
    assert_eq!(batches.last().unwrap().end, cases.len());
    for b in batches {
        let prog = reference::build(&cases[b.clone()]);
        assert!(prog.case_addrs[0] >= CODE_BASE);
        let last = b.end - b.start - 1;
        assert!(prog.case_addrs[last] + 4 * cases[b.end - 1].words.len() as u64 + 4 <= CODE_LIMIT);
    }
}

#[test]
fn reports_disassemble_through_qemu() {
    if skip_without_qemu() {
        return;
    }
    let w = a64w!(; add x0, x1, 1)[0];
    assert_eq!(
        super::disasm::disassemble(w).as_deref(),
        Some("add x0, x1, #1")
    );
    let w = a64w!(; ldr x3, [x4, 16])[0];
    assert_eq!(
        super::disasm::disassemble(w).as_deref(),
        Some("ldr x3, [x4, #0x10]")
    );
}

#[test]
fn a_looping_reference_case_times_out_and_is_named() {
    if skip_without_qemu() {
        return;
    }
    let ok = Case::new("ok", vec![], marked(), 0);
    let looping = Case::new("loop", vec![0x1400_0000], marked(), 0); // B . (to itself)
    let cases = [ok, looping];
    let prog = reference::build(&cases);
    let limit = std::time::Duration::from_millis(500);
    match reference::run_for("selftest-loop", &cases, &prog, limit) {
        Err(reference::RefError::Died { done, status, .. }) => {
            assert_eq!(done, 1);
            assert!(status.contains("timeout"), "{status}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}
