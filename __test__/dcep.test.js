'use strict'
// DCEP (RFC 8832): DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK as bytes, parsing
// of what a peer may send (any bytes: coded errors, nothing else), and a live
// transport facing a hostile peer — a plain socket sending DCEP garbage and
// OPENs on every stream id — that must neither crash nor stop working.
//
// SCTP_DCEP_IDS: how many stream ids (from 0) get an OPEN (default 2,048; 65535 for all, ~30 s);
// SCTP_DCEP_SEED: the seed of the random inputs.
const test = require('node:test')
const assert = require('node:assert/strict')
const sctp = require('..')
require('./helpers/util')
const dcep = require('../lib/webrtc/dcep')
const { mulberry32 } = require('../lib/emulator')
const P = require('./helpers/packets')
const { nextEvent, until, record, inbox, nextChannel } = require('./helpers/datachannels')

const IDS = Math.min(Number(process.env.SCTP_DCEP_IDS) || 2048, 65535)
const SEED = Number(process.env.SCTP_DCEP_SEED) || 8832

const DCEP = sctp.PPID.WEBRTC_DCEP

// parse() of anything: a result, or an Error whose code names what is wrong — never another exception.
function parseOrCode (bytes) {
  try {
    return dcep.parse(bytes)
  } catch (err) {
    assert.ok(err instanceof Error && /^ERR_DCEP_[A-Z_]+$/.test(err.code), `parse threw ${err && err.stack}`)
    return err.code
  }
}

function randomBytes (rand, max) {
  const b = Buffer.allocUnsafe(Math.floor(rand() * max))
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(rand() * 256)
  return b
}

test('DCEP messages: the byte layout of RFC 8832 §5, and round trips for every channel type', () => {
  // §5.1 by hand: type 3, channel type 0x81 (partial reliable rexmit, unordered), priority 256,
  // reliability parameter 5, label "ab", protocol "xyz".
  const open = Buffer.from([3, 0x81, 1, 0, 0, 0, 0, 5, 0, 2, 0, 3, 0x61, 0x62, 0x78, 0x79, 0x7a])
  assert.deepEqual(dcep.encodeOpen({ label: 'ab', protocol: 'xyz', ordered: false, maxRetransmits: 5 }), open)
  assert.deepEqual(dcep.parse(open), { type: 'open', label: 'ab', protocol: 'xyz', ordered: false, maxRetransmits: 5, maxPacketLifeTime: null, priority: 256 })
  assert.deepEqual(dcep.encodeAck(), Buffer.from([2]))
  assert.deepEqual(dcep.parse(Buffer.from([2])), { type: 'ack' })

  const types = [
    [{}, 0x00],
    [{ ordered: false }, 0x80],
    [{ maxRetransmits: 0 }, 0x01],
    [{ maxRetransmits: 0xffffffff, ordered: false }, 0x81],
    [{ maxPacketLifeTime: 65535 }, 0x02],
    [{ maxPacketLifeTime: 1, ordered: false }, 0x82]
  ]
  for (const [settings, channelType] of types) {
    for (const [label, protocol] of [['', ''], ['chat', 'json'], ['ünï ☃ 😀', 'p'.repeat(1000)], ['l'.repeat(65535), 'x']]) {
      const msg = dcep.encodeOpen({ label, protocol, ...settings })
      assert.equal(msg[1], channelType)
      assert.equal(msg.length, 12 + Buffer.byteLength(label) + Buffer.byteLength(protocol))
      assert.deepEqual(dcep.parse(msg), {
        type: 'open',
        label,
        protocol,
        ordered: settings.ordered !== false,
        maxRetransmits: settings.maxRetransmits ?? null,
        maxPacketLifeTime: settings.maxPacketLifeTime ?? null,
        priority: dcep.PRIORITY_NORMAL
      })
    }
  }
  // A reliable channel's reliability parameter is ignored (§5.1); a Uint8Array parses like a Buffer.
  const reliable = dcep.encodeOpen({ label: 'r' })
  reliable.writeUInt32BE(1234, 4)
  assert.deepEqual([dcep.parse(new Uint8Array(reliable)).maxRetransmits, dcep.parse(reliable).maxPacketLifeTime], [null, null])
  assert.throws(() => dcep.encodeOpen({ label: 'é'.repeat(32768) }), { code: 'ERR_DCEP_TOO_LONG' })
})

