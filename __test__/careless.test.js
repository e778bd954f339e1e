'use strict'
// Careless transports and careless users: a transport that throws or emits
// what is not a packet, writes after end(), streams created after close,
// stats read in 'close', and UDP peers given by name or by a bad port. None
// of it may crash the process or leave a socket without its 'close'.
const test = require('node:test')
const assert = require('node:assert/strict')
const { once } = require('events')
const sctp = require('..')
const { waitFor, sleep, collect, boundUdp, connectedPair, closed, closes, endGracefully } = require('./helpers/util')

// --- transports that misbehave ---------------------------------------------------

test('connect() over a UDP socket the user already closed: error ERR_SCTP_TRANSPORT_CLOSED and close, no crash', { timeout: 10000 }, async () => {
  const udp = await boundUdp()
  udp.close()
  await once(udp, 'close')
  const transport = sctp.udpTransport(udp, { port: 9 })
  const client = sctp.connect({ transport, port: 5000 })
  try {
    const { hadError, errors } = await closed(client)
    assert.equal(hadError, true)
    assert.deepEqual(errors.map((e) => e.code), ['ERR_SCTP_TRANSPORT_CLOSED'])
    assert.ok(errors[0].cause instanceof Error, 'the cause is the failed send')
  } finally {
    client.destroy()
    transport.destroy()
  }
})

test('a transport whose write() throws mid-association: its socket and server get ERR_SCTP_TRANSPORT_CLOSED', { timeout: 10000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb)
  try {
    const sockClosed = closed(sock)
    const serverClosed = closed(server)
    const boom = new Error('the link went away')
    tb.write = () => { throw boom }
    client.write('answered by a SACK that cannot be written')
    const { hadError, errors } = await sockClosed
    assert.equal(hadError, true)
    assert.deepEqual(errors.map((e) => e.code), ['ERR_SCTP_TRANSPORT_CLOSED'])
    assert.equal(errors[0].cause, boom)
    const s = await serverClosed
    assert.deepEqual(s.errors.map((e) => e.code), ['ERR_SCTP_TRANSPORT_CLOSED'])
    assert.equal(server.listening, false)
  } finally {
    client.destroy()
    sock.destroy()
    server.close()
  }
})

test('chunks that are not packets (null, undefined, a string, a number) are dropped as malformed; the rest of the batch is delivered', { timeout: 10000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb)
  try {
    // Two DATA packets of the client, held back to be delivered around the bad chunks.
    const held = []
    ta.write = (pkt) => { held.push(Buffer.from(pkt)); return true }
    client.write('one')
    while (held.length < 1) await sleep(5)
    client.write('two')
    while (held.length < 2) await sleep(5)
    delete ta.write
    const before = sock.transportStats().malformed
    const got = collect(sock, 2, 5000)
    // The first chunk of a turn goes in at once, the others together at the end of the turn.
    for (const chunk of [held[0], null, undefined, 'text', 42, held[1]]) tb.emit('data', chunk)
    assert.deepEqual((await got).map(String), ['one', 'two'])
    assert.equal(sock.transportStats().malformed - before, 4)
    await endGracefully({ server, client, sock })
  } finally {
    client.destroy()
    sock.destroy()
    server.close()
  }
})

// --- careless endings --------------------------------------------------------------

for (const [how, late] of [['write()', (s) => s.write('late')], ['end(data)', (s) => s.end('late')]]) {
  test(`${how} after end(): 'error' ERR_STREAM_WRITE_AFTER_END, still 'close' once the association ended; the peer sees a normal end`, { timeout: 10000 }, async () => {
    const [ta, tb] = sctp.duplexPair()
    const { server, client, sock } = await connectedPair(ta, tb)
    try {
      const clientClosed = closed(client)
      const sockClosed = closed(sock)
      const sockEnded = waitFor(sock, 'end')
      sock.resume()
      client.end()
      late(client)
      const c = await clientClosed
      assert.deepEqual(c.errors.map((e) => e.code), ['ERR_STREAM_WRITE_AFTER_END'])
      assert.equal(c.hadError, true, "'close' says an error was emitted")
      await sockEnded
      assert.deepEqual(await sockClosed, { hadError: false, errors: [] })
      assert.equal(sock.bytesRead, 0, 'nothing written after end() was sent')
    } finally {
      client.destroy()
      sock.destroy()
      server.close()
    }
  })
}

