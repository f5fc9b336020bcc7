//! What one differential case is: an instruction sequence with its initial register file,
//! flags and scratch memory; and what a run of it leaves behind.

use super::layout::BUF_SIZE;

/// One instruction sequence and the state it starts from. The sequence runs from its first
/// word and must fall off its end (no branch leaves it, nothing traps).
#[derive(Clone)]
pub struct Case {
    /// The group and form, for reports.
    pub name: String,
    pub words: Vec<u32>,
    /// X0–X30.
    pub x: [u64; 31],
    /// The stack pointer: the harness does not use it, so cases may read and write it.
    pub sp: u64,
    /// NZCV in bits 31:28.
    pub nzcv: u32,
    /// Initial contents of the scratch buffer at [`super::layout::BUF_ADDR`], when the case
    /// touches memory; its final contents are compared too.
    pub mem: Option<Vec<u8>>,
    /// The generator meant this to be UNDEFINED: the harness checks that the reference
    /// agrees, so a wrong generator shows up instead of testing nothing.
    pub expect_undefined: bool,
    /// Run on our side at EL0 only (the case's behaviour depends on the exception level;
    /// the reference runs at EL0).
    pub el0_only: bool,
}

/// The architectural state a case leaves: what the two runs must agree on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub x: [u64; 31],
    pub sp: u64,
    pub nzcv: u32,
    /// The sequence ended in an UNDEFINED instruction (registers as at that instruction).
    pub undefined: bool,
    pub mem: Option<Vec<u8>>,
}

impl Case {
    pub fn new(name: impl Into<String>, words: Vec<u32>, x: [u64; 31], nzcv: u32) -> Case {
        Case {
            name: name.into(),
            words,
            x,
            sp: 0,
            nzcv,
            mem: None,
            expect_undefined: false,
            el0_only: false,
        }
    }

    pub fn with_mem(mut self, mem: Vec<u8>) -> Case {
        assert_eq!(mem.len(), BUF_SIZE);
        self.mem = Some(mem);
        self
    }

    /// Bytes of the record the reference run writes for this case.
    pub fn out_len(&self) -> usize {
        super::layout::REC_MEM + if self.mem.is_some() { BUF_SIZE } else { 0 }
    }
}

impl State {
    /// The names and values of everything that differs between `self` (ours) and `want`.
    pub fn diff(&self, want: &State) -> Vec<String> {
        let mut out = Vec::new();
        if self.undefined != want.undefined {
            let says = |u: bool| if u { "UNDEFINED" } else { "executed" };
            out.push(format!(
                "want {} got {}",
                says(want.undefined),
                says(self.undefined)
            ));
        }
        for n in 0..31 {
            if self.x[n] != want.x[n] {
                out.push(format!(
                    "x{n}: want {:#018x} got {:#018x}",
                    want.x[n], self.x[n]
                ));
            }
        }
        if self.sp != want.sp {
            out.push(format!("sp: want {:#018x} got {:#018x}", want.sp, self.sp));
        }
        if self.nzcv != want.nzcv {
            out.push(format!(
                "nzcv: want {} got {}",
                flags(want.nzcv),
                flags(self.nzcv)
            ));
        }
        if let (Some(a), Some(b)) = (&self.mem, &want.mem) {
            for (i, chunk) in b.chunks(8).enumerate() {
                let ours = &a[i * 8..i * 8 + chunk.len()];
                if ours != chunk {
                    out.push(format!(
                        "mem[{:#x}]: want {:02x?} got {:02x?}",
                        i * 8,
                        chunk,
                        ours
                    ));
                }
            }
        }
        out
    }
}

/// NZCV as letters, upper case when set: `nZcV`.
pub fn flags(nzcv: u32) -> String {
    "NZCV"
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if nzcv >> (31 - i) & 1 == 1 {
                c
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}
