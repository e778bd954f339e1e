'use strict'
// SCTP packets by hand, for tests that play a hostile or broken peer:
// CRC32c, a parser, builders for the chunks the tests forge, and a
// transport pair that records (and can hold back) every packet written.
const sctp = require('../..')

// --- CRC32c (Castagnoli), slicing-by-8 -----------------------------------------

const CRC_TABLES = (() => {
  const t = Array.from({ length: 8 }, () => new Int32Array(256))
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    t[0][n] = c
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) t[k][n] = (t[k - 1][n] >>> 8) ^ t[0][t[k - 1][n] & 0xff]
  }
  return t
})()

function crc32c (buf, start = 0, end = buf.length, crc = 0) {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC_TABLES
  let c = ~crc
  let i = start
  for (; i + 8 <= end; i += 8) {
    c ^= buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)
    c = t7[c & 0xff] ^ t6[(c >>> 8) & 0xff] ^ t5[(c >>> 16) & 0xff] ^ t4[c >>> 24] ^
      t3[buf[i + 4]] ^ t2[buf[i + 5]] ^ t1[buf[i + 6]] ^ t0[buf[i + 7]]
  }
  for (; i < end; i++) c = t0[(c ^ buf[i]) & 0xff] ^ (c >>> 8)
  return ~c >>> 0
}

const ZERO4 = Buffer.alloc(4)

// SCTP's checksum: CRC32c of the packet with the checksum field zeroed, stored little-endian.
function checksum (pkt) {
  let c = crc32c(pkt, 0, 8)
  c = crc32c(ZERO4, 0, 4, c)
  return crc32c(pkt, 12, pkt.length, c)
}

function setChecksum (pkt) {
  if (pkt.length >= 12) pkt.writeUInt32LE(checksum(pkt), 8)
  return pkt
}

function checksumOk (pkt) {
  return pkt.length >= 12 && pkt.readUInt32LE(8) === checksum(pkt)
}

// --- parsing -----------------------------------------------------------------------

const CT = {
  DATA: 0,
  INIT: 1,
  INIT_ACK: 2,
  SACK: 3,
  HEARTBEAT: 4,
  HEARTBEAT_ACK: 5,
  ABORT: 6,
  SHUTDOWN: 7,
  SHUTDOWN_ACK: 8,
  ERROR: 9,
  COOKIE_ECHO: 10,
  COOKIE_ACK: 11,
  SHUTDOWN_COMPLETE: 14,
  RECONFIG: 130,
  FORWARD_TSN: 192
}
const CT_NAMES = Object.fromEntries(Object.entries(CT).map(([k, v]) => [v, k]))

// { src, dst, vtag, chunks: [{ type, flags, offset, length, value }] }; null if shorter than a header.
function parse (pkt) {
  if (pkt.length < 12) return null
  const chunks = []
  let off = 12
  while (off + 4 <= pkt.length) {
    const length = pkt.readUInt16BE(off + 2)
    if (length < 4 || off + length > pkt.length) break
    chunks.push({ type: pkt[off], flags: pkt[off + 1], offset: off, length, value: pkt.subarray(off + 4, off + length) })
    off += (length + 3) & ~3
  }
  return { src: pkt.readUInt16BE(0), dst: pkt.readUInt16BE(2), vtag: pkt.readUInt32BE(4), chunks }
}

function chunkTypes (pkt) {
  const p = parse(pkt)
  return p ? p.chunks.map((c) => CT_NAMES[c.type] || c.type) : []
}

// INIT / INIT ACK fields, and the State Cookie parameter of an INIT ACK.
function initInfo (value) {
  if (value.length < 16) return null
  const info = {
    tag: value.readUInt32BE(0),
    arwnd: value.readUInt32BE(4),
    os: value.readUInt16BE(8),
    mis: value.readUInt16BE(10),
    tsn: value.readUInt32BE(12),
    cookie: null
  }
  for (let off = 16; off + 4 <= value.length;) {
    const type = value.readUInt16BE(off)
    const len = value.readUInt16BE(off + 2)
    if (len < 4 || off + len > value.length) break
    if (type === 7) info.cookie = Buffer.from(value.subarray(off + 4, off + len))
    off += (len + 3) & ~3
  }
  return info
}

// --- building ------------------------------------------------------------------------

function chunk (type, flags, value = Buffer.alloc(0)) {
  const len = 4 + value.length
  const c = Buffer.alloc((len + 3) & ~3)
  c[0] = type
  c[1] = flags
  c.writeUInt16BE(len, 2)
  value.copy(c, 4)
  return c
}

