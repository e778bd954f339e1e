//! The few packet-level facts the driver needs that sctp-proto keeps private:
//! chunk types seen in and out, stream counts from INIT/INIT-ACK, verification
//! tags, PPID fields, and building the ABORT / SHUTDOWN COMPLETE packets that
//! sctp-proto never sends itself (user abort, out-of-the-blue answers).
//!
//! Everything here reads untrusted bytes: every access is bounds-checked.

pub const COMMON_HEADER: usize = 12;
/// The largest packet sctp-proto builds (its INITIAL_MTU): a SACK joins a DATA packet only within it.
pub const MAX_PACKET: usize = 1228;

pub const CT_DATA: u8 = 0;
pub const CT_INIT: u8 = 1;
pub const CT_INIT_ACK: u8 = 2;
pub const CT_SACK: u8 = 3;
pub const CT_HEARTBEAT_ACK: u8 = 5;
pub const CT_ABORT: u8 = 6;
pub const CT_SHUTDOWN: u8 = 7;
pub const CT_SHUTDOWN_ACK: u8 = 8;
pub const CT_ERROR: u8 = 9;
pub const CT_COOKIE_ECHO: u8 = 10;
pub const CT_SHUTDOWN_COMPLETE: u8 = 14;
pub const CT_HEARTBEAT: u8 = 4;
const CT_COOKIE_ACK: u8 = 11;
pub const CT_RECONFIG: u8 = 130;
/// RE-CONFIG's Outgoing SSN Reset Request Parameter (RFC 6525 §4.1).
const PARAM_OUTGOING_RESET: u16 = 13;
pub const CT_FORWARD_TSN: u8 = 192;
const CT_I_FORWARD_TSN: u8 = 194;
/// Heartbeat Info parameter (RFC 9260 §3.3.5).
const PARAM_HEARTBEAT_INFO: u16 = 1;

pub const DATA_FLAG_END: u8 = 0x01;
pub const DATA_FLAG_BEGIN: u8 = 0x02;
pub const DATA_FLAG_UNORDERED: u8 = 0x04;
/// RFC 7053 SACK-IMMEDIATELY: the receiver SACKs this DATA at once.
pub const DATA_FLAG_IMMEDIATE: u8 = 0x08;
/// T bit of ABORT / SHUTDOWN COMPLETE: the tag is the receiver's own (RFC 9260 §8.5.1).
pub const FLAG_T: u8 = 0x01;
/// "Invalid Stream Identifier" error cause (RFC 9260 §3.3.10.1).
const CAUSE_INVALID_STREAM: u16 = 1;
/// "User-Initiated Abort" error cause (RFC 9260 §3.3.10.12).
const CAUSE_USER_ABORT: u16 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub src_port: u16,
    pub dst_port: u16,
    pub vtag: u32,
}

pub fn header(pkt: &[u8]) -> Option<Header> {
    if pkt.len() < COMMON_HEADER {
        return None;
    }
    Some(Header {
        src_port: be16(pkt, 0),
        dst_port: be16(pkt, 2),
        vtag: be32(pkt, 4),
    })
}

/// A chunk inside a packet: its type, flags and value bytes (without padding).
pub struct ChunkRef<'a> {
    pub typ: u8,
    pub flags: u8,
    /// Offset of the chunk header inside the packet, for in-place rewriting.
    pub offset: usize,
    pub value: &'a [u8],
}

/// Iterates the chunks of a packet; stops at the first malformed length.
pub fn chunks(pkt: &[u8]) -> impl Iterator<Item = ChunkRef<'_>> {
    let mut off = COMMON_HEADER;
    core::iter::from_fn(move || {
        if off + 4 > pkt.len() {
            return None;
        }
        let len = be16(pkt, off + 2) as usize;
        if len < 4 || off + len > pkt.len() {
            return None;
        }
        let c = ChunkRef {
            typ: pkt[off],
            flags: pkt[off + 1],
            offset: off,
            value: &pkt[off + 4..off + len],
        };
        off += (len + 3) & !3;
        Some(c)
    })
}

