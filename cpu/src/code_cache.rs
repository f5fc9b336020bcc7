//! The cache of decoded guest code, shared by every vCPU of a machine (and, later, the
//! JIT's compiled blocks).
//!
//! Blocks are keyed by the *physical* address of their first instruction and never cross
//! a page. Every RAM store asks [`CodeCache::note_write`] whether it hit a page holding
//! decoded code; that question is one bit test in a bitmap with a bit per page of RAM, so
//! stores to data pages (nearly all of them) never touch the hash maps.

use crate::bus::RamRegion;
use crate::decode::Decoded;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

pub const PAGE_SHIFT: u32 = 12;

/// A decoded basic block.
pub type Block = Rc<[Decoded]>;

const WORD_BITS: u64 = u64::BITS as u64;

/// A hasher for physical addresses: a folded multiply instead of the default SipHash,
/// whose resistance to chosen keys buys nothing here (a guest crafting colliding code
/// addresses only slows itself) and costs a block lookup more than the block's dispatch.
#[derive(Default)]
pub(crate) struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, x: u64) {
        // The high and low halves of a 128-bit product by an odd constant (the golden
        // ratio's), folded: every input bit reaches the low bits HashMap indexes with.
        let p = u128::from(self.0 ^ x) * 0x9e37_79b9_7f4a_7c15;
        self.0 = (p >> 64) as u64 ^ p as u64;
    }

    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type AddrMap<V> = HashMap<u64, V, BuildHasherDefault<AddrHasher>>;

/// Decoded blocks of guest code, shared by every vCPU of a machine.
#[derive(Default)]
pub struct CodeCache {
    blocks: AddrMap<Block>,
    /// Block start addresses per physical page, for invalidation.
    pages: AddrMap<Vec<u64>>,
    /// One bit per page of RAM, set while `pages` has an entry for it. Sized from RAM at
    /// the first insert; until then it covers nothing (and nothing is cached).
    code_pages: Vec<u64>,
    /// Page number of RAM's first page.
    first_page: u64,
    /// Counts pages becoming code pages: a vCPU that sees it change drops its fast TLB's
    /// write entries (which may map such a page for stores that bypass `note_write`).
    code_epoch: u64,
    /// The JIT's translations of these blocks, dropped with them.
    pub jit: crate::jit::Cache,
}

