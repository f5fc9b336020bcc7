//! libslirp driven by a hand-written guest: Ethernet/IPv4/UDP/TCP frames built here from
//! their RFCs (791, 768, 793, 826, 2131/2132), checked against slirp's answers.

use super::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

const GUEST_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
const BROADCAST: [u8; 6] = [0xff; 6];
const ETH_IPV4: u16 = 0x0800;
const ETH_ARP: u16 = 0x0806;
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
const TCP_FIN: u8 = 0x01;
const TCP_SYN: u8 = 0x02;
const TCP_PSH: u8 = 0x08;
const TCP_ACK: u8 = 0x10;
const DHCP_MAGIC: [u8; 4] = [99, 130, 83, 99];

fn eth(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// The Internet checksum (RFC 1071) of `data`, starting from `sum`.
fn checksum(mut sum: u32, data: &[u8]) -> u16 {
    for c in data.chunks(2) {
        sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    h.extend_from_slice(&[0, 1, 0x40, 0, 64, proto, 0, 0]);
    h.extend_from_slice(&src.octets());
    h.extend_from_slice(&dst.octets());
    let sum = checksum(0, &h);
    h[10..12].copy_from_slice(&sum.to_be_bytes());
    h.extend_from_slice(payload);
    h
}

fn pseudo_sum(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, len: usize) -> u32 {
    let addrs = [src.octets(), dst.octets()].concat();
    addrs
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum::<u32>()
        + u32::from(proto)
        + len as u32
}

fn udp(src: Ipv4Addr, sport: u16, dst: Ipv4Addr, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    let sum = checksum(pseudo_sum(src, dst, PROTO_UDP, u.len()), &u);
    u[6..8].copy_from_slice(&sum.to_be_bytes());
    ipv4(src, dst, PROTO_UDP, &u)
}

struct Seg {
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
}

fn tcp(src: Ipv4Addr, dst: Ipv4Addr, s: &Seg, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&s.sport.to_be_bytes());
    t.extend_from_slice(&s.dport.to_be_bytes());
    t.extend_from_slice(&s.seq.to_be_bytes());
    t.extend_from_slice(&s.ack.to_be_bytes());
    t.extend_from_slice(&[5 << 4, s.flags]);
    t.extend_from_slice(&65535u16.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(payload);
    let sum = checksum(pseudo_sum(src, dst, PROTO_TCP, t.len()), &t);
    t[16..18].copy_from_slice(&sum.to_be_bytes());
    ipv4(src, dst, PROTO_TCP, &t)
}

/// An IPv4 frame taken apart: (source, destination, protocol, L4 bytes).
type Ipv4Parts<'a> = (Ipv4Addr, Ipv4Addr, u8, &'a [u8]);

fn parse_ipv4(f: &[u8]) -> Option<Ipv4Parts<'_>> {
    if f.len() < 34 || u16::from_be_bytes([f[12], f[13]]) != ETH_IPV4 {
        return None;
    }
    let ip = &f[14..];
    let ihl = usize::from(ip[0] & 0xf) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    assert_eq!(checksum(0, &ip[..ihl]), 0, "IPv4 header checksum");
    let src = Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]);
    let dst = Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]);
    Some((src, dst, ip[9], &ip[ihl..total]))
}

/// A BOOTP request (RFC 2131 §2) with DHCP options (RFC 2132) `opts`.
fn bootp_request(xid: u32, opts: &[u8]) -> Vec<u8> {
    let mut b = vec![1, 1, 6, 0];
    b.extend_from_slice(&xid.to_be_bytes());
    b.extend_from_slice(&[0, 0, 0x80, 0]); // secs; flags: broadcast
    b.extend_from_slice(&[0; 16]); // ciaddr yiaddr siaddr giaddr
    b.extend_from_slice(&GUEST_MAC);
    b.extend_from_slice(&[0; 10 + 64 + 128]); // chaddr padding, sname, file
    b.extend_from_slice(&DHCP_MAGIC);
    b.extend_from_slice(opts);
    b.push(255);
    b.resize(300, 0);
    let dg = udp(Ipv4Addr::UNSPECIFIED, 68, Ipv4Addr::BROADCAST, 67, &b);
    eth(BROADCAST, GUEST_MAC, ETH_IPV4, &dg)
}

