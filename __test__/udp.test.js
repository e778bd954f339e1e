'use strict'
// SCTP over UDP with one socket for many peers (lib/udp.js, src/udp.rs): a
// server socket serving any number of clients, a client socket reaching several
// servers, usrsctp clients among ours, and what a hostile or broken peer can
// and cannot do to the others. Real UDP sockets on loopback throughout.
const test = require('node:test')
const assert = require('node:assert/strict')
const { once } = require('node:events')
const dgram = require('node:dgram')
const sctp = require('..')
const { waitFor, pattern, sha256, closed, withDefaults } = require('./helpers/util')
const { startPeer, freeUdpPort } = require('./helpers/peer')
const P = require('./helpers/packets')
require('./helpers/leaks')

// A server on its own UDP socket (no peer: it serves all) echoing on SCTP port 5000.
async function echoServer (transportOpts = {}) {
  const transport = sctp.udpTransport({ localAddress: '127.0.0.1', ...transportOpts })
  await once(transport, 'ready')
  const accepted = []
  const server = sctp.createServer({ transport }, (s) => {
    accepted.push(s)
    s.on('error', () => {})
    s.on('data', (d) => s.write(d))
    s.on('end', () => s.end())
  })
  server.listen({ port: 5000 })
  const stop = () => {
    server.close()
    for (const s of accepted) s.destroy()
    transport.destroy()
  }
  return { transport, server, accepted, port: transport.address().port, stop }
}

// Writes `bytes` and resolves with the sha256 of what came back once that much did.
function echoRoundTrip (client, bytes, seed) {
  const sent = pattern(seed, bytes)
  const got = []
  let n = 0
  return new Promise((resolve, reject) => {
    client.on('error', reject)
    client.on('data', (d) => {
      got.push(d)
      n += d.length
      if (n >= bytes) resolve([sha256([sent]), sha256(got)])
    })
    client.write(sent)
  })
}

test('one UDP socket serves 50 clients at once, each on its own UDP port; each socket names its peer', { timeout: 60000 }, async () => {
  const srv = await echoServer()
  const clients = []
  try {
    for (let i = 0; i < 50; i++) {
      const transport = sctp.udpTransport({ port: srv.port })
      const client = sctp.connect({ transport, port: 5000, localPort: 5000 + (i % 3) })
      clients.push({ transport, client })
    }
    await Promise.all(clients.map(({ client }) => waitFor(client, 'connect', 20000)))
    const results = await Promise.all(clients.map(({ client }, i) => echoRoundTrip(client, 20000 + i * 1000, i)))
    for (const [want, got] of results) assert.equal(got, want)
    assert.equal(srv.accepted.length, 50)
    // Server side: each accepted socket knows its client's UDP address and port.
    const clientPorts = clients.map(({ transport }) => transport.address().port).sort()
    assert.deepEqual(srv.accepted.map((s) => s.remoteUdpPort).sort(), clientPorts)
    for (const s of srv.accepted) assert.deepEqual([s.remoteAddress, s.remoteFamily], ['127.0.0.1', 'IPv4'])
    // Client side: the server's.
    for (const { client } of clients) assert.equal(client.remoteUdpPort, srv.port)
    const ends = clients.map(({ client }) => closed(client))
    for (const { client } of clients) client.end()
    for (const { hadError } of await Promise.all(ends)) assert.equal(hadError, false)
    assert.equal(srv.transport.stats().sendErrors, 0)
  } finally {
    for (const { client, transport } of clients) {
      client.destroy()
      transport.destroy()
    }
    srv.stop()
  }
})

