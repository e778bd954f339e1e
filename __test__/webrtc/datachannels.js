'use strict'
// The W3C data-channel API (sctp.createSctpTransport) against libwebrtc's data channels, with DCEP
// (RFC 8832) in both directions. Two connections, each with sctp-native in the given DTLS role:
//
// 1. Everything a page would do: libwebrtc's channel, announced with the handshake, reaches us as
//    'datachannel'; ours reaches libwebrtc's ondatachannel; labels, protocols and reliability
//    settings cross in DCEP; 100 messages each way (strings and binary, in order), empty messages,
//    the largest message both sides allow (up to 256 KiB), 4 MiB each way with throughput, an
//    unordered maxRetransmits: 0 channel; a close from our side (timed: libwebrtc's channel must
//    be closed within 200 ms), a close from theirs ('closing', then 'close'), stream ids reused
//    after a close; and t.close(), which must close libwebrtc's remaining channels within 1 s.
// 2. libwebrtc's pc.close() (an ABORT, then DTLS goes): our channels and transport must close.
//
// usage:  __test__/webrtc/netns.sh node __test__/webrtc/datachannels.js server|client
//         SEAM_TRACE=1 for every SCTP packet on stderr.
const crypto = require('crypto')
const sctp = require('../..')
const { connect, scenario } = require('./seam')

const role = process.argv[2]
if (role !== 'server' && role !== 'client') { console.error('usage: node datachannels.js server|client'); process.exit(2) }

const KiB = 1024
const MiB = 1024 * KiB
const t0 = Date.now()
const log = (...a) => console.log(`[${role} ${String(Date.now() - t0).padStart(5)} ms]`, ...a)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function check (ok, message) {
  if (!ok) throw new Error(message)
}

