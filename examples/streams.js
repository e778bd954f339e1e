'use strict'
// Many streams with mixed reliability on one association over UDP, as WebRTC
// data channels use them: one SCTP stream per channel, each with its own
// ordering and partial-reliability policy (RFC 3758), closed by a stream reset
// (RFC 6525).
//   node examples/streams.js
const dgram = require('dgram')
const crypto = require('crypto')
const sctp = require('sctp-native')
const { PPID } = sctp

// Stream id -> its policy. Partial reliability needs a WebRTC PPID (50-57).
const CHANNELS = [
  { id: 0, label: 'chat', ppid: PPID.WEBRTC_STRING }, // reliable, ordered
  { id: 1, label: 'files', ppid: PPID.WEBRTC_BINARY }, // reliable, ordered, big messages
  { id: 2, label: 'events', ppid: PPID.WEBRTC_STRING, unordered: true }, // reliable, unordered
  { id: 3, label: 'telemetry', ppid: PPID.WEBRTC_BINARY, unordered: true, maxPacketLifeTime: 150 }, // PR-SCTP, timed
  { id: 4, label: 'game-state', ppid: PPID.WEBRTC_BINARY, unordered: true, maxRetransmits: 0 }, // PR-SCTP, no retransmission
  { id: 5, label: 'cursor', ppid: PPID.WEBRTC_STRING, maxRetransmits: 2 } // PR-SCTP, ordered
]
const PER_CHANNEL = 50

function udp () {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4')
    s.bind(0, '127.0.0.1', () => resolve(s))
  })
}

function message (channel, k) {
  if (channel.id === 1) return crypto.createHash('sha256').update(`${k}`).digest().toString('hex').repeat(512) // 32 KiB
  return `${channel.label} #${k}`
}

async function main () {
  const [serverUdp, clientUdp] = await Promise.all([udp(), udp()])
  const serverTransport = sctp.udpTransport(serverUdp)
  const clientTransport = sctp.udpTransport(clientUdp, { port: serverUdp.address().port })

  // The receiving side: a 'stream' per incoming stream id; count and check what arrives.
  const received = new Map()
  let allEnded
  const ended = new Promise((resolve) => { allEnded = resolve })
  const server = sctp.createServer({ transport: serverTransport }, (socket) => {
    socket.on('stream', (stream, id) => {
      const r = { messages: 0, bytes: 0, ppids: new Set(), inOrder: true, last: -1 }
      received.set(id, r)
      stream.on('message', (data, { ppid }) => {
        r.messages++
        r.bytes += data.length
        r.ppids.add(ppid)
        const k = id === 1 ? -1 : Number(String(data).split('#')[1])
        if (k >= 0 && k < r.last) r.inOrder = false
        if (k >= 0) r.last = k
      })
      stream.on('end', () => { // the sender's stream reset: it comes after everything sent before it
        r.ended = true
        if ([...received.values()].filter((x) => x.ended).length === CHANNELS.length) allEnded()
      })
    })
    socket.on('close', () => server.close(() => serverTransport.destroy()))
  })
  server.listen({ port: 5000, OS: 16, MIS: 16 })

  const client = sctp.connect({ transport: clientTransport, port: 5000, localPort: 5001, OS: 16, MIS: 16 })
  await new Promise((resolve) => client.once('connect', resolve))
  console.log(`connected: ${client.OS} outbound / ${client.MIS} inbound streams`)

  const streams = CHANNELS.map((c) => {
    const { id, label, ...opts } = c
    return client.createStream(id, opts)
  })
  for (let k = 0; k < PER_CHANNEL; k++) {
    CHANNELS.forEach((c, i) => streams[i].write(message(c, k)))
  }
  // Closing a channel: end() resets our outgoing side once everything before it is sent.
  for (const s of streams) s.end()
  await ended

  for (const c of CHANNELS) {
    const r = received.get(c.id) || { messages: 0, bytes: 0, ppids: new Set() }
    const policy = c.maxRetransmits !== undefined ? `maxRetransmits ${c.maxRetransmits}`
      : c.maxPacketLifeTime !== undefined ? `maxPacketLifeTime ${c.maxPacketLifeTime} ms` : 'reliable'
    console.log(`stream ${c.id} ${c.label.padEnd(10)} ${(c.unordered ? 'unordered' : 'ordered').padEnd(9)} ${policy.padEnd(24)} ` +
      `sent ${PER_CHANNEL}, received ${r.messages} (${r.bytes} bytes, ppid ${[...r.ppids].join(',')})${r.ended ? ', reset' : ''}`)
  }
  const s = client.stats()
  console.log(`client stats: ${s.messagesSent} messages, ${s.bytesSent} bytes sent, rtt ${s.rtt === null ? 'n/a' : s.rtt.toFixed(2) + ' ms'}`)

  // Reliable streams must have everything, in order where ordered. (On loopback
  // nothing is lost, so the partially reliable ones get everything too.)
  let ok = true
  for (const c of CHANNELS) {
    const r = received.get(c.id)
    const reliable = c.maxRetransmits === undefined && c.maxPacketLifeTime === undefined
    if (reliable && (!r || r.messages !== PER_CHANNEL)) ok = false
    if (!c.unordered && r && !r.inOrder) ok = false
  }
  console.log(ok ? 'all reliable streams complete and ordered streams in order' : 'MISMATCH')
  if (!ok) process.exitCode = 1

  client.end()
  client.on('close', () => clientTransport.destroy())
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
