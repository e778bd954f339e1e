//! The engine ceiling: two sctp-proto endpoints (client + server) in ONE thread,
//! packets serialized to bytes and handed across, no JavaScript and no I/O:
//! what sctp-native could reach with a free binding and a free transport.
//!
//!   cargo bench --bench engine                  # full sizes, each workload capped at 60 s
//!   ENGINE_SECS=5 cargo bench --bench engine    # quick: each workload stops after 5 s
//!   ENGINE_ONLY=bulk,loss ...                   # some of: bulk small pingpong handshakes loss memory
//!   ENGINE_BATCH=2 ...                          # hand over at most 2 datagrams per batch
//!   ENGINE_DEBUG=1 ...                          # sender statistics on stderr
//!
//! Driving is in *batches*, like an event-loop turn: hand over every datagram
//! waiting, let the application read/write, then poll each association once
//! (timeouts, events, poll_transmit until None). Each `Bytes` of a
//! `Payload::RawEncode` is one whole SCTP packet, so one datagram. Time is the
//! real clock; when nothing is in flight we sleep until the next sctp-proto
//! timer, so RTOs and delayed SACKs cost what they cost on a zero-latency network.
//!
//! Batches matter under loss: the receiver answers a whole batch with one SACK,
//! so a gap rarely collects the 3 miss indications fast retransmit needs, and
//! recovery waits for T3 (RTO >= 1 s). Handing over 1-2 datagrams per batch
//! (ENGINE_BATCH) SACKs every second packet, as sctp-proto intends.
//!
//! One line per workload on stdout, then one JSON line with every number.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sctp_proto::{
    Association, AssociationHandle, ClientConfig, DatagramEvent, Endpoint, EndpointConfig, EndpointEvent, Event,
    Payload, PayloadProtocolIdentifier as Ppi, ServerConfig, StreamEvent, TransportConfig,
};

