//! vCPUs as gdb threads, and single steps with interrupts: gdb-multiarch in batch mode
//! against `armvirt -S --gdb PORT` on bare-metal Images where each vCPU runs its own
//! code (`gdb_util::smp_image`) or a timer interrupt is pending (`gdb_util::irq_image`).
//! Thread naming and `info threads` follow QEMU's (`Thread 1.2 (CPU#1 [running])`).

mod gdb_util;
use gdb_util::*;

#[test]
fn each_vcpu_is_a_thread() {
    let dir = Scratch::new("gdb-threads");
    let image = dir.other_image("smp", &smp_image());
    let (prim, sec) = (IMAGE_BASE + PRIMARY_LOOP, IMAGE_BASE + SECONDARY_LOOP);
    let script = format!(
        "info threads
break *{sec:#x}
continue
info threads
p/x $pc
p $_thread
delete
thread 1
p/x $pc
set $before = $pc
thread 2
stepi
p/x $pc
thread 1
p $pc == $before
p/x $x11
thread 2
p/x $x11
python
try:
    gdb.execute('thread 3')
except gdb.error as e:
    print('error:', e)
end
kill
"
    );
    let (gdb, emu) = halted_session(&dir, &image, &["--smp", "2"], &script);
    assert_in_order(
        &gdb,
        &[
            // Before the guest runs, vCPU 1 is off (QEMU says "halted ").
            "* 1    Thread 1.1 (CPU#0 [running]) 0x0000000040000000 in ?? ()".into(),
            "  2    Thread 1.2 (CPU#1 [off])".into(),
            // Only vCPU 1 runs the secondary's loop: the stop names thread 2.
            "[Switching to Thread 1.2]".into(),
            format!("Thread 2 hit Breakpoint 1, 0x{sec:016x} in ?? ()"),
            "  1    Thread 1.1 (CPU#0 [running])".into(),
            format!("* 2    Thread 1.2 (CPU#1 [running]) 0x{sec:016x} in ?? ()"),
            format!("$1 = {sec:#x}"),
            "$2 = 2".into(),
            "[Switching to thread 1 (Thread 1.1)]".into(),
        ],
    );
    // vCPU 0 is in its own loop; stepping vCPU 1 leaves it where it was.
    assert!(
        gdb.contains(&format!("$3 = {prim:#x}")) || gdb.contains(&format!("$3 = {:#x}", prim + 4)),
        "{gdb}"
    );
    assert_in_order(
        &gdb,
        &[
            format!("$4 = {:#x}", sec + 4),
            "$5 = 1".into(),
            // vCPU 0 never touches x11; vCPU 1 counted once per loop before the stop.
            "$6 = 0x0".into(),
            "$7 = 0x".into(),
            "error: Unknown thread 3.".into(),
            "[Inferior 1 (process 1) killed]".into(),
        ],
    );
    assert!(!gdb.contains("$7 = 0x0\n"), "{gdb}");
    assert_eq!(emu.status.code(), Some(0), "{}", text(&emu.stderr));
}

/// Steps over the loop after IRQs are unmasked with the timer's IRQ pending: with
/// stepirq off (the default) the PC stays in the loop; with it on, the next step stops
/// at the IRQ vector.
#[test]
fn steps_leave_a_pending_irq_unless_stepirq_is_on() {
    let dir = Scratch::new("gdb-stepirq");
    let image = dir.other_image("irq", &irq_image());
    let (unmask, vector) = (IMAGE_BASE + UNMASK, IMAGE_BASE + IRQ_VECTOR);
    let script = format!(
        "break *{unmask:#x}
continue
delete
p/x $VBAR_EL1
p/x $CNTV_CTL_EL0
stepi
stepi
stepi
stepi
stepi
stepi
stepi
p/x $cpsr & 0x80
echo stepirq-on\\n
monitor stepirq on
stepi
p/x $pc
monitor stepirq
kill
"
    );
    let (gdb, emu) = halted_session(&dir, &image, &[], &script);
    // gdb prints monitor output on stderr (after "[gdb stderr]"), the rest on stdout.
    let (off, on) = gdb.split_once("stepirq-on").expect(&gdb);
    assert_in_order(
        off,
        &[
            format!("Breakpoint 1, 0x{unmask:016x} in ?? ()"),
            format!("$1 = {:#x}", IMAGE_BASE + VECTORS),
            // Enabled, not masked, condition met (ISTATUS): the interrupt is pending.
            "$2 = 0x5".into(),
            // IRQs unmasked.
            "$3 = 0x0".into(),
        ],
    );
    assert!(!off.contains(&format!("{vector:016x}")), "{gdb}");
    assert!(
        off.contains(&format!("0x{:016x} in ?? ()", IMAGE_BASE + IRQ_LOOP)),
        "{gdb}"
    );
    assert_in_order(
        on,
        &[
            format!("0x{vector:016x} in ?? ()"),
            format!("$4 = {vector:#x}"),
            "[gdb stderr]".into(),
            "single steps now take pending interrupts".into(),
            "stepirq is on".into(),
        ],
    );
    assert_eq!(emu.status.code(), Some(0), "{}", text(&emu.stderr));
}
