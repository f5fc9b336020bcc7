//! `x /fmt addr` and `xp /fmt addr`: QEMU's `memory_dump` (monitor/misc.c) — the format
//! letters x, d, u, o, c with sizes b, h, w, g and a count, carried over from the last use;
//! 16 bytes a line (8 for bytes), each line led by its 16-digit address; "Cannot access
//! memory" where a line cannot be read. Addresses are expressions: numbers (C's bases),
//! `$pc`, `$sp`, `$x0`..`$x30`, with + - * / & | and parentheses.

use crate::machine::Machine;
use std::fmt::Write;

/// The format of the last `x`/`xp` (QEMU starts with /1xw).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    pub letter: u8,
    pub size: usize,
    pub count: u64,
}

impl Default for Format {
    fn default() -> Self {
        Format {
            letter: b'x',
            size: 4,
            count: 1,
        }
    }
}

/// Parses `/[count][letter][size]` against `last`, QEMU's way: the count is given or 1,
/// the letter and size are given or the last ones.
pub fn parse_format(spec: &str, last: Format) -> Result<Format, String> {
    let digits: String = spec.chars().take_while(|c| c.is_ascii_digit()).collect();
    let count = if digits.is_empty() {
        1
    } else {
        digits.parse().map_err(|_| "invalid count".to_string())?
    };
    let mut f = Format { count, ..last };
    let mut size = None;
    for c in spec[digits.len()..].bytes() {
        match c {
            b'x' | b'd' | b'u' | b'o' | b'c' | b'i' => f.letter = c,
            b'b' => size = Some(1),
            b'h' => size = Some(2),
            b'w' => size = Some(4),
            b'g' | b'L' => size = Some(8),
            _ => return Err(format!("invalid char in format: '{}'", c as char)),
        }
    }
    // No size keeps the last one (even for 'c', which then reads that many bytes a unit).
    f.size = size.unwrap_or(last.size);
    Ok(f)
}

/// The dump of `f.count` units at `addr`, virtual (through vCPU `cpu`'s translation) or
/// physical.
pub fn dump(m: &mut Machine, cpu: usize, addr: u64, f: Format, physical: bool) -> String {
    let mut t = String::new();
    let mut wsize = f.size;
    let mut len = (wsize as u64).saturating_mul(f.count);
    let line_size = if wsize == 1 { 8 } else { 16 };
    let digits = match f.letter {
        b'o' => (wsize * 8).div_ceil(3),
        b'u' | b'd' => (wsize * 8 * 10).div_ceil(33),
        b'c' => {
            wsize = 1;
            0
        }
        _ => wsize * 2,
    };
    let mut addr = addr;
    while len > 0 {
        let _ = write!(t, "{addr:016x}:");
        let l = len.min(line_size) as usize;
        let mut buf = vec![0u8; l];
        let got = if physical {
            m.read_phys(addr, &mut buf)
        } else {
            m.read_virt(cpu, addr, &mut buf)
        };
        if got < l {
            t.push_str(" Cannot access memory\n");
            break;
        }
        let mut i = 0;
        while i + wsize <= l {
            let mut v = [0u8; 8];
            v[..wsize].copy_from_slice(&buf[i..i + wsize]);
            let v = u64::from_le_bytes(v);
            t.push(' ');
            match f.letter {
                b'o' => {
                    // C's %#o: a leading 0, except for 0 itself.
                    let o = if v == 0 {
                        "0".into()
                    } else {
                        format!("0{v:o}")
                    };
                    let _ = write!(t, "{o:>digits$}");
                }
                b'u' => {
                    let _ = write!(t, "{v:>digits$}");
                }
                b'd' => {
                    // Only 8-byte units come out signed: QEMU loads smaller ones unsigned.
                    let _ = write!(t, "{:>digits$}", v as i64);
                }
                b'c' => printc(&mut t, v as u8),
                _ => {
                    let _ = write!(t, "0x{v:0digits$x}");
                }
            }
            i += wsize;
        }
        t.push('\n');
        addr = addr.wrapping_add(l as u64);
        len -= l as u64;
    }
    t
}

