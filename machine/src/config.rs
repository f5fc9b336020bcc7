//! The machine's options, their limits, and the parsers the command line uses for them
//! (QEMU's syntax where QEMU has one: `-m 512M`, a bare number meaning MiB).

use crate::irqchip::GicVersion;
use crate::options::Options;
use crate::rtc::RtcBase;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use crate::memmap::{GIB, GICV2_MAX_CPUS, KIB, MIB, RAM_MAX_SIZE};

/// `-m` when not given (QEMU's default for virt is 128M; issue 2 asks for 1G).
pub const DEFAULT_RAM_SIZE: u64 = GIB;
/// Room for the boot stub, a small kernel 2 MiB up and its device tree.
pub const MIN_RAM_SIZE: u64 = 8 * MIB;
pub const MAX_RAM_SIZE: u64 = RAM_MAX_SIZE;
/// QEMU rounds `-m` up to a multiple of 8 KiB (`hw/core/machine.c`); so does armvirt.
pub const RAM_SIZE_ALIGN: u64 = 8 * KIB;
pub const MAX_CPUS: u32 = GICV2_MAX_CPUS;
/// The gdb server's address when only a port is given.
pub const DEFAULT_GDB_HOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// `-s`: QEMU's shorthand for a gdb server on port 1234.
pub const DEFAULT_GDB_PORT: u16 = 1234;
/// Seed of the device tree's kaslr-seed and rng-seed.
pub const DEFAULT_DTB_SEED: u64 = 0x6172_6d76_6972_7421; // "armvirt!"

/// Everything `Machine::new` needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub kernel: PathBuf,
    /// Load the kernel as a raw binary at this address (never guessed).
    pub kernel_raw_addr: Option<u64>,
    pub initrd: Option<PathBuf>,
    /// Kernel command line.
    pub cmdline: Option<String>,
    /// Bytes of RAM (rounded up to [`RAM_SIZE_ALIGN`] by the machine).
    pub ram_size: u64,
    pub cpus: u32,
    /// A device tree to use instead of the generated one (patched as QEMU does).
    pub dtb: Option<PathBuf>,
    /// Where the gdb server listens.
    pub gdb: Option<GdbAddr>,
    /// Wait for the debugger before running the first instruction.
    pub start_halted: bool,
    pub dtb_seed: u64,
    /// GICv2 (QEMU virt's default) or GICv3 (`--gic 3`).
    pub gic: GicVersion,
    /// What the RTC reads at start (`--rtc base=`); a fixed date makes runs repeatable.
    pub rtc_base: RtcBase,
    /// What QEMU's command line adds: CPU model, engine, virtio devices, backends.
    pub options: Options,
    /// The user networks get no host side (a `--replay`: the guest's frames come from
    /// the recording, and no socket is opened).
    pub net_offline: bool,
}

impl Config {
    /// The defaults for `kernel`: 1 GiB, one CPU, no initrd, generated DTB.
    pub fn new(kernel: impl Into<PathBuf>) -> Self {
        Config {
            kernel: kernel.into(),
            kernel_raw_addr: None,
            initrd: None,
            cmdline: None,
            ram_size: DEFAULT_RAM_SIZE,
            cpus: 1,
            dtb: None,
            gdb: None,
            start_halted: false,
            dtb_seed: DEFAULT_DTB_SEED,
            gic: GicVersion::V2,
            rtc_base: RtcBase::Utc,
            options: Options::default(),
            net_offline: false,
        }
    }

    /// Checks the options against each other and the machine's limits.
    pub fn validate(&self) -> Result<(), String> {
        check_ram_size(self.ram_size)?;
        check_cpus(self.cpus)?;
        if self.start_halted && self.gdb.is_none() && self.options.monitor.is_none() {
            return Err(
                "starting halted needs a gdb server or a monitor to resume the machine".into(),
            );
        }
        Ok(())
    }