function packet (src, dst, vtag, chunks) {
  const h = Buffer.alloc(12)
  h.writeUInt16BE(src, 0)
  h.writeUInt16BE(dst, 2)
  h.writeUInt32BE(vtag >>> 0, 4)
  return setChecksum(Buffer.concat([h, ...chunks]))
}

function param (type, value) {
  const len = 4 + value.length
  const p = Buffer.alloc((len + 3) & ~3)
  p.writeUInt16BE(type, 0)
  p.writeUInt16BE(len, 2)
  value.copy(p, 4)
  return p
}

// INIT (or INIT ACK with `ack` and a `cookie`), announcing FORWARD-TSN support as browsers do.
function init ({ tag, arwnd = 131072, os = 16, mis = 16, tsn = 1, cookie, ack = false, params = [] }) {
  const v = Buffer.alloc(16)
  v.writeUInt32BE(tag >>> 0, 0)
  v.writeUInt32BE(arwnd >>> 0, 4)
  v.writeUInt16BE(os, 8)
  v.writeUInt16BE(mis, 10)
  v.writeUInt32BE(tsn >>> 0, 12)
  const ps = [...params]
  if (cookie) ps.unshift(param(7, cookie))
  return chunk(ack ? CT.INIT_ACK : CT.INIT, 0, Buffer.concat([v, ...ps]))
}

function cookieEcho (cookie) { return chunk(CT.COOKIE_ECHO, 0, cookie) }
function cookieAck () { return chunk(CT.COOKIE_ACK, 0) }

// ABORT; `t` sets the T bit (the tag is then the sender's own, reflected).
function abort ({ t = false, cause } = {}) {
  return chunk(CT.ABORT, t ? 1 : 0, cause === undefined ? undefined : param(cause, Buffer.alloc(0)))
}

function shutdown (cumTsn) {
  const v = Buffer.alloc(4)
  v.writeUInt32BE(cumTsn >>> 0, 0)
  return chunk(CT.SHUTDOWN, 0, v)
}
function shutdownAck () { return chunk(CT.SHUTDOWN_ACK, 0) }
function shutdownComplete (t = false) { return chunk(CT.SHUTDOWN_COMPLETE, t ? 1 : 0) }

// DATA; flags default to a whole message (B and E bits).
function data ({ tsn, stream = 0, ssn = 0, ppid = 0, payload, flags = 3 }) {
  const v = Buffer.alloc(12 + payload.length)
  v.writeUInt32BE(tsn >>> 0, 0)
  v.writeUInt16BE(stream, 4)
  v.writeUInt16BE(ssn, 6)
  v.writeUInt32BE(ppid >>> 0, 8)
  payload.copy(v, 12)
  return chunk(CT.DATA, flags, v)
}

// SACK with gap blocks [[start, end], ...] (offsets from cumTsn) and duplicate TSNs.
function sack ({ cumTsn, arwnd = 131072, gaps = [], dups = [] }) {
  const v = Buffer.alloc(12 + 4 * gaps.length + 4 * dups.length)
  v.writeUInt32BE(cumTsn >>> 0, 0)
  v.writeUInt32BE(arwnd >>> 0, 4)
  v.writeUInt16BE(gaps.length, 8)
  v.writeUInt16BE(dups.length, 10)
  let off = 12
  for (const [s, e] of gaps) { v.writeUInt16BE(s, off); v.writeUInt16BE(e, off + 2); off += 4 }
  for (const d of dups) { v.writeUInt32BE(d >>> 0, off); off += 4 }
  return chunk(CT.SACK, 0, v)
}

function heartbeat (info) { return chunk(CT.HEARTBEAT, 0, param(1, info)) }

// --- a transport pair that records and can hold back packets ----------------------------

