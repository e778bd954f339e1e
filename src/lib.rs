//! sctp-native: a Node.js addon driving the sans-IO SCTP state machine of
//! `sctp-proto`. JavaScript owns the transport and stream semantics; this
//! crate owns associations and hands back, per call, everything that came
//! out, through buffers JavaScript reuses (see `events::Out::hand_over`).
#![deny(clippy::all)]

pub mod assoc;
pub mod config;
pub mod endpoint;
pub mod events;
pub mod gaps;
pub mod ppid;
pub mod recovery;
pub mod repair;
pub mod udp;
mod uvpoll;
pub mod wire;

mod binding;