    /// The RAM size the machine gets: `ram_size` rounded up like QEMU's `-m`.
    pub fn effective_ram_size(&self) -> u64 {
        self.ram_size.div_ceil(RAM_SIZE_ALIGN) * RAM_SIZE_ALIGN
    }
}

pub fn check_ram_size(size: u64) -> Result<(), String> {
    if size < MIN_RAM_SIZE {
        return Err(format!(
            "memory size {} is below the minimum of {}",
            format_size(size),
            format_size(MIN_RAM_SIZE)
        ));
    }
    if size > MAX_RAM_SIZE {
        return Err(format!(
            "memory size {} is above the maximum of {} (RAM ends at 256 GiB in the virt memory map)",
            format_size(size),
            format_size(MAX_RAM_SIZE)
        ));
    }
    Ok(())
}

pub fn check_cpus(n: u32) -> Result<(), String> {
    if (1..=MAX_CPUS).contains(&n) {
        Ok(())
    } else {
        Err(format!(
            "{n} CPUs requested: the GICv2 serves 1 to {MAX_CPUS}"
        ))
    }
}

/// A size with QEMU's `-m` syntax: a number, optionally fractional, with an optional
/// suffix B, K, M, G or T (powers of 1024, either case); without a suffix, MiB.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let bad = || format!("'{text}' is not a size (examples: 512M, 2G, 1024)");
    let digits_end = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(digits_end);
    let shift = match suffix {
        "" | "M" | "m" => 20,
        "B" | "b" => 0,
        "K" | "k" => 10,
        "G" | "g" => 30,
        "T" | "t" => 40,
        _ => return Err(bad()),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return Err(bad());
    }
    let too_big = || format!("'{text}' is too large");
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_big())?
    };
    let mut bytes = whole.checked_mul(1 << shift).ok_or_else(too_big)?;
    if !fraction.is_empty() {
        // fraction / 10^len × 2^shift, exactly; at most 19 digits keep 10^len in a u64.
        if fraction.len() > 19 {
            return Err(bad());
        }
        let numerator = fraction.parse::<u128>().map_err(|_| bad())? << shift;
        let denominator = 10u128.pow(fraction.len() as u32);
        if numerator % denominator != 0 {
            return Err(format!("'{text}' is not a whole number of bytes"));
        }
        let extra = u64::try_from(numerator / denominator).map_err(|_| too_big())?;
        bytes = bytes.checked_add(extra).ok_or_else(too_big)?;
    }
    Ok(bytes)
}

/// `bytes` in the largest unit that divides it ("1G", "1536M", "4097K", "12345B").
pub fn format_size(bytes: u64) -> String {
    const UNITS: [(u32, &str); 4] = [(40, "T"), (30, "G"), (20, "M"), (10, "K")];
    for (shift, unit) in UNITS {
        if bytes != 0 && bytes.trailing_zeros() >= shift {
            return format!("{}{unit}", bytes >> shift);
        }
    }
    format!("{bytes}B")
}

/// Where the gdb server listens: a TCP address, or a Unix socket (QEMU's
/// `-gdb unix:PATH,server`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GdbAddr {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl std::fmt::Display for GdbAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GdbAddr::Tcp(addr) => write!(f, "{addr}"),
            GdbAddr::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// QEMU's options after a Unix socket path, which say what armvirt always does.
const UNIX_SOCKET_OPTIONS: [&str; 3] = ["server", "nowait", "wait=off"];

/// The gdb server address: `unix:PATH` (QEMU's `,server` and `,nowait` accepted after
/// it), or TCP `[ADDR:]PORT` (see [`parse_tcp_addr`]).
pub fn parse_gdb_addr(text: &str) -> Result<GdbAddr, String> {
    let Some(rest) = text.trim().strip_prefix("unix:") else {
        return parse_tcp_addr(text).map(GdbAddr::Tcp);
    };
    let mut path = rest;
    while let Some((head, option)) = path.rsplit_once(',') {
        if !UNIX_SOCKET_OPTIONS.contains(&option) {
            break;
        }
        path = head;
    }
    if path.is_empty() {
        return Err(format!(
            "'{text}' names no socket path (example: unix:/tmp/gdb.sock)"
        ));
    }
    Ok(GdbAddr::Unix(PathBuf::from(path)))
}

