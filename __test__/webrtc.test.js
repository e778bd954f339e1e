'use strict'
// Interop with libwebrtc, the WebRTC stack inside Chrome (@roamhq/wrtc, M106 with dcsctp), over a
// real ICE + DTLS connection made by werift. Each scenario under webrtc/ runs in its own process
// inside a private network namespace (webrtc/netns.sh): libwebrtc gathers no loopback candidates,
// and the binding can crash when its process exits. This file loads neither libwebrtc nor werift.
// It needs root (unshare -n) and the devDependencies; without them every test is skipped with the
// reason. See webrtc/README.md.
const test = require('node:test')
require('./helpers/leaks')
const assert = require('node:assert/strict')
const path = require('path')
const { spawn } = require('child_process')
const { available } = require('./webrtc/seam') // resolves the packages without loading them

const ROOT = path.join(__dirname, '..')
const KIT = path.join(__dirname, 'webrtc')
const SKIP_STATUS = 77 // netns.sh could not make the namespace
const can = available()

// Runs a command from the repository root; resolves with { code, signal, stdout, stderr, ms }.
function run (command, args, timeout) {
  const t0 = Date.now()
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => { stdout += d })
  child.stderr.on('data', (d) => { stderr += d })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeout)
  return new Promise((resolve) => child.on('close', (code, signal) => {
    clearTimeout(timer)
    resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 })
  }))
}

// Asserts exit 0, with the output in the message; skips on SKIP_STATUS. Returns the result, or
// undefined when skipped.
async function expectSuccess (t, what, command, args, timeout = 45000) {
  const r = await run(command, args, timeout)
  if (r.code === SKIP_STATUS) return t.skip(r.stderr.trim())
  const how = r.signal ? ` (${r.signal}${r.signal === 'SIGKILL' ? `, killed after ${timeout} ms` : ''})` : ''
  assert.equal(r.code, 0, `${what} exited with ${r.code}${how}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
  t.diagnostic(`${what}: ${r.ms} ms`)
  return r
}

// A scenario under webrtc/, in its own network namespace.
const runScenario = (t, script, args) =>
  expectSuccess(t, `${script} ${args.join(' ')}`, path.join(KIT, 'netns.sh'), [process.execPath, path.join(KIT, script), ...args])

for (const role of ['server', 'client']) {
  test(`socket API against libwebrtc, passive, sctp-native is DTLS ${role}: messages on a negotiated channel, its reset, SHUTDOWN`, { skip: can.ok ? false : can.reason }, async (t) => {
    const r = await runScenario(t, 'passive.js', [role])
    if (r) assert.match(r.stdout, /socket closed without error[^]*PASS/)
  })
}

for (const role of ['server', 'client']) {
  test(`data channels against libwebrtc, sctp-native is DTLS ${role}: DCEP both ways, messages, closes from either side, t.close(), libwebrtc's pc.close()`, { skip: can.ok ? false : can.reason }, async (t) => {
    const r = await runScenario(t, 'datachannels.js', [role])
    if (r) assert.match(r.stdout, /t\.close\(\): libwebrtc's \d+ open channels[^]*pc\.close\(\): our channels closed[^]*PASS/)
  })
}

test('examples/webrtc-datachannel.js: a channel each way between libwebrtc and sctp-native, then both close', { skip: can.ok ? false : can.reason }, async (t) => {
  const r = await expectSuccess(t, 'examples/webrtc-datachannel.js', process.execPath, [path.join('examples', 'webrtc-datachannel.js')])
  if (!r) return
  for (const line of [
    "sctp-native: 'datachannel': 'chat' (protocol chat-v1, id 1)",
    'sctp-native: got "hello from libwebrtc" on \'chat\'',
    'libwebrtc:   got "HELLO FROM LIBWEBRTC" on \'chat\'',
    "libwebrtc:   'datachannel': 'files' (protocol bytes, id 0)",
    "libwebrtc:   got 65536 bytes on 'files'",
    'sctp-native: got "thanks for 65536 bytes" on \'files\'',
    "libwebrtc:   'files' closed",
    "libwebrtc:   'chat' closed",
    'sctp-native: transport closed'
  ]) assert.ok(r.stdout.split('\n').includes(line), `missing: ${line}\nstdout:\n${r.stdout}`)
})
