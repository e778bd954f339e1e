'use strict'
// The association as a user of sctp.Socket sees it, over the in-memory pair:
// handshakes (active and passive), data, PPIDs, streams, end, abort, garbage
// and failing transports. The same over UDP: udp.test.js.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('child_process')
const path = require('path')
const sctp = require('../index.js')
const { waitFor, sleep, pattern, collect, connectedPair, closes, endGracefully } = require('./helpers/util')
const P = require('./helpers/packets')

// --- handshake ----------------------------------------------------------------

test('active connect to a listening server: connect, negotiated OS/MIS, ports', { timeout: 10000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const server = sctp.createServer({ transport: tb })
  server.listen({ port: 5000, OS: 5, MIS: 8 })
  const accepted = waitFor(server, 'connection')
  let connectListenerCalled = false
  const client = sctp.connect({ transport: ta, port: 5000, localPort: 5001, OS: 10, MIS: 3 }, () => { connectListenerCalled = true })
  assert.equal(client.connecting, true)
  await waitFor(client, 'connect')
  const [sock] = await accepted
  assert.equal(connectListenerCalled, true)
  assert.equal(client.connecting, false)
  // Each side sends on min(its OS, the peer's MIS) and receives on min(its MIS, the peer's OS).
  assert.deepEqual({ OS: client.OS, MIS: client.MIS }, { OS: 8, MIS: 3 })
  assert.deepEqual({ OS: sock.OS, MIS: sock.MIS }, { OS: 3, MIS: 8 })
  assert.deepEqual([client.localPort, client.remotePort], [5001, 5000])
  assert.deepEqual([sock.localPort, sock.remotePort], [5000, 5001])
  // The negotiated counts are the real limits: the highest stream works, one more throws.
  const got = waitFor(sock, 'message')
  client.createStream(7).write('on the last stream')
  const [data, info] = await got
  assert.equal(String(data), 'on the last stream')
  assert.equal(info.streamId, 7)
  assert.throws(() => client.createStream(8), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
  await endGracefully({ server, client, sock })
})

test('localPort defaults to the remote port', { timeout: 10000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const server = sctp.createServer({ transport: tb }).listen({ port: 7000 })
  const accepted = waitFor(server, 'connection')
  const client = sctp.connect({ transport: ta, port: 7000 })
  await waitFor(client, 'connect')
  const [sock] = await accepted
  assert.deepEqual([client.localPort, client.remotePort, sock.remotePort], [7000, 7000, 7000])
  await endGracefully({ server, client, sock })
})

for (const passiveSide of ['a', 'b']) {
  test(`active <-> passive (passive on side ${passiveSide}): connect, streams, ports, data both ways`, { timeout: 10000 }, async () => {
    const [ta, tb] = sctp.duplexPair()
    const [tActive, tPassive] = passiveSide === 'b' ? [ta, tb] : [tb, ta]
    const passive = sctp.connect({ transport: tPassive, passive: true, port: 6001, localPort: 6000, OS: 5, MIS: 8 })
    const active = sctp.connect({ transport: tActive, port: 6000, localPort: 6001, OS: 10, MIS: 3 })
    await Promise.all([waitFor(active, 'connect'), waitFor(passive, 'connect')])
    assert.deepEqual({ OS: active.OS, MIS: active.MIS }, { OS: 8, MIS: 3 })
    assert.deepEqual({ OS: passive.OS, MIS: passive.MIS }, { OS: 3, MIS: 8 })
    assert.deepEqual([active.localPort, active.remotePort], [6001, 6000])
    assert.deepEqual([passive.localPort, passive.remotePort], [6000, 6001])
    const toActive = waitFor(active, 'data')
    const toPassive = waitFor(passive, 'data')
    passive.write('from passive')
    active.write('from active')
    assert.equal(String((await toActive)[0]), 'from passive')
    assert.equal(String((await toPassive)[0]), 'from active')
    const done = closes(active, passive)
    passive.end()
    assert.deepEqual(await done, [false, false])
  })
}

test('passive accepts INIT only from the configured remote port; a stranger gets ECONNREFUSED', { timeout: 10000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const passive = sctp.connect({ transport: tb, passive: true, port: 6001, localPort: 6000 })
  let passiveConnected = false
  passive.on('connect', () => { passiveConnected = true })
  const stranger = sctp.connect({ transport: ta, port: 6000, localPort: 6002 })
  let strangerConnected = false
  stranger.on('connect', () => { strangerConnected = true })
  const strangerClosed = waitFor(stranger, 'close')
  const [err] = await waitFor(stranger, 'error')
  assert.equal(err.code, 'ECONNREFUSED')
  assert.deepEqual(await strangerClosed, [true])
  assert.equal(strangerConnected, false)
  assert.equal(passiveConnected, false)
  assert.ok(passive.transportStats().refusedInits >= 1, JSON.stringify(passive.transportStats()))
  // The passive socket still waits for the right peer.
  const active = sctp.connect({ transport: ta, port: 6000, localPort: 6001 })
  await Promise.all([waitFor(active, 'connect'), waitFor(passive, 'connect')])
  const done = closes(active, passive)
  active.end()
  assert.deepEqual(await done, [false, false])
})

test('a connect to a port nobody listens on fails with ECONNREFUSED, as TCP does', { timeout: 10000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const server = sctp.createServer({ transport: tb }).listen({ port: 5000 })
  const client = sctp.connect({ transport: ta, port: 5999, localPort: 5001 })
  const closed = waitFor(client, 'close')
  const [err] = await waitFor(client, 'error')
  assert.equal(err.code, 'ECONNREFUSED')
  assert.deepEqual(await closed, [true])
  server.close()
})

// --- data ------------------------------------------------------------------

test('1 MiB of patterned bytes in 16 KiB messages, both ways at once, one message per data event', { timeout: 30000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb)
  const N = 64
  const SIZE = 16384
  const expected = Buffer.concat(Array.from({ length: N }, (_, k) => pattern(k, SIZE)))
  const atServer = collect(sock, N)
  const atClient = collect(client, N)
  for (let k = 0; k < N; k++) {
    client.write(pattern(k, SIZE))
    sock.write(pattern(k, SIZE))
  }
  for (const chunks of [await atServer, await atClient]) {
    assert.ok(chunks.every((c) => c.length === SIZE), `sizes: ${[...new Set(chunks.map((c) => c.length))]}`)
    assert.ok(Buffer.concat(chunks).equals(expected), 'the bytes arrive intact and in order')
  }
  assert.equal(client.bytesWritten, N * SIZE)
  assert.equal(client.bytesRead, N * SIZE)
  assert.equal(sock.bytesWritten, N * SIZE)
  assert.equal(sock.bytesRead, N * SIZE)
  await endGracefully({ server, client, sock })
})

