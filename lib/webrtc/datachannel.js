'use strict'
// RTCDataChannel (webrtc-pc §6.2): one data channel, over one SCTP stream of
// its transport's association (RFC 8831). The transport (transport.js) does
// the protocol — stream ids, DCEP, the stream's life — and runs the steps
// below as webrtc-pc's queued tasks; the channel keeps the W3C state, turns
// send() into messages and what arrives into events.
const { types } = require('util')
const PPID = require('../ppid')
const { withCode } = require('../errors')
const { errorEvent, defineEventHandlers } = require('./events')

// Made by the transport only; `new RTCDataChannel()` throws, as in a browser.
const INTERNAL = Symbol('RTCDataChannel')

const MAX_STRING = 0xffff // label and protocol: 16-bit lengths in DCEP (webrtc-pc createDataChannel steps 5 and 11)
const MAX_ID = 65534 // 65535 is an unsigned short but no stream (webrtc-pc createDataChannel step 18)

// webrtc-pc's BinaryType, plus Node's Buffer (as the ws package has it).
const BINARY_TYPES = new Set(['arraybuffer', 'blob', 'nodebuffer'])

// Options of each message's send(): the PPID (RFC 8831 §6.6; the socket
// itself turns an empty message into PPID 56 or 57 with one dummy byte) and,
// until the peer's DATA_CHANNEL_ACK, ordered delivery whatever the channel
// is (RFC 8832 §6.6). Shared objects: nothing allocated per message.
const SEND = {
  text: { ppid: PPID.WEBRTC_STRING },
  binary: { ppid: PPID.WEBRTC_BINARY },
  textBeforeAck: { ppid: PPID.WEBRTC_STRING, unordered: false },
  binaryBeforeAck: { ppid: PPID.WEBRTC_BINARY, unordered: false }
}

class RTCDataChannel extends EventTarget {
  constructor (token, transport, config) {
    if (token !== INTERNAL) throw new TypeError('Illegal constructor: channels come from createDataChannel() or the \'datachannel\' event')
    super()
    this._transport = transport
    this._label = config.label
    this._ordered = config.ordered
    this._maxPacketLifeTime = config.maxPacketLifeTime
    this._maxRetransmits = config.maxRetransmits
    this._protocol = config.protocol
    this._negotiated = config.negotiated
    this._id = config.id
    this._readyState = 'connecting'
    this._binaryType = 'arraybuffer'
    this._lowThreshold = 0
    this._stream = null // the SCTPStream, from when the association is up until the channel has closed
    this._awaitingAck = false // our DATA_CHANNEL_OPEN is not acknowledged yet: send ordered
    this._control = 0 // bytes of the DCEP message on our stream the peer may not have acknowledged yet
    this._queued = [] // sends waiting behind a Blob being read, in order: { bytes, blob, text, size }
    this._queuedBytes = 0
    this._endWhenSent = false // close() came while sends were queued
    this._bufferedAtClose = 0
  }

  get label () { return this._label }
  get ordered () { return this._ordered }
  get maxPacketLifeTime () { return this._maxPacketLifeTime }
  get maxRetransmits () { return this._maxRetransmits }
  get protocol () { return this._protocol }
  get negotiated () { return this._negotiated }
  get id () { return this._id }
  get readyState () { return this._readyState }

  // Bytes given to send() and not yet acknowledged by the peer: what SCTP
  // holds, what waits in the stream's writable buffer, and Blobs being read.
  // Not the DCEP message that went first on the stream (see _controlAcked).
  // webrtc-pc: it does not fall back to zero when the channel closes.
  get bufferedAmount () {
    const s = this._stream
    if (!s) return this._bufferedAtClose
    let sctp = s.bufferedAmount
    if (this._control) {
      if (sctp < this._control) this._controlAcked()
      else sctp -= this._control
    }
    return sctp + s.writableLength + this._queuedBytes
  }

  get bufferedAmountLowThreshold () { return this._lowThreshold }

  set bufferedAmountLowThreshold (value) {
    this._lowThreshold = enforceRange('bufferedAmountLowThreshold', value, 0xffffffff)
    if (this._stream) this._stream.bufferedAmountLowThreshold = this._lowThreshold + this._control
  }

  get binaryType () { return this._binaryType }

  // As for any WebIDL enum attribute, a value outside the enum is ignored.
  set binaryType (value) {
    if (BINARY_TYPES.has(value)) this._binaryType = value
  }

