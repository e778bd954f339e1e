'use strict'
// Hostile networks and hostile peers: loss, duplication, reordering and
// corruption (emulated, and through a UDP relay to usrsctp), INIT floods,
// forged and stale cookies, blind ABORT/SHUTDOWN, huge advertised resources,
// a peer that never reads, and a panic inside one association.
//
// SCTP_HOSTILE_BYTES sets the size of the emulated-network transfer
// (default 8 MiB; 16777216 for the long run).

// Before the module loads: lets a test make one association panic (src/binding.rs test_poison).
process.env.SCTP_NATIVE_TEST_HOOKS = '1'

const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('crypto')
const path = require('path')
const { spawn } = require('child_process')
const { setTimeout: sleep, setImmediate: nextTurn } = require('timers/promises')
const v8 = require('v8')
const vm = require('vm')
const sctp = require('..')
const { emulatedPair, mulberry32 } = require('../lib/emulator')
const P = require('./helpers/packets')
const { waitFor, pattern, boundUdp, sha256, withDefaults, closed } = require('./helpers/util')
const { freeUdpPort, Fnv1a64, peerBinary, PEER_SRC } = require('./helpers/peer')

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc')

const HOSTILE_BYTES = Number(process.env.SCTP_HOSTILE_BYTES) || 8 * 1024 * 1024
const RELAY = path.join(PEER_SRC, 'tools', 'corrupt_relay.py')

// Fast RTOs so that recovering from loss takes milliseconds, not seconds.
const FAST = { rto_initial: 100, rto_min: 50, rto_max: 1000 }

function rss () {
  gc()
  return process.memoryUsage().rss
}

async function exchange (a, b, text) {
  const got = waitFor(b, 'data', 5000)
  a.write(text)
  assert.equal(String((await got)[0]), text)
}

// --- the emulator itself ----------------------------------------------------------------

test('emulator: seeded impairments are reproducible and counted per direction', { timeout: 10000 }, async () => {
  async function run (opts) {
    const pair = emulatedPair(opts)
    const [a, b] = pair
    const got = []
    b.on('data', (p) => got.push(p))
    for (let i = 0; i < 2000; i++) {
      const p = Buffer.alloc(100 + (i % 1500))
      p.writeUInt32BE(i, 0)
      a.write(p)
    }
    await sleep(60)
    pair.destroy()
    return { pair, got }
  }
  const opts = { seed: 7, loss: 0.1, duplicate: 0.05, reorder: 0.1, corrupt: 0.02, delay: 2, jitter: 3, mtu: 1200 }
  const one = await run(opts)
  const two = await run(opts)
  const s = one.pair.stats.aToB
  assert.deepEqual(s, two.pair.stats.aToB, 'same seed, same fate')
  // The fate of each packet is seeded; the arrival order also depends on the clock (delays).
  const ids = (got) => got.map((p) => p.readUInt32BE(0)).sort((x, y) => x - y)
  assert.deepEqual(ids(one.got), ids(two.got))
  assert.equal(s.written, 2000)
  assert.ok(s.oversize > 0 && s.lost > 0 && s.duplicated > 0 && s.reordered > 0 && s.corrupted > 0, JSON.stringify(s))
  assert.equal(s.delivered, s.written - s.oversize - s.lost + s.duplicated)
  assert.equal(one.got.length, s.delivered)
  assert.ok(one.got.every((p) => p.length <= 1200))
  const order = one.got.map((p) => p.readUInt32BE(0))
  assert.ok(order.some((k, i) => i > 0 && k < order[i - 1]), 'some packets overtaken')
  assert.deepEqual(one.pair.stats.bToA.written, 0)

  // Per direction, and adjustable while running.
  const pair = emulatedPair({ seed: 1, aToB: { loss: 1 } })
  const [a, b] = pair
  let atA = 0
  let atB = 0
  a.on('data', () => atA++)
  b.on('data', () => atB++)
  a.write(Buffer.alloc(10))
  b.write(Buffer.alloc(10))
  await sleep(5)
  assert.deepEqual([atA, atB], [1, 0])
  pair.set({ loss: 0 }, 'aToB')
  a.write(Buffer.alloc(10))
  await sleep(5)
  assert.equal(atB, 1)
  assert.throws(() => pair.set({ loss: 2 }), RangeError)
  assert.throws(() => emulatedPair({ lossy: 1 }), TypeError)
  pair.destroy()
})

