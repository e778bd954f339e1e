'use strict'
// One UDP socket, any number of SCTP clients: a line-upper-casing server.
//   node examples/udp-server.js [udpPort]          serve on udp://127.0.0.1:udpPort (default 9899, RFC 6951's)
//   node examples/udp-server.js 0 --demo 20        also start 20 clients, each on its own UDP socket; exit when done
// The transport has no peer, so it serves every remote address and port;
// each accepted socket says which one (remoteAddress, remoteUdpPort).
const sctp = require('sctp-native')

const port = Number(process.argv[2] ?? 9899)
const demo = process.argv[3] === '--demo' ? Number(process.argv[4] || 20) : 0

const transport = sctp.udpTransport({ localPort: port, localAddress: '127.0.0.1' })
transport.on('error', (err) => { console.error(`server: ${err.code}: ${err.message}`); process.exitCode = 1 })
let served = 0
const server = sctp.createServer({ transport }, (socket) => {
  const who = `${socket.remoteAddress}:${socket.remoteUdpPort}`
  socket.on('data', (line) => socket.write(String(line).toUpperCase()))
  socket.on('end', () => socket.end())
  socket.on('close', (hadError) => {
    served++
    if (!demo) console.log(`server: ${who} done (hadError=${hadError})`)
  })
})
server.listen(5000)
transport.once('ready', () => {
  console.log(`server: listening on udp://127.0.0.1:${transport.address().port}, SCTP port 5000`)
  if (demo) runClients(transport.address().port, demo)
})

// Clients as separate programs would run them: a UDP socket each, the server as its peer.
async function runClients (udpPort, n) {
  const replies = await Promise.all(Array.from({ length: n }, (_, i) => new Promise((resolve, reject) => {
    const t = sctp.udpTransport({ port: udpPort })
    const client = sctp.connect({ transport: t, port: 5000 }, () => client.write(`hello from client ${i}`))
    client.on('data', (reply) => { client.end(); resolve(String(reply)) })
    client.on('error', reject)
    client.on('close', () => t.destroy())
  })))
  console.log(`clients: ${replies.length} replies, e.g. "${replies[n - 1]}"`)
  const wait = () => (served < n ? setTimeout(wait, 10) : server.close(() => {
    console.log(`server: served ${served} associations on one UDP socket; ${JSON.stringify(transport.stats())}`)
    transport.destroy()
  }))
  wait()
}
