//! Differential test of the Advanced SIMD groups (integer, data movement, crypto and floating point) against
//! `qemu-aarch64 -cpu cortex-a72` (an independent implementation of the same ISA).
//!
//! For each encoding group a batch of cases is generated: a random instruction word inside
//! the group's encoding pattern and random V0–V31 (biased towards lane values at the edges
//! of their ranges, so saturation and overflow are hit). A static AArch64 Linux ELF written
//! here loads each case's registers, clears FPSR, runs the instruction, and stores V0–V31,
//! FPSR, X3, X4 and a 128-byte memory block X4 points at (for the structure loads and
//! stores, whose post-index register is X6), and an "UNDEFINED" flag (set by its SIGILL handler) to a buffer it writes to
//! stdout. The interpreter runs the same cases; everything must agree, and nothing may
//! stop as unimplemented. The floating-point groups ("FP ...") draw their lanes from
//! special and edge-case S/D (and H, for FCVTL) values and run under a random FPCR
//! (RMode, FZ, DN, AHP), loaded before each case.
//!
//! Without qemu-aarch64 the test fails, unless ARMVIRT_SKIP_QEMU=1.

// dynasm expands dynamic register operands through `From<u8>`.
#![allow(clippy::useless_conversion)]

use armvirt_cpu::exec::Exit;
use armvirt_cpu::testing::{Executor, TestCpu, RAM_BASE};
use dynasmrt::aarch64::Aarch64Relocation;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi, VecAssembler};
use std::process::Command;

const QEMU: &str = "/usr/bin/qemu-aarch64";
/// Where the ELF's single segment is loaded.
const BASE: u64 = 0x40_0000;
/// Bytes of memory each case may load or store (X4 points at it).
const MEM_BYTES: usize = 128;
/// Bytes of one case's output: V0–V31, FPSR, X3, the UNDEFINED flag, how far X4 moved,
/// then the memory block.
const OUT_BYTES: usize = 32 * 16 + 32 + MEM_BYTES;
/// Where the interpreter's copy of a case's memory block lives.
const MEM_ADDR: u64 = RAM_BASE + 0x20_0000;
/// Cases per generated ELF.
const BATCH: usize = 2000;
/// CPACR_EL1.FPEN = 0b11.
const FPEN_ALL: u64 = 0b11 << 20;
/// sigcontext offsets inside the arm64 Linux ucontext: regs[5] and pc.
const UC_X5: u32 = 176 + 8 + 5 * 8;
const UC_PC: u32 = 176 + 8 + 31 * 8 + 8;
const SA_SIGINFO: u64 = 4;
const SIGILL: u64 = 4;
const SYS_RT_SIGACTION: u64 = 134;
const SYS_WRITE: u64 = 64;
const SYS_EXIT: u64 = 93;
/// MRS/MSR operand of FPSR (op0=3, op1=3, CRn=4, CRm=4, op2=1) in dynasm's raw form.
const FPSR: u32 = 0x5a21;
/// ... and of FPCR (op2=0).
const FPCR: u32 = 0x5a20;

