'use strict'
// DTLS glue for werift-dtls (https://www.npmjs.com/package/werift-dtls), the
// maintained DTLS 1.2 client *and* server for Node. Its DtlsClient/DtlsServer
// are not streams: they take a `transport` object ({ type, address, closed,
// onData, send, close }) and report through Event objects
// (onConnect/onData/onError/onClose .subscribe()). Two small adapters:
//
//   dtlsUdp(dgramSocket[, { port, address }])  a bound dgram socket as werift-dtls's `transport`
//   dtlsTransport(dtlsSocket)                  a DtlsClient/DtlsServer as an SCTP transport (Duplex)
//
// One DTLS application-data record = one SCTP packet (RFC 8261). Nothing here
// requires werift-dtls: any object of the same shape works.
const { Duplex } = require('stream')
const { invalidType, withCode } = require('./errors')
const { udpPeer } = require('./transports')

// werift-dtls's Transport interface over a bound dgram socket. With `port`
// (address default 127.0.0.1, or a host name) datagrams go there — a client's server;
// without, the first datagram's sender becomes the peer — a server's client.
// Datagrams from anyone else are dropped and counted (`dropped`).
function dtlsUdp (socket, opts = {}) {
  if (!socket || typeof socket.send !== 'function' || typeof socket.on !== 'function') {
    throw invalidType('socket', 'a dgram.Socket', socket)
  }
  const peer = udpPeer(socket, opts)
  const t = {
    type: 'udp',
    closed: false,
    dropped: 0,
    onData: () => {},
    get address () { return socket.address() },
    // A failed send is a lost datagram (DTLS retransmits): werift-dtls does
    // not catch every send, so a rejection would be an unhandled one.
    send (data) {
      if (t.closed || !peer.port) return Promise.resolve()
      return new Promise((resolve) => peer.send(data, () => resolve()))
    },
    close () {
      if (t.closed) return Promise.resolve()
      t.closed = true
      socket.removeListener('message', onMessage)
      return new Promise((resolve) => {
        try { socket.close(resolve) } catch { resolve() }
      })
    },
    remote () { return peer.port ? { port: peer.port, address: peer.address } : null }
  }
  const onMessage = (msg, rinfo) => {
    if (peer.accepts(rinfo)) t.onData(msg, [rinfo.address, rinfo.port])
    else t.dropped++
  }
  socket.on('message', onMessage)
  socket.once('close', () => { t.closed = true })
  return t
}

// A werift-dtls DtlsClient or DtlsServer as a Duplex: write() sends one
// application-data record, each record received is one chunk. Writes made
// before the handshake completes wait for it, so sctp.connect() can be called
// at once. A DTLS alert from the peer ends the stream; a handshake error
// destroys it with that error; destroy() closes the DTLS socket (and with
// dtlsUdp, its UDP socket).
function dtlsTransport (dtls) {
  const ok = dtls && typeof dtls.send === 'function' &&
    dtls.onData && typeof dtls.onData.subscribe === 'function' &&
    dtls.onConnect && typeof dtls.onConnect.subscribe === 'function'
  if (!ok) throw invalidType('dtls', 'a werift-dtls DtlsClient or DtlsServer', dtls)
  let waiting = [] // writes before the handshake completed: [chunk, cb]
  const subs = []
  const send = (chunk, cb) => {
    let p
    try {
      p = dtls.send(chunk)
    } catch (err) {
      return cb(err)
    }
    Promise.resolve(p).then(() => cb(), cb)
  }
  const t = new Duplex({
    write (chunk, encoding, cb) {
      if (dtls.connected) return send(chunk, cb)
      waiting.push([chunk, cb])
    },
    read () {},
    final (cb) { cb() },
    destroy (err, cb) {
      for (const s of subs) s.unSubscribe()
      for (const [, wcb] of waiting) wcb(err || withCode(Error, 'ERR_STREAM_DESTROYED', 'DTLS transport destroyed'))
      waiting = []
      try { if (typeof dtls.close === 'function') dtls.close() } catch {}
      cb(err)
    }
  })
  const on = (event, fn) => { if (event && typeof event.subscribe === 'function') subs.push(event.subscribe(fn)) }
  on(dtls.onConnect, () => {
    const queued = waiting
    waiting = []
    for (const [chunk, cb] of queued) send(chunk, cb)
    t.emit('secureConnect')
  })
  on(dtls.onData, (data) => { if (!t.destroyed) t.push(data) })
  on(dtls.onClose, () => { if (!t.destroyed) t.push(null) })
  on(dtls.onError, (err) => {
    if (t.destroyed) return
    const e = err instanceof Error ? err : new Error(String(err))
    if (!e.code) e.code = 'ERR_DTLS'
    t.destroy(e)
  })
  t.dtls = dtls
  return t
}

module.exports = { dtlsTransport, dtlsUdp }
