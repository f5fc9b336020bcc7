//! End to end: armvirt run with QEMU's command lines (issue 10, "QEMU drop-in"). Tiny
//! bare-metal Images print on the PL011 and then power off, reset or spin; the tests check
//! the exit statuses QEMU's users rely on (0 at power-off and at a reset under
//! `-no-reboot`, a reboot without it), armvirt's own (`--timeout` 124, a kernel panic line
//! 4), that every unsupported option is refused with one line naming it, and that
//! `-cpu cortex-a53|cortex-a57` give the same /proc/cpuinfo as QEMU's on Debian's kernel.

mod fixture_cache;
mod gdb_util;
mod process_util;
use armvirt_cpu::a64;
use fixture_cache::{fixture, run_script_append};
use gdb_util::{bare_metal_image, padded, with_header, HEADER_LEN};
use process_util::{run_with_input, run_with_timeout};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const UART_DR: u32 = 0x0900_0000;
const PSCI_SYSTEM_OFF: u32 = 0x8400_0008;
const PSCI_SYSTEM_RESET: u32 = 0x8400_0009;

/// What a test Image does after printing.
#[derive(Clone, Copy)]
enum Then {
    PowerOff,
    Reset,
    Spin,
}

/// An Image that prints `msg` on the UART, then powers off, resets or spins.
fn console_image(msg: &[u8], then: Then) -> Vec<u8> {
    let psci = match then {
        Then::PowerOff => PSCI_SYSTEM_OFF,
        Then::Reset => PSCI_SYSTEM_RESET,
        Then::Spin => 0,
    };
    let mut msg = msg.to_vec();
    msg.push(0);
    bare_metal_image(&a64!(
        ; movz x20, UART_DR >> 16, lsl 16
        ; adr x1, ->msg
        ; ->puts:
        ; ldrb w2, [x1], 1
        ; cbz w2, ->done
        ; strb w2, [x20]
        ; b ->puts
        ; ->done:
        ; movz w0, psci & 0xffff
        ; movk w0, psci >> 16, lsl 16
        ; cbz w0, ->spin
        ; hvc 0
        ; ->spin:
        ; b ->spin
        ; ->msg:
        ; .bytes msg.iter().copied()
    ))
}

