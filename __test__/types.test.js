'use strict'
// The TypeScript declarations (index.d.ts, index.d.mts) against
// __test__/types/usage.ts and usage.mts: they compile under --strict, and the
// mistakes marked @ts-expect-error are rejected — shown by removing one.
const test = require('node:test')
require('./helpers/leaks')
const assert = require('node:assert/strict')
const fs = require('fs')
const path = require('path')
const { execFile } = require('child_process')

const ROOT = path.join(__dirname, '..')
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc') // what node_modules/.bin/tsc runs

// Resolves with { code, output } of `tsc -p <project> --strict --noEmit`.
function tsc (project) {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSC, '-p', project, '--strict', '--noEmit'], { cwd: ROOT, timeout: 60000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.code ?? 1) : 0, output: stdout + stderr })
    })
  })
}

test('types: usage.ts and usage.mts compile with --strict', { timeout: 90000 }, async () => {
  const r = await tsc(path.join('__test__', 'types'))
  assert.equal(r.code, 0, r.output)
})

test('types: without one @ts-expect-error the same code fails to compile', { timeout: 90000 }, async () => {
  // Inside the package, so that 'sctp-native' still resolves to it by name.
  const dir = fs.mkdtempSync(path.join(ROOT, '.types-test-'))
  try {
    const usage = fs.readFileSync(path.join(__dirname, 'types', 'usage.ts'), 'utf8')
    const marker = '// @ts-expect-error: transport is required\n'
    assert.ok(usage.includes(marker), 'usage.ts has the @ts-expect-error this test removes')
    fs.writeFileSync(path.join(dir, 'usage.ts'), usage.replace(marker, ''))
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      extends: path.join(__dirname, 'types', 'tsconfig.json'),
      files: ['usage.ts']
    }))
    const r = await tsc(dir)
    assert.notEqual(r.code, 0, 'tsc accepted connect() without a transport')
    assert.match(r.output, /usage\.ts\(\d+,\d+\): error TS2345: .*Property 'transport' is missing/s)
    // Only that error: every other @ts-expect-error still matched.
    assert.equal(r.output.match(/error TS\d+/g).length, 1, r.output)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