/// xorshift64*: reproducible cases from a fixed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A lane value of `bits` bits, often at an edge of the signed or unsigned range.
    fn lane(&mut self, bits: u32) -> u64 {
        let m = if bits == 64 {
            u64::MAX
        } else {
            (1 << bits) - 1
        };
        let top = 1u64 << (bits - 1);
        let v = match self.next() % 8 {
            0 => 0,
            1 => m,
            2 => top,
            3 => top - 1,
            4 => self.next() % 4,
            5 => m.wrapping_sub(self.next() % 4),
            _ => self.next(),
        };
        v & m
    }

    /// A float of (n, e, f) bits: often a special value (signed zeros, infinities, quiet
    /// and signalling NaNs, denormal and normal extremes, ±1, ±2, ±1.5), else an exponent
    /// near an edge, near one or near the integer-conversion limits.
    fn float(&mut self, n: u32, e: u32, f: u32) -> u64 {
        let r = self.next();
        let sign = (r >> 63) << (n - 1);
        let max_e = (1u64 << e) - 1;
        let bias = max_e >> 1;
        let quiet = 1u64 << (f - 1);
        let frac_mask = (1u64 << f) - 1;
        if r.is_multiple_of(4) {
            let specials = [
                0,
                max_e << f,
                max_e << f | quiet | 5,
                max_e << f | 3,
                1,
                frac_mask,
                1 << f,
                (max_e << f) - 1,
                bias << f,
                (bias + 1) << f,
                bias << f | quiet,
            ];
            return sign | specials[(r >> 8) as usize % specials.len()];
        }
        let exp = match (r >> 4) % 8 {
            0 => 0,
            1 => max_e,
            2 => 1 + (r >> 8) % 3,
            3 => max_e - 1 - (r >> 8) % 3,
            4 | 5 => (bias + (r >> 8) % 9).wrapping_sub(4),
            6 => bias + [23, 24, 31, 32, 52, 53, 63, 64][(r >> 8) as usize % 8],
            _ => (r >> 8) % (max_e + 1),
        };
        let frac = match (r >> 20) % 6 {
            0 => 0,
            1 => frac_mask,
            2 => 1,
            _ => self.next() & frac_mask,
        };
        sign | exp.min(max_e) << f | frac
    }

    /// A vector of S or D (now and then H, for FCVTL, or integer) lanes.
    fn fp_vector(&mut self) -> u128 {
        let r = self.next();
        if r.is_multiple_of(8) {
            return self.vector();
        }
        let (n, e, f) = match r % 8 {
            1 => (16, 5, 10),
            2..=4 => (32, 8, 23),
            _ => (64, 11, 52),
        };
        let mut v = 0u128;
        for k in 0..128 / n {
            v |= (self.float(n, e, f) as u128) << (k * n);
        }
        v
    }

    /// FPCR: RMode, and FZ, DN and AHP each now and then.
    fn fpcr(&mut self) -> u64 {
        let r = self.next();
        let mut v = (r & 3) << 22;
        for bit in [24, 25, 26] {
            if (r >> (8 + 2 * bit)) & 3 == 0 {
                v |= 1 << bit;
            }
        }
        v
    }

    fn vector(&mut self) -> u128 {
        let bits = 8 << (self.next() % 4);
        let mut v = 0u128;
        for k in 0..128 / bits {
            v |= (self.lane(bits) as u128) << (k * bits);
        }
        v
    }
}

/// One encoding group: its pattern (as in the decode table) and a fix-up for fields that
/// must name the harness's scratch registers.
struct Group {
    name: &'static str,
    pattern: &'static str,
    fixup: fn(u32) -> u32,
    /// Floating-point group: lanes of S/D values biased to special ones, random FPCR.
    fp: bool,
}

fn no_fixup(w: u32) -> u32 {
    w
}

/// SMOV/UMOV write X[d] and DUP/INS (general) read X[n]: both use X3, which the harness
/// loads and stores.
fn copy_fixup(w: u32) -> u32 {
    let imm4 = (w >> 11) & 0xf;
    let op = (w >> 29) & 1;
    match (op, imm4) {
        (0, 0b0101 | 0b0111) => (w & !31) | 3,
        (0, 0b0001 | 0b0011) => (w & !(31 << 5)) | 3 << 5,
        _ => w,
    }
}

/// Structure loads/stores address memory at X4; post-index forms add #imm (Rm = 31) or X6.
fn load_store_fixup(w: u32) -> u32 {
    let w = (w & !(31 << 5)) | 4 << 5;
    let post = w >> 23 & 1 == 1;
    if !post {
        return w;
    }
    let rm = if w >> 16 & 1 == 1 { 31 } else { 6 };
    (w & !(31 << 16)) | rm << 16
}

