'use strict'
// Packs what a user installs until a release is on the registry: the main
// package and the platform package of this machine, with the addon that
// `npm install` built in this checkout (napi-rs layout: the addon ships in
// npm/<platform>, an optional dependency of the main package).
//
//   node npm/pack.js [DEST]      (npm run tarballs -- DEST; DEST defaults to ./pack)
//
// Prints the two tarballs' paths, one a line; install both into a project:
//   npm install DEST/sctp-native-0.1.0.tgz DEST/sctp-native-linux-x64-gnu-0.1.0.tgz
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync } = require('child_process')

const ROOT = path.join(__dirname, '..')

// The platform packages this repository has, by the addon's file name.
const PLATFORMS = { 'linux-x64-gnu': 'sctp-native.linux-x64-gnu.node' }

// `npm pack` of `dir` into `dest`: { tarball, files }. --ignore-scripts:
// "prepare" would rebuild the addon.
function pack (dir, dest) {
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  const [info] = JSON.parse(out)
  return { tarball: path.join(dest, info.filename), files: info.files.map((f) => f.path).sort() }
}

function packAll (dest = path.join(ROOT, 'pack')) {
  fs.mkdirSync(dest, { recursive: true })
  const platform = Object.keys(PLATFORMS).find((p) => fs.existsSync(path.join(ROOT, PLATFORMS[p])))
  if (!platform) {
    const err = new Error(`no built addon in ${ROOT} (looked for ${Object.values(PLATFORMS).join(', ')}): run \`npm install\` (or \`npm run build\`) first`)
    err.code = 'ERR_NO_ADDON'
    throw err
  }
  const main = pack(ROOT, dest)
  // The platform package, packed from a copy that holds the addon (as `napi artifacts` would place it).
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'sctp-native-platform-'))
  try {
    const src = path.join(ROOT, 'npm', platform)
    for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(staging, f))
    fs.copyFileSync(path.join(ROOT, PLATFORMS[platform]), path.join(staging, PLATFORMS[platform]))
    return { main, platform: { ...pack(staging, dest), name: platform, addon: PLATFORMS[platform] } }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true })
  }
}

module.exports = { packAll, PLATFORMS }

if (require.main === module) {
  const { main, platform } = packAll(process.argv[2] && path.resolve(process.argv[2]))
  console.log(main.tarball)
  console.log(platform.tarball)
}
