//! The driver's behaviour between two of its endpoints (see `common::Pair`).

mod common;

use std::time::Duration;

use common::{deliver, Dir, Pair};
use sctp_native::config::AssocConfig;
use sctp_native::events::Out;
use sctp_native::wire;

fn cfg(local: u32, remote: u32) -> AssocConfig {
    AssocConfig { valid_cookie_life: 60000.0, ..AssocConfig::for_tests(local, remote) }
}

fn connected_pair() -> (Pair, u32) {
    let mut p = Pair::default();
    assert!(p.b.listen(cfg(5000, 0), false));
    let id = p.a.connect(cfg(5001, 5000), p.now).unwrap();
    p.drive();
    assert_eq!(p.seen_a.kinds(), ["connect"]);
    assert_eq!(p.seen_b.kinds(), ["connect"]);
    (p, id)
}

#[test]
fn handshake_reports_ports_and_negotiated_streams() {
    let (p, _) = connected_pair();
    let e = &p.seen_b.events[0];
    assert_eq!((e.local_port, e.remote_port, e.os, e.mis), (Some(5000), Some(5001), Some(4), Some(4)));
}

#[test]
fn messages_keep_boundaries_and_any_ppid() {
    let (mut p, id) = connected_pair();
    for (i, ppid) in [3u32, 0, 53, 51, 46, 58, 1234567].iter().enumerate() {
        p.a.send(id, (i % 4) as u16, *ppid, false, (0, 0), &vec![i as u8; 100 + i]).unwrap();
    }
    p.drive();
    // Order holds within a stream, not across streams.
    let mut got: Vec<(u32, u32, usize)> = p.seen_b.messages.iter().map(|(s, pp, d)| (*s, *pp, d.len())).collect();
    got.sort_by_key(|m| m.0);
    assert_eq!(got, [(0, 3, 100), (0, 46, 104), (1, 0, 101), (1, 58, 105), (2, 53, 102), (2, 1234567, 106), (3, 51, 103)]);
}

#[test]
fn large_message_is_fragmented_and_reassembled() {
    let (mut p, id) = connected_pair();
    let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7) as u8).collect();
    p.a.send(id, 0, 0, false, (0, 0), &big).unwrap();
    p.drive();
    assert_eq!(p.seen_b.messages.len(), 1);
    assert_eq!(p.seen_b.messages[0].1, 0);
    assert!(p.seen_b.messages[0].2 == big);
}

#[test]
fn graceful_shutdown_closes_both_sides_without_error() {
    let (mut p, id) = connected_pair();
    p.a.send(id, 0, 53, false, (0, 0), b"last words").unwrap();
    p.a.shutdown(id);
    p.drive();
    p.advance(Duration::from_millis(500));
    assert_eq!(p.seen_b.messages.len(), 1);
    assert_eq!(p.seen_a.kinds(), ["connect", "close"]);
    assert_eq!(p.seen_b.kinds(), ["connect", "end", "close"]);
    assert!(p.seen_a.event("close").code.is_none() && p.seen_b.event("close").code.is_none());
    assert_eq!((p.a.association_count(), p.b.association_count()), (0, 0));
}

#[test]
fn abort_is_econnreset_for_the_peer() {
    let (mut p, id) = connected_pair();
    p.a.abort(id);
    p.drive();
    assert_eq!(p.seen_a.kinds(), ["connect", "close"]);
    assert!(p.seen_a.event("close").code.is_none());
    assert_eq!(p.seen_b.kinds(), ["connect", "close"]);
    assert_eq!(p.seen_b.event("close").code.as_deref(), Some("ECONNRESET"));
    assert_eq!((p.a.association_count(), p.b.association_count()), (0, 0));
}

#[test]
fn init_to_a_closed_port_is_refused_with_abort() {
    let mut p = Pair::default();
    assert!(p.b.listen(cfg(5000, 0), false));
    p.a.connect(cfg(5001, 4999), p.now).unwrap();
    p.drive();
    assert_eq!(p.b.counters.refused_inits, 1);
    assert_eq!(p.seen_a.kinds(), ["close"]);
    assert_eq!(p.seen_a.events[0].code.as_deref(), Some("ECONNREFUSED"));
}

