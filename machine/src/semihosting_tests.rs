//! Semihosting from bare-metal guests: each test assembles a program that makes calls
//! through `HLT #0xF000` with parameter blocks in its Image, stores every X0 it gets back
//! in a results array, and ends with SYS_EXIT. Values are the specification's and QEMU's
//! (`semihosting/arm-compat-semi.c`); `same_results_as_qemu` runs one program under
//! `qemu-system-aarch64 -semihosting` too and compares what both wrote.

use super::*;
use crate::console::ConsoleInput;
use crate::options::Semihosting;
use crate::test_rig::machine_with_config;
use crate::Machine;
use armvirt_cpu::a64;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where QEMU and armvirt both load an Image's first byte (RAM base + 2 MiB).
const IMG: u64 = 0x4020_0000;
/// The program's parameter blocks and strings.
const DATA: u64 = IMG + 0x2000;
/// Each call's X0, in call order.
const RESULTS: u64 = IMG + 0x8000;
const MINUS_1: u64 = u64::MAX;

/// A guest program under construction: code after the Image header, data at `DATA`.
struct Guest {
    code: Vec<u8>,
    data: Vec<u8>,
    calls: usize,
}

impl Guest {
    fn new() -> Self {
        let mut g = Guest {
            code: Vec::new(),
            data: Vec::new(),
            calls: 0,
        };
        g.mov(28, RESULTS);
        g
    }

    /// `reg` = `v` (four instructions, whatever the value).
    #[allow(clippy::useless_conversion)] // dynasm's register operand
    fn mov(&mut self, reg: u8, v: u64) {
        self.code.extend(a64!(
            ; movz X(reg), (v & 0xffff) as u32
            ; movk X(reg), ((v >> 16) & 0xffff) as u32, lsl 16
            ; movk X(reg), ((v >> 32) & 0xffff) as u32, lsl 32
            ; movk X(reg), (v >> 48) as u32, lsl 48
        ));
    }

    fn bytes(&mut self, b: &[u8]) -> u64 {
        while !self.data.len().is_multiple_of(8) {
            self.data.push(0);
        }
        let at = DATA + self.data.len() as u64;
        self.data.extend_from_slice(b);
        at
    }

    fn words(&mut self, w: &[u64]) -> u64 {
        let b: Vec<u8> = w.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.bytes(&b)
    }

    /// A NUL-terminated string; returns its address and length (without the NUL).
    fn string(&mut self, s: &str) -> (u64, u64) {
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        (self.bytes(&b), s.len() as u64)
    }

    /// Calls `op` with X1 = `x1`; its result becomes the next entry of the results.
    fn call(&mut self, op: u32, x1: u64) -> usize {
        self.mov(1, x1);
        self.code.extend(a64!(
            ; movz x0, op
            ; hlt 0xf000
            ; str x0, [x28], 8
        ));
        self.calls += 1;
        self.calls - 1
    }

    /// Stores the last call's X0 at `addr` (a handle into a later call's block).
    fn result_to(&mut self, addr: u64) {
        self.mov(2, addr);
        self.code.extend(a64!(; str x0, [x2]));
    }

    /// Ends the program with SYS_EXIT (ApplicationExit, `status`).
    fn exit(&mut self, status: u64) {
        let block = self.words(&[ADP_STOPPED_APPLICATION_EXIT, status]);
        self.call(op::EXIT, block);
        // Not reached: SYS_EXIT does not return.
        self.code.extend(a64!(; b 0));
    }

    /// The Image's body (after its header): code, then the data at `DATA`.
    fn body(&self) -> Vec<u8> {
        let mut b = self.code.clone();
        assert!(b.len() < (DATA - IMG - 0x40) as usize, "code too long");
        b.resize((DATA - IMG - 0x40) as usize, 0);
        b.extend_from_slice(&self.data);
        b
    }
}

/// Output written through a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

struct Run {
    end: Result<RunEnd, crate::Stop>,
    out: Captured,
    err: Captured,
    m: Machine,
    dir: PathBuf,
}

