'use strict'
// The adapter "end" for implementations whose socket is a stream.Duplex with
// one 'data' chunk per message (@nodertc/sctp, sctp-native).
const { once } = require('events')

function streamEnd (socket) {
  return {
    write: (buf) => socket.write(buf),
    writable: () => once(socket, 'drain'),
    onMessage: (fn) => socket.on('data', fn)
  }
}

module.exports = { streamEnd }
