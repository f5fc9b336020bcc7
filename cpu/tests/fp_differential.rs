//! Differential test of scalar floating point against `qemu-aarch64` (QEMU's user-mode
//! A64 emulation, an independent implementation of the same Arm ARM pseudocode).
//!
//! For each instruction form, thousands of operand sets (edge-biased: zeros, denormals,
//! extremes, infinities, NaNs, integers near the conversion limits) with random FPCR
//! (RMode, FZ, DN, AHP) and NZCV are run twice: by a static Linux ELF under qemu-aarch64,
//! which loops over the records and writes V0, X0, FPSR and NZCV after each to stdout, and
//! by our interpreter executing the same instruction word from the same state. Every bit
//! of those four must agree.
//!
//! Needs `/usr/bin/qemu-aarch64` (Debian's qemu-user); without it the test fails, unless
//! ARMVIRT_SKIP_QEMU=1 says to skip it.

use armvirt_cpu::testing::{Executor, TestCpu, RAM_BASE};
use std::path::PathBuf;
use std::process::Command;

const QEMU: &str = "qemu-aarch64";
/// Operand sets per instruction form.
const CASES: usize = 5000;

/// Where the ELF is loaded (a usual static-executable base).
const ELF_BASE: u64 = 0x40_0000;
const CODE_OFFSET: u64 = 0x100;

/// One input record: FPCR, three operands (to X1-X3 and D1-D3), NZCV.
const IN_WORDS: usize = 5;
/// One output record: V0 (two words), X0, FPSR, NZCV.
const OUT_WORDS: usize = 5;

/// What V0 and X0 hold before each instruction, so that untouched or zeroed bits show.
const GARBAGE: [u64; 2] = [0x0bad_f00d_dead_beef, 0xfeed_face_cafe_babe];

const FPCR_FZ: u64 = 1 << 24;
const FPCR_DN: u64 = 1 << 25;
const FPCR_AHP: u64 = 1 << 26;

/// The kind of value an operand register holds.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    H,
    S,
    D,
    /// A general-purpose register (W or X): any integer pattern.
    Int,
}

/// One instruction form under test: destination V0/X0 (or NZCV), sources 1-3.
struct Form {
    name: &'static str,
    code: Vec<u8>,
    operands: Vec<Kind>,
}

macro_rules! form {
    ($name:literal, [$($k:ident),*], $($asm:tt)*) => {
        Form {
            name: $name,
            code: armvirt_cpu::a64!(; $($asm)*),
            operands: vec![$(Kind::$k),*],
        }
    };
}

