//! The monitor on a loopback telnet port, driven as a script drives QEMU's: the expected
//! texts are what `qemu-system-aarch64 -M virt -cpu cortex-a72 -S -monitor
//! telnet:...,server,nowait` (7.2) printed for the same Image, and `info registers` is
//! also compared line by line with a live QEMU when one is installed.

use super::*;
use crate::options::CharBackend;
use crate::test_rig::machine_with_config;
use armvirt_cpu::a64;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Instant;

/// The guest of the QEMU transcripts: `movz x5, #0x1234; movz x6, #0x77`, then a loop
/// counting in x7.
fn program() -> Vec<u8> {
    a64!(
        ; movz x5, 0x1234
        ; movz x6, 0x77
        ; spin:
        ; add x7, x7, 1
        ; b <spin
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Client(TcpStream);

impl Client {
    fn connect(port: u16) -> (Client, Vec<u8>) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let s = loop {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => break s,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(e) => panic!("connect: {e}"),
            }
        };
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut c = Client(s);
        let hello = c.until_prompt();
        (c, hello)
    }

    fn until_prompt(&mut self) -> Vec<u8> {
        let mut got = Vec::new();
        let mut b = [0u8; 4096];
        while !got.ends_with(PROMPT.as_bytes()) {
            let n = self.0.read(&mut b).expect("the monitor answers");
            assert!(
                n > 0,
                "the monitor hung up after {:?}",
                String::from_utf8_lossy(&got)
            );
            got.extend_from_slice(&b[..n]);
        }
        got
    }

    /// Sends `line` as a script would and returns the output: what comes after the echo's
    /// newline, without the prompt, with `\r\n` as `\n`.
    fn cmd(&mut self, line: &str) -> String {
        self.0.write_all(format!("{line}\r").as_bytes()).unwrap();
        let got = String::from_utf8_lossy(&self.until_prompt()).into_owned();
        let (_echo, out) = got.split_once("\r\n").expect("an echo line");
        out.strip_suffix(PROMPT).unwrap().replace("\r\n", "\n")
    }
}

/// QEMU 7.2's output for these commands on the same Image (stopped at -S, so the Image's
/// bytes are as loaded).
const QEMU_TRANSCRIPT: &[(&str, &str)] = &[
    ("info status", "VM status: paused (prelaunch)\n"),
    (
        "xp /4xw 0x40200000",
        "0000000040200000: 0x14000010 0x00000000 0x00000000 0x00000000\n",
    ),
    (
        "xp /20xb 0x40200040",
        "0000000040200040: 0x85 0x46 0x82 0xd2 0xe6 0x0e 0x80 0xd2\n\
         0000000040200048: 0xe7 0x04 0x00 0x91 0xff 0xff 0xff 0x17\n\
         0000000040200050: 0x00 0x00 0x00 0x00\n",
    ),
    ("xp /3xh 0x40200040", "0000000040200040: 0x4685 0xd282 0x0ee6\n"),
    (
        "xp /9c 0x40200040",
        "0000000040200040: '\\x85' 'F' '\\x82' '\\xd2' '\\xe6' '\\x0e' '\\x80' '\\xd2' '\\xe7' '\\x04' '\\x00' '\\x91' '\\xff' '\\xff' '\\xff' '\\x17'\n\
         0000000040200050: '\\x00' '\\x00'\n",
    ),
    (
        "xp /3dw 0x40200040",
        "0000000040200040: 3531753093 3531607782 2432697575\n",
    ),
    (
        "xp /3dg 0x40200040",
        "0000000040200040: -3278604144188701051  1729382255048000743\n\
         0000000040200050:                    0\n",
    ),
    ("xp 0x40200040", "0000000040200040: -3278604144188701051\n"),
    ("xp /x 0x40200040", "0000000040200040: 0xd2800ee6d2824685\n"),
    ("x /2xw 0x40200040+4", "0000000040200044: 0xd2800ee6 0x910004e7\n"),
    ("xp /5db 0x40200040", "0000000040200040: 133  70 130 210 230\n"),
    ("xp /3uh 0x40200040", "0000000040200040: 18053 53890  3814\n"),
    ("xp /2ow 0x40200040", "0000000040200040: 032240443205 032240007346\n"),
    ("xp /4cb 0x40200038", "0000000040200038: 'A' 'R' 'M' 'd'\n"),
    (
        "xp /2xw $nosuch",
        "unknown register\nTry \"help xp\" for more information\n",
    ),
    (
        "x",
        "unexpected end of expression\nTry \"help x\" for more information\n",
    ),
    (
        "xp /2z 0x40200040",
        "invalid char in format: 'z'\nTry \"help xp\" for more information\n",
    ),
    (
        "x /2x 0xffff000000000000",
        "ffff000000000000: Cannot access memory\n",
    ),
    ("foo bar", "unknown command: 'foo'\n"),
    ("cpu 1", "invalid CPU index\n"),
    ("cpu 0", ""),
    ("", ""),
];

