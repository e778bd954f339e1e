//! Hostile networks and hostile peers against the driver, in-process and on a
//! fake clock: lost packets at the worst moments, forged and blind packets,
//! floods. Also the regression tests for what fuzzing found.

mod common;

use std::time::Duration;

use common::{Dir, Pair};
use sctp_native::config::AssocConfig;
use sctp_native::endpoint::MAX_HANDSHAKING;
use sctp_native::repair;
use sctp_native::wire;

fn cfg(local: u32, remote: u32) -> AssocConfig {
    AssocConfig::for_tests(local, remote)
}

fn types(pkt: &[u8]) -> Vec<u8> {
    wire::chunks(pkt).map(|c| c.typ).collect()
}

impl Pair {
    /// `a` (client, port 5001) and `b` (server, port 5000, listening).
    fn new() -> Self {
        let mut p = Pair::default();
        assert!(p.b.listen(cfg(5000, 0), false));
        p
    }

    fn connected() -> (Self, u32, u32) {
        let mut p = Pair::new();
        let a_id = p.a.connect(cfg(5001, 5000), p.now).unwrap();
        p.drive();
        let b_id = p.seen_b.event("connect").assoc;
        assert!(p.seen_a.kinds().contains(&"connect"));
        (p, a_id, b_id)
    }

    /// The verification tag each side expects (from the packets the other one sent it).
    fn tags(&self) -> (u32, u32) {
        let last = |d: Dir| {
            self.log.iter().rev().find(|(dir, p, _)| *dir == d && wire::header(p).unwrap().vtag != 0).map(|(_, p, _)| wire::header(p).unwrap().vtag).unwrap()
        };
        (last(Dir::BtoA), last(Dir::AtoB))
    }
}

fn packet(src: u16, dst: u16, vtag: u32, chunks: &[&[u8]]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&src.to_be_bytes());
    p.extend_from_slice(&dst.to_be_bytes());
    p.extend_from_slice(&vtag.to_be_bytes());
    p.extend_from_slice(&[0; 4]);
    for c in chunks {
        p.extend_from_slice(c);
        p.resize((p.len() + 3) & !3, 0);
    }
    wire::set_checksum(&mut p);
    p
}

fn init_chunk(tag: u32, arwnd: u32, os: u16, mis: u16, tsn: u32) -> Vec<u8> {
    let mut c = vec![wire::CT_INIT, 0, 0, 20];
    c.extend_from_slice(&tag.to_be_bytes());
    c.extend_from_slice(&arwnd.to_be_bytes());
    c.extend_from_slice(&os.to_be_bytes());
    c.extend_from_slice(&mis.to_be_bytes());
    c.extend_from_slice(&tsn.to_be_bytes());
    c
}

/// The handshake bound is on handshakes, not on associations: a server on one
/// transport took exactly MAX_HANDSHAKING clients, then dropped every INIT
/// (found by the memory benchmark, 10,000 associations on one transport).
#[test]
fn more_established_associations_than_the_handshake_bound() {
    let mut p = Pair::new();
    let n = MAX_HANDSHAKING as u32 + 100;
    for i in 0..n {
        p.a.connect(cfg(10_000 + i, 5000), p.now).unwrap();
        if i % 100 == 99 {
            p.drive();
        }
    }
    p.drive();
    let connected = p.seen_b.events.iter().filter(|e| e.kind == "connect").count();
    assert_eq!(connected as u32, n);
    assert_eq!(p.b.association_count() as u32, n);
}

// --- found by fuzzing ---------------------------------------------------------------

