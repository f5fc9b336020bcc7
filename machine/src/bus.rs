//! The machine's MMIO bus: the physical address space outside RAM, as an ordered map of
//! non-overlapping ranges to devices (the shape of crosvm's `devices/src/bus.rs`).
//!
//! Lookup finds the last range starting at or below the address; an access that starts in
//! a device but runs past its end is refused, as is an access where nothing is mapped.
//! Either way, and when a device refuses an access, the CPU sees a bus error (an external
//! abort) and the bus writes one line about the guest's mistake on its log (stderr),
//! once per address, like QEMU's `-d guest_errors`.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io::Write;

use armvirt_cpu::{Bus, BusError};
use armvirt_devices::MmioDevice;

/// A device's place on the bus, for messages and listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub name: &'static str,
    pub base: u64,
    pub size: u64,
}

impl fmt::Display for Mapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{:#x}, {:#x})",
            self.name,
            self.base,
            self.base as u128 + self.size as u128
        )
    }
}

/// A device that could not be mapped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The new range overlaps a device already on the bus.
    Overlap { new: Mapping, existing: Mapping },
    /// The range is empty or runs past the end of the address space.
    BadRange(Mapping),
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::Overlap { new, existing } => {
                write!(f, "cannot map {new}: it overlaps {existing}")
            }
            MapError::BadRange(m) => write!(f, "cannot map {m}: empty or beyond 2^64"),
        }
    }
}

impl std::error::Error for MapError {}

struct Slot {
    size: u64,
    dev: Box<dyn MmioDevice>,
}

/// How many distinct guest-error addresses are reported before the log goes quiet.
const GUEST_ERROR_REPORT_LIMIT: usize = 64;

/// One line per distinct faulting (address, direction), up to a limit.
struct GuestErrorLog {
    sink: Box<dyn Write + Send>,
    seen: HashSet<(u64, bool)>,
    muted: bool,
}

impl GuestErrorLog {
    fn report(&mut self, pa: u64, is_write: bool, line: impl FnOnce() -> String) {
        if self.muted || !self.seen.insert((pa, is_write)) {
            return;
        }
        // A log that cannot be written must not stop the guest: ignore write errors.
        if self.seen.len() > GUEST_ERROR_REPORT_LIMIT {
            self.muted = true;
            let _ = writeln!(
                self.sink,
                "armvirt: guest error: further guest errors not shown"
            );
        } else {
            let _ = writeln!(self.sink, "armvirt: guest error: {}", line());
        }
    }
}

/// The `guest_errors` category of the diagnostic log (`-d guest_errors`, as in QEMU).
struct GuestErrorsLog;

impl Write for GuestErrorsLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        armvirt_cpu::log!(
            armvirt_cpu::log::Category::GuestErrors,
            "{}",
            String::from_utf8_lossy(buf).trim_end()
        );
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The MMIO bus of the virt machine.
pub struct MmioBus {
    slots: BTreeMap<u64, Slot>,
    log: GuestErrorLog,
}

impl Default for MmioBus {
    fn default() -> Self {
        Self::new()
    }
}

impl MmioBus {
    /// An empty bus logging guest errors to the `-d guest_errors` log.
    pub fn new() -> Self {
        Self::with_log(Box::new(GuestErrorsLog))
    }

    /// An empty bus logging guest errors to `sink`.
    pub fn with_log(sink: Box<dyn Write + Send>) -> Self {
        MmioBus {
            slots: BTreeMap::new(),
            log: GuestErrorLog {
                sink,
                seen: HashSet::new(),
                muted: false,
            },
        }
    }

    /// Maps `dev` at `[base, base + size)`.
    pub fn insert(
        &mut self,
        base: u64,
        size: u64,
        dev: Box<dyn MmioDevice>,
    ) -> Result<(), MapError> {
        let new = Mapping {
            name: dev.name(),
            base,
            size,
        };
        if size == 0 || base.checked_add(size - 1).is_none() {
            return Err(MapError::BadRange(new));
        }
        let last = base + (size - 1);
        // The only candidates are the last range starting at or below `base` and the first
        // starting inside the new range.
        let below = self.slots.range(..=base).next_back();
        let inside = self.slots.range(base..=last).next();
        for (&b, slot) in below.into_iter().chain(inside) {
            if b <= last && base <= b + (slot.size - 1) {
                let existing = Mapping {
                    name: slot.dev.name(),
                    base: b,
                    size: slot.size,
                };
                return Err(MapError::Overlap { new, existing });
            }
        }
        self.slots.insert(base, Slot { size, dev });
        Ok(())
    }

