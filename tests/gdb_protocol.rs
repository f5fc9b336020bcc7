//! The stub's connection handling, with a raw TCP client for what gdb never sends:
//! garbage and malformed packets end that connection, never the emulator; a port in use
//! is one clear error; gdb can attach to a running guest, detach, and a second gdb can
//! attach after it; a read that runs into unmapped memory returns the part before the
//! hole; a breakpoint under the PC does not stop the continue that starts there.

mod gdb_util;
use gdb_util::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

/// gdb attaches, runs `script` (which ends with gdb leaving) and prints its stdout.
fn run_gdb(mode: &str, port: u16, dir: &Scratch, name: &str, script: &str) -> String {
    let script = dir.file(name, script);
    let gdb = gdb_command_with(mode, port, &script)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gdb-multiarch");
    let out = wait_output(gdb, 60);
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// A raw client: sends `bytes`, reads what comes back for a moment, hangs up.
fn raw_client(port: u16, bytes: &[u8], wait: Duration) -> Vec<u8> {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(wait)).unwrap();
    conn.write_all(bytes).unwrap();
    // Read until a whole reply packet ("$...#xx") is in, the stub hangs up, or `wait` passes.
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    while !whole_packet(&reply) {
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => reply.extend_from_slice(&chunk[..n]),
        }
    }
    reply
}

/// `body` framed as a packet: `$body#checksum`.
fn packet(body: &str) -> Vec<u8> {
    let sum = body.bytes().fold(0u8, |a, b| a.wrapping_add(b));
    format!("${body}#{sum:02x}").into_bytes()
}

fn whole_packet(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .position(|&b| b == b'#')
        .is_some_and(|at| bytes.len() >= at + 3)
}

#[test]
fn garbage_ends_the_connection_not_the_emulator() {
    let dir = Scratch::new("gdb-garbage");
    let port = free_port();
    // Not halted: the guest spins until a debugger sets its flag.
    let mut emu = start_armvirt(&dir.image(), port, false);
    // A bad checksum, then bytes that are no packet at all, then an oversized packet.
    let moment = Duration::from_millis(300);
    raw_client(port, b"$qSupported#00", moment);
    raw_client(port, b"\xff\xfe garbage \x00$#zz}}}}", moment);
    let mut big = b"$m".to_vec();
    big.extend(std::iter::repeat_n(b'4', 1 << 20));
    big.extend_from_slice(b"#00");
    raw_client(port, &big, moment);
    // A client that sets a breakpoint on the spin loop, continues and hangs up: the
    // breakpoint goes with it (else the guest would stop there forever).
    let mut bp = packet(&format!("Z0,{:x},4", IMAGE_BASE + SPIN));
    bp.extend(packet("c"));
    raw_client(port, &bp, moment);
    // A well-formed query on a fresh connection is answered: the stub lives on.
    // (The stub may still be reading the oversized packet: wait for the answer.)
    let reply = raw_client(port, b"$?#3f", Duration::from_secs(10));
    assert!(
        reply.starts_with(b"+$"),
        "{:?}\n{}",
        String::from_utf8_lossy(&reply),
        {
            emu.kill().ok();
            text(&emu.wait_with_output().unwrap().stderr)
        }
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(emu.try_wait().unwrap().is_none(), "armvirt ended");
    // Two gdbs in a row: the first attaches to the running guest and detaches, the second
    // (in extended remote mode) sets the flag and detaches too: the guest finishes on its
    // own (it would not if the hung-up client's breakpoint were still in).
    let first = run_gdb("remote", port, &dir, "first", "p/x $x5\ndetach\n");
    assert!(
        first.contains(&format!("$1 = {BUFFER_VALUE:#x}")),
        "{first}"
    );
    assert!(
        first.contains("[Inferior 1 (process 1) detached]"),
        "{first}"
    );
    let flag = IMAGE_BASE + BUFFER + 8;
    let second = run_gdb(
        "extended-remote",
        port,
        &dir,
        "second",
        &format!("set {{int}}{flag:#x} = 1\ndetach\n"),
    );
    assert!(
        second.contains("[Inferior 1 (process 1) detached]"),
        "{second}"
    );
    let out = wait_output(emu, 30);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("armvirt: gdb connection closed:"),
        "{stderr}"
    );
}