/// The JS fuzzer connected a client whose INIT ACK had been forged with zero
/// inbound streams: OS 0, not a single usable stream. RFC 9260 §3.3.2–3:
/// such an INIT / INIT ACK is discarded (an INIT answered with ABORT).
#[test]
fn init_and_init_ack_with_zero_streams_are_discarded() {
    for (os, mis) in [(0u16, 4u16), (4, 0)] {
        let mut p = Pair::new();
        p.b.input(p.now, &packet(5001, 5000, 0, &[&init_chunk(0x1234_5678, 65536, os, mis, 1)]));
        let out = p.b.take_out();
        let answers: Vec<Vec<u8>> = out.each_packet().map(types).collect();
        assert_eq!(answers, vec![vec![wire::CT_ABORT]], "INIT with OS {os} MIS {mis}");
        assert_eq!(wire::header(out.each_packet().next().unwrap()).unwrap().vtag, 0x1234_5678);
        assert_eq!(p.b.association_count(), 0);

        // A forged INIT ACK with zero streams reaches the client before the real one.
        let a_id = p.a.connect(cfg(5001, 5000), p.now).unwrap();
        p.a.pump(p.now);
        let init = p.a.take_out().each_packet().next().unwrap().to_vec();
        let tag = wire::init_info(wire::chunks(&init).next().unwrap().value).unwrap().initiate_tag;
        let mut ack = init_chunk(0x0bad_cafe, 65536, os, mis, 1);
        ack[0] = wire::CT_INIT_ACK;
        p.a.input(p.now, &packet(5000, 5001, tag, &[&ack]));
        p.a.pump(p.now);
        assert!(p.a.take_out().lens.is_empty(), "no COOKIE ECHO for the forged INIT ACK");
        p.b.input(p.now, &init);
        p.drive();
        let c = p.seen_a.events.iter().find(|e| e.kind == "connect" && e.assoc == a_id).expect("the real handshake completes");
        assert_eq!((c.os, c.mis), (Some(4), Some(4)));
    }
}

/// The fuzzer (__test__/fuzz.test.js) left a server in SHUTDOWN-ACK-SENT for
/// good: the client had closed, answered each retransmitted SHUTDOWN ACK with
/// a SHUTDOWN COMPLETE carrying the T bit (RFC 9260 §8.4 rule 5), and
/// sctp-proto, which routes packets by its own tag only, dropped every one;
/// its T2-shutdown timer retransmits without limit. One lost SHUTDOWN COMPLETE
/// is enough on a real network.
#[test]
fn lost_shutdown_complete_still_closes_the_peer() {
    let (mut p, a_id, _) = Pair::connected();
    let mut dropped = 0;
    p.drop = Box::new(move |dir, pkt| {
        let lose = dir == Dir::AtoB && types(pkt) == [wire::CT_SHUTDOWN_COMPLETE] && dropped == 0;
        if lose {
            dropped += 1;
        }
        lose
    });
    p.a.shutdown(a_id);
    p.drive();
    assert!(p.seen_a.closed().is_some_and(|e| e.code.is_none()), "the client is done");
    p.advance(Duration::from_secs(5));
    let b = p.seen_b.closed().expect("the server closes too");
    assert_eq!(b.code, None, "gracefully: {:?}", b.message);
    assert_eq!((p.a.association_count(), p.b.association_count()), (0, 0));
}

/// The same rule for ABORT (RFC 9260 §8.5.1): with the T bit, the tag is the
/// sender's own, i.e. the one we put on our packets. A stale COOKIE ECHO is
/// answered that way, and the client then ends at once instead of timing out.
#[test]
fn reflected_abort_ends_the_association_and_a_wrong_one_does_not() {
    let (mut p, _, _) = Pair::connected();
    let (to_a, to_b) = p.tags();
    let abort_t = [wire::CT_ABORT, 1, 0, 4];
    p.b.input(p.now, &packet(5001, 5000, to_a ^ 1, &[&abort_t]));
    p.drive();
    assert!(p.seen_b.closed().is_none(), "wrong reflected tag: ignored");
    // b's peer tag is the tag a expects.
    p.b.input(p.now, &packet(5001, 5000, to_a, &[&abort_t]));
    p.drive();
    assert_eq!(p.seen_b.closed().and_then(|e| e.code.as_deref()), Some("ECONNRESET"));
    let _ = to_b;
}

#[test]
fn stale_cookie_echo_is_aborted_and_the_client_hears_it() {
    let mut p = Pair::new();
    // The COOKIE ECHO (and its retransmissions) arrive after valid_cookie_life.
    let mut hold = true;
    let held = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let held_in = held.clone();
    p.drop = Box::new(move |dir, pkt| {
        let is_echo = dir == Dir::AtoB && types(pkt).contains(&wire::CT_COOKIE_ECHO);
        if is_echo && hold {
            held_in.borrow_mut().push(pkt.to_vec());
        }
        hold = hold && !(is_echo && held_in.borrow().len() >= 3);
        is_echo
    });
    p.a.connect(cfg(5001, 5000), p.now).unwrap();
    p.advance(Duration::from_millis(2500));
    // The server gave up on the handshake (and told the client, whose COOKIE ECHOs never got through).
    assert_eq!(p.b.association_count(), 0);
    assert!(p.seen_b.events.is_empty(), "nothing reached JS on the server");
    let a = p.seen_a.closed().expect("the client has ended");
    assert!(matches!(a.code.as_deref(), Some("ECONNREFUSED") | Some("ETIMEDOUT")), "{a:?}");
    // A stale COOKIE ECHO now: only an ABORT (T bit), no association.
    let echo = held.borrow()[0].clone();
    p.b.input(p.now, &echo);
    p.b.pump(p.now);
    let out = p.b.take_out();
    let answers: Vec<Vec<u8>> = out.each_packet().map(types).collect();
    assert_eq!(answers, [vec![wire::CT_ABORT]]);
    assert_eq!(p.b.association_count(), 0);
}

