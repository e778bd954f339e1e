'use strict'
// Fuzzing from JavaScript: hostile packets injected into live associations in
// every state — listening, COOKIE-WAIT, after the INIT ACK, COOKIE-ECHOED,
// established with data flowing both ways, SHUTDOWN-SENT and
// SHUTDOWN-ACK-SENT. Packets are random bytes, truncations, splices and field
// mutations (lengths, chunk types, TSNs, stream ids, verification tags right
// and wrong, cookie bytes) of packets the two sides really exchanged, mostly
// with a valid CRC32c so they get past the checksum; and shapes aimed at what
// broke before: SACKs full of gap blocks, DATA on every other TSN far above
// the hole, stream ids at or above MIS, SSNs across the wrap, T-bit ABORTs.
//
// The verdict: no crash, no uncaught exception, no panic caught in the native
// layer, no packet of ours larger than 1,228 bytes or with a chunk running
// past its end, and every association either still exchanges messages afterwards or
// has ended — with an 'error', or gracefully when a well-tagged SHUTDOWN was
// forged. One that is alive but can no longer carry a message fails the test.
//
// SCTP_FUZZ_PACKETS: packets to inject (default 1,000,000); SCTP_FUZZ_SEED.

const test = require('node:test')
require('./helpers/leaks')
const assert = require('node:assert/strict')
const { setImmediate: nextTurn, setTimeout: sleep } = require('timers/promises')
const sctp = require('..')
const { mulberry32 } = require('../lib/emulator')
const P = require('./helpers/packets')

const TOTAL = Number(process.env.SCTP_FUZZ_PACKETS) || 1000000
const SEED = Number(process.env.SCTP_FUZZ_SEED) || 20260523
const PARALLEL = 3 // scenarios at once: one waits on a timer while another injects
const BATCH = 500 // packets per event-loop turn (one native input() call)
const STAGE = { listening: 300, cookieWait: 300, initAckSent: 300, cookieEchoed: 300, established: 12000, shutdownSent: 600, shutdownAckSent: 600 }
// Errors an association may legitimately end with under attack; ERR_SCTP_INTERNAL (a panic) is not one.
const EXPECTED_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ENOBUFS'])

// --- the mutator ----------------------------------------------------------------------------

const I16 = [0, 1, 2, 3, 4, 5, 8, 0x7fff, 0x8000, 0xfffe, 0xffff]
const I32 = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]
// Chunks that end an association when well tagged: rarely chosen, so most associations live on.
const KILLERS = new Set([P.CT.ABORT, P.CT.ERROR, P.CT.SHUTDOWN, P.CT.SHUTDOWN_ACK, P.CT.SHUTDOWN_COMPLETE])
const KNOWN = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 64, 128, 129, 130, 132, 192, 193, 194]
// Field offsets (from the chunk value) and sizes worth aiming at, per chunk type.
const FIELDS = {
  [P.CT.DATA]: [[0, 4], [4, 2], [6, 2], [8, 4]], // TSN, stream, SSN, PPID
  [P.CT.INIT]: [[0, 4], [4, 4], [8, 2], [10, 2], [12, 4], [16, 2], [18, 2]], // tag, a_rwnd, OS, MIS, TSN, param type/len
  [P.CT.INIT_ACK]: [[0, 4], [4, 4], [8, 2], [10, 2], [12, 4], [16, 2], [18, 2]],
  [P.CT.SACK]: [[0, 4], [4, 4], [8, 2], [10, 2], [12, 2], [14, 2]], // cum TSN, a_rwnd, #gaps, #dups, first gap
  [P.CT.SHUTDOWN]: [[0, 4]],
  [P.CT.HEARTBEAT]: [[0, 2], [2, 2]],
  [P.CT.HEARTBEAT_ACK]: [[0, 2], [2, 2]],
  [P.CT.ABORT]: [[0, 2], [2, 2]],
  [P.CT.ERROR]: [[0, 2], [2, 2]],
  [P.CT.FORWARD_TSN]: [[0, 4], [4, 2], [6, 2]],
  [P.CT.RECONFIG]: [[0, 2], [2, 2], [4, 4], [8, 4], [12, 4], [16, 2]]
}

