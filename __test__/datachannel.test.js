'use strict'
// WebRTC data channels with webrtc-pc's API (sctp.createSctpTransport(),
// RTCDataChannel) on both ends: RFC 8831 channels with DCEP (RFC 8832) over
// an in-memory link, whose packets the tests can read, and over real DTLS
// (werift-dtls on UDP loopback).
const test = require('node:test')
const assert = require('node:assert/strict')
const sctp = require('..')
require('./helpers/util')
const { CT, parse } = require('./helpers/packets')
const { nextEvent, until, record, inbox, nextChannel, memoryPair, dtlsTransportPair } = require('./helpers/datachannels')

const KiB = 1024

// The first DATA chunk of each message `side` sent on `stream`: { ppid, unordered }, in order.
function messagesOnWire (link, side, stream) {
  const out = []
  for (const pkt of link.sent[side]) {
    const p = parse(pkt)
    for (const c of p ? p.chunks : []) {
      if (c.type !== CT.DATA || c.value.readUInt16BE(4) !== stream || !(c.flags & 0x02)) continue
      out.push({ ppid: c.value.readUInt32BE(8), unordered: Boolean(c.flags & 0x04), first: c.value[12] })
    }
  }
  return out
}

// What `side` sent before its first SHUTDOWN: the stream ids of its RFC 6525
// Outgoing SSN Reset Requests (RECONFIG parameter 13), and whether a SHUTDOWN came.
function resetsBeforeShutdown (link, side) {
  const streams = new Set()
  for (const pkt of link.sent[side]) {
    const p = parse(pkt)
    for (const c of p ? p.chunks : []) {
      if (c.type === CT.SHUTDOWN) return { streams, shutdown: true }
      if (c.type !== CT.RECONFIG) continue
      for (let off = 0; off + 4 <= c.value.length;) {
        const type = c.value.readUInt16BE(off)
        const len = c.value.readUInt16BE(off + 2)
        if (len < 4) break
        if (type === 13) for (let at = off + 16; at + 2 <= off + len; at += 2) streams.add(c.value.readUInt16BE(at))
        off += (len + 3) & ~3
      }
    }
  }
  return { streams, shutdown: false }
}

// Opens `label` on `from`; resolves with [ours, theirs] once both have fired 'open'.
async function openChannel (from, to, label, init) {
  // The peer's channel fires 'open' in a task after 'datachannel': listen from a microtask of that one.
  const theirs = nextChannel(to).then((ch) => nextEvent(ch, 'open', 5000, `'open' on the peer's '${label}'`).then(() => ch))
  const ours = from.createDataChannel(label, init)
  await nextEvent(ours, 'open', 5000, `'open' on '${label}'`)
  return [ours, await theirs]
}

