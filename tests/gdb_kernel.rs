//! End to end: the kernel debugging session of issue #4, with Debian's gdb-multiarch in
//! batch mode and the project's debug kernel (its vmlinux and vmlinux-gdb.py), against
//! `armvirt -S --gdb PORT` and, as the reference, `qemu-system-aarch64 -S -gdb` running
//! the same kernel, initramfs and command line with the same gdb script.
//!
//! The script is a list of named steps; each step's output is asserted on for armvirt and
//! compared with QEMU's where the two machines must agree (breakpoint locations, source
//! lines, backtraces, disassembly, stepping, the kernel's own helpers). The guest loads the
//! debug kernel's two modules before its shell comes up, for `lx-lsmod` and `lx-symbols`.
//! One session on one vCPU covers the list but watchpoints and threads, which a
//! second session on two vCPUs covers.
//!
//! Fixtures (fixtures/install.sh): the debug kernel and the busybox initramfs in
//! $ARMVIRT_CACHE (default ~/.cache/armvirt). The QEMU run uses fixtures/qemu-boot.sh.

mod fixture_cache;
mod gdb_util;
use fixture_cache::{fixture, run_script_append};
use gdb_util::{free_port, wait_listening};
use std::collections::BTreeSet;
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const KERNEL_DIR: &str = "debug-kernel/current";
/// What the guest runs instead of the initramfs's plain shell: it loads the debug
/// kernel's two modules (for `lx-lsmod`), then the interactive shell.
const GUEST_SCRIPT: &str =
    "insmod /lib/modules/crc7.ko && insmod /lib/modules/crc-itu-t.ko; exec setsid cttyhack sh -l\n";
/// The initramfs's interactive shell prompt: the kernel has booted to userspace.
const PROMPT: &str = "/ # ";
/// Whole-session deadline for one machine (boot to the shell included).
const SESSION_SECS: u64 = 300;
/// How long Ctrl-C may take to stop a running kernel (gdb's SIGINT to its prompt).
const INTERRUPT_SECS: f64 = 1.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Emulator {
    Armvirt,
    Qemu,
}

/// A file that a child process writes and the test reads as it grows.
struct Log(PathBuf);

impl Log {
    fn new(dir: &Path, name: &str) -> (Self, File) {
        let path = dir.join(name);
        let file = File::create(&path).unwrap();
        (Log(path), file)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.0).unwrap_or_default()).replace('\r', "")
    }
}

/// A scratch directory for the logs, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("armvirt-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// A process in its own process group, killed with its children if the test ends early.
struct Proc(Option<Child>);

impl Proc {
    fn spawn(mut cmd: Command) -> Self {
        Proc(Some(cmd.process_group(0).spawn().expect("spawn")))
    }

    fn id(&self) -> u32 {
        self.0.as_ref().unwrap().id()
    }

    fn running(&mut self) -> bool {
        self.0.as_mut().unwrap().try_wait().unwrap().is_none()
    }

    /// Waits up to `secs` for the exit status; `None` (and killed) if it overstays.
    fn wait(&mut self, secs: u64) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.running() {
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.0.take().unwrap().wait().unwrap().code()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stderr(Stdio::null())
                .status()
                .ok();
            child.wait().ok();
        }
    }
}

/// The kernel command line: the console, and the guest script for the initramfs's /init
/// (`armvirt.run=BASE64`).
fn append() -> String {
    run_script_append(GUEST_SCRIPT)
}