// --- data through a hostile network ----------------------------------------------------------

// Message k of stream s: [s, k] then a pattern; sizes from a seeded PRNG, up to 12 KB (fragmented).
function streamPlan (s, bytes) {
  const rand = mulberry32(1000 + s)
  const msgs = []
  let total = 0
  while (total < bytes) {
    const size = 8 + Math.floor(rand() * 12000)
    const m = Buffer.alloc(size)
    m.writeUInt32BE(s, 0)
    m.writeUInt32BE(msgs.length, 4)
    for (let j = 8; j < size; j++) m[j] = (msgs.length * 31 + j + s) & 0xff
    msgs.push(m)
    total += size
  }
  return msgs
}

test(`${(HOSTILE_BYTES / 1048576).toFixed(1)} MiB on 5 streams (one unordered) over 5% loss, 2% duplication, reordering and 1% corruption: intact, in order, graceful close`,
  { timeout: 30000 + HOSTILE_BYTES / 1000 }, (t) => withDefaults(FAST, async () => {
    const STREAMS = 5
    const UNORDERED = 4
    const pair = emulatedPair({ seed: 20260523, loss: 0.05, duplicate: 0.02, reorder: 0.03, delay: 1, jitter: 1, corrupt: 0.01 })
    const [ta, tb] = pair
    const server = sctp.createServer({ transport: tb })
    server.listen({ port: 5000, OS: 8, MIS: 8 })
    const client = sctp.connect({ transport: ta, port: 5000, localPort: 5001, OS: 8, MIS: 8 })
    const [[sock]] = await Promise.all([waitFor(server, 'connection'), waitFor(client, 'connect')])

    const plans = Array.from({ length: STREAMS }, (_, s) => streamPlan(s, HOSTILE_BYTES / STREAMS))
    const got = Array.from({ length: STREAMS }, () => ({ next: 0, outOfOrder: 0, hash: crypto.createHash('sha256'), unordered: new Map() }))
    sock.on('message', (d, { streamId }) => {
      const g = got[streamId]
      const k = d.readUInt32BE(4)
      if (streamId === UNORDERED) {
        assert.ok(!g.unordered.has(k), `unordered message ${k} delivered twice`)
        g.unordered.set(k, d)
      } else {
        if (k !== g.next) g.outOfOrder++
        g.next++
        g.hash.update(d)
      }
    })
    const clientClosed = closed(client)
    const sockClosed = closed(sock)
    const started = Date.now()
    await Promise.all(plans.map(async (msgs, s) => {
      const stream = client.createStream(s, s === UNORDERED ? { unordered: true } : {})
      for (const m of msgs) if (!stream.write(m)) await waitFor(stream, 'drain', 60000)
      await new Promise((resolve, reject) => stream.end((err) => (err ? reject(err) : resolve())))
    }))
    client.end()
    const [c, s] = await Promise.all([clientClosed, sockClosed])
    const seconds = (Date.now() - started) / 1000
    assert.deepEqual([c.hadError, s.hadError], [false, false], `errors: ${[...c.errors, ...s.errors].map((e) => e.code)}`)
    for (let i = 0; i < STREAMS; i++) {
      const g = got[i]
      if (i === UNORDERED) {
        assert.equal(g.unordered.size, plans[i].length, `stream ${i}: every message once`)
        const sorted = [...g.unordered.keys()].sort((x, y) => x - y).map((k) => g.unordered.get(k))
        assert.equal(sha256(sorted), sha256(plans[i]), `stream ${i} digest`)
      } else {
        assert.equal(g.next, plans[i].length, `stream ${i}: message count`)
        assert.equal(g.outOfOrder, 0, `stream ${i}: in order`)
        assert.equal(g.hash.digest('hex'), sha256(plans[i]), `stream ${i} digest`)
      }
    }
    const st = pair.stats
    assert.ok(st.aToB.lost > 0 && st.aToB.duplicated > 0 && st.aToB.reordered > 0 && st.aToB.corrupted > 0, JSON.stringify(st))
    t.diagnostic(`${(HOSTILE_BYTES / 1048576).toFixed(1)} MiB in ${seconds.toFixed(1)} s; link ${JSON.stringify(st)}`)
    server.close()
    pair.destroy()
  }))

