//! Translation statistics (`-d jit`): what was translated, and which encoding rows went
//! through the interpreter's handlers, so the next row to compile natively is chosen from
//! data.

use crate::decode::A64;
use std::fmt;

#[derive(Default, Debug, Clone)]
pub struct Stats {
    pub blocks: u64,
    pub guest_insns: u64,
    pub code_bytes: u64,
    /// Instructions translated natively / as handler calls (static counts).
    pub native: u64,
    pub helper: u64,
    /// Handler calls translated, by decode-table row (the last slot: unmatched encodings).
    pub helper_rows: Vec<u64>,
    pub links: u64,
    pub flushes: u64,
    /// Host time spent translating (decoding excluded).
    pub translate_ns: u64,
    /// Handler calls executed, by row (counted by generated code under `-d jit` only).
    pub executed_rows: Box<[u64]>,
}

impl Stats {
    /// Stats that also count the handler calls executed (`-d jit`).
    pub fn counting() -> Self {
        Stats {
            executed_rows: vec![0; A64.len() + 1].into_boxed_slice(),
            ..Default::default()
        }
    }

    /// Where generated code counts the execution of `row`'s handler, when counting.
    pub fn counter(&mut self, row: u16) -> Option<*mut u64> {
        let i = (row as usize).min(A64.len());
        self.executed_rows.get_mut(i).map(|c| c as *mut u64)
    }

    pub fn note_helper(&mut self, row: u16) {
        self.helper += 1;
        if self.helper_rows.is_empty() {
            self.helper_rows = vec![0; A64.len() + 1];
        }
        let i = (row as usize).min(A64.len());
        self.helper_rows[i] += 1;
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        writeln!(
            f,
            "jit: {} blocks, {} guest instructions ({:.1} per block), {} bytes of code ({:.1} per instruction), {} links, {} buffer flushes",
            self.blocks,
            self.guest_insns,
            per(self.guest_insns, self.blocks),
            self.code_bytes,
            per(self.code_bytes, self.guest_insns),
            self.links,
            self.flushes.saturating_sub(1)
        )?;
        writeln!(
            f,
            "jit: {:.1} ms translating, {:.0} ns per guest instruction",
            self.translate_ns as f64 / 1e6,
            per(self.translate_ns, self.guest_insns)
        )?;
        writeln!(
            f,
            "jit: {:.1}% of translated instructions are handler calls; by encoding row:",
            100.0 * per(self.helper, self.native + self.helper)
        )?;
        top_rows(f, &self.helper_rows)?;
        if !self.executed_rows.is_empty() {
            let total: u64 = self.executed_rows.iter().sum();
            writeln!(f, "jit: {total} handler calls executed; by encoding row:")?;
            top_rows(f, &self.executed_rows)?;
        }
        Ok(())
    }
}

/// The 20 largest counts, by row name.
fn top_rows(f: &mut fmt::Formatter<'_>, counts: &[u64]) -> fmt::Result {
    let mut rows: Vec<(usize, u64)> = counts
        .iter()
        .copied()
        .enumerate()
        .filter(|r| r.1 != 0)
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1));
    for (row, n) in rows.iter().take(20) {
        let name = A64.get(*row).map_or("unallocated", |e| e.name);
        writeln!(f, "jit:   {n:>12}  {name}")?;
    }
    Ok(())
}