/// A well-tagged INIT on an established association: sctp-proto drops it (an
/// INIT must carry tag 0), but the driver used to learn from it first — the
/// peer's tag, stream counts and cumulative TSN — so writes to stream 1 and up
/// then failed (MIS 1) and our SHUTDOWN acknowledged the wrong TSN.
#[test]
fn forged_init_on_an_established_association_changes_nothing() {
    let (mut p, a_id, b_id) = Pair::connected();
    let (_, to_b) = p.tags();
    p.b.input(p.now, &packet(5001, 5000, to_b, &[&init_chunk(0xdead_beef, 1500, 1, 1, 7)]));
    p.drive();
    p.b.send(b_id, 3, 51, false, (0, 0), b"stream 3 still open").expect("negotiated streams unchanged");
    p.a.send(a_id, 2, 51, false, (0, 0), b"data before the end").unwrap();
    p.advance(Duration::from_millis(300));
    assert_eq!(p.seen_a.payloads(), [b"stream 3 still open".to_vec()]);
    p.b.shutdown(b_id);
    p.advance(Duration::from_secs(2));
    assert!(p.seen_a.closed().is_some_and(|e| e.code.is_none()), "{:?}", p.seen_a.events);
    assert!(p.seen_b.closed().is_some_and(|e| e.code.is_none()), "{:?}", p.seen_b.events);
}

/// The other end of a shutdown goes silent after our SHUTDOWN ACK: sctp-proto
/// would retransmit it forever (T2-shutdown has no limit); the driver gives up
/// after the same time it allows its own SHUTDOWN.
#[test]
fn silent_peer_after_shutdown_ack_is_given_up_on() {
    let (mut p, a_id, _) = Pair::connected();
    p.drop = Box::new(|dir, pkt| dir == Dir::AtoB && !types(pkt).contains(&wire::CT_SHUTDOWN));
    p.a.shutdown(a_id);
    p.drive();
    let start = p.now;
    while p.seen_b.closed().is_none() && p.now - start < Duration::from_secs(10) {
        p.advance(Duration::from_millis(100));
    }
    let b = p.seen_b.closed().expect("b gives up");
    assert_eq!(b.code.as_deref(), Some("ETIMEDOUT"));
    assert!(p.now - start < Duration::from_secs(5), "after {:?}", p.now - start);
    assert_eq!(p.b.association_count(), 0);
}

/// Found by fuzzing: a forged, well-tagged SHUTDOWN. With the right Cumulative
/// TSN Ack, one end goes to SHUTDOWN-ACK-SENT while the other, still
/// ESTABLISHED, ignores its SHUTDOWN ACKs; with a wrong one, sctp-proto closes
/// the association on the spot, silently. Either way both ends must end in
/// bounded time, not wait for each other forever.
#[test]
fn forged_shutdown_ends_both_sides_in_bounded_time() {
    for right_cum in [true, false] {
        let (mut p, _, _) = Pair::connected();
        let (_, to_b) = p.tags();
        // b's INIT ACK holds b's initial TSN: nothing of b's is acknowledged yet.
        let b_tsn = p
            .log
            .iter()
            .find_map(|(d, pkt, _)| (*d == Dir::BtoA).then(|| wire::chunks(pkt).find(|c| c.typ == wire::CT_INIT_ACK).and_then(|c| wire::init_info(c.value))).flatten())
            .map(|i| i.initial_tsn)
            .expect("b's INIT ACK");
        let cum = if right_cum { b_tsn.wrapping_sub(1) } else { b_tsn.wrapping_add(1000) };
        let mut shutdown = vec![wire::CT_SHUTDOWN, 0, 0, 8];
        shutdown.extend_from_slice(&cum.to_be_bytes());
        p.b.input(p.now, &packet(5001, 5000, to_b, &[&shutdown]));
        let start = p.now;
        while (p.seen_a.closed().is_none() || p.seen_b.closed().is_none()) && p.now - start < Duration::from_secs(10) {
            p.advance(Duration::from_millis(100));
        }
        assert!(p.seen_a.closed().is_some(), "a ({right_cum}): {:?}", p.seen_a.events);
        assert!(p.seen_b.closed().is_some(), "b ({right_cum}): {:?}", p.seen_b.events);
        assert!(p.now - start < Duration::from_secs(5), "after {:?}", p.now - start);
        assert_eq!((p.a.association_count(), p.b.association_count()), (0, 0));
    }
}

