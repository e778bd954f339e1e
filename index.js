'use strict'
// sctp-native: SCTP for Node.js over any Duplex transport, with a Rust core.
// The API is @nodertc/sctp's (https://www.npmjs.com/package/@nodertc/sctp).
const { Socket, SCTPStream } = require('./lib/socket')
const { Server } = require('./lib/server')
const { defaults } = require('./lib/options')
const { duplexPair } = require('./lib/transports')
const { udpTransport } = require('./lib/udp')
const PPID = require('./lib/ppid')
const { dtlsTransport, dtlsUdp } = require('./lib/dtls')
const { createSctpTransport, RTCSctpTransport } = require('./lib/webrtc/transport')
const { RTCDataChannel } = require('./lib/webrtc/datachannel')
const { RTCDataChannelEvent, RTCError, RTCErrorEvent } = require('./lib/webrtc/events')

function connect (options, connectListener) {
  const socket = new Socket(options)
  socket.connect(options, connectListener)
  return socket
}

function createServer (options, connectionListener) {
  return new Server(options, connectionListener)
}

module.exports = {
  connect,
  createConnection: connect,
  createServer,
  Socket,
  Server,
  SCTPStream,
  PPID,
  defaults,
  udpTransport,
  duplexPair,
  dtlsTransport,
  dtlsUdp,
  // WebRTC data channels (webrtc-pc's API, RFC 8831 / 8832)
  createSctpTransport,
  RTCSctpTransport,
  RTCDataChannel,
  RTCDataChannelEvent,
  RTCError,
  RTCErrorEvent
}
