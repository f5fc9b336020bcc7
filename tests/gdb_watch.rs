//! End to end: gdb-multiarch's `watch`, `rwatch` and `awatch` against `armvirt -S --gdb`
//! running a bare-metal Image of stores and loads, asserting on what gdb prints: the
//! watchpoint line, "Old value" / "New value" (or "Value"), and the PC just past the
//! accessing instruction. When qemu-system-aarch64 is installed, the same script runs
//! against it too and gdb must print the same.

mod gdb_util;
use armvirt_cpu::a64;
use gdb_util::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};

const PSCI_SYSTEM_OFF: u32 = 0x8400_0008;

/// Offsets into the Image of the accessing instructions.
const STORE: u64 = HEADER_LEN + 2 * 4;
const LOAD: u64 = STORE + 2 * 4;
const BYTE_STORE: u64 = LOAD + 3 * 4;
const PAIR: u64 = BYTE_STORE + 4;
const STXR: u64 = PAIR + 2 * 4;
const BUFFER: u64 = 0x80;
/// The `nop` before the buffer as a signed int, as gdb prints an int array holding it.
const NOP: i32 = 0xd503_201fu32 as i32;
/// The buffer's first doubleword as the Image holds it.
const BUFFER_VALUE: u64 = 0x1122_3344_5566_7788;

/// Stores and loads on a 32-byte buffer, then PSCI SYSTEM_OFF. Every access is aligned:
/// with the MMU off data accesses are to Device memory.
fn watch_image() -> Vec<u8> {
    let image = with_header(&a64!(
        ; adr x4, ->buffer
        ; movz x1, 0x42
        ; str x1, [x4]              // STORE
        ; add x2, x1, 1
        ; ldr x5, [x4]              // LOAD
        ; add x6, x5, 1
        ; movz x3, 0x77
        ; strb w3, [x4, 7]          // BYTE_STORE
        ; stp x1, x2, [x4, 16]      // PAIR
        ; ldxr x7, [x4]
        ; stxr w8, x6, [x4]         // STXR
        ; movz w0, PSCI_SYSTEM_OFF & 0xffff
        ; movk w0, PSCI_SYSTEM_OFF >> 16, lsl 16
        ; hvc 0
        ; ->hang:
        ; b ->hang
        ; nop
        ; ->buffer:                 // BUFFER
        ; .u64 BUFFER_VALUE
        ; .u64 0
        ; .u64 0
        ; .u64 0
    ));
    assert_eq!(image.len() as u64, BUFFER + 32, "the offsets are stale");
    padded(image)
}

