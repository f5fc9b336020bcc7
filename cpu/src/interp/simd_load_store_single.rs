//! Advanced SIMD load/store single structure (Arm ARM C4.1.88, "Advanced SIMD load/store
//! single structure" and its post-indexed form): LD1–LD4/ST1–ST4 to one lane of one to
//! four registers, and LD1R–LD4R, which replicate one structure to every lane. Decoding
//! and operation follow the shared "LDST single structure" pseudocode of C7.2.

use super::simd::{check_fp, elem, replicate, with_elem};
use super::undefined;
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::{Access, Mem};

/// What one encoding transfers.
struct Single {
    /// log2 of the element size in bytes.
    scale: u32,
    selem: u32,
    /// Lane index, or None for the replicating LDnR forms.
    index: Option<usize>,
}

/// The decode part of the pseudocode: scale, selem and the lane from opcode, S, size, Q.
fn decode(i: Insn) -> Option<Single> {
    let opcode = i.bits(15, 13);
    let (q, s, size) = (i.bit(30) as u32, i.bit(12) as u32, i.bits(11, 10));
    let selem = ((opcode & 1) << 1 | i.bit(21) as u32) + 1;
    let (scale, index) = match opcode >> 1 {
        0 => (0, q << 3 | s << 2 | size),
        1 => {
            if size & 1 != 0 {
                return None;
            }
            (1, q << 2 | s << 1 | size >> 1)
        }
        2 => {
            if size & 2 != 0 {
                return None;
            }
            if size & 1 == 0 {
                (2, q << 1 | s)
            } else {
                if s != 0 {
                    return None;
                }
                (3, q)
            }
        }
        _ => {
            // LDnR: loads only, S must be 0; the element size is `size`.
            if !i.bit(22) || s != 0 {
                return None;
            }
            return Some(Single {
                scale: size,
                selem,
                index: None,
            });
        }
    };
    Some(Single {
        scale,
        selem,
        index: Some(index as usize),
    })
}

/// LD1–LD4/ST1–ST4 (single structure) and LD1R–LD4R, no offset.
pub fn exec(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    transfer(cpu, m, i, false)
}

/// The post-indexed form: Rm = 31 adds the bytes transferred, else X[m].
pub fn post_index(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    transfer(cpu, m, i, true)
}

fn transfer(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn, wback: bool) -> Flow {
    let Some(d) = decode(i) else {
        return undefined();
    };
    check_fp!(cpu);
    let load = i.bit(22);
    let esize = 8u32 << d.scale;
    let ebytes = 1u64 << d.scale;
    let datasize = if i.bit(30) { 128 } else { 64 };
    let (t, n) = (i.rt(), i.rn());
    let address = cpu.s.xsp(n);
    let reg = |s: u32| (t + s) % 32;

    let mut vals = [0u128; 4];
    // A watchpoint sees the whole structure access, before its first element.
    let acc = if load { Access::Read } else { Access::Write };
    if let Err(e) = cpu.watch_range(m, address, d.selem as u64 * ebytes, acc) {
        return Flow::Exception(e);
    }
    let mut offs = 0u64;
    for s in 0..d.selem {
        let va = address.wrapping_add(offs);
        let v = &mut vals[s as usize];
        match d.index {
            None => match cpu.read(m, va, ebytes as u8) {
                Ok(x) => *v = replicate(x, esize, datasize),
                Err(ex) => return Flow::Exception(ex),
            },
            Some(idx) if load => match cpu.read(m, va, ebytes as u8) {
                Ok(x) => *v = with_elem(cpu.vreg(reg(s)), idx, esize, x),
                Err(ex) => return Flow::Exception(ex),
            },
            Some(idx) => {
                let x = elem(cpu.vreg(reg(s)), idx, esize);
                if let Err(ex) = cpu.write(m, va, ebytes as u8, x) {
                    return Flow::Exception(ex);
                }
            }
        }
        offs += ebytes;
    }
    if load {
        // A lane load keeps the other lanes (all 128 bits); LDnR writes `datasize` bits.
        let width = if d.index.is_some() { 128 } else { datasize };
        for s in 0..d.selem {
            cpu.set_vreg(reg(s), width, vals[s as usize]);
        }
    }
    if wback {
        let m_reg = i.rm();
        let step = if m_reg == 31 { offs } else { cpu.s.xr(m_reg) };
        cpu.s.set_xsp(n, address.wrapping_add(step));
    }
    Flow::Next
}
