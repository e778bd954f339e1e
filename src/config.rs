//! Association parameters as JavaScript passes them (already validated by
//! `lib/options.js`, which owns the defaults) and their sctp-proto form.

use std::sync::Arc;

use napi_derive::napi;
use sctp_proto::TransportConfig;

/// The largest receive window the driver advertises.
const MAX_RWND: u32 = 64 << 20;

/// One association's settings: the module defaults merged with connect options.
#[napi(object)]
#[derive(Clone, Debug)]
pub struct AssocConfig {
    pub local_port: u32,
    pub remote_port: u32,
    /// Outbound streams we ask for (OS).
    pub os: u32,
    /// Inbound streams we accept (MIS).
    pub mis: u32,
    pub rto_initial: f64,
    pub rto_min: f64,
    pub rto_max: f64,
    pub max_init_retransmits: u32,
    /// Consecutive retransmission timeouts without word from the peer before
    /// the association is declared lost (sctp-proto itself never gives up).
    pub association_max_retrans: u32,
    /// Largest message we send or accept, in bytes; 0 = unlimited.
    pub max_message_size: f64,
    /// Receive buffer (advertised a_rwnd), bytes.
    pub rwnd: f64,
    /// Idle time before a HEARTBEAT, ms; 0 = none.
    pub hb_interval: f64,
    /// How long an incoming association may wait for its COOKIE ECHO, ms.
    pub valid_cookie_life: f64,
}

impl AssocConfig {
    /// Small windows and fast timers, for the in-process tests, fuzz targets
    /// and benches (JavaScript always passes every field).
    pub fn for_tests(local_port: u32, remote_port: u32) -> Self {
        AssocConfig {
            local_port,
            remote_port,
            os: 4,
            mis: 4,
            rto_initial: 100.0,
            rto_min: 50.0,
            rto_max: 1000.0,
            max_init_retransmits: 4,
            association_max_retrans: 5,
            max_message_size: 262144.0,
            rwnd: 1048576.0,
            hb_interval: 0.0,
            valid_cookie_life: 2000.0,
        }
    }

    /// The timers `lib/options.js` gives an association by default (its
    /// `INITIAL`, README "Timers"), on `for_tests`' other settings: for the
    /// Rust tests and benches that mean "as a user gets it".
    pub fn with_default_timers(local_port: u32, remote_port: u32) -> Self {
        AssocConfig {
            rto_initial: 1000.0,
            rto_min: 400.0,
            rto_max: 2000.0,
            max_init_retransmits: 8,
            association_max_retrans: 10,
            hb_interval: 10000.0,
            ..Self::for_tests(local_port, remote_port)
        }
    }

    fn max_message(&self) -> u32 {
        if self.max_message_size <= 0.0 { u32::MAX } else { self.max_message_size as u32 }
    }

    /// The receive window in bytes. sctp-proto reassembles whole messages inside
    /// its receive buffer, so the window must hold the largest one (capped:
    /// "unlimited" means up to 64 MiB).
    pub fn receive_window(&self) -> u32 {
        (self.rwnd as u32).max(self.max_message().min(MAX_RWND - 64 * 1024) + 64 * 1024)
    }

    pub fn transport(&self) -> Arc<TransportConfig> {
        let max_msg = self.max_message();
        let rwnd = self.receive_window();
        Arc::new(
            TransportConfig::default()
                .with_local_port(self.local_port as u16)
                .with_remote_port(self.remote_port as u16)
                .with_max_num_outbound_streams(self.os as u16)
                .with_max_num_inbound_streams(self.mis as u16)
                .with_rto_initial_ms(self.rto_initial as u64)
                .with_rto_min_ms(self.rto_min as u64)
                .with_rto_max_ms(self.rto_max as u64)
                .with_max_init_retransmits(Some(self.max_init_retransmits as usize))
                .with_max_data_retransmits(None)
                .with_max_send_message_size(max_msg)
                .with_max_receive_message_size(max_msg)
                .with_max_receive_buffer_size(rwnd),
        )
    }
}
