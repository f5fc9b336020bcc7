//! RAM's history for time travel, kept incrementally: the first snapshot copies the pages
//! the host has backed (the rest read as zero); each later one copies only the pages
//! written since the one before, which the RAM's dirty bitmap names without a scan
//! (every store through a RAM region marks its page; the JIT marks a page before its
//! generated code may store to it; devices mark what they DMA). A page's content at a
//! snapshot is its latest copy at or before it.
//!
//! Restoring copies back only pages that may differ from the snapshot: those copied by
//! later snapshots, those written since the last snapshot, and those an earlier restore or
//! replay changed (compared before copying, so equal pages cost a read).

use crate::ram::{GuestRam, PAGE};
use std::collections::{BTreeSet, HashMap};

/// A snapshot's RAM, by sequence number (snapshots are taken in increasing order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnapId(u64);

type Page = Box<[u8]>;

pub struct RamHistory {
    /// Every retained snapshot, in order, with the pages it holds a copy of.
    snaps: Vec<(SnapId, Vec<usize>)>,
    /// Each retained snapshot's pages written (or restored) since the snapshot before:
    /// a search for writes to a page need not replay an interval that never wrote it.
    written: Vec<BTreeSet<usize>>,
    /// Each page's copies, oldest first, tagged with the snapshot they belong to.
    versions: HashMap<usize, Vec<(SnapId, Page)>>,
    /// Pages that may differ from the last snapshot beyond what the dirty bitmap says:
    /// changed by restores, or written by replays and already taken from the bitmap.
    touched: BTreeSet<usize>,
    next: u64,
    pages_held: usize,
}

impl RamHistory {
    /// Starts RAM's history with a snapshot of it now, and tracks writes from here.
    pub fn new(ram: &mut GuestRam) -> Self {
        ram.track_dirty(true);
        let mut h = RamHistory {
            snaps: Vec::new(),
            written: Vec::new(),
            versions: HashMap::new(),
            touched: BTreeSet::new(),
            next: 0,
            pages_held: 0,
        };
        let id = h.new_id();
        let resident = ram.resident_pages();
        for &p in &resident {
            h.keep(p, id, ram.page(p));
        }
        h.snaps.push((id, resident));
        h.written.push(BTreeSet::new());
        h
    }

    fn new_id(&mut self) -> SnapId {
        self.next += 1;
        SnapId(self.next - 1)
    }

    fn keep(&mut self, page: usize, id: SnapId, bytes: &[u8]) {
        self.versions
            .entry(page)
            .or_default()
            .push((id, bytes.to_vec().into_boxed_slice()));
        self.pages_held += 1;
    }

    /// The first snapshot.
    pub fn base(&self) -> SnapId {
        self.snaps[0].0
    }

    /// Page `page`'s content at snapshot `at`; `None` for a page of zeros never backed.
    fn content_at(&self, page: usize, at: SnapId) -> Option<&[u8]> {
        let v = self.versions.get(&page)?;
        let n = v.partition_point(|(id, _)| *id <= at);
        n.checked_sub(1).map(|i| &*v[i].1)
    }

    /// A snapshot of RAM now: copies of the pages that changed since the last one.
    pub fn capture(&mut self, ram: &mut GuestRam) -> SnapId {
        let mut candidates = std::mem::take(&mut self.touched);
        ram.take_dirty(|p| {
            candidates.insert(p);
        });
        let last = self.snaps.last().map(|s| s.0);
        let id = self.new_id();
        let mut pages = Vec::new();
        self.written.push(candidates.clone());
        for p in candidates {
            let now = ram.page(p);
            let same = match last.and_then(|l| self.content_at(p, l)) {
                Some(had) => had == now,
                None => now.iter().all(|&b| b == 0),
            };
            if !same {
                self.keep(p, id, now);
                pages.push(p);
            }
        }
        self.snaps.push((id, pages));
        id
    }

    /// Puts RAM back as it was at snapshot `to`; returns the physical addresses of the
    /// pages that changed.
    pub fn restore(&mut self, ram: &mut GuestRam, to: SnapId) -> Vec<u64> {
        let mut candidates = std::mem::take(&mut self.touched);
        ram.take_dirty(|p| {
            candidates.insert(p);
        });
        for (id, pages) in &self.snaps {
            if *id > to {
                candidates.extend(pages.iter().copied());
            }
        }
        let mut changed = Vec::new();
        for &p in &candidates {
            let want = self.content_at(p, to);
            let now = ram.page_mut(p);
            let differs = match want {
                Some(w) => *now != *w,
                None => now.iter().any(|&b| b != 0),
            };
            if differs {
                match want {
                    Some(w) => now.copy_from_slice(w),
                    None => now.fill(0),
                }
                changed.push(ram.base() + p as u64 * PAGE);
            }
        }
        // Any of them may now differ from the last snapshot.
        self.touched = candidates;
        changed
    }