/// QEMU's `monitor_printc`.
fn printc(t: &mut String, c: u8) {
    t.push('\'');
    match c {
        b'\'' => t.push_str("\\'"),
        b'\\' => t.push_str("\\\\"),
        b'\n' => t.push_str("\\n"),
        b'\r' => t.push_str("\\r"),
        32..=126 => t.push(c as char),
        _ => {
            let _ = write!(t, "\\x{c:02x}");
        }
    }
    t.push('\'');
}

/// Evaluates an HMP expression over vCPU `cpu`'s registers.
pub fn eval(m: &Machine, cpu: usize, text: &str) -> Result<u64, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        at: 0,
        m,
        cpu,
    };
    let v = p.sum()?;
    p.skip();
    if p.at < p.s.len() {
        return Err("invalid char in expression".into());
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
    m: &'a Machine,
    cpu: usize,
}

impl Parser<'_> {
    fn skip(&mut self) {
        while self.s.get(self.at).is_some_and(|c| c.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip();
        self.s.get(self.at).copied()
    }

    fn sum(&mut self) -> Result<u64, String> {
        let mut v = self.product()?;
        while let Some(op @ (b'+' | b'-' | b'&' | b'|')) = self.peek() {
            self.at += 1;
            let r = self.product()?;
            v = match op {
                b'+' => v.wrapping_add(r),
                b'-' => v.wrapping_sub(r),
                b'&' => v & r,
                _ => v | r,
            };
        }
        Ok(v)
    }

    fn product(&mut self) -> Result<u64, String> {
        let mut v = self.unary()?;
        while let Some(op @ (b'*' | b'/' | b'%')) = self.peek() {
            self.at += 1;
            let r = self.unary()?;
            if op != b'*' && r == 0 {
                return Err("division by zero".into());
            }
            v = match op {
                b'*' => v.wrapping_mul(r),
                b'/' => v / r,
                _ => v % r,
            };
        }
        Ok(v)
    }

    fn unary(&mut self) -> Result<u64, String> {
        match self.peek() {
            None => Err("unexpected end of expression".into()),
            Some(b'-') => {
                self.at += 1;
                Ok(self.unary()?.wrapping_neg())
            }
            Some(b'+') => {
                self.at += 1;
                self.unary()
            }
            Some(b'~') => {
                self.at += 1;
                Ok(!self.unary()?)
            }
            Some(b'(') => {
                self.at += 1;
                let v = self.sum()?;
                if self.peek() != Some(b')') {
                    return Err("')' expected".into());
                }
                self.at += 1;
                Ok(v)
            }
            Some(b'$') => {
                self.at += 1;
                let start = self.at;
                while self
                    .s
                    .get(self.at)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    self.at += 1;
                }
                let name = std::str::from_utf8(&self.s[start..self.at]).unwrap_or("");
                self.register(&name.to_ascii_lowercase())
                    .ok_or_else(|| "unknown register".to_string())
            }
            Some(c) if c.is_ascii_digit() => {
                let start = self.at;
                while self
                    .s
                    .get(self.at)
                    .is_some_and(|c| c.is_ascii_alphanumeric())
                {
                    self.at += 1;
                }
                let word = std::str::from_utf8(&self.s[start..self.at]).unwrap_or("");
                parse_c_number(word).ok_or_else(|| "invalid number".to_string())
            }
            Some(_) => Err("invalid char in expression".into()),
        }
    }

    fn register(&self, name: &str) -> Option<u64> {
        let s = self.m.regs(self.cpu);
        match name {
            "pc" => Some(s.pc),
            "sp" => Some(s.x[31]),
            _ => {
                let n: usize = name.strip_prefix('x')?.parse().ok()?;
                (n < 31).then(|| s.x[n])
            }
        }
    }
}

/// strtoull with base 0: 0x hex, leading 0 octal, else decimal.
fn parse_c_number(w: &str) -> Option<u64> {
    if let Some(h) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if w.len() > 1 && w.starts_with('0') {
        u64::from_str_radix(&w[1..], 8).ok()
    } else {
        w.parse().ok()
    }
}
