//! The JavaScript face of `endpoint::Endpoint`: a few coarse calls. Packets
//! go in and all output comes out through two buffers JavaScript owns and
//! reuses (`io` bytes, `meta` words; layout in `events`), so a crossing costs
//! no allocation on either side. Every call catches panics, so none can unwind
//! into Node; the endpoint additionally contains a panic to the association
//! that raised it.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use napi::bindgen_prelude::{BufferSlice, Function, Uint32ArraySlice};
use napi::{Env, JsValue};
use napi_derive::napi;

use crate::assoc::Stats;
use crate::config::AssocConfig;
use crate::endpoint::{Counters, Endpoint};
use crate::events::{Cursor, HEAD, PEER};
use crate::udp::{Inbox, Udp, TURN_BYTES};
use crate::uvpoll::Poll;

#[napi(object)]
pub struct EndpointStats {
    pub packets_in: f64,
    pub packets_out: f64,
    pub malformed: f64,
    pub bad_checksum: f64,
    pub out_of_the_blue: f64,
    pub refused_inits: f64,
    pub evicted_handshakes: f64,
    pub dropped_data: f64,
    /// Messages on streams above our inbound stream count, discarded (RFC 9260 §6.5).
    pub invalid_stream_messages: f64,
    pub panics: f64,
    pub associations: u32,
}

#[napi]
pub struct NativeEndpoint {
    inner: Endpoint,
    /// How much of `inner.out` JavaScript has received so far.
    cursor: Cursor,
    test_hooks: bool,
    /// The native UDP path: packets come from and go to this socket, not JavaScript.
    udp: Option<Arc<Udp>>,
    /// The datagrams last read from `udp`, kept for their allocations.
    taken: Inbox,
}

/// "address port", as JavaScript passes a UDP peer.
fn parse_addr(what: &str, s: &str) -> napi::Result<SocketAddr> {
    let parsed = s.rsplit_once(' ').and_then(|(ip, port)| Some(SocketAddr::new(ip.parse().ok()?, port.parse().ok()?)));
    parsed.ok_or_else(|| napi::Error::from_reason(format!("{what}: not an IP address and port: {s}")))
}

/// What a UDP socket saw.
#[napi(object)]
pub struct UdpStats {
    pub datagrams_in: f64,
    pub datagrams_out: f64,
    pub dropped_in: f64,
    pub send_errors: f64,
}

/// A UDP socket owned by Rust (see `udp`), held by JavaScript's UdpTransport;
/// the endpoints on it borrow it.
#[napi]
pub struct NativeUdp {
    udp: Arc<Udp>,
    poll: Poll,
}

#[napi]
impl NativeUdp {
    /// `fd`: a bound socket to take a duplicate of (JavaScript stops reading it);
    /// `peer` ("address port"): the only peer, or none; `wake` runs, as an I/O
    /// callback, whenever datagrams wait (until they are read: it must read them).
    #[napi(constructor)]
    pub fn new(env: Env, fd: i32, peer: Option<String>, buffer_size: u32, wake: Function<(), ()>) -> napi::Result<Self> {
        let peer = peer.map(|p| parse_addr("peer", &p)).transpose()?;
        let udp = Udp::open(fd, peer, buffer_size).map_err(|e| napi::Error::from_reason(e.to_string()))?;
        // SAFETY: this call's env and function; the socket lives as long as `udp`, which outlives the poll.
        let poll = unsafe { Poll::start(env.raw(), wake.raw(), udp.fd())? };
        Ok(NativeUdp { udp, poll })
    }

    /// Reads and drops what waits (no endpoint takes it).
    #[napi(catch_unwind)]
    pub fn discard(&self) {
        let mut scratch = Inbox::default();
        self.udp.recv(&mut scratch);
        let n = scratch.each().count() as u64;
        self.udp.counters.dropped_in.fetch_add(n, Ordering::Relaxed);
    }

    /// Whether the open socket keeps the process running (yes by default).
    #[napi(catch_unwind, js_name = "setRef")]
    pub fn set_ref(&self, on: bool) {
        self.poll.set_ref(on);
    }

    #[napi(catch_unwind)]
    pub fn stats(&self) -> UdpStats {
        let c = &self.udp.counters;
        UdpStats {
            datagrams_in: c.datagrams_in.load(Ordering::Relaxed) as f64,
            datagrams_out: c.datagrams_out.load(Ordering::Relaxed) as f64,
            dropped_in: c.dropped_in.load(Ordering::Relaxed) as f64,
            send_errors: c.send_errors.load(Ordering::Relaxed) as f64,
        }
    }