impl CodeCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The block starting at physical address `pa`, if cached.
    #[inline(always)]
    pub fn get(&self, pa: u64) -> Option<&Block> {
        self.blocks.get(&pa)
    }

    /// Caches `block`, decoded from RAM at physical address `pa`. A block outside `ram`
    /// is not cached: stores there would not be seen.
    pub fn insert(&mut self, ram: &RamRegion, pa: u64, block: Block) {
        if self.code_pages.is_empty() {
            self.cover(ram);
        }
        let page = pa >> PAGE_SHIFT;
        let Some((word, bit)) = self.bit(page) else {
            debug_assert!(false, "code at {pa:#x} is outside RAM");
            return;
        };
        if self.code_pages[word] & bit == 0 {
            self.code_pages[word] |= bit;
            self.code_epoch += 1;
        }
        self.pages.entry(page).or_default().push(pa);
        self.blocks.insert(pa, block);
    }

    /// A store to `[pa, pa+len)`: drops blocks on the touched pages.
    #[inline(always)]
    pub fn note_write(&mut self, pa: u64, len: u64) {
        let first = pa >> PAGE_SHIFT;
        let last = (pa + len.max(1) - 1) >> PAGE_SHIFT;
        if first == last {
            if self.holds_code(first) {
                self.drop_page(first);
            }
        } else {
            self.note_write_pages(first, last);
        }
    }

    /// Drops every block (IC IALLU, a changed translation regime).
    pub fn flush(&mut self) {
        for page in self.pages.keys() {
            if let Some((word, bit)) = Self::bit_in(&self.code_pages, self.first_page, *page) {
                self.code_pages[word] &= !bit;
            }
        }
        self.blocks.clear();
        self.pages.clear();
        self.jit.flush();
    }

    /// See `code_epoch`.
    pub fn code_epoch(&self) -> u64 {
        self.code_epoch
    }

    /// Whether the page holding physical address `pa` holds decoded code.
    pub fn holds_code_at(&self, pa: u64) -> bool {
        self.holds_code(pa >> PAGE_SHIFT)
    }

    /// Sizes the page bitmap for `ram`.
    fn cover(&mut self, ram: &RamRegion) {
        let pages = ram.size().div_ceil(1 << PAGE_SHIFT);
        self.first_page = ram.base() >> PAGE_SHIFT;
        // One more word when RAM's base is not page-aligned and so spans one more page.
        self.code_pages = vec![0; (pages / WORD_BITS + 2) as usize];
    }

    /// The word index and mask of `page`'s bit, if the bitmap covers it.
    #[inline(always)]
    fn bit(&self, page: u64) -> Option<(usize, u64)> {
        Self::bit_in(&self.code_pages, self.first_page, page)
    }

    #[inline(always)]
    fn bit_in(code_pages: &[u64], first_page: u64, page: u64) -> Option<(usize, u64)> {
        let i = page.wrapping_sub(first_page);
        let word = usize::try_from(i / WORD_BITS).ok()?;
        (word < code_pages.len()).then_some((word, 1 << (i % WORD_BITS)))
    }

    #[inline(always)]
    fn holds_code(&self, page: u64) -> bool {
        self.bit(page)
            .is_some_and(|(word, bit)| self.code_pages[word] & bit != 0)
    }

    /// A store spanning pages (the debugger, loaders): each page is checked in turn.
    #[cold]
    fn note_write_pages(&mut self, first: u64, last: u64) {
        for page in first..=last {
            if self.holds_code(page) {
                self.drop_page(page);
            }
        }
    }

    #[cold]
    fn drop_page(&mut self, page: u64) {
        if let Some((word, bit)) = self.bit(page) {
            self.code_pages[word] &= !bit;
        }
        if let Some(starts) = self.pages.remove(&page) {
            for s in starts {
                self.blocks.remove(&s);
            }
        }
        self.jit.drop_page(page);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;

    const BASE: u64 = 0x4000_0000;
    const NOP: u32 = 0xd503_201f;

    /// A region descriptor for bounds only: the cache never dereferences RAM.
    fn ram(size: u64) -> RamRegion {
        // SAFETY: the region is never read or written through.
        unsafe { RamRegion::new(BASE, size, std::ptr::NonNull::dangling().as_ptr()) }
    }

    fn block() -> Block {
        Rc::from([decode(NOP)])
    }

    fn cache_with(pas: &[u64]) -> CodeCache {
        let mut c = CodeCache::new();
        for &pa in pas {
            c.insert(&ram(1 << 20), pa, block());
        }
        c
    }

    #[test]
    fn a_store_to_a_code_page_drops_its_blocks_only() {
        let mut c = cache_with(&[BASE, BASE + 0x40, BASE + 0x1000]);
        c.note_write(BASE + 0xff8, 8);
        assert!(c.get(BASE).is_none());
        assert!(c.get(BASE + 0x40).is_none());
        assert!(c.get(BASE + 0x1000).is_some());
    }

    #[test]
    fn a_store_to_a_data_page_keeps_the_blocks() {
        let mut c = cache_with(&[BASE]);
        c.note_write(BASE + 0x2000, 8);
        c.note_write(0, 8); // below RAM
        c.note_write(u64::MAX - 7, 8); // top of the address space
        assert!(c.get(BASE).is_some());
    }

    #[test]
    fn a_store_across_pages_drops_both() {
        let mut c = cache_with(&[BASE + 0x1000, BASE + 0x2000]);
        c.note_write(BASE + 0x1ffc, 8);
        assert!(c.get(BASE + 0x1000).is_none());
        assert!(c.get(BASE + 0x2000).is_none());
    }

    #[test]
    fn the_last_page_of_ram_is_covered() {
        let last = BASE + (1 << 20) - 0x1000;
        let mut c = cache_with(&[last]);
        c.note_write(last + 0xfff, 1);
        assert!(c.get(last).is_none());
    }

    #[test]
    fn a_page_is_watched_again_after_a_flush() {
        let mut c = cache_with(&[BASE]);
        c.flush();
        assert!(c.get(BASE).is_none());
        assert!(!c.holds_code(BASE >> PAGE_SHIFT));
        c.insert(&ram(1 << 20), BASE, block());
        c.note_write(BASE, 4);
        assert!(c.get(BASE).is_none());
    }

    crate::cpu_test! {
        // A guest store over an instruction in a cached block: the next pass runs the new
        // one. (This model keeps fetch coherent with stores, so it needs no IC IVAU.)
        fn a_guest_store_replaces_cached_code(t) {
            const MOVZ_X1_2: u32 = 0xd280_0041; // MOVZ X1, #2 (C6.2.244)
            t.load(&crate::a64!(
                ; adr x5, ->patch
                ; movz w6, MOVZ_X1_2 & 0xffff
                ; movk w6, MOVZ_X1_2 >> 16, lsl 16
                ; b ->patch // so that a block starts at `patch` and is cached
                ; ->patch:
                ; movz x1, 1
                ; add x2, x2, x1
                ; cbnz x3, ->done
                ; movz x3, 1
                ; str w6, [x5]
                ; b ->patch
                ; ->done:
            ));
            t.run();
            assert_eq!(t.x(2), 1 + 2);
        }
    }
}
