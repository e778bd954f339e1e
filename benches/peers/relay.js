'use strict'
// An impairing UDP relay on 127.0.0.1 for the SCTP-over-UDP runs (one
// datagram = one SCTP packet, as usrsctp-peer and benches/peers/udp.js speak):
// the connecting side sends to --listen; the relay forwards to --to from a
// socket of its own (so the listener sees the relay as its peer) and back.
// Each way: a fixed one-way delay (timers, FIFO) and seeded loss, the same
// PRNG as lib/emulator.js, one stream of numbers per direction.
//
//   node benches/peers/relay.js --listen UDP_PORT --to UDP_PORT
//        [--delay MS] [--loss P] [--seed N] [--timeout S]
//
// Loss spares the handshake (packets whose first chunk is INIT, INIT ACK,
// COOKIE ECHO or COOKIE ACK), as the emulator workloads turn loss on after it:
// a lost INIT would cost a 1–3 s retransmission that is no part of the figure.
//
// It also watches the SACKs going through: for each direction, the longest
// time between two advances of their cumulative TSN ack, taken as they reach
// the relay (from the sink, over loopback: its own timing, give or take its
// delayed SACK). That is how long the sink's in-order delivery stood still,
// for a sink that reports no delivery times of its own (usrsctp-peer).
//
// "ready" on stderr once both sockets are bound; on SIGTERM/SIGINT (or after
// --timeout s) one JSON line on stdout with what happened, then exit.
const dgram = require('dgram')
const { mulberry32 } = require('../../lib/emulator')

function parseArgs (argv) {
  const a = { listen: 0, to: 0, delay: 25, loss: 0.01, seed: 0x2545f491, timeout: 300 }
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '')
    if (!(k in a)) throw new Error(`unknown argument ${argv[i]}`)
    a[k] = Number(argv[++i])
  }
  if (!a.listen || !a.to) throw new Error('--listen UDP_PORT and --to UDP_PORT')
  return a
}

const HANDSHAKE = new Set([1, 2, 10, 11]) // INIT, INIT ACK, COOKIE ECHO, COOKIE ACK
const SACK = 3
const now = () => Number(process.hrtime.bigint()) / 1e6 // ms

// One direction: delay line, loss, counters and the SACK watch.
class Way {
  constructor (seed, { delay, loss }, send) {
    this.rand = mulberry32(seed)
    this.delay = delay
    this.loss = loss
    this.send = send // (buf) => void
    this.queue = [] // FIFO of [at, buf]: the delay is fixed, so order holds
    this.head = 0
    this.timer = null
    this.stats = { packets: 0, bytes: 0, dropped: 0, handshake: 0, sacks: 0 }
    this.cum = null // last cumulative TSN ack seen
    this.lastAdvance = 0
    this.sackStall = 0 // ms
    this.sackStallAt = 0 // ms since the first advance
    this.firstAdvance = 0
  }

  input (buf) {
    this.stats.packets++
    this.stats.bytes += buf.length
    this.watch(buf)
    if (buf.length > 12 && HANDSHAKE.has(buf[12])) this.stats.handshake++
    else if (this.loss && this.rand() < this.loss) { this.stats.dropped++; return }
    this.queue.push([now() + this.delay, buf])
    if (!this.timer) this.arm()
  }

  arm () {
    const wait = this.queue[this.head][0] - now()
    this.timer = setTimeout(() => this.flush(), Math.max(0, Math.floor(wait)))
  }

  flush () {
    this.timer = null
    const t = now() + 0.5
    while (this.head < this.queue.length && this.queue[this.head][0] <= t) this.send(this.queue[this.head++][1])
    if (this.head > 1024) { this.queue = this.queue.slice(this.head); this.head = 0 }
    if (this.head < this.queue.length) this.arm()
  }

  // Cumulative TSN acks of the SACK chunks in a packet (serial number arithmetic).
  watch (buf) {
    for (let off = 12; off + 4 <= buf.length;) {
      const type = buf[off]
      const len = buf.readUInt16BE(off + 2)
      if (len < 4) break
      if (type === SACK && len >= 8 && off + 8 <= buf.length) {
        this.stats.sacks++
        const cum = buf.readUInt32BE(off + 4)
        if (this.cum === null) {
          this.cum = cum
        } else if (((cum - this.cum) | 0) > 0) {
          const t = now()
          if (this.lastAdvance && t - this.lastAdvance > this.sackStall) {
            this.sackStall = t - this.lastAdvance
            this.sackStallAt = t - this.firstAdvance
          }
          if (!this.firstAdvance) this.firstAdvance = t
          this.lastAdvance = t
          this.cum = cum
        }
      }
      off += (len + 3) & ~3
    }
  }

  report () {
    return {
      ...this.stats,
      sack_stall_ms: Math.round(this.sackStall * 10) / 10,
      sack_stall_at_s: Math.round(this.sackStallAt) / 1000
    }
  }
}

async function main () {
  const a = parseArgs(process.argv.slice(2))
  const front = dgram.createSocket('udp4') // the connecting side talks to this one
  const back = dgram.createSocket('udp4') // and the listener to this one
  let client = null // the connecting side's address, from its first datagram
  const impair = { delay: a.delay, loss: a.loss }
  const up = new Way(a.seed, impair, (buf) => back.send(buf, a.to, '127.0.0.1'))
  const down = new Way((a.seed ^ 0x9e3779b9) + 1, impair, (buf) => { if (client) front.send(buf, client.port, client.address) })
  front.on('message', (buf, rinfo) => {
    if (!client) client = { address: rinfo.address, port: rinfo.port }
    else if (rinfo.port !== client.port || rinfo.address !== client.address) return
    up.input(buf)
  })
  back.on('message', (buf, rinfo) => {
    if (rinfo.port !== a.to) return
    down.input(buf)
  })
  for (const s of [front, back]) s.on('error', (e) => { process.stderr.write(`relay: ${e.message}\n`); process.exit(3) })
  await Promise.all([
    new Promise((resolve) => front.bind(a.listen, '127.0.0.1', resolve)),
    new Promise((resolve) => back.bind(0, '127.0.0.1', resolve))
  ])
  for (const s of [front, back]) { s.setRecvBufferSize(4 << 20); s.setSendBufferSize(4 << 20) }
  process.stderr.write('ready\n')
  const finish = () => {
    process.stdout.write(JSON.stringify({ delay_ms: a.delay, loss: a.loss, seed: a.seed, to_listener: up.report(), to_connector: down.report() }) + '\n')
    process.exit(0)
  }
  process.on('SIGTERM', finish)
  process.on('SIGINT', finish)
  setTimeout(finish, a.timeout * 1000).unref()
  setInterval(() => {}, 1 << 30) // stay up until told
}

main().catch((e) => { process.stderr.write(`${e.stack || e}\n`); process.exit(1) })
