'use strict'
// `npm run bench`: every implementation's workloads, N runs each, each workload
// in a fresh child process; then a Markdown table of median (min–max) with the
// ratio sctp-native/peer, printed and written to benches/RESULTS.md.
//
//   node benches/run.js [--runs N] [--quick] [--only engine,native,werift,nodertc,usrsctp,webrtc,relay,vanished]
//
// Rows come from benches/peers/*.js (JS, over lib/emulator.js), `cargo bench
// --bench engine` (the Rust ceiling: sctp-proto with no JS), and usrsctp-peer
// over UDP loopback: against itself (a reference from C) and against
// sctp-native (benches/peers/udp.js) both ways, in a table of their own; the
// same three pairs through an impairing UDP relay (benches/peers/relay.js:
// 25 ms each way, 1% loss), another table; WebRTC data channels against
// libwebrtc (benches/peers/webrtc*.js, inside the network namespace of
// __test__/webrtc/netns.sh), another; and how long sctp-native's default
// timers take to notice a vanished peer (benches/peers/vanished.js), the last.
// `relay` and `vanished` in --only run those alone; they also come with
// `usrsctp` and `native`.
const { execFile, execFileSync, spawn } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const ROOT = path.join(__dirname, '..')
// usrsctp-peer (__test__/peers/usrsctp): built once by the tests' helper.
const { peerBinary } = require('../__test__/helpers/peer')
// the libwebrtc kit: available() loads neither @roamhq/wrtc nor werift
const webrtcKit = require('../__test__/webrtc/seam')
const NETNS = path.join(ROOT, '__test__', 'webrtc', 'netns.sh')
const NATIVE_UDP = [process.execPath, path.join(__dirname, 'peers', 'udp.js')] // takes usrsctp-peer's flags
const RELAY = path.join(__dirname, 'peers', 'relay.js')
const VANISHED = path.join(__dirname, 'peers', 'vanished.js')
const WORKLOADS = ['bulk', 'small', 'pingpong', 'handshakes', 'loss', 'loss5', 'delay', 'memory']
const RELAY_BYTES = 3 << 20 // through the relay, congestion-limited: ~0.25 MiB/s (--quick: a quarter)
const VANISHED_BUDGET = 120 // s: an end that has not noticed by then is reported as "> 120"
const CASES = ['inflight', 'idle'] // vanished.js --case
const MIB = 1048576
const PREFIX = { memory: 'idle' } // the JSON keys of a workload start with this (default: its name)
const JS_IMPLS = { native: 'sctp-native', werift: 'werift-sctp', nodertc: '@nodertc/sctp' }

function parseArgs (argv) {
  const a = { runs: 3, quick: false, only: ['engine', 'native', 'werift', 'nodertc', 'usrsctp', 'webrtc', 'relay', 'vanished'] }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') a.runs = Math.max(1, parseInt(argv[++i], 10))
    else if (argv[i] === '--quick') a.quick = true
    else if (argv[i] === '--only') a.only = argv[++i].split(',')
    else throw new Error(`unknown argument ${argv[i]} (use --runs N, --quick, --only list)`)
  }
  a.budget = a.quick ? 5 : 60 // seconds a workload may run before it reports what it has
  return a
}

const log = (...m) => process.stderr.write(m.join(' ') + '\n')

// Runs a command; resolves { json, error } from the last JSON line of stdout.
function runJson (cmd, args, { env, timeoutMs, cwd = ROOT }) {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: { ...process.env, ...env }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const line = stdout.split('\n').reverse().find((l) => l.startsWith('{'))
      let json = null
      try { json = line && JSON.parse(line) } catch {}
      const lines = String(stderr).trim().split('\n')
      const why = (lines.find((l) => /^\w*Error\b/.test(l)) || lines.find((l) => /Error\b/.test(l)) || lines.pop() || '').trim()
      if (err && !json) resolve({ error: err.killed ? `killed after ${timeoutMs / 1000} s` : `exit ${err.code}: ${why}` })
      else if (!json) resolve({ error: `no JSON line: ${why}` })
      else resolve({ json })
    })
  })
}

// Starts a command that says it is ready with a line on stderr: returns
// { child, ready, result }: `ready` resolves once that line came (or the
// process ended), `result` as runJson's, once it has exited.
function startChild (cmd, args, readyLine, timeoutMs) {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  let onReady
  const ready = new Promise((resolve) => { onReady = resolve })
  child.stdout.on('data', (d) => { stdout += d })
  child.stderr.on('data', (d) => {
    stderr += d
    if (stderr.split('\n').some((l) => l.trim() === readyLine)) onReady(true)
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const result = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      onReady(false)
      const line = stdout.split('\n').reverse().find((l) => l.startsWith('{'))
      let json = null
      try { json = line && JSON.parse(line) } catch {}
      const why = (stderr.trim().split('\n').filter((l) => l.trim() !== readyLine).find((l) => /Error\b/.test(l)) || stderr.trim().split('\n').pop() || '').trim()
      if (json) resolve({ json })
      else resolve({ error: signal === 'SIGKILL' ? `killed after ${timeoutMs / 1000} s` : `exit ${code}${signal ? ` (${signal})` : ''}: ${why}` })
    })
  })
  return { child, ready, result }
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const randomPort = () => 20000 + Math.floor(Math.random() * 40000)

