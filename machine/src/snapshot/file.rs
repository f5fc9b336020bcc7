//! A machine snapshot in a file: `savevm FILE` (the monitor's, and gdb's `monitor savevm`)
//! and `--loadvm FILE`. The whole state as time travel's in-memory snapshots hold it, and
//! every nonzero page of RAM, deflated.
//!
//! Layout: the magic `ARMVSNAP`, a little-endian u32 length and that many bytes of header
//! (bincode: format version, armvirt's version, the kernel's size and CRC-32, RAM base
//! and size, vCPUs, GIC version), then a deflate stream of the state (bincode) and the
//! pages (a u64 count, then each page's index as a u64 and its 4096 bytes). The header is
//! checked before anything of the machine changes: a file of another format, armvirt
//! version, kernel, RAM size, vCPU count or GIC is refused with one line.

use crate::history::state::MachineState;
use crate::irqchip::GicVersion;
use crate::machine::Machine;
use crate::ram::PAGE;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

const MAGIC: &[u8; 8] = b"ARMVSNAP";
/// 2: the PL061 GPIO and the power button in the device state.
const FORMAT: u32 = 2;
/// A header is a few hundred bytes; anything longer is not one.
const MAX_HEADER: u32 = 1 << 16;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Header {
    format: u32,
    armvirt: String,
    kernel_size: u64,
    kernel_crc: u32,
    ram_base: u64,
    ram_size: u64,
    cpus: usize,
    gic_v3: bool,
}

impl Machine {
    /// The kernel file's size and CRC-32: which kernel a saved machine or a recording
    /// belongs to.
    pub(crate) fn kernel_identity(&self) -> Result<(u64, u32), String> {
        let kernel = &self.config().kernel;
        let bytes = std::fs::read(kernel)
            .map_err(|e| format!("cannot read the kernel '{}': {e}", kernel.display()))?;
        Ok((bytes.len() as u64, crc32fast::hash(&bytes)))
    }

    fn snapshot_header(&self) -> Result<Header, String> {
        let (kernel_size, kernel_crc) = self.kernel_identity()?;
        Ok(Header {
            format: FORMAT,
            armvirt: env!("CARGO_PKG_VERSION").into(),
            kernel_size,
            kernel_crc,
            ram_base: self.ram.base(),
            ram_size: self.ram.size(),
            cpus: self.vcpus.len(),
            gic_v3: self.config().gic == GicVersion::V3,
        })
    }

    /// Writes the machine's state and RAM to `path`; returns the file's size.
    pub fn save_vm(&self, path: &Path) -> Result<u64, String> {
        let fail = |e: std::io::Error| format!("cannot write '{}': {e}", path.display());
        let header = self.snapshot_header()?;
        let state = self.save_state();
        let file = File::create(path).map_err(fail)?;
        let mut out = BufWriter::new(file);
        let head = bincode::serialize(&header).map_err(|e| e.to_string())?;
        out.write_all(MAGIC).map_err(fail)?;
        out.write_all(&(head.len() as u32).to_le_bytes())
            .map_err(fail)?;
        out.write_all(&head).map_err(fail)?;
        let mut z = DeflateEncoder::new(out, Compression::fast());
        bincode::serialize_into(&mut z, &state)
            .map_err(|e| format!("cannot write '{}': {e}", path.display()))?;
        let pages: Vec<usize> = self.ram.nonzero_pages().collect();
        z.write_all(&(pages.len() as u64).to_le_bytes())
            .map_err(fail)?;
        for p in pages {
            z.write_all(&(p as u64).to_le_bytes()).map_err(fail)?;
            z.write_all(self.ram.page(p)).map_err(fail)?;
        }
        let mut out = z.finish().map_err(fail)?;
        out.flush().map_err(fail)?;
        let size = out.get_ref().metadata().map_err(fail)?.len();
        Ok(size)
    }