    /// Forgets snapshot `id` (thinning); its copies that a later snapshot still needs
    /// pass to the next one. The first and the last snapshot are never removed.
    pub fn remove(&mut self, id: SnapId) {
        let Some(i) = self.snaps.iter().position(|s| s.0 == id) else {
            return;
        };
        if i == 0 || i + 1 == self.snaps.len() {
            return;
        }
        let (_, pages) = self.snaps.remove(i);
        let written = self.written.remove(i);
        self.written[i].extend(written);
        let next = self.snaps[i].0;
        for p in pages {
            let Some(v) = self.versions.get_mut(&p) else {
                continue;
            };
            let Some(k) = v.iter().position(|(vid, _)| *vid == id) else {
                continue;
            };
            if v.get(k + 1).is_some_and(|(vid, _)| *vid == next) {
                v.remove(k);
                self.pages_held -= 1;
            } else {
                v[k].0 = next;
                self.snaps[i].1.push(p);
            }
        }
    }

    /// Whether the interval that ends at snapshot `id` may have written page `page`
    /// (true when `id` is not a snapshot held).
    pub fn may_have_written(&self, id: SnapId, page: usize) -> bool {
        match self.snaps.iter().position(|s| s.0 == id) {
            Some(i) => self.written[i].contains(&page),
            None => true,
        }
    }

    /// Bytes of page copies held.
    pub fn bytes(&self) -> usize {
        self.pages_held * PAGE as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: u64 = 0x4000_0000;

    fn write(ram: &mut GuestRam, addr: u64, bytes: &[u8]) {
        let r = ram.region();
        r.write_bytes((addr - BASE) as usize, bytes);
    }

    fn read(ram: &GuestRam, addr: u64) -> u8 {
        ram.slice(addr, 1).unwrap()[0]
    }

    #[test]
    fn restores_each_snapshot_copying_only_changed_pages() {
        let mut ram = GuestRam::new(BASE, 64 * PAGE).unwrap();
        ram.write(BASE, &[1]).unwrap();
        let mut h = RamHistory::new(&mut ram);
        let s0 = h.base();
        write(&mut ram, BASE + PAGE, &[2]);
        let s1 = h.capture(&mut ram);
        write(&mut ram, BASE, &[3]);
        write(&mut ram, BASE + 5 * PAGE, &[4]);
        let s2 = h.capture(&mut ram);
        write(&mut ram, BASE + 5 * PAGE, &[5]);
        // Back to s1: page 0 had 1, page 1 had 2, page 5 was zero.
        let changed = h.restore(&mut ram, s1);
        assert_eq!(changed, vec![BASE, BASE + 5 * PAGE]);
        assert_eq!((read(&ram, BASE), read(&ram, BASE + PAGE)), (1, 2));
        assert_eq!(read(&ram, BASE + 5 * PAGE), 0);
        let _ = h.restore(&mut ram, s2);
        assert_eq!((read(&ram, BASE), read(&ram, BASE + 5 * PAGE)), (3, 4));
        let _ = h.restore(&mut ram, s0);
        assert_eq!((read(&ram, BASE), read(&ram, BASE + PAGE)), (1, 0));
        // Writes after a restore are undone by the next one.
        write(&mut ram, BASE + 9 * PAGE, &[9]);
        let _ = h.restore(&mut ram, s0);
        assert_eq!(read(&ram, BASE + 9 * PAGE), 0);
    }

    #[test]
    fn removing_a_snapshot_keeps_what_later_ones_need() {
        let mut ram = GuestRam::new(BASE, 16 * PAGE).unwrap();
        let mut h = RamHistory::new(&mut ram);
        write(&mut ram, BASE, &[1]);
        write(&mut ram, BASE + PAGE, &[1]);
        let s1 = h.capture(&mut ram);
        write(&mut ram, BASE + PAGE, &[2]);
        let s2 = h.capture(&mut ram);
        write(&mut ram, BASE + 2 * PAGE, &[3]);
        let _s3 = h.capture(&mut ram);
        h.remove(s1);
        let _ = h.restore(&mut ram, s2);
        assert_eq!(read(&ram, BASE), 1, "s1's copy of page 0 passed to s2");
        assert_eq!(read(&ram, BASE + PAGE), 2);
        assert_eq!(read(&ram, BASE + 2 * PAGE), 0);
    }
}
