//! The host terminal when stdin is one: raw mode while the guest owns the console (every key,
//! Ctrl-C included, goes to the guest, as with QEMU's `-nographic`), restored on every exit
//! path by [`RawMode`]'s drop and by [`restore_now`] (panics, fatal errors), and QEMU's
//! Ctrl-A escapes: `Ctrl-A x` quits, `Ctrl-A h` prints help, `Ctrl-A Ctrl-A` sends Ctrl-A.

use std::sync::Mutex;

/// The terminal settings to restore, saved when raw mode was entered.
static SAVED: Mutex<Option<libc::termios>> = Mutex::new(None);

/// Whether stdin is a terminal.
pub fn stdin_is_tty() -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(libc::STDIN_FILENO) == 1 }
}

/// Raw mode on stdin for as long as this value lives.
pub struct RawMode(());

impl RawMode {
    /// Enters raw mode; `None` when stdin is not a terminal or refuses.
    pub fn enter() -> Option<RawMode> {
        if !stdin_is_tty() {
            return None;
        }
        // SAFETY: termios is plain data; tcgetattr fills it on success.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut t) } != 0 {
            return None;
        }
        *SAVED.lock().unwrap_or_else(|e| e.into_inner()) = Some(t);
        let mut raw = t;
        // SAFETY: cfmakeraw edits the struct in place.
        unsafe { libc::cfmakeraw(&mut raw) };
        // Keep output post-processing so host-side messages still start at column 0.
        raw.c_oflag |= libc::OPOST;
        if unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &raw) } != 0 {
            return None;
        }
        Some(RawMode(()))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        restore_now();
    }
}

/// Puts the terminal back as it was (idempotent; safe to call from a panic hook).
pub fn restore_now() {
    let saved = SAVED.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(t) = saved {
        // SAFETY: `t` came from tcgetattr on the same descriptor.
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &t) };
    }
}

/// Ctrl-A, QEMU's escape character.
pub const ESCAPE: u8 = 0x01;

/// What a byte of terminal input means after escape processing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// A byte for the guest.
    Guest(u8),
    /// Nothing yet (an escape started, or a key consumed).
    None,
    /// `Ctrl-A x`: stop armvirt.
    Quit,
    /// `Ctrl-A h`: print the help.
    Help,
    /// `Ctrl-A c`: switch between the guest's console and the monitor (`mon:stdio`).
    Switch,
}

/// Ctrl-A escape decoder.
#[derive(Default)]
pub struct Escapes {
    armed: bool,
}

pub const HELP: &str =
    "\r\nC-a h    print this help\r\nC-a x    exit armvirt\r\nC-a c    switch between console and monitor (mon:stdio)\r\nC-a C-a  send C-a to the guest\r\n";

impl Escapes {
    pub fn feed(&mut self, b: u8) -> Key {
        if !self.armed {
            if b == ESCAPE {
                self.armed = true;
                return Key::None;
            }
            return Key::Guest(b);
        }
        self.armed = false;
        match b {
            b'x' | b'X' => Key::Quit,
            b'h' | b'H' | b'?' => Key::Help,
            b'c' | b'C' => Key::Switch,
            ESCAPE => Key::Guest(ESCAPE),
            _ => Key::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_qemu() {
        let mut e = Escapes::default();
        assert_eq!(e.feed(b'a'), Key::Guest(b'a'));
        assert_eq!(e.feed(ESCAPE), Key::None);
        assert_eq!(e.feed(b'x'), Key::Quit);
        assert_eq!(e.feed(ESCAPE), Key::None);
        assert_eq!(e.feed(ESCAPE), Key::Guest(ESCAPE));
        assert_eq!(e.feed(ESCAPE), Key::None);
        assert_eq!(e.feed(b'h'), Key::Help);
        assert_eq!(e.feed(b'x'), Key::Guest(b'x'));
        assert_eq!(e.feed(ESCAPE), Key::None);
        assert_eq!(e.feed(b'c'), Key::Switch);
    }
}
