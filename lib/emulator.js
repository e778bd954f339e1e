'use strict'
// A network emulator: two connected transports (one chunk = one packet)
// between which packets are lost, duplicated, reordered, delayed, corrupted or
// dropped for exceeding the MTU — reproducibly, from a seeded PRNG.
//
//   const pair = emulatedPair({ seed: 1, loss: 0.05, duplicate: 0.02, reorder: 0.05,
//                               delay: 5, jitter: 2, corrupt: 0.01, mtu: 1200 })
//   const [a, b] = pair
//   pair.stats        // { aToB: {...}, bToA: {...} } counts of what happened to packets
//   a.stats           // what happened to the packets a wrote (same object as pair.stats.aToB)
//   pair.set({ loss: 0.2 })             // both directions from now on
//   pair.set({ loss: 0 }, 'aToB')       // one direction
//
// Impairments (each a number, or per direction with `aToB` / `bToA` objects):
//   loss       probability a packet is dropped
//   duplicate  probability a packet is delivered twice (the copy with its own delay)
//   reorder    probability a packet is held back `reorderDelay` ms (default: delay + 2 × jitter + 5),
//              so packets written after it overtake it
//   delay      one-way delay, ms
//   jitter     extra delay, uniform in [0, jitter) ms; alone it does not reorder (a FIFO link)
//   corrupt    probability one random bit of the packet is flipped
//   mtu        packets longer than this many bytes are dropped (0 = no limit)
// Delivery is on a timer when there is a delay, else on setImmediate, as duplexPair.
const { Duplex } = require('stream')

const IMPAIRMENTS = ['loss', 'duplicate', 'reorder', 'reorderDelay', 'delay', 'jitter', 'corrupt', 'mtu']
const DIRECTIONS = ['aToB', 'bToA']

// mulberry32: a small, fast, seedable PRNG with good enough statistics for this.
function mulberry32 (seed) {
  let s = seed >>> 0
  return function next () {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function checkImpairments (params, where) {
  for (const [name, value] of Object.entries(params)) {
    if (DIRECTIONS.includes(name) || name === 'seed') continue
    if (!IMPAIRMENTS.includes(name)) throw new TypeError(`${where}: unknown impairment "${name}" (known: ${IMPAIRMENTS.join(', ')})`)
    if (typeof value !== 'number' || !(value >= 0)) throw new RangeError(`${where}: "${name}" must be a number >= 0, got ${value}`)
    if (['loss', 'duplicate', 'reorder', 'corrupt'].includes(name) && value > 1) {
      throw new RangeError(`${where}: "${name}" is a probability, got ${value}`)
    }
  }
}

function pick (params) {
  const out = {}
  for (const k of IMPAIRMENTS) if (params[k] !== undefined) out[k] = params[k]
  return out
}

function newStats () {
  return { written: 0, delivered: 0, lost: 0, duplicated: 0, reordered: 0, corrupted: 0, oversize: 0, bytes: 0 }
}

// One direction of the link: its impairments, PRNG, queue and counters.
class Link {
  constructor (seed, params) {
    this.rand = mulberry32(seed)
    this.p = { loss: 0, duplicate: 0, reorder: 0, delay: 0, jitter: 0, corrupt: 0, mtu: 0, ...params }
    this.stats = newStats()
    this.queue = [] // a binary heap of [at, seq, packet], earliest first
    this.seq = 0
    this.lastAt = 0 // FIFO: a packet that is not reordered never overtakes an earlier one
    this.timer = null
    this.timerAt = Infinity
    this.immediate = null
    this.to = null // the Duplex that receives
  }

  send (pkt) {
    const { p, stats } = this
    stats.written++
    if (p.mtu && pkt.length > p.mtu) {
      stats.oversize++
      return
    }
    if (p.loss && this.rand() < p.loss) {
      stats.lost++
      return
    }
    const copies = p.duplicate && this.rand() < p.duplicate ? 2 : 1
    if (copies === 2) stats.duplicated++
    for (let i = 0; i < copies; i++) {
      let out = pkt
      if (p.corrupt && this.rand() < p.corrupt && pkt.length > 0) {
        out = Buffer.from(pkt) // the other copy, and the sender's buffer, stay intact
        const bit = Math.floor(this.rand() * pkt.length * 8)
        out[bit >> 3] ^= 1 << (bit & 7)
        stats.corrupted++
      }
      this.schedule(out, i === 1)
    }
  }

  schedule (pkt, duplicate) {
    const { p } = this
    const now = performance.now()
    let at = now + p.delay + (p.jitter ? this.rand() * p.jitter : 0)
    if (p.reorder && this.rand() < p.reorder) {
      this.stats.reordered++
      at += p.reorderDelay !== undefined ? p.reorderDelay : p.delay + 2 * p.jitter + 5
    } else if (!duplicate) {
      at = Math.max(at, this.lastAt)
      this.lastAt = at
    }
    this.push([at, this.seq++, pkt])
    this.arm()
  }

  arm () {
    if (this.queue.length === 0) return
    const at = this.queue[0][0]
    const wait = at - performance.now()
    if (wait <= 0.5) {
      if (!this.immediate) this.immediate = setImmediate(() => { this.immediate = null; this.deliver() })
      return
    }
    if (this.timer && this.timerAt <= at) return
    if (this.timer) clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(() => {
      this.timer = null
      this.timerAt = Infinity
      this.deliver()
    }, Math.max(1, Math.floor(wait)))
  }

  deliver () {
    const now = performance.now() + 0.5
    while (this.queue.length && this.queue[0][0] <= now) {
      const [, , pkt] = this.pop()
      if (this.to.destroyed) continue
      this.stats.delivered++
      this.stats.bytes += pkt.length
      this.to.push(pkt)
    }
    this.arm()
  }

  stop () {
    if (this.timer) clearTimeout(this.timer)
    if (this.immediate) clearImmediate(this.immediate)
    this.timer = this.immediate = null
    this.queue = []
  }

  // --- binary heap on (at, seq) ---
  push (item) {
    const q = this.queue
    q.push(item)
    let i = q.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(q[i], q[parent])) break
      ;[q[i], q[parent]] = [q[parent], q[i]]
      i = parent
    }
  }

  pop () {
    const q = this.queue
    const top = q[0]
    const last = q.pop()
    if (q.length) {
      q[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < q.length && before(q[l], q[m])) m = l
        if (r < q.length && before(q[r], q[m])) m = r
        if (m === i) break
        ;[q[i], q[m]] = [q[m], q[i]]
        i = m
      }
    }
    return top
  }
}