test('200 messages of distinct sizes keep their boundaries and order', { timeout: 20000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb)
  const size = (k) => 1 + ((k * 37) % 3000) + k // all different, some above one packet
  const got = collect(sock, 200)
  let total = 0
  for (let k = 0; k < 200; k++) {
    client.write(pattern(k, size(k)))
    total += size(k)
  }
  const chunks = await got
  chunks.forEach((d, k) => assert.ok(d.equals(pattern(k, size(k))), `message ${k}: ${d.length} bytes, expected ${size(k)}`))
  assert.equal(sock.bytesRead, total)
  assert.equal(client.bytesWritten, total)
  await endGracefully({ server, client, sock })
})

test('writes made before connect are queued and delivered in order', { timeout: 10000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const server = sctp.createServer({ transport: tb }).listen({ port: 5000 })
  const client = sctp.connect({ transport: ta, port: 5000, localPort: 5001 })
  const callbacks = []
  for (let k = 0; k < 5; k++) client.write(`early ${k}`, (err) => callbacks.push(err || k))
  assert.equal(client.connecting, true)
  const [sock] = await waitFor(server, 'connection')
  const chunks = await collect(sock, 5)
  assert.deepEqual(chunks.map(String), [0, 1, 2, 3, 4].map((k) => `early ${k}`))
  assert.deepEqual(callbacks, [0, 1, 2, 3, 4])
  assert.equal(client.bytesWritten, chunks.reduce((n, c) => n + c.length, 0))
  await endGracefully({ server, client, sock })
})

test('end() right after connect(): the queued writes still arrive, then end', { timeout: 10000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const server = sctp.createServer({ transport: tb }).listen({ port: 5000 })
  const client = sctp.connect({ transport: ta, port: 5000, localPort: 5001 })
  client.write('one')
  client.end('two')
  const [sock] = await waitFor(server, 'connection')
  const order = []
  sock.on('data', (d) => order.push(String(d)))
  sock.on('end', () => order.push('end'))
  assert.deepEqual(await closes(client, sock), [false, false])
  assert.deepEqual(order, ['one', 'two', 'end'])
  server.close()
})

