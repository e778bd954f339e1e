'use strict'
// SCTP over DTLS over UDP with a passive SCTP endpoint: instead of a Server,
// one socket that sends no INIT and accepts the one INIT coming from the
// expected SCTP port — how a WebRTC peer whose ports are known from
// signalling (a=sctp-port) can wait for the other side.
//   node examples/dtls-passive-server.js [udpPort]   then: node examples/dtls-client.js <udpPort>
const crypto = require('crypto')
const dgram = require('dgram')
// werift-dtls 0.5.x declares a "main" it does not ship; its entry point is lib/dtls/src.
const { DtlsServer, CipherContext, HashAlgorithm, SignatureAlgorithm, NamedCurveAlgorithm } = require('werift-dtls/lib/dtls/src')
const sctp = require('sctp-native')

async function main () {
  const { certPem, keyPem, signatureHash } = await CipherContext.createSelfSignedCertificateWithKey(
    { hash: HashAlgorithm.sha256_4, signature: SignatureAlgorithm.ecdsa_3 }, NamedCurveAlgorithm.secp256r1_23)
  console.log(`server: my fingerprint ${new crypto.X509Certificate(certPem).fingerprint256}`)

  const udp = dgram.createSocket('udp4')
  await new Promise((resolve) => udp.bind(Number(process.argv[2] || 0), '127.0.0.1', resolve))
  const dtls = new DtlsServer({ cert: certPem, key: keyPem, signatureHash, certificateRequest: true, transport: sctp.dtlsUdp(udp) })
  const transport = sctp.dtlsTransport(dtls)
  transport.on('secureConnect', () => {
    console.log(`server: DTLS up, client fingerprint ${new crypto.X509Certificate(dtls.remoteCertificate).fingerprint256}`)
  })

  // Passive: both SCTP ports are 5000, as in WebRTC.
  const socket = sctp.connect({ transport, port: 5000, localPort: 5000, passive: true, OS: 4, MIS: 4 })
  console.log(`server: waiting passively on dtls://127.0.0.1:${udp.address().port}, SCTP port 5000`)
  socket.on('connect', () => console.log(`server: association from SCTP port ${socket.remotePort} (OS ${socket.OS}, MIS ${socket.MIS})`))
  socket.on('message', (data, { streamId, ppid }) => {
    socket.createStream(streamId).send(data, { ppid }) // echo
  })
  socket.on('end', () => console.log(`server: peer ended after ${socket.messagesReceived} messages, ${socket.bytesRead} bytes`))
  socket.on('error', (err) => {
    console.error(`server: ${err.code}: ${err.message}`)
    process.exitCode = 1
  })
  socket.on('close', (hadError) => {
    console.log(`server: closed (hadError=${hadError})`)
    transport.destroy()
  })
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
