//! Character backends: `-chardev`, and the short forms `-serial`, `-monitor` and `-gdb`
//! take (QEMU's `qemu_chr_parse_compat`, chardev/char.c): `stdio`, `mon:stdio`, `null`,
//! `none`, `chardev:ID`, `tcp:[HOST]:PORT,server,nowait`, `telnet:...`, `unix:PATH,...`.
//!
//! armvirt serves sockets only (a client socket is refused), never waits for the first
//! client (QEMU's `wait=on`, its default for a server, is refused: add `nowait`), and an
//! empty HOST means 127.0.0.1 where QEMU listens on every interface.

use super::lexer::{boolean, suboptions};
use armvirt_machine::config::{parse_tcp_addr, DEFAULT_GDB_HOST};
use armvirt_machine::options::CharBackend;
use std::net::SocketAddr;
use std::path::PathBuf;

/// What a short-form backend names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Short {
    Backend(CharBackend),
    /// `mon:stdio`: stdio shared with the monitor.
    MonStdio,
    /// `none`: nothing attached.
    None,
    /// `chardev:ID`.
    Chardev(String),
}

/// A `-chardev` definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chardev {
    pub id: String,
    pub backend: CharBackend,
}

/// `-serial`/`-monitor` text (`what` names the option for messages).
pub fn parse_short(what: &str, text: &str) -> Result<Short, String> {
    let (head, opts) = text.split_once(',').unwrap_or((text, ""));
    let plain = |b| {
        if opts.is_empty() {
            Ok(b)
        } else {
            Err(format!("{what} {text}: '{head}' takes no options"))
        }
    };
    match head {
        "stdio" => return plain(Short::Backend(CharBackend::Stdio)),
        "mon:stdio" => return plain(Short::MonStdio),
        "null" => return plain(Short::Backend(CharBackend::Null)),
        "none" => return plain(Short::None),
        _ => {}
    }
    if let Some(id) = text.strip_prefix("chardev:") {
        return Ok(Short::Chardev(id.to_string()));
    }
    let items = suboptions(opts, None);
    let socket = |telnet| -> Result<Short, String> {
        check_server(what, text, &items, &["server", "wait", "nodelay", "ipv4"])?;
        Ok(Short::Backend(CharBackend::TcpServer {
            addr: tcp_addr(what, text, head.split_once(':').unwrap().1)?,
            telnet,
        }))
    };
    if head.starts_with("tcp:") {
        return socket(false);
    }
    if head.starts_with("telnet:") {
        return socket(true);
    }
    if let Some(path) = head.strip_prefix("unix:") {
        check_server(what, text, &items, &["server", "wait"])?;
        if path.is_empty() {
            return Err(format!("{what} {text}: no socket path after unix:"));
        }
        return Ok(Short::Backend(CharBackend::UnixServer {
            path: PathBuf::from(path),
        }));
    }
    Err(format!(
        "{what} {text} is not supported (supported: stdio, mon:stdio, null, none, chardev:ID, \
         tcp:HOST:PORT,server,nowait, telnet:HOST:PORT,server,nowait, unix:PATH,server,nowait)"
    ))
}

/// `HOST:PORT` or `:PORT` of a socket backend; an empty HOST is 127.0.0.1.
pub fn tcp_addr(what: &str, text: &str, host_port: &str) -> Result<SocketAddr, String> {
    let bad = |e: String| format!("{what} {text}: {e}");
    match host_port.strip_prefix(':') {
        Some(port) => {
            let addr = parse_tcp_addr(port).map_err(bad)?;
            Ok(SocketAddr::new(DEFAULT_GDB_HOST, addr.port()))
        }
        None if !host_port.contains(':') => Err(bad(format!(
            "'{host_port}' is not HOST:PORT (example: 127.0.0.1:1234, :1234)"
        ))),
        None => parse_tcp_addr(host_port).map_err(bad),
    }
}

/// A socket backend must be a server that does not wait for its first client.
fn check_server(
    what: &str,
    text: &str,
    items: &[(String, String)],
    allowed: &[&str],
) -> Result<(), String> {
    let mut server = false;
    let mut wait = true;
    for (k, v) in items {
        if !allowed.contains(&k.as_str()) {
            return Err(format!(
                "{what} {text}: option '{k}' is not supported (supported: {})",
                allowed.join(", ")
            ));
        }
        match k.as_str() {
            "server" => server = boolean(k, v, what)?,
            "wait" => wait = boolean(k, v, what)?,
            _ => {}
        }
    }
    if !server {
        return Err(format!(
            "{what} {text}: armvirt serves sockets only (add ,server,nowait)"
        ));
    }
    if wait {
        return Err(format!(
            "{what} {text}: waiting for the first client (wait=on) is not supported (add ,nowait)"
        ));
    }
    Ok(())
}

