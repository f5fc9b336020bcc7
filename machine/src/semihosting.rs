//! Arm semihosting ("Semihosting for AArch32 and AArch64", v2.0 and the v3 extensions), as
//! QEMU's `semihosting/arm-compat-semi.c` serves it for a system-mode guest.
//!
//! A64 guests trap with `HLT #0xF000` (the vCPU's executor hands back `Exit::Semihosting`
//! with the PC past the HLT, where QEMU resumes): W0 is the operation, X1 the parameter
//! (usually the address of a block of 64-bit words), and the result goes to X0. Guest
//! memory is read and written through the calling vCPU's current translation, as a
//! debugger would (`debug.rs`); an address that does not translate or is not RAM makes
//! the call return -1 with errno EFAULT, as QEMU's `do_fault`, never a host error.
//!
//! Console output (WRITEC, WRITE0, WRITE to `:tt`) goes where the PL011's goes (stdout),
//! `:tt` opened for append to stderr (QEMU's SH_EXT_STDOUT_STDERR); console input is the
//! console's (the bytes waiting in the UART's receive FIFO). File paths are the host's,
//! relative to the working directory. Time is the machine's virtual clock, so a run stays
//! the same every time: CLOCK counts centiseconds and ELAPSED nanoseconds of it, TIME is
//! the RTC's start plus it. SYS_SYSTEM is refused (-1): a guest does not run host commands.
//! SYS_EXIT and SYS_EXIT_EXTENDED end the run with [`RunEnd::Exit`].

use crate::console::Stdout;
use crate::machine::Machine;
use crate::run::RunEnd;
use armvirt_cpu::log::Category;
use armvirt_devices::pl011::{FR_RXFE, UARTDR, UARTFR};
use armvirt_devices::MmioDevice;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;

/// Operation numbers (the specification's §5 and QEMU's TARGET_SYS_*).
pub mod op {
    pub const OPEN: u32 = 0x01;
    pub const CLOSE: u32 = 0x02;
    pub const WRITEC: u32 = 0x03;
    pub const WRITE0: u32 = 0x04;
    pub const WRITE: u32 = 0x05;
    pub const READ: u32 = 0x06;
    pub const READC: u32 = 0x07;
    pub const ISERROR: u32 = 0x08;
    pub const ISTTY: u32 = 0x09;
    pub const SEEK: u32 = 0x0a;
    pub const FLEN: u32 = 0x0c;
    pub const TMPNAM: u32 = 0x0d;
    pub const REMOVE: u32 = 0x0e;
    pub const RENAME: u32 = 0x0f;
    pub const CLOCK: u32 = 0x10;
    pub const TIME: u32 = 0x11;
    pub const SYSTEM: u32 = 0x12;
    pub const ERRNO: u32 = 0x13;
    pub const GET_CMDLINE: u32 = 0x15;
    pub const HEAPINFO: u32 = 0x16;
    pub const EXIT: u32 = 0x18;
    pub const SYNCCACHE: u32 = 0x19;
    pub const EXIT_EXTENDED: u32 = 0x20;
    pub const ELAPSED: u32 = 0x30;
    pub const TICKFREQ: u32 = 0x31;
}

/// SYS_EXIT's reason for a normal end: its subcode is the exit status (A64).
pub const ADP_STOPPED_APPLICATION_EXIT: u64 = 0x20026;

/// Host errno values the guest reads back with SYS_ERRNO (Linux's, as QEMU passes them on).
mod errno {
    pub const E2BIG: u64 = 7;
    pub const EBADF: u64 = 9;
    pub const EACCES: u64 = 13;
    pub const EFAULT: u64 = 14;
    pub const EINVAL: u64 = 22;
    pub const EIO: u64 = 5;
    pub const EPERM: u64 = 1;
}

