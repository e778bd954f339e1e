'use strict'
// werift's own RTCPeerConnection, its SCTP included, against libwebrtc: both pcs
// in one process, signalled as webrtc.js does. werift's ICE and DTLS are the
// same JavaScript that carries sctp-native's packets in webrtc-native.js.
// libwebrtc offers and opens the channel (DCEP); werift gets it with ondatachannel.
const werift = require('werift')
const wrtc = require('@roamhq/wrtc')
const { main, channel, signal, widenReceiveBuffers, until, CONFIG } = require('./webrtc')

main({
  name: 'werift',
  async open () {
    const l = new wrtc.RTCPeerConnection(CONFIG)
    const w = new werift.RTCPeerConnection(CONFIG)
    const theirs = l.createDataChannel('bench')
    let ours = null
    w.onDataChannel.subscribe((dc) => { ours = dc })
    await signal(l, w)
    await until(15000, "werift's and libwebrtc's channel open", () => ours && ours.readyState === 'open' && theirs.readyState === 'open')
    widenReceiveBuffers(w)
    return {
      local: channel.werift(ours),
      remote: channel.w3c(theirs),
      async close () { l.close(); await w.close() }
    }
  }
})
