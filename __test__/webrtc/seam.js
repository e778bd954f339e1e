'use strict'
// libwebrtc's data channels as the peer of sctp-native.
//
// Two RTCPeerConnections in one process: libwebrtc (@roamhq/wrtc) and werift. werift supplies ICE
// and DTLS only; its own SCTP never starts. The SCTP packets that DTLS carries are handed to
// sctp-native through `transport`, a Duplex with one SCTP packet per chunk. Run it inside netns.sh
// (next to this file): libwebrtc ignores loopback candidates. See README.md.
const { Duplex } = require('stream')
const { spawnSync } = require('child_process')

// devDependencies of this repository
const DEPS = ['@roamhq/wrtc', 'werift']

// Can this machine run the kit? Loads neither package, so that a test file can ask without loading
// libwebrtc. Returns { ok: true } or { ok: false, reason } (a skip message).
function available () {
  for (const name of DEPS) {
    try { require.resolve(name) } catch (e) { return { ok: false, reason: `${name} is not installed (a devDependency: npm install)` } }
  }
  const r = spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore', timeout: 5000 })
  if (r.error || r.status !== 0) return { ok: false, reason: 'cannot create a network namespace (unshare -n needs root or CAP_SYS_ADMIN)' }
  const ip = spawnSync('ip', ['-V'], { stdio: 'ignore', timeout: 5000 })
  if (ip.error || ip.status !== 0) return { ok: false, reason: "'ip' (iproute2) is not installed" }
  return { ok: true }
}

// a=sctp-port and a=max-message-size of an SDP's m=application section
function sctpParams (sdp) {
  const get = (re) => { const m = re.exec(sdp); return m ? Number(m[1]) : undefined }
  return { port: get(/^a=sctp-port:(\d+)/m), maxMessageSize: get(/^a=max-message-size:(\d+)/m) }
}

const CHUNK = { 0: 'DATA', 1: 'INIT', 2: 'INIT_ACK', 3: 'SACK', 4: 'HEARTBEAT', 5: 'HEARTBEAT_ACK', 6: 'ABORT', 7: 'SHUTDOWN', 8: 'SHUTDOWN_ACK', 9: 'ERROR', 10: 'COOKIE_ECHO', 11: 'COOKIE_ACK', 14: 'SHUTDOWN_COMPLETE', 130: 'RE_CONFIG', 192: 'FORWARD_TSN' }
// one line per SCTP packet: ports, verification tag, chunk types
function describe (buf) {
  if (buf.length < 12) return `short packet (${buf.length} B)`
  const chunks = []
  for (let o = 12; o + 4 <= buf.length;) {
    const len = buf.readUInt16BE(o + 2)
    chunks.push(CHUNK[buf[o]] || `type ${buf[o]}`)
    if (len < 4) break
    o += (len + 3) & ~3
  }
  return `${buf.readUInt16BE(0)}->${buf.readUInt16BE(2)} vtag 0x${buf.readUInt32BE(4).toString(16)} ${buf.length} B [${chunks.join(' ')}]`
}

// A Duplex over werift's RTCDtlsTransport: each chunk written is one DTLS record (one SCTP packet),
// each chunk read is one decrypted record. Writes made before DTLS is connected wait for it; writes
// after it closed are dropped, as a network would. The readable side ends when DTLS closes or fails.
function dtlsDuplex (dtls, trace) {
  let waiting = []
  const send = (buf) => {
    if (trace) trace('out', buf)
    dtls.sendData(buf).catch(() => {}) // only fails once DTLS is gone
  }
  const d = new Duplex({
    readableObjectMode: true, // one chunk = one packet, never merged
    write (chunk, enc, cb) {
      if (dtls.state === 'connected') send(chunk)
      else if (dtls.state === 'new' || dtls.state === 'connecting') waiting.push(chunk)
      cb()
    },
    read () {}
  })
  dtls.onStateChange.subscribe((state) => {
    if (state === 'connected') { const q = waiting; waiting = []; q.forEach(send) }
    if ((state === 'closed' || state === 'failed') && !d.readableEnded) d.push(null)
  })
  // werift's own SCTP transport sets dataReceiver (now or later) and resets it on close: keep ours.
  Object.defineProperty(dtls, 'dataReceiver', {
    configurable: true,
    get: () => (buf) => { if (trace) trace('in', buf); if (!d.destroyed && !d.readableEnded) d.push(buf) },
    set: () => {}
  })
  return d
}

