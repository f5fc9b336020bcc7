//! The connection to gdb: a TCP socket or a Unix socket (QEMU's `-gdb unix:PATH,server`),
//! and the listener gdb connects to. A Unix socket file is ours: a stale one (nobody
//! listening) is replaced, and ours is removed when the listener goes.

use gdbstub::conn::{Connection, ConnectionExt};
use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// A gdb connection.
pub enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

/// Where gdb connects.
pub enum Listener {
    Tcp(TcpListener),
    Unix {
        listener: UnixListener,
        path: PathBuf,
    },
}

impl Listener {
    /// Listens on TCP `addr`.
    pub fn tcp(addr: SocketAddr) -> Result<Self, String> {
        TcpListener::bind(addr)
            .map(Listener::Tcp)
            .map_err(|e| format!("cannot listen for gdb on {addr}: {}", reason(&e)))
    }

    /// Listens on a Unix socket at `path`. A socket file there that nobody listens on is
    /// left over from an earlier run and replaced; any other file, or a socket in use,
    /// is an error.
    pub fn unix(path: &Path) -> Result<Self, String> {
        let problem = |what: String| format!("cannot listen for gdb on {}: {what}", path.display());
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if !meta.file_type().is_socket() {
                return Err(problem("the file exists and is not a socket".into()));
            }
            if UnixStream::connect(path).is_ok() {
                return Err(problem("another program listens on it".into()));
            }
            std::fs::remove_file(path).map_err(|e| problem(reason(&e)))?;
        }
        let listener = UnixListener::bind(path).map_err(|e| problem(reason(&e)))?;
        Ok(Listener::Unix {
            listener,
            path: path.to_path_buf(),
        })
    }

    fn set_nonblocking(&self, on: bool) -> std::io::Result<()> {
        match self {
            Listener::Tcp(l) => l.set_nonblocking(on),
            Listener::Unix { listener, .. } => listener.set_nonblocking(on),
        }
    }

    /// A new connection if one is there (or, `blocking`, once one comes).
    pub(crate) fn accept(&self, blocking: bool) -> Option<Conn> {
        if let Err(e) = self.set_nonblocking(!blocking) {
            eprintln!("armvirt: gdb: {e}");
            return None;
        }
        let conn = match self {
            Listener::Tcp(l) => l.accept().map(|(c, _)| Conn::Tcp(c)),
            Listener::Unix { listener, .. } => listener.accept().map(|(c, _)| Conn::Unix(c)),
        };
        match conn {
            Ok(conn) => match conn.set_nonblocking(false) {
                Ok(()) => Some(conn),
                Err(e) => {
                    eprintln!("armvirt: gdb: {e}");
                    None
                }
            },
            Err(e) if e.kind() == ErrorKind::WouldBlock => None,
            Err(e) => {
                eprintln!("armvirt: gdb: cannot accept a connection: {e}");
                None
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix { path, .. } = self {
            std::fs::remove_file(path).ok();
        }
    }
}

impl Conn {
    fn set_nonblocking(&self, on: bool) -> std::io::Result<()> {
        match self {
            Conn::Tcp(c) => c.set_nonblocking(on),
            Conn::Unix(c) => c.set_nonblocking(on),
        }
    }

    /// Whether gdb sent something (a closed or broken socket counts: `read` then reports
    /// it). The socket is left blocking, as gdbstub's writes expect.
    pub(crate) fn data_waiting(&mut self) -> bool {
        let waiting = self.peek().map(|b| b.is_some()).unwrap_or(true);
        waiting || self.set_nonblocking(false).is_err()
    }
}

impl Connection for Conn {
    type Error = std::io::Error;

    fn write(&mut self, byte: u8) -> Result<(), Self::Error> {
        match self {
            Conn::Tcp(c) => Connection::write(c, byte),
            Conn::Unix(c) => Connection::write(c, byte),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> Result<(), Self::Error> {
        match self {
            Conn::Tcp(c) => Connection::write_all(c, buf),
            Conn::Unix(c) => Connection::write_all(c, buf),
        }
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        match self {
            Conn::Tcp(c) => Connection::flush(c),
            Conn::Unix(c) => Connection::flush(c),
        }
    }

    fn on_session_start(&mut self) -> Result<(), Self::Error> {
        match self {
            Conn::Tcp(c) => c.on_session_start(),
            Conn::Unix(c) => c.on_session_start(),
        }
    }
}

impl ConnectionExt for Conn {
    fn read(&mut self) -> Result<u8, Self::Error> {
        match self {
            Conn::Tcp(c) => ConnectionExt::read(c),
            Conn::Unix(c) => ConnectionExt::read(c),
        }
    }

    fn peek(&mut self) -> Result<Option<u8>, Self::Error> {
        match self {
            Conn::Tcp(c) => ConnectionExt::peek(c),
            Conn::Unix(c) => ConnectionExt::peek(c),
        }
    }
}

/// An I/O error's text without Rust's "(os error N)".
fn reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    text.split(" (os error ")
        .next()
        .unwrap_or(&text)
        .to_string()
}
