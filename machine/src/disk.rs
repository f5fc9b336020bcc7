//! The disks behind virtio-blk: a raw image file (`-drive file=F,format=raw`), read-only
//! when asked (`readonly=on`), or under a snapshot overlay (`snapshot=on`) that keeps the
//! guest's writes in memory and never writes the file. Host I/O lives here, in the
//! machine, so the device model in `armvirt_devices::virtio::blk` stays plain state.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Mutex};

use crate::error::Error;
use crate::options::Drive;
use armvirt_devices::virtio::blk::{BlockBackend, Overlay};

/// A raw image file.
pub struct FileDisk {
    file: File,
    size: u64,
}

impl FileDisk {
    /// Opens `drive`'s file: read-write unless it is read-only or a snapshot (neither of
    /// which ever writes it).
    pub fn open(drive: &Drive) -> Result<Self, Error> {
        let write = !drive.readonly && !drive.snapshot;
        let what = "disk image";
        let file = OpenOptions::new()
            .read(true)
            .write(write)
            .open(&drive.file)
            .map_err(|e| Error::read(what, &drive.file, e))?;
        let meta = file
            .metadata()
            .map_err(|e| Error::read(what, &drive.file, e))?;
        if !meta.is_file() {
            let err = io::Error::new(io::ErrorKind::InvalidInput, "not a regular file");
            return Err(Error::read(what, &drive.file, err));
        }
        Ok(FileDisk {
            file,
            size: meta.len(),
        })
    }
}

impl BlockBackend for FileDisk {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.file.read_exact_at(buf, offset)
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.file.write_all_at(data, offset)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }
}

/// Bytes per overlay chunk: a page, so a guest writing its page cache back fills whole
/// chunks and the file is read only for partial ones.
const CHUNK: u64 = 4096;

/// Writes kept in memory over a base disk that is only read (QEMU's `snapshot=on` puts
/// them in a temporary qcow2; here they are a sparse map of chunks).
pub struct Snapshot<B> {
    base: B,
    chunks: Overlay,
}

impl<B: BlockBackend> Snapshot<B> {
    pub fn new(base: B) -> Self {
        Snapshot {
            base,
            chunks: Overlay::new(),
        }
    }

    /// Bytes of guest writes held (for tests and diagnostics).
    pub fn overlay_bytes(&self) -> u64 {
        self.chunks.len() as u64 * CHUNK
    }

    /// Each chunk-sized piece of `[offset, offset + len)`: (chunk, offset in it, length).
    fn pieces(offset: u64, len: usize) -> impl Iterator<Item = (u64, usize, usize)> {
        let mut at = offset;
        let end = offset + len as u64;
        std::iter::from_fn(move || {
            (at < end).then(|| {
                let chunk = at / CHUNK;
                let within = (at % CHUNK) as usize;
                let n = ((CHUNK as usize) - within).min((end - at) as usize);
                at += n as u64;
                (chunk, within, n)
            })
        })
    }
}

impl<B: BlockBackend> BlockBackend for Snapshot<B> {
    fn size(&self) -> u64 {
        self.base.size()
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let mut done = 0;
        for (chunk, within, n) in Self::pieces(offset, buf.len()) {
            let out = &mut buf[done..done + n];
            match self.chunks.get(&chunk) {
                Some(data) => out.copy_from_slice(&data[within..within + n]),
                None => self.base.read_at(offset + done as u64, out)?,
            }
            done += n;
        }
        Ok(())
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        if offset
            .checked_add(data.len() as u64)
            .is_none_or(|e| e > self.size())
        {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "past the end"));
        }
        let mut done = 0;
        for (chunk, within, n) in Self::pieces(offset, data.len()) {
            if !self.chunks.contains_key(&chunk) {
                // A chunk's first write: start from the base's bytes (the last chunk of
                // an image whose size is not a multiple of it is shorter).
                let start = chunk * CHUNK;
                let len = CHUNK.min(self.size() - start) as usize;
                let mut fresh = vec![0u8; CHUNK as usize];
                if n < len {
                    self.base.read_at(start, &mut fresh[..len])?;
                }
                self.chunks.insert(chunk, Arc::new(fresh));
            }
            let c = self.chunks.get_mut(&chunk).expect("inserted above");
            // A chunk a machine snapshot shares is copied first.
            Arc::make_mut(c)[within..within + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(()) // nothing durable to make: the overlay is discarded at exit
    }

    fn overlay(&self) -> Option<Overlay> {
        Some(self.chunks.clone())
    }

    fn set_overlay(&mut self, overlay: Overlay) {
        self.chunks = overlay;
    }
}

