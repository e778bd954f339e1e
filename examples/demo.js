'use strict'
// The main job in one run: two SCTP associations over real UDP sockets on
// loopback, messages on several streams with their PPIDs, then a graceful end.
//   npm run demo
const dgram = require('dgram')
const sctp = require('..')

function udp () {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4')
    s.bind(0, '127.0.0.1', () => resolve(s))
  })
}

async function main () {
  const [serverUdp, clientUdp] = await Promise.all([udp(), udp()])
  // The server's transport learns its peer from the first datagram.
  const serverTransport = sctp.udpTransport(serverUdp)
  const clientTransport = sctp.udpTransport(clientUdp, { port: serverUdp.address().port })

  const server = sctp.createServer({ transport: serverTransport }, (socket) => {
    console.log(`server: association from SCTP port ${socket.remotePort} (OS ${socket.OS}, MIS ${socket.MIS})`)
    socket.on('message', (data, { streamId, ppid }) => {
      console.log(`server: stream ${streamId} ppid ${ppid}: "${data}" -> echo`)
      socket.createStream(streamId, { ppid }).write(data)
    })
    socket.on('end', () => console.log('server: peer ended the association'))
    socket.on('close', () => {
      console.log('server: association closed')
      server.close()
      serverTransport.destroy()
    })
  })
  server.listen({ port: 5000, OS: 8, MIS: 8 })

  const client = sctp.connect({ transport: clientTransport, port: 5000, localPort: 5001, OS: 8, MIS: 8 }, () => {
    console.log(`client: connected over UDP ${clientUdp.address().port} -> ${serverUdp.address().port}`)
    client.createStream(0, { ppid: sctp.PPID.WEBRTC_STRING }).write('hello on stream 0')
    client.createStream(1, { ppid: sctp.PPID.M3UA }).write('an M3UA message on stream 1')
    client.createStream(2, { ppid: sctp.PPID.WEBRTC_BINARY }).write(Buffer.from('binary on stream 2'))
  })
  let echoes = 0
  client.on('message', (data, { streamId, ppid }) => {
    console.log(`client: echo on stream ${streamId} ppid ${ppid}: "${data}"`)
    if (++echoes === 3) client.end()
  })
  client.on('close', (hadError) => {
    console.log(`client: closed (hadError=${hadError}), ${client.bytesWritten} bytes out, ${client.bytesRead} in`)
    clientTransport.destroy()
  })
}

main()
