//! Recovering a lost retransmission without waiting for a timer.
//!
//! sctp-proto 0.10.8 fast-retransmits a TSN once (RFC 9260 §7.2.4); when that
//! retransmission is lost too, only the T3 timer recovers it — RTO.min, 1 s by
//! RFC 9260 — and at 1% loss both ways that stalled bulk transfers to ~5% of
//! their lossless speed. dcSCTP and Linux retransmit again when the
//! acknowledgements show the retransmission missing; the driver does the same
//! beside sctp-proto: it keeps a copy of every chunk sctp-proto *re*transmits
//! (few: only lost ones) and sends it once more when SACKs show that DATA
//! sent after that retransmission has arrived while the chunk has not — three
//! times, as for the first fast retransmit. sctp-proto never knows: the
//! peer's next SACK simply acknowledges the TSN.
//!
//! Congestion: sctp-proto already halved its window for this loss; the driver
//! adds one packet per loss of a retransmission, at most `MAX_RESENDS` times a
//! chunk, and keeps copies of at most `MAX_BYTES`.

use crate::wire;

/// Resends of one chunk before the T3 timer is left to deal with it.
const MAX_RESENDS: u8 = 4;
/// Bytes of retransmitted chunks kept.
const MAX_BYTES: usize = 512 * 1024;
/// Miss indications before a resend (RFC 9260 §7.2.4 uses three).
const MISSES: u8 = 3;

struct Lost {
    tsn: u32,
    /// The DATA chunk as it last went out (PPID already rewritten).
    chunk: Vec<u8>,
    /// The highest TSN sent when it last went out: a SACK reporting a TSN
    /// above this one as received shows that it should have arrived too.
    sent_before: u32,
    misses: u8,
    resends: u8,
}

#[derive(Default)]
pub struct Recovery {
    lost: Vec<Lost>,
    bytes: usize,
}

impl Recovery {
    /// sctp-proto sent `chunk` (a DATA chunk, TSN `tsn`) again; `highest` is the
    /// highest TSN sent so far.
    pub fn retransmitted(&mut self, tsn: u32, chunk: &[u8], highest: u32) {
        if let Some(l) = self.lost.iter_mut().find(|l| l.tsn == tsn) {
            l.sent_before = highest;
            l.misses = 0;
            return;
        }
        if self.bytes + chunk.len() > MAX_BYTES {
            return;
        }
        self.bytes += chunk.len();
        self.lost.push(Lost { tsn, chunk: chunk.to_vec(), sent_before: highest, misses: 0, resends: 0 });
    }

    pub fn is_empty(&self) -> bool {
        self.lost.is_empty()
    }

    /// A SACK from the peer: its cumulative TSN ack and gap blocks (offsets from
    /// it, as on the wire). Returns the chunks to send again now; `highest` is
    /// the highest TSN sent so far.
    pub fn on_sack(&mut self, cum: u32, gaps: &[(u16, u16)], highest: u32) -> Vec<Vec<u8>> {
        if self.lost.is_empty() {
            return Vec::new();
        }
        let bytes = &mut self.bytes;
        self.lost.retain(|l| {
            let keep = wire::tsn_after(l.tsn, cum);
            if !keep {
                *bytes -= l.chunk.len();
            }
            keep
        });
        let Some(&(_, last_end)) = gaps.last() else { return Vec::new() };
        let highest_acked = cum.wrapping_add(u32::from(last_end));
        let received = |tsn: u32| {
            gaps.iter().any(|&(s, e)| {
                let off = tsn.wrapping_sub(cum);
                off >= u32::from(s) && off <= u32::from(e)
            })
        };
        let mut again = Vec::new();
        for l in &mut self.lost {
            if received(l.tsn) || !wire::tsn_after(highest_acked, l.sent_before) || l.resends >= MAX_RESENDS {
                continue;
            }
            l.misses += 1;
            if l.misses >= MISSES {
                l.misses = 0;
                l.resends += 1;
                l.sent_before = highest;
                again.push(l.chunk.clone());
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
        r.retransmitted(10, &[0, 3, 0, 17], 20);
        // SACKs up to TSN 20 only: the retransmission may still be on its way.
        assert!(r.on_sack(9, &[(2, 11)], 22).is_empty());
        // Three SACKs acknowledging TSNs sent after it (21, 22), 10 still missing.
        assert!(r.on_sack(9, &[(2, 12)], 22).is_empty());
        assert!(r.on_sack(9, &[(2, 13)], 22).is_empty());
        assert_eq!(r.on_sack(9, &[(2, 13)], 25), vec![vec![0, 3, 0, 17]]);
        // Sent again after 25: the next SACKs must show more than that.
        assert!(r.on_sack(9, &[(2, 14)], 25).is_empty());
        // Arrived: forgotten.
        assert!(r.on_sack(10, &[(2, 14)], 25).is_empty());
        assert_eq!(r.bytes, 0);
        assert!(r.lost.is_empty());
    }
}
