'use strict'
// Server: accepts associations on one SCTP port of a transport, as net.Server does.
const { EventEmitter } = require('events')
const { Endpoint } = require('./endpoint')
const { Socket } = require('./socket')
const options = require('./options')
const { withCode, invalidType } = require('./errors')

class Server extends EventEmitter {
  constructor (opts, connectionListener) {
    super()
    if (typeof opts === 'function') {
      connectionListener = opts
      opts = {}
    }
    opts = opts || {}
    if (typeof opts !== 'object') throw invalidType('options', 'an object', opts)
    this._opts = opts
    this._socketOpts = options.socketOptions(opts)
    this.listening = false
    this.maxConnections = undefined
    this.localPort = undefined
    this._ep = null
    this._connections = new Set()
    this._closing = false
    if (typeof connectionListener === 'function') this.on('connection', connectionListener)
  }

  // listen(port[, callback]) or listen({ port, transport, MIS, OS }[, callback])
  listen (port, ...rest) {
    const callback = rest.find((a) => typeof a === 'function')
    const opts = typeof port === 'object' && port !== null ? port : { port }
    if (this.listening) throw withCode(Error, 'ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.')
    const merged = { ...this._opts, ...opts }
    const transport = options.transport(merged)
    const localPort = options.port(merged, 'port', true)
    const cfg = options.assocConfig(merged, localPort, 0)
    const ep = Endpoint.for(transport)
    if (!ep.listen(cfg, false, this)) {
      throw withCode(Error, 'EADDRINUSE', `SCTP port ${localPort} is already listening on this transport`)
    }
    this._ep = ep
    this._cfg = cfg
    this.localPort = localPort
    this.listening = true
    this._closing = false
    if (callback) this.once('listening', callback)
    process.nextTick(() => this.emit('listening'))
    return this
  }

  // The endpoint offers an association that completed its handshake on our port.
  accept (ev) {
    if (!this.listening) return null
    if (this.maxConnections !== undefined && this._connections.size >= this.maxConnections) return null
    const socket = new Socket(this._socketOpts)
    socket._attach(this._ep, ev, this._cfg.maxMessageSize)
    this._connections.add(socket)
    socket.once('close', () => {
      this._connections.delete(socket)
      this._maybeClosed()
    })
    socket.once('connect', () => this.emit('connection', socket))
    return socket
  }

  address () {
    if (!this.listening) return null
    return { port: this.localPort, family: 'SCTP', address: null }
  }

  getConnections (cb) {
    const n = this._connections.size
    if (typeof cb === 'function') process.nextTick(cb, null, n)
    return this
  }

  // Stops accepting; 'close' once the last accepted association has closed.
  close (cb) {
    if (typeof cb === 'function') {
      if (!this.listening && !this._closing) {
        process.nextTick(cb, withCode(Error, 'ERR_SERVER_NOT_RUNNING', 'Server is not running.'))
        return this
      }
      this.once('close', cb)
    }
    if (this.listening) {
      this.listening = false
      this._closing = true
      this._ep.unlisten(this.localPort, this)
      this._maybeClosed()
    }
    return this
  }

  _maybeClosed () {
    if (this._closing && this._connections.size === 0) {
      this._closing = false
      process.nextTick(() => this.emit('close'))
    }
  }

  _onTransportError (err) {
    this.listening = false
    this.emit('error', err)
    this._closing = true
    this._maybeClosed()
  }
}

module.exports = { Server }