function before (x, y) {
  return x[0] < y[0] || (x[0] === y[0] && x[1] < y[1])
}

function emulatedPair (opts = {}) {
  if (opts === null || typeof opts !== 'object') throw new TypeError('emulatedPair: options must be an object')
  checkImpairments(opts, 'emulatedPair')
  for (const d of DIRECTIONS) if (opts[d]) checkImpairments(opts[d], `emulatedPair ${d}`)
  const seed = opts.seed === undefined ? 1 : opts.seed >>> 0
  const common = pick(opts)
  const links = {
    aToB: new Link(seed, { ...common, ...pick(opts.aToB || {}) }),
    // A different stream of numbers for the other direction.
    bToA: new Link((seed ^ 0x9e3779b9) + 1, { ...common, ...pick(opts.bToA || {}) })
  }
  const make = (link) => new Duplex({
    readableObjectMode: true, // one chunk = one packet, never merged
    write (chunk, encoding, cb) {
      link.send(chunk)
      cb()
    },
    read () {},
    final (cb) {
      const peer = link.to
      setImmediate(() => peer.push(null))
      cb()
    },
    destroy (err, cb) {
      link.stop()
      cb(err)
    }
  })
  const a = make(links.aToB)
  const b = make(links.bToA)
  links.aToB.to = b
  links.bToA.to = a
  a.stats = links.aToB.stats
  b.stats = links.bToA.stats
  const pair = [a, b]
  pair.stats = { aToB: links.aToB.stats, bToA: links.bToA.stats }
  // Changes impairments from now on, in both directions or one ('aToB' / 'bToA').
  pair.set = (params, direction) => {
    checkImpairments(params, 'pair.set')
    if (direction !== undefined && !DIRECTIONS.includes(direction)) throw new TypeError(`pair.set: direction must be one of ${DIRECTIONS.join(', ')}`)
    for (const d of direction ? [direction] : DIRECTIONS) Object.assign(links[d].p, pick(params))
    return pair
  }
  pair.destroy = () => { a.destroy(); b.destroy() }
  return pair
}

module.exports = { emulatedPair, mulberry32 }