/// The session: each stop, then `delete` and the run to the end.
fn script() -> String {
    let buf = IMAGE_BASE + BUFFER;
    format!(
        "watch *(long*){buf:#x}
continue
p/x $pc
p $x2
rwatch *(long*){buf:#x}
continue
p/x $pc
delete
awatch *(short*){half:#x}
continue
p/x $pc
delete
watch *(long*){second:#x}
stepi
p/x $pc
delete
watch *(int(*)[5]){before:#x}
continue
p/x $pc
p $x8
delete
continue
",
        half = buf + 6,
        before = buf - 4,
        second = buf + 24,
    )
}

/// What gdb must print, in this order.
fn expected() -> Vec<String> {
    let b = IMAGE_BASE;
    let buf = b + BUFFER;
    let frame = |off: u64| format!("0x{:016x} in ?? ()", b + off);
    let pc = |n: u32, off: u64| format!("${n} = {:#x}", b + off);
    vec![
        format!("Hardware watchpoint 1: *(long*){buf:#x}"),
        // Continue: stopped by the store, the PC just past it, the next add not run.
        format!("Hardware watchpoint 1: *(long*){buf:#x}\n\nOld value = {BUFFER_VALUE}\nNew value = 66"),
        frame(STORE + 4),
        pc(1, STORE + 4),
        "$2 = 0".into(),
        // A read watchpoint: the load, not the store before it.
        format!("Hardware read watchpoint 2: *(long*){buf:#x}\n\nValue = 66"),
        frame(LOAD + 4),
        pc(3, LOAD + 4),
        // An access watchpoint on two bytes of which the byte store writes one.
        format!("Hardware access (read/write) watchpoint 3: *(short*){:#x}\n\nOld value = 0\nNew value = 30464", buf + 6),
        frame(BYTE_STORE + 4),
        pc(4, BYTE_STORE + 4),
        // stepi onto a store pair whose second register is watched.
        format!("Hardware watchpoint 4: *(long*){:#x}\n\nOld value = 0\nNew value = 67", buf + 24),
        frame(PAIR + 4),
        pc(5, PAIR + 4),
        // A watchpoint of any length. The load exclusive does not stop it; the store
        // exclusive does, and still succeeds (status 0) once gdb steps it.
        // Over 20 bytes from the word before the buffer (the `nop`).
        format!(
            "Hardware watchpoint 5: *(int(*)[5]){:#x}\n\n\
             Old value = {{{NOP}, 66, 1996488704, 0, 0}}\n\
             New value = {{{NOP}, 67, 0, 0, 0}}",
            buf - 4
        ),
        frame(STXR + 4),
        pc(6, STXR + 4),
        "$7 = 0".into(),
        "[Inferior 1 (process 1) exited normally]".into(),
    ]
}

fn run_gdb(port: u16, script: &Path) -> String {
    let gdb = gdb_command(port, script)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gdb-multiarch");
    let out = wait_output(gdb, 60);
    format!("{}\n[gdb stderr]\n{}", text(&out.stdout), text(&out.stderr))
}

fn assert_in_order(gdb: &str, expect: &[String]) {
    let mut rest = gdb;
    for line in expect {
        let at = rest
            .find(line.as_str())
            .unwrap_or_else(|| panic!("missing (in order) {line:?} in:\n{gdb}"));
        rest = &rest[at + line.len()..];
    }
}

/// gdb's output from the first watchpoint on (what precedes it names the stub).
fn from_first_watch(gdb: &str) -> &str {
    let at = gdb.find("Hardware watchpoint 1").unwrap_or(0);
    &gdb[at..]
}

#[test]
fn watch_rwatch_awatch_print_values_and_stop_past_the_access() {
    let dir = Scratch::new("gdb-watch");
    std::fs::write(dir.image(), watch_image()).unwrap();
    let script = dir.file("script", &script());
    let port = free_port();
    let emu = start_armvirt(&dir.image(), port, true);
    let gdb = run_gdb(port, &script);
    let emu = wait_output(emu, 30);
    assert_in_order(&gdb, &expected());
    assert_eq!(emu.status.code(), Some(0), "{}", text(&emu.stderr));

    // The same script against QEMU, the reference, when it is installed.
    let port = free_port();
    let Some(qemu) = start_qemu(&dir.image(), port) else {
        eprintln!("qemu-system-aarch64 not found: no comparison with QEMU");
        return;
    };
    let reference = run_gdb(port, &script);
    let _ = wait_output(qemu, 30);
    assert_in_order(&reference, &expected()[..2]);
    let reference = from_first_watch(&reference);
    let ours = from_first_watch(&gdb);
    // Up to the end of the run: QEMU's -kernel boot and exit reporting are its own.
    let cut = |s: &str| s.split("[Inferior 1").next().unwrap_or_default().to_owned();
    assert_eq!(cut(ours), cut(reference), "armvirt and QEMU differ");
}

/// qemu-system-aarch64 on the virt machine with a cortex-A72 running `image`, halted, its
/// gdb stub on `port`; `None` if it is not installed.
fn start_qemu(image: &Path, port: u16) -> Option<Child> {
    let child = Command::new("qemu-system-aarch64")
        .args([
            "-M",
            "virt",
            "-cpu",
            "cortex-a72",
            "-m",
            "256M",
            "-nographic",
        ])
        .args(["-monitor", "none", "-serial", "none", "-S"])
        .arg("-gdb")
        .arg(format!("tcp:127.0.0.1:{port}"))
        .arg("-kernel")
        .arg(image)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    wait_listening(port);
    Some(child)
}

/// A client speaking the remote protocol itself, acknowledging every reply.
struct Client(std::net::TcpStream);

impl Client {
    fn connect(port: u16) -> Self {
        let conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        conn.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        Client(conn)
    }

    /// Sends `$body#xx` and returns the reply packet's body.
    fn ask(&mut self, body: &str) -> String {
        use std::io::{Read, Write};
        let sum = body.bytes().fold(0u8, |a, b| a.wrapping_add(b));
        self.0
            .write_all(format!("${body}#{sum:02x}").as_bytes())
            .unwrap();
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        // Skip the acknowledgement, then read "$...#xx".
        loop {
            self.0.read_exact(&mut byte).expect("a reply");
            if byte[0] == b'$' {
                break;
            }
        }
        loop {
            self.0.read_exact(&mut byte).unwrap();
            if byte[0] == b'#' {
                break;
            }
            got.push(byte[0]);
        }
        let mut sum = [0u8; 2];
        self.0.read_exact(&mut sum).unwrap();
        self.0.write_all(b"+").unwrap();
        String::from_utf8(got).unwrap()
    }

    /// The PC (register 32 of gdb's aarch64 numbering; little-endian hex).
    fn pc(&mut self) -> u64 {
        let hex = run_length_decoded(&self.ask("p20"));
        let bytes: Vec<u8> = (0..8)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        u64::from_le_bytes(bytes.try_into().unwrap())
    }
}

/// A reply body with the protocol's run-length encoding undone: `c*n` is `c` and then
/// `n - 29` more of it.
fn run_length_decoded(body: &str) -> String {
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '*' {
            let last = out.chars().last().unwrap();
            let n = chars.next().unwrap() as usize - 29;
            out.extend(std::iter::repeat_n(last, n));
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn a_client_that_keeps_its_watchpoint_in_is_not_stopped_twice_by_one_access() {
    let dir = Scratch::new("gdb-watch-raw");
    std::fs::write(dir.image(), watch_image()).unwrap();
    let port = free_port();
    let emu = start_armvirt(&dir.image(), port, true);
    let mut gdb = Client::connect(port);
    let buf = IMAGE_BASE + BUFFER;
    assert_eq!(gdb.ask(&format!("Z2,{buf:x},8")), "OK");
    // Stopped before the store, with the watchpoint's address in the reply.
    let stop = gdb.ask("c");
    assert!(
        stop.starts_with("T05") && stop.contains(&format!("watch:{buf:x};")),
        "{stop}"
    );
    assert_eq!(gdb.pc(), IMAGE_BASE + STORE);
    // Continuing with the watchpoint still in executes that store and stops at the next
    // one to the watched bytes (the load between is not a write).
    let stop = gdb.ask("c");
    assert!(stop.contains(&format!("watch:{buf:x};")), "{stop}");
    assert_eq!(gdb.pc(), IMAGE_BASE + BYTE_STORE);
    // A read watchpoint's reply says so.
    assert_eq!(gdb.ask(&format!("z2,{buf:x},8")), "OK");
    assert_eq!(gdb.ask(&format!("Z3,{buf:x},1")), "OK");
    let stop = gdb.ask("c");
    assert!(stop.contains(&format!("rwatch:{buf:x};")), "{stop}");
    assert_eq!(gdb.pc(), IMAGE_BASE + STXR - 4);
    assert_eq!(gdb.ask(&format!("z3,{buf:x},1")), "OK");
    // Removing it again: there is none (gdbstub's reply for a refused removal).
    assert_eq!(gdb.ask(&format!("z3,{buf:x},1")), "E16");
    assert_eq!(gdb.ask("c"), "W00");
    let emu = wait_output(emu, 30);
    assert_eq!(emu.status.code(), Some(0), "{}", text(&emu.stderr));
}
