'use strict'
// RTCSctpTransport (webrtc-pc §6.1.1) and createSctpTransport(): WebRTC data
// channels (RFC 8831) with in-band setup (DCEP, RFC 8832) over one SCTP
// association, itself a Socket of this package over the DTLS transport the
// caller gives. What happens on the wire becomes webrtc-pc's "queued tasks"
// (see _task), so that a channel's 'open', its messages and its 'close' keep
// their order, and listeners attached in the same tick miss nothing.
const { Socket } = require('../socket')
const options = require('../options')
const PPID = require('../ppid')
const log = require('../log')
const { invalidValue } = require('../errors')
const dcep = require('./dcep')
const { RTCDataChannel, channelInit, INTERNAL: CHANNEL, MAX_ID } = require('./datachannel')
const { RTCDataChannelEvent, errorEvent, defineEventHandlers } = require('./events')

const INTERNAL = Symbol('RTCSctpTransport')

const DEFAULT_PORT = 5000 // RFC 8841 §5: a=sctp-port's default
const DEFAULT_MAX_MESSAGE_SIZE = 262144 // what we accept when not told otherwise (our a=max-message-size)
const SDP_MAX_MESSAGE_SIZE = 65536 // RFC 8841 §6: the peer's limit when its SDP has no a=max-message-size
const STREAMS = 65535 // RFC 8831 §6.2: ask for as many streams as SCTP has

// RFC 8832 §6: DCEP messages are ordered and fully reliable, whatever the channel is.
const DCEP_SEND = { ppid: PPID.WEBRTC_DCEP, unordered: false, reliable: true }

// Channel streams take every send() at once: webrtc-pc has no backpressure
// on send(), only bufferedAmount and 'bufferedamountlow'. (The stream's limit
// is halved into a 32-bit watch level: this is the largest that stays positive.)
const NO_BACKPRESSURE = 0x7fffffff

// t.close() waits this long for the channels' stream resets before it ends
// the association anyway (a peer that never answers a reset).
const CLOSE_RESETS_MS = 3000

// Messages kept for an id whose previous channel has not finished closing
// when the peer opens it again (see _onDcep); more are dropped.
const PARKED_MAX = 64

const OPTIONS = new Set(['transport', 'role', 'port', 'remotePort', 'maxMessageSize', 'remoteMaxMessageSize'])

const noop = () => {}

class RTCSctpTransport extends EventTarget {
  constructor (token, opts) {
    if (token !== INTERNAL) throw new TypeError('Illegal constructor: use sctp.createSctpTransport()')
    super()
    const cfg = transportOptions(opts)
    this._transport = cfg.transport
    this._role = cfg.role
    this._parity = cfg.role === 'client' ? 0 : 1 // RFC 8832 §6: the DTLS client opens even ids, the server odd ones
    this._state = 'connecting'
    this._maxMessageSize = sendLimit(cfg.maxMessageSize, cfg.remoteMaxMessageSize)
    this._maxChannels = null
    this._up = false // the association is established and not closed
    this._closing = false // close() was called
    this._ending = false // the association's SHUTDOWN has begun
    this._closeTimer = null
    this._error = null // what ended the association, when something did
    this._channels = new Map() // id -> RTCDataChannel, from its creation until its 'close'
    this._refusing = new Map() // id -> SCTPStream being reset to refuse a DATA_CHANNEL_OPEN on it
    this._parked = new Map() // id -> [[data, ppid], ...] waiting for the id's previous channel to close
    this._lowestFree = this._parity // no id of our parity below this is free

    // Listeners before connect(): the peer's DATA_CHANNEL_OPEN may share the
    // packet that completes the handshake. Both sides send INIT, as in WebRTC
    // (INITs that cross: RFC 9260 §5.2.1); neither is passive.
    const socket = this._socket = new Socket()
    socket.on('connect', () => this._onConnect())
    socket.on('message', (data, info) => this._onMessage(info.streamId, info.ppid, data))
    socket.on('error', (err) => { this._error = err })
    socket.on('close', (hadError) => this._onClose(hadError))
    socket.connect({
      transport: cfg.transport,
      port: cfg.remotePort,
      localPort: cfg.port,
      OS: STREAMS,
      MIS: STREAMS,
      maxMessageSize: cfg.maxMessageSize // the timers are the module defaults, chosen for WebRTC too
    })
  }

