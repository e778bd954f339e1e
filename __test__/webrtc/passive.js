'use strict'
// Smoke scenario with the socket API (no data-channel layer, no DCEP): sctp-native, passive, runs
// the SCTP association over the seam's DTLS transport against libwebrtc. libwebrtc's data channel
// is pre-negotiated (negotiated: true, id: 1), so both sides simply use stream 1: strings go as
// PPID 51 (WebRTC String), binary as PPID 53 (WebRTC Binary). Then libwebrtc closes its channel
// (an RFC 6525 stream reset), sctp-native ends the association with SHUTDOWN, everything closes,
// and the process exits 0.
//
// usage:  __test__/webrtc/netns.sh node __test__/webrtc/passive.js [server|client|both]
//         (the argument is sctp-native's DTLS role; both, the default, runs one after the other)
const sctp = require('../..')
const { connect, scenario } = require('./seam')

const roles = { server: ['server'], client: ['client'], both: ['server', 'client'] }[process.argv[2] || 'both']
if (!roles) { console.error('usage: node passive.js [server|client|both]'); process.exit(2) }

const STREAM = 1
const PPID = { STRING: 51, BINARY: 53 }
const binary = (n, seed) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff))
// [payload, ppid]: strings and binary, small and multi-packet
const fromLibwebrtc = [['hello from libwebrtc', PPID.STRING], [binary(3, 1), PPID.BINARY], ['x'.repeat(3000), PPID.STRING], [binary(50000, 2), PPID.BINARY]]
const fromUs = [['hello from sctp-native', PPID.STRING], [binary(5, 3), PPID.BINARY], ['y'.repeat(3000), PPID.STRING], [binary(60000, 4), PPID.BINARY]]

function within (ms, what, executor) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms)
    executor((v) => { clearTimeout(t); resolve(v) }, (e) => { clearTimeout(t); reject(e) })
  })
}
const same = (got, want) => (typeof want === 'string' ? got === want : typeof got !== 'string' && Buffer.from(got).equals(want))

async function run (libraryRole) {
  const t0 = Date.now()
  const ms = () => `${Date.now() - t0} ms`
  const seam = await connect({ libraryRole, timeoutMs: 15000 })
  try {
    const log = (...a) => console.log(`[${libraryRole}]`, ...a)
    log(`DTLS connected at ${ms()}, sctp-native is DTLS ${seam.role}; libwebrtc's SDP: sctp-port ${seam.sdp.remote.port}, max-message-size ${seam.sdp.remote.maxMessageSize}`)

    // libwebrtc's side: a pre-negotiated channel on stream 1, created before SCTP starts
    const dc = seam.wrtc.createDataChannel('smoke', { negotiated: true, id: STREAM })
    const dcOpen = within(10000, 'libwebrtc channel open', (resolve) => { dc.onopen = resolve })
    const atLibwebrtc = []
    const allAtLibwebrtc = within(10000, 'messages at libwebrtc', (resolve) => {
      dc.onmessage = (e) => { atLibwebrtc.push(e.data); if (atLibwebrtc.length === fromUs.length) resolve() }
    })

    // our side: passive, so libwebrtc's INIT sets up the association
    const socket = sctp.connect({
      transport: seam.transport,
      port: seam.sdp.remote.port,
      localPort: seam.sdp.local.port,
      passive: true,
      OS: 65535,
      MIS: 65535
    })
    let socketError = null
    socket.on('error', (e) => { socketError = e })
    const socketClosed = within(20000, 'sctp-native socket close', (resolve) => socket.once('close', resolve))
    socketClosed.catch(() => {}) // awaited below; a failure before then must not be unhandled
    const atUs = []
    const allAtUs = within(10000, 'messages at sctp-native', (resolve) => {
      socket.on('message', (data, info) => { atUs.push([data, info]); if (atUs.length === fromLibwebrtc.length) resolve() })
    })
    await within(10000, 'SCTP association', (resolve) => socket.once('connect', resolve))
    log(`SCTP association up at ${ms()}: OS ${socket.OS}, MIS ${socket.MIS}`)
    const stream = socket.createStream(STREAM)
    await dcOpen

    // a few messages each way
    for (const [m] of fromLibwebrtc) dc.send(m)
    for (const [m, ppid] of fromUs) stream.send(m, { ppid })
    await Promise.all([allAtUs, allAtLibwebrtc])
    fromLibwebrtc.forEach(([want, ppid], i) => {
      const [data, info] = atUs[i]
      const text = typeof want === 'string' ? data.toString('utf8') : data
      if (info.streamId !== STREAM || info.ppid !== ppid || !same(text, want)) throw new Error(`message ${i} from libwebrtc: stream ${info.streamId} ppid ${info.ppid}, ${data.length} B`)
    })
    fromUs.forEach(([want], i) => {
      if (!same(atLibwebrtc[i], want)) throw new Error(`message ${i} at libwebrtc: ${typeof atLibwebrtc[i]} of ${atLibwebrtc[i].length || atLibwebrtc[i].byteLength}`)
    })
    log(`${fromLibwebrtc.length} messages each way on stream ${STREAM}, PPIDs 51/53, content and order checked (${ms()})`)

    // libwebrtc closes its channel: a stream reset, which sctp-native answers by resetting its side
    const streamEnded = within(5000, 'sctp-native stream end', (resolve) => stream.once('end', resolve))
    const dcClosed = within(5000, 'libwebrtc channel close', (resolve) => { dc.onclose = resolve })
    stream.resume()
    dc.close()
    await Promise.all([streamEnded, dcClosed])
    log(`libwebrtc closed the channel: stream ${STREAM} reset both ways (${ms()})`)

    // sctp-native ends the association gracefully
    socket.end()
    const hadError = await socketClosed
    if (hadError || socketError) throw new Error(`sctp-native socket closed with an error: ${socketError && socketError.code}`)
    log(`association ended with SHUTDOWN, socket closed without error (${ms()})`)
  } finally {
    await seam.close()
  }
}

scenario(async () => {
  for (const role of roles) await run(role)
})
