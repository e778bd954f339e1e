'use strict'
// The association as a user sees it, over the in-memory pair and over real UDP.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('child_process')
const sctp = require('..')
const { waitFor, pattern, boundUdp, udpPair, connectedPair } = require('./helpers/util')

const transports = {
  'in-memory pair': async () => sctp.duplexPair(),
  'UDP on 127.0.0.1': () => udpPair()
}

function closeAll (...items) {
  for (const t of items) if (t && typeof t.destroy === 'function') t.destroy()
}

for (const [name, makeTransports] of Object.entries(transports)) {
  test(`${name}: handshake, negotiated streams and ports`, { timeout: 15000 }, async () => {
    const [ta, tb] = await makeTransports()
    const { server, client, sock } = await connectedPair(ta, tb, {
      client: { OS: 10, MIS: 9 }, listen: { OS: 5, MIS: 8 }
    })
    assert.equal(client.OS, 8) // min(our OS 10, peer MIS 8)
    assert.equal(client.MIS, 5) // min(our MIS 9, peer OS 5)
    assert.equal(sock.OS, 5)
    assert.equal(sock.MIS, 8)
    assert.deepEqual([client.localPort, client.remotePort], [5001, 5000])
    assert.deepEqual([sock.localPort, sock.remotePort], [5000, 5001])
    const aborted = waitFor(sock, 'error')
    client.destroy()
    assert.equal((await aborted)[0].code, 'ECONNRESET')
    server.close()
    closeAll(ta, tb)
  })

  test(`${name}: 1 MiB of patterned bytes in 16 KiB messages, both ways`, { timeout: 30000 }, async () => {
    const [ta, tb] = await makeTransports()
    const { server, client, sock } = await connectedPair(ta, tb)
    const expected = Buffer.concat(Array.from({ length: 64 }, (_, k) => pattern(k, 16384)))
    const collect = (s) => new Promise((resolve) => {
      const chunks = []
      s.on('data', (d) => {
        assert.equal(d.length, 16384, 'one message per data event')
        chunks.push(d)
        if (chunks.length === 64) resolve(Buffer.concat(chunks))
      })
    })
    const atServer = collect(sock)
    const atClient = collect(client)
    for (let k = 0; k < 64; k++) {
      client.write(pattern(k, 16384))
      sock.write(pattern(k, 16384))
    }
    assert.ok((await atServer).equals(expected))
    assert.ok((await atClient).equals(expected))
    assert.equal(client.bytesWritten, 1 << 20)
    assert.equal(sock.bytesRead, 1 << 20)
    client.end()
    await Promise.all([waitFor(client, 'close'), waitFor(sock, 'close')])
    server.close()
    closeAll(ta, tb)
  })

  test(`${name}: 200 messages keep their boundaries and order`, { timeout: 20000 }, async () => {
    const [ta, tb] = await makeTransports()
    const { server, client, sock } = await connectedPair(ta, tb)
    const got = []
    const done = new Promise((resolve) => sock.on('data', (d) => { got.push(d); if (got.length === 200) resolve() }))
    for (let k = 0; k < 200; k++) client.write(pattern(k, 1 + (k * 37) % 3000))
    await done
    got.forEach((d, k) => assert.ok(d.equals(pattern(k, 1 + (k * 37) % 3000)), `message ${k}`))
    client.end()
    await Promise.all([waitFor(client, 'close'), waitFor(sock, 'close')])
    server.close()
    closeAll(ta, tb)
  })

  test(`${name}: graceful end — data first, then 'end', then 'close' without error`, { timeout: 15000 }, async () => {
    const [ta, tb] = await makeTransports()
    const { server, client, sock } = await connectedPair(ta, tb)
    const order = []
    sock.on('data', (d) => order.push(`data:${d}`))
    sock.on('end', () => order.push('end'))
    const closed = Promise.all([waitFor(client, 'close'), waitFor(sock, 'close')])
    client.write('last')
    client.end()
    const [[clientHadError], [sockHadError]] = await closed
    assert.deepEqual(order, ['data:last', 'end'])
    assert.equal(clientHadError, false)
    assert.equal(sockHadError, false)
    const serverClosed = waitFor(server, 'close')
    server.close()
    await serverClosed
    closeAll(ta, tb)
  })
}

