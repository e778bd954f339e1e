//! The driver of one `sctp_proto::Endpoint` — one per JavaScript transport.
//! Sans-IO like sctp-proto itself: packets and writes come in, every call
//! appends what came out to one `Out`, and the caller reads the next deadline.
//!
//! Beyond sctp-proto the driver owns: SCTP port demultiplexing for new
//! associations (sctp-proto routes by verification tag only), answers to
//! out-of-the-blue packets (RFC 9260 §8.4), freeing finished associations
//! exactly once, and isolating a panic to the association that raised it.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::cell::RefCell;
use std::panic::{self, catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use bytes::Bytes;
use sctp_proto::{ClientConfig, DatagramEvent, Endpoint as ProtoEndpoint, EndpointConfig, EndpointEvent, ServerConfig};

use crate::assoc::{Assoc, Ending, SendError, Stats};
use crate::config::AssocConfig;
use crate::events::{Cursor, Event, Out, PEER};
use crate::repair;
use crate::wire::{self, Inbound};

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Every panic in here is caught and reported as an association's error, so
/// the hook only records what and where for that error's message; the default
/// hook (stderr, backtrace) still runs when RUST_BACKTRACE is set.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(info.to_string().replace('\n', " ")));
            if std::env::var_os("RUST_BACKTRACE").is_some() {
                default(info);
            }
        }));
    });
}

fn last_panic() -> String {
    LAST_PANIC.with(|p| p.borrow_mut().take()).unwrap_or_else(|| "panic".into())
}

/// Incoming associations still in their handshake: each costs sctp-proto state
/// from the INIT on (it has no stateless cookie, RFC 9260 §5.1.3), so an INIT
/// flood is bounded here. When full, the oldest half-open handshake makes room,
/// as a SYN cache does: a real client answers its INIT ACK within a round trip,
/// a flood's forged INITs never do, so the client's slot outlives the flood's
/// as long as fewer than this many INITs arrive within one round trip. Each
/// costs about 13 KB (measured): 4,096 bound a flood to ~53 MB, and outlast four
/// event-loop turns of 1,000 INITs each (1,024 did not: a client's COOKIE ECHO
/// two turns behind its INIT found its handshake evicted).
pub const MAX_HANDSHAKING: usize = 4096;

/// How long a served handshake (see `Endpoint::collide`) may take to complete
/// after the peer answered our own INIT, before ours is taken back up.
const PARKED_GRACE: Duration = Duration::from_millis(500);

/// Counters of what arrived and what was done with it.
#[derive(Default, Debug, Clone, Copy)]
pub struct Counters {
    pub packets_in: u64,
    pub packets_out: u64,
    pub malformed: u64,
    pub bad_checksum: u64,
    pub out_of_the_blue: u64,
    pub refused_inits: u64,
    /// Half-open handshakes dropped to make room for a new INIT.
    pub evicted_handshakes: u64,
    /// DATA chunks dropped before sctp-proto saw them (see `repair::screen_data`).
    pub dropped_data: u64,
    /// Messages on streams at or above the inbound stream count, discarded.
    pub invalid_stream_messages: u64,
    pub panics: u64,
}

struct Listener {
    cfg: AssocConfig,
    server: Arc<ServerConfig>,
    /// Passive mode: only this remote port may associate, and only once.
    remote_port: Option<u16>,
}

