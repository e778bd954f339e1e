'use strict'
// DEBUG=sctp* logging, in child processes (debug reads DEBUG at load time):
// state changes, every packet's chunks (sctp:trace), what the native core
// dropped or contained (sctp:native) — and with DEBUG unset, not a byte on
// stderr and no packet parsed.
const test = require('node:test')
require('./helpers/leaks')
const assert = require('node:assert/strict')
const path = require('path')
const { execFile } = require('child_process')

const ROOT = path.join(__dirname, '..')

// One association over duplexPair: a garbage packet reaches the server, the
// client sends one message and ends. argv: 'poison' makes the client's
// association panic in the native core instead; 'guarded' makes parsing a
// packet or diffing native counters throw, to prove logging off skips them.
const CHILD = `
const sctp = require('sctp-native')
const log = require('./lib/log')
const mode = process.argv[1]
if (mode === 'guarded') log.describePacket = log.nativeChanges = () => { throw new Error('logging work done while off') }
const [ta, tb] = sctp.duplexPair()
const server = sctp.createServer({ transport: tb }, (s) => {
  s.on('error', () => {})
  s.resume()
  server.close()
})
server.listen(5000)
const client = sctp.connect({ transport: ta, port: 5000, localPort: 5001 }, () => {
  tb.push(Buffer.alloc(40, 7)) // 40 bytes of garbage from "the network": a bad checksum
  if (mode === 'poison') client._ep.native.testPoison(client._id)
  client.end('hello')
})
client.on('error', (err) => { if (mode !== 'poison') throw err })
`

// Resolves with { code, stderr } of the child; `debug` undefined: DEBUG unset.
function child (mode, debug) {
  const env = { ...process.env, SCTP_NATIVE_TEST_HOOKS: '1', DEBUG_COLORS: 'no' } // plain lines to match
  delete env.DEBUG
  if (debug !== undefined) env.DEBUG = debug
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', CHILD, mode], { cwd: ROOT, env, timeout: 15000 }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stderr })
    })
  })
}

test('DEBUG=sctp*: state changes, chunks in and out, native drops', { timeout: 20000 }, async () => {
  const { code, stderr } = await child('clean', 'sctp*')
  assert.equal(code, 0, stderr)
  assert.match(stderr, /sctp:state association \d+: connect 5001 -> 5000/)
  assert.match(stderr, /sctp:state association \d+: connect 5000 -> 5001/)
  assert.match(stderr, /sctp:state association \d+: close\b/)
  // The client's packets, out of one endpoint and into the other.
  assert.match(stderr, /sctp:trace out 5001 -> 5000 vtag 0x00000000: INIT\(/)
  assert.match(stderr, /sctp:trace in {2}5001 -> 5000 vtag 0x00000000: INIT\(/)
  for (const chunk of ['INIT_ACK', 'COOKIE_ECHO', 'COOKIE_ACK', 'DATA', 'SACK', 'SHUTDOWN', 'SHUTDOWN_ACK', 'SHUTDOWN_COMPLETE']) {
    assert.match(stderr, new RegExp(`sctp:trace out \\d+ -> \\d+ vtag 0x[0-9a-f]{8}: .*\\b${chunk}\\(`), chunk)
    assert.match(stderr, new RegExp(`sctp:trace in {2}\\d+ -> \\d+ vtag 0x[0-9a-f]{8}: .*\\b${chunk}\\(`), chunk)
  }
  assert.match(stderr, /sctp:native dropped 1 packet\(s\): bad checksum \(total 1\)/)
})

test('DEBUG=sctp:native: a panic contained in the core is logged, with the association\'s error', { timeout: 20000 }, async () => {
  const { code, stderr } = await child('poison', 'sctp:native,sctp:state')
  assert.equal(code, 0, stderr)
  assert.match(stderr, /sctp:native caught 1 panic\(s\) in the native core/)
  assert.match(stderr, /sctp:state association \d+: close ERR_SCTP_INTERNAL: /)
  assert.doesNotMatch(stderr, /sctp:trace/)
})

test('DEBUG unset: nothing on stderr, no packet parsed, no native counters read', { timeout: 20000 }, async () => {
  const { code, stderr } = await child('guarded', undefined)
  assert.equal(code, 0, stderr)
  assert.equal(stderr, '')
})
