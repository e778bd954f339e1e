'use strict'
// libwebrtc against libwebrtc: two @roamhq/wrtc RTCPeerConnections in one
// process, signalled as webrtc.js does. All C++ (dcsctp over BoringSSL's DTLS):
// the reference for the other two, which run DTLS in JavaScript.
const wrtc = require('@roamhq/wrtc')
const { main, channel, signal, until, CONFIG } = require('./webrtc')

main({
  name: 'libwebrtc',
  async open () {
    const a = new wrtc.RTCPeerConnection(CONFIG)
    const b = new wrtc.RTCPeerConnection(CONFIG)
    const theirs = b.createDataChannel('bench')
    let ours = null
    a.ondatachannel = (e) => { ours = e.channel }
    await signal(b, a)
    await until(15000, "both libwebrtc channels open", () => ours && ours.readyState === 'open' && theirs.readyState === 'open')
    return {
      local: channel.w3c(ours),
      remote: channel.w3c(theirs),
      async close () { a.close(); b.close(); await new Promise((resolve) => setTimeout(resolve, 100)) }
    }
  }
})
