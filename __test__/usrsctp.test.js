'use strict'
// Interop with usrsctp (the stack of the browsers' WebRTC data channels),
// through the usrsctp-peer program: raw SCTP packets in UDP datagrams on
// 127.0.0.1. sctp-native plays both roles: it connects to a listening peer,
// and it accepts a connecting peer as a passive socket and as a server.
const test = require('node:test')
const assert = require('node:assert/strict')
const sctp = require('..')
const { startPeer, freeUdpPort, Fnv1a64 } = require('./helpers/peer')
const { waitFor, boundUdp, pattern: payload } = require('./helpers/util')

const MiB = 1024 * 1024
const SCTP_PORT = 5000

// --- small helpers ------------------------------------------------------------

// Records the order of the socket's terminal events; resolves on 'close'
// with { hadError, events, error }. (events.once() would reject on 'error'.)
function lifecycle (sock, ms = 20000) {
  const events = []
  let error = null
  sock.on('end', () => events.push('end'))
  sock.on('error', (err) => { error = err; events.push('error') })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'close' within ${ms} ms (events: ${events})`)), ms)
    sock.once('close', (hadError) => {
      clearTimeout(timer)
      events.push('close')
      resolve({ hadError, events, error })
    })
  })
}

// After our own end(): no error, and 'close' comes last. (The readable side
// also ends, so 'end' may come first, as with net.Socket.)
function assertGracefulClose ({ hadError, events, error }) {
  assert.equal(error, null)
  assert.equal(hadError, false)
  assert.equal(events.at(-1), 'close')
  assert.ok(!events.includes('error'), `events: ${events}`)
}

// A usrsctp peer listening on a fresh UDP port, and sctp-native connecting to
// it. Resolves once our socket has emitted 'connect'.
async function connectToListeningPeer (peerArgs, sockOpts = {}) {
  const udpPort = await freeUdpPort()
  const peer = startPeer(['--listen', String(udpPort), ...peerArgs])
  let transport, sock
  try {
    await peer.log(/listening:/) // an INIT sent before the peer binds is lost (3 s retransmit)
    transport = sctp.udpTransport(await boundUdp(), { port: udpPort })
    sock = sctp.connect({ transport, port: SCTP_PORT, localPort: SCTP_PORT, OS: 16, MIS: 16, ...sockOpts })
    await waitFor(sock, 'connect')
  } catch (err) {
    cleanup(peer, sock, transport) // the caller's finally never sees them
    throw err
  }
  return { peer, transport, sock }
}

// Writes `count` source-pattern messages of `size` bytes, honouring
// backpressure; returns the FNV-1a 64 of everything written.
async function writePattern (sock, count, size) {
  const digest = new Fnv1a64()
  for (let k = 0; k < count; k++) {
    const msg = payload(k, size)
    digest.update(msg)
    if (!sock.write(msg)) await waitFor(sock, 'drain')
  }
  return digest.hex()
}

// Reads messages into a running digest.
function digestReader (sock) {
  const r = { digest: new Fnv1a64(), bytes: 0, messages: 0 }
  sock.on('data', (msg) => {
    r.digest.update(msg)
    r.bytes += msg.length
    r.messages++
  })
  return r
}

// The peer's stderr, shown when an assertion on its result fails.
function peerContext (result) {
  return `usrsctp-peer exit ${result.code}\nstdout: ${result.stdout}\nstderr:\n${result.stderr}`
}

// Peers are killed, sockets destroyed (ABORT, no 'error'), then transports
// closed, so nothing outlives the test even when an assertion failed.
function cleanup (...items) {
  for (const x of items) {
    if (!x) continue
    if (typeof x.kill === 'function') x.kill('SIGKILL')
    else if (typeof x.destroy === 'function') x.destroy()
  }
}

// --- sctp-native connects, usrsctp listens ------------------------------------------

for (const size of [1024, 16 * 1024]) {
  test(`sctp-native → usrsctp sink: 10 MiB in ${size / 1024} KiB messages, digest matches, our end() is graceful`, { timeout: 60000 }, async (t) => {
    const { peer, transport, sock } = await connectToListeningPeer(['--mode', 'sink', '--verify'], { ppid: 53 })
    try {
      const closed = lifecycle(sock)
      const t0 = Date.now()
      const sent = await writePattern(sock, (10 * MiB) / size, size)
      sock.end() // SHUTDOWN once everything is acknowledged
      const result = await peer.done
      const ours = await closed
      const ctx = peerContext(result)
      assert.equal(result.code, 0, ctx)
      assert.equal(result.json.shutdown, 'graceful', ctx)
      assert.equal(result.json.bytes, 10 * MiB, ctx)
      assert.equal(result.json.messages, (10 * MiB) / size, ctx)
      assert.equal(result.json.digest, sent, ctx)
      assert.deepEqual(result.json.verify, { ok: (10 * MiB) / size, bad: 0, too_short: 0, out_of_order: 0 }, ctx)
      assert.deepEqual(result.json.ppids_seen, [53], ctx)
      assert.equal(result.json.crc32c.bad_rx, 0, ctx) // usrsctp accepted every checksum we computed
      assertGracefulClose(ours)
      assert.equal(sock.bytesWritten, 10 * MiB)
      t.diagnostic(`10 MiB in ${Date.now() - t0} ms, peer rx ${result.json.rx_mbit_per_s} Mbit/s, ` +
        `${result.json.udp.rx_packets} packets in (max ${result.json.udp.max_rx_bytes} B), ${result.json.retransmitted_chunks} chunks retransmitted by usrsctp`)
    } finally {
      cleanup(peer, sock, transport)
    }
  })
}

test('sctp-native → usrsctp echo: 4 streams, PPIDs 0/3/51/53 come back on the same stream with the same PPID', { timeout: 30000 }, async () => {
  const { peer, transport, sock } = await connectToListeningPeer(['--mode', 'echo', '--streams', '16'])
  try {
    assert.equal(sock.OS, 16)
    assert.equal(sock.MIS, 16)
    // Non-WebRTC PPIDs (0, 3 = M3UA) too: sctp-proto only models 50-57 itself.
    const plan = [{ stream: 0, ppid: 0 }, { stream: 1, ppid: 3 }, { stream: 2, ppid: 51 }, { stream: 3, ppid: 53 }]
    const perStream = 25
    const expected = new Map() // stream id -> [{ ppid, data }] in send order
    for (const { stream, ppid } of plan) {
      const st = sock.createStream(stream, { ppid })
      const list = []
      for (let i = 0; i < perStream; i++) {
        // Distinct content and sizes, some spanning several packets.
        const data = ppid === 51 ? Buffer.from(`stream ${stream} message ${i} ✓`) : payload(stream * 1000 + i, 1 + ((i * 577) % 3000))
        list.push({ ppid, data })
        st.write(data)
      }
      expected.set(stream, list)
    }

    const received = new Map(plan.map(({ stream }) => [stream, []]))
    await new Promise((resolve, reject) => {
      let n = 0
      sock.on('message', (data, { streamId, ppid }) => {
        const list = received.get(streamId)
        if (!list) return reject(new Error(`echo on unexpected stream ${streamId}`))
        list.push({ ppid, data })
        if (++n === plan.length * perStream) resolve()
      })
      sock.once('close', () => reject(new Error('closed before all echoes arrived')))
    })
    // Ordered streams: each stream's echoes arrive in send order.
    for (const [stream, list] of expected) {
      const got = received.get(stream)
      assert.equal(got.length, list.length, `stream ${stream}`)
      list.forEach(({ ppid, data }, i) => {
        assert.equal(got[i].ppid, ppid, `stream ${stream} message ${i}: PPID`)
        assert.ok(got[i].data.equals(data), `stream ${stream} message ${i}: content`)
      })
    }

    const closed = lifecycle(sock)
    sock.end()
    const result = await peer.done
    const ctx = peerContext(result)
    assert.equal(result.code, 0, ctx)
    assert.equal(result.json.shutdown, 'graceful', ctx)
    assert.deepEqual([...result.json.streams_seen].sort((a, b) => a - b), [0, 1, 2, 3], ctx)
    assert.deepEqual([...result.json.ppids_seen].sort((a, b) => a - b), [0, 3, 51, 53], ctx)
    assert.equal(result.json.messages, plan.length * perStream, ctx)
    assert.equal(result.json.echo_dropped || 0, 0, ctx)
    assertGracefulClose(await closed)
  } finally {
    cleanup(peer, sock, transport)
  }
})

test('sctp-native destroy() → usrsctp sees an ABORT with cause 12 (User-Initiated Abort)', { timeout: 30000 }, async () => {
  const { peer, transport, sock } = await connectToListeningPeer(['--mode', 'sink'])
  try {
    const closed = lifecycle(sock)
    sock.write(payload(0, 1000))
    sock.destroy()
    const result = await peer.done
    const ctx = peerContext(result)
    assert.equal(result.code, 1, ctx)
    assert.equal(result.json.shutdown, 'abort', ctx)
    assert.equal(result.json.abort_cause, 12, ctx)
    assert.equal(result.json.association_up, true, ctx)
    // Our own destroy() is not an error on our side.
    assert.deepEqual(await closed, { hadError: false, events: ['close'], error: null })
  } finally {
    cleanup(peer, sock, transport)
  }
})

test('usrsctp killed with SIGTERM while connected (it sends ABORT) → ECONNRESET, then close(hadError=true)', { timeout: 30000 }, async () => {
  const { peer, transport, sock } = await connectToListeningPeer(['--mode', 'sink'])
  try {
    const closed = lifecycle(sock)
    await peer.log(/association up/)
    peer.kill('SIGTERM')
    const ours = await closed
    assert.equal(ours.hadError, true)
    assert.deepEqual(ours.events, ['error', 'close'])
    assert.equal(ours.error.code, 'ECONNRESET')
    const result = await peer.done
    assert.equal(result.code, 2, peerContext(result)) // timeout/signal
    assert.equal(result.json.shutdown, 'signal', peerContext(result))
  } finally {
    cleanup(peer, sock, transport)
  }
})

// --- usrsctp connects, sctp-native accepts ------------------------------------------

// Our side of an association the peer initiates: a passive socket, or a
// server's accepted socket. The transport learns the peer's UDP address from
// its first datagram (the INIT).
const acceptors = {
  'passive socket': (transport) => {
    const sock = sctp.connect({ transport, passive: true, port: SCTP_PORT, localPort: SCTP_PORT, OS: 16, MIS: 16 })
    return { accepted: waitFor(sock, 'connect').then(() => sock), close () {} }
  },
  server: (transport) => {
    const server = sctp.createServer({ transport })
    server.listen({ port: SCTP_PORT, OS: 16, MIS: 16 })
    return { accepted: waitFor(server, 'connection').then(([sock]) => sock), close () { server.close() } }
  }
}

for (const [role, accept] of Object.entries(acceptors)) {
  test(`usrsctp source → sctp-native ${role}: 10 MiB, digest and bytes match, peer's SHUTDOWN gives 'end' then close(false)`, { timeout: 60000 }, async (t) => {
    const transport = sctp.udpTransport(await boundUdp())
    const ours = accept(transport)
    let sock, reader, closed
    // Attach the reader as soon as the socket exists: data may share the
    // packet that completes the handshake.
    const ready = ours.accepted.then((s) => {
      sock = s
      reader = digestReader(sock)
      closed = lifecycle(sock)
    })
    let peer
    try {
      peer = startPeer(['--connect', String(transport.address().port), '--mode', 'source',
        '--bytes', String(10 * MiB), '--msg-size', '1024', '--ppid', '53'])
      const t0 = Date.now()
      await ready
      const result = await peer.done
      const end = await closed
      const ctx = peerContext(result)
      assert.equal(result.code, 0, ctx)
      assert.equal(result.json.shutdown, 'graceful', ctx)
      assert.equal(result.json.sent_bytes, 10 * MiB, ctx)
      assert.equal(reader.bytes, result.json.sent_bytes)
      assert.equal(reader.messages, 10240)
      assert.equal(reader.digest.hex(), result.json.sent_digest)
      assert.equal(sock.bytesRead, 10 * MiB)
      assert.deepEqual(end, { hadError: false, events: ['end', 'close'], error: null })
      t.diagnostic(`10 MiB in ${Date.now() - t0} ms, peer tx ${result.json.tx_mbit_per_s} Mbit/s, ` +
        `${result.json.retransmitted_chunks} chunks retransmitted by usrsctp`)
    } finally {
      ours.close()
      cleanup(peer, sock, transport)
    }
  })
}

