'use strict'
// The workloads, written once against a small adapter each implementation
// provides (native.js, werift.js, nodertc.js):
//
//   adapter.open(link, workload) -> Promise<{ client, server, close(): Promise }>
//                                link: an emulatedPair (lib/emulator.js), [a, b]
//   end.write(buf) -> bool       false: wait for end.writable() before more
//   end.writable() -> Promise    resolves once more may be written
//   end.onMessage(fn)            fn(buf) for each received message
//   adapter.idle(count, budgetMs) -> Promise<{ opened, close(): Promise }>
//                                `count` associations opened and left idle (memory)
//
// Every JS implementation runs over lib/emulator.js with no impairment but the
// loss workload's (seeded, so a run drops the same packets every time): one
// chunk = one packet, delivered on a later setImmediate, as a network would.
//
// Usage: node benches/peers/<impl>.js [--quick] [--only bulk,small,...] [--budget S]
// Human-readable lines go to stderr; stdout gets one JSON line with every number.
const v8 = require('v8')
const vm = require('vm')
const { emulatedPair } = require('../../lib/emulator')

const MIB = 1048576
const WORKLOADS = ['bulk', 'small', 'pingpong', 'handshakes', 'loss', 'memory']
const SEED = 0x2545f491
const link = () => emulatedPair({ seed: SEED })

// Full sizes, as in the engine bench; an adapter may scale them down (see `scale`).
const FULL = {
  bulk: { bytes: 64 * MIB, size: 16384 },
  small: { count: 200000, size: 100 },
  pingpong: { count: 5000, size: 64 },
  handshakes: { count: 1000 },
  loss: { bytes: 64 * MIB, size: 16384, rate: 0.01 },
  memory: { count: 10000 }
}

function parseArgs (argv) {
  const args = { quick: false, only: WORKLOADS, budget: null }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') args.quick = true
    else if (argv[i] === '--only') args.only = argv[++i].split(',')
    else if (argv[i] === '--budget') args.budget = Number(argv[++i])
    else throw new Error(`unknown argument ${argv[i]}`)
  }
  // Soft budget: a workload stops early after this and reports the rate so far.
  if (args.budget === null) args.budget = args.quick ? 5 : 60
  return args
}

const now = () => Number(process.hrtime.bigint()) / 1e6 // ms
// Each workload runs in a fresh process: first a 1/WARM_UP share of it, not
// timed, so that the figures are of JIT-compiled code in every implementation.
const WARM_UP = 10
const log = (...a) => process.stderr.write(a.join(' ') + '\n')

// One way, client -> server: `bytes` in `size` messages. Time is first write
// to last byte received.
async function oneWay (adapter, { name, bytes, size, rate = 0 }, budgetMs) {
  const pair = link()
  const conn = await adapter.open(pair, name)
  const msg = Buffer.alloc(size, 0x5a)
  let got = 0
  let msgs = 0
  let target = Math.max(size * 16, Math.floor(bytes / WARM_UP)) // the warm-up
  let arrived
  conn.server.onMessage((m) => {
    got += m.length
    msgs++
    if (got >= target) arrived()
  })
  const send = async (total, done) => {
    let stop = false
    done.then(() => { stop = true })
    for (let sent = 0; sent < total && !stop; sent += size) {
      if (!conn.client.write(msg)) await Promise.race([conn.client.writable(), done])
    }
    await done
  }
  await send(target, new Promise((resolve) => { arrived = resolve }))
  got = 0
  msgs = 0
  target = bytes
  pair.set({ loss: rate }) // after the handshake and warm-up: loss applies to the measured data only
  const w0 = pair.stats.aToB.written + pair.stats.bToA.written
  let capped = false
  let timer
  const done = new Promise((resolve) => {
    arrived = resolve
    timer = setTimeout(() => { capped = true; resolve() }, budgetMs)
  })
  const t0 = now()
  await send(bytes, done)
  clearTimeout(timer)
  const secs = (now() - t0) / 1000
  const { aToB, bToA } = pair.stats
  const result = { bytes: got, msgs, secs, capped, dropped: aToB.lost + bToA.lost, packets: aToB.written + bToA.written - w0 }
  await closeSoon(conn)
  return result
}

// Closes, but gives up after 2 s: a stuck close must not cost the next workload.
function closeSoon (conn) {
  return Promise.race([conn.close().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000).unref())])
}

async function pingPong (adapter, { count, size }, budgetMs) {
  const conn = await adapter.open(link(), 'pingpong')
  conn.server.onMessage((m) => conn.server.write(m))
  let waiter = null
  conn.client.onMessage(() => { const w = waiter; waiter = null; w() })
  const msg = Buffer.alloc(size, 7)
  const rtts = []
  for (let i = 0; i < Math.ceil(count / WARM_UP); i++) {
    const back = new Promise((resolve) => { waiter = resolve })
    conn.client.write(msg)
    await back
  }
  const start = now()
  let capped = false
  for (let i = 0; i < count; i++) {
    if (now() - start > budgetMs) { capped = true; break }
    const t0 = now()
    const back = new Promise((resolve) => { waiter = resolve })
    conn.client.write(msg)
    await back
    rtts.push((now() - t0) * 1000)
  }
  rtts.sort((a, b) => a - b)
  const pct = (q) => rtts[Math.min(rtts.length - 1, Math.floor(rtts.length * q))]
  await closeSoon(conn)
  return { count: rtts.length, median_us: pct(0.5), p99_us: pct(0.99), capped }
}

// Open an association, close it, wait until both sides are closed; repeat.
async function handshakes (adapter, { count }, budgetMs) {
  for (let i = 0; i < Math.ceil(count / WARM_UP); i++) await (await adapter.open(link(), 'handshakes')).close()
  const start = now()
  let n = 0
  let capped = false
  for (; n < count; n++) {
    if (now() - start > budgetMs) { capped = true; break }
    const conn = await adapter.open(link(), 'handshakes')
    await conn.close()
  }
  return { count: n, secs: (now() - start) / 1000, capped }
}

