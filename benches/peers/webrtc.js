'use strict'
// Data-channel throughput against libwebrtc (@roamhq/wrtc): one reliable ordered
// channel, 10 MiB one way then 10 MiB the other, in 16 KiB messages; the time is
// first send() to last byte received. Written once here; each contender
// (webrtc-native.js, webrtc-werift.js, webrtc-libwebrtc.js) only says how its
// end of the channel is opened:
//
//   contender.open() -> Promise<{ local, remote, close(): Promise }>
//                       local: the contender's channel, remote: libwebrtc's,
//                       both open, wrapped by `channel` below
//
// Flow control is the same for every contender: send while bufferedAmount is
// under HIGH, then poll it down to LOW (the @roamhq/wrtc binding has no
// 'bufferedamountlow' event, so nobody gets one).
//
// Usage, inside the namespace (libwebrtc ignores loopback candidates):
//   __test__/webrtc/netns.sh node benches/peers/webrtc-<contender>.js [--quick]
// Human-readable lines go to stderr; stdout gets one JSON line:
//   { name, dc_tx_mib_s (contender -> libwebrtc), dc_rx_mib_s (libwebrtc -> contender), notes }
// In-process signalling and werift's wider receive buffers: the test kit's.
const { signal, widenReceiveBuffers } = require('../../__test__/webrtc/seam')

const MIB = 1048576
const KIB = 1024
const SIZE = 16 * KIB
const HIGH = 1 * MIB
const LOW = 256 * KIB
const BOUND_MS = 60000 // one direction, before the run is called failed
// Candidates on the namespace's veth pair only: libwebrtc ignores loopback anyway.
const CONFIG = { iceServers: [] }

const log = (...a) => process.stderr.write(a.join(' ') + '\n')
const now = () => Number(process.hrtime.bigint()) / 1e6 // ms
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function until (ms, what, test) {
  const end = Date.now() + ms
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`)
    await sleep(2)
  }
}

// The three channel APIs behind one face: send(buf), bufferedAmount(), onBytes(fn).
const channel = {
  // W3C RTCDataChannel as libwebrtc's binding and sctp-native give it
  w3c (dc) {
    dc.binaryType = 'arraybuffer'
    let onBytes = () => {}
    dc.addEventListener('message', (e) => onBytes(e.data.byteLength))
    return { dc, send: (b) => dc.send(b), bufferedAmount: () => dc.bufferedAmount, onBytes: (fn) => { onBytes = fn } }
  },
  // werift's RTCDataChannel: messages are Buffers through its onMessage event
  werift (dc) {
    let onBytes = () => {}
    dc.onMessage.subscribe((data) => onBytes(data.length))
    return { dc, send: (b) => dc.send(b), bufferedAmount: () => dc.bufferedAmount, onBytes: (fn) => { onBytes = fn } }
  }
}

async function oneWay (from, to, bytes) {
  const msg = Buffer.alloc(SIZE, 0x5a)
  let got = 0
  let arrived
  const done = new Promise((resolve) => { arrived = resolve })
  to.onBytes((n) => { got += n; if (got >= bytes) arrived() })
  const t0 = now()
  const deadline = t0 + BOUND_MS
  for (let sent = 0; sent < bytes; sent += SIZE) {
    from.send(msg)
    if (from.bufferedAmount() > HIGH) {
      while (from.bufferedAmount() > LOW) {
        if (now() > deadline) throw new Error(`bufferedAmount stuck at ${from.bufferedAmount()} after ${sent} B`)
        await sleep(1)
      }
    }
  }
  await Promise.race([done, until(Math.max(0, deadline - now()), () => `the last byte (${got} of ${bytes} B arrived)`, () => got >= bytes)])
  return bytes / MIB / ((now() - t0) / 1000)
}

async function main ({ name, open }) {
  const quick = process.argv.includes('--quick')
  const bytes = (quick ? 2.5 : 10) * MIB
  const out = { name, notes: [] }
  let pair = null
  let code = 0
  try {
    pair = await open()
    // untimed first, a tenth of the workload each way, so that JavaScript is JIT-compiled
    await oneWay(pair.local, pair.remote, bytes / 10)
    await oneWay(pair.remote, pair.local, bytes / 10)
    out.dc_tx_mib_s = await oneWay(pair.local, pair.remote, bytes)
    out.dc_rx_mib_s = await oneWay(pair.remote, pair.local, bytes)
    log(`${name}: ${bytes / MIB} MiB to libwebrtc ${out.dc_tx_mib_s.toFixed(1)} MiB/s, from libwebrtc ${out.dc_rx_mib_s.toFixed(1)} MiB/s`)
  } catch (e) {
    out.dc_error = (e && e.message) || String(e)
    log(`${name}: Error ${out.dc_error}`)
    code = 1
  }
  try { if (pair) await Promise.race([pair.close(), sleep(3000)]) } catch (e) { /* measured already */ }
  process.stdout.write(JSON.stringify(out) + '\n')
  process.exit(code) // explicitly: @roamhq/wrtc may crash (SIGSEGV) when node exits on its own
}

module.exports = { main, channel, signal, widenReceiveBuffers, until, CONFIG }