function within (ms, what, executor) {
  return new Promise((resolve, reject) => {
    // `what` may be a function, to describe the state at the time of the timeout
    const t = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${typeof what === 'function' ? what() : what}`)), ms)
    executor((v) => { clearTimeout(t); resolve(v) }, (e) => { clearTimeout(t); reject(e) })
  })
}

const nextEvent = (target, type, ms, what) => within(ms, what, (resolve) => target.addEventListener(type, resolve, { once: true }))

// Polls: @roamhq/wrtc's events are not always dispatched (see README.md).
function until (ms, what, predicate) {
  return within(ms, what, (resolve) => {
    const poll = () => (predicate() ? resolve() : setTimeout(poll, 1))
    poll()
  })
}

const bytes = (data) => (data instanceof ArrayBuffer ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength))
function pattern (n, seed) {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff
  return b
}
// The i-th of a list of mixed messages: strings (some not ASCII), and binary of several shapes
// (ArrayBuffer, a Uint8Array that starts inside its buffer, a Buffer) and lengths.
function mixed (i, from) {
  if (i % 2 === 0) return `${from} #${i} ${'é€😀'.repeat(i % 5)}${'s'.repeat((i * 37) % 1500)}`
  const b = pattern(1 + (i * 97) % 3000, i)
  if (i % 3 === 0) return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) // ArrayBuffer
  if (i % 3 === 1) { const big = new Uint8Array(b.length + 16); big.set(b, 8); return big.subarray(8, 8 + b.length) }
  return b
}
function assertSame (got, want, what) {
  if (typeof want === 'string') {
    check(typeof got === 'string', `${what}: expected a string, got ${Object.prototype.toString.call(got)}`)
    check(got === want, `${what}: string of ${got.length} chars differs from the ${want.length} sent`)
  } else {
    check(got instanceof ArrayBuffer, `${what}: expected an ArrayBuffer, got ${typeof got === 'string' ? `the string ${JSON.stringify(got.slice(0, 40))}` : Object.prototype.toString.call(got)}`)
    check(bytes(got).equals(bytes(want)), `${what}: ${got.byteLength} B differ from the ${bytes(want).length} B sent`)
  }
}

// Collects a channel's messages, and resolves `count(n)` once n have arrived.
function inbox (ch) {
  const got = []
  const waiters = []
  ch.addEventListener('message', (e) => {
    got.push(e.data)
    for (const w of waiters.splice(0)) if (got.length >= w.n) w.resolve(); else waiters.push(w)
  })
  got.count = (n, ms, what) => within(ms, () => `${what} (${got.length} of ${n} arrived)`, (resolve) => {
    if (got.length >= n) resolve(); else waiters.push({ n, resolve })
  })
  return got
}

// What each channel fired, in order: 'open', 'closing', 'close', 'error'.
const seen = new WeakMap()
function lifecycle (ch) {
  const events = []
  for (const type of ['open', 'closing', 'close', 'error']) ch.addEventListener(type, () => events.push(type))
  seen.set(ch, events)
  return events
}

// libwebrtc's channels have no bufferedamountlow: poll bufferedAmount. Ours must have the event.
async function sendBulk (ch, total, chunk, ours) {
  const hash = crypto.createHash('sha256')
  const HIGH = 1 * MiB
  if (ours) ch.bufferedAmountLowThreshold = 256 * KiB
  for (let sent = 0, i = 0; sent < total; i++) {
    const b = pattern(Math.min(chunk, total - sent), i)
    hash.update(b)
    ch.send(b)
    sent += b.length
    if (ch.bufferedAmount > HIGH) {
      if (ours) await nextEvent(ch, 'bufferedamountlow', 20000, `'bufferedamountlow' on our ${ch.label} (bufferedAmount ${ch.bufferedAmount})`)
      else await until(20000, () => `libwebrtc's bufferedAmount to drain (${ch.bufferedAmount})`, () => ch.bufferedAmount < 256 * KiB)
    }
  }
  return hash.digest('hex')
}
function receiveBulk (ch, total, what) {
  const hash = crypto.createHash('sha256')
  let n = 0
  return within(30000, what, (resolve, reject) => {
    ch.addEventListener('message', (e) => {
      if (!(e.data instanceof ArrayBuffer)) return reject(new Error(`${what}: expected an ArrayBuffer, got ${typeof e.data}`))
      hash.update(Buffer.from(e.data))
      n += e.data.byteLength
      if (n >= total) resolve(hash.digest('hex'))
    })
  })
}

function createTransport (seam) {
  return sctp.createSctpTransport({
    transport: seam.transport,
    role,
    port: seam.sdp.local.port,
    remotePort: seam.sdp.remote.port,
    maxMessageSize: seam.sdp.local.maxMessageSize,
    remoteMaxMessageSize: seam.sdp.remote.maxMessageSize
  })
}

// Our channel and libwebrtc's ondatachannel for it: resolves [ours, theirs], both open.
async function openFromUs (seam, t, label, init, announced) {
  const theirs = within(5000, `libwebrtc's ondatachannel for '${label}'`, (resolve) => announced.set(label, resolve))
  const ours = t.createDataChannel(label, init)
  ours.binaryType = 'arraybuffer'
  lifecycle(ours)
  check(ours.readyState === 'connecting', `our new channel '${label}' is ${ours.readyState}, not connecting`)
  await nextEvent(ours, 'open', 5000, `'open' on our channel '${label}'`)
  const dc = await theirs
  await until(5000, () => `libwebrtc's '${label}' open`, () => dc.readyState === 'open')
  check(dc.id === ours.id, `'${label}': our id ${ours.id}, libwebrtc's ${dc.id}`)
  return [ours, dc]
}

async function fullRun () {
  log('--- run 1: data channels both ways, closes from both sides, t.close()')
  const seam = await connect({ libraryRole: role, channels: [['from-libwebrtc', { protocol: 'chat-v1' }]] })
  const [fromLibwebrtc] = seam.wrtc.channels
  const announced = new Map() // label -> resolve, for libwebrtc's ondatachannel
  const theirChannels = [fromLibwebrtc]
  seam.wrtc.pc.ondatachannel = (e) => {
    e.channel.binaryType = 'arraybuffer'
    theirChannels.push(e.channel)
    const resolve = announced.get(e.channel.label)
    if (resolve) resolve(e.channel)
  }
  let t
  try {
    log(`DTLS connected, sctp-native is DTLS ${seam.role}; SDP: ours ${JSON.stringify(seam.sdp.local)}, libwebrtc's ${JSON.stringify(seam.sdp.remote)}`)
    t = createTransport(seam)
    const states = [t.state]
    t.addEventListener('statechange', () => states.push(t.state))
    const datachannel = within(5000, "'datachannel' for libwebrtc's channel, whose OPEN came with the handshake", (resolve) => {
      t.addEventListener('datachannel', (e) => {
        const ch = e.channel
        ch.binaryType = 'arraybuffer'
        lifecycle(ch)
        if (ch.label === 'from-libwebrtc') resolve(ch)
      })
    })
    check(t.state === 'connecting', `t.state is ${t.state} right after createSctpTransport(), not connecting`)
    await until(5000, () => `t.state 'connected' (states: ${states})`, () => t.state === 'connected')
    check(states.join() === 'connecting,connected', `states ${states}, expected connecting,connected`)
    log(`transport connected: maxMessageSize ${t.maxMessageSize}, maxChannels ${t.maxChannels}`)
    check(t.maxMessageSize > 0 && t.maxMessageSize <= seam.sdp.remote.maxMessageSize, `t.maxMessageSize ${t.maxMessageSize} is not in (0, ${seam.sdp.remote.maxMessageSize}] (libwebrtc's a=max-message-size)`)
    check(Number.isInteger(t.maxChannels) && t.maxChannels > 0 && t.maxChannels <= 65535, `t.maxChannels ${t.maxChannels}`)

    // libwebrtc's channel, opened with DCEP during the handshake
    const a = await datachannel
    check(a.label === 'from-libwebrtc' && a.protocol === 'chat-v1', `their channel arrived as '${a.label}' protocol '${a.protocol}'`)
    check(a.id === fromLibwebrtc.id, `their channel: our id ${a.id}, libwebrtc's ${fromLibwebrtc.id}`)
    check(a.id % 2 === (role === 'client' ? 1 : 0), `libwebrtc (DTLS ${role === 'client' ? 'server' : 'client'}) opened id ${a.id}: RFC 8832 wants ${role === 'client' ? 'odd' : 'even'}`)
    check(a.ordered === true && a.maxRetransmits === null && a.maxPacketLifeTime === null && a.negotiated === false, `their reliable channel reads ordered ${a.ordered} maxRetransmits ${a.maxRetransmits} maxPacketLifeTime ${a.maxPacketLifeTime} negotiated ${a.negotiated}`)
    if (a.readyState !== 'open') await nextEvent(a, 'open', 5000, "'open' on libwebrtc's channel at our side")
    await until(5000, "libwebrtc's own channel open", () => fromLibwebrtc.readyState === 'open')
    log(`libwebrtc's channel '${a.label}' (protocol ${a.protocol}, id ${a.id}) reached us with 'datachannel'`)

    // ours, announced to libwebrtc with DCEP
    const [b, theirB] = await openFromUs(seam, t, 'from-us', { protocol: 'chat-v2' }, announced)
    check(theirB.protocol === 'chat-v2' && theirB.ordered === true, `libwebrtc sees our channel with protocol '${theirB.protocol}', ordered ${theirB.ordered}`)
    check(b.id % 2 === (role === 'client' ? 0 : 1), `we (DTLS ${role}) opened id ${b.id}: RFC 8832 wants ${role === 'client' ? 'even' : 'odd'}`)
    log(`our channel '${b.label}' (id ${b.id}) reached libwebrtc's ondatachannel with protocol ${theirB.protocol}`)

    // 100 mixed messages each way, in order
    const N = 100
    const atUs = inbox(a)
    const atThem = inbox(theirB)
    for (let i = 0; i < N; i++) fromLibwebrtc.send(mixed(i, 'libwebrtc'))
    for (let i = 0; i < N; i++) b.send(mixed(i, 'sctp-native'))
    await Promise.all([atUs.count(N, 10000, `${N} messages at sctp-native`), atThem.count(N, 10000, `${N} messages at libwebrtc`)])
    for (let i = 0; i < N; i++) assertSame(atUs[i], mixed(i, 'libwebrtc'), `message ${i} from libwebrtc`)
    for (let i = 0; i < N; i++) assertSame(atThem[i], mixed(i, 'sctp-native'), `message ${i} from sctp-native`)
    log(`${N} messages each way (strings and binary), content and order checked`)

    // empty messages: PPIDs 56 and 57 on the wire, '' and an empty ArrayBuffer to the application
    fromLibwebrtc.send('')
    fromLibwebrtc.send(new ArrayBuffer(0))
    fromLibwebrtc.send('after')
    b.send('')
    b.send(new Uint8Array(0))
    b.send('after')
    await Promise.all([atUs.count(N + 3, 5000, 'empty messages at sctp-native'), atThem.count(N + 3, 5000, 'empty messages at libwebrtc')])
    for (const [got, who] of [[atUs, 'sctp-native'], [atThem, 'libwebrtc']]) {
      assertSame(got[N], '', `empty string at ${who}`)
      assertSame(got[N + 1], new ArrayBuffer(0), `empty binary at ${who}`)
      assertSame(got[N + 2], 'after', `message after the empty ones at ${who}`)
    }
    log('empty string and empty binary each way')

    // the largest message both sides allow, up to 256 KiB
    const theirMax = (seam.wrtc.pc.sctp && seam.wrtc.pc.sctp.maxMessageSize) || seam.sdp.local.maxMessageSize
    const big = Math.min(256 * KiB, t.maxMessageSize, theirMax)
    fromLibwebrtc.send(pattern(big, 1))
    b.send(pattern(big, 2))
    await Promise.all([atUs.count(N + 4, 10000, `a ${big} B message at sctp-native`), atThem.count(N + 4, 10000, `a ${big} B message at libwebrtc`)])
    assertSame(atUs[N + 3], pattern(big, 1), `${big} B message from libwebrtc`)
    assertSame(atThem[N + 3], pattern(big, 2), `${big} B message from sctp-native`)
    let threw = null
    try { b.send(new Uint8Array(t.maxMessageSize + 1)) } catch (e) { threw = e }
    check(threw && threw.name === 'TypeError', `send() of maxMessageSize + 1 bytes: ${threw ? `threw ${threw.name}` : 'did not throw'}, expected TypeError`)
    log(`a ${big} B message each way (maxMessageSize: ours ${t.maxMessageSize}, libwebrtc's ${theirMax}); ${t.maxMessageSize + 1} B throws TypeError`)

    // 4 MiB each way on a channel of its own, one direction at a time
    const [bulk, theirBulk] = await openFromUs(seam, t, 'bulk', {}, announced)
    const chunk = Math.min(64 * KiB, t.maxMessageSize, theirMax)
    for (const [from, sender, receiver, ours] of [['sctp-native', bulk, theirBulk, true], ['libwebrtc', theirBulk, bulk, false]]) {
      const start = process.hrtime.bigint()
      const received = receiveBulk(receiver, 4 * MiB, `4 MiB from ${from}`)
      const sent = await sendBulk(sender, 4 * MiB, chunk, ours)
      check(await received === sent, `4 MiB from ${from}: content differs`)
      const s = Number(process.hrtime.bigint() - start) / 1e9
      log(`4 MiB from ${from} in ${chunk / KiB} KiB messages: ${(s * 1000).toFixed(0)} ms, ${(4 / s).toFixed(1)} MiB/s`)
    }

    // unordered, no retransmissions: the OPEN carries the reliability; all arrive on this quiet link
    const [lossy, theirLossy] = await openFromUs(seam, t, 'lossy', { ordered: false, maxRetransmits: 0 }, announced)
    check(lossy.ordered === false && lossy.maxRetransmits === 0 && lossy.maxPacketLifeTime === null, `our lossy channel reads ordered ${lossy.ordered} maxRetransmits ${lossy.maxRetransmits} maxPacketLifeTime ${lossy.maxPacketLifeTime}`)
    check(theirLossy.ordered === false && theirLossy.maxRetransmits === 0, `libwebrtc sees our lossy channel as ordered ${theirLossy.ordered}, maxRetransmits ${theirLossy.maxRetransmits}`)
    const lossyAtThem = inbox(theirLossy)
    const lossyAtUs = inbox(lossy)
    for (let i = 0; i < 50; i++) { lossy.send(`u${i}`); theirLossy.send(`v${i}`); if (i % 10 === 9) await sleep(5) } // paced: see README.md on UDP buffers
    await Promise.all([lossyAtThem.count(50, 5000, 'unordered messages at libwebrtc'), lossyAtUs.count(50, 5000, 'unordered messages at sctp-native')])
    check(new Set(lossyAtThem).size === 50 && lossyAtThem.every((m) => /^u\d+$/.test(m)), `unordered at libwebrtc: ${lossyAtThem.join()}`)
    check(new Set(lossyAtUs).size === 50 && lossyAtUs.every((m) => /^v\d+$/.test(m)), `unordered at sctp-native: ${lossyAtUs.join()}`)
    log('unordered maxRetransmits: 0 channel: 50 messages each way')

    // close from our side: a stream reset, after which libwebrtc's channel is closed
    const closedId = b.id
    let start = process.hrtime.bigint()
    b.close()
    check(b.readyState === 'closing', `our channel after close(): ${b.readyState}, expected closing`)
    await until(1000, () => `libwebrtc's '${theirB.label}' closed after our close() (it is ${theirB.readyState})`, () => theirB.readyState === 'closed')
    const closeMs = Number(process.hrtime.bigint() - start) / 1e6
    await until(1000, () => `'close' on our channel (events: ${seen.get(b)})`, () => seen.get(b).includes('close'))
    check(b.readyState === 'closed' && seen.get(b).join() === 'open,close', `our channel after its close: ${b.readyState}, events ${seen.get(b)}`)
    check(closeMs < 200, `libwebrtc's channel took ${closeMs.toFixed(1)} ms to close after our close(); expected well under 200 ms`)
    log(`our close(): libwebrtc's channel closed ${closeMs.toFixed(1)} ms later; ours fired ${seen.get(b)}`)

    // close from their side: ours announces 'closing', then 'close'
    start = process.hrtime.bigint()
    fromLibwebrtc.close()
    await until(1000, () => `'close' on our '${a.label}' after libwebrtc's close() (events: ${seen.get(a)}, readyState ${a.readyState})`, () => seen.get(a).includes('close'))
    const theirCloseMs = Number(process.hrtime.bigint() - start) / 1e6
    check(seen.get(a).join() === 'closing,close' || seen.get(a).join() === 'open,closing,close', `our channel after libwebrtc's close(): events ${seen.get(a)}, expected closing then close`)
    check(a.readyState === 'closed', `our channel after libwebrtc's close(): ${a.readyState}`)
    await until(1000, "libwebrtc's own channel closed", () => fromLibwebrtc.readyState === 'closed')
    log(`libwebrtc's close(): ours fired ${seen.get(a)} within ${theirCloseMs.toFixed(1)} ms`)

    // ids come back: a negotiated channel on the id we closed, and libwebrtc opening again (it
    // takes its lowest free id, the one it just closed)
    const again = t.createDataChannel('again', { negotiated: true, id: closedId })
    again.binaryType = 'arraybuffer'
    const theirAgain = seam.wrtc.createDataChannel('again', { negotiated: true, id: closedId })
    const againAtUs = inbox(again)
    const againAtThem = inbox(theirAgain)
    await Promise.all([
      nextEvent(again, 'open', 5000, `'open' on our negotiated channel with id ${closedId}`).catch((e) => { if (again.readyState !== 'open') throw e }),
      until(5000, () => `libwebrtc's negotiated channel ${closedId} open`, () => theirAgain.readyState === 'open')
    ])
    again.send('reused')
    theirAgain.send('reused too')
    await Promise.all([againAtThem.count(1, 5000, `a message on id ${closedId} at libwebrtc`), againAtUs.count(1, 5000, `a message on id ${closedId} at sctp-native`)])
    check(againAtThem[0] === 'reused' && againAtUs[0] === 'reused too', `on the reused id: ${againAtThem[0]} / ${againAtUs[0]}`)
    const reopened = within(5000, "'datachannel' for libwebrtc's second channel", (resolve) => t.addEventListener('datachannel', (e) => { if (e.channel.label === 'reopened') resolve(e.channel) }))
    const theirReopened = seam.wrtc.createDataChannel('reopened', {})
    const c = await reopened
    check(c.id === theirReopened.id, `reopened: our id ${c.id}, libwebrtc's ${theirReopened.id}`)
    const cAtUs = inbox(c)
    await until(5000, "libwebrtc's reopened channel open", () => theirReopened.readyState === 'open')
    theirReopened.send('hello again')
    await cAtUs.count(1, 5000, 'a message on the reopened channel')
    log(`ids reused: ours ${closedId} (negotiated), libwebrtc's reopened on ${c.id} (closed one was ${a.id})`)

    // t.close(): every channel of libwebrtc's that is still open closes, and ours with it
    const stillOpen = theirChannels.concat(theirAgain, theirReopened).filter((dc) => dc.readyState === 'open')
    const ours = [again, c, bulk, lossy]
    start = process.hrtime.bigint()
    t.close()
    await until(1000, () => `libwebrtc's channels closed after t.close() (${stillOpen.map((dc) => `${dc.label}: ${dc.readyState}`).join(', ')})`, () => stillOpen.every((dc) => dc.readyState === 'closed'))
    const allClosedMs = Number(process.hrtime.bigint() - start) / 1e6
    await until(1000, () => `our channels closed after t.close() (${ours.map((ch) => `${ch.label}: ${ch.readyState}`).join(', ')})`, () => ours.every((ch) => ch.readyState === 'closed'))
    await until(1000, () => `t.state 'closed' (states: ${states})`, () => t.state === 'closed')
    check(states.join() === 'connecting,connected,closed', `states ${states}`)
    log(`t.close(): libwebrtc's ${stillOpen.length} open channels (${stillOpen.map((dc) => dc.label).join(', ')}) closed within ${allClosedMs.toFixed(1)} ms; ours all closed; states ${states}`)
  } finally {
    if (t && t.state !== 'closed') t.close()
    await seam.close()
  }
}

async function pcCloseRun () {
  log("--- run 2: libwebrtc's pc.close() ends our channels")
  const seam = await connect({ libraryRole: role, channels: [['theirs', {}]] })
  const announced = new Map()
  seam.wrtc.pc.ondatachannel = (e) => { const resolve = announced.get(e.channel.label); if (resolve) resolve(e.channel) }
  let t
  try {
    t = createTransport(seam)
    const states = [t.state]
    t.addEventListener('statechange', () => states.push(t.state))
    const theirs = await within(5000, "'datachannel' for libwebrtc's channel", (resolve) => t.addEventListener('datachannel', (e) => { lifecycle(e.channel); resolve(e.channel) }))
    const [mine] = await openFromUs(seam, t, 'mine', {}, announced)
    const start = process.hrtime.bigint()
    seam.wrtc.pc.close()
    await until(2000, () => `our channels closed after libwebrtc's pc.close() (theirs: ${theirs.readyState}, ${seen.get(theirs)}; mine: ${mine.readyState}, ${seen.get(mine)})`, () => seen.get(theirs).includes('close') && seen.get(mine).includes('close'))
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    await until(2000, () => `t.state 'closed' after pc.close() (states: ${states})`, () => t.state === 'closed')
    check(theirs.readyState === 'closed' && mine.readyState === 'closed', `readyState ${theirs.readyState} / ${mine.readyState}`)
    log(`pc.close(): our channels closed within ${ms.toFixed(1)} ms (events: theirs ${seen.get(theirs)}; mine ${seen.get(mine)}); states ${states}`)
  } finally {
    if (t && t.state !== 'closed') t.close()
    await seam.close()
  }
}

scenario(async () => {
  if (typeof sctp.createSctpTransport !== 'function') throw new Error('sctp.createSctpTransport is not a function: the data-channel API is missing')
  await fullRun()
  await pcCloseRun()
})
