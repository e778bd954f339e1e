//! What the driver hands back to JavaScript after a call: packets to send,
//! received messages and association events. They accumulate in an `Out`
//! and cross into two buffers JavaScript owns and reuses (`hand_over`), so a
//! crossing creates no JavaScript object at all — object and ArrayBuffer
//! creation cost more than the SCTP work of a small packet. Over the native
//! UDP path (`udp`), packets never cross: they go to their `dests`.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

/// A JavaScript transport is a point-to-point pipe: sctp-proto wants an address, this one stands for its far end.
pub const PEER: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 5000));

/// Numbers per message in `Out::meta`: [assoc, stream, ppid, length].
pub const META_FIELDS: usize = 4;

/// An association event. Messages travel separately (see `Out`).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// "connect", "end" (peer began SHUTDOWN), "close", "low" (a stream's
    /// buffered bytes fell to a watched level), "reset" (peer reset an incoming stream),
    /// "resetDone" / "resetFailed" (our outgoing stream reset's outcome).
    pub kind: String,
    pub assoc: u32,
    pub stream: Option<u32>,
    pub local_port: Option<u32>,
    pub remote_port: Option<u32>,
    /// Negotiated outbound / inbound stream counts (on "connect").
    pub os: Option<u32>,
    pub mis: Option<u32>,
    /// On "close": none for a graceful end or a local abort, else an errno-style code.
    pub code: Option<String>,
    pub message: Option<String>,
    /// On "low": the stream's buffered bytes now.
    pub amount: Option<f64>,
    /// On "connect" over the native UDP path: the peer's UDP address.
    pub remote: Option<SocketAddr>,
}

impl Event {
    pub fn new(kind: &str, assoc: u32) -> Self {
        Event {
            kind: kind.to_string(),
            assoc,
            stream: None,
            local_port: None,
            remote_port: None,
            os: None,
            mis: None,
            code: None,
            message: None,
            amount: None,
            remote: None,
        }
    }
}

/// Output accumulated in Rust until it is handed over.
#[derive(Debug)]
pub struct Out {
    /// Outgoing packets, back to back; `lens` cuts them apart.
    pub packets: Vec<u8>,
    pub lens: Vec<u32>,
    /// Where each packet goes (`PEER` over a JavaScript transport).
    pub dests: Vec<SocketAddr>,
    /// Where the packets pushed now go: the driver points it at an
    /// association's peer before letting that association write.
    pub to: SocketAddr,
    /// Received messages, back to back; `meta` holds
    /// [assoc, stream, ppid, length] for each.
    pub data: Vec<u8>,
    pub meta: Vec<u32>,
    pub events: Vec<Event>,
}

/// The layout of the `meta` words after a hand-over (lib/endpoint.js reads it):
/// a header of `HEAD` words — [packets, messages, events, bytes needed, more,
/// holding] (holding: a SACK waits for the next flush, see `Assoc::transmit`) —
/// then a record per packet [length], per message [assoc, stream, ppid, length],
/// per event [kind, assoc, a, b, c, text length]; the bytes of each, in the same
/// order, are in `io`. "bytes needed": the next item is larger than all of `io`.
pub const HEAD: usize = 8;
pub const EVENT_WORDS: usize = 6;
/// Event kinds by number, as lib/endpoint.js lists them.
const KINDS: [&str; 7] = ["connect", "end", "close", "low", "reset", "resetDone", "resetFailed"];

/// How far the current `Out` has been handed over.
#[derive(Default, Debug)]
pub struct Cursor {
    packet: usize,
    packet_at: usize,
    message: usize,
    message_at: usize,
    event: usize,
}

impl Default for Out {
    fn default() -> Self {
        Out { packets: Vec::new(), lens: Vec::new(), dests: Vec::new(), to: PEER, data: Vec::new(), meta: Vec::new(), events: Vec::new() }
    }
}

