//! The reference side: one static AArch64 Linux program per batch of cases, run under
//! `qemu-aarch64` (QEMU's user-mode emulator, at EL0) with its output records read back.
//!
//! For each case the program holds a prologue, the case's words, and an epilogue:
//! - the prologue points X30 at the case's input record, copies the buffer image (memory
//!   cases), sets NZCV (MSR NZCV) and SP, then loads X0–X29 and finally X30;
//! - the epilogue parks X0 in TPIDR_EL0 (the only register-free save at EL0), points X0 at
//!   the output record, stores X1–X30, X0, SP, NZCV (MRS) and the buffer, and writes the
//!   record to stdout (`write`, x8 = 64).
//!
//! So every general register and SP belong to the case; nothing of the harness survives in
//! them. After the last case the program calls `exit(0)` (x8 = 93). One record per case is
//! written as soon as the case ends, so if a case kills the process the records received
//! say which one did.

use super::case::{Case, State};
use super::elf;
use super::enc::*;
use super::layout::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const SYS_WRITE: u16 = 64;
const SYS_EXIT: u16 = 93;
const STDOUT: u16 = 1;
const PAGE: u64 = 0x1000;

/// A laid-out batch: the ELF image and where each case's words start.
pub struct Program {
    pub image: Vec<u8>,
    pub entry: u64,
    pub memsz: u64,
    pub case_addrs: Vec<u64>,
}

/// Splits `cases` into batches whose code fits below [`CODE_LIMIT`].
pub fn batches(cases: &[Case]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut pc) = (0, CODE_BASE);
    for (i, c) in cases.iter().enumerate() {
        let len = block_len(c) as u64 * 4 + 16;
        if pc + len + 4 * 8 > CODE_LIMIT && i > start {
            out.push(start..i);
            start = i;
            pc = CODE_BASE;
        }
        pc += len;
    }
    out.push(start..cases.len());
    out
}

/// Words of one case's block (prologue, case, epilogue), alignment padding excluded.
fn block_len(c: &Case) -> usize {
    prologue_len(c) + c.words.len() + epilogue_len(c)
}

// The harness code's length does not depend on addresses: measure it once per shape.
fn prologue_len(c: &Case) -> usize {
    let mut w = Vec::new();
    prologue(&mut w, CODE_BASE, CODE_BASE, c.mem.is_some());
    w.len()
}

fn epilogue_len(c: &Case) -> usize {
    let mut w = Vec::new();
    epilogue(&mut w, CODE_BASE, CODE_BASE, c.out_len(), c.mem.is_some());
    w.len()
}

/// Emits words at consecutive addresses from `base`.
struct Code {
    base: u64,
    words: Vec<u32>,
}

impl Code {
    fn pc(&self) -> u64 {
        self.base + 4 * self.words.len() as u64
    }
}

/// Copies the buffer: 16 bytes at a time through X1, X2 from [X3] to [X4].
fn copy_buf(w: &mut Vec<u32>) {
    for off in (0..BUF_SIZE as i32).step_by(16) {
        w.push(ldp(1, 2, 3, off));
        w.push(stp(1, 2, 4, off));
    }
}

