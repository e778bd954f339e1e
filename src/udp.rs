//! The native UDP path: SCTP over UDP (RFC 6951 framing: a datagram's payload
//! is one SCTP packet) with the socket owned here, so packets never cross into
//! JavaScript — only messages and events do.
//!
//! The socket is read on the JavaScript thread, when libuv says it is readable
//! (`uvpoll`): `recv` takes everything waiting in batches (`recvmmsg`), the
//! endpoint takes the whole batch at once, and what it sends leaves in batches
//! (`sendmmsg`), each packet to its association's address. No thread, no lock,
//! no hop between threads: a datagram costs what Node's own dgram read costs,
//! without a JavaScript object per datagram. One socket serves any number of
//! peers, associations told apart by remote address as RFC 6951 §5.4 does.
//!
//! libuv's poll handle rather than tokio or a reader thread: Node's event loop
//! already waits on sockets. A reader thread handing batches over with a
//! thread-safe function (tokio would hand over the same way) measured bulk
//! with usrsctp at 84/65 MiB/s where this does 150/119 in the same session.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::events::Out;

/// Datagrams taken per `recvmmsg` / sent per `sendmmsg`.
const BATCH: usize = 64;
/// Largest datagram read whole; a longer one is truncated and dropped. SCTP
/// packets here are at most a path MTU, but a peer may use jumbo frames.
const MAX_DATAGRAM: usize = 9216;
/// Bytes read per wake-up at most; what is left waits in the kernel for the
/// next one (the poll is level-triggered), so other sockets and timers get turns.
pub const TURN_BYTES: usize = 1 << 20;

/// What the socket saw, for `transport.stats()`.
#[derive(Default)]
pub struct Counters {
    pub datagrams_in: AtomicU64,
    pub datagrams_out: AtomicU64,
    /// Dropped on arrival: truncated, or (with a fixed peer) from elsewhere.
    pub dropped_in: AtomicU64,
    /// Not sent: the kernel refused (EMSGSIZE, ECONNREFUSED, EHOSTUNREACH, a full buffer…). Never fatal.
    pub send_errors: AtomicU64,
}

/// What one `recv` read, kept between calls for its allocations.
#[derive(Default)]
pub struct Inbox {
    bytes: Vec<u8>,
    items: Vec<(SocketAddr, u32)>,
}

impl Inbox {
    /// The datagrams with their senders, in arrival order.
    pub fn each(&self) -> impl Iterator<Item = (SocketAddr, &[u8])> {
        let mut at = 0;
        self.items.iter().map(move |&(from, len)| {
            let p = &self.bytes[at..at + len as usize];
            at += len as usize;
            (from, p)
        })
    }