/// The initramfs with the debug kernel's modules added under /lib/modules: Linux unpacks
/// every archive of a concatenation, each starting 4-byte aligned with zeros between
/// (Documentation/driver-api/early-userspace/buffer-format.rst).
fn initrd_with_modules(dir: &Path) -> PathBuf {
    let mut bytes = std::fs::read(fixture("initramfs/initramfs.cpio.gz")).unwrap();
    bytes.resize(bytes.len().next_multiple_of(4), 0);
    bytes.extend(std::fs::read(fixture(&format!("{KERNEL_DIR}/modules.cpio"))).unwrap());
    let path = dir.join("initrd");
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The guest: the debug kernel halted at reset, serving gdb on `port`, booting with
/// `initrd`; its console goes to `console`.
fn start_guest(emu: Emulator, port: u16, smp: u32, initrd: &Path, console: File) -> Proc {
    let kernel = fixture(&format!("{KERNEL_DIR}/Image"));
    let append = append();
    let mut cmd = match emu {
        Emulator::Armvirt => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_armvirt"));
            c.arg("--kernel")
                .arg(&kernel)
                .arg("--initrd")
                .arg(initrd)
                .args(["--append", &append, "-m", "1G", "--smp", &smp.to_string()])
                .args(["-S", "--gdb", &port.to_string()]);
            c
        }
        Emulator::Qemu => {
            let mut c =
                Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/qemu-boot.sh"));
            c.args(["--smp", &smp.to_string(), "--timeout", "600"])
                .args(["--gdb", &port.to_string()])
                .arg(&kernel)
                .arg(initrd)
                .arg(&append);
            c
        }
    };
    cmd.stdin(Stdio::null())
        .stdout(console.try_clone().unwrap())
        .stderr(console);
    let p = Proc::spawn(cmd);
    wait_listening(port);
    p
}

/// One named step of a gdb script: its commands, each run by gdb as its own `-ex` so an
/// error in one (a register QEMU does not have) does not end the script. `{port}` and
/// `{kernel}` are filled in.
struct Step {
    name: &'static str,
    commands: &'static [&'static str],
}

const fn step(name: &'static str, commands: &'static [&'static str]) -> Step {
    Step { name, commands }
}

/// gdb's output, split into the steps that printed it.
struct Transcript {
    steps: Vec<(String, String)>,
    all: String,
}

impl Transcript {
    fn parse(all: String) -> Self {
        let mut steps: Vec<(String, String)> = vec![("(start)".into(), String::new())];
        for line in all.lines() {
            if let Some(name) = line.strip_prefix(MARK) {
                steps.push((name.to_string(), String::new()));
            } else {
                let text = &mut steps.last_mut().unwrap().1;
                text.push_str(line);
                text.push('\n');
            }
        }
        Transcript { steps, all }
    }

    /// What step `name` printed.
    fn get(&self, name: &str) -> &str {
        self.steps
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
            .unwrap_or_else(|| panic!("no step {name:?} in:\n{}", self.all))
    }

    /// Asserts that step `name` printed each of `lines`, in order.
    fn expect(&self, name: &str, lines: &[&str]) {
        let text = self.get(name);
        let mut rest = text;
        for line in lines {
            let at = rest.find(line).unwrap_or_else(|| {
                panic!(
                    "step {name}: missing (in order) {line:?} in:\n{text}\n[whole session]\n{}",
                    self.all
                )
            });
            rest = &rest[at + line.len()..];
        }
    }
}

/// Printed by gdb before each step's commands.
const MARK: &str = "@@ step ";

/// gdb-multiarch in batch mode on the debug kernel's vmlinux, running `steps` in `cwd`
/// (where `lx-symbols` also looks for modules); stdout and stderr both go to `out` (so
/// errors sit in the step that caused them).
fn gdb(port: u16, steps: &[Step], cwd: &Path, out: File) -> Proc {
    let dir = fixture(KERNEL_DIR);
    let mut cmd = Command::new("gdb-multiarch");
    cmd.current_dir(cwd)
        .args(["-nx", "-batch"])
        .args(["-ex", "set pagination off", "-ex", "set confirm off"])
        .args(["-ex", "set width 0"]);
    for s in steps {
        cmd.arg("-ex").arg(format!("echo {MARK}{}\\n", s.name));
        for c in s.commands {
            let c = c
                .replace("{port}", &port.to_string())
                .replace("{kernel}", dir.to_str().unwrap());
            cmd.arg("-ex").arg(c);
        }
    }
    cmd.arg(dir.join("vmlinux"))
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out);
    Proc::spawn(cmd)
}