/// A TCP gdb server address `[ADDR:]PORT`: ADDR is an IP address (`[…]` for IPv6) or
/// `localhost`, 127.0.0.1 when left out; PORT is 1 to 65535.
pub fn parse_tcp_addr(text: &str) -> Result<SocketAddr, String> {
    let s = text.trim();
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return check_port(addr.port(), text).map(|_| addr);
    }
    let (host, port) = match s.rsplit_once(':') {
        Some((host, port)) => (Some(host), port),
        None => (None, s),
    };
    let port: u16 = match port.parse() {
        Ok(p) => p,
        Err(_) if port.chars().all(|c| c.is_ascii_digit()) && !port.is_empty() => {
            return Err(format!(
                "port {port} in '{text}' is out of range (1 to 65535)"
            ))
        }
        Err(_) => {
            return Err(format!(
                "'{text}' is not [ADDR:]PORT (examples: 1234, 0.0.0.0:1234)"
            ))
        }
    };
    check_port(port, text)?;
    let ip = match host {
        None => DEFAULT_GDB_HOST,
        Some("localhost") => DEFAULT_GDB_HOST,
        Some(h) => h
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .map_err(|_| format!("'{h}' in '{text}' is not an IP address or localhost"))?,
    };
    Ok(SocketAddr::new(ip, port))
}

fn check_port(port: u16, text: &str) -> Result<(), String> {
    if port == 0 {
        Err(format!("port 0 in '{text}' is out of range (1 to 65535)"))
    } else {
        Ok(())
    }
}

