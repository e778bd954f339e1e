'use strict'
// Socket: one SCTP association as a stream.Duplex with net.Socket semantics.
// SCTPStream: one SCTP stream of it, also a Duplex. Each write() is one
// message, each 'data' chunk one received message.
const { Duplex } = require('stream')
const { Endpoint } = require('./endpoint')
const options = require('./options')
const { withCode, outOfRange } = require('./errors')
const log = require('./log')

// Per-stream bytes queued in SCTP (sent, not yet acknowledged) above which a
// write's callback waits for the stream's "low" notice.
const DEFAULT_SEND_BUFFER = 1024 * 1024

class Socket extends Duplex {
  constructor (opts = {}) {
    if (opts === null || typeof opts !== 'object') throw require('./errors').invalidType('options', 'an object', opts)
    // autoDestroy off: after 'end' and 'finish' the SHUTDOWN handshake is still
    // running; the association's own close event destroys the socket.
    super({ allowHalfOpen: false, emitClose: false, autoDestroy: false, writableHighWaterMark: opts.writableHighWaterMark })
    Object.assign(this, options.socketOptions(opts))
    this.bytesRead = 0
    this.bytesWritten = 0
    this.connecting = false
    this.localPort = undefined
    this.remotePort = undefined
    this.OS = undefined
    this.MIS = undefined
    this._ep = null
    this._id = 0
    this._connected = false
    this._closed = false
    this._endWanted = false
    this._pendingWrites = [] // writes made before 'connect'
    this._waiting = new Map() // stream id -> callbacks held until "low"
    this._lowMarked = new Set()
    this._streams = new Map() // stream id -> SCTPStream
    this._sendBuffer = DEFAULT_SEND_BUFFER
  }