impl Run {
    fn result(&mut self, n: usize) -> u64 {
        let mut b = [0u8; 8];
        assert_eq!(self.m.read_phys(RESULTS + 8 * n as u64, &mut b), 8);
        u64::from_le_bytes(b)
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

fn machine(name: &str, g: &Guest, semihosting: Option<Semihosting>) -> (Machine, PathBuf) {
    let (m, body, dir) = machine_with_config(&format!("semi-{name}"), 1, &g.body(), |c| {
        c.options.semihosting = semihosting;
        c.cmdline = Some("console=ttyAMA0  quiet".into());
    });
    assert_eq!(body, IMG + 0x40, "the Image is where QEMU puts it");
    (m, dir)
}

fn run(name: &str, g: &Guest) -> Run {
    let (mut m, dir) = machine(name, g, Some(Semihosting::default()));
    let (out, err) = (Captured::default(), Captured::default());
    m.semihost_mut()
        .unwrap()
        .set_console(Box::new(out.clone()), Box::new(err.clone()));
    let end = m.run_with(ConsoleInput::none());
    Run {
        end,
        out,
        err,
        m,
        dir,
    }
}

#[test]
fn a_guest_prints_hello_and_exits_with_42() {
    let mut g = Guest::new();
    let (hello, _) = g.string("hello\n");
    g.call(op::WRITE0, hello);
    let bang = g.bytes(b"!");
    g.call(op::WRITEC, bang);
    g.exit(42);
    let mut r = run("hello", &g);
    assert_eq!(r.end, Ok(RunEnd::Exit(42)));
    assert_eq!(r.out.text(), "hello\n!");
    // The write-only calls leave QEMU's marker in X0.
    assert_eq!((r.result(0), r.result(1)), (0xdead_beef, 0xdead_beef));
}

#[test]
fn exit_reasons_other_than_application_exit_are_status_1() {
    let mut g = Guest::new();
    // ADP_Stopped_RunTimeErrorUnknown with a subcode that must not become the status.
    let block = g.words(&[0x20023, 42]);
    g.call(op::EXIT, block);
    assert_eq!(run("exit1", &g).end, Ok(RunEnd::Exit(1)));

    let mut g = Guest::new();
    let block = g.words(&[ADP_STOPPED_APPLICATION_EXIT, 7]);
    g.call(op::EXIT_EXTENDED, block);
    assert_eq!(run("exitx", &g).end, Ok(RunEnd::Exit(7)));

    // A status is the subcode's low 32 bits, as QEMU's; the process takes its low 8.
    let mut g = Guest::new();
    g.exit(0x1_0000_0105);
    assert_eq!(run("exitw", &g).end, Ok(RunEnd::Exit(0x105)));
}

#[test]
fn a_bad_parameter_block_is_efault_not_a_host_error() {
    let mut g = Guest::new();
    // Not RAM: every call reading it fails with -1 and errno EFAULT.
    g.call(op::WRITE, 0x1000);
    g.call(op::ERRNO, 0);
    g.call(op::OPEN, 0x1000);
    g.call(op::ERRNO, 0);
    g.call(op::EXIT, 0x1000);
    g.call(op::WRITE0, 0x1000); // nothing printed, X0 the marker
    g.call(0x77, 0); // not an operation
    let (cmd, cmd_len) = g.string("true");
    let system = g.words(&[cmd, cmd_len]);
    g.call(op::SYSTEM, system); // refused
    g.exit(3);
    let mut r = run("efault", &g);
    assert_eq!(r.end, Ok(RunEnd::Exit(3)));
    let got: Vec<u64> = (0..8).map(|n| r.result(n)).collect();
    assert_eq!(
        got,
        [
            MINUS_1,
            14,
            MINUS_1,
            14,
            MINUS_1,
            0xdead_beef,
            MINUS_1,
            MINUS_1
        ]
    );
    assert_eq!(r.out.text(), "");
}

#[test]
fn hlt_without_semihosting_is_undefined() {
    // The vector for the current EL with SP_ELx, synchronous, records ESR and ELR and
    // powers off.
    // The vectors at IMG + 0x800 (2 KiB aligned): body offset 0x7c0.
    let mut code = a64!(
        ; movz x0, 0x0800
        ; movk x0, (IMG >> 16) as u32, lsl 16
        ; msr 0x4600, x0            // VBAR_EL1
        ; isb
        ; movz x0, op::WRITE0
        ; hlt 0xf000
        ; b 0
    );
    code.resize(0x7c0 + 0x200, 0);
    code.extend(a64!(
        ; mrs x10, 0x4290          // ESR_EL1
        ; mrs x11, 0x4201          // ELR_EL1
        ; movz x0, 0x0008
        ; movk x0, 0x8400, lsl 16  // PSCI SYSTEM_OFF
        ; hvc 0
    ));
    // Zeros before the vector are `udf`: only the HLT may trap.
    let (mut m, _body, dir) = machine_with_config("semi-undef", 1, &code, |_| {});
    assert_eq!(m.run_with(ConsoleInput::none()), Ok(RunEnd::PowerOff));
    std::fs::remove_dir_all(dir).ok();
    let s = m.regs(0);
    // EC 0 (unknown reason), IL 1; ELR is the HLT itself (IMG + header + 5 instructions).
    assert_eq!(s.x[10], 0x0200_0000);
    assert_eq!(s.x[11], IMG + 0x40 + 20);
}

/// Builds the file I/O program over files in `dir`: every result goes to the results
/// array, which the program finally writes to `dir/results.bin` too (so QEMU's can be
/// compared). Returns it and the number of results written.
fn file_program(dir: &Path) -> (Guest, usize) {
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let mut g = Guest::new();
    let (input, input_len) = g.string(&p("input.txt"));
    let (output, output_len) = g.string(&p("output.txt"));
    let (renamed, renamed_len) = g.string(&p("renamed.txt"));
    let (missing, missing_len) = g.string(&p("missing.txt"));
    let (tt, tt_len) = g.string(":tt");
    let (feat, feat_len) = g.string(":semihosting-features");
    let buf = g.bytes(&[0u8; 64]);

    let open_in = g.words(&[input, 1, input_len]); // "rb"
    g.call(op::OPEN, open_in);
    let fd_slot = |g: &mut Guest, rest: &[u64]| {
        let mut w = vec![0u64];
        w.extend_from_slice(rest);
        g.words(&w)
    };
    let flen = fd_slot(&mut g, &[]);
    let seek = fd_slot(&mut g, &[4]);
    let read = fd_slot(&mut g, &[buf, 8]);
    let read_tail = fd_slot(&mut g, &[buf + 8, 40]);
    let istty = fd_slot(&mut g, &[]);
    let close_in = fd_slot(&mut g, &[]);
    for slot in [flen, seek, read, read_tail, istty, close_in] {
        g.result_to(slot);
    }
    g.call(op::FLEN, flen); // 16
    g.call(op::SEEK, seek); // 0
    g.call(op::READ, read); // 0 left: "456789ab"
    g.call(op::READ, read_tail); // 36 left: the 4 bytes "cdef"
    g.call(op::ISTTY, istty); // 0
    g.call(op::CLOSE, close_in); // 0
    g.call(op::CLOSE, close_in); // -1: already closed
    g.call(op::ERRNO, 0); // EBADF

    let open_out = g.words(&[output, 4, output_len]); // "w"
    g.call(op::OPEN, open_out);
    let write = fd_slot(&mut g, &[buf, 12]);
    let close_out = fd_slot(&mut g, &[]);
    g.result_to(write);
    g.result_to(close_out);
    g.call(op::WRITE, write); // 0 not written
    g.call(op::CLOSE, close_out);

    let rename = g.words(&[output, output_len, renamed, renamed_len]);
    g.call(op::RENAME, rename); // 0
    let remove_in = g.words(&[input, input_len]);
    g.call(op::REMOVE, remove_in); // 0
    let open_missing = g.words(&[missing, 0, missing_len]);
    g.call(op::OPEN, open_missing); // -1
    g.call(op::ERRNO, 0); // ENOENT
    let remove_missing = g.words(&[missing, missing_len]);
    g.call(op::REMOVE, remove_missing); // -1
    let bad_mode = g.words(&[renamed, 12, renamed_len]);
    g.call(op::OPEN, bad_mode); // -1, EINVAL
    g.call(op::ERRNO, 0);

    let open_tt = g.words(&[tt, 4, tt_len]); // "w": stdout
    g.call(op::OPEN, open_tt);
    let tt_write = fd_slot(&mut g, &[0, 6]);
    let tt_istty = fd_slot(&mut g, &[]);
    g.result_to(tt_write);
    g.result_to(tt_istty);
    let (text, _) = g.string("to tt\n");
    // The text's address goes into the block's second word.
    g.mov(3, text);
    g.mov(2, tt_write + 8);
    g.code.extend(a64!(; str x3, [x2]));
    g.call(op::WRITE, tt_write); // 0
    g.call(op::ISTTY, tt_istty); // 1

    let open_feat = g.words(&[feat, 0, feat_len]);
    g.call(op::OPEN, open_feat);
    let feat_flen = fd_slot(&mut g, &[]);
    let feat_read = fd_slot(&mut g, &[buf + 32, 8]);
    g.result_to(feat_flen);
    g.result_to(feat_read);
    g.call(op::FLEN, feat_flen); // 5
    g.call(op::READ, feat_read); // 3 not read
    let feat_write_mode = g.words(&[feat, 4, feat_len]);
    g.call(op::OPEN, feat_write_mode); // -1 (EACCES)
    g.call(op::ERRNO, 0);
    let minus_1 = g.words(&[MINUS_1]);
    g.call(op::ISERROR, minus_1); // 1
    g.call(op::TICKFREQ, 0);
    let line = g.words(&[buf + 48, 2]); // too small: E2BIG
    g.call(op::GET_CMDLINE, line);
    g.call(op::ERRNO, 0);
    let results = g.calls;

    // Write the results (and the buffer the reads filled) to results.bin.
    let (res, res_len) = g.string(&p("results.bin"));
    let open_res = g.words(&[res, 4, res_len]);
    g.call(op::OPEN, open_res);
    let write_res = fd_slot(&mut g, &[RESULTS, 8 * results as u64]);
    let write_buf = fd_slot(&mut g, &[buf, 48]);
    g.result_to(write_res);
    g.result_to(write_buf);
    g.call(op::WRITE, write_res);
    g.call(op::WRITE, write_buf);
    g.exit(0);
    (g, results)
}

fn file_fixture(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("armvirt-semifiles-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("input.txt"), "0123456789abcdef").unwrap();
    dir
}

const EXPECTED: [u64; 31] = [
    1,             // OPEN input
    16,            // FLEN
    0,             // SEEK
    0,             // READ 8: all read
    36,            // READ 40 at 12: 4 read
    0,             // ISTTY of a file
    0,             // CLOSE
    MINUS_1,       // CLOSE again
    9,             // ERRNO: EBADF
    1,             // OPEN output (handle 1 is free again)
    0,             // WRITE
    0,             // CLOSE
    0,             // RENAME
    0,             // REMOVE
    MINUS_1,       // OPEN missing
    2,             // ERRNO: ENOENT
    MINUS_1,       // REMOVE missing
    MINUS_1,       // OPEN mode 12
    22,            // ERRNO: EINVAL
    1,             // OPEN :tt
    0,             // WRITE to :tt
    2,             // ISTTY: the host's stdout, replaced by `isatty(1)`
    2,             // OPEN :semihosting-features
    5,             // FLEN
    3,             // READ 8 of 5
    MINUS_1,       // OPEN features for writing
    13,            // ERRNO: EACCES
    1,             // ISERROR(-1)
    1_000_000_000, // TICKFREQ
    MINUS_1,       // GET_CMDLINE into 2 bytes
    7,             // ERRNO: E2BIG
];

#[test]
fn file_io_open_flen_seek_read_write_rename_remove() {
    let files = file_fixture("io");
    let (g, n) = file_program(&files);
    assert_eq!(n, EXPECTED.len());
    let mut r = run("files", &g);
    assert_eq!(r.end, Ok(RunEnd::Exit(0)));
    let got: Vec<u64> = (0..n).map(|i| r.result(i)).collect();
    let mut want = EXPECTED;
    want[21] = host_isatty(1);
    assert_eq!(got, want);
    assert_eq!(r.out.text(), "to tt\n");
    assert_eq!(r.err.text(), "");
    assert_eq!(
        std::fs::read(files.join("renamed.txt")).unwrap(),
        b"456789abcdef"
    );
    assert!(!files.join("input.txt").exists() && !files.join("output.txt").exists());
    let res = std::fs::read(files.join("results.bin")).unwrap();
    assert_eq!(res.len(), 8 * n + 48);
    assert_eq!(&res[8 * n + 32..8 * n + 37], b"SHFB\x03");
    std::fs::remove_dir_all(files).ok();
}

#[test]
fn cmdline_heapinfo_and_the_virtual_clock() {
    let mut g = Guest::new();
    let buf = g.bytes(&[0u8; 128]);
    let line = g.words(&[buf, 128]);
    g.call(op::GET_CMDLINE, line);
    let info = g.bytes(&[0u8; 32]);
    let info_ptr = g.words(&[info]);
    g.call(op::HEAPINFO, info_ptr);
    let t0 = g.words(&[0]);
    g.call(op::ELAPSED, t0);
    g.call(op::CLOCK, 0);
    // About 20 ms of virtual time: two instructions per count.
    g.mov(5, 10_000_000);
    g.code.extend(a64!(
        ; spin:
        ; subs x5, x5, 1
        ; b.ne <spin
    ));
    let t1 = g.words(&[0]);
    g.call(op::ELAPSED, t1);
    g.call(op::CLOCK, 0);
    g.call(op::TIME, 0);
    g.exit(0);
    let (mut m, dir) = machine("clock", &g, Some(Semihosting::default()));
    m.semihost_mut()
        .unwrap()
        .set_console(Box::new(Captured::default()), Box::new(Captured::default()));
    let mut r = Run {
        end: m.run_with(ConsoleInput::none()),
        out: Captured::default(),
        err: Captured::default(),
        m,
        dir,
    };
    assert_eq!(r.end, Ok(RunEnd::Exit(0)));
    // The kernel's path and -append's words, one space apart (QEMU's fallback).
    let mut text = vec![0u8; 128];
    r.m.read_phys(buf, &mut text);
    let kernel = r.m.config().kernel.display().to_string();
    let want = format!("{kernel} console=ttyAMA0 quiet");
    assert_eq!(&text[..want.len() + 1], format!("{want}\0").as_bytes());
    let mut len = [0u8; 8];
    r.m.read_phys(line + 8, &mut len);
    assert_eq!(u64::from_le_bytes(len), want.len() as u64);

    // The heap: the largest free range of RAM, shared with the stack as QEMU does.
    let mut w = [0u8; 32];
    r.m.read_phys(info, &mut w);
    let word = |i: usize| u64::from_le_bytes(w[8 * i..8 * i + 8].try_into().unwrap());
    let (base, limit) = (word(0), word(1));
    assert_eq!((word(2), word(3)), (limit, base));
    let boot = r.m.boot();
    let ram_end = 0x4000_0000 + 256 * (1 << 20);
    assert!(base >= 0x4000_0000 && limit <= ram_end && limit - base > 64 << 20);
    for (b, e) in [
        (boot.kernel.base, boot.kernel.end()),
        (boot.dtb.base, boot.dtb.end()),
    ] {
        assert!(
            e <= base || b >= limit,
            "the heap overlaps [{b:#x}, {e:#x})"
        );
    }

    let (e0, e1) = (word_at(&mut r.m, t0), word_at(&mut r.m, t1));
    let spun = e1 - e0;
    assert!(
        (20_000_000..20_000_000 + 3 * crate::run::QUANTUM).contains(&spun),
        "{spun} ns"
    );
    let (c0, c1) = (r.result(3), r.result(5));
    assert_eq!(c0, e0 / 10_000_000);
    assert_eq!(c1, e1 / 10_000_000);
    assert!(c1 - c0 >= 2);
    // TIME: the RTC's start (the host's UTC now) plus virtual seconds.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(r.result(6).abs_diff(now) < 60);
}

fn word_at(m: &mut Machine, addr: u64) -> u64 {
    let mut b = [0u8; 8];
    m.read_phys(addr, &mut b);
    u64::from_le_bytes(b)
}

#[test]
fn largest_gap_skips_the_blobs() {
    let blobs = [(0x100, 0x128), (0x300, 0x400), (0xa00, 0xf00)];
    assert_eq!(largest_gap(0x100, 0x1000, &blobs), (0x400, 0xa00));
    assert_eq!(largest_gap(0, 0x100, &[]), (0, 0x100));
    assert_eq!(largest_gap(0, 0x100, &[(0x80, 0x200)]), (0, 0x80));
}

/// The file I/O program under QEMU and under armvirt writes the same results file and the
/// same console text, and exits with the same status.
#[test]
fn same_results_as_qemu() {
    if std::process::Command::new("qemu-system-aarch64")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("qemu-system-aarch64 is not installed: skipped");
        return;
    }
    let files = file_fixture("qemu");
    let (g, _) = file_program(&files);
    let r = run("qemu", &g);
    assert_eq!(r.end, Ok(RunEnd::Exit(0)));
    let ours = std::fs::read(files.join("results.bin")).unwrap();
    let ours_text = r.out.text();
    let image = r.m.config().kernel.clone();

    std::fs::write(files.join("input.txt"), "0123456789abcdef").unwrap();
    std::fs::remove_file(files.join("renamed.txt")).unwrap();
    let qemu = std::process::Command::new("timeout")
        .args([
            "20",
            "qemu-system-aarch64",
            "-M",
            "virt",
            "-cpu",
            "cortex-a72",
        ])
        .args([
            "-m",
            "256M",
            "-nographic",
            "-monitor",
            "none",
            "-serial",
            "null",
        ])
        .args([
            "-semihosting",
            "-append",
            "console=ttyAMA0  quiet",
            "-kernel",
        ])
        .arg(&image)
        .output()
        .unwrap();
    assert_eq!(qemu.status.code(), Some(0), "{qemu:?}");
    let theirs = std::fs::read(files.join("results.bin")).unwrap();
    assert_eq!(ours, theirs);
    let qemu_text =
        String::from_utf8_lossy(&qemu.stdout).into_owned() + &String::from_utf8_lossy(&qemu.stderr);
    assert_eq!(ours_text, qemu_text);
    std::fs::remove_dir_all(files).ok();

    // WRITE0, WRITEC and an exit status.
    let mut g = Guest::new();
    let (hello, _) = g.string("hello\n");
    g.call(op::WRITE0, hello);
    let bang = g.bytes(b"!");
    g.call(op::WRITEC, bang);
    g.exit(42);
    let r = run("qemu-hello", &g);
    let qemu = std::process::Command::new("timeout")
        .args([
            "20",
            "qemu-system-aarch64",
            "-M",
            "virt",
            "-cpu",
            "cortex-a72",
        ])
        .args([
            "-nographic",
            "-monitor",
            "none",
            "-serial",
            "null",
            "-semihosting",
        ])
        .arg("-kernel")
        .arg(&r.m.config().kernel)
        .output()
        .unwrap();
    let Ok(RunEnd::Exit(status)) = r.end else {
        panic!("{:?}", r.end)
    };
    assert_eq!(qemu.status.code(), Some(status as i32));
    let qemu_text =
        String::from_utf8_lossy(&qemu.stdout).into_owned() + &String::from_utf8_lossy(&qemu.stderr);
    assert_eq!(r.out.text(), qemu_text);
}