/// The session on one vCPU, from reset to the kernel's helpers on the booted
/// system, ending in a detach. The guest runs to the shell during `ctrl-c`'s `continue`,
/// where the test sends gdb a SIGINT (Ctrl-C at gdb's prompt).
const SESSION: &[Step] = &[
    step("connect", &["target extended-remote :{port}"]),
    step(
        "helpers",
        &[
            "add-auto-load-safe-path {kernel}",
            "source {kernel}/vmlinux-gdb.py",
        ],
    ),
    // A kernel VA, set while the MMU is still off.
    step("break", &["break start_kernel", "continue"]),
    step("bt", &["bt"]),
    step(
        "registers",
        &[
            "info registers",
            "p $pc == (unsigned long)&start_kernel",
            // EL1h: PSTATE.M = 0b0101 (booting.rst enters the kernel at EL1).
            "p $cpsr & 0xf",
        ],
    ),
    step("x/4i", &["x/4i $pc"]),
    step("stepi", &["stepi", "p $pc"]),
    step("next", &["next", "next", "p $pc"]),
    // `finish` prints where it runs from only when typed: from_tty as at the prompt.
    step(
        "finish",
        &[
            "break setup_arch",
            "continue",
            "python gdb.execute('finish', True)",
        ],
    ),
    step("hbreak", &["hbreak rest_init", "continue", "bt"]),
    // QEMU names SCTLR_EL1 "SCTLR" (its cpreg name): print both, one is void. QEMU has
    // no CurrentEL or DAIF (void there).
    step(
        "sysregs",
        &[
            "p/x $SCTLR_EL1",
            "p/x $SCTLR",
            "p/x $TTBR1_EL1",
            "p/x $CurrentEL",
            "p/x $DAIF",
        ],
    ),
    step(
        "set-register",
        &["set $x0 = 1", "p $x0", "set $x0 = 0x1234", "p/x $x0"],
    ),
    // Stepping where interrupts are unmasked (kernel_init runs with the timer ticking):
    // steps do not wander into the IRQ vector, `next` and `finish` land where QEMU's do.
    step(
        "irqs-on",
        &[
            "break kernel_init",
            "continue",
            "next",
            "next",
            // What comes after depends on when the timer fires, which QEMU's host-timed
            // clock does not repeat: only the part before this mark is compared with QEMU.
            "echo -- timer-dependent from here --\\n",
            "stepi 20",
            "info symbol $pc",
            "next",
            "step",
            "bt 1",
            "python gdb.execute('finish', True)",
            "delete",
        ],
    ),
    // init's first write(2): a backtrace from EL0's SVC, a user address read through
    // TTBR0_EL1, the kernel's helpers on the current task, and the return value.
    step(
        "syscall",
        &[
            "break __arm64_sys_write",
            "continue",
            "bt",
            "p $lx_current().comm",
            // The SVC's syndrome (EC 0x15, AArch64 SVC; imm16 0) and where it came from.
            "p/x $ESR_EL1",
            "p $SPSR_EL1 & 0xf",
            "x/s ((struct pt_regs *)$x0)->regs[1]",
            "python gdb.execute('finish', True)",
            "delete",
        ],
    ),
    // Still in the kernel after the syscall: SP_EL1 is the live stack pointer, SP_EL0
    // holds `current` (arch/arm64/include/asm/current.h). QEMU shows a stale SP_EL1.
    step(
        "banked-sp",
        &[
            "p $SP_EL1 == $sp",
            "p ((struct task_struct *)$SP_EL0)->comm",
        ],
    ),
    step("ctrl-c", &["continue"]),
    step("lx-version", &["lx-version"]),
    step("lx-cmdline", &["lx-cmdline"]),
    step("lx-ps", &["lx-ps"]),
    step("lx-dmesg", &["lx-dmesg"]),
    step("lx-lsmod", &["lx-lsmod"]),
    // The modules' symbols, from their .ko files; their data read at module addresses.
    step(
        "lx-symbols",
        &[
            "lx-symbols {kernel}/modules",
            "x/8xb crc7_be_syndrome_table",
            "x/4xh crc_itu_t_table",
        ],
    ),
    step("detach", &["detach"]),
];