const GROUPS: &[Group] = &[
    Group {
        name: "load/store multiple structures",
        pattern: "0x00_1100_0x00_0000_xxxx_xxxx_xxxx_xxxx",
        fixup: load_store_fixup,
        fp: false,
    },
    Group {
        name: "load/store multiple structures (post-index)",
        pattern: "0x00_1100_1x0x_xxxx_xxxx_xxxx_xxxx_xxxx",
        fixup: load_store_fixup,
        fp: false,
    },
    Group {
        name: "load/store single structure",
        pattern: "0x00_1101_0xx0_0000_xxxx_xxxx_xxxx_xxxx",
        fixup: load_store_fixup,
        fp: false,
    },
    Group {
        name: "load/store single structure (post-index)",
        pattern: "0x00_1101_1xxx_xxxx_xxxx_xxxx_xxxx_xxxx",
        fixup: load_store_fixup,
        fp: false,
    },
    Group {
        name: "three same",
        pattern: "0xx0_1110_xx1x_xxxx_xxxx_x1xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "three different",
        pattern: "0xx0_1110_xx1x_xxxx_xxxx_00xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "two-register misc",
        pattern: "0xx0_1110_xx10_000x_xxxx_10xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "across lanes",
        pattern: "0xx0_1110_xx11_000x_xxxx_10xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "copy",
        pattern: "0xx0_1110_000x_xxxx_0xxx_x1xx_xxxx_xxxx",
        fixup: copy_fixup,
        fp: false,
    },
    Group {
        name: "permute",
        pattern: "0x00_1110_xx0x_xxxx_0xxx_10xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "extract",
        pattern: "0x10_1110_xx0x_xxxx_0xxx_x0xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "table lookup",
        pattern: "0x00_1110_xx0x_xxxx_0xxx_00xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "modified immediate",
        pattern: "0xx0_1111_0000_0xxx_xxxx_x1xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "shift by immediate",
        pattern: "0xx0_1111_0xxx_xxxx_xxxx_x1xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "vector x indexed element",
        pattern: "0xx0_1111_xxxx_xxxx_xxxx_x0xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "scalar three same",
        pattern: "01x1_1110_xx1x_xxxx_xxxx_x1xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "scalar three different",
        pattern: "01x1_1110_xx1x_xxxx_xxxx_00xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "scalar two-register misc",
        pattern: "01x1_1110_xx10_000x_xxxx_10xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "scalar pairwise",
        pattern: "01x1_1110_xx11_000x_xxxx_10xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "scalar copy",
        pattern: "01x1_1110_000x_xxxx_0xxx_x1xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "scalar shift by immediate",
        pattern: "01x1_1111_0xxx_xxxx_xxxx_x1xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "scalar x indexed element",
        pattern: "01x1_1111_xxxx_xxxx_xxxx_x0xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "crypto AES",
        pattern: "0100_1110_xx10_100x_xxxx_10xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "crypto three-register SHA",
        pattern: "0101_1110_xx0x_xxxx_0xxx_00xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "crypto two-register SHA",
        pattern: "0101_1110_xx10_100x_xxxx_10xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: false,
    },
    Group {
        name: "FP three same",
        pattern: "0xx0_1110_xx1x_xxxx_11xx_x1xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: true,
    },
    Group {
        name: "FP scalar three same",
        pattern: "01x1_1110_xx1x_xxxx_11xx_x1xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: true,
    },
    Group {
        name: "FP two-register misc (opcode 1xxxx)",
        pattern: "0xx0_1110_xx10_0001_xxxx_10xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: true,
    },
    Group {
        name: "FP two-register misc (opcode 011xx)",
        pattern: "0xx0_1110_1x10_0000_11xx_10xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: true,
    },
    Group {
        name: "FP scalar two-register misc (opcode 1xxxx)",
        pattern: "01x1_1110_xx10_0001_xxxx_10xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: true,
    },
    Group {
        name: "FP scalar two-register misc (opcode 011xx)",
        pattern: "01x1_1110_1x10_0000_11xx_10xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: true,
    },
    Group {
        name: "FP across lanes",
        pattern: "0x10_1110_xx11_0000_11xx_10xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: true,
    },
    Group {
        name: "FP scalar pairwise",
        pattern: "0111_1110_xx11_0000_11xx_10xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: true,
    },
    Group {
        name: "FP shift by immediate (fixed point)",
        pattern: "0xx0_1111_0xxx_xxxx_111x_x1xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: true,
    },
    Group {
        name: "FP scalar shift by immediate (fixed point)",
        pattern: "01x1_1111_0xxx_xxxx_111x_x1xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: true,
    },
    Group {
        name: "FP vector x indexed element",
        pattern: "0xx0_1111_1xxx_xxxx_xx01_x0xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: true,
    },
    Group {
        name: "FP scalar x indexed element",
        pattern: "01x1_1111_1xxx_xxxx_xx01_x0xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: true,
    },
    Group {
        name: "FP modified immediate (FMOV)",
        pattern: "0xx0_1111_0000_0xxx_1111_x1xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: true,
    },
    Group {
        name: "FP estimates (FRECPE, FRSQRTE, URECPE, URSQRTE)",
        pattern: "0xx0_1110_1x10_0001_110x_10xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: true,
    },
    Group {
        name: "FP scalar estimates (FRECPE, FRSQRTE, FRECPX)",
        pattern: "01x1_1110_1x10_0001_11x1_10xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: true,
    },
    Group {
        name: "FP step (FRECPS, FRSQRTS)",
        pattern: "0x00_1110_xx1x_xxxx_1111_11xx_xxxx_xxxx",
        fixup: no_fixup,
        fp: true,
    },
];

