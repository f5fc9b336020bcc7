//! The typed x86-64 emitter: the only place that writes `dynasm!`. Translation files call
//! these methods with host registers, guest-state offsets and labels; nothing else in the
//! JIT knows an x86 encoding.
//!
//! Register conventions of translated code (System V ABI, callee-saved ones pinned):
//! `rbx` = the vCPU (`*mut Cpu`), `r13` = its [`super::JitCtx`], `r14` = its fast TLB.
//! `rax`, `rcx`, `rsi`, `rdi`, `r8`, `r9` are scratch and do not survive a helper call;
//! `rbp`, `r12`, `r15`, `rdx`, `r10`, `r11` hold cached guest registers (`regs.rs`) and are
//! no translation's scratch (`rdx` only carries a helper's argument, after the write-back). The stack is 16-byte aligned inside a block, so a block can
//! `call` a helper directly.

// dynasm's dynamic register operands (`Rq(n)`) convert their `u8` once more.
#![allow(clippy::useless_conversion)]

use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler};

/// A host general-purpose register, by its encoding number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct R(pub u8);

pub const RAX: R = R(0);
pub const RCX: R = R(1);
pub const RDX: R = R(2);
pub const RBX: R = R(3);
pub const RBP: R = R(5);
pub const RSI: R = R(6);
pub const RDI: R = R(7);
pub const R8: R = R(8);
pub const R9: R = R(9);
pub const R10: R = R(10);
pub const R11: R = R(11);
pub const R12: R = R(12);
pub const R13: R = R(13);
pub const R14: R = R(14);
pub const R15: R = R(15);

/// x86 condition codes (the low nibble of Jcc/SETcc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cc {
    O,
    No,
    B,
    Ae,
    E,
    Ne,
    Be,
    A,
    S,
    Ns,
    L,
    Ge,
    Le,
    G,
}

impl Cc {
    /// The condition that holds exactly when this one does not.
    pub fn inverse(self) -> Cc {
        use Cc::*;
        match self {
            O => No,
            No => O,
            B => Ae,
            Ae => B,
            E => Ne,
            Ne => E,
            Be => A,
            A => Be,
            S => Ns,
            Ns => S,
            L => Ge,
            Ge => L,
            Le => G,
            G => Le,
        }
    }
}

/// A two-operand integer operation (`dst = dst OP src`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alu {
    Add,
    Sub,
    And,
    Or,
    Xor,
    Adc,
    Cmp,
    Test,
}

/// A shift or rotate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shift {
    Shl,
    Shr,
    Sar,
    Ror,
}

pub type Label = DynamicLabel;

pub struct Emitter {
    ops: VecAssembler<X64Relocation>,
}

/// One instruction whose memory operand is `[b + off]`, written between `pre` and `post`,
/// in its shortest encoding: dynasm gives a register chosen at run time a SIB byte and a
/// 32-bit displacement, so the bases generated code uses most (`rbx`, the vCPU, and
/// `r13`, the context) are spelled out, with an 8-bit displacement when it fits.
macro_rules! mem {
    ($ops:expr, $b:expr, $off:expr, [$($pre:tt)*], [$($post:tt)*]) => {{
        let (b, off): (R, i32) = ($b, $off);
        match (b, (-128..128).contains(&off)) {
            (RBX, true) => dynasm!($ops ; .arch x64 ; $($pre)* [BYTE rbx + off as i8] $($post)*),
            (RBX, false) => dynasm!($ops ; .arch x64 ; $($pre)* [rbx + off] $($post)*),
            (R13, true) => dynasm!($ops ; .arch x64 ; $($pre)* [BYTE r13 + off as i8] $($post)*),
            (R13, false) => dynasm!($ops ; .arch x64 ; $($pre)* [r13 + off] $($post)*),
            _ => dynasm!($ops ; .arch x64 ; $($pre)* [Rq(b.0) + off] $($post)*),
        }
    }};
}

