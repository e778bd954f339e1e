//! One association as the driver sees it: the sctp-proto state machine plus
//! what the driver must know that sctp-proto does not tell — how it ended,
//! the peer's tag and stream counts, real PPIDs — and the pump that drains
//! its events, messages and packets into one `Out`.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sctp_proto::{
    Association, AssociationError, AssociationHandle, Event as ProtoEvent, PayloadProtocolIdentifier as Ppi,
    ReliabilityType, StreamEvent,
};

use crate::config::AssocConfig;
use crate::events::{Event, Out, META_FIELDS, PEER};
use crate::gaps::Gaps;
use crate::ppid::{self, Translation};
use crate::recovery::{self, Recovery};
use crate::repair::{self, Window};
use crate::wire;

/// Why a write was refused. The JS layer turns these into `Error`s with codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum SendError {
    Closed = -1,
    TooLarge = -2,
    BadStream = -3,
    NotReady = -4,
}

struct Watch {
    levels: [Option<usize>; 2],
    last: usize,
}

/// Association statistics for `socket.stats()`; times in ms.
#[napi_derive::napi(object)]
pub struct Stats {
    /// Smoothed round-trip time measured on DATA/SACK, if a sample exists yet.
    pub rtt: Option<f64>,
    /// sctp-proto's current retransmission timeout.
    pub rto: f64,
    pub t3_timeouts: f64,
    pub fast_retransmits: f64,
    pub ack_timeouts: f64,
    pub data_chunks_received: f64,
    pub sacks_received: f64,
}

/// How an association ended, as Node users know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    Graceful,
    /// We aborted (destroy()): no error for our own user.
    LocalAbort,
    /// errno-style code and a message.
    Error(&'static str, String),
}

pub struct Assoc {
    pub id: u32,
    pub handle: AssociationHandle,
    pub proto: Association,
    pub cfg: AssocConfig,
    pub local_port: u16,
    pub remote_port: u16,
    /// Where the peer's packets come from and ours go (`PEER` over a JavaScript transport).
    pub remote: SocketAddr,
    pub incoming: bool,
    pub connected: bool,
    /// DATA-carrying packets received, for SACKing every second one.
    data_packets: u32,
    /// The peer's verification tag, learnt from its INIT/INIT-ACK; needed to send ABORT.
    pub peer_tag: Option<u32>,
    /// Our own tag, from our INIT / INIT ACK: what a packet with the T bit is checked
    /// against in reverse (see `Endpoint::reflected`).
    pub local_tag: Option<u32>,
    /// Our own client handshake, set aside in an INIT collision while this
    /// association serves the peer's INIT (see `Endpoint::collide`), with its tag.
    pub parked: Option<(AssociationHandle, Association, u32)>,
    /// The peer's answer to the parked handshake, and when to take it up if the
    /// served one has not completed by then (see `Endpoint::collide`).
    pub parked_reply: Option<(Instant, Vec<u8>)>,
    /// The peer's last Cumulative TSN Ack of our DATA (see `nudge`).
    peer_cum: Option<u32>,
    /// Copies of DATA in flight, to send again if lost again (see `recovery`).
    recovery: Recovery,
    /// Streams whose chunks `recovery` leaves alone (partial reliability).
    recoverable: recovery::Eligible,
    peer_os: u16,
    peer_mis: u16,
    /// Last TSN received in sequence from the peer, as our SACKs state it.
    rx_cum_tsn: u32,
    /// The peer's TSNs as they arrive, to SACK at once while a gap is open.
    gaps: Gaps,
    pub ppids: Translation,
    /// end() was asked for; SHUTDOWN goes out once everything written is acknowledged.
    pub shutdown_wanted: bool,
    shutdown_started: bool,
    peer_shutdown: bool,
    /// The Cumulative TSN Ack of the peer's SHUTDOWN: what it has of ours.
    peer_shutdown_ack: Option<u32>,
    peer_abort: bool,
    sent_shutdown_complete: bool,
    got_shutdown_complete: bool,
    pub ending: Option<Ending>,
    lost: Option<AssociationError>,
    /// sctp-proto's T3 timeout count when the peer was last heard from.
    t3_at_last_rx: u64,
    /// T3 expiries seen, and the probe due after the last (see `recovery::Recovery::probe`).
    t3_seen: u64,
    probe: Option<(Instant, u32)>,
    /// A deadline of the driver's own: handshake or shutdown taking too long.
    pub deadline: Option<Instant>,
    /// The deadline currently registered in the endpoint's timer set.
    pub armed: Option<Instant>,
    /// Packets the driver made itself (HEARTBEAT, ABORT) while no `Out` was at hand.
    pending_out: Vec<Vec<u8>>,
    /// Heartbeats (sctp-proto sends none): when the next one may be due, the
    /// last word from the peer, whether our last HEARTBEAT is unanswered, and
    /// how many went unanswered in a row.
    hb_due: Option<Instant>,
    last_rx: Instant,
    hb_unanswered: bool,
    hb_missed: u32,
    /// Echoed in HEARTBEAT ACKs, so a forged ACK cannot keep a dead association alive.
    pub hb_nonce: u64,
    /// Buffered-amount levels JS wants to hear about, per stream.
    watches: HashMap<u16, Watch>,
    /// Round-trip time: one DATA chunk timed at a time (Karn: never a retransmitted one).
    rtt_probe: Option<(u32, Instant)>,
    highest_tsn_sent: Option<u32>,
    /// Our initial TSN less one, from our INIT / INIT ACK: "nothing sent" in a cumulative ack.
    before_first_tsn: Option<u32>,
    srtt: Option<Duration>,
    /// A lone SACK waiting for a DATA packet to ride on (see `transmit`).
    held_sack: Option<Bytes>,
    /// DATA went out since a SACK was last held: the application answers, so holding pays.
    sent_data: bool,
    /// Bytes of complete messages the application has not read yet: the window
    /// we advertise is sctp-proto's less these. JavaScript says how many after
    /// each batch it takes; while it holds any, what we hand it in between
    /// counts at once, so the SACKs of that same batch already shrink the window.
    held: u32,
    /// The application read enough of a closed window to reopen it: tell the peer.
    window_update: bool,
    /// DATA was dropped for a full window: RFC 9260 §6.2 wants a SACK at once
    /// (sctp-proto never saw the chunk, so it would not send one), which also
    /// tells a probing peer that we are alive.
    answer_probe: bool,
    /// TSNs of DATA on invalid streams, to discard when read (see `discarding`).
    discard_tsns: HashSet<u32>,
    /// Messages received on a stream at or above our inbound stream count, discarded.
    pub discarded: u32,
    /// Test hook: the next pump panics, to prove panics stay contained.
    pub poisoned: bool,
}