/// Whether the packet is a SACK alone.
pub fn lone_sack(pkt: &[u8]) -> bool {
    let mut cs = chunks(pkt);
    cs.next().is_some_and(|c| c.typ == CT_SACK) && cs.next().is_none()
}

/// Whether a lone SACK fits in front of this packet's chunks: DATA first (no
/// chunk that must travel alone) and room left (RFC 9260 §6: control chunks
/// precede DATA in a bundle).
pub fn sack_fits(sack: &[u8], pkt: &[u8]) -> bool {
    chunks(pkt).next().is_some_and(|c| c.typ == CT_DATA) && sack.len() - COMMON_HEADER + pkt.len() <= MAX_PACKET
}

/// CRC32c as SCTP computes it: over the packet with the checksum field zeroed.
pub fn checksum(pkt: &[u8]) -> u32 {
    let c = crc32c::crc32c(&pkt[..8]);
    let c = crc32c::crc32c_append(c, &[0; 4]);
    crc32c::crc32c_append(c, &pkt[COMMON_HEADER..])
}

pub fn checksum_ok(pkt: &[u8]) -> bool {
    pkt.len() >= COMMON_HEADER
        && u32::from_le_bytes([pkt[8], pkt[9], pkt[10], pkt[11]]) == checksum(pkt)
}

pub fn set_checksum(pkt: &mut [u8]) {
    let c = checksum(pkt);
    pkt[8..12].copy_from_slice(&c.to_le_bytes());
}

/// Fields of an INIT or INIT-ACK that the driver keeps: the sender's tag and stream counts.
pub struct InitInfo {
    pub initiate_tag: u32,
    pub outbound_streams: u16,
    pub inbound_streams: u16,
    pub initial_tsn: u32,
}

pub fn init_info(value: &[u8]) -> Option<InitInfo> {
    if value.len() < 16 {
        return None;
    }
    Some(InitInfo {
        initiate_tag: be32(value, 0),
        outbound_streams: be16(value, 8),
        inbound_streams: be16(value, 10),
        initial_tsn: be32(value, 12),
    })
}

/// An INIT or INIT ACK that RFC 9260 §3.3.2–3 says to discard: a zero
/// Initiate Tag, or zero outbound or inbound streams (sctp-proto accepted
/// them and connected with no usable stream; found by fuzzing). Returns the
/// chunk type and its Initiate Tag.
pub fn invalid_init(pkt: &[u8]) -> Option<(u8, u32)> {
    chunks(pkt)
        .filter(|c| c.typ == CT_INIT || c.typ == CT_INIT_ACK)
        .find_map(|c| match init_info(c.value) {
            Some(i) if i.initiate_tag != 0 && i.outbound_streams != 0 && i.inbound_streams != 0 => None,
            Some(i) => Some((c.typ, i.initiate_tag)),
            None => Some((c.typ, 0)),
        })
}

/// The DATA chunk fields the PPID translation needs.
pub struct DataInfo {
    pub tsn: u32,
    pub stream: u16,
    pub ppid: u32,
}

pub fn data_info(value: &[u8]) -> Option<DataInfo> {
    if value.len() < 12 {
        return None;
    }
    Some(DataInfo {
        tsn: be32(value, 0),
        stream: be16(value, 4),
        ppid: be32(value, 8),
    })
}

/// Offset of the PPID field of a DATA chunk, from the chunk's own offset.
pub const DATA_PPID_OFFSET: usize = 4 + 8;

/// Cumulative TSN Ack of a SACK or SHUTDOWN chunk (or New Cumulative TSN of a FORWARD TSN).
pub fn sack_cum_tsn(value: &[u8]) -> Option<u32> {
    (value.len() >= 4).then(|| be32(value, 0))
}

/// Chunk types sctp-proto 0.10.8 can parse. It drops a whole packet with any other
/// type, although RFC 9260 §3.2 says types with the high bit set are to be skipped.
fn proto_parses(typ: u8) -> bool {
    matches!(
        typ,
        CT_DATA
            | CT_INIT
            | CT_INIT_ACK
            | CT_SACK
            | CT_HEARTBEAT
            | CT_ABORT
            | CT_SHUTDOWN
            | CT_SHUTDOWN_ACK
            | CT_ERROR
            | CT_COOKIE_ECHO
            | CT_COOKIE_ACK
            | CT_SHUTDOWN_COMPLETE
            | CT_RECONFIG
            | CT_FORWARD_TSN
            | CT_I_FORWARD_TSN
    )
}