/// A scratch directory, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let d =
            std::env::temp_dir().join(format!("armvirt-qemu-cli-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }
    fn image(&self, msg: &[u8], then: Then) -> PathBuf {
        let p = self.0.join("Image");
        std::fs::write(&p, console_image(msg, then)).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

fn armvirt(args: &[&str], kernel: &Path, timeout: Duration) -> (String, String, Option<i32>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_armvirt"));
    cmd.args(args).arg("-kernel").arg(kernel);
    run_with_timeout(cmd, timeout)
}

const LONG: Duration = Duration::from_secs(60);

#[test]
fn qemu_spelling_boots_to_power_off_with_status_0() {
    let dir = Scratch::new("off");
    let image = dir.image(b"hello from QEMU's spelling\n", Then::PowerOff);
    let (out, err, code) = armvirt(
        &[
            "-machine",
            "virt",
            "-cpu",
            "cortex-a53",
            "-machine",
            "type=virt",
            "-nographic",
            "-smp",
            "1",
            "-accel",
            "tcg",
            "-name",
            "t",
            "-no-user-config",
            "-display",
            "none",
        ],
        &image,
        LONG,
    );
    assert_eq!(
        (out.as_str(), code),
        ("hello from QEMU's spelling\n", Some(0)),
        "stderr: {err}"
    );
    assert_eq!(err, "");
}

/// The seed's command line, word for word but for the ports (free ones, so tests can run
/// side by side): halted for gdb, which continues it to the guest's power-off.
#[test]
fn the_seeds_command_line_runs_under_gdb_to_power_off() {
    let dir = Scratch::new("seed");
    let image = dir.image(b"seed ok\n", Then::PowerOff);
    let (gdb_port, monitor_port) = (gdb_util::free_port(), gdb_util::free_port());
    let monitor = format!("telnet:127.0.0.1:{monitor_port},server,nowait");
    let gdb = format!("tcp::{gdb_port}");
    let child = Command::new(env!("CARGO_BIN_EXE_armvirt"))
        .args([
            "-machine",
            "virt",
            "-cpu",
            "cortex-a72",
            "-machine",
            "type=virt",
            "-nographic",
            "-smp",
            "1",
            "-m",
            "2048",
            "-monitor",
            &monitor,
            "-kernel",
        ])
        .arg(&image)
        .args(["-S", "-gdb", &gdb])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    gdb_util::wait_listening(gdb_port);
    let script = dir.0.join("gdb.cmd");
    std::fs::write(&script, "continue\n").unwrap();
    let gdb_out = gdb_util::gdb_command(gdb_port, &script).output().unwrap();
    let gdb_text = gdb_util::text(&gdb_out.stdout);
    assert!(
        gdb_text.contains("exited normally"),
        "gdb: {gdb_text}{}",
        gdb_util::text(&gdb_out.stderr)
    );
    let out = gdb_util::wait_output(child, 30);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        gdb_util::text(&out.stderr)
    );
    assert_eq!(out.stdout, b"seed ok\n");
}

#[test]
fn a_reset_under_no_reboot_exits_0() {
    let dir = Scratch::new("noreboot");
    let image = dir.image(b"B", Then::Reset);
    let (out, err, code) = armvirt(&["-M", "virt", "-no-reboot"], &image, LONG);
    assert_eq!((out.as_str(), err.as_str(), code), ("B", "", Some(0)));
}

#[test]
fn a_reset_without_no_reboot_reboots_the_guest() {
    let dir = Scratch::new("reboot");
    let image = dir.image(b"B", Then::Reset);
    let (out, err, code) = armvirt(&["-M", "virt", "--timeout", "2"], &image, LONG);
    // Each boot prints one B before its reset: many boots in two seconds, then the timeout.
    assert_eq!(code, Some(124), "stderr: {err}");
    assert!(out.len() >= 10 && out.bytes().all(|b| b == b'B'), "{out:?}");
    assert!(
        err.starts_with("armvirt: timeout: 2 s of host time passed; vCPU 0 at pc 0x"),
        "{err}"
    );
}

#[test]
fn timeout_says_where_every_vcpu_is_and_exits_124() {
    let dir = Scratch::new("timeout");
    let image = dir.image(b"", Then::Spin);
    let start = Instant::now();
    let (_, err, code) = armvirt(&["--timeout", "1", "-smp", "2"], &image, LONG);
    let took = start.elapsed();
    assert_eq!(code, Some(124), "{err}");
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(5),
        "{took:?}"
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    // vCPU 0 spins at its `b .`; vCPU 1 was never started (PSCI CPU_ON) and sits at reset.
    let line = lines[0];
    assert!(
        line.starts_with(
            "armvirt: timeout: 1 s of host time passed; vCPU 0 at pc 0x00000000402000"
        ),
        "{line}"
    );
    assert!(
        line.contains(" EL1, vCPU 1 at pc 0x0000000000000000 EL1 (off)"),
        "{line}"
    );
}

#[test]
fn a_kernel_panic_line_ends_the_run_with_status_4() {
    let dir = Scratch::new("panic");
    for msg in [
        // The kernel's report: the panic line, a backtrace, the end line.
        &b"[    1.5] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\r\n\
           [    1.5] Call trace:\r\n\
           [    1.6] ---[ end Kernel panic - not syncing: Attempted to kill init! ]---\r\n"[..],
        // No end line: the run ends after its grace period.
        b"Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\n",
    ] {
        let image = dir.image(msg, Then::Spin);
        let (out, err, code) = armvirt(&["-M", "virt", "--timeout", "30"], &image, LONG);
        assert_eq!(code, Some(4), "stderr {err}");
        assert_eq!(out.as_bytes(), msg);
        assert_eq!(
            err,
            "armvirt: guest kernel panic: Attempted to kill init! exitcode=0x00000100\n"
        );
    }
    // -no-shutdown: the machine stays (here until the timeout).
    let image = dir.image(b"Kernel panic - not syncing: x\n", Then::Spin);
    let (_, err, code) = armvirt(&["-no-shutdown", "--timeout", "1"], &image, LONG);
    assert_eq!(code, Some(124), "{err}");
    assert!(
        err.starts_with("armvirt: guest kernel panic: x\narmvirt: timeout: 1 s"),
        "{err}"
    );
}

#[test]
fn no_shutdown_keeps_armvirt_until_input_ends() {
    let dir = Scratch::new("noshutdown");
    let image = dir.image(b"off\n", Then::PowerOff);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_armvirt"));
    cmd.args(["-M", "virt", "-no-shutdown", "-kernel"])
        .arg(&image);
    // Input open: armvirt stays after the power-off until the timeout.
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "armvirt left after the power-off"
    );
    // Input closed: nothing can quit it any more, so it ends (status 0, as a power-off).
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, b"off\n");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "armvirt: the guest powered off; -no-shutdown keeps armvirt running (Ctrl-A x or the end of input quits)\n"
    );
    // With no input at all, it says so and ends at once.
    let (_, err, code) = run_with_input(
        {
            let mut c = Command::new(env!("CARGO_BIN_EXE_armvirt"));
            c.args(["-no-shutdown", "-kernel"]).arg(&image);
            c
        },
        None,
        LONG,
    );
    assert_eq!(code, Some(0), "{err}");
}