/// A DHCP reply's (your address, options by code).
fn parse_dhcp_reply(f: &[u8], xid: u32) -> (Ipv4Addr, Vec<(u8, Vec<u8>)>) {
    let (src, _, proto, l4) = parse_ipv4(f).expect("an IPv4 frame");
    assert_eq!((src, proto), (HOST, PROTO_UDP));
    assert_eq!(
        &l4[0..4],
        &[0, 67, 0, 68],
        "server port 67 to client port 68"
    );
    let b = &l4[8..];
    assert_eq!(b[0], 2, "BOOTREPLY");
    assert_eq!(&b[4..8], &xid.to_be_bytes());
    assert_eq!(&b[28..34], &GUEST_MAC, "chaddr");
    assert_eq!(&b[236..240], &DHCP_MAGIC);
    let mut opts = Vec::new();
    let mut o = &b[240..];
    while let [code, rest @ ..] = o {
        match code {
            0 => o = rest,
            255 => break,
            _ => {
                let len = usize::from(rest[0]);
                opts.push((*code, rest[1..1 + len].to_vec()));
                o = &rest[1 + len..];
            }
        }
    }
    (Ipv4Addr::new(b[16], b[17], b[18], b[19]), opts)
}

fn option(opts: &[(u8, Vec<u8>)], code: u8) -> Option<&[u8]> {
    opts.iter().find(|(c, _)| *c == code).map(|(_, v)| &v[..])
}

/// Polls until slirp has a frame for the guest (bounded: it talks to host sockets).
fn next_frame(net: &mut UserNetwork) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(f) = net.recv() {
            return f;
        }
        assert!(Instant::now() < deadline, "no frame from slirp within 5 s");
        net.poll(Duration::from_millis(10));
    }
}

/// The next TCP segment for the guest, answering slirp's ARP requests on the way.
fn next_tcp(net: &mut UserNetwork) -> (Seg, Vec<u8>) {
    loop {
        let f = next_frame(net);
        if u16::from_be_bytes([f[12], f[13]]) == ETH_ARP {
            let a = &f[14..];
            assert_eq!(&a[6..8], &[0, 1], "an ARP request");
            assert_eq!(
                &a[24..28],
                &GUEST.octets(),
                "asking for the guest's address"
            );
            let mut reply = a[..8].to_vec();
            reply[7] = 2;
            reply.extend_from_slice(&GUEST_MAC);
            reply.extend_from_slice(&a[24..28]);
            reply.extend_from_slice(&a[8..18]);
            net.send(&eth(
                a[8..14].try_into().unwrap(),
                GUEST_MAC,
                ETH_ARP,
                &reply,
            ));
            continue;
        }
        let Some((src, dst, PROTO_TCP, t)) = parse_ipv4(&f) else {
            continue; // IPv6 router advertisements and the like
        };
        assert_eq!(dst, GUEST);
        assert_eq!(checksum(pseudo_sum(src, dst, PROTO_TCP, t.len()), t), 0);
        let word = |i: usize| u32::from_be_bytes(t[i..i + 4].try_into().unwrap());
        let seg = Seg {
            sport: u16::from_be_bytes([t[0], t[1]]),
            dport: u16::from_be_bytes([t[2], t[3]]),
            seq: word(4),
            ack: word(8),
            flags: t[13],
        };
        let off = usize::from(t[12] >> 4) * 4;
        return (seg, t[off..].to_vec());
    }
}

fn dhcp(net: &mut UserNetwork) {
    let xid = 0x1234_5678;
    net.send(&bootp_request(xid, &[53, 1, 1, 55, 3, 1, 3, 6]));
    let (yiaddr, opts) = parse_dhcp_reply(&next_frame(net), xid);
    assert_eq!(yiaddr, GUEST);
    assert_eq!(option(&opts, 53), Some(&[2][..]), "DHCPOFFER");
    assert_eq!(option(&opts, 54), Some(&HOST.octets()[..]), "server id");
    assert_eq!(option(&opts, 1), Some(&NETMASK.octets()[..]), "netmask");
    assert_eq!(option(&opts, 3), Some(&HOST.octets()[..]), "router");
    assert_eq!(option(&opts, 6), Some(&DNS.octets()[..]), "DNS server");

    let mut req = vec![53, 1, 3, 50, 4];
    req.extend_from_slice(&GUEST.octets());
    req.extend_from_slice(&[54, 4]);
    req.extend_from_slice(&HOST.octets());
    net.send(&bootp_request(xid, &req));
    let (yiaddr, opts) = parse_dhcp_reply(&next_frame(net), xid);
    assert_eq!(yiaddr, GUEST);
    assert_eq!(option(&opts, 53), Some(&[5][..]), "DHCPACK");
}

#[test]
fn dhcp_discover_is_offered_10_0_2_15_and_the_request_acknowledged() {
    let mut net = UserNetwork::new(&UserNet::default()).unwrap();
    dhcp(&mut net);
    assert_eq!(net.guest_errors(), 0);
}