// --- attacks --------------------------------------------------------------------------

/// Forged INITs from many ports with random tags, never answered.
fn flood(b: &mut sctp_native::endpoint::Endpoint, now: std::time::Instant, seed: &mut u32, count: u32) {
    for i in 0..count {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 17;
        *seed ^= *seed << 5;
        b.input(now, &packet(1024 + (i % 60000) as u16, 5000, 0, &[&init_chunk(*seed | 1, u32::MAX, 65535, 65535, *seed)]));
    }
}

/// A half-open handshake holds sctp-proto state until valid_cookie_life; with
/// refusal once full, 18 INITs a second kept every real client out. Now the
/// oldest half-open one makes room (SYN-cache style).
#[test]
fn init_flood_is_bounded_and_a_real_client_gets_in_at_once() {
    let mut p = Pair::new();
    let mut seed = 0x1234_5678u32;
    let mut replies = 0;
    for _ in 0..100 {
        flood(&mut p.b, p.now, &mut seed, 1000);
        p.b.pump(p.now);
        replies += p.b.take_out().lens.len();
    }
    assert_eq!(p.b.association_count(), MAX_HANDSHAKING);
    assert_eq!(replies, 100_000, "one INIT ACK each");
    assert_eq!(p.b.counters.evicted_handshakes, 100_000 - MAX_HANDSHAKING as u64);
    // Right after the burst, no time passing: the client gets in.
    p.a.connect(cfg(5001, 5000), p.now).unwrap();
    p.drive();
    assert!(p.seen_a.events.iter().any(|e| e.kind == "connect"), "{:?}", p.seen_a.events);

    // A steady flood, 500 INITs between each step of a second client's handshake.
    let id = p.a.connect(cfg(5002, 5000), p.now).unwrap();
    for _ in 0..4 {
        flood(&mut p.b, p.now, &mut seed, 500);
        p.a.pump(p.now);
        let oa = p.a.take_out();
        p.seen_a.take(&oa);
        common::deliver(&oa, &mut p.b, p.now);
        p.b.pump(p.now);
        let ob = p.b.take_out();
        p.seen_b.take(&ob);
        common::deliver(&ob, &mut p.a, p.now);
    }
    assert!(p.seen_a.events.iter().any(|e| e.kind == "connect" && e.assoc == id), "{:?}", p.seen_a.events);
    assert!(p.b.association_count() <= MAX_HANDSHAKING + 2);
}

/// An ABORT answering our INIT ACK, or a client that gives up right after its
/// INIT, freed its handshake only when valid_cookie_life ran out.
#[test]
fn an_abort_frees_a_handshake_at_once() {
    // The client destroys itself before any answer: ABORT with the T bit and its own tag.
    let mut p = Pair::new();
    let id = p.a.connect(cfg(5001, 5000), p.now).unwrap();
    p.a.pump(p.now);
    let init = p.a.take_out();
    common::deliver(&init, &mut p.b, p.now);
    p.b.pump(p.now);
    let _init_ack = p.b.take_out(); // lost
    assert_eq!(p.b.association_count(), 1);
    p.a.abort(id);
    p.drive();
    assert_eq!(p.b.association_count(), 0);
    assert!(p.seen_b.events.is_empty(), "a handshake JS never saw ends silently");

    // A forged INIT, then an ABORT on the tag of our INIT ACK.
    let mut p = Pair::new();
    p.b.input(p.now, &packet(6000, 5000, 0, &[&init_chunk(0x5555_0001, 65536, 4, 4, 1)]));
    p.b.pump(p.now);
    let out = p.b.take_out();
    let ack = out.each_packet().next().unwrap();
    let ours = wire::init_info(wire::chunks(ack).next().unwrap().value).unwrap().initiate_tag;
    p.b.input(p.now, &packet(6000, 5000, ours, &[&[wire::CT_ABORT, 0, 0, 4]]));
    p.b.pump(p.now);
    assert_eq!(p.b.association_count(), 0);
}