macro_rules! alu_rr {
    ($ops:expr, $w:ident, $op:ident, $d:expr, $s:expr) => {
        match $op {
            Alu::Add => dynasm!($ops ; .arch x64 ; add $w($d), $w($s)),
            Alu::Sub => dynasm!($ops ; .arch x64 ; sub $w($d), $w($s)),
            Alu::And => dynasm!($ops ; .arch x64 ; and $w($d), $w($s)),
            Alu::Or => dynasm!($ops ; .arch x64 ; or $w($d), $w($s)),
            Alu::Xor => dynasm!($ops ; .arch x64 ; xor $w($d), $w($s)),
            Alu::Adc => dynasm!($ops ; .arch x64 ; adc $w($d), $w($s)),
            Alu::Cmp => dynasm!($ops ; .arch x64 ; cmp $w($d), $w($s)),
            Alu::Test => dynasm!($ops ; .arch x64 ; test $w($d), $w($s)),
        }
    };
}

macro_rules! alu_ri {
    ($ops:expr, $w:ident, $op:ident, $d:expr, $i:expr) => {
        match $op {
            Alu::Add => dynasm!($ops ; .arch x64 ; add $w($d), $i),
            Alu::Sub => dynasm!($ops ; .arch x64 ; sub $w($d), $i),
            Alu::And => dynasm!($ops ; .arch x64 ; and $w($d), $i),
            Alu::Or => dynasm!($ops ; .arch x64 ; or $w($d), $i),
            Alu::Xor => dynasm!($ops ; .arch x64 ; xor $w($d), $i),
            Alu::Adc => dynasm!($ops ; .arch x64 ; adc $w($d), $i),
            Alu::Cmp => dynasm!($ops ; .arch x64 ; cmp $w($d), $i),
            Alu::Test => dynasm!($ops ; .arch x64 ; test $w($d), $i),
        }
    };
}

macro_rules! shift_ri {
    ($ops:expr, $w:ident, $op:ident, $d:expr, $i:expr) => {
        match $op {
            Shift::Shl => dynasm!($ops ; .arch x64 ; shl $w($d), $i),
            Shift::Shr => dynasm!($ops ; .arch x64 ; shr $w($d), $i),
            Shift::Sar => dynasm!($ops ; .arch x64 ; sar $w($d), $i),
            Shift::Ror => dynasm!($ops ; .arch x64 ; ror $w($d), $i),
        }
    };
}

macro_rules! shift_rcl {
    ($ops:expr, $w:ident, $op:ident, $d:expr) => {
        match $op {
            Shift::Shl => dynasm!($ops ; .arch x64 ; shl $w($d), cl),
            Shift::Shr => dynasm!($ops ; .arch x64 ; shr $w($d), cl),
            Shift::Sar => dynasm!($ops ; .arch x64 ; sar $w($d), cl),
            Shift::Ror => dynasm!($ops ; .arch x64 ; ror $w($d), cl),
        }
    };
}

impl Emitter {
    /// An emitter for code that will run at host address `base`.
    pub fn new(base: usize) -> Self {
        Emitter {
            ops: VecAssembler::new(base),
        }
    }

    /// The assembled bytes (labels resolved).
    pub fn finish(self) -> Result<Vec<u8>, dynasmrt::DynasmError> {
        self.ops.finalize()
    }

    /// Bytes emitted so far.
    pub fn len(&self) -> usize {
        self.ops.offset().0
    }

    pub fn label(&mut self) -> Label {
        self.ops.new_dynamic_label()
    }

    pub fn bind(&mut self, l: Label) {
        dynasm!(self.ops ; .arch x64 ; =>l);
    }

    pub fn jmp(&mut self, l: Label) {
        dynasm!(self.ops ; .arch x64 ; jmp =>l);
    }

    /// A `jmp rel32` to `l` that can later be re-pointed; returns its offset in the block.
    pub fn patchable_jmp(&mut self, l: Label) -> usize {
        let at = self.len();
        // Always the 5-byte form, so a patch can reach anywhere in the buffer.
        dynasm!(self.ops ; .arch x64 ; jmp DWORD =>l);
        at
    }

