//! End to end: reverse execution in a kernel debugging session, with Debian's
//! gdb-multiarch in batch mode against `armvirt -S --gdb` running the project's debug
//! kernel, no flag added: history is kept while gdb is attached.
//!
//! - `stepi` ×200 from a breakpoint, recording every register; `reverse-stepi` ×200 must
//!   give back each state in reverse order, and `stepi` ×200 forward again (now replayed
//!   from history) the same states once more. On one vCPU with each engine, and on the
//!   second vCPU of two.
//! - `watch jiffies` and three `continue`s, then `reverse-continue`: gdb stops at the
//!   store of the previous tick with Old and New values swapped; `reverse-finish` returns
//!   to the call site in the caller; with the watchpoint gone `reverse-continue` reaches
//!   the start of history ("No more reverse-execution history.", at the boot stub).
//!
//! The reference is the run itself as gdb saw it going forward (and the kernel's source:
//! where jiffies is written, who calls do_timer).

mod fixture_cache;
mod gdb_util;
use fixture_cache::fixture;
use gdb_util::{free_port, text, wait_listening, wait_output, Scratch};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const KERNEL_DIR: &str = "debug-kernel/current";
const SESSION_SECS: u64 = 240;

fn start(port: u16, extra: &[&str]) -> Child {
    let kernel = fixture(KERNEL_DIR).join("Image");
    let child = Command::new(env!("CARGO_BIN_EXE_armvirt"))
        .arg("-kernel")
        .arg(kernel)
        .args([
            "-append",
            "console=ttyAMA0",
            "-m",
            "512M",
            "-S",
            "-nographic",
        ])
        .args(["-gdb", &format!("tcp::{port}")])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run armvirt");
    wait_listening(port);
    child
}

/// gdb on the debug kernel's vmlinux, attached to `port`, running `script`; its output.
fn gdb(port: u16, script: &Path) -> String {
    let vmlinux = fixture(KERNEL_DIR).join("vmlinux");
    let child = Command::new("gdb-multiarch")
        .args([
            "-nx",
            "-batch",
            "-ex",
            "set pagination off",
            "-ex",
            "set confirm off",
        ])
        .arg("-ex")
        .arg(format!("target remote :{port}"))
        .arg("-x")
        .arg(script)
        .arg(vmlinux)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gdb-multiarch");
    let out = wait_output(child, SESSION_SECS);
    format!("{}\n[gdb stderr]\n{}", text(&out.stdout), text(&out.stderr))
}

/// A session on `port` running `script` (gdb commands); gdb's output and armvirt's.
fn session(name: &str, extra: &[&str], script: &str) -> (String, String) {
    let dir = Scratch::new(name);
    let script = dir.file("script.gdb", script);
    let port = free_port();
    let emu = start(port, extra);
    let out = gdb(port, &script);
    let emu = wait_output(emu, 30);
    (out, text(&emu.stderr))
}