#[test]
fn a_telnet_session_as_scripts_drive_qemus_monitor() {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let (mut m, _, dir) = machine_with_config("monitor-telnet", 1, &program(), |c| {
        c.start_halted = true;
        c.options.monitor = Some(CharBackend::TcpServer { addr, telnet: true });
    });
    let client = std::thread::spawn(move || {
        let (mut c, hello) = Client::connect(port);
        let mut want = TELNET_GREETING.to_vec();
        want.extend_from_slice(BANNER.as_bytes());
        want.extend_from_slice(PROMPT.as_bytes());
        assert_eq!(hello, want);
        for (line, want) in QEMU_TRANSCRIPT {
            assert_eq!(&c.cmd(line), want, "for {line:?}");
        }
        let regs = c.cmd("info registers");
        // Garbage (control bytes, an escape sequence, bytes that are not UTF-8) is one
        // unknown command; the session goes on.
        c.0.write_all(b"\x00\x02\xfe\xfdjunk\x1b[A\r").unwrap();
        let junk = String::from_utf8_lossy(&c.until_prompt()).into_owned();
        assert!(junk.contains("unknown command: '"), "{junk:?}");
        assert_eq!(c.cmd("cont"), "");
        assert_eq!(c.cmd("info status"), "VM status: running\n");
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(c.cmd("stop"), "");
        assert_eq!(c.cmd("info status"), "VM status: paused\n");
        let stopped = c.cmd("info registers");
        let cpus = c.cmd("info cpus");
        let mtree = c.cmd("info mtree");
        // Hang up mid-line: the half line never runs.
        c.0.write_all(b"cont").unwrap();
        drop(c);
        let (mut c, _) = Client::connect(port);
        assert_eq!(c.cmd("info status"), "VM status: paused\n");
        c.0.write_all(b"quit\r").unwrap();
        (regs, stopped, cpus, mtree)
    });
    let end = m.run_with(ConsoleInput::none());
    let (regs, stopped, cpus, mtree) = client.join().unwrap();
    std::fs::remove_dir_all(dir).ok();
    assert_eq!(end, Ok(RunEnd::Exit(0)));

    // At -S: the boot stub's first instruction, EL1h.
    let lines: Vec<&str> = regs.lines().collect();
    assert_eq!(lines[0], "");
    assert_eq!(lines[1], "CPU#0");
    assert!(lines[2].starts_with(" PC=0000000040000000 X00="), "{regs}");
    assert_eq!(lines.len(), 14, "{regs}");
    assert!(lines[12].ends_with(" SP=0000000000000000"));
    assert!(lines[13].starts_with("PSTATE=") && lines[13].ends_with(" EL1h    FPU disabled"));
    if let Some(qemu) = qemu_registers_at_reset() {
        compare_register_dumps(&regs, &qemu);
    }

    // Stopped in the loop, which has counted in x7.
    let pc = u64::from_str_radix(&stopped.lines().nth(2).unwrap()[4..20], 16).unwrap();
    assert!((0x4020_0048..=0x4020_004c).contains(&pc), "{stopped}");
    assert!(stopped.contains("X05=0000000000001234 X06=0000000000000077"));
    assert!(!stopped.contains("X07=0000000000000000"));
    assert_eq!(
        cpus,
        format!(
            "* CPU #0: pc=0x{pc:016x} thread_id={}\n",
            std::process::id()
        )
    );
    for want in [
        "address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n",
        "    0000000009000000-0000000009000fff (prio 0, i/o): pl011\n",
        "    0000000009010000-0000000009010fff (prio 0, i/o): pl031\n",
        "    0000000009030000-0000000009030fff (prio 0, i/o): pl061\n",
        "    000000000a000000-000000000a0001ff (prio 0, i/o): virtio-mmio\n",
        "    0000000040000000-000000004fffffff (prio 0, ram): mach-virt.ram\n",
    ] {
        assert!(mtree.contains(want), "{want:?} in\n{mtree}");
    }
}