/// A physical address: `0x…` hexadecimal or decimal, `_` allowed between digits.
pub fn parse_address(text: &str) -> Result<u64, String> {
    let s = text.trim().replace('_', "");
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.map_err(|_| format!("'{text}' is not an address (examples: 0x40080000, 1073741824)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_qemu_m_syntax() {
        assert_eq!(parse_size("512"), Ok(512 << 20)); // bare number: MiB
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("4096B"), Ok(4096));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size(".5G"), Ok(1 << 29));
        assert_eq!(parse_size(" 1G "), Ok(1 << 30));
    }

    #[test]
    fn bad_sizes_say_why() {
        assert_eq!(
            parse_size("1X"),
            Err("'1X' is not a size (examples: 512M, 2G, 1024)".into())
        );
        assert!(parse_size("").is_err());
        assert!(parse_size("G").is_err());
        assert!(parse_size("1.2.3G").is_err());
        assert!(parse_size("-1G").is_err());
        assert!(parse_size("1GB").is_err()); // QEMU takes one suffix letter
        assert_eq!(
            parse_size("1.5B"),
            Err("'1.5B' is not a whole number of bytes".into())
        );
        assert_eq!(
            parse_size("99999999999T"),
            Err("'99999999999T' is too large".into())
        );
        assert_eq!(
            parse_size("99999999999999999999"),
            Err("'99999999999999999999' is too large".into())
        );
    }

    #[test]
    fn ram_limits() {
        assert!(check_ram_size(MIN_RAM_SIZE).is_ok());
        assert_eq!(
            check_ram_size(4 << 20),
            Err("memory size 4M is below the minimum of 8M".into())
        );
        assert!(check_ram_size(255 << 30).is_ok());
        assert_eq!(
            check_ram_size(256 << 30),
            Err("memory size 256G is above the maximum of 255G (RAM ends at 256 GiB in the virt memory map)".into())
        );
    }

    #[test]
    fn ram_rounds_up_to_8k_like_qemu() {
        let mut c = Config::new("k");
        c.ram_size = (64 << 20) + 1;
        assert_eq!(c.effective_ram_size(), (64 << 20) + 8192);
        c.ram_size = 64 << 20;
        assert_eq!(c.effective_ram_size(), 64 << 20);
    }

    #[test]
    fn cpu_limits() {
        assert!(check_cpus(1).is_ok() && check_cpus(8).is_ok());
        assert_eq!(
            check_cpus(0),
            Err("0 CPUs requested: the GICv2 serves 1 to 8".into())
        );
        assert!(check_cpus(9).is_err());
    }

    #[test]
    fn sizes_format_in_the_largest_exact_unit() {
        assert_eq!(format_size(1 << 30), "1G");
        assert_eq!(format_size(1536 << 20), "1536M");
        assert_eq!(format_size(12345), "12345B");
        assert_eq!(format_size(0), "0B");
    }

    #[test]
    fn gdb_addresses() {
        let local = |p| SocketAddr::new(DEFAULT_GDB_HOST, p);
        assert_eq!(parse_tcp_addr("1234"), Ok(local(1234)));
        assert_eq!(parse_tcp_addr("localhost:1234"), Ok(local(1234)));
        assert_eq!(
            parse_tcp_addr("0.0.0.0:9000"),
            Ok("0.0.0.0:9000".parse().unwrap())
        );
        assert_eq!(
            parse_tcp_addr("[::1]:9000"),
            Ok("[::1]:9000".parse().unwrap())
        );
        assert_eq!(parse_tcp_addr("65535"), Ok(local(65535)));
    }

    #[test]
    fn unix_socket_addresses() {
        let unix = |p: &str| Ok(GdbAddr::Unix(PathBuf::from(p)));
        assert_eq!(parse_gdb_addr("unix:/tmp/g.sock"), unix("/tmp/g.sock"));
        assert_eq!(parse_gdb_addr("unix:g.sock,server,nowait"), unix("g.sock"));
        assert_eq!(parse_gdb_addr("unix:a,b"), unix("a,b"));
        assert!(parse_gdb_addr("unix:")
            .unwrap_err()
            .contains("no socket path"));
        assert_eq!(
            parse_gdb_addr("1234"),
            Ok(GdbAddr::Tcp(SocketAddr::new(DEFAULT_GDB_HOST, 1234)))
        );
    }

    #[test]
    fn bad_gdb_addresses_say_why() {
        assert_eq!(
            parse_tcp_addr("0"),
            Err("port 0 in '0' is out of range (1 to 65535)".into())
        );
        assert_eq!(
            parse_tcp_addr("65536"),
            Err("port 65536 in '65536' is out of range (1 to 65535)".into())
        );
        assert_eq!(
            parse_tcp_addr("127.0.0.1:0"),
            Err("port 0 in '127.0.0.1:0' is out of range (1 to 65535)".into())
        );
        assert_eq!(
            parse_tcp_addr("example.org:1234"),
            Err("'example.org' in 'example.org:1234' is not an IP address or localhost".into())
        );
        assert_eq!(
            parse_tcp_addr("tcp::"),
            Err("'tcp::' is not [ADDR:]PORT (examples: 1234, 0.0.0.0:1234)".into())
        );
        assert!(parse_tcp_addr("").is_err());
    }

    #[test]
    fn addresses() {
        assert_eq!(parse_address("0x40080000"), Ok(0x4008_0000));
        assert_eq!(parse_address("0x4008_0000"), Ok(0x4008_0000));
        assert_eq!(parse_address("1073741824"), Ok(0x4000_0000));
        assert_eq!(
            parse_address("0xZZ"),
            Err("'0xZZ' is not an address (examples: 0x40080000, 1073741824)".into())
        );
    }

    #[test]
    fn halted_start_needs_gdb() {
        let mut c = Config::new("k");
        c.start_halted = true;
        assert!(c.validate().is_err());
        c.gdb = Some(GdbAddr::Tcp(SocketAddr::new(
            DEFAULT_GDB_HOST,
            DEFAULT_GDB_PORT,
        )));
        assert!(c.validate().is_ok());
        // The monitor's `cont` can start the vCPUs too.
        c.gdb = None;
        c.options.monitor = Some(crate::options::CharBackend::Null);
        assert!(c.validate().is_ok());
    }
}