test('passive connect in both directions, and a foreign port is refused', { timeout: 15000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const passive = sctp.connect({ transport: tb, passive: true, port: 5001, localPort: 5000 })
  const stranger = sctp.connect({ transport: ta, port: 5000, localPort: 6000 })
  const [err] = await waitFor(stranger, 'error')
  assert.equal(err.code, 'ECONNREFUSED')
  const active = sctp.connect({ transport: ta, port: 5000, localPort: 5001 })
  await Promise.all([waitFor(active, 'connect'), waitFor(passive, 'connect')])
  passive.write('from the passive side')
  const [msg] = await waitFor(active, 'data')
  assert.equal(String(msg), 'from the passive side')
  active.end()
  await Promise.all([waitFor(active, 'close'), waitFor(passive, 'close')])
})

test('writes before connect are queued; PPIDs and streams reach the peer', { timeout: 15000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const server = sctp.createServer({ transport: tb })
  server.listen({ port: 5000, OS: 8, MIS: 8 })
  const client = sctp.connect({ transport: ta, port: 5000, localPort: 5001, OS: 8, MIS: 8, ppid: sctp.PPID.M3UA })
  client.write('queued before connect')
  const [sock] = await waitFor(server, 'connection')
  const seen = []
  const streams = []
  sock.on('stream', (stream, id) => streams.push([stream, id]))
  const all = new Promise((resolve) => sock.on('message', (d, info) => { seen.push([String(d), info.streamId, info.ppid]); if (seen.length === 5) resolve() }))
  client.createStream(3, { ppid: sctp.PPID.WEBRTC_STRING }).write('on stream 3')
  client.createStream(4, { ppid: 0 }).write('ppid 0')
  client.createStream(5, { ppid: sctp.PPID.NGAP }).write('ngap')
  client.createStream(6, { ppid: 0xfffffffe }).write('big ppid')
  await all
  assert.deepEqual(seen.sort(), [
    ['big ppid', 6, 0xfffffffe], ['ngap', 5, 60], ['on stream 3', 3, 51], ['ppid 0', 4, 0], ['queued before connect', 0, 3]
  ].sort())
  assert.deepEqual(streams.map(([, id]) => id).sort(), [0, 3, 4, 5, 6])
  assert.throws(() => client.createStream(8), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
  client.end()
  await Promise.all([waitFor(client, 'close'), waitFor(sock, 'close')])
  server.close()
})

test("'stream' gives one object per incoming stream id carrying that stream's messages", { timeout: 15000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb, { client: { OS: 4, MIS: 4 }, listen: { OS: 4, MIS: 4 } })
  // A socket read through its 'stream' objects does not also buffer its readable side.
  const opened = []
  const got = []
  const both = new Promise((resolve) => sock.on('stream', (stream, id) => {
    opened.push(id)
    stream.on('data', (d) => { got.push(String(d)); if (got.length === 2) resolve() })
  }))
  client.createStream(2).write('a')
  client.createStream(2).write('b')
  await both
  assert.deepEqual(opened, [2])
  assert.deepEqual(got, ['a', 'b'])
  assert.equal(sock.readableLength, 0)
  client.end()
  await waitFor(sock, 'close')
  server.close()
})

test('destroy() aborts: the peer gets ECONNRESET, then close with hadError', { timeout: 15000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb)
  const errored = waitFor(sock, 'error')
  const sockClosed = waitFor(sock, 'close')
  const clientClosed = waitFor(client, 'close')
  client.destroy()
  const [err] = await errored
  assert.equal(err.code, 'ECONNRESET')
  assert.deepEqual(await sockClosed, [true])
  assert.deepEqual(await clientClosed, [false])
  server.close()
})