/// A second gdb on the same guest, after the first detached: it attaches to the running
/// kernel, looks, and kills the machine.
const RECONNECT: &[Step] = &[
    step("connect", &["target extended-remote :{port}"]),
    step(
        "helpers",
        &[
            "add-auto-load-safe-path {kernel}",
            "source {kernel}/vmlinux-gdb.py",
        ],
    ),
    step("lx-version", &["lx-version"]),
    step("kill", &["kill"]),
];

/// What one machine printed for the session.
struct Run {
    session: Transcript,
    reconnect: Transcript,
    console: String,
    /// Wall time from gdb's Ctrl-C to its "Program received signal SIGINT".
    interrupt: Duration,
    guest_status: Option<i32>,
}

/// Runs `session` in gdb against the guest on `smp` vCPUs, sending gdb a Ctrl-C once the
/// guest's shell is up, then `reconnect` in a second gdb.
fn run(emu: Emulator, smp: u32, session: &[Step], reconnect: &[Step]) -> Run {
    // One name for both machines: lx-symbols prints the directory gdb runs in.
    let dir = Scratch::new(&format!("gdb-kernel-{smp}"));
    let port = free_port();
    let (console, console_file) = Log::new(&dir.0, "console");
    let initrd = initrd_with_modules(&dir.0);
    let mut guest = start_guest(emu, port, smp, &initrd, console_file);

    let (out, out_file) = Log::new(&dir.0, "gdb");
    let mut g = gdb(port, session, &dir.0, out_file);
    let deadline = Instant::now() + Duration::from_secs(SESSION_SECS);
    // Ctrl-C once the shell is up: gdb is in `ctrl-c`'s `continue` then.
    let mut sent: Option<Instant> = None;
    let mut interrupt = None;
    while g.running() {
        assert!(
            Instant::now() < deadline,
            "{emu:?}: the session timed out:\n{}\n[console]\n{}",
            out.text(),
            console.text()
        );
        match sent {
            None if console.text().contains(PROMPT) => {
                Command::new("kill")
                    .args(["-INT", &g.id().to_string()])
                    .status()
                    .unwrap();
                sent = Some(Instant::now());
            }
            Some(at) if interrupt.is_none() && out.text().contains("SIGINT, Interrupt.") => {
                interrupt = Some(at.elapsed());
            }
            _ => {}
        }
        // Fine enough to time Ctrl-C in milliseconds.
        std::thread::sleep(Duration::from_millis(2));
    }
    g.wait(5);
    let session = Transcript::parse(out.text());
    let interrupt = interrupt.unwrap_or_else(|| {
        panic!(
            "{emu:?}: Ctrl-C did not stop the kernel (prompt seen: {}):\n{}",
            sent.is_some(),
            session.all
        )
    });

    // The guest goes on after the detach; a second gdb attaches to it and kills it.
    let (out2, out2_file) = Log::new(&dir.0, "gdb2");
    let mut g2 = gdb(port, reconnect, &dir.0, out2_file);
    assert!(
        g2.wait(SESSION_SECS).is_some(),
        "{emu:?}: reconnect timed out:\n{}",
        out2.text()
    );
    let reconnect = Transcript::parse(out2.text());
    let guest_status = guest.wait(30);
    Run {
        session,
        reconnect,
        console: console.text(),
        interrupt,
        guest_status,
    }
}

/// Steps whose output must be the same on both machines, word for word.
const SAME_ON_BOTH: &[&str] = &[
    "connect",
    "break",
    "bt",
    "x/4i",
    "stepi",
    "next",
    "finish",
    "hbreak",
    "lx-version",
    "lx-cmdline",
    "lx-lsmod",
    "lx-symbols",
];

