//! QEMU's user-mode network (`-netdev user`, `-nic user`) over libslirp (`libslirp.h`,
//! libslirp 4.x, through the `libslirp-sys` FFI crate).
//!
//! The guest sees what QEMU's defaults give it: network 10.0.2.0/24, the gateway and host
//! at 10.0.2.2, DNS at 10.0.2.3, DHCP handing out 10.0.2.15 first, IPv6 prefix fec0::/64
//! (QEMU `net/slirp.c`, `net_slirp_init`). Outbound TCP and UDP become host sockets;
//! `hostfwd` rules listen on the host and connect into the guest.
//!
//! libslirp is single-threaded and driven from outside: the application hands it the
//! guest's frames ([`UserNetwork::send`]), polls the sockets it names and runs its timers
//! ([`UserNetwork::poll`]). Both happen on the machine's run-loop thread; frames slirp
//! emits for the guest are only queued here ([`UserNetwork::recv`] takes them), so the
//! machine decides when they enter the guest. slirp's clock is the host's monotonic clock:
//! its TCP timers talk to real sockets.

use crate::options::{HostFwd, UserNet};
use libslirp_sys as sys;
use std::collections::VecDeque;
use std::ffi::CStr;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::raw::{c_char, c_int, c_void};
use std::ptr;
use std::time::{Duration, Instant};

/// The guest network QEMU's `-netdev user` sets up.
pub const NETWORK: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 0);
pub const NETMASK: Ipv4Addr = Ipv4Addr::new(255, 255, 255, 0);
/// The gateway, which is also the host: connections to it reach the host's loopback.
pub const HOST: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);
pub const DNS: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 3);
/// The first address DHCP hands out, and where `hostfwd` connects when a rule names no
/// guest address.
pub const GUEST: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);
const PREFIX6: Ipv6Addr = Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0);
const HOST6: Ipv6Addr = Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 2);
const DNS6: Ipv6Addr = Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 3);

/// Frames held for the guest before the oldest is dropped, as a NIC's receive FIFO
/// overflows. TCP paces itself to the guest's window, so only a guest that stops reading
/// fills it.
pub const RX_QUEUE_LIMIT: usize = 512;

/// `SlirpConfig` version we fill: the fields up to `disable_dns`, which `libslirp-sys`
/// declares (version 4 only adds `disable_dhcp`).
const CONFIG_VERSION: u32 = 3;

/// Why a user network could not be set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetError {
    /// `slirp_new` refused the configuration.
    Init,
    /// A `hostfwd` rule slirp could not set up (the host port in use, most often).
    HostFwd(HostFwd),
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::Init => f.write_str("could not initialize the user-mode network (libslirp)"),
            NetError::HostFwd(r) => {
                let guest = r.guest_addr.map(|a| a.to_string()).unwrap_or_default();
                write!(
                    f,
                    "could not set up host forwarding rule '{}:{}:{}-{}:{}'",
                    if r.udp { "udp" } else { "tcp" },
                    r.host_addr,
                    r.host_port,
                    guest,
                    r.guest_port
                )
            }
        }
    }
}

impl std::error::Error for NetError {}

/// `SlirpCb` as libslirp 4.7 declares it: `libslirp-sys` stops at `notify`, so the two
/// version-4 members follow here, null. libslirp reads them only for config version 4,
/// but the structure it is handed is whole either way.
#[repr(C)]
struct Callbacks {
    base: sys::SlirpCb,
    init_completed: Option<unsafe extern "C" fn(*mut sys::Slirp, *mut c_void)>,
    timer_new_opaque: Option<unsafe extern "C" fn(c_int, *mut c_void, *mut c_void) -> *mut c_void>,
}

/// A timer slirp created (`timer_new`): it fires by calling `cb(cb_opaque)`.
struct Timer {
    cb: sys::SlirpTimerCb,
    cb_opaque: *mut c_void,
    /// Milliseconds on [`clock_ns`]'s clock; `None` when not armed.
    expire_ms: Option<i64>,
}

/// What slirp's callbacks reach through their opaque pointer. Touched only by the
/// callbacks and by [`UserNetwork`]'s methods between libslirp calls, never during one.
struct State {
    rx: VecDeque<Vec<u8>>,
    dropped: u64,
    timers: Vec<*mut Timer>,
    pollfds: Vec<libc::pollfd>,
    guest_errors: u64,
    /// When the guest last sent a frame. Only the guest's frames count: slirp sends IPv6
    /// router advertisements every 200-600 ms of host time on its own, and every
    /// conversation the guest takes part in has it transmitting (ACKs at least).
    last_traffic: Option<Instant>,
}

