//! The monitor's line input, as QEMU's `util/readline.c` and telnet chardev present it:
//! printable bytes are inserted and the line redrawn (cursor back over the old line, the new
//! line, erase to the end: `ESC[D`... `line` `ESC[K`), Backspace/DEL deletes, CR or LF ends a
//! line (so CR LF is a line and an empty one, as QEMU sees it), escape sequences (cursor
//! keys) are swallowed, and telnet commands (IAC ...) are removed before any of that.

/// Telnet (RFC 854) bytes.
pub const IAC: u8 = 255;
const SB: u8 = 250;
const SE: u8 = 240;
const WILL: u8 = 251;
const DONT: u8 = 254;
const ESC: u8 = 0x1b;

/// What QEMU's telnet server says first: IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD,
/// IAC WILL BINARY, IAC DO BINARY (it echoes itself, in character mode).
pub const TELNET_GREETING: [u8; 12] = [IAC, 251, 1, IAC, 251, 3, IAC, 251, 0, IAC, 253, 0];

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Telnet {
    #[default]
    Data,
    Iac,
    /// WILL/WONT/DO/DONT: one option byte follows.
    Option,
    Sub,
    SubIac,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Escape {
    #[default]
    None,
    Esc,
    /// `ESC [` or `ESC O`: parameters, then a final byte in 0x40..=0x7e.
    Csi,
}

/// One connection's line editor.
#[derive(Default)]
pub struct LineEditor {
    telnet: Option<Telnet>,
    escape: Escape,
    line: Vec<u8>,
    /// Length of the line as last drawn.
    shown: usize,
    /// The previous byte was CR in telnet mode (a NUL after it is part of the newline).
    after_cr: bool,
}

impl LineEditor {
    /// An editor; `telnet` strips telnet commands first.
    pub fn new(telnet: bool) -> Self {
        LineEditor {
            telnet: telnet.then_some(Telnet::Data),
            ..Default::default()
        }
    }

    /// Feeds one byte: echo goes to `echo`; a finished line is returned.
    pub fn feed(&mut self, b: u8, echo: &mut Vec<u8>) -> Option<String> {
        if let Some(state) = self.telnet {
            let (next, data) = telnet_step(state, b);
            self.telnet = Some(next);
            let b = data?;
            if std::mem::take(&mut self.after_cr) && b == 0 {
                return None;
            }
            return self.edit(b, echo);
        }
        self.edit(b, echo)
    }

    fn edit(&mut self, b: u8, echo: &mut Vec<u8>) -> Option<String> {
        match self.escape {
            Escape::Esc => {
                self.escape = if b == b'[' || b == b'O' {
                    Escape::Csi
                } else {
                    Escape::None
                };
                return None;
            }
            Escape::Csi => {
                if (0x40..=0x7e).contains(&b) {
                    self.escape = Escape::None;
                }
                return None;
            }
            Escape::None => {}
        }
        match b {
            b'\r' | b'\n' => {
                self.after_cr = b == b'\r';
                echo.extend_from_slice(b"\r\n");
                self.shown = 0;
                let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                return Some(line);
            }
            ESC => self.escape = Escape::Esc,
            0x08 | 0x7f if self.line.pop().is_some() => self.redraw(echo),
            32.. => {
                self.line.push(b);
                self.redraw(echo);
            }
            _ => {}
        }
        None
    }

    fn redraw(&mut self, echo: &mut Vec<u8>) {
        for _ in 0..self.shown {
            echo.extend_from_slice(b"\x1b[D");
        }
        echo.extend_from_slice(&self.line);
        echo.extend_from_slice(b"\x1b[K");
        self.shown = self.line.len();
    }
}

/// One byte through the telnet command parser: the next state and the data byte, if any.
fn telnet_step(state: Telnet, b: u8) -> (Telnet, Option<u8>) {
    match (state, b) {
        (Telnet::Data, IAC) => (Telnet::Iac, None),
        (Telnet::Data, b) => (Telnet::Data, Some(b)),
        (Telnet::Iac, IAC) => (Telnet::Data, Some(IAC)),
        (Telnet::Iac, WILL..=DONT) => (Telnet::Option, None),
        (Telnet::Iac, SB) => (Telnet::Sub, None),
        (Telnet::Iac, _) => (Telnet::Data, None),
        (Telnet::Option, _) => (Telnet::Data, None),
        (Telnet::Sub, IAC) => (Telnet::SubIac, None),
        (Telnet::Sub, _) => (Telnet::Sub, None),
        (Telnet::SubIac, SE) => (Telnet::Data, None),
        (Telnet::SubIac, _) => (Telnet::Sub, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(ed: &mut LineEditor, bytes: &[u8]) -> (Vec<String>, Vec<u8>) {
        let mut echo = Vec::new();
        let lines = bytes
            .iter()
            .filter_map(|&b| ed.feed(b, &mut echo))
            .collect();
        (lines, echo)
    }

    #[test]
    fn echo_is_qemus_redraw() {
        // What QEMU 7.2 echoed for "cont\r\n" on its telnet monitor.
        let (lines, echo) = feed_all(&mut LineEditor::new(true), b"cont\r\n");
        assert_eq!(lines, ["cont", ""]);
        assert_eq!(
            echo,
            b"c\x1b[K\x1b[Dco\x1b[K\x1b[D\x1b[Dcon\x1b[K\x1b[D\x1b[D\x1b[Dcont\x1b[K\r\n\r\n"
        );
    }

    #[test]
    fn telnet_commands_escapes_and_backspace_are_not_text() {
        let mut ed = LineEditor::new(true);
        let bytes = b"\xff\xfd\x01\xff\xfa\x18\x01\xff\xf0in\x1b[Afx\x7fo\xff\xff\r\0";
        let (lines, _) = feed_all(&mut ed, bytes);
        assert_eq!(lines, ["info\u{fffd}"]);
        // Without telnet, 0xff is just a byte.
        let (lines, _) = feed_all(&mut LineEditor::new(false), b"a\xffb\n");
        assert_eq!(lines, ["a\u{fffd}b"]);
    }
}
