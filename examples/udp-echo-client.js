'use strict'
// SCTP echo client over UDP: sends messages, checks every echo, ends gracefully.
//   node examples/udp-echo-client.js <udpPort> [message ...]
const dgram = require('dgram')
const sctp = require('sctp-native')

const port = Number(process.argv[2])
if (!port) {
  console.error('usage: node examples/udp-echo-client.js <udpPort of udp-echo-server.js> [message ...]')
  process.exit(2)
}
const messages = process.argv.length > 3 ? process.argv.slice(3) : ['hello', 'SCTP over UDP', 'x'.repeat(16384)]

const udp = dgram.createSocket('udp4')
udp.bind(0, '127.0.0.1', () => {
  const transport = sctp.udpTransport(udp, { port, address: '127.0.0.1' })
  const socket = sctp.connect({ transport, port: 5000, localPort: 5001, ppid: sctp.PPID.WEBRTC_STRING }, () => {
    console.log(`client: connected (OS ${socket.OS}, MIS ${socket.MIS})`)
    for (const m of messages) socket.write(m) // one write = one message
  })
  let n = 0
  socket.on('message', (data, { streamId, ppid }) => {
    const sent = messages[n++]
    const ok = String(data) === sent
    console.log(`client: echo ${n}/${messages.length} on stream ${streamId}, ppid ${ppid}, ${data.length} bytes ${ok ? 'intact' : 'CORRUPTED'}`)
    if (!ok) process.exitCode = 1
    if (n === messages.length) socket.end() // graceful SHUTDOWN
  })
  socket.on('error', (err) => {
    console.error(`client: ${err.code}: ${err.message}`)
    process.exitCode = 1
  })
  socket.on('close', (hadError) => {
    console.log(`client: closed (hadError=${hadError})`)
    transport.destroy()
  })
})
