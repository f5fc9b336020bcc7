//! Shared by the gdb end-to-end tests: a bare-metal Image built for debugging, armvirt
//! started with `--gdb` on a free port, and gdb-multiarch in batch mode against it.

#![allow(dead_code)]

use armvirt_cpu::a64;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

#[path = "../image_util/mod.rs"]
mod image_util;
pub use image_util::{bare_metal_image, padded, with_header, HEADER_LEN};

const PSCI_SYSTEM_OFF: u32 = 0x8400_0008;

/// Where the Image's first byte lands: RAM base + 2 MiB (the boot stub sits at RAM base).
pub const IMAGE_BASE: u64 = 0x4020_0000;
/// Offsets into the Image of the places the tests stop at.
pub const START: u64 = HEADER_LEN;
pub const BREAK_AT: u64 = START + 5 * 4;
pub const HBREAK_AT: u64 = BREAK_AT + 4;
pub const SPIN: u64 = HBREAK_AT + 4;
pub const BUFFER: u64 = SPIN + 7 * 4;
/// The buffer's first doubleword as the Image holds it.
pub const BUFFER_VALUE: u64 = 0x1122_3344_5566_7788;

/// A bare-metal Image: a few register moves to step through, two places to stop, then a
/// loop that spins until the word at `BUFFER + 8` is non-zero (the debugger sets it),
/// then PSCI SYSTEM_OFF.
pub fn debug_image() -> Vec<u8> {
    let image = with_header(&a64!(
        ; movz x1, 1                // START
        ; movz x2, 2
        ; add x3, x1, x2
        ; adr x4, ->buffer
        ; ldr x5, [x4]
        ; add x6, x5, 1             // BREAK_AT
        ; add x7, x6, 1             // HBREAK_AT
        ; ->spin:                   // SPIN
        ; ldr w8, [x4, 8]
        ; cbz w8, ->spin
        ; movz w0, PSCI_SYSTEM_OFF & 0xffff
        ; movk w0, PSCI_SYSTEM_OFF >> 16, lsl 16
        ; hvc 0
        ; ->hang:
        ; b ->hang
        ; nop                       // aligns the buffer (MMU off: Device memory)
        ; ->buffer:                 // BUFFER
        ; .u64 BUFFER_VALUE
        ; .u64 0
    ));
    assert_eq!(
        image.len() as u64,
        BUFFER + 16,
        "the offset constants are stale"
    );
    padded(image)
}

/// A scratch directory with the debug Image in it, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("armvirt-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Image"), debug_image()).unwrap();
        Scratch(dir)
    }

    pub fn image(&self) -> PathBuf {
        self.0.join("Image")
    }

    /// Writes another Image into the directory; returns its path.
    pub fn other_image(&self, name: &str, image: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, image).unwrap();
        p
    }

    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// A port nobody listens on now, and that no other test of this process is handed.
/// Ports come from a counter below Linux's ephemeral range (32768 and up), not from
/// binding port 0: the kernel may hand an ephemeral port to a second test thread in the
/// moment between one test's probe and its armvirt's bind, and that test's
/// `wait_listening` would then see the wrong listener.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    const FIRST: u16 = 20_000;
    const SPAN: u16 = 12_000;
    // Test binaries run one after another; the process id spreads them apart anyway.
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = std::process::id();
    for _ in 0..SPAN {
        let n = u32::from(NEXT.fetch_add(1, Ordering::Relaxed));
        let port = FIRST + ((base + n) % u32::from(SPAN)) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in {FIRST}..{}", FIRST + SPAN);
}

/// armvirt serving gdb on `port`, started halted with `-S` when `halted`; returns once it
/// listens.
pub fn start_armvirt(image: &Path, port: u16, halted: bool) -> Child {
    let halted: &[&str] = if halted { &["-S"] } else { &[] };
    let child = spawn_armvirt(image, &port.to_string(), halted);
    wait_listening(port);
    child
}

/// armvirt serving gdb on `gdb` (`--gdb`'s argument) with `args` besides; returns at once.
pub fn spawn_armvirt(image: &Path, gdb: &str, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_armvirt"))
        .arg("--kernel")
        .arg(image)
        .args(["-m", "256M", "--gdb", gdb])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run armvirt")
}