// Results: results[impl][metric] = [values...]; notes[impl] = Set of strings.
const results = {}
const notes = {}
const put = (impl, k, v) => { ((results[impl] ||= {})[k] ||= []).push(v) }
const note = (impl, s) => (notes[impl] ||= new Set()).add(s)

const broken = {} // implementations whose script does not even load: skipped from then on

async function jsImpl (key, args) {
  const name = JS_IMPLS[key]
  if (broken[key]) return
  // Load check: no workload, just the module and the JSON line (e.g. the addon is not built).
  const loads = await runJson(process.execPath, [path.join(__dirname, 'peers', `${key}.js`), '--only', 'none'], { timeoutMs: 60000 })
  if (loads.error) {
    broken[key] = true
    note(name, `skipped: ${loads.error}`)
    log(`  ${name}: SKIPPED ${loads.error}`)
    return
  }
  for (const w of WORKLOADS) {
    const cli = [path.join(__dirname, 'peers', `${key}.js`), '--only', w, '--budget', String(args.budget)]
    if (args.quick) cli.push('--quick')
    const r = await runJson(process.execPath, cli, { timeoutMs: (args.budget + 60) * 1000 })
    if (r.error || r.json[`${w}_error`]) {
      const e = r.error || r.json[`${w}_error`]
      note(name, `${w}: ${e}`)
      log(`  ${name} ${w}: ERROR ${e}`)
      continue
    }
    const j = r.json
    for (const n of j.notes) note(name, n)
    for (const [k, v] of Object.entries(j.scaled)) note(name, `scaled down: ${k} ${v.value} instead of ${v.full}`)
    if (j[`${w}_capped`]) note(name, `${w}: stopped at the ${j[`${w}_budget_s`] || args.budget} s budget in some runs (${w === 'memory' ? `${j.idle_assocs} associations` : 'rate over what completed'})`)
    if (j[`${w}_verify_problem`]) {
      note(name, `${w}: VERIFY FAILED (${j[`${w}_verify_problem`]})`)
      log(`  ${name} ${w}: VERIFY FAILED ${j[`${w}_verify_problem`]}`)
    }
    const keys = Object.keys(j).filter((k) => typeof j[k] === 'number' && k.startsWith(PREFIX[w] || w) && k !== `${w}_budget_s`)
    for (const k of keys) put(name, k, j[k])
    log(`  ${name} ${w}: ${keys.map((k) => `${k}=${j[k]}`).join(' ')}`)
  }
}

