'use strict'
// In-memory transport pairs shared by every JS implementation, so they all pay
// the same transport cost: one chunk = one SCTP packet, delivered to the other
// side on a later turn of the event loop (setImmediate), as a network would.
// `wire.loss` (0..1) drops packets in both directions with a seeded PRNG, so a
// run is repeatable: the same packet numbers are dropped every time.
const { Duplex } = require('stream')

class Wire {
  constructor (seed = 0x2545f491) {
    this.loss = 0
    this.state = seed >>> 0
    this.packets = 0
    this.dropped = 0
  }

  // mulberry32: small, fast and good enough to pick 1% of packets.
  drop () {
    this.packets++
    if (this.loss === 0) return false
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296
    if (r < this.loss) {
      this.dropped++
      return true
    }
    return false
  }
}

// Two stream.Duplex transports (sctp-native, @nodertc/sctp). write() completes
// at once, like a UDP send; the packet arrives on the next setImmediate.
function duplexPair (wire = new Wire()) {
  const make = () => new Duplex({
    write (chunk, encoding, cb) {
      const peer = this.peer
      if (!wire.drop()) setImmediate(() => { if (!peer.destroyed) peer.push(chunk) })
      cb()
    },
    read () {}
  })
  const a = make()
  const b = make()
  a.peer = b
  b.peer = a
  return { a, b, wire }
}

// Two werift-sctp transports ({ send(buf): Promise, onData, close }).
// deferred (default): send() resolves on a later tick, as a real socket's
// write callback does; immediate: it resolves at once.
function callbackPair (wire = new Wire(), { deferred = true } = {}) {
  const make = () => {
    const t = {
      onData: undefined,
      closed: false,
      send (buf) {
        const peer = t.peer
        if (!wire.drop()) setImmediate(() => { if (!peer.closed && peer.onData) peer.onData(buf) })
        return deferred ? new Promise((resolve) => setImmediate(resolve)) : Promise.resolve()
      },
      close () { t.closed = true }
    }
    return t
  }
  const a = make()
  const b = make()
  a.peer = b
  b.peer = a
  return { a, b, wire }
}

module.exports = { Wire, duplexPair, callbackPair }