// Request/response, then the *peer* shuts down while our last response is
// still unacknowledged: usrsctp acknowledges it only through the SHUTDOWN
// chunk's Cumulative TSN Ack (it sends no SACK in SHUTDOWN-SENT, RFC 9260
// §9.2), so we must take that ack to answer with SHUTDOWN ACK.
// A server on a fresh UDP transport that echoes each message on its stream with its PPID.
async function echoServer () {
  const transport = sctp.udpTransport(await boundUdp())
  const server = sctp.createServer({ transport }, (s) => {
    s.on('message', (data, { streamId, ppid }) => s.createStream(streamId, { ppid }).write(data))
  })
  server.listen({ port: SCTP_PORT, OS: 16, MIS: 16 })
  return { transport, server, accepted: waitFor(server, 'connection') }
}

test('usrsctp ping → sctp-native server echoing: 200 round trips, then usrsctp\'s SHUTDOWN completes', { timeout: 30000 }, async () => {
  const { transport, server, accepted } = await echoServer()
  let peer, sock
  try {
    peer = startPeer(['--connect', String(transport.address().port), '--mode', 'ping',
      '--count', '200', '--msg-size', '100', '--stream', '2', '--ppid', '3'], { timeoutS: 10 })
    ;[sock] = await accepted
    const closed = lifecycle(sock)
    const result = await peer.done
    const ctx = peerContext(result)
    assert.equal(result.json.count, 200, ctx)
    assert.equal(result.json.mismatches, 0, ctx)
    assert.equal(result.json.shutdown, 'graceful', ctx)
    assert.equal(result.code, 0, ctx)
    assert.deepEqual(await closed, { hadError: false, events: ['end', 'close'], error: null })
  } finally {
    server.close()
    cleanup(peer, sock, transport)
  }
})