test('DCEP parse: truncated, oversize, trailing and unknown input fails with a coded error, never anything else', () => {
  const open = dcep.encodeOpen({ label: 'label', protocol: 'proto' })
  const cases = [
    [Buffer.alloc(0), 'ERR_DCEP_EMPTY'],
    ['text', 'ERR_DCEP_NOT_BYTES'],
    [null, 'ERR_DCEP_NOT_BYTES'],
    [Buffer.from([2, 0]), 'ERR_DCEP_TRAILING_BYTES'],
    [Buffer.from([0]), 'ERR_DCEP_UNKNOWN_TYPE'],
    [Buffer.from([1, 0, 0, 0]), 'ERR_DCEP_UNKNOWN_TYPE'],
    [Buffer.from([0xff]), 'ERR_DCEP_UNKNOWN_TYPE'],
    [Buffer.from([3]), 'ERR_DCEP_TRUNCATED'],
    [open.subarray(0, 11), 'ERR_DCEP_TRUNCATED'],
    [open.subarray(0, open.length - 1), 'ERR_DCEP_TRUNCATED'],
    [Buffer.concat([open, Buffer.from([0])]), 'ERR_DCEP_TRAILING_BYTES']
  ]
  // Label and protocol lengths that point past the end (up to 2 × 65535 bytes).
  for (const [at, value] of [[8, 0xffff], [10, 0xffff], [8, 6]]) {
    const bad = Buffer.from(open)
    bad.writeUInt16BE(value, at)
    cases.push([bad, 'ERR_DCEP_TRUNCATED'])
  }
  for (const type of [0x03, 0x7f, 0x83, 0x40, 0xff]) {
    const bad = Buffer.from(open)
    bad[1] = type
    cases.push([bad, 'ERR_DCEP_BAD_CHANNEL_TYPE'])
  }
  for (const [input, code] of cases) assert.equal(parseOrCode(input), code, `input ${Buffer.isBuffer(input) ? input.toString('hex') : input}`)

  // Random bytes, every truncation of a valid OPEN, and valid OPENs with random bytes changed.
  const rand = mulberry32(SEED)
  const valid = [dcep.encodeOpen({ label: 'ab', protocol: 'cd', maxPacketLifeTime: 9 }), dcep.encodeOpen({ label: 'x'.repeat(300) }), dcep.encodeAck()]
  const seen = new Set()
  for (let i = 0; i < 100000; i++) {
    let input
    if (i % 3 === 0) input = randomBytes(rand, 64)
    else {
      input = Buffer.from(valid[i % valid.length])
      for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) input[Math.floor(rand() * input.length)] = Math.floor(rand() * 256)
      if (i % 3 === 2) input = input.subarray(0, Math.floor(rand() * (input.length + 1)))
    }
    if (i % 5 === 0) input[0] = 3 // most of them OPENs
    const r = parseOrCode(input)
    seen.add(typeof r === 'string' ? r : r.type)
    // Whatever parses is an OPEN whose fields fit, and that encodes back to a message that parses the same.
    if (r.type === 'open') {
      assert.equal(r.maxRetransmits === null || r.maxPacketLifeTime === null, true)
      const again = dcep.parse(dcep.encodeOpen(r))
      assert.deepEqual({ ...again, label: null, protocol: null }, { ...r, label: null, protocol: null })
    }
  }
  for (let n = 0; n < valid[1].length; n++) assert.equal(parseOrCode(valid[1].subarray(0, n)), n === 0 ? 'ERR_DCEP_EMPTY' : 'ERR_DCEP_TRUNCATED')
  assert.deepEqual([...seen].sort(), ['ERR_DCEP_BAD_CHANNEL_TYPE', 'ERR_DCEP_EMPTY', 'ERR_DCEP_TRAILING_BYTES', 'ERR_DCEP_TRUNCATED', 'ERR_DCEP_UNKNOWN_TYPE', 'ack', 'open'],
    'the random inputs reach every outcome')
})