  // The Duplex given to createSctpTransport() (webrtc-pc's is an RTCDtlsTransport).
  get transport () { return this._transport }
  get state () { return this._state }
  // The largest message send() takes: the smaller of the peer's
  // a=max-message-size and ours, 0 meaning any size (webrtc-pc "update the data max message size").
  get maxMessageSize () { return this._maxMessageSize }
  // null until connected, then min(OS, MIS) of the association.
  get maxChannels () { return this._maxChannels }

  // webrtc-pc createDataChannel(). Our DTLS role is known from the start, so
  // an in-band channel gets its id at once: the lowest free one of our parity.
  createDataChannel (label, init) {
    if (arguments.length === 0) throw new TypeError('createDataChannel() needs a label')
    if (this._closing || this._state === 'closed') throw new DOMException('the SCTP transport is closed', 'InvalidStateError')
    const cfg = channelInit(label, init)
    let id = cfg.id
    if (id === null) {
      id = this._freeId()
      if (id === null) throw new DOMException('no stream id is free for a new data channel', 'OperationError')
    } else if (this._idInUse(id)) {
      throw new DOMException(`stream id ${id} is in use by another data channel`, 'OperationError')
    }
    if (this._maxChannels !== null && id >= this._maxChannels) {
      throw new DOMException(`stream id ${id} is not below maxChannels (${this._maxChannels})`, 'OperationError')
    }
    const ch = new RTCDataChannel(CHANNEL, this, { ...cfg, id })
    this._channels.set(id, ch)
    if (this._up) this._start(ch)
    return ch
  }

  // Closes every channel (each a stream reset, so the peer's close too), then
  // ends the association (SHUTDOWN). 'statechange' to 'closed' and 'close' follow.
  close () {
    if (this._closing || this._state === 'closed') return
    this._closing = true
    log.webrtc('close(): %d channel(s)', this._channels.size)
    if (!this._up) {
      // No association yet: nothing to reset, nothing to shut down.
      this._socket.destroy()
      return
    }
    for (const ch of [...this._channels.values()]) ch.close()
    this._closeTimer = setTimeout(() => this._end(), CLOSE_RESETS_MS)
    this._endWhenQuiet()
  }

  // --- the association ---------------------------------------------------------

  _onConnect () {
    this._up = true
    this._maxChannels = Math.min(this._socket.OS, this._socket.MIS)
    log.webrtc('connected: %d streams each way, %s', this._maxChannels, this._role)
    // webrtc-pc "connected procedure": 'statechange' first, then the channels' 'open'.
    this._task(() => {
      if (this._state !== 'connecting') return
      this._state = 'connected'
      this.dispatchEvent(new Event('statechange'))
    })
    // Those created while connecting (one closed meanwhile is on its way out).
    for (const ch of [...this._channels.values()]) if (ch.readyState === 'connecting') this._start(ch)
  }

  _onClose (hadError) {
    this._up = false
    clearTimeout(this._closeTimer)
    const err = hadError ? this._error || new Error('the SCTP association failed') : null
    log.webrtc('association closed%s', err ? `: ${err.code || ''} ${err.message}` : '')
    this._task(() => {
      const channels = [...this._channels.values()]
      this._channels.clear()
      this._refusing.clear()
      this._parked.clear()
      for (const ch of channels) ch._close(err && errorEvent('sctp-failure', err.message, err))
      if (err) this.dispatchEvent(errorEvent('sctp-failure', err.message, err))
      this._state = 'closed'
      this.dispatchEvent(new Event('statechange'))
      this.dispatchEvent(new Event('close'))
    })
  }

  // t.close(): once no channel is left to reset (or after CLOSE_RESETS_MS), SHUTDOWN.
  _endWhenQuiet () {
    if (this._closing && this._channels.size === 0 && this._refusing.size === 0) this._end()
  }

  _end () {
    if (this._ending) return
    this._ending = true
    clearTimeout(this._closeTimer)
    this._socket.end()
  }

  // --- channels ------------------------------------------------------------------

  // The association is up: a channel of ours gets its stream and, unless
  // negotiated, sends its DATA_CHANNEL_OPEN before anything the user sends on it.
  _start (ch) {
    if (ch.id >= this._maxChannels) {
      this._release(ch.id)
      this._task(() => ch._fail(`stream id ${ch.id} is not below maxChannels (${this._maxChannels})`))
      return
    }
    const stream = this._stream(ch)
    let control = 0
    if (!ch.negotiated) {
      const open = dcep.encodeOpen(ch)
      stream.send(open, DCEP_SEND)
      control = open.length
    }
    ch._attach(stream, !ch.negotiated, control)
    this._task(() => ch._open())
  }