test('a client socket without a peer reaches several servers through one UDP socket (udpPort in connect())', { timeout: 30000 }, async () => {
  const servers = await Promise.all([echoServer(), echoServer(), echoServer()])
  const transport = sctp.udpTransport({})
  const clients = []
  try {
    assert.throws(() => sctp.connect({ transport, port: 5000 }), { code: 'ERR_INVALID_ARG_TYPE', message: /udpPort/ })
    assert.throws(() => sctp.connect({ transport, port: 5000, udpPort: 1, udpAddress: 'localhost' }), { code: 'ERR_INVALID_ARG_TYPE', message: /udpAddress/ })
    for (const s of servers) clients.push(sctp.connect({ transport, port: 5000, localPort: 6000, udpPort: s.port, udpAddress: '127.0.0.1' }))
    const results = await Promise.all(clients.map((c, i) => echoRoundTrip(c, 100000, i)))
    for (const [want, got] of results) assert.equal(got, want)
    assert.deepEqual(clients.map((c) => c.remoteUdpPort), servers.map((s) => s.port))
    for (const s of servers) assert.equal(s.accepted.length, 1)
  } finally {
    for (const c of clients) c.destroy()
    transport.destroy()
    for (const s of servers) s.stop()
  }
})

test('a peer the kernel refuses to send to (EACCES: broadcast) fails alone; the socket and its other associations go on', { timeout: 30000 }, async () => {
  const srv = await echoServer()
  const transport = sctp.udpTransport({})
  let good, bad
  try {
    await withDefaults({ rto_initial: 100, rto_min: 100, rto_max: 200, max_init_retransmits: 2 }, async () => {
      bad = sctp.connect({ transport, port: 5000, udpPort: 9, udpAddress: '255.255.255.255' })
      good = sctp.connect({ transport, port: 5000, udpPort: srv.port })
      const badClosed = closed(bad)
      const [want, got] = await echoRoundTrip(good, 50000, 7)
      assert.equal(got, want)
      const { hadError, errors } = await badClosed
      assert.equal(hadError, true)
      assert.deepEqual(errors.map((e) => e.code), ['ETIMEDOUT'])
    })
    assert.ok(transport.stats().sendErrors >= 3, JSON.stringify(transport.stats()))
    const [want, got] = await echoRoundTrip(good, 1000, 8) // still fine after the failures
    assert.equal(got, want)
  } finally {
    if (good) good.destroy()
    if (bad) bad.destroy()
    transport.destroy()
    srv.stop()
  }
})

test('maxAssociations caps a server socket: the next client is refused at once (ECONNREFUSED), the others unharmed', { timeout: 30000 }, async () => {
  const srv = await echoServer({ maxAssociations: 2 })
  const transports = [1, 2, 3].map(() => sctp.udpTransport({ port: srv.port }))
  try {
    const [a, b] = transports.slice(0, 2).map((transport) => sctp.connect({ transport, port: 5000 }))
    await Promise.all([waitFor(a, 'connect'), waitFor(b, 'connect')])
    const c = sctp.connect({ transport: transports[2], port: 5000 })
    const { errors } = await closed(c)
    assert.deepEqual(errors.map((e) => e.code), ['ECONNREFUSED'])
    const [want, got] = await echoRoundTrip(a, 10000, 1)
    assert.equal(got, want)
    a.destroy()
    b.destroy()
  } finally {
    for (const t of transports) t.destroy()
    srv.stop()
  }
})