/// `info registers` lines of the registers start_kernel's entry fixes on any machine: the
/// stack and frame pointers, the link register, the PC, and x21 (head.S keeps the DTB's
/// address there; armvirt places the DTB where QEMU does). The rest hold leftovers of
/// early boot that depend on the DTB's contents; cpsr is printed with armvirt's flags
/// type but as QEMU's plain integer.
fn registers(text: &str) -> Vec<&str> {
    const FIXED: &[&str] = &["x21 ", "x29 ", "x30 ", "sp ", "pc "];
    text.lines()
        .filter(|l| FIXED.iter().any(|r| l.starts_with(r)))
        .collect()
}

/// The mark in the `irqs-on` step after which what gdb prints depends on the timer.
const TIMER_DEPENDENT: &str = "-- timer-dependent from here --";

/// The `n`th value a step printed that is not void (a register the machine lacks).
fn value(text: &str, n: usize) -> String {
    text.lines()
        .filter(|l| l.starts_with('$') && !l.ends_with("= void"))
        .nth(n)
        .and_then(|l| l.split_once(" = "))
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

/// System registers whose values differ between armvirt's cortex-A72 and QEMU's, and why.
const KNOWN_DIFFERENT: &[&str] = &[
    // PMUVer: QEMU's A72 has a PMUv3, armvirt has no PMU.
    "ID_AA64DFR0_EL1",
    // armvirt: TGran16 supported, BigEnd 0 (no big-endian data); the A72 TRM and QEMU:
    // 0x1124, no 16 KiB granule, mixed-endian support.
    "ID_AA64MMFR0_EL1",
    // AArch32 SIMD/FP features: QEMU's A72 has AArch32 at EL0, armvirt has no AArch32.
    "MVFR0_EL1",
    "MVFR1_EL1",
    "MVFR2_EL1",
    // QEMU shows a stale SP_EL1 while it is the live stack pointer (at EL1h).
    "SP_EL1",
    // The counters and timers read the machines' own clocks.
    "CNTPCT_EL0",
    "CNTVCT_EL0",
    "CNTP_TVAL_EL0",
    "CNTV_TVAL_EL0",
];

/// `info registers` lines of system registers (upper-case names), name to value.
fn system_registers(text: &str) -> std::collections::BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            Some((words.next()?, words.next()?))
        })
        .filter(|(name, _)| name.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

/// Process names `lx-ps` lists; workqueue workers (`kworker/u2:1`) are named after the
/// order they were created in, which timing decides, so they count as one name.
fn process_names(text: &str) -> BTreeSet<&str> {
    text.lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(2))
        .map(|n| {
            if n.starts_with("kworker/") {
                "kworker"
            } else {
                n
            }
        })
        .collect()
}

/// Kernel log lines without their timestamps.
fn messages(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.split_once("] ").map(|(_, m)| m))
        .collect()
}

/// Messages whose text does not depend on the machine or the time it took.
const MACHINE_INDEPENDENT: &[&str] = &[
    "Booting Linux on physical CPU 0x0000000000 [0x410fd083]",
    "Machine model: linux,dummy-virt",
    "Kernel command line: console=ttyAMA0 armvirt.run=",
    "psci: PSCIv1.1 detected in firmware.",
    "smp: Brought up 1 node, 1 CPU",
    "CPU: All CPU(s) started at EL1",
    "9000000.pl011: ttyAMA0 at MMIO 0x9000000 (irq = 13, base_baud = 0) is a PL011 rev1",
    "rtc-pl031 9010000.pl031: registered as rtc0",
    // The size is the kernel configuration's, not the machine's.
    "Freeing unused kernel memory: ",
    "Run /init as init process",
];