  _stream (ch) {
    const opts = { ppid: PPID.WEBRTC_BINARY, unordered: !ch.ordered, writableHighWaterMark: NO_BACKPRESSURE }
    if (ch.maxRetransmits !== null) opts.maxRetransmits = ch.maxRetransmits
    if (ch.maxPacketLifeTime !== null) opts.maxPacketLifeTime = ch.maxPacketLifeTime
    const s = this._socket.createStream(ch.id, opts)
    // The transport reads every message from the socket's 'message' (with its
    // stream id); a listener here keeps the stream from also buffering them
    // in its readable side, which nobody reads (lib/socket.js _deliver).
    s.on('message', noop)
    // The peer reset its side of the stream (RFC 8831 §6.7); the socket resets ours back.
    s.on('end', () => this._task(() => ch._closing()))
    s.on('bufferedamountlow', () => this._task(() => ch._lowBuffer()))
    // A failed send; a failed reset errors and closes the stream, and 'close' reports it.
    s.on('error', (err) => {
      if (!s.destroyed && !this._socket.destroyed) this._task(() => ch._error(err))
    })
    s.on('close', () => {
      // Both directions are reset (or the association went, and its 'close' closes every channel).
      if (this._socket.destroyed) return
      const err = s.errored
      this._task(() => {
        this._release(ch.id)
        ch._close(err && errorEvent('sctp-failure', err.message, err))
        this._replayParked(ch.id)
        this._endWhenQuiet()
      })
    })
    return s
  }

  // The closing procedure (RFC 8831 §6.7): reset our outgoing stream; the
  // channel closes when the peer has reset its own. `byUser`: close() (of the
  // channel, or the transport's) made it 'closing' already, and fires no 'closing'.
  _closeChannel (ch, byUser) {
    if (!byUser) this._task(() => ch._closing())
    if (ch._stream) {
      ch._endStream()
      return
    }
    // Not open yet: there is no stream to reset.
    this._task(() => {
      if (this._channels.get(ch.id) === ch) this._release(ch.id)
      ch._close(null)
      this._endWhenQuiet()
    })
  }

  _release (id) {
    this._channels.delete(id)
    if (id % 2 === this._parity && id < this._lowestFree) this._lowestFree = id
  }

  _freeId () {
    const limit = this._maxChannels === null ? MAX_ID + 1 : this._maxChannels
    let id = this._lowestFree
    while (id < limit && this._idInUse(id)) id += 2
    if (id >= limit) return null
    this._lowestFree = id + 2
    return id
  }

  _idInUse (id) {
    return this._channels.has(id) || this._refusing.has(id) || this._parked.has(id)
  }

  // --- what arrives ------------------------------------------------------------------

  _onMessage (id, ppid, data) {
    const parked = this._parked.get(id)
    if (parked) {
      if (parked.length < PARKED_MAX) parked.push([data, ppid])
      return
    }
    const ch = this._channels.get(id)
    if (ppid === PPID.WEBRTC_DCEP) return this._onDcep(id, data, ch)
    // A message on a stream without a channel is dropped (webrtc-pc leaves it undefined).
    if (ch) this._task(() => ch._message(data, ppid))
  }

  _onDcep (id, data, ch) {
    let msg
    try {
      msg = dcep.parse(data)
    } catch (err) {
      log.webrtc('stream %d: %s', id, err.message)
      // RFC 8832 §6: an OPEN that is not well formed is refused like any
      // invalid one; other messages we cannot read are ignored.
      if (data.length && data[0] === dcep.OPEN) this._refuse(id, ch)
      return
    }
    if (msg.type === 'ack') {
      if (ch) ch._acknowledged()
      return
    }
    if (this._closing || !this._up) return
    // No outgoing stream of that id (a peer that accepts more streams than it
    // offers): nothing can answer the OPEN, neither an ACK nor a reset.
    if (id >= this._maxChannels) return
    const stream = ch ? ch._stream : this._refusing.get(id)
    // The peer reset its side of this stream, then opened it again: it has
    // finished its close, so ours ends in this batch too (the reset response
    // that completes it can share a packet with the new OPEN). The OPEN, and
    // what follows on the id, waits for that.
    if (stream && stream.readableEnded) {
      this._parked.set(id, [[data, PPID.WEBRTC_DCEP]])
      return
    }
    // RFC 8832 §6: an OPEN on a stream in use closes that channel.
    if (ch) return this._refuse(id, ch)
    if (stream) return // refused already
    // RFC 8832 §6: the peer opens ids of its own parity only.
    if (id % 2 === this._parity) return this._refuse(id, null)
    this._accept(id, msg)
  }