impl Out {
    pub fn packet(&mut self, p: &[u8]) {
        self.packets.extend_from_slice(p);
        self.lens.push(p.len() as u32);
        self.dests.push(self.to);
    }

    /// One packet made of consecutive parts.
    pub fn packet_parts(&mut self, parts: &[&[u8]]) {
        let start = self.packets.len();
        for p in parts {
            self.packets.extend_from_slice(p);
        }
        self.lens.push((self.packets.len() - start) as u32);
        self.dests.push(self.to);
    }

    /// The packets with their destinations (the native UDP path sends them itself, then `clear_packets`).
    pub fn each_packet_to(&self) -> impl Iterator<Item = (SocketAddr, &[u8])> {
        self.dests.iter().copied().zip(self.each_packet())
    }

    pub fn clear_packets(&mut self) {
        self.packets.clear();
        self.lens.clear();
        self.dests.clear();
    }

    /// The packets one by one (the Rust tests and fuzz targets read them so).
    pub fn each_packet(&self) -> impl Iterator<Item = &[u8]> {
        let mut at = 0;
        self.lens.iter().map(move |&len| {
            let p = &self.packets[at..at + len as usize];
            at += len as usize;
            p
        })
    }

    /// Empties, keeping the allocations for the next batch.
    pub fn clear(&mut self) {
        self.packets.clear();
        self.lens.clear();
        self.dests.clear();
        self.data.clear();
        self.meta.clear();
        self.events.clear();
    }

    /// Copies into `io` and `meta` as much as fits, from where `cur` stands.
    /// Once everything is over, clears itself and the cursor. Returns the
    /// number of packets handed over.
    pub fn hand_over(&mut self, cur: &mut Cursor, io: &mut [u8], meta: &mut [u32]) -> u32 {
        let mut w = Writer { io, meta, bytes: 0, words: HEAD, need: 0 };
        let mut counts = [0u32; 3];
        while cur.packet < self.lens.len() {
            let len = self.lens[cur.packet];
            if !w.put(&self.packets[cur.packet_at..][..len as usize], &[len]) {
                break;
            }
            cur.packet += 1;
            cur.packet_at += len as usize;
            counts[0] += 1;
        }
        while cur.packet == self.lens.len() && cur.message < self.meta.len() / META_FIELDS {
            let m = &self.meta[cur.message * META_FIELDS..][..META_FIELDS];
            if !w.put(&self.data[cur.message_at..][..m[3] as usize], m) {
                break;
            }
            cur.message += 1;
            cur.message_at += m[3] as usize;
            counts[1] += 1;
        }
        while cur.message == self.meta.len() / META_FIELDS && cur.event < self.events.len() {
            let e = &self.events[cur.event];
            let kind = KINDS.iter().position(|k| *k == e.kind).expect("a known kind") as u32;
            let (a, b, c) = match kind {
                0 => (
                    e.local_port.unwrap_or(0) << 16 | e.remote_port.unwrap_or(0),
                    e.os.unwrap_or(0),
                    e.mis.unwrap_or(0),
                ),
                3 => (e.stream.unwrap_or(0), e.amount.unwrap_or(0.0).min(f64::from(u32::MAX)) as u32, 0),
                _ => (e.stream.unwrap_or(0), 0, 0),
            };
            // An error's code and message as "CODE\nmessage"; a connect's UDP peer as "address port".
            let text = match (&e.code, e.remote) {
                (Some(code), _) => Some(format!("{code}\n{}", e.message.as_deref().unwrap_or(code))),
                (None, Some(r)) => Some(format!("{} {}", r.ip(), r.port())),
                (None, None) => None,
            };
            let text = text.as_deref().unwrap_or("").as_bytes();
            if !w.put(text, &[kind, e.assoc, a, b, c, text.len() as u32]) {
                break;
            }
            cur.event += 1;
            counts[2] += 1;
        }
        let more = cur.event < self.events.len() || cur.message < self.meta.len() / META_FIELDS || cur.packet < self.lens.len();
        let need = w.need as u32;
        w.meta[..HEAD].copy_from_slice(&[counts[0], counts[1], counts[2], need, u32::from(more), 0, 0, 0]);
        if !more {
            self.clear();
            *cur = Cursor::default();
        }
        counts[0]
    }
}