fn check_armvirt(r: &Run) {
    let s = &r.session;
    s.expect("connect", &["0x0000000040000000 in ?? ()"]);
    s.expect(
        "break",
        &[
            "Breakpoint 1 at 0xffffffc0",
            "init/main.c, line ",
            "Breakpoint 1, start_kernel () at ",
            "init/main.c:",
        ],
    );
    s.expect(
        "bt",
        &[
            "#0  start_kernel () at ",
            "#1  0x",
            " in __primary_switched () at ",
        ],
    );
    s.expect(
        "registers",
        &[
            "x0  ",
            "x30 ",
            "sp  ",
            "pc  ",
            " <start_kernel>",
            "$1 = 1",
            "$2 = 5",
        ],
    );
    s.expect(
        "x/4i",
        &[
            "=> 0xffffffc0",
            " <start_kernel>:\t",
            " <start_kernel+4>:\t",
            " <start_kernel+12>:\t",
        ],
    );
    s.expect("stepi", &["$3 = (void (*)()) 0x", " <start_kernel+4>"]);
    s.expect("next", &[" <start_kernel+"]);
    s.expect(
        "finish",
        &[
            "Breakpoint 2, setup_arch (",
            "Run till exit from #0  setup_arch (",
            "start_kernel () at ",
        ],
    );
    s.expect(
        "hbreak",
        &[
            "Hardware assisted breakpoint 3 at 0xffffffc0",
            "Breakpoint 3, rest_init () at ",
            "#0  rest_init () at ",
            "in arch_call_rest_init () at ",
            "in start_kernel () at ",
        ],
    );
    // The MMU is on by now (SCTLR_EL1.M) and TTBR1_EL1 holds swapper_pg_dir.
    // At EL1, with interrupts unmasked by start_kernel (local_irq_enable).
    s.expect(
        "sysregs",
        &["$5 = 0x", "$6 = void", "$7 = 0x", "$8 = 0x4", "$9 = 0x0"],
    );
    let sctlr = value(s.get("sysregs"), 0);
    assert!(
        u64::from_str_radix(sctlr.trim_start_matches("0x"), 16).is_ok_and(|v| v & 1 == 1),
        "SCTLR_EL1.M is clear at rest_init: {sctlr}"
    );
    s.expect("set-register", &["$10 = 1", "$11 = 0x1234"]);
    s.expect(
        "syscall",
        &[
            "Breakpoint 5, __arm64_sys_write (regs=0x",
            "#0  __arm64_sys_write (",
            " in el0_svc (",
            " in el0t_64_sync () at ",
            "$12 = \"init\"",
            "$13 = 0x56000000",
            // EL0t.
            "$14 = 0",
            ":\t\"armvirt-init: userspace up\\n\"",
            "Run till exit from #0  __arm64_sys_write (",
            "Value returned is $15 = 27",
        ],
    );
    s.expect(
        "irqs-on",
        &[
            "Breakpoint 4, kernel_init (",
            "in section .text",
            "Run till exit from #0  ",
        ],
    );
    assert!(
        !s.get("irqs-on").contains("el1h_64_irq"),
        "a step went into the IRQ vector:\n{}",
        s.get("irqs-on")
    );
    s.expect("banked-sp", &["$16 = 1", "$17 = \"init\""]);
    // Where it stops is wherever the kernel (or, rarely, the shell) was.
    s.expect("ctrl-c", &["Program received signal SIGINT, Interrupt."]);
    s.expect("lx-version", &["Linux version 6.1.", "-armvirt-debug"]);
    s.expect("lx-cmdline", &[&append()]);
    s.expect("lx-ps", &["TASK", "PID", "COMM", "swapper/0", "init", "sh"]);
    s.expect("lx-dmesg", &["Booting Linux on physical CPU", "Run /init"]);
    s.expect(
        "lx-lsmod",
        &["Address", "Module", "Size  Used by", "crc_itu_t", "crc7"],
    );
    s.expect(
        "lx-symbols",
        &[
            "loading @0x",
            "/modules/crc",
            // lib/crc7.c and lib/crc-itu-t.c: the tables' first entries.
            "<crc7_be_syndrome_table>:\t0x00\t0x12\t0x24\t0x36\t0x48\t0x5a\t0x6c\t0x7e",
            "<crc_itu_t_table>:\t0x0000\t0x1021\t0x2042\t0x3063",
        ],
    );
    s.expect("detach", &["[Inferior 1 (process 1) detached]"]);
    r.reconnect
        .expect("lx-version", &["Linux version 6.1.", "-armvirt-debug"]);
    r.reconnect
        .expect("kill", &["[Inferior 1 (process 1) killed]"]);
    assert!(
        !r.session.all.contains("Cannot access memory"),
        "{}",
        r.session.all
    );
    assert_eq!(
        r.guest_status,
        Some(0),
        "armvirt after kill:\n{}",
        r.console
    );
}