/// Every unsupported option or value: exit 2, one line naming it.
#[test]
fn unsupported_options_are_one_line_naming_them() {
    let dir = Scratch::new("refused");
    let image = dir.image(b"", Then::PowerOff);
    let cases: &[(&[&str], &str)] = &[
        (&["-cpu", "max"], "-cpu max"),
        (&["-cpu", "cortex-a76"], "-cpu cortex-a76"),
        (&["-bios", "QEMU_EFI.fd"], "-bios"),
        (&["-pflash", "f"], "-pflash"),
        (&["-M", "raspi3b"], "raspi3b"),
        (&["-machine", "virt,virtualization=on"], "virtualization=on"),
        (&["-M", "virt,gic-version=host"], "gic-version=host"),
        (&["-device", "virtio-blk-pci,drive=hd0"], "virtio-blk-pci"),
        (&["-device", "virtio-net-pci,netdev=n"], "virtio-net-pci"),
        (&["-device", "usb-kbd"], "usb-kbd"),
        (&["-accel", "kvm"], "-accel kvm"),
        (&["-enable-kvm"], "-enable-kvm"),
        (&["-hda", "disk.img"], "-hda"),
        (&["-cdrom", "x.iso"], "-cdrom"),
        (&["-usb"], "-usb"),
        (&["-vnc", ":0"], "-vnc"),
        (&["-display", "gtk"], "-display gtk"),
        (&["-serial", "pty"], "-serial pty"),
        (&["-monitor", "vc"], "-monitor vc"),
        (&["-netdev", "tap,id=t"], "-netdev tap"),
        (&["-nic", "tap"], "-nic tap"),
        (&["-drive", "file=x,format=qcow2"], "format=qcow2"),
        (&["-drive", "file=x,if=scsi"], "if=scsi"),
        (&["-chardev", "pty,id=p"], "-chardev pty"),
        (&["-object", "rng-random,id=r"], "-object"),
        (&["-smp", "16"], "16 CPUs"),
        (&["-m", "1G,maxmem=2G"], "maxmem"),
        (&["-semihosting-config", "target=gdb"], "target=gdb"),
        (&["-icount", "shift=1"], "-icount"),
        (&["-frobnicate"], "-frobnicate"),
        (&["--frobnicate=1"], "--frobnicate"),
    ];
    for (args, names) in cases {
        let (out, err, code) = armvirt(args, &image, LONG);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: {err:?}");
        assert!(
            lines[0].starts_with("armvirt: ") && lines[0].contains(names),
            "{args:?}: {err:?}"
        );
    }
}

