'use strict'
// Transports: a dgram socket as a Duplex, and an in-memory pair.
// Both keep one chunk = one SCTP packet.
const { Duplex } = require('stream')
const { invalidType } = require('./errors')

// The far end of a UDP socket: fixed by `port` (and `address`, default
// 127.0.0.1), or learnt from the first datagram. accepts(rinfo): whether a
// datagram comes from it.
function udpPeer (opts) {
  const peer = { port: opts.port, address: opts.address || (opts.port ? '127.0.0.1' : undefined) }
  peer.accepts = (rinfo) => {
    if (!peer.port) {
      peer.port = rinfo.port
      peer.address = rinfo.address
      return true
    }
    return rinfo.port === peer.port && rinfo.address === peer.address
  }
  return peer
}

// A UDP socket as a transport. With `port` (and `address`, default
// 127.0.0.1) every packet goes there; without, the first datagram's sender
// becomes the peer. Datagrams from anyone else are dropped and counted.
// `bufferSize` (default 4 MiB, 0 = leave alone) sets the kernel buffers.
// Destroying the transport closes the socket.
function udpTransport (socket, opts = {}) {
  if (!socket || typeof socket.send !== 'function') throw invalidType('socket', 'a dgram.Socket', socket)
  const peer = udpPeer(opts)
  const t = new Duplex({
    write (chunk, encoding, cb) {
      if (!peer.port) return cb() // no peer yet: nothing to answer
      socket.send(chunk, peer.port, peer.address, (err) => cb(err))
    },
    read () {},
    destroy (err, cb) {
      socket.removeListener('message', onMessage)
      try { socket.close() } catch {}
      cb(err)
    }
  })
  t.dropped = 0
  // SCTP sends a window's worth in a burst; the default 208 KiB receive buffer
  // drops part of it on loopback. Ask for more (the kernel caps it at rmem_max).
  const bufferSize = opts.bufferSize === undefined ? 4 << 20 : opts.bufferSize
  if (bufferSize) {
    const grow = () => {
      try {
        socket.setRecvBufferSize(bufferSize)
        socket.setSendBufferSize(bufferSize)
      } catch {} // not bound yet, or the OS refuses: keep its defaults
    }
    grow()
    socket.once('listening', grow)
  }
  const onMessage = (msg, rinfo) => {
    if (peer.accepts(rinfo)) t.push(msg)
    else t.dropped++
  }
  socket.on('message', onMessage)
  socket.on('error', (err) => t.destroy(err))
  socket.on('close', () => { if (!t.destroyed) t.destroy() })
  t.address = () => socket.address()
  t.remote = () => (peer.port ? { port: peer.port, address: peer.address } : null)
  return t
}

// Two connected in-memory transports: what one writes the other reads, on a
// later turn of the event loop (setImmediate), as a network would deliver it.
function duplexPair () {
  const make = () => new Duplex({
    write (chunk, encoding, cb) {
      const peer = this.peer
      setImmediate(() => { if (!peer.destroyed) peer.push(chunk) })
      cb()
    },
    read () {},
    final (cb) {
      const peer = this.peer
      setImmediate(() => peer.push(null))
      cb()
    }
  })
  const a = make()
  const b = make()
  a.peer = b
  b.peer = a
  return [a, b]
}

module.exports = { udpTransport, udpPeer, duplexPair }
