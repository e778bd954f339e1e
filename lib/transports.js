'use strict'
// The far end of a dgram socket (dtlsUdp's), and an in-memory transport pair
// (one chunk = one SCTP packet). udpTransport() is in udp.js.
const dns = require('dns')
const net = require('net')
const { Duplex } = require('stream')
const options = require('./options')
const { invalidType, invalidValue } = require('./errors')

// The far end of a UDP socket: fixed by `port` (and `address`, default
// 127.0.0.1), or learnt from the first datagram. A host name is looked up
// once, in the socket's family, and sends wait for it: replies come from an
// address, never from a name. accepts(rinfo): whether a datagram comes from
// the peer. send(data, cb): one datagram to it; a failure (the lookup, or a
// socket closed under us) goes to cb, never thrown.
function udpPeer (socket, opts) {
  if (opts === null || typeof opts !== 'object') throw invalidType('options', 'an object', opts)
  const port = options.port(opts, 'port', false)
  const address = opts.address
  if (address !== undefined && typeof address !== 'string') throw invalidType('address', 'of type string', address)
  if (address === '') throw invalidValue('address', 'must be a host name or an IP address')
  const peer = { port, address: port ? address || '127.0.0.1' : undefined }
  let waiting = null // [data, cb] sent during the lookup
  let lookupError = null
  if (peer.address && !net.isIP(peer.address)) {
    waiting = []
    dns.lookup(peer.address, { family: socket.type === 'udp6' ? 6 : 4 }, (err, resolved) => {
      if (err) lookupError = err
      else peer.address = resolved
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

module.exports = { udpPeer, duplexPair }