  // webrtc-pc's send() algorithm. Text goes as PPID 51, binary as 53 (empty
  // ones as 56 and 57). Blob contents are read asynchronously, and what is
  // sent after a Blob waits for it, so messages keep the order of the calls.
  send (data) {
    let bytes = null
    let blob = null
    let text = false
    if (typeof data === 'string') {
      bytes = Buffer.from(data) // UTF-8; a lone surrogate becomes U+FFFD, as USVString conversion does
      text = true
    } else if (types.isArrayBuffer(data)) {
      bytes = Buffer.from(data)
    } else if (ArrayBuffer.isView(data)) {
      bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    } else if (data instanceof Blob) {
      blob = data
    } else {
      throw new TypeError('send() takes a string, Blob, ArrayBuffer or ArrayBufferView')
    }
    if (this._readyState !== 'open') {
      throw new DOMException(`the data channel is ${this._readyState}, not open`, 'InvalidStateError')
    }
    const size = bytes ? bytes.length : blob.size
    const max = this._transport.maxMessageSize
    if (size > max) {
      throw withCode(TypeError, 'ERR_SCTP_MESSAGE_TOO_LARGE', `message of ${size} bytes exceeds the transport's maxMessageSize (${max})`)
    }
    // The peer reset its side and the 'closing' task has not run yet: the
    // message would arrive after the peer's end of the stream, and be lost there as well.
    if (this._stream.writableEnded) return
    if (blob || this._queued.length) {
      this._queued.push({ bytes, blob, text, size })
      this._queuedBytes += size
      if (this._queued.length === 1) this._sendQueued()
      return
    }
    this._transmit(bytes, text)
  }

  close () {
    if (this._readyState === 'closing' || this._readyState === 'closed') return
    this._readyState = 'closing'
    this._transport._closeChannel(this, true)
  }

  // --- from the transport ------------------------------------------------------

  // The association is up and the channel has its stream, on which the
  // transport sent `control` bytes of DCEP (an OPEN, or the ACK of the peer's).
  _attach (stream, awaitingAck, control) {
    this._stream = stream
    this._awaitingAck = awaitingAck
    this._control = control
    // The stream reports 'bufferedamountlow' only once it has a threshold; webrtc-pc's is 0 to begin with.
    stream.bufferedAmountLowThreshold = this._lowThreshold + control
  }

  // SCTP counts the DCEP message in the stream's buffered bytes until the
  // peer acknowledges it; bufferedAmount is application data only. It is
  // acknowledged once fewer bytes than it are left, and (in practice: the
  // peer's SACK rides with it) when the peer's DATA_CHANNEL_ACK arrives.
  _controlAcked () {
    if (!this._control) return
    this._control = 0
    if (this._stream) this._stream.bufferedAmountLowThreshold = this._lowThreshold
  }

  // Ends our side of the stream (an RFC 6525 reset) once what send() queued has gone.
  _endStream () {
    if (this._queued.length) this._endWhenSent = true
    else this._stream.end()
  }

  // The steps below are webrtc-pc's tasks; the transport queues them in order.

  // "Announce the channel as open". A channel the peer opened is 'open'
  // before its 'datachannel' event already (see _markOpen), and gets 'open' after.
  _open () {
    if (this._readyState === 'closing' || this._readyState === 'closed') return
    this._readyState = 'open'
    this.dispatchEvent(new Event('open'))
  }

  // "Announcing a data channel instance": open, so that the 'datachannel' handler can send.
  _markOpen () {
    if (this._readyState === 'connecting') this._readyState = 'open'
  }

  // "Receiving messages on a data channel". Other PPIDs than WebRTC String
  // and Binary (the deprecated partial ones, 52 and 54, or anything else) carry no message.
  _message (data, ppid) {
    if (this._readyState !== 'open') return
    let value
    if (ppid === PPID.WEBRTC_STRING) value = data.toString('utf8')
    else if (ppid === PPID.WEBRTC_BINARY) value = this._binary(data)
    else return
    this.dispatchEvent(new MessageEvent('message', { data: value }))
  }