test('server: several clients on one transport, listen twice throws, close waits for connections', { timeout: 20000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const server = sctp.createServer({ transport: tb }, (s) => s.on('data', (d) => s.write(d)))
  await waitFor(server.listen({ port: 5000 }), 'listening')
  assert.deepEqual(server.address(), { port: 5000, family: 'SCTP', address: null })
  assert.throws(() => server.listen({ port: 5000 }), { code: 'ERR_SERVER_ALREADY_LISTEN' })
  const clients = [1, 2, 3, 4, 5].map((i) => sctp.connect({ transport: ta, port: 5000, localPort: 6000 + i }))
  await Promise.all(clients.map((c) => waitFor(c, 'connect')))
  const echoes = await Promise.all(clients.map((c, i) => { c.write(`client ${i}`); return waitFor(c, 'data') }))
  assert.deepEqual(echoes.map(([d]) => String(d)), clients.map((_, i) => `client ${i}`))
  const count = await new Promise((resolve) => server.getConnections((err, n) => resolve(err || n)))
  assert.equal(count, 5)
  let closed = false
  server.close(() => { closed = true })
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(closed, false, "'close' waits for the accepted sockets")
  for (const c of clients) c.end()
  await waitFor(server, 'close')
  assert.equal(closed, true)
})

test('a transport that closes mid-association ends the socket with an error', { timeout: 15000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb)
  const errored = waitFor(client, 'error')
  const closed = waitFor(client, 'close')
  ta.destroy()
  const [err] = await errored
  assert.equal(err.code, 'ERR_SCTP_TRANSPORT_CLOSED')
  assert.deepEqual(await closed, [true])
  sock.destroy()
  server.close()
})

// 5,000 packets in one turn: more than one input call takes (lib/endpoint.js MAX_BATCH).
test('garbage on the transport is dropped and counted; the association carries on', { timeout: 15000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb)
  let seed = 1
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16
  for (let i = 0; i < 5000; i++) ta.write(Buffer.from(Array.from({ length: rand() % 100 }, rand)))
  client.write('after the garbage')
  const [d] = await waitFor(sock, 'data')
  assert.equal(String(d), 'after the garbage')
  const stats = sock.transportStats()
  assert.ok(stats.malformed + stats.badChecksum >= 4900, JSON.stringify(stats))
  assert.ok(stats.packetsIn >= 4990, JSON.stringify(stats)) // empty writes carry no packet
  client.end()
  await waitFor(sock, 'close')
  server.close()
})

test('a UDP transport with a peer drops datagrams from anyone else, and counts them', { timeout: 15000 }, async () => {
  const [ta, tb] = await udpPair()
  const stranger = await boundUdp()
  try {
    const { server, client, sock } = await connectedPair(ta, tb)
    assert.deepEqual(tb.remote(), { port: ta.address().port, address: '127.0.0.1' })
    await new Promise((resolve) => stranger.send(Buffer.alloc(100), tb.address().port, '127.0.0.1', resolve))
    client.write('still ours')
    assert.equal(String((await waitFor(sock, 'data'))[0]), 'still ours')
    assert.equal(tb.dropped, 1)
    client.end()
    await waitFor(sock, 'close')
    server.close()
  } finally {
    stranger.close()
    closeAll(ta, tb)
  }
})

test('over ::1 when IPv6 loopback exists', { timeout: 15000 }, async (t) => {
  let pair
  try { pair = await udpPair({ type: 'udp6' }) } catch { return t.skip('no IPv6 loopback') }
  const { server, client, sock } = await connectedPair(pair[0], pair[1])
  client.write('v6')
  assert.equal(String((await waitFor(sock, 'data'))[0]), 'v6')
  client.end()
  await Promise.all([waitFor(client, 'close'), waitFor(sock, 'close')])
  server.close(() => closeAll(...pair))
})

test('a process with a finished association exits by itself', { timeout: 15000 }, () => {
  const script = `
    const sctp = require(${JSON.stringify(require.resolve('..'))})
    const [a, b] = sctp.duplexPair()
    sctp.createServer({ transport: b }, (s) => s.on('data', (d) => s.write(d))).listen({ port: 5000 })
    const c = sctp.connect({ transport: a, port: 5000 }, () => c.write('ping'))
    c.on('data', () => c.end())
  `
  const started = Date.now()
  const r = spawnSync(process.execPath, ['-e', script], { timeout: 10000 })
  assert.equal(r.status, 0, String(r.stderr))
  assert.ok(Date.now() - started < 5000)
})