  // "Announcing a data channel instance": the channel is open for sending
  // when its 'datachannel' event fires, and gets 'open' after it.
  _accept (id, msg) {
    const ch = new RTCDataChannel(CHANNEL, this, {
      label: msg.label,
      ordered: msg.ordered,
      maxPacketLifeTime: msg.maxPacketLifeTime,
      maxRetransmits: msg.maxRetransmits,
      protocol: msg.protocol,
      negotiated: false,
      id
    })
    this._channels.set(id, ch)
    const stream = this._stream(ch)
    const ack = dcep.encodeAck()
    stream.send(ack, DCEP_SEND)
    ch._attach(stream, false, ack.length)
    log.webrtc('stream %d: the peer opened "%s"', id, msg.label)
    this._task(() => {
      ch._markOpen()
      this.dispatchEvent(new RTCDataChannelEvent('datachannel', { channel: ch }))
    })
    this._task(() => ch._open())
  }

  // RFC 8832 §6: an invalid OPEN gets no ACK; its stream is reset, which
  // closes the peer's channel. A channel of ours on that stream closes with it.
  _refuse (id, ch) {
    log.webrtc('stream %d: DATA_CHANNEL_OPEN refused', id)
    if (ch) {
      if (ch.readyState !== 'closing' && ch.readyState !== 'closed') this._closeChannel(ch, false)
      return
    }
    if (this._refusing.has(id) || !this._up || id >= this._maxChannels) return
    const s = this._socket.createStream(id)
    this._refusing.set(id, s)
    s.on('message', noop) // as in _stream
    s.on('error', noop) // a failed reset: the stream closes, and the id is free
    s.on('close', () => {
      if (this._refusing.get(id) !== s) return
      this._task(() => {
        this._refusing.delete(id)
        this._replayParked(id)
        this._endWhenQuiet()
      })
    })
    s.end()
  }

  _replayParked (id) {
    const parked = this._parked.get(id)
    if (!parked) return
    this._parked.delete(id)
    for (const [data, ppid] of parked) this._onMessage(id, ppid, data)
  }

  // webrtc-pc "queue a task": one macrotask each, in order, with the
  // microtasks between them run as in a browser. Code that awaits the
  // 'datachannel' event resumes before that channel's 'open'.
  _task (fn) {
    setImmediate(fn)
  }
}

defineEventHandlers(RTCSctpTransport.prototype, ['statechange', 'datachannel', 'error', 'close'])

function createSctpTransport (opts) {
  return new RTCSctpTransport(INTERNAL, opts)
}

function transportOptions (opts) {
  if (opts === null || typeof opts !== 'object') throw invalidValue('options', 'createSctpTransport() takes an object')
  for (const k of Object.keys(opts)) {
    if (!OPTIONS.has(k)) throw invalidValue(k, `unknown option; createSctpTransport() takes ${[...OPTIONS].join(', ')}`)
  }
  const transport = options.transport(opts)
  if (opts.role !== 'client' && opts.role !== 'server') {
    throw invalidValue('role', `must be 'client' or 'server' (the DTLS role). Received ${String(opts.role)}`)
  }
  const size = (name, fallback) => opts[name] === undefined ? fallback : options.integer(name, opts[name], 0, 0xffffffff)
  return {
    transport,
    role: opts.role,
    port: options.port(opts, 'port', false) || DEFAULT_PORT,
    remotePort: options.port(opts, 'remotePort', false) || DEFAULT_PORT,
    maxMessageSize: size('maxMessageSize', DEFAULT_MAX_MESSAGE_SIZE),
    remoteMaxMessageSize: size('remoteMaxMessageSize', SDP_MAX_MESSAGE_SIZE)
  }
}

// webrtc-pc "update the data max message size", with our own limit as what we can send.
function sendLimit (ours, remote) {
  if (ours === 0 && remote === 0) return Infinity
  if (ours === 0 || remote === 0) return Math.max(ours, remote)
  return Math.min(ours, remote)
}

module.exports = { RTCSctpTransport, createSctpTransport }
