'use strict'
// The README as a reader follows it: the versions it states are the ones the
// package files declare, and its Quick start runs as written, from the clone
// (require('sctp-native') resolves to the clone itself through "exports").
const test = require('node:test')
require('./helpers/leaks')
const assert = require('node:assert/strict')
const fs = require('fs')
const path = require('path')
const { execFile } = require('child_process')

const ROOT = path.join(__dirname, '..')
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')

// The first ```js block after `heading`.
function codeAfter (heading) {
  const at = README.indexOf(`\n${heading}\n`)
  assert.ok(at >= 0, `README has "${heading}"`)
  const m = /```js\n([\s\S]*?)```/.exec(README.slice(at))
  assert.ok(m, `a js block after "${heading}"`)
  return m[1]
}

test('README: the Node and Rust minimums are the ones package.json and Cargo.toml declare', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  const cargo = fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8')
  const node = /\*\*Node\.js ≥ ([\d.]+)\*\*/.exec(README)[1]
  const rust = /\*\*Rust ≥ ([\d.]+)\*\*/.exec(README)[1]
  assert.equal(pkg.engines.node, `>=${node}`)
  assert.equal(/^rust-version = "([\d.]+)"$/m.exec(cargo)[1], rust)
  // And this run is on a supported Node.
  const [maj, min] = process.versions.node.split('.').map(Number)
  const [needMaj, needMin] = node.split('.').map(Number)
  assert.ok(maj > needMaj || (maj === needMaj && min >= needMin), `Node ${process.versions.node} >= ${node}`)
})

test('README: the Quick start runs as written and prints the echo', { timeout: 20000 }, async () => {
  const code = codeAfter('## Quick start')
  assert.match(code, /require\('sctp-native'\)/)
  const { err, stdout, stderr } = await new Promise((resolve) => {
    execFile(process.execPath, ['-e', code], { cwd: ROOT, timeout: 15000, env: { ...process.env, DEBUG: '' } },
      (err, stdout, stderr) => resolve({ err, stdout, stderr }))
  })
  assert.equal(err, null, stderr)
  assert.equal(stdout, 'hello\n')
})