test('createSctpTransport: options are checked; state, maxMessageSize and maxChannels as webrtc-pc has them', { timeout: 10000 }, async () => {
  const [ta] = sctp.duplexPair()
  assert.throws(() => sctp.createSctpTransport(), { name: 'TypeError' })
  assert.throws(() => sctp.createSctpTransport({ role: 'client' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  assert.throws(() => sctp.createSctpTransport({ transport: ta }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /role/ })
  assert.throws(() => sctp.createSctpTransport({ transport: ta, role: 'active' }), { code: 'ERR_INVALID_ARG_VALUE' })
  assert.throws(() => sctp.createSctpTransport({ transport: ta, role: 'client', port: 0 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
  assert.throws(() => sctp.createSctpTransport({ transport: ta, role: 'client', maxMessageSize: -1 }), { code: 'ERR_OUT_OF_RANGE' })
  assert.throws(() => sctp.createSctpTransport({ transport: ta, role: 'client', remoteMaxMessagesize: 1 }), { code: 'ERR_INVALID_ARG_VALUE', message: /remoteMaxMessagesize/ })
  assert.throws(() => new sctp.RTCSctpTransport(), { name: 'TypeError' })

  // maxMessageSize: the smaller of ours and the peer's, 0 meaning any size; the peer's is 65536 when its SDP says nothing.
  const sizes = [
    [{}, 65536],
    [{ remoteMaxMessageSize: 0 }, 262144],
    [{ maxMessageSize: 1000, remoteMaxMessageSize: 0 }, 1000],
    [{ maxMessageSize: 0, remoteMaxMessageSize: 5000 }, 5000],
    [{ maxMessageSize: 0, remoteMaxMessageSize: 0 }, Infinity],
    [{ maxMessageSize: 100000, remoteMaxMessageSize: 300000 }, 100000]
  ]
  for (const [opts, want] of sizes) {
    const [t1, t2] = sctp.duplexPair()
    const t = sctp.createSctpTransport({ transport: t1, role: 'client', ...opts })
    assert.equal(t.maxMessageSize, want, JSON.stringify(opts))
    assert.equal(t.transport, t1)
    const closed = nextEvent(t, 'close')
    t.close() // before the association is up: nothing to reset, nothing to shut down
    await closed
    assert.equal(t.state, 'closed')
    t1.destroy()
    t2.destroy()
  }

  const p = memoryPair()
  try {
    const states = { a: [], b: [] }
    p.a.onstatechange = () => states.a.push(p.a.state)
    p.b.addEventListener('statechange', () => states.b.push(p.b.state))
    assert.equal(p.a.state, 'connecting')
    assert.equal(p.a.maxChannels, null)
    assert.ok(p.a instanceof EventTarget && p.a instanceof sctp.RTCSctpTransport)
    await Promise.all([nextEvent(p.a, 'statechange'), nextEvent(p.b, 'statechange')])
    assert.deepEqual([p.a.state, p.b.state], ['connected', 'connected'])
    assert.deepEqual([p.a.maxChannels, p.b.maxChannels], [65535, 65535], 'RFC 8831 §6.2: 65535 streams each way')
    await p.close()
    assert.deepEqual(states, { a: ['connected', 'closed'], b: ['connected', 'closed'] })
  } finally {
    await p.close()
  }
})

test('a channel opened by either side: even ids from the DTLS client, odd from the server; the peer gets \'datachannel\' with its settings', { timeout: 10000 }, async () => {
  const p = memoryPair()
  try {
    const atB = []
    const atA = []
    // webrtc-pc: the channel is open (for sending) already in 'datachannel', and fires 'open' after it.
    const announce = (list, reply) => (e) => {
      const ch = e.channel
      list.push({ ch, readyState: ch.readyState, events: record(ch) })
      ch.send(`${reply} ${ch.label}`)
    }
    p.b.ondatachannel = announce(atB, 'b got')
    p.a.ondatachannel = announce(atA, 'a got')
    const fromA = [
      p.a.createDataChannel('chat', { protocol: 'chat-v1' }),
      p.a.createDataChannel('lossy', { ordered: false, maxRetransmits: 3 }),
      p.a.createDataChannel('timed', { maxPacketLifeTime: 150, protocol: 'telemetry' })
    ]
    const fromB = [p.b.createDataChannel('from-b'), p.b.createDataChannel('ünïcödé ☃', { ordered: false, maxPacketLifeTime: 500 })]
    assert.deepEqual(fromA.map((c) => c.id), [0, 2, 4])
    assert.deepEqual(fromB.map((c) => c.id), [1, 3])
    assert.ok(fromA.every((c) => c.readyState === 'connecting' && c.negotiated === false))
    const replies = [...fromA, ...fromB].map((c) => inbox(c))
    await Promise.all([until(() => atB.length === 3), until(() => atA.length === 2)])
    await Promise.all(replies.map((r) => r.count(1)))

    const settings = (c) => ({ label: c.label, id: c.id, protocol: c.protocol, ordered: c.ordered, maxRetransmits: c.maxRetransmits, maxPacketLifeTime: c.maxPacketLifeTime, negotiated: c.negotiated })
    assert.deepEqual(atB.map((x) => settings(x.ch)), [
      { label: 'chat', id: 0, protocol: 'chat-v1', ordered: true, maxRetransmits: null, maxPacketLifeTime: null, negotiated: false },
      { label: 'lossy', id: 2, protocol: '', ordered: false, maxRetransmits: 3, maxPacketLifeTime: null, negotiated: false },
      { label: 'timed', id: 4, protocol: 'telemetry', ordered: true, maxRetransmits: null, maxPacketLifeTime: 150, negotiated: false }
    ])
    assert.deepEqual(atA.map((x) => settings(x.ch)), [
      { label: 'from-b', id: 1, protocol: '', ordered: true, maxRetransmits: null, maxPacketLifeTime: null, negotiated: false },
      { label: 'ünïcödé ☃', id: 3, protocol: '', ordered: false, maxRetransmits: null, maxPacketLifeTime: 500, negotiated: false }
    ])
    assert.deepEqual(atB.map((x) => settings(x.ch)), fromA.map(settings), 'both ends of each channel agree')
    assert.ok([...atA, ...atB].every((x) => x.readyState === 'open' && x.ch instanceof sctp.RTCDataChannel))
    assert.deepEqual(replies.map((r) => r[0]), ['b got chat', 'b got lossy', 'b got timed', 'a got from-b', 'a got ünïcödé ☃'])
    await until(() => [...atA, ...atB].every((x) => x.events.length === 1))
    assert.ok([...atA, ...atB].every((x) => x.events[0] === 'open'), 'the peer\'s channels fire \'open\' after \'datachannel\'')
  } finally {
    await p.close()
  }
})

test('messages both ways: text (not only ASCII), every kind of binary, empty ones, exactly maxMessageSize; one byte more is a TypeError', { timeout: 20000 }, async () => {
  const max = 64 * KiB
  const p = memoryPair({ a: { maxMessageSize: max, remoteMaxMessageSize: max }, b: { maxMessageSize: max, remoteMaxMessageSize: max } })
  try {
    const [a, b] = await openChannel(p.a, p.b, 'data')
    assert.equal(p.a.maxMessageSize, max)
    const bytes = Buffer.from([0, 1, 2, 250, 255])
    const inside = new Uint8Array(16).fill(9)
    inside.set([7, 7, 7], 4)
    // 'é' is two bytes in UTF-8: the limit counts bytes, not characters.
    const maxText = 'é'.repeat(max / 2)
    const outgoing = [
      ['hello', 'hello', 51],
      ['héllo wörld € 😀 \u0000 end', 'héllo wörld € 😀 \u0000 end', 51],
      ['', '', 56],
      [bytes, bytes, 53],
      [inside.subarray(4, 7), Buffer.from([7, 7, 7]), 53], // a view into a larger buffer: only its bytes
      [bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 5), bytes, 53],
      [new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2), Buffer.from([2, 3]), 53],
      [new Uint16Array([0x0102]), Buffer.from(new Uint16Array([0x0102]).buffer), 53],
      [new Uint8Array(0), Buffer.alloc(0), 57],
      [new ArrayBuffer(0), Buffer.alloc(0), 57],
      [new Blob([Buffer.from('in a blob')]), Buffer.from('in a blob'), 53],
      ['after the blob', 'after the blob', 51], // waits for the Blob before it
      [maxText, maxText, 51],
      [Buffer.alloc(max, 0xab), Buffer.alloc(max, 0xab), 53]
    ]
    const got = inbox(b)
    for (const [data] of outgoing) a.send(data)
    await got.count(outgoing.length)
    outgoing.forEach(([, want], i) => {
      if (typeof want === 'string') assert.equal(got[i], want, `message ${i}`)
      else {
        assert.ok(got[i] instanceof ArrayBuffer, `message ${i} is an ArrayBuffer`)
        assert.deepEqual(Buffer.from(got[i]), want, `message ${i}`)
      }
    })
    // RFC 8831 §6.6 on the wire: 51 text, 53 binary, 56 / 57 for empty ones (one dummy byte each).
    const wire = messagesOnWire(p.link, 'a', a.id).slice(1) // after the DATA_CHANNEL_OPEN
    assert.deepEqual(wire.map((m) => m.ppid), outgoing.map(([, , ppid]) => ppid))

    // One byte over the limit throws TypeError and sends nothing; the channel carries on.
    assert.throws(() => a.send(Buffer.alloc(max + 1)), { name: 'TypeError' })
    assert.throws(() => a.send('é'.repeat(max / 2) + 'x'), { name: 'TypeError' })
    assert.throws(() => a.send(new Blob([Buffer.alloc(max + 1)])), { name: 'TypeError' })
    assert.equal(a.readyState, 'open')

    // And the other way.
    const back = inbox(a)
    b.send('réponse')
    b.send(Buffer.alloc(max, 1))
    b.send('')
    b.send(new Uint8Array(0))
    await back.count(4)
    assert.equal(back[0], 'réponse')
    assert.deepEqual(Buffer.from(back[1]), Buffer.alloc(max, 1))
    assert.equal(back[2], '')
    assert.ok(back[3] instanceof ArrayBuffer && back[3].byteLength === 0)
    assert.equal(got.length, outgoing.length, 'nothing more arrived at b')
  } finally {
    await p.close()
  }
})

test('binaryType: \'arraybuffer\' by default, then \'blob\' and \'nodebuffer\'; other values are ignored; text stays a string', { timeout: 10000 }, async () => {
  const p = memoryPair()
  try {
    const [a, b] = await openChannel(p.a, p.b, 'types')
    assert.equal(b.binaryType, 'arraybuffer')
    const got = inbox(b)
    const send = async (data) => {
      const n = got.length
      a.send(data)
      await got.count(n + 1)
      return got[n]
    }
    assert.ok((await send(Buffer.from('ab'))) instanceof ArrayBuffer)
    b.binaryType = 'blob'
    const blob = await send(Buffer.from('cd'))
    assert.ok(blob instanceof Blob)
    assert.equal(Buffer.from(await blob.arrayBuffer()).toString(), 'cd')
    b.binaryType = 'nodebuffer'
    const buf = await send(Buffer.from('ef'))
    assert.ok(Buffer.isBuffer(buf))
    assert.equal(buf.toString(), 'ef')
    b.binaryType = 'string' // not a BinaryType: ignored, as WebIDL does for enum attributes
    assert.equal(b.binaryType, 'nodebuffer')
    assert.equal(await send('text'), 'text')
  } finally {
    await p.close()
  }
})

test('send() throws InvalidStateError before \'open\' and after close(), TypeError for what it cannot send', { timeout: 10000 }, async () => {
  const p = memoryPair()
  try {
    const a = p.a.createDataChannel('early')
    const invalidState = { name: 'InvalidStateError' }
    assert.throws(() => a.send('too early'), invalidState)
    assert.ok((() => { try { a.send('x') } catch (e) { return e instanceof DOMException } })())
    await nextEvent(a, 'open')
    assert.throws(() => a.send(), { name: 'TypeError' })
    assert.throws(() => a.send(42), { name: 'TypeError' })
    assert.throws(() => a.send({ data: 'x' }), { name: 'TypeError' })
    assert.throws(() => a.send(null), { name: 'TypeError' })
    a.send('fine')
    a.close()
    assert.equal(a.readyState, 'closing')
    assert.throws(() => a.send('closing'), invalidState)
    await nextEvent(a, 'close')
    assert.equal(a.readyState, 'closed')
    assert.throws(() => a.send('closed'), invalidState)
    a.close() // again: nothing happens
    assert.equal(a.readyState, 'closed')
  } finally {
    await p.close()
  }
})

test('createDataChannel checks its arguments as webrtc-pc does (TypeError, OperationError, InvalidStateError)', { timeout: 10000 }, async () => {
  const p = memoryPair()
  try {
    const t = p.a
    const typeError = { name: 'TypeError' }
    assert.throws(() => t.createDataChannel(), typeError)
    assert.throws(() => t.createDataChannel('x', { maxPacketLifeTime: 10, maxRetransmits: 1 }), typeError)
    assert.throws(() => t.createDataChannel('é'.repeat(32768)), typeError) // 65536 bytes of UTF-8
    assert.throws(() => t.createDataChannel('x', { protocol: 'p'.repeat(65536) }), typeError)
    assert.throws(() => t.createDataChannel('x', { negotiated: true }), typeError)
    assert.throws(() => t.createDataChannel('x', { negotiated: true, id: 65535 }), typeError)
    for (const bad of [65536, -1, NaN, Infinity, 'many']) {
      assert.throws(() => t.createDataChannel('x', { negotiated: true, id: bad }), typeError, `id ${bad}`)
      assert.throws(() => t.createDataChannel('x', { maxRetransmits: bad }), typeError, `maxRetransmits ${bad}`)
      assert.throws(() => t.createDataChannel('x', { maxPacketLifeTime: bad }), typeError, `maxPacketLifeTime ${bad}`)
    }
    assert.throws(() => t.createDataChannel('x', 'options'), typeError)
    assert.throws(() => new sctp.RTCDataChannel(), typeError)

    // What passes, converted as WebIDL converts.
    const longest = t.createDataChannel('l'.repeat(65535), { protocol: 'p'.repeat(65535), ordered: 0, maxRetransmits: '7', id: 9 })
    assert.deepEqual([longest.label.length, longest.protocol.length, longest.ordered, longest.maxRetransmits, longest.id], [65535, 65535, false, 7, 0],
      'an in-band channel ignores the id option and gets the lowest free even id')
    assert.equal(t.createDataChannel(1234).label, '1234')
    const neg = t.createDataChannel('n', { negotiated: true, id: 65534, maxPacketLifeTime: 1.9 })
    assert.deepEqual([neg.id, neg.maxPacketLifeTime, neg.maxRetransmits], [65534, 1, null])
    assert.throws(() => t.createDataChannel('dup', { negotiated: true, id: 65534 }), { name: 'OperationError' })
    assert.throws(() => t.createDataChannel('dup', { negotiated: true, id: 0 }), { name: 'OperationError' })

    await nextEvent(t, 'statechange')
    t.close()
    assert.throws(() => t.createDataChannel('late'), { name: 'InvalidStateError' })
  } finally {
    await p.close()
  }
})

test('a peer with fewer streams: maxChannels is the negotiated count, and ids at or past it fail', { timeout: 10000 }, async () => {
  // The peer is a plain socket offering 10 streams each way (and waiting for our INIT).
  const [la, lb] = sctp.duplexPair()
  const t = sctp.createSctpTransport({ transport: la, role: 'client' })
  const peer = sctp.connect({ transport: lb, port: 5000, localPort: 5000, passive: true, OS: 10, MIS: 10 })
  try {
    const early = t.createDataChannel('early', { negotiated: true, id: 12 }) // fine until the association says otherwise
    const fits = t.createDataChannel('fits', { negotiated: true, id: 9 })
    const seen = record(early)
    let error = null
    early.onerror = (e) => { error = e }
    await nextEvent(early, 'close')
    assert.equal(t.maxChannels, 10)
    assert.deepEqual(seen, ['error', 'close'])
    assert.equal(early.readyState, 'closed')
    assert.ok(error instanceof sctp.RTCErrorEvent && error.error instanceof sctp.RTCError && error.error instanceof DOMException)
    assert.equal(error.error.errorDetail, 'data-channel-failure')
    assert.equal(error.error.name, 'OperationError')
    if (fits.readyState !== 'open') await nextEvent(fits, 'open')
    assert.throws(() => t.createDataChannel('late', { negotiated: true, id: 10 }), { name: 'OperationError' })
    // In-band ids stop below maxChannels too: 0, 2, 4, 6, 8, then none.
    const ids = [0, 2, 4, 6, 8].map(() => t.createDataChannel('x').id)
    assert.deepEqual(ids, [0, 2, 4, 6, 8])
    assert.throws(() => t.createDataChannel('x'), { name: 'OperationError' })
  } finally {
    peer.destroy()
    await until(() => t.state === 'closed')
    la.destroy()
    lb.destroy()
  }
})

test('negotiated channels: no DCEP, the same id on both sides, no \'datachannel\' event', { timeout: 10000 }, async () => {
  const p = memoryPair()
  try {
    let announced = 0
    p.a.ondatachannel = p.b.ondatachannel = () => announced++
    // Created before the association is up on one side, after it on the other; an odd id from the even side.
    const a = p.a.createDataChannel('neg', { negotiated: true, id: 7, ordered: false })
    await nextEvent(a, 'open')
    const b = p.b.createDataChannel('neg', { negotiated: true, id: 7, ordered: false })
    await nextEvent(b, 'open')
    assert.deepEqual([a.negotiated, b.negotiated, a.id, b.id], [true, true, 7, 7])
    const atB = inbox(b)
    const atA = inbox(a)
    a.send('to b')
    b.send(Buffer.from('to a'))
    await Promise.all([atB.count(1), atA.count(1)])
    assert.equal(atB[0], 'to b')
    assert.equal(Buffer.from(atA[0]).toString(), 'to a')
    // In-band ids skip the one a negotiated channel holds.
    const announcedAtA = nextChannel(p.a)
    const c = p.b.createDataChannel('in-band')
    assert.equal(c.id, 1)
    assert.equal((await announcedAtA).label, 'in-band')
    assert.equal(announced, 1, 'only the in-band channel was announced')
    assert.ok(messagesOnWire(p.link, 'a', 7).every((m) => m.ppid !== sctp.PPID.WEBRTC_DCEP))
    assert.ok(messagesOnWire(p.link, 'b', 7).every((m) => m.ppid !== sctp.PPID.WEBRTC_DCEP))
  } finally {
    await p.close()
  }
})

test('an unordered channel with maxRetransmits 0: its settings reach the peer; it sends ordered until the DATA_CHANNEL_ACK (RFC 8832 §6.6)', { timeout: 10000 }, async () => {
  const p = memoryPair()
  try {
    const theirs = nextChannel(p.b)
    const a = p.a.createDataChannel('u', { ordered: false, maxRetransmits: 0 })
    await nextEvent(a, 'open')
    a.send('before the ACK') // the OPEN is on its way, the ACK cannot be back yet
    const b = await theirs
    assert.deepEqual([b.ordered, b.maxRetransmits, b.maxPacketLifeTime], [false, 0, null])
    const atA = inbox(a)
    b.send('the ACK went before this') // same stream, after the ACK
    await atA.count(1)
    const atB = inbox(b)
    for (let i = 0; i < 100; i++) a.send(`m${i}`)
    await atB.count(100)
    assert.deepEqual(new Set(atB), new Set(Array.from({ length: 100 }, (_, i) => `m${i}`)))
    const wire = messagesOnWire(p.link, 'a', a.id)
    assert.equal(wire[0].ppid, sctp.PPID.WEBRTC_DCEP)
    assert.deepEqual(wire.slice(0, 2).map((m) => m.unordered), [false, false], 'the OPEN and the message before the ACK go ordered')
    assert.ok(wire.slice(2).every((m) => m.unordered), 'after the ACK, unordered')
    const fromB = messagesOnWire(p.link, 'b', a.id)
    assert.deepEqual(fromB.map((m) => [m.ppid, m.unordered]), [[sctp.PPID.WEBRTC_DCEP, false], [sctp.PPID.WEBRTC_STRING, true]],
      'the ACK ordered; the peer, which sent no OPEN, unordered at once')
  } finally {
    await p.close()
  }
})

test('closing from either side: the other side fires \'closing\' then \'close\', close() itself only \'close\'; the id is used again', { timeout: 20000 }, async (t) => {
  const p = memoryPair()
  try {
    // a closes a channel it opened; everything sent before close() arrives first.
    const [a1, b1] = await openChannel(p.a, p.b, 'one')
    const seenA = record(a1)
    const seenB = record(b1)
    const got = inbox(b1)
    for (let i = 0; i < 50; i++) a1.send(`m${i}`)
    const start = process.hrtime.bigint()
    a1.close()
    assert.equal(a1.readyState, 'closing')
    await Promise.all([nextEvent(a1, 'close'), nextEvent(b1, 'close')])
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    t.diagnostic(`a channel with 50 messages in flight closed on both sides in ${ms.toFixed(1)} ms`)
    assert.deepEqual(seenA, ['close'])
    assert.deepEqual(seenB, ['closing', 'close'])
    assert.deepEqual([a1.readyState, b1.readyState], ['closed', 'closed'])
    assert.deepEqual([...got], Array.from({ length: 50 }, (_, i) => `m${i}`))

    // Its id comes back, for either side's use.
    const [a2, b2] = await openChannel(p.a, p.b, 'two')
    assert.deepEqual([a2.id, b2.id], [0, 0])
    // This time the side that did not open it closes it.
    const seen2 = record(a2)
    const idle = process.hrtime.bigint()
    b2.close()
    await nextEvent(a2, 'close')
    t.diagnostic(`a channel opened moments before closed in ${(Number(process.hrtime.bigint() - idle) / 1e6).toFixed(1)} ms`)
    assert.deepEqual(seen2, ['closing', 'close'])
    if (b2.readyState !== 'closed') await nextEvent(b2, 'close')

    // The server side's channel, closed by the client side; then the server opens again on the same id.
    const [b3, a3] = await openChannel(p.b, p.a, 'three')
    assert.equal(b3.id, 1)
    const seen3 = record(b3)
    a3.close()
    await nextEvent(b3, 'close')
    assert.deepEqual(seen3, ['closing', 'close'])
    const [b4] = await openChannel(p.b, p.a, 'four')
    assert.equal(b4.id, 1)
  } finally {
    await p.close()
  }
})

test('t.close() closes every channel on both sides, then the association; both transports go \'closed\'', { timeout: 10000 }, async (t) => {
  const p = memoryPair()
  try {
    const onA = []
    const onB = []
    for (const label of ['a1', 'a2', 'a3']) {
      const [x, y] = await openChannel(p.a, p.b, label)
      onA.push(x)
      onB.push(y)
    }
    for (const label of ['b1', 'b2']) {
      const [y, x] = await openChannel(p.b, p.a, label)
      onA.push(x)
      onB.push(y)
    }
    const seenA = onA.map((ch) => record(ch))
    const seenB = onB.map((ch) => record(ch))
    const transportEvents = { a: record(p.a, ['statechange', 'error', 'close']), b: record(p.b, ['statechange', 'error', 'close']) }
    const start = process.hrtime.bigint()
    const closed = Promise.all([nextEvent(p.a, 'close'), nextEvent(p.b, 'close')])
    p.a.close()
    assert.ok(onA.every((ch) => ch.readyState === 'closing'), 'close() makes every channel closing at once')
    await closed
    t.diagnostic(`5 channels and the association closed in ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(1)} ms`)
    assert.ok([...onA, ...onB].every((ch) => ch.readyState === 'closed'), 'every channel closed')
    // The side that called close() fires 'close' only; the other 'closing' then 'close'.
    assert.deepEqual(seenA, onA.map(() => ['close']))
    assert.deepEqual(seenB, onB.map(() => ['closing', 'close']))
    assert.deepEqual(transportEvents, { a: ['statechange', 'close'], b: ['statechange', 'close'] })
    assert.deepEqual([p.a.state, p.b.state], ['closed', 'closed'])
    // Every channel's stream was reset before the SHUTDOWN: a peer whose channels a
    // SHUTDOWN alone leaves open (libwebrtc does) sees them close.
    const wire = resetsBeforeShutdown(p.link, 'a')
    assert.ok(wire.shutdown, 'a ended the association with SHUTDOWN')
    assert.deepEqual([...wire.streams].sort((x, y) => x - y), onA.map((ch) => ch.id).sort((x, y) => x - y))
    assert.throws(() => p.a.createDataChannel('late'), { name: 'InvalidStateError' })
    assert.throws(() => p.b.createDataChannel('late'), { name: 'InvalidStateError' })
  } finally {
    await p.close()
  }
})

test('a channel created before the association is up opens once it is, after \'statechange\'', { timeout: 10000 }, async () => {
  const p = memoryPair()
  try {
    const order = []
    p.a.addEventListener('statechange', () => order.push(`statechange ${p.a.state}`))
    const a = p.a.createDataChannel('early')
    const b = p.b.createDataChannel('early too')
    assert.deepEqual([a.readyState, a.id, b.readyState, b.id], ['connecting', 0, 'connecting', 1])
    a.addEventListener('open', () => order.push('open'))
    const [ca, cb] = await Promise.all([nextChannel(p.b), nextChannel(p.a)])
    await until(() => a.readyState === 'open' && b.readyState === 'open')
    assert.deepEqual(order, ['statechange connected', 'open'])
    assert.deepEqual([ca.label, cb.label], ['early', 'early too'])

    // Closed before it was ever up: 'close', no error.
    const [x1, x2] = sctp.duplexPair()
    const lonely = sctp.createSctpTransport({ transport: x1, role: 'client' })
    const never = lonely.createDataChannel('never')
    const seen = record(never)
    const states = record(lonely, ['statechange', 'error', 'close'])
    lonely.close()
    await nextEvent(lonely, 'close')
    assert.deepEqual(seen, ['close'])
    assert.deepEqual(states, ['statechange', 'close'])
    assert.equal(lonely.state, 'closed')
    x1.destroy()
    x2.destroy()
  } finally {
    await p.close()
  }
})

test('200 channels at once: all open on both sides, each carries a message each way, all close', { timeout: 30000 }, async (t) => {
  const p = memoryPair({ record: 64 })
  try {
    const echo = (e) => { e.channel.onmessage = (m) => e.channel.send(`echo ${m.data}`) }
    p.a.ondatachannel = echo
    p.b.ondatachannel = echo
    const start = process.hrtime.bigint()
    const ours = []
    for (let i = 0; i < 100; i++) ours.push(p.a.createDataChannel(`a${i}`), p.b.createDataChannel(`b${i}`))
    const echoes = ours.map((ch) => {
      const got = inbox(ch)
      ch.onopen = () => ch.send(ch.label)
      return got
    })
    await until(() => echoes.every((g) => g.length === 1), 20000, () => `echoes on all 200 channels (${echoes.filter((g) => g.length).length} in)`)
    t.diagnostic(`200 channels opened and echoed in ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(0)} ms`)
    assert.ok(ours.every((ch, i) => echoes[i][0] === `echo ${ch.label}`))
    assert.deepEqual(ours.filter((ch) => ch.label[0] === 'a').map((ch) => ch.id), Array.from({ length: 100 }, (_, i) => 2 * i))
    assert.deepEqual(ours.filter((ch) => ch.label[0] === 'b').map((ch) => ch.id), Array.from({ length: 100 }, (_, i) => 2 * i + 1))
    const closing = process.hrtime.bigint()
    const closed = Promise.all(ours.map((ch) => nextEvent(ch, 'close', 20000)))
    for (const ch of ours) ch.close()
    await closed
    t.diagnostic(`and closed in ${(Number(process.hrtime.bigint() - closing) / 1e6).toFixed(0)} ms`)
    // All ids are free again: the next channel takes the lowest.
    assert.equal(p.a.createDataChannel('next').id, 0)
  } finally {
    await p.close()
  }
})

test('bufferedAmount counts what send() queued until the peer has it; \'bufferedamountlow\' at the threshold', { timeout: 10000 }, async () => {
  const p = memoryPair({ a: { remoteMaxMessageSize: 262144 } })
  try {
    const [a, b] = await openChannel(p.a, p.b, 'bulk')
    assert.equal(a.bufferedAmount, 0)
    assert.equal(a.bufferedAmountLowThreshold, 0)
    assert.throws(() => { a.bufferedAmountLowThreshold = -1 }, { name: 'TypeError' })
    a.bufferedAmountLowThreshold = 64 * KiB
    const got = inbox(b)
    for (let i = 0; i < 16; i++) a.send(Buffer.alloc(64 * KiB, i))
    assert.equal(a.bufferedAmount, 16 * 64 * KiB, 'all of it, until this task yields')
    const low = await nextEvent(a, 'bufferedamountlow')
    assert.ok(low instanceof Event)
    assert.ok(a.bufferedAmount <= 64 * KiB, `${a.bufferedAmount} at 'bufferedamountlow'`)
    await got.count(16)
    await until(() => a.bufferedAmount === 0)
    assert.ok(got.every((m, i) => m.byteLength === 64 * KiB && new Uint8Array(m)[100] === i))
  } finally {
    await p.close()
  }
})

test('the association fails: each channel fires \'error\' (sctp-failure) then \'close\', the transport \'error\' and \'closed\'', { timeout: 10000 }, async () => {
  const p = memoryPair()
  try {
    const [a1] = await openChannel(p.a, p.b, 'one')
    const [, a2] = await openChannel(p.b, p.a, 'two')
    const a3 = p.a.createDataChannel('three') // its 'open' is still to come when the link goes
    const seen = [a1, a2, a3].map((ch) => record(ch))
    const errors = []
    a1.onerror = (e) => errors.push(e)
    const transportEvents = record(p.a, ['statechange', 'error', 'close'])
    let transportError = null
    p.a.onerror = (e) => { transportError = e }
    p.link.a.destroy() // the DTLS transport under a's association goes
    await nextEvent(p.a, 'close')
    assert.deepEqual(seen, [['error', 'close'], ['error', 'close'], ['open', 'error', 'close']])
    assert.equal(errors[0].error.errorDetail, 'sctp-failure')
    assert.equal(errors[0].error.cause.code, 'ERR_SCTP_TRANSPORT_CLOSED')
    assert.deepEqual(transportEvents, ['error', 'statechange', 'close'])
    assert.equal(transportError.error.errorDetail, 'sctp-failure')
    assert.equal(p.a.state, 'closed')
    assert.deepEqual([a1.readyState, a2.readyState, a3.readyState], ['closed', 'closed', 'closed'])
  } finally {
    p.link.b.destroy() // b's association cannot end gracefully any more
    await p.close()
  }
})

test('on<event> attributes: one handler each, replaced by assignment, removed by null', { timeout: 10000 }, async () => {
  const p = memoryPair()
  try {
    const [a, b] = await openChannel(p.a, p.b, 'handlers')
    const calls = []
    b.onmessage = () => calls.push('first')
    b.addEventListener('message', () => calls.push('listener'))
    b.onmessage = function (e) { calls.push(`second ${e.data} ${this === b}`) } // keeps the first one's place
    a.send('1')
    await until(() => calls.length === 2)
    b.onmessage = null
    assert.equal(b.onmessage, null)
    a.send('2')
    await until(() => calls.length === 3)
    assert.deepEqual(calls, ['second 1 true', 'listener', 'listener'])
    assert.equal(typeof p.a.ondatachannel, 'object')
    const ev = new sctp.RTCDataChannelEvent('datachannel', { channel: a })
    assert.equal(ev.channel, a)
  } finally {
    await p.close()
  }
})

test('over DTLS (werift-dtls on UDP loopback): channels both ways, messages, a close from each side, t.close()', { timeout: 30000 }, async (t) => {
  const p = await dtlsTransportPair({ maxMessageSize: 65536, remoteMaxMessageSize: 65536 })
  try {
    const [a1, b1] = await openChannel(p.a, p.b, 'from-client', { protocol: 'json' })
    const [b2, a2] = await openChannel(p.b, p.a, 'from-server', { ordered: false, maxRetransmits: 0 })
    assert.deepEqual([a1.id % 2, b2.id % 2], [0, 1], 'the DTLS client opens even ids, the server odd')
    assert.deepEqual([b1.protocol, a2.ordered, a2.maxRetransmits], ['json', false, 0])
    const atB = inbox(b1)
    const atA = inbox(a2)
    const big = Buffer.alloc(65536, 7)
    a1.send('hello over DTLS ✓')
    a1.send(big)
    a1.send('')
    b2.send('back')
    await Promise.all([atB.count(3, 10000), atA.count(1, 10000)])
    assert.equal(atB[0], 'hello over DTLS ✓')
    assert.deepEqual(Buffer.from(atB[1]), big)
    assert.equal(atB[2], '')
    assert.equal(atA[0], 'back')

    const seen = [record(b1), record(a2)]
    const start = process.hrtime.bigint()
    a1.close()
    await nextEvent(b1, 'close')
    t.diagnostic(`a close over DTLS took ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(1)} ms to reach the peer's 'close'`)
    b2.close()
    await nextEvent(a2, 'close')
    assert.deepEqual(seen, [['closing', 'close'], ['closing', 'close']])

    const [a3, b3] = await openChannel(p.a, p.b, 'last')
    assert.equal(a3.id, a1.id, 'the closed id is used again')
    const lastSeen = record(b3)
    const closed = Promise.all([nextEvent(p.a, 'close', 10000), nextEvent(p.b, 'close', 10000)])
    p.b.close()
    await closed
    assert.deepEqual(lastSeen, ['close'])
    assert.equal(a3.readyState, 'closed')
    assert.deepEqual([p.a.state, p.b.state], ['closed', 'closed'])
  } finally {
    await p.close()
  }
})