    /// Stops reading; the socket closes once no endpoint holds it.
    #[napi(catch_unwind)]
    pub fn close(&mut self) {
        self.poll.close();
    }
}

#[napi]
impl NativeEndpoint {
    #[napi(constructor)]
    pub fn new() -> Self {
        NativeEndpoint {
            inner: Endpoint::new(),
            cursor: Cursor::default(),
            test_hooks: std::env::var_os("SCTP_NATIVE_TEST_HOOKS").is_some(),
            udp: None,
            taken: Inbox::default(),
        }
    }

    /// Packets now come from and go to this UDP socket; at most `max_associations` at once.
    #[napi(catch_unwind)]
    pub fn attach_udp(&mut self, udp: &NativeUdp, max_associations: u32) {
        self.udp = Some(udp.udp.clone());
        self.inner.max_associations = max_associations as usize;
    }

    #[napi(catch_unwind)]
    pub fn detach_udp(&mut self) {
        self.udp = None;
    }

    /// Starts an association with the UDP peer at `remote` ("address port").
    #[napi(catch_unwind)]
    pub fn connect_udp(&mut self, cfg: AssocConfig, remote: String) -> napi::Result<u32> {
        let remote = parse_addr("remote", &remote)?;
        self.inner.connect_to(cfg, remote, Instant::now()).map_err(napi::Error::from_reason)
    }

    /// Feeds the datagrams waiting on the UDP socket, a `recvmmsg` batch at a
    /// time with the answers to each sent before the next is read (so SACKs
    /// keep the peer's clock going), up to `TURN_BYTES`; hands over the
    /// messages and events; returns the next timeout.
    #[napi(catch_unwind)]
    pub fn udp_input(&mut self, mut io: BufferSlice, mut meta: Uint32ArraySlice) -> f64 {
        let now = Instant::now();
        if let Some(udp) = self.udp.clone() {
            let mut read = 0;
            loop {
                let more = udp.recv(&mut self.taken);
                read += self.taken.len();
                let batch: Vec<(SocketAddr, &[u8])> = self.taken.each().collect();
                self.inner.input_batch(now, &batch);
                self.inner.pump_after_input(now);
                self.send_udp(&udp);
                if !more || read >= TURN_BYTES {
                    break;
                }
            }
        }
        self.hand_over(now, &mut io, &mut meta)
    }

    /// Accepts associations on `cfg.localPort` (passive: only from `cfg.remotePort`, once).
    #[napi(catch_unwind)]
    pub fn listen(&mut self, cfg: AssocConfig, passive: bool) -> bool {
        self.inner.listen(cfg, passive)
    }

    #[napi(catch_unwind)]
    pub fn unlisten(&mut self, port: u32) {
        self.inner.unlisten(port as u16);
    }

    /// Starts an association (sends INIT on the next flush); returns its id.
    #[napi(catch_unwind)]
    pub fn connect(&mut self, cfg: AssocConfig) -> napi::Result<u32> {
        self.inner.connect(cfg, Instant::now()).map_err(napi::Error::from_reason)
    }

    /// Takes the `count` packets that arrived in this turn of the event loop —
    /// back to back in `io`, their lengths in `meta` after the header — and
    /// hands over the output in their place; returns the next timeout.
    #[napi(catch_unwind)]
    pub fn input(&mut self, mut io: BufferSlice, mut meta: Uint32ArraySlice, count: u32) -> f64 {
        let now = Instant::now();
        let mut at = 0;
        let lens = meta.get(HEAD..HEAD + count as usize).unwrap_or_default();
        let mut batch = Vec::with_capacity(lens.len());
        for &len in lens {
            let Some(p) = io.get(at..at + len as usize) else { break };
            batch.push((PEER, p));
            at += len as usize;
        }
        self.inner.input_batch(now, &batch);
        self.inner.pump_after_input(now);
        self.hand_over(now, &mut io, &mut meta)
    }

    /// Queues one message. Returns the stream's buffered byte count, or a negative `SendError`.
    /// Plain arguments, not an options object: no JavaScript object per message.
    #[allow(clippy::too_many_arguments)]
    #[napi(catch_unwind)]
    pub fn send(&mut self, assoc: u32, stream: u32, ppid: u32, unordered: bool, rel_type: u32, rel_value: u32, data: BufferSlice) -> i64 {
        let Ok(stream) = u16::try_from(stream) else { return crate::assoc::SendError::BadStream as i64 };
        match self.inner.send(assoc, stream, ppid, unordered, (rel_type, rel_value), &data) {
            Ok(buffered) => buffered as i64,
            Err(e) => e as i64,
        }
    }

