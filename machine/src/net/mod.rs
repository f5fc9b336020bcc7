//! Network backends for the machine's NICs. [`slirp::UserNetwork`] is QEMU's `-netdev
//! user`: libslirp's user-mode TCP/IP stack, reaching the outside world through the host's
//! sockets.
//!
//! Determinism: frames the backend produces (DHCP answers, data from host sockets) are
//! queued and enter the guest only when the run loop services the NIC at a scheduler round
//! boundary (`run.rs`, `virtio.rs`), as console input does. Frames the guest sends go to
//! the backend as its transmit queue is serviced.
//!
//! Idle time: while no vCPU runs, the machine's clock normally jumps to the next timer
//! deadline. With traffic in flight that would let the guest's TCP timers run far ahead
//! of the host sockets they talk to (a retransmit every few host microseconds), so while
//! the guest has sent a frame recently the idle machine waits on its sockets and lets
//! only the host time waited pass ([`Networks::idle_until`]), as a machine on real time
//! would.

//!
//! Inputs: every frame the NIC takes from the backend is an input of the run. While the
//! machine logs inputs (history, `--record`) the link keeps a copy of each for the
//! machine to log with its epoch ([`Networks::take_delivered`]); while it replays them
//! (a replay of history, `--replay`) the link hands the NIC the logged frames instead of
//! slirp's ([`Networks::feed`]) and drops what the guest sends, which the live run
//! already sent. A `--replay` has no host side at all ([`SharedNet::offline`]).
//!
//! Halted: while the run loop does not service a link (gdb holds the machine, the
//! monitor stopped it), a keeper thread polls slirp, so host connections and slirp's
//! timers go on as under QEMU's main loop; the frames slirp makes for the guest wait in
//! its queue until the NIC takes them, which is where they become inputs.

pub mod slirp;

pub use slirp::{NetError, UserNetwork};

use armvirt_devices::virtio::net::NetBackend;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

/// The least host time between two polls of a backend's sockets from the round loop (a
/// round is some microseconds; a poll(2) per round would cost more than it finds).
const POLL_INTERVAL: Duration = Duration::from_micros(100);

/// How long after the guest's last frame a network still counts as in use (idle time
/// follows host time while it does).
const ACTIVE_WINDOW: Duration = Duration::from_secs(2);

/// The most host time one idle step waits on the sockets, so console input and a quit
/// request are still looked at often.
const IDLE_SLICE: Duration = Duration::from_millis(10);

/// How long a link may go unpolled before the keeper thread polls it (the run loop
/// polls every [`POLL_INTERVAL`] while the guest runs: the keeper acts only while it
/// does not).
const KEEPER_AFTER: Duration = Duration::from_millis(20);

struct Link {
    /// The host side; `None` for a replay's link, which has none.
    net: Option<UserNetwork>,
    last_poll: Instant,
    /// While inputs are logged: the frames the NIC took since the machine last asked.
    delivered: Option<Vec<Vec<u8>>>,
    /// While inputs are replayed: the logged frames the NIC has yet to take.
    replay: Option<VecDeque<Vec<u8>>>,
}

/// A user network shared by its NIC (as the device's [`NetBackend`]) and the run loop
/// (which waits on its sockets while the guest idles).
#[derive(Clone)]
pub struct SharedNet(Arc<Mutex<Link>>);

impl SharedNet {
    /// A live network, with its keeper thread.
    pub fn new(net: UserNetwork) -> Self {
        let shared = SharedNet::with_link(Some(net), None);
        let weak = Arc::downgrade(&shared.0);
        // Without the thread the network only pauses while halted: carry on if none.
        let _ = std::thread::Builder::new()
            .name("slirp-keeper".into())
            .spawn(move || keep_polled(weak));
        shared
    }

    /// A network with no host side, whose frames come from a recording (`--replay`).
    pub fn offline() -> Self {
        SharedNet::with_link(None, Some(VecDeque::new()))
    }