// ---- a counting allocator, for the memory-per-association estimate ----

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new, Relaxed);
        LIVE.fetch_sub(l.size(), Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// ---- the wiring ----

const MIB: f64 = 1048576.0;
const STREAM: u16 = 0;
const CT_SHUTDOWN_COMPLETE: u8 = 14;

/// One endpoint and its associations. `inbox` holds datagrams in flight to it.
struct Side {
    ep: Endpoint,
    peer_addr: SocketAddr,
    assocs: HashMap<AssociationHandle, Association>,
    inbox: Vec<Bytes>,
    connected: Vec<AssociationHandle>,
    closed: Vec<AssociationHandle>,
    /// Datagrams handed over per batch (ENGINE_BATCH; default: all waiting).
    max_batch: usize,
}

impl Side {
    fn new(server: bool, peer_addr: SocketAddr) -> Self {
        let sc = server.then(|| {
            let mut sc = ServerConfig::new();
            sc.transport = transport();
            Arc::new(sc)
        });
        Side {
            ep: Endpoint::new(Arc::new(EndpointConfig::new()), sc),
            peer_addr,
            assocs: HashMap::new(),
            inbox: Vec::new(),
            connected: Vec::new(),
            closed: Vec::new(),
            max_batch: std::env::var("ENGINE_BATCH").ok().and_then(|v| v.parse().ok()).unwrap_or(usize::MAX),
        }
    }

    /// Hands over every datagram waiting for this side (at most `max_batch`).
    fn deliver(&mut self, now: Instant) {
        let n = self.inbox.len().min(self.max_batch);
        let rest = self.inbox.split_off(n);
        for d in std::mem::replace(&mut self.inbox, rest) {
            match self.ep.handle(now, self.peer_addr, None, None, d) {
                Some((h, DatagramEvent::NewAssociation(a))) => {
                    self.assocs.insert(h, a);
                }
                Some((h, DatagramEvent::AssociationEvent(ev))) => {
                    if let Some(a) = self.assocs.get_mut(&h) {
                        a.handle_event(ev);
                    }
                }
                None => {}
            }
        }
    }

    /// Polls each association once: timers, events, then every packet it has.
    fn flush(&mut self, now: Instant, out: &mut Vec<Bytes>, loss: &mut Loss) {
        let mut gone = Vec::new();
        for (h, a) in self.assocs.iter_mut() {
            if a.poll_timeout().is_some_and(|t| t <= now) {
                a.handle_timeout(now);
            }
            let mut lost = false;
            while let Some(ev) = a.poll() {
                match ev {
                    Event::Connected => self.connected.push(*h),
                    Event::Stream(StreamEvent::Opened { .. }) => while a.accept_stream().is_some() {},
                    Event::AssociationLost { .. } | Event::HandshakeFailed { .. } => lost = true,
                    _ => {}
                }
            }
            // sctp-proto says "drained" right at shutdown(); we free on AssociationLost instead.
            while a.poll_endpoint_event().is_some() {}
            let mut completed = false;
            while let Some(t) = a.poll_transmit(now) {
                if let Payload::RawEncode(pkts) = t.payload {
                    // Each Bytes is one whole SCTP packet: one datagram each.
                    for pkt in pkts {
                        completed |= pkt.get(12) == Some(&CT_SHUTDOWN_COMPLETE);
                        if !loss.drop() {
                            out.push(pkt);
                        }
                    }
                }
            }
            // sctp-proto 0.10.8 leaves the side that sent SHUTDOWN COMPLETE open (poll_transmit
            // drops gather_outbound's "done" flag), so a driver closes it, as sctp-native does.
            if completed {
                let _ = a.close();
                while a.poll().is_some() {}
                lost = true;
            }
            if lost {
                gone.push(*h);
            }
        }
        for h in gone {
            self.assocs.remove(&h);
            self.ep.handle_event(h, EndpointEvent::drained());
            self.closed.push(h);
        }
    }

    fn next_timeout(&self) -> Option<Instant> {
        self.assocs.values().filter_map(|a| a.poll_timeout()).min()
    }

    /// Reads every complete message on our stream, calling `f` with each.
    fn read_all(&mut self, h: AssociationHandle, buf: &mut Vec<u8>, mut f: impl FnMut(&[u8])) {
        let Some(a) = self.assocs.get_mut(&h) else { return };
        let Ok(mut s) = a.stream(STREAM) else { return };
        while let Ok(Some(m)) = s.read_sctp() {
            buf.resize(m.len(), 0);
            let n = m.read(buf).expect("the buffer was sized to the message");
            f(&buf[..n]);
        }
    }

    fn write(&mut self, h: AssociationHandle, data: &Bytes) -> bool {
        let a = self.assocs.get_mut(&h).expect("workloads write only on open associations");
        let mut s = match a.stream(STREAM) {
            Ok(s) => s,
            Err(_) => a.open_stream(STREAM, Ppi::Binary).expect("the stream does not exist yet"),
        };
        s.write_sctp(data, Ppi::Binary).is_ok()
    }

    fn buffered(&mut self, h: AssociationHandle) -> usize {
        let a = self.assocs.get_mut(&h).expect("workloads write only on open associations");
        a.stream(STREAM).ok().and_then(|s| s.buffered_amount().ok()).unwrap_or(0)
    }
}

/// Seeded random loss (xorshift64*), so runs are comparable.
struct Loss {
    rate: f64,
    state: u64,
    dropped: u64,
    packets: u64,
}

impl Loss {
    fn none() -> Self {
        Loss { rate: 0.0, state: 0x9e3779b97f4a7c15, dropped: 0, packets: 0 }
    }
    fn drop(&mut self) -> bool {
        self.packets += 1;
        if self.rate == 0.0 {
            return false;
        }
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let r = (self.state.wrapping_mul(0x2545f4914f6cdd1d) >> 11) as f64 / (1u64 << 53) as f64;
        let d = r < self.rate;
        self.dropped += d as u64;
        d
    }
}

struct Pair {
    c: Side,
    s: Side,
    loss: Loss,
    server_addr: SocketAddr,
}

impl Pair {
    fn new() -> Self {
        // Addresses only label the two sides: nothing is sent anywhere.
        let ca = SocketAddr::from(([10, 0, 0, 1], 5001));
        let sa = SocketAddr::from(([10, 0, 0, 2], 5000));
        Pair { c: Side::new(false, sa), s: Side::new(true, ca), loss: Loss::none(), server_addr: sa }
    }

    fn deliver(&mut self, now: Instant) {
        self.c.deliver(now);
        self.s.deliver(now);
    }

    /// Polls both sides; returns whether anything moved (a datagram in flight, an
    /// association connected or closed), i.e. whether the next batch has work.
    fn flush(&mut self, now: Instant) -> bool {
        let events = self.c.connected.len() + self.c.closed.len() + self.s.connected.len() + self.s.closed.len();
        self.c.flush(now, &mut self.s.inbox, &mut self.loss);
        self.s.flush(now, &mut self.c.inbox, &mut self.loss);
        let after = self.c.connected.len() + self.c.closed.len() + self.s.connected.len() + self.s.closed.len();
        !self.c.inbox.is_empty() || !self.s.inbox.is_empty() || after != events
    }

    /// Nothing in flight: sleep until the next timer (a delayed SACK, an RTO).
    fn idle(&self) {
        let next = [self.c.next_timeout(), self.s.next_timeout()].into_iter().flatten().min();
        let wait = next.map_or(Duration::from_millis(1), |t| t.saturating_duration_since(Instant::now()));
        std::thread::sleep(wait.min(Duration::from_millis(50)));
    }

    fn connect(&mut self) -> AssociationHandle {
        let mut cfg = ClientConfig::new();
        cfg.transport = transport();
        let (h, a) = self.c.ep.connect(cfg, self.server_addr).expect("ports are set and the endpoint has room");
        self.c.assocs.insert(h, a);
        h
    }

    /// One association, driven until both sides report Connected.
    fn connected(deadline: Instant) -> (Pair, AssociationHandle, AssociationHandle) {
        let mut p = Pair::new();
        let ch = p.connect();
        while p.c.connected.is_empty() || p.s.connected.is_empty() {
            assert!(Instant::now() < deadline, "handshake stalled");
            let now = Instant::now();
            p.deliver(now);
            if !p.flush(now) {
                p.idle();
            }
        }
        let sh = p.s.connected[0];
        (p, ch, sh)
    }
}

/// Default TransportConfig, with the message-size limits at sctp-native's default
/// (256 KiB; the 16 KiB messages here would fit sctp-proto's 64 KiB too).
fn transport() -> Arc<TransportConfig> {
    Arc::new(TransportConfig::default().with_max_send_message_size(256 * 1024).with_max_receive_message_size(256 * 1024))
}

// ---- workloads ----

struct Cap {
    secs: f64,
}

impl Cap {
    fn deadline(&self) -> Instant {
        Instant::now() + Duration::from_secs_f64(self.secs)
    }
}

/// Sends `total` bytes in `size` messages client → server, keeping at most
/// `window` bytes queued in sctp-proto (the socket's high-water mark).
/// Returns (bytes received, messages received, seconds from first write to the last
/// byte, sender's T3 timeouts, whether the time cap stopped it).
fn one_way(cap: &Cap, total: usize, size: usize, window: usize, loss: f64) -> (usize, u64, f64, u64, bool) {
    let deadline = cap.deadline();
    let (mut p, ch, sh) = Pair::connected(deadline);
    p.loss.rate = loss;
    let msg = Bytes::from(vec![0x5a; size]);
    let (mut sent, mut got, mut msgs) = (0usize, 0usize, 0u64);
    let mut buf = Vec::new();
    let start = Instant::now();
    let mut last = start; // when the last byte arrived
    let mut capped = false;
    while got < total {
        let now = Instant::now();
        if now > deadline {
            capped = true;
            break;
        }
        p.deliver(now);
        p.s.read_all(sh, &mut buf, |m| {
            got += m.len();
            msgs += 1;
        });
        if got >= total {
            last = Instant::now();
            break;
        }
        while sent < total && p.c.buffered(ch) < window {
            assert!(p.c.write(ch, &msg));
            sent += size;
        }
        if !p.flush(now) {
            p.idle();
        }
    }
    let t3 = p.c.assocs.get(&ch).map_or(0, |a| a.stats().get_num_t3timeouts());
    if std::env::var("ENGINE_DEBUG").is_ok() {
        let mut st = p.c.assocs[&ch].stats();
        eprintln!("sent {sent} got {got} dropped {} fast_rtx {} t3 {} sacks {} buffered {}", p.loss.dropped, st.get_num_fast_retrans(), st.get_num_t3timeouts(), st.get_num_sacks(), p.c.buffered(ch));
    }
    let secs = (if capped { Instant::now() } else { last } - start).as_secs_f64();
    (got, msgs, secs, t3, capped)
}

/// Sequential round trips of `size` bytes; returns sorted RTTs in µs.
fn ping_pong(cap: &Cap, count: usize, size: usize) -> (Vec<f64>, bool) {
    let deadline = cap.deadline();
    let (mut p, ch, sh) = Pair::connected(deadline);
    let msg = Bytes::from(vec![7u8; size]);
    let mut buf = Vec::new();
    let mut rtts = Vec::with_capacity(count);
    let mut capped = false;
    'outer: for _ in 0..count {
        let t0 = Instant::now();
        assert!(p.c.write(ch, &msg));
        loop {
            let now = Instant::now();
            if now > deadline {
                capped = true;
                break 'outer;
            }
            p.deliver(now);
            let mut echo = Vec::new();
            p.s.read_all(sh, &mut buf, |m| echo.push(Bytes::copy_from_slice(m)));
            for m in &echo {
                assert!(p.s.write(sh, m));
            }
            let mut back = false;
            p.c.read_all(ch, &mut buf, |_| back = true);
            if back {
                rtts.push(t0.elapsed().as_secs_f64() * 1e6);
                continue 'outer;
            }
            if !p.flush(now) {
                p.idle();
            }
        }
    }
    rtts.sort_by(f64::total_cmp);
    (rtts, capped)
}

