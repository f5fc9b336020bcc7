//! Diagnostic logging in QEMU's `-d` sense: categories switched on at start-up, lines to
//! stderr or a file (`-D`). A disabled category costs one relaxed atomic load, so the checks
//! can sit on exception paths; nothing is logged from the per-instruction fast path.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// A log category (`-d NAME`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Category {
    /// Unimplemented or UNDEFINED encodings (each encoding logged once).
    Unimp = 1 << 0,
    /// Exceptions and interrupts taken.
    Int = 1 << 1,
    /// Translation faults.
    Mmu = 1 << 2,
    /// Guest accesses to nothing, or to something the device refuses.
    GuestErrors = 1 << 3,
    /// JIT translation statistics at the end of a run, and a perf map of the blocks.
    Jit = 1 << 4,
}

pub const CATEGORIES: &[(&str, Category, &str)] = &[
    (
        "unimp",
        Category::Unimp,
        "unimplemented and UNDEFINED instructions",
    ),
    ("int", Category::Int, "exceptions and interrupts taken"),
    ("mmu", Category::Mmu, "translation faults"),
    (
        "guest_errors",
        Category::GuestErrors,
        "guest accesses to unmapped or refused addresses",
    ),
    (
        "jit",
        Category::Jit,
        "JIT statistics at exit (blocks, code size, handler calls by encoding row) and /tmp/perf-PID.map",
    ),
];

static ENABLED: AtomicU32 = AtomicU32::new(0);
static SINK: Mutex<Option<Box<dyn Write + Send>>> = Mutex::new(None);

/// Parses a `-d` list ("int,mmu"); names the first unknown category on error.
pub fn parse(list: &str) -> Result<u32, String> {
    let mut mask = 0;
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some((_, cat, _)) = CATEGORIES.iter().find(|(n, _, _)| *n == name) else {
            let known: Vec<_> = CATEGORIES.iter().map(|(n, _, _)| *n).collect();
            return Err(format!(
                "unknown log category '{name}' (known: {})",
                known.join(", ")
            ));
        };
        mask |= *cat as u32;
    }
    Ok(mask)
}

/// Enables the categories in `mask`, logging to `sink` (stderr when `None`).
pub fn init(mask: u32, sink: Option<Box<dyn Write + Send>>) {
    *SINK.lock().unwrap_or_else(|e| e.into_inner()) = sink;
    ENABLED.store(mask, Ordering::Relaxed);
}

#[inline(always)]
pub fn enabled(cat: Category) -> bool {
    ENABLED.load(Ordering::Relaxed) & cat as u32 != 0
}

/// Writes one line (the caller checked [`enabled`]).
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut sink = SINK.lock().unwrap_or_else(|e| e.into_inner());
    match sink.as_mut() {
        Some(w) => {
            let _ = writeln!(w, "{args}");
        }
        None => {
            let _ = writeln!(std::io::stderr(), "{args}");
        }
    }
}

/// Logs an unimplemented or UNDEFINED encoding under `unimp`, once per encoding.
pub fn unimplemented_once(pc: u64, insn: u32, what: &str) {
    static SEEN: Mutex<Option<std::collections::HashSet<u32>>> = Mutex::new(None);
    if !enabled(Category::Unimp) {
        return;
    }
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if seen.get_or_insert_with(Default::default).insert(insn) {
        line(format_args!("unimp: {what}: {insn:#010x} at pc {pc:#018x}"));
    }
}

/// Logs a line in `cat` if it is enabled: `log!(Category::Int, "...", ...)`.
#[macro_export]
macro_rules! log {
    ($cat:expr, $($arg:tt)*) => {
        if $crate::log::enabled($cat) {
            $crate::log::line(format_args!($($arg)*));
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_names_and_rejects_unknown() {
        assert_eq!(
            parse("int,mmu").unwrap(),
            Category::Int as u32 | Category::Mmu as u32
        );
        assert_eq!(parse("").unwrap(), 0);
        assert!(parse("int,bogus").unwrap_err().contains("'bogus'"));
    }
}