// A transport (DTLS client: it opens even ids) and a plain socket as its
// peer, which sends whatever the test wants on any stream, with PPID 50.
function hostilePair ({ OS = 65535, MIS = 65535 } = {}) {
  const [la, lb] = sctp.duplexPair()
  const t = sctp.createSctpTransport({ transport: la, role: 'client' })
  const peer = sctp.connect({ transport: lb, port: 5000, localPort: 5000, passive: true, OS, MIS })
  const got = [] // [streamId, ppid, data] of everything the transport sends
  const ackCount = new Map() // stream id -> DATA_CHANNEL_ACKs received on it
  peer.on('message', (data, { streamId, ppid }) => {
    got.push([streamId, ppid, data])
    if (ppid === DCEP && data.length === 1 && data[0] === dcep.ACK) ackCount.set(streamId, (ackCount.get(streamId) || 0) + 1)
  })
  const streams = new Map() // id -> { s, ended, closed }
  // The peer's stream `id` (a new one once the last was reset both ways):
  // `ended` once the transport reset it, `closed` once both directions are.
  const stream = (id) => {
    let e = streams.get(id)
    if (!e || e.closed) {
      const s = peer.createStream(id)
      e = { s, ended: false, closed: false }
      s.on('message', () => {})
      s.on('end', () => { e.ended = true })
      s.on('close', () => { e.closed = true })
      s.on('error', () => {}) // a write to a stream that was reset meanwhile
      streams.set(id, e)
    }
    return e.s
  }
  const send = (id, bytes, ppid = DCEP) => stream(id).send(bytes, { ppid })
  return {
    t,
    peer,
    got,
    send,
    acks: (id) => ackCount.get(id) || 0,
    wasReset: (id) => streams.has(id) && streams.get(id).ended,
    resetDone: (id) => streams.has(id) && streams.get(id).closed,
    async close () {
      try {
        if (t.state !== 'closed') {
          const closed = nextEvent(t, 'close', 20000)
          t.close()
          await closed
        }
      } finally {
        peer.destroy()
        la.destroy()
        lb.destroy()
      }
    }
  }
}

test(`a hostile peer: DCEP garbage, then OPENs on ${IDS} stream ids of both parities; no crash, the transport keeps working`, { timeout: 120000 }, async (t) => {
  const h = hostilePair()
  try {
    const announced = new Map()
    h.t.ondatachannel = (e) => announced.set(e.channel.id, e.channel)
    await nextEvent(h.t, 'statechange')
    const rand = mulberry32(SEED)

    // 1. Garbage: random bytes, broken OPENs, unknown types, stray ACKs. Whatever
    // starts as an OPEN (type 3) is refused: its stream is reset (RFC 8832 §6).
    const broken = (i) => {
      const open = dcep.encodeOpen({ label: `g${i}`, protocol: 'p' })
      switch (i % 5) {
        case 0: return randomBytes(rand, 40)
        case 1: return open.subarray(0, Math.floor(rand() * open.length)) // truncated
        case 2: open.writeUInt16BE(0xffff, 8); return open // a label past the end
        case 3: return Buffer.from([4 + Math.floor(rand() * 250), 0, 0]) // an unknown message type
        default: return Buffer.from([2]) // an ACK nobody asked for
      }
    }
    const refused = []
    const ignored = []
    for (let i = 0; i < 2000; i++) {
      const id = 40000 + i * 3
      const bytes = broken(i)
      ;(bytes.length && bytes[0] === dcep.OPEN ? refused : ignored).push(id)
      h.send(id, bytes)
    }
    // Messages of every other PPID on streams without a channel: dropped.
    for (let i = 0; i < 200; i++) h.send(50000 + i, randomBytes(rand, 100), [0, 51, 52, 53, 54, 56, 57][i % 7])
    await until(() => refused.every(h.resetDone), 20000, () => `resets of the ${refused.length} broken OPENs (${refused.filter(h.resetDone).length} done)`)
    assert.ok(refused.length > 700, `${refused.length} broken OPENs`)
    assert.equal(ignored.filter(h.wasReset).length, 0, 'what is not an OPEN is ignored')
    assert.equal(announced.size, 0, 'no garbage became a channel')
    assert.equal(h.got.length, 0, 'no ACK, nothing at all back')

    // 2. A well-formed OPEN on every id: the peer's own parity (odd) becomes a channel; ours (even) is refused.
    const start = Date.now()
    const open = dcep.encodeOpen({ label: 'flood', protocol: 'x' })
    for (let id = 0; id < IDS; id++) h.send(id, open)
    const odd = Math.floor(IDS / 2)
    const even = IDS - odd
    await until(() => announced.size === odd, 60000, () => `${odd} channels (${announced.size} so far)`)
    const evenIds = Array.from({ length: even }, (_, k) => 2 * k)
    await until(() => evenIds.every(h.resetDone), 60000, 'resets of the OPENs on even ids')
    await until(() => Array.from({ length: odd }, (_, k) => 2 * k + 1).every((id) => h.acks(id) === 1), 60000, 'an ACK for each odd id')
    t.diagnostic(`${IDS} OPENs: ${odd} channels, ${even} refused, in ${Date.now() - start} ms`)
    assert.ok([...announced.keys()].every((id) => id % 2 === 1))
    assert.ok(evenIds.every((id) => h.acks(id) === 0), 'no ACK on an even id')

    // 3. Still working: a channel the peer opened carries messages both ways, and we can open one of our own.
    const ch = announced.get(1)
    const fromPeer = inbox(ch)
    h.send(1, Buffer.from('still here'), sctp.PPID.WEBRTC_STRING)
    await fromPeer.count(1)
    assert.equal(fromPeer[0], 'still here')
    const before = h.got.length
    ch.send('and so are we')
    await until(() => h.got.length > before)
    assert.deepEqual(h.got.at(-1).map(String), ['1', '51', 'and so are we'])
    const ours = h.t.createDataChannel('ours')
    assert.equal(ours.id, 0, 'the refused even ids are free again')
    await nextEvent(ours, 'open')
    await until(() => h.got.some(([id, ppid, d]) => id === 0 && ppid === DCEP && d[0] === 3 && d.includes('ours')), 5000, 'our OPEN at the peer')
  } finally {
    await h.close()
  }
})

