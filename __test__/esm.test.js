'use strict'
// The ES module entry (index.mjs) as a user imports it, by package name:
// the same objects as require('sctp-native'), and a working association.
// Its types (index.d.mts) are compiled by types.test.js (types/usage.mts).
const test = require('node:test')
require('./helpers/leaks')
const assert = require('node:assert/strict')
const path = require('path')
const { execFile } = require('child_process')

const ROOT = path.join(__dirname, '..')

// Evaluated as an ES module with the package directory as cwd: 'sctp-native'
// resolves through the package's own "exports" (self-reference).
const SCRIPT = `
import { createRequire } from 'module'
import sctp, * as ns from 'sctp-native'
import { connect, PPID, createServer, duplexPair } from 'sctp-native'

const cjs = createRequire(process.cwd() + '/')('sctp-native')
const named = Object.keys(ns).filter((k) => k !== 'default').sort()
const same = sctp === cjs && named.every((k) => ns[k] === cjs[k])

const [ta, tb] = duplexPair()
let got
const server = createServer({ transport: tb }, (socket) => {
  socket.on('message', (data, info) => { got = { data: String(data), info } })
  server.close()
})
server.listen(5000)
const client = connect({ transport: ta, port: 5000, ppid: PPID.WEBRTC_STRING }, () => client.end('hello from ESM'))
client.on('close', (hadError) => {
  process.stdout.write(JSON.stringify({ same, named, cjsKeys: Object.keys(cjs).sort(), got, hadError }))
})
`

test('ESM: named and default exports are the CommonJS objects; an association works', { timeout: 20000 }, async () => {
  const out = await new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', SCRIPT], { cwd: ROOT, timeout: 15000, env: { ...process.env, DEBUG: '' } },
      (err, stdout, stderr) => err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))
  })
  const r = JSON.parse(out)
  assert.equal(r.same, true, 'default and named exports are the same objects as require()')
  assert.deepEqual(r.named, r.cjsKeys, 'every CommonJS export is a named export')
  assert.deepEqual(r.got, { data: 'hello from ESM', info: { streamId: 0, ppid: 51 } })
  assert.equal(r.hadError, false, 'graceful end')
})
