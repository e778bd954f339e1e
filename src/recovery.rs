//! Recovering lost DATA without waiting for a timer.
//!
//! sctp-proto 0.10.8 fast-retransmits a TSN once (RFC 9260 §7.2.4), and some
//! losses in a burst it never fast-retransmits at all; either way only the T3
//! timer recovers them — RTO.min, 1 s by RFC 9260 — and at 1% loss both ways
//! that stalled bulk transfers to a few percent of their lossless speed.
//! dcSCTP and Linux retransmit again whenever the acknowledgements show a
//! chunk missing; the driver does the same beside sctp-proto: it keeps a copy
//! of every DATA chunk in flight and sends one again when SACKs show DATA
//! sent after it arriving while it has not —
//! - three times after sctp-proto retransmitted it (that retransmission was lost),
//! - `IGNORED` times after its first transmission (sctp-proto, which would
//!   have fast-retransmitted it after three, did not).
//!
//! - once, two round trips after a T3 expiry, if the chunk the timer sent again
//!   is still unacknowledged (`probe`): with nothing else in flight no SACK
//!   can show that retransmission lost, and the next T3 comes after twice the
//!   RTO (RFC 8985's tail loss probe does the same for TCP).
//!
//! sctp-proto never knows: the peer's next SACK simply acknowledges the TSN.
//! Chunks of partially reliable messages are left alone: sending them again
//! would break their `maxRetransmits` or lifetime (the driver records none on
//! a stream that has carried one, and forgets what a FORWARD TSN abandons).
//! Congestion: sctp-proto has already reduced its window for the loss
//! episode; the driver adds one packet per chunk shown lost, at most
//! `MAX_RESENDS` times a chunk.

use std::collections::VecDeque;

use crate::wire;

/// Resends of one chunk before the T3 timer is left to deal with it.
const MAX_RESENDS: u8 = 4;
/// Bytes of chunks kept; past that, new chunks go unrecorded (T3 covers them).
const MAX_BYTES: usize = 2 << 20;
/// Miss indications before a resend after a retransmission (RFC 9260 §7.2.4 uses three).
const MISSES: u8 = 3;
/// Miss indications before a resend of a chunk sctp-proto never retransmitted.
const IGNORED: u8 = 8;

struct Sent {
    tsn: u32,
    /// The DATA chunk as it last went out (PPID already rewritten).
    chunk: Vec<u8>,
    /// The highest TSN sent when it last went out: a SACK reporting a TSN
    /// above this one as received shows that it should have arrived too.
    sent_before: u32,
    /// sctp-proto has retransmitted it.
    retransmitted: bool,
    misses: u8,
    resends: u8,
}

#[derive(Default)]
pub struct Recovery {
    /// In TSN order (first transmissions are sent in TSN order).
    sent: VecDeque<Sent>,
    bytes: usize,
    /// Buffers of acknowledged chunks, for the next ones.
    spare: Vec<Vec<u8>>,
    /// Chunks sent again by the driver.
    pub resent: u64,
}

/// Whether chunks of a stream may be recorded (see the module comment).
#[derive(Default)]
pub struct Eligible {
    partially_reliable: std::collections::HashSet<u16>,
}

impl Eligible {
    /// A message with partial reliability was queued on `stream`.
    pub fn partially_reliable(&mut self, stream: u16) {
        self.partially_reliable.insert(stream);
    }

    pub fn stream(&self, stream: u16) -> bool {
        self.partially_reliable.is_empty() || !self.partially_reliable.contains(&stream)
    }
}

impl Recovery {
    /// sctp-proto sent `chunk` (a DATA chunk, TSN `tsn`); `highest` is the
    /// highest TSN sent so far, `first` whether this is its first transmission.
    pub fn sent(&mut self, tsn: u32, chunk: &[u8], highest: u32, first: bool) {
        if !first {
            if let Some(s) = self.find(tsn) {
                s.sent_before = highest;
                s.retransmitted = true;
                s.misses = 0;
            }
            return;
        }
        if self.bytes + chunk.len() > MAX_BYTES {
            return;
        }
        let mut copy = self.spare.pop().unwrap_or_default();
        copy.clear();
        copy.extend_from_slice(chunk);
        self.bytes += chunk.len();
        self.sent.push_back(Sent { tsn, chunk: copy, sent_before: highest, retransmitted: false, misses: 0, resends: 0 });
    }

    fn find(&mut self, tsn: u32) -> Option<&mut Sent> {
        let front = self.sent.front()?.tsn;
        let i = tsn.wrapping_sub(front) as usize;
        // Usually at its TSN's offset; a chunk left unrecorded (MAX_BYTES) shifts them.
        match self.sent.get(i) {
            Some(s) if s.tsn == tsn => self.sent.get_mut(i),
            _ => self.sent.iter_mut().find(|s| s.tsn == tsn),
        }
    }

