//! The reference side: one static AArch64 Linux program per batch of cases, run under
//! `qemu-aarch64` (QEMU's user-mode emulator, at EL0) with its output records read back.
//!
//! For each case the program holds a prologue, the case's words, and an epilogue:
//! - the prologue notes the epilogue's address for the SIGILL handler, points X30 at the
//!   case's input record, copies the buffer image (memory cases), sets NZCV (MSR NZCV) and
//!   SP, then loads X0–X29 and finally X30;
//! - the epilogue parks X0 in TPIDR_EL0 (the only register-free save at EL0), points X0 at
//!   the output record, stores X1–X30, X0, SP, NZCV (MRS), the trap flag and the buffer,
//!   and writes the record to stdout (`write`).
//!
//! So every general register and SP belong to the case; nothing of the harness survives in
//! them. An UNDEFINED instruction raises SIGILL: the handler (on an alternate stack, since
//! SP belongs to the case) sets the trap flag and resumes at the case's epilogue, with the
//! registers and flags as they were at the fault. The program starts by installing that
//! handler (`sigaltstack`, `rt_sigaction`) and ends with `exit(0)`. One record per case is
//! written as soon as the case ends, so if a case kills the process (any other signal) the
//! records received say which one did.

use super::case::{Case, State};
use super::elf;
use super::enc::*;
use super::layout::*;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

// Linux arm64 system calls (include/uapi/asm-generic/unistd.h) and their constants.
const SYS_SIGALTSTACK: u16 = 132;
const SYS_RT_SIGACTION: u16 = 134;
const SYS_RT_SIGRETURN: u16 = 139;
const SYS_WRITE: u16 = 64;
const SYS_EXIT: u16 = 93;
const STDOUT: u16 = 1;
const SIGILL: u16 = 4;
const SA_SIGINFO: u64 = 0x4;
const SA_ONSTACK: u64 = 0x0800_0000;
const SA_RESTORER: u64 = 0x0400_0000;
const SIGSET_SIZE: u16 = 8;
/// Offset of uc_mcontext.pc in the arm64 `struct ucontext` (uc_flags, uc_link, uc_stack,
/// uc_sigmask, 120 bytes of padding, then the 16-aligned sigcontext at 176: fault_address,
/// regs[31], sp, pc).
const UC_PC: u32 = 176 + 8 + 31 * 8 + 8;

const PAGE: u64 = 0x1000;
const ALT_STACK_SIZE: u64 = 0x1_0000;

/// Static data at the start of the input area: stack_t (ss_sp, ss_flags, ss_size), then
/// the kernel's struct sigaction (sa_handler, sa_flags, sa_restorer, sa_mask).
const STATIC_SS: u64 = 0;
const STATIC_ACT: u64 = 32;
const STATIC_SIZE: u64 = 64;

/// Words the handler reads and writes (a page after the output record).
const G_RESUME: u32 = 0;
const G_TRAPPED: u32 = 8;

/// A laid-out batch: the ELF image and where each case's words start.
pub struct Program {
    pub image: Vec<u8>,
    pub case_addrs: Vec<u64>,
}

/// The addresses the harness code refers to.
#[derive(Clone, Copy)]
struct Addrs {
    out: u64,
    globals: u64,
}

const DUMMY: Addrs = Addrs {
    out: CODE_BASE,
    globals: CODE_BASE,
};

/// Splits `cases` into batches whose code fits below [`CODE_LIMIT`].
pub fn batches(cases: &[Case]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut pc) = (0, CODE_BASE + 4 * startup_len() as u64);
    for (i, c) in cases.iter().enumerate() {
        let len = 4 * (prologue_len(c) + c.words.len() + epilogue_len(c)) as u64 + 16;
        if pc + len + 4 * tail_len() as u64 > CODE_LIMIT && i > start {
            out.push(start..i);
            start = i;
            pc = CODE_BASE + 4 * startup_len() as u64;
        }
        pc += len;
    }
    out.push(start..cases.len());
    out
}

// The harness code's length does not depend on addresses: measure it with dummy ones.
fn startup_len() -> usize {
    let mut w = Vec::new();
    startup(&mut w, CODE_BASE, CODE_BASE);
    w.len()
}

fn prologue_len(c: &Case) -> usize {
    let mut w = Vec::new();
    prologue(&mut w, CODE_BASE, c, CODE_BASE, DUMMY, CODE_BASE);
    w.len()
}

