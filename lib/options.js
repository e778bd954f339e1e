'use strict'
// Module defaults (net.sctp sysctl names) and validation of every option.
const { invalidType, outOfRange, invalidValue } = require('./errors')

// Every parameter is honoured: passed to sctp-proto or enforced by the driver
// (heartbeats, association_max_retrans, valid_cookie_life).

// @nodertc/sctp's parameters that sctp-proto 0.10.8 gives no way to honour:
// refused with the reason rather than accepted and ignored.
const UNSUPPORTED = {
  sack_timeout: 'is not supported: sctp-proto\'s delayed-ACK timer is a fixed 200 ms; remove it',
  sack_freq: 'is not supported: a SACK goes out for every second DATA packet (RFC 9260 §6.2); remove it'
}

const LIMITS = {
  rto_initial: [1, 3600000],
  rto_min: [1, 3600000],
  rto_max: [1, 3600000],
  max_init_retransmits: [0, 1000],
  association_max_retrans: [0, 1000],
  hb_interval: [0, 3600000],
  valid_cookie_life: [1, 3600000],
  max_message_size: [0, 0xffffffff],
  rwnd: [1500, 0x7fffffff]
}

// The timers suit today's networks rather than RFC 9260's conservative ones
// (README "Timers" has the reasons): RTO.min 400 ms as libwebrtc's dcSCTP uses,
// above the 200 ms delayed ACK of sctp-proto and usrsctp peers; RTO.initial
// 1 s (RFC 9260, RFC 6298); RTO.max 2 s, so that 10 silent timeouts report a
// vanished peer within about 19 s, and an idle one (a heartbeat after 10 s,
// then retried on the same back-off) within about 29 s — under the 30 s ICE
// consent freshness (RFC 7675) gives WebRTC. A connect to a silent address
// fails after 8 INITs, about 17 s.
const INITIAL = Object.freeze({
  rto_initial: 1000,
  rto_min: 400,
  rto_max: 2000,
  max_init_retransmits: 8,
  association_max_retrans: 10,
  hb_interval: 10000,
  valid_cookie_life: 60000,
  max_message_size: 262144,
  rwnd: 1048576
})

const current = { ...INITIAL }

function defaults (params) {
  if (params !== undefined) {
    if (params === null || typeof params !== 'object') throw invalidType('params', 'an object', params)
    const next = { ...current }
    for (const [name, value] of Object.entries(params)) {
      if (name in UNSUPPORTED) throw invalidValue(name, UNSUPPORTED[name])
      if (!(name in LIMITS)) throw invalidValue(name, `unknown parameter; known: ${Object.keys(LIMITS).join(', ')}`)
      next[name] = integer(name, value, ...LIMITS[name])
    }
    checkTimers(next, Object.keys(params))
    Object.assign(current, next)
  }
  return { ...current }
}

// The retransmission timers must agree: rto_min <= rto_initial <= rto_max.
// The error names a value the caller set, or the default to change with it.
function checkTimers (t, given) {
  const blame = (a, b) => (given.includes(a) || !given.includes(b) ? a : b)
  if (t.rto_min > t.rto_max) {
    const name = blame('rto_min', 'rto_max')
    throw outOfRange(name, name === 'rto_min' ? `<= rto_max (${t.rto_max})` : `>= rto_min (${t.rto_min})`, t[name])
  }
  if (t.rto_initial < t.rto_min || t.rto_initial > t.rto_max) {
    if (given.includes('rto_initial') || (!given.includes('rto_min') && !given.includes('rto_max'))) {
      throw outOfRange('rto_initial', `between rto_min (${t.rto_min}) and rto_max (${t.rto_max})`, t.rto_initial)
    }
    const name = t.rto_initial < t.rto_min ? 'rto_min' : 'rto_max'
    throw outOfRange(name, `${name === 'rto_min' ? '<=' : '>='} rto_initial (${t.rto_initial}); set rto_initial with it`, t[name])
  }
}

// Settings an association may also take in connect() / listen() options (same names).
const PER_ASSOCIATION = ['rto_initial', 'rto_min', 'rto_max', 'max_init_retransmits', 'association_max_retrans',
  'hb_interval', 'valid_cookie_life', 'rwnd']

// One current default, without copying them all.
const setting = (name) => current[name]

function integer (name, value, min, max) {
  if (typeof value !== 'number') throw invalidType(name, 'of type number', value)
  if (!Number.isInteger(value) || value < min || value > max) throw outOfRange(name, `an integer >= ${min} and <= ${max}`, value)
  return value
}

function optional (options, name, fallback, min, max) {
  const value = options[name]
  return value === undefined ? fallback : integer(name, value, min, max)
}

function port (options, name, required) {
  const value = options[name]
  if (value === undefined && !required) return undefined
  if (value === undefined) throw invalidType(name, 'of type number', value)
  return integer(name, value, 1, 65535)
}

function flag (options, name) {
  const value = options[name]
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw invalidType(name, 'of type boolean', value)
  return value
}

function transport (options) {
  const t = options.transport
  // A Duplex, or what udpTransport() returns (its packets never reach JavaScript).
  const ok = t && typeof t.on === 'function' && (typeof t.write === 'function' || typeof t.remoteFor === 'function')
  if (!ok) throw invalidType('transport', 'a stream.Duplex (one chunk = one SCTP packet) or a udpTransport()', t)
  return t
}

// Socket options (also given to connect()): what each write() sends.
function socketOptions (options) {
  return {
    ppid: optional(options, 'ppid', 0, 0, 0xffffffff),
    stream_id: optional(options, 'stream_id', 0, 0, 65534),
    unordered: flag(options, 'unordered'),
    no_bundle: flag(options, 'no_bundle')
  }
}

// The settings one association is created with: defaults + per-call options.
function assocConfig (options, localPort, remotePort) {
  let d = current
  const given = PER_ASSOCIATION.filter((name) => options[name] !== undefined)
  if (given.length) {
    d = { ...current }
    for (const name of given) d[name] = integer(name, options[name], ...LIMITS[name])
    checkTimers(d, given)
  }
  return {
    localPort,
    remotePort: remotePort || 0,
    os: optional(options, 'OS', 2, 1, 65535),
    mis: optional(options, 'MIS', 2, 1, 65535),
    rtoInitial: d.rto_initial,
    rtoMin: d.rto_min,
    rtoMax: d.rto_max,
    maxInitRetransmits: d.max_init_retransmits,
    associationMaxRetrans: d.association_max_retrans,
    maxMessageSize: optional(options, 'maxMessageSize', d.max_message_size, 0, 0xffffffff),
    rwnd: d.rwnd,
    hbInterval: d.hb_interval,
    validCookieLife: d.valid_cookie_life
  }
}

module.exports = { defaults, setting, socketOptions, assocConfig, port, flag, transport, integer }