/// Checks that hold on either machine: the kernel's own view of itself.
fn check_self_consistent(emu: Emulator, r: &Run) {
    // lx-dmesg reads the printk ring from guest memory: every kernel line the console
    // showed is in it.
    let dmesg = messages(r.session.get("lx-dmesg"));
    for line in messages(&r.console) {
        assert!(
            dmesg.contains(&line),
            "{emu:?}: console line {line:?} not in lx-dmesg:\n{}",
            r.session.get("lx-dmesg")
        );
    }
    for line in MACHINE_INDEPENDENT {
        assert!(
            dmesg.iter().any(|m| m.starts_with(line)),
            "{emu:?}: {line:?} not in lx-dmesg:\n{}",
            r.session.get("lx-dmesg")
        );
    }
    assert!(
        r.interrupt.as_secs_f64() < INTERRUPT_SECS,
        "{emu:?}: Ctrl-C took {:?}",
        r.interrupt
    );
}

fn compare(a: &Run, q: &Run) {
    for name in SAME_ON_BOTH {
        assert_eq!(
            a.session.get(name),
            q.session.get(name),
            "step {name}: armvirt (left) and QEMU (right) differ"
        );
    }
    assert_eq!(
        registers(a.session.get("registers")),
        registers(q.session.get("registers")),
        "info registers at start_kernel: armvirt (left) and QEMU (right) differ"
    );
    // System registers both machines name alike hold the same values at start_kernel,
    // but for the differences between the two CPUs' feature sets.
    let (ra, rq) = (
        system_registers(a.session.get("registers")),
        system_registers(q.session.get("registers")),
    );
    let differing: Vec<String> = ra
        .iter()
        .filter(|(name, va)| {
            rq.get(*name).is_some_and(|vq| vq != *va) && !KNOWN_DIFFERENT.contains(&name.as_str())
        })
        .map(|(name, va)| format!("{name}: armvirt {va}, QEMU {}", rq[name]))
        .collect();
    assert!(
        differing.is_empty(),
        "system registers at start_kernel differ: {differing:#?}"
    );
    // The same system registers under their two names.
    // Breakpoint and `next`s in kernel_init land on the same lines; past the mark, where
    // a step ends depends on the timer, whose host-timed ticks under QEMU do not repeat.
    let untimed = |t: &str| t.split(TIMER_DEPENDENT).next().unwrap_or("").to_string();
    assert_eq!(
        untimed(a.session.get("irqs-on")),
        untimed(q.session.get("irqs-on")),
        "step irqs-on: armvirt (left) and QEMU (right) differ"
    );
    // The string write(2) got sits at a user address that differs (user-space ASLR).
    let kernel_side = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.contains(":\t\""))
            .map(String::from)
            .collect()
    };
    assert_eq!(
        kernel_side(a.session.get("syscall")),
        kernel_side(q.session.get("syscall")),
        "step syscall: armvirt (left) and QEMU (right) differ"
    );
    let (sa, sq) = (a.session.get("sysregs"), q.session.get("sysregs"));
    assert_eq!(value(sa, 0), value(sq, 0), "SCTLR_EL1:\n{sa}\n{sq}");
    assert_eq!(value(sa, 1), value(sq, 1), "TTBR1_EL1:\n{sa}\n{sq}");
    assert_eq!(
        process_names(a.session.get("lx-ps")),
        process_names(q.session.get("lx-ps")),
        "lx-ps: armvirt (left) and QEMU (right) differ"
    );
    assert_eq!(a.reconnect.get("lx-version"), q.reconnect.get("lx-version"));
}