fn epilogue_len(c: &Case) -> usize {
    let mut w = Vec::new();
    epilogue(&mut w, CODE_BASE, c, DUMMY);
    w.len()
}

fn tail_len() -> usize {
    let mut w = Vec::new();
    tail(&mut w, CODE_BASE, DUMMY);
    w.len()
}

/// Address of the next word to be pushed onto `w`, whose first word is at `pc`.
fn at(w: &[u32], pc: u64) -> u64 {
    pc + 4 * w.len() as u64
}

/// Points Xd at `addr`.
fn address(w: &mut Vec<u32>, pc: u64, rd: u32, addr: u64) {
    w.push(adrp(rd, at(w, pc), addr));
    w.push(add_imm(rd, rd, (addr & 0xfff) as u32));
}

/// Copies the buffer: 16 bytes at a time through X1, X2 from [X3] to [X4].
fn copy_buf(w: &mut Vec<u32>) {
    for off in (0..BUF_SIZE as i32).step_by(16) {
        w.push(ldp(1, 2, 3, off));
        w.push(stp(1, 2, 4, off));
    }
}

/// Installs the SIGILL handler on an alternate stack.
fn startup(w: &mut Vec<u32>, pc: u64, statics: u64) {
    address(w, pc, 0, statics + STATIC_SS);
    w.push(movz(1, 0));
    w.push(movz(8, SYS_SIGALTSTACK));
    w.push(SVC0);
    w.push(movz(0, SIGILL));
    address(w, pc, 1, statics + STATIC_ACT);
    w.push(movz(2, 0));
    w.push(movz(3, SIGSET_SIZE));
    w.push(movz(8, SYS_RT_SIGACTION));
    w.push(SVC0);
}

/// Sets up case `c` from its input record at `rec`; the code starts at `pc` and the case's
/// epilogue will be at `resume`.
fn prologue(w: &mut Vec<u32>, pc: u64, c: &Case, rec: u64, a: Addrs, resume: u64) {
    address(w, pc, 0, a.globals);
    address(w, pc, 1, resume);
    w.push(str(1, 0, G_RESUME));
    address(w, pc, 30, rec);
    if c.mem.is_some() {
        w.push(add_imm(3, 30, REC_MEM as u32));
        address(w, pc, 4, BUF_ADDR);
        copy_buf(w);
    }
    w.push(ldr(0, 30, REC_NZCV as u32));
    w.push(msr(NZCV, 0));
    w.push(ldr(0, 30, REC_SP as u32));
    w.push(add_imm(31, 0, 0)); // MOV SP, X0
    for r in (0..30).step_by(2) {
        w.push(ldp(r, r + 1, 30, (REC_X + 8 * r as usize) as i32));
    }
    w.push(ldr(30, 30, (REC_X + 8 * 30) as u32));
}

/// Saves the state into the output record and writes it to stdout.
fn epilogue(w: &mut Vec<u32>, pc: u64, c: &Case, a: Addrs) {
    w.push(msr(TPIDR_EL0, 0));
    address(w, pc, 0, a.out);
    for r in (1..31).step_by(2) {
        w.push(stp(r, r + 1, 0, (REC_X + 8 * r as usize) as i32));
    }
    w.push(mrs(1, TPIDR_EL0));
    w.push(str(1, 0, REC_X as u32));
    w.push(add_imm(1, 31, 0)); // MOV X1, SP
    w.push(str(1, 0, REC_SP as u32));
    w.push(mrs(1, NZCV));
    w.push(str(1, 0, REC_NZCV as u32));
    address(w, pc, 3, a.globals);
    w.push(ldr(1, 3, G_TRAPPED));
    w.push(str(1, 0, REC_TRAP as u32));
    w.push(str(31, 3, G_TRAPPED)); // XZR
    if c.mem.is_some() {
        address(w, pc, 3, BUF_ADDR);
        w.push(add_imm(4, 0, REC_MEM as u32));
        copy_buf(w);
    }
    w.push(add_imm(1, 0, 0)); // MOV X1, X0
    w.push(movz(0, STDOUT));
    w.push(movz(2, u16::try_from(c.out_len()).unwrap()));
    w.push(movz(8, SYS_WRITE));
    w.push(SVC0);
}

