'use strict'
// SCTP echo server over UDP: every message comes back on its stream, with its PPID.
//   node examples/udp-echo-server.js [udpPort]     (then run udp-echo-client.js with that port)
// A udpTransport without a peer serves anyone (see udp-server.js for many
// clients); this one exits when its first association closes.
const dgram = require('dgram')
const sctp = require('sctp-native')

const udp = dgram.createSocket('udp4')
udp.bind(Number(process.argv[2] || 0), '127.0.0.1', () => {
  const transport = sctp.udpTransport(udp)
  const server = sctp.createServer({ transport }, (socket) => {
    console.log(`server: association from SCTP port ${socket.remotePort}`)
    socket.on('message', (data, { streamId, ppid }) => {
      socket.createStream(streamId).send(data, { ppid }) // echo
    })
    socket.on('end', () => console.log(`server: peer ended after ${socket.messagesReceived} messages, ${socket.bytesRead} bytes`))
    socket.on('close', (hadError) => {
      console.log(`server: closed (hadError=${hadError})`)
      server.close(() => transport.destroy())
    })
  })
  server.listen(5000, () => console.log(`server: listening on udp://127.0.0.1:${udp.address().port}, SCTP port 5000`))
})
