//! Network backends for the machine's NICs. [`slirp::UserNetwork`] is QEMU's `-netdev
//! user`: libslirp's user-mode TCP/IP stack, reaching the outside world through the host's
//! sockets.
//!
//! Determinism: frames the backend produces (DHCP answers, data from host sockets) are
//! queued and enter the guest only at a scheduler round boundary (`run.rs`), as console
//! input does. Frames the guest sends go to the backend synchronously.

pub mod slirp;

pub use slirp::{NetError, UserNetwork};
