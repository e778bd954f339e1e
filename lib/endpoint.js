'use strict'
// The driver of one native endpoint: one per transport, shared by every
// socket and server on it. It batches the packets of one event-loop turn
// into one native call, coalesces writes into one flush per tick, keeps one
// timer, and routes what comes back to the sockets.
const { NativeEndpoint } = require('../binding.js')
const { withCode } = require('./errors')
const log = require('./log')

const endpoints = new WeakMap()
const LINGER_MS = 3000
// Transports that failed under an endpoint: whatever is started on them later fails too.
const failed = new WeakSet()

// Negative results of native send(), see src/assoc.rs SendError.
const SEND_ERRORS = {
  '-1': ['ERR_STREAM_DESTROYED', 'the association is closed'],
  '-2': ['ERR_SCTP_MESSAGE_TOO_LARGE', 'message is larger than the association allows'],
  '-3': ['ERR_SCTP_INVALID_STREAM', 'stream id is not below the negotiated number of outbound streams'],
  '-4': ['ERR_SCTP_NOT_CONNECTED', 'the association is not established yet']
}

class Endpoint {
  static for (transport) {
    let ep = endpoints.get(transport)
    if (!ep) {
      ep = new Endpoint(transport)
      endpoints.set(transport, ep)
    }
    return ep
  }

  constructor (transport) {
    this.transport = transport
    this.native = new NativeEndpoint()
    this.owners = new Map() // association id -> Socket
    this.listeners = new Map() // local port -> Server or passive Socket (has accept(id, event))
    this.inbox = []
    this.draining = false
    this.flushing = false
    this.timer = null
    this.timerAt = Infinity
    this.dead = null
    this.lingering = null
    this.nativeSeen = undefined // native stats at the last batch, for sctp:native
    // The first packet of an event-loop turn goes in at once (latency); the
    // ones that follow it in the same turn wait for the check phase and go
    // in together (one crossing, one output poll for the whole batch).
    this.onPacket = (pkt) => {
      this.inbox.push(pkt)
      if (this.draining) return
      this.draining = true
      setImmediate(this.endOfTurn)
      this.drain()
    }
    this.endOfTurn = () => {
      this.draining = false
      if (this.inbox.length) this.drain()
    }
    this.onTransportError = (err) => this.fail(err)
    this.onTransportClose = () => this.fail(null)
    transport.on('data', this.onPacket)
    transport.on('error', this.onTransportError)
    transport.on('close', this.onTransportClose)
    transport.on('end', this.onTransportClose)
    log.endpoint('endpoint created')
    // A transport that is finished or failed before will not carry packets:
    // fail its first users asynchronously, as net reports a refused connect.
    if (failed.has(transport) || transport.destroyed || transport.readableEnded || transport.writableEnded) {
      process.nextTick(this.onTransportClose)
    }
  }

  // --- calls from sockets and servers -------------------------------------

  connect (cfg, socket) {
    const id = this.call(() => this.native.connect(cfg))
    this.owners.set(id, socket)
    this.kick()
    return id
  }

  listen (cfg, passive, owner) {
    if (this.dead) throw this.dead
    if (!this.native.listen(cfg, passive)) return false
    this.listeners.set(cfg.localPort, owner)
    return true
  }

  unlisten (port, owner) {
    if (this.listeners.get(port) !== owner) return
    this.listeners.delete(port)
    this.native.unlisten(port)
    this.release()
  }

  // Queues one message; returns the stream's buffered bytes or throws a coded Error.
  send (id, stream, ppid, unordered, rel, data) {
    const r = this.native.send(id, stream, ppid, unordered, rel ? rel.type : 0, rel ? rel.value : 0, data)
    if (r < 0) {
      const [code, message] = SEND_ERRORS[r]
      throw withCode(Error, code, message)
    }
    this.kick()
    return r
  }

  shutdown (id) { this.native.shutdown(id); this.kick() }

  abort (id) {
    this.native.abort(id)
    this.owners.delete(id)
    this.kick()
  }

  stats () { return this.native.stats() }

  // --- the pump ---------------------------------------------------------------

  drain () {
    const packets = this.inbox
    this.inbox = []
    if (this.dead) return
    log.packet('in %d packets', packets.length)
    if (log.trace.enabled) for (const p of packets) log.trace('in  %s', log.describePacket(p))
    this.dispatch(this.call(() => this.native.input(packets)))
  }

  // Writes in one tick share one flush.
  kick () {
    if (this.flushing) return
    this.flushing = true
    process.nextTick(() => {
      this.flushing = false
      this.flush()
    })
  }

  flush () {
    if (this.dead) return
    this.dispatch(this.call(() => this.native.flush()))
  }

  // A native call. A panic there is caught in Rust and arrives as a throw:
  // the endpoint's state is then not trusted, so every association on it ends.
  call (fn) {
    try {
      return fn()
    } catch (err) {
      if (this.dead) throw err
      log.native('native call threw (a caught panic); every association on this transport ends: %s', err.message)
      const e = withCode(Error, 'ERR_SCTP_INTERNAL', `internal error in the SCTP stack: ${err.message}`)
      this.fail(e)
      throw e
    }
  }