class Mutator {
  constructor (seed) {
    this.rand = mulberry32(seed)
    this.counts = { random: 0, truncated: 0, spliced: 0, synthesized: 0, targeted: 0, fields: 0, goodCrc: 0, rightTag: 0 }
  }

  int (n) { return Math.floor(this.rand() * n) }
  pick (a) { return a[this.int(a.length)] }
  bytes (n) {
    const b = Buffer.allocUnsafe(n)
    for (let i = 0; i < n; i++) b[i] = this.int(256)
    return b
  }

  chunkType () {
    for (;;) {
      const t = this.rand() < 0.5 ? this.pick(KNOWN) : this.int(256)
      if (!KILLERS.has(t) || this.rand() < 0.05) return t
    }
  }

  // One hostile packet derived from `templates`, real packets addressed to the target.
  packet (templates, rightTag) {
    const r = this.rand()
    let p
    let fix = this.rand() < 0.9
    const tpl = this.pick(templates)
    if (r < 0.04) {
      this.counts.random++
      p = this.bytes(this.int(1500))
      if (p.length >= 12 && this.rand() < 0.5) tpl.copy(p, 0, 0, 8) // right ports and tag
    } else if (r < 0.08) {
      this.counts.truncated++
      p = Buffer.from(tpl.subarray(0, this.int(tpl.length)))
    } else if (r < 0.16) {
      this.counts.spliced++
      const parts = [tpl.subarray(0, 12)]
      for (let n = 1 + this.int(6); n > 0; n--) {
        const src = P.parse(this.pick(templates))
        if (src && src.chunks.length) {
          const c = this.pick(src.chunks)
          parts.push(P.chunk(c.type, c.flags, c.value))
        }
      }
      p = Buffer.concat(parts)
    } else if (r < 0.22) {
      this.counts.synthesized++
      p = Buffer.concat([tpl.subarray(0, 12), P.chunk(this.chunkType(), this.int(256), this.bytes(this.int(80)))])
    } else if (r < 0.3) {
      p = this.targeted(tpl)
    } else {
      this.counts.fields++
      p = Buffer.from(tpl)
      for (let n = 1 + this.int(3); n > 0; n--) p = this.field(p)
    }
    if (p.length >= 12) {
      const t = this.rand()
      if (t < 0.2 && rightTag) p.writeUInt32BE(rightTag, 4)
      else if (t < 0.28) p.writeUInt32BE(this.int(0x100000000), 4)
      else if (t < 0.3) p.writeUInt32BE(0, 4)
      else if (t < 0.32) p.writeUInt32BE((rightTag + (this.rand() < 0.5 ? 1 : -1)) >>> 0, 4)
      else if (t < 0.33) p.writeUInt16BE(this.int(65536), this.rand() < 0.5 ? 0 : 2)
      if (p.readUInt32BE(4) === rightTag) this.counts.rightTag++
      if (fix) {
        P.setChecksum(p)
        this.counts.goodCrc++
      } else {
        p[this.int(p.length)] ^= 1 << this.int(8)
        fix = false
      }
    }
    return p
  }

  // A packet of a shape that once broke us, on the template's header and TSN.
  targeted (tpl) {
    this.counts.targeted++
    const head = tpl.subarray(0, 12)
    const parsed = P.parse(tpl)
    const d = parsed && parsed.chunks.find((c) => c.type === P.CT.DATA && c.value.length >= 4)
    const tsn = d ? d.value.readUInt32BE(0) : this.int(0x100000000)
    const some = (n, f) => Array.from({ length: 1 + this.int(n) }, (_, i) => f(i))
    const tiny = () => this.bytes(1 + this.int(8))
    switch (this.int(4)) {
      case 0: // a SACK of every other TSN, with duplicates: its length once wrapped
        return Buffer.concat([head, P.sack({
          cumTsn: tsn - 1 - this.int(3),
          gaps: some(400, (i) => [2 * i + 2, 2 * i + 2]),
          dups: some(20, () => tsn)
        })])
      case 1: // every other TSN above a hole, sometimes far above it, on streams at or above MIS (4)
        return Buffer.concat([head, ...some(40, (i) => P.data({
          tsn: tsn + 2 * i + 2 + (this.rand() < 0.3 ? 20000 : 0),
          stream: this.pick([0, 3, 4, 5, 255, 0x7fff, 0xffff]),
          ssn: this.int(65536),
          payload: tiny()
        }))])
      case 2: // ordered messages behind a hole with SSNs across the wrap
        return Buffer.concat([head, ...some(40, (i) => P.data({
          tsn: tsn + 2 * i + 2,
          stream: this.int(4),
          ssn: (0xfff0 + 2 * i + this.int(3)) & 0xffff,
          payload: tiny()
        }))])
      default: // the T bit: valid only with the sender's own tag (set below, right or wrong)
        return Buffer.concat([head, this.rand() < 0.5 ? P.abort({ t: true }) : P.shutdownComplete(true)])
    }
  }