// --- the same against usrsctp, through a UDP relay ----------------------------------------------

// A usrsctp sink that verifies the payload pattern; resolves with its JSON report.
function spawnSink (udpPort, extra = []) {
  const child = spawn(peerBinary(), ['--listen', String(udpPort), '--mode', 'sink', '--verify', '--timeout', '60', ...extra])
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => { out += d })
  child.stderr.on('data', (d) => { err += d })
  const done = new Promise((resolve) => child.on('exit', (code) => {
    let report = null
    try { report = JSON.parse(out.trim().split('\n').pop()) } catch {}
    resolve({ code, report, stderr: err })
  }))
  return { child, done }
}

// Sends `count` pattern messages of `size` bytes through UDP port `to`; ends gracefully.
async function sendToUsrsctp (to, count, size) {
  const udp = await boundUdp()
  const transport = sctp.udpTransport(udp, { port: to })
  const socket = sctp.connect({ transport, port: 5000, localPort: 5000, ppid: sctp.PPID.WEBRTC_BINARY })
  const done = closed(socket)
  await waitFor(socket, 'connect', 10000)
  const digest = new Fnv1a64()
  for (let k = 0; k < count; k++) {
    const m = pattern(k, size)
    digest.update(m)
    if (!socket.write(m)) await waitFor(socket, 'drain', 30000)
  }
  socket.end()
  const { hadError, errors } = await done
  const stats = socket.transportStats()
  // The transport stays up until the caller is done: if our SHUTDOWN COMPLETE
  // is lost, the peer's retransmitted SHUTDOWN ACK still gets one (§8.4 rule 5).
  return { hadError, errors, digest: digest.hex(), stats, transport }
}

test('4 MiB to a usrsctp sink through corrupt_relay.py (a bit flipped in every 20th datagram): verified, same digest, bad CRCs dropped both ways',
  { timeout: 60000 }, (t) => withDefaults(FAST, async () => {
    const sinkPort = await freeUdpPort()
    const relayPort = await freeUdpPort()
    const sink = spawnSink(sinkPort)
    const relay = spawn('python3', [RELAY, String(relayPort), String(sinkPort), '20', '60'], { stdio: 'ignore' })
    let sent = null
    try {
      await sleep(300) // both bound
      sent = await sendToUsrsctp(relayPort, 4096, 1024)
      const { code, report, stderr } = await sink.done
      assert.equal(sent.hadError, false, sent.errors.map((e) => e.message).join())
      assert.equal(code, 0, stderr)
      assert.equal(report.shutdown, 'graceful')
      assert.deepEqual(report.verify, { ok: 4096, bad: 0, too_short: 0, out_of_order: 0 })
      assert.equal(report.bytes, 4 * 1024 * 1024)
      assert.equal(report.digest, sent.digest)
      assert.ok(report.crc32c.bad_rx > 0, 'usrsctp dropped corrupted packets')
      assert.ok(sent.stats.badChecksum > 0, `we dropped corrupted packets: ${JSON.stringify(sent.stats)}`)
      t.diagnostic(`usrsctp bad_rx ${report.crc32c.bad_rx}, ours ${sent.stats.badChecksum}`)
    } finally {
      relay.kill()
      sink.child.kill()
      if (sent) sent.transport.destroy()
    }
  }))

