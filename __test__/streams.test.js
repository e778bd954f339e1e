'use strict'
// Streams and messages: per-message metadata, unordered delivery, partial
// reliability, stream reset and id reuse, large messages, backpressure,
// bufferedAmount, stats — against a second sctp-native endpoint and usrsctp.
const test = require('node:test')
const assert = require('node:assert/strict')
const { Duplex } = require('stream')
const sctp = require('..')
const { waitFor, pattern, boundUdp, udpPair, connectedPair } = require('./helpers/util')
const { startPeer, freeUdpPort } = require('./helpers/peer')

// An in-memory pair whose a→b direction can hold packets back (reorder) or drop them.
function impairedPair ({ reorderEvery = 0, dropEvery = 0, dataOnly = true } = {}) {
  let n = 0
  let held = null
  const make = (impair) => new Duplex({
    write (chunk, enc, cb) {
      const peer = this.peer
      const deliver = (c) => setImmediate(() => { if (!peer.destroyed) peer.push(c) })
      const isData = chunk.length > 12 && chunk[12] === 0
      if (impair && (!dataOnly || isData)) {
        n++
        if (dropEvery && n % dropEvery === 0) { this.dropped = (this.dropped || 0) + 1; return cb() }
        if (reorderEvery && n % reorderEvery === 0 && !held) { held = chunk; return cb() }
        deliver(chunk)
        if (held) { deliver(held); held = null }
        return cb()
      }
      deliver(chunk)
      cb()
    },
    read () {}
  })
  const a = make(true)
  const b = make(false)
  a.peer = b
  b.peer = a
  return [a, b]
}

async function pair (opts = {}) {
  const [ta, tb] = opts.transports || sctp.duplexPair()
  const r = await connectedPair(ta, tb, {
    client: { OS: 16, MIS: 16, ...(opts.client || {}) },
    listen: { OS: 16, MIS: 16, ...(opts.listen || {}) }
  })
  return { ...r, ta, tb }
}

async function closeGracefully ({ server, client, sock }) {
  // Unread data holds 'end' (and so 'close') back, as on a net.Socket.
  client.resume()
  sock.resume()
  const closed = Promise.all([waitFor(client, 'close'), waitFor(sock, 'close')])
  client.end()
  await closed
  server.close()
}

