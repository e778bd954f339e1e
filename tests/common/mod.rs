//! Two driver endpoints wired back to back in-process on a fake clock, as in
//! quinn's `Pair`: packets are handed across until both sides are quiet. A
//! filter may lose any packet in flight; every packet is logged.
// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use sctp_native::endpoint::Endpoint;
use sctp_native::events::{Event, Out};
use sctp_native::wire;

/// What one side's JavaScript would have received.
#[derive(Default)]
pub struct Seen {
    pub events: Vec<Event>,
    /// (stream, ppid, bytes)
    pub messages: Vec<(u32, u32, Vec<u8>)>,
}

impl Seen {
    pub fn take(&mut self, out: &Out) {
        self.events.extend(out.events.iter().cloned());
        let mut at = 0;
        for m in out.meta.chunks(4) {
            let len = m[3] as usize;
            self.messages.push((m[1], m[2], out.data[at..at + len].to_vec()));
            at += len;
        }
    }

    /// Association-level events ("low" buffer notices are left out).
    pub fn kinds(&self) -> Vec<&str> {
        self.events.iter().map(|e| e.kind.as_str()).filter(|k| *k != "low").collect()
    }

    pub fn event(&self, kind: &str) -> &Event {
        self.events.iter().find(|e| e.kind == kind).unwrap()
    }

    pub fn closed(&self) -> Option<&Event> {
        self.events.iter().find(|e| e.kind == "close")
    }

    /// The messages' bytes only.
    pub fn payloads(&self) -> Vec<Vec<u8>> {
        self.messages.iter().map(|m| m.2.clone()).collect()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dir {
    AtoB,
    BtoA,
}

/// Decides, per packet in flight, whether the network loses it.
pub type Filter = Box<dyn FnMut(Dir, &[u8]) -> bool>;

pub struct Pair {
    pub a: Endpoint,
    pub b: Endpoint,
    pub now: Instant,
    pub seen_a: Seen,
    pub seen_b: Seen,
    /// Every packet that went across (or was dropped, the bool), in order.
    pub log: Vec<(Dir, Vec<u8>, bool)>,
    pub drop: Filter,
}

impl Default for Pair {
    fn default() -> Self {
        Pair {
            a: Endpoint::new(),
            b: Endpoint::new(),
            now: Instant::now(),
            seen_a: Seen::default(),
            seen_b: Seen::default(),
            log: Vec::new(),
            drop: Box::new(|_, _| false),
        }
    }
}

impl Pair {
    /// Pumps both sides and carries packets across until nothing moves.
    pub fn drive(&mut self) {
        for _ in 0..100_000 {
            self.a.pump(self.now);
            self.b.pump(self.now);
            let oa = self.a.take_out();
            let ob = self.b.take_out();
            self.seen_a.take(&oa);
            self.seen_b.take(&ob);
            if oa.lens.is_empty() && ob.lens.is_empty() {
                return;
            }
            self.carry(Dir::AtoB, &oa);
            self.carry(Dir::BtoA, &ob);
        }
        panic!("pair never went quiet");
    }

    pub fn carry(&mut self, dir: Dir, out: &Out) {
        for pkt in out.each_packet() {
            let dropped = (self.drop)(dir, pkt);
            self.log.push((dir, pkt.to_vec(), dropped));
            if !dropped {
                let to = if dir == Dir::AtoB { &mut self.b } else { &mut self.a };
                to.input(self.now, pkt);
            }
        }
    }

    /// Lets time pass in steps, firing timers.
    pub fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        while self.now < end {
            self.now += Duration::from_millis(10);
            self.drive();
        }
    }

    /// TSN of the first DATA chunk sent in a direction.
    pub fn first_data_tsn(&self, dir: Dir) -> Option<u32> {
        self.log
            .iter()
            .filter(|(d, _, _)| *d == dir)
            .flat_map(|(_, p, _)| wire::chunks(p).filter(|c| c.typ == wire::CT_DATA).filter_map(|c| wire::data_info(c.value)).collect::<Vec<_>>())
            .map(|d| d.tsn)
            .next()
    }
}

/// Hands every packet of `out` to `to`.
pub fn deliver(out: &Out, to: &mut Endpoint, now: Instant) {
    for pkt in out.each_packet() {
        to.input(now, pkt);
    }
}
