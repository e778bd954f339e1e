'use strict'
// SCTP over DTLS over UDP (RFC 8261, as WebRTC data channels run), the server side.
//   node examples/dtls-server.js [udpPort]        then: node examples/dtls-client.js <udpPort>
// DTLS is werift-dtls (`npm i werift-dtls`), a maintained pure-JS DTLS 1.2
// client and server. Both sides make a self-signed certificate and print its
// SHA-256 fingerprint, as WebRTC peers exchange them through signalling.
// This server serves one DTLS peer (one UDP 5-tuple), then exits.
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

  // DTLS server on the UDP socket; asking for the client's certificate, as WebRTC does.
  const dtls = new DtlsServer({ cert: certPem, key: keyPem, signatureHash, certificateRequest: true, transport: sctp.dtlsUdp(udp) })
  const transport = sctp.dtlsTransport(dtls) // the DTLS socket as a Duplex: one record = one SCTP packet
  transport.on('secureConnect', () => {
    console.log(`server: DTLS up, client fingerprint ${new crypto.X509Certificate(dtls.remoteCertificate).fingerprint256}`)
  })

  const server = sctp.createServer({ transport }, (socket) => {
    console.log(`server: association from SCTP port ${socket.remotePort} (OS ${socket.OS}, MIS ${socket.MIS})`)
    socket.on('message', (data, { streamId, ppid }) => {
      socket.createStream(streamId).send(data, { ppid }) // echo on the same stream with the same PPID
    })
    socket.on('end', () => console.log(`server: peer ended after ${socket.messagesReceived} messages, ${socket.bytesRead} bytes`))
    socket.on('close', (hadError) => {
      console.log(`server: closed (hadError=${hadError})`)
      server.close(() => transport.destroy()) // closes the DTLS socket and its UDP socket
    })
  })
  server.listen({ port: 5000, OS: 4, MIS: 4 }, () => {
    console.log(`server: listening on dtls://127.0.0.1:${udp.address().port}, SCTP port 5000`)
  })
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