test('4 MiB to a usrsctp sink through an emulated UDP relay with 5% loss, 2% duplication, reordering and 1% corruption',
  { timeout: 90000 }, (t) => withDefaults(FAST, async () => {
    const sinkPort = await freeUdpPort()
    const sink = spawnSink(sinkPort)
    // front: where we send; back: towards usrsctp. The emulator sits between.
    const [front, back] = await Promise.all([boundUdp(), boundUdp()])
    const link = emulatedPair({ seed: 99, loss: 0.05, duplicate: 0.02, reorder: 0.03, delay: 1, jitter: 1, corrupt: 0.01 })
    const [near, far] = link
    let client = null
    front.on('message', (m, r) => { client = r; near.write(m) })
    far.on('data', (m) => back.send(m, sinkPort, '127.0.0.1'))
    back.on('message', (m) => far.write(m))
    near.on('data', (m) => { if (client) front.send(m, client.port, client.address) })
    let sent = null
    try {
      await sleep(200)
      sent = await sendToUsrsctp(front.address().port, 4096, 1024)
      const { code, report, stderr } = await sink.done
      assert.equal(sent.hadError, false, sent.errors.map((e) => e.message).join())
      assert.equal(code, 0, stderr)
      assert.deepEqual(report.verify, { ok: 4096, bad: 0, too_short: 0, out_of_order: 0 })
      assert.equal(report.digest, sent.digest)
      assert.ok(report.crc32c.bad_rx > 0, JSON.stringify(report.crc32c))
      assert.ok(link.stats.aToB.lost > 0 && link.stats.bToA.lost > 0, JSON.stringify(link.stats))
      t.diagnostic(`usrsctp bad_rx ${report.crc32c.bad_rx}; link ${JSON.stringify(link.stats)}`)
    } finally {
      sink.child.kill()
      if (sent) sent.transport.destroy()
      link.destroy()
      front.close()
      back.close()
    }
  }))

// --- attacks on a listening endpoint -------------------------------------------------------

test('huge advertised resources (a_rwnd 2^32-1, 65535 streams each way) allocate nothing up front', { timeout: 30000 }, (t) => withDefaults(FAST, async () => {
  const [ta, tb] = sctp.duplexPair()
  const server = sctp.createServer({ transport: tb })
  server.listen({ port: 5000, OS: 65535, MIS: 65535 })
  const socks = []
  server.on('connection', (s) => { s.on('error', () => {}); socks.push(s) })
  const raw = new P.RawPeer(ta)
  const before = rss()
  for (let i = 0; i < 200; i++) await raw.handshake({ arwnd: 0xffffffff, os: 65535, mis: 65535, tsn: 0xfffffff0 + i })
  await sleep(20)
  const grown = rss() - before
  assert.equal(socks.length, 200)
  assert.deepEqual([socks[0].OS, socks[0].MIS], [65535, 65535])
  assert.ok(grown < 40 * 1024 * 1024, `RSS grew ${(grown / 1048576).toFixed(1)} MiB for 200 associations`)
  t.diagnostic(`RSS +${(grown / 1048576).toFixed(2)} MiB for 200 associations of 65535 streams and a 4 GiB window`)
  // The highest stream works, and the 4 GiB window lets out no more than congestion control does.
  socks[0].createStream(65534).write(Buffer.alloc(100000))
  await sleep(50)
  const data = raw.received.filter((p) => p.chunks.some((c) => c.type === P.CT.DATA))
  assert.ok(data.length > 0 && data.length < 20, `${data.length} DATA packets before any SACK`)
  assert.equal(data[0].chunks[0].value.readUInt16BE(4), 65534)
  for (const s of socks) s.destroy()
  server.close()
}))