  // One mutation of one field of a chunk (or of the packet's structure).
  field (p) {
    const parsed = P.parse(p)
    if (!parsed || parsed.chunks.length === 0) {
      if (p.length) p[this.int(p.length)] = this.int(256)
      return p
    }
    const c = this.pick(parsed.chunks)
    const v = c.offset + 4 // where the chunk value starts
    const m = this.rand()
    if (m < 0.08) {
      p[c.offset] = this.chunkType()
    } else if (m < 0.14) {
      p[c.offset + 1] = this.int(256)
    } else if (m < 0.26) {
      const len = c.length
      p.writeUInt16BE(this.pick([0, 1, 3, 4, 5, len - 1, len + 1, len + 4, len - 4, this.int(65536), 0xffff].map((x) => x & 0xffff)), c.offset + 2)
    } else if (m < 0.62 && FIELDS[c.type]) {
      const [off, size] = this.pick(FIELDS[c.type])
      if (v + off + size <= p.length) this.number(p, v + off, size)
    } else if (m < 0.7 && c.type === P.CT.COOKIE_ECHO && c.value.length) {
      for (let n = 1 + this.int(4); n > 0; n--) p[v + this.int(c.value.length)] ^= 1 << this.int(8)
    } else if (m < 0.86) {
      const at = c.offset + this.int(c.length)
      if (this.rand() < 0.5 && at + 4 <= p.length) this.number(p, at & ~1, this.rand() < 0.5 ? 2 : 4)
      else p[at] = this.int(256)
    } else {
      const whole = p.subarray(c.offset, c.offset + ((c.length + 3) & ~3))
      const s = this.rand()
      if (s < 0.4) return Buffer.concat([p, ...Array.from({ length: 1 + this.int(40) }, () => whole)]) // repeated chunk
      if (s < 0.6) return Buffer.concat([p.subarray(0, c.offset), p.subarray(c.offset + whole.length)]) // chunk removed
      if (s < 0.8) return Buffer.concat([p, this.bytes(1 + this.int(64))]) // trailing junk
      return Buffer.concat([p.subarray(0, c.offset), this.bytes(4 * (1 + this.int(4))), p.subarray(c.offset)]) // junk before a chunk
    }
    return p
  }

  number (p, at, size) {
    const cur = size === 4 ? p.readUInt32BE(at) : p.readUInt16BE(at)
    const mod = size === 4 ? 0x100000000 : 0x10000
    const r = this.rand()
    let x
    if (r < 0.3) x = this.pick(size === 4 ? I32 : I16)
    else if (r < 0.7) x = cur + (this.int(17) - 8)
    else if (r < 0.8) x = cur + mod / 2
    else x = this.int(mod)
    x = ((x % mod) + mod) % mod
    if (size === 4) p.writeUInt32BE(x, at)
    else p.writeUInt16BE(x, at)
  }
}

// --- one association, from listening to closed, under fire -------------------------------------