test('an OPEN on a stream in use closes that channel, without an ACK (RFC 8832 §6)', { timeout: 10000 }, async () => {
  const h = hostilePair()
  try {
    h.send(1, dcep.encodeOpen({ label: 'first' }))
    const ch = await nextChannel(h.t)
    const seen = record(ch)
    await until(() => h.acks(1) === 1)
    h.send(1, dcep.encodeOpen({ label: 'second' }))
    await nextEvent(ch, 'close')
    assert.deepEqual(seen, ['open', 'closing', 'close'])
    await until(() => h.wasReset(1))
    assert.equal(h.acks(1), 1, 'no ACK for the second OPEN')
    // And an OPEN on an id our own in-band channel holds, the same.
    const ours = h.t.createDataChannel('ours')
    await nextEvent(ours, 'open')
    const oursSeen = record(ours)
    h.send(ours.id, dcep.encodeOpen({ label: 'collision' }))
    await nextEvent(ours, 'close')
    assert.deepEqual(oursSeen, ['closing', 'close'])
  } finally {
    await h.close()
  }
})

test('a peer that accepts more streams than it offers: OPENs on ids we cannot send on are ignored', { timeout: 10000 }, async () => {
  // The peer takes 100 streams in but offers only 10 out: our maxChannels is 10,
  // and ids 10 to 99 reach us with no stream of ours to answer on.
  const h = hostilePair({ OS: 100, MIS: 10 })
  try {
    const announced = []
    h.t.ondatachannel = (e) => announced.push(e.channel.id)
    await nextEvent(h.t, 'statechange')
    assert.equal(h.t.maxChannels, 10)
    h.send(51, dcep.encodeOpen({ label: 'past the end' }))
    h.send(52, dcep.encodeOpen({ label: 'broken' }).subarray(0, 5))
    h.send(3, dcep.encodeOpen({ label: 'fits' }))
    await until(() => h.acks(3) === 1)
    assert.deepEqual(announced, [3])
    assert.equal(h.got.filter(([id]) => id >= 10).length, 0, 'nothing sent on ids past maxChannels')
  } finally {
    await h.close()
  }
})

test('unknown DCEP messages and malformed ACKs on an open channel are ignored; the channel stays open', { timeout: 10000 }, async () => {
  const h = hostilePair()
  try {
    h.send(3, dcep.encodeOpen({ label: 'c' }))
    const ch = await nextChannel(h.t)
    const got = inbox(ch)
    for (const junk of [[2, 0], [2], [0], [1, 2, 3], [9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]]) h.send(3, Buffer.from(junk))
    h.send(3, Buffer.from('after the junk'), sctp.PPID.WEBRTC_STRING)
    await got.count(1)
    assert.deepEqual([...got], ['after the junk'])
    assert.equal(ch.readyState, 'open')
    assert.equal(h.wasReset(3), false)
  } finally {
    await h.close()
  }
})