// libwebrtc sends in bursts of up to its congestion window, and werift, in JavaScript, reads its UDP
// socket slowly: with the kernel's default receive buffer (208 KiB) that socket dropped hundreds of
// datagrams per 4 MiB, which SCTP then recovered, sometimes only after a retransmission timeout
// (400 ms and more). A larger buffer keeps the namespace lossless, so timings measure the stacks.
// The kernel caps it at net.core.rmem_max; werift's sockets are internals, hence the care.
const RECEIVE_BUFFER = 4 * 1024 * 1024
function widenReceiveBuffers (pc) {
  for (const ice of pc.iceTransports || []) {
    for (const protocol of (ice.connection && ice.connection.protocols) || []) {
      const socket = protocol.transport && protocol.transport.socket
      try { if (socket && socket.setRecvBufferSize) socket.setRecvBufferSize(RECEIVE_BUFFER) } catch (e) { /* closed, or not UDP */ }
    }
  }
}

// Direct signalling. Candidates are held until the receiving pc has its remote description
// (libwebrtc rejects earlier ones).
async function signal (offerer, answerer, beforeAnswer = () => {}) {
  const queue = new Map([[offerer, []], [answerer, []]])
  const ready = new Set()
  const add = (pc, c) => pc.addIceCandidate(c).catch(() => {}) // a lost candidate shows up as a DTLS timeout
  const deliver = (pc, c) => (ready.has(pc) ? add(pc, c) : queue.get(pc).push(c))
  const flush = (pc) => { ready.add(pc); queue.get(pc).splice(0).forEach((c) => add(pc, c)) }
  offerer.onicecandidate = (e) => e.candidate && deliver(answerer, e.candidate)
  answerer.onicecandidate = (e) => e.candidate && deliver(offerer, e.candidate)
  await offerer.setLocalDescription(await offerer.createOffer())
  await answerer.setRemoteDescription({ type: 'offer', sdp: offerer.localDescription.sdp })
  flush(answerer)
  beforeAnswer()
  await answerer.setLocalDescription(await answerer.createAnswer())
  await offerer.setRemoteDescription({ type: 'answer', sdp: answerer.localDescription.sdp })
  flush(offerer)
}

// @roamhq/wrtc fires no 'open' for a channel that opens after its pc is connected. This one polls
// readyState and dispatches 'open' itself when the binding did not, so `onopen` always fires once.
function withOpenEvent (dc, timeoutMs) {
  let fired = false
  dc.addEventListener('open', () => { fired = true })
  const end = Date.now() + timeoutMs
  const poll = () => {
    if (fired || dc.readyState === 'closing' || dc.readyState === 'closed' || Date.now() > end) return
    if (dc.readyState !== 'open') { setTimeout(poll, 2); return }
    // the binding dispatches on process.nextTick: give a real event one turn to land first
    setImmediate(() => { if (!fired) dc.dispatchEvent({ type: 'open', target: dc }) })
  }
  setTimeout(poll, 2)
  dc.binaryType = 'arraybuffer'
  return dc
}

/**
 * Connect libwebrtc and werift, up to DTLS. sctp-native then speaks SCTP over `transport`.
 * @param {object} opts
 * @param {'client'|'server'} opts.libraryRole  DTLS role of sctp-native's side. 'server': werift
 *   offers and libwebrtc answers a=setup:active. 'client': libwebrtc offers and werift answers active.
 * @param {Array<[string, object]>} [opts.channels]  libwebrtc data channels to create before the
 *   offer/answer ([label, RTCDataChannelInit] pairs), returned in wrtc.channels. When libwebrtc
 *   offers and none is given, a negotiated placeholder (id 1023) is created only to put m=application
 *   in its offer, and closed before SCTP starts.
 * @param {number} [opts.maxMessageSize=262144]  a=max-message-size werift advertises for sctp-native
 * @param {number} [opts.timeoutMs=15000]  bound on reaching DTLS connected
 * @param {boolean|function} [opts.trace]  log every SCTP packet (true: to stderr; or a function(line));
 *   also on with SEAM_TRACE=1
 */
