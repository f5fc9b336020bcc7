//! `monitor` commands, system register writes and the Unix socket, with gdb-multiarch in
//! batch mode against the bare-metal Image of `gdb_util` (MMU off, one vCPU).
//! gdb prints monitor output on its stderr.

mod gdb_util;
use gdb_util::*;
use std::os::unix::net::UnixListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn monitor_commands() {
    let dir = Scratch::new("gdb-monitor");
    let buf = IMAGE_BASE + BUFFER;
    let script = format!(
        "monitor help
monitor info registers
monitor info mmu
monitor xlate {buf:#x}
monitor xlate 0x1000000000000
monitor bogus command
monitor cpu 1
monitor xlate $pc
eval \"monitor xlate %#lx\", $pc
monitor phys on
x/gx {buf:#x}
monitor phys off
set $TPIDR_EL1 = 0x1234
p/x $TPIDR_EL1
python
try:
    gdb.execute('set $MIDR_EL1 = 5')
except gdb.error as e:
    print('error:', e)
end
p/x $MIDR_EL1
stepi
stepi
monitor system_reset
flushregs
p/x $pc
p/x $TPIDR_EL1
monitor quit
"
    );
    let (gdb, emu) = halted_session(&dir, &dir.image(), &[], &script);
    let (stdout, stderr) = gdb.split_once("[gdb stderr]").unwrap();
    assert_in_order(
        stdout,
        &[
            format!("{buf:#x}:\t{BUFFER_VALUE:#018x}"),
            "$1 = 0x1234".into(),
            "error: Could not write register \"MIDR_EL1\"".into(),
            "$2 = 0x410fd083".into(),
            "$3 = 0x40000000".into(),
            // The reset put TPIDR_EL1 back to its reset value.
            "$4 = 0x0".into(),
        ],
    );
    assert_in_order(
        stderr,
        &[
            "armvirt monitor commands".into(),
            "stepirq on|off".into(),
            // info registers: QEMU's layout, the reset PSTATE (EL1h, DAIF masked).
            "CPU#0 (thread 1) running".into(),
            " PC=0000000040000000".into(),
            "X00=0000000000000000 X01=0000000000000000 X02=0000000000000000".into(),
            "PSTATE=000003c5 ---- EL1h masked: D A I F".into(),
            "SCTLR_EL1=0000000000c50838".into(),
            "MIDR_EL1=00000000410fd083".into(),
            // info mmu, off at reset.
            "CPU#0: MMU off".into(),
            "TTBR0_EL1=0x0000000000000000".into(),
            // xlate with the MMU off: the flat map, attributes Device-nGnRnE.
            format!("CPU#0: VA {buf:#018x}"),
            "MMU off: PA = VA".into(),
            format!("-> PA {buf:#x} (4K at level 0), attr 0x00 (Device-nGnRnE)"),
            // A VA beyond the 48-bit PA space with the MMU off: Address size fault.
            "-> address size fault at level 0".into(),
            "unknown command 'bogus command'; 'monitor help' lists the commands".into(),
            "no CPU '1': the CPUs are 0 to 0".into(),
            "'$pc' is not a number; for an expression use gdb's eval".into(),
            "CPU#0: VA 0x0000000040000000".into(),
            "gdb memory accesses now use physical addresses".into(),
            "machine reset (vCPU 0 at pc 0x40000000)".into(),
        ],
    );
    assert_eq!(emu.status.code(), Some(0), "{}", text(&emu.stderr));
    assert_eq!(text(&emu.stderr), "armvirt: quit from gdb (monitor quit)\n");
}

/// Waits for a Unix socket to appear at `path`.
fn wait_socket(path: &std::path::Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !path.exists() {
        assert!(Instant::now() < deadline, "no socket at {}", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn unix_socket_session() {
    let dir = Scratch::new("gdb-unix");
    let sock = dir.0.join("gdb.sock");
    // A stale socket from an earlier run (nobody listens) is replaced.
    drop(UnixListener::bind(&sock).unwrap());
    assert!(sock.exists());
    let emu = spawn_armvirt(&dir.image(), &format!("unix:{}", sock.display()), &["-S"]);
    std::thread::sleep(Duration::from_millis(200));
    wait_socket(&sock);
    let script = dir.file("script", "p/x $pc\nstepi\np/x $pc\nkill\n");
    let gdb = gdb_command_at(&format!("remote {}", sock.display()), &script)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gdb-multiarch");
    let out = text(&wait_output(gdb, 60).stdout);
    assert_in_order(
        &out,
        &[
            "$1 = 0x40000000".into(),
            "$2 = 0x40000004".into(),
            "[Inferior 1 (process 1) killed]".into(),
        ],
    );
    let emu = wait_output(emu, 30);
    assert_eq!(emu.status.code(), Some(0), "{}", text(&emu.stderr));
    // The socket is removed when armvirt ends.
    assert!(!sock.exists());
}

#[test]
fn unix_socket_problems_are_one_line() {
    let dir = Scratch::new("gdb-unix-bad");
    let run = |gdb: &str| {
        Command::new(env!("CARGO_BIN_EXE_armvirt"))
            .arg("--kernel")
            .arg(dir.image())
            .args(["-m", "256M", "-S", "--gdb", gdb])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    // A file that is not a socket is never removed.
    let file = dir.file("not-a-socket", "keep me");
    let out = run(&format!("unix:{}", file.display()));
    assert_eq!(
        text(&out.stderr),
        format!(
            "armvirt: cannot listen for gdb on {}: the file exists and is not a socket\n",
            file.display()
        )
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    // A socket someone listens on is in use.
    let sock = dir.0.join("busy.sock");
    let _busy = UnixListener::bind(&sock).unwrap();
    let out = run(&format!("unix:{}", sock.display()));
    assert_eq!(
        text(&out.stderr),
        format!(
            "armvirt: cannot listen for gdb on {}: another program listens on it\n",
            sock.display()
        )
    );
    assert_eq!(out.status.code(), Some(1));
    // A directory that does not exist.
    let out = run("unix:/nonexistent-dir/gdb.sock");
    assert_eq!(
        text(&out.stderr),
        "armvirt: cannot listen for gdb on /nonexistent-dir/gdb.sock: No such file or directory\n"
    );
}
