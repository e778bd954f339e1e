'use strict'
// werift-sctp (pure TypeScript SCTP, used by the werift WebRTC stack).
// Its transport is { send(buf): Promise, onData, close }: `transport` below
// puts one over each end of the emulated link the other implementations use.
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
const { emulatedPair } = require('../../lib/emulator')
const { main } = require('./common')

const PPID_BINARY = 53
const DEFERRED = { bulk: true, small: true, pingpong: false, handshakes: true, loss: true, memory: true, delay: true, loss5: true }

// One end of the emulated link as a werift transport. deferred: send()
// resolves on a later tick, as a real socket's write callback does;
// otherwise at once.
function transport (duplex, deferred) {
  const t = {
    onData: undefined,
    send (buf) {
      if (!duplex.destroyed) duplex.write(buf)
      return deferred ? new Promise(setImmediate) : Promise.resolve()
    },
    close () { duplex.destroy() }
  }
  duplex.on('data', (buf) => { if (t.onData) t.onData(buf) })
  return t
}

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

async function open ([a, b], workload) {
  const client = SCTP.client(transport(a, DEFERRED[workload]), 5001)
  const server = SCTP.server(transport(b, DEFERRED[workload]), 5000)
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
      a.destroy()
      b.destroy()
    }
  }
}

// werift has one association per transport: `count` links, opened in waves so
// that no INIT waits in line past werift's 3 s T1 timer and is sent again.
async function idle (count, budgetMs = Infinity) {
  const conns = []
  const deadline = Date.now() + budgetMs
  for (let i = 0; i < count && Date.now() < deadline; i += WAVE) {
    const wave = []
    for (let j = i; j < Math.min(count, i + WAVE); j++) wave.push(open(emulatedPair(), 'memory'))
    conns.push(...await Promise.all(wave))
  }
  return {
    opened: conns.length,
    close: () => Promise.all(conns.map((c) => c.close()))
  }
}
const WAVE = 500

main({
  name: 'werift-sctp',
  version: require('werift-sctp/package.json').version,
  notes: ['transport send() resolves on a later tick, except ping-pong (immediate; see werift.js)', 'close = ABORT (no graceful shutdown in werift-sctp)'],
  open,
  idle
})