/// A libslirp instance: QEMU's `-netdev user`.
pub struct UserNetwork {
    slirp: *mut sys::Slirp,
    state: *mut State,
    /// Read by libslirp for as long as `slirp` lives.
    _callbacks: Box<Callbacks>,
}

// SAFETY: libslirp keeps no thread-local state and has no thread affinity; every use of
// `slirp` and `state` goes through `&mut self`, so one thread at a time touches them.
unsafe impl Send for UserNetwork {}

impl UserNetwork {
    /// A user network with QEMU's addresses and `cfg`'s `hostfwd` rules.
    pub fn new(cfg: &UserNet) -> Result<Self, NetError> {
        let state = Box::into_raw(Box::new(State {
            rx: VecDeque::new(),
            dropped: 0,
            timers: Vec::new(),
            pollfds: Vec::new(),
            guest_errors: 0,
            last_traffic: None,
        }));
        let callbacks = Box::new(Callbacks {
            base: sys::SlirpCb {
                send_packet: Some(send_packet),
                guest_error: Some(guest_error),
                clock_get_ns: Some(clock_get_ns),
                timer_new: Some(timer_new),
                timer_free: Some(timer_free),
                timer_mod: Some(timer_mod),
                register_poll_fd: Some(register_poll_fd),
                unregister_poll_fd: Some(register_poll_fd),
                notify: Some(notify),
            },
            init_completed: None,
            timer_new_opaque: None,
        });
        let config = sys::SlirpConfig {
            version: CONFIG_VERSION,
            restricted: 0,
            in_enabled: true,
            vnetwork: NETWORK.into(),
            vnetmask: NETMASK.into(),
            vhost: HOST.into(),
            in6_enabled: true,
            vprefix_addr6: PREFIX6.into(),
            vprefix_len: 64,
            vhost6: HOST6.into(),
            vhostname: ptr::null(),
            tftp_server_name: ptr::null(),
            tftp_path: ptr::null(),
            bootfile: ptr::null(),
            vdhcp_start: GUEST.into(),
            vnameserver: DNS.into(),
            vnameserver6: DNS6.into(),
            vdnssearch: ptr::null_mut(),
            vdomainname: ptr::null(),
            // 0: libslirp's defaults (1500), QEMU's too.
            if_mtu: 0,
            if_mru: 0,
            disable_host_loopback: false,
            enable_emu: false,
            outbound_addr: ptr::null(),
            outbound_addr6: ptr::null(),
            disable_dns: false,
            disable_dhcp: false,
        };
        // SAFETY: `config` is read during the call only; `callbacks` and `state` outlive
        // the instance (freed in `drop`, after `slirp_cleanup`).
        let slirp = unsafe { sys::slirp_new(&config, &callbacks.base, state.cast()) };
        if slirp.is_null() {
            // SAFETY: `state` came from `Box::into_raw` and slirp did not keep it.
            drop(unsafe { Box::from_raw(state) });
            return Err(NetError::Init);
        }
        let mut net = UserNetwork {
            slirp,
            state,
            _callbacks: callbacks,
        };
        for rule in &cfg.hostfwd {
            net.add_hostfwd(rule)?;
        }
        Ok(net)
    }

    /// Listens on the rule's host address and port; each connection there is forwarded
    /// to the guest's address (10.0.2.15 unless the rule names one) and port.
    pub fn add_hostfwd(&mut self, rule: &HostFwd) -> Result<(), NetError> {
        let guest = rule.guest_addr.unwrap_or(GUEST);
        // SAFETY: a live instance; the addresses are passed by value.
        let ret = unsafe {
            sys::slirp_add_hostfwd(
                self.slirp,
                rule.udp as c_int,
                rule.host_addr.into(),
                rule.host_port.into(),
                guest.into(),
                rule.guest_port.into(),
            )
        };
        if ret < 0 {
            return Err(NetError::HostFwd(rule.clone()));
        }
        Ok(())
    }

    /// Hands slirp a frame the guest sent (an Ethernet frame, no virtio header). Whatever
    /// slirp answers at once (ARP, DHCP, ICMP echo) is queued for [`UserNetwork::recv`].
    pub fn send(&mut self, frame: &[u8]) {
        let len = c_int::try_from(frame.len()).unwrap_or(c_int::MAX);
        self.state().last_traffic = Some(Instant::now());
        // SAFETY: a live instance; slirp copies what it keeps of `frame`.
        unsafe { sys::slirp_input(self.slirp, frame.as_ptr(), len) };
    }