/// exit(0), then the SIGILL handler (resume at the noted epilogue, flag the trap) and its
/// signal return trampoline. Returns the handler's and the trampoline's offsets in words.
fn tail(w: &mut Vec<u32>, pc: u64, a: Addrs) -> (usize, usize) {
    w.extend([movz(0, 0), movz(8, SYS_EXIT), SVC0]);
    let handler = w.len();
    // X2 is the ucontext; X30 the restorer.
    address(w, pc, 3, a.globals);
    w.push(ldr(4, 3, G_RESUME));
    w.push(str(4, 2, UC_PC));
    w.push(movz(4, 1));
    w.push(str(4, 3, G_TRAPPED));
    w.push(0xd65f_03c0); // RET
    let restorer = w.len();
    w.push(movz(8, SYS_RT_SIGRETURN));
    w.push(SVC0);
    (handler, restorer)
}

fn record(c: &Case) -> Vec<u8> {
    let mut r = vec![0u8; c.out_len()];
    for (n, v) in c.x.iter().enumerate() {
        r[REC_X + 8 * n..][..8].copy_from_slice(&v.to_le_bytes());
    }
    r[REC_SP..][..8].copy_from_slice(&c.sp.to_le_bytes());
    r[REC_NZCV..][..8].copy_from_slice(&(c.nzcv as u64).to_le_bytes());
    if let Some(m) = &c.mem {
        r[REC_MEM..][..BUF_SIZE].copy_from_slice(m);
    }
    r
}

fn align_up(v: u64, a: u64) -> u64 {
    v.div_ceil(a) * a
}

fn put(image: &mut [u8], addr: u64, bytes: &[u8]) {
    let off = (addr - IMAGE_BASE) as usize;
    image[off..off + bytes.len()].copy_from_slice(bytes);
}

/// Lays out a batch: headers, buffer, code; then the static data and input records; then
/// (zero-filled) the output record, the handler's globals and its alternate stack.
pub fn build(cases: &[Case]) -> Program {
    // Pass 1: where each block and its case words go.
    let mut starts = Vec::with_capacity(cases.len());
    let mut pc = CODE_BASE + 4 * startup_len() as u64;
    for c in cases {
        let p = 4 * prologue_len(c) as u64;
        // Pad so the case's own words start 16-byte aligned (literal loads stay aligned).
        let case_at = align_up(pc + p, 16);
        starts.push(case_at - p);
        pc = case_at + 4 * (c.words.len() + epilogue_len(c)) as u64;
    }
    let tail_at = pc;
    let code_end = tail_at + 4 * tail_len() as u64;
    assert!(code_end <= CODE_LIMIT, "batch too large");
    let statics = align_up(code_end, PAGE);
    let recs: Vec<Vec<u8>> = cases.iter().map(record).collect();
    let in_len: u64 = STATIC_SIZE + recs.iter().map(|r| r.len() as u64).sum::<u64>();
    let a = Addrs {
        out: align_up(statics + in_len, PAGE),
        globals: 0,
    };
    let a = Addrs {
        globals: a.out + PAGE,
        ..a
    };
    let alt_stack = a.globals + PAGE;
    let memsz = alt_stack + ALT_STACK_SIZE - IMAGE_BASE;

    // Pass 2: emit.
    let mut image = vec![0u8; (statics + in_len - IMAGE_BASE) as usize];
    let mut code = Vec::new();
    startup(&mut code, CODE_BASE, statics);
    let mut case_addrs = Vec::with_capacity(cases.len());
    let mut rec_at = statics + STATIC_SIZE;
    for (c, (&start, r)) in cases.iter().zip(starts.iter().zip(&recs)) {
        while at(&code, CODE_BASE) < start {
            code.push(NOP);
        }
        let case_at = start + 4 * prologue_len(c) as u64;
        let resume = case_at + 4 * c.words.len() as u64;
        let mut w = Vec::new();
        prologue(&mut w, start, c, rec_at, a, resume);
        code.extend(w);
        case_addrs.push(case_at);
        code.extend(&c.words);
        let mut w = Vec::new();
        epilogue(&mut w, resume, c, a);
        code.extend(w);
        put(&mut image, rec_at, r);
        rec_at += r.len() as u64;
    }
    assert_eq!(at(&code, CODE_BASE), tail_at);
    let mut w = Vec::new();
    let (handler, restorer) = tail(&mut w, tail_at, a);
    code.extend(w);
    let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    put(&mut image, CODE_BASE, &bytes);

    let ss: Vec<u8> = [alt_stack, 0, ALT_STACK_SIZE]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    put(&mut image, statics + STATIC_SS, &ss);
    let act = [
        tail_at + 4 * handler as u64,
        SA_SIGINFO | SA_ONSTACK | SA_RESTORER,
        tail_at + 4 * restorer as u64,
        0,
    ];
    let act: Vec<u8> = act.iter().flat_map(|v| v.to_le_bytes()).collect();
    put(&mut image, statics + STATIC_ACT, &act);
    elf::finish(&mut image, IMAGE_BASE, CODE_BASE, memsz);
    Program { image, case_addrs }
}