/// A DATA chunk: flags, then TSN, stream, SSN, PPID and payload.
fn data_chunk(flags: u8, tsn: u32, stream: u16, ssn: u16, payload: &[u8]) -> Vec<u8> {
    let mut c = vec![wire::CT_DATA, flags];
    c.extend_from_slice(&((16 + payload.len()) as u16).to_be_bytes());
    c.extend_from_slice(&tsn.to_be_bytes());
    c.extend_from_slice(&stream.to_be_bytes());
    c.extend_from_slice(&ssn.to_be_bytes());
    c.extend_from_slice(&51u32.to_be_bytes());
    c.extend_from_slice(payload);
    c
}

const WHOLE: u8 = wire::DATA_FLAG_BEGIN | wire::DATA_FLAG_END;

/// A connected pair where `a` has sent one message (TSN t0, SSN 0 on stream 0)
/// and b is then fed packets forged in a's name: a hears b no more (b's SACKs
/// of TSNs a never sent would make a abort). Returns the pair, b's association
/// id, t0 and the tag b expects.
fn after_one_message() -> (Pair, u32, u32, u32) {
    let (mut p, a_id, b_id) = Pair::connected();
    p.a.send(a_id, 0, 51, false, (0, 0), b"first").unwrap();
    p.advance(Duration::from_millis(300));
    let t0 = p.first_data_tsn(Dir::AtoB).unwrap();
    let (_, to_b) = p.tags();
    p.drop = Box::new(|d, _| d == Dir::BtoA);
    (p, b_id, t0, to_b)
}

/// b's last SACK so far: (cumulative TSN, gap blocks).
fn last_sack(p: &Pair) -> (u32, u16) {
    p.log.iter().rev().find_map(|(d, x, _)| (*d == Dir::BtoA).then(|| sack_of(x)).flatten()).unwrap()
}

/// Feeds b `chunks` in packets of 50 as `a` would send them; returns every packet b sent back.
fn forge_into_b(p: &mut Pair, to_b: u32, chunks: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut sent = Vec::new();
    for batch in chunks.chunks(50) {
        let refs: Vec<&[u8]> = batch.iter().map(|c| c.as_slice()).collect();
        p.b.more_coming = true;
        p.b.input(p.now, &packet(5001, 5000, to_b, &refs));
        p.b.more_coming = false;
        p.b.pump(p.now);
        let out = p.b.take_out();
        p.seen_b.take(&out);
        sent.extend(out.each_packet().map(|x| x.to_vec()));
    }
    sent
}

fn sack_of(pkt: &[u8]) -> Option<(u32, u16)> {
    wire::chunks(pkt).find(|c| c.typ == wire::CT_SACK).map(|c| (wire::sack_cum_tsn(c.value).unwrap(), u16::from_be_bytes([c.value[8], c.value[9]])))
}

/// A peer sending every other TSN above a hole drove our SACK past 16,380 gap
/// blocks: its 16-bit length wrapped, and packets of up to 67 KB went out whose
/// tail parsed as forged chunks under our own tag.
#[test]
fn a_sack_never_outgrows_a_packet() {
    let (mut p, _, t0, to_b) = after_one_message();
    let chunks: Vec<Vec<u8>> = (1..=40_000u32).map(|k| data_chunk(WHOLE | wire::DATA_FLAG_UNORDERED, t0 + 1 + 2 * k, 0, 0, b"x")).collect();
    let sent = forge_into_b(&mut p, to_b, &chunks);
    let bytes_in: usize = chunks.iter().map(|c| c.len()).sum();
    let bytes_out: usize = sent.iter().map(|x| x.len()).sum();
    assert!(sent.iter().all(|x| x.len() <= wire::MAX_PACKET), "largest {}", sent.iter().map(|x| x.len()).max().unwrap());
    assert!(sent.iter().all(|x| types(x) == [wire::CT_SACK]), "only SACKs: {:?}", sent.iter().map(|x| types(x)).find(|t| t != &[wire::CT_SACK]));
    assert!(sent.iter().all(|x| sack_of(x).unwrap().0 == t0), "the hole stays unacknowledged");
    assert!(bytes_out < bytes_in, "{bytes_out} bytes out for {bytes_in} in");
    assert!(p.b.counters.dropped_data > 0);
    assert!(p.seen_b.closed().is_none());
}

