//! Why a machine could not be built or run: one variant per kind of problem, each
//! displayed as one line that names the file or option at fault.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::boot::LayoutError;
use crate::bus::MapError;
use crate::dtb::DtbError;
use crate::loader::KernelError;
use crate::ram::RamError;

#[derive(Debug)]
pub enum Error {
    /// An option out of range or options that contradict each other.
    Config(String),
    /// A file that could not be read ("kernel", "initrd", "device tree").
    Read {
        what: &'static str,
        path: PathBuf,
        err: std::io::Error,
    },
    /// A file larger than guest RAM.
    TooLarge {
        what: &'static str,
        path: PathBuf,
        size: u64,
        ram: u64,
    },
    Kernel {
        path: PathBuf,
        err: KernelError,
    },
    Dtb {
        path: PathBuf,
        err: DtbError,
    },
    Layout(LayoutError),
    Fdt(vm_fdt::Error),
    Ram(RamError),
    Bus(MapError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(msg) => f.write_str(msg),
            Error::Read { what, path, err } => {
                write!(f, "cannot read {what} '{}': {}", path.display(), io_reason(err))
            }
            Error::TooLarge { what, path, size, ram } => write!(
                f,
                "{what} '{}' is {size:#x} bytes, more than RAM ({ram:#x}); more memory (-m) may help",
                path.display()
            ),
            Error::Kernel { path, err } => write!(f, "kernel '{}': {err}", path.display()),
            Error::Dtb { path, err } => write!(f, "device tree '{}': {err}", path.display()),
            Error::Layout(e) => e.fmt(f),
            Error::Fdt(e) => write!(f, "cannot build the device tree: {e}"),
            Error::Ram(e) => e.fmt(f),
            Error::Bus(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    pub(crate) fn read(what: &'static str, path: &Path, err: std::io::Error) -> Self {
        Error::Read {
            what,
            path: path.to_path_buf(),
            err,
        }
    }
}

/// An I/O error's text without the "(os error N)" that Rust appends.
fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

impl From<LayoutError> for Error {
    fn from(e: LayoutError) -> Self {
        Error::Layout(e)
    }
}

impl From<vm_fdt::Error> for Error {
    fn from(e: vm_fdt::Error) -> Self {
        Error::Fdt(e)
    }
}

impl From<RamError> for Error {
    fn from(e: RamError) -> Self {
        Error::Ram(e)
    }
}

impl From<MapError> for Error {
    fn from(e: MapError) -> Self {
        Error::Bus(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_errors_drop_the_os_error_number() {
        let err = std::io::Error::from_raw_os_error(2);
        let e = Error::read("kernel", Path::new("/no/such"), err);
        assert_eq!(
            e.to_string(),
            "cannot read kernel '/no/such': No such file or directory"
        );
    }
}