class Scenario {
  constructor (id, fuzz, corpus, results) {
    this.id = id
    this.fuzz = fuzz
    this.corpus = corpus
    this.results = results
    this.pair = P.recordingPair({ record: 0 })
    // The packets of the association under test (not the answers to the fuzz), and its tags.
    this.real = { a: [], b: [] }
    this.seen = { a: 0, b: 0 }
    this.tags = { a: 0, b: 0 } // the tag each side expects
    this.pair.tap = (side, pkt) => this.onWire(side, pkt)
    this.server = sctp.createServer({ transport: this.pair.b })
    this.server.listen({ port: 5000, OS: 4, MIS: 4 })
    this.sock = null
    this.client = null
    this.informedLog = [] // [side, stage, packet] of every packet that knew the association
    this.ends = new Map() // 'client' | 'server' -> { hadError, error, stage }
    this.stage = 'listening'
    // blind: the attacker never knows the association (it must not notice a thing);
    // handshake: the attacker knows it from the INIT on; deep: from ESTABLISHED on.
    this.mode = ['blind', 'handshake', 'deep', 'deep'][id % 4]
    // How many of the attacker's packets are informed: from a trickle to a flood.
    this.q = [0.002, 0.02, 0.2, 1][Math.floor(id / 4) % 4]
    this.server.on('connection', (s) => { this.sock = s; this.watch('server', s) })
  }

  watch (name, s) {
    let error = null
    s.on('error', (e) => { error = error || e })
    s.on('close', (hadError) => this.ends.set(name, { hadError, error, stage: this.stage }))
    s.on('data', () => {})
  }

  dead () { return this.ends.size > 0 }

  // Learns the tags from the client's INIT and the server's INIT ACK to it,
  // and keeps the packets of this association: the first 50, then the latest 150.
  onWire (side, pkt) {
    const p = P.parse(pkt)
    const used = p && p.chunks.length ? p.chunks.at(-1).offset + p.chunks.at(-1).length : 12
    if (!p || pkt.length > 1228 || (pkt.length - used) > 3) {
      this.results.failures.push(`side ${side} sent a malformed packet of ${pkt.length} bytes: ${pkt.subarray(0, 64).toString('hex')}`)
    }
    if (!p) return
    const c = p.chunks[0]
    if (side === 'a' && !this.tags.a && c && c.type === P.CT.INIT) this.tags.a = P.initInfo(c.value).tag
    if (side === 'b' && !this.tags.b && c && c.type === P.CT.INIT_ACK && p.vtag === this.tags.a && this.tags.a) {
      this.tags.b = P.initInfo(c.value).tag
    }
    const mine = side === 'a'
      ? (this.tags.b && p.vtag === this.tags.b) || (c && c.type === P.CT.INIT && P.initInfo(c.value).tag === this.tags.a)
      : this.tags.a && p.vtag === this.tags.a
    if (!mine) return
    const kept = this.real[side]
    if (kept.length < 200) kept.push(pkt)
    else kept[50 + (this.seen[side] % 150)] = pkt
    this.seen[side]++
  }

  tagFor (side) { return this.tags[side] }

  // Whether this packet comes from an attacker who knows the association (its
  // tags, its packets): never when blind; otherwise with probability `q`,
  // from the INIT on (handshake) or from ESTABLISHED on (deep).
  informed () {
    if (this.mode === 'blind') return false
    if (this.mode === 'deep' && !(this.stage === 'established' || this.stage.startsWith('shutdown'))) return false
    return this.fuzz.rand() < this.q
  }

  async inject (count) {
    const { fuzz, pair, corpus } = this
    for (let sent = 0; sent < count;) {
      for (const side of ['a', 'b']) {
        if (side === 'a' && !this.client) continue
        const other = side === 'b' ? corpus.toServer : corpus.toClient
        // An uninformed attacker only has another association's packets: wrong tags, wrong TSNs.
        const known = this.real[side === 'b' ? 'a' : 'b'].concat(other)
        const tag = this.tagFor(side)
        const n = Math.min(BATCH, count - sent)
        for (let i = 0; i < n; i++) {
          if (this.informed()) {
            const pkt = fuzz.packet(known, tag)
            if (this.informedLog.length < 20000) this.informedLog.push([side, this.stage, pkt])
            pair.inject(side, pkt)
          } else {
            pair.inject(side, fuzz.packet(other, 0))
          }
        }
        sent += n
        this.results.packets += n
        const key = `${this.mode}${this.mode === 'blind' ? '' : ` q=${this.q}`}/${this.stage}`
        this.results.byStage[key] = (this.results.byStage[key] || 0) + n
      }
      await nextTurn()
    }
  }

