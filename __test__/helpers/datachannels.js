'use strict'
// Helpers for the data-channel tests: pairs of RTCSctpTransports (in memory,
// recorded, or over real DTLS), EventTarget events as promises with
// deadlines, and what a channel received or went through.
const sctp = require('../..')
const { recordingPair } = require('./packets')
const { dtlsPair } = require('./dtls')
const { waitFor } = require('./util')

// The next `type` event of an EventTarget, or a rejection after `ms` naming what did not come.
function nextEvent (target, type, ms = 5000, what = `'${type}'`) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      target.removeEventListener(type, done)
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`))
    }, ms)
    function done (event) {
      clearTimeout(timer)
      resolve(event)
    }
    target.addEventListener(type, done, { once: true })
  })
}

// Polls `predicate` every millisecond until it holds, or rejects after `ms`.
function until (predicate, ms = 5000, what = 'a condition') {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms
    const poll = () => {
      if (predicate()) return resolve()
      if (Date.now() > deadline) return reject(new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`))
      setTimeout(poll, 1)
    }
    poll()
  })
}

// Everything a channel (or transport) fires, in order, as event types.
function record (target, types = ['open', 'closing', 'close', 'error']) {
  const seen = []
  for (const type of types) target.addEventListener(type, () => seen.push(type))
  return seen
}

// A channel's messages (event.data) as they arrive; `inbox.count(n)` resolves once n are in.
function inbox (channel) {
  const got = []
  channel.addEventListener('message', (e) => got.push(e.data))
  got.count = (n, ms = 5000) => until(() => got.length >= n, ms, () => `${n} messages on '${channel.label}' (${got.length} in)`)
  return got
}

// The next 'datachannel' event's channel.
const nextChannel = (t, ms) => nextEvent(t, 'datachannel', ms).then((e) => e.channel)

// Two transports over an in-memory link: `a` is the DTLS client (even ids),
// `b` the server (odd ids). `link` is a recordingPair: every packet each side sent.
function memoryPair ({ a: aOpts = {}, b: bOpts = {}, record: recordLimit } = {}) {
  const link = recordingPair({ record: recordLimit })
  const a = sctp.createSctpTransport({ transport: link.a, role: 'client', ...aOpts })
  const b = sctp.createSctpTransport({ transport: link.b, role: 'server', ...bOpts })
  return { a, b, link, close: () => closeBoth(a, b, () => { link.a.destroy(); link.b.destroy() }) }
}

// Two transports over werift-dtls on UDP loopback: `a` on the DTLS client, `b` on the server.
async function dtlsTransportPair (opts = {}) {
  const d = await dtlsPair()
  const handshakes = Promise.all([waitFor(d.serverTransport, 'secureConnect'), waitFor(d.clientTransport, 'secureConnect')])
  const a = sctp.createSctpTransport({ transport: d.clientTransport, role: 'client', ...opts })
  const b = sctp.createSctpTransport({ transport: d.serverTransport, role: 'server', ...opts })
  d.start()
  await handshakes
  return { a, b, dtls: d, close: () => closeBoth(a, b, () => { d.clientTransport.destroy(); d.serverTransport.destroy() }) }
}

// Closes both transports (a no-op for a closed one), waits until both are
// closed, then lets go of the link.
async function closeBoth (a, b, destroyLink) {
  try {
    const closed = [a, b].map((t) => t.state === 'closed' ? null : nextEvent(t, 'close', 10000, 'the transport\'s \'close\''))
    a.close()
    b.close()
    await Promise.all(closed)
  } finally {
    destroyLink()
  }
}

module.exports = { nextEvent, until, record, inbox, nextChannel, memoryPair, dtlsTransportPair }
