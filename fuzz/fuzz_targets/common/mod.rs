//! Shared by the fuzz targets: turning fuzz bytes into packets that get past
//! the checks a fuzzer cannot guess its way through (CRC32c, the random
//! verification tag, the random state cookie), and a two-endpoint pair as in
//! tests/pair.rs.
//!
//! Input format: a sequence of operations `[ctl][len lo][len hi][len bytes]`.
//! `ctl` bits say how the bytes become a packet and what happens after it.

#![allow(dead_code)] // each target uses a different part of this

use std::time::{Duration, Instant};

use sctp_native::config::AssocConfig;
use sctp_native::endpoint::Endpoint;
use sctp_native::events::Out;
use sctp_native::wire;

/// Recompute the CRC32c (without it nearly every input is dropped at the door).
pub const FIX_CRC: u8 = 0x01;
/// Put the verification tag the receiver expects into the header.
pub const TAG: u8 = 0x02;
/// Insert a COOKIE ECHO carrying the real state cookie as the first chunk.
pub const COOKIE: u8 = 0x04;
/// The bytes patch a captured packet instead of being the packet:
/// byte 0 picks the packet, then (offset hi, offset lo, value) triples.
pub const TEMPLATE: u8 = 0x08;
/// Let 100 ms pass after this packet, so timers run.
pub const TIME: u8 = 0x10;
/// Send to the other endpoint (the client) of a pair.
pub const OTHER: u8 = 0x20;

pub fn cfg(local: u32, remote: u32) -> AssocConfig {
    AssocConfig { max_message_size: 65536.0, rwnd: 131072.0, hb_interval: 500.0, ..AssocConfig::for_tests(local, remote) }
}

/// What a fuzzer cannot guess about its target, learnt from what the target sent.
#[derive(Default, Clone)]
pub struct Learnt {
    /// The verification tag the target expects on incoming packets.
    pub tag: u32,
    /// The last state cookie the target put in an INIT ACK.
    pub cookie: Vec<u8>,
    /// Real packets addressed to the target, to be patched.
    pub templates: Vec<Vec<u8>>,
}

impl Learnt {
    /// Learns the tag and cookie from the target's INIT ACKs.
    pub fn learn_from_target(&mut self, out: &Out) {
        for pkt in out.each_packet() {
            for c in wire::chunks(pkt) {
                if c.typ == wire::CT_INIT_ACK {
                    if let Some(i) = wire::init_info(c.value) {
                        self.tag = i.initiate_tag;
                    }
                    if let Some(cookie) = state_cookie(c.value) {
                        self.cookie = cookie.to_vec();
                    }
                }
            }
        }
    }

    /// Keeps packets addressed to the target as templates (and their tag).
    pub fn learn_from_peer(&mut self, out: &Out) {
        for pkt in out.each_packet() {
            if let Some(h) = wire::header(pkt) {
                if h.vtag != 0 {
                    self.tag = h.vtag;
                }
            }
            if self.templates.len() < 64 {
                self.templates.push(pkt.to_vec());
            }
        }
    }
}

/// The State Cookie parameter (type 7) of an INIT ACK value.
fn state_cookie(value: &[u8]) -> Option<&[u8]> {
    let mut off = 16;
    while off + 4 <= value.len() {
        let typ = u16::from_be_bytes([value[off], value[off + 1]]);
        let len = u16::from_be_bytes([value[off + 2], value[off + 3]]) as usize;
        if len < 4 || off + len > value.len() {
            return None;
        }
        if typ == 7 {
            return Some(&value[off + 4..off + len]);
        }
        off += (len + 3) & !3;
    }
    None
}

/// Splits fuzz input into (ctl, bytes) operations.
pub fn ops(mut data: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    core::iter::from_fn(move || {
        if data.len() < 3 {
            return None;
        }
        let ctl = data[0];
        let len = (u16::from_le_bytes([data[1], data[2]]) as usize).min(data.len() - 3);
        let bytes = &data[3..3 + len];
        data = &data[3 + len..];
        Some((ctl, bytes))
    })
}