    pub fn jcc(&mut self, cc: Cc, l: Label) {
        match cc {
            Cc::O => dynasm!(self.ops ; .arch x64 ; jo =>l),
            Cc::No => dynasm!(self.ops ; .arch x64 ; jno =>l),
            Cc::B => dynasm!(self.ops ; .arch x64 ; jb =>l),
            Cc::Ae => dynasm!(self.ops ; .arch x64 ; jae =>l),
            Cc::E => dynasm!(self.ops ; .arch x64 ; je =>l),
            Cc::Ne => dynasm!(self.ops ; .arch x64 ; jne =>l),
            Cc::Be => dynasm!(self.ops ; .arch x64 ; jbe =>l),
            Cc::A => dynasm!(self.ops ; .arch x64 ; ja =>l),
            Cc::S => dynasm!(self.ops ; .arch x64 ; js =>l),
            Cc::Ns => dynasm!(self.ops ; .arch x64 ; jns =>l),
            Cc::L => dynasm!(self.ops ; .arch x64 ; jl =>l),
            Cc::Ge => dynasm!(self.ops ; .arch x64 ; jge =>l),
            Cc::Le => dynasm!(self.ops ; .arch x64 ; jle =>l),
            Cc::G => dynasm!(self.ops ; .arch x64 ; jg =>l),
        }
    }

    /// Saves the System V callee-saved registers (six pushes: the stack stays as aligned
    /// as it was at the caller's `call`, i.e. 8 mod 16).
    pub fn push_callee_saved(&mut self) {
        dynasm!(self.ops
            ; .arch x64
            ; push rbx ; push rbp ; push r12 ; push r13 ; push r14 ; push r15
        );
    }

    pub fn pop_callee_saved(&mut self) {
        dynasm!(self.ops
            ; .arch x64
            ; pop r15 ; pop r14 ; pop r13 ; pop r12 ; pop rbp ; pop rbx
        );
    }

    /// `jmp QWORD [b + off]`.
    pub fn jmp_mem(&mut self, b: R, off: i32) {
        mem!(self.ops, b, off, [jmp QWORD], []);
    }

    /// `cmp DWORD [b + off], imm`.
    pub fn cmp_mem32_imm(&mut self, b: R, off: i32, v: i32) {
        mem!(self.ops, b, off, [cmp DWORD], [, v]);
    }

    pub fn call_reg(&mut self, r: R) {
        dynasm!(self.ops ; .arch x64 ; call Rq(r.0));
    }

    pub fn ret(&mut self) {
        dynasm!(self.ops ; .arch x64 ; ret);
    }

    /// `call` an absolute address (through `rax`, which the call clobbers anyway).
    pub fn call(&mut self, f: usize) {
        dynasm!(self.ops
            ; .arch x64
            ; mov rax, QWORD f as i64
            ; call rax
        );
    }

    // ── moves ──────────────────────────────────────────────────────────────────────────

    pub fn mov_imm(&mut self, d: R, v: u64) {
        if v == 0 {
            dynasm!(self.ops ; .arch x64 ; xor Rd(d.0), Rd(d.0));
        } else if v <= u32::MAX as u64 {
            dynasm!(self.ops ; .arch x64 ; mov Rd(d.0), v as u32 as i32);
        } else if v as i64 >= i32::MIN as i64 && v as i64 <= i32::MAX as i64 {
            dynasm!(self.ops ; .arch x64 ; mov Rq(d.0), v as i32);
        } else {
            dynasm!(self.ops ; .arch x64 ; mov Rq(d.0), QWORD v as i64);
        }
    }

    pub fn mov(&mut self, d: R, s: R) {
        dynasm!(self.ops ; .arch x64 ; mov Rq(d.0), Rq(s.0));
    }

    /// `d = s` zero-extended from 32 bits.
    pub fn mov32(&mut self, d: R, s: R) {
        dynasm!(self.ops ; .arch x64 ; mov Rd(d.0), Rd(s.0));
    }

    /// 64-bit load from `[b + off]`.
    pub fn load64(&mut self, d: R, b: R, off: i32) {
        mem!(self.ops, b, off, [mov Rq(d.0), QWORD], []);
    }