/// What the write-only words WRITEC and WRITE0 leave in X0 (QEMU's `common_semi_dead_cb`).
const DEAD: u64 = 0xdead_beef;
/// SYS_TICKFREQ: ELAPSED counts nanoseconds.
const TICKS_PER_SECOND: u64 = 1_000_000_000;
/// Longest guest string read (a path, WRITE0's text) before it counts as unterminated.
const MAX_STRING: usize = 1 << 16;
/// QEMU's `:semihosting-features` file: magic "SHFB", then feature byte 0 with
/// SH_EXT_EXIT_EXTENDED and SH_EXT_STDOUT_STDERR.
const FEATURES: [u8; 5] = [0x53, 0x48, 0x46, 0x42, 0b11];

/// fopen() modes 0..11 of SYS_OPEN: r, rb, r+, r+b, w, wb, w+, w+b, a, ab, a+, a+b.
const MODES: u32 = 12;

/// One open guest handle.
enum Handle {
    File(File),
    Stdin,
    Stdout,
    Stderr,
    /// `:semihosting-features`, read from `pos`.
    Features {
        pos: usize,
    },
}

/// The semihosting state of a machine: open handles, errno, the console and what
/// GET_CMDLINE and HEAPINFO answer.
pub struct Semihost {
    /// Guest handle `n` is `handles[n]`; 0 is never handed out (SYS_OPEN's success is
    /// nonzero, as QEMU numbers from 1).
    handles: Vec<Option<Handle>>,
    errno: u64,
    out: Box<dyn Write + Send>,
    err: Box<dyn Write + Send>,
    cmdline: String,
    /// The RTC's start, seconds since the epoch; SYS_TIME adds the virtual clock.
    time_base: u64,
    /// HEAPINFO's heap base and limit (the stack is the same range, as QEMU gives it).
    heap: (u64, u64),
}

impl Semihost {
    /// `cmdline` is GET_CMDLINE's answer; `heap` the largest free piece of RAM.
    pub fn new(cmdline: String, time_base: u64, heap: (u64, u64)) -> Self {
        Semihost {
            handles: vec![None],
            errno: 0,
            out: Box::new(Stdout),
            err: Box::new(std::io::stderr()),
            cmdline,
            time_base,
            heap,
        }
    }

    /// Sends console output (`out`) and `:tt` append output (`err`) elsewhere.
    pub fn set_console(&mut self, out: Box<dyn Write + Send>, err: Box<dyn Write + Send>) {
        self.out = out;
        self.err = err;
    }

    fn add(&mut self, h: Handle) -> u64 {
        match self.handles.iter().skip(1).position(Option::is_none) {
            Some(i) => {
                self.handles[i + 1] = Some(h);
                (i + 1) as u64
            }
            None => {
                self.handles.push(Some(h));
                (self.handles.len() - 1) as u64
            }
        }
    }

    fn handle(&mut self, fd: u64) -> Option<&mut Handle> {
        match usize::try_from(fd).ok().filter(|&i| i > 0) {
            Some(i) => self.handles.get_mut(i)?.as_mut(),
            None => None,
        }
    }
}

/// What a call's result is: a value for X0, or -1 with an errno.
type Outcome = Result<u64, u64>;

/// The largest piece of RAM `[ram_base, ram_end)` that none of `used` covers, as QEMU's
/// `rom_find_largest_gap_between` picks HEAPINFO's heap among the loaded blobs.
pub fn largest_gap(ram_base: u64, ram_end: u64, used: &[(u64, u64)]) -> (u64, u64) {
    let mut blobs: Vec<(u64, u64)> = used
        .iter()
        .map(|&(b, e)| (b.max(ram_base), e.min(ram_end)))
        .filter(|(b, e)| b < e)
        .collect();
    blobs.sort();
    let (mut best, mut at) = ((ram_base, ram_base), ram_base);
    for (b, e) in blobs.into_iter().chain([(ram_end, ram_end)]) {
        if b > at && b - at > best.1 - best.0 {
            best = (at, b);
        }
        at = at.max(e);
    }
    best
}

