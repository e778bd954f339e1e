'use strict'
// What the two implementations with @nodertc/sctp's API share (@nodertc/sctp,
// sctp-native): a socket is a stream.Duplex with one 'data' chunk per
// message, and one transport carries many associations told apart by port.
const { once } = require('events')
const { emulatedPair } = require('../../lib/emulator')

function streamEnd (socket) {
  return {
    write: (buf) => socket.write(buf),
    writable: () => once(socket, 'drain'),
    onMessage: (fn) => socket.on('data', fn)
  }
}

// adapter.open: a server and one client on the link. `ended`: the event that
// says a socket's graceful close is done; `prepare(socket)`: per-socket set-up.
function openPair (sctp, { ended, prepare = () => {} }) {
  return async function open ([a, b]) {
    const server = sctp.createServer({ transport: b })
    const accepted = once(server, 'connection')
    server.listen({ port: 5000 })
    const client = sctp.connect({ transport: a, port: 5000, localPort: 5001, ppid: sctp.PPID.WEBRTC_BINARY })
    const [[sock]] = await Promise.all([accepted, once(client, 'connect')])
    for (const s of [client, sock]) {
      s.on('error', () => {})
      prepare(s)
    }
    return {
      client: streamEnd(client),
      server: streamEnd(sock),
      // The sender's retransmission counters, where the implementation has them (sctp-native).
      stats: typeof client.stats === 'function' ? () => client.stats() : undefined,
      async close () {
        // Graceful: end() sends SHUTDOWN; both sides say so once it completes.
        const done = Promise.all([once(client, ended), once(sock, ended)])
        client.end()
        await done
        server.close()
        a.destroy()
        b.destroy()
      }
    }
  }
}

// adapter.idle for the memory workload: `count` clients with distinct local
// ports, as a server with many peers behind one socket has them, at most
// `perPair` per transport pair (SCTP ports are 16-bit), each pair's opened at
// once. `ended`: the event that says a socket's graceful close is done.
function idleMany (sctp, { perPair, ended }) {
  return async function idle (count, budgetMs = Infinity) {
    const pairs = []
    const sockets = []
    const deadline = Date.now() + budgetMs
    for (let i = 0; i < count && Date.now() < deadline; i += perPair) {
      const [a, b] = emulatedPair()
      const server = sctp.createServer({ transport: b })
      server.on('connection', (s) => { s.on('error', () => {}); sockets.push(s) })
      server.listen({ port: 5000 })
      pairs.push({ a, b, server })
      // In waves: a server keeps at most 4,096 handshakes in progress, evicting the oldest (RFC 5062 bound).
      for (let j = 0; j < Math.min(perPair, count - i); j += 500) {
        const up = []
        for (let k = j; k < Math.min(j + 500, perPair, count - i); k++) {
          const c = sctp.connect({ transport: a, port: 5000, localPort: 5001 + k })
          c.on('error', () => {})
          sockets.push(c)
          up.push(once(c, 'connect'))
        }
        await Promise.all(up)
      }
    }
    return {
      opened: sockets.length / 2,
      async close () {
        const done = sockets.map((s) => once(s, ended))
        for (const s of sockets) s.end()
        await Promise.all(done)
        for (const { a, b, server } of pairs) { server.close(); a.destroy(); b.destroy() }
      }
    }
  }
}

module.exports = { openPair, idleMany }