    /// 32-bit load from `[b + off]`, zero-extended.
    pub fn load32(&mut self, d: R, b: R, off: i32) {
        mem!(self.ops, b, off, [mov Rd(d.0), DWORD], []);
    }

    pub fn store64(&mut self, b: R, off: i32, s: R) {
        mem!(self.ops, b, off, [mov QWORD], [, Rq(s.0)]);
    }

    pub fn store32_imm(&mut self, b: R, off: i32, v: i32) {
        mem!(self.ops, b, off, [mov DWORD], [, v]);
    }

    /// `[b + off] += v` (64-bit).
    pub fn add_mem64_imm(&mut self, b: R, off: i32, v: i32) {
        mem!(self.ops, b, off, [add QWORD], [, v]);
    }

    /// `inc QWORD [b]`.
    pub fn inc_mem64(&mut self, b: R) {
        dynasm!(self.ops ; .arch x64 ; inc QWORD [Rq(b.0)]);
    }

    /// `d = [b + off]` compared with `s`, 64-bit: `cmp s, [b + off]`.
    pub fn cmp_mem64(&mut self, s: R, b: R, off: i32) {
        mem!(self.ops, b, off, [cmp Rq(s.0), QWORD], []);
    }

    /// `cmp QWORD [b + off], imm`.
    pub fn cmp_mem64_imm(&mut self, b: R, off: i32, v: i32) {
        mem!(self.ops, b, off, [cmp QWORD], [, v]);
    }

    /// `test d8, [b + off]` (byte).
    pub fn test_mem8(&mut self, s: R, b: R, off: i32) {
        mem!(self.ops, b, off, [test BYTE], [, Rb(s.0)]);
    }

    /// Zero-extending byte load.
    pub fn load8(&mut self, d: R, b: R, off: i32) {
        mem!(self.ops, b, off, [movzx Rd(d.0), BYTE], []);
    }

    /// `d = b + disp`.
    pub fn lea(&mut self, d: R, b: R, disp: i32) {
        dynasm!(self.ops ; .arch x64 ; lea Rq(d.0), [Rq(b.0) + disp]);
    }

    /// `cmp s, [b + i + disp]` (64-bit).
    pub fn cmp_mem64_rrd(&mut self, s: R, b: R, i: R, disp: i32) {
        dynasm!(self.ops ; .arch x64 ; cmp Rq(s.0), QWORD [Rq(b.0) + Rq(i.0) + disp]);
    }

    /// `d = [b + i + disp]` (64-bit).
    pub fn load64_rrd(&mut self, d: R, b: R, i: R, disp: i32) {
        dynasm!(self.ops ; .arch x64 ; mov Rq(d.0), QWORD [Rq(b.0) + Rq(i.0) + disp]);
    }

    // ── host memory accesses at [b + i] (guest RAM through a host pointer) ─────────────

    /// Load `size` bytes at `[b + i]` into `d`, zero-extended (size 1, 2, 4, 8).
    pub fn load_host(&mut self, d: R, b: R, i: R, size: u8) {
        match size {
            1 => dynasm!(self.ops ; .arch x64 ; movzx Rd(d.0), BYTE [Rq(b.0) + Rq(i.0)]),
            2 => dynasm!(self.ops ; .arch x64 ; movzx Rd(d.0), WORD [Rq(b.0) + Rq(i.0)]),
            4 => dynasm!(self.ops ; .arch x64 ; mov Rd(d.0), DWORD [Rq(b.0) + Rq(i.0)]),
            _ => dynasm!(self.ops ; .arch x64 ; mov Rq(d.0), QWORD [Rq(b.0) + Rq(i.0)]),
        }
    }

    /// Load `size` bytes at `[b + i]` sign-extended to 64 bits (size 1, 2, 4).
    pub fn load_host_signed(&mut self, d: R, b: R, i: R, size: u8) {
        match size {
            1 => dynasm!(self.ops ; .arch x64 ; movsx Rq(d.0), BYTE [Rq(b.0) + Rq(i.0)]),
            2 => dynasm!(self.ops ; .arch x64 ; movsx Rq(d.0), WORD [Rq(b.0) + Rq(i.0)]),
            _ => dynasm!(self.ops ; .arch x64 ; movsxd Rq(d.0), DWORD [Rq(b.0) + Rq(i.0)]),
        }
    }

