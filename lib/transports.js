'use strict'
// A UDP peer's options and look-up (udpTransport's and dtlsUdp's), the far
// end of dtlsUdp's socket, and an in-memory transport pair (one chunk = one
// SCTP packet). udpTransport() is in udp.js.
const dns = require('dns')
const net = require('net')
const { Duplex } = require('stream')
const options = require('./options')
const { invalidType, invalidValue } = require('./errors')

// A UDP peer's `port` and `address` options (udpTransport's, dtlsUdp's),
// checked: { port, address } with the address defaulting to 127.0.0.1, or
// { port: undefined } without a port.
function peerOptions (opts) {
  if (opts === null || typeof opts !== 'object') throw invalidType('options', 'an object', opts)
  const port = options.port(opts, 'port', false)
  const address = opts.address
  if (address !== undefined && typeof address !== 'string') throw invalidType('address', 'of type string', address)
  if (address === '') throw invalidValue('address', 'must be a host name or an IP address')
  return { port, address: port ? address || '127.0.0.1' : undefined }
}

// A peer given by host name: looked up once, in the socket's family (replies
// come from an address, never from a name); `peer.address` becomes the
// address, then cb(err) runs.
function resolvePeer (socket, peer, cb) {
  dns.lookup(peer.address, { family: socket.type === 'udp6' ? 6 : 4 }, (err, resolved) => {
    if (!err) peer.address = resolved
    cb(err)
  })
}

// The far end of a UDP socket: fixed by `port` (and `address`), or learnt
// from the first datagram. Sends wait for a host name's lookup.
// accepts(rinfo): whether a datagram comes from the peer. send(data, cb): one
// datagram to it; a failure (the lookup, or a socket closed under us) goes to
// cb, never thrown.
function udpPeer (socket, opts) {
  const peer = peerOptions(opts)
  let waiting = null // [data, cb] sent during the lookup
  let lookupError = null
  if (peer.address && !net.isIP(peer.address)) {
    waiting = []
    resolvePeer(socket, peer, (err) => {
      lookupError = err
      const queued = waiting
      waiting = null
      for (const [data, cb] of queued) peer.send(data, cb)
    })
  }
  peer.send = (data, cb) => {
    if (waiting) return waiting.push([data, cb])
    if (lookupError) return cb(lookupError)
    try {
      socket.send(data, peer.port, peer.address, (err) => cb(err))
    } catch (err) {
      cb(err) // ERR_SOCKET_DGRAM_NOT_RUNNING: the user closed the socket
    }
  }
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

module.exports = { peerOptions, resolvePeer, udpPeer, duplexPair }
