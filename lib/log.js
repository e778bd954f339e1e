'use strict'
// DEBUG=sctp* (the `debug` convention @nodertc/sctp used). Disabled
// namespaces cost one property check per call.
const debug = require('debug')

module.exports = {
  endpoint: debug('sctp:endpoint'),
  state: debug('sctp:state'),
  packet: debug('sctp:packet'),
  socket: debug('sctp:socket')
}