    /// Store the low `size` bytes of `s` at `[b + i]`.
    pub fn store_host(&mut self, b: R, i: R, s: R, size: u8) {
        match size {
            1 => dynasm!(self.ops ; .arch x64 ; mov BYTE [Rq(b.0) + Rq(i.0)], Rb(s.0)),
            2 => dynasm!(self.ops ; .arch x64 ; mov WORD [Rq(b.0) + Rq(i.0)], Rw(s.0)),
            4 => dynasm!(self.ops ; .arch x64 ; mov DWORD [Rq(b.0) + Rq(i.0)], Rd(s.0)),
            _ => dynasm!(self.ops ; .arch x64 ; mov QWORD [Rq(b.0) + Rq(i.0)], Rq(s.0)),
        }
    }

    // ── arithmetic ─────────────────────────────────────────────────────────────────────

    /// `d = d OP s` in 64 (`wide`) or 32 bits (a 32-bit result zero-extends).
    pub fn alu(&mut self, op: Alu, wide: bool, d: R, s: R) {
        if wide {
            alu_rr!(self.ops, Rq, op, d.0, s.0)
        } else {
            alu_rr!(self.ops, Rd, op, d.0, s.0)
        }
    }

    /// `d = d OP imm` (imm sign-extended from 32 bits).
    pub fn alu_imm(&mut self, op: Alu, wide: bool, d: R, imm: i32) {
        if wide {
            alu_ri!(self.ops, Rq, op, d.0, imm)
        } else {
            alu_ri!(self.ops, Rd, op, d.0, imm)
        }
    }

    pub fn shift_imm(&mut self, op: Shift, wide: bool, d: R, n: u8) {
        let n = n as i8;
        if wide {
            shift_ri!(self.ops, Rq, op, d.0, n)
        } else {
            shift_ri!(self.ops, Rd, op, d.0, n)
        }
    }

    /// `d = d SHIFT cl`.
    pub fn shift_cl(&mut self, op: Shift, wide: bool, d: R) {
        if wide {
            shift_rcl!(self.ops, Rq, op, d.0)
        } else {
            shift_rcl!(self.ops, Rd, op, d.0)
        }
    }

    pub fn not(&mut self, wide: bool, d: R) {
        if wide {
            dynasm!(self.ops ; .arch x64 ; not Rq(d.0));
        } else {
            dynasm!(self.ops ; .arch x64 ; not Rd(d.0));
        }
    }

    /// `rax = rdx:rax / s` (`signed`: `cqo; idiv`, else `xor edx, edx; div`), 64 or 32
    /// bits; clobbers `rdx`. The caller rules out what x86 faults on (zero, MIN / -1).
    pub fn div_rax(&mut self, wide: bool, signed: bool, s: R) {
        match (wide, signed) {
            (true, true) => dynasm!(self.ops ; .arch x64 ; cqo ; idiv Rq(s.0)),
            (true, false) => dynasm!(self.ops ; .arch x64 ; xor edx, edx ; div Rq(s.0)),
            (false, true) => dynasm!(self.ops ; .arch x64 ; cdq ; idiv Rd(s.0)),
            (false, false) => dynasm!(self.ops ; .arch x64 ; xor edx, edx ; div Rd(s.0)),
        }
    }

    pub fn neg(&mut self, wide: bool, d: R) {
        if wide {
            dynasm!(self.ops ; .arch x64 ; neg Rq(d.0));
        } else {
            dynasm!(self.ops ; .arch x64 ; neg Rd(d.0));
        }
    }

    /// `d = d * s` (the low half).
    pub fn imul(&mut self, wide: bool, d: R, s: R) {
        if wide {
            dynasm!(self.ops ; .arch x64 ; imul Rq(d.0), Rq(s.0));
        } else {
            dynasm!(self.ops ; .arch x64 ; imul Rd(d.0), Rd(s.0));
        }
    }