    /// Bytes queued on a stream and not yet acknowledged.
    #[napi(catch_unwind)]
    pub fn buffered(&mut self, assoc: u32, stream: u32) -> f64 {
        self.inner.assoc(assoc).map_or(0, |a| a.buffered(stream as u16)) as f64
    }

    /// A "low" event when the stream's buffered bytes fall to `level` (slot 0: backpressure, 1: user); negative clears.
    #[napi(catch_unwind)]
    pub fn watch(&mut self, assoc: u32, stream: u32, slot: u32, level: f64) {
        let level = (level >= 0.0).then_some(level as usize);
        if let Some(a) = self.inner.assoc(assoc) {
            a.watch(stream as u16, slot as usize, level);
        }
    }

    /// RFC 6525 reset of our outgoing side of a stream.
    #[napi(catch_unwind)]
    pub fn reset_stream(&mut self, assoc: u32, stream: u32) -> bool {
        let done = self.inner.assoc(assoc).is_some_and(|a| a.reset_stream(stream as u16));
        self.inner.touch(assoc);
        done
    }

    /// The application holds `bytes` of this association's messages unread:
    /// the window advertised to the peer shrinks by as much.
    #[napi(catch_unwind)]
    pub fn set_held(&mut self, assoc: u32, bytes: f64) {
        self.inner.set_held(assoc, bytes.clamp(0.0, f64::from(u32::MAX)) as u32);
    }

    /// An association's statistics; after its 'close' event, the final ones, once.
    #[napi(catch_unwind)]
    pub fn assoc_stats(&mut self, assoc: u32) -> Option<Stats> {
        self.inner.stats(assoc)
    }

    #[napi(catch_unwind)]
    pub fn shutdown(&mut self, assoc: u32) {
        self.inner.shutdown(assoc);
    }

    #[napi(catch_unwind)]
    pub fn abort(&mut self, assoc: u32) {
        self.inner.abort(assoc);
    }

    /// Runs due timers, pumps what writes and calls changed and hands over the
    /// output (or the rest of it: the header says when there is more); returns the next timeout.
    #[napi(catch_unwind)]
    pub fn flush(&mut self, mut io: BufferSlice, mut meta: Uint32ArraySlice) -> f64 {
        let now = Instant::now();
        self.inner.pump(now);
        self.hand_over(now, &mut io, &mut meta)
    }

    /// Associations alive, in whatever state.
    #[napi(catch_unwind)]
    pub fn associations(&self) -> u32 {
        self.inner.association_count() as u32
    }

    #[napi(catch_unwind)]
    pub fn stats(&self) -> EndpointStats {
        let Counters { packets_in, packets_out, malformed, bad_checksum, out_of_the_blue, refused_inits, evicted_handshakes, dropped_data, invalid_stream_messages, panics } =
            self.inner.counters;
        EndpointStats {
            packets_in: packets_in as f64,
            packets_out: packets_out as f64,
            malformed: malformed as f64,
            bad_checksum: bad_checksum as f64,
            out_of_the_blue: out_of_the_blue as f64,
            refused_inits: refused_inits as f64,
            evicted_handshakes: evicted_handshakes as f64,
            dropped_data: dropped_data as f64,
            invalid_stream_messages: invalid_stream_messages as f64,
            panics: panics as f64,
            associations: self.inner.association_count() as u32,
        }
    }

    /// Test-only (SCTP_NATIVE_TEST_HOOKS set): the association panics on its next pump.
    #[napi(catch_unwind)]
    pub fn test_poison(&mut self, assoc: u32) -> bool {
        if self.test_hooks {
            self.inner.poison(assoc);
        }
        self.test_hooks
    }

    /// The packets out so far, to the UDP socket.
    fn send_udp(&mut self, udp: &Udp) {
        self.inner.counters.packets_out += udp.send(&mut self.inner.out) as u64;
    }

    /// Milliseconds to the next timer, or -1 for none. Over UDP the packets leave here.
    fn hand_over(&mut self, now: Instant, io: &mut [u8], meta: &mut Uint32ArraySlice) -> f64 {
        if let Some(udp) = self.udp.clone() {
            self.send_udp(&udp);
        }
        // SAFETY: JavaScript is single-threaded and waits for this call, and
        // the slice lives only for its duration: nothing else touches it.
        let meta = unsafe { meta.as_mut() };
        self.inner.hand_over(&mut self.cursor, io, meta);
        self.inner.next_timeout().map_or(-1.0, |t| t.saturating_duration_since(now).as_secs_f64() * 1000.0)
    }
}