  _binary (data) {
    if (this._binaryType === 'nodebuffer') return data
    if (this._binaryType === 'blob') return new Blob([data])
    // A received message may be a slice of a pooled buffer: its own ArrayBuffer then needs a copy.
    if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return data.buffer
    return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)
  }

  // The closing procedure, begun by the peer (it reset its stream) or by the
  // transport: 'closing' (a close() of our own fires none).
  _closing () {
    if (this._readyState === 'closing' || this._readyState === 'closed') return
    this._readyState = 'closing'
    this.dispatchEvent(new Event('closing'))
  }

  // "Announcing a data channel as closed": `error` (an RTCErrorEvent) first when it closed with one.
  _close (error) {
    if (this._readyState === 'closed') return
    if (this._stream) this._bufferedAtClose = this.bufferedAmount
    this._stream = null
    this._queued = []
    this._queuedBytes = 0
    this._readyState = 'closed'
    if (error) this.dispatchEvent(error)
    this.dispatchEvent(new Event('close'))
  }

  // "Error on creating data channels": the id is not below the association's stream count.
  _fail (message) {
    this._readyState = 'closed'
    this.dispatchEvent(errorEvent('data-channel-failure', message))
    this.dispatchEvent(new Event('close'))
  }

  // An SCTP-level error sending a message; the channel stays as it is.
  _error (err) {
    if (this._readyState !== 'closed') this.dispatchEvent(errorEvent('sctp-failure', err.message, err))
  }

  _lowBuffer () {
    if (this._readyState !== 'closed') this.dispatchEvent(new Event('bufferedamountlow'))
  }

  // The peer acknowledged our DATA_CHANNEL_OPEN: an unordered channel may now send unordered.
  _acknowledged () {
    this._awaitingAck = false
    this._controlAcked()
  }

  // --- sending ---------------------------------------------------------------

  _transmit (bytes, text) {
    const opts = this._awaitingAck
      ? (text ? SEND.textBeforeAck : SEND.binaryBeforeAck)
      : (text ? SEND.text : SEND.binary)
    this._stream.send(bytes, opts)
  }

  // Sends what is queued, in order, reading each Blob when its turn comes.
  _sendQueued () {
    while (this._queued.length) {
      const head = this._queued[0]
      if (head.blob) {
        const blob = head.blob
        head.blob = null
        blob.arrayBuffer().then((ab) => {
          head.bytes = Buffer.from(ab)
          this._sendQueued()
        }, (err) => {
          head.failed = err
          this._sendQueued()
        })
        return
      }
      if (!head.bytes && !head.failed) return // still being read
      this._queued.shift()
      this._queuedBytes -= head.size
      // The channel closed while the Blob was read: its stream is gone, and so is the message.
      if (!this._stream) continue
      if (head.failed) this._transport._task(() => this._error(head.failed))
      else if (!this._stream.writableEnded) this._transmit(head.bytes, head.text)
    }
    if (this._endWhenSent && this._stream) {
      this._endWhenSent = false
      this._stream.end()
    }
  }
}

defineEventHandlers(RTCDataChannel.prototype, ['open', 'message', 'bufferedamountlow', 'error', 'closing', 'close'])

// createDataChannel's RTCDataChannelInit, converted as WebIDL does and
// checked as webrtc-pc's createDataChannel steps say (the checks that need the
// transport — closed, id in use, id past maxChannels — are the transport's).
function channelInit (label, init) {
  const cfg = {
    label: usvString(label),
    ordered: true,
    maxPacketLifeTime: null,
    maxRetransmits: null,
    protocol: '',
    negotiated: false,
    id: null
  }
  if (Buffer.byteLength(cfg.label) > MAX_STRING) throw invalid('label', `is longer than ${MAX_STRING} bytes in UTF-8`)
  if (init !== undefined && init !== null) {
    if (typeof init !== 'object' && typeof init !== 'function') throw invalid('options', 'must be an object (RTCDataChannelInit)')
    if (init.ordered !== undefined) cfg.ordered = Boolean(init.ordered)
    if (init.maxPacketLifeTime !== undefined) cfg.maxPacketLifeTime = enforceRange('maxPacketLifeTime', init.maxPacketLifeTime, 0xffff)
    if (init.maxRetransmits !== undefined) cfg.maxRetransmits = enforceRange('maxRetransmits', init.maxRetransmits, 0xffff)
    if (init.protocol !== undefined) cfg.protocol = usvString(init.protocol)
    if (init.negotiated !== undefined) cfg.negotiated = Boolean(init.negotiated)
    // An in-band channel's id is chosen by us (RFC 8832 §6); the option is ignored then.
    if (init.id !== undefined && cfg.negotiated) cfg.id = enforceRange('id', init.id, 0xffff)
  }
  if (Buffer.byteLength(cfg.protocol) > MAX_STRING) throw invalid('protocol', `is longer than ${MAX_STRING} bytes in UTF-8`)
  if (cfg.negotiated && cfg.id === null) throw invalid('id', 'is required when negotiated is true')
  if (cfg.maxPacketLifeTime !== null && cfg.maxRetransmits !== null) throw invalid('maxPacketLifeTime', 'cannot be set together with maxRetransmits')
  if (cfg.id === 65535) throw invalid('id', `must be at most ${MAX_ID}`)
  return cfg
}

const invalid = (name, reason) => withCode(TypeError, 'ERR_INVALID_ARG_VALUE', `The "${name}" option ${reason}`)

// WebIDL [EnforceRange] on an unsigned integer type: a TypeError for NaN,
// infinities and values outside [0, max]; fractions are truncated.
function enforceRange (name, value, max) {
  const n = Number(value)
  if (!Number.isFinite(n)) throw withCode(TypeError, 'ERR_INVALID_ARG_VALUE', `The "${name}" option must be a finite number. Received ${String(value)}`)
  const x = Math.trunc(n) + 0 // + 0: no -0
  if (x < 0 || x > max) throw withCode(TypeError, 'ERR_INVALID_ARG_VALUE', `The "${name}" option must be between 0 and ${max}. Received ${String(value)}`)
  return x
}

function usvString (value) {
  if (typeof value === 'symbol') throw new TypeError('Cannot convert a Symbol value to a string')
  return String(value).toWellFormed()
}

module.exports = { RTCDataChannel, channelInit, INTERNAL, MAX_ID }
