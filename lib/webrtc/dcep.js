'use strict'
// The Data Channel Establishment Protocol (RFC 8832 §5): DATA_CHANNEL_OPEN and
// DATA_CHANNEL_ACK, the messages sent with PPID 50 on a channel's stream.
// parse() takes bytes from the peer: it reads nothing past the end it was
// given and fails with a coded Error (ERR_DCEP_*), never anything else.
const { withCode } = require('../errors')

const ACK = 0x02
const OPEN = 0x03

// Channel Type (RFC 8832 §5.1): the high bit is "unordered", the low bits
// say what the Reliability Parameter means.
const UNORDERED = 0x80
const RELIABLE = 0x00
const REXMIT = 0x01
const TIMED = 0x02

// Priority (RFC 8831 §6.4): "normal", what a browser sends for a channel
// created without the webrtc-priority extension.
const PRIORITY_NORMAL = 256

const OPEN_HEADER = 12 // type, channel type, priority, reliability parameter, label and protocol lengths
const MAX_STRING = 0xffff // label and protocol lengths are 16-bit fields

const ACK_MESSAGE = Buffer.from([ACK])

const malformed = (code, message) => withCode(Error, code, `DCEP: ${message}`)

// A DATA_CHANNEL_OPEN for a channel's settings: { label, protocol, ordered,
// maxRetransmits, maxPacketLifeTime, priority } (the two limits null or absent
// when not set; at most one of them set).
function encodeOpen ({ label = '', protocol = '', ordered = true, maxRetransmits = null, maxPacketLifeTime = null, priority = PRIORITY_NORMAL }) {
  const labelBytes = Buffer.from(label)
  const protocolBytes = Buffer.from(protocol)
  if (labelBytes.length > MAX_STRING || protocolBytes.length > MAX_STRING) {
    throw malformed('ERR_DCEP_TOO_LONG', 'label and protocol are at most 65535 bytes each')
  }
  let type = RELIABLE
  let parameter = 0
  if (maxRetransmits !== null && maxRetransmits !== undefined) {
    type = REXMIT
    parameter = maxRetransmits
  } else if (maxPacketLifeTime !== null && maxPacketLifeTime !== undefined) {
    type = TIMED
    parameter = maxPacketLifeTime
  }
  if (!ordered) type |= UNORDERED
  const msg = Buffer.alloc(OPEN_HEADER + labelBytes.length + protocolBytes.length)
  msg[0] = OPEN
  msg[1] = type
  msg.writeUInt16BE(priority, 2)
  msg.writeUInt32BE(parameter, 4)
  msg.writeUInt16BE(labelBytes.length, 8)
  msg.writeUInt16BE(protocolBytes.length, 10)
  labelBytes.copy(msg, OPEN_HEADER)
  protocolBytes.copy(msg, OPEN_HEADER + labelBytes.length)
  return msg
}

const encodeAck = () => ACK_MESSAGE

// { type: 'ack' } or { type: 'open', label, protocol, ordered, maxRetransmits,
// maxPacketLifeTime, priority }. Throws ERR_DCEP_EMPTY, ERR_DCEP_UNKNOWN_TYPE,
// ERR_DCEP_TRUNCATED, ERR_DCEP_TRAILING_BYTES or ERR_DCEP_BAD_CHANNEL_TYPE.
function parse (data) {
  if (!(data instanceof Uint8Array)) throw malformed('ERR_DCEP_NOT_BYTES', 'a message is bytes')
  if (data.length === 0) throw malformed('ERR_DCEP_EMPTY', 'empty message')
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  switch (buf[0]) {
    case ACK:
      // RFC 8832 §5.2: the ACK is the message type alone.
      if (buf.length !== 1) throw malformed('ERR_DCEP_TRAILING_BYTES', `DATA_CHANNEL_ACK of ${buf.length} bytes (it is 1)`)
      return { type: 'ack' }
    case OPEN:
      return parseOpen(buf)
    default:
      throw malformed('ERR_DCEP_UNKNOWN_TYPE', `unknown message type 0x${buf[0].toString(16).padStart(2, '0')}`)
  }
}

function parseOpen (buf) {
  if (buf.length < OPEN_HEADER) throw malformed('ERR_DCEP_TRUNCATED', `DATA_CHANNEL_OPEN of ${buf.length} bytes (the header is ${OPEN_HEADER})`)
  const type = buf[1]
  const kind = type & ~UNORDERED
  if (kind !== RELIABLE && kind !== REXMIT && kind !== TIMED) {
    throw malformed('ERR_DCEP_BAD_CHANNEL_TYPE', `unknown channel type 0x${type.toString(16).padStart(2, '0')}`)
  }
  const priority = buf.readUInt16BE(2)
  const parameter = buf.readUInt32BE(4)
  const labelLength = buf.readUInt16BE(8)
  const protocolLength = buf.readUInt16BE(10)
  const end = OPEN_HEADER + labelLength + protocolLength
  if (end > buf.length) throw malformed('ERR_DCEP_TRUNCATED', `label and protocol need ${end} bytes, the message has ${buf.length}`)
  if (end < buf.length) throw malformed('ERR_DCEP_TRAILING_BYTES', `${buf.length - end} bytes after the protocol`)
  return {
    type: 'open',
    // Not valid UTF-8: decoded with U+FFFD in place of the bad bytes, as a USVString would be.
    label: buf.toString('utf8', OPEN_HEADER, OPEN_HEADER + labelLength),
    protocol: buf.toString('utf8', OPEN_HEADER + labelLength, end),
    ordered: (type & UNORDERED) === 0,
    // RFC 8832 §5.1: for a reliable channel the parameter is ignored.
    maxRetransmits: kind === REXMIT ? parameter : null,
    maxPacketLifeTime: kind === TIMED ? parameter : null,
    priority
  }
}

module.exports = { encodeOpen, encodeAck, parse, ACK, OPEN, PRIORITY_NORMAL, CHANNEL_TYPE: Object.freeze({ UNORDERED, RELIABLE, REXMIT, TIMED }) }