impl Machine {
    /// Serves the semihosting call vCPU `i` just made; `Some` when the guest exits.
    pub(crate) fn semihosting_call(&mut self, i: usize) -> Option<RunEnd> {
        let Some(mut sh) = self.semihost.take() else {
            // Only a machine with semihosting turns the trap on.
            return None;
        };
        let (nr, arg) = {
            let x = &self.vcpus[i].cpu.s.x;
            (x[0] as u32, x[1])
        };
        let mut call = Call {
            m: self,
            sh: &mut sh,
            i,
            arg,
        };
        let result = call.dispatch(nr);
        self.semihost = Some(sh);
        match result {
            Step::Ret(v) => self.vcpus[i].cpu.s.x[0] = v,
            Step::Outcome(Ok(v)) => self.vcpus[i].cpu.s.x[0] = v,
            Step::Outcome(Err(e)) => {
                if let Some(sh) = &mut self.semihost {
                    sh.errno = e;
                }
                self.vcpus[i].cpu.s.x[0] = u64::MAX;
            }
            Step::Retry => {
                // Console input not there yet: the vCPU makes the call again next turn.
                let cpu = &mut self.vcpus[i].cpu;
                cpu.s.pc = cpu.s.pc.wrapping_sub(4);
            }
            Step::Exit(status) => return Some(RunEnd::Exit(status)),
        }
        None
    }

    /// The semihosting state (tests redirect its console).
    pub fn semihost_mut(&mut self) -> Option<&mut Semihost> {
        self.semihost.as_mut()
    }
}

/// How a call ends.
enum Step {
    /// X0 = this, errno untouched.
    Ret(u64),
    /// X0 = the value, or -1 and errno.
    Outcome(Outcome),
    /// Wait for console input: run the HLT again.
    Retry,
    Exit(u32),
}

struct Call<'a> {
    m: &'a mut Machine,
    sh: &'a mut Semihost,
    i: usize,
    /// X1.
    arg: u64,
}

