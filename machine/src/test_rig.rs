//! The machine's unit tests' rig: a whole `Machine` booting a bare-metal arm64 Image (the
//! header of Documentation/arm64/booting.rst, then the test's program) from a scratch
//! directory.

use crate::config::Config;
use crate::machine::Machine;
use std::path::PathBuf;

const MIB: u64 = 1 << 20;
/// The Image header's size: its first instruction branches past it.
pub(crate) const HEADER: u64 = 0x40;

/// A machine of `cpus` vCPUs and 256 MiB booting an Image whose body is `code`; returns it,
/// the body's address and the Image's directory, `armvirt-<name>-<pid>` in the temporary
/// directory, for the caller to remove (a reset loads the Image again).
pub(crate) fn machine_with_files(name: &str, cpus: u32, code: &[u8]) -> (Machine, u64, PathBuf) {
    machine_with_config(name, cpus, code, |_| {})
}

/// [`machine_with_files`] with `edit` applied to the configuration first (options).
pub(crate) fn machine_with_config(
    name: &str,
    cpus: u32,
    code: &[u8],
    edit: impl FnOnce(&mut Config),
) -> (Machine, u64, PathBuf) {
    let dir = std::env::temp_dir().join(format!("armvirt-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut image = vec![0u8; HEADER as usize];
    image[0..4].copy_from_slice(&0x1400_0010u32.to_le_bytes()); // b +0x40
    image[16..24].copy_from_slice(&0x1_0000u64.to_le_bytes());
    image[24..32].copy_from_slice(&0xau64.to_le_bytes());
    image[0x38..0x3c].copy_from_slice(b"ARM\x64");
    image.extend_from_slice(code);
    let path: PathBuf = dir.join("Image");
    std::fs::write(&path, &image).unwrap();
    let mut c = Config::new(path);
    c.ram_size = 256 * MIB;
    c.cpus = cpus;
    edit(&mut c);
    let m = Machine::new(c).unwrap();
    let body = m.boot().entry + HEADER;
    (m, body, dir)
}

/// A fixture built by fixtures/install.sh in the cache (`$ARMVIRT_CACHE`, default
/// `~/.cache/armvirt`); a missing one fails the test, naming it.
pub(crate) fn fixture(rel: &str) -> PathBuf {
    let cache = match std::env::var_os("ARMVIRT_CACHE") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/armvirt"),
    };
    let p = cache.join(rel);
    assert!(
        p.exists(),
        "{} is missing: run fixtures/install.sh",
        p.display()
    );
    p
}

/// A console (or any byte sink) a test reads back: clones share the bytes.
#[derive(Clone, Default)]
pub(crate) struct Buf(pub(crate) std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buf {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}
