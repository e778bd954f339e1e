'use strict'
// A real DTLS link for tests: werift-dtls's client and server on two UDP
// sockets on 127.0.0.1, each wrapped as an SCTP transport (RFC 8261).
const sctp = require('../..')
// werift-dtls 0.5.x declares a "main" it does not ship; its entry point is lib/dtls/src.
const { DtlsClient, DtlsServer, CipherContext, HashAlgorithm, SignatureAlgorithm, NamedCurveAlgorithm } = require('werift-dtls/lib/dtls/src')
const { boundUdp } = require('./util')

// Self-signed ECDSA P-256 certificates, made at test time.
const certificate = () => CipherContext.createSelfSignedCertificateWithKey(
  { hash: HashAlgorithm.sha256_4, signature: SignatureAlgorithm.ecdsa_3 }, NamedCurveAlgorithm.secp256r1_23)

// A DTLS client and server on two UDP sockets, each wrapped as an SCTP transport.
// The client's handshake starts only when `start()` is called.
async function dtlsPair () {
  const [serverCert, clientCert] = await Promise.all([certificate(), certificate()])
  const [serverUdp, clientUdp] = await Promise.all([boundUdp(), boundUdp()])
  const server = new DtlsServer({
    cert: serverCert.certPem, key: serverCert.keyPem, signatureHash: serverCert.signatureHash,
    certificateRequest: true, transport: sctp.dtlsUdp(serverUdp)
  })
  const client = new DtlsClient({
    cert: clientCert.certPem, key: clientCert.keyPem, signatureHash: clientCert.signatureHash,
    transport: sctp.dtlsUdp(clientUdp, { port: serverUdp.address().port })
  })
  return {
    server,
    client,
    serverUdp,
    clientUdp,
    serverCert,
    clientCert,
    serverTransport: sctp.dtlsTransport(server),
    clientTransport: sctp.dtlsTransport(client),
    start: () => client.connect()
  }
}

module.exports = { dtlsPair }