#[test]
fn a_frame_too_short_for_ethernet_is_ignored() {
    let mut net = UserNetwork::new(&UserNet::default()).unwrap();
    net.send(&[0xff; 5]);
    net.send(&[]);
    net.poll(Duration::ZERO);
    assert_eq!(net.pending(), 0);
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn hostfwd_carries_a_host_connection_to_the_guest_port_both_ways() {
    let host_port = free_port();
    let rule = HostFwd {
        udp: false,
        host_addr: Ipv4Addr::LOCALHOST,
        host_port,
        guest_addr: None,
        guest_port: 7777,
    };
    let cfg = UserNet {
        id: Some("eth0".into()),
        hostfwd: vec![rule.clone()],
    };
    let mut net = UserNetwork::new(&cfg).unwrap();
    // A second network cannot listen on the same port: a clear error, as QEMU gives.
    let err = UserNetwork::new(&cfg).err().unwrap();
    assert_eq!(err, NetError::HostFwd(rule));
    assert!(err
        .to_string()
        .contains(&format!("tcp:127.0.0.1:{host_port}-:7777")));

    dhcp(&mut net);
    let mut host = TcpStream::connect(("127.0.0.1", host_port)).unwrap();
    host.set_read_timeout(Some(Duration::from_secs(5))).unwrap();

    let (syn, _) = next_tcp(&mut net);
    assert_eq!(syn.dport, 7777);
    assert_eq!(syn.flags & (TCP_SYN | TCP_ACK), TCP_SYN);
    let isn = 1000u32;
    let mut s = Seg {
        sport: 7777,
        dport: syn.sport,
        seq: isn,
        ack: syn.seq.wrapping_add(1),
        flags: TCP_SYN | TCP_ACK,
    };
    net.send(&eth(
        [0x52, 0x55, 10, 0, 2, 2],
        GUEST_MAC,
        ETH_IPV4,
        &tcp(GUEST, HOST, &s, &[]),
    ));

    // Guest to host.
    s.seq = isn + 1;
    s.flags = TCP_ACK | TCP_PSH;
    let msg = b"hello from the guest";
    net.send(&eth(
        [0x52, 0x55, 10, 0, 2, 2],
        GUEST_MAC,
        ETH_IPV4,
        &tcp(GUEST, HOST, &s, msg),
    ));
    net.poll(Duration::ZERO);
    let mut got = vec![0u8; msg.len()];
    host.read_exact(&mut got).unwrap();
    assert_eq!(&got, msg);

    // Host to guest.
    host.write_all(b"hello from the host").unwrap();
    let data = loop {
        let (seg, data) = next_tcp(&mut net);
        assert_eq!((seg.sport, seg.dport), (syn.sport, 7777));
        assert_eq!(seg.flags & (TCP_SYN | TCP_FIN), 0);
        if !data.is_empty() {
            assert_eq!(seg.seq, syn.seq.wrapping_add(1));
            assert_eq!(
                seg.ack,
                isn + 1 + msg.len() as u32,
                "acknowledges the guest's data"
            );
            break data;
        }
    };
    assert_eq!(data, b"hello from the host");
    assert!(net.connection_info().contains(&host_port.to_string()));
}

#[test]
fn frames_beyond_the_queue_limit_drop_the_oldest() {
    let mut net = UserNetwork::new(&UserNet::default()).unwrap();
    // Each ARP request for the host is answered at once (RFC 826).
    let arp = |n: u8| {
        let mut a = vec![0, 1, 8, 0, 6, 4, 0, 1];
        a.extend_from_slice(&GUEST_MAC);
        a.extend_from_slice(&[10, 0, 2, n]);
        a.extend_from_slice(&[0; 6]);
        a.extend_from_slice(&HOST.octets());
        eth(BROADCAST, GUEST_MAC, ETH_ARP, &a)
    };
    for i in 0..RX_QUEUE_LIMIT + 3 {
        net.send(&arp(100 + (i % 100) as u8));
    }
    assert_eq!(net.pending(), RX_QUEUE_LIMIT);
    assert_eq!(net.dropped(), 3);
    let first = net.recv().unwrap();
    assert_eq!(u16::from_be_bytes([first[12], first[13]]), ETH_ARP);
    assert_eq!(&first[14 + 6..14 + 8], &[0, 2], "an ARP reply");
    assert_eq!(
        &first[14 + 24..14 + 28],
        &[10, 0, 2, 103],
        "the fourth request's"
    );
}
