'use strict'
// Socket: one SCTP association as a stream.Duplex with net.Socket semantics.
// SCTPStream: one SCTP stream of it, also a Duplex. Each write() is one
// message, each 'data' chunk one received message.
const net = require('net')
const { Duplex } = require('stream')
const { Endpoint } = require('./endpoint')
const options = require('./options')
const { withCode, outOfRange, invalidType, invalidValue } = require('./errors')
const PPID = require('./ppid')
const log = require('./log')

// Messages waiting in SCTP (queued or unacknowledged) per stream before a
// write's callback waits: what makes write() return false and 'drain' follow.
// Big enough to keep a 1 MiB receive window busy.
const DEFAULT_HIGH_WATER_MARK = 1024 * 1024

// The PPIDs sctp-proto carries natively; partial reliability needs one of them (see src/ppid.rs).
const NATIVE_PPIDS = new Set([PPID.WEBRTC_DCEP, PPID.WEBRTC_STRING, PPID.WEBRTC_BINARY, PPID.WEBRTC_STRING_EMPTY, PPID.WEBRTC_BINARY_EMPTY])

// RFC 8831 §6.6: SCTP cannot carry an empty message; WebRTC sends one dummy
// byte with an "empty" PPID instead.
const EMPTY_PPID = { [PPID.WEBRTC_STRING]: PPID.WEBRTC_STRING_EMPTY }
const FROM_EMPTY_PPID = { [PPID.WEBRTC_STRING_EMPTY]: PPID.WEBRTC_STRING, [PPID.WEBRTC_BINARY_EMPTY]: PPID.WEBRTC_BINARY }
const DUMMY = Buffer.alloc(1)

// Per-message metadata given to send(), found again in _write by the chunk's identity.
const sendOptions = new WeakMap()

// Reliability type numbers of sctp-proto (ReliabilityType).
const REXMIT = 1
const TIMED = 2

// What Socket and SCTPStream share: the write path with its checks, send(),
// bufferedAmount and its low threshold, and message counters.
class MessageDuplex extends Duplex {
  write (chunk, encoding, cb) {
    this._check(chunk, typeof encoding === 'string' ? encoding : undefined, null)
    return super.write(chunk, encoding, cb)
  }

