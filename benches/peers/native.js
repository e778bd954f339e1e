'use strict'
// sctp-native (this package: napi-rs around sctp-proto) over the same
// emulated link as the other implementations (common.js), so all pay the same
// transport cost. Its API is @nodertc/sctp's.
const sctp = require('../../index.js')
const { once } = require('events')
const { emulatedPair } = require('../../lib/emulator')
const { streamEnd } = require('./streams')
const { main } = require('./common')

async function open ([a, b]) {
  const server = sctp.createServer({ transport: b })
  const accepted = once(server, 'connection')
  server.listen({ port: 5000 })
  const client = sctp.connect({ transport: a, port: 5000, localPort: 5001, ppid: sctp.PPID.WEBRTC_BINARY })
  const [[sock]] = await Promise.all([accepted, once(client, 'connect')])
  sock.on('error', () => {})
  client.on('error', () => {})
  return {
    client: streamEnd(client),
    server: streamEnd(sock),
    async close () {
      // Graceful: end() sends SHUTDOWN; both sockets 'close' once it completes.
      const closed = Promise.all([once(client, 'close'), once(sock, 'close')])
      client.end()
      await closed
      server.close()
      a.destroy()
      b.destroy()
    }
  }
}

// `count` clients told apart by their local port, as a server with many peers
// behind one socket has them, in groups of PER_PAIR over one transport pair
// each. PER_PAIR < 1024 because src/endpoint.rs counts incoming associations
// against MAX_HANDSHAKING (1024) until they *close*, not until they are up:
// the 1025th association on one transport never gets an INIT ACK.
async function idle (count, budgetMs = Infinity) {
  const pairs = []
  const sockets = []
  const deadline = Date.now() + budgetMs
  for (let i = 0; i < count && Date.now() < deadline; i += PER_PAIR) {
    const [a, b] = emulatedPair()
    const server = sctp.createServer({ transport: b })
    server.on('connection', (s) => { s.on('error', () => {}); sockets.push(s) })
    server.listen({ port: 5000 })
    pairs.push({ a, b, server })
    const up = []
    for (let j = 0; j < Math.min(PER_PAIR, count - i); j++) {
      const c = sctp.connect({ transport: a, port: 5000, localPort: 5001 + j })
      c.on('error', () => {})
      sockets.push(c)
      up.push(once(c, 'connect'))
    }
    await Promise.all(up)
  }
  return {
    opened: sockets.length / 2,
    async close () {
      const closed = sockets.map((s) => once(s, 'close'))
      for (const s of sockets) s.end()
      await Promise.all(closed)
      for (const { a, b, server } of pairs) { server.close(); a.destroy(); b.destroy() }
    }
  }
}
const PER_PAIR = 1000

main({
  name: 'sctp-native',
  version: require('../../package.json').version,
  notes: [],
  open,
  idle
})