    fn with_link(net: Option<UserNetwork>, replay: Option<VecDeque<Vec<u8>>>) -> Self {
        SharedNet(Arc::new(Mutex::new(Link {
            net,
            last_poll: Instant::now(),
            delivered: None,
            replay,
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Link> {
        // A panic elsewhere leaves slirp's state as consistent as it was: carry on.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The network, locked (tests and the monitor's `info usernet`); `None` offline.
    pub fn with<R>(&self, f: impl FnOnce(&mut UserNetwork) -> R) -> Option<R> {
        self.lock().net.as_mut().map(f)
    }

    /// Whether `self` and `other` are the same network.
    pub fn same(&self, other: &SharedNet) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    fn active(&self) -> bool {
        let mut link = self.lock();
        link.replay.is_none()
            && link
                .net
                .as_mut()
                .is_some_and(|n| n.quiet_for() < ACTIVE_WINDOW)
    }

    /// Waits up to `timeout` for the host sockets, queueing what they bring.
    fn wait(&self, timeout: Duration) {
        let mut link = self.lock();
        match link.net.as_mut() {
            Some(net) => net.poll(timeout),
            None => {
                drop(link);
                std::thread::sleep(timeout);
                return;
            }
        }
        link.last_poll = Instant::now();
    }
}

/// The keeper thread: polls the link whenever the run loop has left it alone for
/// [`KEEPER_AFTER`]; ends with the network.
fn keep_polled(link: Weak<Mutex<Link>>) {
    loop {
        std::thread::sleep(KEEPER_AFTER / 2);
        let Some(link) = link.upgrade() else {
            return;
        };
        let mut link = link.lock().unwrap_or_else(|e| e.into_inner());
        if link.last_poll.elapsed() < KEEPER_AFTER {
            continue;
        }
        if let Some(net) = link.net.as_mut() {
            net.poll(Duration::ZERO);
        }
        link.last_poll = Instant::now();
    }
}

impl NetBackend for SharedNet {
    fn send(&mut self, frame: &[u8]) {
        let mut link = self.lock();
        if link.replay.is_some() {
            // Replayed: the live run sent it already.
            return;
        }
        if let Some(net) = link.net.as_mut() {
            net.send(frame);
        }
    }

    fn poll(&mut self) {
        let mut link = self.lock();
        if link.replay.is_some() || link.last_poll.elapsed() < POLL_INTERVAL {
            return;
        }
        if let Some(net) = link.net.as_mut() {
            net.poll(Duration::ZERO);
        }
        link.last_poll = Instant::now();
    }

    fn recv(&mut self) -> Option<Vec<u8>> {
        let mut link = self.lock();
        if let Some(queue) = link.replay.as_mut() {
            return queue.pop_front();
        }
        let frame = link.net.as_mut()?.recv()?;
        if let Some(log) = link.delivered.as_mut() {
            log.push(frame.clone());
        }
        Some(frame)
    }
}

/// The machine's networks, for the run loop's idle step.
#[derive(Clone, Default)]
pub struct Networks(pub Vec<SharedNet>);

impl Networks {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Where an idle machine at virtual time `now` moves its clock, given that the next
    /// timer is due at `deadline`: there at once with no network in use; otherwise after
    /// waiting on the sockets, by the host time waited (at most to `deadline`).
    pub fn idle_until(&self, now: u64, deadline: u64) -> u64 {
        let Some(first) = self.0.iter().find(|n| n.active()) else {
            return deadline;
        };
        let gap = deadline.saturating_sub(now);
        let start = Instant::now();
        // poll(2) counts whole milliseconds: rounded down, a gap under one would be no
        // wait at all, and the idle step would spin in steps of microseconds (each a
        // logged input) to the deadline; rounded up, a quiet wait reaches it.
        let wait = Duration::from_nanos(gap).min(IDLE_SLICE);
        first.wait(Duration::from_millis(
            wait.as_nanos().div_ceil(1_000_000) as u64
        ));
        let waited = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        now + waited.min(gap)
    }

    /// With no timer armed: waits up to `timeout` on the sockets (any network, in use or
    /// not: an inbound connection can wake the guest). Returns false with no network.
    pub fn wait(&self, timeout: Duration) -> bool {
        match self.0.first() {
            Some(net) => {
                net.wait(timeout.min(IDLE_SLICE));
                true
            }
            None => false,
        }
    }

    /// Starts or stops keeping the frames the NICs take, for [`Networks::take_delivered`].
    pub fn log_delivered(&self, on: bool) {
        for n in &self.0 {
            n.lock().delivered = on.then(Vec::new);
        }
    }

    /// The frames each NIC (by index) took since the last call, in order.
    pub fn take_delivered(&self) -> Vec<(u8, Vec<u8>)> {
        let mut out = Vec::new();
        for (i, n) in self.0.iter().enumerate() {
            if let Some(frames) = n.lock().delivered.as_mut() {
                out.extend(frames.drain(..).map(|f| (i as u8, f)));
            }
        }
        out
    }

    /// Starts or stops a replay: while on, the NICs get only what [`Networks::feed`]
    /// gives them and what the guest sends goes nowhere. An offline network stays in it.
    pub fn replay(&self, on: bool) {
        for n in &self.0 {
            let mut link = n.lock();
            if link.net.is_some() {
                link.replay = on.then(VecDeque::new);
            }
        }
    }

    /// Queues a logged frame for NIC `nic` (replays).
    pub fn feed(&self, nic: u8, frame: &[u8]) {
        if let Some(n) = self.0.get(nic as usize) {
            if let Some(queue) = n.lock().replay.as_mut() {
                queue.push_back(frame.to_vec());
            }
        }
    }
}

#[cfg(test)]
#[path = "guest_tests.rs"]
mod guest_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::UserNet;

    /// An ARP request from the guest (10.0.2.15) for the host (RFC 826).
    fn arp_request() -> Vec<u8> {
        let mac = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
        let mut f = vec![0xff; 6];
        f.extend_from_slice(&mac);
        f.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]);
        f.extend_from_slice(&mac);
        f.extend_from_slice(&[10, 0, 2, 15, 0, 0, 0, 0, 0, 0, 10, 0, 2, 2]);
        f
    }

    #[test]
    fn idle_time_jumps_until_the_guest_talks_then_follows_host_time() {
        let mut net = SharedNet::new(UserNetwork::new(&UserNet::default()).unwrap());
        let nets = Networks(vec![net.clone()]);
        let (now, deadline) = (1_000, 5_000_000_000);
        assert_eq!(nets.idle_until(now, deadline), deadline, "a silent guest");

        net.send(&arp_request());
        let start = Instant::now();
        let moved = nets.idle_until(now, deadline);
        let waited = start.elapsed();
        assert!(moved > now && moved < deadline, "moved to {moved}");
        assert!(
            Duration::from_nanos(moved - now) <= waited && waited <= 10 * IDLE_SLICE,
            "the clock moved {} ns in {waited:?} of host time",
            moved - now
        );
        // The reply waits for the NIC to take it at a round boundary.
        let reply = net.recv().expect("slirp's ARP reply");
        assert_eq!(&reply[12..14], &[0x08, 0x06]);
    }

    #[test]
    fn a_link_the_run_loop_leaves_alone_still_takes_host_connections() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cfg = UserNet {
            id: None,
            hostfwd: vec![crate::options::HostFwd {
                udp: false,
                host_addr: std::net::Ipv4Addr::LOCALHOST,
                host_port: port,
                guest_addr: None,
                guest_port: 7777,
            }],
        };
        let mut net = SharedNet::new(UserNetwork::new(&cfg).unwrap());
        let _host = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        // No poll from here (a machine halted under gdb): only the keeper thread lets
        // slirp accept the connection and queue its first frame for the guest (an ARP
        // request for the guest's MAC, or the SYN), which waits for the NIC.
        let deadline = Instant::now() + Duration::from_secs(5);
        while net.with(|n| n.pending()) == Some(0) {
            assert!(Instant::now() < deadline, "slirp was not serviced");
            std::thread::sleep(Duration::from_millis(5));
        }
        let frame = net.recv().expect("the frame slirp queued");
        assert!(
            matches!(&frame[12..14], [0x08, 0x06] | [0x08, 0x00]),
            "{frame:02x?}"
        );
    }

    #[test]
    fn a_replaying_link_gives_only_fed_frames_and_sends_nothing() {
        let mut net = SharedNet::new(UserNetwork::new(&UserNet::default()).unwrap());
        let nets = Networks(vec![net.clone()]);
        nets.replay(true);
        net.send(&arp_request());
        assert_eq!(net.recv(), None, "slirp answered a replayed frame");
        nets.feed(0, b"logged frame");
        nets.feed(1, b"no such NIC");
        assert_eq!(net.recv().as_deref(), Some(&b"logged frame"[..]));
        assert_eq!(net.recv(), None);
        // Live again, logging: what the NIC takes is kept for the log, by NIC.
        nets.replay(false);
        nets.log_delivered(true);
        net.send(&arp_request());
        let reply = net.recv().expect("slirp's ARP reply");
        assert_eq!(nets.take_delivered(), [(0, reply)]);
        assert!(nets.take_delivered().is_empty());
        // Offline (a --replay): no host side, replaying from the start, and it stays so.
        let mut offline = SharedNet::offline();
        let nets = Networks(vec![offline.clone()]);
        nets.replay(false);
        nets.feed(0, b"f");
        offline.send(&arp_request());
        assert_eq!(offline.recv().as_deref(), Some(&b"f"[..]));
        assert_eq!(offline.with(|n| n.pending()), None);
    }

    #[test]
    fn with_no_network_the_idle_wait_is_not_taken() {
        let nets = Networks::default();
        assert!(!nets.wait(Duration::from_secs(1)));
        assert_eq!(nets.idle_until(5, 10), 10);
    }
}