/// How a reference run went wrong.
#[derive(Debug)]
pub enum RefError {
    /// qemu-aarch64 is not installed (or not where ARMVIRT_QEMU_AARCH64 says).
    Missing(String),
    /// The program died: `done` cases had completed; the next one killed it.
    Died {
        done: usize,
        status: String,
        stderr: String,
    },
}

/// The qemu-aarch64 binary: `$ARMVIRT_QEMU_AARCH64`, else `qemu-aarch64` on the PATH.
pub fn qemu() -> String {
    std::env::var("ARMVIRT_QEMU_AARCH64").unwrap_or_else(|_| "qemu-aarch64".into())
}

/// The cortex-A72 model, so the reference has exactly the A72's features.
const QEMU_CPU: &str = "cortex-a72";

/// How long one batch may run: a few seconds at most in practice; a case that loops (a
/// generator bug) must fail the test rather than hang it.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `cases` under qemu-aarch64; `tag` names the temporary ELF.
pub fn run(tag: &str, cases: &[Case], prog: &Program) -> Result<Vec<State>, RefError> {
    run_for(tag, cases, prog, TIMEOUT)
}

/// [`run`] with a given time limit.
pub fn run_for(
    tag: &str,
    cases: &[Case],
    prog: &Program,
    timeout: Duration,
) -> Result<Vec<State>, RefError> {
    let path = write_elf(&format!("diff-{tag}"), &prog.image);
    let mut cmd = Command::new(qemu());
    cmd.args(["-cpu", QEMU_CPU]).arg(&path);
    let out = run_with_timeout(&mut cmd, timeout);
    let _ = std::fs::remove_file(&path);
    let (status, stdout, stderr) = out?;
    let states = parse(cases, &stdout);
    if states.len() == cases.len() && status.as_ref().is_some_and(|s| s.success()) {
        Ok(states)
    } else {
        Err(RefError::Died {
            done: states.len(),
            status: status.map_or("killed after the timeout".into(), |s| s.to_string()),
            stderr,
        })
    }
}

/// Runs `cmd`, collecting stdout and stderr; kills it (None status) after `timeout`.
fn run_with_timeout(
    cmd: &mut Command,
    timeout: Duration,
) -> Result<(Option<ExitStatus>, Vec<u8>, String), RefError> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| RefError::Missing(format!("{}: {e}", qemu())))?;
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Ok(Some(s)) = child.try_wait() {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    Ok((
        status,
        reader.join().unwrap_or_default(),
        err_reader.join().unwrap_or_default(),
    ))
}

/// Writes an executable (qemu-aarch64 refuses, silently, a file without execute permission)
/// to cargo's temporary directory for integration tests.
pub fn write_elf(tag: &str, image: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("{tag}-{}.elf", std::process::id()));
    std::fs::write(&path, image).expect("writing the reference ELF");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

/// Splits stdout into the cases' records (stopping at a short one).
fn parse(cases: &[Case], mut out: &[u8]) -> Vec<State> {
    let u64_at = |r: &[u8], off: usize| u64::from_le_bytes(r[off..off + 8].try_into().unwrap());
    let mut states = Vec::new();
    for c in cases {
        let len = c.out_len();
        if out.len() < len {
            break;
        }
        let (r, rest) = out.split_at(len);
        out = rest;
        let mut x = [0u64; 31];
        for (n, v) in x.iter_mut().enumerate() {
            *v = u64_at(r, REC_X + 8 * n);
        }
        states.push(State {
            x,
            sp: u64_at(r, REC_SP),
            nzcv: u64_at(r, REC_NZCV) as u32,
            undefined: u64_at(r, REC_TRAP) != 0,
            mem: c
                .mem
                .as_ref()
                .map(|_| r[REC_MEM..REC_MEM + BUF_SIZE].to_vec()),
        });
    }
    states
}
