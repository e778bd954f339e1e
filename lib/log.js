'use strict'
// DEBUG=sctp* (the `debug` convention @nodertc/sctp used):
//   sctp:state   association state changes and errors
//   sctp:packet  packets per batch in and out
//   sctp:trace   every packet in and out: ports, verification tag, chunks
//   sctp:native  what the Rust core dropped, refused or contained (it raises no event for those)
//   sctp:endpoint, sctp:socket  endpoints created, connects
//   sctp:webrtc  data channels: DCEP messages refused or unreadable, channels the peer opened
// A disabled namespace costs one property check per call; callers guard
// anything costlier (parsing a packet, reading native stats) with `.enabled`.
const debug = require('debug')

// RFC 9260, 3758, 4895, 5061, 6525, 8260 chunk types.
const CHUNKS = {
  0: 'DATA',
  1: 'INIT',
  2: 'INIT_ACK',
  3: 'SACK',
  4: 'HEARTBEAT',
  5: 'HEARTBEAT_ACK',
  6: 'ABORT',
  7: 'SHUTDOWN',
  8: 'SHUTDOWN_ACK',
  9: 'ERROR',
  10: 'COOKIE_ECHO',
  11: 'COOKIE_ACK',
  12: 'ECNE',
  13: 'CWR',
  14: 'SHUTDOWN_COMPLETE',
  15: 'AUTH',
  64: 'I_DATA',
  128: 'ASCONF_ACK',
  130: 'RE_CONFIG',
  132: 'PAD',
  192: 'FORWARD_TSN',
  193: 'ASCONF',
  194: 'I_FORWARD_TSN'
}

// "5001 -> 5000 vtag 0x0badf00d: DATA(tsn 17, len 116) SACK(cum 3, len 16)",
// read from the 12-byte common header and each chunk's header. No checksum check.
function describePacket (pkt) {
  if (pkt.length < 12) return `${pkt.length} bytes: too short for SCTP`
  const chunks = []
  let off = 12
  while (off + 4 <= pkt.length) {
    const type = pkt[off]
    const len = pkt.readUInt16BE(off + 2)
    const name = CHUNKS[type] || `chunk ${type}`
    const tsn = (type === 0 || type === 3) && len >= 8 && off + 8 <= pkt.length ? pkt.readUInt32BE(off + 4) : undefined
    chunks.push(tsn === undefined ? `${name}(len ${len})` : `${name}(${type === 0 ? 'tsn' : 'cum'} ${tsn}, len ${len})`)
    if (len < 4) break // a malformed length would loop forever
    off += (len + 3) & ~3
  }
  if (off < pkt.length) chunks.push(`+${pkt.length - off} bytes`)
  const vtag = pkt.readUInt32BE(4).toString(16).padStart(8, '0')
  return `${pkt.readUInt16BE(0)} -> ${pkt.readUInt16BE(2)} vtag 0x${vtag}: ${chunks.join(' ') || 'no chunks'}`
}

// Native endpoint counters (stats()) that mean something was dropped or contained.
const DIAGNOSTICS = [
  ['malformed', 'dropped %d packet(s): malformed (total %d)'],
  ['badChecksum', 'dropped %d packet(s): bad checksum (total %d)'],
  ['outOfTheBlue', 'dropped %d packet(s): out of the blue (total %d)'],
  ['refusedInits', 'refused %d INIT(s) (total %d)'],
  ['evictedHandshakes', 'evicted %d half-open handshake(s) for new INITs (total %d)'],
  ['droppedData', 'dropped %d DATA chunk(s) outside the receive window (total %d)'],
  ['invalidStreamMessages', 'discarded %d message(s) on streams at or above MIS (total %d)'],
  ['panics', 'caught %d panic(s) in the native core; its association closes with ERR_SCTP_INTERNAL (total %d)']
]

const native = debug('sctp:native')

// Logs on sctp:native how the counters grew from `before` (undefined: from zero) to `now`.
function nativeChanges (before, now) {
  for (const [key, format] of DIAGNOSTICS) {
    const n = now[key] - (before ? before[key] : 0)
    if (n > 0) native(format, n, now[key])
  }
}

module.exports = {
  endpoint: debug('sctp:endpoint'),
  state: debug('sctp:state'),
  packet: debug('sctp:packet'),
  socket: debug('sctp:socket'),
  webrtc: debug('sctp:webrtc'),
  trace: debug('sctp:trace'),
  native,
  describePacket,
  nativeChanges
}