  // One message with explicit metadata: send(data[, { ppid, unordered, reliable | maxRetransmits | maxPacketLifeTime }][, cb]).
  send (data, opts, cb) {
    if (typeof opts === 'function') {
      cb = opts
      opts = undefined
    }
    const meta = messageOptions(opts)
    let chunk = typeof data === 'string' ? Buffer.from(data) : data
    if (!Buffer.isBuffer(chunk)) {
      if (!ArrayBuffer.isView(chunk)) throw invalidType('data', 'a string, Buffer or TypedArray', data)
      chunk = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    }
    this._check(chunk, undefined, meta)
    // A fresh view: the same Buffer may be sent twice with different metadata.
    const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)
    sendOptions.set(view, meta)
    return super.write(view, cb)
  }

  _check (chunk, encoding, meta) {
    const size = typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding) : chunk && chunk.length
    const max = this._owner()._maxMessageSize
    if (max && size > max) {
      throw withCode(RangeError, 'ERR_SCTP_MESSAGE_TOO_LARGE', `message of ${size} bytes exceeds maxMessageSize (${max})`)
    }
    const ppid = meta && meta.ppid !== undefined ? meta.ppid : this.ppid
    checkPpidReliability(ppid, meta && meta.reliability !== undefined ? meta.reliability : this._reliability)
  }

  _write (chunk, encoding, cb) {
    const meta = sendOptions.get(chunk)
    const ppid = meta && meta.ppid !== undefined ? meta.ppid : this.ppid
    const unordered = meta && meta.unordered !== undefined ? meta.unordered : this.unordered
    const rel = meta && meta.reliability !== undefined ? meta.reliability : this._reliability
    this._owner()._sendOn(this, this.stream_id, ppid, unordered, rel, chunk, cb)
  }

  // The consumer wants more: what it read reopens the peer's window. Called
  // per message while flowing, so only when something was reported held.
  _read () {
    const s = this._owner()
    if (s._held > 0) s._reportHeld()
  }

  // Bytes of this stream queued in SCTP and not yet acknowledged.
  get bufferedAmount () {
    const s = this._owner()
    return s._connected ? s._ep.native.buffered(s._id, this.stream_id) : 0
  }

  get bufferedAmountLowThreshold () { return this._lowThreshold || 0 }

  set bufferedAmountLowThreshold (value) {
    this._lowThreshold = options.integer('bufferedAmountLowThreshold', value, 0, Number.MAX_SAFE_INTEGER)
    this._owner()._watchUser(this.stream_id, this._lowThreshold)
  }

  // This stream's counters (a socket's stats() adds the association's).
  stats () {
    return {
      bytesSent: this.bytesWritten,
      bytesReceived: this.bytesRead,
      messagesSent: this.messagesSent,
      messagesReceived: this.messagesReceived,
      messagesDiscarded: this.messagesDiscarded,
      bufferedAmount: this.bufferedAmount
    }
  }

  _countOut (len) {
    this.bytesWritten += len
    this.messagesSent++
  }

  _deliver (data, ppid) {
    // The peer said it was done (SHUTDOWN, or a reset of this stream); a
    // message after that is a protocol violation: dropped and counted.
    if (this._eof) {
      this.messagesDiscarded++
      return
    }
    this.bytesRead += data.length
    this.messagesReceived++
    // A reader that only listens to 'message' (or, on a socket, reads its
    // 'stream' objects) never drains the readable side; buffering there
    // would keep every message and hold 'end' back forever. Decided before
    // 'message' is emitted, which may remove a once() listener.
    const wantsData = this.readableFlowing !== null ||
      (this.listenerCount('message') === 0 && this.listenerCount('stream') === 0 && !this._readElsewhere())
    this.emit('message', data, this._messageInfo(ppid))
    if (wantsData && data.length) this.push(data)
  }

  // The association ended gracefully: 'end' once everything is read, then
  // 'close'. An errored stream (a write after end(), or after the association
  // closed) never emits 'end': it closes at once, or on its 'error' if that
  // comes while it waits.
  _closeWhenRead () {
    if (this.readableEnded || this.errored) return this.destroy(this.errored)
    const close = (err) => {
      this.removeListener('end', close)
      this.removeListener('error', onError)
      this.destroy(err)
    }
    const onError = (err) => {
      close(err)
      // Ours was the only listener: emitted again, the error stays unhandled (as Readable.prototype.pipe does).
      if (this.listenerCount('error') === 0) this.emit('error', err)
    }
    this.once('end', close)
    this.once('error', onError)
    this._endReadable()
  }

  // Nothing more to read: let 'end' fire even if nobody consumes the stream.
  _endReadable () {
    if (this._eof) return
    this._eof = true
    this.push(null)
    if (!this.readableFlowing && this.readableLength === 0) this.read(0)
  }
}

class Socket extends MessageDuplex {
  constructor (opts = {}) {
    if (opts === null || typeof opts !== 'object') throw invalidType('options', 'an object', opts)
    // autoDestroy off: after 'end' and 'finish' the SHUTDOWN handshake is still
    // running; the association's own close event destroys the socket.
    super({
      allowHalfOpen: false,
      emitClose: false,
      autoDestroy: false,
      writableHighWaterMark: opts.writableHighWaterMark || DEFAULT_HIGH_WATER_MARK
    })
    Object.assign(this, options.socketOptions(opts))
    this.bytesRead = 0
    this.bytesWritten = 0
    this.messagesSent = 0
    this.messagesReceived = 0
    this.messagesDiscarded = 0
    this.connecting = false
    this.localPort = undefined
    this.remotePort = undefined
    // Over udpTransport(), from 'connect' on: the peer's UDP address, family and port.
    this.remoteAddress = undefined
    this.remoteFamily = undefined
    this.remoteUdpPort = undefined
    this.OS = undefined
    this.MIS = undefined
    this._ep = null
    this._id = 0
    this._connected = false
    this._closed = false
    this._endWanted = false
    this._maxMessageSize = options.setting('max_message_size')
    this._reliability = null
    this._lastStats = null // the association's stats when last read, final after 'close' (see _keepStats)
    this._pendingWrites = [] // writes made before 'connect'
    this._lanes = new Map() // stream id -> { limit, waiting: [callbacks], reset: bool }
    this._userWatch = new Map() // stream id -> bufferedAmountLowThreshold, set before connect
    this._streams = new Map() // stream id -> SCTPStream
    this._held = 0 // unread bytes last reported to the native side
  }