/// What the driver does with an incoming packet before sctp-proto sees it.
pub enum Inbound {
    /// Hand it over as it is (the common case: no copy).
    AsIs,
    /// Hand over this copy, stripped of chunks sctp-proto cannot parse but
    /// should skip, and of our heartbeats' acknowledgements (returned apart).
    Stripped(Vec<u8>, Vec<Vec<u8>>),
    /// Nothing for sctp-proto: HEARTBEAT ACKs only, or a chunk RFC 9260 says
    /// stops processing. Carries the HEARTBEAT ACK infos.
    Consumed(Vec<Vec<u8>>),
    BadChecksum,
}

pub fn sort_inbound(pkt: &[u8]) -> Inbound {
    if chunks(pkt).all(|c| proto_parses(c.typ) && c.typ != CT_SHUTDOWN) {
        return Inbound::AsIs;
    }
    // Rewriting a packet means vouching for it: check its checksum first.
    if !checksum_ok(pkt) {
        return Inbound::BadChecksum;
    }
    let mut kept = pkt[..COMMON_HEADER].to_vec();
    let mut acks = Vec::new();
    for c in chunks(pkt) {
        if c.typ == CT_SHUTDOWN && c.value.len() >= 4 {
            // sctp-proto 0.10.8 ignores the Cumulative TSN Ack of a SHUTDOWN, and
            // the peer sends SACKs no more (RFC 9260 §9.2): our last DATA would be
            // retransmitted forever and SHUTDOWN never answered. The same ack as a
            // SACK in front of it lets sctp-proto see it.
            // Its a_rwnd only matters for retransmissions during shutdown (no new
            // data is sent then); 64 KiB keeps them flowing.
            kept.extend_from_slice(&sack_chunk(be32(c.value, 0), 64 * 1024));
        }
        if proto_parses(c.typ) {
            let len = 4 + c.value.len();
            kept.extend_from_slice(&pkt[c.offset..c.offset + len]);
            kept.resize((kept.len() + 3) & !3, 0);
        } else if c.typ == CT_HEARTBEAT_ACK {
            if let Some(info) = heartbeat_info(c.value) {
                acks.push(info.to_vec());
            }
        } else if c.typ & 0x80 == 0 {
            // Types 0x00-0x7f: stop processing, discard the rest (§3.2).
            break;
        }
    }
    if kept.len() == COMMON_HEADER {
        return Inbound::Consumed(acks);
    }
    set_checksum(&mut kept);
    Inbound::Stripped(kept, acks)
}

/// A SACK with no gaps.
fn sack_chunk(cum_tsn: u32, a_rwnd: u32) -> [u8; 16] {
    let mut c = [0u8; 16];
    c[0] = CT_SACK;
    c[3] = 16;
    c[4..8].copy_from_slice(&cum_tsn.to_be_bytes());
    c[8..12].copy_from_slice(&a_rwnd.to_be_bytes());
    c
}

/// A SACK packet with no gaps: a window update.
pub fn sack_packet(src_port: u16, dst_port: u16, vtag: u32, cum_tsn: u32, a_rwnd: u32) -> Vec<u8> {
    packet_with_chunk(src_port, dst_port, vtag, &sack_chunk(cum_tsn, a_rwnd))
}

/// ERROR with an Invalid Stream Identifier cause (RFC 9260 §3.3.10.1).
pub fn invalid_stream_packet(src_port: u16, dst_port: u16, vtag: u32, stream: u16) -> Vec<u8> {
    let [c0, c1] = CAUSE_INVALID_STREAM.to_be_bytes();
    let [s0, s1] = stream.to_be_bytes();
    // Chunk header, then the cause: code, length 8, stream id, 2 reserved bytes.
    packet_with_chunk(src_port, dst_port, vtag, &[CT_ERROR, 0, 0, 12, c0, c1, 0, 8, s0, s1, 0, 0])
}