fn forms() -> Vec<Form> {
    vec![
        // Data-processing (2 source).
        form!("fadd s", [S, S], fadd s0, s1, s2),
        form!("fadd d", [D, D], fadd d0, d1, d2),
        form!("fsub s", [S, S], fsub s0, s1, s2),
        form!("fsub d", [D, D], fsub d0, d1, d2),
        form!("fmul s", [S, S], fmul s0, s1, s2),
        form!("fmul d", [D, D], fmul d0, d1, d2),
        form!("fnmul s", [S, S], fnmul s0, s1, s2),
        form!("fnmul d", [D, D], fnmul d0, d1, d2),
        form!("fdiv s", [S, S], fdiv s0, s1, s2),
        form!("fdiv d", [D, D], fdiv d0, d1, d2),
        form!("fmax s", [S, S], fmax s0, s1, s2),
        form!("fmax d", [D, D], fmax d0, d1, d2),
        form!("fmin s", [S, S], fmin s0, s1, s2),
        form!("fmin d", [D, D], fmin d0, d1, d2),
        form!("fmaxnm s", [S, S], fmaxnm s0, s1, s2),
        form!("fmaxnm d", [D, D], fmaxnm d0, d1, d2),
        form!("fminnm s", [S, S], fminnm s0, s1, s2),
        form!("fminnm d", [D, D], fminnm d0, d1, d2),
        // Data-processing (3 source).
        form!("fmadd s", [S, S, S], fmadd s0, s1, s2, s3),
        form!("fmadd d", [D, D, D], fmadd d0, d1, d2, d3),
        form!("fmsub s", [S, S, S], fmsub s0, s1, s2, s3),
        form!("fmsub d", [D, D, D], fmsub d0, d1, d2, d3),
        form!("fnmadd s", [S, S, S], fnmadd s0, s1, s2, s3),
        form!("fnmadd d", [D, D, D], fnmadd d0, d1, d2, d3),
        form!("fnmsub s", [S, S, S], fnmsub s0, s1, s2, s3),
        form!("fnmsub d", [D, D, D], fnmsub d0, d1, d2, d3),
        // Data-processing (1 source).
        form!("fmov s", [S], fmov s0, s1),
        form!("fabs d", [D], fabs d0, d1),
        form!("fneg s", [S], fneg s0, s1),
        form!("fsqrt s", [S], fsqrt s0, s1),
        form!("fsqrt d", [D], fsqrt d0, d1),
        form!("fcvt s<-d", [D], fcvt s0, d1),
        form!("fcvt d<-s", [S], fcvt d0, s1),
        form!("fcvt h<-s", [S], fcvt h0, s1),
        form!("fcvt h<-d", [D], fcvt h0, d1),
        form!("fcvt s<-h", [H], fcvt s0, h1),
        form!("fcvt d<-h", [H], fcvt d0, h1),
        form!("frintn s", [S], frintn s0, s1),
        form!("frintn d", [D], frintn d0, d1),
        form!("frintp s", [S], frintp s0, s1),
        form!("frintp d", [D], frintp d0, d1),
        form!("frintm s", [S], frintm s0, s1),
        form!("frintm d", [D], frintm d0, d1),
        form!("frintz s", [S], frintz s0, s1),
        form!("frintz d", [D], frintz d0, d1),
        form!("frinta s", [S], frinta s0, s1),
        form!("frinta d", [D], frinta d0, d1),
        form!("frintx s", [S], frintx s0, s1),
        form!("frintx d", [D], frintx d0, d1),
        form!("frinti s", [S], frinti s0, s1),
        form!("frinti d", [D], frinti d0, d1),
        // Compare, conditional compare and select.
        form!("fcmp s", [S, S], fcmp s1, s2),
        form!("fcmp d", [D, D], fcmp d1, d2),
        form!("fcmpe s", [S, S], fcmpe s1, s2),
        form!("fcmpe d", [D, D], fcmpe d1, d2),
        form!("fcmp d #0", [D], fcmp d1, 0.0),
        form!("fcmpe s #0", [S], fcmpe s1, 0.0),
        form!("fccmp s", [S, S], fccmp s1, s2, 0b1010, ge),
        form!("fccmpe d", [D, D], fccmpe d1, d2, 0b0101, hi),
        form!("fcsel d", [D, D], fcsel d0, d1, d2, lt),
        // Conversions to integers.
        form!("fcvtns w<-s", [S], fcvtns w0, s1),
        form!("fcvtns x<-d", [D], fcvtns x0, d1),
        form!("fcvtnu w<-d", [D], fcvtnu w0, d1),
        form!("fcvtnu x<-s", [S], fcvtnu x0, s1),
        form!("fcvtps w<-d", [D], fcvtps w0, d1),
        form!("fcvtps x<-s", [S], fcvtps x0, s1),
        form!("fcvtpu w<-s", [S], fcvtpu w0, s1),
        form!("fcvtpu x<-d", [D], fcvtpu x0, d1),
        form!("fcvtms w<-s", [S], fcvtms w0, s1),
        form!("fcvtms x<-d", [D], fcvtms x0, d1),
        form!("fcvtmu w<-d", [D], fcvtmu w0, d1),
        form!("fcvtmu x<-s", [S], fcvtmu x0, s1),
        form!("fcvtzs w<-d", [D], fcvtzs w0, d1),
        form!("fcvtzs x<-s", [S], fcvtzs x0, s1),
        form!("fcvtzu w<-s", [S], fcvtzu w0, s1),
        form!("fcvtzu x<-d", [D], fcvtzu x0, d1),
        form!("fcvtas w<-s", [S], fcvtas w0, s1),
        form!("fcvtas x<-d", [D], fcvtas x0, d1),
        form!("fcvtau w<-d", [D], fcvtau w0, d1),
        form!("fcvtau x<-s", [S], fcvtau x0, s1),
        // Conversions from integers, and moves.
        form!("scvtf s<-w", [Int], scvtf s0, w1),
        form!("scvtf d<-x", [Int], scvtf d0, x1),
        form!("scvtf s<-x", [Int], scvtf s0, x1),
        form!("ucvtf d<-w", [Int], ucvtf d0, w1),
        form!("ucvtf s<-x", [Int], ucvtf s0, x1),
        form!("ucvtf d<-x", [Int], ucvtf d0, x1),
        form!("fmov d<-x", [Int], fmov d0, x1),
        form!("fmov w<-s", [S], fmov w0, s1),
        form!("fmov v.d[1]<-x", [Int], fmov v0.d[1], x1),
        form!("fmov x<-v.d[1]", [Int], fmov x0, v1.d[1]),
        // Fixed point.
        form!("fcvtzs w<-s #7", [S], fcvtzs w0, s1, 7),
        form!("fcvtzs x<-d #52", [D], fcvtzs x0, d1, 52),
        form!("fcvtzu w<-d #32", [D], fcvtzu w0, d1, 32),
        form!("fcvtzu x<-s #1", [S], fcvtzu x0, s1, 1),
        form!("scvtf d<-w #31", [Int], scvtf d0, w1, 31),
        form!("scvtf s<-x #64", [Int], scvtf s0, x1, 64),
        form!("ucvtf s<-w #3", [Int], ucvtf s0, w1, 3),
        form!("ucvtf d<-x #40", [Int], ucvtf d0, x1, 40),
    ]
}