#[test]
fn cpu_model_names_the_cores_in_the_device_tree() {
    let dir = Scratch::new("dtb");
    let image = dir.image(b"", Then::PowerOff);
    for (cpu, compatible) in [
        ("cortex-a53", "arm,cortex-a53"),
        ("cortex-a57", "arm,cortex-a57"),
        ("cortex-a72", "arm,cortex-a72"),
    ] {
        let dtb = dir.0.join(format!("{cpu}.dtb"));
        let machine = format!("virt,dumpdtb={}", dtb.display());
        let (_, err, code) = armvirt(&["-M", &machine, "-cpu", cpu, "-smp", "2"], &image, LONG);
        assert_eq!(code, Some(0), "{err}");
        let data = std::fs::read(&dtb).unwrap();
        let needle = format!("{compatible}\0");
        let count = data
            .windows(needle.len())
            .filter(|w| *w == needle.as_bytes())
            .count();
        assert_eq!(count, 2, "{cpu}: one compatible per cpu node");
    }
}

/// The lines a guest script printed (between the initramfs's begin and end markers).
fn script_output(console: &str) -> Vec<String> {
    console
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .skip_while(|l| !l.starts_with("armvirt-init: begin run"))
        .take_while(|l| !l.starts_with("armvirt-init: end run"))
        .map(str::to_string)
        .collect()
}

/// What Linux shows of the CPU's identity: /proc/cpuinfo (MIDR's fields, the hwcaps from
/// the ID registers), MIDR_EL1 and REVIDR_EL1 as sysfs reads them, and the caches CLIDR_EL1
/// describes.
const CPU_ID_SCRIPT: &str = "cat /proc/cpuinfo
cd /sys/devices/system/cpu/cpu0
echo midr $(cat regs/identification/midr_el1) revidr $(cat regs/identification/revidr_el1)
for d in cache/index*; do echo $d $(cat $d/level $d/type); done
";

