//! End to end: gdb-multiarch's `monitor savevm FILE` at `break start_kernel` on the debug
//! kernel, then `armvirt -loadvm FILE -S`: gdb finds the machine at start_kernel. A file
//! saved from another kernel is refused with one line and exit status 1.

mod fixture_cache;
mod gdb_util;
use fixture_cache::fixture;
use gdb_util::{free_port, text, wait_listening, wait_output, Scratch};
use std::path::Path;
use std::process::{Child, Command, Stdio};

fn armvirt(kernel: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_armvirt"));
    c.arg("-kernel")
        .arg(kernel)
        .args(["-append", "console=ttyAMA0", "-m", "512M", "-nographic"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn gdb(port: u16, commands: &str, dir: &Scratch) -> String {
    let script = dir.file(&format!("s{port}.gdb"), commands);
    let child = Command::new("gdb-multiarch")
        .args(["-nx", "-batch", "-ex", "set confirm off"])
        .arg("-ex")
        .arg(format!("target remote :{port}"))
        .arg("-x")
        .arg(script)
        .arg(fixture("debug-kernel/current/vmlinux"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gdb-multiarch");
    let out = wait_output(child, 120);
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

fn start(kernel: &Path, extra: &[&str], port: u16) -> Child {
    let gdb = format!("tcp::{port}");
    let mut args = vec!["-S", "-gdb", &gdb];
    args.extend_from_slice(extra);
    let child = armvirt(kernel, &args).spawn().expect("run armvirt");
    wait_listening(port);
    child
}

#[test]
fn savevm_at_start_kernel_then_loadvm_starts_there() {
    let dir = Scratch::new("savevm");
    let kernel = fixture("debug-kernel/current/Image");
    let file = dir.0.join("start_kernel.vm");
    let port = free_port();
    let emu = start(&kernel, &[], port);
    let out = gdb(
        port,
        &format!(
            "break start_kernel\ncontinue\nmonitor savevm {}\nkill\n",
            file.display()
        ),
        &dir,
    );
    let _ = wait_output(emu, 30);
    assert!(out.contains("Breakpoint 1, start_kernel ()"), "{out}");
    assert!(out.contains("saved the machine to"), "{out}");

    let port = free_port();
    let emu = start(&kernel, &["-loadvm", file.to_str().unwrap()], port);
    let out = gdb(port, "info symbol $pc\np $sp != 0\nkill\n", &dir);
    let _ = wait_output(emu, 30);
    assert!(out.contains("start_kernel in section .init.text"), "{out}");

    let other = armvirt(
        &fixture("debian-cloud/Image"),
        &["-loadvm", file.to_str().unwrap()],
    )
    .output()
    .unwrap();
    let err = text(&other.stderr);
    assert_eq!(other.status.code(), Some(1), "{err}");
    assert!(err.contains("belongs to another kernel"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