    /// Replaces the machine's state and RAM with what `path` holds, if the file belongs to
    /// this machine (same kernel, RAM, vCPUs, GIC, armvirt version); otherwise nothing
    /// changes and the error says why, in one line.
    pub fn load_vm(&mut self, path: &Path) -> Result<(), String> {
        let name = path.display();
        let file = File::open(path).map_err(|e| format!("cannot open '{name}': {e}"))?;
        let mut input = BufReader::new(file);
        let mut magic = [0u8; 8];
        let mut len = [0u8; 4];
        if input.read_exact(&mut magic).is_err() || &magic != MAGIC {
            return Err(format!("'{name}' is not an armvirt snapshot"));
        }
        input
            .read_exact(&mut len)
            .map_err(|_| format!("'{name}' is truncated"))?;
        let len = u32::from_le_bytes(len);
        if len > MAX_HEADER {
            return Err(format!("'{name}' is not an armvirt snapshot (bad header)"));
        }
        let mut head = vec![0u8; len as usize];
        input
            .read_exact(&mut head)
            .map_err(|_| format!("'{name}' is truncated"))?;
        let saved: Header = bincode::deserialize(&head)
            .map_err(|_| format!("'{name}' is not an armvirt snapshot (bad header)"))?;
        self.check_header(&saved)
            .map_err(|why| format!("'{name}' {why}"))?;
        // Everything is read and checked before the machine changes.
        let mut z = DeflateDecoder::new(input);
        let corrupt = |_| format!("'{name}' is corrupt or truncated");
        let state: MachineState = bincode::deserialize_from(&mut z).map_err(corrupt)?;
        if state.vcpus.len() != self.vcpus.len() {
            return Err(format!("'{name}' is corrupt (vCPU states)"));
        }
        let mut word = [0u8; 8];
        z.read_exact(&mut word)
            .map_err(|_| format!("'{name}' is corrupt or truncated"))?;
        let count = u64::from_le_bytes(word);
        let total = self.ram.pages() as u64;
        if count > total {
            return Err(format!("'{name}' is corrupt (page count)"));
        }
        let mut pages = Vec::with_capacity(count as usize);
        for _ in 0..count {
            z.read_exact(&mut word)
                .map_err(|_| format!("'{name}' is corrupt or truncated"))?;
            let index = u64::from_le_bytes(word);
            if index >= total {
                return Err(format!("'{name}' is corrupt (page index)"));
            }
            let mut page = vec![0u8; PAGE as usize];
            z.read_exact(&mut page)
                .map_err(|_| format!("'{name}' is corrupt or truncated"))?;
            pages.push((index as usize, page));
        }
        self.install(state, pages);
        Ok(())
    }

    fn check_header(&self, saved: &Header) -> Result<(), String> {
        let ours = self.snapshot_header()?;
        if saved.format != ours.format {
            return Err(format!(
                "has snapshot format {}, armvirt reads {}",
                saved.format, ours.format
            ));
        }
        if saved.armvirt != ours.armvirt {
            return Err(format!(
                "was saved by armvirt {}, this is {}",
                saved.armvirt, ours.armvirt
            ));
        }
        if (saved.kernel_size, saved.kernel_crc) != (ours.kernel_size, ours.kernel_crc) {
            return Err(format!(
                "belongs to another kernel ({} bytes, CRC {:08x}; this one: {} bytes, CRC {:08x})",
                saved.kernel_size, saved.kernel_crc, ours.kernel_size, ours.kernel_crc
            ));
        }
        if (saved.ram_base, saved.ram_size) != (ours.ram_base, ours.ram_size) {
            return Err(format!(
                "has {} MiB of RAM, this machine {} MiB (-m)",
                saved.ram_size >> 20,
                ours.ram_size >> 20
            ));
        }
        if saved.cpus != ours.cpus {
            return Err(format!(
                "has {} vCPUs, this machine {} (-smp)",
                saved.cpus, ours.cpus
            ));
        }
        if saved.gic_v3 != ours.gic_v3 {
            let v = |v3| if v3 { 3 } else { 2 };
            return Err(format!(
                "has a GICv{}, this machine a GICv{} (-M gic-version)",
                v(saved.gic_v3),
                v(ours.gic_v3)
            ));
        }
        Ok(())
    }

    /// Puts `state` and RAM's nonzero `pages` in (every other page reads zero).
    fn install(&mut self, state: MachineState, pages: Vec<(usize, Vec<u8>)>) {
        let saved: std::collections::HashSet<usize> = pages.iter().map(|(i, _)| *i).collect();
        for p in self.ram.resident_pages() {
            if !saved.contains(&p) {
                self.ram.page_mut(p).fill(0);
                self.code
                    .note_write(self.ram.base() + p as u64 * PAGE, PAGE);
            }
        }
        for (p, bytes) in pages {
            self.ram.page_mut(p).copy_from_slice(&bytes);
            self.code
                .note_write(self.ram.base() + p as u64 * PAGE, PAGE);
        }
        self.restore_state(&state);
        for v in &mut self.vcpus {
            v.cpu.tlb.fast.clear();
        }
        for i in 0..self.vcpus.len() {
            self.gic.update_timer_ppis(i, &self.vcpus[i]);
        }
        if let Some(budget) = self.history.as_ref().map(|h| h.budget()) {
            // History of a run the machine has left.
            self.stop_history();
            self.start_history(budget);
        }
    }
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
