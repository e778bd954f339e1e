'use strict'
// Every test file requires this (util.js does): once the file's tests are
// done, nothing they opened may still be open. A socket, server, child process
// or timer left behind would keep the test process alive after its last test;
// `npm test` runs with --test-force-exit so that cannot hang the run, and this
// hook turns it into a failure that names what leaked.
const test = require('node:test')

// Handles that keep the process alive. (Pipes are left out: the runner's own
// stdout/stderr are pipes. A child process leaks as ProcessWrap.)
const LEAKS = new Set(['UDPWrap', 'TCPWrap', 'TCPServerWrap', 'ProcessWrap', 'Timeout', 'Immediate'])
const GRACE_MS = 2000 // closing is asynchronous; the endpoint's linger timer is unref'd

function leaked () {
  return process.getActiveResourcesInfo().filter((r) => LEAKS.has(r))
}

test.after(async () => {
  const deadline = Date.now() + GRACE_MS
  while (leaked().length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50).unref())
  const left = leaked()
  if (left.length) throw new Error(`still open after this file's tests: ${left.join(', ')}`)
})