    pub fn clear(&mut self) {
        self.bytes.clear();
        self.items.clear();
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// One UDP socket.
pub struct Udp {
    sock: UdpSocket,
    /// With a fixed peer, datagrams from anywhere else are dropped and packets go only there.
    pub peer: Option<SocketAddr>,
    pub counters: Counters,
}

thread_local! {
    /// The `recvmmsg` buffers, one set for every socket read on this thread.
    static BUFFERS: RefCell<Buffers> = RefCell::new(Buffers::new());
}

impl Udp {
    /// Takes a duplicate of a bound socket JavaScript has (and stops reading).
    pub fn open(fd: RawFd, peer: Option<SocketAddr>, buffer_size: u32) -> io::Result<Arc<Udp>> {
        // SAFETY: F_DUPFD_CLOEXEC returns a new descriptor this socket then owns alone.
        let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
        if dup < 0 {
            return Err(io::Error::last_os_error());
        }
        let sock = unsafe { UdpSocket::from_raw_fd(dup) };
        if buffer_size > 0 {
            // SCTP sends a window's worth at once: the default buffers drop part of it (the kernel caps the size).
            for opt in [libc::SO_RCVBUF, libc::SO_SNDBUF] {
                let v = buffer_size as libc::c_int;
                // SAFETY: a valid socket and an int option.
                unsafe { libc::setsockopt(sock.as_raw_fd(), libc::SOL_SOCKET, opt, (&v as *const libc::c_int).cast(), size_of::<libc::c_int>() as u32) };
            }
        }
        Ok(Arc::new(Udp { sock, peer, counters: Counters::default() }))
    }

    pub fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// Reads one batch of what waits on the socket into `inbox` (emptied
    /// first); returns whether more may wait (the batch was full).
    pub fn recv(&self, inbox: &mut Inbox) -> bool {
        inbox.clear();
        let fd = self.sock.as_raw_fd();
        BUFFERS.with_borrow_mut(|bufs| {
            let n = bufs.recv(fd);
            for i in 0..n {
                let (from, datagram, truncated) = bufs.datagram(i);
                self.counters.datagrams_in.fetch_add(1, Ordering::Relaxed);
                let foreign = self.peer.is_some_and(|p| Some(p) != from);
                match from {
                    Some(from) if !foreign && !truncated => {
                        inbox.bytes.extend_from_slice(datagram);
                        inbox.items.push((from, datagram.len() as u32));
                    }
                    _ => {
                        self.counters.dropped_in.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            // Fewer: drained (EAGAIN), or an ICMP error queued on the socket; neither is fatal.
            n == BATCH
        })
    }

    /// Sends every packet of `out` to its destination and empties them from it;
    /// returns how many there were. A packet the kernel refuses is counted and
    /// dropped, as a router would drop it: SCTP retransmits, and one unreachable
    /// peer never stops the others.
    pub fn send(&self, out: &mut Out) -> usize {
        let count = out.lens.len();
        if count == 0 {
            return 0;
        }
        let fd = self.sock.as_raw_fd();
        let mut batch: Vec<(libc::sockaddr_storage, u32, *const u8, usize)> = Vec::with_capacity(BATCH);
        let flush = |batch: &mut Vec<(libc::sockaddr_storage, u32, *const u8, usize)>| {
            let mut iovs: Vec<libc::iovec> = batch.iter().map(|b| libc::iovec { iov_base: b.2 as *mut _, iov_len: b.3 }).collect();
            let mut msgs: Vec<libc::mmsghdr> = Vec::with_capacity(batch.len());
            for (i, b) in batch.iter_mut().enumerate() {
                // SAFETY: zero is a valid mmsghdr; the pointers outlive the call below.
                let mut m: libc::mmsghdr = unsafe { zeroed() };
                m.msg_hdr.msg_name = (&mut b.0 as *mut libc::sockaddr_storage).cast();
                m.msg_hdr.msg_namelen = b.1;
                m.msg_hdr.msg_iov = &mut iovs[i];
                m.msg_hdr.msg_iovlen = 1;
                msgs.push(m);
            }
            let mut at = 0;
            while at < msgs.len() {
                // SAFETY: the headers from `at` on, each pointing at live data.
                let n = unsafe { libc::sendmmsg(fd, msgs[at..].as_mut_ptr(), (msgs.len() - at) as u32, libc::MSG_DONTWAIT) };
                if n > 0 {
                    self.counters.datagrams_out.fetch_add(n as u64, Ordering::Relaxed);
                    at += n as usize;
                } else {
                    // The message at `at` failed: count it and go on with the next.
                    let errno = io::Error::last_os_error().raw_os_error().unwrap_or(0);
                    if errno == libc::EINTR {
                        continue;
                    }
                    self.counters.send_errors.fetch_add(1, Ordering::Relaxed);
                    at += 1;
                }
            }
            batch.clear();
        };
        let peer = self.peer;
        for (to, p) in out.each_packet_to() {
            let (name, len) = to_sockaddr(peer.unwrap_or(to));
            batch.push((name, len, p.as_ptr(), p.len()));
            if batch.len() == BATCH {
                flush(&mut batch);
            }
        }
        flush(&mut batch);
        out.clear_packets();
        count
    }
}

/// `recvmmsg` buffers.
struct Buffers {
    data: Vec<u8>,
    names: Vec<libc::sockaddr_storage>,
    iovs: Vec<libc::iovec>,
    msgs: Vec<libc::mmsghdr>,
}

impl Buffers {
    fn new() -> Self {
        // SAFETY (here and below): plain C structs, zero is a valid value.
        Buffers {
            data: vec![0u8; BATCH * MAX_DATAGRAM],
            names: (0..BATCH).map(|_| unsafe { zeroed() }).collect(),
            iovs: (0..BATCH).map(|_| unsafe { zeroed() }).collect(),
            msgs: (0..BATCH).map(|_| unsafe { zeroed() }).collect(),
        }
    }

    /// One `recvmmsg` without waiting; the number of datagrams read.
    fn recv(&mut self, fd: RawFd) -> usize {
        for i in 0..BATCH {
            self.iovs[i] = libc::iovec { iov_base: self.data[i * MAX_DATAGRAM..].as_mut_ptr().cast(), iov_len: MAX_DATAGRAM };
            let h = &mut self.msgs[i].msg_hdr;
            h.msg_name = (&mut self.names[i] as *mut libc::sockaddr_storage).cast();
            h.msg_namelen = size_of::<libc::sockaddr_storage>() as u32;
            h.msg_iov = &mut self.iovs[i];
            h.msg_iovlen = 1;
            h.msg_flags = 0;
        }
        // SAFETY: BATCH headers, each pointing at its own buffer and address.
        let n = unsafe { libc::recvmmsg(fd, self.msgs.as_mut_ptr(), BATCH as u32, libc::MSG_DONTWAIT, std::ptr::null_mut()) };
        n.max(0) as usize
    }

    /// Datagram `i` of the last `recv`: its sender, its bytes, whether it was cut.
    fn datagram(&self, i: usize) -> (Option<SocketAddr>, &[u8], bool) {
        let m = &self.msgs[i];
        let len = (m.msg_len as usize).min(MAX_DATAGRAM);
        (from_sockaddr(&self.names[i]), &self.data[i * MAX_DATAGRAM..][..len], m.msg_hdr.msg_flags & libc::MSG_TRUNC != 0)
    }
}

fn from_sockaddr(s: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match s.ss_family as i32 {
        libc::AF_INET => {
            // SAFETY: the family says which struct this is.
            let a: &libc::sockaddr_in = unsafe { &*(s as *const libc::sockaddr_storage).cast() };
            Some(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)), u16::from_be(a.sin_port))))
        }
        libc::AF_INET6 => {
            // SAFETY: as above.
            let a: &libc::sockaddr_in6 = unsafe { &*(s as *const libc::sockaddr_storage).cast() };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(ip, u16::from_be(a.sin6_port), a.sin6_flowinfo, a.sin6_scope_id)))
        }
        _ => None,
    }
}

