//! Many SCTP clients over UDP, each on its own socket (a source port each), for
//! the server-socket workload of `npm run bench` (benches/peers/udp-server.js
//! is the server, in Node; this is the load, in Rust, so that it measures the
//! server rather than a JavaScript client).
//!
//!   cargo bench --bench udp_clients -- --port P --count N [--wave W]
//!
//! Connects N associations to 127.0.0.1:P, W handshakes in flight at most
//! (the server keeps 4,096 half-open), prints one JSON line with the rate, then
//! keeps them open and answering (heartbeats) until stdin closes.
//!
//! One driver endpoint serves all clients: each association gets a made-up
//! remote address that names its socket, so the endpoint's output says which
//! socket each packet leaves from; epoll says which sockets have input.

use std::collections::HashMap;
use std::io::Read;
use std::mem::zeroed;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use sctp_native::config::AssocConfig;
use sctp_native::endpoint::Endpoint;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The made-up address that stands for socket `i` inside the endpoint.
fn alias(i: usize) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(10, (i >> 16) as u8, (i >> 8) as u8, i as u8), 9))
}

fn main() {
    let port = arg("--port", 0) as u16;
    let count = arg("--count", 10_000);
    let wave = arg("--wave", 2_000);
    assert!(port > 0, "--port P: the server's UDP port");
    let server = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port));
    // One descriptor per client: raise the soft limit to the hard one.
    // SAFETY: plain system calls on a local struct.
    unsafe {
        let mut lim: libc::rlimit = zeroed();
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
    }
    let epfd = unsafe { libc::epoll_create1(0) };
    let mut sockets = Vec::with_capacity(count);
    let mut by_alias = HashMap::with_capacity(count);
    for i in 0..count {
        let s = UdpSocket::bind("127.0.0.1:0").expect("bind a client socket (ulimit -n?)");
        s.set_nonblocking(true).unwrap();
        let mut ev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: i as u64 };
        // SAFETY: valid descriptors.
        unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, s.as_raw_fd(), &mut ev) };
        sockets.push(s);
        by_alias.insert(alias(i), i);
    }
    let mut ep = Endpoint::new();
    let cfg = AssocConfig::with_default_timers(5000, 5000); // clients as the library configures them
    let (mut started, mut connected, mut failed) = (0usize, 0usize, 0usize);
    let t0 = Instant::now();
    let mut done_at = None;
    let mut events: Vec<libc::epoll_event> = (0..256).map(|_| unsafe { zeroed() }).collect();
    let mut buf = vec![0u8; 65536];
    // stdin closing ends the hold.
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        let _ = tx.send(());
    });
    loop {
        let now = Instant::now();
        while started < count && started - connected - failed < wave {
            ep.connect_to(cfg.clone(), alias(started), now).expect("connect");
            started += 1;
        }
        ep.pump(now);
        let out = ep.take_out();
        for (to, pkt) in out.each_packet_to() {
            if let Some(&i) = by_alias.get(&to) {
                let _ = sockets[i].send_to(pkt, server);
            }
        }
        for e in &out.events {
            match (e.kind.as_str(), e.code.is_some()) {
                ("connect", _) => connected += 1,
                ("close", true) => failed += 1,
                _ => {}
            }
        }
        if done_at.is_none() && connected + failed >= count {
            let secs = t0.elapsed().as_secs_f64();
            done_at = Some(secs);
            println!(
                "{{\"ok\":{},\"connected\":{connected},\"failed\":{failed},\"seconds\":{secs:.3},\"handshakes_per_s\":{:.0}}}",
                failed == 0,
                connected as f64 / secs
            );
        }
        if done_at.is_some() && rx.try_recv().is_ok() {
            return;
        }
        if done_at.is_none() && t0.elapsed() > Duration::from_secs(120) {
            println!("{{\"ok\":false,\"connected\":{connected},\"failed\":{failed},\"error\":\"not all connected within 120 s\"}}");
            return;
        }
        let wait = ep.next_timeout().map_or(50, |t| t.saturating_duration_since(Instant::now()).as_millis().min(50) as i32);
        // SAFETY: room for events.len() entries.
        let n = unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), events.len() as i32, wait) };
        let now = Instant::now();
        for ev in events.iter().take(n.max(0) as usize) {
            let i = ev.u64 as usize;
            while let Ok((len, _)) = sockets[i].recv_from(&mut buf) {
                ep.input_from(now, alias(i), &buf[..len]);
            }
        }
    }
}