impl Assoc {
    pub fn new(id: u32, handle: AssociationHandle, proto: Association, cfg: AssocConfig, incoming: bool, remote: SocketAddr, now: Instant) -> Self {
        let deadline = Some(now + handshake_limit(&cfg, incoming));
        Assoc {
            id,
            handle,
            proto,
            remote,
            local_port: cfg.local_port as u16,
            remote_port: cfg.remote_port as u16,
            cfg,
            incoming,
            connected: false,
            data_packets: 0,
            peer_tag: None,
            local_tag: None,
            parked: None,
            parked_reply: None,
            peer_cum: None,
            recovery: Recovery::default(),
            recoverable: recovery::Eligible::default(),
            peer_os: u16::MAX,
            peer_mis: u16::MAX,
            rx_cum_tsn: 0,
            gaps: Gaps::default(),
            ppids: Translation::default(),
            shutdown_wanted: false,
            shutdown_started: false,
            peer_shutdown: false,
            peer_shutdown_ack: None,
            peer_abort: false,
            sent_shutdown_complete: false,
            got_shutdown_complete: false,
            ending: None,
            lost: None,
            t3_at_last_rx: 0,
            t3_seen: 0,
            probe: None,
            deadline,
            armed: None,
            pending_out: Vec::new(),
            hb_due: None,
            last_rx: now,
            hb_unanswered: false,
            hb_missed: 0,
            hb_nonce: nonce(id),
            watches: HashMap::new(),
            rtt_probe: None,
            highest_tsn_sent: None,
            before_first_tsn: None,
            srtt: None,
            held_sack: None,
            sent_data: false,
            held: 0,
            window_update: false,
            answer_probe: false,
            discard_tsns: HashSet::new(),
            discarded: 0,
            poisoned: false,
        }
    }

    /// Learns from a packet the endpoint routed to this association, before sctp-proto sees it.
    /// Returns whether the packet carried DATA.
    pub fn observe_in(&mut self, pkt: &[u8], now: Instant, out: &mut Out) -> bool {
        self.heard(now);
        let mut carried_data = false;
        for c in wire::chunks(pkt) {
            match c.typ {
                wire::CT_DATA => {
                    carried_data = true;
                    if let Some(d) = wire::data_info(c.value) {
                        self.ppids.note_in(c.flags, &d);
                        self.gaps.received(d.tsn);
                    }
                }
                wire::CT_FORWARD_TSN => {
                    if let Some(cum) = wire::sack_cum_tsn(c.value) {
                        self.gaps.forward(cum);
                    }
                }
                // Only during the handshake: later, sctp-proto drops an INIT (a non-zero
                // tag) or a stray INIT ACK, but a well-tagged forged one would have
                // reset our peer tag, stream counts and cumulative TSN (found by fuzzing).
                wire::CT_INIT | wire::CT_INIT_ACK if !self.connected => {
                    if let Some(i) = wire::init_info(c.value) {
                        self.peer_tag = Some(i.initiate_tag);
                        self.peer_os = i.outbound_streams;
                        self.peer_mis = i.inbound_streams;
                        self.rx_cum_tsn = i.initial_tsn.wrapping_sub(1);
                        self.gaps.reset(self.rx_cum_tsn);
                    }
                }
                wire::CT_SACK => {
                    if let Some(cum) = wire::sack_cum_tsn(c.value) {
                        let highest = self.highest_tsn_sent.unwrap_or(cum);
                        for chunk in self.recovery.on_sack(cum, &recovery::gap_blocks(c.value), highest) {
                            if let Some(tag) = self.peer_tag {
                                self.pending_out.push(wire::packet_with_chunk(self.local_port, self.remote_port, tag, &chunk));
                            }
                        }
                        self.peer_cum = Some(cum);
                        self.ppids.acked(cum);
                        self.rtt_acked(cum, now);
                    }
                }
                // The peer resets streams (a data channel closes): sctp-proto answers
                // with a reset of our side, again only once our data on it is
                // acknowledged. Same nudge as for our own resets.
                wire::CT_RECONFIG if wire::outgoing_reset_request(c.value) && self.unacked() => self.nudge(),
                wire::CT_ABORT => {
                    self.peer_abort = true;
                    // sctp-proto ignores an ABORT before the COOKIE ECHO; the handshake
                    // slot would stay taken until valid_cookie_life ran out.
                    if self.incoming && !self.connected && self.ending.is_none() {
                        self.ending = Some(Ending::Error("ECONNRESET", "handshake aborted by peer".into()));
                    }
                }
                wire::CT_SHUTDOWN_COMPLETE => self.got_shutdown_complete = true,
                wire::CT_SHUTDOWN | wire::CT_SHUTDOWN_ACK => {
                    if c.typ == wire::CT_SHUTDOWN && self.connected {
                        self.peer_shutdown_ack = wire::sack_cum_tsn(c.value).or(self.peer_shutdown_ack);
                    }
                    if !self.peer_shutdown && !self.shutdown_wanted {
                        self.peer_shutdown = true;
                        out.events.push(Event::new("end", self.id));
                    }
                }
                _ => {}
            }
        }
        self.t3_at_last_rx = self.proto.stats().get_num_t3timeouts();
        carried_data
    }