fn to_sockaddr(a: SocketAddr) -> (libc::sockaddr_storage, u32) {
    // SAFETY: zero is a valid sockaddr_storage, and each arm writes the struct its family names.
    let mut s: libc::sockaddr_storage = unsafe { zeroed() };
    match a {
        SocketAddr::V4(v4) => {
            let sin: &mut libc::sockaddr_in = unsafe { &mut *(&mut s as *mut libc::sockaddr_storage).cast() };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = v4.port().to_be();
            sin.sin_addr = libc::in_addr { s_addr: u32::from(*v4.ip()).to_be() };
            (s, size_of::<libc::sockaddr_in>() as u32)
        }
        SocketAddr::V6(v6) => {
            let sin6: &mut libc::sockaddr_in6 = unsafe { &mut *(&mut s as *mut libc::sockaddr_storage).cast() };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = v6.port().to_be();
            sin6.sin6_addr = libc::in6_addr { s6_addr: v6.ip().octets() };
            sin6.sin6_flowinfo = v6.flowinfo();
            sin6.sin6_scope_id = v6.scope_id();
            (s, size_of::<libc::sockaddr_in6>() as u32)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_addresses_round_trip() {
        for a in ["127.0.0.1:9899", "[::1]:5000", "[fe80::1%2]:1"] {
            let a: SocketAddr = a.parse().unwrap();
            let (s, _) = to_sockaddr(a);
            assert_eq!(from_sockaddr(&s), Some(a));
        }
    }
}