  dispatch (out) {
    if (log.native.enabled) this.logNative()
    if (!out) return this.arm(undefined)
    const { packets, lens, data, meta, events, timeout } = out
    // A transport that ended its writable side is a dead link: packets are lost.
    const t = this.transport
    let off = 0
    if (lens.length && !t.writableEnded && !t.destroyed) {
      if (log.trace.enabled) {
        for (let i = 0, o = 0; i < lens.length; o += lens[i++]) log.trace('out %s', log.describePacket(packets.subarray(o, o + lens[i])))
      }
      for (let i = 0; i < lens.length; i++) {
        const len = lens[i]
        t.write(packets.subarray(off, off + len))
        off += len
      }
      log.packet('out %d packets', lens.length)
    }
    // 'connect' before the messages that may share its packet; 'end' and 'close' after them.
    for (const ev of events) if (ev.kind === 'connect') this.onConnect(ev)
    off = 0
    for (let i = 0; i < meta.length; i += 4) {
      const len = meta[i + 3]
      const owner = this.owners.get(meta[i])
      if (owner) owner._onMessage(data.subarray(off, off + len), meta[i + 1], meta[i + 2])
      off += len
    }
    for (const ev of events) {
      if (ev.kind === 'connect') continue
      const owner = this.owners.get(ev.assoc)
      log.state('association %d: %s%s', ev.assoc, ev.kind, ev.code ? ` ${ev.code}: ${ev.message}` : '')
      if (ev.kind === 'close') this.owners.delete(ev.assoc)
      if (owner) owner._onEvent(ev)
    }
    this.arm(timeout)
    if (events.length) this.release()
  }

  // sctp:native: what the core dropped or contained since the last batch.
  logNative () {
    const stats = this.native.stats()
    log.nativeChanges(this.nativeSeen, stats)
    this.nativeSeen = stats
  }

  onConnect (ev) {
    log.state('association %d: connect %d -> %d (OS %d, MIS %d)', ev.assoc, ev.localPort, ev.remotePort, ev.os, ev.mis)
    let owner = this.owners.get(ev.assoc)
    if (!owner) {
      const listener = this.listeners.get(ev.localPort)
      owner = listener && listener.accept(ev)
      if (!owner) {
        this.native.abort(ev.assoc)
        this.kick()
        return
      }
      this.owners.set(ev.assoc, owner)
    }
    owner._onEvent(ev)
  }

  // One timer per endpoint, moved only when the native deadline moves.
  arm (timeout) {
    if (timeout === undefined || timeout === null) {
      if (this.timer) clearTimeout(this.timer)
      this.timer = null
      this.timerAt = Infinity
      return
    }
    const at = Date.now() + timeout
    if (this.timer && Math.abs(at - this.timerAt) < 1) return
    if (this.timer) clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(() => {
      this.timer = null
      this.timerAt = Infinity
      this.flush()
    }, Math.max(0, Math.ceil(timeout)))
    // Only live associations keep the process running, as sockets do.
    if (this.owners.size === 0) this.timer.unref()
  }

  // The transport failed or closed: every association on it ends with an error.
  fail (err) {
    if (this.dead) return
    const e = err && err.code === 'ERR_SCTP_INTERNAL'
      ? err
      : withCode(Error, 'ERR_SCTP_TRANSPORT_CLOSED', err ? `transport error: ${err.message}` : 'transport closed')
    if (err && err !== e) e.cause = err
    this.dead = e
    failed.add(this.transport)
    log.state('endpoint failed: %s', e.message)
    const owners = [...this.owners.values()]
    const listeners = [...new Set(this.listeners.values())]
    this.owners.clear()
    this.listeners.clear()
    for (const o of owners) o._onEvent({ kind: 'close', code: e.code, message: e.message, cause: e.cause })
    for (const l of listeners) if (l._onTransportError) l._onTransportError(e)
    this.arm(undefined)
    this.detach()
  }

  // With no socket or server left, let go of the transport (and the process),
  // after lingering a little as TCP's TIME_WAIT does: if our SHUTDOWN COMPLETE
  // was lost, the peer's retransmitted SHUTDOWN ACK still gets one (RFC 9260
  // §8.4 rule 5). The linger timer does not keep the process alive.
  release () {
    if (!this.idle()) {
      if (this.timer && this.owners.size === 0) this.timer.unref()
      return
    }
    if (this.lingering) return
    this.lingering = setTimeout(() => {
      this.lingering = null
      if (this.idle()) this.detach()
    }, LINGER_MS)
    this.lingering.unref()
  }

  idle () {
    return this.owners.size === 0 && this.listeners.size === 0 && this.native.stats().associations === 0
  }

  detach () {
    if (this.lingering) clearTimeout(this.lingering)
    this.lingering = null
    const t = this.transport
    t.removeListener('data', this.onPacket)
    t.removeListener('error', this.onTransportError)
    t.removeListener('close', this.onTransportClose)
    t.removeListener('end', this.onTransportClose)
    if (endpoints.get(t) === this) endpoints.delete(t)
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }
}

module.exports = { Endpoint }