    /// What `repair::screen_data` needs to know of this association.
    pub fn window(&self) -> Window {
        Window {
            cum: self.gaps.cum(),
            highest: self.gaps.highest(),
            full: self.held >= self.cfg.receive_window() + repair::PROBE_ROOM,
            mis: self.negotiated().1,
            discard_room: self.discard_tsns.len() < MAX_DISCARDING,
        }
    }

    /// DATA on invalid streams, rewritten by `repair::screen_data`: sctp-proto
    /// acknowledges it as usual, `read` discards it, and the peer hears of it
    /// (RFC 9260 §6.5; one ERROR per packet at most).
    pub fn discarding(&mut self, invalid: &[(u32, u16)]) {
        self.discard_tsns.extend(invalid.iter().map(|&(tsn, _)| tsn));
        if let (Some(&(_, stream)), Some(tag)) = (invalid.first(), self.peer_tag) {
            self.pending_out.push(wire::invalid_stream_packet(self.local_port, self.remote_port, tag, stream));
        }
    }

    /// JavaScript holds `bytes` of received messages unread. Reading half a
    /// window or more of a window that had closed below a quarter sends a window
    /// update: sctp-proto would not, and the peer would only probe per RTO.
    pub fn set_held(&mut self, bytes: u32) {
        let rwnd = self.cfg.receive_window();
        if self.held > rwnd - rwnd / 4 && bytes <= rwnd / 2 {
            self.window_update = true;
        }
        self.held = bytes;
    }

    /// DATA was dropped because the window is full (see `answer_probe`).
    pub fn refused_for_window(&mut self) {
        self.answer_probe = true;
    }

    /// Learns from, and finishes, a packet sctp-proto produced (with a SACK
    /// bundled in front of its chunks if given); appends it to `out`.
    fn emit(&mut self, pkt: &[u8], sack: Option<&[u8]>, now: Instant, out: &mut Out) {
        let start = out.packets.len();
        match sack {
            Some(s) => out.packet_parts(&[&pkt[..wire::COMMON_HEADER], &s[wire::COMMON_HEADER..], &pkt[wire::COMMON_HEADER..]]),
            None => out.packet(pkt),
        }
        let pkt = &mut out.packets[start..];
        if let Some(h) = wire::header(pkt) {
            if h.vtag != 0 {
                self.peer_tag = Some(h.vtag);
            }
        }
        let mut shutdown_at = None;
        let mut init_ack_at = None;
        let highest_before = self.highest_tsn_sent;
        for c in wire::chunks(pkt) {
            match c.typ {
                wire::CT_SHUTDOWN_COMPLETE => self.sent_shutdown_complete = true,
                wire::CT_SHUTDOWN if c.value.len() >= 4 => shutdown_at = Some(c.offset + 4),
                wire::CT_INIT | wire::CT_INIT_ACK => {
                    if let Some(i) = wire::init_info(c.value) {
                        self.local_tag = Some(i.initiate_tag);
                        self.before_first_tsn = Some(i.initial_tsn.wrapping_sub(1));
                        if c.typ == wire::CT_INIT_ACK {
                            init_ack_at = Some(c.offset + 4 + 8);
                        }
                    }
                }
                // sctp-proto retransmits SHUTDOWN ACK without limit; a peer that never
                // completes (gone, or never sent the SHUTDOWN: forged) must not hold us
                // forever (RFC 9260 §9.2: Association.Max.Retrans, then ABORT). Found by fuzzing.
                wire::CT_SHUTDOWN_ACK if self.deadline.is_none() => self.deadline = Some(now + closing_limit(&self.cfg)),
                wire::CT_DATA => {
                    self.sent_data = true;
                    if let Some(d) = wire::data_info(c.value) {
                        self.rtt_sent(d.tsn, now);
                    }
                }
                // Abandoned (PR-SCTP): not to be sent again by `recovery`.
                wire::CT_FORWARD_TSN => {
                    if let Some(cum) = wire::sack_cum_tsn(c.value) {
                        self.recovery.forget_through(cum);
                    }
                }
                wire::CT_SACK => {
                    if let Some(cum) = wire::sack_cum_tsn(c.value) {
                        self.rx_cum_tsn = cum;
                        self.ppids.received_through(cum);
                    }
                }
                _ => {}
            }
        }
        let mut changed = sack.is_some();
        if let Some(at) = init_ack_at {
            // sctp-proto 0.10.8 advertises in its INIT ACK its own OS/MIS, each
            // min'ed with the INIT's field of the *same* name (OS with the peer's
            // OS): a peer asking for few inbound streams cut our MIS. RFC 9260
            // §5.1.1: each side states its own wish, the receiver takes the min.
            pkt[at..at + 2].copy_from_slice(&(self.cfg.os as u16).to_be_bytes());
            pkt[at + 2..at + 4].copy_from_slice(&(self.cfg.mis as u16).to_be_bytes());
            changed = true;
        }
        if let Some(at) = shutdown_at {
            // sctp-proto 0.10.8 fills SHUTDOWN's Cumulative TSN Ack with its *send*
            // side ack point; usrsctp then ABORTs ("Cum ack ... greater or equal
            // than TSN ..."). RFC 9260 §3.3.8 wants the last TSN received in sequence.
            pkt[at..at + 4].copy_from_slice(&self.rx_cum_tsn.to_be_bytes());
            changed = true;
        }
        if !self.ppids.idle_out() && self.ppids.rewrite_out(pkt) {
            changed = true;
        }
        if changed {
            wire::set_checksum(pkt);
        }
        if self.sent_data {
            // Copies for `recovery`, as the chunks left (PPIDs rewritten).
            let highest = self.highest_tsn_sent.unwrap_or(0);
            for c in wire::chunks(pkt) {
                let Some(d) = wire::data_info(c.value).filter(|d| c.typ == wire::CT_DATA && self.recoverable.stream(d.stream)) else { continue };
                let first = highest_before.is_none_or(|h| wire::tsn_after(d.tsn, h));
                self.recovery.sent(d.tsn, &pkt[c.offset..c.offset + 4 + c.value.len()], highest, first);
            }
        }
    }