test('forged and stale COOKIE ECHOs are answered with ABORT and create nothing', { timeout: 20000 }, () => withDefaults({ ...FAST, valid_cookie_life: 400 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const server = sctp.createServer({ transport: tb })
  server.listen({ port: 5000 })
  let connections = 0
  server.on('connection', (s) => { connections++; s.on('error', () => {}) })
  const raw = new P.RawPeer(ta)
  const abortFor = (tag) => (p) => p.vtag === tag && p.chunks.some((c) => c.type === P.CT.ABORT)

  // Out of the blue: a cookie for no handshake at all.
  const blind = P.randomTag()
  raw.send(blind, P.cookieEcho(crypto.randomBytes(32)))
  await raw.next(abortFor(blind))

  // A real handshake whose cookie is tampered with.
  for (const edit of [(c) => { const d = Buffer.from(c); d[0] ^= 1; return d }, (c) => c.subarray(0, 8), () => Buffer.alloc(0), (c) => Buffer.concat([c, c])]) {
    const tag = P.randomTag()
    raw.send(0, P.init({ tag }))
    const ack = await raw.next((p) => p.vtag === tag)
    const info = P.initInfo(ack.chunks[0].value)
    raw.send(info.tag, P.cookieEcho(edit(info.cookie)))
    await raw.next((p) => p.vtag === info.tag || abortFor(tag)(p), 2000).catch(() => {})
    assert.ok(!raw.received.some((p) => p.vtag === tag && p.chunks.some((c) => c.type === P.CT.COOKIE_ACK)), 'no COOKIE ACK')
  }

  // A genuine cookie, presented after valid_cookie_life.
  const tag = P.randomTag()
  raw.send(0, P.init({ tag }))
  const ack = await raw.next((p) => p.vtag === tag)
  const info = P.initInfo(ack.chunks[0].value)
  await sleep(600)
  const since = raw.received.length
  raw.send(info.tag, P.cookieEcho(info.cookie))
  const answer = await raw.next((p) => p.vtag === info.tag, 2000, since)
  assert.deepEqual(P.chunkTypes(answer.raw), ['ABORT'])
  assert.equal(answer.chunks[0].flags & 1, 1, 'T bit: the tag is reflected')

  // A real client whose COOKIE ECHO is held back past valid_cookie_life.
  const pair = P.recordingPair()
  const server2 = sctp.createServer({ transport: pair.b })
  server2.listen({ port: 5000 })
  server2.on('connection', () => connections++)
  pair.hold.a = (pkt) => P.chunkTypes(pkt).includes('COOKIE_ECHO')
  const client = sctp.connect({ transport: pair.a, port: 5000, localPort: 5001 })
  const clientDone = closed(client)
  await sleep(600)
  assert.ok(pair.held.a.length >= 1)
  const sentBefore = pair.sent.b.length
  pair.hold.a = false
  pair.release('a')
  const { hadError, errors } = await clientDone
  await sleep(50)
  assert.equal(hadError, true)
  assert.ok(['ECONNREFUSED', 'ETIMEDOUT'].includes(errors[0].code), errors[0].code)
  assert.ok(pair.sent.b.slice(sentBefore).every((p) => P.chunkTypes(p).join() === 'ABORT'), 'stale cookies only get ABORTs')

  assert.equal(connections, 0)
  assert.equal(server._ep.stats().associations, 0)
  assert.equal(server2._ep.stats().associations, 0)
  server.close()
  server2.close()
}))

test('ABORT and SHUTDOWN with a wrong verification tag are ignored; the association carries on', { timeout: 15000 }, () => withDefaults(FAST, async () => {
  const pair = P.recordingPair()
  const server = sctp.createServer({ transport: pair.b })
  server.listen({ port: 5000 })
  const client = sctp.connect({ transport: pair.a, port: 5000, localPort: 5001 })
  const [sock] = await waitFor(server, 'connection')
  const events = []
  for (const [name, s] of [['client', client], ['server', sock]]) {
    for (const ev of ['error', 'end', 'close']) s.on(ev, () => events.push(`${name}:${ev}`))
  }
  const toServer = P.parse(pair.sent.a.at(-1)).vtag // the tag the server expects
  const toClient = P.parse(pair.sent.b.at(-1)).vtag
  const wrong = (t) => (t ^ 0x00010000) >>> 0 // one bit off
  const forged = [
    [P.abort(), wrong], [P.abort({ t: true }), wrong], [P.abort({ cause: 12 }), wrong], [P.abort(), () => 0],
    [P.shutdown(0), wrong], [P.shutdown(0xffffffff), () => 0], [P.shutdownAck(), wrong], [P.shutdownComplete(), wrong],
    [P.shutdownComplete(true), wrong]
  ]
  for (const [chunk, tag] of forged) {
    pair.inject('b', P.packet(5001, 5000, tag(toServer), [chunk]))
    pair.inject('a', P.packet(5000, 5001, tag(toClient), [chunk]))
  }
  await sleep(100)
  await exchange(client, sock, 'still here')
  await exchange(sock, client, 'me too')
  assert.deepEqual(events, [])
  assert.ok(sock.transportStats().outOfTheBlue >= forged.length)

  // The same ABORT with the right tag does end it: the test above could tell.
  const dead = closed(sock)
  pair.inject('b', P.packet(5001, 5000, toServer, [P.abort()]))
  const { hadError, errors } = await dead
  assert.equal(hadError, true)
  assert.equal(errors[0].code, 'ECONNRESET')
  client.destroy()
  server.close()
}))