test("write() returns false and 'drain' follows: 8 MiB in 64 KiB messages arrive intact", { timeout: 60000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb, { client: { writableHighWaterMark: 256 * 1024 } })
  const N = 128
  const SIZE = 65536
  let received = 0
  let bad = 0
  const all = new Promise((resolve) => {
    sock.on('data', (d) => {
      if (!d.equals(pattern(received, SIZE))) bad++
      if (++received === N) resolve()
    })
  })
  let falses = 0
  let drains = 0
  client.on('drain', () => drains++)
  for (let k = 0; k < N; k++) {
    if (!client.write(pattern(k, SIZE))) {
      falses++
      await waitFor(client, 'drain', 20000)
    }
  }
  await all
  assert.ok(falses >= 1, 'write() returned false at least once')
  assert.equal(drains, falses, "one 'drain' per false")
  assert.equal(bad, 0, 'every message intact and in order')
  assert.equal(sock.bytesRead, N * SIZE)
  assert.equal(client.bytesWritten, N * SIZE)
  await endGracefully({ server, client, sock })
})

test('a message larger than maxMessageSize is refused with ERR_SCTP_MESSAGE_TOO_LARGE; the socket carries on', { timeout: 10000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb, { client: { maxMessageSize: 1000 } })
  assert.throws(() => client.write(Buffer.alloc(1001)), { name: 'RangeError', code: 'ERR_SCTP_MESSAGE_TOO_LARGE' })
  assert.throws(() => client.createStream(1).write('x'.repeat(1001)), { code: 'ERR_SCTP_MESSAGE_TOO_LARGE' })
  const got = collect(sock, 1)
  client.write(pattern(1, 1000))
  assert.ok((await got)[0].equals(pattern(1, 1000)))
  assert.equal(client.bytesWritten, 1000)
  await endGracefully({ server, client, sock })
})

// --- PPIDs and streams ----------------------------------------------------------

test('PPIDs: the ppid option and per-stream ppids reach the peer, WebRTC and not', { timeout: 10000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb, {
    server: { ppid: sctp.PPID.NGAP },
    listen: { OS: 8, MIS: 8 },
    client: { OS: 8, MIS: 8, ppid: sctp.PPID.M3UA }
  })
  const atServer = []
  const atClient = []
  const serverGot = new Promise((resolve) => sock.on('message', (d, info) => { atServer.push([String(d), info]); if (atServer.length === 13) resolve() }))
  const clientGot = new Promise((resolve) => client.on('message', (d, info) => { atClient.push([String(d), info]); resolve() }))
  client.write('socket ppid')
  const ppids = [0, 3, 46, 60, 51, 53]
  ppids.forEach((ppid, i) => {
    const s = client.createStream(i + 1, { ppid })
    s.write(`first ${ppid}`)
    s.write(`second ${ppid}`)
  })
  sock.write('server socket ppid')
  await Promise.all([serverGot, clientGot])
  assert.deepEqual(atServer[0], ['socket ppid', { streamId: 0, ppid: 3 }])
  for (const [i, ppid] of ppids.entries()) {
    const onStream = atServer.filter(([, info]) => info.streamId === i + 1)
    assert.deepEqual(onStream, [
      [`first ${ppid}`, { streamId: i + 1, ppid }],
      [`second ${ppid}`, { streamId: i + 1, ppid }]
    ])
  }
  assert.deepEqual(atClient, [['server socket ppid', { streamId: 0, ppid: 60 }]])
  await endGracefully({ server, client, sock })
})

test('PPID constants', () => {
  assert.equal(sctp.PPID.M3UA, 3)
  assert.equal(sctp.PPID.WEBRTC_DCEP, 50)
  assert.equal(sctp.PPID.WEBRTC_STRING, 51)
  assert.equal(sctp.PPID.WEBRTC_BINARY, 53)
  assert.equal(sctp.PPID.NGAP, 60)
  assert.ok(Object.isFrozen(sctp.PPID))
})