    /// Services the host sockets slirp watches and its timers, waiting up to `timeout`
    /// for a socket to become ready (zero: only what is ready now). Frames for the guest
    /// are queued for [`UserNetwork::recv`].
    pub fn poll(&mut self, timeout: Duration) {
        let mut timeout_ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX - 1);
        self.state().pollfds.clear();
        // SAFETY: a live instance; `add_poll` reaches `state` through the opaque pointer,
        // and no reference to it is held across the call.
        unsafe {
            sys::slirp_pollfds_fill(
                self.slirp,
                &mut timeout_ms,
                Some(add_poll),
                self.state.cast(),
            )
        };
        if let Some(expire) = self.next_timer_ms() {
            let until = u32::try_from((expire - clock_ns() / 1_000_000).max(0)).unwrap_or(0);
            timeout_ms = timeout_ms.min(until);
        }
        let fds = &mut self.state().pollfds;
        let wait = c_int::try_from(timeout_ms).unwrap_or(c_int::MAX);
        // SAFETY: `fds` is a valid array of `fds.len()` pollfd structures.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait) };
        // SAFETY: as for `slirp_pollfds_fill`; the indices `get_revents` is given are the
        // ones `add_poll` returned.
        unsafe {
            sys::slirp_pollfds_poll(
                self.slirp,
                (ready < 0) as c_int,
                Some(get_revents),
                self.state.cast(),
            )
        };
        self.fire_timers();
    }

    /// The oldest frame slirp sent the guest that the guest has not been given.
    pub fn recv(&mut self) -> Option<Vec<u8>> {
        self.state().rx.pop_front()
    }

    /// Frames waiting for the guest.
    pub fn pending(&mut self) -> usize {
        self.state().rx.len()
    }

    /// Frames dropped because the guest left more than [`RX_QUEUE_LIMIT`] unread.
    pub fn dropped(&mut self) -> u64 {
        self.state().dropped
    }

    /// Guest misbehaviour slirp reported (malformed packets), as a count.
    pub fn guest_errors(&mut self) -> u64 {
        self.state().guest_errors
    }

    /// Host time since the guest last sent a frame (`Duration::MAX` if it never has).
    pub fn quiet_for(&mut self) -> Duration {
        self.state()
            .last_traffic
            .map_or(Duration::MAX, |t| t.elapsed())
    }

    /// slirp's table of connections and forwarding rules (QEMU's `info usernet`).
    pub fn connection_info(&mut self) -> String {
        // SAFETY: a live instance; the string is malloc'd by glib (g_free is free).
        unsafe {
            let s = sys::slirp_connection_info(self.slirp);
            if s.is_null() {
                return String::new();
            }
            let text = CStr::from_ptr(s).to_string_lossy().into_owned();
            libc::free(s.cast());
            text
        }
    }

    fn state(&mut self) -> &mut State {
        // SAFETY: `state` lives as long as `self`; `&mut self` means no libslirp call
        // (and so no callback) is running.
        unsafe { &mut *self.state }
    }

    fn next_timer_ms(&mut self) -> Option<i64> {
        let timers = &self.state().timers;
        // SAFETY: every pointer in `timers` is a live `Timer` (removed when freed).
        timers
            .iter()
            .filter_map(|&t| unsafe { (*t).expire_ms })
            .min()
    }

    /// Runs the callbacks of the timers that are due. A callback may re-arm, create or
    /// free timers, so the list is looked at afresh after each.
    fn fire_timers(&mut self) {
        loop {
            let now = clock_ns() / 1_000_000;
            let due = self.state().timers.iter().copied().find(|&t| {
                // SAFETY: as in `next_timer_ms`.
                unsafe { (*t).expire_ms.is_some_and(|e| e <= now) }
            });
            let Some(t) = due else { break };
            // SAFETY: `t` is live; the callback is slirp's, with slirp's opaque pointer.
            unsafe {
                (*t).expire_ms = None;
                if let Some(cb) = (*t).cb {
                    cb((*t).cb_opaque);
                }
            }
        }
    }
}

