'use strict'
// SCTP over DTLS over UDP (RFC 8261), the client side: connects to
// dtls-server.js or dtls-passive-server.js, sends messages on three streams,
// checks every echo byte for byte, then ends the association gracefully.
//   node examples/dtls-client.js <udpPort>
const crypto = require('crypto')
const dgram = require('dgram')
// werift-dtls 0.5.x declares a "main" it does not ship; its entry point is lib/dtls/src.
const { DtlsClient, CipherContext, HashAlgorithm, SignatureAlgorithm, NamedCurveAlgorithm } = require('werift-dtls/lib/dtls/src')
const sctp = require('sctp-native')

const port = Number(process.argv[2])
if (!port) {
  console.error('usage: node examples/dtls-client.js <udpPort of dtls-server.js>')
  process.exit(2)
}

async function main () {
  const { certPem, keyPem, signatureHash } = await CipherContext.createSelfSignedCertificateWithKey(
    { hash: HashAlgorithm.sha256_4, signature: SignatureAlgorithm.ecdsa_3 }, NamedCurveAlgorithm.secp256r1_23)
  console.log(`client: my fingerprint ${new crypto.X509Certificate(certPem).fingerprint256}`)

  const udp = dgram.createSocket('udp4')
  await new Promise((resolve) => udp.bind(0, '127.0.0.1', resolve))
  const dtls = new DtlsClient({ cert: certPem, key: keyPem, signatureHash, transport: sctp.dtlsUdp(udp, { port, address: '127.0.0.1' }) })
  const transport = sctp.dtlsTransport(dtls)
  transport.on('secureConnect', () => {
    // A real application compares this with the fingerprint its peer signalled.
    console.log(`client: DTLS up, server fingerprint ${new crypto.X509Certificate(dtls.remoteCertificate).fingerprint256}`)
  })
  dtls.connect() // the handshake; SCTP packets written meanwhile wait for it

  // Exactly as with @nodertc/sctp: the DTLS socket is the transport.
  const socket = sctp.connect({ transport, port: 5000, localPort: 5000, OS: 4, MIS: 4 })
  const sent = [
    { stream: 0, ppid: sctp.PPID.WEBRTC_STRING, data: Buffer.from('hello over DTLS') },
    { stream: 1, ppid: sctp.PPID.WEBRTC_BINARY, data: crypto.randomBytes(64 * 1024) },
    { stream: 2, ppid: sctp.PPID.WEBRTC_STRING, data: Buffer.from('x'.repeat(16384)) }
  ]
  socket.on('connect', () => {
    console.log(`client: SCTP connected (OS ${socket.OS}, MIS ${socket.MIS})`)
    for (const m of sent) socket.createStream(m.stream).send(m.data, { ppid: m.ppid })
  })
  let echoes = 0
  socket.on('message', (data, { streamId, ppid }) => {
    const m = sent.find((s) => s.stream === streamId)
    const ok = m && m.ppid === ppid && data.equals(m.data)
    console.log(`client: echo on stream ${streamId}, ppid ${ppid}, ${data.length} bytes ${ok ? 'intact' : 'CORRUPTED'}`)
    if (!ok) process.exitCode = 1
    if (++echoes === sent.length) socket.end() // graceful SHUTDOWN
  })
  socket.on('error', (err) => {
    console.error(`client: ${err.code}: ${err.message}`)
    process.exitCode = 1
  })
  socket.on('close', (hadError) => {
    console.log(`client: closed (hadError=${hadError}), ${socket.bytesWritten} bytes out, ${socket.bytesRead} in`)
    transport.destroy()
  })
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