/// (mask, value) of a pattern's fixed bits.
fn pattern(p: &str) -> (u32, u32) {
    let (mut mask, mut value) = (0u32, 0u32);
    for c in p.chars().filter(|c| *c != '_') {
        mask <<= 1;
        value <<= 1;
        match c {
            '0' => mask |= 1,
            '1' => {
                mask |= 1;
                value |= 1
            }
            _ => {}
        }
    }
    (mask, value)
}

struct Case {
    insn: u32,
    v: [u128; 32],
    x3: u64,
    /// The post-index register offset of structure loads/stores.
    x6: u64,
    fpcr: u64,
    mem: [u8; MEM_BYTES],
}

/// What one run of an instruction left behind.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    undefined: bool,
    v: Vec<u128>,
    fpsr: u64,
    x3: u64,
    x4_moved: u64,
    mem: Vec<u8>,
}

fn gen_cases(g: &Group, n: usize, rng: &mut Rng) -> Vec<Case> {
    let (mask, value) = pattern(g.pattern);
    (0..n)
        .map(|_| Case {
            insn: (g.fixup)(((rng.next() as u32) & !mask) | value),
            v: std::array::from_fn(|_| if g.fp { rng.fp_vector() } else { rng.vector() }),
            x3: rng.lane(64),
            x6: (rng.next() % 128).wrapping_sub(64),
            fpcr: if g.fp { rng.fpcr() } else { 0 },
            mem: std::array::from_fn(|_| rng.next() as u8),
        })
        .collect()
}