  async until (cond, ms) {
    const end = Date.now() + ms
    while (!cond()) {
      if (Date.now() > end) return false
      await sleep(2)
    }
    return true
  }

  has (side, type) {
    return this.pair.held[side].some((p) => P.chunkTypes(p).includes(type))
  }

  async run () {
    const { pair } = this
    await this.inject(STAGE.listening)

    // COOKIE-WAIT: the INIT is held back.
    pair.hold.a = true
    this.stage = 'cookieWait'
    this.client = sctp.connect({ transport: pair.a, port: 5000, localPort: 5001, OS: 4, MIS: 4 })
    this.watch('client', this.client)
    await this.until(() => this.has('a', 'INIT'), 2000)
    await this.inject(STAGE.cookieWait)

    // The server has answered with an INIT ACK (held): it keeps handshake state.
    pair.hold.b = true
    pair.hold.a = false
    pair.release('a')
    this.stage = 'initAckSent'
    await this.until(() => this.has('b', 'INIT_ACK') || this.dead(), 2000)
    await this.inject(STAGE.initAckSent)

    // COOKIE-ECHOED: the client's COOKIE ECHO is held.
    pair.hold.a = true
    pair.hold.b = false
    pair.release('b')
    this.stage = 'cookieEchoed'
    await this.until(() => this.has('a', 'COOKIE_ECHO') || this.dead(), 2000)
    await this.inject(STAGE.cookieEchoed)
    pair.hold.a = false
    pair.release('a')

    // ESTABLISHED, with data flowing both ways while the packets come in.
    this.stage = 'established'
    await this.until(() => (this.client._connected && this.sock && this.sock._connected) || this.dead(), 8000)
    if (!this.dead() && !(this.client._connected && this.sock)) {
      return this.fail('handshake neither completed nor failed')
    }
    if (!this.dead()) {
      const stop = this.flow()
      for (let left = STAGE.established; left > 0 && !this.dead(); left -= 2000) await this.inject(Math.min(2000, left))
      stop()
    } else {
      await this.inject(STAGE.established / 4) // still counts: packets for an association that is gone
    }
    if (!(await this.alive())) return this.settle()
    this.proven = true
    this.results.provenAlive++

    // SHUTDOWN-SENT (client), then SHUTDOWN-ACK-SENT (server).
    pair.hold.a = (pkt) => P.chunkTypes(pkt).includes('SHUTDOWN')
    this.client.end()
    this.stage = 'shutdownSent'
    await this.until(() => this.pair.held.a.length > 0 || this.dead(), 3000)
    await this.inject(STAGE.shutdownSent)
    pair.hold.b = (pkt) => P.chunkTypes(pkt).includes('SHUTDOWN_ACK')
    pair.hold.a = false
    pair.release('a')
    this.stage = 'shutdownAckSent'
    await this.until(() => this.pair.held.b.length > 0 || this.dead(), 3000)
    await this.inject(STAGE.shutdownAckSent)
    pair.hold.b = false
    pair.release('b')
    return this.settle()
  }

  // Keeps messages flowing both ways on four streams (one unordered) until stopped.
  flow () {
    let running = true
    const go = (s, id) => {
      const stream = s.createStream(id, { unordered: id === 3 })
      stream.on('error', () => {})
      let k = 0
      // A few messages per turn of the event loop, so the flow does not swamp the test.
      const next = () => {
        for (let i = 0; i < 3 && running && !s.destroyed && s._connected; i++) {
          k++
          if (!stream.write(Buffer.alloc(1 + (k * 97) % 3000, k))) return stream.once('drain', next)
        }
        if (running && !s.destroyed) setImmediate(next)
      }
      next()
    }
    // A forged INIT (ACK) in the handshake may legitimately offer fewer streams.
    for (const s of [this.client, this.sock]) for (let id = 0; id < Math.min(4, s.OS); id++) go(s, id)
    return () => { running = false }
  }

