//! The seed's flow, word for word but for its two ports: `<emulator> -machine virt -cpu
//! cortex-a72 -machine type=virt -nographic -smp 1 -m 2048 -monitor
//! telnet:127.0.0.1:M,server,nowait -kernel Image -S -gdb tcp::G`, on the project's debug
//! kernel, with armvirt and with qemu-system-aarch64 as the emulator. The telnet monitor
//! answers `info registers` at the halted reset; gdb-multiarch on vmlinux then breaks in
//! start_kernel. The two emulators must print the same registers and the same gdb lines.

mod fixture_cache;
mod gdb_util;
use fixture_cache::fixture;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const KERNEL_DIR: &str = "debug-kernel/current";

fn seed(emulator: &str, gdb: u16, monitor: u16) -> Child {
    Command::new(emulator)
        .args([
            "-machine",
            "virt",
            "-cpu",
            "cortex-a72",
            "-machine",
            "type=virt",
        ])
        .args(["-nographic", "-smp", "1", "-m", "2048", "-monitor"])
        .arg(format!("telnet:127.0.0.1:{monitor},server,nowait"))
        .arg("-kernel")
        .arg(fixture(KERNEL_DIR).join("Image"))
        .args(["-S", "-gdb"])
        .arg(format!("tcp::{gdb}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the emulator")
}

/// Reads the monitor up to its next prompt.
fn until_prompt(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut b = [0u8; 4096];
    while !got.ends_with(b"(qemu) ") {
        let n = s.read(&mut b).expect("the monitor answers");
        assert!(
            n > 0,
            "the monitor hung up after {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&b[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// `info registers` on the telnet monitor: the lines from PC= to the X registers.
fn monitor_registers(port: u16) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut s = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => break s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("the monitor on {port}: {e}"),
        }
    };
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    until_prompt(&mut s);
    s.write_all(b"info registers\r").unwrap();
    let text = until_prompt(&mut s);
    // PC and X0..X30: what the boot stub's entry fixes on any model of the machine.
    text.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| l.starts_with("PC=") || l.starts_with('X'))
        .collect()
}

/// gdb-multiarch on vmlinux: break in start_kernel, continue to it, one frame of backtrace.
fn gdb_session(port: u16) -> Vec<String> {
    let dir = fixture(KERNEL_DIR);
    let out = Command::new("gdb-multiarch")
        .args([
            "-nx",
            "-batch",
            "-ex",
            "set confirm off",
            "-ex",
            "set pagination off",
        ])
        .arg("-ex")
        .arg(format!("target remote :{port}"))
        .args([
            "-ex",
            "break start_kernel",
            "-ex",
            "continue",
            "-ex",
            "bt 1",
            "-ex",
            "kill",
        ])
        .arg(dir.join("vmlinux"))
        .stdin(Stdio::null())
        .output()
        .expect("gdb-multiarch");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .filter(|l| {
            l.starts_with("0x0000000040000000 in ")
                || l.starts_with("Breakpoint 1")
                || l.starts_with("#0 ")
        })
        .map(str::to_string)
        .collect()
}

fn run(emulator: &str) -> (Vec<String>, Vec<String>) {
    let (gdb, monitor) = (gdb_util::free_port(), gdb_util::free_port());
    let child = seed(emulator, gdb, monitor);
    gdb_util::wait_listening(gdb);
    let regs = monitor_registers(monitor);
    let session = gdb_session(gdb);
    gdb_util::wait_output(child, 30);
    (regs, session)
}

#[test]
fn the_seeds_command_line_on_the_debug_kernel_as_under_qemu() {
    let (regs, session) = run(env!("CARGO_BIN_EXE_armvirt"));
    let (qemu_regs, qemu_session) = run("qemu-system-aarch64");
    assert!(
        regs.iter().any(|l| l.starts_with("PC=0000000040000000")),
        "the halted reset's registers: {regs:#?}"
    );
    assert_eq!(
        regs, qemu_regs,
        "info registers: armvirt (left), QEMU (right)"
    );
    assert_eq!(session.len(), 4, "{session:#?}");
    assert!(
        session[0].starts_with("0x0000000040000000 in ?? ()"),
        "{session:#?}"
    );
    assert!(
        session[2].starts_with("Breakpoint 1, start_kernel () at "),
        "{session:#?}"
    );
    assert_eq!(session, qemu_session, "gdb: armvirt (left), QEMU (right)");
}