    pub fn send(&mut self, stream: u16, ppid: u32, unordered: bool, rel: (u32, u32), data: &[u8]) -> Result<usize, SendError> {
        if self.ending.is_some() || self.shutdown_wanted {
            return Err(SendError::Closed);
        }
        if !self.connected {
            return Err(SendError::NotReady);
        }
        if u32::from(stream) >= self.negotiated().0 {
            return Err(SendError::BadStream);
        }
        let ppi = ppid::native(ppid).unwrap_or(Ppi::Unknown);
        let mut s = match self.proto.stream(stream) {
            Ok(s) => s,
            Err(_) => self.proto.open_stream(stream, ppi).map_err(|_| SendError::Closed)?,
        };
        // A lifetime of 0 expires before sctp-proto sends anything: nothing was
        // ever delivered. Browsers send such messages once (webrtc-pc allows
        // maxPacketLifeTime 0): the same as no retransmission.
        let rel = if rel == (ReliabilityType::Timed as u32, 0) { (ReliabilityType::Rexmit as u32, 0) } else { rel };
        let rel_type = ReliabilityType::from(rel.0 as u8);
        if rel_type != ReliabilityType::Reliable {
            self.recoverable.partially_reliable(stream);
        }
        s.set_reliability_params(unordered, rel_type, rel.1).map_err(|_| SendError::Closed)?;
        match s.write_sctp(&Bytes::copy_from_slice(data), ppi) {
            Ok(_) => {}
            Err(sctp_proto::Error::ErrOutboundPacketTooLarge) => return Err(SendError::TooLarge),
            Err(_) => return Err(SendError::Closed),
        }
        let buffered = s.buffered_amount().unwrap_or(0);
        if ppi == Ppi::Unknown {
            self.ppids.queue(stream, unordered, ppid);
        }
        Ok(buffered)
    }

    /// Bytes queued on a stream and not yet acknowledged.
    pub fn buffered(&mut self, stream: u16) -> usize {
        self.proto.stream(stream).ok().and_then(|s| s.buffered_amount().ok()).unwrap_or(0)
    }

    /// Asks for a "low" event whenever the stream's buffered bytes fall to `level`
    /// or below from above it. Slot 0 is the socket's backpressure, slot 1 the
    /// user's bufferedAmountLowThreshold; `None` clears the slot.
    pub fn watch(&mut self, stream: u16, slot: usize, level: Option<usize>) {
        let last = self.buffered(stream);
        let w = self.watches.entry(stream).or_insert(Watch { levels: [None; 2], last });
        w.levels[slot.min(1)] = level;
        w.last = last;
    }

    fn check_watches(&mut self, out: &mut Out) {
        let ids: Vec<u16> = self.watches.keys().copied().collect();
        for id in ids {
            let now = self.buffered(id);
            let w = self.watches.get_mut(&id).expect("listed above");
            if w.levels.iter().flatten().any(|&l| w.last > l && now <= l) {
                let mut e = Event::new("low", self.id);
                e.stream = Some(u32::from(id));
                e.amount = Some(now as f64);
                out.events.push(e);
            }
            w.last = now;
        }
    }