#[test]
fn silent_peer_times_out_after_init_retransmissions() {
    let mut p = Pair::default();
    let id = p.a.connect(cfg(5001, 5000), p.now).unwrap();
    let start = p.now;
    let mut inits = 0;
    while p.a.association_count() > 0 && p.now - start < Duration::from_secs(30) {
        p.a.pump(p.now);
        let out = p.a.take_out();
        inits += out.lens.len();
        p.seen_a.take(&out);
        p.now += Duration::from_millis(10);
    }
    assert_eq!(p.seen_a.kinds(), ["close"]);
    assert_eq!(p.seen_a.events[0].assoc, id);
    assert_eq!(p.seen_a.events[0].code.as_deref(), Some("ETIMEDOUT"));
    assert_eq!(inits, 5, "one INIT and max_init_retransmits=4 retransmissions");
}

#[test]
fn garbage_is_counted_not_fatal() {
    let (mut p, id) = connected_pair();
    let mut seed = 7u32;
    for n in 0..2000 {
        let len = n % 80;
        let junk: Vec<u8> = (0..len).map(|_| { seed = seed.wrapping_mul(1103515245).wrapping_add(12345); (seed >> 16) as u8 }).collect();
        p.b.input(p.now, &junk);
    }
    assert!(p.b.counters.malformed + p.b.counters.bad_checksum > 1900);
    p.a.send(id, 0, 53, false, (0, 0), b"still alive").unwrap();
    p.drive();
    assert_eq!(p.seen_b.messages.last().unwrap().2, b"still alive");
}

fn heartbeat_cfg(local: u32, remote: u32) -> AssocConfig {
    AssocConfig { hb_interval: 200.0, association_max_retrans: 3, ..cfg(local, remote) }
}

#[test]
fn heartbeats_keep_an_idle_association_and_are_answered() {
    let mut p = Pair::default();
    assert!(p.b.listen(heartbeat_cfg(5000, 0), false));
    p.a.connect(heartbeat_cfg(5001, 5000), p.now).unwrap();
    p.drive();
    let before = p.a.counters.packets_out;
    p.advance(Duration::from_secs(5));
    // Idle for 5 s: heartbeats went out (about one per 200 ms + RTO) and nothing closed.
    assert!(p.a.counters.packets_out - before >= 10, "{} packets", p.a.counters.packets_out - before);
    assert_eq!(p.seen_a.kinds(), ["connect"]);
    assert_eq!(p.seen_b.kinds(), ["connect"]);
}

#[test]
fn heartbeats_detect_a_vanished_peer() {
    let mut p = Pair::default();
    assert!(p.b.listen(heartbeat_cfg(5000, 0), false));
    p.a.connect(heartbeat_cfg(5001, 5000), p.now).unwrap();
    p.drive();
    // The peer vanishes: nothing reaches b, nothing comes back.
    let start = p.now;
    while p.a.association_count() > 0 && p.now - start < Duration::from_secs(30) {
        p.now += Duration::from_millis(10);
        p.a.pump(p.now);
        let out = p.a.take_out();
        p.seen_a.take(&out);
    }
    let lost = p.seen_a.event("close");
    assert_eq!(lost.code.as_deref(), Some("ETIMEDOUT"));
    // A heartbeat after 200 ms, then 3 more unanswered, each after the RTO (100 ms initial) backed off: about a second.
    assert!(p.now - start < Duration::from_secs(2), "took {:?}", p.now - start);
}

/// Connects with the default timers, lets `a` write `pending` bytes, then cuts
/// the path both ways; returns how long each side took to report the loss.
fn time_to_report_a_vanished_peer(pending: usize) -> (Duration, Duration) {
    let mut p = Pair::default();
    assert!(p.b.listen(AssocConfig::with_default_timers(5000, 0), false));
    let id = p.a.connect(AssocConfig::with_default_timers(5001, 5000), p.now).unwrap();
    p.drive();
    p.advance(Duration::from_secs(2)); // RTT samples, delayed SACKs out: a settled association
    if pending > 0 {
        p.a.send(id, 0, 53, false, (0, 0), &vec![7u8; pending]).unwrap();
        p.a.pump(p.now);
        let out = p.a.take_out();
        p.seen_a.take(&out);
        common::deliver(&out, &mut p.b, p.now); // b has heard this much, then nothing
    }
    let start = p.now;
    let (mut a_at, mut b_at) = (None, None);
    while (a_at.is_none() || b_at.is_none()) && p.now - start < Duration::from_secs(120) {
        p.now += Duration::from_millis(10);
        p.a.pump(p.now);
        p.b.pump(p.now);
        let (oa, ob) = (p.a.take_out(), p.b.take_out());
        p.seen_a.take(&oa);
        p.seen_b.take(&ob);
        if a_at.is_none() && p.a.association_count() == 0 {
            a_at = Some(p.now - start);
        }
        if b_at.is_none() && p.b.association_count() == 0 {
            b_at = Some(p.now - start);
        }
    }
    assert_eq!(p.seen_a.event("close").code.as_deref(), Some("ETIMEDOUT"));
    assert_eq!(p.seen_b.closed().and_then(|e| e.code.as_deref()), Some("ETIMEDOUT"));
    (a_at.unwrap(), b_at.unwrap())
}

