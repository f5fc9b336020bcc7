//! Where the fixture scripts (`fixtures/*.sh`) cache what they fetch and build, for the
//! end-to-end tests and the benches: `$ARMVIRT_CACHE`, by default `~/.cache/armvirt`.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub fn cache_dir() -> PathBuf {
    match std::env::var_os("ARMVIRT_CACHE") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/armvirt"),
    }
}

/// `rel` inside the cache, or a failure naming the command that makes it.
pub fn fixture(rel: &str) -> PathBuf {
    let p = cache_dir().join(rel);
    assert!(
        p.exists(),
        "{} is missing: run fixtures/install.sh first",
        p.display()
    );
    p
}

/// The kernel command line on which the fixture initramfs's /init runs `script` (shell
/// text): the console, and the script base64-encoded in `armvirt.run=`
/// (fixtures/initramfs/init).
pub fn run_script_append(script: &str) -> String {
    let mut b64 = Command::new("base64")
        .arg("-w0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("base64");
    b64.stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = b64.wait_with_output().unwrap();
    format!(
        "console=ttyAMA0 armvirt.run={}",
        String::from_utf8(out.stdout).unwrap().trim()
    )
}