test("a write after the association closed, while unread data holds 'end' back: 'error', then 'close'", { timeout: 10000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb)
  try {
    sock.pause()
    const sockClosed = closed(sock)
    const clientClosed = waitFor(client, 'close')
    client.write('unread')
    client.end()
    assert.deepEqual(await clientClosed, [false])
    assert.equal(sock.readableEnded, false, "'end' waits for the unread message")
    const err = await new Promise((resolve) => sock.write('too late', resolve))
    assert.equal(err.code, 'ERR_STREAM_DESTROYED')
    const { hadError, errors } = await sockClosed
    assert.equal(hadError, true)
    assert.deepEqual(errors.map((e) => e.code), ['ERR_STREAM_DESTROYED'])
  } finally {
    client.destroy()
    sock.destroy()
    server.close()
  }
})

test('createStream() after close: a destroyed stream whose write fails its callback with ERR_STREAM_DESTROYED, no error', { timeout: 10000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const pair = await connectedPair(ta, tb)
  const { server, client, sock } = pair
  try {
    await endGracefully(pair)
    const stream = client.createStream(1)
    assert.equal(stream.destroyed, true)
    const errors = []
    stream.on('error', (e) => errors.push(e))
    const err = await new Promise((resolve) => stream.write('too late', resolve))
    assert.equal(err.code, 'ERR_STREAM_DESTROYED')
    await sleep(20)
    assert.deepEqual(errors, [])
  } finally {
    client.destroy()
    sock.destroy()
    server.close()
  }
})

test("stats() in the 'close' handler keeps the final rtt, rto and SACK counters", { timeout: 15000 }, async () => {
  const [ta, tb] = sctp.duplexPair()
  const { server, client, sock } = await connectedPair(ta, tb)
  try {
    sock.on('data', (d) => sock.write(d))
    client.write('ping')
    await waitFor(client, 'data')
    await sleep(300) // the delayed SACK of the echo
    const mid = client.stats()
    const final = new Map()
    for (const s of [client, sock]) s.once('close', () => final.set(s, s.stats()))
    const done = closes(client, sock)
    // SHUTDOWN waits for this message's SACK: the client's final count is one more.
    client.write('last')
    client.end()
    assert.deepEqual(await done, [false, false])
    for (const s of [client, sock]) {
      const st = final.get(s)
      assert.equal(typeof st.rtt, 'number', JSON.stringify(st))
      assert.equal(typeof st.rto, 'number', JSON.stringify(st))
      assert.ok(st.sacksReceived > 0, JSON.stringify(st))
      assert.ok(st.dataChunksReceived > 0, JSON.stringify(st))
    }
    assert.ok(final.get(client).sacksReceived > mid.sacksReceived, 'the SACK of the last message is counted')
  } finally {
    client.destroy()
    sock.destroy()
    server.close()
  }
})

// --- UDP peers ----------------------------------------------------------------------

test("udpTransport with address 'localhost': an echo works both ways", { timeout: 15000 }, async () => {
  const [ua, ub] = await Promise.all([boundUdp(), boundUdp()])
  const ta = sctp.udpTransport(ua, { port: ub.address().port, address: 'localhost' })
  const tb = sctp.udpTransport(ub, { port: ua.address().port, address: 'localhost' })
  const accepted = []
  const server = sctp.createServer({ transport: tb }, (s) => {
    accepted.push(s)
    s.on('data', (d) => s.write(d))
  })
  server.listen({ port: 5000 })
  const client = sctp.connect({ transport: ta, port: 5000, localPort: 5001 })
  try {
    const echoed = waitFor(client, 'data')
    client.write('by name')
    assert.equal(String((await echoed)[0]), 'by name')
    assert.deepEqual(ta.remote(), { port: ub.address().port, address: '127.0.0.1' })
    const done = closes(client, ...accepted)
    client.end()
    assert.deepEqual(await done, [false, false])
  } finally {
    for (const s of [client, ...accepted]) s.destroy()
    server.close()
    ta.destroy()
    tb.destroy()
  }
})

test('udpTransport and dtlsUdp validate port and address, with a code naming the option', { timeout: 10000 }, async () => {
  const udp = await boundUdp()
  try {
    for (const make of [sctp.udpTransport, sctp.dtlsUdp]) {
      const bad = (opts, name, code) => assert.throws(() => make(udp, opts),
        (e) => e.code === code && e.message.includes(`"${name}"`), `${make.name} ${JSON.stringify(opts)}`)
      bad({ port: 'x' }, 'port', 'ERR_INVALID_ARG_TYPE')
      bad({ port: -1 }, 'port', 'ERR_OUT_OF_RANGE')
      bad({ port: 70000 }, 'port', 'ERR_OUT_OF_RANGE')
      bad({ port: 1.5 }, 'port', 'ERR_OUT_OF_RANGE')
      bad({ port: 5000, address: 5 }, 'address', 'ERR_INVALID_ARG_TYPE')
      bad({ port: 5000, address: '' }, 'address', 'ERR_INVALID_ARG_VALUE')
    }
    assert.throws(() => sctp.udpTransport(udp, null), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  } finally {
    udp.close()
  }
})