#[test]
fn the_default_timers_report_a_vanished_peer_within_30_s() {
    // Data in flight: the sender after 11 silent T3 timeouts backing off from
    // RTO.min (400 ms) to RTO.max (2 s); the receiver by heartbeats, 10 s after
    // the last packet, retried on the same back-off.
    let (sender, receiver) = time_to_report_a_vanished_peer(4000);
    assert!(sender > Duration::from_secs(15) && sender < Duration::from_secs(22), "sender with data in flight: {sender:?}");
    assert!(receiver > Duration::from_secs(20) && receiver < Duration::from_secs(30), "its receiver: {receiver:?}");
    // Idle: both by heartbeats.
    let (a, b) = time_to_report_a_vanished_peer(0);
    for idle in [a, b] {
        assert!(idle > Duration::from_secs(20) && idle < Duration::from_secs(30), "idle: {idle:?}");
    }
}

#[test]
fn shutdown_acknowledges_the_peers_data_not_our_own() {
    let (mut p, id) = connected_pair();
    // b sends data to a, so a's SHUTDOWN must acknowledge b's TSNs.
    let b_id = p.seen_b.event("connect").assoc;
    p.b.send(b_id, 0, 53, false, (0, 0), b"from b").unwrap();
    p.drive();
    p.advance(Duration::from_millis(300)); // a's delayed SACK goes out
    p.a.shutdown(id);
    p.a.pump(p.now);
    let out = p.a.take_out();
    let mut shutdown_cum = None;
    for pkt in out.each_packet() {
        assert!(sctp_native::wire::checksum_ok(pkt));
        for c in sctp_native::wire::chunks(pkt) {
            if c.typ == sctp_native::wire::CT_SHUTDOWN {
                shutdown_cum = sctp_native::wire::sack_cum_tsn(c.value);
            }
        }
    }
    // b's only DATA chunk carried its initial TSN; find it in what b sent.
    let b_tsn = p.first_data_tsn(Dir::BtoA).expect("b sent DATA");
    assert_eq!(shutdown_cum, Some(b_tsn));
}

/// The chunk types of each packet in `out`.
fn chunk_types(out: &Out) -> Vec<Vec<u8>> {
    out.each_packet().map(|p| sctp_native::wire::chunks(p).map(|c| c.typ).collect()).collect()
}

#[test]
fn a_sack_rides_on_the_answer_written_in_the_same_turn() {
    use sctp_native::wire::{CT_DATA, CT_SACK};
    let (mut p, a_id) = connected_pair();
    let b_id = p.seen_b.event("connect").assoc;
    // Request and answer, as an application on each side would: the answer is
    // written after the request's input, before the next flush.
    let mut sacks_alone = 0;
    let mut sacks_bundled = 0;
    for i in 0..10u8 {
        p.a.send(a_id, 0, 51, false, (0, 0), &[i; 64]).unwrap();
        p.a.pump(p.now);
        let request = p.a.take_out();
        deliver(&request, &mut p.b, p.now);
        p.b.pump_after_input(p.now);
        p.b.send(b_id, 0, 51, false, (0, 0), &[i; 64]).unwrap();
        p.b.pump(p.now);
        let answer = p.b.take_out();
        p.seen_b.take(&answer);
        for types in chunk_types(&request).into_iter().chain(chunk_types(&answer)) {
            match types.as_slice() {
                [CT_SACK] => sacks_alone += 1,
                [CT_SACK, CT_DATA] => sacks_bundled += 1,
                [CT_DATA] => {}
                other => panic!("unexpected packet {other:?}"),
            }
        }
        deliver(&answer, &mut p.a, p.now);
        p.a.pump_after_input(p.now);
    }
    assert_eq!(sacks_alone, 0);
    // Each side acknowledges every second DATA packet: 5 by b, 4 by a (its
    // last SACK still waits for an answer).
    assert_eq!(sacks_bundled, 9);
    assert_eq!(p.seen_b.messages.len(), 10);
}

