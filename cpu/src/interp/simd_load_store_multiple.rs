//! Advanced SIMD load/store multiple structures (Arm ARM C4.1.88, "Advanced SIMD
//! load/store multiple structures" and its post-indexed form): LD1–LD4 and ST1–ST4 with one
//! to four registers, following the shared LD1/ST1... pseudocode of C7.2 (the
//! "LDST multiple structures" operation): elements interleave across `selem` registers and
//! the whole sequence repeats `rpt` times over consecutive registers.
//!
//! A load gathers every element before writing any register, so a fault part-way leaves the
//! registers as they were (the Arm ARM allows them to be UNKNOWN).

use super::simd::{check_fp, elem, with_elem};
use super::undefined;
use crate::cpu::Cpu;
use crate::exec::Flow;
use crate::insn::Insn;
use crate::mem::{Access, Mem};

/// (rpt, selem) of each allocated `opcode` (bits 15:12).
fn layout(opcode: u32) -> Option<(u32, u32)> {
    Some(match opcode {
        0b0000 => (1, 4), // LD4/ST4
        0b0010 => (4, 1), // LD1/ST1, four registers
        0b0100 => (1, 3), // LD3/ST3
        0b0110 => (3, 1), // LD1/ST1, three registers
        0b0111 => (1, 1), // LD1/ST1, one register
        0b1000 => (1, 2), // LD2/ST2
        0b1010 => (2, 1), // LD1/ST1, two registers
        _ => return None,
    })
}

/// LD1–LD4/ST1–ST4 (multiple structures), no offset: `0q00_1100_0L00_0000_oooo_zznn_nnnt_tttt`.
pub fn exec(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    transfer(cpu, m, i, false)
}

/// The post-indexed form: Rm = 31 adds the bytes transferred, else X[m].
pub fn post_index(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn) -> Flow {
    transfer(cpu, m, i, true)
}

fn transfer(cpu: &mut Cpu, m: &mut Mem<'_>, i: Insn, wback: bool) -> Flow {
    let Some((rpt, selem)) = layout(i.bits(15, 12)) else {
        return undefined();
    };
    let q = i.bit(30);
    let size = i.bits(11, 10);
    if size == 0b11 && !q && selem != 1 {
        return undefined(); // 1D arrangement of LD2–LD4/ST2–ST4: reserved
    }
    check_fp!(cpu);
    let load = i.bit(22);
    let datasize = if q { 128 } else { 64 };
    let esize = 8u32 << size;
    let ebytes = (esize / 8) as u64;
    let elements = (datasize / esize) as usize;
    let (t, n) = (i.rt(), i.rn());
    let address = cpu.s.xsp(n);

    // The registers touched, in order: t, t+1, ... (mod 32), rpt * selem of them.
    let nregs = (rpt * selem) as usize;
    let reg = |k: usize| (t + k as u32) % 32;
    let mut vals = [0u128; 4];
    for (k, v) in vals.iter_mut().enumerate().take(nregs) {
        *v = cpu.vreg(reg(k));
    }
    // A watchpoint sees the whole structure access, before its first element.
    let acc = if load { Access::Read } else { Access::Write };
    if let Err(e) = cpu.watch_range(m, address, (nregs * elements) as u64 * ebytes, acc) {
        return Flow::Exception(e);
    }
    let mut offs = 0u64;
    for r in 0..rpt as usize {
        for e in 0..elements {
            for s in 0..selem as usize {
                let k = r * selem as usize + s;
                let va = address.wrapping_add(offs);
                if load {
                    match cpu.read(m, va, ebytes as u8) {
                        Ok(x) => vals[k] = with_elem(vals[k], e, esize, x),
                        Err(ex) => return Flow::Exception(ex),
                    }
                } else if let Err(ex) = cpu.write(m, va, ebytes as u8, elem(vals[k], e, esize)) {
                    return Flow::Exception(ex);
                }
                offs += ebytes;
            }
        }
    }
    if load {
        for (k, v) in vals.iter().enumerate().take(nregs) {
            cpu.set_vreg(reg(k), datasize, *v);
        }
    }
    if wback {
        let m_reg = i.rm();
        let step = if m_reg == 31 { offs } else { cpu.s.xr(m_reg) };
        cpu.s.set_xsp(n, address.wrapping_add(step));
    }
    Flow::Next
}

#[cfg(test)]
#[path = "simd_load_store_tests.rs"]
mod tests;