  _owner () { return this }

  _readElsewhere () { return false }

  // Backpressure towards the peer: the window it sees shrinks by what the
  // application has received and not read (src/assoc.rs set_held), so a
  // paused or unread socket slows the sender instead of buffering without
  // bound; reading reopens it. A message sits in the socket's and its
  // stream's buffers at once: the larger side counts. The association has
  // one window, so one unread stream holds back all of them, as a socket
  // buffer does in the kernel's and usrsctp's SCTP.
  _reportHeld () {
    if (!this._connected) return
    let held = this.readableLength
    if (this._streams.size) {
      let streams = 0
      for (const s of this._streams.values()) streams += s.readableLength
      if (streams > held) held = streams
    }
    if (held === this._held) return
    const reopened = held < this._held
    this._held = held
    this._ep.native.setHeld(this._id, held)
    if (reopened) this._ep.kick()
  }

  _messageInfo (ppid) { return { streamId: this._lastStream, ppid } }

  connect (opts, connectListener) {
    if (opts === null || typeof opts !== 'object') throw invalidType('options', 'an object', opts)
    if (this._ep) throw withCode(Error, 'ERR_SOCKET_CONNECT_IN_PROGRESS', 'socket is already connecting or connected')
    const transport = options.transport(opts)
    const passive = options.flag(opts, 'passive')
    const remotePort = options.port(opts, 'port', true)
    const localPort = options.port(opts, 'localPort', false) || remotePort
    const cfg = options.assocConfig(opts, localPort, remotePort)
    // Over udpTransport(): the peer's UDP address (connect() options, or the transport's peer).
    const udp = !passive && typeof transport.remoteFor === 'function' ? transport.remoteFor(opts) : null
    Object.assign(this, options.socketOptions({ ...this._socketOpts(), ...pick(opts, ['ppid', 'stream_id', 'unordered', 'no_bundle']) }))
    if (typeof connectListener === 'function') this.once('connect', connectListener)
    this._maxMessageSize = cfg.maxMessageSize
    this.localPort = localPort
    this.remotePort = remotePort
    this.OS = cfg.os
    this.MIS = cfg.mis
    this.connecting = true
    this._ep = Endpoint.for(transport)
    log.socket('connect %d -> %d%s', localPort, remotePort, passive ? ' (passive)' : '')
    if (passive) {
      if (!this._ep.listen(cfg, true, this)) {
        throw withCode(Error, 'EADDRINUSE', `SCTP port ${localPort} is already listening on this transport`)
      }
    } else {
      this._id = this._ep.connect(cfg, this, udp)
    }
    return this
  }

  _socketOpts () {
    return { ppid: this.ppid, stream_id: this.stream_id, unordered: this.unordered, no_bundle: this.no_bundle }
  }

  // Passive mode: the endpoint offers the association it accepted.
  accept (ev) {
    this._ep.unlisten(this.localPort, this)
    this._id = ev.assoc
    return this
  }

  // Server side: wire an accepted association to this socket.
  _attach (ep, ev, maxMessageSize) {
    this._ep = ep
    this._id = ev.assoc
    this._maxMessageSize = maxMessageSize
    this.connecting = true
  }

  // A stream of this association: createStream(id[, { ppid, unordered, maxRetransmits | maxPacketLifeTime }]).
  createStream (id, opts) {
    const limit = this.OS === undefined ? 65535 : this.OS
    if (!Number.isInteger(id) || id < 0 || id >= limit) {
      throw outOfRange('id', `an integer >= 0 and < socket.OS (${limit})`, id)
    }
    let stream = this._streams.get(id)
    if (!stream) {
      stream = new SCTPStream(this, id, opts)
      // After 'close' the stream is born destroyed: a write fails its callback
      // with ERR_STREAM_DESTROYED and emits no 'error', as on any destroyed
      // Duplex. Not a throw: an association may close under code that has not
      // seen its 'close' yet.
      if (this._closed) stream.destroy()
      else this._streams.set(id, stream)
    }
    return stream
  }

  address () {
    const t = this._ep && this._ep.transport
    const a = t && typeof t.address === 'function' ? safeAddress(t) : {}
    return { port: this.localPort, address: a.address, family: a.family || 'IPv4' }
  }

  // Endpoint statistics of the transport this socket runs over.
  transportStats () {
    return this._ep ? this._ep.stats() : null
  }