/// A disk the machine keeps a handle on while the device uses it: a snapshot overlay
/// must outlive a machine reset, as QEMU's does (the guest's writes last until exit).
#[derive(Clone)]
pub struct SharedDisk(Arc<Mutex<Box<dyn BlockBackend>>>);

impl SharedDisk {
    fn lock(&self) -> std::sync::MutexGuard<'_, Box<dyn BlockBackend>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes `old`'s backend (and its overlay) in place of this one's.
    pub fn take_from(&self, old: &SharedDisk) {
        std::mem::swap(&mut *self.lock(), &mut *old.lock());
    }
}

impl BlockBackend for SharedDisk {
    fn size(&self) -> u64 {
        self.lock().size()
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.lock().read_at(offset, buf)
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.lock().write_at(offset, data)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.lock().flush()
    }
    fn overlay(&self) -> Option<Overlay> {
        self.lock().overlay()
    }
    fn set_overlay(&mut self, overlay: Overlay) {
        self.lock().set_overlay(overlay)
    }
}

/// The backend `drive` asks for.
pub fn open(drive: &Drive) -> Result<SharedDisk, Error> {
    let file = FileDisk::open(drive)?;
    let disk: Box<dyn BlockBackend> = if drive.snapshot {
        Box::new(Snapshot::new(file))
    } else {
        Box::new(file)
    };
    Ok(SharedDisk(Arc::new(Mutex::new(disk))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn image(name: &str, bytes: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("armvirt-disk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn drive(file: PathBuf, readonly: bool, snapshot: bool) -> Drive {
        Drive {
            id: None,
            file,
            readonly,
            snapshot,
        }
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn file_disk_reads_and_writes_the_file() {
        let path = image("rw.img", &pattern(8192));
        let mut d = open(&drive(path.clone(), false, false)).unwrap();
        assert_eq!(d.size(), 8192);
        let mut buf = [0u8; 512];
        d.read_at(512, &mut buf).unwrap();
        assert_eq!(buf[..], pattern(8192)[512..1024]);
        d.write_at(1024, &[7u8; 512]).unwrap();
        d.flush().unwrap();
        assert_eq!(std::fs::read(&path).unwrap()[1024..1536], [7u8; 512]);
    }

    #[test]
    fn snapshot_keeps_writes_in_memory_and_the_file_untouched() {
        let base = pattern(3 * 4096 + 512);
        let path = image("snap.img", &base);
        let mut d = Snapshot::new(FileDisk::open(&drive(path.clone(), false, true)).unwrap());
        // Across a chunk boundary, partial chunks on both sides, and the short last chunk.
        d.write_at(4096 - 512, &[1u8; 1024]).unwrap();
        d.write_at(3 * 4096, &[2u8; 512]).unwrap();
        let mut all = vec![0u8; base.len()];
        d.read_at(0, &mut all).unwrap();
        let mut want = base.clone();
        want[4096 - 512..4096 + 512].fill(1);
        want[3 * 4096..].fill(2);
        assert_eq!(all, want);
        assert_eq!(d.overlay_bytes(), 3 * 4096);
        assert_eq!(std::fs::read(&path).unwrap(), base);
        assert!(d.write_at(3 * 4096 + 512, &[0; 1]).is_err());
    }

    #[test]
    fn a_saved_overlay_brings_the_disk_back_and_is_not_changed_by_later_writes() {
        let base = pattern(2 * 4096);
        let path = image("overlay.img", &base);
        let mut d = open(&drive(path, false, true)).unwrap();
        d.write_at(100, &[5u8; 10]).unwrap();
        let saved = d.overlay().expect("a snapshot disk has an overlay");
        // Written again after the save: the saved chunk is shared, so it is copied first.
        d.write_at(100, &[6u8; 10]).unwrap();
        d.write_at(4096, &[7u8; 10]).unwrap();
        d.set_overlay(saved.clone());
        let mut all = vec![0u8; base.len()];
        d.read_at(0, &mut all).unwrap();
        let mut want = base.clone();
        want[100..110].fill(5);
        assert_eq!(all, want);
        assert_eq!(saved[&0][100], 5);
        // A plain disk has none.
        let plain = open(&drive(image("plain.img", &base), false, false)).unwrap();
        assert!(plain.overlay().is_none());
    }

    #[test]
    fn a_missing_image_is_one_line_naming_it() {
        let e = open(&drive("/no/such.img".into(), false, false))
            .err()
            .unwrap();
        assert_eq!(
            e.to_string(),
            "cannot read disk image '/no/such.img': No such file or directory"
        );
        let dir = std::env::temp_dir();
        let e = open(&drive(dir.clone(), false, false)).err().unwrap();
        assert!(e.to_string().contains("disk image"), "{e}");
    }
}
