//! Packets from anyone to an endpoint that listens on port 5000 and has no
//! association yet: the path of INITs, forged COOKIE ECHOs and out-of-the-blue
//! packets (`Endpoint::input` → demux, OOTB answers, sctp-proto's parser).
#![no_main]

mod common;

use std::time::{Duration, Instant};

use common::{cfg, ops, shape, Learnt, TIME};
use libfuzzer_sys::fuzz_target;
use sctp_native::endpoint::Endpoint;

/// A real INIT to patch: what a fresh client sends first.
fn templates() -> Vec<Vec<u8>> {
    let mut client = Endpoint::new();
    let now = Instant::now();
    client.connect(cfg(5001, 5000), now).expect("connect cannot fail on a fresh endpoint");
    client.pump(now);
    client.take_out().each_packet().map(<[u8]>::to_vec).collect()
}

fuzz_target!(|data: &[u8]| {
    let mut now = Instant::now();
    let mut ep = Endpoint::new();
    assert!(ep.listen(cfg(5000, 0), false));
    let mut learnt = Learnt { templates: templates(), ..Learnt::default() };
    for (ctl, bytes) in ops(data) {
        let pkt = shape(ctl, bytes, &learnt);
        ep.input(now, &pkt);
        if ctl & TIME != 0 {
            now += Duration::from_millis(100);
        }
        ep.pump(now);
        let out = ep.take_out();
        learnt.learn_from_target(&out);
    }
    assert_eq!(ep.counters.panics, 0, "a panic was caught inside the endpoint");
});