async function connect (opts = {}) {
  const { libraryRole, channels = [], maxMessageSize = 262144, timeoutMs = 15000 } = opts
  if (libraryRole !== 'client' && libraryRole !== 'server') throw new TypeError("libraryRole must be 'client' or 'server'")
  const wrtc = require('@roamhq/wrtc')
  const werift = require('werift')
  const traceOpt = opts.trace !== undefined ? opts.trace : process.env.SEAM_TRACE === '1'
  const t0 = Date.now()
  const print = typeof traceOpt === 'function' ? traceOpt : (line) => process.stderr.write(line + '\n')
  const trace = traceOpt ? (dir, buf) => print(`[seam ${String(Date.now() - t0).padStart(5)} ms] ${dir === 'in' ? 'libwebrtc -> sctp-native' : 'sctp-native -> libwebrtc'} ${describe(buf)}`) : null

  const w = new werift.RTCPeerConnection({ iceServers: [], maxMessageSize })
  w.sctpManager.connectSctp = async () => {} // werift's SCTP association never starts
  const l = new wrtc.RTCPeerConnection({ iceServers: [] })
  let transport; let dtls
  const attach = () => { dtls = w.sctpTransport.dtlsTransport; transport = dtlsDuplex(dtls, trace) }
  const createDataChannel = (label, init) => withOpenEvent(l.createDataChannel(label, init), timeoutMs + 10000)
  const early = channels.map(([label, init]) => createDataChannel(label, init))

  let closing = null
  const close = () => closing || (closing = (async () => {
    try { l.close() } catch (e) { /* already closed */ }
    try { await Promise.race([w.close(), new Promise((resolve) => setTimeout(resolve, 2000))]) } catch (e) { /* already closed */ }
    if (transport && !transport.destroyed) { if (!transport.readableEnded) transport.push(null); transport.destroy() }
    await new Promise((resolve) => setTimeout(resolve, 100)) // let libwebrtc's threads finish their close
  })())

  try {
    if (libraryRole === 'server') {
      w.createDataChannel('seam-sdp') // only so werift offers m=application; it never opens
      attach()
      await signal(w, l, () => {})
    } else {
      const placeholder = early.length ? null : l.createDataChannel('seam-sdp', { negotiated: true, id: 1023 })
      await signal(l, w, attach)
      if (placeholder) placeholder.close()
    }
    await new Promise((resolve, reject) => {
      const end = Date.now() + timeoutMs
      const check = () => {
        if (dtls.state === 'connected') resolve()
        else if (dtls.state === 'failed' || dtls.state === 'closed' || Date.now() > end) reject(new Error(`DTLS not connected (state ${dtls.state}) after ${Date.now() - t0} ms`))
        else setTimeout(check, 5)
      }
      check()
    })
    if (dtls.role !== libraryRole) throw new Error(`werift's DTLS role is ${dtls.role}, wanted ${libraryRole}`)
    widenReceiveBuffers(w)
  } catch (e) {
    await close()
    throw e
  }
  return {
    transport,
    role: dtls.role,
    sdp: { local: sctpParams(w.localDescription.sdp), remote: sctpParams(l.localDescription.sdp) },
    wrtc: { pc: l, createDataChannel, channels: early },
    werift: { pc: w, dtls },
    close
  }
}

// Runs a scenario script's `main` and ends the process with its verdict:
// 'PASS' and exit 0, or 'FAIL: …' and exit 1, and a last bound should
// anything hang. Always exits explicitly: @roamhq/wrtc may crash (SIGSEGV)
// when node exits on its own.
function scenario (main, boundMs = 40000) {
  setTimeout(() => { console.error(`FAIL: still running after ${boundMs / 1000} s`); process.exit(1) }, boundMs).unref()
  main().then(() => {
    console.log('PASS')
    process.exit(0)
  }, (e) => {
    console.error('FAIL:', (e && e.stack) || e)
    process.exit(1)
  })
}

module.exports = { connect, available, sctpParams, describe, scenario, signal, widenReceiveBuffers }