pub struct Endpoint {
    proto: ProtoEndpoint,
    assocs: HashMap<u32, Assoc>,
    by_handle: HashMap<usize, u32>,
    /// INIT collisions met (see `collide`).
    pub collisions: u64,
    /// Associations holding an answer to a parked handshake (see `collide`).
    parked: Vec<u32>,
    /// Our own associations by (peer address, local port, remote port), from
    /// `connect` until they end: what an INIT is checked against for a collision
    /// (one look-up, not a scan: a flood of INITs meets thousands of handshakes).
    connecting: HashMap<(SocketAddr, u16, u16), u32>,
    /// Initiate tags of incoming handshakes, so that a retransmitted INIT still reaches its association.
    init_tags: HashMap<u32, u32>,
    /// The same handshakes oldest first, for eviction; entries of handshakes
    /// that have since ended are skipped (and compacted away now and then).
    handshakes: VecDeque<(u32, u32)>,
    listeners: HashMap<u16, Listener>,
    timers: BTreeSet<(Instant, u32)>,
    /// Associations touched since the last pump.
    dirty: Vec<u32>,
    next_id: u32,
    /// Associations holding a SACK for the next pump (see `Assoc::transmit`).
    holding: Vec<u32>,
    /// The last statistics of associations whose 'close' JavaScript has not
    /// read yet: it reads them once, as it takes the event (see `stats`).
    final_stats: HashMap<u32, Stats>,
    /// Set by the caller while feeding a batch: more packets follow this one.
    pub more_coming: bool,
    /// Associations at most, in every state: a new INIT beyond is refused (one
    /// UDP socket serving any number of peers sets it; see `lib/udp.js`).
    pub max_associations: usize,
    pub counters: Counters,
    pub out: Out,
}

impl Default for Endpoint {
    fn default() -> Self {
        Self::new()
    }
}

impl Endpoint {
    pub fn new() -> Self {
        install_panic_hook();
        // Every endpoint can accept: the driver decides which INITs get this far.
        let proto = ProtoEndpoint::new(Arc::new(EndpointConfig::new()), Some(Arc::new(ServerConfig::new())));
        Endpoint {
            proto,
            assocs: HashMap::new(),
            by_handle: HashMap::new(),
            init_tags: HashMap::new(),
            handshakes: VecDeque::new(),
            collisions: 0,
            parked: Vec::new(),
            connecting: HashMap::new(),
            listeners: HashMap::new(),
            timers: BTreeSet::new(),
            dirty: Vec::new(),
            next_id: 1,
            holding: Vec::new(),
            final_stats: HashMap::new(),
            more_coming: false,
            max_associations: usize::MAX,
            counters: Counters::default(),
            out: Out::default(),
        }
    }

    /// Accepts INITs to `cfg.local_port`; from `cfg.remote_port` only (and once) when `passive`.
    pub fn listen(&mut self, cfg: AssocConfig, passive: bool) -> bool {
        let port = cfg.local_port as u16;
        if self.listeners.contains_key(&port) {
            return false;
        }
        let mut server = ServerConfig::new();
        server.transport = cfg.transport();
        let remote_port = passive.then_some(cfg.remote_port as u16);
        self.listeners.insert(port, Listener { cfg, server: Arc::new(server), remote_port });
        true
    }

    pub fn unlisten(&mut self, port: u16) {
        self.listeners.remove(&port);
    }

    /// Starts an association over a point-to-point transport.
    pub fn connect(&mut self, cfg: AssocConfig, now: Instant) -> Result<u32, String> {
        self.connect_to(cfg, PEER, now)
    }

    /// Starts an association with the peer at `remote` (the native UDP path).
    pub fn connect_to(&mut self, cfg: AssocConfig, remote: SocketAddr, now: Instant) -> Result<u32, String> {
        let mut client = ClientConfig::new();
        client.transport = cfg.transport();
        let (handle, proto) = self.proto.connect(client, remote).map_err(|e| e.to_string())?;
        let key = (remote, cfg.local_port as u16, cfg.remote_port as u16);
        let id = self.add(handle, proto, cfg, false, remote, now);
        self.connecting.insert(key, id);
        Ok(id)
    }