/// The static ELF: a SIGILL handler, then each case, then write(1, out) and exit(0).
fn build_elf(cases: &[Case]) -> Vec<u8> {
    const CODE_OFF: u64 = 0x80;
    let mut ops = VecAssembler::<Aarch64Relocation>::new((BASE + CODE_OFF) as usize);
    let (act, inputs, handler) = (
        ops.new_dynamic_label(),
        ops.new_dynamic_label(),
        ops.new_dynamic_label(),
    );
    let out_len = (cases.len() * OUT_BYTES) as u64;
    dynasm!(ops
        ; .arch aarch64
        ; movz x0, SIGILL as u32
        ; adr x1, =>act
        ; movz x2, 0
        ; movz x3, 8
        ; movz x8, SYS_RT_SIGACTION as u32
        ; svc 0
        ; adr x19, =>inputs
        ; movz x5, 0
    );
    // The output buffer follows the file image (in the segment's zero-filled tail);
    // its address is patched in below once the image size is known.
    let out_literal = ops.new_dynamic_label();
    dynasm!(ops ; .arch aarch64 ; ldr x20, =>out_literal ; mov x21, x20);
    for c in cases {
        for k in 0..8u8 {
            let r = 4 * k;
            dynasm!(ops ; .arch aarch64
                ; ld1 {V(r).b16 * 4}, [x19], 64);
        }
        dynasm!(ops ; .arch aarch64
            ; ldp x3, x6, [x19], 16
            ; ldp x7, x8, [x19], 16
            ; msr FPCR, x7
            ; mov x4, x19
            ; mov x22, x19
            ; add x19, x19, MEM_BYTES as u32
            ; msr FPSR, xzr
            ; .u32 c.insn
        );
        for k in 0..8u8 {
            let r = 4 * k;
            dynasm!(ops ; .arch aarch64
                ; st1 {V(r).b16 * 4}, [x20], 64);
        }
        dynasm!(ops ; .arch aarch64
            ; mrs x2, FPSR
            ; stp x2, x3, [x20], 16
            ; sub x4, x4, x22
            ; stp x5, x4, [x20], 16
            ; ld1 {v0.b16 * 4}, [x22], 64
            ; st1 {v0.b16 * 4}, [x20], 64
            ; ld1 {v0.b16 * 4}, [x22], 64
            ; st1 {v0.b16 * 4}, [x20], 64
            ; movz x5, 0
        );
    }
    dynasm!(ops ; .arch aarch64
        ; movz x0, 1
        ; mov x1, x21
        ; ldr x2, >len
        ; movz x8, SYS_WRITE as u32
        ; svc 0
        ; movz x0, 0
        ; movz x8, SYS_EXIT as u32
        ; svc 0
        // SIGILL: skip the instruction and set X5 in the interrupted context.
        ; =>handler
        ; ldr x9, [x2, UC_PC]
        ; add x9, x9, 4
        ; str x9, [x2, UC_PC]
        ; movz x9, 1
        ; str x9, [x2, UC_X5]
        ; ret
        ; .align 8
        ; len:
        ; .u64 out_len
        ; =>act
        ; .u64 0 // sa_handler, patched below
        ; .u64 SA_SIGINFO
        ; .u64 0
        ; .u64 0
        ; =>out_literal
        ; .u64 0 // output address, patched below
        ; .align 16
        ; =>inputs
    );
    for c in cases {
        for v in &c.v {
            dynasm!(ops ; .arch aarch64 ; .u64 *v as u64 ; .u64 (*v >> 64) as u64);
        }
        dynasm!(ops ; .arch aarch64 ; .u64 c.x3 ; .u64 c.x6 ; .u64 c.fpcr ; .u64 0);
        for b in c.mem {
            dynasm!(ops ; .arch aarch64 ; .u8 b);
        }
    }
    // Label offsets count from the start of the code.
    let handler_addr = BASE + CODE_OFF + ops.labels().resolve_dynamic(handler).unwrap().0 as u64;
    let act_off = ops.labels().resolve_dynamic(act).unwrap().0;
    let lit_off = ops.labels().resolve_dynamic(out_literal).unwrap().0;
    let mut code = ops.finalize().expect("harness assembles");
    let image_end = BASE + CODE_OFF + code.len() as u64;
    let out_addr = (image_end + 0xfff) & !0xfff;
    code[act_off..act_off + 8].copy_from_slice(&handler_addr.to_le_bytes());
    code[lit_off..lit_off + 8].copy_from_slice(&out_addr.to_le_bytes());

    let filesz = CODE_OFF + code.len() as u64;
    let memsz = out_addr - BASE + out_len;
    let mut elf = Vec::with_capacity(filesz as usize);
    // ELF64 header (System V gABI; e_machine 183 = EM_AARCH64).
    elf.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    elf.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    elf.extend_from_slice(&183u16.to_le_bytes());
    elf.extend_from_slice(&1u32.to_le_bytes());
    elf.extend_from_slice(&(BASE + CODE_OFF).to_le_bytes()); // e_entry
    elf.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    elf.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    elf.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    for h in [64u16, 56, 1, 64, 0, 0] {
        elf.extend_from_slice(&h.to_le_bytes()); // ehsize, phentsize, phnum, shentsize...
    }
    // One PT_LOAD, RWX, covering the file and the output buffer.
    elf.extend_from_slice(&1u32.to_le_bytes());
    elf.extend_from_slice(&7u32.to_le_bytes());
    for f in [0, BASE, BASE, filesz, memsz, 0x1000] {
        elf.extend_from_slice(&f.to_le_bytes());
    }
    elf.resize(CODE_OFF as usize, 0);
    elf.extend_from_slice(&code);
    elf
}

