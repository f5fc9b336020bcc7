//! Generators for the system instructions an EL0 program may run (Arm ARM C4.1.87.x, C5):
//! MRS/MSR NZCV, MRS of CTR_EL0/DCZID_EL0/TPIDRRO_EL0, MSR then MRS TPIDR_EL0, every
//! NOP-behaving hint, DMB/DSB/ISB with every option, CLREX, and the EL0-enabled cache
//! maintenance by address: DC ZVA (zeroes a 64-byte block of the buffer), DC CVAC/CVAU/CIVAC
//! and IC IVAU (no architectural effect on registers or memory). WFE/WFI are left out:
//! they may wait.

use super::case::Case;
use super::enc::{mrs, msr, sysreg, NZCV, TPIDR_EL0};
use super::gen::Gen;
use super::layout::{BUF_ADDR, BUF_SIZE};

const CTR_EL0: u32 = sysreg(3, 3, 0, 0, 1);
const DCZID_EL0: u32 = sysreg(3, 3, 0, 0, 7);
const TPIDRRO_EL0: u32 = sysreg(3, 3, 13, 0, 3);
const WFE: u32 = 2;
const WFI: u32 = 3;

/// SYS #op1, Cn, Cm, #op2, Xt (DC/IC by address).
fn sys(op1: u32, crn: u32, crm: u32, op2: u32, rt: u32) -> u32 {
    0xd508_0000 | op1 << 16 | crn << 12 | crm << 8 | op2 << 5 | rt
}

pub fn system() -> Vec<Case> {
    let mut g = Gen::new("system");
    for i in 0..600u32 {
        let rt = g.rng.reg();
        match i % 7 {
            0 => {
                // NZCV, and the EL0-readable ID registers (the A72's values on both sides).
                let (name, reg) = g.rng.pick(&[
                    ("MRS NZCV", NZCV),
                    ("MRS CTR_EL0", CTR_EL0),
                    ("MRS DCZID_EL0", DCZID_EL0),
                    ("MRS TPIDRRO_EL0", TPIDRRO_EL0),
                ]);
                g.one(name, mrs(rt, reg));
            }
            1 => {
                let rt2 = g.rng.reg();
                g.push("MSR NZCV; MRS NZCV", vec![msr(NZCV, rt), mrs(rt2, NZCV)]);
            }
            2 => {
                let rt2 = g.rng.reg();
                g.push(
                    "MSR TPIDR_EL0; MRS",
                    vec![msr(TPIDR_EL0, rt), mrs(rt2, TPIDR_EL0)],
                );
            }
            3 => {
                let imm = loop {
                    let h = g.rng.below(128) as u32;
                    if h != WFE && h != WFI {
                        break h;
                    }
                };
                g.one("HINT", 0xd503_201f | imm << 5);
            }
            4 => {
                let crm = g.rng.below(16) as u32;
                let op2 = g.rng.pick(&[0b100u32, 0b101, 0b110]);
                g.one(
                    ["DSB", "DMB", "ISB"][op2 as usize - 4],
                    0xd503_301f | crm << 8 | op2 << 5,
                );
            }
            5 => {
                let crm = g.rng.below(16) as u32;
                g.one("CLREX", 0xd503_305f | crm << 8);
            }
            _ => {
                // DC ZVA, DC CVAC, DC CVAU, DC CIVAC, IC IVAU on an address in the buffer
                // (64-byte aligned, so every ZVA block lies inside it).
                let (name, w) = g.rng.pick(&[
                    ("DC ZVA", sys(3, 7, 4, 1, 0)),
                    ("DC CVAC", sys(3, 7, 10, 1, 0)),
                    ("DC CVAU", sys(3, 7, 11, 1, 0)),
                    ("DC CIVAC", sys(3, 7, 14, 1, 0)),
                    ("IC IVAU", sys(3, 7, 5, 1, 0)),
                ]);
                let rt = g.rng.reg30();
                let addr = BUF_ADDR + g.rng.below(BUF_SIZE as u64);
                let mem = (0..BUF_SIZE).map(|_| g.rng.next() as u8).collect();
                g.one(name, w | rt).mem = Some(mem);
                g.set(rt, addr);
            }
        }
    }
    g.finish()
}
