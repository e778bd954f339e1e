//! Packets injected into an established association (both directions), with
//! the two endpoints still talking to each other between injections: data,
//! SACK, SHUTDOWN, ABORT, RE-CONFIG, FORWARD-TSN … with the right tag, a
//! real cookie and a valid CRC32c when the fuzzer asks for them.
#![no_main]

mod common;

use std::time::Duration;

use common::{ops, shape, Pair, OTHER, TIME};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut p = Pair::established();
    for (ctl, bytes) in ops(data) {
        if ctl & OTHER != 0 {
            let pkt = shape(ctl, bytes, &p.to_a);
            p.a.input(p.now, &pkt);
        } else {
            let pkt = shape(ctl, bytes, &p.to_b);
            p.b.input(p.now, &pkt);
        }
        if ctl & TIME != 0 {
            p.advance(Duration::from_millis(100));
        } else {
            p.drive();
        }
    }
    // Whatever state that left, the endpoints must still take writes and time.
    let _ = p.a.send(p.a_id, 0, 51, false, (0, 0), b"after the fuzz");
    p.advance(Duration::from_millis(300));
    assert_eq!(p.a.counters.panics + p.b.counters.panics, 0, "a panic was caught inside an endpoint");
});
