'use strict'
// The driver of one native endpoint: one per transport, shared by every
// socket and server on it. It batches the packets of one event-loop turn
// into one native call, coalesces writes into one flush (a microtask), keeps
// one timer, and routes what comes back to the sockets.
const { NativeEndpoint } = require('../binding.js')
const { UdpTransport } = require('./udp')
const { withCode } = require('./errors')
const log = require('./log')

const endpoints = new WeakMap()
const LINGER_MS = 3000

// The two buffers every native call takes packets from and writes its output
// to, shared by all endpoints (layout: src/events.rs). Output is copied out
// of them before anything else runs, so a nested call cannot overwrite it.
const HEAD = 8
const EVENT_WORDS = 6
const KINDS = ['connect', 'end', 'close', 'low', 'reset', 'resetDone', 'resetFailed']
const MAX_BATCH = 4096 // packets per input call: their lengths must fit in `meta`
let io = Buffer.allocUnsafeSlow(256 * 1024)
const meta = new Uint32Array(HEAD + MAX_BATCH)
const grow = (bytes) => { io = Buffer.allocUnsafeSlow(2 ** Math.ceil(Math.log2(bytes))) }

function copyOut (at, len) {
  const b = Buffer.allocUnsafe(len)
  io.copy(b, 0, at, at + len)
  return b
}
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
    this.notPackets = 0 // chunks from the transport that were not bytes: counted as malformed
    // The first packet of an event-loop turn goes in at once (latency); the
    // ones that follow it in the same turn wait for the check phase and go
    // in together (one crossing, one output poll for the whole batch).
    this.onPacket = (pkt) => {
      // null, a string or a number (an object-mode transport) is no packet; the chunks after it still are.
      if (!(pkt instanceof Uint8Array)) {
        this.notPackets++
        log.packet('dropped a chunk that is not bytes: %s', pkt === null ? 'null' : typeof pkt)
        return
      }
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
    this.onTimer = () => {
      this.timer = null
      this.timerAt = Infinity
      this.flush()
    }
    this.onFlush = () => {
      this.flushing = false
      this.flush()
    }
    this.onTransportError = (err) => this.fail(err)
    this.onTransportClose = () => this.fail(null)
    // The native UDP path: Rust reads and writes the socket; 'datagrams' says some wait.
    this.udp = transport instanceof UdpTransport ? transport : null
    this.waiting = [] // connect() calls made before the UDP socket was ready: [cfg, socket, remote]
    this.onDatagrams = () => this.udpInput()
    this.onUdpReady = () => {
      if (this.dead) return
      this.native.attachUdp(transport.native, transport.maxAssociations)
      transport.on('datagrams', this.onDatagrams)
      const waiting = this.waiting
      this.waiting = []
      for (const [cfg, socket, remote] of waiting) if (!socket.destroyed) socket._id = this.connect(cfg, socket, remote)
    }
    if (this.udp) {
      if (transport.native) this.onUdpReady()
      else transport.once('ready', this.onUdpReady)
    } else transport.on('data', this.onPacket)
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

  // `remote`: the UDP peer ({ address, port }) on the native UDP path. Until
  // its socket is ready the call waits (the socket's id is set then) and 0 is returned.
  connect (cfg, socket, remote) {
    if (this.udp && !this.udp.native) {
      this.waiting.push([cfg, socket, remote])
      return 0
    }
    let id
    try {
      id = remote ? this.native.connectUdp(cfg, `${remote.address} ${remote.port}`) : this.native.connect(cfg)
    } catch (err) {
      throw this.crashed(err)
    }
    this.owners.set(id, socket)
    this.kick()
    return id
  }

  listen (cfg, passive, owner) {
    if (this.dead) throw this.deadError()
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

  stats () {
    const stats = this.native.stats()
    stats.malformed += this.notPackets
    return stats
  }

  // --- the pump ---------------------------------------------------------------

  drain () {
    const packets = this.inbox
    this.inbox = []
    if (this.dead) return
    log.packet('in %d packets', packets.length)
    if (log.trace.enabled) for (const p of packets) log.trace('in  %s', log.describePacket(p))
    for (let first = 0; first < packets.length && !this.dead; first += MAX_BATCH) {
      const last = Math.min(packets.length, first + MAX_BATCH)
      let bytes = 0
      for (let i = first; i < last; i++) bytes += packets[i].length
      if (bytes > io.length) grow(bytes)
      for (let i = first, at = 0; i < last; i++) {
        io.set(packets[i], at)
        meta[HEAD + i - first] = packets[i].length
        at += packets[i].length
      }
      let timeout
      try {
        timeout = this.native.input(io, meta, last - first)
      } catch (err) {
        throw this.crashed(err)
      }
      this.dispatch(timeout)
    }
  }

  // Writes in one job share one flush, run as a microtask: after the promise
  // continuations already queued, so an answer written after an `await` is in it.
  kick () {
    if (this.flushing) return
    this.flushing = true
    queueMicrotask(this.onFlush)
  }

  flush () {
    if (this.dead) return
    this.dispatch(this.nativeFlush())
  }

  // Datagrams wait on the UDP socket: one native call reads them all, feeds them and sends the answers.
  udpInput () {
    if (this.dead) return
    let timeout
    try {
      timeout = this.native.udpInput(io, meta)
    } catch (err) {
      throw this.crashed(err)
    }
    this.dispatch(timeout)
  }

  // Runs due timers, pumps, and hands over (the rest of) the output; returns the next timeout.
  nativeFlush () {
    try {
      return this.native.flush(io, meta)
    } catch (err) {
      throw this.crashed(err)
    }
  }

  // A native call threw: a panic caught in Rust. The endpoint's state is
  // then not trusted, so every association on it ends.
  crashed (err) {
    if (this.dead) return err
    log.native('native call threw (a caught panic); every association on this transport ends: %s', err.message)
    const e = withCode(Error, 'ERR_SCTP_INTERNAL', `internal error in the SCTP stack: ${err.message}`)
    this.fail(e)
    return e
  }

  // Copies the output of the last native call out of `io` (asking for the
  // rest while there is more), then acts on it.
  dispatch (timeout) {
    if (log.native.enabled) this.logNative()
    let packets = null
    let messages = null // [assoc, stream, ppid, data] per message, flat
    let events = null
    let holding = 0
    for (;;) {
      holding = meta[5]
      let w = HEAD
      let at = 0
      // The packets, back to back at the start of `io`, leave in one copy; each is a view of it.
      let end = 0
      for (let i = 0; i < meta[0]; i++) end += meta[HEAD + i]
      const slab = end ? copyOut(0, end) : null
      for (let n = meta[0]; n > 0; n--) {
        const len = meta[w++]
        ;(packets ||= []).push(slab.subarray(at, at + len))
        at += len
      }
      for (let n = meta[1]; n > 0; n--, w += 4) {
        const len = meta[w + 3]
        ;(messages ||= []).push(meta[w], meta[w + 1], meta[w + 2], copyOut(at, len))
        at += len
      }
      for (let n = meta[2]; n > 0; n--, w += EVENT_WORDS) {
        ;(events ||= []).push(decodeEvent(w, at))
        at += meta[w + 5]
      }
      if (!meta[4]) break
      if (meta[3]) grow(meta[3])
      timeout = this.nativeFlush()
    }
    if (packets) this.writePackets(packets)
    if (this.dead) return // the write failed the transport
    // 'connect' before the messages that may share its packet; 'end' and 'close' after them.
    if (events) for (const ev of events) if (ev.kind === 'connect') this.onConnect(ev)
    if (messages) {
      let last = null
      for (let i = 0; i < messages.length; i += 4) {
        const owner = this.owners.get(messages[i])
        if (!owner) continue
        owner._onMessage(messages[i + 3], messages[i + 1], messages[i + 2])
        if (owner !== last) {
          if (last) last._reportHeld()
          last = owner
        }
      }
      if (last) last._reportHeld()
    }
    if (events) {
      for (const ev of events) {
        if (ev.kind === 'connect') continue
        const owner = this.owners.get(ev.assoc)
        log.state('association %d: %s%s', ev.assoc, ev.kind, ev.code ? ` ${ev.code}: ${ev.message}` : '')
        if (ev.kind === 'close') {
          this.owners.delete(ev.assoc)
          // The association is freed; its final stats wait for one read (src/endpoint.rs stats).
          const stats = this.native.assocStats(ev.assoc)
          if (owner && stats) owner._lastStats = stats
        }
        if (owner) owner._onEvent(ev)
      }
    }
    this.arm(timeout)
    if (events) this.release()
    // A SACK waits to ride on what the application writes in this turn (src/assoc.rs transmit).
    if (holding) this.kick()
  }

  // A transport that ended its writable side is a dead link: packets are lost.
  // One whose write() throws (a dgram socket closed under udpTransport, on
  // the INIT too) has failed, as if it had emitted 'error'.
  writePackets (packets) {
    const t = this.transport
    if (t.writableEnded || t.destroyed) return
    if (log.trace.enabled) for (const p of packets) log.trace('out %s', log.describePacket(p))
    try {
      for (const p of packets) t.write(p)
    } catch (err) {
      this.fail(err)
      return
    }
    log.packet('out %d packets', packets.length)
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

  // One timer per endpoint. A later deadline leaves it be (it fires early,
  // flushes and is armed again: cheaper than moving it on every packet, as
  // the retransmission timer restarts with each DATA); an earlier one moves it.
  arm (timeout) {
    if (timeout < 0) {
      if (this.timer) clearTimeout(this.timer)
      this.timer = null
      this.timerAt = Infinity
      return
    }
    const at = Date.now() + timeout
    if (!this.timer || at < this.timerAt - 1) {
      if (this.timer) clearTimeout(this.timer)
      this.timerAt = at
      this.timer = setTimeout(this.onTimer, Math.max(0, Math.ceil(timeout)))
    }
    // Only live associations keep the process running, as sockets do.
    if ((this.owners.size > 0) !== this.timer.hasRef()) {
      if (this.owners.size > 0) this.timer.ref()
      else this.timer.unref()
    }
  }

  // The transport failed or closed: every association on it ends with an
  // error. The Error objects (a stack trace each) are made only for whoever gets one.
  fail (err) {
    if (this.dead) return
    this.dead = err && err.code === 'ERR_SCTP_INTERNAL'
      ? { code: err.code, message: err.message }
      : { code: 'ERR_SCTP_TRANSPORT_CLOSED', message: err ? `transport error: ${err.message}` : 'transport closed', cause: err || undefined }
    failed.add(this.transport)
    log.state('endpoint failed: %s', this.dead.message)
    const owners = [...this.owners.values(), ...this.waiting.map((w) => w[1])]
    this.waiting = []
    const listeners = [...new Set(this.listeners.values())]
    // The native associations outlive a dead transport (not a crashed core): their last stats can still be read.
    if (this.dead.code !== 'ERR_SCTP_INTERNAL') for (const o of owners) o._keepStats()
    this.owners.clear()
    this.listeners.clear()
    for (const o of owners) o._onEvent({ kind: 'close', ...this.dead })
    for (const l of listeners) if (l._onTransportError) l._onTransportError(this.deadError())
    this.arm(-1)
    this.detach()
  }

  deadError () {
    const { code, message, cause } = this.dead
    const e = withCode(Error, code, message)
    if (cause) e.cause = cause
    return e
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
    return this.owners.size === 0 && this.listeners.size === 0 && this.waiting.length === 0 && this.native.associations() === 0
  }

  detach () {
    if (this.lingering) clearTimeout(this.lingering)
    this.lingering = null
    const t = this.transport
    t.removeListener('data', this.onPacket)
    t.removeListener('datagrams', this.onDatagrams)
    t.removeListener('ready', this.onUdpReady)
    if (this.udp) this.native.detachUdp()
    t.removeListener('error', this.onTransportError)
    t.removeListener('close', this.onTransportClose)
    t.removeListener('end', this.onTransportClose)
    if (endpoints.get(t) === this) endpoints.delete(t)
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }
}

module.exports = { Endpoint }

// An event record of `meta` at word `w`, its text (an error's "CODE\nmessage") at `at` in `io`.
function decodeEvent (w, at) {
  const kind = KINDS[meta[w]]
  const ev = { kind, assoc: meta[w + 1] }
  const a = meta[w + 2]
  if (kind === 'connect') {
    ev.localPort = a >>> 16
    ev.remotePort = a & 0xffff
    ev.os = meta[w + 3]
    ev.mis = meta[w + 4]
  } else if (kind !== 'end' && kind !== 'close') {
    ev.stream = a
    if (kind === 'low') ev.amount = meta[w + 3]
  }
  const len = meta[w + 5]
  if (len && kind === 'connect') {
    // The UDP peer on the native UDP path: "address port".
    const [address, port] = io.toString('latin1', at, at + len).split(' ')
    ev.remoteAddress = address
    ev.remoteUdpPort = Number(port)
  } else if (len) {
    const text = io.toString('utf8', at, at + len)
    const nl = text.indexOf('\n')
    ev.code = text.slice(0, nl)
    ev.message = text.slice(nl + 1)
  }
  return ev
}