test("createStream(3): messages arrive on the peer's 'stream' (stream, 3) and on its socket 'data'", { timeout: 10000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb, { client: { OS: 4, MIS: 4 }, listen: { OS: 4, MIS: 4 } })
  const streams = []
  const perStream = new Map()
  sock.on('stream', (s, id) => {
    streams.push(id)
    perStream.set(id, [])
    s.on('data', (d) => perStream.get(id).push(String(d)))
  })
  const socketData = collect(sock, 4)
  const s3 = client.createStream(3)
  assert.equal(client.createStream(3), s3, 'one object per stream id')
  assert.equal(s3.stream_id, 3)
  s3.write('three a')
  client.write('zero')
  s3.write('three b')
  client.createStream(1).write('one')
  const all = (await socketData).map(String)
  // Order holds within a stream; streams are independent.
  assert.deepEqual(all.filter((m) => m.startsWith('three')), ['three a', 'three b'])
  assert.deepEqual(all.slice().sort(), ['one', 'three a', 'three b', 'zero'])
  await sleep(20)
  assert.deepEqual(streams.slice().sort(), [0, 1, 3], "one 'stream' per incoming stream id")
  assert.deepEqual(perStream.get(3), ['three a', 'three b'])
  assert.deepEqual(perStream.get(0), ['zero'])
  assert.deepEqual(perStream.get(1), ['one'])
  // The incoming stream object answers on its own stream.
  const reply = waitFor(client, 'message')
  const replyOn3 = waitFor(s3, 'data')
  sock._streams.get(3).write('back on three')
  const [data, info] = await reply
  assert.equal(String(data), 'back on three')
  assert.equal(info.streamId, 3)
  assert.equal(String((await replyOn3)[0]), 'back on three')
  assert.equal(s3.bytesWritten, 'three a'.length + 'three b'.length)
  assert.equal(s3.bytesRead, 'back on three'.length)
  // Beyond the negotiated OS, and not an integer: RangeError.
  assert.equal(client.OS, 4)
  for (const id of [4, 65535, -1, 1.5, '1']) {
    assert.throws(() => client.createStream(id), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }, `createStream(${id})`)
  }
  await endGracefully({ server, client, sock })
})

// --- end and abort -------------------------------------------------------------

for (const ender of ['client', 'server']) {
  test(`graceful end from the ${ender}: data first, then 'end', then 'close'(false) on both sides`, { timeout: 10000 }, async () => {
    const [ta, tb] = sctp.duplexPair()
    const { server, client, sock } = await connectedPair(ta, tb)
    const [from, to] = ender === 'client' ? [client, sock] : [sock, client]
    const seen = { from: [], to: [] }
    for (const [name, s] of [['from', from], ['to', to]]) {
      s.on('data', (d) => seen[name].push(`data:${d}`))
      s.on('end', () => seen[name].push('end'))
      s.on('close', (hadError) => seen[name].push(`close:${hadError}`))
      s.on('error', (err) => seen[name].push(`error:${err.code}`))
    }
    const done = closes(from, to)
    from.write('one')
    from.write('two')
    from.end('three')
    assert.deepEqual(await done, [false, false])
    assert.deepEqual(seen.to, ['data:one', 'data:two', 'data:three', 'end', 'close:false'])
    assert.deepEqual(seen.from, ['end', 'close:false'])
    assert.equal(from.destroyed, true)
    assert.equal(to.destroyed, true)
    // Writing to a closed association fails.
    const err = await new Promise((resolve) => { to.on('error', () => {}); to.write('late', resolve) })
    assert.ok(err instanceof Error)
    const serverClosed = waitFor(server, 'close')
    server.close()
    await serverClosed
  })
}

test('both sides end() at once: both close without error', { timeout: 10000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb)
  const gotClient = collect(client, 1)
  const gotSock = collect(sock, 1)
  const done = closes(client, sock)
  client.end('bye from client')
  sock.end('bye from server')
  assert.deepEqual(await done, [false, false])
  assert.equal(String((await gotSock)[0]), 'bye from client')
  assert.equal(String((await gotClient)[0]), 'bye from server')
  server.close()
})

for (const destroyer of ['client', 'server']) {
  test(`destroy() on the ${destroyer} aborts: the peer gets ECONNRESET then close(true); the destroyer close(false)`, { timeout: 10000 }, async () => {
    const [ta, tb] = sctp.duplexPair()
    const { server, client, sock } = await connectedPair(ta, tb)
    const [gone, peer] = destroyer === 'client' ? [client, sock] : [sock, client]
    const events = []
    peer.on('error', (err) => events.push(`error:${err.code}`))
    peer.on('close', (hadError) => events.push(`close:${hadError}`))
    let destroyerError = null
    gone.on('error', (err) => { destroyerError = err })
    const done = closes(gone, peer)
    gone.destroy()
    assert.deepEqual(await done, [false, true])
    assert.deepEqual(events, ['error:ECONNRESET', 'close:true'])
    assert.equal(destroyerError, null)
    server.close()
  })
}

