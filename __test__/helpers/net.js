'use strict'
// Shared helpers of socket/server/options/udp tests: events as promises with
// a deadline, patterned data, loopback UDP transports, connected pairs, a
// transport that swallows and records, and SCTP packets crafted by hand.
const dgram = require('dgram')
const { Duplex } = require('stream')
const sctp = require('../../index.js')

// The arguments of the next `event`, or a rejection after `ms` instead of a
// hang. Unlike events.once(), an 'error' meanwhile does not reject: tests
// that expect one listen for it themselves.
function waitFor (emitter, event, ms = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(event, on)
      reject(new Error(`timed out after ${ms} ms waiting for '${event}'`))
    }, ms)
    function on (...args) {
      clearTimeout(timer)
      resolve(args)
    }
    emitter.once(event, on)
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Message k of `size` bytes: bytes 0..3 = k (big-endian), byte j = (k * 7 + j) & 0xff.
function pattern (k, size) {
  const b = Buffer.alloc(size)
  for (let j = 0; j < size; j++) b[j] = (k * 7 + j) & 0xff
  if (size >= 4) b.writeUInt32BE(k >>> 0, 0)
  return b
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

function boundUdp (type = 'udp4', address = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(type)
    s.once('error', reject)
    s.bind(0, address, () => {
      s.removeListener('error', reject)
      resolve(s)
    })
  })
}

// Two UDP transports on loopback. `learn`: the second one is given no port and
// learns its peer from the first datagram.
async function udpPair ({ type = 'udp4', address = '127.0.0.1', learn = false } = {}) {
  const [ua, ub] = await Promise.all([boundUdp(type, address), boundUdp(type, address)])
  const a = sctp.udpTransport(ua, { port: ub.address().port, address })
  const b = learn ? sctp.udpTransport(ub) : sctp.udpTransport(ub, { port: ua.address().port, address })
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

// 'close' of each socket, as an array of hadError flags.
function closes (...sockets) {
  return Promise.all(sockets.map((s) => waitFor(s, 'close').then(([hadError]) => hadError)))
}

// A transport that never answers: it records when each packet was written and
// the type of its first chunk.
function blackHole () {
  const writes = []
  const t = new Duplex({
    write (chunk, encoding, cb) {
      writes.push({ at: performance.now(), type: chunk[12], length: chunk.length })
      cb()
    },
    read () {}
  })
  t.writes = writes
  return t
}

// CRC32c (Castagnoli), reflected, as SCTP checksums packets (RFC 9260 App. B).
const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    table[i] = c >>> 0
  }
  return table
})()

function crc32c (buf) {
  let c = 0xffffffff
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

// An SCTP packet with a correct checksum: common header + the given chunks.
function packet (srcPort, dstPort, vtag, chunks) {
  const body = Buffer.concat(chunks.map((c) => {
    const padded = Buffer.alloc((c.length + 3) & ~3)
    c.copy(padded)
    return padded
  }))
  const p = Buffer.alloc(12 + body.length)
  p.writeUInt16BE(srcPort, 0)
  p.writeUInt16BE(dstPort, 2)
  p.writeUInt32BE(vtag >>> 0, 4)
  body.copy(p, 12)
  p.writeUInt32LE(crc32c(p), 8)
  return p
}

// A DATA chunk (type 0), flags B|E: one whole unordered-or-not message.
function dataChunk (tsn, stream, ppid, payload) {
  const c = Buffer.alloc(16 + payload.length)
  c[0] = 0
  c[1] = 0x03
  c.writeUInt16BE(c.length, 2)
  c.writeUInt32BE(tsn >>> 0, 4)
  c.writeUInt16BE(stream, 8)
  c.writeUInt16BE(0, 10)
  c.writeUInt32BE(ppid >>> 0, 12)
  payload.copy(c, 16)
  return c
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

module.exports = {
  waitFor,
  sleep,
  pattern,
  collect,
  boundUdp,
  udpPair,
  connectedPair,
  closes,
  blackHole,
  crc32c,
  packet,
  dataChunk,
  withDefaults
}
