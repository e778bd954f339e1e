//! Hostile networks and hostile peers against the driver, in-process and on a
//! fake clock: lost packets at the worst moments, forged and blind packets,
//! floods. Also the regression tests for what fuzzing found.

mod common;

use std::time::Duration;

use common::{Dir, Pair};
use sctp_native::config::AssocConfig;
use sctp_native::endpoint::MAX_HANDSHAKING;
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
    assert!(matches!(a.code.as_deref(), Some("ECONNRESET") | Some("ETIMEDOUT")), "{a:?}");
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

#[test]
fn init_flood_is_bounded_and_a_real_client_gets_in_after_valid_cookie_life() {
    let mut p = Pair::new();
    let mut seed = 0x1234_5678u32;
    let mut replies = 0;
    for i in 0..100_000u32 {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let pkt = packet(1024 + (i % 60000) as u16, 5000, 0, &[&init_chunk(seed | 1, u32::MAX, 65535, 65535, seed)]);
        p.b.input(p.now, &pkt);
        if i % 1000 == 999 {
            p.b.pump(p.now);
            replies += p.b.take_out().lens.len();
        }
    }
    assert_eq!(p.b.association_count(), MAX_HANDSHAKING);
    assert_eq!(replies, MAX_HANDSHAKING, "one INIT ACK each; silence (no ABORT) once full");
    assert_eq!(p.b.counters.refused_inits, 100_000 - MAX_HANDSHAKING as u64);
    // While full, a real client's INITs are refused too; after valid_cookie_life they are not.
    let patient = AssocConfig { max_init_retransmits: 8, ..cfg(5001, 5000) };
    p.a.connect(patient, p.now).unwrap();
    p.advance(Duration::from_millis(3000));
    assert!(p.seen_a.events.iter().any(|e| e.kind == "connect"), "{:?}", p.seen_a.events);
    assert_eq!(p.b.association_count(), 1);
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