    fn add(&mut self, handle: sctp_proto::AssociationHandle, proto: sctp_proto::Association, cfg: AssocConfig, incoming: bool, remote: SocketAddr, now: Instant) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.by_handle.insert(handle.0, id);
        self.assocs.insert(id, Assoc::new(id, handle, proto, cfg, incoming, remote, now));
        self.dirty.push(id);
        id
    }

    /// Feeds the packets of one turn of the event loop. Packets of existing
    /// associations go first, INITs (tag 0) after them: under an INIT flood, a
    /// client's COOKIE ECHO then completes its handshake before the INITs that
    /// arrived with it can evict it (see `MAX_HANDSHAKING`).
    pub fn input_batch(&mut self, now: Instant, pkts: &[(SocketAddr, &[u8])]) {
        let init = |p: &&(SocketAddr, &[u8])| wire::header(p.1).is_some_and(|h| h.vtag == 0);
        let total = pkts.len();
        let ordered = pkts.iter().filter(|p| !init(p)).chain(pkts.iter().filter(|p| init(p)));
        for (i, (from, p)) in ordered.enumerate() {
            self.more_coming = i + 1 < total;
            self.input_from(now, *from, p);
        }
        self.more_coming = false;
    }

    /// Feeds one packet from a point-to-point transport.
    pub fn input(&mut self, now: Instant, pkt: &[u8]) {
        self.input_from(now, PEER, pkt);
    }

    /// Feeds one packet that came from `from`. Garbage is counted and dropped;
    /// what answers it goes back there.
    pub fn input_from(&mut self, now: Instant, from: SocketAddr, pkt: &[u8]) {
        self.counters.packets_in += 1;
        self.out.to = from;
        let Some(h) = wire::header(pkt) else {
            self.counters.malformed += 1;
            return;
        };
        let stripped;
        let pkt = match wire::sort_inbound(pkt) {
            Inbound::AsIs => pkt,
            Inbound::BadChecksum => {
                self.counters.bad_checksum += 1;
                return;
            }
            Inbound::Consumed(acks) => return self.heartbeat_acks(&acks, now),
            Inbound::Stripped(kept, acks) => {
                self.heartbeat_acks(&acks, now);
                stripped = kept;
                &stripped
            }
        };
        // sctp-proto routes by our own tag only; a reflected ABORT / SHUTDOWN COMPLETE
        // would be dropped (found by fuzzing: a server stuck in SHUTDOWN-ACK-SENT).
        let reflected;
        let pkt = match self.reflected(&h, from, pkt) {
            Some(p) => {
                reflected = p;
                &reflected
            }
            None if repair::t_bit_misused(pkt) => {
                self.counters.out_of_the_blue += 1;
                return;
            }
            None => pkt,
        };
        if let Some((typ, tag)) = wire::invalid_init(pkt) {
            // Discarded; an INIT is refused with an ABORT on its own tag (§3.3.2).
            self.counters.malformed += 1;
            if typ == wire::CT_INIT && tag != 0 && h.vtag == 0 {
                self.send_raw(&wire::abort_packet(h.dst_port, h.src_port, tag, false, false));
            }
            return;
        }
        if h.vtag == 0 {
            if let Some(id) = self.colliding(&h, from) {
                return self.collide(id, from, pkt, now);
            }
            if !self.admit_init(&h, pkt) {
                return;
            }
        }
        let routed = catch_unwind(AssertUnwindSafe(|| {
            self.proto.handle(now, from, None, None, Bytes::copy_from_slice(pkt))
        }));
        match routed {
            Err(_) => {
                self.counters.panics += 1;
                last_panic();
            }
            Ok(None) => self.out_of_the_blue(&h, pkt),
            Ok(Some((handle, DatagramEvent::NewAssociation(proto)))) => {
                let Some(l) = self.listeners.get(&h.dst_port) else { return };
                let mut cfg = l.cfg.clone();
                cfg.remote_port = u32::from(h.src_port);
                if l.remote_port.is_some() {
                    // Passive mode accepts one association.
                    self.listeners.remove(&h.dst_port);
                }
                let id = self.add(handle, proto, cfg, true, from, now);
                let a = self.assocs.get_mut(&id).expect("just added");
                a.observe_in(pkt, now, &mut self.out);
                if let Some(tag) = a.peer_tag {
                    self.init_tags.insert(tag, id);
                    self.handshakes.push_back((tag, id));
                    if self.handshakes.len() > 2 * MAX_HANDSHAKING {
                        let tags = &self.init_tags;
                        self.handshakes.retain(|(t, i)| tags.get(t) == Some(i));
                    }
                }
            }
            Ok(Some((handle, DatagramEvent::AssociationEvent(ev)))) => {
                let Some(&id) = self.by_handle.get(&handle.0) else { return };
                if self.assocs.get(&id).is_some_and(|a| a.remote != from) {
                    // The right tag from the wrong address: RFC 6951 §5.4 keys associations by it too.
                    self.counters.out_of_the_blue += 1;
                    return;
                }
                if let Some(a) = self.assocs.get_mut(&id).filter(|a| a.parked.as_ref().is_some_and(|p| p.0 == handle)) {
                    // The answer to our own INIT: kept until `PARKED_GRACE` says whether it is needed.
                    if a.parked_reply.is_none() {
                        a.parked_reply = Some((now + PARKED_GRACE, pkt.to_vec()));
                        self.parked.push(id);
                        self.dirty.push(id);
                    }
                    return;
                }
                let Some(a) = self.assocs.get_mut(&id) else { return };
                let screened;
                let (pkt, ev) = match repair::screen_data(pkt, &a.window()) {
                    None => (pkt, ev),
                    Some(s) => {
                        self.counters.dropped_data += u64::from(s.dropped);
                        if s.dropped > 0 && a.window().full {
                            a.refused_for_window();
                        }
                        if !s.invalid.is_empty() {
                            a.discarding(&s.invalid);
                        }
                        self.dirty.push(id);
                        if wire::chunks(&s.pkt).next().is_none() {
                            return;
                        }
                        // The packet as screened, routed again (rare: hostile or overrunning peers only).
                        screened = s.pkt;
                        let again = catch_unwind(AssertUnwindSafe(|| {
                            self.proto.handle(now, from, None, None, Bytes::copy_from_slice(&screened))
                        }));
                        match again {
                            Ok(Some((_, DatagramEvent::AssociationEvent(ev)))) => (&screened[..], ev),
                            _ => return,
                        }
                    }
                };
                let Some(a) = self.assocs.get_mut(&id) else { return };
                let out = &mut self.out;
                let more_coming = self.more_coming;
                let ok = catch_unwind(AssertUnwindSafe(|| {
                    let data = a.observe_in(pkt, now, out);
                    a.proto.handle_event(ev);
                    if data {
                        a.after_data(now, out, more_coming);
                    }
                }));
                if ok.is_err() {
                    self.crash(id);
                } else {
                    self.dirty.push(id);
                }
            }
        }
    }

    /// RFC 9260 §8.5.1: an ABORT or SHUTDOWN COMPLETE with the T bit carries the
    /// sender's own tag, i.e. an association's peer tag, and is valid if it matches.
    /// Peers send them in answer to packets of an association they no longer have —
    /// e.g. to our retransmitted SHUTDOWN ACK once their SHUTDOWN COMPLETE was lost;
    /// sctp-proto retransmits SHUTDOWN ACK without limit. Returns the packet as
    /// sctp-proto understands it: our tag, T bit clear.
    fn reflected(&self, h: &wire::Header, from: SocketAddr, pkt: &[u8]) -> Option<Vec<u8>> {
        let mut cs = wire::chunks(pkt);
        let c = cs.next()?;
        let single = cs.next().is_none();
        if !single || h.vtag == 0 || c.flags & wire::FLAG_T == 0 || !matches!(c.typ, wire::CT_ABORT | wire::CT_SHUTDOWN_COMPLETE) {
            return None;
        }
        let a = self
            .assocs
            .values()
            .find(|a| a.peer_tag == Some(h.vtag) && a.local_port == h.dst_port && a.remote_port == h.src_port && a.remote == from)?;
        let local = a.local_tag?;
        if !wire::checksum_ok(pkt) {
            return None; // rewriting means vouching for it
        }
        let mut p = pkt.to_vec();
        p[4..8].copy_from_slice(&local.to_be_bytes());
        p[c.offset + 1] &= !wire::FLAG_T;
        wire::set_checksum(&mut p);
        Some(p)
    }

    /// HEARTBEAT ACKs answer the driver's own heartbeats: their info is [association id, nonce].
    fn heartbeat_acks(&mut self, infos: &[Vec<u8>], now: Instant) {
        for info in infos {
            let Ok(info) = <[u8; 12]>::try_from(info.as_slice()) else { continue };
            let id = u32::from_be_bytes([info[0], info[1], info[2], info[3]]);
            let nonce = u64::from_be_bytes(info[4..].try_into().expect("8 bytes"));
            if let Some(a) = self.assocs.get_mut(&id).filter(|a| a.hb_nonce == nonce) {
                a.heard(now);
                self.dirty.push(id);
            }
        }
    }

    /// Whether a packet with tag 0 (an INIT) may reach sctp-proto, which would
    /// create an association for it: only for a port we listen on, from the
    /// expected port in passive mode, and within the handshake budget.
    fn admit_init(&mut self, h: &wire::Header, pkt: &[u8]) -> bool {
        let init = wire::chunks(pkt).next().filter(|c| c.typ == wire::CT_INIT).and_then(|c| wire::init_info(c.value));
        let Some(init) = init else {
            // Tag 0 is only valid on an INIT: sctp-proto drops the rest.
            return true;
        };
        if self.init_tags.contains_key(&init.initiate_tag) {
            return true; // a retransmission of an INIT we are answering
        }
        let welcome = self.assocs.len() < self.max_associations
            && self.listeners.get(&h.dst_port).is_some_and(|l| l.remote_port.is_none_or(|p| p == h.src_port));
        if welcome && self.init_tags.len() >= MAX_HANDSHAKING {
            self.evict_oldest_handshake();
        }
        let busy = self.init_tags.len() >= MAX_HANDSHAKING;
        if welcome && !busy {
            if let Some(l) = self.listeners.get(&h.dst_port) {
                self.proto.set_server_config(Some(l.server.clone()));
            }
            return true;
        }
        if wire::checksum_ok(pkt) {
            self.counters.refused_inits += 1;
            if !busy {
                // RFC 9260 §8.4 rule 3: ABORT carrying the INIT's own tag, T bit clear.
                self.send_raw(&wire::abort_packet(h.dst_port, h.src_port, init.initiate_tag, false, false));
            }
        } else {
            self.counters.bad_checksum += 1;
        }
        false
    }

    /// Our own association to the INIT's ports that is still in COOKIE-WAIT.
    fn colliding(&self, h: &wire::Header, from: SocketAddr) -> Option<u32> {
        let &id = self.connecting.get(&(from, h.dst_port, h.src_port))?;
        self.assocs.get(&id).filter(|a| a.awaiting_init_ack()).map(|a| a.id)
    }

    /// Both ends sent INIT (WebRTC always does; RFC 9260 §5.2.1). The answer the
    /// RFC asks for, an INIT ACK from our COOKIE-WAIT association, sctp-proto
    /// cannot give: it routes a tag-0 packet only to server associations. So
    /// the side whose own Initiate Tag is the lower yields: its association
    /// becomes the server of the peer's INIT (same id for JavaScript), its own
    /// client handshake set aside; the other side drops the peer's INIT and
    /// completes its own handshake with the INIT ACK that comes. Two of us thus
    /// agree on one handshake. A peer that answers as the RFC says (dcSCTP,
    /// usrsctp) also answers our own INIT; the served handshake then completes
    /// within its round trip and ours is dropped. If it has not completed
    /// `PARKED_GRACE` after the INIT ACK to our own INIT came — the INIT that
    /// made us yield was forged — our own handshake is taken back up with that
    /// INIT ACK (`unpark`): a blind INIT cannot hijack a handshake.
    fn collide(&mut self, id: u32, from: SocketAddr, pkt: &[u8], now: Instant) {
        self.collisions += 1;
        let Some(init) = wire::chunks(pkt).next().filter(|c| c.typ == wire::CT_INIT).and_then(|c| wire::init_info(c.value)) else { return };
        let Some(a) = self.assocs.get(&id) else { return };
        let ours = a.local_tag.unwrap_or(0);
        if init.initiate_tag <= ours || !wire::checksum_ok(pkt) {
            return; // we keep our handshake
        }
        let mut server = ServerConfig::new();
        server.transport = a.cfg.transport();
        self.proto.set_server_config(Some(Arc::new(server)));
        let old = a.handle;
        let routed = catch_unwind(AssertUnwindSafe(|| self.proto.handle(now, from, None, None, Bytes::copy_from_slice(pkt))));
        let Ok(Some((handle, DatagramEvent::NewAssociation(proto)))) = routed else { return };
        self.by_handle.insert(handle.0, id);
        let a = self.assocs.get_mut(&id).expect("looked up above");
        let client = std::mem::replace(&mut a.proto, proto);
        a.parked = Some((old, client, ours));
        a.handle = handle;
        a.local_tag = None;
        a.observe_in(pkt, now, &mut self.out);
        self.dirty.push(id);
    }

    /// A packet for the client handshake set aside in `collide` (the INIT ACK
    /// to our own INIT): it becomes the association again, the served one is dropped.
    fn unpark(&mut self, id: u32) {
        let Some(a) = self.assocs.get_mut(&id) else { return };
        let Some((handle, client, tag)) = a.parked.take() else { return };
        let served = std::mem::replace(&mut a.handle, handle);
        drop(std::mem::replace(&mut a.proto, client));
        a.local_tag = Some(tag);
        a.peer_tag = None; // the INIT ACK now arriving says it
        self.forget_handle(served);
    }

    /// An sctp-proto association the driver is done with: unrouted and freed.
    fn forget_handle(&mut self, handle: sctp_proto::AssociationHandle) {
        self.by_handle.remove(&handle.0);
        self.proto.handle_event(handle, EndpointEvent::drained());
    }

    /// Drops the oldest incoming association still in its handshake, silently
    /// (its INIT may be forged: no ABORT to an address that never asked).
    fn evict_oldest_handshake(&mut self) {
        while let Some((tag, id)) = self.handshakes.pop_front() {
            if self.init_tags.get(&tag) != Some(&id) {
                continue; // connected or ended since
            }
            self.counters.evicted_handshakes += 1;
            match self.assocs.get_mut(&id) {
                Some(a) if !a.connected => {
                    a.ending = Some(Ending::LocalAbort);
                    self.finish(id);
                }
                _ => {
                    self.init_tags.remove(&tag);
                }
            }
            return;
        }
    }

    /// RFC 9260 §8.4: a packet that belongs to no association.
    fn out_of_the_blue(&mut self, h: &wire::Header, pkt: &[u8]) {
        if !wire::checksum_ok(pkt) {
            self.counters.bad_checksum += 1;
            return;
        }
        self.counters.out_of_the_blue += 1;
        let types: Vec<u8> = wire::chunks(pkt).map(|c| c.typ).collect();
        let silent = [wire::CT_ABORT, wire::CT_SHUTDOWN_COMPLETE, wire::CT_ERROR];
        if types.is_empty() || types.iter().any(|t| silent.contains(t)) || h.vtag == 0 {
            return;
        }
        if types.contains(&wire::CT_SHUTDOWN_ACK) {
            self.send_raw(&wire::shutdown_complete_packet(h.dst_port, h.src_port, h.vtag));
        } else {
            self.send_raw(&wire::abort_packet(h.dst_port, h.src_port, h.vtag, true, false));
        }
    }

    fn send_raw(&mut self, pkt: &[u8]) {
        self.out.packet(pkt);
    }

    pub fn send(&mut self, id: u32, stream: u16, ppid: u32, unordered: bool, rel: (u32, u32), data: &[u8]) -> Result<usize, SendError> {
        let Some(a) = self.assocs.get_mut(&id) else { return Err(SendError::Closed) };
        match catch_unwind(AssertUnwindSafe(|| a.send(stream, ppid, unordered, rel, data))) {
            Ok(r) => {
                self.dirty.push(id);
                r
            }
            Err(_) => {
                self.crash(id);
                Err(SendError::Closed)
            }
        }
    }

    /// JavaScript holds `bytes` of this association's messages unread.
    pub fn set_held(&mut self, id: u32, bytes: u32) {
        if let Some(a) = self.assocs.get_mut(&id) {
            a.set_held(bytes);
            self.dirty.push(id);
        }
    }

    /// An association's statistics; after its 'close', the final ones, once.
    pub fn stats(&mut self, id: u32) -> Option<Stats> {
        match self.assocs.get(&id) {
            Some(a) => Some(a.stats()),
            None => self.final_stats.remove(&id),
        }
    }

    pub fn assoc(&mut self, id: u32) -> Option<&mut Assoc> {
        self.assocs.get_mut(&id)
    }

    /// Marks an association as needing a pump (after a direct change through `assoc`).
    pub fn touch(&mut self, id: u32) {
        self.dirty.push(id);
    }

    /// Graceful end: SHUTDOWN once everything written so far is acknowledged.
    pub fn shutdown(&mut self, id: u32) {
        if let Some(a) = self.assocs.get_mut(&id) {
            a.shutdown_wanted = true;
            self.dirty.push(id);
        }
    }

    /// ABORT now.
    pub fn abort(&mut self, id: u32) {
        if let Some(a) = self.assocs.get_mut(&id) {
            self.out.to = a.remote;
            a.abort(&mut self.out);
            self.dirty.push(id);
        }
    }

    /// Runs expired timers, then pumps every association touched since the last call.
    pub fn pump(&mut self, now: Instant) {
        self.pump_with(now, false);
    }

    /// `pump` after input: a lone SACK may wait for the next pump, in case the
    /// application answers in this turn (see `Assoc::transmit`).
    pub fn pump_after_input(&mut self, now: Instant) {
        self.pump_with(now, true);
    }

    fn pump_with(&mut self, now: Instant, hold: bool) {
        let held = std::mem::take(&mut self.holding);
        self.dirty.extend_from_slice(&held);
        while let Some(&(at, id)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            if let Some(a) = self.assocs.get_mut(&id) {
                a.armed = None;
                self.out.to = a.remote;
                if catch_unwind(AssertUnwindSafe(|| a.handle_timeout(now))).is_err() {
                    self.crash(id);
                    continue;
                }
                self.dirty.push(id);
            }
        }
        // Served handshakes that did not complete in time: our own is taken back up.
        let mut due = Vec::new();
        if !self.parked.is_empty() {
            let assocs = &self.assocs;
            self.parked.retain(|id| match assocs.get(id).and_then(|a| a.parked_reply.as_ref().filter(|_| !a.connected)) {
                Some((at, _)) if *at <= now => {
                    due.push(*id);
                    false
                }
                Some(_) => true,
                None => false,
            });
        }
        for id in due {
            let Some((remote, reply)) = self.assocs.get_mut(&id).and_then(|a| Some((a.remote, a.parked_reply.take()?.1))) else { continue };
            self.unpark(id);
            self.input_from(now, remote, &reply);
        }
        let mut dirty = std::mem::take(&mut self.dirty);
        dirty.sort_unstable();
        dirty.dedup();
        for &id in &dirty {
            let Some(a) = self.assocs.get_mut(&id) else { continue };
            let out = &mut self.out;
            out.to = a.remote;
            if catch_unwind(AssertUnwindSafe(|| a.pump(now, out, hold))).is_err() {
                self.crash(id);
                continue;
            }
            if a.holding() {
                self.holding.push(id);
            }
            // The served handshake won (see `collide`): our own is given up for good.
            let given_up = if a.connected { a.parked_reply = None; a.parked.take() } else { None };
            self.counters.invalid_stream_messages += u64::from(std::mem::take(&mut a.discarded));
            // Only handshakes count against MAX_HANDSHAKING (empty in steady state).
            if a.connected && !self.init_tags.is_empty() {
                if let Some(tag) = a.peer_tag.filter(|t| self.init_tags.get(t) == Some(&id)) {
                    self.init_tags.remove(&tag);
                }
            }
            if a.ending.is_some() {
                self.finish(id);
            } else {
                let next = a.next_deadline();
                if next != a.armed {
                    if let Some(old) = a.armed {
                        self.timers.remove(&(old, id));
                    }
                    if let Some(new) = next {
                        self.timers.insert((new, id));
                    }
                    a.armed = next;
                }
            }
            if let Some((handle, _, _)) = given_up {
                self.forget_handle(handle);
            }
        }
        dirty.clear();
        if self.dirty.is_empty() {
            self.dirty = dirty; // keep the allocation
        }
    }

    /// The next moment `pump` has timers to run.
    pub fn next_timeout(&self) -> Option<Instant> {
        self.timers.first().map(|&(at, _)| at)
    }

    /// Copies what came out into JavaScript's buffers (see `Out::hand_over`).
    pub fn hand_over(&mut self, cur: &mut Cursor, io: &mut [u8], meta: &mut [u32]) {
        self.counters.packets_out += u64::from(self.out.hand_over(cur, io, meta));
        meta[5] = u32::from(!self.holding.is_empty());
    }

    /// Takes what came out since the last call (the Rust tests read it so).
    pub fn take_out(&mut self) -> Out {
        self.counters.packets_out += self.out.lens.len() as u64;
        std::mem::take(&mut self.out)
    }

    pub fn association_count(&self) -> usize {
        self.assocs.len()
    }

    /// Tells JS how the association ended and frees it, exactly once.
    fn finish(&mut self, id: u32) {
        let Some(a) = self.assocs.remove(&id) else { return };
        if let Some(old) = a.armed {
            self.timers.remove(&(old, id));
        }
        self.by_handle.remove(&a.handle.0);
        let key = (a.remote, a.local_port, a.remote_port);
        if self.connecting.get(&key) == Some(&id) {
            self.connecting.remove(&key);
        }
        if let Some((parked, _, _)) = a.parked {
            self.forget_handle(parked);
        }
        if let Some(tag) = a.peer_tag {
            if self.init_tags.get(&tag) == Some(&id) {
                self.init_tags.remove(&tag);
            }
        }
        self.proto.handle_event(a.handle, EndpointEvent::drained());
        // An incoming association JS never saw (its handshake did not finish) ends silently.
        if a.incoming && !a.connected {
            return;
        }
        self.final_stats.insert(id, a.stats());
        let mut e = Event::new("close", id);
        if let Some(Ending::Error(code, message)) = &a.ending {
            e.code = Some((*code).to_string());
            e.message = Some(message.clone());
        }
        self.out.events.push(e);
    }

    /// A panic inside sctp-proto or the driver: only this association pays.
    fn crash(&mut self, id: u32) {
        self.counters.panics += 1;
        if let Some(a) = self.assocs.get_mut(&id) {
            self.out.to = a.remote;
            a.ending = Some(Ending::Error("ERR_SCTP_INTERNAL", format!("internal error in the SCTP stack: {}", last_panic())));
            if let Some(tag) = a.peer_tag {
                self.out.packet(&wire::abort_packet(a.local_port, a.remote_port, tag, false, false));
            }
        }
        self.finish(id);
    }

    /// Test hook: makes the next operation on this association panic.
    pub fn poison(&mut self, id: u32) {
        if let Some(a) = self.assocs.get_mut(&id) {
            a.poisoned = true;
            self.dirty.push(id);
        }
    }
}