impl Drop for UserNetwork {
    fn drop(&mut self) {
        // SAFETY: the instance is live until here; slirp frees its own timers through
        // `timer_free` during cleanup, and what is left afterwards is ours alone.
        unsafe {
            sys::slirp_cleanup(self.slirp);
            let state = Box::from_raw(self.state);
            for &t in &state.timers {
                drop(Box::from_raw(t));
            }
        }
    }
}

/// The host's monotonic clock in nanoseconds: never zero, which slirp's TCP timers take
/// to mean "not armed".
fn clock_ns() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}

/// The callbacks' view of [`State`].
///
/// SAFETY (for every callback below): libslirp passes back the opaque pointer it was
/// given in `slirp_new`, a live `State`, and calls back only from within a libslirp call
/// made by [`UserNetwork`], which holds no reference to the state meanwhile.
unsafe fn state<'a>(opaque: *mut c_void) -> &'a mut State {
    &mut *opaque.cast::<State>()
}

unsafe extern "C" fn send_packet(buf: *const c_void, len: usize, opaque: *mut c_void) -> isize {
    let st = state(opaque);
    if st.rx.len() >= RX_QUEUE_LIMIT {
        st.rx.pop_front();
        st.dropped += 1;
    }
    st.rx
        .push_back(std::slice::from_raw_parts(buf.cast::<u8>(), len).to_vec());
    len as isize
}

unsafe extern "C" fn guest_error(_msg: *const c_char, opaque: *mut c_void) {
    // QEMU logs these only with `-d guest_errors`; armvirt counts them.
    state(opaque).guest_errors += 1;
}

unsafe extern "C" fn clock_get_ns(_opaque: *mut c_void) -> i64 {
    clock_ns()
}

unsafe extern "C" fn timer_new(
    cb: sys::SlirpTimerCb,
    cb_opaque: *mut c_void,
    opaque: *mut c_void,
) -> *mut c_void {
    let t = Box::into_raw(Box::new(Timer {
        cb,
        cb_opaque,
        expire_ms: None,
    }));
    state(opaque).timers.push(t);
    t.cast()
}

unsafe extern "C" fn timer_free(timer: *mut c_void, opaque: *mut c_void) {
    let timers = &mut state(opaque).timers;
    if let Some(i) = timers.iter().position(|&t| t.cast() == timer) {
        drop(Box::from_raw(timers.swap_remove(i)));
    }
}

unsafe extern "C" fn timer_mod(timer: *mut c_void, expire_time: i64, opaque: *mut c_void) {
    let timers = &state(opaque).timers;
    if let Some(&t) = timers.iter().find(|&&t| t.cast() == timer) {
        (*t).expire_ms = Some(expire_time);
    }
}

/// Registration is a hint for event loops that keep a set of descriptors; ours asks
/// slirp for the set at every poll.
unsafe extern "C" fn register_poll_fd(_fd: c_int, _opaque: *mut c_void) {}

/// slirp asks for a poll soon; the run loop polls at every round anyway.
unsafe extern "C" fn notify(_opaque: *mut c_void) {}

unsafe extern "C" fn add_poll(fd: c_int, events: c_int, opaque: *mut c_void) -> c_int {
    let mut ev = 0;
    for (s, p) in POLL_BITS {
        if events & s != 0 {
            ev |= p;
        }
    }
    let fds = &mut state(opaque).pollfds;
    fds.push(libc::pollfd {
        fd,
        events: ev,
        revents: 0,
    });
    (fds.len() - 1) as c_int
}

unsafe extern "C" fn get_revents(idx: c_int, opaque: *mut c_void) -> c_int {
    let fds = &state(opaque).pollfds;
    let Some(fd) = usize::try_from(idx).ok().and_then(|i| fds.get(i)) else {
        return 0;
    };
    POLL_BITS
        .iter()
        .filter(|(_, p)| fd.revents & p != 0)
        .fold(0, |acc, (s, _)| acc | s)
}

/// slirp's poll flags and poll(2)'s.
const POLL_BITS: [(c_int, libc::c_short); 5] = [
    (sys::SLIRP_POLL_IN, libc::POLLIN),
    (sys::SLIRP_POLL_OUT, libc::POLLOUT),
    (sys::SLIRP_POLL_PRI, libc::POLLPRI),
    (sys::SLIRP_POLL_ERR, libc::POLLERR),
    (sys::SLIRP_POLL_HUP, libc::POLLHUP),
];

#[cfg(test)]
#[path = "slirp_tests.rs"]
mod tests;