/// The packet an operation stands for.
pub fn shape(ctl: u8, bytes: &[u8], learnt: &Learnt) -> Vec<u8> {
    let mut p = if ctl & TEMPLATE != 0 && !learnt.templates.is_empty() {
        let pick = bytes.first().copied().unwrap_or(0) as usize % learnt.templates.len();
        let mut p = learnt.templates[pick].clone();
        for t in bytes.get(1..).unwrap_or(&[]).chunks_exact(3) {
            let at = u16::from_be_bytes([t[0], t[1]]) as usize;
            if at < p.len() {
                p[at] = t[2];
            } else if at < 4096 {
                // Past the end: the packet grows (length fields now lie).
                p.resize(at + 1, 0);
                p[at] = t[2];
            }
        }
        p
    } else {
        bytes.to_vec()
    };
    if p.len() >= wire::COMMON_HEADER {
        if ctl & COOKIE != 0 && !learnt.cookie.is_empty() {
            let len = 4 + learnt.cookie.len();
            let mut chunk = vec![wire::CT_COOKIE_ECHO, 0];
            chunk.extend_from_slice(&(len as u16).to_be_bytes());
            chunk.extend_from_slice(&learnt.cookie);
            chunk.resize((len + 3) & !3, 0);
            p.splice(wire::COMMON_HEADER..wire::COMMON_HEADER, chunk);
        }
        if ctl & TAG != 0 {
            p[4..8].copy_from_slice(&learnt.tag.to_be_bytes());
        }
        if ctl & FIX_CRC != 0 {
            wire::set_checksum(&mut p);
        }
    }
    p
}

/// Two endpoints wired back to back: `a` connects to `b`, which listens.
pub struct Pair {
    pub a: Endpoint,
    pub b: Endpoint,
    pub now: Instant,
    /// What `b` expects (learnt from a's packets and b's INIT ACK), and what `a` expects.
    pub to_b: Learnt,
    pub to_a: Learnt,
    pub a_id: u32,
}

impl Pair {
    /// An established association with a few messages exchanged both ways.
    pub fn established() -> Pair {
        let now = Instant::now();
        let mut p = Pair { a: Endpoint::new(), b: Endpoint::new(), now, to_b: Learnt::default(), to_a: Learnt::default(), a_id: 0 };
        p.b.listen(cfg(5000, 0), false);
        p.a_id = p.a.connect(cfg(5001, 5000), now).expect("connect cannot fail on a fresh endpoint");
        p.drive();
        let b_id = 1; // b's first association: ids start at 1
        for i in 0..4u16 {
            let _ = p.a.send(p.a_id, i, 51 + u32::from(i), i == 3, (0, 0), &[i as u8; 300]);
            let _ = p.b.send(b_id, i, 1000, false, (0, 0), &[0xb0; 1500]);
        }
        p.drive();
        p
    }

    /// Pumps both sides and carries packets across until both are quiet.
    /// Panics on a packet storm: two endpoints answering each other forever.
    pub fn drive(&mut self) {
        for _ in 0..10_000 {
            self.a.pump(self.now);
            self.b.pump(self.now);
            let oa = self.a.take_out();
            let ob = self.b.take_out();
            if oa.lens.is_empty() && ob.lens.is_empty() {
                return;
            }
            self.to_b.learn_from_peer(&oa);
            self.to_b.learn_from_target(&ob);
            self.to_a.learn_from_peer(&ob);
            self.to_a.learn_from_target(&oa);
            for pkt in oa.each_packet() {
                self.b.input(self.now, pkt);
            }
            for pkt in ob.each_packet() {
                self.a.input(self.now, pkt);
            }
        }
        panic!("the two endpoints never went quiet: packet storm");
    }

    /// Lets `by` pass in 10 ms steps, running timers.
    pub fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        while self.now < end {
            self.now += Duration::from_millis(10);
            self.drive();
        }
    }
}
