'use strict'
// WebRTC data channels between libwebrtc (Chrome's stack, from the devDependency @roamhq/wrtc)
// and sctp-native's createSctpTransport(), over a real ICE + DTLS connection. Each side opens a
// channel the way a page would; the other side gets it as 'datachannel' and answers.
//   node examples/webrtc-datachannel.js [client|server]    (sctp-native's DTLS role; default client)
//
// libwebrtc gathers no loopback candidates, so the exchange runs inside a private network
// namespace: the script re-runs itself under __test__/webrtc/netns.sh, which needs root (or
// CAP_SYS_ADMIN). When it cannot, it says why and exits 77. The DTLS half of the connection is
// werift's, from the test kit in __test__/webrtc/ (see its README.md).
const path = require('path')
const { spawnSync } = require('child_process')
const { available, connect } = require('../__test__/webrtc/seam')
const sctp = require('sctp-native')

const role = process.argv[2] || 'client'
if (role !== 'client' && role !== 'server') {
  console.error('usage: node examples/webrtc-datachannel.js [client|server]')
  process.exit(2)
}

if (!process.env.SCTP_NATIVE_NETNS) {
  const can = available()
  if (!can.ok) {
    console.error(`cannot run: ${can.reason}`)
    process.exit(77)
  }
  const r = spawnSync(path.join(__dirname, '..', '__test__', 'webrtc', 'netns.sh'), [process.execPath, __filename, role], {
    stdio: 'inherit', env: { ...process.env, SCTP_NATIVE_NETNS: '1' }
  })
  process.exit(r.status === null ? 1 : r.status)
}

async function main () {
  // libwebrtc's channel exists before the offer, as in a page that opens one at once
  const seam = await connect({ libraryRole: role, channels: [['chat', { protocol: 'chat-v1' }]] })
  const [chat] = seam.wrtc.channels
  const browser = (...a) => console.log('libwebrtc:  ', ...a)
  const ours = (...a) => console.log('sctp-native:', ...a)
  const done = new Promise((resolve) => {
    chat.onmessage = (e) => browser(`got "${e.data}" on '${chat.label}'`)
    chat.onopen = () => chat.send('hello from libwebrtc')
    seam.wrtc.pc.ondatachannel = ({ channel }) => {
      browser(`'datachannel': '${channel.label}' (protocol ${channel.protocol}, id ${channel.id})`)
      channel.binaryType = 'arraybuffer'
      channel.onmessage = (e) => {
        browser(`got ${e.data.byteLength} bytes on '${channel.label}'`)
        channel.send(`thanks for ${e.data.byteLength} bytes`)
      }
      channel.onclose = () => { browser(`'${channel.label}' closed`); resolve() }
    }
  })

  const t = sctp.createSctpTransport({
    transport: seam.transport,
    role,
    port: seam.sdp.local.port,
    remotePort: seam.sdp.remote.port,
    maxMessageSize: seam.sdp.local.maxMessageSize,
    remoteMaxMessageSize: seam.sdp.remote.maxMessageSize
  })
  t.addEventListener('statechange', () => ours(`transport ${t.state}${t.state === 'connected' ? `, maxMessageSize ${t.maxMessageSize}` : ''}`))
  t.addEventListener('datachannel', ({ channel }) => {
    ours(`'datachannel': '${channel.label}' (protocol ${channel.protocol}, id ${channel.id})`)
    channel.onmessage = (e) => {
      ours(`got "${e.data}" on '${channel.label}'`)
      channel.send(e.data.toUpperCase())
      // now a channel of our own, carrying bytes
      const files = t.createDataChannel('files', { protocol: 'bytes' })
      files.onopen = () => files.send(new Uint8Array(64 * 1024).fill(7))
      files.onmessage = (e) => {
        ours(`got "${e.data}" on '${files.label}'`)
        files.close() // a stream reset: libwebrtc's channel closes too
      }
      files.onclose = () => ours(`'${files.label}' closed`)
    }
  })

  await done
  // closing the transport resets every channel's stream, so libwebrtc's 'chat' closes too
  const chatClosed = new Promise((resolve) => { chat.onclose = () => { browser(`'${chat.label}' closed`); resolve() } })
  t.close()
  await chatClosed
  await seam.close()
}

main().then(() => {
  process.exit(0) // explicitly: @roamhq/wrtc may crash (SIGSEGV) when node exits on its own
}, (err) => {
  console.error(err)
  process.exit(1)
})
setTimeout(() => { console.error('still running after 30 s'); process.exit(1) }, 30000).unref()