/// Appends records and their bytes while they fit.
struct Writer<'a> {
    io: &'a mut [u8],
    meta: &'a mut [u32],
    bytes: usize,
    words: usize,
    /// An item that would not fit even into an empty `io`: its size.
    need: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8], record: &[u32]) -> bool {
        if self.bytes + bytes.len() > self.io.len() || self.words + record.len() > self.meta.len() {
            if self.bytes == 0 && bytes.len() > self.io.len() {
                self.need = bytes.len();
            }
            return false;
        }
        self.io[self.bytes..][..bytes.len()].copy_from_slice(bytes);
        self.meta[self.words..][..record.len()].copy_from_slice(record);
        self.bytes += bytes.len();
        self.words += record.len();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands over until done, with `io` of `size` bytes grown as asked; returns
    /// the chunks as (packets, messages, events) counts and every byte in order.
    fn drain(out: &mut Out, mut size: usize) -> (Vec<[u32; 3]>, Vec<u8>) {
        let mut cur = Cursor::default();
        let mut meta = [0u32; 64];
        let (mut chunks, mut bytes) = (Vec::new(), Vec::new());
        loop {
            let mut io = vec![0u8; size];
            out.hand_over(&mut cur, &mut io, &mut meta);
            let [p, m, e, need, more] = [meta[0], meta[1], meta[2], meta[3], meta[4]];
            chunks.push([p, m, e]);
            let mut w = HEAD;
            let mut at = 0;
            for _ in 0..p {
                at += meta[w] as usize;
                w += 1;
            }
            for _ in 0..m {
                at += meta[w + 3] as usize;
                w += META_FIELDS;
            }
            for _ in 0..e {
                at += meta[w + 5] as usize;
                w += EVENT_WORDS;
            }
            bytes.extend_from_slice(&io[..at]);
            if more == 0 {
                return (chunks, bytes);
            }
            size = size.max(need as usize);
        }
    }

    #[test]
    fn hand_over_in_chunks_then_clears() {
        let mut out = Out::default();
        out.packet(&[1; 6]);
        out.packet(&[2; 6]);
        out.data.extend_from_slice(&[3; 20]);
        out.meta.extend_from_slice(&[7, 0, 51, 20]);
        let mut close = Event::new("close", 7);
        close.code = Some("ECONNRESET".into());
        close.message = Some("gone".into());
        out.events.push(close);
        // 10 bytes: one packet per chunk; the 20-byte message asks for room and fills it.
        let (chunks, bytes) = drain(&mut out, 10);
        assert_eq!(chunks, [[1, 0, 0], [1, 0, 0], [0, 0, 0], [0, 1, 0], [0, 0, 1]]);
        let mut want = [[1u8; 6], [2; 6]].concat();
        want.extend_from_slice(&[3; 20]);
        want.extend_from_slice(b"ECONNRESET\ngone");
        assert_eq!(bytes, want);
        assert!(out.packets.is_empty() && out.lens.is_empty() && out.data.is_empty() && out.meta.is_empty() && out.events.is_empty());
    }

    #[test]
    fn connect_event_packs_ports_and_streams() {
        let mut out = Out::default();
        let mut e = Event::new("connect", 3);
        (e.local_port, e.remote_port, e.os, e.mis) = (Some(5000), Some(5001), Some(10), Some(9));
        out.events.push(e);
        let mut meta = [0u32; 32];
        out.hand_over(&mut Cursor::default(), &mut [0; 16], &mut meta);
        assert_eq!(meta[..5], [0, 0, 1, 0, 0]);
        assert_eq!(meta[HEAD..HEAD + EVENT_WORDS], [0, 3, 5000 << 16 | 5001, 10, 9, 0]);
    }
}