/// xorshift64*: deterministic operand generation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A float of (n, e, f) bits, biased toward the edges of its range.
    fn float(&mut self, n: u32, e: u32, f: u32) -> u64 {
        let r = self.next();
        let max_e = (1u64 << e) - 1;
        let bias = max_e >> 1;
        let exp = match r % 16 {
            0 => 0,
            1 => max_e,
            2 => 1 + (r >> 8) % 3,
            3 => max_e - 1 - (r >> 8) % 3,
            // Near one, and near the integer-conversion limits (2^24, 2^31, 2^53, 2^63).
            4..=6 => (bias + (r >> 8) % 9).wrapping_sub(4),
            7 => bias + [23, 24, 31, 32, 52, 53, 63, 64][(r >> 8) as usize % 8],
            _ => (r >> 8) % (max_e + 1),
        };
        let frac_mask = (1u64 << f) - 1;
        let frac = match (r >> 20) % 8 {
            0 => 0,
            1 => frac_mask,
            2 => 1,
            3 => self.next() & frac_mask & !(frac_mask >> 6),
            _ => self.next() & frac_mask,
        };
        let sign = (r >> 63) << (n - 1);
        // Rarely, garbage above the format's bits (which must be ignored).
        let above = if n < 64 && r.is_multiple_of(31) {
            self.next() << n
        } else {
            0
        };
        above | sign | exp.min(max_e) << f | frac
    }

    fn int(&mut self) -> u64 {
        let r = self.next();
        let small = (r >> 8) % 5;
        match r % 8 {
            0 => small,
            1 => small.wrapping_neg(),
            2 => (1u64 << ((r >> 16) % 64))
                .wrapping_add(small)
                .wrapping_sub(2),
            3 => (1u64 << ((r >> 16) % 64))
                .wrapping_neg()
                .wrapping_add(small),
            4 => self.next() >> ((r >> 16) % 64),
            _ => self.next(),
        }
    }

    fn operand(&mut self, k: Kind) -> u64 {
        match k {
            Kind::H => self.float(16, 5, 10),
            Kind::S => self.float(32, 8, 23),
            Kind::D => self.float(64, 11, 52),
            Kind::Int => self.int(),
        }
    }
}

/// Random FPCR: RMode, and FZ, DN, AHP each now and then.
fn fpcr(rng: &mut Rng) -> u64 {
    let r = rng.next();
    let mut v = (r & 3) << 22;
    if r >> 8 & 3 == 0 {
        v |= FPCR_FZ;
    }
    if r >> 12 & 3 == 0 {
        v |= FPCR_DN;
    }
    if r >> 16 & 3 == 0 {
        v |= FPCR_AHP;
    }
    v
}

