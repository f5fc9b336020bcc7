//! The software TLB of a vCPU, and the broadcast of TLB maintenance between vCPUs.
//!
//! A direct-mapped array indexed by VA bits 12 and up: a hit costs one index, one tag
//! compare, a permission test and an ASID test, which generated code can inline. An entry
//! caches one 4 KiB piece of a translation (of a page or block of any size) with the
//! permissions of both ELs, and is tagged with the ASID unless it is global.
//!
//! What may be cached and until when is the Arm ARM's ("Translation Lookaside Buffers",
//! in chapter D4 of the v8.0 edition): any translation may stay cached until a TLBI removes it, entries
//! of another ASID must not be used, faults are never cached. Dropping entries at any
//! time is allowed, which is what a full flush or an eviction does.
//!
//! TLBI by VA removes every entry whose translation covers the VA. Entries record the
//! size of their translation, and the TLB the sizes it holds, so that only the slots a
//! block could occupy are examined.
//!
//! The Inner Shareable forms reach every vCPU through [`TlbBroadcast`], a short log of
//! operations that each vCPU replays when its run slice starts. vCPUs run one at a time
//! on one host thread, so no vCPU executes between a TLBI IS and its effect on the
//! others.

use super::walk::{bits, Translation};
use std::collections::VecDeque;

/// log2 of the number of entries.
pub const TLB_BITS: u32 = 10;
pub const TLB_ENTRIES: usize = 1 << TLB_BITS;
/// Entries cache translations 4 KiB at a time, the smallest granule.
pub const TLB_PAGE_SHIFT: u32 = 12;
const PAGE_MASK: u64 = (1 << TLB_PAGE_SHIFT) - 1;
/// A tag no VA has: VA tags have their low 12 bits clear.
const INVALID_TAG: u64 = 1;
/// VA bits a TLBI names (its operand holds VA[55:12]).
const TLBI_VA_BITS: u64 = bits(55, TLB_PAGE_SHIFT);

/// One cached translation of a 4 KiB VA page. `#[repr(C)]` for generated code.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TlbEntry {
    /// The VA of the page (all 64 bits, top byte included), or `INVALID_TAG`.
    pub tag: u64,
    /// The PA of the page.
    pub pa: u64,
    /// The ASID the entry belongs to, unless `global`.
    pub asid: u16,
    /// [`super::perm`] bits.
    pub perms: u8,
    pub global: bool,
    /// log2 of the size of the page or block this piece belongs to.
    pub size_log2: u8,
}

const EMPTY: TlbEntry = TlbEntry {
    tag: INVALID_TAG,
    pa: 0,
    asid: 0,
    perms: 0,
    global: false,
    size_log2: 0,
};

#[inline(always)]
fn slot(va: u64) -> usize {
    (va >> TLB_PAGE_SHIFT) as usize & (TLB_ENTRIES - 1)
}

/// A TLB maintenance operation (the TLBI system instructions), with its operand decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TlbiOp {
    /// VMALLE1: everything.
    All,
    /// ASIDE1: the non-global entries of an ASID.
    Asid(u16),
    /// VAE1, VALE1: the VA's entries of one ASID, and its global ones.
    Va { va: u64, asid: u16 },
    /// VAAE1, VAALE1: the VA's entries of every ASID.
    VaAllAsids { va: u64 },
}

impl TlbiOp {
    /// Decodes TLBI `op2` with operand `xt` (ASID in bits 63:48, VA[55:12] in bits 43:0);
    /// `asid_mask` keeps the bits of the ASID size in use. `None` for an unallocated op2.
    pub fn decode(op2: u32, xt: u64, asid_mask: u16) -> Option<Self> {
        let va = (xt << TLB_PAGE_SHIFT) & TLBI_VA_BITS;
        let asid = (xt >> 48) as u16 & asid_mask;
        Some(match op2 {
            0 => TlbiOp::All,
            1 | 5 => TlbiOp::Va { va, asid },
            2 => TlbiOp::Asid(asid),
            3 | 7 => TlbiOp::VaAllAsids { va },
            _ => return None,
        })
    }
}