#[test]
fn a_held_sack_goes_alone_when_nothing_is_written() {
    use sctp_native::wire::CT_SACK;
    let (mut p, a_id) = connected_pair();
    let b_id = p.seen_b.event("connect").assoc;
    // Two DATA packets (the second is to be acknowledged at once) reach a b
    // that answers (it wrote DATA since its last input), and a b that does not.
    for answers in [true, false] {
        if answers {
            p.b.send(b_id, 0, 51, false, (0, 0), b"earlier answer").unwrap();
        }
        p.drive();
        for i in 0..2u8 {
            p.a.send(a_id, 0, 51, false, (0, 0), &[i; 64]).unwrap();
            p.a.pump(p.now);
            let out = p.a.take_out();
            deliver(&out, &mut p.b, p.now);
            p.b.pump_after_input(p.now);
        }
        let at_once = p.b.take_out();
        p.b.pump(p.now);
        let at_flush = p.b.take_out();
        let (held, alone) = if answers { (&at_once, &at_flush) } else { (&at_flush, &at_once) };
        assert!(held.lens.is_empty(), "answers: {answers}");
        assert_eq!(chunk_types(alone), [vec![CT_SACK]], "answers: {answers}");
        p.drive();
    }
}

/// WebRTC has no passive side: both ends send INIT at once (RFC 9260 §5.2.1).
/// sctp-proto answered the peer's INIT in COOKIE-WAIT with ABORT (through the
/// driver's out-of-the-blue rule); two of us never connected.
#[test]
fn simultaneous_open_connects_both_sides() {
    for _ in 0..20 {
        let mut p = Pair::default();
        let a_id = p.a.connect(AssocConfig::for_tests(5000, 5000), p.now).unwrap();
        let b_id = p.b.connect(AssocConfig::for_tests(5000, 5000), p.now).unwrap();
        p.drive();
        let connected = |s: &common::Seen, id| s.events.iter().any(|e| e.kind == "connect" && e.assoc == id);
        assert!(connected(&p.seen_a, a_id) && connected(&p.seen_b, b_id), "a {:?} b {:?}", p.seen_a.kinds(), p.seen_b.kinds());
        assert!(!p.log.iter().any(|(_, x, _)| wire::chunks(x).any(|c| c.typ == wire::CT_ABORT)), "no ABORT");
        p.a.send(a_id, 1, 51, false, (0, 0), b"from a").unwrap();
        p.b.send(b_id, 1, 51, false, (0, 0), b"from b").unwrap();
        p.advance(Duration::from_millis(300));
        assert_eq!(p.seen_b.payloads(), [b"from a".to_vec()]);
        assert_eq!(p.seen_a.payloads(), [b"from b".to_vec()]);
        assert_eq!(p.a.association_count() + p.b.association_count(), 2);
    }
}

/// Closing a WebRTC data channel right after its last message waited for the
/// peer's delayed SACK (200 ms) before the reset could go out.
#[test]
fn a_stream_reset_right_after_data_does_not_wait_for_a_delayed_sack() {
    let mut p = Pair::default();
    assert!(p.b.listen(AssocConfig::for_tests(5000, 0), false));
    let id = p.a.connect(AssocConfig::for_tests(5001, 5000), p.now).unwrap();
    p.drive();
    p.a.send(id, 3, 51, false, (0, 0), b"first").unwrap();
    p.advance(Duration::from_millis(300)); // acknowledged: the peer's SACK state is idle again
    p.a.send(id, 3, 51, false, (0, 0), b"last words").unwrap();
    p.drive(); // out, not yet acknowledged (a delayed SACK is pending)
    let started = p.now;
    assert!(p.a.assoc(id).unwrap().reset_stream(3));
    p.a.touch(id);
    while !p.seen_b.events.iter().any(|e| e.kind == "reset") && p.now - started < Duration::from_secs(1) {
        p.advance(Duration::from_millis(10));
    }
    let took = p.now - started;
    assert!(took <= Duration::from_millis(20), "the peer saw the reset after {took:?}");
    assert_eq!(p.seen_b.payloads(), [b"first".to_vec(), b"last words".to_vec()]);
}

