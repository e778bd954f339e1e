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
// loss workloads' (seeded, so a run drops the same packets every time): one
// chunk = one packet, delivered on a later setImmediate, as a network would;
// the delay workload's on a timer, 25 ms later.
//
// The loss workloads (loss, loss5, delay) also report the longest stall: the
// longest gap between two consecutive deliveries of a message at the receiver
// during the timed transfer. loss5 checks every byte: message k carries k
// (big-endian uint32) in bytes 0..3 and (k + j) & 0xff in every later byte j
// (usrsctp-peer's source pattern), and the receiver checks count, order and
// content.
//
// Usage: node benches/peers/<impl>.js [--quick] [--only bulk,small,...] [--budget S]
// Human-readable lines go to stderr; stdout gets one JSON line with every number.
const v8 = require('v8')
const vm = require('vm')
const { emulatedPair } = require('../../lib/emulator')

const MIB = 1048576
const DELAY_MIB = 4
const WORKLOADS = ['bulk', 'small', 'pingpong', 'handshakes', 'loss', 'memory', 'delay', 'loss5']
const SEED = 0x2545f491
const link = (delay = 0) => emulatedPair({ seed: SEED, delay })

// Full sizes, as in the engine bench; an adapter may scale them down (see `scale`).
const FULL = {
  bulk: { bytes: 64 * MIB, size: 16384 },
  small: { count: 200000, size: 100 },
  pingpong: { count: 5000, size: 64 },
  handshakes: { count: 1000 },
  loss: { bytes: 64 * MIB, size: 16384, rate: 0.01 },
  memory: { count: 10000 },
  // 25 ms one way (50 ms RTT) and 1% loss both ways: congestion-limited, so
  // smaller, and cut at `budget` s (or the --budget, if shorter).
  delay: { bytes: DELAY_MIB * MIB, size: 16384, rate: 0.01, delay: 25, budget: 20 },
  // 5% loss both ways, every byte checked (see above).
  loss5: { bytes: 16 * MIB, size: 16384, rate: 0.05, verify: true, budget: 20 }
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
// to last byte received. `delay`: one-way ms of the link (from the start);
// `rate`: loss both ways, after the handshake and warm-up; `verify`: messages
// carry the pattern (see above) and the receiver checks each one.
async function oneWay (adapter, { name, bytes, size, rate = 0, delay = 0, verify = false }, budgetMs) {
  const pair = link(delay)
  const conn = await adapter.open(pair, name)
  const msg = Buffer.alloc(size, 0x5a)
  const templates = verify ? patterns(size) : null
  let got = 0
  let msgs = 0
  let target = Math.max(size * 16, Math.floor(bytes / WARM_UP)) // the warm-up
  let arrived
  let timed = false // the timed transfer (not the warm-up)
  let last = 0 // ms of the last delivery in it
  let stall = 0 // longest gap between two deliveries in it, ms
  let stallAt = 0 // when it ended, ms after t0
  const check = { bad: 0, outOfOrder: 0, dup: 0, seen: new Set(), first: null } // verify: wrong content / not the k-th / again
  let t0 = 0
  conn.server.onMessage((m) => {
    got += m.length
    if (timed) {
      const t = now()
      if (last && t - last > stall) { stall = t - last; stallAt = t - t0 }
      last = t
      if (verify) verifyOne(m, msgs, templates, check)
    }
    msgs++
    if (got >= target) arrived()
  })
  const send = async (total, done, pattern) => {
    let stop = false
    done.then(() => { stop = true })
    for (let sent = 0, k = 0; sent < total && !stop; sent += size, k++) {
      const m = pattern ? withIndex(templates, k) : msg
      if (!conn.client.write(m)) await Promise.race([conn.client.writable(), done])
    }
    await done
  }
  await send(target, new Promise((resolve) => { arrived = resolve }), false)
  got = 0
  msgs = 0
  target = bytes
  timed = true
  pair.set({ loss: rate }) // after the handshake and warm-up: loss applies to the measured data only
  const st0 = (conn.stats && conn.stats()) || {}
  const w0 = pair.stats.aToB.written + pair.stats.bToA.written
  let capped = false
  let timer
  const done = new Promise((resolve) => {
    arrived = resolve
    timer = setTimeout(() => { capped = true; resolve() }, budgetMs)
  })
  t0 = now()
  await send(bytes, done, verify)
  clearTimeout(timer)
  const t1 = now()
  const secs = (t1 - t0) / 1000
  // Stopped at the budget: the stall still going on counts too (from t0 if nothing came).
  if (capped && t1 - (last || t0) > stall) { stall = t1 - (last || t0); stallAt = t1 - t0 }
  const { aToB, bToA } = pair.stats
  const result = { bytes: got, msgs, secs, capped, dropped: aToB.lost + bToA.lost, packets: aToB.written + bToA.written - w0, stall_ms: stall, stall_at_s: stallAt / 1000 }
  const st = conn.stats && conn.stats()
  if (st && typeof st.t3Timeouts === 'number') { result.t3 = st.t3Timeouts - st0.t3Timeouts; result.fast = st.fastRetransmits - st0.fastRetransmits }
  if (verify) {
    const expected = Math.ceil(bytes / size)
    const problems = []
    if (got !== bytes || msgs !== expected) problems.push(`${got} of ${bytes} bytes, ${msgs} of ${expected} messages arrived${capped ? ' (stopped at the budget)' : ''}`)
    if (check.bad) problems.push(`${check.bad} with wrong content`)
    if (check.outOfOrder) problems.push(`${check.outOfOrder} not at their place in order`)
    if (check.dup) problems.push(`${check.dup} duplicated`)
    if (check.bad || check.outOfOrder || check.dup) problems.push(`${check.seen.size} distinct indices seen (first problem: ${check.first})`)
    result.verified = problems.length === 0
    result.verify_problem = problems.join('; ')
  }
  await closeSoon(conn)
  return result
}

// verify: one template per k & 255 (bytes 4.. depend on nothing else); message k
// is a copy with k in bytes 0..3 (a copy: an implementation may keep the buffer).
function patterns (size) {
  const t = []
  for (let k = 0; k < 256; k++) {
    const b = Buffer.allocUnsafe(size)
    for (let j = 0; j < size; j++) b[j] = (k + j) & 0xff
    t.push(b)
  }
  return t
}
function withIndex (templates, k) {
  const b = Buffer.from(templates[k & 255])
  if (b.length >= 4) b.writeUInt32BE(k >>> 0, 0)
  return b
}
// The receiver's check of the k-th message of the timed transfer: its content
// against the pattern of the index it carries, which must be k (in order).
function verifyOne (m, k, templates, check) {
  const i = m.length >= 4 ? m.readUInt32BE(0) : -1
  const t = templates[i & 255]
  if (i < 0 || m.length !== t.length || m.compare(t, 4, t.length, 4, m.length) !== 0) {
    check.bad++
    if (check.first === null) check.first = `#${k} has wrong content`
    return
  }
  if (check.seen.has(i)) check.dup++
  check.seen.add(i)
  if (i !== k) {
    check.outOfOrder++
    if (check.first === null) check.first = `#${k} carries index ${i}`
  }
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
      const run = { bulk: oneWay, small: oneWay, loss: oneWay, delay: oneWay, loss5: oneWay, pingpong: pingPong, handshakes, memory }[w]
      const s = w === 'small' ? { name: w, bytes: size.count * size.size, size: size.size } : { name: w, ...size }
      const ms = size.budget ? Math.min(budgetMs, size.budget * 1000) : budgetMs // a workload's own, shorter cut
      const r = await hardTimeout(run(adapter, s, ms), ms + 30000)
      if (size.budget && ms < budgetMs) out[`${w}_budget_s`] = ms / 1000
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
  const c = r.capped ? ` (stopped at the ${out[`${w}_budget_s`] || out.budget_s} s budget)` : ''
  const LABEL = { bulk: 'bulk   ', loss: 'bulk 1%', loss5: 'bulk 5%', delay: 'bulk 25 ms + 1%' }
  if (LABEL[w]) {
    const mib = r.bytes / MIB
    out[`${w}_mib_s`] = round(mib / r.secs, 2)
    out[`${w}_mib`] = round(mib, 2)
    out[`${w}_msg_size`] = size.size
    const lossy = w !== 'bulk'
    if (lossy) {
      out[`${w}_dropped`] = r.dropped
      if (r.t3 !== undefined) { out[`${w}_t3_timeouts`] = r.t3; out[`${w}_fast_retransmits`] = r.fast }
      out[`${w}_stall_ms`] = round(r.stall_ms, 1)
      out[`${w}_stall_at_s`] = round(r.stall_at_s, 2)
    }
    if (size.verify) {
      out[`${w}_verified`] = r.verified ? 1 : 0
      if (!r.verified) out[`${w}_verify_problem`] = r.verify_problem
    }
    log(`${out.impl} ${LABEL[w]} ${round(mib / r.secs, 2)} MiB/s (${round(mib, 1)} MiB in ${size.size} B messages in ${round(r.secs, 2)} s${lossy ? `, ${r.dropped} of ${r.packets} packets dropped, longest stall ${round(r.stall_ms, 1)} ms (ending ${round(r.stall_at_s, 2)} s in)${r.t3 !== undefined ? `, sender: ${r.t3} T3 timeouts, ${r.fast} fast retransmits` : ''}` : ''}${size.verify ? (r.verified ? ', every byte verified' : `, VERIFY FAILED: ${r.verify_problem}`) : ''})${c}`)
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
