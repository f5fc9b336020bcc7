//! The executable memory translated blocks live in: one fixed mapping, allocated once,
//! readable, writable and executable for its whole life, so adding or patching a block
//! never flips page protections (dynasmrt's own buffer does, twice per commit, and moves
//! its code when it grows). Blocks are placed by bumping an offset; when the buffer is
//! full the cache drops every block and starts again at offset 0.

use std::ptr::NonNull;

/// The buffer's size: about 200k blocks of typical kernel code.
pub const CODE_BUFFER_SIZE: usize = 64 << 20;

pub struct CodeBuffer {
    base: NonNull<u8>,
    size: usize,
    used: usize,
}

impl CodeBuffer {
    /// Maps `size` bytes; `None` when the host refuses executable memory.
    pub fn new(size: usize) -> Option<Self> {
        // SAFETY: an anonymous private mapping, checked for failure; unmapped in Drop.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return None;
        }
        Some(CodeBuffer {
            base: NonNull::new(p as *mut u8)?,
            size,
            used: 0,
        })
    }

    /// The address the next block will start at (code is assembled for its final place).
    pub fn next_addr(&self) -> usize {
        self.base.as_ptr() as usize + self.used
    }

    pub fn has_room(&self, len: usize) -> bool {
        self.used + len <= self.size
    }

    /// Copies `code` in at [`Self::next_addr`]; returns its offset.
    pub fn push(&mut self, code: &[u8]) -> u32 {
        assert!(self.has_room(code.len()), "code buffer overflow");
        let off = self.used;
        // SAFETY: in bounds (checked above); the mapping is writable.
        unsafe {
            std::ptr::copy_nonoverlapping(code.as_ptr(), self.base.as_ptr().add(off), code.len())
        };
        // Keep block starts 16-byte aligned, as the host's fetch likes.
        self.used = (off + code.len() + 15) & !15;
        off as u32
    }

    /// The address of offset `off`.
    pub fn addr(&self, off: u32) -> usize {
        self.base.as_ptr() as usize + off as usize
    }

    /// Rewrites the rel32 of the 5-byte `jmp` at offset `at` to reach `target`.
    pub fn patch_jmp(&mut self, at: u32, target: usize) {
        let src = self.addr(at) + 5;
        let rel = (target as i64 - src as i64) as i32;
        // SAFETY: `at` is a jmp rel32 this buffer holds (recorded at translation); vCPUs
        // run on one host thread and none is inside the buffer while the cache patches.
        unsafe {
            let p = self.base.as_ptr().add(at as usize + 1) as *mut [u8; 4];
            p.write_unaligned(rel.to_le_bytes());
        }
    }

    /// Forgets every block.
    pub fn reset(&mut self) {
        self.used = 0;
    }
}

impl Drop for CodeBuffer {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`.
        unsafe { libc::munmap(self.base.as_ptr() as *mut libc::c_void, self.size) };
    }
}