async function engine (args) {
  const r = await runJson('cargo', ['bench', '--quiet', '--bench', 'engine'], {
    env: { ENGINE_SECS: String(args.budget) },
    timeoutMs: 30 * 60 * 1000 // the first call also builds (LTO)
  })
  if (r.error) { note('engine', r.error); log(`  engine: ERROR ${r.error}`); return }
  for (const [k, v] of Object.entries(r.json)) {
    if (typeof v === 'number' && k !== 'cap_secs') put('engine', k, v)
    if (k.endsWith('_capped') && v) note('engine', `${k.replace('_capped', '')}: stopped at the ${r.json.cap_secs} s cap in some runs (rate over what completed)`)
  }
  log(`  engine: ${Object.entries(r.json).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k}=${v}`).join(' ')}`)
}

// Over UDP on 127.0.0.1, with usrsctp-peer: bulk and 100-byte messages
// usrsctp→usrsctp (the reference) and, with native in --only,
// sctp-native→usrsctp and usrsctp→sctp-native, alternating; then usrsctp's
// ping against usrsctp's echo and against sctp-native's; then (native) one
// sctp-native server socket taking 10,000 clients (benches/udp_clients.rs).
async function usrsctp (args) {
  let PEER
  try {
    PEER = peerBinary()
  } catch (e) {
    note('usrsctp', e.message.split('\n')[0])
    log(`  usrsctp: ${e.message}`)
    return
  }
  // A listener on a fresh port, then the connecting side. A listener still
  // starting when the INIT goes out costs an INIT retransmission (3 s), not a
  // wrong figure: rates are from the first byte received.
  const pair = async ([lcmd, ...lpre], lflags, [ccmd, ...cpre], cflags) => {
    const port = String(20000 + Math.floor(Math.random() * 40000))
    const s = runJson(lcmd, [...lpre, '--listen', port, '--timeout', '60', ...lflags], { timeoutMs: 70000 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const c = await runJson(ccmd, [...cpre, '--connect', port, '--timeout', '60', ...cflags], { timeoutMs: 70000 })
    return [await s, c]
  }
  const native = args.only.includes('native') && !broken.native
  const transfers = (size, total, keys) => {
    const list = [['usrsctp', keys[0], [PEER], [PEER], size, total]]
    if (native) list.push(['sctp-native', keys[1], NATIVE_UDP, [PEER], size, total], ['sctp-native', keys[2], [PEER], NATIVE_UDP, size, total])
    return list
  }
  const bytes = args.quick ? 16 << 20 : 64 << 20
  const smallBytes = (args.quick ? 50000 : 200000) * 100
  const runs = [
    ...transfers(16384, bytes, ['bulk_mib_s', 'udp_tx_mib_s', 'udp_rx_mib_s']),
    ...transfers(100, smallBytes, ['udp_small_msgs_s', 'udp_small_tx_msgs_s', 'udp_small_rx_msgs_s'])
  ]
  for (const [impl, key, source, sink, size, total] of runs) {
    const [rx, tx] = await pair(sink, ['--mode', 'sink'], source, ['--mode', 'source', '--bytes', String(total), '--msg-size', String(size)])
    if (rx.error || tx.error || !rx.json.ok) {
      note(impl, `${key}: ${rx.error || tx.error || 'not ok'}`)
      log(`  ${impl} ${key}: ERROR ${rx.error || tx.error || 'not ok'}`)
      continue
    }
    // The sink's rx_mbit_per_s (10^6 bit/s) as MiB/s, or as messages/s for the small ones.
    const v = rx.json.rx_mbit_per_s * 1e6 / 8 / (size === 100 ? 100 : MIB)
    put(impl, key, v)
    log(`  ${impl} ${key}=${v.toFixed(1)}`)
  }
  const count = args.quick ? 1250 : 5000
  const echoes = [['usrsctp', 'pingpong', [PEER]]]
  if (native) echoes.push(['sctp-native', 'udp_pingpong', NATIVE_UDP])
  for (const [impl, key, echo] of echoes) {
    const [, ping] = await pair(echo, ['--mode', 'echo'], [PEER], ['--mode', 'ping', '--count', String(count), '--msg-size', '64'])
    if (ping.error || !ping.json.ok) {
      note(impl, `${key}: ${ping.error || 'not ok'}`)
      continue
    }
    put(impl, `${key}_median_us`, ping.json.rtt_us.median)
    put(impl, `${key}_p99_us`, ping.json.rtt_us.p99)
    log(`  ${impl} ${key}_median_us=${ping.json.rtt_us.median} ${key}_p99_us=${ping.json.rtt_us.p99}`)
  }
  if (native) await serverSocket(args)
}

// One sctp-native server socket (benches/peers/udp-server.js) and 10,000
// clients from distinct UDP ports (benches/udp_clients.rs, Rust, so that the
// load costs little): handshakes per second, and RSS per held association.
async function serverSocket (args) {
  const count = 10000
  const fail = (why) => {
    note('sctp-native', `server socket: ${why}`)
    log(`  sctp-native server socket: ERROR ${why}`)
  }
  let clientsBin
  try {
    const built = execFileSync('cargo', ['bench', '--bench', 'udp_clients', '--no-run', '--message-format=json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString()
    clientsBin = built.split('\n').filter((l) => l.includes('"executable"')).map((l) => JSON.parse(l)).find((m) => m.target && m.target.name === 'udp_clients' && m.executable)?.executable
  } catch (e) {
    return fail(`cargo bench --bench udp_clients --no-run failed: ${e.message.split('\n')[0]}`)
  }
  if (!clientsBin) return fail('no udp_clients executable from cargo')
  const server = spawn(process.execPath, ['--expose-gc', path.join(__dirname, 'peers', 'udp-server.js'), '--count', String(count)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines = []
  let wake = null
  let buffered = ''
  server.stdout.on('data', (d) => {
    buffered += d
    let nl
    while ((nl = buffered.indexOf('\n')) >= 0) {
      lines.push(buffered.slice(0, nl))
      buffered = buffered.slice(nl + 1)
      if (wake) wake()
    }
  })
  const nextLine = (ms) => new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms)
    const check = () => { if (lines.length) { clearTimeout(timer); wake = null; resolve(JSON.parse(lines.shift())) } }
    wake = check
    check()
  })
  const killAll = () => { server.kill('SIGKILL'); if (clients) clients.kill('SIGKILL') }
  let clients = null
  try {
    const hello = await nextLine(10000)
    if (!hello) return fail('the server did not start')
    clients = spawn(clientsBin, ['--port', String(hello.port), '--count', String(count)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    let cout = ''
    clients.stdout.on('data', (d) => { cout += d })
    const report = await nextLine(130000)
    clients.stdin.end()
    await new Promise((resolve) => clients.on('close', resolve))
    const load = cout.split('\n').find((l) => l.startsWith('{'))
    const c = load ? JSON.parse(load) : null
    if (!report || !c || !c.ok || report.accepted !== count) return fail(`server ${JSON.stringify(report)}, clients ${load}`)
    put('sctp-native', 'udp_server_handshakes_s', c.handshakes_per_s)
    put('sctp-native', 'udp_server_bytes_per_assoc', report.bytes_per_assoc)
    log(`  sctp-native server socket: ${c.handshakes_per_s} handshakes/s, ${report.bytes_per_assoc} B per association`)
  } finally {
    killAll()
  }
}

// The same bulk through benches/peers/relay.js: 25 ms each way and 1% loss
// (seeded; the handshake spared), usrsctp → usrsctp (the reference) and, with
// native or relay in --only, sctp-native → usrsctp and usrsctp → sctp-native. The rate
// is the sink's; the longest stall is the sink's own where it reports one
// (sctp-native: benches/peers/udp.js), and for every pair the relay's view: the
// longest standstill of the cumulative TSN ack in the sink's SACKs.
async function relay (args) {
  let PEER
  try {
    PEER = peerBinary()
  } catch (e) {
    note('usrsctp', `relay: ${e.message.split('\n')[0]}`)
    log(`  relay: ${e.message}`)
    return
  }
  const bytes = args.quick ? RELAY_BYTES / 4 : RELAY_BYTES
  const pairs = [['usrsctp', 'relay', [PEER], [PEER]]]
  if ((args.only.includes('native') || args.only.includes('relay')) && !broken.native) {
    pairs.push(['sctp-native', 'relay_tx', NATIVE_UDP, [PEER]], ['sctp-native', 'relay_rx', [PEER], NATIVE_UDP])
  }
  for (const [impl, key, [scmd, ...spre], [kcmd, ...kpre]] of pairs) {
    const sinkPort = randomPort()
    let relayPort = randomPort()
    while (relayPort === sinkPort) relayPort = randomPort()
    const r = startChild(process.execPath, [RELAY, '--listen', String(relayPort), '--to', String(sinkPort), '--delay', '25', '--loss', '0.01', '--timeout', '150'], 'ready', 160000)
    if (!await r.ready) {
      const e = (await r.result).error
      note(impl, `${key}: relay: ${e}`)
      log(`  ${impl} ${key}: ERROR relay: ${e}`)
      continue
    }
    // As in usrsctp(): the listener first; a lost race costs an INIT retransmission, not a wrong figure.
    const sink = runJson(kcmd, [...kpre, '--listen', String(sinkPort), '--timeout', '120', '--mode', 'sink'], { timeoutMs: 130000 })
    await sleep(300)
    const tx = await runJson(scmd, [...spre, '--connect', String(relayPort), '--timeout', '120', '--mode', 'source', '--bytes', String(bytes), '--msg-size', '16384'], { timeoutMs: 130000 })
    const rx = await sink
    r.child.kill('SIGTERM')
    const rel = await r.result
    const e = rx.error || tx.error || (!rx.json.ok && 'sink not ok') || (!tx.json.ok && 'source not ok') ||
      (rx.json.bytes !== bytes && `the sink got ${rx.json.bytes} of ${bytes} bytes`)
    if (e) {
      note(impl, `${key}: ${e}`)
      log(`  ${impl} ${key}: ERROR ${e}`)
      continue
    }
    put(impl, `${key}_mib_s`, rx.json.rx_mbit_per_s * 1e6 / 8 / MIB)
    if (typeof rx.json.longest_stall_ms === 'number') put(impl, `${key}_stall_ms`, rx.json.longest_stall_ms)
    const sacks = rel.json && rel.json.to_connector // the sink is the listener, behind --to
    if (sacks) put(impl, `${key}_sack_stall_ms`, sacks.sack_stall_ms)
    else note(impl, `${key}: relay: ${rel.error}`)
    log(`  ${impl} ${key}_mib_s=${(rx.json.rx_mbit_per_s * 1e6 / 8 / MIB).toFixed(2)}` +
      (typeof rx.json.longest_stall_ms === 'number' ? ` stall_ms=${rx.json.longest_stall_ms.toFixed(1)}` : '') +
      (sacks ? ` sack_stall_ms=${sacks.sack_stall_ms} dropped=${rel.json.to_listener.dropped}+${sacks.dropped} of ${rel.json.to_listener.packets}+${sacks.packets}` : ''))
  }
}

// Vanished peer (benches/peers/vanished.js): both cases in the background, from
// the start of a run to its end: once a case has said "armed" it is timers
// only, waiting up to VANISHED_BUDGET s, which the run's other workloads hide.
// A case that hit the budget is not run again: its timers are deterministic,
// a rerun would only wait as long again.
const vanishedCapped = {}
let vanishedDefaults = null
async function startVanished () {
  const started = CASES.filter((c) => !vanishedCapped[c]).map((c) =>
    [c, startChild(process.execPath, [VANISHED, '--case', c, '--budget', String(VANISHED_BUDGET)], 'armed', (VANISHED_BUDGET + 60) * 1000)])
  await Promise.all(started.map(([, h]) => h.ready))
  return started
}
async function finishVanished (started) {
  for (const [c, h] of started) {
    const r = await h.result
    if (r.error) {
      note('sctp-native', `vanished peer, ${c}: ${r.error}`)
      log(`  sctp-native vanished ${c}: ERROR ${r.error}`)
      continue
    }
    const j = r.json
    vanishedDefaults = j.defaults
    put('sctp-native', `vanished_${c}_s`, j.client_s ?? j.budget_s)
    put('sctp-native', `vanished_${c}_peer_s`, j.server_s ?? j.budget_s)
    for (const [end, who] of [['client', c === 'inflight' ? 'sender' : 'client'], ['server', c === 'inflight' ? 'receiver' : 'server']]) {
      note('sctp-native', `vanished peer, ${c}, ${who}: ${j[`${end}_capped`] ? `nothing within ${j.budget_s} s` : `${j[`${end}_event`]}${j[`${end}_message`] ? ` (${j[`${end}_message`]})` : ''}`}`)
    }
    if (j.client_capped || j.server_capped) {
      vanishedCapped[c] = true
      note('sctp-native', `vanished peer, ${c}: an end hit the ${j.budget_s} s budget, so the case was not run again`)
    }
    log(`  sctp-native vanished ${c}: ${c === 'inflight' ? 'sender' : 'client'} ${j.client_capped ? `>${j.budget_s}` : j.client_s} s, ${c === 'inflight' ? 'receiver' : 'server'} ${j.server_capped ? `>${j.budget_s}` : j.server_s} s` +
      (c === 'inflight' ? ` (${j.in_flight_bytes} B unacknowledged or queued)` : ''))
  }
}

// Data channels against libwebrtc, each contender in its own process inside a
// fresh network namespace (libwebrtc ignores loopback candidates). The
// contenders alternate within a run, as the implementations do across runs.
const DC_CONTENDERS = [['native', 'sctp-native'], ['werift', 'werift (own SCTP)'], ['libwebrtc', 'libwebrtc']]
let dcSkipped = null // the reason, once the kit turned out unavailable
async function webrtc (args) {
  if (dcSkipped) return
  const kit = webrtcKit.available()
  if (!kit.ok) { dcSkipped = kit.reason; log(`  data channels: SKIPPED ${kit.reason}`); return }
  for (const [key, impl] of DC_CONTENDERS) {
    const cli = [process.execPath, path.join(__dirname, 'peers', `webrtc-${key}.js`)]
    if (args.quick) cli.push('--quick')
    const r = await runJson(NETNS, cli, { timeoutMs: 180000 })
    if (/^exit 77\b/.test(r.error || '')) { dcSkipped = r.error; log(`  data channels: SKIPPED ${r.error}`); return }
    const e = r.error || r.json.dc_error
    if (e) { note(impl, `data channels: ${e}`); log(`  ${impl} data channels: ERROR ${e}`); continue }
    for (const k of ['dc_tx_mib_s', 'dc_rx_mib_s']) put(impl, k, r.json[k])
    log(`  ${impl} data channels: dc_tx_mib_s=${r.json.dc_tx_mib_s} dc_rx_mib_s=${r.json.dc_rx_mib_s}`)
  }
}

// ---- the table ----

const ROWS = [ // metric, label, detail, which way is better
  ['bulk_mib_s', 'bulk, MiB/s', '16 KiB messages', 'higher'],
  ['small_msgs_s', 'small messages, msgs/s', '100 B', 'higher'],
  ['pingpong_median_us', 'ping-pong median, µs', '64 B', 'lower'],
  ['pingpong_p99_us', 'ping-pong p99, µs', '', 'lower'],
  ['handshakes_s', 'handshakes, open+close per s', '', 'higher'],
  ['loss_mib_s', 'bulk with 1% loss both ways, MiB/s', '', 'higher'],
  ['loss_stall_ms', 'longest stall with 1% loss, ms', 'longest gap between two messages received', 'lower'],
  ['loss5_mib_s', 'bulk with 5% loss both ways, MiB/s', '', 'higher'],
  ['loss5_stall_ms', 'longest stall with 5% loss, ms', '', 'lower'],
  ['loss5_verified', 'bulk with 5% loss: every byte arrived, in order, intact', 'runs that passed', null],
  ['delay_mib_s', 'bulk with 25 ms one-way delay and 1% loss both ways, MiB/s', '', 'higher'],
  ['delay_stall_ms', 'longest stall with 25 ms delay and 1% loss, ms', '', 'lower'],
  ['idle_bytes_per_assoc', 'memory per idle association end, B', '10,000 open; engine: heap, JS: RSS', 'lower']
]
// Workload 7, UDP loopback: [label, usrsctp→usrsctp key, sctp-native→usrsctp key, usrsctp→sctp-native key, better].
const UDP_ROWS = [
  ['bulk (16 KiB messages), MiB/s', 'bulk_mib_s', 'udp_tx_mib_s', 'udp_rx_mib_s', 'higher'],
  ['small messages (100 B), messages/s', 'udp_small_msgs_s', 'udp_small_tx_msgs_s', 'udp_small_rx_msgs_s', 'higher'],
  ['ping-pong (64 B, usrsctp pings, the other end echoes), median µs', 'pingpong_median_us', null, 'udp_pingpong_median_us', 'lower'],
  ['ping-pong, p99 µs', 'pingpong_p99_us', null, 'udp_pingpong_p99_us', 'lower']
]
// Through the relay: [impl, metric prefix, label]; the first row is the reference.
const RELAY_ROWS = [
  ['usrsctp', 'relay', 'usrsctp → usrsctp (reference)'],
  ['sctp-native', 'relay_tx', 'sctp-native → usrsctp'],
  ['sctp-native', 'relay_rx', 'usrsctp → sctp-native']
]
// Data channels: [metric, label]; columns are DC_CONTENDERS.
const DC_ROWS = [
  ['dc_tx_mib_s', 'contender → libwebrtc, MiB/s'],
  ['dc_rx_mib_s', 'libwebrtc → contender, MiB/s']
]
const COLS = [['engine', 'engine (Rust, no JS)'], ['sctp-native', 'sctp-native'], ['werift-sctp', 'werift-sctp'], ['@nodertc/sctp', '@nodertc/sctp']]

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 }
const fmt = (x) => x >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x.toFixed(2)
function cell (impl, k, scale = 1) {
  const xs = results[impl]?.[k]?.map((x) => x * scale)
  if (!xs || xs.length === 0) return '–'
  if (xs.length === 1) return fmt(xs[0])
  return `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`
}
// Verification: runs that passed of those that ran.
function passed (impl, k) {
  const xs = results[impl]?.[k]
  if (!xs || xs.length === 0) return '–'
  const ok = xs.filter((x) => x === 1).length
  return ok === xs.length ? `yes (${ok}/${xs.length})` : `**NO** (${ok}/${xs.length} passed)`
}
// Seconds that may be the budget (nothing happened within it): "> budget".
function capCell (impl, k, cap) {
  const xs = results[impl]?.[k]
  if (!xs || xs.length === 0) return '–'
  const f = (x) => x >= cap ? `> ${cap}` : fmt(x)
  if (xs.length === 1) return f(xs[0])
  return `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`
}
function ratio (k, peer, [impl, key] = ['sctp-native', k]) {
  const a = results[impl]?.[key]
  const b = results[peer]?.[k]
  if (!a?.length || !b?.length) return '–'
  return `${(median(a) / median(b)).toFixed(2)}×`
}

function table (args, machine) {
  const head = ['workload', ...COLS.map((c) => c[1]), 'native/werift', 'native/nodertc', 'usrsctp→usrsctp (UDP, reference)']
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`]
  for (const [k, label, detail, better] of ROWS) {
    if (!better) {
      lines.push(`| ${label}${detail ? ` (${detail})` : ''} | ${COLS.map(([impl]) => passed(impl, k)).join(' | ')} | – | – | – |`)
      continue
    }
    lines.push(`| ${label} (${detail ? detail + '; ' : ''}${better} is better) | ${COLS.map(([impl]) => cell(impl, k)).join(' | ')} | ${ratio(k, 'werift-sctp')} | ${ratio(k, '@nodertc/sctp')} | ${cell('usrsctp', k)} |`)
  }
  const udp = ['| UDP loopback | usrsctp → usrsctp (reference) | sctp-native → usrsctp | usrsctp → sctp-native | ÷ reference |', '|---|---|---|---|---|']
  for (const [label, ref, tx, rx, better] of UDP_ROWS) {
    const ratios = [tx, rx].filter(Boolean).map((k) => ratio(ref, 'usrsctp', ['sctp-native', k])).join(' / ')
    udp.push(`| ${label} (${better} is better) | ${cell('usrsctp', ref)} | ${tx ? cell('sctp-native', tx) : '–'} | ${cell('sctp-native', rx)} | ${ratios} |`)
  }
  const serverT = ['| one sctp-native server socket, 10,000 clients from distinct UDP ports | sctp-native | target |', '|---|---|---|',
    `| handshakes per second (higher is better) | ${cell('sctp-native', 'udp_server_handshakes_s')} | ≥ 10,000 |`,
    `| RSS per held association, JavaScript included, B (lower is better) | ${cell('sctp-native', 'udp_server_bytes_per_assoc')} | ≤ 16,384 |`]
  const relayMib = (args.quick ? RELAY_BYTES / 4 : RELAY_BYTES) / MIB
  const relayT = [`| through a UDP relay: 25 ms each way, 1% loss (${relayMib} MiB in 16 KiB messages) | MiB/s (higher is better) | ÷ usrsctp→usrsctp | longest stall at the sink, ms (lower is better) | longest standstill of the sink's cumulative TSN ack, seen by the relay, ms |`, '|---|---|---|---|---|']
  for (const [impl, k, label] of RELAY_ROWS) {
    relayT.push(`| ${label} | ${cell(impl, `${k}_mib_s`)} | ${ratio('relay_mib_s', 'usrsctp', [impl, `${k}_mib_s`])} | ${k === 'relay_rx' ? cell(impl, `${k}_stall_ms`) : 'not reported by usrsctp-peer (the sink)'} | ${cell(impl, `${k}_sack_stall_ms`)} |`)
  }
  const vd = vanishedDefaults
  const vanishedT = [
    `| vanished peer: every packet dropped both ways, sctp-native's default timers (lower is better) | sender / client, s | receiver / server, s |`, '|---|---|---|',
    `| (a) while the sender has data in flight | ${capCell('sctp-native', 'vanished_inflight_s', VANISHED_BUDGET)} | ${capCell('sctp-native', 'vanished_inflight_peer_s', VANISHED_BUDGET)} |`,
    `| (b) with the association idle | ${capCell('sctp-native', 'vanished_idle_s', VANISHED_BUDGET)} | ${capCell('sctp-native', 'vanished_idle_peer_s', VANISHED_BUDGET)} |`
  ]
  const dcMib = args.quick ? 2.5 : 10
  const dcHead = [`data channels (${dcMib} MiB each way, 16 KiB messages; higher is better)`, ...DC_CONTENDERS.map(([, impl]) => impl), 'native/werift', 'native/libwebrtc']
  const dc = dcSkipped
    ? [`Data channels against libwebrtc: skipped (${dcSkipped}).`]
    : [`| ${dcHead.join(' | ')} |`, `|${dcHead.map(() => '---').join('|')}|`,
        ...DC_ROWS.map(([k, label]) => `| ${label} | ${DC_CONTENDERS.map(([, impl]) => cell(impl, k)).join(' | ')} | ${ratio(k, 'werift (own SCTP)')} | ${ratio(k, 'libwebrtc')} |`)]
  const out = [
    '# Benchmarks', '',
    `Command: \`${machine.command}\` (${args.runs} run${args.runs > 1 ? 's' : ''} each, every workload in a fresh process; cells are median (min–max); ratios are sctp-native ÷ peer on medians, so for µs and B lower is better)`, '',
    `Machine: ${machine.cpus} × ${machine.model}, ${machine.os}; node ${machine.node}; ${machine.rustc}; ${machine.date}`, '',
    `Sizes: bulk 64 MiB, small 200,000 messages, ping-pong 5,000 round trips, handshakes 1,000, 1% loss 64 MiB, 5% loss 16 MiB, 25 ms + 1% loss 4 MiB, memory 10,000 associations, UDP bulk 64 MiB, UDP through the relay 3 MiB, data channels 10 MiB each way${args.quick ? ' — with --quick a quarter of each but memory (the engine keeps full sizes)' : ''}; slow peers scaled down (see notes); a workload still running after ${args.budget} s${args.budget > 20 ? ' (5% loss, 25 ms + 1% loss: 20 s)' : ''} stops and reports the rate over what it completed; vanished peer: at most ${VANISHED_BUDGET} s.`, '',
    ...lines, '',
    'JS implementations run over the same emulated link (lib/emulator.js, no impairment but the loss workloads\'): one chunk = one SCTP packet, delivered by setImmediate (with 25 ms delay: by a timer); loss is seeded and applies after the handshake.',
    'Longest stall: the longest gap between two consecutive messages received during the timed transfer (a run stopped at its budget counts the gap still open then). With 5% loss every message carries its index and usrsctp-peer\'s byte pattern, and the receiver checks count, order and content.',
    'The engine column drives two sctp-proto endpoints in one Rust thread (benches/engine.rs): what sctp-native could reach with a free binding and transport.',
    'Its loss number is not a ceiling: driven in batches, the receiver SACKs a whole batch once, so gaps rarely get the 3 miss reports fast retransmit needs and recovery waits for T3 (RTO >= 1 s); ENGINE_BATCH=2 SACKs every second packet.',
    'Memory: growth after gc with the associations open and idle, divided by 2 × count (both ends live in the process): live heap from a counting allocator for the engine, process RSS for JS. sctp-native and @nodertc/sctp hold 10,000 clients with distinct ports on one transport pair (connected in waves of 500: a server keeps at most 4,096 handshakes in progress); werift-sctp needs a transport per association.', '',
    ...udp, '',
    'UDP: usrsctp-peer (__test__/peers/usrsctp) and benches/peers/udp.js (sctp-native taking the same flags, over udpTransport: the socket read and written in Rust) as source, sink and echo over 127.0.0.1, one datagram per SCTP packet (usrsctp packets up to 1,200 B, sctp-native up to 1,228 B). The rate is the sink\'s: payload from first to last byte received (reported in Mbit/s, 10^6 bit/s; MiB/s = Mbit/s × 10^6 / 8 / 2^20). Ping-pong is usrsctp-peer\'s ping, timed by it, against usrsctp-peer\'s echo and against sctp-native\'s; Node\'s own dgram round trip between two processes on this machine is about 105 µs, the floor for anything in Node\'s event loop. The main table\'s usrsctp bulk and ping-pong columns are the reference here.', '',
    ...serverT, '',
    'Server socket: benches/peers/udp-server.js (one udpTransport, createServer, each accepted socket held with a \'data\' listener) and benches/udp_clients.rs (Rust: 10,000 UDP sockets driven by one sctp-native endpoint, at most 2,000 handshakes in flight), both on this machine. Handshakes per second: from the first INIT to the last association up, as the clients see it. RSS: the server\'s growth after gc from before the first INIT to all 10,000 held, divided by 10,000.', '',
    ...relayT, '',
    `Relay: benches/peers/relay.js between the two over 127.0.0.1 (a Node process: 25 ms each way by timers, FIFO; seeded 1% loss each way that spares the handshake's packets). MiB/s is the sink's, as above. Longest stall at the sink: benches/peers/udp.js as sink times its messages; usrsctp-peer does not. The relay's column is for every pair: the longest time between two advances of the cumulative TSN ack in the sink's SACKs, as they reach the relay — per packet rather than per 16 KiB message, so it can be shorter than the sink's own figure, and a delayed SACK (up to 200 ms) can lengthen it.`, '',
    ...vanishedT, '',
    `Vanished peer (benches/peers/vanished.js): two sctp-native sockets over lib/emulator.js with the library's default timers${vd ? ` (when measured: rto_initial ${vd.rto_initial} ms, rto_min ${vd.rto_min} ms, rto_max ${vd.rto_max} ms, association_max_retrans ${vd.association_max_retrans}, hb_interval ${vd.hb_interval} ms)` : ''}; then every packet is dropped both ways, and each figure is the time until that socket emits 'error' or 'close' (which, in the notes). (a) the client keeps writing 16 KiB messages; the link goes silent once the server has 1 MiB, with the client's data in flight and more queued. (b) one 64 B message each way, then nothing until all is acknowledged and 500 ms more. Both cases run in the background of each run (timers only, once silent); a case whose end reached ${VANISHED_BUDGET} s is not run again.`, '',
    ...dc, '',
    ...(dcSkipped ? [] : [`Data channels: one reliable ordered RTCDataChannel between the contender and libwebrtc (@roamhq/wrtc 0.10.0, M106, dcsctp), opened by libwebrtc with DCEP; ${dcMib} MiB one way, then ${dcMib} MiB the other, after a tenth of that untimed; from the first send() to the last byte received; senders poll bufferedAmount (above 1 MiB, wait until under 256 KiB: the binding has no bufferedamountlow event). Each contender runs in its own process inside a fresh network namespace (__test__/webrtc/netns.sh: veth pair, libwebrtc ignores loopback). sctp-native: createSctpTransport over the DTLS of __test__/webrtc/seam.js; werift: werift 0.24.4's own RTCPeerConnection, its SCTP included; libwebrtc: two @roamhq/wrtc RTCPeerConnections. werift's DTLS, in JavaScript, carries every packet of the first two columns and bounds them; the third is all C++.`, ''])
  ]
  const names = Object.keys(notes).sort()
  if (names.length) {
    out.push('Notes:', '')
    for (const n of names) for (const s of notes[n]) out.push(`- ${n}: ${s}`)
    out.push('')
  }
  return out.join('\n')
}