    /// The lowest chunk still unacknowledged, if recorded.
    pub fn oldest(&self) -> Option<u32> {
        self.sent.front().map(|s| s.tsn)
    }

    /// A copy of chunk `tsn` to send again, if it is still the oldest unacknowledged one.
    pub fn probe(&mut self, tsn: u32) -> Option<Vec<u8>> {
        let s = self.sent.front_mut().filter(|s| s.tsn == tsn && s.resends < MAX_RESENDS)?;
        s.resends += 1;
        self.resent += 1;
        Some(s.chunk.clone())
    }

    /// Everything up to `cum` is acknowledged, or abandoned by our FORWARD TSN:
    /// not to be sent again.
    pub fn forget_through(&mut self, cum: u32) {
        while self.sent.front().is_some_and(|s| !wire::tsn_after(s.tsn, cum)) {
            let s = self.sent.pop_front().expect("checked");
            self.bytes -= s.chunk.len();
            if self.spare.len() < 64 {
                self.spare.push(s.chunk);
            }
        }
    }

    /// A SACK from the peer: its cumulative TSN ack and gap blocks (offsets from
    /// it, as on the wire). Returns the chunks to send again now; `highest` is
    /// the highest TSN sent so far.
    pub fn on_sack(&mut self, cum: u32, gaps: &[(u16, u16)], highest: u32) -> Vec<Vec<u8>> {
        self.forget_through(cum);
        let Some(&(_, last_end)) = gaps.last() else { return Vec::new() };
        let highest_acked = cum.wrapping_add(u32::from(last_end));
        let mut again = Vec::new();
        let mut blocks = gaps.iter().peekable();
        for s in self.sent.iter_mut() {
            if !wire::tsn_after(highest_acked, s.tsn) {
                break; // nothing above it reported: not missing yet
            }
            let off = s.tsn.wrapping_sub(cum);
            while blocks.peek().is_some_and(|&&(_, e)| u32::from(e) < off) {
                blocks.next();
            }
            let received = blocks.peek().is_some_and(|&&(b, _)| u32::from(b) <= off);
            if received || !wire::tsn_after(highest_acked, s.sent_before) || s.resends >= MAX_RESENDS {
                continue;
            }
            s.misses = s.misses.saturating_add(1);
            if s.misses >= if s.retransmitted { MISSES } else { IGNORED } {
                s.misses = 0;
                s.resends += 1;
                s.retransmitted = true;
                s.sent_before = highest;
                self.resent += 1;
                again.push(s.chunk.clone());
            }
        }
        again
    }
}

/// The gap blocks of a SACK chunk's value, as (start, end) offsets.
pub fn gap_blocks(value: &[u8]) -> Vec<(u16, u16)> {
    if value.len() < 12 {
        return Vec::new();
    }
    let n = usize::from(u16::from_be_bytes([value[8], value[9]]));
    (0..n)
        .map(|i| 12 + 4 * i)
        .take_while(|&at| at + 4 <= value.len())
        .map(|at| (u16::from_be_bytes([value[at], value[at + 1]]), u16::from_be_bytes([value[at + 2], value[at + 3]])))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retransmission_shown_lost_three_times_goes_again_once() {
        let mut r = Recovery::default();
        for tsn in 10..=20 {
            r.sent(tsn, &[tsn as u8], tsn, true);
        }
        r.sent(10, &[10], 20, false); // sctp-proto's fast retransmission
        // SACKs up to TSN 20 only: the retransmission may still be on its way.
        assert!(r.on_sack(9, &[(2, 11)], 22).is_empty());
        // Three SACKs acknowledging TSNs sent after it (21, 22), 10 still missing.
        r.sent(21, &[21], 21, true);
        r.sent(22, &[22], 22, true);
        assert!(r.on_sack(9, &[(2, 12)], 22).is_empty());
        assert!(r.on_sack(9, &[(2, 13)], 22).is_empty());
        assert_eq!(r.on_sack(9, &[(2, 13)], 25), vec![vec![10]]);
        // Sent again after 25: the next SACKs must show more than that.
        assert!(r.on_sack(9, &[(2, 14)], 25).is_empty());
        // Arrived: forgotten, with everything below the new cumulative ack.
        assert!(r.on_sack(22, &[], 25).is_empty());
        assert_eq!(r.bytes, 0);
        assert!(r.sent.is_empty());
    }

    #[test]
    fn a_chunk_never_retransmitted_goes_after_more_misses() {
        let mut r = Recovery::default();
        for tsn in 1..=30 {
            r.sent(tsn, &[tsn as u8], tsn, true);
        }
        // 5 missing; each SACK acknowledges more of what came after it.
        let mut out = Vec::new();
        for k in 0..IGNORED {
            out = r.on_sack(4, &[(2, 2 + u16::from(k))], 30);
        }
        assert_eq!(out, vec![vec![5]]);
        assert_eq!(r.resent, 1);
    }
}
