//! The `armvirt` binary's command line, end to end: every bad input ends with exactly one
//! line `armvirt: <problem>` on stderr and a non-zero status, never a panic; `--dump-dtb`
//! writes a device tree that `dtc` reads back with the machine's nodes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch directory for this test, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("armvirt-cli-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, data).unwrap();
        p
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An arm64 Image per booting.rst: header (text_offset 0, image_size, flags 0xa, magic
/// "ARM\x64") and a body of `wfi` loops.
fn image() -> Vec<u8> {
    let mut v = vec![0u8; 64];
    v[0..4].copy_from_slice(&0x1400_0010u32.to_le_bytes()); // b +0x40
    v[16..24].copy_from_slice(&0x1_0000u64.to_le_bytes());
    v[24..32].copy_from_slice(&0xau64.to_le_bytes());
    v[0x38..0x3c].copy_from_slice(b"ARM\x64");
    for _ in 0..16 {
        v.extend_from_slice(&0xd503_207fu32.to_le_bytes()); // wfi
    }
    v
}

fn armvirt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_armvirt"))
        .args(args)
        .output()
        .expect("running armvirt")
}

/// Runs with `args`, expects failure with status `code` and returns the one stderr line.
fn refused(args: &[&str], code: i32) -> String {
    let out = armvirt(args);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "args {args:?}, stderr {stderr:?}"
    );
    assert!(out.stdout.is_empty(), "args {args:?} printed to stdout");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "args {args:?}: not one line: {stderr:?}");
    assert!(lines[0].starts_with("armvirt: "), "{stderr:?}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr:?}"
    );
    lines[0].to_string()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn command_line_mistakes_exit_2_with_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "armvirt: missing --kernel <PATH> (see --help)"),
        (&["--kernel", "k", "-m", "12X"], "'12X' is not a size"),
        (
            &["--kernel", "k", "-m", "1M"],
            "memory size 1M is below the minimum of 8M",
        ),
        (
            &["--kernel", "k", "-m", "300G"],
            "above the maximum of 255G",
        ),
        (
            &["--kernel", "k", "--smp", "0"],
            "0 CPUs requested: the GICv2 serves 1 to 8",
        ),
        (&["--kernel", "k", "--smp", "9"], "9 CPUs requested"),
        (
            &["--kernel", "k", "--smp", "two"],
            "'two' is not a number of CPUs",
        ),
        (
            &["--kernel", "k", "--gdb", "70000"],
            "port 70000 in '70000' is out of range (1 to 65535)",
        ),
        (
            &["--kernel", "k", "--gdb", "0"],
            "port 0 in '0' is out of range",
        ),
        (
            &["--kernel", "k", "--gdb", "host:1234"],
            "'host' in 'host:1234' is not an IP address",
        ),
        (
            &["--kernel", "k", "-s", "--gdb", "1234"],
            "cannot be used with",
        ),
        (
            &["--kernel", "k", "--kernel-raw-addr", "zz"],
            "'zz' is not an address",
        ),
        (
            &["--kernel", "k", "--rtc", "base=2024-13-01"],
            "'2024-13-01' names a day that does not exist",
        ),
        (
            &["--kernel", "k", "--rtc", "base=yesterday"],
            "'yesterday' is not a date and time (formats: 2006-06-17T16:01:21 or 2006-06-17)",
        ),
        (
            &["--kernel", "k", "--rtc", "clock=host"],
            "armvirt's RTC follows the virtual clock only",
        ),
        (
            &["--kernel", "k", "--frobnicate"],
            "unexpected argument '--frobnicate'",
        ),
    ];
    for (args, expected) in cases {
        let line = refused(args, 2);
        assert!(
            line.contains(expected),
            "args {args:?}: {line:?} lacks {expected:?}"
        );
    }
}