/// Opens and gracefully closes associations one after the other on one endpoint pair.
fn handshakes(cap: &Cap, count: usize) -> (usize, f64, bool) {
    let deadline = cap.deadline();
    let mut p = Pair::new();
    let start = Instant::now();
    let mut done = 0;
    let mut capped = false;
    while done < count {
        let ch = p.connect();
        let mut shut = false;
        // Until the client is connected, shut down, and both sides have freed it.
        while !(shut && p.c.assocs.is_empty() && p.s.assocs.is_empty()) {
            let now = Instant::now();
            if now > deadline {
                capped = true;
                break;
            }
            p.deliver(now);
            if !shut && p.c.connected.contains(&ch) && !p.s.connected.is_empty() {
                let a = p.c.assocs.get_mut(&ch).expect("connected, not yet shut down");
                a.shutdown().expect("an established association can shut down");
                shut = true;
            }
            if !p.flush(now) {
                p.idle();
            }
        }
        if capped {
            break;
        }
        p.c.connected.clear();
        p.s.connected.clear();
        done += 1;
    }
    if std::env::var("ENGINE_DEBUG").is_ok() {
        eprintln!("{} packets for {done} handshakes", p.loss.packets);
    }
    (done, start.elapsed().as_secs_f64(), capped)
}

/// Opens `count` associations at once and leaves them idle; live heap growth per association.
fn idle_memory(cap: &Cap, count: usize) -> (usize, f64, bool) {
    let deadline = cap.deadline();
    let mut p = Pair::new();
    let before = LIVE.load(Relaxed);
    for _ in 0..count {
        p.connect();
    }
    let mut capped = false;
    while p.c.connected.len() < count || p.s.connected.len() < count {
        let now = Instant::now();
        if now > deadline {
            capped = true;
            break;
        }
        p.deliver(now);
        if !p.flush(now) {
            p.idle();
        }
    }
    // The bookkeeping vectors are ours, not the engine's.
    let ours = (p.c.connected.capacity() + p.s.connected.capacity()) * std::mem::size_of::<AssociationHandle>();
    let grown = LIVE.load(Relaxed).saturating_sub(before).saturating_sub(ours);
    let n = p.c.connected.len().min(p.s.connected.len()).max(1);
    // Both ends of each association live in this process: per association = half of per pair.
    (n, grown as f64 / n as f64 / 2.0, capped)
}