/// sctp-proto fast-retransmits a TSN once; when the retransmission was lost
/// too, only T3 (RTO.min) recovered it. The driver sends it again once SACKs
/// show DATA sent after the retransmission arriving without it.
#[test]
fn a_lost_fast_retransmission_is_recovered_without_a_timeout() {
    // RTO.min well above the round trip (10 ms steps here), as on real paths.
    let slow_timer = |l, r| AssocConfig { rto_min: 400.0, rto_initial: 400.0, ..cfg(l, r) };
    let mut p = Pair::default();
    assert!(p.b.listen(slow_timer(5000, 0), false));
    let id = p.a.connect(slow_timer(5001, 5000), p.now).unwrap();
    p.drive();
    p.a.send(id, 0, 53, false, (0, 0), &[0; 100]).unwrap();
    p.advance(Duration::from_millis(300));
    let victim = p.first_data_tsn(Dir::AtoB).unwrap().wrapping_add(5);
    let mut sent_victim = 0;
    p.drop = Box::new(move |d, pkt| {
        let hit = d == Dir::AtoB && wire::chunks(pkt).any(|c| c.typ == wire::CT_DATA && wire::data_info(c.value).is_some_and(|x| x.tsn == victim));
        if hit {
            sent_victim += 1;
        }
        hit && sent_victim <= 2 // the first transmission and the fast retransmission
    });
    // A steady sender: 4 messages every 10 ms for a second.
    for step in 0..100u32 {
        for i in 0..4 {
            p.a.send(id, 0, 53, false, (0, 0), &[(step * 4 + i) as u8; 1000]).unwrap();
        }
        p.advance(Duration::from_millis(10));
    }
    p.advance(Duration::from_millis(500));
    let st = p.a.assoc(id).unwrap().stats();
    assert_eq!(p.seen_b.messages.len(), 401, "all delivered");
    assert!(st.fast_retransmits >= 1.0, "the first retransmission was a fast one");
    assert_eq!(st.t3_timeouts, 0.0, "no retransmission timeout");
}

/// The answering side of a close: the peer's reset makes sctp-proto reset our
/// side of the stream back, again only once our data on it is acknowledged.
#[test]
fn the_reset_answering_the_peers_does_not_wait_for_a_delayed_sack() {
    let (mut p, a_id) = connected_pair();
    let b_id = p.seen_b.event("connect").assoc;
    p.a.send(a_id, 3, 51, false, (0, 0), b"open").unwrap();
    p.b.send(b_id, 3, 51, false, (0, 0), b"first").unwrap();
    p.advance(Duration::from_millis(300));
    p.b.send(b_id, 3, 51, false, (0, 0), b"last words").unwrap(); // b's data on 3, unacknowledged
    p.drive();
    let started = p.now;
    assert!(p.a.assoc(a_id).unwrap().reset_stream(3)); // a closes its side
    p.a.touch(a_id);
    while !p.seen_a.events.iter().any(|e| e.kind == "reset") && p.now - started < Duration::from_secs(1) {
        p.advance(Duration::from_millis(10));
    }
    let took = p.now - started;
    assert!(took <= Duration::from_millis(30), "b's answering reset reached a after {took:?}");
}

#[test]
fn a_lost_t3_retransmission_is_sent_again_within_round_trips_not_after_a_doubled_rto() {
    let (mut p, id) = connected_pair();
    // The message's first transmission and the T3 retransmission are both lost.
    let mut lost = 0;
    p.drop = Box::new(move |dir, pkt| {
        let data = wire::chunks(pkt).any(|c| c.typ == wire::CT_DATA);
        if dir == Dir::AtoB && data && lost < 2 {
            lost += 1;
            return true;
        }
        false
    });
    p.a.send(id, 0, 53, false, (0, 0), b"once more").unwrap();
    let start = p.now;
    while p.seen_b.payloads().is_empty() && p.now - start < Duration::from_secs(5) {
        p.advance(Duration::from_millis(10));
    }
    let took = p.now - start;
    // RTO 100 ms (rto_initial: no sample yet). Without the probe the second try
    // waits for T3 doubled: 100 + 200 ms. With it: 100 ms + 25 (rto_min / 2).
    assert_eq!(p.seen_b.payloads(), [b"once more".to_vec()]);
    assert!(took < Duration::from_millis(200), "delivered after {took:?}");
    let t3 = p.a.stats(id).unwrap().t3_timeouts;
    assert_eq!(t3, 1.0, "one T3 expiry, then the probe");
}
