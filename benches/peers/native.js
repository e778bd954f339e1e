'use strict'
// sctp-native (this package: napi-rs around sctp-proto) over the same
// emulated link as the other implementations (common.js), so all pay the same
// transport cost. Its API is @nodertc/sctp's.
const sctp = require('../../index.js')
const { once } = require('events')
const { streamEnd, idleMany } = require('./streams')
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

// All on one transport pair, as @nodertc/sctp's are.
const idle = idleMany(sctp, { perPair: 10000, ended: 'close' })

main({
  name: 'sctp-native',
  version: require('../../package.json').version,
  notes: [],
  open,
  idle
})