/// How many broadcast operations are kept for vCPUs that have not run since; one that
/// falls further behind flushes everything instead.
const BROADCAST_LOG: usize = 64;

/// TLB maintenance broadcast to every vCPU of a machine (TLBI ...IS). Shared through
/// [`crate::mem::Mem`].
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TlbBroadcast {
    /// The latest operations, oldest first.
    log: VecDeque<TlbiOp>,
    /// Sequence number the next operation will get (the count of operations so far).
    next: u64,
}

impl TlbBroadcast {
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, op: TlbiOp) {
        if self.log.len() == BROADCAST_LOG {
            self.log.pop_front();
        }
        self.log.push_back(op);
        self.next += 1;
    }
}

/// log2 of the entries of each fast-TLB set.
pub const FAST_TLB_BITS: u32 = 8;
pub const FAST_TLB_ENTRIES: usize = 1 << FAST_TLB_BITS;

/// One entry of the JIT's fast TLB: a 4 KiB VA page whose data is plain guest RAM,
/// reached at host address `addend + va`. `repr(C)`: generated code reads it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FastEntry {
    /// The page's VA, or [`INVALID_TAG`].
    pub tag: u64,
    pub addend: u64,
}

const FAST_EMPTY: FastEntry = FastEntry {
    tag: INVALID_TAG,
    addend: 0,
};

/// What translated code looks up before a load or store (`jit/load_store.rs`): a cache of
/// the TLB's translations of RAM pages, one set per (EL, read or write), each entry
/// already resolved to a host address. It only ever holds what the TLB would answer, and
/// every change of the TLB empties it, so it needs no ASID or permission bits: entries
/// are for the current ASID, and a set holds only pages its EL may access that way. Write
/// sets never hold pages with translated code, so stores to code take the slow path.
#[repr(C)]
pub struct FastTlb {
    /// Sets `el * 2 + write` for data; `4 + el` for instruction fetches, whose entries
    /// hold the page's PA in `addend` (register branches check a block's page with it).
    pub sets: [[FastEntry; FAST_TLB_ENTRIES]; 6],
    used: bool,
}

impl FastTlb {
    /// Byte offset of set (`el`, `write`) from the start of the structure.
    pub const fn set_offset(el: u8, write: bool) -> usize {
        (el as usize * 2 + write as usize) * FAST_TLB_ENTRIES * std::mem::size_of::<FastEntry>()
    }

    /// Byte offset of the fetch set of `el`.
    pub const fn fetch_set_offset(el: u8) -> usize {
        (4 + el as usize) * FAST_TLB_ENTRIES * std::mem::size_of::<FastEntry>()
    }

    /// Caches that instructions at `va` may be fetched at `el` from physical page `pa_page`.
    pub fn fill_fetch(&mut self, el: u8, va: u64, pa_page: u64) {
        let i = (va >> TLB_PAGE_SHIFT) as usize & (FAST_TLB_ENTRIES - 1);
        self.sets[4 + el as usize][i] = FastEntry {
            tag: va & !PAGE_MASK,
            addend: pa_page,
        };
        self.used = true;
    }

    /// Caches `va`'s page as `host_page` (the host address of its first byte).
    pub fn fill(&mut self, el: u8, write: bool, va: u64, host_page: u64) {
        let page = va & !PAGE_MASK;
        let i = (va >> TLB_PAGE_SHIFT) as usize & (FAST_TLB_ENTRIES - 1);
        self.sets[el as usize * 2 + write as usize][i] = FastEntry {
            tag: page,
            addend: host_page.wrapping_sub(page),
        };
        self.used = true;
    }

