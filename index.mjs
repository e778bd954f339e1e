// ES module entry: the same objects as index.js (CommonJS), as named exports
// and as the default export, so both `import sctp from 'sctp-native'` and
// `import { connect, PPID } from 'sctp-native'` work.
import sctp from './index.js'

export const {
  connect,
  createConnection,
  createServer,
  Socket,
  Server,
  SCTPStream,
  PPID,
  defaults,
  udpTransport,
  duplexPair,
  dtlsTransport,
  dtlsUdp,
  createSctpTransport,
  RTCSctpTransport,
  RTCDataChannel,
  RTCDataChannelEvent,
  RTCError,
  RTCErrorEvent
} = sctp

export default sctp
