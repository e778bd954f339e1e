//! Where the driver stands between sctp-proto 0.10.8 and a peer that does not
//! play fair. sctp-proto trusts its input in ways RFC 9260 does not allow; the
//! repairs that depend on an association's state live here, each with the
//! reason it exists and a test in `tests/hostile.rs`:
//!
//! - `screen_data`: DATA far above the cumulative TSN, or arriving while the
//!   application holds a full window, is dropped before sctp-proto tracks it.
//!   sctp-proto accepts any TSN while its buffer has room, so a peer sending
//!   every other TSN above a hole grew our SACK past 16,380 gap blocks: its
//!   16-bit length wrapped and its tail went out as forged chunks.
//! - `clamp_sack`: a SACK reports only the gap blocks and duplicate TSNs that
//!   fit in one packet (RFC 9260 §6.2 allows fewer), and advertises the window
//!   less what the application holds unread (sctp-proto counts only its own
//!   queues, and the driver empties them as soon as a message is complete).
//! - `screen_data` also turns DATA on a stream at or above our inbound stream
//!   count into an unordered message on stream 0 that the driver discards
//!   (RFC 9260 §6.5: acknowledge, discard, ERROR). sctp-proto would have made
//!   a stream for each id and kept it forever; its window arithmetic walks all
//!   its streams per chunk, so 65,535 of them made every later chunk slow.
//! - `t_bit_misused`: an ABORT or SHUTDOWN COMPLETE with the T bit must carry
//!   the *peer's* tag (§8.5.1); sctp-proto accepted one carrying ours.
//!
//! The stateless repairs (packet shape, chunk types sctp-proto cannot parse,
//! SHUTDOWN's cumulative ack, INIT validity) are in `wire`; the endpoint-level
//! ones (T-bit routing, INIT collisions, handshake budget) in `endpoint`; the
//! outgoing fixes of INIT ACK stream counts and SHUTDOWN's ack in `Assoc::emit`.
//! docs/engine.md lists every repair with the RFC section and its test.

use crate::wire::{self, COMMON_HEADER, CT_DATA, CT_SACK, MAX_PACKET};

/// DATA is accepted at most this many TSNs above the cumulative TSN, as usrsctp
/// does with its mapping array (512 bytes: 4,096 TSNs). A sender rarely has
/// more than that outstanding past a hole (a 1 MiB window of 256-byte
/// messages); one that does gets the excess retransmitted, never lost (it is
/// not acknowledged). The bound keeps gap blocks below 2,048 (a SACK below
/// 8 KiB, before `clamp_sack`), ordered messages waiting on one stream far
/// below the 32,768 that 16-bit SSN comparison can tell apart, and the cost of
/// sctp-proto's reassembly (linear in the messages waiting) per chunk low:
/// 16,384 measured 45 µs a chunk at the end of such a backlog.
pub const MAX_TSN_AHEAD: u32 = 4096;

/// Bytes accepted past a closed window. A peer facing a zero window sends one
/// probe per retransmission timeout; dropping it would leave the probe
/// outstanding when the window reopens, and the peer's congestion window (one
/// packet after the timeouts) full until the next timeout (580 ms measured).
/// Taking probes until this much is held bounds memory all the same.
pub const PROBE_ROOM: u32 = 64 * 1024;

/// Gap blocks plus duplicate TSNs (4 bytes each) that fit beside the SACK's
/// 16 fixed bytes in the largest packet we send.
pub const MAX_SACK_ENTRIES: usize = (MAX_PACKET - COMMON_HEADER - 16) / 4;

/// What the screen needs to know of the association.
pub struct Window {
    /// The highest TSN received in sequence, as far as the driver has seen.
    pub cum: u32,
    /// The highest TSN received at all.
    pub highest: u32,
    /// The application holds a full receive window unread, and `PROBE_ROOM`
    /// past it: nothing new fits.
    pub full: bool,
    /// Our inbound stream count: DATA on a stream id at or above it is invalid.
    pub mis: u32,
    /// Whether invalid-stream DATA may still be taken in to be discarded (the
    /// driver remembers each one's TSN until its message is read); when not, it is dropped.
    pub discard_room: bool,
}

/// What `screen_data` made of a packet.
pub struct Screened {
    /// The packet to hand to sctp-proto (no chunk at all: nothing to hand over).
    pub pkt: Vec<u8>,
    /// DATA chunks dropped, unacknowledged.
    pub dropped: u32,
    /// (TSN, stream) of invalid-stream DATA rewritten to be discarded once read.
    pub invalid: Vec<(u32, u16)>,
}

