'use strict'
// The usrsctp interop peer (__test__/peers/usrsctp, see its README.md):
// build it once, run it, collect its JSON result. Also the peer's payload
// pattern and digest, so tests can produce and check data the way it does.
const fs = require('fs')
const path = require('path')
const dgram = require('dgram')
const { spawn, execFileSync } = require('child_process')

const REPO = path.resolve(__dirname, '..', '..')
const PEER_SRC = path.join(REPO, '__test__', 'peers', 'usrsctp')
const PEER_BIN = path.join(REPO, '.peer', 'usrsctp-peer')
const BUILD = ['sh', path.join(PEER_SRC, 'build.sh'), path.dirname(PEER_BIN)]

// The peer binary, built into <repo>/.peer (ignored by git) on first use.
// build.sh installs Debian's libusrsctp-dev with apt-get when its header is
// missing, so this can take a while once. A failed build is remembered: every
// test that needs the peer then fails at once with the same message (what
// failed and how to fix it) instead of retrying, or hanging on half-made state.
let built = null
function peerBinary () {
  if (built === null) built = buildPeer()
  if (built instanceof Error) throw built
  return built
}

function buildPeer () {
  if (fs.existsSync(PEER_BIN) && fs.statSync(PEER_BIN).mtimeMs >= fs.statSync(path.join(PEER_SRC, 'usrsctp-peer.c')).mtimeMs) return PEER_BIN
  try {
    execFileSync(BUILD[0], BUILD.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], timeout: 600000 })
    return PEER_BIN
  } catch (err) {
    const output = `${err.stdout || ''}${err.stderr || ''}`.trim().split('\n').slice(-8).join('\n')
    const e = new Error(`the usrsctp interop peer could not be built: \`sh ${path.relative(REPO, BUILD[1])} ${path.relative(REPO, BUILD[2]) || '.'}\` ` +
      `failed (${err.code === 'ETIMEDOUT' ? 'timed out' : `exit ${err.status}`}). It needs gcc and Debian's libusrsctp-dev ` +
      `(build.sh installs it with apt-get as root or with sudo; otherwise: sudo apt-get install libusrsctp-dev).\n${output}`)
    e.code = 'ERR_USRSCTP_PEER_BUILD'
    return e
  }
}

// A UDP port that was free a moment ago: bind to 0, read the port, close.
// Used for the peer's --listen (it binds the port itself).
function freeUdpPort () {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4')
    s.once('error', reject)
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

// Runs the peer with `args`. Its own --timeout (default timeoutS) makes it
// ABORT and exit; killAfterMs is the hard limit after which we SIGKILL it.
// Returns { proc, done, log(re, ms), kill(signal) } where `done` resolves to
// { code, signal, json, stderr } when the process has exited.
function startPeer (args, { timeoutS = 25, killAfterMs = (timeoutS + 5) * 1000 } = {}) {
  const fullArgs = args.includes('--timeout') ? args : [...args, '--timeout', String(timeoutS)]
  const proc = spawn(peerBinary(), fullArgs, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  const waiters = [] // { re, resolve } for log()
  proc.stdout.setEncoding('utf8').on('data', (d) => { stdout += d })
  proc.stderr.setEncoding('utf8').on('data', (d) => {
    stderr += d
    for (const w of waiters.slice()) if (w.re.test(stderr)) w.resolve()
  })
  const hardKill = setTimeout(() => proc.kill('SIGKILL'), killAfterMs)
  const done = new Promise((resolve, reject) => {
    proc.once('error', (err) => { clearTimeout(hardKill); reject(err) })
    proc.once('close', (code, signal) => {
      clearTimeout(hardKill)
      for (const w of waiters.slice()) w.reject(new Error(`usrsctp-peer exited (${code}) before logging ${w.re}\n${stderr}`))
      let json = null
      const line = stdout.trim().split('\n').pop()
      try { json = JSON.parse(line) } catch {}
      resolve({ code, signal, json, stderr, stdout })
    })
  })

  // Resolves once the peer's stderr matches `re`, e.g. /listening:/ — so we
  // do not send an INIT before it has bound its port (a lost INIT costs 3 s).
  function log (re, ms = 10000) {
    if (re.test(stderr)) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const w = { re }
      const timer = setTimeout(() => finish(reject, new Error(`usrsctp-peer did not log ${re} within ${ms} ms\n${stderr}`)), ms)
      const finish = (fn, v) => { clearTimeout(timer); waiters.splice(waiters.indexOf(w), 1); fn(v) }
      w.resolve = () => finish(resolve)
      w.reject = (e) => finish(reject, e)
      waiters.push(w)
    })
  }

  return {
    proc,
    done,
    log,
    kill: (signal = 'SIGTERM') => proc.exitCode === null && proc.signalCode === null && proc.kill(signal),
    get stderr () { return stderr }
  }
}

// FNV-1a 64 as the peer computes `digest` / `sent_digest`, in 32-bit halves
// (BigInt per byte would take seconds for 10 MiB). prime = 2^40 + 0x1b3, so
// h * prime = h * 0x1b3 + (h << 40) mod 2^64.
class Fnv1a64 {
  constructor () {
    this.hi = 0xcbf29ce4
    this.lo = 0x84222325
  }

  update (buf) {
    let { hi, lo } = this
    for (let i = 0; i < buf.length; i++) {
      lo = (lo ^ buf[i]) >>> 0
      const l = lo * 0x1b3
      hi = (hi * 0x1b3 + ((lo << 8) >>> 0) + Math.floor(l / 0x100000000)) >>> 0
      lo = l >>> 0
    }
    this.hi = hi
    this.lo = lo
    return this
  }

  hex () {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0')
  }
}

module.exports = { peerBinary, startPeer, freeUdpPort, Fnv1a64, PEER_BIN, PEER_SRC }