  connect (opts, connectListener) {
    if (opts === null || typeof opts !== 'object') throw require('./errors').invalidType('options', 'an object', opts)
    if (this._ep) throw withCode(Error, 'ERR_SOCKET_CONNECT_IN_PROGRESS', 'socket is already connecting or connected')
    const transport = options.transport(opts)
    const passive = options.flag(opts, 'passive')
    const remotePort = options.port(opts, 'port', true)
    const localPort = options.port(opts, 'localPort', false) || remotePort
    const cfg = options.assocConfig(opts, localPort, remotePort)
    Object.assign(this, options.socketOptions({ ...this._socketOpts(), ...pick(opts, ['ppid', 'stream_id', 'unordered', 'no_bundle']) }))
    if (typeof connectListener === 'function') this.once('connect', connectListener)
    this._cfg = cfg
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
      this._id = this._ep.connect(cfg, this)
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
  _attach (ep, ev) {
    this._ep = ep
    this._id = ev.assoc
    this.connecting = true
  }

  createStream (id, opts) {
    const limit = this.OS === undefined ? 65535 : this.OS
    if (!Number.isInteger(id) || id < 0 || id >= limit) {
      throw outOfRange('id', `an integer >= 0 and < socket.OS (${limit})`, id)
    }
    let stream = this._streams.get(id)
    if (!stream) {
      stream = new SCTPStream(this, id, opts)
      this._streams.set(id, stream)
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

  // --- writing ----------------------------------------------------------------

  _write (chunk, encoding, cb) {
    this._sendOn(this.stream_id, this.ppid, this.unordered, null, chunk, cb)
  }

  // Shared by the socket and its streams: one message on `stream`.
  _sendOn (stream, ppid, unordered, rel, chunk, cb) {
    if (!this._connected) {
      if (this._closed) return cb(withCode(Error, 'ERR_STREAM_DESTROYED', 'the association is closed'))
      this._pendingWrites.push([stream, ppid, unordered, rel, chunk, cb])
      return
    }
    let buffered
    try {
      buffered = this._ep.send(this._id, stream, ppid, unordered, rel, chunk)
    } catch (err) {
      return cb(err)
    }
    this.bytesWritten += chunk.length
    if (!this._lowMarked.has(stream)) {
      this._lowMarked.add(stream)
      this._ep.setLowMark(this._id, stream, this._sendBuffer >> 1)
    }
    if (buffered <= this._sendBuffer) return cb()
    // Backpressure: the callback waits until SCTP has room again.
    let list = this._waiting.get(stream)
    if (!list) this._waiting.set(stream, (list = []))
    list.push(cb)
  }

  _final (cb) {
    this._endWanted = true
    if (this._connected) this._ep.shutdown(this._id)
    cb()
  }

  _read () {}

  _destroy (err, cb) {
    if (this._ep && this._id && !this._closed) this._ep.abort(this._id)
    if (this._ep && !this._connected && !this._id) this._ep.unlisten(this.localPort, this)
    this._closed = true
    this.connecting = false
    this._failPending(err || withCode(Error, 'ERR_STREAM_DESTROYED', 'socket destroyed'))
    for (const s of this._streams.values()) s.destroy()
    cb(err)
    process.nextTick(() => this.emit('close', Boolean(err)))
  }

  _failPending (err) {
    for (const w of this._pendingWrites) w[5](err)
    this._pendingWrites = []
    for (const list of this._waiting.values()) for (const cb of list) cb(err)
    this._waiting.clear()
  }

  // --- from the endpoint -------------------------------------------------------

  _onMessage (data, stream, ppid) {
    this.bytesRead += data.length
    const s = this._streams.get(stream) || this._incomingStream(stream)
    if (s) s._deliver(data, ppid)
    this.emit('message', data, { streamId: stream, ppid })
    if (wantsData(this)) this.push(data)
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
      case 'low': return this._onLow(ev.stream)
      case 'end': return this._endReadable()
      case 'close': return this._onClose(ev)
    }
  }

  _onConnect (ev) {
    this._connected = true
    this.connecting = false
    this.OS = ev.os
    this.MIS = ev.mis
    this.localPort = ev.localPort
    this.remotePort = ev.remotePort
    const pending = this._pendingWrites
    this._pendingWrites = []
    for (const w of pending) this._sendOn(...w)
    if (this._endWanted) this._ep.shutdown(this._id)
    this.emit('connect')
  }

  _onLow (stream) {
    const list = this._waiting.get(stream)
    if (!list) return
    this._waiting.delete(stream)
    for (const cb of list) cb()
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
    this._failPending(withCode(Error, 'ERR_STREAM_DESTROYED', 'the association is closed'))
    for (const s of this._streams.values()) s.push(null)
    if (this.readableEnded) return this.destroy()
    this.once('end', () => this.destroy())
    this._endReadable()
  }

  // Nothing left unread: let 'end' fire even if nobody consumes the socket.
  _endReadable () {
    this.push(null)
    if (!this.readableFlowing && this.readableLength === 0) this.read(0)
  }
}

class SCTPStream extends Duplex {
  constructor (socket, id, opts = {}) {
    super({ allowHalfOpen: true })
    this.socket = socket
    this.stream_id = id
    this.id = id
    const o = options.socketOptions({ ppid: socket.ppid, unordered: socket.unordered, ...pick(opts, ['ppid', 'unordered']) })
    this.ppid = o.ppid
    this.unordered = o.unordered
    this.bytesRead = 0
    this.bytesWritten = 0
  }

  _write (chunk, encoding, cb) {
    this.bytesWritten += chunk.length
    this.socket._sendOn(this.stream_id, this.ppid, this.unordered, null, chunk, cb)
  }

  _read () {}

  _deliver (data, ppid) {
    this.bytesRead += data.length
    this.emit('message', data, { ppid })
    if (wantsData(this)) this.push(data)
  }
}

// A reader that only listens to 'message' (or, on a socket, reads its
// 'stream' objects) never drains the readable side; buffering there would
// keep every message and hold 'end' back forever.
function wantsData (stream) {
  return stream.readableFlowing !== null ||
    (stream.listenerCount('message') === 0 && stream.listenerCount('stream') === 0)
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
