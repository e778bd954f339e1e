'use strict'
// Small helpers shared by the tests: events as promises, patterned data, UDP transports.
const dgram = require('dgram')
const sctp = require('../..')

// Rejects instead of hanging when an event never comes.
function waitFor (emitter, event, ms = 10000) {
  // Not events.once(): it rejects on any 'error', and an 'error' before 'close' is expected here.
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(event, done)
      reject(new Error(`timed out waiting for '${event}'`))
    }, ms).unref()
    function done (...args) {
      clearTimeout(timer)
      resolve(args)
    }
    emitter.once(event, done)
  })
}

// Message k of a source: bytes 0..3 = k (big-endian), byte j = (k + j) & 0xff — usrsctp-peer's pattern.
function pattern (k, size) {
  const b = Buffer.alloc(size)
  if (size >= 4) b.writeUInt32BE(k >>> 0, 0)
  for (let j = 4; j < size; j++) b[j] = (k + j) & 0xff
  return b
}

// FNV-1a 64, as usrsctp-peer digests its payload.
function fnv1a64 () {
  let h = 0xcbf29ce484222325n
  return {
    update (buf) {
      for (const byte of buf) h = BigInt.asUintN(64, (h ^ BigInt(byte)) * 0x100000001b3n)
    },
    hex () { return h.toString(16).padStart(16, '0') }
  }
}

function boundUdp (type = 'udp4', address = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(type)
    s.once('error', reject)
    s.bind(0, address, () => resolve(s))
  })
}

// Two UDP transports on loopback pointing at each other.
async function udpPair (type = 'udp4', address = '127.0.0.1') {
  const [ua, ub] = await Promise.all([boundUdp(type, address), boundUdp(type, address)])
  const a = sctp.udpTransport(ua, { port: ub.address().port, address })
  const b = sctp.udpTransport(ub, { port: ua.address().port, address })
  return [a, b]
}

// A connected client/server pair of sockets over the given transports.
async function connectedPair (ta, tb, opts = {}) {
  const server = sctp.createServer({ transport: tb, ...(opts.server || {}) })
  server.listen({ port: 5000, ...(opts.listen || {}) })
  const accepted = waitFor(server, 'connection')
  const client = sctp.connect({ transport: ta, port: 5000, localPort: 5001, ...(opts.client || {}) })
  await waitFor(client, 'connect')
  const [sock] = await accepted
  return { server, client, sock }
}

module.exports = { waitFor, pattern, fnv1a64, boundUdp, udpPair, connectedPair }