    /// Drops the entries of the page at VA `page`, in every set.
    pub fn forget_page(&mut self, page: u64) {
        if !self.used {
            return;
        }
        let i = (page >> TLB_PAGE_SHIFT) as usize & (FAST_TLB_ENTRIES - 1);
        for set in self.sets.iter_mut() {
            if set[i].tag == page {
                set[i] = FAST_EMPTY;
            }
        }
    }

    pub fn clear(&mut self) {
        if self.used {
            for set in self.sets.iter_mut() {
                set.fill(FAST_EMPTY);
            }
            self.used = false;
        }
    }

    /// Drops the write entries only (a page became a code page somewhere).
    pub fn clear_writes(&mut self) {
        if self.used {
            self.sets[1].fill(FAST_EMPTY);
            self.sets[3].fill(FAST_EMPTY);
        }
    }
}

/// What a TLB holds, for a snapshot: its entries are guest-observable (a translation
/// the tables no longer give stays usable until a TLBI), so a replay needs them exact.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TlbState {
    entries: Vec<TlbEntry>,
    asid: u16,
    sizes: u64,
    used: bool,
    seen: u64,
}

impl std::fmt::Debug for TlbState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let valid = self.entries.iter().filter(|e| e.tag != INVALID_TAG).count();
        write!(
            f,
            "TlbState {{ {valid} entries, asid {}, seen {} }}",
            self.asid, self.seen
        )
    }
}

/// The software TLB of one vCPU.
pub struct Tlb {
    entries: Box<[TlbEntry; TLB_ENTRIES]>,
    /// The current ASID (from the TTBR that TCR_EL1.A1 selects, at the TCR_EL1.AS size);
    /// set through [`Tlb::set_asid`].
    asid: u16,
    /// Bit n set: some entry may belong to a translation of size 2^n.
    sizes: u64,
    /// Whether any entry may be valid (a flush of an empty TLB is free).
    used: bool,
    /// Broadcast operations applied so far (a sequence number of [`TlbBroadcast`]).
    seen: u64,
    /// The JIT's view of this TLB, emptied whenever the TLB changes.
    pub fast: Box<FastTlb>,
}

impl Default for Tlb {
    fn default() -> Self {
        Self::new()
    }
}

impl Tlb {
    pub fn new() -> Self {
        let entries: Box<[TlbEntry]> = vec![EMPTY; TLB_ENTRIES].into_boxed_slice();
        Tlb {
            entries: entries.try_into().expect("TLB_ENTRIES entries"),
            asid: 0,
            sizes: 0,
            used: false,
            seen: 0,
            fast: Box::new(FastTlb {
                sets: [[FAST_EMPTY; FAST_TLB_ENTRIES]; 6],
                used: false,
            }),
        }
    }

    pub fn asid(&self) -> u16 {
        self.asid
    }

    /// Switches the current ASID; the fast TLB holds the old one's pages, so it empties.
    pub fn set_asid(&mut self, asid: u16) {
        if asid != self.asid {
            self.asid = asid;
            self.fast.clear();
        }
    }

    /// The PA for `va` if a usable entry grants one of the `need` permission bits.
    #[inline(always)]
    pub fn lookup(&self, va: u64, need: u8) -> Option<u64> {
        let e = &self.entries[slot(va)];
        if e.tag == va & !PAGE_MASK && e.perms & need != 0 && (e.global || e.asid == self.asid) {
            Some(e.pa | va & PAGE_MASK)
        } else {
            None
        }
    }

    /// The entry `va` would use, valid or not (for tests and diagnostics).
    pub fn entry(&self, va: u64) -> &TlbEntry {
        &self.entries[slot(va)]
    }

    /// Caches the 4 KiB piece of `t` that holds `va`. The fast TLB forgets the entry this
    /// one replaces: it only ever holds pages this TLB holds, so whether an access hits
    /// there or here, this TLB's contents evolve the same (a snapshot restores them with
    /// the fast TLB empty, and the replay must fill the same entries).
    pub fn fill(&mut self, va: u64, t: &Translation) {
        let old = self.entries[slot(va)].tag;
        if old != INVALID_TAG {
            self.fast.forget_page(old);
        }
        self.entries[slot(va)] = TlbEntry {
            tag: va & !PAGE_MASK,
            pa: t.pa & !PAGE_MASK,
            asid: self.asid,
            perms: t.perms,
            global: t.global,
            size_log2: t.size_log2,
        };
        self.sizes |= 1 << t.size_log2;
        self.used = true;
    }

