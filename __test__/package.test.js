'use strict'
// The package as npm delivers it: `npm run tarballs` (npm/pack.js) of sctp-native
// and of its platform package (napi-rs layout: the addon ships in npm/linux-x64-gnu, an
// optional dependency, not in the main tarball), both installed offline into
// a fresh project, then used there from CommonJS and from ESM for a UDP echo
// over 127.0.0.1.
const test = require('node:test')
require('./helpers/leaks')
const assert = require('node:assert/strict')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFile } = require('child_process')
const { packAll } = require('../npm/pack')

const ROOT = path.join(__dirname, '..')
const PLATFORM = path.join(ROOT, 'npm', 'linux-x64-gnu')
const ADDON = 'sctp-native.linux-x64-gnu.node'

// Resolves with stdout; rejects with the command's output.
function run (cmd, args, cwd, timeout = 60000) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout, env: { ...process.env, DEBUG: '' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}): ${err.message}\n${stdout}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

// The same echo from CommonJS and from ESM: a server and a client on two UDP
// sockets, one message there and back, then a graceful end on both sides.
const ECHO = `
const a = dgram.createSocket('udp4')
const b = dgram.createSocket('udp4')
a.bind(0, '127.0.0.1', () => b.bind(0, '127.0.0.1', () => {
  const ta = sctp.udpTransport(a, { port: b.address().port })
  const tb = sctp.udpTransport(b, { port: a.address().port })
  let serverClosed
  const server = sctp.createServer({ transport: tb }, (s) => {
    s.on('data', (d) => s.write(d))
    serverClosed = new Promise((resolve) => s.on('close', resolve))
    server.close()
  })
  server.listen(5000)
  const c = sctp.connect({ transport: ta, port: 5000, localPort: 5001 }, () => c.write('ping'))
  c.on('data', (d) => { console.log('echo ' + d); c.end() })
  c.on('close', (hadError) => serverClosed.then((serverHadError) => {
    console.log('closed ' + hadError + ' ' + serverHadError)
    ta.destroy()
    tb.destroy()
  }))
}))
`

test('npm pack: the tarballs hold what a user needs; installed offline, they work from CJS and ESM', { timeout: 120000 }, async () => {
  assert.ok(fs.existsSync(path.join(ROOT, ADDON)), `${ADDON} is built`)
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sctp-native-pack-'))
  try {
    // `npm run tarballs -- DIR`, as the README says: two tarballs, their paths on stdout.
    const printed = (await run('npm', ['run', '--silent', 'tarballs', '--', tmp], ROOT)).trim().split('\n')
    const { main, platform } = packAll(tmp) // the same again, for the file lists
    assert.deepEqual(printed, [main.tarball, platform.tarball])
    // The main package: the JS, the types, the loader, README and LICENSE. No addon, tests or sources.
    const lib = fs.readdirSync(path.join(ROOT, 'lib'), { recursive: true })
      .filter((f) => f.endsWith('.js') && f !== 'emulator.js').map((f) => `lib/${f.split(path.sep).join('/')}`)
    assert.deepEqual(main.files, [
      'LICENSE', 'README.md', 'binding.d.ts', 'binding.js', 'index.d.mts', 'index.d.ts', 'index.js', 'index.mjs', 'package.json', ...lib
    ].sort())
    for (const f of main.files) assert.doesNotMatch(f, /^(target|__test__|tests|fuzz|benches|src|\.peer|examples|npm|pack)\/|\.node$/, f)
    // The platform package: the addon and its package.json.
    assert.deepEqual(platform.files, ['README.md', ADDON, 'package.json'].sort())
    const pj = JSON.parse(fs.readFileSync(path.join(PLATFORM, 'package.json'), 'utf8'))
    const rootPj = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
    assert.deepEqual([pj.main, pj.os, pj.cpu, pj.libc], [ADDON, ['linux'], ['x64'], ['glibc']])
    assert.equal(rootPj.optionalDependencies[pj.name], pj.version, 'the main package depends on this version')
    assert.equal(pj.engines.node, rootPj.engines.node, 'both packages support the same Node versions')

    // A fresh project. debug (the one dependency) comes from the npm cache.
    const app = path.join(tmp, 'app')
    fs.mkdirSync(app)
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }))
    const install = ['install', main.tarball, platform.tarball, '--no-audit', '--no-fund']
    await run('npm', [...install, '--offline'], app).catch(() => run('npm', [...install, '--prefer-offline'], app))

    fs.writeFileSync(path.join(app, 'echo.js'), `const sctp = require('sctp-native')\nconst dgram = require('dgram')\n${ECHO}`)
    fs.writeFileSync(path.join(app, 'echo.mjs'), `import sctp from 'sctp-native'\nimport dgram from 'dgram'\n${ECHO}`)
    for (const script of ['echo.js', 'echo.mjs']) {
      const out = await run(process.execPath, [script], app, 20000)
      assert.equal(out, 'echo ping\nclosed false false\n', script)
    }
    // The addon came from the platform package, not from a stray copy.
    const loaded = await run(process.execPath, ['-e', `require('sctp-native'); console.log(Object.keys(require.cache).find((f) => f.endsWith('.node')))`], app)
    assert.equal(loaded.trim(), path.join(fs.realpathSync(app), 'node_modules', 'sctp-native-linux-x64-gnu', ADDON))
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
})