/// With more than 32,768 ordered messages waiting behind a gap on one stream,
/// every TSN was acknowledged and nothing delivered once the gap was filled.
#[test]
fn nothing_acknowledged_is_left_undelivered_behind_a_long_gap() {
    let (mut p, _, t0, to_b) = after_one_message();
    let n = 40_000u32;
    // Messages 2..=n (SSN k-1... on stream 0), message 1 (TSN t0+1, SSN 1) withheld.
    let msg = |k: u32| data_chunk(WHOLE, t0 + k, 0, k as u16, &k.to_be_bytes());
    let rest: Vec<Vec<u8>> = (2..=n).map(msg).collect();
    forge_into_b(&mut p, to_b, &rest);
    forge_into_b(&mut p, to_b, &[msg(1)]);
    p.advance(Duration::from_millis(300)); // b's delayed SACK
    let (cum, _) = last_sack(&p);
    let delivered: Vec<u32> = p.seen_b.messages.iter().skip(1).map(|m| u32::from_be_bytes(m.2[..4].try_into().unwrap())).collect();
    assert_eq!(delivered, (1..=cum - t0).collect::<Vec<_>>(), "everything acknowledged is delivered, in order");
    assert_eq!(cum - t0, repair::MAX_TSN_AHEAD, "the window held {} messages", cum - t0);
    // The peer retransmits what was not acknowledged; it all arrives.
    let again: Vec<Vec<u8>> = (cum - t0 + 1..=n).map(msg).collect();
    forge_into_b(&mut p, to_b, &again);
    assert_eq!(p.seen_b.messages.len() as u32, n + 1);
    assert!(p.seen_b.closed().is_none());
}

/// RFC 9260 §8.5.1: a T-bit ABORT must carry the peer's tag; ours is discarded.
#[test]
fn a_t_bit_abort_with_the_receivers_own_tag_is_discarded() {
    let (mut p, a_id, _) = Pair::connected();
    let (to_a, to_b) = p.tags();
    p.b.input(p.now, &packet(5001, 5000, to_b, &[&[wire::CT_ABORT, wire::FLAG_T, 0, 4]]));
    p.a.input(p.now, &packet(5000, 5001, to_a, &[&[wire::CT_SHUTDOWN_COMPLETE, wire::FLAG_T, 0, 4]]));
    p.drive();
    assert!(p.seen_a.closed().is_none() && p.seen_b.closed().is_none());
    p.a.send(a_id, 0, 51, false, (0, 0), b"still here").unwrap();
    p.advance(Duration::from_millis(300));
    assert_eq!(p.seen_b.payloads(), [b"still here".to_vec()]);
    // With the peer's tag it is an ABORT (what usrsctp sends out of the blue).
    p.b.input(p.now, &packet(5001, 5000, to_a, &[&[wire::CT_ABORT, wire::FLAG_T, 0, 4]]));
    p.drive();
    assert_eq!(p.seen_b.closed().and_then(|e| e.code.clone()).as_deref(), Some("ECONNRESET"));
}

/// RFC 9260 §6.5: DATA on a stream at or above our inbound stream count is
/// acknowledged, discarded and answered with an ERROR (Invalid Stream Identifier).
#[test]
fn data_above_the_inbound_stream_count_is_discarded_with_an_error() {
    let (mut p, _, t0, to_b) = after_one_message();
    let sent = forge_into_b(&mut p, to_b, &[data_chunk(WHOLE, t0 + 1, 9, 0, b"nope"), data_chunk(WHOLE, t0 + 2, 1, 0, b"fine")]);
    assert_eq!(p.seen_b.payloads(), [b"first".to_vec(), b"fine".to_vec()]);
    assert_eq!(p.b.counters.invalid_stream_messages, 1);
    let error = sent.iter().flat_map(|x| wire::chunks(x).filter(|c| c.typ == wire::CT_ERROR).map(|c| c.value.to_vec()).collect::<Vec<_>>()).next();
    assert_eq!(error.as_deref(), Some(&[0, 1, 0, 8, 0, 9, 0, 0][..]));
    p.advance(Duration::from_millis(300));
    assert_eq!(last_sack(&p).0, t0 + 2, "both acknowledged");
    assert!(p.seen_b.closed().is_none());
}