/// Waits until something listens on `port`: binding it then fails (Linux refuses to bind
/// a listening port even with SO_REUSEADDR). Connecting instead would be a gdb session.
pub fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpListener::bind(("127.0.0.1", port)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "armvirt never listened on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// gdb-multiarch in batch mode: `target remote :port`, then `script`.
pub fn gdb_command(port: u16, script: &Path) -> Command {
    gdb_command_with("remote", port, script)
}

/// gdb-multiarch in batch mode: `target <mode> :port` (remote, extended-remote), then
/// `script`.
pub fn gdb_command_with(mode: &str, port: u16, script: &Path) -> Command {
    gdb_command_at(&format!("{mode} :{port}"), script)
}

/// gdb-multiarch in batch mode: `target <target>` (`remote :1234`, `remote /tmp/sock`),
/// then `script`.
pub fn gdb_command_at(target: &str, script: &Path) -> Command {
    let mut cmd = Command::new("gdb-multiarch");
    cmd.args(["-nx", "-batch", "-ex", "set architecture aarch64", "-ex"])
        .arg(format!("target {target}"))
        .arg("-x")
        .arg(script)
        .stdin(Stdio::null());
    cmd
}

/// Waits for `child` with a deadline, killing it when it overstays.
pub fn wait_output(mut child: Child, secs: u64) -> Output {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            child.kill().ok();
            let out = child.wait_with_output().unwrap();
            panic!(
                "timed out; stdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts that `lines` appear in `out` in this order.
pub fn assert_in_order(out: &str, lines: &[String]) {
    let mut rest = out;
    for line in lines {
        let at = rest
            .find(line.as_str())
            .unwrap_or_else(|| panic!("missing (in order) {line:?} in:\n{out}"));
        rest = &rest[at + line.len()..];
    }
}

/// Runs `script` in gdb against armvirt, halted (`-S`) on `image` with `args`; returns
/// (gdb's stdout and stderr, armvirt's output) once both ended.
pub fn halted_session(
    dir: &Scratch,
    image: &Path,
    args: &[&str],
    script: &str,
) -> (String, Output) {
    let port = free_port();
    let mut all = vec!["-S"];
    all.extend_from_slice(args);
    let emu = spawn_armvirt(image, &port.to_string(), &all);
    wait_listening(port);
    let script = dir.file("script", script);
    let gdb = gdb_command(port, &script)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gdb-multiarch");
    let out = wait_output(gdb, 60);
    let gdb = format!("{}\n[gdb stderr]\n{}", text(&out.stdout), text(&out.stderr));
    (gdb, wait_output(emu, 30))
}

const PSCI_CPU_ON_64: u32 = 0xc400_0003;

/// Offsets into the SMP Image: vCPU 0 spins at `PRIMARY_LOOP`, vCPU 1 (started with
/// PSCI CPU_ON) at `SECONDARY_LOOP`; only vCPU 1 ever executes the secondary's code.
pub const PRIMARY_LOOP: u64 = START + 6 * 4;
pub const SECONDARY_LOOP: u64 = START + 9 * 4;

/// Two vCPUs, each in its own loop counting in its own register (x10, x11).
pub fn smp_image() -> Vec<u8> {
    let body = a64!(
        ; movz w0, PSCI_CPU_ON_64 & 0xffff
        ; movk w0, PSCI_CPU_ON_64 >> 16, lsl 16
        ; movz x1, 1                 // target: MPIDR affinity 1
        ; adr x2, ->secondary        // entry point
        ; movz x3, 0                 // context id
        ; hvc 0
        ; ->primary:                 // PRIMARY_LOOP
        ; add x10, x10, 1
        ; b ->primary
        ; ->secondary:
        ; movz x11, 0
        ; ->secondary_loop:          // SECONDARY_LOOP
        ; add x11, x11, 1
        ; b ->secondary_loop
    );
    bare_metal_image(&body)
}

/// Offsets into the IRQ Image: the instruction that unmasks IRQs, the loop after it, and
/// the vector table (2 KiB aligned, as VBAR_EL1 requires).
pub const UNMASK: u64 = START + 16 * 4;
pub const IRQ_LOOP: u64 = UNMASK + 4;
pub const VECTORS: u64 = 0x800;
/// Current EL with SP_ELx, IRQ (Arm ARM D1.10.2).
pub const IRQ_VECTOR: u64 = VECTORS + 0x280;

/// Arms the virtual timer to fire at once (CVAL 0) with its PPI (INTID 27) enabled in the
/// GICv2, then unmasks IRQs at `UNMASK` and counts in x9: an IRQ is pending from the
/// first instruction after the unmask. The IRQ vector spins.
pub fn irq_image() -> Vec<u8> {
    // MSR/MRS take the system register as op0[0]:op1:CRn:CRm:op2 (DEPENDENCIES.md).
    const VBAR_EL1: u32 = 0x4600;
    const CNTV_CTL_EL0: u32 = 0x5f19;
    const CNTV_CVAL_EL0: u32 = 0x5f1a;
    const MSR_DAIFCLR_I: u32 = 0xd503_42ff;
    const GICD: u32 = 0x0800_0000;
    const GICC: u32 = 0x0801_0000;
    const VTIMER_PPI: u32 = 27;
    let body = a64!(
        ; ->here:
        ; adr x0, ->here             // the Image's base + START
        ; add x0, x0, (VECTORS - START) as u32
        ; msr VBAR_EL1, x0
        ; movz x1, GICD >> 16, lsl 16
        ; movz w2, 1
        ; str w2, [x1]
        ; movz w2, (1u32 << VTIMER_PPI) >> 16, lsl 16
        ; str w2, [x1, 0x100]
        ; movz x3, GICC >> 16, lsl 16
        ; movz w2, 0xff
        ; str w2, [x3, 4]
        ; movz w2, 1
        ; str w2, [x3]
        ; msr CNTV_CVAL_EL0, xzr
        ; movz x2, 1
        ; msr CNTV_CTL_EL0, x2
        ; .u32 MSR_DAIFCLR_I         // UNMASK
        ; ->irq_loop:                // IRQ_LOOP
        ; add x9, x9, 1
        ; b ->irq_loop
    );
    let mut image = with_header(&body);
    image.resize(IRQ_VECTOR as usize, 0);
    image.extend(a64!(; ->vector: ; b ->vector));
    padded(image)
}