#[test]
fn a_port_in_use_is_one_error_line() {
    let dir = Scratch::new("gdb-port-in-use");
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_armvirt"))
        .arg("--kernel")
        .arg(dir.image())
        .args(["-m", "256M", "-S", "--gdb", &port.to_string()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(
        stderr,
        format!("armvirt: cannot listen for gdb on 127.0.0.1:{port}: Address already in use\n")
    );
    assert_eq!(out.status.code(), Some(1));
}

/// Sends each packet on one connection and collects each reply's body.
fn exchange(port: u16, packets: &[&str]) -> Vec<String> {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut replies = Vec::new();
    for p in packets {
        conn.write_all(&packet(p)).unwrap();
        let mut reply = Vec::new();
        let mut byte = [0u8; 1];
        // Skip the ack, then read "$body#xx".
        while !whole_packet(&reply) {
            match conn.read(&mut byte) {
                Ok(1) => {
                    if reply.is_empty() && byte[0] != b'$' {
                        continue;
                    }
                    reply.push(byte[0])
                }
                _ => break,
            }
        }
        conn.write_all(b"+").unwrap();
        let body = String::from_utf8_lossy(&reply);
        let body = body.trim_start_matches('$');
        replies.push(run_length_decoded(body.split('#').next().unwrap_or("")));
    }
    replies
}

/// A reply body with gdb's run-length encoding undone (`c*N`: `c` then N - 29 more).
fn run_length_decoded(body: &str) -> String {
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '*' {
            let last = out.chars().last().unwrap_or('0');
            let n = chars.next().map_or(0, |n| n as usize - 29);
            out.extend(std::iter::repeat_n(last, n));
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn thread_packets_with_bad_thread_ids_are_errors_and_the_session_goes_on() {
    let dir = Scratch::new("gdb-thread-packets");
    let port = free_port();
    let emu = start_armvirt(&dir.image(), port, true);
    let replies = exchange(
        port,
        &[
            "qfThreadInfo",
            "qsThreadInfo",
            "T1",
            "T2",
            // gdbstub accepts any thread for Hg; the accesses through it then fail.
            "Hg5",
            "g",
            "m40000000,4",
            "p20",
            "Hg1",
            "p20",
            "Hc7",
            "qC",
            "k",
        ],
    );
    assert_eq!(replies[0], "m01");
    assert_eq!(replies[1], "l");
    assert_eq!(replies[2], "OK");
    assert!(replies[3].starts_with('E'), "{replies:?}");
    assert!(replies[5].starts_with('E'), "{replies:?}");
    assert!(replies[6].starts_with('E'), "{replies:?}");
    assert!(replies[7].starts_with('E'), "{replies:?}");
    assert_eq!(replies[8], "OK");
    // The PC of vCPU 0 at reset, little-endian.
    assert_eq!(replies[9], "0000004000000000");
    assert_eq!(wait_output(emu, 30).status.code(), Some(0));
}

#[test]
fn a_read_running_into_unmapped_memory_returns_what_is_there() {
    let dir = Scratch::new("gdb-partial-read");
    let port = free_port();
    let emu = start_armvirt(&dir.image(), port, true);
    // -m 256M: RAM is [0x4000_0000, 0x5000_0000); the MMU is off, so VA = PA and the
    // page after RAM's last one holds nothing.
    let ram_end: u64 = 0x5000_0000;
    let replies = exchange(
        port,
        &[
            &format!("M{:x},4:a1b2c3d4", ram_end - 4),
            &format!("m{:x},8", ram_end - 4),
            &format!("m{ram_end:x},4"),
            &format!("m{:x},4", ram_end - 4),
            "k",
        ],
    );
    assert_eq!(replies[0], "OK");
    // The bytes up to the hole come back, and no more (a short reply is gdb's "partial").
    assert_eq!(replies[1], "a1b2c3d4");
    assert!(replies[2].starts_with('E'), "{replies:?}");
    // The failed read changed nothing: the session and the memory are as they were.
    assert_eq!(replies[3], "a1b2c3d4");
    assert_eq!(wait_output(emu, 30).status.code(), Some(0));
}

#[test]
fn a_breakpoint_on_the_instruction_about_to_run_does_not_hold_the_continue() {
    let dir = Scratch::new("gdb-bp-at-pc");
    let port = free_port();
    let emu = start_armvirt(&dir.image(), port, true);
    let reset_pc = 0x4000_0000u64;
    let later = IMAGE_BASE + BREAK_AT;
    let replies = exchange(
        port,
        &[
            &format!("Z0,{reset_pc:x},4"),
            &format!("Z0,{later:x},4"),
            // The vCPU sits on the first breakpoint: continue runs it and stops at the next.
            "c",
            "p20",
            "k",
        ],
    );
    assert_eq!(replies[..2], ["OK", "OK"]);
    assert!(replies[2].starts_with('T'), "{replies:?}");
    assert_eq!(replies[3], hex_le(later));
    assert_eq!(wait_output(emu, 30).status.code(), Some(0));
}

/// `v` as the stub sends a 64-bit register: little-endian hex.
fn hex_le(v: u64) -> String {
    v.to_le_bytes().iter().map(|b| format!("{b:02x}")).collect()
}