// Found by the JS fuzzer: DATA after the peer's SHUTDOWN was pushed after EOF
// (ERR_STREAM_PUSH_AFTER_EOF ended the association with an internal error).
test('DATA after the peer\'s SHUTDOWN is dropped and counted, the socket still ends cleanly', { timeout: 15000 }, () => withDefaults(FAST, async () => {
  const [ta, tb] = sctp.duplexPair()
  const server = sctp.createServer({ transport: tb })
  server.listen({ port: 5000 })
  const raw = new P.RawPeer(ta)
  const accepted = waitFor(server, 'connection')
  const h = await raw.handshake()
  const [sock] = await accepted
  const got = []
  const errors = []
  sock.on('data', (d) => got.push(String(d)))
  sock.on('error', (e) => errors.push(e))
  const ended = waitFor(sock, 'end')
  raw.send(h.peerTag, P.data({ tsn: h.tsn, payload: Buffer.from('before') }))
  raw.send(h.peerTag, P.shutdown((h.peerTsn - 1) >>> 0))
  await raw.next((p) => p.chunks.some((c) => c.type === P.CT.SHUTDOWN_ACK))
  raw.send(h.peerTag, P.data({ tsn: h.tsn + 1, ssn: 1, payload: Buffer.from('after') }))
  await ended
  await sleep(50)
  assert.deepEqual(got, ['before'])
  assert.deepEqual(errors, [])
  assert.equal(sock.stats().messagesDiscarded, 1)
  const done = closed(sock)
  raw.send(h.peerTag, P.shutdownComplete())
  assert.equal((await done).hadError, false)
  server.close()
}))

test('a peer that never acknowledges cannot make us buffer without bound', { timeout: 20000 }, () => withDefaults({ ...FAST, association_max_retrans: 4 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const server = sctp.createServer({ transport: tb })
  server.listen({ port: 5000 })
  const raw = new P.RawPeer(ta)
  const accepted = waitFor(server, 'connection')
  await raw.handshake({ arwnd: 0xffffffff })
  const [sock] = await accepted
  const done = closed(sock)
  const before = rss()
  const msg = Buffer.alloc(64 * 1024, 0xab)
  let accepted64k = 0
  while (sock.write(msg)) accepted64k++
  // At most one high-water mark (1 MiB) queued in SCTP plus one in the writable buffer.
  assert.ok(accepted64k <= 33, `${accepted64k} messages accepted before write() returned false`)
  let drained = false
  sock.on('drain', () => { drained = true })
  const { hadError, errors } = await done
  assert.equal(hadError, true)
  assert.equal(errors[0].code, 'ETIMEDOUT', 'association_max_retrans retransmissions unanswered')
  assert.equal(drained, false)
  assert.ok(rss() - before < 32 * 1024 * 1024)
  const data = raw.received.filter((p) => p.chunks.some((c) => c.type === P.CT.DATA)).length
  assert.ok(data < 100, `${data} DATA packets sent to a peer that never acknowledged`)
  server.close()
}))

// --- a panic stays inside its association ---------------------------------------------------

test('a panic inside one association ends it with ERR_SCTP_INTERNAL; another on the same transport carries on', { timeout: 15000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const server = sctp.createServer({ transport: tb }, (s) => {
    s.on('error', () => {})
    s.on('data', (d) => s.write(d))
  })
  server.listen({ port: 5000 })
  const victim = sctp.connect({ transport: ta, port: 5000, localPort: 5001 })
  const bystander = sctp.connect({ transport: ta, port: 5000, localPort: 5002 })
  await Promise.all([waitFor(victim, 'connect'), waitFor(bystander, 'connect')])
  const victimDone = closed(victim)
  assert.equal(victim._ep.native.testPoison(victim._id), true, 'test hooks enabled')
  victim.write('this pump panics')
  const { hadError, errors } = await victimDone
  assert.equal(hadError, true)
  assert.equal(errors.length, 1)
  assert.equal(errors[0].code, 'ERR_SCTP_INTERNAL')
  assert.match(errors[0].message, /test hook: poisoned association/, 'the panic message and place reach the error')
  for (let i = 0; i < 20; i++) await exchange(bystander, bystander, `echo ${i} after the panic`) // an echo server
  assert.equal(bystander.transportStats().panics, 1)
  assert.equal(bystander.transportStats().associations, 1)
  const done = closed(bystander)
  bystander.end()
  assert.equal((await done).hadError, false)
  server.close()
})