#[test]
fn cpu_models_look_to_linux_as_under_qemu() {
    let kernel = fixture("debian-cloud/Image");
    let initrd = fixture("initramfs/initramfs.cpio.gz");
    let append = run_script_append(CPU_ID_SCRIPT);
    for cpu in ["cortex-a53", "cortex-a57"] {
        // The same command line for both.
        let args = |kernel: &Path, initrd: &Path| -> Vec<String> {
            let mut a: Vec<String> = [
                "-M",
                "virt",
                "-cpu",
                cpu,
                "-smp",
                "2",
                "-m",
                "512M",
                "-nographic",
                "-serial",
                "stdio",
                "-monitor",
                "none",
                "-no-reboot",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            a.extend(["-kernel".into(), kernel.display().to_string()]);
            a.extend([
                "-initrd".into(),
                initrd.display().to_string(),
                "-append".into(),
                append.clone(),
            ]);
            a
        };
        let mut ours = Command::new(env!("CARGO_BIN_EXE_armvirt"));
        ours.args(args(&kernel, &initrd));
        let (out, err, code) = run_with_timeout(ours, Duration::from_secs(600));
        assert_eq!(code, Some(0), "armvirt -cpu {cpu}: {err}\n{out}");
        let mut qemu = Command::new("qemu-system-aarch64");
        qemu.args(args(&kernel, &initrd));
        let (qout, qerr, qcode) = run_with_timeout(qemu, Duration::from_secs(600));
        assert_eq!(qcode, Some(0), "qemu -cpu {cpu}: {qerr}");
        let (a, q) = (script_output(&out), script_output(&qout));
        assert!(a.iter().any(|l| l.starts_with("CPU part")), "{cpu}: {out}");
        assert_eq!(
            a, q,
            "-cpu {cpu}: armvirt's view of the CPU differs from QEMU's"
        );
    }
}

/// Debian's kernel and the test initramfs with QEMU's spelling, `script` as the guest's job.
fn debian(extra: &[&str], script: &str) -> (String, String, Option<i32>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_armvirt"));
    cmd.args([
        "-M",
        "virt",
        "-m",
        "512M",
        "-nographic",
        "-serial",
        "stdio",
        "-monitor",
        "none",
    ])
    .args(extra)
    .arg("-kernel")
    .arg(fixture("debian-cloud/Image"))
    .arg("-initrd")
    .arg(fixture("initramfs/initramfs.cpio.gz"))
    .args(["-append", &run_script_append(script)]);
    run_with_timeout(cmd, Duration::from_secs(600))
}

/// KUnit's way out: the kernel resets (here busybox's `reboot -f`) and `-no-reboot` makes
/// that the end of the run, status 0, as under QEMU.
#[test]
fn a_real_kernel_reset_under_no_reboot_exits_0() {
    let (out, err, code) = debian(&["-no-reboot", "--timeout", "300"], "reboot -f");
    assert_eq!(code, Some(0), "{err}\n{out}");
    assert!(out.contains("armvirt-init: begin run"), "{out}");
    assert!(
        !out.contains("armvirt-init: end run"),
        "the reset came after the script: {out}"
    );
    assert_eq!(err, "");
}

/// A real panic (sysrq's crash): one line naming the kernel's reason, status 4, after the
/// kernel's report is out.
#[test]
fn a_real_kernel_panic_exits_4_after_the_report() {
    let (out, err, code) = debian(&["--timeout", "300"], "echo c > /proc/sysrq-trigger");
    assert_eq!(code, Some(4), "{err}\n{out}");
    assert_eq!(err, "armvirt: guest kernel panic: sysrq triggered crash\n");
    assert!(
        out.contains("---[ end Kernel panic - not syncing: sysrq triggered crash ]---"),
        "{out}"
    );
}

/// Reads the identification registers into x1..x9 (CCSIDR_EL1 for each CSSELR_EL1 the
/// model's caches have), then spins; the spin is the Image's last instruction.
fn id_reader_image() -> Vec<u8> {
    // MRS/MSR take the register as o0:op1:CRn:CRm:op2 (a 15-bit immediate in dynasm).
    const MIDR: u32 = 0x4000;
    const REVIDR: u32 = 0x4006;
    const CTR: u32 = 0x5801;
    const CLIDR: u32 = 0x4801;
    const CCSIDR: u32 = 0x4800;
    const CSSELR: u32 = 0x5000;
    const DCZID: u32 = 0x5807;
    const ID_AA64ISAR0: u32 = 0x4030;
    padded(with_header(&a64!(
        ; mrs x5, MIDR
        ; mrs x6, REVIDR
        ; mrs x7, CTR
        ; mrs x8, CLIDR
        ; movz x0, 0
        ; msr CSSELR, x0
        ; isb
        ; mrs x1, CCSIDR
        ; movz x0, 1
        ; msr CSSELR, x0
        ; isb
        ; mrs x2, CCSIDR
        ; movz x0, 2
        ; msr CSSELR, x0
        ; isb
        ; mrs x3, CCSIDR
        ; mrs x4, DCZID
        ; mrs x9, ID_AA64ISAR0
        ; ->spin:
        ; b ->spin
    )))
}

/// The registers `id_reader_image` filled, as gdb prints them, from a run of `cmd`
/// (`-S` with a gdb server on `port`).
fn id_registers(mut cmd: Command, port: u16, spin: u64, dir: &Path) -> Vec<String> {
    let child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    gdb_util::wait_listening(port);
    let script = dir.join(format!("ids-{port}.gdb"));
    let regs: String = (1..=9).map(|i| format!("p/x $x{i}\n")).collect();
    std::fs::write(&script, format!("break *{spin:#x}\ncontinue\n{regs}kill\n")).unwrap();
    let out = gdb_util::gdb_command(port, &script).output().unwrap();
    let text = gdb_util::text(&out.stdout);
    gdb_util::wait_output(child, 30);
    let values: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with('$'))
        .map(|l| l.split_once(" = ").map_or(l, |(_, v)| v).to_string())
        .collect();
    assert_eq!(
        values.len(),
        9,
        "gdb: {text}{}",
        gdb_util::text(&out.stderr)
    );
    values
}