/// QEMU's `info registers` for the same Image at -S, when QEMU is installed.
fn qemu_registers_at_reset() -> Option<String> {
    let img = std::env::temp_dir().join(format!("armvirt-monitor-qemu-{}.img", std::process::id()));
    let mut image = vec![0u8; 0x40];
    image[0..4].copy_from_slice(&0x1400_0010u32.to_le_bytes());
    image[16..24].copy_from_slice(&0x1_0000u64.to_le_bytes());
    image[24..32].copy_from_slice(&0xau64.to_le_bytes());
    image[0x38..0x3c].copy_from_slice(b"ARM\x64");
    image.extend(program());
    std::fs::write(&img, image).ok()?;
    let port = free_port();
    let mut qemu = std::process::Command::new("qemu-system-aarch64")
        .args([
            "-M",
            "virt",
            "-cpu",
            "cortex-a72",
            "-m",
            "256M",
            "-nographic",
            "-S",
        ])
        .args(["-serial", "null", "-monitor"])
        .arg(format!("telnet:127.0.0.1:{port},server,nowait"))
        .arg("-kernel")
        .arg(&img)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let (mut c, _) = Client::connect(port);
    let regs = c.cmd("info registers");
    let _ = c.0.write_all(b"quit\r");
    let _ = qemu.wait();
    std::fs::remove_file(img).ok();
    Some(regs)
}

/// Every line has QEMU's layout (the same register names at the same columns); the
/// values agree where the two machines start alike: the PC and the general registers.
fn compare_register_dumps(ours: &str, qemu: &str) {
    let (a, b): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), qemu.lines().collect());
    assert_eq!(a.len(), b.len(), "ours:\n{ours}\nQEMU's:\n{qemu}");
    for (x, y) in a.iter().zip(&b) {
        let shape = |l: &str| -> String {
            l.chars()
                .map(|c| if c.is_ascii_hexdigit() { '0' } else { c })
                .collect()
        };
        if x.starts_with("PSTATE=") {
            // QEMU resets PSTATE with Z set (0x400003c5); the rest of the line agrees.
            assert_eq!(&x[20..], &y[20..]);
            assert_eq!(&x[..7], &y[..7]);
        } else {
            assert_eq!(shape(x), shape(y));
            assert_eq!(x, y, "ours:\n{ours}\nQEMU's:\n{qemu}");
        }
    }
}

#[test]
fn mon_stdio_switches_between_the_console_and_the_monitor_with_ctrl_a_c() {
    // The guest turns the PL011's FIFO on (LCR_H.FEN) so input waits there, then spins.
    let guest = a64!(
        ; movz x1, 0x0900, lsl 16
        ; movz w2, 0x10
        ; str w2, [x1, 0x2c]
        ; spin:
        ; b <spin
    );
    let (mut m, _, dir) = machine_with_config("monitor-mux", 1, &guest, |c| {
        c.options.monitor = Some(CharBackend::MuxStdio);
    });
    let (tx, rx) = crossbeam_channel::unbounded();
    // "ab" for the guest, a command for the monitor, "z" for the guest; later, quit.
    std::thread::spawn(move || {
        // After the guest has switched the FIFO on (which empties the receive register).
        std::thread::sleep(Duration::from_millis(100));
        for &b in b"ab\x01cinfo status\r\x01cz" {
            tx.send(b).unwrap();
        }
        std::thread::sleep(Duration::from_millis(300));
        for &b in b"\x01cquit\r" {
            tx.send(b).unwrap();
        }
        std::thread::sleep(Duration::from_secs(5));
    });
    let end = m.run_with(ConsoleInput::from_channel(rx, false));
    std::fs::remove_dir_all(dir).ok();
    assert_eq!(end, Ok(RunEnd::Exit(0)));
    use armvirt_devices::pl011::{FR_RXFE, UARTDR, UARTFR};
    use armvirt_devices::MmioDevice;
    let mut uart = m.uart.lock();
    let mut got = Vec::new();
    while uart.read(UARTFR, 4).unwrap() as u32 & FR_RXFE == 0 {
        got.push(uart.read(UARTDR, 4).unwrap() as u8);
    }
    assert_eq!(got, b"abz");
}