/// `-chardev stdio|null|socket,id=ID,...`.
pub fn parse_chardev(text: &str) -> Result<Chardev, String> {
    let what = "-chardev";
    let items = suboptions(text, Some("backend"));
    let get = |key: &str| {
        items
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let id = get("id")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| format!("-chardev {text}: needs id="))?
        .to_string();
    let backend = get("backend").unwrap_or("");
    let allowed: &[&str] = match backend {
        "stdio" => &["backend", "id", "mux", "signal"],
        "null" => &["backend", "id"],
        "socket" => &[
            "backend", "id", "path", "host", "port", "server", "wait", "telnet", "nodelay", "ipv4",
        ],
        _ => {
            return Err(format!(
                "-chardev {backend} is not supported (supported: stdio, socket, null)"
            ))
        }
    };
    for (k, _) in &items {
        if !allowed.contains(&k.as_str()) {
            return Err(format!(
                "-chardev {text}: option '{k}' is not supported for {backend} (supported: {})",
                allowed[1..].join(", ")
            ));
        }
    }
    let backend = match backend {
        "stdio" => {
            let mux = match get("mux") {
                Some(v) => boolean("mux", v, what)?,
                None => false,
            };
            if mux {
                CharBackend::MuxStdio
            } else {
                CharBackend::Stdio
            }
        }
        "null" => CharBackend::Null,
        _ => {
            check_server(what, text, &items, allowed)?;
            let telnet = match get("telnet") {
                Some(v) => boolean("telnet", v, what)?,
                None => false,
            };
            match (get("path"), get("port")) {
                (Some(path), None) if !telnet => CharBackend::UnixServer {
                    path: PathBuf::from(path),
                },
                (None, Some(port)) => {
                    let host = get("host").unwrap_or("");
                    CharBackend::TcpServer {
                        addr: tcp_addr(what, text, &format!("{host}:{port}"))?,
                        telnet,
                    }
                }
                _ => {
                    return Err(format!(
                        "-chardev {text}: a socket needs path= (Unix) or port= (TCP), not both"
                    ))
                }
            }
        }
    };
    Ok(Chardev { id, backend })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(s: &str, telnet: bool) -> CharBackend {
        CharBackend::TcpServer {
            addr: s.parse().unwrap(),
            telnet,
        }
    }

    #[test]
    fn short_forms() {
        let b = |c| Ok(Short::Backend(c));
        let cases = [
            ("stdio", b(CharBackend::Stdio)),
            ("mon:stdio", Ok(Short::MonStdio)),
            ("null", b(CharBackend::Null)),
            ("none", Ok(Short::None)),
            ("chardev:c0", Ok(Short::Chardev("c0".into()))),
            (
                "telnet:127.0.0.1:1234,server,nowait",
                b(tcp("127.0.0.1:1234", true)),
            ),
            (
                "tcp::4444,server=on,wait=off",
                b(tcp("127.0.0.1:4444", false)),
            ),
            (
                "tcp:0.0.0.0:4444,server,nowait",
                b(tcp("0.0.0.0:4444", false)),
            ),
            (
                "unix:/tmp/m.sock,server,nowait",
                b(CharBackend::UnixServer {
                    path: "/tmp/m.sock".into(),
                }),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse_short("-monitor", text), want, "{text}");
        }
    }

    #[test]
    fn refused_short_forms_say_why() {
        let err = |t| parse_short("-serial", t).unwrap_err();
        assert!(err("vc").contains("-serial vc is not supported (supported: stdio"));
        assert!(err("tcp:127.0.0.1:4444").contains("serves sockets only"));
        assert!(err("tcp::4444,server").contains("(add ,nowait)"));
        assert!(err("pty").contains("not supported"));
        assert!(err("tcp::0,server,nowait").contains("port 0"));
        assert!(err("stdio,signal=off").contains("takes no options"));
    }

    #[test]
    fn chardevs() {
        let c = |t| parse_chardev(t).map(|c| (c.id, c.backend));
        assert_eq!(c("stdio,id=s0"), Ok(("s0".into(), CharBackend::Stdio)));
        assert_eq!(
            c("stdio,id=s0,mux=on,signal=off"),
            Ok(("s0".into(), CharBackend::MuxStdio))
        );
        assert_eq!(c("null,id=n"), Ok(("n".into(), CharBackend::Null)));
        assert_eq!(
            c("socket,id=m,host=127.0.0.1,port=5555,server=on,wait=off,telnet=on"),
            Ok(("m".into(), tcp("127.0.0.1:5555", true)))
        );
        assert_eq!(
            c("socket,id=m,path=/tmp/x,server=on,wait=off"),
            Ok((
                "m".into(),
                CharBackend::UnixServer {
                    path: "/tmp/x".into()
                }
            ))
        );
        assert!(c("stdio").unwrap_err().contains("needs id="));
        assert!(c("pty,id=p")
            .unwrap_err()
            .contains("-chardev pty is not supported"));
        assert!(c("null,id=n,logfile=x").unwrap_err().contains("'logfile'"));
        assert!(c("socket,id=m,port=1,server=on")
            .unwrap_err()
            .contains("nowait"));
    }
}