/// Special values of a float format: signed zeros, infinities, a quiet and a signalling
/// NaN (each with a payload), the denormal and normal extremes, ±1.
fn specials(n: u32, e: u32, f: u32) -> Vec<u64> {
    let sign = 1u64 << (n - 1);
    let inf = ((1u64 << e) - 1) << f;
    let quiet = 1u64 << (f - 1);
    let one = ((1u64 << (e - 1)) - 1) << f;
    let max = inf - 1;
    let v = [
        0,
        inf,
        inf | quiet | 5,
        inf | 3,
        1,
        quiet - 1 + quiet,
        1 << f,
        max,
        one,
    ];
    v.iter().flat_map(|&x| [x, x | sign]).collect()
}

fn kind_specials(k: Kind) -> Vec<u64> {
    match k {
        Kind::H => specials(16, 5, 10),
        Kind::S => specials(32, 8, 23),
        Kind::D => specials(64, 11, 52),
        Kind::Int => vec![
            0,
            1,
            u64::MAX,
            1 << 63,
            (1 << 63) - 1,
            1 << 31,
            (1 << 31) - 1,
        ],
    }
}

/// Every combination of special operands (with random FPCR and NZCV), then random
/// edge-biased operand sets.
fn records(form: &Form, seed: u64) -> Vec<[u64; IN_WORDS]> {
    let mut rng = Rng(seed | 1);
    let mut combos: Vec<Vec<u64>> = vec![vec![]];
    for k in &form.operands {
        let sp = kind_specials(*k);
        combos = combos
            .iter()
            .flat_map(|c| sp.iter().map(move |&x| [c.clone(), vec![x]].concat()))
            .collect();
    }
    let random = (0..CASES).map(|_| {
        form.operands
            .iter()
            .map(|k| rng.operand(*k))
            .collect::<Vec<_>>()
    });
    let all: Vec<Vec<u64>> = combos
        .into_iter()
        .chain(random.collect::<Vec<_>>())
        .collect();
    all.into_iter()
        .map(|ops| {
            let mut rec = [0u64; IN_WORDS];
            rec[0] = fpcr(&mut rng);
            rec[1..1 + ops.len()].copy_from_slice(&ops);
            rec[4] = (rng.next() & 0xf) << 28;
            rec
        })
        .collect()
}

/// The loop qemu runs: for each record set FPCR, clear FPSR, load the operands and NZCV,
/// prime V0/X0 with garbage, run the instruction, store V0, X0, FPSR, NZCV; then write the
/// results to stdout and exit.
fn harness(insn: &[u8], input: u64, output: u64, garbage: u64, count: u64) -> Vec<u8> {
    use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
    let mut ops = dynasmrt::VecAssembler::<dynasmrt::aarch64::Aarch64Relocation>::new(0);
    let len = count * (OUT_WORDS as u64) * 8;
    macro_rules! mov64 {
        ($reg:tt, $v:expr) => {
            let v: u64 = $v;
            dynasm!(ops ; .arch aarch64
                ; movz $reg, (v & 0xffff) as u32
                ; movk $reg, ((v >> 16) & 0xffff) as u32, lsl 16
                ; movk $reg, ((v >> 32) & 0xffff) as u32, lsl 32);
        };
    }
    mov64!(x19, input);
    mov64!(x20, output);
    mov64!(x21, count);
    mov64!(x22, garbage);
    dynasm!(ops ; .arch aarch64
        ; ->top:
        ; ldr x9, [x19]
        ; msr 0x5a20, x9 // FPCR
        ; msr 0x5a21, xzr // FPSR
        ; ldp x1, x2, [x19, 8]
        ; ldp x3, x4, [x19, 24]
        ; msr 0x5a10, x4 // NZCV
        ; fmov d1, x1
        ; fmov d2, x2
        ; fmov d3, x3
        ; ldr q0, [x22]
        ; ldr x0, [x22]
    );
    ops.extend(insn.iter().copied());
    dynasm!(ops ; .arch aarch64
        ; str q0, [x20]
        ; str x0, [x20, 16]
        ; mrs x5, 0x5a21
        ; mrs x6, 0x5a10
        ; stp x5, x6, [x20, 24]
        ; add x19, x19, (IN_WORDS * 8) as u32
        ; add x20, x20, (OUT_WORDS * 8) as u32
        ; subs x21, x21, 1
        ; b.ne ->top
        ; movz x0, 1
    );
    mov64!(x1, output);
    mov64!(x2, len);
    dynasm!(ops ; .arch aarch64
        ; movz x8, 64 // write
        ; svc 0
        ; movz x0, 0
        ; movz x8, 93 // exit
        ; svc 0
    );
    ops.finalize().expect("harness assembles")
}

