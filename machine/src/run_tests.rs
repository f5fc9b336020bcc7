//! The run loop with vCPUs that wait: bare-metal code on two vCPUs where one waits in WFE
//! for what the other does (a store to the granule it reserved, SEV), and a lone WFE that
//! only the timer's event stream ends. A waiting vCPU must not burn its slices: its
//! instruction count stays small however long the other one works.

use super::*;
use crate::test_rig::machine_with_files;
use armvirt_cpu::a64;
/// What the worker vCPU counts down before it acts: two instructions per count.
const WORK: u64 = 50_000;

/// A machine of `cpus` vCPUs booting an Image whose body is `code`; returns it and the
/// body's address. vCPU 0 enters the body at its start; vCPU 1 (when `cpus` is 2) is on,
/// at the body's second instruction.
fn machine(name: &str, cpus: u32, code: &[u8]) -> (Machine, u64) {
    let (mut m, body, dir) = machine_with_files(&format!("run-{name}"), cpus, code);
    std::fs::remove_dir_all(&dir).ok();
    if cpus > 1 {
        m.vcpus[1].power = Power::On;
        m.vcpus[1].cpu.s.pc = body + 4;
    }
    (m, body)
}

fn run(m: &mut Machine) -> Result<RunEnd, Stop> {
    m.run_with(ConsoleInput::none())
}

#[test]
fn a_store_to_the_reserved_flag_wakes_the_vcpu_waiting_in_wfe() {
    // Linux's __cmpwait: SEVL; WFE clears the register, then LDAXR and WFE until the
    // flag changes. vCPU 1 works, then sets the flag with a plain store.
    let (mut m, _) = machine(
        "monitor",
        2,
        &a64!(
            ; b >waiter
            ; movz x3, WORK as u32
            ; work:
            ; subs x3, x3, 1
            ; b.ne <work
            ; adr x2, >flag
            ; movz x1, 1
            ; str x1, [x2]
            ; park:
            ; wfi
            ; b <park
            ; waiter:
            ; adr x2, >flag
            ; sevl
            ; wfe
            ; spin:
            ; ldaxr x1, [x2]
            ; cbnz x1, >done
            ; wfe
            ; b <spin
            ; done:
            ; movz x0, 0x0008
            ; movk x0, 0x8400, lsl 16
            ; hvc 0
            ; .align 64
            ; flag:
            ; .u64 0
        ),
    );
    assert_eq!(run(&mut m), Ok(RunEnd::PowerOff));
    let (waiter, worker) = (m.vcpus[0].cpu.icount, m.vcpus[1].cpu.icount);
    assert!(worker > 2 * WORK, "the worker ran {worker}");
    assert!(waiter < 50, "the waiter spun: {waiter} instructions");
    assert_eq!(m.vcpus[0].cpu.s.x[1], 1);
}

#[test]
fn sev_wakes_the_vcpu_waiting_in_wfe() {
    let (mut m, _) = machine(
        "sev",
        2,
        &a64!(
            ; b >waiter
            ; movz x3, WORK as u32
            ; work:
            ; subs x3, x3, 1
            ; b.ne <work
            ; sev
            ; park:
            ; wfi
            ; b <park
            ; waiter:
            ; sevl
            ; wfe
            ; wfe
            ; movz x0, 0x0008
            ; movk x0, 0x8400, lsl 16
            ; hvc 0
        ),
    );
    assert_eq!(run(&mut m), Ok(RunEnd::PowerOff));
    let (waiter, worker) = (m.vcpus[0].cpu.icount, m.vcpus[1].cpu.icount);
    assert_eq!(m.vcpus[1].cpu.s.x[3], 0, "the waiter woke before the SEV");
    assert!(worker > 2 * WORK && waiter < 50, "{waiter} {worker}");
}

/// CNTKCTL_EL1 with the event stream on the 0-to-1 transition of counter bit 10: ticks
/// at counts 1024, 3072... (Arm ARM D11.2.3).
const EVNTEN_BIT10: u32 = (1 << 2) | (10 << 4);