/// The packet without the DATA chunks the window does not admit, and with
/// DATA on invalid streams rewritten (stream 0, unordered) for the driver to
/// discard; `None` when every chunk may pass as it is. The copy has a fresh
/// checksum, and no chunk at all when nothing is left.
pub fn screen_data(pkt: &[u8], w: &Window) -> Option<Screened> {
    enum Verdict {
        Pass,
        Drop,
        Discard(u32, u16),
    }
    let verdict = |c: &wire::ChunkRef| {
        let Some(d) = wire::data_info(c.value).filter(|_| c.typ == CT_DATA) else { return Verdict::Pass };
        let far = wire::tsn_after(d.tsn, w.cum.wrapping_add(MAX_TSN_AHEAD));
        if far || (w.full && wire::tsn_after(d.tsn, w.highest)) {
            Verdict::Drop
        } else if u32::from(d.stream) >= w.mis {
            if w.discard_room { Verdict::Discard(d.tsn, d.stream) } else { Verdict::Drop }
        } else {
            Verdict::Pass
        }
    };
    if wire::chunks(pkt).all(|c| matches!(verdict(&c), Verdict::Pass)) {
        return None;
    }
    let mut s = Screened { pkt: pkt[..COMMON_HEADER].to_vec(), dropped: 0, invalid: Vec::new() };
    for c in wire::chunks(pkt) {
        let at = s.pkt.len();
        match verdict(&c) {
            Verdict::Drop => {
                s.dropped += 1;
                continue;
            }
            Verdict::Pass => s.pkt.extend_from_slice(&pkt[c.offset..c.offset + 4 + c.value.len()]),
            Verdict::Discard(tsn, stream) => {
                s.pkt.extend_from_slice(&pkt[c.offset..c.offset + 4 + c.value.len()]);
                s.pkt[at + 1] |= wire::DATA_FLAG_UNORDERED;
                s.pkt[at + 8..at + 10].copy_from_slice(&[0, 0]); // stream 0
                s.invalid.push((tsn, stream));
            }
        }
        s.pkt.resize((s.pkt.len() + 3) & !3, 0);
    }
    wire::set_checksum(&mut s.pkt);
    Some(s)
}

/// A lone SACK packet as we may send it: at most `MAX_SACK_ENTRIES` gap
/// blocks and duplicate TSNs (the lowest gap blocks kept: they tell the
/// sender what to retransmit first), and the advertised window less `held`.
/// `None`: send it as it is.
pub fn clamp_sack(pkt: &[u8], held: u32) -> Option<Vec<u8>> {
    let c = wire::chunks(pkt).next().filter(|c| c.typ == CT_SACK && c.value.len() >= 12)?;
    let v = c.value;
    let gaps = usize::from(u16::from_be_bytes([v[8], v[9]]));
    let dups = usize::from(u16::from_be_bytes([v[10], v[11]]));
    let keep_gaps = gaps.min(MAX_SACK_ENTRIES).min((v.len() - 12) / 4);
    let keep_dups = dups.min(MAX_SACK_ENTRIES - keep_gaps).min((v.len() - 12) / 4 - keep_gaps);
    if held == 0 && keep_gaps == gaps && keep_dups == dups && pkt.len() <= MAX_PACKET {
        return None;
    }
    let a_rwnd = u32::from_be_bytes([v[4], v[5], v[6], v[7]]).saturating_sub(held);
    let mut out = pkt[..COMMON_HEADER].to_vec();
    let len = 4 + 12 + 4 * (keep_gaps + keep_dups);
    out.extend_from_slice(&[CT_SACK, c.flags]);
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(&v[..4]);
    out.extend_from_slice(&a_rwnd.to_be_bytes());
    out.extend_from_slice(&(keep_gaps as u16).to_be_bytes());
    out.extend_from_slice(&(keep_dups as u16).to_be_bytes());
    out.extend_from_slice(&v[12..12 + 4 * keep_gaps]);
    let dups_at = 12 + 4 * gaps;
    out.extend_from_slice(&v[dups_at..dups_at + 4 * keep_dups]);
    wire::set_checksum(&mut out);
    Some(out)
}