/// An application that holds what it received closes the window the peer sees;
/// reading it reopens the window at once (a window update, not a probe per RTO).
#[test]
fn a_reader_that_holds_its_messages_closes_the_window() {
    let (mut p, a_id, b_id) = Pair::connected();
    let rwnd = cfg(0, 0).receive_window() as usize;
    let total = 3 * rwnd;
    let received = |p: &Pair| p.seen_b.messages.iter().map(|m| m.2.len()).sum::<usize>();
    let mut queued = 0;
    // 10 ms of the pair's life with a at most 1 MiB ahead, b's application
    // reporting after every crossing what it holds (as JavaScript does per batch).
    let mut step = |p: &mut Pair, reading: bool| {
        p.now += Duration::from_millis(10);
        for _ in 0..10_000 {
            while queued < total {
                let Ok(buffered) = p.a.send(a_id, 0, 53, false, (0, 0), &[1; 16384]) else { break };
                queued += 16384;
                if buffered >= 1 << 20 {
                    break;
                }
            }
            p.a.pump(p.now);
            p.b.pump(p.now);
            let (oa, ob) = (p.a.take_out(), p.b.take_out());
            p.seen_a.take(&oa);
            p.seen_b.take(&ob);
            if oa.lens.is_empty() && ob.lens.is_empty() {
                break;
            }
            p.carry(Dir::AtoB, &oa);
            p.carry(Dir::BtoA, &ob);
            p.b.set_held(b_id, if reading { 0 } else { received(p) as u32 });
        }
    };
    for _ in 0..200 {
        step(&mut p, false);
    }
    let held = received(&p);
    let bound = rwnd + repair::PROBE_ROOM as usize + 65536;
    assert!(held <= bound, "{held} bytes arrived for a {rwnd}-byte window");
    assert!(held >= rwnd, "the window was used: {held}");
    assert!(p.seen_a.closed().is_none() && p.seen_b.closed().is_none(), "a probing peer hears from us");
    let stalled_at = p.now;
    let mark = p.log.len();
    p.b.set_held(b_id, 0); // read everything
    step(&mut p, true);
    // A zero-window probe comes only per RTO (100 ms and up here): the window
    // update brought DATA within the same 10 ms.
    assert!(p.log[mark..].iter().any(|(d, x, _)| *d == Dir::AtoB && types(x).contains(&wire::CT_DATA)), "no DATA in the 10 ms after reading");
    while received(&p) < total && p.now < stalled_at + Duration::from_secs(5) {
        step(&mut p, true);
    }
    assert_eq!(received(&p), total, "all of it, once read");
}

#[test]
fn blind_abort_and_shutdown_change_nothing() {
    let (mut p, a_id, _) = Pair::connected();
    let (to_a, to_b) = p.tags();
    let chunks: [&[u8]; 5] = [&[wire::CT_ABORT, 0, 0, 4], &[wire::CT_ABORT, 1, 0, 4], &[wire::CT_SHUTDOWN, 0, 0, 8, 0, 0, 0, 0], &[wire::CT_SHUTDOWN_ACK, 0, 0, 4], &[wire::CT_SHUTDOWN_COMPLETE, 0, 0, 4]];
    for c in chunks {
        for wrong in [to_b ^ 0x8000_0000, to_b.wrapping_add(1), 0, 0xffff_ffff] {
            p.b.input(p.now, &packet(5001, 5000, wrong, &[c]));
        }
        for wrong in [to_a ^ 0x8000_0000, to_a.wrapping_sub(1), 0] {
            p.a.input(p.now, &packet(5000, 5001, wrong, &[c]));
        }
    }
    p.drive();
    p.a.send(a_id, 0, 51, false, (0, 0), b"unbothered").unwrap();
    p.advance(Duration::from_millis(500));
    assert_eq!(p.seen_b.payloads(), [b"unbothered".to_vec()]);
    assert!(p.seen_a.closed().is_none() && p.seen_b.closed().is_none());
}

/// A well-tagged SACK whose gap blocks cover 16-bit ranges many times over
/// costs sctp-proto a loop per TSN covered; a packet of them must not stall us.
#[test]
fn sack_with_huge_gap_blocks_is_cheap() {
    let (mut p, a_id, _) = Pair::connected();
    p.a.send(a_id, 0, 51, false, (0, 0), &[7; 1000]).unwrap();
    p.advance(Duration::from_millis(300)); // b's delayed SACK
    let (to_a, _) = p.tags();
    let cum = p
        .log
        .iter()
        .rev()
        .find_map(|(d, pkt, _)| (*d == Dir::BtoA).then(|| wire::chunks(pkt).find(|c| c.typ == wire::CT_SACK).and_then(|c| wire::sack_cum_tsn(c.value))).flatten())
        .expect("b acknowledged");
    let blocks = 2000u16;
    let mut sack = vec![wire::CT_SACK, 0];
    sack.extend_from_slice(&(16 + 4 * blocks).to_be_bytes());
    sack.extend_from_slice(&cum.to_be_bytes());
    sack.extend_from_slice(&(1u32 << 20).to_be_bytes());
    sack.extend_from_slice(&blocks.to_be_bytes());
    sack.extend_from_slice(&0u16.to_be_bytes());
    for _ in 0..blocks {
        sack.extend_from_slice(&1u16.to_be_bytes());
        sack.extend_from_slice(&0xffffu16.to_be_bytes());
    }
    let pkt = packet(5000, 5001, to_a, &[&sack]);
    let started = std::time::Instant::now();
    p.a.input(p.now, &pkt);
    p.drive();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "one SACK took {took:?}");
}

