'use strict'
// SCTP over UDP (RFC 6951 framing: a datagram carries one SCTP packet) with
// the socket read and written in Rust (src/udp.rs, src/uvpoll.rs) on the
// JavaScript thread: packets never become JavaScript objects, only messages
// and events do. The dgram socket the user
// gives (or one made from options) keeps its address; Rust takes a duplicate
// of its descriptor and Node stops reading it.
//
//   udpTransport(socket[, { port, address, bufferSize, maxAssociations }])
//   udpTransport({ localPort, localAddress, type, port, address, bufferSize, maxAssociations })
//
// With `port` (and `address`, default 127.0.0.1, or a host name looked up
// once) the transport has one peer: every packet goes there and datagrams
// from anyone else are dropped and counted. Without, it serves any number of
// peers, associations told apart by the remote address and port; a client
// then names its server in connect() (`udpAddress`, `udpPort`).
const dgram = require('dgram')
const net = require('net')
const { EventEmitter } = require('events')
const { NativeUdp } = require('../binding.js')
const options = require('./options')
const { peerOptions, resolvePeer } = require('./transports')
const { invalidType, invalidValue, withCode } = require('./errors')

const DEFAULT_BUFFER = 4 << 20 // SCTP sends a window's worth at once; 208 KiB drops part of it
const DEFAULT_MAX_ASSOCIATIONS = 16384

// dgram keeps its handle behind a symbol (socket._handle is deprecated and warns).
function stateOf (socket) {
  const sym = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol')
  return sym ? socket[sym] : null
}

class UdpTransport extends EventEmitter {
  constructor (socket, opts) {
    super()
    const peer = peerOptions(opts) // checks that opts is an object, first
    const bufferSize = opts.bufferSize === undefined ? DEFAULT_BUFFER : options.integer('bufferSize', opts.bufferSize, 0, 0x7fffffff)
    this.maxAssociations = opts.maxAssociations === undefined
      ? DEFAULT_MAX_ASSOCIATIONS
      : options.integer('maxAssociations', opts.maxAssociations, 1, 1 << 20)
    this.socket = socket
    this.native = null // a NativeUdp once the socket is bound and the peer's address known
    this.destroyed = false
    this._ref = true
    this._peer = peer.port ? peer : null
    this._onSocketError = (err) => this.destroy(err)
    this._onSocketClose = () => this.destroy()
    socket.on('error', this._onSocketError)
    socket.on('close', this._onSocketClose)
    let pending = 2 // the socket bound, the peer's address known
    const step = () => { if (--pending === 0) this._start(bufferSize) }
    const state = stateOf(socket)
    if (!state || !state.handle) {
      // Closed already: fails as a socket closed later would, through 'error' (its associations get it).
      process.nextTick(() => this.destroy(withCode(Error, 'ERR_SOCKET_DGRAM_NOT_RUNNING', 'the dgram socket is closed')))
      return
    }
    if (state.bindState === 2) process.nextTick(step) // bound
    else {
      socket.once('listening', step)
      if (state.bindState === 0) socket.bind() // what a first send() would do
    }
    if (this._peer && !net.isIP(this._peer.address)) {
      resolvePeer(socket, this._peer, (err) => (err ? this.destroy(err) : step()))
    } else process.nextTick(step)
  }

  _start (bufferSize) {
    if (this.destroyed) return
    const state = stateOf(this.socket)
    const fd = state && state.handle && state.handle.fd
    if (typeof fd !== 'number' || fd < 0) {
      return this.destroy(withCode(Error, 'ERR_SCTP_UDP_UNSUPPORTED', 'this platform gives no descriptor for a dgram socket'))
    }
    const peer = this._peer ? `${this._peer.address} ${this._peer.port}` : null
    try {
      // Runs as an I/O callback whenever datagrams wait; they must be read (or the poll fires again).
      this.native = new NativeUdp(fd, peer, bufferSize, () => { if (!this.emit('datagrams')) this.native.discard() })
    } catch (err) {
      return this.destroy(err)
    }
    state.handle.recvStop() // from now on Rust reads the socket
    if (!this._ref) this.native.setRef(false)
    this.emit('ready')
  }

  // The peer of a new association: the one given to connect(), or the transport's own.
  remoteFor (opts) {
    if (opts.udpPort === undefined && opts.udpAddress === undefined) {
      if (this._peer) return this._peer
      throw invalidType('udpPort', 'a number when the UDP transport has no peer (udpTransport(socket, { port }))', undefined)
    }
    if (this._peer) throw invalidValue('udpPort', 'this UDP transport has a peer already; it sends nowhere else')
    const port = options.port(opts, 'udpPort', true)
    const address = opts.udpAddress === undefined ? '127.0.0.1' : opts.udpAddress
    if (typeof address !== 'string' || !net.isIP(address)) throw invalidType('udpAddress', 'an IP address', address)
    return { port, address }
  }

  address () { return this.socket.address() }

  remote () { return this._peer && this.native ? { ...this._peer } : null }

  // What the socket saw: datagrams in and out, dropped on arrival (a full
  // inbox, a truncated datagram, or from elsewhere than the peer), and sends
  // the kernel refused (never fatal: SCTP retransmits, other peers go on).
  stats () {
    const s = this.native ? this.native.stats() : { datagramsIn: 0, datagramsOut: 0, droppedIn: 0, sendErrors: 0 }
    return { datagramsIn: s.datagramsIn, datagramsOut: s.datagramsOut, dropped: s.droppedIn, sendErrors: s.sendErrors }
  }

  get dropped () { return this.stats().dropped }

  // Closes the socket too; its associations end with ERR_SCTP_TRANSPORT_CLOSED.
  destroy (err) {
    if (this.destroyed) return this
    this.destroyed = true
    this.socket.removeListener('error', this._onSocketError)
    this.socket.removeListener('close', this._onSocketClose)
    if (this.native) this.native.close()
    try { this.socket.close() } catch {} // closed already
    process.nextTick(() => {
      if (err) this.emit('error', err)
      this.emit('close')
    })
    return this
  }

  close () { return this.destroy() }

  // As dgram's: whether the open socket keeps the process running (it does by default).
  ref () {
    this._ref = true
    if (this.native) this.native.setRef(true)
    return this
  }

  unref () {
    this._ref = false
    if (this.native) this.native.setRef(false)
    return this
  }
}

function udpTransport (socket, opts) {
  if (socket instanceof dgram.Socket) return new UdpTransport(socket, opts === undefined ? {} : opts)
  if (socket === null || typeof socket !== 'object' || typeof socket.send === 'function' || opts !== undefined) {
    throw invalidType('socket', 'a dgram.Socket, or options', socket)
  }
  opts = socket
  const type = opts.type === undefined ? 'udp4' : opts.type
  if (type !== 'udp4' && type !== 'udp6') throw invalidValue('type', "must be 'udp4' or 'udp6'")
  const localPort = opts.localPort === undefined ? 0 : options.integer('localPort', opts.localPort, 0, 65535)
  const localAddress = opts.localAddress
  if (localAddress !== undefined && (typeof localAddress !== 'string' || !net.isIP(localAddress))) {
    throw invalidType('localAddress', 'an IP address', localAddress)
  }
  const udp = dgram.createSocket(type)
  udp.bind(localPort, localAddress) // a failure (EADDRINUSE…) comes as the transport's 'error'
  try {
    return new UdpTransport(udp, opts)
  } catch (err) {
    udp.close()
    throw err
  }
}

module.exports = { udpTransport, UdpTransport }