    /// Closes our outgoing side of a stream with an RFC 6525 reset; the peer's
    /// stream ends once everything sent before it has arrived.
    pub fn reset_stream(&mut self, stream: u16) -> bool {
        let Ok(mut s) = self.proto.stream(stream) else { return false };
        let unacked = s.buffered_amount().unwrap_or(0) > 0;
        let done = s.close().is_ok();
        if done && unacked {
            self.nudge();
        }
        done
    }

    /// sctp-proto sends a stream's reset only once all its data is acknowledged,
    /// and a peer delays its SACK up to 200 ms: closing a WebRTC data channel
    /// took that long every time. A packet holding only a DATA chunk the peer
    /// already has is answered with a SACK at once (RFC 9260 §6.2: duplicates,
    /// no new DATA); its payload is never looked at (RFC 7053's I bit would need
    /// a DATA chunk of ours still to send).
    fn nudge(&mut self) {
        let (Some(tag), Some(tsn)) = (self.peer_tag, self.peer_cum.or(self.before_first_tsn)) else { return };
        self.pending_out.push(wire::duplicate_data_packet(self.local_port, self.remote_port, tag, tsn));
    }

    /// DATA of ours the peer has not acknowledged yet.
    fn unacked(&self) -> bool {
        self.highest_tsn_sent.is_some_and(|h| self.peer_cum.is_none_or(|c| wire::tsn_after(h, c)))
    }

    /// Still in COOKIE-WAIT: our INIT is out, no INIT ACK has come.
    pub fn awaiting_init_ack(&self) -> bool {
        !self.incoming && !self.connected && self.ending.is_none() && self.local_tag.is_some() && self.peer_tag.is_none()
    }

    pub fn stats(&self) -> Stats {
        let mut st = self.proto.stats();
        Stats {
            rtt: self.srtt.map(|d| d.as_secs_f64() * 1000.0),
            rto: self.proto.rtt().as_secs_f64() * 1000.0,
            t3_timeouts: st.get_num_t3timeouts() as f64,
            fast_retransmits: st.get_num_fast_retrans() as f64,
            ack_timeouts: st.get_num_ack_timeouts() as f64,
            data_chunks_received: st.get_num_datas() as f64,
            sacks_received: st.get_num_sacks() as f64,
        }
    }

    fn rtt_sent(&mut self, tsn: u32, now: Instant) {
        let first = self.highest_tsn_sent.is_none_or(|h| wire::tsn_after(tsn, h));
        if first {
            self.highest_tsn_sent = Some(tsn);
            if self.rtt_probe.is_none() {
                self.rtt_probe = Some((tsn, now));
            }
        } else if self.rtt_probe.is_some_and(|(t, _)| t == tsn) {
            self.rtt_probe = None; // retransmitted: its ack would be ambiguous
        }
    }

    fn rtt_acked(&mut self, cum: u32, now: Instant) {
        if let Some((tsn, at)) = self.rtt_probe {
            if !wire::tsn_after(tsn, cum) {
                let sample = now.saturating_duration_since(at);
                // RFC 6298 smoothing, alpha = 1/8.
                self.srtt = Some(self.srtt.map_or(sample, |s| (s * 7 + sample) / 8));
                self.rtt_probe = None;
            }
        }
    }

    pub fn abort(&mut self, out: &mut Out) {
        if self.ending.is_some() {
            return;
        }
        match (self.peer_tag, self.local_tag) {
            (Some(tag), _) => out.packet(&wire::abort_packet(self.local_port, self.remote_port, tag, false, true)),
            // Before the INIT ACK: the T bit and our own tag, which the peer knows
            // from our INIT (RFC 9260 §8.5.1), so it frees the handshake at once.
            (None, Some(own)) => out.packet(&wire::abort_packet(self.local_port, self.remote_port, own, true, true)),
            (None, None) => {}
        }
        self.ending = Some(Ending::LocalAbort);
        let _ = self.proto.close();
    }

    /// OS and MIS: what we asked for, bounded by what the peer offered.
    pub fn negotiated(&self) -> (u32, u32) {
        (self.cfg.os.min(u32::from(self.peer_mis)), self.cfg.mis.min(u32::from(self.peer_os)))
    }

    /// Drains events, received messages and packets after any input, write or
    /// timeout. `hold`: a lone SACK may wait for the next pump (see `transmit`).
    pub fn pump(&mut self, now: Instant, out: &mut Out, hold: bool) {
        assert!(!self.poisoned, "test hook: poisoned association");
        self.drain_events(now, out);
        if self.shutdown_wanted && !self.shutdown_started && self.connected && self.ending.is_none() && self.all_acked() {
            self.shutdown_started = self.proto.shutdown().is_ok();
            self.deadline = Some(now + closing_limit(&self.cfg));
        }
        self.transmit(now, out, hold);
        // A window update only without a hole: a SACK without gap blocks takes back
        // what an earlier one reported (the peer retransmits those). For a refused
        // probe RFC 9260 §6.2 insists, hole or not. rx_cum_tsn is what sctp-proto
        // last acknowledged: never more than it holds.
        let update = self.window_update && !self.gaps.open();
        if (update || self.answer_probe) && self.held_sack.is_none() {
            self.window_update = false;
            self.answer_probe = false;
            if let (true, None, Some(tag)) = (self.connected, &self.ending, self.peer_tag) {
                let a_rwnd = self.cfg.receive_window().saturating_sub(self.held);
                out.packet(&wire::sack_packet(self.local_port, self.remote_port, tag, self.rx_cum_tsn, a_rwnd));
            }
        }
        // A failing association's queues are emptied, not acknowledged: no "low".
        if !self.watches.is_empty() && self.ending.is_none() {
            self.check_watches(out);
        }
        for p in self.pending_out.drain(..) {
            out.packet(&p);
        }
        // The driver frees associations itself (see Endpoint::finish): sctp-proto's
        // "drained" comes too early after shutdown() and never on the server side.
        while self.proto.poll_endpoint_event().is_some() {}
        self.check_ending(out);
    }