    /// Drops every entry.
    pub fn flush(&mut self) {
        self.fast.clear();
        if self.used {
            self.entries.fill(EMPTY);
            self.sizes = 0;
            self.used = false;
        }
    }

    pub fn save(&self) -> TlbState {
        TlbState {
            entries: self.entries.to_vec(),
            asid: self.asid,
            sizes: self.sizes,
            used: self.used,
            seen: self.seen,
        }
    }

    /// Loads what [`Tlb::save`] gave; the fast TLB (a cache of this one) starts empty.
    pub fn restore(&mut self, s: &TlbState) {
        for (e, saved) in self.entries.iter_mut().zip(&s.entries) {
            *e = *saved;
        }
        self.asid = s.asid;
        self.sizes = s.sizes;
        self.used = s.used;
        self.seen = s.seen;
        self.fast.clear();
    }

    /// Performs a TLB maintenance operation on this TLB.
    pub fn apply(&mut self, op: TlbiOp) {
        self.fast.clear();
        match op {
            TlbiOp::All => self.flush(),
            TlbiOp::Asid(asid) => {
                for e in self.entries.iter_mut() {
                    if !e.global && e.asid == asid {
                        *e = EMPTY;
                    }
                }
            }
            TlbiOp::Va { va, asid } => self.flush_va(va, Some(asid)),
            TlbiOp::VaAllAsids { va } => self.flush_va(va, None),
        }
    }

    /// Drops the entries whose translation covers `va` (bits 55:12 compared) and that
    /// belong to `asid` or are global; with `None`, of any ASID.
    fn flush_va(&mut self, va: u64, asid: Option<u16>) {
        let hit = |e: &TlbEntry| {
            let span = !((1u64 << e.size_log2) - 1);
            e.tag != INVALID_TAG
                && (e.tag ^ va) & TLBI_VA_BITS & span == 0
                && asid.is_none_or(|a| e.global || e.asid == a)
        };
        let mut sizes = self.sizes;
        while sizes != 0 {
            let size_log2 = sizes.trailing_zeros();
            sizes &= sizes - 1;
            let pages = 1u64 << (size_log2 - TLB_PAGE_SHIFT);
            if pages >= TLB_ENTRIES as u64 {
                // A translation this large may occupy any slot.
                for e in self.entries.iter_mut() {
                    if hit(e) {
                        *e = EMPTY;
                    }
                }
                return;
            }
            let base = va & !((1u64 << size_log2) - 1);
            for p in 0..pages {
                let e = &mut self.entries[slot(base + (p << TLB_PAGE_SHIFT))];
                if hit(e) {
                    *e = EMPTY;
                }
            }
        }
    }

    /// Applies `op` here and, for an Inner Shareable form, sends it to every other vCPU.
    pub fn maintain(&mut self, op: TlbiOp, broadcast: Option<&mut TlbBroadcast>) {
        self.apply(op);
        if let Some(b) = broadcast {
            // This TLB has seen everything before (it synchronised when its slice began
            // and nothing else ran since), so it need not replay its own operation.
            let current = self.seen == b.next;
            b.push(op);
            if current {
                self.seen = b.next;
            }
        }
    }

    /// Replays the broadcast operations this TLB has not seen (at a run slice's start).
    #[inline]
    pub fn sync(&mut self, b: &TlbBroadcast) {
        if self.seen != b.next {
            self.catch_up(b);
        }
    }

