// Compiled, never run (__test__/types.test.js): the public API as a
// TypeScript user writes it, from CommonJS. Each `@ts-expect-error` line is a
// mistake the declarations must reject; the test also proves that removing
// one makes tsc fail.
import * as dgram from 'dgram'
import { Duplex, PassThrough, pipeline } from 'stream'
import { EventEmitter, once } from 'events'
import * as sctp from 'sctp-native'
import { connect, createServer, PPID, Socket, SCTPStream, Server, type SCTPError, type TransportStats } from 'sctp-native'
import { DtlsClient } from 'werift-dtls/lib/dtls/src'

const [ta, tb]: [Duplex, Duplex] = sctp.duplexPair()

// Defaults: read, change a few.
const d: sctp.Defaults = sctp.defaults()
sctp.defaults({ rto_initial: d.rto_initial, max_message_size: 0 })

// Server: every constructor form and typed events.
const server: Server = createServer({ transport: tb, ppid: PPID.WEBRTC_BINARY }, (socket: Socket) => socket.end())
createServer((socket) => socket.destroy())
new sctp.Server().listen({ port: 5001, transport: tb, MIS: 4, OS: 4, maxMessageSize: 1 << 20 })
server.maxConnections = 10
server.listen(5000, () => {})
server.on('listening', () => {})
server.on('connection', (socket) => {
  const port: number | undefined = socket.remotePort
  socket.on('stream', (stream, id) => {
    const sid: number = stream.stream_id + id
    stream.on('message', (data, info) => stream.send(data, { ppid: info.ppid + sid }))
  })
  void port
})
server.once('error', (err) => { const code: string = err.code; void code })
server.once('close', () => {})
server.on('some-other-event', (a: number, b: string) => void [a, b])
server.getConnections((err, count) => { if (!err) void (count + 1) })
const addr = server.address()
if (addr) { const family: 'SCTP' = addr.family; void family }
server.close((err) => { if (err) void err.code })

// Socket: connect forms, options, properties, typed events.
const socket: Socket = connect({
  transport: ta,
  port: 5000,
  localPort: 5001,
  MIS: 8,
  OS: 8,
  ppid: PPID.WEBRTC_STRING,
  stream_id: 0,
  unordered: false,
  no_bundle: false,
  maxMessageSize: 65536,
  writableHighWaterMark: 1 << 16
}, () => {
  const os: number | undefined = socket.OS
  void os
})
sctp.createConnection({ transport: ta, port: 7, passive: true }).destroy()
new Socket({ ppid: 1 }).connect({ transport: ta, port: 9 }, () => {})

socket.on('connect', () => {})
socket.on('data', (data) => data.readUInt8(0))
socket.on('message', (data, info) => {
  const buf: Buffer = data
  const streamId: number = info.streamId
  const ppid: number = info.ppid
  void [buf, streamId, ppid]
})
socket.once('stream', (stream, id) => { const s: SCTPStream = stream; void [s, id] })
socket.on('end', () => {})
socket.once('close', (hadError) => { const b: boolean = hadError; void b })
socket.on('error', (err: SCTPError) => {
  if (err.code === 'ECONNRESET' || err.code === 'ERR_SCTP_TRANSPORT_CLOSED') console.error(err.message, err.cause)
})
socket.on('drain', () => {})
socket.on('bufferedamountlow', () => {})
socket.on('finish', () => {})
socket.on('custom', (...args: unknown[]) => void args)

socket.write('one message')
socket.write(Buffer.from('another'), (err) => { if (err) throw err })
socket.send('text', { ppid: PPID.WEBRTC_STRING, unordered: true }, (err) => void err)
socket.send(new Uint8Array(3), () => {})
socket.send(Buffer.alloc(1))
socket.bufferedAmountLowThreshold = 1024
const buffered: number = socket.bufferedAmount
socket.ppid = PPID.WEBRTC_BINARY
socket.stream_id = 1
const stats = socket.stats()
const rtt: number | null = stats.rtt
const ts: TransportStats | null = socket.transportStats()
const a = socket.address()
void [buffered, rtt, ts && ts.badChecksum, a.port, a.family, socket.connecting, socket.MIS, socket.localPort]

// Streams, with and without partial reliability.
const stream: SCTPStream = socket.createStream(1, { ppid: PPID.WEBRTC_BINARY, unordered: true, maxRetransmits: 0 })
socket.createStream(2, { ppid: PPID.WEBRTC_STRING, maxPacketLifeTime: 500 })
stream.on('message', (data, info) => void [data.length, info.ppid])
stream.on('close', () => {})
stream.once('error', (err) => void err.code)
stream.bufferedAmountLowThreshold = 0
stream.send('hi', { ppid: PPID.WEBRTC_STRING })
const sst: sctp.StreamStats = stream.stats()
const owner: Socket = stream.socket
void [sst.messagesDiscarded, owner, stream.id, stream.messagesReceived]
stream.end()
socket.end()