    /// Everything sctp-proto wants to send now. sctp-proto sends every SACK
    /// alone; RFC 9260 §6.2 wants it bundled with outgoing DATA where it can.
    /// So a lone SACK rides in front of the next DATA packet that has room —
    /// after input, the answer the application writes in the same turn
    /// (`hold`: until the next pump, which JavaScript makes in that turn) —
    /// and a newer SACK replaces one still waiting. A request-response
    /// exchange then takes one packet each way instead of three every two.
    fn transmit(&mut self, now: Instant, out: &mut Out, hold: bool) {
        while let Some(t) = self.proto.poll_transmit(now) {
            let sctp_proto::Payload::RawEncode(pkts) = t.payload else { continue };
            if let Some(sack) = pkts.iter().rev().find(|p| wire::lone_sack(p)) {
                self.held_sack = Some(repair::clamp_sack(sack, self.held).map_or_else(|| sack.clone(), Bytes::from));
            }
            for p in pkts.iter().filter(|p| !wire::lone_sack(p)) {
                let sack = self.held_sack.take_if(|s| wire::sack_fits(s, p));
                self.emit(p, sack.as_deref(), now, out);
            }
        }
        // Holding costs a flush (a crossing more): only for an application that
        // answers, i.e. wrote DATA since the last SACK held; a sink never does.
        if let Some(sack) = self.held_sack.take() {
            if hold && self.sent_data {
                self.sent_data = false;
                self.held_sack = Some(sack);
            } else {
                self.emit(&sack, None, now, out);
            }
        }
    }

    /// Whether a SACK waits for the next pump.
    pub fn holding(&self) -> bool {
        self.held_sack.is_some()
    }

    /// After a packet with DATA: reads what is complete, and around a loss
    /// lets SACKs go out now instead of once per batch (see `gaps`).
    /// `more_coming`: packets follow in this batch (the last one's SACK is the pump's).
    pub fn after_data(&mut self, now: Instant, out: &mut Out, more_coming: bool) {
        self.drain_events(now, out);
        self.data_packets = self.data_packets.wrapping_add(1);
        // RFC 9260 §6.2: a SACK for at least every second DATA packet. Once per
        // batch starved a sender bound by Max.Burst (usrsctp over UDP: 4 packets
        // per SACK); around a loss, after every packet (see `gaps`).
        if more_coming && (self.gaps.eager() || self.data_packets.is_multiple_of(2)) {
            self.transmit(now, out, false);
        }
    }

    /// Handles what sctp-proto has to say and reads every complete message.
    /// Called after each packet that carried DATA, not only once per batch:
    /// sctp-proto's reassembly queue scans and re-sorts its unread messages on
    /// every chunk, so a batch of packets read only at its end costs O(n²).
    pub fn drain_events(&mut self, now: Instant, out: &mut Out) {
        while let Some(ev) = self.proto.poll() {
            match ev {
                ProtoEvent::Connected => self.on_connected(now, out),
                ProtoEvent::Stream(StreamEvent::Readable { id }) => self.read(id, out),
                ProtoEvent::Stream(StreamEvent::Opened { .. }) => while self.proto.accept_stream().is_some() {},
                ProtoEvent::Stream(StreamEvent::Finished { id }) => out.events.push(self.stream_event("reset", id)),
                ProtoEvent::Stream(StreamEvent::ResetComplete { id }) => {
                    self.watches.remove(&id);
                    out.events.push(self.stream_event("resetDone", id));
                }
                ProtoEvent::Stream(StreamEvent::ResetFailed { id, .. }) => out.events.push(self.stream_event("resetFailed", id)),
                ProtoEvent::AssociationLost { reason } | ProtoEvent::HandshakeFailed { reason } => {
                    self.lost.get_or_insert(reason);
                }
                _ => {}
            }
        }
    }

    /// Any packet from the peer proves it alive.
    pub fn heard(&mut self, now: Instant) {
        self.last_rx = now;
        self.hb_unanswered = false;
        self.hb_missed = 0;
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.proto.handle_timeout(now);
        let t3 = self.proto.stats().get_num_t3timeouts();
        self.tail_probe(now, t3);
        if self.hb_due.is_some_and(|d| d <= now) {
            self.heartbeat(now);
        }
        let silent_timeouts = t3.saturating_sub(self.t3_at_last_rx);
        if silent_timeouts > u64::from(self.cfg.association_max_retrans) && self.ending.is_none() {
            self.fail("ETIMEDOUT", "association lost: peer stopped acknowledging (association_max_retrans)");
        }
        if self.deadline.is_some_and(|d| d <= now) && self.ending.is_none() {
            if self.connected {
                self.fail("ETIMEDOUT", "shutdown did not complete in time");
            } else {
                self.fail("ETIMEDOUT", "handshake did not complete in time");
            }
        }
    }