#[test]
fn the_event_stream_alone_ends_a_wfe_at_its_tick() {
    let (mut m, _) = machine(
        "stream",
        1,
        &a64!(
            ; movz x4, EVNTEN_BIT10
            ; msr 0x4708, x4 // CNTKCTL_EL1
            ; sevl
            ; wfe
            ; wfe
            ; movz x0, 0x0008
            ; movk x0, 0x8400, lsl 16
            ; hvc 0
        ),
    );
    assert_eq!(run(&mut m), Ok(RunEnd::PowerOff));
    // The clock jumped to the tick: count 1024, 16 ns a count.
    assert_eq!(m.now_ns, 1024 * 16);
    assert!(m.vcpus[0].cpu.icount < 50);
}

#[test]
fn a_wfe_nothing_can_wake_resumes_rather_than_stopping_the_machine() {
    let (mut m, _) = machine(
        "nothing",
        1,
        &a64!(
            ; sevl
            ; wfe
            ; again:
            ; wfe
            ; add x5, x5, 1
            ; b <again
        ),
    );
    // No stream, no timer, no input: a WFE resumes spuriously (the architecture allows
    // it) every other round, where a WFI would be a deadlock.
    for _ in 0..6 {
        assert!(matches!(
            m.round(&mut ConsoleInput::none(), IDLE_WAIT),
            Round::Continue
        ));
    }
    assert_eq!(m.vcpus[0].cpu.s.x[5], 2);
}

#[test]
fn a_timer_interrupt_wakes_a_wfe_while_another_vcpu_works() {
    // vCPU 0 arms its virtual timer 1000 counts ahead (PPI 27 through the GICv2), unmasks
    // IRQs and waits in WFE; its IRQ vector powers off. vCPU 1 never stops working, so
    // only a wake-up while it runs ends the run.
    let (mut m, body) = machine(
        "timer",
        2,
        &a64!(
            ; b >waiter
            ; work:
            ; b <work
            ; waiter:
            ; movz x1, 0x0800, lsl 16 // GICD
            ; movz w2, 1
            ; str w2, [x1] // GICD_CTLR.EnableGrp0
            ; movz w3, 0x800, lsl 16 // bit 27
            ; str w3, [x1, 0x100] // GICD_ISENABLER0
            ; movz x1, 0x0801, lsl 16 // GICC
            ; str w2, [x1] // GICC_CTLR.EnableGrp0
            ; movz w3, 0xff
            ; str w3, [x1, 4] // GICC_PMR
            ; mrs x5, 0x5f02 // CNTVCT_EL0
            ; add x5, x5, 1000
            ; msr 0x5f1a, x5 // CNTV_CVAL_EL0
            ; msr 0x5f19, x2 // CNTV_CTL_EL0.ENABLE
            ; .u32 0xd503_42ff // msr daifclr, #2
            ; wait:
            ; wfe
            ; b <wait
        ),
    );
    // The vector table, past the code: IRQ from the current EL with SP_ELx (+0x280).
    let vbar = (body + 0x1000) & !0x7ff;
    let handler = a64!(; movz x0, 0x0008 ; movk x0, 0x8400, lsl 16 ; hvc 0);
    assert_eq!(m.write_phys(vbar + 0x280, &handler), handler.len());
    m.vcpus[0].cpu.sys.vbar_el1 = vbar;
    let mut input = ConsoleInput::none();
    for _ in 0..100 {
        if let Round::End(end) = m.round(&mut input, IDLE_WAIT) {
            assert_eq!(end, Ok(RunEnd::PowerOff));
            let waiter = m.vcpus[0].cpu.icount;
            assert!(waiter < 100, "the waiter spun: {waiter} instructions");
            // The deadline is 16 µs ahead: the wake-up comes in the round after it.
            assert!(
                m.now_ns <= 1000 * 16 + 2 * QUANTUM,
                "woke at {} ns",
                m.now_ns
            );
            return;
        }
    }
    panic!("the timer interrupt never woke vCPU 0");
}