    /// The devices on the bus, in address order.
    pub fn mappings(&self) -> impl Iterator<Item = Mapping> + '_ {
        self.slots.iter().map(|(&base, s)| Mapping {
            name: s.dev.name(),
            base,
            size: s.size,
        })
    }

    /// The device mapped at `base` (exactly), for the machine's wiring and the debugger.
    pub fn device_at(&mut self, base: u64) -> Option<&mut dyn MmioDevice> {
        self.slots
            .get_mut(&base)
            .map(|s| &mut *s.dev as &mut dyn MmioDevice)
    }

    /// Finds the device holding all of `[pa, pa + size)`: its base and slot, or why not.
    fn route(&mut self, pa: u64, size: u8) -> Result<(u64, &mut Slot), Refusal> {
        let Some((&base, slot)) = self.slots.range_mut(..=pa).next_back() else {
            return Err(Refusal::Unmapped);
        };
        let offset = pa - base;
        if offset >= slot.size {
            return Err(Refusal::Unmapped);
        }
        if size as u64 > slot.size - offset {
            let at = Mapping {
                name: slot.dev.name(),
                base,
                size: slot.size,
            };
            return Err(Refusal::PastEnd(at));
        }
        Ok((base, slot))
    }

    fn refuse(&mut self, pa: u64, size: u8, write: Option<u64>, why: Refusal) -> BusError {
        let access = describe_access(pa, size, write);
        self.log.report(pa, write.is_some(), || match &why {
            Refusal::Unmapped => format!("{access}: nothing is mapped there"),
            Refusal::PastEnd(m) => format!("{access}: runs past the end of {m}"),
        });
        BusError::Unmapped
    }
}

/// Why the bus could not route an access.
enum Refusal {
    Unmapped,
    PastEnd(Mapping),
}

/// "4-byte read at 0x9001000" / "4-byte write of 0x41 at 0x9001000".
fn describe_access(pa: u64, size: u8, write: Option<u64>) -> String {
    match write {
        None => format!("{size}-byte read at {pa:#x}"),
        Some(v) => format!("{size}-byte write of {v:#x} at {pa:#x}"),
    }
}

impl Bus for MmioBus {
    fn read(&mut self, pa: u64, size: u8) -> Result<u64, BusError> {
        let (base, slot) = match self.route(pa, size) {
            Ok(found) => found,
            Err(why) => return Err(self.refuse(pa, size, None, why)),
        };
        match slot.dev.read(pa - base, size) {
            Ok(v) => Ok(v),
            Err(e) => {
                let name = slot.dev.name();
                let access = describe_access(pa, size, None);
                self.log
                    .report(pa, false, || format!("{access} ({name}): {e}"));
                Err(BusError::DeviceError)
            }
        }
    }