/// A static AArch64 Linux executable: one RWX PT_LOAD segment holding `image` at
/// ELF_BASE (headers included), with `bss` zeroed bytes after it; entry at CODE_OFFSET.
fn elf(image: &[u8], bss: u64) -> Vec<u8> {
    const EHSIZE: u16 = 64;
    const PHENTSIZE: u16 = 56;
    const EM_AARCH64: u16 = 183;
    let mut f = Vec::new();
    f.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f.extend_from_slice(&EM_AARCH64.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&(ELF_BASE + CODE_OFFSET).to_le_bytes()); // e_entry
    f.extend_from_slice(&(EHSIZE as u64).to_le_bytes()); // e_phoff
    f.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    f.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    f.extend_from_slice(&EHSIZE.to_le_bytes());
    f.extend_from_slice(&PHENTSIZE.to_le_bytes());
    f.extend_from_slice(&1u16.to_le_bytes()); // e_phnum
    f.extend_from_slice(&[0; 6]); // no sections
    assert_eq!(f.len(), EHSIZE as usize);
    let filesz = image.len() as u64;
    f.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    f.extend_from_slice(&7u32.to_le_bytes()); // RWX
    f.extend_from_slice(&0u64.to_le_bytes()); // p_offset
    f.extend_from_slice(&ELF_BASE.to_le_bytes());
    f.extend_from_slice(&ELF_BASE.to_le_bytes());
    f.extend_from_slice(&filesz.to_le_bytes());
    f.extend_from_slice(&(filesz + bss).to_le_bytes());
    f.extend_from_slice(&0x1000u64.to_le_bytes());
    let mut out = image.to_vec();
    out[..f.len()].copy_from_slice(&f);
    out
}

