//! Runs a group's cases on both sides and reports every difference.
//!
//! A missing qemu-aarch64 fails the test with a message, unless ARMVIRT_SKIP_QEMU=1 asks
//! to skip (and a note is printed): the suite never passes silently without its reference.

use super::case::{flags, Case, State};
use super::disasm::disassemble;
use super::known::KNOWN;
use super::ours::{El, Ours};
use super::reference::{self, RefError};
use armvirt_cpu::exec::describe;
use armvirt_cpu::testing::Executor;

/// How many failing cases a report prints in full.
const REPORT_LIMIT: usize = 12;

/// True when the test should be skipped for want of qemu-aarch64 (and says so);
/// panics when qemu-aarch64 is missing and no skip was asked for.
pub fn skip_without_qemu() -> bool {
    let found = std::process::Command::new(reference::qemu())
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if found {
        return false;
    }
    if std::env::var("ARMVIRT_SKIP_QEMU").as_deref() == Ok("1") {
        eprintln!(
            "note: differential test skipped: {} not found and ARMVIRT_SKIP_QEMU=1",
            reference::qemu()
        );
        return true;
    }
    panic!(
        "the differential tests need `{}` (Debian: apt-get install qemu-user); \
         set ARMVIRT_QEMU_AARCH64 to its path, or ARMVIRT_SKIP_QEMU=1 to skip these tests",
        reference::qemu()
    );
}

/// Runs `cases` on the reference only (for the harness's own checks).
pub fn reference_states(tag: &str, cases: &[Case]) -> Vec<State> {
    let prog = reference::build(cases);
    match reference::run(tag, cases, &prog) {
        Ok(s) => s,
        Err(e) => panic!("{}", reference_failure(cases, e)),
    }
}

/// The executors our side runs every case on.
const ENGINES: [Executor; 2] = [Executor::Interpreter, Executor::Jit];

/// Runs every case of `group` on both sides; panics with a report if any differs.
pub fn check(group: &str, cases: &[Case]) {
    if skip_without_qemu() {
        return;
    }
    let mut ours = Ours::new();
    // (case index, what went wrong); cases are only rendered for the report.
    let mut failures: Vec<(usize, String)> = Vec::new();
    let (mut mismatched, mut unfinished) = (0, 0);
    for (b, range) in reference::batches(cases).into_iter().enumerate() {
        let first = range.start;
        let batch = &cases[range];
        let prog = reference::build(batch);
        let want = match reference::run(&format!("{group}-{b}"), batch, &prog) {
            Ok(s) => s,
            Err(e) => panic!("{group}: {}", reference_failure(batch, e)),
        };
        let runs = batch.iter().zip(&want).zip(&prog.case_addrs).enumerate();
        for (i, ((case, want), &addr)) in runs {
            if case.expect_undefined && !want.undefined {
                panic!(
                    "{group}: generator error: qemu-aarch64 executed a case meant to be \
                     UNDEFINED:\n{}",
                    show(case)
                );
            }
            let els: &[El] = if case.el0_only {
                &[El::El0]
            } else {
                &[El::El0, El::El1]
            };
            // Both engines: the JIT must match the reference as the interpreter does.
            let runs = els
                .iter()
                .flat_map(|&el| ENGINES.iter().map(move |&x| (el, x)));
            for (el, engine) in runs {
                match ours.run(case, addr, el, engine) {
                    Ok(got) if got == *want => continue,
                    Ok(got) => {
                        mismatched += 1;
                        let diff = got.diff(want).join("\n    ");
                        failures.push((
                            first + i,
                            format!("at {el:?} on the {engine:?} differs:\n    {diff}"),
                        ));
                    }
                    Err(e) => {
                        unfinished += 1;
                        failures.push((first + i, format!("at {el:?} on the {engine:?}: {e}")));
                    }
                }
                break; // one report per case
            }
        }
    }
    eprintln!(
        "{group}: {} cases, {mismatched} differ from qemu-aarch64, {unfinished} did not finish",
        cases.len()
    );
    let known: Vec<_> = KNOWN.iter().filter(|k| k.0 == group).collect();
    for (_, form, why) in &known {
        let n = failures
            .iter()
            .filter(|(i, _)| cases[*i].name == *form)
            .count();
        if n == 0 {
            panic!("{group}: known issue [{form}] no longer fails: delete it from known.rs");
        }
        eprintln!("{group}: KNOWN ISSUE, {n} cases of [{form}]: {why}");
    }
    failures.retain(|(i, _)| !known.iter().any(|k| k.1 == cases[*i].name));
    if !failures.is_empty() {
        panic!(
            "{group}: {} of {} cases differ from qemu-aarch64 or did not finish on ours \
             (besides known issues)\n{}",
            failures.len(),
            cases.len(),
            report(cases, &failures)
        );
    }
}

/// Failure counts per form, then the first failing case of each form (up to
/// [`REPORT_LIMIT`]), so that one report shows every kind of problem.
fn report(cases: &[Case], failures: &[(usize, String)]) -> String {
    let mut per_form: Vec<(&str, usize, usize)> = Vec::new(); // (name, count, first)
    for (n, (i, _)) in failures.iter().enumerate() {
        let name = cases[*i].name.as_str();
        match per_form.iter_mut().find(|f| f.0 == name) {
            Some(f) => f.1 += 1,
            None => per_form.push((name, 1, n)),
        }
    }
    let mut out = String::from("failing forms:");
    for (name, count, _) in &per_form {
        out += &format!(" [{name}] x{count};");
    }
    out += "\nfirst failure of each form:\n";
    for (_, _, n) in per_form.iter().take(REPORT_LIMIT) {
        let (i, what) = &failures[*n];
        out += &format!("{}  {what}\n", show(&cases[*i]));
    }
    out
}

fn reference_failure(batch: &[Case], e: RefError) -> String {
    match e {
        RefError::Missing(m) => format!("cannot run qemu-aarch64: {m}"),
        RefError::Died {
            done,
            status,
            stderr,
        } => {
            let culprit = batch
                .get(done)
                .map(show)
                .unwrap_or_else(|| "(after the last case)".into());
            format!(
                "the reference program died ({status}) after {done} of {} cases; \
                 the generator made a case qemu-aarch64 cannot run at EL0:\n{culprit}\nstderr: {stderr}",
                batch.len()
            )
        }
    }
}

/// A case for a report: its encodings, the registers its fields name, SP and NZCV.
pub fn show(c: &Case) -> String {
    let insns: Vec<String> = c
        .words
        .iter()
        .map(|&w| match disassemble(w) {
            Some(asm) => format!("{asm} [{}]", describe(w)),
            None => describe(w),
        })
        .collect();
    let mut regs: Vec<u32> = c
        .words
        .iter()
        .flat_map(|&w| [w & 31, w >> 5 & 31, w >> 10 & 31, w >> 16 & 31])
        .filter(|&r| r < 31)
        .collect();
    regs.sort();
    regs.dedup();
    let inputs: Vec<String> = regs
        .iter()
        .map(|&r| format!("x{r}={:#x}", c.x[r as usize]))
        .collect();
    format!(
        "  [{}] {}\n    in: {} sp={:#x} nzcv={}{}\n",
        c.name,
        insns.join("; "),
        inputs.join(" "),
        c.sp,
        flags(c.nzcv),
        if c.mem.is_some() { " (+buffer)" } else { "" }
    )
}