  // After the fuzz: an unordered message each way, or an end.
  async alive () {
    if (this.dead()) return false
    const ok = await Promise.all([[this.client, this.sock], [this.sock, this.client]].map(([from, to]) => new Promise((resolve) => {
      const token = `alive ${this.id} ${Math.random()}`
      const timer = setTimeout(() => { to.removeListener('message', on); resolve(false) }, 4000)
      const on = (d) => { if (String(d) === token) { clearTimeout(timer); to.removeListener('message', on); resolve(true) } }
      to.on('message', on)
      try { from.createStream(3, { unordered: true }).write(token) } catch { resolve(false) }
    })))
    return ok.every(Boolean)
  }

  // An association that did not prove alive must end by itself (ABORT,
  // association_max_retrans, heartbeats, shutdown deadline): waits for that, records how.
  async settle () {
    const over = () => this.ends.has('client') && (!this.sock || this.ends.has('server'))
    if (!(await this.until(over, 20000))) {
      this.dump()
      const ended = [...this.ends].map(([n, e]) => `${n} ${e.error ? e.error.code : 'gracefully'} in ${e.stage}`)
      return this.fail(`stuck in ${this.stage}: neither exchanging messages nor closed (${this.mode} q=${this.q}; ended: ${ended.join(', ') || 'none'})`)
    }
    for (const [name, e] of this.ends) {
      const key = e.hadError ? `${name}: ${e.error ? e.error.code : '?'} in ${e.stage}` : `${name}: graceful in ${e.stage}`
      this.results.outcomes[key] = (this.results.outcomes[key] || 0) + 1
      if (e.hadError && !(e.error && EXPECTED_ERRORS.has(e.error.code))) {
        this.results.failures.push(`${name} ended with ${e.error && e.error.code} (${e.error && e.error.message}) in ${e.stage}`)
      }
    }
    // Packets that do not carry the association's tag must change nothing at all.
    if (this.mode === 'blind' && (!this.proven || [...this.ends.values()].some((e) => e.hadError))) {
      this.results.failures.push(`blind scenario ${this.id}: disturbed: ${JSON.stringify([...this.ends].map(([n, e]) => [n, e.error && e.error.message, e.stage]))}`)
    }
    this.cleanup()
  }

  // What a stuck association was fed, for replaying it (SCTP_FUZZ_DUMP=dir).
  dump () {
    const dir = process.env.SCTP_FUZZ_DUMP
    if (!dir) return
    const file = require('path').join(dir, `sctp-fuzz-stuck-${this.id}.json`)
    require('fs').writeFileSync(file, JSON.stringify({
      mode: this.mode,
      q: this.q,
      tags: this.tags,
      ends: [...this.ends].map(([n, e]) => [n, e.hadError, e.error && e.error.message, e.stage]),
      sent: { a: this.real.a.map((p) => p.toString('hex')), b: this.real.b.map((p) => p.toString('hex')) },
      informed: this.informedLog.map(([side, stage, p]) => [side, stage, p.toString('hex'), P.chunkTypes(p).join()]),
      client: this.client && { connected: this.client._connected, closed: this.client._closed, stats: this.client.transportStats() },
      server: this.sock && { connected: this.sock._connected, closed: this.sock._closed, stats: this.sock.transportStats() }
    }, null, 1))
  }

  fail (why) {
    this.results.failures.push(`scenario ${this.id}: ${why}`)
    this.cleanup()
  }

  cleanup () {
    const stats = this.pair.b.destroyed ? null : this.server._ep && this.server._ep.stats()
    if (stats) this.results.panics += stats.panics
    if (this.client && this.client._ep) this.results.panics += this.client._ep.stats().panics
    if (this.client) this.client.destroy()
    if (this.sock) this.sock.destroy()
    this.server.close()
    setImmediate(() => { this.pair.a.destroy(); this.pair.b.destroy() })
  }
}

