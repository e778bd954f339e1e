// Compiled, never run (__test__/types.test.js): the ES module entry's types
// (index.d.mts), resolved by package name through "exports" → "import".
import sctp, { connect, createServer, duplexPair, PPID, type Socket } from 'sctp-native'

const [ta, tb] = duplexPair()
const server = createServer({ transport: tb }, (socket: Socket) => socket.end())
server.listen(5000)
// The default export is the whole module, the same objects as the named ones.
const socket: Socket = sctp.connect({ transport: ta, port: 5000, ppid: sctp.PPID.WEBRTC_STRING })
socket.on('message', (data, { streamId, ppid }) => void [data.length, streamId, ppid])
const c: typeof connect = sctp.connect
const p: 51 = PPID.WEBRTC_STRING
void [c, p, sctp.dtlsTransport, sctp.udpTransport, sctp.defaults().rwnd]

// @ts-expect-error: the default export has no such member
sctp.nope()
// @ts-expect-error: a 'close' listener of a Socket gets a boolean
socket.on('close', (hadError: number) => void hadError)