    /// Two round trips after a T3 expiry (at least 10 ms, at most half of
    /// rto_min), the chunk it sent again goes once more if still unacknowledged.
    /// `t3`: T3 expiries so far.
    fn tail_probe(&mut self, now: Instant, t3: u64) {
        if t3 > self.t3_seen {
            self.t3_seen = t3;
            let floor = Duration::from_millis(10);
            let ceiling = Duration::from_millis(self.cfg.rto_min as u64 / 2).max(floor);
            let wait = self.srtt.map_or(ceiling, |r| (r * 2).clamp(floor, ceiling));
            self.probe = self.recovery.oldest().map(|tsn| (now + wait, tsn));
        } else if let Some((_, tsn)) = self.probe.take_if(|(at, _)| *at <= now) {
            if let (Some(chunk), Some(tag)) = (self.recovery.probe(tsn), self.peer_tag) {
                self.pending_out.push(wire::packet_with_chunk(self.local_port, self.remote_port, tag, &chunk));
            }
        }
    }

    /// After `hb_interval` of silence, a HEARTBEAT; after `association_max_retrans`
    /// unanswered in a row, the peer is declared lost.
    fn heartbeat(&mut self, now: Instant) {
        let interval = Duration::from_millis(self.cfg.hb_interval as u64);
        if !self.connected || self.ending.is_some() || self.shutdown_started || self.peer_shutdown {
            self.hb_due = None;
            return;
        }
        if !self.hb_unanswered && now < self.last_rx + interval {
            self.hb_due = Some(self.last_rx + interval);
            return;
        }
        if self.hb_unanswered {
            self.hb_missed += 1;
            if self.hb_missed > self.cfg.association_max_retrans {
                self.hb_due = None;
                return self.fail("ETIMEDOUT", "association lost: heartbeats unanswered (association_max_retrans)");
            }
        }
        if let Some(tag) = self.peer_tag {
            let mut info = [0u8; 12];
            info[..4].copy_from_slice(&self.id.to_be_bytes());
            info[4..].copy_from_slice(&self.hb_nonce.to_be_bytes());
            self.pending_out.push(wire::heartbeat_packet(self.local_port, self.remote_port, tag, &info));
        }
        // An unanswered heartbeat is retried after rto_min, doubling up to rto_max
        // — not after another interval: a vanished idle peer is then reported
        // about hb_interval + association_max_retrans × rto_max after its last
        // word, not (association_max_retrans + 1) × hb_interval (5.5 minutes with
        // the old defaults). rto_min, not the RTO: a pure receiver's RTO is never
        // measured (sctp-proto times only its own DATA) and stays at rto_initial.
        // On a slower path a retry may go before the answer comes; the answer
        // still clears the count, so that costs a heartbeat, not the association.
        let backoff = (self.cfg.rto_min as u64).checked_shl(self.hb_missed).unwrap_or(u64::MAX).min(self.cfg.rto_max as u64);
        self.hb_unanswered = true;
        self.hb_due = Some(now + Duration::from_millis(backoff));
    }

    /// Ends the association with an error, telling the peer with an ABORT.
    fn fail(&mut self, code: &'static str, message: &str) {
        self.ending = Some(Ending::Error(code, message.to_string()));
        if let Some(tag) = self.peer_tag {
            self.pending_out.push(wire::abort_packet(self.local_port, self.remote_port, tag, false, false));
        }
        let _ = self.proto.close();
    }

    /// The earliest moment this association needs `handle_timeout`.
    pub fn next_deadline(&self) -> Option<Instant> {
        let parked = self.parked_reply.as_ref().map(|(at, _)| *at);
        let probe = self.probe.map(|(at, _)| at);
        [self.proto.poll_timeout(), self.deadline, self.hb_due, parked, probe].into_iter().flatten().min()
    }

    fn on_connected(&mut self, now: Instant, out: &mut Out) {
        self.connected = true;
        self.deadline = None;
        if self.cfg.hb_interval > 0.0 {
            self.hb_due = Some(now + Duration::from_millis(self.cfg.hb_interval as u64));
        }
        let (os, mis) = self.negotiated();
        let mut e = Event::new("connect", self.id);
        e.os = Some(os);
        e.mis = Some(mis);
        e.local_port = Some(u32::from(self.local_port));
        e.remote_port = Some(u32::from(self.remote_port));
        e.remote = (self.remote != PEER).then_some(self.remote);
        out.events.push(e);
    }

    fn stream_event(&self, kind: &str, stream: u16) -> Event {
        let mut e = Event::new(kind, self.id);
        e.stream = Some(u32::from(stream));
        e
    }

