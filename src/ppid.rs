//! Any 32-bit PPID on the wire, although sctp-proto 0.10.8 only models the
//! WebRTC ones (50, 51, 53, 56, 57): it parses every other value as
//! `Unknown` and writes `Unknown` as 58. SIGTRAN users need M3UA = 3 and
//! @nodertc/sctp's default is 0, so the driver carries the real value beside
//! the state machine:
//!
//! * out: messages with another PPID are queued as `Unknown`; the real values
//!   wait in write order per (stream, unordered) — the order in which
//!   sctp-proto first sends their fragments — and are written into each
//!   DATA chunk as it leaves (retransmissions are matched by TSN).
//! * in: the PPID of each first fragment is remembered by TSN and given back
//!   when the message is read.
//!
//! Partial reliability can drop a message before its first transmission,
//! which would shift the out queue, so the JS layer refuses that combination.

use std::collections::{HashMap, VecDeque};

use sctp_proto::PayloadProtocolIdentifier as Ppi;

use crate::wire;

/// The wire value sctp-proto writes for `Unknown`.
const UNKNOWN_ON_WIRE: u32 = 58;

/// The PPID sctp-proto can carry itself, if it is one of the WebRTC values.
pub fn native(ppid: u32) -> Option<Ppi> {
    match Ppi::from(ppid) {
        Ppi::Unknown => None,
        p => Some(p),
    }
}

#[derive(Default)]
pub struct Translation {
    /// Real PPIDs of queued messages not yet sent, per (stream, unordered).
    queued: HashMap<(u16, bool), VecDeque<u32>>,
    /// PPID of the message whose fragments are being sent, per (stream, unordered).
    current: HashMap<(u16, bool), u32>,
    /// TSN → PPID of sent DATA chunks still unacknowledged, in TSN order.
    sent: VecDeque<(u32, u32)>,
    /// First-fragment TSN → PPID of received messages not yet read.
    received: HashMap<u32, u32>,
}

impl Translation {
    pub fn queue(&mut self, stream: u16, unordered: bool, ppid: u32) {
        self.queued.entry((stream, unordered)).or_default().push_back(ppid);
    }

    /// Nothing to rewrite on outgoing packets: the common case, kept cheap.
    pub fn idle_out(&self) -> bool {
        self.sent.is_empty() && self.queued.values().all(VecDeque::is_empty)
    }

    /// Writes the real PPIDs into the DATA chunks of an outgoing packet.
    /// Returns whether the packet changed (its checksum must then be redone).
    pub fn rewrite_out(&mut self, pkt: &mut [u8]) -> bool {
        let mut edits: Vec<(usize, u32)> = Vec::new();
        for c in wire::chunks(pkt) {
            if c.typ != wire::CT_DATA {
                continue;
            }
            let Some(d) = wire::data_info(c.value) else { continue };
            if d.ppid != UNKNOWN_ON_WIRE {
                continue;
            }
            let key = (d.stream, c.flags & wire::DATA_FLAG_UNORDERED != 0);
            let first_send = self.sent.back().is_none_or(|&(last, _)| wire::tsn_after(d.tsn, last));
            let real = if first_send {
                if c.flags & wire::DATA_FLAG_BEGIN != 0 {
                    if let Some(p) = self.queued.get_mut(&key).and_then(VecDeque::pop_front) {
                        self.current.insert(key, p);
                    }
                }
                let real = self.current.get(&key).copied().unwrap_or(UNKNOWN_ON_WIRE);
                self.sent.push_back((d.tsn, real));
                real
            } else {
                match self.sent.binary_search_by(|&(t, _)| serial_cmp(t, d.tsn)) {
                    Ok(i) => self.sent[i].1,
                    Err(_) => continue,
                }
            };
            if real != UNKNOWN_ON_WIRE {
                edits.push((c.offset + wire::DATA_PPID_OFFSET, real));
            }
        }
        for &(at, ppid) in &edits {
            pkt[at..at + 4].copy_from_slice(&ppid.to_be_bytes());
        }
        !edits.is_empty()
    }

    /// The peer acknowledged everything up to `cum_tsn`: forget those labels.
    pub fn acked(&mut self, cum_tsn: u32) {
        while self.sent.front().is_some_and(|&(t, _)| !wire::tsn_after(t, cum_tsn)) {
            self.sent.pop_front();
        }
    }