    /// Sign-extends the low 8, 16 or 32 bits of `s` into 64-bit `d`.
    pub fn sext(&mut self, d: R, s: R, bits: u8) {
        match bits {
            8 => dynasm!(self.ops ; .arch x64 ; movsx Rq(d.0), Rb(s.0)),
            16 => dynasm!(self.ops ; .arch x64 ; movsx Rq(d.0), Rw(s.0)),
            _ => dynasm!(self.ops ; .arch x64 ; movsxd Rq(d.0), Rd(s.0)),
        }
    }

    /// Zero-extends the low 8 or 16 bits of `s` into `d`.
    pub fn zext(&mut self, d: R, s: R, bits: u8) {
        match bits {
            8 => dynasm!(self.ops ; .arch x64 ; movzx Rd(d.0), Rb(s.0)),
            _ => dynasm!(self.ops ; .arch x64 ; movzx Rd(d.0), Rw(s.0)),
        }
    }

    /// `bswap d` (64 or 32 bits).
    pub fn bswap(&mut self, wide: bool, d: R) {
        if wide {
            dynasm!(self.ops ; .arch x64 ; bswap Rq(d.0));
        } else {
            dynasm!(self.ops ; .arch x64 ; bswap Rd(d.0));
        }
    }

    /// `d = 63 - (index of the highest set bit of d)` for `d != 0`, else 64 (the
    /// 32-bit form: 31 - index, else 32): CLZ, with `t` clobbered.
    pub fn count_leading_zeros(&mut self, wide: bool, d: R, t: R) {
        if wide {
            dynasm!(self.ops
                ; .arch x64
                ; mov Rd(t.0), 127          // 127 ^ 63 = 64
                ; bsr Rq(d.0), Rq(d.0)      // ZF: the source was 0
                ; cmovz Rq(d.0), Rq(t.0)
                ; xor Rd(d.0), 63
            );
        } else {
            dynasm!(self.ops
                ; .arch x64
                ; mov Rd(t.0), 63           // 63 ^ 31 = 32
                ; bsr Rd(d.0), Rd(d.0)
                ; cmovz Rd(d.0), Rd(t.0)
                ; xor Rd(d.0), 31
            );
        }
    }

    /// `bt DWORD [b + off], n`: CF = bit `n` of the word.
    pub fn bt_mem32(&mut self, b: R, off: i32, n: u8) {
        mem!(self.ops, b, off, [bt DWORD], [, n as i8]);
    }

    /// `shrd d, s, n`: `d` shifted right by `n`, `s`'s low bits entering at the top.
    pub fn shrd(&mut self, wide: bool, d: R, s: R, n: u8) {
        if wide {
            dynasm!(self.ops ; .arch x64 ; shrd Rq(d.0), Rq(s.0), n as i8);
        } else {
            dynasm!(self.ops ; .arch x64 ; shrd Rd(d.0), Rd(s.0), n as i8);
        }
    }

    /// `bt s, n`: CF = bit `n` of `s`.
    pub fn bt(&mut self, s: R, n: u8) {
        dynasm!(self.ops ; .arch x64 ; bt Rq(s.0), n as i8);
    }

    /// Stores the A64 flags (NZCV register layout) of the x86 flags an `add`/`sub`/`test`
    /// just set to `[s + nzcv]`, through the table at `[t + table]` (indexed by OF:AH, see
    /// `JitCtx::nzcv_table`). No instruction here writes the x86 flags, so a following
    /// conditional branch can still test them. Clobbers `rax`, `rcx`.
    pub fn store_nzcv_from_host_flags(&mut self, s: R, nzcv: i32, t: R, table: i32) {
        dynasm!(self.ops
            ; .arch x64
            ; lahf                       // AH = SF ZF 0 AF 0 PF 1 CF
            ; seto al
            ; mov cl, ah
            ; mov ch, al
            ; movzx ecx, cx
            ; mov eax, DWORD [Rq(t.0) + rcx * 4 + table]
        );
        mem!(self.ops, s, nzcv, [mov DWORD], [, eax]);
    }
}
