'use strict'
// SCTP over a real DTLS transport, end to end on 127.0.0.1: werift-dtls's
// client and server on UDP sockets, sctp-native on both sides (RFC 8261).
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('crypto')
const sctp = require('..')
const { waitFor, sha256 } = require('./helpers/util')
const { dtlsPair } = require('./helpers/dtls')

const closed = (udp) => new Promise((resolve) => udp.once('close', resolve))

test('DTLS: SCTP server and client over werift-dtls, 1 MiB each way intact, graceful end', { timeout: 30000 }, async () => {
  const d = await dtlsPair()
  const fingerprint = (pem) => new crypto.X509Certificate(pem).fingerprint256
  const handshakes = Promise.all([waitFor(d.serverTransport, 'secureConnect'), waitFor(d.clientTransport, 'secureConnect')])

  // Messages of many sizes, including 16 KiB and a 200 KiB one (fragmented into DTLS records of one SCTP packet each).
  const sizes = [1, 100, 1200, 16384, 65536, 200000, 16384, 3, 1024 * 1024 - 300808]
  const outbound = sizes.map((n) => crypto.randomBytes(n))

  const serverGot = []
  let serverSocket
  const server = sctp.createServer({ transport: d.serverTransport }, (socket) => {
    serverSocket = socket
    // Once the client's messages are all in, answer with them reversed on stream 1.
    socket.on('data', (m) => {
      serverGot.push(m)
      if (serverGot.length !== outbound.length) return
      const back = socket.createStream(1, { ppid: sctp.PPID.WEBRTC_BINARY })
      for (const r of [...serverGot].reverse()) back.write(r)
    })
  })
  server.listen({ port: 5000, OS: 4, MIS: 4, maxMessageSize: 1 << 20 })

  // sctp.connect before the DTLS handshake: the INIT waits for it.
  const client = sctp.connect({ transport: d.clientTransport, port: 5000, localPort: 5000, OS: 4, MIS: 4, maxMessageSize: 1 << 20 })
  d.start()
  await waitFor(client, 'connect')
  await handshakes
  assert.equal(new crypto.X509Certificate(d.client.remoteCertificate).fingerprint256, fingerprint(d.serverCert.certPem))
  assert.equal(new crypto.X509Certificate(d.server.remoteCertificate).fingerprint256, fingerprint(d.clientCert.certPem))

  const clientGot = []
  const infos = []
  client.on('message', (m, info) => { clientGot.push(m); infos.push(info) })
  // SCTP has no half-close: the client ends only after the whole reply is in,
  // then both sides see a graceful close.
  for (const m of outbound) client.write(m)
  await new Promise((resolve) => { const iv = setInterval(() => { if (clientGot.length === outbound.length) { clearInterval(iv); resolve() } }, 5) })
  const serverEnded = waitFor(serverSocket, 'end')
  client.end()
  await serverEnded

  const [clientClosed] = await waitFor(client, 'close', 20000)
  assert.equal(clientClosed, false)
  const [serverClosed] = await waitFor(serverSocket, 'close', 20000)
  assert.equal(serverClosed, false)

  assert.deepEqual(serverGot.map((m) => m.length), sizes)
  assert.equal(sha256(serverGot), sha256(outbound))
  assert.deepEqual(clientGot.map((m) => m.length), [...sizes].reverse())
  assert.equal(sha256(clientGot), sha256([...outbound].reverse()))
  assert.ok(infos.every((i) => i.streamId === 1 && i.ppid === sctp.PPID.WEBRTC_BINARY))
  const total = sizes.reduce((a, b) => a + b, 0)
  assert.equal(client.bytesWritten, total)
  assert.equal(client.bytesRead, total)

  // Closing the transports closes the DTLS sockets and their UDP sockets.
  const udpClosed = Promise.all([closed(d.serverUdp), closed(d.clientUdp)])
  await new Promise((resolve) => server.close(resolve))
  d.serverTransport.destroy()
  d.clientTransport.destroy()
  await udpClosed
})