fn heartbeat_info(value: &[u8]) -> Option<&[u8]> {
    if value.len() < 4 || be16(value, 0) != PARAM_HEARTBEAT_INFO {
        return None;
    }
    let len = be16(value, 2) as usize;
    (len >= 4 && len <= value.len()).then(|| &value[4..len])
}

/// A HEARTBEAT carrying `info`, which the peer echoes in its HEARTBEAT ACK.
pub fn heartbeat_packet(src_port: u16, dst_port: u16, vtag: u32, info: &[u8]) -> Vec<u8> {
    let mut p = packet_header(src_port, dst_port, vtag);
    let param_len = 4 + info.len() as u16;
    p.push(CT_HEARTBEAT);
    p.push(0);
    p.extend_from_slice(&(4 + param_len).to_be_bytes());
    p.extend_from_slice(&PARAM_HEARTBEAT_INFO.to_be_bytes());
    p.extend_from_slice(&param_len.to_be_bytes());
    p.extend_from_slice(info);
    p.resize((p.len() + 3) & !3, 0);
    set_checksum(&mut p);
    p
}

/// An ABORT packet. `reflect` sets the T bit: the tag is then the one the peer put on its packet.
pub fn abort_packet(src_port: u16, dst_port: u16, vtag: u32, reflect: bool, user: bool) -> Vec<u8> {
    let mut p = packet_header(src_port, dst_port, vtag);
    let flags = if reflect { FLAG_T } else { 0 };
    if user {
        // Chunk header + one error cause (code 12, length 4, no reason text).
        p.extend_from_slice(&[CT_ABORT, flags, 0, 8]);
        p.extend_from_slice(&CAUSE_USER_ABORT.to_be_bytes());
        p.extend_from_slice(&4u16.to_be_bytes());
    } else {
        p.extend_from_slice(&[CT_ABORT, flags, 0, 4]);
    }
    set_checksum(&mut p);
    p
}

/// Whether a RE-CONFIG chunk's value holds an Outgoing SSN Reset Request.
pub fn outgoing_reset_request(value: &[u8]) -> bool {
    let mut at = 0;
    while at + 4 <= value.len() {
        let len = usize::from(be16(value, at + 2));
        if be16(value, at) == PARAM_OUTGOING_RESET {
            return true;
        }
        if len < 4 {
            return false;
        }
        at += (len + 3) & !3;
    }
    false
}

/// A packet of one chunk (its bytes as they were sent, padding added).
pub fn packet_with_chunk(src_port: u16, dst_port: u16, vtag: u32, chunk: &[u8]) -> Vec<u8> {
    let mut p = packet_header(src_port, dst_port, vtag);
    p.extend_from_slice(chunk);
    p.resize((p.len() + 3) & !3, 0);
    set_checksum(&mut p);
    p
}

/// A DATA chunk with a TSN the peer already has (one byte, stream 0): the
/// receiver discards it and SACKs at once (RFC 9260 §6.2; the I bit of RFC 7053
/// says so too, for a receiver that would otherwise wait).
pub fn duplicate_data_packet(src_port: u16, dst_port: u16, vtag: u32, tsn: u32) -> Vec<u8> {
    let [t0, t1, t2, t3] = tsn.to_be_bytes();
    let flags = DATA_FLAG_BEGIN | DATA_FLAG_END | DATA_FLAG_IMMEDIATE;
    // Chunk header, TSN, stream 0, SSN 0, PPID 0, one byte of payload.
    packet_with_chunk(src_port, dst_port, vtag, &[CT_DATA, flags, 0, 17, t0, t1, t2, t3, 0, 0, 0, 0, 0, 0, 0, 0, 0])
}

/// SHUTDOWN ACK (RFC 9260 §3.3.9).
pub fn shutdown_ack_packet(src_port: u16, dst_port: u16, vtag: u32) -> Vec<u8> {
    packet_with_chunk(src_port, dst_port, vtag, &[CT_SHUTDOWN_ACK, 0, 0, 4])
}

/// SHUTDOWN COMPLETE with the T bit, the answer to an out-of-the-blue SHUTDOWN ACK (RFC 9260 §8.4 rule 5).
pub fn shutdown_complete_packet(src_port: u16, dst_port: u16, vtag: u32) -> Vec<u8> {
    packet_with_chunk(src_port, dst_port, vtag, &[CT_SHUTDOWN_COMPLETE, FLAG_T, 0, 4])
}