// RFC 6525 §4.1 and §4.4: an Outgoing SSN Reset Request parameter, and a Re-configuration Response.
function outgoingReset ({ rsn, responseSn, lastTsn, streams }) {
  const v = Buffer.alloc(12 + 2 * streams.length)
  v.writeUInt32BE(rsn >>> 0, 0)
  v.writeUInt32BE(responseSn >>> 0, 4)
  v.writeUInt32BE(lastTsn >>> 0, 8)
  streams.forEach((id, i) => v.writeUInt16BE(id, 12 + 2 * i))
  return P.param(13, v)
}
function reconfigResponse (responseSn, result = 1) { // 1: Success - Performed
  const v = Buffer.alloc(8)
  v.writeUInt32BE(responseSn >>> 0, 0)
  v.writeUInt32BE(result, 4)
  return P.param(16, v)
}

test('the peer opens an id again in the packet that completes our close of it: the new channel opens', { timeout: 10000 }, async () => {
  // The peer, played packet by packet, is the DTLS client (even ids). It opens
  // channel 0, closes it (RFC 8831 §6.7), and once its side of the close is
  // done opens id 0 again — in the same packet as its answer to our reset,
  // the answer that completes our close. The OPEN must wait for that close,
  // not be refused as one on a stream in use.
  const [ta, tb] = sctp.duplexPair()
  const raw = new P.RawPeer(ta, { port: 5001, peerPort: 5000 })
  const t = sctp.createSctpTransport({ transport: tb, role: 'server', port: 5000, remotePort: 5001 })
  let hs = null
  try {
    // Both ends send INIT. This peer answers none: with the highest tag, its
    // INIT is the handshake our side keeps (src/endpoint.rs collide).
    hs = await raw.handshake({ tag: 0xffffffff, os: 65535, mis: 65535 })
    const isData = (p) => p.chunks.some((c) => c.type === P.CT.DATA)
    const sackAll = (p) => {
      const tsn = Math.max(...p.chunks.filter((c) => c.type === P.CT.DATA).map((c) => c.value.readUInt32BE(0)))
      raw.send(hs.peerTag, P.sack({ cumTsn: tsn }))
    }

    let since = raw.received.length
    raw.send(hs.peerTag, P.data({ tsn: hs.tsn, stream: 0, ppid: DCEP, payload: dcep.encodeOpen({ label: 'old' }) }))
    const old = await nextChannel(t)
    assert.deepEqual([old.label, old.id], ['old', 0])
    sackAll(await raw.next(isData, 5000, since)) // its DATA_CHANNEL_ACK: nothing of ours left unacknowledged
    const seen = record(old)

    // The peer resets its stream 0; we answer, and reset ours (the reciprocal request).
    since = raw.received.length
    raw.send(hs.peerTag, P.chunk(P.CT.RECONFIG, 0, outgoingReset({ rsn: hs.tsn, responseSn: hs.peerTsn - 1, lastTsn: hs.tsn, streams: [0] })))
    const ours = await raw.next((p) => p.chunks.some((c) => c.type === P.CT.RECONFIG && c.value.includes(Buffer.from([0, 13]))), 5000, since)
    const request = ours.chunks.find((c) => c.type === P.CT.RECONFIG).value
    const at = request.indexOf(Buffer.from([0, 13]))
    const ourRsn = request.readUInt32BE(at + 4)
    await until(() => seen.includes('closing'))

    // One packet: the answer that completes our close, then the new OPEN on stream 0 (SSN 0 again).
    raw.send(hs.peerTag, [
      P.chunk(P.CT.RECONFIG, 0, reconfigResponse(ourRsn)),
      P.data({ tsn: hs.tsn + 1, stream: 0, ssn: 0, ppid: DCEP, payload: dcep.encodeOpen({ label: 'new' }) })
    ])
    const again = await nextChannel(t)
    assert.deepEqual([again.label, again.id], ['new', 0])
    assert.deepEqual(seen, ['closing', 'close'], 'the old channel closed first')
    await raw.next((p) => p.chunks.some((c) => c.type === P.CT.DATA && c.value.readUInt16BE(4) === 0 &&
      c.value.readUInt32BE(8) === DCEP && c.value[12] === dcep.ACK), 5000)
  } finally {
    // The played peer does not close gracefully: it aborts.
    const closed = t.state === 'closed' ? null : nextEvent(t, 'close')
    if (hs) raw.send(hs.peerTag, P.abort())
    else t.close()
    await closed
    raw.close()
    ta.destroy()
    tb.destroy()
  }
})