// A graceful close by the peer became an ABORT in some runs elsewhere (the
// driver answered the peer's SHUTDOWN with ABORT after sctp-proto rejected a
// chunk of the same batch; tests/hostile.rs reproduces it in-process). Here:
// usrsctp shuts down right after its last SACK, many times, with the other
// core kept busy; every close must be graceful on both sides.
test('usrsctp ping → sctp-native, 12 runs of 100 round trips with a busy CPU: usrsctp\'s SHUTDOWN always completes gracefully', { timeout: 60000 }, async (t) => {
  const busy = spawnBusyLoop()
  try {
    const outcomes = []
    for (let run = 0; run < 12; run++) {
      const { transport, server, accepted } = await echoServer()
      let peer, sock
      try {
        peer = startPeer(['--connect', String(transport.address().port), '--mode', 'ping', '--count', '100', '--msg-size', '200'], { timeoutS: 10 })
        ;[sock] = await accepted
        const closed = lifecycle(sock)
        const result = await peer.done
        const ours = await closed
        outcomes.push(`${result.json && result.json.shutdown}/${ours.hadError ? ours.error.code : 'clean'}`)
      } finally {
        server.close()
        cleanup(peer, sock, transport)
      }
    }
    t.diagnostic(outcomes.join(' '))
    assert.deepEqual(outcomes, Array(12).fill('graceful/clean'))
  } finally {
    busy.kill()
  }
})

// A child process spinning on one core, to vary timings.
function spawnBusyLoop () {
  return require('child_process').spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })
}
