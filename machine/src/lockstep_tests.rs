//! The engines in lockstep over real boots: two machines built from one configuration, one
//! on the interpreter and one on the JIT, run round by round; every block of every vCPU
//! leaves a hash of the vCPU's state, and each round's hashes must be equal on both. At
//! the end, RAM, the console bytes and the instruction counts must be too. The first block
//! that differs is named, with the register that differs.

use crate::config::Config;
use crate::console::ConsoleInput;
use crate::machine::Machine;
use crate::options::Engine;
use crate::rtc::RtcBase;
use crate::run::Round;
use crate::test_rig::{fixture, Buf};
use armvirt_cpu::Cpu;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// A vCPU state after a block, as compared.
#[derive(Clone, Debug, PartialEq, Eq)]
struct BlockState {
    vcpu: usize,
    icount: u64,
    pc: u64,
    hash: u64,
}

fn mix(h: u64, v: u64) -> u64 {
    (h ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29)
}

/// Everything a block can change that the guest could see later, hashed.
fn state_hash(c: &Cpu) -> u64 {
    let s = &c.s;
    let mut h = 0;
    for &x in &s.x {
        h = mix(h, x);
    }
    for &v in &s.v {
        h = mix(mix(h, v as u64), (v >> 64) as u64);
    }
    for v in [
        s.nzcv as u64,
        s.daif as u64,
        s.el as u64,
        s.spsel as u64,
        s.sp_el0,
        s.sp_el1,
        s.fpcr as u64,
        s.fpsr as u64,
        c.event as u64,
        c.sys.esr_el1,
        c.sys.far_el1,
        c.sys.elr_el1,
        c.sys.spsr_el1,
        c.sys.sctlr_el1,
        c.sys.tcr_el1,
        c.sys.ttbr0_el1,
        c.sys.ttbr1_el1,
        c.sys.vbar_el1,
        c.sys.tpidr_el1,
    ] {
        h = mix(h, v);
    }
    h
}

type Trace = Rc<RefCell<Vec<BlockState>>>;

fn machine(config: &Config, engine: Engine) -> (Machine, Trace, Buf) {
    let mut c = config.clone();
    c.options.engine = engine;
    let mut m = Machine::new(c).expect("the fixture machine builds");
    let trace: Trace = Default::default();
    let t = trace.clone();
    m.block_hook = Some(Box::new(move |vcpu, cpu: &Cpu| {
        t.borrow_mut().push(BlockState {
            vcpu,
            icount: cpu.icount,
            pc: cpu.s.pc,
            hash: state_hash(cpu),
        })
    }));
    let console = Buf::default();
    m.uart.lock().set_output(Box::new(console.clone()));
    (m, trace, console)
}

/// Runs `config` on both engines for at least `instructions` (or to the end), comparing
/// every block; returns the console output.
fn lockstep(config: &Config, instructions: u64) -> String {
    let (mut a, ta, ca) = machine(config, Engine::Interp);
    let (mut b, tb, cb) = machine(config, Engine::Jit);
    let (mut ia, mut ib) = (ConsoleInput::none(), ConsoleInput::none());
    let retired = |m: &Machine| m.vcpus.iter().map(|v| v.cpu.icount).sum::<u64>();
    let mut blocks = 0u64;
    loop {
        let ra = a.round(&mut ia, Duration::ZERO);
        let rb = b.round(&mut ib, Duration::ZERO);
        let (xa, xb) = (ta.borrow(), tb.borrow());
        if let Some(k) = (0..xa.len().max(xb.len())).find(|&k| xa.get(k) != xb.get(k)) {
            panic!(
                "the engines differ after block {} of the run: interpreter {:x?}, JIT {:x?} \
                 (the previous block: {:x?})",
                blocks + k as u64,
                xa.get(k),
                xb.get(k),
                k.checked_sub(1).and_then(|p| xa.get(p)),
            );
        }
        blocks += xa.len() as u64;
        drop((xa, xb));
        ta.borrow_mut().clear();
        tb.borrow_mut().clear();
        let done = matches!(ra, Round::End(_)) || retired(&a) >= instructions;
        assert_eq!(
            matches!(ra, Round::End(_)),
            matches!(rb, Round::End(_)),
            "one engine's run ended and the other's did not"
        );
        if done {
            break;
        }
    }
    assert_eq!(retired(&a), retired(&b));
    let (base, size) = (a.ram.base(), a.ram.size());
    assert!(
        a.ram.slice(base, size).unwrap() == b.ram.slice(base, size).unwrap(),
        "RAM differs after {blocks} blocks"
    );
    let (oa, ob) = (ca.0.lock().unwrap().clone(), cb.0.lock().unwrap().clone());
    assert_eq!(String::from_utf8_lossy(&oa), String::from_utf8_lossy(&ob));
    eprintln!(
        "lockstep: {blocks} blocks, {} instructions compared",
        retired(&a)
    );
    String::from_utf8_lossy(&oa).into_owned()
}

fn config(kernel: &str, cpus: u32, cmdline: &str) -> Config {
    let mut c = Config::new(fixture(kernel));
    c.initrd = Some(fixture("initramfs/initramfs.cpio.gz"));
    c.cmdline = Some(cmdline.into());
    c.cpus = cpus;
    c.rtc_base = RtcBase::DateTime(1_704_164_645);
    c
}

/// Instructions compared per boot (ARMVIRT_LOCKSTEP_INSNS to go further).
fn budget(default: u64) -> u64 {
    std::env::var("ARMVIRT_LOCKSTEP_INSNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[test]
fn debian_kernel_boot_on_one_vcpu() {
    let c = config(
        "debian-cloud/Image",
        1,
        "console=ttyAMA0 quiet armvirt.script=none",
    );
    lockstep(&c, budget(300_000_000));
}

#[test]
fn debug_kernel_boot_on_two_vcpus() {
    let c = config(
        "debug-kernel/current/Image",
        2,
        "console=ttyAMA0 armvirt.script=none",
    );
    lockstep(&c, budget(300_000_000));
}
