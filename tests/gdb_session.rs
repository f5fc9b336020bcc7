//! End to end: Debian's gdb-multiarch in batch mode against `armvirt -S --gdb PORT`
//! running the bare-metal Image of `gdb_util`, asserting on what gdb prints.

mod gdb_util;
use gdb_util::*;
use std::process::Stdio;
use std::time::Duration;

/// Runs `script` in gdb against a halted armvirt; returns (gdb's stdout, armvirt's
/// output) once both ended.
fn session(name: &str, script: &str) -> (String, std::process::Output) {
    let dir = Scratch::new(name);
    halted_session(&dir, &dir.image(), &[], script)
}

#[test]
fn registers_memory_step_and_breakpoints() {
    let b = IMAGE_BASE;
    let script = format!(
        "info registers x0 x1 pc cpsr
p/x $MIDR_EL1
p/x $SCTLR_EL1
x/4i $pc
stepi
p/x $pc
stepi
p/x $pc
break *{brk:#x}
hbreak *{hbrk:#x}
continue
p/x $x5
continue
set $x1 = 5
p $x1
x/2gx {buf:#x}
set {{long}}{flag:#x} = 1
x/2gx {buf:#x}
python
try:
    gdb.execute('x/2gx 0x10')
except gdb.MemoryError as e:
    print('error:', e)
end
delete
continue
",
        brk = b + BREAK_AT,
        hbrk = b + HBREAK_AT,
        buf = b + BUFFER,
        flag = b + BUFFER + 8,
    );
    let (gdb, emu) = session("gdb-session", &script);
    let expect = [
        "0x0000000040000000 in ?? ()".to_string(),
        // The boot stub sets x0..x3 itself: at reset they are zero.
        "x0             0x0                 0".into(),
        "pc             0x40000000          0x40000000".into(),
        // EL1h with DAIF masked (booting.rst; the reset state).
        "cpsr           0x3c5               [ SP EL=1 F I A D BTYPE=0 ]".into(),
        // cortex-A72 r0p3 (cortex-A72 TRM, MIDR_EL1).
        "$1 = 0x410fd083".into(),
        // The boot stub's first instruction loads the DTB address (QEMU's bootloader_aarch64).
        "=> 0x40000000:\tldr\tx0, 0x40000018".into(),
        "0x0000000040000004 in ?? ()".into(),
        "$3 = 0x40000004".into(),
        "$4 = 0x40000008".into(),
        format!("Breakpoint 1 at {:#x}", b + BREAK_AT),
        format!("Hardware assisted breakpoint 2 at {:#x}", b + HBREAK_AT),
        format!("Breakpoint 1, 0x{:016x} in ?? ()", b + BREAK_AT),
        format!("$5 = {BUFFER_VALUE:#x}"),
        format!("Breakpoint 2, 0x{:016x} in ?? ()", b + HBREAK_AT),
        "$6 = 5".into(),
        format!(
            "{:#x}:\t{BUFFER_VALUE:#018x}\t0x0000000000000000",
            b + BUFFER
        ),
        format!(
            "{:#x}:\t{BUFFER_VALUE:#018x}\t0x0000000000000001",
            b + BUFFER
        ),
        "error: Cannot access memory at address 0x10".into(),
        "[Inferior 1 (process 1) exited normally]".into(),
    ];
    let mut rest = gdb.as_str();
    for line in &expect {
        let at = rest
            .find(line.as_str())
            .unwrap_or_else(|| panic!("missing (in order) {line:?} in:\n{gdb}"));
        rest = &rest[at + line.len()..];
    }
    // SCTLR_EL1's reset value (cortex-A72 TRM, SCTLR_EL1: 0x00C50838); MMU off.
    assert!(gdb.contains("$2 = 0xc50838"), "{gdb}");
    assert_eq!(emu.status.code(), Some(0), "{}", text(&emu.stderr));
}

#[test]
fn ctrl_c_interrupts_a_running_guest() {
    let dir = Scratch::new("gdb-ctrl-c");
    let port = free_port();
    let emu = start_armvirt(&dir.image(), port, true);
    let flag = IMAGE_BASE + BUFFER + 8;
    let script = dir.file(
        "script",
        &format!("continue\np/x $pc\nset {{int}}{flag:#x} = 1\ncontinue\n"),
    );
    let gdb = gdb_command(port, &script)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gdb-multiarch");
    // The guest spins until the flag is set: give gdb time to connect and continue.
    std::thread::sleep(Duration::from_millis(1500));
    let status = std::process::Command::new("kill")
        .args(["-INT", &gdb.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = wait_output(gdb, 60);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Program received signal SIGINT, Interrupt."),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    // Stopped inside the spin loop (its two instructions).
    let spin = IMAGE_BASE + SPIN;
    assert!(
        stdout.contains(&format!("$1 = {spin:#x}"))
            || stdout.contains(&format!("$1 = {:#x}", spin + 4)),
        "{stdout}"
    );
    assert!(
        stdout.contains("[Inferior 1 (process 1) exited normally]"),
        "{stdout}"
    );
    let emu = wait_output(emu, 30);
    assert_eq!(emu.status.code(), Some(0), "{}", text(&emu.stderr));
}

#[test]
fn kill_ends_the_emulator() {
    let (gdb, emu) = session("gdb-kill", "info registers\nkill\n");
    assert!(gdb.contains("[Inferior 1 (process 1) killed]"), "{gdb}");
    // System registers armvirt models are listed with live values, the rest are left out.
    assert!(gdb.contains("MIDR_EL1       0x410fd083"), "{gdb}");
    assert!(!gdb.contains("<unavailable>"), "{gdb}");
    assert_eq!(emu.status.code(), Some(0));
    assert_eq!(text(&emu.stderr), "armvirt: killed from gdb\n");
}