// One clean association, recorded: the templates for the first scenarios' wrong-tag packets.
async function captureCorpus () {
  const pair = P.recordingPair()
  const server = sctp.createServer({ transport: pair.b })
  server.listen({ port: 5000, OS: 4, MIS: 4 })
  const client = sctp.connect({ transport: pair.a, port: 5000, localPort: 5001, OS: 4, MIS: 4 })
  const [sock] = await new Promise((resolve) => server.once('connection', (...a) => resolve(a)))
  client.resume()
  sock.resume()
  for (let i = 0; i < 4; i++) {
    client.createStream(i, { unordered: i === 3 }).write(Buffer.alloc(100 + i * 1500, i))
    sock.createStream(i).write(Buffer.alloc(200 + i * 1500, i))
  }
  await sleep(300) // a delayed SACK
  const closedBoth = Promise.all([new Promise((resolve) => client.once('close', resolve)), new Promise((resolve) => sock.once('close', resolve))])
  client.end()
  await closedBoth
  server.close()
  return { toServer: pair.sent.a, toClient: pair.sent.b }
}

test(`fuzz: ${TOTAL.toLocaleString('en')} hostile packets into associations in every state`, { timeout: 30000 + TOTAL / 5 }, async (t) => {
  const saved = sctp.defaults()
  // Fast timers, and failure detection that does not take minutes.
  sctp.defaults({ rto_initial: 100, rto_min: 50, rto_max: 1000, max_init_retransmits: 3, association_max_retrans: 4, valid_cookie_life: 3000, hb_interval: 1000 })
  const uncaught = []
  const onUncaught = (e) => uncaught.push(e)
  process.on('uncaughtException', onUncaught)
  try {
    const corpus = await captureCorpus()
    assert.ok(corpus.toServer.length >= 5 && corpus.toClient.length >= 5)
    const results = { packets: 0, scenarios: 0, provenAlive: 0, panics: 0, byStage: {}, outcomes: {}, failures: [] }
    const started = process.hrtime.bigint()
    const fuzzers = []
    let next = 0
    await Promise.all(Array.from({ length: PARALLEL }, async (_, lane) => {
      const fuzz = new Mutator(SEED + lane)
      fuzzers.push(fuzz)
      while (results.packets < TOTAL) {
        const sc = new Scenario(next++, fuzz, corpus, results)
        results.scenarios++
        await sc.run()
      }
    }))
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    const mix = {}
    for (const f of fuzzers) for (const [k, v] of Object.entries(f.counts)) mix[k] = (mix[k] || 0) + v
    t.diagnostic(`${results.packets.toLocaleString('en')} packets in ${seconds.toFixed(1)} s = ${Math.round(results.packets / seconds).toLocaleString('en')} packets/s; ${results.scenarios} associations, ${results.provenAlive} proven alive after the fuzz`)
    t.diagnostic(`per state: ${JSON.stringify(results.byStage)}`)
    t.diagnostic(`mix: ${JSON.stringify(mix)}`)
    t.diagnostic(`endings: ${JSON.stringify(results.outcomes)}`)
    assert.deepEqual(results.failures, [])
    assert.deepEqual(uncaught, [])
    assert.equal(results.panics, 0, 'panics caught in the native layer')
    assert.ok(results.packets >= TOTAL)
    assert.ok(results.provenAlive > 0, 'some associations survived the fuzz and still carried messages')
  } finally {
    process.removeListener('uncaughtException', onUncaught)
    sctp.defaults(saved)
  }
})

test('fuzz: the mutator keeps CRC32c valid where asked and varies every field it claims to', () => {
  const fuzz = new Mutator(1)
  const tpl = [P.packet(5001, 5000, 1234, [P.data({ tsn: 10, stream: 1, ssn: 2, ppid: 51, payload: Buffer.from('hello') })]),
    P.packet(5001, 5000, 1234, [P.sack({ cumTsn: 9, gaps: [[2, 3]] })])]
  let good = 0
  const types = new Set()
  for (let i = 0; i < 20000; i++) {
    const p = fuzz.packet(tpl, 1234)
    if (P.checksumOk(p)) good++
    const parsed = P.parse(p)
    if (parsed) for (const c of parsed.chunks) types.add(c.type)
  }
  assert.ok(good > 20000 * 0.8, `${good} with a valid checksum`)
  assert.ok(types.size > 100, `${types.size} chunk types seen`)
  assert.ok(fuzz.counts.rightTag > 20000 * 0.7)
})