// UDP and DTLS transports.
const udp = dgram.createSocket('udp4')
const ut = sctp.udpTransport(udp, { port: 5000, address: '127.0.0.1', bufferSize: 0 })
const remote = ut.remote()
void [ut.dropped, remote && remote.port, ut.address().port, ut.stats().sendErrors, ut.destroyed]
const server9899 = sctp.udpTransport({ localPort: 9899, maxAssociations: 1000 })
server9899.on('error', (err) => void err.message)
const viaOne = sctp.connect({ transport: sctp.udpTransport({}), port: 5000, udpPort: 9899, udpAddress: '10.0.0.1' })
void [viaOne.remoteAddress, viaOne.remoteFamily, viaOne.remoteUdpPort]
const dtlsUdp = sctp.dtlsUdp(dgram.createSocket('udp4'), { port: 4444 })
const dtls = new DtlsClient({ transport: dtlsUdp }) // dtlsUdp() fits werift-dtls's Transport
const dt = sctp.dtlsTransport(dtls)
const same: DtlsClient = dt.dtls
dt.on('secureConnect', () => void same.connect())
sctp.connect({ transport: dt, port: 5000 })
void dtlsUdp.remote()

// Still a Duplex and an EventEmitter to code that takes those.
const asDuplex: Duplex = socket
const asEmitter: EventEmitter = server
pipeline(stream, new PassThrough(), asDuplex, (err) => void err)
void once(asEmitter, 'listening')

// PPID constants are literal and read-only.
const dcep: 50 = PPID.WEBRTC_DCEP
void dcep

// --- mistakes the declarations must reject ---------------------------------

// @ts-expect-error: transport is required
connect({ port: 5000 })
// @ts-expect-error: port is a number
connect({ transport: ta, port: '5000' })
// @ts-expect-error: a 'message' listener's data is a Buffer
socket.on('message', (data: string) => void data)
// @ts-expect-error: a Socket's 'close' listener gets a boolean
socket.once('close', (hadError: string) => void hadError)
// @ts-expect-error: 'connection' gives a Socket
server.on('connection', (s: SCTPStream) => void s)
// @ts-expect-error: SCTPStream's message info has no streamId
stream.on('message', (data, info) => void info.streamId)
// @ts-expect-error: maxRetransmits and maxPacketLifeTime exclude each other
socket.createStream(3, { maxRetransmits: 1, maxPacketLifeTime: 100 })
// @ts-expect-error: PPID is read-only
PPID.WEBRTC_STRING = 52
// @ts-expect-error: unknown default
sctp.defaults({ rto_inital: 100 })
// @ts-expect-error: send() options are ppid and unordered only
socket.send('x', { stream: 2 })
// @ts-expect-error: SCTPStream is made by socket.createStream()
new SCTPStream(socket, 1)
// @ts-expect-error: the internal MessageDuplex base is not exported
void sctp.MessageDuplex
// @ts-expect-error: transportStats() is null before connect()
new Socket().transportStats().packetsIn

// --- WebRTC data channels ------------------------------------------------------------

const [dtlsA] = sctp.duplexPair()
const rtc: sctp.RTCSctpTransport = sctp.createSctpTransport({ transport: dtlsA, role: 'client', remoteMaxMessageSize: 0 })
const rtcState: 'connecting' | 'connected' | 'closed' = rtc.state
const channels: number | null = rtc.maxChannels
void rtcState
void channels
const dc: sctp.RTCDataChannel = rtc.createDataChannel('chat', { ordered: false, maxRetransmits: 0, protocol: 'json' })
dc.binaryType = 'nodebuffer'
dc.bufferedAmountLowThreshold = 65536
dc.onmessage = (e) => void (typeof e.data === 'string' ? e.data.length : e.data)
dc.addEventListener('error', (e) => void e.error.errorDetail)
dc.addEventListener('open', function () { this.send(new Uint8Array(2)) })
dc.send('text')
dc.send(new Blob(['b']))
rtc.ondatachannel = (e) => void e.channel.label
rtc.addEventListener('datachannel', ({ channel }) => channel.close())
const dcId: number | null = dc.id
void dcId
void (dc instanceof EventTarget)
rtc.close()
// @ts-expect-error: role is 'client' or 'server'
sctp.createSctpTransport({ transport: dtlsA, role: 'active' })
// @ts-expect-error: binaryType is 'arraybuffer', 'blob' or 'nodebuffer'
dc.binaryType = 'string'
// @ts-expect-error: a 'datachannel' event has a channel, not data
rtc.addEventListener('datachannel', (e) => void e.data)
// @ts-expect-error: channels come from createDataChannel()
new sctp.RTCDataChannel()