/// Runs the records under qemu-aarch64 and returns its output records.
fn run_qemu(form: &Form, recs: &[[u64; IN_WORDS]]) -> Vec<[u64; OUT_WORDS]> {
    let align = |x: u64| (x + 15) & !15;
    let code_len = harness(&form.code, 0, 0, 0, 1).len() as u64;
    let garbage_off = align(CODE_OFFSET + code_len);
    let input_off = garbage_off + 16;
    let output_off = align(input_off + (recs.len() * IN_WORDS * 8) as u64);
    let out_len = (recs.len() * OUT_WORDS * 8) as u64;
    let code = harness(
        &form.code,
        ELF_BASE + input_off,
        ELF_BASE + output_off,
        ELF_BASE + garbage_off,
        recs.len() as u64,
    );
    assert_eq!(code.len() as u64, code_len);
    let mut image = vec![0u8; output_off as usize];
    image[CODE_OFFSET as usize..][..code.len()].copy_from_slice(&code);
    for (i, g) in GARBAGE.iter().enumerate() {
        image[garbage_off as usize + 8 * i..][..8].copy_from_slice(&g.to_le_bytes());
    }
    for (i, w) in recs.iter().flatten().enumerate() {
        image[input_off as usize + 8 * i..][..8].copy_from_slice(&w.to_le_bytes());
    }
    let path = scratch_path(form.name);
    std::fs::write(&path, elf(&image, out_len)).expect("write the test ELF");
    // qemu-aarch64 runs only executable files.
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("make the test ELF executable");
    let out = Command::new(QEMU)
        .arg(&path)
        .output()
        .expect("run qemu-aarch64");
    if std::env::var_os("ARMVIRT_KEEP_ELF").is_none() {
        let _ = std::fs::remove_file(&path);
    }
    assert!(
        out.status.success() && out.stdout.len() as u64 == out_len,
        "{}: qemu-aarch64 exited {:?} with {} bytes: {}",
        form.name,
        out.status,
        out.stdout.len(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .chunks(OUT_WORDS * 8)
        .map(|c| std::array::from_fn(|i| u64::from_le_bytes(c[8 * i..][..8].try_into().unwrap())))
        .collect()
}

fn scratch_path(name: &str) -> PathBuf {
    let clean: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    std::env::temp_dir().join(format!("armvirt-fp-{}-{}.elf", std::process::id(), clean))
}

/// Runs the records on our interpreter from the same state the harness sets up.
fn run_ours(t: &mut TestCpu, form: &Form, recs: &[[u64; IN_WORDS]]) -> Vec<[u64; OUT_WORDS]> {
    t.load(&form.code);
    t.cpu.sys.cpacr_el1 = 3 << 20;
    recs.iter()
        .map(|r| {
            let s = &mut t.cpu.s;
            s.pc = RAM_BASE;
            s.fpcr = r[0] as u32;
            s.fpsr = 0;
            for (i, &op) in r[1..=3].iter().enumerate() {
                s.x[i + 1] = op;
                s.v[i + 1] = op as u128;
            }
            s.nzcv = r[4] as u32;
            s.v[0] = (GARBAGE[1] as u128) << 64 | GARBAGE[0] as u128;
            s.x[0] = GARBAGE[0];
            t.run();
            let s = &t.cpu.s;
            [
                s.v[0] as u64,
                (s.v[0] >> 64) as u64,
                s.x[0],
                s.fpsr as u64,
                s.nzcv as u64,
            ]
        })
        .collect()
}

fn qemu_available() -> bool {
    Command::new(QEMU).arg("--version").output().is_ok()
}

#[test]
fn scalar_fp_agrees_with_qemu() {
    if !qemu_available() {
        if std::env::var("ARMVIRT_SKIP_QEMU").as_deref() == Ok("1") {
            eprintln!("qemu-aarch64 not found: skipped (ARMVIRT_SKIP_QEMU=1)");
            return;
        }
        panic!(
            "qemu-aarch64 not found: install Debian's qemu-user, \
             or set ARMVIRT_SKIP_QEMU=1 to skip this test"
        );
    }
    let mut failures = Vec::new();
    let mut interp = TestCpu::new(Executor::Interpreter);
    let mut jit = TestCpu::new(Executor::Jit);
    for (n, form) in forms().iter().enumerate() {
        let recs = records(form, 0x9e37_79b9_7f4a_7c15 ^ (n as u64) << 32);
        let want = run_qemu(form, &recs);
        let got = run_ours(&mut interp, form, &recs);
        // The JIT must agree with the reference wherever the interpreter does.
        if run_ours(&mut jit, form, &recs) != got {
            failures.push(format!(
                "{}: the JIT differs from the interpreter",
                form.name
            ));
        }
        let bad: Vec<usize> = (0..recs.len()).filter(|&i| want[i] != got[i]).collect();
        for &i in bad.iter().take(4) {
            eprintln!(
                "{}: fpcr {:#x} ops {:#x} {:#x} {:#x} nzcv {:#x}\n  qemu [v0 {:#x}:{:#x} x0 {:#x} fpsr {:#x} nzcv {:#x}]\n  ours [v0 {:#x}:{:#x} x0 {:#x} fpsr {:#x} nzcv {:#x}]",
                form.name, recs[i][0], recs[i][1], recs[i][2], recs[i][3], recs[i][4],
                want[i][1], want[i][0], want[i][2], want[i][3], want[i][4],
                got[i][1], got[i][0], got[i][2], got[i][3], got[i][4],
            );
        }
        if !bad.is_empty() {
            failures.push(format!("{}: {} of {}", form.name, bad.len(), recs.len()));
        }
    }
    assert!(
        failures.is_empty(),
        "disagreements with qemu-aarch64:\n{}",
        failures.join("\n")
    );
}
