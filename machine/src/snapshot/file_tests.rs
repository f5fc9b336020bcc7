//! `savevm` and `--loadvm` on Debian's cloud kernel booted to the busybox shell: the loaded
//! machine's state equals the saved one, its shell answers, and a file that is not this
//! machine's is refused with one line, the machine unchanged.

use crate::config::Config;
use crate::console::ConsoleInput;
use crate::machine::Machine;
use crate::rtc::RtcBase;
use crate::test_rig::{fixture, Buf};
use std::time::Instant;

const MIB: u64 = 1 << 20;

fn config(ram: u64) -> Config {
    let mut c = Config::new(fixture("debian-cloud/Image"));
    c.initrd = Some(fixture("initramfs/initramfs.cpio.gz"));
    c.cmdline = Some("console=ttyAMA0 quiet".into());
    c.ram_size = ram;
    c.rtc_base = RtcBase::DateTime(1_704_164_645);
    c
}

fn machine(ram: u64) -> (Machine, Buf) {
    let mut m = Machine::new(config(ram)).unwrap();
    let out = Buf::default();
    m.set_console_output(Box::new(out.clone()));
    (m, out)
}

/// Everything a snapshot holds, hashed: the state and every nonzero page.
fn state_hash(m: &Machine) -> u64 {
    m.state_hash()
}

/// Runs rounds until the console shows `text` (at most `rounds`).
fn run_until(m: &mut Machine, input: &mut ConsoleInput, out: &Buf, text: &str, rounds: u32) {
    for _ in 0..rounds {
        if out.text().contains(text) {
            return;
        }
        m.debug_run(input, 16);
    }
    panic!("the console never showed {text:?}:\n{}", out.text());
}

#[test]
fn a_saved_shell_loads_with_the_same_state_and_answers() {
    let dir = std::env::temp_dir().join(format!("armvirt-savevm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("shell.vm");
    let (mut m, out) = machine(512 * MIB);
    let mut none = ConsoleInput::none();
    let boot = Instant::now();
    run_until(&mut m, &mut none, &out, "/ # ", 200_000);
    let boot = boot.elapsed();
    let size = m.save_vm(&file).unwrap();
    let saved = state_hash(&m);

    let (mut n, out2) = machine(512 * MIB);
    let load = Instant::now();
    n.load_vm(&file).unwrap();
    let load = load.elapsed();
    assert_eq!(
        state_hash(&n),
        saved,
        "the loaded state differs from the saved one"
    );
    eprintln!(
        "savevm: {} KiB; boot to the prompt {:.2} s, load {:.3} s",
        size >> 10,
        boot.as_secs_f64(),
        load.as_secs_f64()
    );
    let (tx, rx) = crossbeam_channel::unbounded();
    for b in b"echo armvirt-$((6 * 7))\n" {
        tx.send(*b).unwrap();
    }
    let mut input = ConsoleInput::from_channel(rx, false);
    run_until(&mut n, &mut input, &out2, "armvirt-42", 200_000);

    // Another RAM size, a file of garbage, a truncated file: refused, nothing changed.
    let (mut small, _) = machine(256 * MIB);
    let before = state_hash(&small);
    let e = small.load_vm(&file).unwrap_err();
    assert!(e.contains("512 MiB of RAM, this machine 256 MiB"), "{e}");
    let junk = dir.join("junk.vm");
    std::fs::write(&junk, b"not a snapshot at all").unwrap();
    let e = small.load_vm(&junk).unwrap_err();
    assert!(e.contains("is not an armvirt snapshot"), "{e}");
    let bytes = std::fs::read(&file).unwrap();
    let cut = dir.join("cut.vm");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (mut other, _) = machine(512 * MIB);
    let before_other = state_hash(&other);
    let e = other.load_vm(&cut).unwrap_err();
    assert!(e.contains("corrupt or truncated"), "{e}");
    assert_eq!(state_hash(&small), before);
    assert_eq!(state_hash(&other), before_other);
    assert!(!e.contains('\n'), "one line: {e}");
    let mut c = config(512 * MIB);
    c.kernel = fixture("debug-kernel/current/Image");
    let mut debug = Machine::new(c).unwrap();
    let e = debug.load_vm(&file).unwrap_err();
    assert!(e.contains("belongs to another kernel"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}
