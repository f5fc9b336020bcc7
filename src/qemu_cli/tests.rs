//! The parser end to end: argv in, `Config` and settings out, or one line of refusal.

use super::*;
use armvirt_machine::irqchip::GicVersion;
use armvirt_machine::options::{CharBackend, CpuModel, Drive, UserNet, VirtioDevice};
use armvirt_machine::rtc::RtcBase;

fn parse_as(argv0: &str, args: &[&str]) -> Result<Settings, String> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    match parse(argv0, &args)? {
        Request::Run(s) => Ok(*s),
        Request::Print(t) => Err(format!("printed {t:?}")),
    }
}

fn ok(args: &[&str]) -> Settings {
    parse_as("armvirt", args).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn problem(args: &[&str]) -> String {
    match parse_as("armvirt", args) {
        Ok(s) => panic!("{args:?} parsed: {:?}", s.config),
        Err(e) => e,
    }
}

#[test]
fn armvirt_spellings_keep_their_meaning() {
    let s = ok(&[
        "--kernel",
        "Image",
        "-S",
        "--gdb",
        "3333",
        "--memory",
        "512M",
        "--smp",
        "2",
        "--gic",
        "3",
        "--rtc",
        "base=2024-01-02T03:04:05",
        "--initrd",
        "i",
        "--append",
        "console=ttyAMA0",
        "--dtb",
        "d.dtb",
        "--dump-dtb",
        "o.dtb",
        "--kernel-raw-addr",
        "0x40080000",
        "-d",
        "int",
        "-D",
        "log",
    ]);
    let c = &s.config;
    assert_eq!(c.kernel, PathBuf::from("Image"));
    assert!(c.start_halted);
    assert_eq!(c.gdb, Some(GdbAddr::Tcp("127.0.0.1:3333".parse().unwrap())));
    assert_eq!((c.ram_size, c.cpus, c.gic), (512 << 20, 2, GicVersion::V3));
    assert!(matches!(c.rtc_base, RtcBase::DateTime(_)));
    assert_eq!(c.initrd, Some("i".into()));
    assert_eq!(c.cmdline.as_deref(), Some("console=ttyAMA0"));
    assert_eq!(c.dtb, Some("d.dtb".into()));
    assert_eq!(c.kernel_raw_addr, Some(0x4008_0000));
    assert_eq!(s.dump_dtb, Some("o.dtb".into()));
    assert_eq!(s.log_file, Some("log".into()));
    assert!(s.log_mask.is_some());
    assert_eq!(
        ok(&["--kernel", "k", "-s"]).config.gdb,
        Some(GdbAddr::Tcp("127.0.0.1:1234".parse().unwrap()))
    );
}

#[test]
fn armvirt_defaults() {
    let c = ok(&["--kernel", "k"]).config;
    assert_eq!((c.ram_size, c.cpus, c.gic), (1 << 30, 1, GicVersion::V2));
    assert_eq!(c.rtc_base, RtcBase::Utc);
    assert!(!c.start_halted && c.gdb.is_none());
    assert_eq!(c.options, Default::default());
}

#[test]
fn qemu_defaults_when_the_machine_is_named_or_armvirt_is_qemu() {
    // hw/arm/virt.c: default_ram_size = 128 MiB.
    assert_eq!(
        ok(&["-M", "virt", "-kernel", "k"]).config.ram_size,
        128 << 20
    );
    let s = parse_as("/usr/local/bin/qemu-system-aarch64", &["-kernel", "k"]).unwrap();
    assert_eq!(s.config.ram_size, 128 << 20);
    assert_eq!(
        ok(&["-M", "virt", "-kernel", "k", "-m", "2048"])
            .config
            .ram_size,
        2 << 30
    );
}

#[test]
fn the_seeds_command_line() {
    let s = ok(&[
        "-machine",
        "virt",
        "-cpu",
        "cortex-a72",
        "-machine",
        "type=virt",
        "-nographic",
        "-smp",
        "1",
        "-m",
        "2048",
        "-monitor",
        "telnet:127.0.0.1:1234,server,nowait",
        "-kernel",
        "Image",
        "-S",
        "-gdb",
        "tcp::3333",
    ]);
    let c = &s.config;
    assert_eq!((c.ram_size, c.cpus, c.gic), (2 << 30, 1, GicVersion::V2));
    assert_eq!(c.gdb, Some(GdbAddr::Tcp("127.0.0.1:3333".parse().unwrap())));
    assert!(c.start_halted);
    assert_eq!(c.options.cpu_model, CpuModel::CortexA72);
    // -nographic with a monitor elsewhere: the serial port on stdio (QEMU's vl.c).
    assert_eq!(c.options.serial, Some(CharBackend::Stdio));
    assert_eq!(
        c.options.monitor,
        Some(CharBackend::TcpServer {
            addr: "127.0.0.1:1234".parse().unwrap(),
            telnet: true
        })
    );
}

#[test]
fn buildroots_command_line() {
    let s = ok(&[
        "-M",
        "virt",
        "-cpu",
        "cortex-a53",
        "-nographic",
        "-smp",
        "1",
        "-kernel",
        "Image",
        "-append",
        "rootwait root=/dev/vda console=ttyAMA0",
        "-netdev",
        "user,id=eth0",
        "-device",
        "virtio-net-device,netdev=eth0",
        "-drive",
        "file=rootfs.ext4,if=none,format=raw,id=hd0",
        "-device",
        "virtio-blk-device,drive=hd0",
    ]);
    let o = &s.config.options;
    assert_eq!(s.config.ram_size, 128 << 20);
    assert_eq!(o.cpu_model, CpuModel::CortexA53);
    assert_eq!(
        o.virtio,
        [
            VirtioDevice::Net {
                net: UserNet {
                    id: Some("eth0".into()),
                    hostfwd: vec![]
                },
                mac: None
            },
            VirtioDevice::Blk(Drive {
                id: Some("hd0".into()),
                file: "rootfs.ext4".into(),
                readonly: false,
                snapshot: false
            }),
        ]
    );
    // -nographic alone: serial and monitor share stdio.
    assert_eq!(o.serial, Some(CharBackend::MuxStdio));
    assert_eq!(o.monitor, Some(CharBackend::MuxStdio));
}

#[test]
fn kunits_command_line() {
    let s = ok(&[
        "-nodefaults",
        "-m",
        "1024",
        "-kernel",
        "Image.gz",
        "-append",
        "kunit.enable=1 kunit_shutdown=reboot console=ttyAMA0",
        "-no-reboot",
        "-nographic",
        "-serial",
        "stdio",
        "-machine",
        "virt",
        "-cpu",
        "cortex-a57",
    ]);
    let o = &s.config.options;
    assert_eq!(s.config.ram_size, 1 << 30);
    assert!(o.no_reboot && !o.no_shutdown);
    assert_eq!(o.cpu_model, CpuModel::CortexA57);
    assert_eq!(o.serial, Some(CharBackend::Stdio));
    assert_eq!(o.monitor, None);
}

#[test]
fn repeated_options_as_qemu() {
    let c = ok(&[
        "-M",
        "virt,gic-version=3",
        "-M",
        "type=virt",
        "-kernel",
        "a",
        "-kernel",
        "k",
        "-append",
        "x",
        "-append",
        "y",
        "-m",
        "1G",
        "-m",
        "size=2G",
    ])
    .config;
    assert_eq!(c.gic, GicVersion::V3);
    assert_eq!(c.kernel, PathBuf::from("k"));
    assert_eq!(c.cmdline.as_deref(), Some("y"));
    assert_eq!(c.ram_size, 2 << 30);
    // -smp merges: cpus=2 with cores=4 is an invalid topology, as in QEMU.
    assert!(problem(&["-smp", "2", "-smp", "cores=4", "-kernel", "k"]).contains("topology"));
    let c = ok(&[
        "-kernel",
        "k",
        "-smp",
        "cores=2",
        "-M",
        "virt,gic-version=max",
    ])
    .config;
    assert_eq!((c.cpus, c.gic), (2, GicVersion::V3));
}

#[test]
fn devices_resolve_by_id_in_command_line_order() {
    let c = ok(&[
        "-kernel",
        "k",
        "-device",
        "virtio-rng-device",
        "-drive",
        "file=a.img,format=raw",
        "-chardev",
        "socket,id=con,path=/tmp/c.sock,server=on,wait=off",
        "-device",
        "virtio-serial-device",
        "-device",
        "virtconsole,chardev=con",
        "-nic",
        "user,hostfwd=tcp:127.0.0.1:2222-:22",
        "-net",
        "nic,mac=52:54:00:00:00:01",
        "-net",
        "user",
        "-snapshot",
    ])
    .config;
    let v = &c.options.virtio;
    assert_eq!(v.len(), 5);
    assert_eq!(v[0], VirtioDevice::Rng);
    assert!(
        matches!(&v[1], VirtioDevice::Blk(d) if d.snapshot && d.file == std::path::Path::new("a.img"))
    );
    assert_eq!(
        v[2],
        VirtioDevice::Console(CharBackend::UnixServer {
            path: "/tmp/c.sock".into()
        })
    );
    assert!(
        matches!(&v[3], VirtioDevice::Net { net, mac: None } if net.hostfwd[0].host_port == 2222)
    );
    assert!(matches!(
        &v[4],
        VirtioDevice::Net {
            mac: Some([0x52, 0x54, 0, 0, 0, 1]),
            ..
        }
    ));
}

#[test]
fn serial_monitor_and_chardevs() {
    let o = |args: &[&str]| {
        let mut a = vec!["-kernel", "k"];
        a.extend_from_slice(args);
        let c = ok(&a).config;
        (c.options.serial, c.options.monitor)
    };
    use CharBackend::*;
    assert_eq!(o(&[]), (None, None));
    assert_eq!(
        o(&["-serial", "mon:stdio"]),
        (Some(MuxStdio), Some(MuxStdio))
    );
    assert_eq!(
        o(&["-nographic", "-serial", "null"]),
        (Some(Null), Some(Stdio))
    );
    assert_eq!(o(&["-nodefaults"]), (Some(Null), None));
    assert_eq!(o(&["-monitor", "stdio"]), (Some(MuxStdio), Some(MuxStdio)));
    assert_eq!(
        o(&["-nodefaults", "-monitor", "stdio"]),
        (Some(Null), Some(Stdio))
    );
    assert_eq!(o(&["-nographic", "-monitor", "none"]), (Some(Stdio), None));
    assert_eq!(
        o(&[
            "-chardev",
            "stdio,id=s,mux=on",
            "-serial",
            "chardev:s",
            "-mon",
            "chardev=s,mode=readline"
        ]),
        (Some(MuxStdio), Some(MuxStdio))
    );
    assert_eq!(
        o(&["-monitor", "unix:/tmp/m,server,nowait"]),
        (
            None,
            Some(UnixServer {
                path: "/tmp/m".into()
            })
        )
    );
}

#[test]
fn armvirt_own_options_and_run_control() {
    let s = ok(&[
        "-kernel",
        "k",
        "--engine",
        "interp",
        "--timeout",
        "1.5",
        "-no-shutdown",
        "-semihosting-config",
        "enable=on,target=native,userspace=on,arg=a,arg=b",
        "-name",
        "x",
        "-no-user-config",
        "-accel",
        "tcg,thread=single",
        "-display",
        "none",
        "-M",
        "virt,dumpdtb=v.dtb",
    ]);
    let o = &s.config.options;
    assert_eq!(o.engine, armvirt_machine::options::Engine::Interp);
    assert_eq!(s.timeout, Some(Duration::from_millis(1500)));
    assert!(o.no_shutdown);
    let sh = o.semihosting.as_ref().unwrap();
    assert!(sh.userspace && sh.args == ["a", "b"]);
    assert_eq!(s.dump_dtb, Some("v.dtb".into()));
    assert!(ok(&["-kernel", "k", "-semihosting"])
        .config
        .options
        .semihosting
        .is_some());
    assert!(ok(&["-kernel", "k", "-semihosting-config", "enable=off"])
        .config
        .options
        .semihosting
        .is_none());
}

#[test]
fn help_version_and_lists() {
    for (args, has) in [
        (&["--version"][..], "qemu-system-aarch64 drop-in"),
        (&["-version"], "armvirt 0.1.0"),
        (&["-h"], "-kernel PATH"),
        (&["--help"], "-machine, -M"),
        (&["-M", "help"], "virt"),
        (&["-cpu", "help"], "cortex-a53"),
        (&["-device", "help"], "virtio-blk-device"),
    ] {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        match parse("armvirt", &args) {
            Ok(Request::Print(t)) => assert!(t.contains(has), "{args:?}: {t}"),
            other => panic!("{args:?}: {other:?}"),
        }
    }
}

/// Every refusal is one line naming the option or value.
#[test]
fn refusals_name_what_is_refused() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["-cpu", "max"],
            "-cpu max is not supported (supported: cortex-a72, cortex-a57, cortex-a53)",
        ),
        (
            &["-bios", "QEMU_EFI.fd"],
            "-bios is not supported: armvirt has no firmware",
        ),
        (&["-M", "raspi3b"], "-machine raspi3b is not supported"),
        (
            &["-device", "virtio-blk-pci,drive=x"],
            "-device virtio-blk-pci is not supported: armvirt has no PCI",
        ),
        (
            &["-device", "foo"],
            "-device foo is not supported (supported: virtio-blk-device",
        ),
        (&["-accel", "kvm"], "-accel kvm is not supported"),
        (&["-enable-kvm"], "-enable-kvm is not supported"),
        (&["--frobnicate"], "unexpected argument '--frobnicate'"),
        (&["-display", "gtk"], "-display gtk is not supported"),
        (
            &["-device", "virtio-blk-device,drive=nope"],
            "no -drive with id=nope",
        ),
        (
            &["-drive", "file=a,if=none,id=d"],
            "-drive id=d: no -device",
        ),
        (
            &[
                "-drive",
                "file=a,if=none,id=d",
                "-drive",
                "file=b,if=none,id=d",
            ],
            "duplicate drive id",
        ),
        (&["-netdev", "user,id=n"], "-netdev id=n: no -device"),
        (
            &["-device", "virtio-net-device,netdev=n"],
            "no -netdev with id=n",
        ),
        (
            &["-netdev", "user,id=n", "-netdev", "user,id=n"],
            "duplicate netdev id",
        ),
        (&["-netdev", "user,id=n,foo=1"], "option 'foo'"),
        (&["-serial", "chardev:x"], "no -chardev with id=x"),
        (&["-chardev", "null,id=x"], "-chardev id=x: not used"),
        (
            &["-device", "virtconsole,chardev=c", "-chardev", "null,id=c"],
            "needs a -device virtio-serial-device",
        ),
        (&["-net", "nic"], "-net nic needs -net user"),
        (
            &["-nographic", "-serial", "stdio"],
            "cannot use stdio by multiple character devices",
        ),
        (&["-serial", "stdio", "-serial", "stdio"], "one UART"),
        (
            &[
                "-nographic",
                "-chardev",
                "stdio,id=c",
                "-device",
                "virtio-serial-device",
                "-device",
                "virtconsole,chardev=c",
            ],
            "cannot use stdio by multiple",
        ),
        (&["-mon", "chardev=x,mode=control"], "mode=control"),
        (&["-M", "virt,gic-version=4"], "gic-version=4"),
        (&["-semihosting-config", "target=gdb"], "target=gdb"),
        (&["-s", "-gdb", "tcp::1"], "cannot be used with"),
        (&["-m", "12X"], "'12X' is not a size"),
        (&["-smp", "9"], "9 CPUs requested"),
        (&["-timeout", "soon"], "not a number of seconds"),
        (&["--engine", "fast"], "not an engine"),
        (&["-hda", "x.img"], "-hda is not supported"),
        (&["x.img"], "unexpected argument 'x.img'"),
        (
            &["--rtc", "base=2024-02-30"],
            "'2024-02-30' names a day that does not exist",
        ),
        (&["--gdb", "0"], "port 0 in '0' is out of range"),
        (&["-m", "1M"], "memory size 1M is below the minimum of 8M"),
        (&["--smp", "two"], "'two' is not a number of CPUs"),
        (
            &["-gdb", "tcp:example.org:1"],
            "'example.org' in 'example.org:1' is not an IP address",
        ),
    ];
    for (args, want) in cases {
        let mut a = vec!["-kernel", "k"];
        a.extend_from_slice(args);
        let p = problem(&a);
        assert!(p.contains(want), "{args:?}: {p:?} lacks {want:?}");
        assert!(!p.contains('\n'), "{args:?}: {p:?}");
    }
    assert_eq!(problem(&[]), "missing --kernel <PATH> (see --help)");
}
