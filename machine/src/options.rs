//! What a QEMU command line asks of the machine beyond the core [`crate::Config`]: the CPU
//! model, the virtio-mmio devices and their backends, the serial and monitor backends,
//! semihosting, and what a guest reset or power-off does. Plain data: the command line
//! (`src/qemu_cli/`) fills it, the machine builds from it.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// `-cpu`: the cores QEMU's virt offers that are v8.0 with the A72's features. Each has its
/// own identification registers (MIDR, REVIDR, CTR, CLIDR, CCSIDR, ID_*), as QEMU models it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CpuModel {
    #[default]
    CortexA72,
    CortexA57,
    CortexA53,
}

impl CpuModel {
    /// QEMU's `-cpu` name.
    pub fn name(self) -> &'static str {
        self.ids().name
    }

    /// The model's identification registers and device tree `compatible`.
    pub fn ids(self) -> &'static armvirt_cpu::model::CpuIds {
        use armvirt_cpu::model;
        match self {
            CpuModel::CortexA72 => &model::CORTEX_A72,
            CpuModel::CortexA57 => &model::CORTEX_A57,
            CpuModel::CortexA53 => &model::CORTEX_A53,
        }
    }
}

/// Which executor runs guest code (`--engine`): the JIT unless told otherwise.
pub use armvirt_cpu::Engine;

/// A raw disk image (`-drive file=F,format=raw[,readonly=on][,snapshot=on]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drive {
    /// `id=`, which `-device virtio-blk-device,drive=ID` names.
    pub id: Option<String>,
    pub file: PathBuf,
    pub readonly: bool,
    /// Writes stay in memory; the file is never written (`snapshot=on` or `-snapshot`).
    pub snapshot: bool,
}

/// `hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT` of a user-mode netdev.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostFwd {
    pub udp: bool,
    /// 127.0.0.1 when the rule leaves it empty (loopback unless told otherwise).
    pub host_addr: Ipv4Addr,
    pub host_port: u16,
    /// The guest's DHCP address (10.0.2.15) when empty.
    pub guest_addr: Option<Ipv4Addr>,
    pub guest_port: u16,
}

/// `-netdev user,id=ID[,hostfwd=...]...` (or `-nic user`): libslirp's user-mode network.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserNet {
    pub id: Option<String>,
    pub hostfwd: Vec<HostFwd>,
}

/// A character backend (`-chardev`, `-serial`, `-monitor`, a virtconsole's `chardev=`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CharBackend {
    /// The process's stdin/stdout.
    Stdio,
    /// stdio shared between the guest's port and the monitor, switched with Ctrl-A c
    /// (`mon:stdio`).
    MuxStdio,
    /// Output discarded, no input.
    Null,
    /// A TCP server (`tcp:HOST:PORT,server,nowait`, `telnet:...`): 127.0.0.1 unless an
    /// address is given.
    TcpServer { addr: SocketAddr, telnet: bool },
    /// A Unix socket server (`unix:PATH,server,nowait`).
    UnixServer { path: PathBuf },
}

/// One virtio-mmio device, in command-line order; the machine gives them transports as
/// QEMU's virt does (the first device the highest slot).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VirtioDevice {
    /// `virtio-blk-device,drive=ID`.
    Blk(Drive),
    /// `virtio-net-device,netdev=ID[,mac=..]`.
    Net { net: UserNet, mac: Option<[u8; 6]> },
    /// `virtio-rng-device`.
    Rng,
    /// `virtio-serial-device` with a `virtconsole,chardev=ID` on it (hvc0).
    Console(CharBackend),
}

/// `-semihosting` / `-semihosting-config enable=on[,target=native][,userspace=on]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Semihosting {
    /// Also serve HLT #0xF000 from EL0 (`userspace=on`).
    pub userspace: bool,
    /// `-semihosting-config arg=...`: what SYS_GET_CMDLINE returns (the kernel's path
    /// and `-append` when not given, as QEMU does).
    pub args: Vec<String>,
}

/// The options QEMU's command line adds to the machine. `Default` is what armvirt does
/// with none of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub cpu_model: CpuModel,
    pub engine: Engine,
    pub virtio: Vec<VirtioDevice>,
    /// Where the PL011 goes (`-serial`); `None` is armvirt's default, the terminal.
    pub serial: Option<CharBackend>,
    /// The HMP monitor (`-monitor`, `-mon`, or `mon:stdio`).
    pub monitor: Option<CharBackend>,
    pub semihosting: Option<Semihosting>,
    /// `-no-reboot`: a guest reset ends the process (status 0) instead of rebooting.
    pub no_reboot: bool,
    /// `-no-shutdown`: a guest power-off or panic stops the vCPUs but keeps the process
    /// (and its monitor and gdb server) alive.
    pub no_shutdown: bool,
    /// `--history SIZE`: memory for time travel's history while gdb is attached;
    /// `None` is the default budget, 0 keeps none (no reverse execution).
    pub history: Option<u64>,
}