/// MIDR, REVIDR, CTR, CLIDR, each CCSIDR, DCZID and ID_AA64ISAR0 as the guest reads them,
/// under `-cpu cortex-a53|a57|a72`: equal to QEMU's.
#[test]
fn cpu_models_identification_registers_equal_qemus() {
    let dir = Scratch::new("idregs");
    let image = dir.0.join("Image");
    let code = id_reader_image();
    std::fs::write(&image, &code).unwrap();
    // The Image's first byte lands at RAM base + 2 MiB; the spin is its last instruction
    // (`b .` is 0x14000000: its last byte is the Image's last non-zero one).
    let spin = 0x4020_0000 + (code.iter().rposition(|&b| b != 0).unwrap() as u64 & !3);
    for (cpu, midr) in [
        ("cortex-a53", "0x410fd034"),
        ("cortex-a57", "0x411fd070"),
        ("cortex-a72", "0x410fd083"),
    ] {
        let run = |program: &str| {
            let port = gdb_util::free_port();
            let mut cmd = Command::new(program);
            cmd.args([
                "-M",
                "virt",
                "-cpu",
                cpu,
                "-m",
                "256M",
                "-display",
                "none",
                "-serial",
                "null",
                "-monitor",
                "none",
                "-S",
                "-gdb",
                &format!("tcp::{port}"),
                "-kernel",
            ])
            .arg(&image);
            id_registers(cmd, port, spin, &dir.0)
        };
        let ours = run(env!("CARGO_BIN_EXE_armvirt"));
        let qemu = run("qemu-system-aarch64");
        assert_eq!(qemu[4], midr, "{cpu}: {qemu:?}");
        assert_eq!(ours, qemu, "-cpu {cpu}: x1..x9 = CCSIDR L1D, L1I, L2, DCZID, MIDR, REVIDR, CTR, CLIDR, ID_AA64ISAR0");
    }
}

/// A guest reset under gdb reboots the machine with gdb still attached, its breakpoints
/// kept: the breakpoint at the Image's first instruction is hit again on every boot.
#[test]
fn a_reset_under_gdb_reboots_with_the_breakpoints_kept() {
    let dir = Scratch::new("gdbreboot");
    let image = dir.image(b"B", Then::Reset);
    let port = gdb_util::free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_armvirt"))
        .args([
            "-M",
            "virt",
            "-S",
            "-gdb",
            &format!("tcp::{port}"),
            "-kernel",
        ])
        .arg(&image)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    gdb_util::wait_listening(port);
    let script = dir.0.join("reboot.gdb");
    // The Image's first instruction (after its 64-byte header's branch) at RAM + 2 MiB.
    let entry = 0x4020_0000 + HEADER_LEN;
    std::fs::write(
        &script,
        format!("break *{entry:#x}\ncontinue\ncontinue\ncontinue\np/x $pc\nkill\n"),
    )
    .unwrap();
    let out = gdb_util::gdb_command(port, &script).output().unwrap();
    let text = gdb_util::text(&out.stdout);
    let run = gdb_util::wait_output(child, 30);
    // Three stops at the entry: the first boot and two reboots, each after one B.
    assert_eq!(text.matches("Breakpoint 1, ").count(), 3, "gdb: {text}");
    assert!(text.contains(&format!("= {entry:#x}")), "gdb: {text}");
    assert_eq!(gdb_util::text(&run.stdout), "BB");
}

/// `--timeout` also ends a run halted for a gdb that never comes (shortly after the
/// timeout: the halted vCPUs cannot notice it themselves).
#[test]
fn timeout_ends_a_run_waiting_for_gdb() {
    let dir = Scratch::new("timeout-gdb");
    let image = dir.image(b"", Then::PowerOff);
    let port = gdb_util::free_port().to_string();
    let start = Instant::now();
    let (_, err, code) = armvirt(&["-S", "-gdb", &port, "--timeout", "1"], &image, LONG);
    assert_eq!(code, Some(124), "{err}");
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(
        err,
        "armvirt: timeout: 1 s of host time passed with the vCPUs halted (for gdb)\n"
    );
}