impl Call<'_> {
    fn dispatch(&mut self, nr: u32) -> Step {
        let r = match nr {
            op::OPEN => self.open(),
            op::CLOSE => self.close(),
            op::WRITEC => return self.writec(),
            op::WRITE0 => return self.write0(),
            op::WRITE => return self.write(),
            op::READ => return self.read(),
            op::READC => return self.readc(),
            op::ISERROR => self.word(0).map(|v| ((v as i64) < 0) as u64),
            op::ISTTY => self.istty(),
            op::SEEK => self.seek(),
            op::FLEN => self.flen(),
            op::TMPNAM => self.tmpnam(),
            op::REMOVE => self.remove(),
            op::RENAME => self.rename(),
            op::CLOCK => Ok(self.now_ns() / 10_000_000),
            op::TIME => Ok(self.sh.time_base + self.now_ns() / 1_000_000_000),
            op::SYSTEM => Err(errno::EPERM),
            op::ERRNO => Ok(self.sh.errno),
            op::GET_CMDLINE => self.get_cmdline(),
            op::HEAPINFO => self.heapinfo(),
            op::EXIT | op::EXIT_EXTENDED => return self.exit(),
            op::SYNCCACHE => Ok(0),
            op::ELAPSED => {
                let ns = self.now_ns();
                self.put(self.arg, &ns.to_le_bytes()).map(|_| 0)
            }
            op::TICKFREQ => Ok(TICKS_PER_SECOND),
            _ => {
                // QEMU aborts here; a guest's bad call must not end the host.
                armvirt_cpu::log!(
                    Category::GuestErrors,
                    "semihosting: unsupported operation {nr:#04x} at pc {:#018x}",
                    self.m.vcpus[self.i].cpu.s.pc.wrapping_sub(4)
                );
                Err(errno::EINVAL)
            }
        };
        Step::Outcome(r)
    }

    /// The calling vCPU's view of the virtual clock.
    fn now_ns(&self) -> u64 {
        self.m.vcpus[self.i].cpu.now_ns()
    }

    /// Word `n` of the parameter block.
    fn word(&mut self, n: u64) -> Outcome {
        let mut b = [0u8; 8];
        self.get(self.arg.wrapping_add(8 * n), &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn get(&mut self, va: u64, buf: &mut [u8]) -> Result<(), u64> {
        if self.m.read_virt(self.i, va, buf) == buf.len() {
            Ok(())
        } else {
            Err(errno::EFAULT)
        }
    }

    fn put(&mut self, va: u64, data: &[u8]) -> Result<(), u64> {
        if self.m.guest_write_virt(self.i, va, data) == data.len() {
            Ok(())
        } else {
            Err(errno::EFAULT)
        }
    }

    /// A NUL-terminated string at `va`, at most `limit` bytes before the NUL.
    fn string(&mut self, va: u64, limit: usize) -> Result<Vec<u8>, u64> {
        let mut s = Vec::new();
        let mut chunk = [0u8; 64];
        while s.len() <= limit {
            // Byte by byte at a page's end, so a string ending there is not a fault.
            let at = va.wrapping_add(s.len() as u64);
            let n = (0x1000 - (at & 0xfff) as usize).min(chunk.len());
            self.get(at, &mut chunk[..n])?;
            if let Some(end) = chunk[..n].iter().position(|&b| b == 0) {
                s.extend_from_slice(&chunk[..end]);
                return Ok(s);
            }
            s.extend_from_slice(&chunk[..n]);
        }
        Err(errno::EFAULT)
    }

    /// A path given as (address, length without the NUL).
    fn path(&mut self, va: u64, len: u64) -> Result<std::path::PathBuf, u64> {
        use std::os::unix::ffi::OsStrExt;
        let len = usize::try_from(len).unwrap_or(usize::MAX).min(MAX_STRING);
        let s = self.string(va, len)?;
        Ok(std::path::PathBuf::from(std::ffi::OsStr::from_bytes(&s)))
    }

    fn console(&mut self, data: &[u8]) {
        let _ = self.sh.out.write_all(data);
        let _ = self.sh.out.flush();
    }

    fn open(&mut self) -> Outcome {
        let (name, mode, len) = (self.word(0)?, self.word(1)?, self.word(2)?);
        let len = usize::try_from(len).unwrap_or(usize::MAX).min(MAX_STRING);
        let s = self.string(name, len)?;
        if mode >= MODES as u64 {
            return Err(errno::EINVAL);
        }
        let mode = mode as u32;
        if s == b":tt" {
            let h = match mode {
                0..=3 => Handle::Stdin,
                4..=7 => Handle::Stdout,
                _ => Handle::Stderr,
            };
            return Ok(self.sh.add(h));
        }
        if s == b":semihosting-features" {
            if mode > 1 {
                return Err(errno::EACCES);
            }
            return Ok(self.sh.add(Handle::Features { pos: 0 }));
        }
        let path = self.path(name, len as u64)?;
        let mut o = OpenOptions::new();
        match mode / 2 {
            0 => o.read(true),
            1 => o.read(true).write(true),
            2 => o.write(true).create(true).truncate(true),
            3 => o.read(true).write(true).create(true).truncate(true),
            4 => o.append(true).create(true),
            _ => o.read(true).append(true).create(true),
        };
        o.mode(0o644);
        match o.open(&path) {
            Ok(f) => Ok(self.sh.add(Handle::File(f))),
            Err(e) => Err(os_errno(&e)),
        }
    }

    fn close(&mut self) -> Outcome {
        let fd = self.word(0)?;
        match usize::try_from(fd)
            .ok()
            .filter(|&i| i > 0 && i < self.sh.handles.len())
        {
            Some(i) if self.sh.handles[i].is_some() => {
                self.sh.handles[i] = None;
                Ok(0)
            }
            _ => Err(errno::EBADF),
        }
    }

    fn writec(&mut self) -> Step {
        let mut c = [0u8];
        if self.get(self.arg, &mut c).is_ok() {
            self.console(&c);
        }
        Step::Ret(DEAD)
    }

    fn write0(&mut self) -> Step {
        if let Ok(s) = self.string(self.arg, MAX_STRING) {
            self.console(&s);
        }
        Step::Ret(DEAD)
    }

    /// SYS_WRITE: X0 = the bytes *not* written (0 when all were).
    fn write(&mut self) -> Step {
        let (fd, buf, len) = match (self.word(0), self.word(1), self.word(2)) {
            (Ok(a), Ok(b), Ok(c)) => (a, b, c),
            _ => return Step::Outcome(Err(errno::EFAULT)),
        };
        let n = usize::try_from(len).unwrap_or(usize::MAX).min(1 << 30);
        let mut data = vec![0u8; n];
        let got = self.m.read_virt(self.i, buf, &mut data);
        let result = if got < n {
            Err(errno::EFAULT)
        } else {
            match self.sh.handle(fd) {
                Some(Handle::File(f)) => f.write(&data).map_err(|e| os_errno(&e)),
                Some(Handle::Stdout) => {
                    self.console(&data);
                    Ok(n)
                }
                Some(Handle::Stderr) => {
                    let _ = self.sh.err.write_all(&data);
                    let _ = self.sh.err.flush();
                    Ok(n)
                }
                Some(Handle::Stdin | Handle::Features { .. }) => Err(errno::EBADF),
                None => Err(errno::EBADF),
            }
        };
        self.rw_result(len, result)
    }

    /// SYS_READ: X0 = the bytes *not* read (`len` at end of file).
    fn read(&mut self) -> Step {
        let (fd, buf, len) = match (self.word(0), self.word(1), self.word(2)) {
            (Ok(a), Ok(b), Ok(c)) => (a, b, c),
            _ => return Step::Outcome(Err(errno::EFAULT)),
        };
        let n = usize::try_from(len).unwrap_or(usize::MAX).min(1 << 30);
        let mut data = vec![0u8; n];
        let result = match self.sh.handle(fd) {
            Some(Handle::File(f)) => read_full(f, &mut data).map_err(|e| os_errno(&e)),
            Some(Handle::Features { pos }) => {
                let rest = &FEATURES[(*pos).min(FEATURES.len())..];
                let k = rest.len().min(n);
                data[..k].copy_from_slice(&rest[..k]);
                *pos += k;
                Ok(k)
            }
            Some(Handle::Stdin) => {
                let mut k = 0;
                while k < n {
                    match self.console_byte() {
                        Some(b) => {
                            data[k] = b;
                            k += 1;
                        }
                        None => break,
                    }
                }
                if k == 0 && n > 0 && self.m.input_open {
                    return Step::Retry;
                }
                Ok(k)
            }
            Some(Handle::Stdout | Handle::Stderr) => Err(errno::EBADF),
            None => Err(errno::EBADF),
        };
        let result = match result {
            Ok(k) => self.put(buf, &data[..k]).map(|_| k),
            Err(e) => Err(e),
        };
        self.rw_result(len, result)
    }

    /// READ and WRITE answer `len - done`; an error counts as nothing done.
    fn rw_result(&mut self, len: u64, result: Result<usize, u64>) -> Step {
        match result {
            Ok(done) => Step::Ret(len - done as u64),
            Err(e) => {
                self.sh.errno = e;
                Step::Ret(len)
            }
        }
    }

    /// A byte of console input, taken from the UART's receive FIFO.
    fn console_byte(&mut self) -> Option<u8> {
        let mut uart = self.m.uart.lock();
        let fr = uart.read(UARTFR, 4).ok()? as u32;
        if fr & FR_RXFE != 0 {
            return None;
        }
        uart.read(UARTDR, 4).ok().map(|v| v as u8)
    }

    fn readc(&mut self) -> Step {
        match self.console_byte() {
            Some(b) => Step::Ret(b as u64),
            None if self.m.input_open => Step::Retry,
            None => Step::Outcome(Err(errno::EIO)),
        }
    }

    fn istty(&mut self) -> Outcome {
        let fd = self.word(0)?;
        match self.sh.handle(fd) {
            // The host's answer for the descriptor behind it, as QEMU asks the host.
            Some(Handle::Stdin) => Ok(host_isatty(0)),
            Some(Handle::Stdout) => Ok(host_isatty(1)),
            Some(Handle::Stderr) => Ok(host_isatty(2)),
            Some(_) => Ok(0),
            None => Err(errno::EBADF),
        }
    }

    fn seek(&mut self) -> Outcome {
        let (fd, pos) = (self.word(0)?, self.word(1)?);
        match self.sh.handle(fd) {
            Some(Handle::File(f)) => f
                .seek(SeekFrom::Start(pos))
                .map(|_| 0)
                .map_err(|e| os_errno(&e)),
            Some(Handle::Features { pos: p }) => {
                *p = pos.min(FEATURES.len() as u64) as usize;
                Ok(0)
            }
            Some(_) => Err(errno::EBADF),
            None => Err(errno::EBADF),
        }
    }

    fn flen(&mut self) -> Outcome {
        let fd = self.word(0)?;
        match self.sh.handle(fd) {
            Some(Handle::File(f)) => f.metadata().map(|m| m.len()).map_err(|e| os_errno(&e)),
            Some(Handle::Features { .. }) => Ok(FEATURES.len() as u64),
            Some(_) => Err(errno::EBADF),
            None => Err(errno::EBADF),
        }
    }

    /// SYS_TMPNAM: QEMU's name for identifier `id`, `/tmp/qemu-<pid><id>`.
    fn tmpnam(&mut self) -> Outcome {
        let (buf, id, len) = (self.word(0)?, self.word(1)?, self.word(2)?);
        let mut name = format!("/tmp/qemu-{:x}{:02x}", std::process::id(), id & 0xff).into_bytes();
        name.push(0);
        if name.len() as u64 > len {
            return Err(errno::EINVAL);
        }
        self.put(buf, &name).map(|_| 0)
    }

    fn remove(&mut self) -> Outcome {
        let (name, len) = (self.word(0)?, self.word(1)?);
        let path = self.path(name, len)?;
        std::fs::remove_file(path)
            .map(|_| 0)
            .map_err(|e| os_errno(&e))
    }

    fn rename(&mut self) -> Outcome {
        let (old, old_len, new, new_len) =
            (self.word(0)?, self.word(1)?, self.word(2)?, self.word(3)?);
        let from = self.path(old, old_len)?;
        let to = self.path(new, new_len)?;
        std::fs::rename(from, to)
            .map(|_| 0)
            .map_err(|e| os_errno(&e))
    }

    /// SYS_GET_CMDLINE: the line NUL-terminated into the buffer, its length (without the
    /// NUL) back into the block's second word.
    fn get_cmdline(&mut self) -> Outcome {
        let (buf, size) = (self.word(0)?, self.word(1)?);
        let mut line = self.sh.cmdline.clone().into_bytes();
        line.push(0);
        if line.len() as u64 > size {
            return Err(errno::E2BIG);
        }
        self.put(
            self.arg.wrapping_add(8),
            &(line.len() as u64 - 1).to_le_bytes(),
        )?;
        self.put(buf, &line).map(|_| 0)
    }

    /// SYS_HEAPINFO: X1 points to the address of four words: heap base and limit, stack
    /// base and limit (QEMU gives the one free range to both, the stack growing down).
    fn heapinfo(&mut self) -> Outcome {
        let block = self.word(0)?;
        let (base, limit) = self.sh.heap;
        let mut words = Vec::with_capacity(32);
        for w in [base, limit, limit, base] {
            words.extend_from_slice(&w.to_le_bytes());
        }
        self.put(block, &words).map(|_| 0)
    }

    /// A64 SYS_EXIT (and EXIT_EXTENDED): X1 points to {reason, subcode}; a normal
    /// application exit's status is the subcode, any other reason is status 1.
    fn exit(&mut self) -> Step {
        let (reason, subcode) = match (self.word(0), self.word(1)) {
            (Ok(r), Ok(s)) => (r, s),
            _ => return Step::Outcome(Err(errno::EFAULT)),
        };
        Step::Exit(if reason == ADP_STOPPED_APPLICATION_EXIT {
            subcode as u32
        } else {
            1
        })
    }
}

/// Reads until `buf` is full or the file ends.
fn read_full(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match f.read(&mut buf[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// isatty() of a host descriptor, as 1 or 0.
pub(crate) fn host_isatty(fd: i32) -> u64 {
    // SAFETY: isatty only inspects the descriptor.
    (unsafe { libc::isatty(fd) } == 1) as u64
}

fn os_errno(e: &std::io::Error) -> u64 {
    e.raw_os_error().map(|n| n as u64).unwrap_or(errno::EIO)
}

#[cfg(test)]
#[path = "semihosting_tests.rs"]
mod tests;