/// Runs the cases under qemu-aarch64; None when qemu is absent and skipping is allowed.
fn run_qemu(name: &str, cases: &[Case]) -> Option<Vec<Outcome>> {
    if !std::path::Path::new(QEMU).exists() {
        if std::env::var("ARMVIRT_SKIP_QEMU").as_deref() == Ok("1") {
            eprintln!("{QEMU} missing: skipped (ARMVIRT_SKIP_QEMU=1)");
            return None;
        }
        panic!("{QEMU} is missing (install Debian's qemu-user, or set ARMVIRT_SKIP_QEMU=1)");
    }
    let dir = std::env::temp_dir().join(format!("armvirt-simd-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name.replace([' ', '/', '(', ')'], "_"));
    std::fs::write(&path, build_elf(cases)).unwrap();
    // qemu-aarch64 refuses to load a file without execute permission.
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = Command::new(QEMU)
        .args(["-cpu", "cortex-a72"])
        .arg(&path)
        .output()
        .expect("qemu-aarch64 runs");
    if out.status.success() {
        let _ = std::fs::remove_file(&path);
    }
    assert!(
        out.status.success(),
        "qemu-aarch64 failed on {name}: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.stdout.len(),
        cases.len() * OUT_BYTES,
        "{name}: short output"
    );
    Some(
        out.stdout
            .chunks(OUT_BYTES)
            .map(|c| {
                let u64_at = |o: usize| u64::from_le_bytes(c[o..o + 8].try_into().unwrap());
                Outcome {
                    v: (0..32)
                        .map(|k| u128::from_le_bytes(c[16 * k..16 * k + 16].try_into().unwrap()))
                        .collect(),
                    fpsr: u64_at(512),
                    x3: u64_at(520),
                    undefined: u64_at(528) != 0,
                    x4_moved: u64_at(536),
                    mem: c[544..544 + MEM_BYTES].to_vec(),
                }
            })
            .collect(),
    )
}

impl Outcome {
    /// An UNDEFINED instruction: nothing else is compared.
    fn undefined() -> Self {
        Outcome {
            undefined: true,
            v: Vec::new(),
            fpsr: 0,
            x3: 0,
            x4_moved: 0,
            mem: Vec::new(),
        }
    }
}

/// Runs one case on the interpreter; None when it stopped as unimplemented.
fn run_ours(t: &mut TestCpu, c: &Case) -> Option<Outcome> {
    const VBAR: u64 = RAM_BASE + 0x10_0000;
    t.load_words(RAM_BASE, &[c.insn]);
    t.cpu.s.pc = RAM_BASE;
    t.cpu.s.v = c.v;
    t.cpu.s.fpsr = 0;
    t.cpu.s.fpcr = c.fpcr as u32;
    t.cpu.s.x[3] = c.x3;
    t.cpu.s.x[4] = MEM_ADDR;
    t.cpu.s.x[6] = c.x6;
    t.write_bytes(MEM_ADDR, &c.mem);
    t.cpu.sys.cpacr_el1 = FPEN_ALL;
    t.cpu.sys.vbar_el1 = VBAR;
    // A sentinel the exception entry overwrites; the EL1 synchronous vector ends the run.
    t.cpu.sys.esr_el1 = u64::MAX;
    t.load_words(VBAR + 0x200, &[]);
    let exit = t.run_limit(4);
    assert_eq!(
        exit,
        Exit::Hvc(0xfffe),
        "insn {:#010x} did not complete",
        c.insn
    );
    let undefined = t.cpu.sys.esr_el1 != u64::MAX;
    if undefined {
        assert_eq!(
            t.cpu.sys.esr_el1 >> 26,
            0,
            "insn {:#010x}: not UNDEFINED",
            c.insn
        );
        assert_eq!(t.cpu.sys.elr_el1, RAM_BASE);
    }
    if undefined {
        return Some(Outcome::undefined());
    }
    Some(Outcome {
        undefined,
        v: t.cpu.s.v.to_vec(),
        fpsr: t.cpu.s.fpsr as u64,
        x3: t.cpu.s.x[3],
        x4_moved: t.cpu.s.x[4].wrapping_sub(MEM_ADDR),
        mem: t.read_bytes(MEM_ADDR, MEM_BYTES),
    })
}

fn cases_per_group() -> usize {
    std::env::var("ARMVIRT_SIMD_DIFF_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600)
}

#[test]
fn simd_groups_agree_with_qemu() {
    // ARMVIRT_SIMD_DIFF_SEED picks other cases (the default keeps runs reproducible).
    let seed = std::env::var("ARMVIRT_SIMD_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut rng = Rng(seed);
    let mut failures = Vec::new();
    let mut t = TestCpu::new(Executor::Interpreter);
    let mut jit = TestCpu::new(Executor::Jit);
    for g in GROUPS {
        // The FP groups have many special cases per operation: three times the cases.
        let n = cases_per_group() * if g.fp { 3 } else { 1 };
        let cases = gen_cases(g, n, &mut rng);
        // One ELF per batch keeps its code within ADR's ±1 MiB reach.
        let mut reference = Vec::new();
        for batch in cases.chunks(BATCH) {
            let Some(r) = run_qemu(g.name, batch) else {
                return;
            };
            reference.extend(r);
        }
        let mut compared = 0;
        for (c, want) in cases.iter().zip(reference) {
            let Some(got) = run_ours(&mut t, c) else {
                failures.push(format!("{}: insn {:#010x} unimplemented", g.name, c.insn));
                continue;
            };
            if run_ours(&mut jit, c).as_ref() != Some(&got) {
                failures.push(format!(
                    "{}: insn {:#010x}: the JIT differs from the interpreter",
                    g.name, c.insn
                ));
            }
            compared += 1;
            let want = if want.undefined {
                Outcome::undefined()
            } else {
                want
            };
            if got != want {
                failures.push(describe(g.name, c, &got, &want));
            }
        }
        eprintln!("{}: {compared} compared", g.name);
    }
    if !failures.is_empty() {
        let n = failures.len();
        failures.truncate(40);
        panic!("{n} mismatches with qemu:\n{}", failures.join("\n"));
    }
}

fn describe(group: &str, c: &Case, got: &Outcome, want: &Outcome) -> String {
    let mut s = format!("{group}: insn {:#010x} fpcr {:#x}", c.insn, c.fpcr);
    if got.undefined != want.undefined {
        s += &format!(" undefined: ours {} qemu {}", got.undefined, want.undefined);
        return s;
    }
    for k in 0..32 {
        if got.v[k] != want.v[k] {
            s += &format!(
                "\n   v{k}: in {:032x} ours {:032x} qemu {:032x}",
                c.v[k], got.v[k], want.v[k]
            );
        }
    }
    if got.fpsr != want.fpsr {
        s += &format!("\n   fpsr ours {:#x} qemu {:#x}", got.fpsr, want.fpsr);
    }
    if got.x4_moved != want.x4_moved {
        s += &format!(
            "\n   x4 moved: ours {:#x} qemu {:#x}",
            got.x4_moved, want.x4_moved
        );
    }
    if got.mem != want.mem {
        s += &format!(
            "\n   memory: ours {:02x?}\n           qemu {:02x?}",
            got.mem, want.mem
        );
    }
    if got.x3 != want.x3 {
        s += &format!(
            "\n   x3 in {:#x} ours {:#x} qemu {:#x}",
            c.x3, got.x3, want.x3
        );
    }
    s
}