  stats () {
    if (this._connected) this._keepStats()
    const native = this._lastStats
    return {
      ...super.stats(),
      rtt: native && native.rtt !== undefined ? native.rtt : null,
      rto: native ? native.rto : null,
      t3Timeouts: native ? native.t3Timeouts : 0,
      fastRetransmits: native ? native.fastRetransmits : 0,
      sacksReceived: native ? native.sacksReceived : 0,
      dataChunksReceived: native ? native.dataChunksReceived : 0
    }
  }

  // The association's counters are freed with it: after 'close', stats() shows
  // the final ones (the endpoint reads them as the event arrives), or the last
  // ones read before destroy() or a transport failure.
  _keepStats () {
    const stats = this._ep.native.assocStats(this._id)
    if (stats) this._lastStats = stats
  }

  // --- writing ----------------------------------------------------------------

  // Shared by the socket and its streams: one message on `stream`.
  _sendOn (writer, stream, ppid, unordered, rel, chunk, cb) {
    if (!this._connected) {
      if (this._closed) return cb(withCode(Error, 'ERR_STREAM_DESTROYED', 'the association is closed'))
      this._pendingWrites.push([writer, stream, ppid, unordered, rel, chunk, cb])
      return
    }
    let data = chunk
    if (chunk.length === 0) {
      ppid = EMPTY_PPID[ppid] || PPID.WEBRTC_BINARY_EMPTY
      data = DUMMY
    }
    let buffered
    try {
      buffered = this._ep.send(this._id, stream, ppid, unordered, rel, data)
    } catch (err) {
      return cb(err)
    }
    writer._countOut(chunk.length)
    if (writer !== this) this._countOut(chunk.length)
    let lane = this._lanes.get(stream)
    if (!lane) {
      lane = { limit: writer.writableHighWaterMark, waiting: [], reset: false }
      this._lanes.set(stream, lane)
      this._ep.native.watch(this._id, stream, 0, lane.limit >> 1)
    }
    if (buffered <= lane.limit) return cb()
    lane.waiting.push(cb) // backpressure: the callback waits for "low"
  }

  _watchUser (stream, level) {
    if (this._connected) this._ep.native.watch(this._id, stream, 1, level)
    else this._userWatch.set(stream, level)
  }

  // Our outgoing side of a stream ends with an RFC 6525 reset.
  _resetStream (stream) {
    const lane = this._lanes.get(stream) || { limit: 0, waiting: [], reset: false }
    this._lanes.set(stream, lane)
    if (lane.reset) return
    lane.reset = true
    if (this._connected) {
      this._ep.native.resetStream(this._id, stream)
      this._ep.kick()
    }
  }

  _final (cb) {
    this._endWanted = true
    if (this._connected) this._ep.shutdown(this._id)
    cb()
  }

  _destroy (err, cb) {
    if (this._ep && this._id && !this._closed) {
      if (this._connected) this._keepStats()
      this._ep.abort(this._id)
    }
    if (this._ep && !this._connected && !this._id) this._ep.unlisten(this.localPort, this)
    this._closed = true
    this._connected = false
    this.connecting = false
    this._failPending(err, 'socket destroyed')
    for (const s of this._streams.values()) s.destroy()
    cb(err)
    process.nextTick(() => this.emit('close', Boolean(err)))
  }

  // Fails writes still waiting; the Error (costly: a stack trace) only if there are any.
  _failPending (err, reason) {
    const waiting = [...this._pendingWrites.map((w) => w[6])]
    for (const lane of this._lanes.values()) waiting.push(...lane.waiting)
    this._pendingWrites = []
    this._lanes.clear()
    if (waiting.length === 0) return
    const e = err || withCode(Error, 'ERR_STREAM_DESTROYED', reason)
    for (const cb of waiting) cb(e)
  }

  // --- from the endpoint -------------------------------------------------------

  _onMessage (data, stream, ppid) {
    if (FROM_EMPTY_PPID[ppid]) {
      ppid = FROM_EMPTY_PPID[ppid]
      data = data.subarray(0, 0)
    }
    const s = this._streams.get(stream) || this._incomingStream(stream)
    if (s) s._deliver(data, ppid)
    this._lastStream = stream
    this._deliver(data, ppid)
  }