/// Sets up a case from the input record at `rec`; the code starts at `pc`.
fn prologue(w: &mut Vec<u32>, pc: u64, rec: u64, mem: bool) {
    let at = |w: &Vec<u32>| pc + 4 * w.len() as u64;
    w.push(adrp(30, at(w), rec));
    w.push(add_imm(30, 30, (rec & 0xfff) as u32));
    if mem {
        w.push(add_imm(3, 30, REC_MEM as u32));
        w.push(adrp(4, at(w), BUF_ADDR));
        w.push(add_imm(4, 4, (BUF_ADDR & 0xfff) as u32));
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

/// Saves the state into the output record at `out` and writes it to stdout.
fn epilogue(w: &mut Vec<u32>, pc: u64, out: u64, len: usize, mem: bool) {
    let at = |w: &Vec<u32>| pc + 4 * w.len() as u64;
    w.push(msr(TPIDR_EL0, 0));
    w.push(adrp(0, at(w), out));
    w.push(add_imm(0, 0, (out & 0xfff) as u32));
    for r in (1..31).step_by(2) {
        w.push(stp(r, r + 1, 0, (REC_X + 8 * r as usize) as i32));
    }
    w.push(mrs(1, TPIDR_EL0));
    w.push(str(1, 0, REC_X as u32));
    w.push(add_imm(1, 31, 0)); // MOV X1, SP
    w.push(str(1, 0, REC_SP as u32));
    w.push(mrs(1, NZCV));
    w.push(str(1, 0, REC_NZCV as u32));
    if mem {
        w.push(adrp(3, at(w), BUF_ADDR));
        w.push(add_imm(3, 3, (BUF_ADDR & 0xfff) as u32));
        w.push(add_imm(4, 0, REC_MEM as u32));
        copy_buf(w);
    }
    w.push(add_imm(1, 0, 0)); // MOV X1, X0
    w.push(movz(0, STDOUT));
    w.push(movz(2, u16::try_from(len).unwrap()));
    w.push(movz(8, SYS_WRITE));
    w.push(SVC0);
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

/// Lays out a batch: headers, buffer, code, then the input records and the output record.
pub fn build(cases: &[Case]) -> Program {
    // Pass 1: where each block and its case words go (lengths do not depend on addresses).
    let mut starts = Vec::with_capacity(cases.len());
    let mut pc = CODE_BASE;
    for c in cases {
        let p = 4 * prologue_len(c) as u64;
        // Pad so the case's own words start 16-byte aligned (literal loads stay aligned).
        let case_at = align_up(pc + p, 16);
        starts.push(case_at - p);
        pc = case_at + 4 * (c.words.len() + epilogue_len(c)) as u64;
    }
    let exit_at = pc;
    let code_end = exit_at + 4 * 3;
    assert!(code_end <= CODE_LIMIT, "batch too large");
    let in_base = align_up(code_end, PAGE);
    let recs: Vec<Vec<u8>> = cases.iter().map(record).collect();
    let in_len: u64 = recs.iter().map(|r| r.len() as u64).sum();
    let out_rec = align_up(in_base + in_len, PAGE);
    let memsz = out_rec + PAGE - IMAGE_BASE;

    // Pass 2: emit.
    let mut image = vec![0u8; (in_base + in_len - IMAGE_BASE) as usize];
    let mut case_addrs = Vec::with_capacity(cases.len());
    let mut rec_at = in_base;
    let mut code = Code {
        base: CODE_BASE,
        words: Vec::new(),
    };
    for (c, (&start, r)) in cases.iter().zip(starts.iter().zip(&recs)) {
        while code.pc() < start {
            code.words.push(NOP);
        }
        let mut w = Vec::new();
        prologue(&mut w, code.pc(), rec_at, c.mem.is_some());
        code.words.extend(w);
        case_addrs.push(code.pc());
        code.words.extend(&c.words);
        let mut w = Vec::new();
        epilogue(&mut w, code.pc(), out_rec, c.out_len(), c.mem.is_some());
        code.words.extend(w);
        let off = (rec_at - IMAGE_BASE) as usize;
        image[off..off + r.len()].copy_from_slice(r);
        rec_at += r.len() as u64;
    }
    assert_eq!(code.pc(), exit_at);
    code.words.extend([movz(0, 0), movz(8, SYS_EXIT), SVC0]);
    let off = (CODE_BASE - IMAGE_BASE) as usize;
    for (i, w) in code.words.iter().enumerate() {
        image[off + 4 * i..][..4].copy_from_slice(&w.to_le_bytes());
    }
    elf::finish(&mut image, IMAGE_BASE, CODE_BASE, memsz);
    Program {
        image,
        entry: CODE_BASE,
        memsz,
        case_addrs,
    }
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

/// Runs `cases` under qemu-aarch64; `tag` names the temporary ELF.
pub fn run(
    tag: &str,
    cases: &[Case],
    prog: &Program,
) -> Result<Vec<State>, (Vec<State>, RefError)> {
    let path = write_elf(tag, &prog.image);
    let out = match Command::new(qemu())
        .args(["-cpu", QEMU_CPU])
        .arg(&path)
        .output()
    {
        Ok(o) => o,
        Err(e) => return Err((vec![], RefError::Missing(format!("{}: {e}", qemu())))),
    };
    let _ = std::fs::remove_file(&path);
    let states = parse(cases, &out.stdout);
    if states.len() == cases.len() && out.status.success() {
        Ok(states)
    } else {
        let err = RefError::Died {
            done: states.len(),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        Err((states, err))
    }
}

fn write_elf(tag: &str, image: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("diff-{tag}-{}.elf", std::process::id()));
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
            mem: c
                .mem
                .as_ref()
                .map(|_| r[REC_MEM..REC_MEM + BUF_SIZE].to_vec()),
        });
    }
    states
}
