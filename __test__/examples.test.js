'use strict'
// Every example under examples/ runs as a user would run it: its own process,
// real sockets on 127.0.0.1, exit code 0 and the expected output.
const test = require('node:test')
require('./helpers/leaks')
const assert = require('node:assert/strict')
const path = require('path')
const { spawn } = require('child_process')

const ROOT = path.join(__dirname, '..')

// Runs `node examples/<file> ...args`; resolves with { code, stdout, stderr }.
// `onLine` sees stdout line by line (used to find a server's port).
function run (file, args = [], { timeout = 20000, onLine } = {}) {
  const child = spawn(process.execPath, [path.join('examples', file), ...args], {
    cwd: ROOT, env: { ...process.env, DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  let pending = ''
  child.stdout.on('data', (d) => {
    stdout += d
    pending += d
    let nl
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl)
      pending = pending.slice(nl + 1)
      if (onLine) onLine(line)
    }
  })
  child.stderr.on('data', (d) => { stderr += d })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeout)
  const done = new Promise((resolve) => child.on('close', (code, signal) => {
    clearTimeout(timer)
    resolve({ code, signal, stdout, stderr })
  }))
  done.child = child
  return done
}

// A server example and a client example: the client gets the port the server printed.
async function serverAndClient (serverFile, clientFile, clientArgs = []) {
  let gotPort
  const portSeen = new Promise((resolve) => { gotPort = resolve })
  const server = run(serverFile, ['0'], {
    onLine: (line) => {
      const m = /(?:udp|dtls):\/\/127\.0\.0\.1:(\d+)/.exec(line)
      if (m) gotPort(m[1])
    }
  })
  const port = await Promise.race([portSeen, server.then((r) => { throw new Error(`${serverFile} exited: ${JSON.stringify(r)}`) })])
  const client = await run(clientFile, [port, ...clientArgs])
  return { server: await server, client }
}

function assertOk (r, name) {
  assert.equal(r.code, 0, `${name} exited with ${r.code} (${r.signal})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
}

test('examples/demo.js (npm run demo): three streams over UDP, graceful end', { timeout: 30000 }, async () => {
  const r = await run('demo.js')
  assertOk(r, 'demo.js')
  assert.match(r.stdout, /client: connected over UDP/)
  assert.equal((r.stdout.match(/client: echo on stream \d ppid \d+/g) || []).length, 3)
  assert.match(r.stdout, /client: closed \(hadError=false\)/)
  assert.match(r.stdout, /server: association closed/)
})

test('examples/udp-echo-server.js + udp-echo-client.js: echoes intact, both exit', { timeout: 30000 }, async () => {
  const { server, client } = await serverAndClient('udp-echo-server.js', 'udp-echo-client.js', ['one', 'two', 'x'.repeat(20000)])
  assertOk(client, 'udp-echo-client.js')
  assertOk(server, 'udp-echo-server.js')
  assert.match(client.stdout, /echo 1\/3 on stream 0, ppid 51, 3 bytes intact/)
  assert.match(client.stdout, /echo 3\/3 on stream 0, ppid 51, 20000 bytes intact/)
  assert.doesNotMatch(client.stdout, /CORRUPTED/)
  assert.match(client.stdout, /client: closed \(hadError=false\)/)
  assert.match(server.stdout, /peer ended after 3 messages, 20006 bytes/)
  assert.match(server.stdout, /server: closed \(hadError=false\)/)
})

for (const serverFile of ['dtls-server.js', 'dtls-passive-server.js']) {
  test(`examples/${serverFile} + dtls-client.js: SCTP over DTLS over UDP, certificates checked`, { timeout: 30000 }, async () => {
    const { server, client } = await serverAndClient(serverFile, 'dtls-client.js')
    assertOk(client, 'dtls-client.js')
    assertOk(server, serverFile)
    // Each side saw the certificate the other made: DTLS really ran.
    const fp = (out, re) => (re.exec(out) || [])[1]
    const serverCert = fp(server.stdout, /server: my fingerprint ([0-9A-F:]+)/)
    const clientCert = fp(client.stdout, /client: my fingerprint ([0-9A-F:]+)/)
    assert.ok(serverCert && clientCert && serverCert !== clientCert)
    assert.equal(fp(client.stdout, /server fingerprint ([0-9A-F:]+)/), serverCert)
    assert.equal(fp(server.stdout, /client fingerprint ([0-9A-F:]+)/), clientCert)
    assert.equal((client.stdout.match(/bytes intact/g) || []).length, 3)
    assert.doesNotMatch(client.stdout, /CORRUPTED/)
    assert.match(client.stdout, /closed \(hadError=false\), 81935 bytes out, 81935 in/)
    assert.match(server.stdout, /peer ended after 3 messages, 81935 bytes/)
    assert.match(server.stdout, /server: closed \(hadError=false\)/)
  })
}

test('examples/udp-server.js --demo 20: one UDP socket serves 20 clients, then exits', { timeout: 30000 }, async () => {
  const r = await run('udp-server.js', ['0', '--demo', '20'])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /clients: 20 replies, e\.g\. "HELLO FROM CLIENT 19"/)
  assert.match(r.stdout, /server: served 20 associations on one UDP socket; .*"sendErrors":0/)
})

test('examples/streams.js: six streams, mixed reliability, resets', { timeout: 30000 }, async () => {
  const r = await run('streams.js')
  assertOk(r, 'streams.js')
  assert.equal((r.stdout.match(/sent 50, received 50 .*, reset$/gm) || []).length, 6)
  assert.match(r.stdout, /maxRetransmits 0/)
  assert.match(r.stdout, /maxPacketLifeTime 150 ms/)
  assert.match(r.stdout, /all reliable streams complete and ordered streams in order/)
})

test('examples/migration.js: @nodertc/sctp code runs unchanged', { timeout: 30000 }, async () => {
  const r = await run('migration.js')
  assertOk(r, 'migration.js')
  const lines = r.stdout.trim().split('\n')
  assert.deepEqual(lines.slice(0, 3), [
    'server: listening on SCTP port 2905',
    'server: connection from SCTP port 2906',
    'client: connected, OS 4'
  ])
  // Two streams: their messages may be reported in either order.
  assert.deepEqual(lines.slice(3, 7).sort(), [
    'client: echo of "hello on stream 1"',
    'client: echo of the ASP Up',
    'server: stream 0: 16 bytes',
    'server: stream 1: 17 bytes'
  ])
  assert.deepEqual(lines.slice(7), ['client: closed', 'server: closed'])
  assert.equal(r.stderr, '')
})