  _incomingStream (id) {
    if (this.listenerCount('stream') === 0) return null
    const s = new SCTPStream(this, id)
    this._streams.set(id, s)
    this.emit('stream', s, id)
    return s
  }

  _onEvent (ev) {
    switch (ev.kind) {
      case 'connect': return this._onConnect(ev)
      case 'low': return this._onLow(ev.stream, ev.amount)
      case 'end': return this._endReadable()
      case 'close': return this._onClose(ev)
      case 'reset': return this._onPeerReset(ev.stream)
      case 'resetDone': return this._onResetDone(ev.stream)
      case 'resetFailed': return this._onResetFailed(ev.stream)
    }
  }

  _onConnect (ev) {
    this._connected = true
    this.connecting = false
    this.OS = ev.os
    this.MIS = ev.mis
    this.localPort = ev.localPort
    this.remotePort = ev.remotePort
    if (ev.remoteAddress) {
      // Over udpTransport(): the peer's UDP address, as net.Socket names its own.
      this.remoteAddress = ev.remoteAddress
      this.remoteFamily = net.isIPv6(ev.remoteAddress) ? 'IPv6' : 'IPv4'
      this.remoteUdpPort = ev.remoteUdpPort
    }
    for (const [stream, level] of this._userWatch) this._ep.native.watch(this._id, stream, 1, level)
    this._userWatch.clear()
    const pending = this._pendingWrites
    this._pendingWrites = []
    for (const w of pending) this._sendOn(...w)
    for (const [stream, lane] of this._lanes) if (lane.reset) this._ep.native.resetStream(this._id, stream)
    if (this._endWanted) this._ep.shutdown(this._id)
    this.emit('connect')
  }

  _onLow (stream, amount) {
    const lane = this._lanes.get(stream)
    if (lane && lane.waiting.length && amount <= lane.limit >> 1) {
      const waiting = lane.waiting
      lane.waiting = []
      for (const cb of waiting) cb()
    }
    const s = this._streams.get(stream)
    if (s && s._lowThreshold !== undefined && amount <= s._lowThreshold) s.emit('bufferedamountlow')
    if (stream === this.stream_id && this._lowThreshold !== undefined && amount <= this._lowThreshold) {
      this.emit('bufferedamountlow')
    }
  }

  // The peer reset its outgoing side of `stream`: our stream ends. sctp-proto
  // resets our outgoing side back by itself, as WebRTC closes a data channel.
  _onPeerReset (stream) {
    const lane = this._lanes.get(stream)
    if (lane) lane.reset = true
    else this._lanes.set(stream, { limit: 0, waiting: [], reset: true })
    const s = this._streams.get(stream)
    if (s) {
      s._endReadable()
      s.end()
    }
  }

  // Both directions are reset: the id may be used again.
  _onResetDone (stream) {
    const lane = this._lanes.get(stream)
    if (lane) for (const cb of lane.waiting) cb()
    this._lanes.delete(stream)
    const s = this._streams.get(stream)
    this._streams.delete(stream)
    if (s) {
      s._endReadable()
      s.destroy()
    }
  }

  _onResetFailed (stream) {
    const s = this._streams.get(stream)
    if (s) s.destroy(withCode(Error, 'ERR_SCTP_STREAM_RESET_FAILED', `reset of stream ${stream} failed`))
  }

  _onClose (ev) {
    this._closed = true
    this._connected = false
    if (ev.code) {
      const err = withCode(Error, ev.code, ev.message || ev.code)
      if (ev.cause) err.cause = ev.cause
      this.destroy(err)
      return
    }
    // Graceful: everything the peer sent has been pushed; 'end', then 'close'.
    this._failPending(null, 'the association is closed')
    for (const s of this._streams.values()) s._closeWhenRead()
    this._closeWhenRead()
  }
}

class SCTPStream extends MessageDuplex {
  constructor (socket, id, opts = {}) {
    if (opts === null || typeof opts !== 'object') throw invalidType('options', 'an object', opts)
    // autoDestroy off: 'close' means the reset finished both ways and the id is free again.
    super({ allowHalfOpen: false, autoDestroy: false, writableHighWaterMark: opts.writableHighWaterMark || socket.writableHighWaterMark })
    this.socket = socket
    this.id = id
    this.stream_id = id
    const o = options.socketOptions({ ppid: socket.ppid, unordered: socket.unordered, ...pick(opts, ['ppid', 'unordered']) })
    this.ppid = o.ppid
    this.unordered = o.unordered
    this._reliability = reliability(opts)
    checkPpidReliability(this.ppid, this._reliability)
    this.bytesRead = 0
    this.bytesWritten = 0
    this.messagesSent = 0
    this.messagesReceived = 0
    this.messagesDiscarded = 0
  }