test('DTLS: passive SCTP socket on the DTLS server side, @nodertc/sctp style options', { timeout: 30000 }, async () => {
  const d = await dtlsPair()
  d.start()
  // Both ends on SCTP port 5000, as WebRTC; the server side only waits for the INIT.
  const passive = sctp.connect({ transport: d.serverTransport, port: 5000, localPort: 5000, passive: true })
  const active = sctp.connect({ transport: d.clientTransport, port: 5000, localPort: 5000, ppid: sctp.PPID.WEBRTC_STRING })
  await Promise.all([waitFor(passive, 'connect'), waitFor(active, 'connect')])
  assert.deepEqual([passive.localPort, passive.remotePort], [5000, 5000])

  const got = []
  passive.on('message', (data, info) => {
    got.push([String(data), info.ppid])
    passive.write(`echo ${data}`)
  })
  const echoes = []
  active.on('data', (m) => echoes.push(String(m)))
  active.write('hello')
  active.write('x'.repeat(16384)) // a 16 KiB message does not stall
  active.send('', { ppid: sctp.PPID.WEBRTC_STRING }) // an empty message (RFC 8831)
  await new Promise((resolve) => { const iv = setInterval(() => { if (echoes.length === 3) { clearInterval(iv); resolve() } }, 5) })
  assert.deepEqual(got, [['hello', 51], ['x'.repeat(16384), 51], ['', 51]])
  assert.deepEqual(echoes, ['echo hello', `echo ${'x'.repeat(16384)}`, 'echo '])

  // The passive side ends this time.
  passive.end()
  const [[activeHadError], [passiveHadError]] = await Promise.all([waitFor(active, 'close'), waitFor(passive, 'close')])
  assert.equal(activeHadError, false)
  assert.equal(passiveHadError, false)
  d.serverTransport.destroy()
  d.clientTransport.destroy()
})

test('DTLS: closing the DTLS transport under a live association is an ERR_SCTP_TRANSPORT_CLOSED error', { timeout: 30000 }, async () => {
  const d = await dtlsPair()
  d.start()
  const server = sctp.createServer({ transport: d.serverTransport })
  server.listen(5000)
  const accepted = waitFor(server, 'connection')
  const client = sctp.connect({ transport: d.clientTransport, port: 5000 })
  await waitFor(client, 'connect')
  const [socket] = await accepted
  const failed = waitFor(client, 'error')
  const clientClosed = waitFor(client, 'close')
  d.clientTransport.destroy()
  const [err] = await failed
  assert.equal(err.code, 'ERR_SCTP_TRANSPORT_CLOSED')
  assert.equal((await clientClosed)[0], true)
  // The other side is told by SCTP itself: an ABORT cannot be sent any more, so it times out
  // (after association_max_retrans); here we just destroy it.
  socket.destroy()
  server.close()
  d.serverTransport.destroy()
})

test('DTLS: a peer\'s DTLS alert ends the transport', { timeout: 30000 }, async () => {
  const d = await dtlsPair()
  d.start()
  await Promise.all([waitFor(d.serverTransport, 'secureConnect'), waitFor(d.clientTransport, 'secureConnect')])
  const ended = waitFor(d.serverTransport, 'end')
  d.serverTransport.resume()
  // A close_notify alert (level 1 warning, description 0), encrypted as the DTLS socket sends records.
  const { createPlaintext } = require('werift-dtls/lib/dtls/src/record/builder')
  const pkt = createPlaintext(d.client.dtls)([{ type: 21, fragment: Buffer.from([1, 0]) }], ++d.client.dtls.recordSequenceNumber)[0]
  await d.client.transport.send(d.client.cipher.encryptPacket(pkt).serialize())
  await ended
  d.serverTransport.destroy()
  d.clientTransport.destroy()
})

test('DTLS: dtlsTransport and dtlsUdp check their argument', () => {
  assert.throws(() => sctp.dtlsTransport({}), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  assert.throws(() => sctp.dtlsTransport(null), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  assert.throws(() => sctp.dtlsUdp({}), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
})