async function main () {
  const args = parseArgs(process.argv.slice(2))
  let rustc = 'rustc ?'
  try { rustc = execFileSync('rustc', ['--version']).toString().trim() } catch {}
  const machine = {
    command: process.env.npm_lifecycle_event === 'bench'
      ? ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ')
      : ['node', path.relative(process.cwd(), process.argv[1]), ...process.argv.slice(2)].join(' '),
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model.trim() || '?',
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    rustc,
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC'
  }
  log(`${machine.command}: ${machine.cpus} × ${machine.model}, node ${machine.node}, ${rustc}`)
  // Runs are interleaved (run 1 of everything, then run 2, ...) so that a noisy
  // moment on the machine does not land on one implementation only.
  for (let run = 1; run <= args.runs; run++) {
    log(`run ${run}/${args.runs}`)
    const vanishing = args.only.includes('native') || args.only.includes('vanished') ? await startVanished() : []
    if (args.only.includes('engine')) await engine(args)
    for (const key of Object.keys(JS_IMPLS)) if (args.only.includes(key)) await jsImpl(key, args)
    if (args.only.includes('usrsctp')) await usrsctp(args)
    if (args.only.includes('usrsctp') || args.only.includes('relay')) await relay(args)
    if (args.only.includes('webrtc')) await webrtc(args)
    if (vanishing.length) {
      log('  (waiting for the vanished-peer cases)')
      await finishVanished(vanishing)
    }
  }
  const md = table(args, machine)
  process.stdout.write('\n' + md)
  fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), md)
}

main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1) })