// sctp.duplexPair(), with every packet each side writes recorded
// (`pair.sent.a`, `pair.sent.b`) and, while `pair.hold.a` / `pair.hold.b` is
// true (or a function that returns true for the packet), kept back in
// `pair.held.a` / `pair.held.b` until `release()`.
// `inject(side, pkt)` delivers a packet to `side` as if the other side had sent it.
// With `record: n`, at most n packets per side are kept: the first n/4
// (the handshake) for good, then a rolling window of the latest.
function recordingPair ({ record = Infinity } = {}) {
  const [a, b] = sctp.duplexPair()
  const pair = {
    a,
    b,
    sent: { a: [], b: [] },
    count: { a: 0, b: 0 },
    hold: { a: false, b: false },
    held: { a: [], b: [] },
    tap: null,
    release (side) {
      const t = side === 'a' ? a : b
      const list = pair.held[side]
      pair.held[side] = []
      for (const pkt of list) forward(t, pkt)
    },
    drop (side) {
      const n = pair.held[side].length
      pair.held[side] = []
      return n
    },
    inject (side, pkt) {
      const t = side === 'a' ? a : b
      if (!t.destroyed) t.push(pkt)
    }
  }
  const origWrite = a._write
  const forward = (t, pkt) => origWrite.call(t, pkt, 'buffer', () => {})
  for (const [side, t] of [['a', a], ['b', b]]) {
    t._write = function (chunk, encoding, cb) {
      const pkt = Buffer.from(chunk)
      const kept = pair.sent[side]
      if (kept.length < record) kept.push(pkt)
      else {
        const fixed = Math.floor(record / 4)
        kept[fixed + (pair.count[side] % (record - fixed))] = pkt
      }
      pair.count[side]++
      if (pair.tap) pair.tap(side, pkt)
      const hold = pair.hold[side]
      if (hold === true || (typeof hold === 'function' && hold(pkt))) {
        pair.held[side].push(pkt)
        return cb()
      }
      return origWrite.call(this, chunk, encoding, cb)
    }
  }
  return pair
}

// --- a hand-driven peer -------------------------------------------------------------------

// Plays the far end of `transport` packet by packet: handshakes with forged
// parameters, sends what a test wants, and never answers anything by itself.
class RawPeer {
  constructor (transport, { port = 5001, peerPort = 5000 } = {}) {
    this.transport = transport
    this.port = port
    this.peerPort = peerPort
    this.received = []
    this.waiters = new Set()
    this.onData = (pkt) => {
      const p = parse(pkt)
      if (!p) return
      p.raw = pkt
      this.received.push(p)
      if (this.received.length > 10000) this.received.shift()
      for (const w of this.waiters) {
        if (w.match(p)) {
          this.waiters.delete(w)
          clearTimeout(w.timer)
          w.resolve(p)
        }
      }
    }
    transport.on('data', this.onData)
  }

  send (vtag, chunks, { src = this.port, dst = this.peerPort } = {}) {
    this.transport.write(packet(src, dst, vtag, Array.isArray(chunks) ? chunks : [chunks]))
  }

  // The next packet (or one already received after `since`) that `match` accepts.
  next (match, ms = 5000, since = this.received.length) {
    for (const p of this.received.slice(since)) if (match(p)) return Promise.resolve(p)
    return new Promise((resolve, reject) => {
      const w = { match, resolve, timer: null }
      // Not unref'd: a test waiting only on this peer must keep the process alive.
      w.timer = setTimeout(() => { if (this.waiters.delete(w)) reject(new Error('RawPeer: expected packet never came')) }, ms)
      this.waiters.add(w)
    })
  }

  // INIT → INIT ACK → COOKIE ECHO → COOKIE ACK with the given INIT fields.
  async handshake ({ tag = randomTag(), arwnd, os, mis, tsn = 1, cookieEdit } = {}) {
    const since = this.received.length
    this.send(0, init({ tag, arwnd, os, mis, tsn }))
    const ack = await this.next((p) => p.vtag === tag && p.chunks.some((c) => c.type === CT.INIT_ACK), 5000, since)
    const info = initInfo(ack.chunks[0].value)
    const cookie = cookieEdit ? cookieEdit(info.cookie) : info.cookie
    const since2 = this.received.length
    this.send(info.tag, cookieEcho(cookie))
    await this.next((p) => p.vtag === tag && p.chunks.some((c) => c.type === CT.COOKIE_ACK), 5000, since2)
    // `tag`: what the peer puts on its packets to us; `peerTag`: what we put on ours.
    return { tag, peerTag: info.tag, peerTsn: info.tsn, tsn }
  }

  close () { this.transport.removeListener('data', this.onData) }
}

function randomTag () {
  return (Math.floor(Math.random() * 0xfffffffe) + 1) >>> 0
}

module.exports = {
  RawPeer,
  randomTag,
  crc32c,
  checksum,
  setChecksum,
  checksumOk,
  CT,
  CT_NAMES,
  parse,
  chunkTypes,
  initInfo,
  chunk,
  packet,
  param,
  init,
  cookieEcho,
  cookieAck,
  abort,
  shutdown,
  shutdownAck,
  shutdownComplete,
  data,
  sack,
  heartbeat,
  recordingPair
}