test('destroy() before the handshake completes: no error, close(false), nothing left running', { timeout: 10000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const server = sctp.createServer({ transport: tb }).listen({ port: 5000 })
  const client = sctp.connect({ transport: ta, port: 5000, localPort: 5001 })
  let failed = null
  client.on('error', (err) => { failed = err })
  const pending = new Promise((resolve) => client.write('never sent', resolve))
  client.destroy()
  assert.deepEqual(await waitFor(client, 'close'), [false])
  assert.equal((await pending).code, 'ERR_STREAM_DESTROYED')
  assert.equal(failed, null)
  await sleep(50)
  assert.equal(client.transportStats().associations, 0)
  server.close()
})

// --- hostile or failing transports --------------------------------------------

test('garbage on the transport is dropped and counted; the association keeps working', { timeout: 15000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb)
  // A real packet of this association, to truncate.
  const captured = new Promise((resolve) => tb.once('data', resolve))
  client.write('to be captured')
  const real = await captured
  await collect(sock, 1)
  const before = sock.transportStats()
  let seed = 12345
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16
  const tiny = 50
  const truncated = []
  for (let i = 0; i < tiny; i++) ta.write(Buffer.from(Array.from({ length: 1 + rand() % 11 }, () => rand() & 0xff)))
  for (let len = 12; len < real.length; len += 3) truncated.push(real.subarray(0, len))
  for (const t of truncated) ta.write(Buffer.from(t))
  const random = 200
  for (let i = 0; i < random; i++) ta.write(Buffer.from(Array.from({ length: 12 + (rand() % 400) }, () => rand() & 0xff)))
  // Well formed, good checksum, but a verification tag no association has.
  ta.write(P.packet(5001, 5000, 0x0badf00d, [P.data({ tsn: 1, payload: Buffer.from('forged') })]))
  const echoed = collect(client, 1)
  sock.on('data', (d) => sock.write(d))
  client.write('after the garbage')
  assert.equal(String((await collect(sock, 1))[0]), 'after the garbage')
  assert.equal(String((await echoed)[0]), 'after the garbage')
  const after = sock.transportStats()
  assert.equal(after.malformed - before.malformed, tiny, JSON.stringify(after))
  assert.ok(after.badChecksum - before.badChecksum >= truncated.length + random, JSON.stringify(after))
  assert.ok(after.outOfTheBlue - before.outOfTheBlue >= 1, JSON.stringify(after))
  assert.equal(after.associations, 1)
  assert.equal(sock.bytesRead, 'to be captured'.length + 'after the garbage'.length, 'nothing forged was delivered')
  await endGracefully({ server, client, sock })
})

for (const how of ['emits error', 'is destroyed', 'ends']) {
  test(`a transport that ${how} mid-association: 'error' ERR_SCTP_TRANSPORT_CLOSED, then close(true)`, { timeout: 10000 }, async () => {
    const [ta, tb] = sctp.duplexPair()
    const { server, client, sock } = await connectedPair(ta, tb)
    const events = []
    client.on('error', (err) => events.push(err))
    const closed = waitFor(client, 'close')
    const boom = new Error('boom')
    if (how === 'emits error') ta.emit('error', boom)
    else if (how === 'is destroyed') ta.destroy()
    else tb.end() // the far end of the pipe ends: ta sees 'end'
    assert.deepEqual(await closed, [true])
    assert.equal(events.length, 1)
    assert.equal(events[0].code, 'ERR_SCTP_TRANSPORT_CLOSED')
    if (how === 'emits error') assert.equal(events[0].cause, boom)
    // Writing now fails instead of hanging.
    const err = await new Promise((resolve) => client.write('x', resolve))
    assert.ok(err instanceof Error)
    // A new connect on the dead transport fails too, and tells why.
    if (how !== 'ends') {
      const again = sctp.connect({ transport: ta, port: 5000, localPort: 5002 })
      const [e2] = await waitFor(again, 'error').catch(() => [null])
      assert.ok(e2, 'connect on a dead transport errors')
    }
    sock.destroy()
    server.close()
  })
}