    /// Reads every complete message of a stream at once: sctp-proto's
    /// reassembly queue slows down quadratically with unread messages.
    fn read(&mut self, stream: u16, out: &mut Out) {
        let Ok(mut s) = self.proto.stream(stream) else { return };
        while let Ok(Some(msg)) = s.read_sctp() {
            if !self.discard_tsns.is_empty() {
                if let Some(tsn) = ppid::first_tsn(&msg).filter(|t| self.discard_tsns.contains(t)) {
                    for c in 0..msg.chunks.len() as u32 {
                        self.discard_tsns.remove(&tsn.wrapping_add(c));
                    }
                    self.discarded += 1;
                    continue;
                }
            }
            let len = msg.len();
            let start = out.data.len();
            out.data.resize(start + len, 0);
            // Cannot fail: the slice is exactly the message's length.
            let _ = msg.read(&mut out.data[start..]);
            let ppid = match msg.ppi {
                Ppi::Unknown => self.ppids.take_in(ppid::first_tsn(&msg)),
                p => p as u32,
            };
            out.meta.extend_from_slice(&[self.id, u32::from(stream), ppid, len as u32]);
            if self.held > 0 {
                self.held = self.held.saturating_add(len as u32);
            }
        }
        debug_assert_eq!(out.meta.len() % META_FIELDS, 0);
    }

    fn all_acked(&mut self) -> bool {
        let ids = self.proto.stream_ids();
        ids.into_iter().all(|id| self.proto.stream(id).ok().and_then(|s| s.buffered_amount().ok()).unwrap_or(0) == 0)
    }

    fn check_ending(&mut self, out: &mut Out) {
        if self.ending.is_none() {
            if self.sent_shutdown_complete {
                self.ending = Some(Ending::Graceful);
            } else if let Some(reason) = self.lost.take() {
                self.ending = Some(self.classify(reason));
                let Some(tag) = self.peer_tag.filter(|_| !self.peer_abort && !self.got_shutdown_complete) else { return };
                if self.ending == Some(Ending::Graceful) && !self.sent_shutdown_complete {
                    // The peer shut down and has everything we sent, but sctp-proto
                    // gave up before answering (a chunk it rejected in the same batch,
                    // e.g. a SACK it could not match to its in-flight queue). RFC 9260
                    // §9.2: SHUTDOWN ACK; its SHUTDOWN COMPLETE then finds us gone and
                    // is dropped, as out-of-the-blue SHUTDOWN COMPLETEs are.
                    out.packet(&wire::shutdown_ack_packet(self.local_port, self.remote_port, tag));
                } else {
                    // sctp-proto closes without a word on a protocol error (any chunk
                    // it rejects); the peer would wait for us until its own timers
                    // give up, or forever if it has nothing to send (found by fuzzing).
                    // After an orderly end this ABORT is out of the blue for the peer: discarded.
                    out.packet(&wire::abort_packet(self.local_port, self.remote_port, tag, false, false));
                }
            }
        }
    }

    /// Whether the peer's SHUTDOWN acknowledged exactly every TSN we sent (one
    /// acknowledging more is forged or broken).
    fn peer_has_everything(&self) -> bool {
        self.peer_shutdown_ack.is_some() && self.peer_shutdown_ack == self.highest_tsn_sent.or(self.before_first_tsn)
    }

    fn classify(&self, reason: AssociationError) -> Ending {
        match reason {
            // An ABORT answering our INIT is TCP's RST to a SYN: nobody listens, or the server is full.
            _ if self.peer_abort && !self.connected && !self.incoming => Ending::Error("ECONNREFUSED", "the peer refused the association (ABORT)".into()),
            _ if self.peer_abort => Ending::Error("ECONNRESET", "association aborted by peer".into()),
            _ if self.got_shutdown_complete => Ending::Graceful,
            // After the peer's SHUTDOWN, graceful only if it had all we sent (its
            // SHUTDOWN says so); otherwise data was lost and that is an error.
            _ if self.peer_shutdown && self.peer_has_everything() => Ending::Graceful,
            _ if self.peer_shutdown && self.peer_shutdown_ack.is_some() => {
                Ending::Error("ECONNRESET", format!("association failed during the peer's shutdown: {reason}"))
            }
            _ if self.peer_shutdown => Ending::Graceful,
            AssociationError::HandshakeFailed(e) => Ending::Error("ETIMEDOUT", format!("handshake failed: {e}")),
            AssociationError::ReceiveBufferExhausted => {
                Ending::Error("ENOBUFS", "receive buffer exhausted while reassembling a message".into())
            }
            other => Ending::Error("ECONNRESET", format!("association lost: {other}")),
        }
    }
}

/// A per-association secret for heartbeats. RandomState is seeded from the OS.
fn nonce(id: u32) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(id);
    h.finish()
}

/// Invalid-stream DATA chunks remembered for discarding at once; past that,
/// such DATA is dropped unacknowledged (a peer that never completes its
/// fragments must not grow the set).
const MAX_DISCARDING: usize = 4096;

/// How long an association may take to establish before the driver gives up.
/// An incoming one lives from its INIT on (sctp-proto keeps state there):
/// `valid_cookie_life` bounds that, so a COOKIE ECHO later than it is stale.
fn handshake_limit(cfg: &AssocConfig, incoming: bool) -> Duration {
    if incoming {
        return Duration::from_millis(cfg.valid_cookie_life as u64);
    }
    let mut total = 0.0;
    let mut rto = cfg.rto_initial;
    for _ in 0..=cfg.max_init_retransmits {
        total += rto;
        rto = (rto * 2.0).min(cfg.rto_max);
    }
    Duration::from_millis((total + cfg.rto_initial) as u64)
}

/// How long SHUTDOWN may take: sctp-proto stops retransmitting it without telling.
fn closing_limit(cfg: &AssocConfig) -> Duration {
    Duration::from_millis((cfg.rto_initial * 32.0).min(cfg.rto_max * 4.0).max(1000.0) as u64)
}