    /// Notes the real PPID of an incoming first fragment that sctp-proto will call `Unknown`.
    pub fn note_in(&mut self, flags: u8, d: &wire::DataInfo) {
        if flags & wire::DATA_FLAG_BEGIN != 0 && native(d.ppid).is_none() {
            self.received.insert(d.tsn, d.ppid);
        }
    }

    /// The real PPID of a message read as `Unknown`, by its first fragment's TSN.
    pub fn take_in(&mut self, first_tsn: Option<u32>) -> u32 {
        first_tsn.and_then(|t| self.received.remove(&t)).unwrap_or(UNKNOWN_ON_WIRE)
    }

    /// We acknowledged everything up to `cum_tsn`. Labels far behind it belong
    /// to messages the peer abandoned (PR-SCTP); recent ones may still open a
    /// message whose last fragments are on their way, so only a long backlog is trimmed.
    pub fn received_through(&mut self, cum_tsn: u32) {
        if self.received.len() > IN_LABELS_SOFT_LIMIT {
            let horizon = cum_tsn.wrapping_sub(IN_LABEL_WINDOW);
            self.received.retain(|&t, _| wire::tsn_after(t, horizon));
        }
    }
}

/// Unread labels kept before old ones are looked at.
const IN_LABELS_SOFT_LIMIT: usize = 1024;
/// TSNs behind the cumulative ack a message may have started (2^20 fragments: > 1 GiB).
const IN_LABEL_WINDOW: u32 = 1 << 20;

fn serial_cmp(a: u32, b: u32) -> std::cmp::Ordering {
    if a == b {
        std::cmp::Ordering::Equal
    } else if wire::tsn_after(a, b) {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Less
    }
}

/// TSN of a message's first fragment. sctp-proto keeps chunk fields private
/// but prints a DATA chunk as "<header>\n<tsn>"; the PPID table is the only
/// user, and only for non-WebRTC PPIDs.
pub fn first_tsn(chunks: &sctp_proto::Chunks) -> Option<u32> {
    let first = chunks.chunks.first()?;
    first.to_string().rsplit('\n').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data_packet(tsn: u32, stream: u16, flags: u8, ppid: u32) -> Vec<u8> {
        let mut p = vec![0u8; 12];
        p.extend_from_slice(&[wire::CT_DATA, flags, 0, 17]);
        p.extend_from_slice(&tsn.to_be_bytes());
        p.extend_from_slice(&stream.to_be_bytes());
        p.extend_from_slice(&0u16.to_be_bytes());
        p.extend_from_slice(&ppid.to_be_bytes());
        p.extend_from_slice(&[0xaa, 0, 0, 0]);
        p
    }

    fn ppid_of(p: &[u8]) -> u32 {
        u32::from_be_bytes(p[24..28].try_into().unwrap())
    }

    #[test]
    fn outgoing_labels_follow_write_order_and_survive_retransmission() {
        let mut t = Translation::default();
        t.queue(1, false, 3);
        t.queue(1, false, 0);
        let whole = wire::DATA_FLAG_BEGIN | wire::DATA_FLAG_END;
        let mut a = data_packet(100, 1, whole, UNKNOWN_ON_WIRE);
        let mut b = data_packet(101, 1, whole, UNKNOWN_ON_WIRE);
        assert!(t.rewrite_out(&mut a));
        assert!(t.rewrite_out(&mut b));
        assert_eq!((ppid_of(&a), ppid_of(&b)), (3, 0));
        let mut again = data_packet(100, 1, whole, UNKNOWN_ON_WIRE);
        t.rewrite_out(&mut again);
        assert_eq!(ppid_of(&again), 3);
        t.acked(101);
        assert!(t.idle_out());
    }

    #[test]
    fn native_ppids_pass_untouched() {
        let mut t = Translation::default();
        let mut p = data_packet(7, 0, wire::DATA_FLAG_BEGIN | wire::DATA_FLAG_END, 53);
        assert!(!t.rewrite_out(&mut p));
        assert_eq!(native(53), Some(Ppi::Binary));
        assert_eq!(native(3), None);
    }
}