fn packet_header(src_port: u16, dst_port: u16, vtag: u32) -> Vec<u8> {
    let mut p = Vec::with_capacity(24);
    p.extend_from_slice(&src_port.to_be_bytes());
    p.extend_from_slice(&dst_port.to_be_bytes());
    p.extend_from_slice(&vtag.to_be_bytes());
    p.extend_from_slice(&[0; 4]);
    p
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Serial number arithmetic (RFC 1982) for 32-bit TSNs: is `a` after `b`?
pub fn tsn_after(a: u32, b: u32) -> bool {
    a != b && a.wrapping_sub(b) < (1 << 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abort_has_valid_checksum_and_cause() {
        let p = abort_packet(5000, 5001, 0xdead_beef, false, true);
        assert!(checksum_ok(&p));
        let h = header(&p).unwrap();
        assert_eq!((h.src_port, h.dst_port, h.vtag), (5000, 5001, 0xdead_beef));
        let c: Vec<_> = chunks(&p).collect();
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].typ, c[0].flags), (CT_ABORT, 0));
        assert_eq!(c[0].value, &[0, 12, 0, 4]);
    }

    #[test]
    fn chunk_walk_stops_at_bad_length() {
        let mut p = shutdown_complete_packet(1, 2, 3);
        p.extend_from_slice(&[CT_DATA, 0, 0, 200]); // claims more than is there
        assert_eq!(chunks(&p).count(), 1);
        assert!(header(&p[..11]).is_none());
    }

    #[test]
    fn skippable_unknown_chunks_and_heartbeat_acks_are_stripped() {
        let mut p = shutdown_complete_packet(1, 2, 3); // a chunk sctp-proto parses
        p.extend_from_slice(&[0x84, 0, 0, 8, 1, 2, 3, 4]); // PAD: high bit set, skip
        p.extend_from_slice(&[CT_HEARTBEAT_ACK, 0, 0, 12, 0, 1, 0, 8, 9, 9, 9, 9]);
        set_checksum(&mut p);
        match sort_inbound(&p) {
            Inbound::Stripped(kept, acks) => {
                assert!(checksum_ok(&kept));
                assert_eq!(chunks(&kept).map(|c| c.typ).collect::<Vec<_>>(), [CT_SHUTDOWN_COMPLETE]);
                assert_eq!(acks, [vec![9, 9, 9, 9]]);
            }
            _ => panic!("expected a stripped copy"),
        }
        p[13] ^= 1; // corrupt: no longer vouched for
        assert!(matches!(sort_inbound(&p), Inbound::BadChecksum));
    }

    #[test]
    fn shutdown_is_preceded_by_a_sack_with_its_cumulative_ack() {
        let mut p = packet_header(5000, 5001, 9);
        p.extend_from_slice(&[CT_SHUTDOWN, 0, 0, 8, 0, 0, 1, 2]);
        set_checksum(&mut p);
        let Inbound::Stripped(kept, _) = sort_inbound(&p) else { panic!("expected a rewrite") };
        assert!(checksum_ok(&kept));
        let c: Vec<_> = chunks(&kept).map(|c| (c.typ, sack_cum_tsn(c.value))).collect();
        assert_eq!(c, [(CT_SACK, Some(258)), (CT_SHUTDOWN, Some(258))]);
    }

    #[test]
    fn heartbeat_round_trips_its_info() {
        let hb = heartbeat_packet(5000, 5001, 77, &[1, 2, 3, 4, 5]);
        assert!(checksum_ok(&hb));
        let c = chunks(&hb).next().unwrap();
        assert_eq!(c.typ, CT_HEARTBEAT);
        assert_eq!(heartbeat_info(c.value), Some(&[1, 2, 3, 4, 5][..]));
    }

    #[test]
    fn serial_arithmetic_wraps() {
        assert!(tsn_after(1, u32::MAX));
        assert!(!tsn_after(u32::MAX, 1));
        assert!(!tsn_after(7, 7));
    }
}