#[test]
fn kernel_session_as_under_qemu() {
    let a = run(Emulator::Armvirt, 1, SESSION, RECONNECT);
    check_armvirt(&a);
    check_self_consistent(Emulator::Armvirt, &a);
    let q = run(Emulator::Qemu, 1, SESSION, RECONNECT);
    check_self_consistent(Emulator::Qemu, &q);
    compare(&a, &q);
    eprintln!(
        "Ctrl-C to stop: armvirt {:?}, QEMU {:?}",
        a.interrupt, q.interrupt
    );
}

/// The session's steps on two vCPUs: a write watchpoint on jiffies, stopping after the
/// timer interrupt's write with the old and new values; one thread per vCPU once the
/// secondary is up, and `thread 2` acting on the second vCPU.
const WATCH_AND_THREADS: &[Step] = &[
    step("connect", &["target extended-remote :{port}"]),
    step("hbreak", &["hbreak rest_init", "continue", "delete"]),
    step("watch", &["watch jiffies", "continue", "delete"]),
    step("ctrl-c", &["continue"]),
    step(
        "threads",
        &["info threads", "thread 2", "bt 1", "p $_thread"],
    ),
    step("detach", &["detach"]),
];

#[test]
fn watchpoints_and_threads_on_two_vcpus_as_under_qemu() {
    let mut runs = Vec::new();
    for emu in [Emulator::Armvirt, Emulator::Qemu] {
        let r = run(emu, 2, WATCH_AND_THREADS, RECONNECT);
        let s = &r.session;
        s.expect("hbreak", &["Thread 1 hit Breakpoint 1, rest_init () at "]);
        s.expect(
            "watch",
            &[
                "Hardware watchpoint 2: jiffies",
                "Thread 1 hit Hardware watchpoint 2: jiffies",
                "Old value = ",
                "New value = ",
                "do_timer (ticks=",
            ],
        );
        // Named as QEMU names its vCPUs.
        s.expect(
            "threads",
            &[
                "* 1    Thread 1.1 (CPU#0 [",
                "  2    Thread 1.2 (CPU#1 [",
                "[Switching to thread 2 (Thread 1.2)]",
                "#0  ",
                "$1 = 2",
            ],
        );
        s.expect("detach", &["[Inferior 1 (process 1) detached]"]);
        r.reconnect
            .expect("kill", &["[Inferior 1 (process 1) killed]"]);
        runs.push(r);
    }
    // The timer tick adds to jiffies (one tick, or those an idle CPU missed: NO_HZ_IDLE).
    let step = |r: &Run| -> Option<i64> {
        let t = r.session.get("watch");
        let value = |key: &str| -> Option<i64> {
            let line = t.lines().find(|l| l.starts_with(key))?;
            line[key.len()..].trim().parse().ok()
        };
        Some(value("New value = ")? - value("Old value = ")?)
    };
    for r in &runs {
        assert!(
            step(r).is_some_and(|d| d >= 1),
            "{}",
            r.session.get("watch")
        );
    }
    // Where the watchpoint stopped is the same on both; jiffies' value is not (QEMU's
    // virtual time follows the host's clock).
    let place = |r: &Run| -> Vec<String> {
        r.session
            .get("watch")
            .lines()
            .filter(|l| !l.contains(" value = "))
            .map(String::from)
            .collect()
    };
    assert_eq!(
        place(&runs[0]),
        place(&runs[1]),
        "step watch: armvirt (left) and QEMU (right) differ"
    );
    assert_eq!(runs[0].guest_status, Some(0), "{}", runs[0].console);
}
