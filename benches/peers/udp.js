'use strict'
// sctp-native over UDP on 127.0.0.1, as a stand-in for usrsctp-peer
// (__test__/peers/usrsctp): the same flags, for the modes the bulk runs use,
// and the same JSON fields, so run.js pairs it with usrsctp-peer either way round
// and reads both with one parser.
//
//   node benches/peers/udp.js (--listen UDP_PORT | --connect UDP_PORT)
//        [--mode sink|source|echo] [--bytes N] [--msg-size M] [--timeout S]
//
// One datagram = one SCTP packet (udpTransport, 4 MiB socket buffers); SCTP
// port 5000 on both sides, as usrsctp-peer's default. rx_mbit_per_s is, as
// usrsctp-peer's, received payload over first byte to last byte received.
// A sink also reports longest_stall_ms (usrsctp-peer does not): the longest
// gap between two consecutive messages received, and when it ended
// (longest_stall_at_s, seconds after the first byte).
const dgram = require('dgram')
const { once } = require('events')
const sctp = require('../../index.js')

function parseArgs (argv) {
  const a = { mode: 'sink', bytes: 1048576, msgSize: 1024, timeout: 30 }
  const num = (i) => Number(argv[i])
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--listen') a.listen = num(++i)
    else if (argv[i] === '--connect') a.connect = num(++i)
    else if (argv[i] === '--mode') a.mode = argv[++i]
    else if (argv[i] === '--bytes') a.bytes = num(++i)
    else if (argv[i] === '--msg-size') a.msgSize = num(++i)
    else if (argv[i] === '--timeout') a.timeout = num(++i)
    else throw new Error(`unknown argument ${argv[i]}`)
  }
  if (!a.listen === !a.connect) throw new Error('one of --listen UDP_PORT, --connect UDP_PORT')
  if (!['sink', 'source', 'echo'].includes(a.mode)) throw new Error('--mode sink, source or echo')
  return a
}

// The association: as listener, the first datagram's sender is the peer.
async function associate (a) {
  const udp = dgram.createSocket('udp4')
  udp.bind(a.listen || 0, '127.0.0.1')
  await once(udp, 'listening')
  const transport = sctp.udpTransport(udp, a.connect ? { port: a.connect } : {})
  if (a.connect) {
    const socket = sctp.connect({ transport, port: 5000, localPort: 5000, ppid: sctp.PPID.WEBRTC_BINARY })
    await once(socket, 'connect')
    return { socket, transport }
  }
  const server = sctp.createServer({ transport })
  server.listen({ port: 5000 })
  const [socket] = await once(server, 'connection')
  return { socket, transport }
}

async function main () {
  const a = parseArgs(process.argv.slice(2))
  const out = { ok: false, mode: a.mode, role: a.listen ? 'listen' : 'connect', messages: 0, bytes: 0, sent_bytes: 0 }
  const t0 = process.hrtime.bigint()
  const secs = (from, to = process.hrtime.bigint()) => Number(to - from) / 1e9
  const timer = setTimeout(() => { out.shutdown = 'timeout'; finish(2) }, a.timeout * 1000)
  const finish = (code) => {
    out.elapsed_s = secs(t0)
    process.stdout.write(JSON.stringify(out) + '\n')
    process.exit(code)
  }
  const { socket, transport } = await associate(a)
  const closed = once(socket, 'close')
  if (a.mode === 'echo') {
    // Every message back on its stream with its PPID, as usrsctp-peer's echo does.
    socket.on('message', (m, { streamId, ppid }) => {
      out.messages++
      out.bytes += m.length
      socket.createStream(streamId).send(m, { ppid })
    })
    socket.on('end', () => socket.end())
    await closed
  } else if (a.mode === 'sink') {
    let first = 0n
    let last = 0n
    let stall = 0n
    let stallAt = 0n
    socket.on('data', (m) => {
      const t = process.hrtime.bigint()
      if (last && t - last > stall) { stall = t - last; stallAt = t - first }
      last = t
      if (!first) first = last
      out.messages++
      out.bytes += m.length
    })
    socket.once('end', () => { out.stats = socket.stats() }) // while the association is still there
    await closed // the source's SHUTDOWN
    out.rx_mbit_per_s = first && last > first ? out.bytes * 8 / 1e6 / secs(first, last) : 0
    out.longest_stall_ms = Number(stall) / 1e6
    out.longest_stall_at_s = Number(stallAt) / 1e9
  } else {
    const msg = Buffer.alloc(a.msgSize, 0x5a)
    for (let sent = 0; sent < a.bytes; sent += msg.length) {
      const m = a.bytes - sent < msg.length ? msg.subarray(0, a.bytes - sent) : msg
      out.sent_bytes += m.length
      if (!socket.write(m)) await once(socket, 'drain')
    }
    socket.end() // SHUTDOWN once everything is acknowledged
    await closed
  }
  out.shutdown = 'graceful'
  out.udp = { dropped_from_strangers: transport.dropped }
  out.ok = true
  clearTimeout(timer)
  finish(0)
}

main().catch((e) => { process.stderr.write(`${e.stack || e}\n`); process.exit(1) })
