'use strict'
// sctp-native's data channels (createSctpTransport) against libwebrtc, over the
// DTLS of __test__/webrtc/seam.js: werift's ICE and DTLS, in JavaScript, carry
// every packet, so werift's DTLS bounds this figure. libwebrtc offers and opens
// the channel (DCEP); sctp-native receives it with 'datachannel'.
const sctp = require('../../index.js')
const seam = require('../../__test__/webrtc/seam')
const { main, channel, until } = require('./webrtc')

main({
  name: 'sctp-native',
  async open () {
    const s = await seam.connect({ libraryRole: 'client', channels: [['bench', {}]] })
    const t = sctp.createSctpTransport({
      transport: s.transport,
      role: s.role,
      port: s.sdp.local.port,
      remotePort: s.sdp.remote.port,
      maxMessageSize: s.sdp.local.maxMessageSize,
      remoteMaxMessageSize: s.sdp.remote.maxMessageSize
    })
    let ours = null
    t.addEventListener('datachannel', (e) => { ours = e.channel })
    const theirs = s.wrtc.channels[0]
    await until(10000, "sctp-native's and libwebrtc's channel open", () => ours && ours.readyState === 'open' && theirs.readyState === 'open')
    return {
      local: channel.w3c(ours),
      remote: channel.w3c(theirs),
      async close () { t.close(); await s.close() }
    }
  }
})
