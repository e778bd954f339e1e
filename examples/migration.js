'use strict'
// Code written for @nodertc/sctp's API, running unchanged on sctp-native.
//   node examples/migration.js
// Migrating is changing the require() below. Everything after it is
// @nodertc/sctp's documented API: sctp.defaults, sctp.PPID,
// createServer({ transport }).listen, 'connection', sctp.connect({ localPort,
// port, transport }), 'connect', write, 'data', createStream, 'stream', end —
// plus the 'close' events that sctp-native really emits.
const sctp = require('sctp-native') // was: require('@nodertc/sctp')
const dgram = require('dgram')
const { Duplex } = require('stream')

// Module defaults, named after the net.sctp sysctls (the example of @nodertc/sctp's
// README, less sack_timeout and sack_freq, which sctp-native refuses: README "Timers").
sctp.defaults({ rto_initial: 500, rto_min: 300, rto_max: 1000 })

// The transport: any Duplex carrying one SCTP packet per chunk. Here a
// hand-written one over UDP; with DTLS it is the DTLS socket (dtls.connect(...)).
function udpDuplex (socket, peer) {
  const stream = new Duplex({
    write (chunk, encoding, cb) { socket.send(chunk, peer.port, '127.0.0.1', cb) },
    read () {},
    destroy (err, cb) { socket.close(); cb(err) }
  })
  socket.on('message', (msg, rinfo) => { peer.port = rinfo.port; stream.push(msg) })
  return stream
}

// An M3UA ASP Up message, as in @nodertc/sctp's README.
const ASP_UP = Buffer.from('010003010000001000110008000003ea', 'hex')

const serverUdp = dgram.createSocket('udp4')
const clientUdp = dgram.createSocket('udp4')
serverUdp.bind(0, '127.0.0.1', () => clientUdp.bind(0, '127.0.0.1', start))

function start () {
  const serverTransport = udpDuplex(serverUdp, {})
  const clientTransport = udpDuplex(clientUdp, { port: serverUdp.address().port })

  const server = sctp.createServer({ transport: serverTransport, ppid: sctp.PPID.M3UA })
  server.on('connection', socket => {
    console.log('server: connection from SCTP port', socket.remotePort)
    // Every incoming stream id, once: echo its messages back on the same stream.
    socket.on('stream', (stream, id) => {
      stream.on('data', data => {
        console.log(`server: stream ${id}: ${data.length} bytes`)
        socket.createStream(id).write(data)
      })
    })
  })
  server.listen({ port: 2905, OS: 4, MIS: 4 }, () => console.log('server: listening on SCTP port 2905'))

  const socket = sctp.connect({
    localPort: 2906,
    port: 2905,
    transport: clientTransport,
    ppid: sctp.PPID.M3UA,
    OS: 4,
    MIS: 4
  })
  socket.on('connect', () => {
    console.log('client: connected, OS', socket.OS)
    socket.write(ASP_UP) // stream 0
    socket.createStream(1).write('hello on stream 1')
  })
  let replies = 0
  socket.on('data', buffer => { // every stream's messages, one per 'data'
    const what = buffer.equals(ASP_UP) ? 'the ASP Up' : `"${buffer}"`
    console.log(`client: echo of ${what}`)
    if (++replies === 2) socket.end()
  })
  socket.on('close', () => {
    console.log('client: closed')
    clientTransport.destroy()
    // 'close' once the server's side of the association has closed too.
    server.close(() => {
      console.log('server: closed')
      serverTransport.destroy()
    })
  })
}