/// sctp-proto gave up on a chunk it rejected in the same batch as the peer's
/// SHUTDOWN (seen against usrsctp: `unable to be popped from inflight queue
/// TSN`), and the driver answered the peer's orderly close with an ABORT. A
/// SHUTDOWN that acknowledges everything we sent now gets its SHUTDOWN ACK;
/// one that does not is an error on our side, not a clean end.
#[test]
fn a_shutdown_after_a_rejected_chunk_still_gets_its_shutdown_ack() {
    for acked_all in [true, false] {
        let (mut p, a_id, _) = Pair::connected();
        p.a.send(a_id, 0, 51, false, (0, 0), b"last words").unwrap();
        p.advance(Duration::from_millis(300));
        let t = p.first_data_tsn(Dir::AtoB).unwrap();
        let (to_a, _) = p.tags();
        // b's last SACK acknowledged TSN t; now a SACK of a TSN a never sent, and b's SHUTDOWN.
        let mut bad = vec![wire::CT_SACK, 0, 0, 16];
        bad.extend_from_slice(&(t + 5).to_be_bytes());
        bad.extend_from_slice(&65536u32.to_be_bytes());
        bad.extend_from_slice(&[0, 0, 0, 0]);
        let shutdown_ack = if acked_all { t } else { t - 1 };
        let mut shutdown = vec![wire::CT_SHUTDOWN, 0, 0, 8];
        shutdown.extend_from_slice(&shutdown_ack.to_be_bytes());
        p.drop = Box::new(|d, _| d == Dir::AtoB); // b is the forger now
        let mark = p.log.len();
        p.a.input(p.now, &packet(5000, 5001, to_a, &[&bad, &shutdown]));
        p.drive();
        let answers: Vec<Vec<u8>> = p.log[mark..].iter().filter(|(d, _, _)| *d == Dir::AtoB).map(|(_, x, _)| types(x)).collect();
        let closed = p.seen_a.closed().expect("a closed");
        if acked_all {
            assert_eq!(answers, vec![vec![wire::CT_SHUTDOWN_ACK]]);
            assert_eq!(closed.code, None, "a clean end");
        } else {
            assert_eq!(answers, vec![vec![wire::CT_ABORT]]);
            assert_eq!(closed.code.as_deref(), Some("ECONNRESET"));
        }
    }
}

/// A forged INIT that crosses ours (the ports are all a blind attacker needs)
/// made us yield in the INIT collision and drop our own handshake: the real
/// peer's INIT ACK then found nothing. Our handshake is set aside, not dropped.
#[test]
fn a_blind_init_crossing_ours_does_not_hijack_the_handshake() {
    let mut p = Pair::new();
    let id = p.a.connect(cfg(5001, 5000), p.now).unwrap();
    p.a.pump(p.now);
    let init = p.a.take_out(); // our INIT, held back for a moment
    // The attacker's INIT, with the highest tag: we yield to it.
    p.a.input(p.now, &packet(5000, 5001, 0, &[&init_chunk(0xffff_ffff, 65536, 4, 4, 7)]));
    assert_eq!(p.a.collisions, 1);
    p.a.pump(p.now);
    let _answer_to_attacker = p.a.take_out();
    common::deliver(&init, &mut p.b, p.now);
    p.drive();
    assert!(p.seen_a.kinds().is_empty(), "the served (forged) handshake gets its grace");
    p.advance(Duration::from_millis(700));
    assert!(p.seen_a.events.iter().any(|e| e.kind == "connect" && e.assoc == id), "{:?}", p.seen_a.kinds());
    assert!(p.seen_b.kinds().contains(&"connect"));
    p.a.send(id, 0, 51, false, (0, 0), b"still ours").unwrap();
    p.advance(Duration::from_millis(300));
    assert_eq!(p.seen_b.payloads(), [b"still ours".to_vec()]);
}