fn main() {
    let secs: f64 = std::env::var("ENGINE_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(60.0);
    // ENGINE_ONLY=bulk,loss runs just those workloads.
    let only = std::env::var("ENGINE_ONLY").unwrap_or_default();
    let run = |name: &str| only.is_empty() || only.split(',').any(|w| w == name);
    let cap = Cap { secs };
    let note = |c: bool| if c { format!(" (capped at {secs} s)") } else { String::new() };
    let mut json = Vec::<String>::new();

    if run("bulk") {
        let (bytes, _, t, _, c) = one_way(&cap, 64 << 20, 16 << 10, 1 << 20, 0.0);
        let mib = bytes as f64 / MIB;
        println!("bulk       {:8.1} MiB/s   ({mib:.1} MiB in 16 KiB messages in {t:.2} s){}", mib / t, note(c));
        json.push(format!("\"bulk_mib_s\":{:.2},\"bulk_mib\":{mib:.1},\"bulk_capped\":{c}", mib / t));
    }
    if run("small") {
        let (_, msgs, t, _, c) = one_way(&cap, 200_000 * 100, 100, 256 << 10, 0.0);
        println!("small      {:8.0} msgs/s  ({msgs} messages of 100 B in {t:.2} s){}", msgs as f64 / t, note(c));
        json.push(format!("\"small_msgs_s\":{:.0},\"small_msgs\":{msgs},\"small_capped\":{c}", msgs as f64 / t));
    }
    if run("pingpong") {
        let (rtts, c) = ping_pong(&cap, 5_000, 64);
        let pct = |q: f64| rtts.get(((rtts.len() as f64 * q) as usize).min(rtts.len().saturating_sub(1))).copied().unwrap_or(0.0);
        let (med, p99, n) = (pct(0.5), pct(0.99), rtts.len());
        println!("ping-pong  {med:8.1} µs median, {p99:.1} µs p99 ({n} round trips of 64 B){}", note(c));
        json.push(format!("\"pingpong_median_us\":{med:.1},\"pingpong_p99_us\":{p99:.1},\"pingpong_count\":{n},\"pingpong_capped\":{c}"));
    }
    if run("handshakes") {
        let (n, t, c) = handshakes(&cap, 1_000);
        println!("handshakes {:8.0} /s      ({n} opened and gracefully closed in {t:.2} s){}", n as f64 / t, note(c));
        json.push(format!("\"handshakes_s\":{:.0},\"handshakes\":{n},\"handshakes_capped\":{c}", n as f64 / t));
    }
    if run("loss") {
        let (bytes, _, t, t3, c) = one_way(&cap, 64 << 20, 16 << 10, 1 << 20, 0.01);
        let mib = bytes as f64 / MIB;
        println!("bulk 1%    {:8.1} MiB/s   ({mib:.1} MiB with 1% loss both ways in {t:.2} s, {t3} T3 timeouts){}", mib / t, note(c));
        json.push(format!("\"loss_mib_s\":{:.2},\"loss_mib\":{mib:.1},\"loss_t3_timeouts\":{t3},\"loss_capped\":{c}", mib / t));
    }
    if run("memory") {
        let (n, per, c) = idle_memory(&cap, 10_000);
        println!("memory     {per:8.0} B per idle association ({n} open; half of each pair's heap){}", note(c));
        json.push(format!("\"idle_bytes_per_assoc\":{per:.0},\"idle_assocs\":{n},\"idle_capped\":{c}"));
    }
    println!("{{\"impl\":\"engine\",\"cap_secs\":{secs},{}}}", json.join(","));
}