test('send() carries a PPID and the unordered flag per message; any 32-bit PPID survives', { timeout: 15000 }, async () => {
  const p = await pair()
  const got = []
  const all = new Promise((resolve) => p.sock.on('message', (d, info) => { got.push([String(d), info.streamId, info.ppid]); if (got.length === 5) resolve() }))
  p.client.send('default')
  p.client.send('m3ua', { ppid: sctp.PPID.M3UA })
  p.client.send('string', { ppid: sctp.PPID.WEBRTC_STRING, unordered: true })
  const st = p.client.createStream(7, { ppid: sctp.PPID.NGAP })
  st.send('ngap on 7')
  st.send('diameter on 7', { ppid: sctp.PPID.DIAMETER })
  await all
  assert.deepEqual(got.sort(), [
    ['default', 0, 0], ['diameter on 7', 7, 46], ['m3ua', 0, 3], ['ngap on 7', 7, 60], ['string', 0, 51]
  ].sort())
  assert.throws(() => p.client.send('x', { ppid: -1 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
  assert.throws(() => p.client.send('x', { unordered: 'yes' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  await closeGracefully(p)
})

test('empty messages use the WebRTC empty PPIDs with one dummy byte (RFC 8831)', { timeout: 15000 }, async () => {
  const p = await pair()
  const got = []
  const all = new Promise((resolve) => p.sock.on('message', (d, info) => { got.push([d.length, info.ppid]); if (got.length === 3) resolve() }))
  p.client.send('', { ppid: sctp.PPID.WEBRTC_STRING })
  p.client.send(Buffer.alloc(0), { ppid: sctp.PPID.WEBRTC_BINARY })
  p.client.send('not empty', { ppid: sctp.PPID.WEBRTC_STRING })
  await all
  assert.deepEqual(got, [[0, 51], [0, 53], [9, 51]])
  await closeGracefully(p)
})

test('unordered delivery is observed on a reordering transport; ordered streams stay in order', { timeout: 20000 }, async () => {
  const p = await pair({ transports: impairedPair({ reorderEvery: 3 }) })
  const unordered = p.client.createStream(1, { unordered: true })
  const ordered = p.client.createStream(2)
  const seen = { 1: [], 2: [] }
  const all = new Promise((resolve) => p.sock.on('message', (d, { streamId }) => {
    seen[streamId].push(d.readUInt32BE(0))
    if (seen[1].length === 60 && seen[2].length === 60) resolve()
  }))
  for (let k = 0; k < 60; k++) {
    unordered.write(pattern(k, 100))
    ordered.write(pattern(k, 100))
  }
  await all
  const inOrder = Array.from({ length: 60 }, (_, k) => k)
  assert.deepEqual(seen[2], inOrder, 'ordered stream keeps order')
  assert.notDeepEqual(seen[1], inOrder, 'unordered stream delivered out of order')
  assert.deepEqual([...seen[1]].sort((x, y) => x - y), inOrder, 'and complete')
  await closeGracefully(p)
})

test('partial reliability: with maxRetransmits 0 on a lossy link, lost messages are abandoned and later ones arrive', { timeout: 30000 }, async () => {
  const saved = sctp.defaults()
  sctp.defaults({ rto_initial: 100, rto_min: 50, rto_max: 200 })
  try {
    const transports = impairedPair({ dropEvery: 7 })
    const p = await pair({ transports })
    const st = p.client.createStream(1, { ppid: sctp.PPID.WEBRTC_BINARY, unordered: true, maxRetransmits: 0 })
    const got = new Set()
    p.sock.on('message', (d) => got.add(d.readUInt32BE(0)))
    for (let k = 0; k < 200; k++) st.write(pattern(k, 500))
    // A reliable marker after them must still arrive: nothing stalls.
    const marker = waitFor(p.sock, 'message')
    await new Promise((resolve) => setTimeout(resolve, 1500))
    p.client.createStream(2).write('marker')
    await marker
    const start = Date.now()
    while (![...got].includes(0x6d61726b) && Date.now() - start < 5000 && got.size < 200) await new Promise((resolve) => setTimeout(resolve, 50))
    assert.ok(transports[0].dropped > 0)
    assert.ok(got.size < 200, `some messages abandoned (got ${got.size})`)
    assert.ok(got.size > 150, `most messages arrive (got ${got.size})`)
    assert.ok(got.has(199) || got.has(198), 'the last messages arrived')
    await closeGracefully(p)
  } finally {
    sctp.defaults(saved)
  }
})

test('partial reliability options are validated', () => {
  const s = new sctp.Socket()
  assert.throws(() => s.createStream(1, { maxRetransmits: 1, maxPacketLifeTime: 10 }), { name: 'RangeError' })
  assert.throws(() => s.createStream(1, { maxRetransmits: -1 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
  assert.throws(() => s.createStream(1, { ppid: 3, maxPacketLifeTime: 10 }), { code: 'ERR_SCTP_PPID_WITH_PARTIAL_RELIABILITY' })
})

test("stream.end() resets the stream: the peer's stream ends after the data, both close, the id is reused", { timeout: 15000 }, async () => {
  const p = await pair()
  const incoming = []
  p.sock.on('stream', (s, id) => {
    const got = []
    s.on('data', (d) => got.push(String(d)))
    incoming.push({ s, id, got, ended: waitFor(s, 'end'), closed: waitFor(s, 'close') })
  })
  const st = p.client.createStream(3)
  st.write('before reset 1')
  st.write('before reset 2')
  st.end()
  await waitFor(st, 'close')
  assert.equal(incoming.length, 1)
  await incoming[0].ended
  await incoming[0].closed
  assert.deepEqual(incoming[0].got, ['before reset 1', 'before reset 2'])
  // Both directions reset: the id is free again, on both sides.
  const again = p.client.createStream(3)
  assert.notEqual(again, st)
  again.write('after reuse')
  await new Promise((resolve) => { const t = setInterval(() => { if (incoming.length === 2) { clearInterval(t); resolve() } }, 10) })
  assert.equal(incoming[1].id, 3)
  assert.notEqual(incoming[1].s, incoming[0].s)
  await new Promise((resolve) => setImmediate(resolve))
  await closeGracefully(p)
  assert.deepEqual(incoming[1].got, ['after reuse'])
})

test('1 MiB and 4 MiB messages arrive intact; a message over maxMessageSize throws and the association lives on', { timeout: 30000 }, async () => {
  const p = await pair({ client: { maxMessageSize: 4 << 20 }, listen: { maxMessageSize: 4 << 20 } })
  const sizes = [1 << 20, 4 << 20]
  const got = []
  const done = new Promise((resolve) => p.sock.on('data', (d) => { got.push(d); if (got.length === 2) resolve() }))
  for (const [k, size] of sizes.entries()) p.client.write(pattern(k, size))
  await done
  sizes.forEach((size, k) => assert.ok(got[k].equals(pattern(k, size)), `${size} bytes intact`))
  assert.throws(() => p.client.write(Buffer.alloc((4 << 20) + 1)), { name: 'RangeError', code: 'ERR_SCTP_MESSAGE_TOO_LARGE' })
  p.client.write('still fine')
  assert.equal(String((await waitFor(p.sock, 'data'))[0]), 'still fine')
  await closeGracefully(p)
})

test('default maxMessageSize is 256 KiB', { timeout: 15000 }, async () => {
  const p = await pair()
  p.client.write(Buffer.alloc(256 * 1024))
  assert.equal((await waitFor(p.sock, 'data'))[0].length, 256 * 1024)
  assert.throws(() => p.client.write(Buffer.alloc(256 * 1024 + 1)), { code: 'ERR_SCTP_MESSAGE_TOO_LARGE' })
  await closeGracefully(p)
})

test('backpressure: writing 256 MiB into a slow reader keeps memory bounded; write() false then drain', { timeout: 120000 }, async () => {
  const p = await pair({ transports: await udpPair() })
  const total = Number(process.env.SCTP_BACKPRESSURE_MIB || 256) << 20
  const msg = Buffer.alloc(64 * 1024, 7)
  let received = 0
  // A slow reader: pauses after every 4 MiB for a moment.
  p.sock.on('data', (d) => {
    received += d.length
    if (received % (4 << 20) < d.length) {
      p.sock.pause()
      setTimeout(() => p.sock.resume(), 5)
    }
  })
  const rss0 = process.memoryUsage().rss
  let peak = rss0
  let falses = 0
  let drains = 0
  p.client.on('drain', () => drains++)
  for (let sent = 0; sent < total; sent += msg.length) {
    if (!p.client.write(msg)) {
      falses++
      await waitFor(p.client, 'drain', 30000)
      peak = Math.max(peak, process.memoryUsage().rss)
    }
  }
  while (received < total) await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal(received, total)
  assert.ok(falses > 10 && drains >= falses, `write() returned false ${falses} times, drains ${drains}`)
  const grown = (peak - rss0) / (1 << 20)
  assert.ok(grown < 96, `RSS grew ${grown.toFixed(1)} MiB while moving ${total >> 20} MiB`)
  await closeGracefully(p)
  p.ta.destroy()
  p.tb.destroy()
})

test("bufferedAmount counts unacknowledged bytes and 'bufferedamountlow' fires at the threshold", { timeout: 15000 }, async () => {
  const p = await pair()
  const st = p.client.createStream(1)
  st.bufferedAmountLowThreshold = 1000
  assert.equal(st.bufferedAmountLowThreshold, 1000)
  const low = waitFor(st, 'bufferedamountlow')
  for (let k = 0; k < 20; k++) st.write(Buffer.alloc(10000))
  await new Promise((resolve) => process.nextTick(resolve))
  assert.ok(st.bufferedAmount >= 100000, `buffered ${st.bufferedAmount}`)
  await low
  assert.ok(st.bufferedAmount <= 1000)
  assert.throws(() => { st.bufferedAmountLowThreshold = -1 }, { name: 'RangeError' })
  await closeGracefully(p)
})

test('stats(): bytes and messages both ways, and a measured RTT', { timeout: 15000 }, async () => {
  const p = await pair()
  const st = p.client.createStream(2)
  p.client.write('abc')
  st.write('defgh')
  await new Promise((resolve) => { let n = 0; p.sock.on('message', () => { if (++n === 2) resolve() }) })
  await new Promise((resolve) => setTimeout(resolve, 300)) // the delayed SACK
  const c = p.client.stats()
  const s = p.sock.stats()
  assert.deepEqual([c.bytesSent, c.messagesSent], [8, 2])
  assert.deepEqual([s.bytesReceived, s.messagesReceived], [8, 2])
  assert.deepEqual([st.stats().bytesSent, st.stats().messagesSent], [5, 1])
  assert.equal(typeof c.rtt, 'number')
  assert.ok(c.rtt >= 0 && c.rtt < 1000)
  assert.ok(c.rto > 0)
  await closeGracefully(p)
})

// --- against usrsctp -----------------------------------------------------------

async function withUsrsctp (args, fn) {
  const port = await freeUdpPort()
  const peer = startPeer(['--listen', String(port), '--streams', '16', ...args])
  let t
  try {
    await peer.log(/listening/)
    t = sctp.udpTransport(await boundUdp(), { port })
    const s = sctp.connect({ transport: t, port: 5000, localPort: 5000, OS: 16, MIS: 16 })
    await waitFor(s, 'connect')
    await fn(s)
    s.resume()
    const result = await peer.done
    if (!s.destroyed) await waitFor(s, 'close')
    return result
  } finally {
    peer.kill()
    if (t) t.destroy()
  }
}

test('usrsctp: per-message PPIDs and unordered messages reach the peer', { timeout: 30000 }, async () => {
  const r = await withUsrsctp(['--mode', 'sink'], async (s) => {
    s.send('a', { ppid: 3 })
    s.send('b', { ppid: 51, unordered: true })
    s.createStream(9, { unordered: true }).send('c', { ppid: 0 })
    s.end()
  })
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual([...r.json.ppids_seen].sort((x, y) => x - y), [0, 3, 51])
  assert.deepEqual(r.json.streams_seen, [0, 9])
  assert.equal(r.json.unordered_messages, 2)
})

test('usrsctp: our stream reset is performed by the peer, which resets back; the id is reused', { timeout: 30000 }, async () => {
  const r = await withUsrsctp(['--mode', 'sink', '--reset-back'], async (s) => {
    const st = s.createStream(3, { ppid: 51 })
    st.write('one')
    st.end()
    await waitFor(st, 'close')
    s.createStream(3).write('after reuse')
    await new Promise((resolve) => setTimeout(resolve, 100))
    s.end()
  })
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.json.messages, 2)
  const kinds = r.json.resets_seen.map((x) => `${x.direction}:${x.result}:${x.streams}`)
  assert.ok(kinds.includes('incoming:performed:3'), kinds.join(' '))
  assert.ok(kinds.includes('outgoing:performed:3'), kinds.join(' '))
})

test("usrsctp: the peer's stream reset ends our stream and is answered (WebRTC close)", { timeout: 30000 }, async () => {
  let ended = false
  const r = await withUsrsctp(['--mode', 'source', '--stream', '3', '--ppid', '51', '--bytes', '20000', '--reset-stream', '--await-reset'], async (s) => {
    const [st, id] = await waitFor(s, 'stream')
    assert.equal(id, 3)
    st.resume()
    await waitFor(st, 'end')
    ended = true
  })
  assert.ok(ended)
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(r.json.resets_seen.map((x) => x.direction).sort(), ['incoming', 'outgoing'])
})

test('usrsctp: PR-SCTP with maxPacketLifeTime through a lossy transport, no stall', { timeout: 30000 }, async () => {
  const saved = sctp.defaults()
  sctp.defaults({ rto_initial: 200, rto_min: 100, rto_max: 400 })
  let peer, inner
  try {
    const port = await freeUdpPort()
    peer = startPeer(['--listen', String(port), '--mode', 'sink'])
    await peer.log(/listening/)
    // A Duplex of our own over a dgram socket, dropping every 10th DATA packet on the way out.
    inner = await boundUdp()
    let n = 0
    const lossy = new Duplex({
      write (chunk, enc, cb) {
        if (chunk[12] === 0 && ++n % 10 === 0) return cb()
        inner.send(chunk, port, '127.0.0.1', () => cb())
      },
      read () {}
    })
    inner.on('message', (d) => lossy.push(d))
    const s = sctp.connect({ transport: lossy, port: 5000, localPort: 5000 })
    await waitFor(s, 'connect')
    const st = s.createStream(0, { ppid: 53, maxPacketLifeTime: 50 })
    for (let k = 0; k < 300; k++) st.write(pattern(k, 1000))
    s.end()
    const r = await peer.done
    assert.equal(r.code, 0, r.stderr)
    // How many make it depends on the machine's speed: a lifetime counts from send(), and
    // messages still queued behind the window when it ends are abandoned unsent. What
    // must hold: the head arrives, nothing stalls (usrsctp shut down cleanly, above).
    assert.ok(r.json.messages > 0 && r.json.messages <= 300, `${r.json.messages} of 300 delivered`)
  } finally {
    if (peer) peer.kill()
    if (inner) inner.close()
    sctp.defaults(saved)
  }
})

// --- per-message reliability --------------------------------------------------

// A connected pair (4 streams each way) over an emulated link that loses
// `loss` of the packets both ways, with fast timers; everything closed after `fn`.
async function overLossyLink (seed, loss, fn) {
  const { emulatedPair } = require('../lib/emulator')
  const saved = sctp.defaults()
  sctp.defaults({ rto_initial: 100, rto_min: 50, rto_max: 400 })
  const link = emulatedPair({ seed, loss })
  let p
  try {
    p = await connectedPair(link[0], link[1], { listen: { OS: 4, MIS: 4 }, client: { OS: 4, MIS: 4 } })
    await fn(p)
  } finally {
    if (p) { p.sock.destroy(); p.client.destroy(); p.server.close() }
    link.destroy()
    sctp.defaults(saved)
  }
}

test('send() options override the stream per message: reliable:true on a maxRetransmits:0 stream over a lossy link delivers every such message, in order', { timeout: 30000 }, () => overLossyLink(5, 0.1, async ({ client, sock }) => {
  const lossy = client.createStream(1, { ppid: 53, unordered: true, maxRetransmits: 0 })
  assert.throws(() => lossy.send('x', { reliable: true, maxRetransmits: 1 }), { code: 'ERR_INVALID_ARG_VALUE' })
  assert.throws(() => lossy.send('x', { ppid: 3, maxPacketLifeTime: 100 }), { code: 'ERR_SCTP_PPID_WITH_PARTIAL_RELIABILITY' })
  assert.throws(() => lossy.send('x', { priority: 1 }), { code: 'ERR_INVALID_ARG_VALUE' })
  lossy.send('ok', { ppid: 3, reliable: true }) // any PPID once reliable
  const got = { reliable: [], lossy: 0 }
  sock.on('message', (data, { ppid }) => {
    if (ppid === 50) got.reliable.push(data.readUInt32BE(0))
    else got.lossy++
  })
  for (let k = 0; k < 200; k++) {
    lossy.send(pattern(k, 600)) // unordered, no retransmission: some lost
    lossy.send(pattern(k, 4), { ppid: 50, unordered: false, reliable: true })
  }
  const deadline = Date.now() + 20000
  while (got.reliable.length < 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  assert.deepEqual(got.reliable, Array.from({ length: 200 }, (_, k) => k), 'every reliable message, in order')
  assert.ok(got.lossy < 200, `${got.lossy} of 200 unreliable messages arrived (the link lost some)`)
}))

test('maxPacketLifeTime: 0 sends each message once (webrtc-pc allows it; a lifetime of 0 used to expire before sending)', { timeout: 15000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb, { listen: { OS: 4, MIS: 4 }, client: { OS: 4, MIS: 4 } })
  const st = client.createStream(2, { ppid: 53, maxPacketLifeTime: 0 })
  const got = []
  sock.on('message', (data, { streamId }) => { if (streamId === 2) got.push(String(data)) })
  for (let i = 0; i < 20; i++) st.write(`m${i}`)
  const deadline = Date.now() + 5000
  while (got.length < 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => `m${i}`))
  sock.destroy()
  client.destroy()
  server.close()
})

test('maxRetransmits with any PPID (0, 3) over a lossy link: every message that arrives carries its own PPID and bytes', { timeout: 30000 }, () => overLossyLink(11, 0.1, async ({ client, sock }) => {
  const zero = client.createStream(1, { ppid: 0, maxRetransmits: 0 })
  const m3ua = client.createStream(2, { ppid: 3, unordered: true, maxRetransmits: 1 })
  const got = []
  sock.on('message', (data, { streamId, ppid }) => got.push({ streamId, ppid, k: data.readUInt32BE(0), ok: data.equals(pattern(data.readUInt32BE(0), data.length)) }))
  for (let k = 0; k < 300; k++) (k % 2 ? m3ua : zero).write(pattern(k, 200 + (k % 7) * 300))
  client.createStream(3, { ppid: 7 }).write(pattern(9999, 10)) // reliable, last: once it is in, the rest is settled
  const deadline = Date.now() + 20000
  while (!got.some((m) => m.streamId === 3) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  await new Promise((resolve) => setTimeout(resolve, 300))
  const wrong = got.filter((m) => !m.ok || m.ppid !== { 1: 0, 2: 3, 3: 7 }[m.streamId] || (m.streamId !== 3 && m.k % 2 !== m.streamId - 1))
  assert.deepEqual(wrong, [])
  assert.ok(got.length > 150 && got.length < 301, `${got.length} of 301 arrived`)
}))