/// An ABORT or SHUTDOWN COMPLETE with the T bit that `Endpoint::reflected` did
/// not match to an association's peer tag: RFC 9260 §8.5.1 says discard it.
/// With our (correct) reflected ABORT for out-of-the-blue packets, accepting it
/// let any one packet carrying either side's tag reset both ends.
pub fn t_bit_misused(pkt: &[u8]) -> bool {
    wire::chunks(pkt).any(|c| c.flags & wire::FLAG_T != 0 && matches!(c.typ, wire::CT_ABORT | wire::CT_SHUTDOWN_COMPLETE))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sack(gaps: u16, dups: u16) -> Vec<u8> {
        let mut p = vec![0u8; COMMON_HEADER];
        let len = 16 + 4 * (usize::from(gaps) + usize::from(dups));
        p.extend_from_slice(&[CT_SACK, 0]);
        p.extend_from_slice(&(len as u16).to_be_bytes());
        p.extend_from_slice(&100u32.to_be_bytes());
        p.extend_from_slice(&65536u32.to_be_bytes());
        p.extend_from_slice(&gaps.to_be_bytes());
        p.extend_from_slice(&dups.to_be_bytes());
        for g in 0..gaps {
            p.extend_from_slice(&(2 * g + 2).to_be_bytes());
            p.extend_from_slice(&(2 * g + 2).to_be_bytes());
        }
        for d in 0..dups {
            p.extend_from_slice(&u32::from(d).to_be_bytes());
        }
        wire::set_checksum(&mut p);
        p
    }

    #[test]
    fn a_sack_keeps_what_fits_and_its_lowest_gap_blocks() {
        assert!(clamp_sack(&sack(10, 3), 0).is_none());
        let p = clamp_sack(&sack(1000, 50), 0).unwrap();
        assert!(p.len() <= MAX_PACKET && wire::checksum_ok(&p));
        let c = wire::chunks(&p).next().unwrap();
        assert_eq!(usize::from(u16::from_be_bytes([c.value[8], c.value[9]])), MAX_SACK_ENTRIES);
        assert_eq!(u16::from_be_bytes([c.value[10], c.value[11]]), 0);
        assert_eq!(&c.value[12..16], &[0, 2, 0, 2]); // the first gap block
        assert_eq!(wire::chunks(&p).count(), 1);
    }

    #[test]
    fn held_bytes_shrink_the_advertised_window() {
        let p = clamp_sack(&sack(2, 1), 60000).unwrap();
        let c = wire::chunks(&p).next().unwrap();
        assert_eq!(u32::from_be_bytes(c.value[4..8].try_into().unwrap()), 5536);
        assert_eq!(c.value.len(), 12 + 12);
        let p = clamp_sack(&sack(0, 0), 1 << 20).unwrap();
        assert_eq!(&wire::chunks(&p).next().unwrap().value[4..8], &[0, 0, 0, 0]);
    }

    #[test]
    fn data_far_above_the_hole_or_past_a_full_window_is_dropped() {
        let data = |tsn: u32| {
            let mut c = vec![CT_DATA, 3, 0, 17];
            c.extend_from_slice(&tsn.to_be_bytes());
            c.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0]);
            c
        };
        let mut p = vec![0u8; COMMON_HEADER];
        for tsn in [11, 12, 10 + MAX_TSN_AHEAD + 1] {
            p.extend_from_slice(&data(tsn));
        }
        let open = Window { cum: 10, highest: 12, full: false, mis: 4, discard_room: true };
        let s = screen_data(&p, &open).unwrap();
        assert_eq!(s.dropped, 1);
        assert_eq!(wire::chunks(&s.pkt).count(), 2);
        assert!(wire::checksum_ok(&s.pkt));
        let mut q = vec![0u8; COMMON_HEADER];
        q.extend_from_slice(&data(11));
        assert!(screen_data(&q, &open).is_none());
        // Full: a hole below the highest TSN may still be filled, nothing new.
        let full = Window { cum: 10, highest: 12, full: true, mis: 4, discard_room: true };
        assert!(screen_data(&q, &full).is_none());
        let mut r = vec![0u8; COMMON_HEADER];
        r.extend_from_slice(&data(13));
        assert_eq!(wire::chunks(&screen_data(&r, &full).unwrap().pkt).count(), 0);
    }

    #[test]
    fn data_on_an_invalid_stream_goes_to_stream_0_unordered_to_be_discarded() {
        let mut p = vec![0u8; COMMON_HEADER];
        p.extend_from_slice(&[CT_DATA, 3, 0, 17, 0, 0, 0, 11, 0, 9, 0, 5, 0, 0, 0, 51, 7]);
        let w = Window { cum: 10, highest: 10, full: false, mis: 4, discard_room: true };
        let s = screen_data(&p, &w).unwrap();
        assert_eq!(s.invalid, [(11, 9)]);
        let c = wire::chunks(&s.pkt).next().unwrap();
        assert_eq!(c.flags, 3 | wire::DATA_FLAG_UNORDERED);
        assert_eq!(wire::data_info(c.value).unwrap().stream, 0);
        assert!(wire::checksum_ok(&s.pkt));
        let full = Window { discard_room: false, ..w };
        assert_eq!(screen_data(&p, &full).unwrap().dropped, 1);
    }
}
