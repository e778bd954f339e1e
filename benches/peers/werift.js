'use strict'
// werift-sctp (pure TypeScript SCTP, used by the werift WebRTC stack).
// Its transport is { send(buf): Promise, onData, close } (see pair.js).
//
// Each workload runs in werift's stronger transport mode, measured:
// - deferred (send() resolves on a later tick, like a socket's write callback)
//   is faster for bulk, small messages and handshakes;
// - immediate for ping-pong: deferred, werift 0.0.11 answers a SACK-only packet
//   with another SACK while its own SACK is still being sent (sackNeeded is
//   cleared only after `await sendChunk`), a storm that grows the median RTT
//   from ~40 µs to tens of ms over a few thousand round trips.
// Backpressure is werift's own: `await sctp.send()` resolves once its outbound
// queue has drained (queueing ahead of it was measured slower).
// It has no graceful close: stop() sends ABORT, so "handshakes" close by abort.
const { SCTP } = require('werift-sctp')
const { callbackPair } = require('./pair')
const { main } = require('./common')

const PPID_BINARY = 53
const DEFERRED = { bulk: true, small: true, pingpong: false, handshakes: true, loss: true }

function end (sctp) {
  let pending = null
  return {
    write (buf) {
      pending = sctp.send(0, PPID_BINARY, buf).catch(() => {})
      return false
    },
    writable: () => pending,
    onMessage (fn) {
      sctp.onReceive.subscribe((streamId, ppid, data) => fn(data))
    }
  }
}

async function open (wire, workload) {
  const { a, b } = callbackPair(wire, { deferred: DEFERRED[workload] })
  const client = SCTP.client(a, 5001)
  const server = SCTP.server(b, 5000)
  const both = Promise.all([client.stateChanged.connected.asPromise(), server.stateChanged.connected.asPromise()])
  server.start(5001)
  client.start(5000)
  await both
  return {
    client: end(client),
    server: end(server),
    async close () {
      const down = server.state === 'closed' ? Promise.resolve() : server.stateChanged.closed.asPromise()
      await client.stop() // ABORT
      await down
      await server.stop()
    }
  }
}

main({
  name: 'werift-sctp',
  version: require('werift-sctp/package.json').version,
  notes: ['transport send() resolves on a later tick, except ping-pong (immediate; see werift.js)', 'close = ABORT (no graceful shutdown in werift-sctp)'],
  open
})
