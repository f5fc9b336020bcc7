//! End to end: `armvirt -S -monitor telnet:127.0.0.1:PORT,server,nowait` serves QEMU's
//! monitor as QEMU does: banner and prompt, `info status` at -S, `cont`, `quit` ends the
//! process with status 0. The machine-level tests (`machine/src/monitor/tests.rs`) compare
//! the commands' output with QEMU's.

mod image_util;
use armvirt_cpu::a64;
use image_util::bare_metal_image;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn until_prompt(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut b = [0u8; 4096];
    while !got.ends_with(b"(qemu) ") {
        let n = s.read(&mut b).expect("the monitor answers");
        assert!(n > 0, "hung up after {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&b[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[test]

fn telnet_monitor_of_the_binary() {
    let img = std::env::temp_dir().join(format!("armvirt-monitor-{}.img", std::process::id()));
    std::fs::write(&img, bare_metal_image(&a64!(; b 0))).unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_armvirt"))
        .args([
            "-M",
            "virt",
            "-cpu",
            "cortex-a72",
            "-nographic",
            "-S",
            "-monitor",
        ])
        .arg(format!("telnet:127.0.0.1:{port},server,nowait"))
        .arg("-kernel")
        .arg(&img)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut s = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => break s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("{e}"),
        }
    };
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let banner = until_prompt(&mut s);
    assert!(
        banner.contains("QEMU 7.2.0 monitor (armvirt ")
            && banner.contains(" - type 'help' for more information\r\n"),
        "{banner}"
    );
    s.write_all(b"info status\r").unwrap();
    assert!(until_prompt(&mut s).contains("VM status: paused (prelaunch)\r\n"));
    s.write_all(b"cont\r").unwrap();
    until_prompt(&mut s);
    s.write_all(b"info status\r").unwrap();
    assert!(until_prompt(&mut s).contains("VM status: running\r\n"));
    s.write_all(b"quit\r").unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    std::fs::remove_file(img).ok();
}