test('an INIT flood from 64 source ports is bounded, and a client already connected keeps its round trips', { timeout: 60000 }, async () => {
  const srv = await echoServer()
  const transport = sctp.udpTransport({ port: srv.port })
  const flooders = []
  try {
    const client = sctp.connect({ transport, port: 5000 })
    await waitFor(client, 'connect')
    for (let i = 0; i < 64; i++) {
      const s = dgram.createSocket('udp4')
      s.bind(0, '127.0.0.1')
      flooders.push(s)
    }
    await Promise.all(flooders.map((s) => once(s, 'listening')))
    const rss = process.memoryUsage().rss
    let sent = 0
    let rounds = 0
    const started = Date.now()
    // 40,000 forged INITs (random tags), 625 per source port, while the client keeps echoing.
    const flood = (async () => {
      while (sent < 40000) {
        for (const s of flooders) {
          const tag = (Math.random() * 0xffffffff) >>> 0 || 1
          s.send(P.packet(1000 + (sent % 60000), 5000, 0, [P.init({ tag, tsn: tag })]), srv.port, '127.0.0.1')
          sent++
        }
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    const echoes = (async () => {
      while (sent < 40000) {
        const [want, got] = await echoRoundTrip(client, 2000, rounds)
        client.removeAllListeners('data')
        client.removeAllListeners('error')
        assert.equal(got, want)
        rounds++
      }
    })()
    await Promise.all([flood, echoes])
    const stats = srv.transport.stats()
    const grown = process.memoryUsage().rss - rss
    // The half-open handshakes stay within the endpoint's bound (4,096 × ~13 KB).
    assert.ok(grown < 150 * 1024 * 1024, `RSS grew ${grown} bytes`)
    assert.ok(rounds > 0, 'the client got round trips through during the flood')
    assert.ok(stats.datagramsIn > 1000, JSON.stringify(stats))
    const native = client.transportStats()
    assert.ok(native.associations <= 1, 'the client side saw none of it')
    console.log(`# flood: ${sent} INITs in ${Date.now() - started} ms, ${rounds} echo round trips meanwhile, RSS +${(grown / 1048576).toFixed(1)} MiB, server socket ${JSON.stringify(stats)}`)
    client.destroy()
  } finally {
    for (const s of flooders) s.close()
    transport.destroy()
    srv.stop()
  }
})

test('several usrsctp clients at once against one sctp-native server socket', { timeout: 60000 }, async () => {
  const srv = await echoServer()
  const peers = []
  try {
    for (let i = 0; i < 4; i++) {
      peers.push(startPeer(['--connect', String(srv.port), '--mode', 'ping', '--count', '100', '--msg-size', String(200 + i),
        '--sctp-port', String(5100 + i), '--remote-sctp-port', '5000'], { timeoutS: 20 }))
    }
    const results = await Promise.all(peers.map((p) => p.done))
    for (const r of results) {
      const ctx = `usrsctp: ${JSON.stringify(r.json)} ${r.stderr.slice(-500)}`
      assert.equal(r.code, 0, ctx)
      assert.equal(r.json.count, 100, ctx)
      assert.equal(r.json.mismatches, 0, ctx)
      assert.equal(r.json.shutdown, 'graceful', ctx)
    }
    assert.equal(srv.accepted.length, 4)
    assert.equal(new Set(srv.accepted.map((s) => s.remoteUdpPort)).size, 4)
  } finally {
    for (const p of peers) p.kill('SIGKILL')
    srv.stop()
  }
})

test('an open transport keeps the process running, as a dgram socket does, until unref()', { timeout: 20000 }, async () => {
  const { spawnSync } = require('node:child_process')
  const script = (unref) => `const sctp = require(${JSON.stringify(require.resolve('..'))})
    const t = sctp.udpTransport({ localAddress: '127.0.0.1' })${unref ? '.unref()' : ''}
    t.on('ready', () => console.log('ready'))`
  const kept = spawnSync(process.execPath, ['-e', script(false)], { timeout: 2000, encoding: 'utf8' })
  assert.equal(kept.signal, 'SIGTERM', 'still running when killed after 2 s')
  assert.equal(kept.stdout, 'ready\n')
  const released = spawnSync(process.execPath, ['-e', script(true)], { timeout: 5000, encoding: 'utf8' })
  assert.deepEqual([released.status, released.signal, released.stdout], [0, null, 'ready\n'])
})

test('udpTransport options are checked, with a code naming the option', () => {
  assert.throws(() => sctp.udpTransport({ localPort: -1 }), { code: 'ERR_OUT_OF_RANGE', message: /localPort/ })
  assert.throws(() => sctp.udpTransport({ localAddress: 'example.com' }), { code: 'ERR_INVALID_ARG_TYPE', message: /localAddress/ })
  assert.throws(() => sctp.udpTransport({ type: 'tcp' }), { code: 'ERR_INVALID_ARG_VALUE', message: /type/ })
  assert.throws(() => sctp.udpTransport({ maxAssociations: 0 }), { code: 'ERR_OUT_OF_RANGE', message: /maxAssociations/ })
  assert.throws(() => sctp.udpTransport(42), { code: 'ERR_INVALID_ARG_TYPE', message: /socket/ })
})

test('a bind failure (EADDRINUSE) ends the transport and its associations with the error', { timeout: 10000 }, async () => {
  const first = sctp.udpTransport({ localAddress: '127.0.0.1' })
  await once(first, 'ready')
  const second = sctp.udpTransport({ localAddress: '127.0.0.1', localPort: first.address().port })
  const client = sctp.connect({ transport: second, port: 5000, udpPort: 9 })
  try {
    const { errors } = await closed(client)
    assert.equal(errors[0].code, 'ERR_SCTP_TRANSPORT_CLOSED')
    assert.equal(errors[0].cause.code, 'EADDRINUSE')
  } finally {
    first.destroy()
  }
})

// usrsctp's own SCTP over UDP (usrsctp_init with a UDP port, SCTP_REMOTE_UDP_ENCAPS_PORT),
// not the AF_CONN path the other interop tests use: usrsctp-peer --encaps.
test('usrsctp\'s own UDP encapsulation as a server: four of our clients at once, each on its UDP socket', { timeout: 60000 }, async () => {
  const port = await freeUdpPort()
  const peer = startPeer(['--encaps', String(port), '--listen', '--mode', 'echo', '--max-assocs', '4'], { timeoutS: 30 })
  const clients = []
  try {
    await peer.log(/listening/)
    for (let i = 0; i < 4; i++) {
      // usrsctp tells associations apart by SCTP ports, not UDP ports: a local port each.
      const transport = sctp.udpTransport({ port })
      clients.push({ transport, client: sctp.connect({ transport, port: 5000, localPort: 5001 + i }) })
    }
    const results = await Promise.all(clients.map(({ client }, i) => echoRoundTrip(client, 50000 + i, i)))
    for (const [want, got] of results) assert.equal(got, want)
    for (const { client } of clients) assert.equal(client.remoteUdpPort, port)
    const ends = clients.map(({ client }) => closed(client))
    for (const { client } of clients) client.end()
    for (const { hadError } of await Promise.all(ends)) assert.equal(hadError, false)
    // It exits 0 only when all four associations ended gracefully (1: one failed, 2: fewer came).
    const r = await peer.done
    assert.equal(r.code, 0, `usrsctp-peer: ${JSON.stringify(r.json)} ${r.stderr.slice(-800)}`)
  } finally {
    for (const { client, transport } of clients) {
      client.destroy()
      transport.destroy()
    }
    peer.kill('SIGKILL')
  }
})

test('usrsctp\'s own UDP encapsulation as a client of our server: ping and bulk, graceful', { timeout: 60000 }, async () => {
  const srv = await echoServer()
  const peers = []
  try {
    peers.push(startPeer(['--encaps', '0', '--connect', String(srv.port), '--remote-sctp-port', '5000', '--sctp-port', '5100',
      '--mode', 'ping', '--count', '200', '--msg-size', '300'], { timeoutS: 30 }))
    peers.push(startPeer(['--encaps', '0', '--connect', String(srv.port), '--remote-sctp-port', '5000', '--sctp-port', '5101',
      '--mode', 'ping', '--count', '20', '--msg-size', '60000'], { timeoutS: 30 }))
    for (const r of await Promise.all(peers.map((p) => p.done))) {
      const ctx = `usrsctp: ${JSON.stringify(r.json)} ${r.stderr.slice(-500)}`
      assert.equal(r.code, 0, ctx)
      assert.equal(r.json.mismatches, 0, ctx)
      assert.equal(r.json.shutdown, 'graceful', ctx)
      assert.equal(r.json.encaps.not_udp_tx, 0, ctx)
    }
    assert.equal(srv.accepted.length, 2)
  } finally {
    for (const p of peers) p.kill('SIGKILL')
    srv.stop()
  }
})
