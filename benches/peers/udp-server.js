'use strict'
// The server side of the UDP server-socket workload: one udpTransport serving
// every client, holding each accepted association (a Socket with a 'data'
// listener, as an application would). The load is benches/udp_clients.rs.
//
//   node --expose-gc benches/peers/udp-server.js --count N
//
// Prints {"port":P} once listening; after N associations are accepted, waits
// for the handshakes to settle, collects garbage, and prints one JSON line:
// the RSS growth per association (JavaScript and native together), measured
// from just before the first INIT.
const sctp = require('../../index.js')
const { once } = require('events')

const count = Number(process.argv[process.argv.indexOf('--count') + 1] || 10000)
const gc = global.gc || (() => {})
const rss = () => { gc(); gc(); return process.memoryUsage().rss }

async function main () {
  const transport = sctp.udpTransport({ localAddress: '127.0.0.1', maxAssociations: count + 100 })
  await once(transport, 'ready')
  const sockets = []
  const server = sctp.createServer({ transport }, (s) => {
    sockets.push(s)
    s.on('data', () => {})
    s.on('error', () => {})
    if (sockets.length === count) setTimeout(report, 1000)
  })
  server.listen(5000)
  const before = rss()
  process.stdout.write(JSON.stringify({ port: transport.address().port }) + '\n')
  function report () {
    const after = rss()
    const native = sockets[0].transportStats()
    process.stdout.write(JSON.stringify({
      ok: true,
      associations: native.associations,
      accepted: sockets.length,
      bytes_per_assoc: Math.round((after - before) / count),
      rss_mib: +(after / 1048576).toFixed(1)
    }) + '\n')
    for (const s of sockets) s.destroy()
    server.close()
    transport.destroy()
  }
}

main().catch((e) => { process.stderr.write(`${e.stack || e}\n`); process.exit(1) })
