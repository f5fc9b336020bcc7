//! The connection to gdb, buffered both ways. gdbstub writes a packet one byte at a time
//! and reads one byte at a time; straight on a socket each byte is a system call, and with
//! TCP_NODELAY (which gdbstub sets, so a stop reply is not held back) a segment of its
//! own: a `g` reply of ~1,100 bytes took as many segments. Here output collects until
//! gdbstub ends a packet (`flush`) or the stub is about to wait for input, and input is
//! read in chunks.

use gdbstub::conn::{Connection, ConnectionExt};
use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;

/// Bytes read from the socket at once: more than gdb's largest packet in one go.
const READ_CHUNK: usize = 16 * 1024;

/// A socket the stub can serve gdb on.
pub(crate) trait Stream: Read + Write {
    fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()>;
    /// Sends small writes at once (TCP_NODELAY); nothing to do for a local socket.
    fn no_delay(&self) -> io::Result<()> {
        Ok(())
    }
}

impl Stream for TcpStream {
    fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        TcpStream::set_nonblocking(self, nonblocking)
    }

    fn no_delay(&self) -> io::Result<()> {
        self.set_nodelay(true)
    }
}

impl Stream for UnixStream {
    fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        UnixStream::set_nonblocking(self, nonblocking)
    }
}

pub(crate) struct Buffered<S: Stream> {
    stream: S,
    out: Vec<u8>,
    input: Vec<u8>,
    /// The unread part of `input` is `input[next..]`.
    next: usize,
    nonblocking: bool,
}

impl<S: Stream> Buffered<S> {
    pub fn new(stream: S) -> Self {
        Buffered {
            stream,
            out: Vec::new(),
            input: Vec::with_capacity(READ_CHUNK),
            next: 0,
            nonblocking: false,
        }
    }

    fn mode(&mut self, nonblocking: bool) -> io::Result<()> {
        if self.nonblocking != nonblocking {
            self.stream.set_nonblocking(nonblocking)?;
            self.nonblocking = nonblocking;
        }
        Ok(())
    }

    /// Sends what was written (blocking: gdbstub expects every write to land).
    fn send(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.mode(false)?;
            self.stream.write_all(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }

    /// Reads more input if none is buffered; false when `wait` is off and nothing came.
    /// The other end hanging up is an error (gdbstub ends the session on it).
    fn fill(&mut self, wait: bool) -> io::Result<bool> {
        if self.next < self.input.len() {
            return Ok(true);
        }
        // Whatever gdb is to answer must be out before waiting for its answer.
        self.send()?;
        self.mode(!wait)?;
        self.input.resize(READ_CHUNK, 0);
        let got = self.stream.read(&mut self.input);
        let n = match got {
            Ok(0) => Err(io::Error::from(ErrorKind::UnexpectedEof)),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(0),
            other => other,
        };
        self.input.truncate(*n.as_ref().unwrap_or(&0));
        self.next = 0;
        Ok(n? > 0)
    }
}

impl<S: Stream> Connection for Buffered<S> {
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
        self.stream.flush()
    }

    fn on_session_start(&mut self) -> io::Result<()> {
        self.stream.no_delay()
    }
}

impl<S: Stream> ConnectionExt for Buffered<S> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Buffered<UnixStream>, UnixStream) {
        let (a, b) = UnixStream::pair().unwrap();
        (Buffered::new(a), b)
    }

    #[test]
    fn writes_wait_for_flush_or_a_read() {
        let (mut c, mut gdb) = pair();
        gdb.set_nonblocking(true).unwrap();
        c.write_all(b"$OK#9a").unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(
            Read::read(&mut gdb, &mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        c.flush().unwrap();
        assert_eq!(Read::read(&mut gdb, &mut buf).unwrap(), 6);
        // An ack written alone goes out before the stub waits for input.
        c.write(b'+').unwrap();
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
        let got: Vec<u8> = (0..READ_CHUNK * 2 + 5).map(|_| c.read().unwrap()).collect();
        assert_eq!(got, writer.join().unwrap());
        // The writer is gone: a hang-up, not "no data".
        assert!(c.peek().is_err());
        assert!(c.read().is_err());
    }
}
