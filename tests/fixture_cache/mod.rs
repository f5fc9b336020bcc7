//! Where the fixture scripts (`fixtures/*.sh`) cache what they fetch and build, for the
//! end-to-end tests and the benches: `$ARMVIRT_CACHE`, by default `~/.cache/armvirt`.

#![allow(dead_code)]

use std::path::PathBuf;

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