    #[cold]
    fn catch_up(&mut self, b: &TlbBroadcast) {
        let behind = b.next.wrapping_sub(self.seen);
        if behind > b.log.len() as u64 {
            self.flush();
        } else {
            let start = b.log.len() - behind as usize;
            for op in b.log.range(start..) {
                self.apply(*op);
            }
        }
        self.seen = b.next;
    }
}

#[cfg(test)]
mod tests {
    use super::super::perm;
    use super::*;

    fn translation(pa: u64, size_log2: u8, global: bool) -> Translation {
        Translation {
            pa,
            level: 3,
            size_log2,
            perms: perm::R1 | perm::W1,
            global,
            attr: 0xff,
            sh: 3,
        }
    }

    #[test]
    fn hit_needs_tag_permission_and_asid() {
        let mut tlb = Tlb::new();
        tlb.set_asid(5);
        tlb.fill(0x1234_5000, &translation(0x4000_0000, 12, false));
        assert_eq!(tlb.lookup(0x1234_5678, perm::R1), Some(0x4000_0678));
        assert_eq!(tlb.lookup(0x1234_5678, perm::R0), None); // EL0 may not read
        assert_eq!(tlb.lookup(0x1234_6678, perm::R1), None); // another page
        tlb.set_asid(6);
        assert_eq!(tlb.lookup(0x1234_5678, perm::R1), None); // another ASID
    }

    #[test]
    fn tlbi_va_covers_a_whole_block() {
        let mut tlb = Tlb::new();
        // Two 4 KiB pieces of one 2 MiB block, and an unrelated page.
        tlb.fill(0x8020_0000, &translation(0x4020_0000, 21, true));
        tlb.fill(0x803f_f000, &translation(0x403f_f000, 21, true));
        tlb.fill(0x8040_0000, &translation(0x4040_0000, 12, true));
        tlb.apply(TlbiOp::VaAllAsids { va: 0x8030_0000 });
        assert_eq!(tlb.lookup(0x8020_0000, perm::R1), None);
        assert_eq!(tlb.lookup(0x803f_f000, perm::R1), None);
        assert_eq!(tlb.lookup(0x8040_0000, perm::R1), Some(0x4040_0000));
    }

    #[test]
    fn tlbi_decodes_asid_and_va_fields() {
        // Xt: ASID in 63:48, VA[55:12] in 43:0 (the TLBI VAE1 operand).
        let xt = 0x0042_0000_0000_0000 | (0xffff_8000_1234_5000u64 >> 12) & ((1 << 44) - 1);
        assert_eq!(
            TlbiOp::decode(1, xt, 0xffff),
            Some(TlbiOp::Va {
                va: 0x00ff_8000_1234_5000,
                asid: 0x42
            })
        );
        assert_eq!(
            TlbiOp::decode(2, 0x1234 << 48, 0xff),
            Some(TlbiOp::Asid(0x34))
        );
        assert_eq!(TlbiOp::decode(4, 0, 0xff), None);
    }

    #[test]
    fn broadcast_reaches_a_vcpu_that_runs_later() {
        let mut b = TlbBroadcast::new();
        let (mut a, mut c) = (Tlb::new(), Tlb::new());
        c.fill(0x1000, &translation(0x4000_1000, 12, true));
        c.fill(0x2000, &translation(0x4000_2000, 12, true));
        a.maintain(TlbiOp::VaAllAsids { va: 0x1000 }, Some(&mut b));
        assert_eq!(c.lookup(0x1000, perm::R1), Some(0x4000_1000)); // not yet synced
        c.sync(&b);
        assert_eq!(c.lookup(0x1000, perm::R1), None);
        assert_eq!(c.lookup(0x2000, perm::R1), Some(0x4000_2000));
        // Falling behind the log flushes everything.
        for _ in 0..=BROADCAST_LOG {
            a.maintain(TlbiOp::VaAllAsids { va: 0x9000 }, Some(&mut b));
        }
        c.sync(&b);
        assert_eq!(c.lookup(0x2000, perm::R1), None);
    }
}