#[test]
fn bad_files_exit_1_naming_the_file_and_problem() {
    let dir = Scratch::new("files");
    let missing = dir.path("missing");
    assert_eq!(
        refused(&["--kernel", s(&missing)], 1),
        format!(
            "armvirt: cannot read kernel '{}': No such file or directory",
            missing.display()
        )
    );

    let junk = dir.file("junk", &[0x55; 200]);
    let line = refused(&["--kernel", s(&junk)], 1);
    assert!(line.starts_with(&format!(
        "armvirt: kernel '{}': not an arm64 Image (no \"ARM\\x64\" magic at offset 0x38, found 55 55 55 55)",
        junk.display()
    )), "{line}");

    let short = dir.file("short", &image()[..40]);
    assert_eq!(
        refused(&["--kernel", s(&short)], 1),
        format!(
            "armvirt: kernel '{}': truncated: 40 bytes, shorter than the 64-byte arm64 Image header",
            short.display()
        )
    );

    let mut huge = image();
    huge[16..24].copy_from_slice(&(64u64 << 20).to_le_bytes()); // 64 MiB image_size
    let huge = dir.file("huge", &huge);
    let line = refused(&["--kernel", s(&huge), "-m", "32M"], 1);
    assert!(
        line.contains("the kernel needs 0x4000000 bytes at 0x40200000, beyond RAM"),
        "{line}"
    );

    let kernel = dir.file("Image", &image());
    let line = refused(&["--kernel", s(&kernel), "--initrd", s(&missing)], 1);
    assert!(line.starts_with("armvirt: cannot read initrd '"), "{line}");
    let line = refused(&["--kernel", s(&kernel), "--dtb", s(&junk)], 1);
    assert!(line.contains("not a device tree blob"), "{line}");
    let line = refused(&["--kernel", s(&kernel), "-S"], 1);
    assert_eq!(
        line,
        "armvirt: -S needs -gdb, -s or -monitor: only a debugger or the monitor can start halted CPUs"
    );
    let line = refused(
        &[
            "--kernel",
            s(&kernel),
            "--dump-dtb",
            s(&dir.path("no/such/dir.dtb")),
        ],
        1,
    );
    assert!(
        line.starts_with("armvirt: cannot write the device tree to '"),
        "{line}"
    );
}

#[test]
fn help_and_version_exit_0() {
    for flag in ["--help", "--version"] {
        let out = armvirt(&[flag]);
        assert_eq!(out.status.code(), Some(0), "{flag}");
        assert!(!out.stdout.is_empty());
    }
}

fn dtc_decompile(path: &Path) -> Option<String> {
    match Command::new("dtc").args(["-I", "dtb", "-O", "dts", "-q"]).arg(path).output() {
        Ok(out) => {
            assert!(out.status.success(), "dtc: {}", String::from_utf8_lossy(&out.stderr));
            Some(String::from_utf8(out.stdout).unwrap())
        }
        Err(_) if std::env::var("ARMVIRT_SKIP_DTC").as_deref() == Ok("1") => None,
        Err(e) => panic!(
            "dtc not runnable ({e}): install Debian's device-tree-compiler, or set ARMVIRT_SKIP_DTC=1"
        ),
    }
}

#[test]
fn dump_dtb_writes_a_tree_dtc_reads_with_the_machine_nodes() {
    let dir = Scratch::new("dump");
    let kernel = dir.file("Image", &image());
    let initrd = dir.file("initrd", &[7; 4096]);
    let out_path = dir.path("virt.dtb");
    let out = armvirt(&[
        "--kernel",
        s(&kernel),
        "--initrd",
        s(&initrd),
        "--append",
        "console=ttyAMA0 earlycon",
        "-m",
        "2G",
        "--smp",
        "2",
        "--dump-dtb",
        s(&out_path),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty() && out.stdout.is_empty());
    let dtb = std::fs::read(&out_path).unwrap();
    assert_eq!(dtb[..4], [0xd0, 0x0d, 0xfe, 0xed]);
    let Some(dts) = dtc_decompile(&out_path) else {
        return;
    };
    for expected in [
        "psci {",
        "method = \"hvc\";",
        "memory@40000000 {",
        "reg = <0x00 0x40000000 0x00 0x80000000>;",
        "cpu@0 {",
        "cpu@1 {",
        "enable-method = \"psci\";",
        "timer {",
        "intc@8000000 {",
        "pl011@9000000 {",
        "clock-names = \"uartclk\\0apb_pclk\";",
        "bootargs = \"console=ttyAMA0 earlycon\";",
        "stdout-path = \"/pl011@9000000\";",
        // 2 GiB: the initrd at base + 128 MiB, 4 KiB long.
        "linux,initrd-start = <0x00 0x48000000>;",
        "linux,initrd-end = <0x00 0x48001000>;",
    ] {
        assert!(
            dts.contains(expected),
            "dumped tree lacks {expected:?}:\n{dts}"
        );
    }
}