// RSS growth per idle association end: both ends live in this process, so the
// growth is divided by 2 × count, as the engine does. A few associations opened
// and closed first keep code loaded and JIT-compiled on first use out of it.
async function memory (adapter, { count }, budgetMs) {
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc')
  const settle = async () => { for (let i = 0; i < 3; i++) { gc(); await new Promise(setImmediate) } }
  await (await adapter.idle(10)).close()
  await settle()
  const before = process.memoryUsage()
  const start = now()
  const idle = await adapter.idle(count, budgetMs)
  const secs = (now() - start) / 1000
  await settle()
  const after = process.memoryUsage()
  const ends = 2 * idle.opened
  return {
    opened: idle.opened,
    secs,
    rss: (after.rss - before.rss) / ends,
    heap: (after.heapUsed - before.heapUsed) / ends,
    capped: idle.opened < count
  }
}

// A hard limit over the soft budget, so a stalled workload cannot hang the run.
function hardTimeout (promise, ms) {
  let timer
  const t = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no result after ${ms / 1000} s (hard timeout)`)), ms)
  })
  return Promise.race([promise, t]).finally(() => clearTimeout(timer))
}

// scale: { bulk: { bytes }, small: { count }, ... } overrides FULL for slow peers.
async function main (adapter) {
  const args = parseArgs(process.argv.slice(2))
  const budgetMs = args.budget * 1000
  const out = { impl: adapter.name, version: adapter.version, quick: args.quick, budget_s: args.budget, notes: adapter.notes || [], scaled: {} }
  for (const w of WORKLOADS) {
    if (!args.only.includes(w) || (w === 'memory' && !adapter.idle)) continue
    const size = { ...FULL[w], ...(adapter.scale && adapter.scale[w]) }
    for (const k of Object.keys(size)) {
      if (size[k] !== FULL[w][k]) out.scaled[`${w}.${k}`] = { value: size[k], full: FULL[w][k] }
    }
    // --quick: a quarter of the work, cut at the budget. Not for memory: it is
    // quick anyway, and a per-association figure depends on how many share the
    // fixed costs.
    if (args.quick && w !== 'memory') {
      if (size.bytes) size.bytes = Math.max(size.size * 64, Math.floor(size.bytes / 4))
      if (size.count) size.count = Math.max(50, Math.floor(size.count / 4))
    }
    try {
      const run = { bulk: oneWay, small: oneWay, loss: oneWay, pingpong: pingPong, handshakes, memory }[w]
      const s = w === 'small' ? { name: w, bytes: size.count * size.size, size: size.size } : { name: w, ...size }
      const r = await hardTimeout(run(adapter, s, budgetMs), budgetMs + 30000)
      report(out, w, r, size)
    } catch (err) {
      out[`${w}_error`] = String(err && err.message || err)
      log(`${adapter.name} ${w}: ERROR ${out[`${w}_error`]}`)
    }
  }
  process.stdout.write(JSON.stringify(out) + '\n')
  process.exit(0) // leftover timers (heartbeats, RTOs) of closed associations must not keep us
}

function report (out, w, r, size) {
  const c = r.capped ? ` (stopped at the ${out.budget_s} s budget)` : ''
  if (w === 'bulk' || w === 'loss') {
    const mib = r.bytes / MIB
    out[`${w}_mib_s`] = round(mib / r.secs, 2)
    out[`${w}_mib`] = round(mib, 2)
    out[`${w}_msg_size`] = size.size
    if (w === 'loss') out.loss_dropped = r.dropped
    log(`${out.impl} ${w === 'bulk' ? 'bulk   ' : 'bulk 1%'} ${round(mib / r.secs, 2)} MiB/s (${round(mib, 1)} MiB in ${size.size} B messages in ${round(r.secs, 2)} s${w === 'loss' ? `, ${r.dropped} of ${r.packets} packets dropped` : ''})${c}`)
  } else if (w === 'small') {
    out.small_msgs_s = Math.round(r.msgs / r.secs)
    out.small_msgs = r.msgs
    log(`${out.impl} small   ${out.small_msgs_s} msgs/s (${r.msgs} messages of ${size.size} B in ${round(r.secs, 2)} s)${c}`)
  } else if (w === 'pingpong') {
    out.pingpong_median_us = round(r.median_us, 1)
    out.pingpong_p99_us = round(r.p99_us, 1)
    out.pingpong_count = r.count
    log(`${out.impl} ping-pong median ${round(r.median_us, 1)} µs, p99 ${round(r.p99_us, 1)} µs (${r.count} round trips of ${size.size} B)${c}`)
  } else if (w === 'handshakes') {
    out.handshakes_s = Math.round(r.count / r.secs)
    out.handshakes = r.count
    log(`${out.impl} handshakes ${out.handshakes_s}/s (${r.count} opened and closed in ${round(r.secs, 2)} s)${c}`)
  } else if (w === 'memory') {
    out.idle_bytes_per_assoc = Math.round(r.rss)
    out.idle_heap_bytes_per_assoc = Math.round(r.heap)
    out.idle_assocs = r.opened
    log(`${out.impl} memory ${Math.round(r.rss)} B RSS per idle association end, of which JS heap ${Math.round(r.heap)} B (${r.opened} open, both ends here; opened in ${round(r.secs, 2)} s)${c}`)
  }
  if (r.capped) out[`${w}_capped`] = true
}

const round = (x, d) => Math.round(x * 10 ** d) / 10 ** d

module.exports = { main, FULL, MIB }
