'use strict'
// Helpers shared by the tests: events as promises with deadlines, patterned
// data, loopback UDP transports, connected pairs, defaults for a while.
const assert = require('node:assert/strict')
const crypto = require('crypto')
const dgram = require('dgram')
const { Duplex } = require('stream')
const sctp = require('../..')
require('./leaks')

// The arguments of the next `event`, or a rejection after `ms` instead of a hang.
// Not events.once(): it rejects on any 'error', and an 'error' before 'close' is expected here.
function waitFor (emitter, event, ms = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(event, done)
      reject(new Error(`timed out after ${ms} ms waiting for '${event}'`))
    }, ms).unref()
    function done (...args) {
      clearTimeout(timer)
      resolve(args)
    }
    emitter.once(event, done)
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Message k: bytes 0..3 = k (big-endian), byte j = (k + j) & 0xff — usrsctp-peer's pattern.
function pattern (k, size) {
  const b = Buffer.allocUnsafe(size)
  if (size >= 4) b.writeUInt32BE(k >>> 0, 0)
  for (let j = size >= 4 ? 4 : 0; j < size; j++) b[j] = (k + j) & 0xff
  return b
}

function sha256 (buffers) {
  const h = crypto.createHash('sha256')
  for (const b of buffers) h.update(b)
  return h.digest('hex')
}

// Resolves with the first `n` 'data' chunks of a readable.
function collect (readable, n, ms = 20000) {
  return new Promise((resolve, reject) => {
    const chunks = []
    const timer = setTimeout(() => reject(new Error(`timed out with ${chunks.length}/${n} chunks`)), ms)
    const onData = (d) => {
      chunks.push(d)
      if (chunks.length === n) {
        clearTimeout(timer)
        readable.removeListener('data', onData)
        resolve(chunks)
      }
    }
    readable.on('data', onData)
  })
}

function boundUdp (type = 'udp4', address = type === 'udp6' ? '::1' : '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(type)
    s.once('error', reject)
    s.bind(0, address, () => {
      s.removeListener('error', reject)
      resolve(s)
    })
  })
}

// Two UDP transports on loopback pointing at each other. `serveAll`: the
// second one is given no peer and serves any (a server socket).
async function udpPair ({ type = 'udp4', address = type === 'udp6' ? '::1' : '127.0.0.1', serveAll = false } = {}) {
  const [ua, ub] = await Promise.all([boundUdp(type, address), boundUdp(type, address)])
  const a = sctp.udpTransport(ua, { port: ub.address().port, address })
  const b = serveAll ? sctp.udpTransport(ub) : sctp.udpTransport(ub, { port: ua.address().port, address })
  return [a, b]
}

// A server on `tb` (port 5000) and a client on `ta` (5001 -> 5000), both connected.
async function connectedPair (ta, tb, { server: serverOpts = {}, listen = {}, client: clientOpts = {} } = {}) {
  const server = sctp.createServer({ transport: tb, ...serverOpts })
  server.listen({ port: 5000, ...listen })
  const accepted = waitFor(server, 'connection')
  const client = sctp.connect({ transport: ta, port: 5000, localPort: 5001, ...clientOpts })
  await waitFor(client, 'connect')
  const [sock] = await accepted
  return { server, client, sock }
}

// Resolves on 'close' with hadError and the errors emitted before it (recorded, not thrown).
function closed (emitter) {
  const errors = []
  emitter.on('error', (e) => errors.push(e))
  return new Promise((resolve) => emitter.once('close', (hadError) => resolve({ hadError, errors })))
}

// 'close' of each socket, as an array of hadError flags.
function closes (...sockets) {
  return Promise.all(sockets.map((s) => waitFor(s, 'close').then(([hadError]) => hadError)))
}

// The client ends the association; both sockets close without error; the server closes.
async function endGracefully ({ server, client, sock }) {
  const done = closes(client, sock)
  client.end()
  assert.deepEqual(await done, [false, false], 'both sockets close without error')
  server.close()
}

// Runs `fn` with module defaults changed, restoring the saved set afterwards.
async function withDefaults (params, fn) {
  const saved = sctp.defaults()
  sctp.defaults(params)
  try {
    return await fn()
  } finally {
    sctp.defaults(saved)
  }
}

// A transport into the void: records when each packet was written.
function blackHole () {
  const t = new Duplex({
    write (chunk, enc, cb) { t.writes.push({ at: Date.now(), pkt: Buffer.from(chunk) }); cb() },
    read () {}
  })
  t.writes = []
  return t
}

module.exports = { waitFor, sleep, pattern, sha256, collect, boundUdp, udpPair, connectedPair, closed, closes, endGracefully, withDefaults, blackHole }
