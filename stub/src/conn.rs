//! The connection to gdb: a TCP socket or a Unix socket (QEMU's `-gdb unix:PATH,server`),
//! and the listener gdb connects to. A Unix socket file is ours: a stale one (nobody
//! listening) is replaced, and ours is removed when the listener goes.
//!
//! The connection is buffered both ways. gdbstub writes a packet one byte at a time and
//! reads one byte at a time; straight on the socket each byte was a system call, and with
//! TCP_NODELAY (which gdbstub sets, so a stop reply is not held back) a segment of its
//! own: a `g` reply of ~1,100 bytes took as many segments. Output collects until gdbstub
//! ends a packet (`flush`) or the stub is about to wait for input; input is read in chunks.

use gdbstub::conn::{Connection, ConnectionExt};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// Bytes read from the socket at once: more than gdb's largest packet.
const READ_CHUNK: usize = 32 * 1024;

/// A gdb connection's socket.
enum Socket {
    Tcp(TcpStream),
    Unix(UnixStream),
}

/// A gdb connection, buffered.
pub struct Conn {
    socket: Socket,
    out: Vec<u8>,
    input: Box<[u8]>,
    /// The unread part of `input` is `input[next..end]`.
    next: usize,
    end: usize,
    nonblocking: bool,
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
        let socket = match self {
            Listener::Tcp(l) => l.accept().map(|(c, _)| Socket::Tcp(c)),
            Listener::Unix { listener, .. } => listener.accept().map(|(c, _)| Socket::Unix(c)),
        };
        match socket {
            Ok(socket) => match socket.set_nonblocking(false) {
                Ok(()) => Some(Conn::new(socket)),
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

impl Socket {
    fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        match self {
            Socket::Tcp(c) => c.set_nonblocking(on),
            Socket::Unix(c) => c.set_nonblocking(on),
        }
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(c) => Read::read(c, buf),
            Socket::Unix(c) => Read::read(c, buf),
        }
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(c) => Write::write(c, buf),
            Socket::Unix(c) => Write::write(c, buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Socket::Tcp(c) => Write::flush(c),
            Socket::Unix(c) => Write::flush(c),
        }
    }
}

impl Conn {
    fn new(socket: Socket) -> Self {
        Conn {
            socket,
            out: Vec::new(),
            input: vec![0; READ_CHUNK].into_boxed_slice(),
            next: 0,
            end: 0,
            nonblocking: false,
        }
    }

    /// Whether gdb sent something (a closed or broken socket counts: `read` then reports
    /// it).
    pub(crate) fn data_waiting(&mut self) -> bool {
        self.peek().map(|b| b.is_some()).unwrap_or(true)
    }

    fn mode(&mut self, nonblocking: bool) -> io::Result<()> {
        if self.nonblocking != nonblocking {
            self.socket.set_nonblocking(nonblocking)?;
            self.nonblocking = nonblocking;
        }
        Ok(())
    }

    /// Sends what was written (blocking: gdbstub expects every write to land).
    fn send(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.mode(false)?;
            Write::write_all(&mut self.socket, &self.out)?;
            self.out.clear();
        }
        Ok(())
    }

    /// Reads more input if none is buffered; false when `wait` is off and nothing came.
    /// The other end hanging up is an error (gdbstub ends the session on it).
    fn fill(&mut self, wait: bool) -> io::Result<bool> {
        if self.next < self.end {
            return Ok(true);
        }
        // Whatever gdb is to answer must be out before waiting for its answer.
        self.send()?;
        self.mode(!wait)?;
        let got = match Read::read(&mut self.socket, &mut self.input) {
            Ok(0) => Err(io::Error::from(ErrorKind::UnexpectedEof)),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(0),
            other => other,
        };
        self.next = 0;
        self.end = *got.as_ref().unwrap_or(&0);
        Ok(got? > 0)
    }
}

impl Connection for Conn {
    type Error = io::Error;

    fn write(&mut self, byte: u8) -> io::Result<()> {
        self.out.push(byte);
        Ok(())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.extend_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()?;
        Write::flush(&mut self.socket)
    }

    fn on_session_start(&mut self) -> io::Result<()> {
        match &self.socket {
            Socket::Tcp(c) => c.set_nodelay(true),
            Socket::Unix(_) => Ok(()),
        }
    }
}

impl ConnectionExt for Conn {
    fn read(&mut self) -> io::Result<u8> {
        while !self.fill(true)? {}
        self.next += 1;
        Ok(self.input[self.next - 1])
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(if self.fill(false)? {
            Some(self.input[self.next])
        } else {
            None
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Conn, UnixStream) {
        let (a, b) = UnixStream::pair().unwrap();
        (Conn::new(Socket::Unix(a)), b)
    }

    #[test]
    fn writes_wait_for_flush_or_a_read() {
        let (mut c, mut gdb) = pair();
        gdb.set_nonblocking(true).unwrap();
        Connection::write_all(&mut c, b"$OK#9a").unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(
            Read::read(&mut gdb, &mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        Connection::flush(&mut c).unwrap();
        assert_eq!(Read::read(&mut gdb, &mut buf).unwrap(), 6);
        // An ack written alone goes out before the stub waits for input.
        Connection::write(&mut c, b'+').unwrap();
        assert_eq!(c.peek().unwrap(), None);
        assert_eq!(Read::read(&mut gdb, &mut buf).unwrap(), 1);
        assert_eq!(buf[0], b'+');
    }

    #[test]
    fn reads_in_order_across_chunks_and_report_hangup() {
        let (mut c, mut gdb) = pair();
        let data: Vec<u8> = (0..READ_CHUNK * 2 + 5).map(|i| i as u8).collect();
        let writer = std::thread::spawn(move || {
            Write::write_all(&mut gdb, &data).unwrap();
            data
        });
        let got: Vec<u8> = (0..READ_CHUNK * 2 + 5)
            .map(|_| ConnectionExt::read(&mut c).unwrap())
            .collect();
        assert_eq!(got, writer.join().unwrap());
        // The writer is gone: a hang-up, not "no data".
        assert!(c.peek().is_err());
        assert!(!c.data_waiting() || ConnectionExt::read(&mut c).is_err());
    }
}