    fn write(&mut self, pa: u64, size: u8, value: u64) -> Result<(), BusError> {
        let (base, slot) = match self.route(pa, size) {
            Ok(found) => found,
            Err(why) => return Err(self.refuse(pa, size, Some(value), why)),
        };
        match slot.dev.write(pa - base, size, value) {
            Ok(()) => Ok(()),
            Err(e) => {
                let name = slot.dev.name();
                let access = describe_access(pa, size, Some(value));
                self.log
                    .report(pa, true, || format!("{access} ({name}): {e}"));
                Err(BusError::DeviceError)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use armvirt_devices::DeviceError;
    use std::sync::{Arc, Mutex};

    /// The accesses a test device saw: (offset, size).
    type Seen = Arc<Mutex<Vec<(u64, u8)>>>;

    /// A device with one 32-bit register at offset 0 that records the accesses it sees.
    struct Reg {
        name: &'static str,
        value: u64,
        seen: Seen,
    }

    impl MmioDevice for Reg {
        fn name(&self) -> &'static str {
            self.name
        }
        fn read(&mut self, offset: u64, size: u8) -> Result<u64, DeviceError> {
            self.seen.lock().unwrap().push((offset, size));
            match (offset, size) {
                (0, 4) => Ok(self.value),
                (0, _) => Err(DeviceError::BadSize { offset, size }),
                _ => Err(DeviceError::BadOffset { offset }),
            }
        }
        fn write(&mut self, offset: u64, size: u8, value: u64) -> Result<(), DeviceError> {
            self.seen.lock().unwrap().push((offset, size));
            match (offset, size) {
                (0, 4) => {
                    self.value = value;
                    Ok(())
                }
                _ => Err(DeviceError::BadOffset { offset }),
            }
        }
    }

    fn reg(name: &'static str) -> (Box<Reg>, Seen) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        (
            Box::new(Reg {
                name,
                value: 0,
                seen: seen.clone(),
            }),
            seen,
        )
    }

    /// A log sink the test can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn lines(&self) -> Vec<String> {
            let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
            text.lines().map(str::to_owned).collect()
        }
    }

    fn bus() -> (MmioBus, Captured) {
        let log = Captured::default();
        (MmioBus::with_log(Box::new(log.clone())), log)
    }

    #[test]
    fn routes_to_device_with_offset() {
        let (mut bus, _) = bus();
        let (a, a_seen) = reg("a");
        let (b, b_seen) = reg("b");
        bus.insert(0x1000, 0x100, a).unwrap();
        bus.insert(0x2000, 0x100, b).unwrap();
        bus.write(0x2000, 4, 0x55).unwrap();
        assert_eq!(bus.read(0x2000, 4), Ok(0x55));
        assert_eq!(bus.read(0x1000, 4), Ok(0));
        assert_eq!(*b_seen.lock().unwrap(), vec![(0, 4), (0, 4)]);
        assert_eq!(*a_seen.lock().unwrap(), vec![(0, 4)]);
        let _ = bus.read(0x10fc, 4);
        assert_eq!(a_seen.lock().unwrap().last(), Some(&(0xfc, 4)));
    }

    #[test]
    fn overlap_is_refused_naming_both() {
        let (mut bus, _) = bus();
        bus.insert(0x1000, 0x100, reg("first").0).unwrap();
        // Overlapping from below, from inside, around, and exactly.
        for (base, size) in [
            (0xf00, 0x101),
            (0x10ff, 1),
            (0x800, 0x1000),
            (0x1000, 0x100),
        ] {
            let e = bus.insert(base, size, reg("second").0).unwrap_err();
            assert!(matches!(e, MapError::Overlap { .. }), "{base:#x}+{size:#x}");
            let msg = e.to_string();
            assert!(
                msg.contains("second") && msg.contains("first [0x1000, 0x1100)"),
                "{msg}"
            );
        }
        // Touching ranges are fine on both sides.
        bus.insert(0xf00, 0x100, reg("below").0).unwrap();
        bus.insert(0x1100, 0x100, reg("above").0).unwrap();
        let names: Vec<_> = bus.mappings().map(|m| m.name).collect();
        assert_eq!(names, ["below", "first", "above"]);
    }

    #[test]
    fn empty_and_wrapping_ranges_are_refused() {
        let (mut bus, _) = bus();
        assert!(matches!(
            bus.insert(0x1000, 0, reg("z").0),
            Err(MapError::BadRange(_))
        ));
        assert!(matches!(
            bus.insert(u64::MAX, 2, reg("w").0),
            Err(MapError::BadRange(_))
        ));
        // The very top byte of the address space is a valid one-byte range.
        bus.insert(u64::MAX, 1, reg("top").0).unwrap();
    }

    #[test]
    fn unmapped_and_past_end_are_bus_errors_and_logged_once() {
        let (mut bus, log) = bus();
        let (dev, seen) = reg("dev");
        bus.insert(0x1000, 0x100, dev).unwrap();
        assert_eq!(bus.read(0x0fff, 1), Err(BusError::Unmapped));
        assert_eq!(bus.read(0x1100, 4), Err(BusError::Unmapped));
        // Starts inside the device, ends 4 bytes past it: the device never sees it.
        assert_eq!(bus.read(0x10fc, 8), Err(BusError::Unmapped));
        assert_eq!(bus.write(0x10fc, 8, 1), Err(BusError::Unmapped));
        assert!(seen.lock().unwrap().is_empty());
        // Repeats are not logged again.
        assert_eq!(bus.read(0x1100, 4), Err(BusError::Unmapped));
        assert_eq!(
            log.lines(),
            [
                "armvirt: guest error: 1-byte read at 0xfff: nothing is mapped there",
                "armvirt: guest error: 4-byte read at 0x1100: nothing is mapped there",
                "armvirt: guest error: 8-byte read at 0x10fc: runs past the end of dev [0x1000, 0x1100)",
                "armvirt: guest error: 8-byte write of 0x1 at 0x10fc: runs past the end of dev [0x1000, 0x1100)",
            ]
        );
    }

    #[test]
    fn device_errors_become_bus_errors_with_one_line() {
        let (mut bus, log) = bus();
        bus.insert(0x9000_0000, 0x1000, reg("pl011").0).unwrap();
        assert_eq!(bus.read(0x9000_0000, 2), Err(BusError::DeviceError));
        assert_eq!(bus.write(0x9000_0010, 4, 0x41), Err(BusError::DeviceError));
        assert_eq!(
            log.lines(),
            [
                "armvirt: guest error: 2-byte read at 0x90000000 (pl011): 2-byte access to offset 0x0 is not supported",
                "armvirt: guest error: 4-byte write of 0x41 at 0x90000010 (pl011): no register at offset 0x10",
            ]
        );
    }

    #[test]
    fn log_goes_quiet_after_the_limit() {
        let (mut bus, log) = bus();
        for i in 0..1000u64 {
            let _ = bus.read(i * 8, 8);
        }
        let lines = log.lines();
        assert_eq!(lines.len(), GUEST_ERROR_REPORT_LIMIT + 1);
        assert_eq!(
            lines.last().unwrap(),
            "armvirt: guest error: further guest errors not shown"
        );
    }
}
