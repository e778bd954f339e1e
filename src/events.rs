//! What one crossing hands back to JavaScript: packets to send, received
//! messages, association events and the next timer deadline — all of it in a
//! handful of objects, whatever the number of packets or messages.

use napi::bindgen_prelude::{Buffer, Uint32Array};
use napi_derive::napi;

/// Numbers per message in `Output::meta`: [assoc, stream, ppid, length].
pub const META_FIELDS: usize = 4;

/// An association event. Messages travel separately (see `Output`).
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// "connect", "end" (peer began SHUTDOWN), "close", "low" (a stream's
    /// buffered bytes fell to a watched level), "reset" (peer reset an incoming stream),
    /// "resetDone" / "resetFailed" (our outgoing stream reset's outcome).
    pub kind: String,
    pub assoc: u32,
    pub stream: Option<u32>,
    pub local_port: Option<u32>,
    pub remote_port: Option<u32>,
    /// Negotiated outbound / inbound stream counts (on "connect").
    pub os: Option<u32>,
    pub mis: Option<u32>,
    /// On "close": none for a graceful end or a local abort, else an errno-style code.
    pub code: Option<String>,
    pub message: Option<String>,
    /// On "low": the stream's buffered bytes now.
    pub amount: Option<f64>,
}

impl Event {
    pub fn new(kind: &str, assoc: u32) -> Self {
        Event {
            kind: kind.to_string(),
            assoc,
            stream: None,
            local_port: None,
            remote_port: None,
            os: None,
            mis: None,
            code: None,
            message: None,
            amount: None,
        }
    }
}

/// Output accumulated in Rust during one crossing.
#[derive(Default, Debug)]
pub struct Out {
    /// Outgoing packets, back to back; `lens` cuts them apart.
    pub packets: Vec<u8>,
    pub lens: Vec<u32>,
    /// Received messages, back to back; `meta` holds
    /// [assoc, stream, ppid, length] for each.
    pub data: Vec<u8>,
    pub meta: Vec<u32>,
    pub events: Vec<Event>,
}

impl Out {
    pub fn is_empty(&self) -> bool {
        self.lens.is_empty() && self.meta.is_empty() && self.events.is_empty()
    }

    pub fn packet(&mut self, p: &[u8]) {
        self.packets.extend_from_slice(p);
        self.lens.push(p.len() as u32);
    }

    /// The packets one by one (the Rust tests and fuzz targets read them so).
    pub fn each_packet(&self) -> impl Iterator<Item = &[u8]> {
        let mut at = 0;
        self.lens.iter().map(move |&len| {
            let p = &self.packets[at..at + len as usize];
            at += len as usize;
            p
        })
    }
}

/// `Out` as JavaScript sees it.
#[napi(object)]
pub struct Output {
    pub packets: Buffer,
    pub lens: Uint32Array,
    pub data: Buffer,
    pub meta: Uint32Array,
    pub events: Vec<Event>,
    /// Milliseconds until the driver wants `flush()` called again, if ever.
    pub timeout: Option<f64>,
}

impl Output {
    pub fn from_out(out: Out, timeout: Option<f64>) -> Self {
        Output {
            packets: out.packets.into(),
            lens: Uint32Array::new(out.lens),
            data: out.data.into(),
            meta: Uint32Array::new(out.meta),
            events: out.events,
            timeout,
        }
    }
}
