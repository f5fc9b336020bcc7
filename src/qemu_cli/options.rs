//! The option table: every option armvirt knows, in QEMU's spelling where QEMU has one
//! (qemu-options.hx) and armvirt's own beside them; the first name is the canonical one,
//! the others aliases. Options QEMU has and armvirt cannot honour are rows too, refused
//! with the reason, so that no QEMU option is ever silently ignored.

/// What an option takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Takes {
    /// Nothing (`-S`).
    Flag,
    /// One value, named for the help text.
    Value(&'static str),
    /// A QEMU option armvirt refuses, and why.
    Refused(&'static str),
}

#[derive(Debug, PartialEq, Eq)]
pub struct OptSpec {
    pub names: &'static [&'static str],
    pub takes: Takes,
    /// One line for --help; empty for refused options.
    pub help: &'static str,
}

use Takes::{Flag, Refused, Value};

macro_rules! opt {
    ([$($n:literal),+], $takes:expr, $help:literal) => {
        OptSpec { names: &[$($n),+], takes: $takes, help: $help }
    };
}

pub static OPTIONS: &[OptSpec] = &[
    // ── The machine ───────────────────────────────────────────────────────────────────
    opt!(["machine", "M"], Value("virt[,gic-version=2|3|max][,dumpdtb=FILE]"),
         "the machine: only virt (QEMU's aarch64 virt board)"),
    opt!(["cpu"], Value("cortex-a72|cortex-a57|cortex-a53"), "the CPU model (default cortex-a72)"),
    opt!(["m", "memory"], Value("[size=]SIZE"),
         "RAM: 512M, 2G, ... a bare number is MiB (default 1G; 128M with -M, as QEMU)"),
    opt!(["smp"], Value("[cpus=]N[,cores=,threads=,sockets=,maxcpus=]"), "CPUs, 1 to 8"),
    opt!(["gic"], Value("2|3"), "GICv2 (default) or GICv3: armvirt's spelling of -M gic-version="),
    opt!(["accel"], Value("tcg[,thread=single|multi]"),
         "accepted: armvirt is its own accelerator (tcg's options are ignored)"),
    opt!(["rtc"], Value("base=utc|localtime|DATETIME[,clock=vm]"), "where the RTC starts"),
    opt!(["engine"], Value("jit|interp"), "armvirt: run guest code translated (jit) or interpreted"),
    // ── Boot ──────────────────────────────────────────────────────────────────────────
    opt!(["kernel"], Value("PATH"), "arm64 Image, gzip'd Image or ELF64 (required)"),
    opt!(["kernel-raw-addr"], Value("ADDR"), "armvirt: load the kernel file as raw bytes at ADDR"),
    opt!(["initrd"], Value("PATH"), "initial ramdisk"),
    opt!(["append"], Value("STRING"), "kernel command line"),
    opt!(["dtb"], Value("PATH"), "use this device tree (its /memory, /chosen, /psci patched)"),
    opt!(["dump-dtb"], Value("PATH"), "armvirt: write the device tree and exit (-M dumpdtb=)"),
    // ── Debugging ─────────────────────────────────────────────────────────────────────
    opt!(["S"], Flag, "start halted, waiting for gdb"),
    opt!(["s"], Flag, "gdb server on tcp::1234"),
    opt!(["gdb"], Value("tcp:[HOST]:PORT|[HOST:]PORT|unix:PATH[,server,nowait]"),
         "gdb server (127.0.0.1 unless HOST is given)"),
    opt!(["d"], Value("unimp,int,mmu,guest_errors"), "log these to stderr (or -D FILE)"),
    opt!(["D"], Value("FILE"), "write the -d log to FILE"),
    opt!(["loadvm"], Value("FILE"), "start from a savevm file (armvirt: a file, not a qcow2 tag)"),
    opt!(["record"], Value("FILE"), "armvirt: record the run's inputs and state hashes to FILE"),
    opt!(["replay"], Value("FILE"), "armvirt: replay a --record FILE (its inputs, not the console's)"),
    opt!(["icount"], Value("shift=auto,rr=record|replay,rrfile=FILE"),
         "QEMU's record/replay: --record FILE / --replay FILE (armvirt's count is always shift=0)"),
    opt!(["history"], Value("SIZE"),
         "armvirt: memory for reverse execution while gdb is attached (default 1G; 0: none)"),
    opt!(["timeout"], Value("SECONDS"),
         "armvirt: after SECONDS of host time, say where each vCPU is and exit 124"),
    // ── Console, monitor ──────────────────────────────────────────────────────────────
    opt!(["nographic"], Flag, "accepted (armvirt has no display); serial and monitor on stdio"),
    opt!(["display"], Value("none"), "only none (armvirt has no display)"),
    opt!(["serial"], Value("stdio|mon:stdio|null|none|chardev:ID|tcp:|telnet:|unix:..."),
         "where the PL011 goes"),
    opt!(["chardev"], Value("stdio|socket|null,id=ID[,path=|host=,port=][,server=on,wait=off,telnet=on]"),
         "a character backend for -serial chardev:ID, -mon, virtconsole"),
    opt!(["mon"], Value("chardev=ID[,mode=readline]"), "the HMP monitor on a chardev"),
    opt!(["monitor"], Value("stdio|none|telnet:H:P,server,nowait|tcp:...|unix:PATH,server,nowait"),
         "the HMP monitor"),
    opt!(["nodefaults"], Flag, "no default serial port or monitor"),
    // ── Devices (virtio-mmio) ─────────────────────────────────────────────────────────
    opt!(["drive"], Value("file=F,format=raw,if=none|virtio[,id=ID][,readonly=on][,snapshot=on]"),
         "a raw disk (if=virtio is a virtio-blk-device here)"),
    opt!(["device"], Value("virtio-blk-device|virtio-net-device|virtio-rng-device|virtio-serial-device|virtconsole,..."),
         "a virtio-mmio device"),
    opt!(["netdev"], Value("user,id=ID[,hostfwd=tcp:HOSTADDR:PORT-:PORT]..."), "user-mode network"),
    opt!(["nic"], Value("user[,hostfwd=...][,mac=..]|none"), "a virtio-net-device on user networking"),
    opt!(["net"], Value("nic|user|none"), "legacy: -net nic -net user is one virtio-net-device"),
    opt!(["snapshot"], Flag, "writes to every drive stay in memory"),
    opt!(["semihosting"], Flag, "Arm semihosting (HLT #0xF000)"),
    opt!(["semihosting-config"], Value("enable=on,target=native[,userspace=on][,arg=..]"),
         "semihosting options"),
    // ── Run control ───────────────────────────────────────────────────────────────────
    opt!(["no-reboot"], Flag, "a guest reset exits (status 0) instead of rebooting"),
    opt!(["no-shutdown"], Flag, "a guest power-off stops the vCPUs but armvirt stays"),
    opt!(["name"], Value("NAME"), "accepted and ignored"),
    opt!(["no-user-config"], Flag, "accepted (armvirt reads no configuration files)"),
    opt!(["version"], Flag, "print the version and exit"),
    opt!(["help", "h"], Flag, "print this help and exit"),
    // ── QEMU options armvirt refuses ──────────────────────────────────────────────────
    opt!(["bios"], Refused("armvirt has no firmware; boot the kernel with -kernel"), ""),
    opt!(["pflash"], Refused("armvirt has no firmware flash; boot the kernel with -kernel"), ""),
    opt!(["L"], Refused("armvirt has no firmware directory"), ""),
    opt!(["enable-kvm"], Refused("armvirt is an emulator (no KVM); leave -accel out"), ""),
    opt!(["hda"], Refused("disks are virtio-mmio here: -drive file=F,format=raw,if=virtio"), ""),
    opt!(["hdb"], Refused("disks are virtio-mmio here: -drive file=F,format=raw,if=virtio"), ""),
    opt!(["cdrom"], Refused("armvirt has no CD-ROM; use -drive file=F,format=raw,if=virtio"), ""),
    opt!(["sd"], Refused("the virt machine has no SD card"), ""),
    opt!(["mtdblock"], Refused("the virt machine has no MTD flash"), ""),
    opt!(["blockdev"], Refused("use -drive file=F,format=raw,if=none,id=ID"), ""),
    opt!(["fsdev"], Refused("armvirt has no 9p file sharing"), ""),
    opt!(["virtfs"], Refused("armvirt has no 9p file sharing"), ""),
    opt!(["usb"], Refused("armvirt has no USB"), ""),
    opt!(["usbdevice"], Refused("armvirt has no USB"), ""),
    opt!(["vnc"], Refused("armvirt has no display"), ""),
    opt!(["spice"], Refused("armvirt has no display"), ""),
    opt!(["sdl"], Refused("armvirt has no display"), ""),
    opt!(["curses"], Refused("armvirt has no display"), ""),
    opt!(["full-screen"], Refused("armvirt has no display"), ""),
    opt!(["k"], Refused("armvirt has no display or keyboard"), ""),
    opt!(["audiodev"], Refused("armvirt has no sound"), ""),
    opt!(["boot"], Refused("armvirt boots -kernel directly (no firmware boot order)"), ""),
    opt!(["loadvm"], Refused("armvirt has no snapshots of machine state"), ""),
    opt!(["incoming"], Refused("armvirt has no migration"), ""),
    opt!(["qmp"], Refused("armvirt has no QMP; the HMP monitor is -monitor"), ""),
    opt!(["object"], Refused("armvirt has no QOM objects; virtio-rng-device needs no backend"), ""),
    opt!(["global"], Refused("armvirt has no device properties to set"), ""),
    opt!(["readconfig"], Refused("armvirt reads no configuration files"), ""),
    opt!(["writeconfig"], Refused("armvirt writes no configuration files"), ""),
    opt!(["daemonize"], Refused("armvirt runs in the foreground"), ""),
    opt!(["pidfile"], Refused("armvirt writes no pid file"), ""),
    opt!(["trace"], Refused("armvirt has no QEMU trace events; see -d"), ""),
    opt!(["plugin"], Refused("armvirt has no TCG plugins"), ""),
    opt!(["numa"], Refused("armvirt's virt has one memory node"), ""),
    opt!(["mem-path"], Refused("armvirt's RAM is anonymous memory"), ""),
    opt!(["mem-prealloc"], Refused("armvirt's RAM is anonymous memory"), ""),
    opt!(["overcommit"], Refused("armvirt's RAM is anonymous memory"), ""),
    opt!(["watchdog"], Refused("armvirt has no watchdog device"), ""),
    opt!(["fw_cfg"], Refused("armvirt has no fw_cfg"), ""),
    opt!(["smbios"], Refused("armvirt has no SMBIOS (no firmware)"), ""),
    opt!(["acpitable"], Refused("armvirt boots with a device tree, not ACPI"), ""),
    opt!(["tpmdev"], Refused("armvirt has no TPM"), ""),
    opt!(["parallel"], Value("none"), "only none (the virt machine has no parallel port)"),
    opt!(["vga"], Value("none"), "only none (armvirt has no display)"),
    opt!(["option-rom"], Refused("armvirt has no option ROMs"), ""),
    opt!(["action"], Refused("use -no-reboot / -no-shutdown"), ""),
];

/// The row for an option name without its dashes.
pub fn find(name: &str) -> Option<&'static OptSpec> {
    OPTIONS.iter().find(|o| o.names.contains(&name))
}

/// --help: the supported and accepted options, one per line.
pub fn help_text() -> String {
    let mut s = String::from(
        "usage: armvirt [options] -kernel Image   (also: qemu-system-aarch64 [options])\n\
         Options take one or two dashes; values follow as the next argument or after '='.\n\n",
    );
    for o in OPTIONS {
        let metavar = match o.takes {
            Takes::Refused(_) => continue,
            Takes::Flag => String::new(),
            Takes::Value(m) => format!(" {m}"),
        };
        let names: Vec<String> = o.names.iter().map(|n| format!("-{n}")).collect();
        s.push_str(&format!(
            "  {}{metavar}\n        {}\n",
            names.join(", "),
            o.help
        ));
    }
    let refused: Vec<String> = OPTIONS
        .iter()
        .filter(|o| matches!(o.takes, Takes::Refused(_)))
        .map(|o| format!("-{}", o.names[0]))
        .collect();
    s.push_str(&format!(
        "\nRefused QEMU options (each says why): {}\n",
        refused.join(" ")
    ));
    s
}
