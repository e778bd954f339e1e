'use strict'
// `npm run bench`: every implementation's workloads, N runs each, each workload
// in a fresh child process; then a Markdown table of median (min–max) with the
// ratio sctp-native/peer, printed and written to benches/RESULTS.md.
//
//   node benches/run.js [--runs N] [--quick] [--only engine,native,werift,nodertc,usrsctp,webrtc]
//
// Rows come from benches/peers/*.js (JS, over lib/emulator.js), `cargo bench
// --bench engine` (the Rust ceiling: sctp-proto with no JS), and usrsctp-peer
// over UDP loopback: against itself (a reference from C) and against
// sctp-native (benches/peers/udp.js) both ways, in a table of their own; and
// WebRTC data channels against libwebrtc (benches/peers/webrtc*.js, inside the
// network namespace of __test__/webrtc/netns.sh), in a third table.
const { execFile, execFileSync } = require('child_process')
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
const WORKLOADS = ['bulk', 'small', 'pingpong', 'handshakes', 'loss', 'memory']
const MIB = 1048576
const PREFIX = { memory: 'idle' } // the JSON keys of a workload start with this (default: its name)
const JS_IMPLS = { native: 'sctp-native', werift: 'werift-sctp', nodertc: '@nodertc/sctp' }

function parseArgs (argv) {
  const a = { runs: 3, quick: false, only: ['engine', 'native', 'werift', 'nodertc', 'usrsctp', 'webrtc'] }
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
    if (j[`${w}_capped`]) note(name, `${w}: stopped at the ${args.budget} s budget in some runs (${w === 'memory' ? `${j.idle_assocs} associations` : 'rate over what completed'})`)
    const keys = Object.keys(j).filter((k) => typeof j[k] === 'number' && k.startsWith(PREFIX[w] || w))
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

// Over UDP on 127.0.0.1, with usrsctp-peer: bulk usrsctp→usrsctp (the
// reference) and, with native in --only, sctp-native→usrsctp and
// usrsctp→sctp-native; then ping-pong usrsctp→usrsctp.
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
  const bytes = args.quick ? 16 << 20 : 64 << 20
  const bulk = [['usrsctp', 'bulk_mib_s', [PEER], [PEER]]]
  if (args.only.includes('native') && !broken.native) {
    bulk.push(['sctp-native', 'udp_tx_mib_s', NATIVE_UDP, [PEER]], ['sctp-native', 'udp_rx_mib_s', [PEER], NATIVE_UDP])
  }
  for (const [impl, key, source, sink] of bulk) {
    const [rx, tx] = await pair(sink, ['--mode', 'sink'], source, ['--mode', 'source', '--bytes', String(bytes), '--msg-size', '16384'])
    if (rx.error || tx.error || !rx.json.ok) {
      note(impl, `${key}: ${rx.error || tx.error || 'not ok'}`)
      log(`  ${impl} ${key}: ERROR ${rx.error || tx.error || 'not ok'}`)
      continue
    }
    // The sink's rx_mbit_per_s (10^6 bit/s) as MiB/s, for every direction alike.
    put(impl, key, rx.json.rx_mbit_per_s * 1e6 / 8 / MIB)
    log(`  ${impl} ${key}=${(rx.json.rx_mbit_per_s * 1e6 / 8 / MIB).toFixed(1)}`)
  }
  const count = args.quick ? 1250 : 5000
  const [, ping] = await pair([PEER], ['--mode', 'echo'], [PEER], ['--mode', 'ping', '--count', String(count), '--msg-size', '64'])
  if (ping.error || !ping.json.ok) {
    note('usrsctp', `ping-pong: ${ping.error || 'not ok'}`)
  } else {
    put('usrsctp', 'pingpong_median_us', ping.json.rtt_us.median)
    put('usrsctp', 'pingpong_p99_us', ping.json.rtt_us.p99)
    log(`  usrsctp pingpong_median_us=${ping.json.rtt_us.median} pingpong_p99_us=${ping.json.rtt_us.p99}`)
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
  ['idle_bytes_per_assoc', 'memory per idle association end, B', '10,000 open; engine: heap, JS: RSS', 'lower']
]
// Workload 7, UDP loopback bulk: [impl, metric, label]; the first row is the reference.
const UDP_ROWS = [
  ['usrsctp', 'bulk_mib_s', 'usrsctp → usrsctp (reference)'],
  ['sctp-native', 'udp_tx_mib_s', 'sctp-native → usrsctp'],
  ['sctp-native', 'udp_rx_mib_s', 'usrsctp → sctp-native']
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
    lines.push(`| ${label} (${detail ? detail + '; ' : ''}${better} is better) | ${COLS.map(([impl]) => cell(impl, k)).join(' | ')} | ${ratio(k, 'werift-sctp')} | ${ratio(k, '@nodertc/sctp')} | ${cell('usrsctp', k)} |`)
  }
  const udp = ['| UDP loopback bulk (16 KiB messages; higher is better) | MiB/s | MB/s | ÷ usrsctp→usrsctp |', '|---|---|---|---|']
  const [, refKey] = UDP_ROWS[0]
  for (const [impl, k, label] of UDP_ROWS) udp.push(`| ${label} | ${cell(impl, k)} | ${cell(impl, k, MIB / 1e6)} | ${ratio(refKey, 'usrsctp', [impl, k])} |`)
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
    `Sizes: bulk 64 MiB, small 200,000 messages, ping-pong 5,000 round trips, handshakes 1,000, loss 64 MiB, memory 10,000 associations, UDP bulk 64 MiB, data channels 10 MiB each way${args.quick ? ' — with --quick a quarter of each but memory (the engine keeps full sizes)' : ''}; slow peers scaled down (see notes); a workload still running after ${args.budget} s stops and reports the rate over what it completed.`, '',
    ...lines, '',
    'JS implementations run over the same emulated link (lib/emulator.js, no impairment but the loss workload\'s): one chunk = one SCTP packet, delivered by setImmediate; loss is seeded and applies after the handshake.',
    'The engine column drives two sctp-proto endpoints in one Rust thread (benches/engine.rs): what sctp-native could reach with a free binding and transport.',
    'Its loss number is not a ceiling: driven in batches, the receiver SACKs a whole batch once, so gaps rarely get the 3 miss reports fast retransmit needs and recovery waits for T3 (RTO >= 1 s); ENGINE_BATCH=2 SACKs every second packet.',
    'Memory: growth after gc with the associations open and idle, divided by 2 × count (both ends live in the process): live heap from a counting allocator for the engine, process RSS for JS. sctp-native and @nodertc/sctp hold 10,000 clients with distinct ports on one transport pair (connected in waves of 500: a server keeps at most 4,096 handshakes in progress); werift-sctp needs a transport per association.', '',
    ...udp, '',
    'UDP: usrsctp-peer (__test__/peers/usrsctp) and benches/peers/udp.js (sctp-native taking the same flags) as source and sink over 127.0.0.1, one datagram per SCTP packet (usrsctp packets up to 1,200 B, sctp-native up to 1,228 B). The rate is the sink\'s: payload from first to last byte received, reported in Mbit/s (10^6 bit/s); MiB/s = Mbit/s × 10^6 / 8 / 2^20, MB/s = 10^6 B/s. The main table\'s usrsctp bulk column is the reference row here.', '',
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
    if (args.only.includes('engine')) await engine(args)
    for (const key of Object.keys(JS_IMPLS)) if (args.only.includes(key)) await jsImpl(key, args)
    if (args.only.includes('usrsctp')) await usrsctp(args)
    if (args.only.includes('webrtc')) await webrtc(args)
  }
  const md = table(args, machine)
  process.stdout.write('\n' + md)
  fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), md)
}

main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1) })