test('a server whose transport fails emits error then close', { timeout: 10000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb)
  const serverError = waitFor(server, 'error')
  const serverClose = waitFor(server, 'close')
  sock.on('error', () => {})
  tb.destroy()
  const [err] = await serverError
  assert.equal(err.code, 'ERR_SCTP_TRANSPORT_CLOSED')
  await serverClose
  assert.equal(server.listening, false)
  client.destroy()
})

// --- process lifetime ----------------------------------------------------------

test('a process that associates, exchanges a message and ends exits by itself', { timeout: 15000 }, async () => {
  const script = `
    const sctp = require(${JSON.stringify(path.join(__dirname, '..', 'index.js'))})
    const [a, b] = sctp.duplexPair()
    const server = sctp.createServer({ transport: b }, (s) => s.on('data', (d) => s.write(d)))
    server.listen({ port: 5000 })
    const c = sctp.connect({ transport: a, port: 5000, localPort: 5001 }, () => c.write('ping'))
    c.on('data', (d) => { console.log('got ' + d); c.end() })
    c.on('close', (hadError) => { console.log('closed ' + hadError); server.close() })
  `
  const started = Date.now()
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => { out += d })
  child.stderr.on('data', (d) => { out += d })
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  const [code, signal] = await waitFor(child, 'exit', 10000)
  clearTimeout(timer)
  assert.equal(signal, null, `killed after 5 s: the process did not exit by itself. Output: ${out}`)
  assert.equal(code, 0, out)
  assert.equal(out, 'got ping\nclosed false\n')
  assert.ok(Date.now() - started < 5000)
})

test('a process with an association that fails its handshake exits by itself', { timeout: 15000 }, async () => {
  const script = `
    const sctp = require(${JSON.stringify(path.join(__dirname, '..', 'index.js'))})
    const { Duplex } = require('stream')
    sctp.defaults({ rto_initial: 100, rto_min: 50, rto_max: 200, max_init_retransmits: 1 })
    const t = new Duplex({ write (c, e, cb) { cb() }, read () {} })
    const c = sctp.connect({ transport: t, port: 5000 })
    c.on('error', (err) => console.log(err.code))
  `
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => { out += d })
  child.stderr.on('data', (d) => { out += d })
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  const [code, signal] = await waitFor(child, 'exit', 10000)
  clearTimeout(timer)
  assert.equal(signal, null, `did not exit by itself. Output: ${out}`)
  assert.equal(code, 0, out)
  assert.equal(out, 'ETIMEDOUT\n')
})

test('sack_timeout and sack_freq are refused with the reason, not accepted and ignored', () => {
  for (const name of ['sack_timeout', 'sack_freq']) {
    assert.throws(() => sctp.defaults({ [name]: 2 }), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_VALUE' &&
      e.message.includes(`"${name}"`) && /not supported/.test(e.message))
    assert.equal(name in sctp.defaults(), false)
  }
  // The defaults a user gets: README "Timers" gives the reasons.
  const d = sctp.defaults()
  assert.deepEqual([d.rto_initial, d.rto_min, d.rto_max, d.association_max_retrans, d.hb_interval], [1000, 400, 2000, 10, 10000])
})

test('timers per association in connect() options, checked together; defaults() names the value to change', { timeout: 15000 }, async () => {
  const [ta] = sctp.duplexPair()
  assert.throws(() => sctp.connect({ transport: ta, port: 5000, rto_min: 1500 }), (e) => e.code === 'ERR_OUT_OF_RANGE' && /rto_min/.test(e.message) && /rto_initial/.test(e.message))
  assert.throws(() => sctp.connect({ transport: ta, port: 5000, rto_max: 'x' }), { code: 'ERR_INVALID_ARG_TYPE' })
  assert.throws(() => sctp.defaults({ rto_max: 500 }), (e) => /"rto_max"/.test(e.message))
  // A silent peer: INIT retransmissions follow this association's rto_initial, not the default 1 s.
  const started = Date.now()
  const c = sctp.connect({ transport: ta, port: 5000, rto_initial: 50, rto_min: 50, rto_max: 100, max_init_retransmits: 2 })
  const [err] = await waitFor(c, 'error', 5000)
  assert.equal(err.code, 'ETIMEDOUT')
  assert.ok(Date.now() - started < 1500, `gave up after ${Date.now() - started} ms`)
})