  _owner () { return this.socket }

  _messageInfo (ppid) { return { ppid } }

  // A stream nobody has started reading, on a socket whose messages are read
  // (its 'data' or 'message'), holds copies of what the application already
  // had from the socket: typically a stream created only to send on. Buffering
  // them would count against the receive window and stall the association.
  _readElsewhere () {
    const s = this.socket
    return s.readableFlowing === true || s.listenerCount('message') > 0
  }

  // end(): reset our outgoing side (RFC 6525); the peer's stream sees 'end'
  // after everything written before it.
  _final (cb) {
    this.socket._resetStream(this.stream_id)
    cb()
  }

}

// Partial reliability (RFC 3758): at most one of maxRetransmits / maxPacketLifeTime.
// sctp-proto carries only the WebRTC PPIDs; the driver carries any other
// beside it by the order in which messages are first sent (src/ppid.rs). A
// message with maxRetransmits is always sent once, so that order holds; one
// with a lifetime can expire unsent, so other PPIDs cannot have one.
function checkPpidReliability (ppid, rel) {
  if (rel && rel.type === TIMED && rel.value > 0 && !NATIVE_PPIDS.has(ppid)) {
    throw withCode(RangeError, 'ERR_SCTP_PPID_WITH_PARTIAL_RELIABILITY',
      `maxPacketLifeTime needs a WebRTC PPID (50, 51, 53, 56, 57); got ${ppid} (maxRetransmits works with any)`)
  }
}

function reliability (opts) {
  const hasRtx = opts.maxRetransmits !== undefined
  const hasTtl = opts.maxPacketLifeTime !== undefined
  if (hasRtx && hasTtl) {
    throw withCode(RangeError, 'ERR_INVALID_ARG_VALUE', 'maxRetransmits and maxPacketLifeTime cannot both be set')
  }
  if (hasRtx) return { type: REXMIT, value: options.integer('maxRetransmits', opts.maxRetransmits, 0, 0xffffffff) }
  if (hasTtl) return { type: TIMED, value: options.integer('maxPacketLifeTime', opts.maxPacketLifeTime, 0, 0xffffffff) }
  return null
}

const SEND_OPTIONS = new Set(['ppid', 'unordered', 'reliable', 'maxRetransmits', 'maxPacketLifeTime'])

function messageOptions (opts) {
  if (opts === undefined) return {}
  if (opts === null || typeof opts !== 'object') throw invalidType('options', 'an object', opts)
  const meta = {}
  if (opts.ppid !== undefined) meta.ppid = options.integer('ppid', opts.ppid, 0, 0xffffffff)
  if (opts.unordered !== undefined) {
    if (typeof opts.unordered !== 'boolean') throw invalidType('unordered', 'of type boolean', opts.unordered)
    meta.unordered = opts.unordered
  }
  // Reliability per message, over the stream's: `reliable: true` for fully
  // reliable (as DCEP must be on a partially reliable channel), or a limit.
  if (opts.reliable !== undefined) {
    if (typeof opts.reliable !== 'boolean') throw invalidType('reliable', 'of type boolean', opts.reliable)
    if (opts.maxRetransmits !== undefined || opts.maxPacketLifeTime !== undefined) {
      throw withCode(RangeError, 'ERR_INVALID_ARG_VALUE', 'reliable cannot be combined with maxRetransmits or maxPacketLifeTime')
    }
    if (opts.reliable) meta.reliability = null
  } else if (opts.maxRetransmits !== undefined || opts.maxPacketLifeTime !== undefined) {
    meta.reliability = reliability(opts)
  }
  for (const k of Object.keys(opts)) {
    if (!SEND_OPTIONS.has(k)) throw invalidValue(k, 'send() takes ppid, unordered, reliable, maxRetransmits and maxPacketLifeTime')
  }
  return meta
}

function pick (obj, keys) {
  const out = {}
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k]
  return out
}

function safeAddress (t) {
  try { return t.address() || {} } catch { return {} }
}

module.exports = { Socket, SCTPStream }