/// gdb's Python: `steps` stepi's on the selected thread recording every register, as many
/// reverse-stepi's comparing each state with the recorded one, then the stepi's again.
fn retrace_script(steps: usize) -> String {
    format!(
        r#"
python
REGS = ["x%d" % i for i in range(31)] + ["sp", "pc", "cpsr", "fpsr", "fpcr", "v0", "v1"]
def state():
    return tuple(str(gdb.parse_and_eval("$" + r)) for r in REGS)
def mismatch(what, i, got, want):
    diff = [(r, g, w) for r, g, w in zip(REGS, got, want) if g != w]
    print("MISMATCH %s at %d: %s" % (what, i, diff[:4]))
N = {steps}
states = [state()]
for i in range(N):
    gdb.execute("stepi", to_string=True)
    states.append(state())
bad = 0
for i in range(N):
    gdb.execute("reverse-stepi", to_string=True)
    if state() != states[N - 1 - i]:
        mismatch("reverse", i, state(), states[N - 1 - i]); bad += 1
print("REVERSE %d/%d" % (N - bad, N))
bad = 0
for i in range(N):
    gdb.execute("stepi", to_string=True)
    if state() != states[i + 1]:
        mismatch("forward", i, state(), states[i + 1]); bad += 1
print("FORWARD %d/%d" % (N - bad, N))
print("PC-MOVED %s" % (len(set(s[32] for s in states)) > N // 4))
end
kill
"#
    )
}

fn assert_retraced(out: &str, emu: &str, steps: usize) {
    for line in [
        format!("REVERSE {steps}/{steps}"),
        format!("FORWARD {steps}/{steps}"),
        "PC-MOVED True".into(),
    ] {
        assert!(
            out.contains(&line),
            "missing {line:?} in gdb's output:\n{out}\narmvirt:\n{emu}"
        );
    }
}

#[test]
fn reverse_stepi_retraces_200_steps_in_the_kernel() {
    let script = format!("break start_kernel\ncontinue\n{}", retrace_script(200));
    let (out, emu) = session("reverse-stepi", &[], &script);
    assert!(out.contains("Breakpoint 1, start_kernel ()"), "{out}");
    assert_retraced(&out, &emu, 200);
}

#[test]
fn reverse_stepi_retraces_with_the_interpreter() {
    let script = format!("break start_kernel\ncontinue\n{}", retrace_script(200));
    let (out, emu) = session("reverse-stepi-interp", &["--engine", "interp"], &script);
    assert!(out.contains("Breakpoint 1, start_kernel ()"), "{out}");
    assert_retraced(&out, &emu, 200);
}

#[test]
fn reverse_stepi_on_the_second_vcpu_of_two() {
    // The secondary comes up through PSCI CPU_ON while the boot CPU goes on running: the
    // step acts on gdb's selected thread, history holds both. In the secondary's copy of
    // its ID registers: gdb steps a load/store-exclusive loop as one (a breakpoint after
    // it and a continue) but undoes it an instruction at a time, so the steps stop before
    // the first one (at 62 instructions in).
    let script = format!(
        "break __cpuinfo_store_cpu thread 2\ncontinue\ninfo threads\n{}",
        retrace_script(50)
    );
    let (out, emu) = session("reverse-stepi-smp", &["-smp", "2"], &script);
    assert!(
        out.contains("Thread 2 hit Breakpoint 1, __cpuinfo_store_cpu ("),
        "{out}"
    );
    assert_retraced(&out, &emu, 50);
}

/// The first "Old value = A\nNew value = B" pair after `from` in gdb's output, as text
/// (before the MMU is on gdb prints the old value as `<unreadable>`).
fn values_after(out: &str, from: usize) -> Option<(usize, String, String)> {
    let at = from + out[from..].find("Old value = ")?;
    let rest = &out[at + "Old value = ".len()..];
    let (old, rest) = rest.split_once("\nNew value = ")?;
    let new = rest.lines().next()?;
    Some((at + 1, old.trim().to_owned(), new.trim().to_owned()))
}

fn tick(value: &str) -> u64 {
    value
        .parse()
        .unwrap_or_else(|_| panic!("{value:?} is not a jiffies value"))
}

#[test]
fn reverse_continue_finds_who_wrote_jiffies_then_the_start_of_history() {
    let script = "watch jiffies
continue
continue
continue
echo REVERSE\\n
reverse-continue
p $pc
x/i $pc
reverse-finish
delete
echo TO-START\\n
reverse-continue
p/x $pc
kill
";
    let (out, emu) = session("reverse-watch", &[], script);
    let ctx = || format!("gdb:\n{out}\narmvirt:\n{emu}");
    // Three forward stops, each one tick later.
    let (a, _, t1) = values_after(&out, 0).unwrap_or_else(|| panic!("{}", ctx()));
    let (b, o2, t2) = values_after(&out, a).unwrap_or_else(|| panic!("{}", ctx()));
    let (c, o3, t3) = values_after(&out, b).unwrap_or_else(|| panic!("{}", ctx()));
    let (t1, t2, t3) = (tick(&t1), tick(&t2), tick(&t3));
    assert_eq!(
        (tick(&o2), t2, tick(&o3), t3),
        (t1, t1 + 1, t2, t2 + 1),
        "{}",
        ctx()
    );
    let reverse = out.find("REVERSE").unwrap_or_else(|| panic!("{}", ctx()));
    assert!(reverse > c);
    // Backward, the last write before the present: the third tick's, its values swapped.
    let (_, old, new) = values_after(&out, reverse).unwrap_or_else(|| panic!("{}", ctx()));
    assert_eq!((tick(&old), tick(&new)), (t3, t2), "{}", ctx());
    let after = &out[reverse..];
    // Stopped at the store itself (jiffies_64 += ticks in do_timer).
    assert!(after.contains("jiffies_64 += ticks;"), "{}", ctx());
    assert!(
        after.contains("<do_timer+") && after.contains("\tstr\t"),
        "{}",
        ctx()
    );
    // reverse-finish: back to do_timer's call site in tick_periodic.
    assert!(
        after.contains("tick_periodic (") && after.contains("do_timer(1);"),
        "{}",
        ctx()
    );
    let start = out.find("TO-START").unwrap_or_else(|| panic!("{}", ctx()));
    let end = &out[start..];
    assert!(
        end.contains("No more reverse-execution history."),
        "{}",
        ctx()
    );
    assert!(
        end.contains("= 0x40000000"),
        "back at the boot stub: {}",
        ctx()
    );
}
