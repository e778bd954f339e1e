'use strict'
// Vanished peer: how long sctp-native, with its DEFAULT timers (no timer
// option is passed), takes to notice that the other end is gone. Two sockets
// over lib/emulator.js; then every packet is dropped, both ways
// (pair.set({ loss: 1 })), and we time each socket's first 'error' or 'close'.
//
//   node benches/peers/vanished.js --case inflight|idle [--budget S]
//
// inflight: the client sends 16 KiB messages without pause; once the server
//   has 1 MiB of them, with the client's data still unacknowledged and more
//   queued, the link goes silent. The figure is the sender's (the client's).
// idle: one 64 B message each way, then both wait until nothing is
//   unacknowledged and 500 ms more; then the link goes silent. The figure is
//   the client's (both ends are alike; the server's is in the JSON too).
//
// "armed" on stderr says the link is silent (run.js runs this next to other
// workloads: it is timers only from then on). stdout: one JSON line; an end
// not done after --budget s (default 120) is reported as capped.
const { once } = require('events')
const sctp = require('../../index.js')
const { emulatedPair } = require('../../lib/emulator')

function parseArgs (argv) {
  const a = { case: null, budget: 120 }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--case') a.case = argv[++i]
    else if (argv[i] === '--budget') a.budget = Number(argv[++i])
    else throw new Error(`unknown argument ${argv[i]}`)
  }
  if (!['inflight', 'idle'].includes(a.case)) throw new Error('--case inflight or idle')
  return a
}

const now = () => Number(process.hrtime.bigint()) / 1e6 // ms
const log = (...m) => process.stderr.write(m.join(' ') + '\n')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function main () {
  const a = parseArgs(process.argv.slice(2))
  const out = { case: a.case, budget_s: a.budget, defaults: sctp.defaults() }
  const pair = emulatedPair({ seed: 0x2545f491 })
  const [ta, tb] = pair
  const server = sctp.createServer({ transport: tb })
  const accepted = once(server, 'connection')
  server.listen({ port: 5000 })
  const client = sctp.connect({ transport: ta, port: 5000, localPort: 5001, ppid: sctp.PPID.WEBRTC_BINARY })
  const [[peer]] = await Promise.all([accepted, once(client, 'connect')])

  // Each end's first 'error' or 'close' after the link went silent.
  let t0 = Infinity
  const ends = { client, server: peer }
  const seen = {}
  const done = Object.entries(ends).map(([name, s]) => new Promise((resolve) => {
    const hit = (event, err) => {
      if (seen[name]) return
      seen[name] = { event, s: (now() - t0) / 1000, code: err && err.code, message: err && err.message }
      resolve()
    }
    s.on('error', (err) => hit('error', err))
    s.on('close', () => hit('close'))
  }))

  let received = 0
  peer.on('data', (m) => { received += m.length })
  if (a.case === 'inflight') {
    const msg = Buffer.alloc(16384, 0x5a)
    let writing = true
    ;(async () => {
      while (writing && !client.destroyed) {
        if (!client.write(msg)) {
          await Promise.race([once(client, 'drain'), once(client, 'close')]).catch(() => {})
        }
      }
    })()
    while (received < 1048576) await sleep(1)
    pair.set({ loss: 1 })
    t0 = now()
    writing = false // the writes queued stay queued: more than what is in flight
    out.in_flight_bytes = client.bufferedAmount // unacknowledged + queued in SCTP
    out.queued_writes = client.writableLength
  } else {
    const back = once(client, 'data')
    peer.once('data', (m) => peer.write(m))
    client.write(Buffer.alloc(64, 7))
    await back
    while (client.bufferedAmount > 0 || peer.bufferedAmount > 0) await sleep(10)
    await sleep(500)
    pair.set({ loss: 1 })
    t0 = now()
  }
  const stats = client.stats()
  out.rtt_ms = stats.rtt
  out.rto_ms = stats.rto
  log('armed')

  let timer
  await Promise.race([Promise.all(done), new Promise((resolve) => { timer = setTimeout(resolve, a.budget * 1000) })])
  clearTimeout(timer)
  const measured = 'client' // the sender in inflight
  for (const [name, r] of Object.entries(seen)) {
    out[`${name}_s`] = Math.round(r.s * 1000) / 1000
    out[`${name}_event`] = r.event + (r.code ? ` ${r.code}` : '')
    if (r.message) out[`${name}_message`] = r.message
  }
  for (const name of Object.keys(ends)) if (!seen[name]) out[`${name}_capped`] = true
  // What run.js tabulates: the measured end's seconds, or the budget if it never noticed.
  out[`vanished_${a.case}_s`] = seen[measured] ? out[`${measured}_s`] : a.budget
  if (!seen[measured]) out[`vanished_${a.case}_capped`] = true
  log(`vanished peer, ${a.case}: ${Object.keys(ends).map((n) => `${n} ${seen[n] ? `${out[`${n}_event`]} after ${out[`${n}_s`]} s` : `nothing after ${a.budget} s`}`).join(', ')}` +
    `${a.case === 'inflight' ? ` (${out.in_flight_bytes} B unacknowledged or queued at the cut)` : ''}; rtt ${out.rtt_ms} ms, rto ${out.rto_ms} ms`)
  process.stdout.write(JSON.stringify(out) + '\n')
  process.exit(0) // the other end's timers must not keep us
}

main().catch((e) => { process.stderr.write(`${e.stack || e}\n`); process.exit(1) })
