// Types of sctp-native's public API (index.js). The napi-generated
// binding.d.ts describes the internal native layer and is not part of it.
/// <reference types="node" />
import { Duplex } from 'stream'
import { EventEmitter } from 'events'
import type { Socket as DgramSocket } from 'dgram'
import type { AddressInfo } from 'net'

/** Any Duplex carrying one SCTP packet per chunk (a DTLS socket, `duplexPair()`), or a `udpTransport()`. */
export type Transport = Duplex | UdpTransport

export type SCTPErrorCode =
  | 'ECONNRESET' // the peer aborted an association
  | 'ECONNREFUSED' // the peer answered our INIT with an ABORT (no listener, or full)
  | 'ETIMEDOUT' // handshake, retransmissions, heartbeats or SHUTDOWN gave up
  | 'ENOBUFS' // receive buffer exhausted while reassembling
  | 'EADDRINUSE' // the SCTP port already listens on this transport
  | 'ERR_SCTP_TRANSPORT_CLOSED' // the transport errored or closed (see `cause`)
  | 'ERR_SCTP_INTERNAL' // a panic in the native core, contained
  | 'ERR_SCTP_MESSAGE_TOO_LARGE'
  | 'ERR_SCTP_INVALID_STREAM'
  | 'ERR_SCTP_NOT_CONNECTED'
  | 'ERR_SCTP_STREAM_RESET_FAILED'
  | 'ERR_SCTP_PPID_WITH_PARTIAL_RELIABILITY'
  | 'ERR_STREAM_DESTROYED'
  | 'ERR_SOCKET_CONNECT_IN_PROGRESS'
  | 'ERR_SERVER_ALREADY_LISTEN'
  | 'ERR_SERVER_NOT_RUNNING'
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_INVALID_ARG_VALUE'
  | 'ERR_OUT_OF_RANGE'
  | 'ERR_DTLS' // a DTLS error without a code of its own (dtlsTransport)

/** An `Error` with a Node-style `code`. */
export interface SCTPError extends Error {
  code: SCTPErrorCode | (string & {})
  cause?: unknown
}

/** Options that shape every message a socket writes. */
export interface SocketOptions {
  /** Payload Protocol Identifier of each write (any 32-bit value). Default 0. */
  ppid?: number
  /** Stream of each `socket.write()`. Default 0. */
  stream_id?: number
  /** Send unordered. Default false. */
  unordered?: boolean
  /** Accepted for @nodertc/sctp compatibility; sctp-proto always bundles. */
  no_bundle?: boolean
  /** Bytes queued in SCTP per stream before write() returns false. Default 1 MiB. */
  writableHighWaterMark?: number
}

/** Settings of the association itself. */
export interface AssociationOptions {
  /** Maximum inbound streams (1–65535). Default 2. */
  MIS?: number
  /** Requested outbound streams (1–65535). Default 2. */
  OS?: number
  /** Largest message sent or accepted, bytes; 0 = unlimited. Default `defaults().max_message_size`. */
  maxMessageSize?: number
}

export interface ConnectOptions extends SocketOptions, AssociationOptions {
  /** The transport to run over. Required. */
  transport: Transport
  /** Remote SCTP port (1–65535). Required. */
  port: number
  /** Local SCTP port. Default: `port`. */
  localPort?: number
  /** Do not send INIT: wait for the peer's INIT from `port`. */
  passive?: boolean
  /** Over a `udpTransport()` without a peer: the server's UDP port (required there). */
  udpPort?: number
  /** With `udpPort`: the server's IP address. Default 127.0.0.1. */
  udpAddress?: string
}

export interface ListenOptions extends AssociationOptions {
  port: number
  /** Required here unless given to the Server's constructor. */
  transport?: Transport
}

/** Socket options for every accepted socket, and listen() defaults. */
export interface ServerOptions extends Omit<SocketOptions, 'writableHighWaterMark'>, AssociationOptions {
  transport?: Transport
}

/** The second argument of a Socket's 'message'. */
export interface MessageInfo {
  streamId: number
  ppid: number
}

/** Per-message metadata for `send()`. */
/** Per-message metadata; each field overrides the stream's setting for this message only. */
export type SendOptions = {
  ppid?: number
  unordered?: boolean
} & (
  /** `true`: fully reliable even on a partially reliable stream (DCEP messages must be). */
  | { reliable?: boolean, maxRetransmits?: never, maxPacketLifeTime?: never }
  | { reliable?: never, maxRetransmits?: number, maxPacketLifeTime?: never }
  | { reliable?: never, maxRetransmits?: never, maxPacketLifeTime?: number }
)

export interface StreamStats {
  bytesSent: number
  bytesReceived: number
  messagesSent: number
  messagesReceived: number
  /** Messages that arrived after the peer had ended (SHUTDOWN or stream reset): dropped. */
  messagesDiscarded: number
  bufferedAmount: number
}

/**
 * After the association has closed (in 'close' too) the association's fields
 * keep the last values read: by stats(), while the association shut down, or
 * when its transport failed. After an ABORT or a timeout that is the last stats() call.
 */
export interface SocketStats extends StreamStats {
  /** Smoothed round-trip time in ms, measured on DATA/SACK; null before the first sample. */
  rtt: number | null
  /** sctp-proto's retransmission timeout, ms; null before the association is established. */
  rto: number | null
  t3Timeouts: number
  fastRetransmits: number
  sacksReceived: number
  dataChunksReceived: number
}

/** Counters of the native endpoint of one transport (shared by its sockets and servers). */
export interface TransportStats {
  packetsIn: number
  packetsOut: number
  /** Packets too short or badly formed, and chunks from the transport that were not bytes (null, a string…). */
  malformed: number
  badChecksum: number
  /** Packets for no association, and ABORT / SHUTDOWN COMPLETE with the T bit but not the peer's tag. */
  outOfTheBlue: number
  /** INITs to a port nobody listens on, or from the wrong port for a passive socket. */
  refusedInits: number
  /** Half-open handshakes dropped, oldest first, to make room for a new INIT (at most 4,096 are kept). */
  evictedHandshakes: number
  /** DATA chunks dropped unacknowledged: more than 4,096 TSNs above a hole, or past a window the application holds unread. */
  droppedData: number
  /** Messages on a stream at or above the inbound stream count (MIS): acknowledged, discarded, answered with an ERROR. */
  invalidStreamMessages: number
  panics: number
  /** Associations alive on the transport. */
  associations: number
}

// The catch-all listener overload of a class with typed events: any other
// event name, but not a typed one with a wrongly typed listener.
type OtherEvent<E, Known> = E extends Known ? never : E

/** Listener arguments of each SCTPStream event. */
export interface SCTPStreamEvents {
  message: [data: Buffer, info: { ppid: number }]
  data: [data: Buffer]
  end: []
  finish: []
  drain: []
  bufferedamountlow: []
  close: []
  error: [err: SCTPError]
}

/** Listener arguments of each Socket event. */
export interface SocketEvents {
  connect: []
  message: [data: Buffer, info: MessageInfo]
  data: [data: Buffer]
  /** A message arrived on a stream without an SCTPStream yet (only while someone listens). */
  stream: [stream: SCTPStream, id: number]
  end: []
  finish: []
  drain: []
  bufferedamountlow: []
  close: [hadError: boolean]
  error: [err: SCTPError]
}

/** Listener arguments of each Server event. */
export interface ServerEvents {
  listening: []
  connection: [socket: Socket]
  close: []
  error: [err: SCTPError]
}

/** What Socket and SCTPStream share: one message per write. Not exported by index.js. */
declare class MessageDuplex extends Duplex {
  /** One message with explicit metadata. Throws RangeError ERR_SCTP_MESSAGE_TOO_LARGE. */
  send(data: string | Buffer | ArrayBufferView, options?: SendOptions, callback?: (err?: Error | null) => void): boolean
  send(data: string | Buffer | ArrayBufferView, callback?: (err?: Error | null) => void): boolean
  /** Bytes queued in SCTP on this stream and not yet acknowledged. */
  readonly bufferedAmount: number
  /** 'bufferedamountlow' fires when bufferedAmount falls to this (default 0). */
  bufferedAmountLowThreshold: number
  bytesRead: number
  bytesWritten: number
  messagesSent: number
  messagesReceived: number
  messagesDiscarded: number
  /** PPID of each write(). */
  ppid: number
  /** Whether write() sends unordered. */
  unordered: boolean
}

/**
 * One SCTP stream of an association (`socket.createStream(id)` or the 'stream'
 * event): writes are messages on it, reads its messages. end() resets our
 * outgoing side (RFC 6525); 'close' once both directions are reset.
 */
export declare class SCTPStream extends MessageDuplex {
  protected constructor(socket: Socket, id: number, options?: StreamOptions)
  readonly socket: Socket
  readonly id: number
  readonly stream_id: number
  stats(): StreamStats
  on<K extends keyof SCTPStreamEvents>(event: K, listener: (...args: SCTPStreamEvents[K]) => void): this
  on<E extends string | symbol>(event: OtherEvent<E, keyof SCTPStreamEvents>, listener: (...args: any[]) => void): this
  once<K extends keyof SCTPStreamEvents>(event: K, listener: (...args: SCTPStreamEvents[K]) => void): this
  once<E extends string | symbol>(event: OtherEvent<E, keyof SCTPStreamEvents>, listener: (...args: any[]) => void): this
}

/** Options of `socket.createStream()`. Partial reliability (RFC 3758) needs a WebRTC PPID (50–57). */
export type StreamOptions = {
  ppid?: number
  unordered?: boolean
  writableHighWaterMark?: number
} & (
  /** At most one of the two. */
  | { maxRetransmits?: number; maxPacketLifeTime?: never }
  | { maxPacketLifeTime?: number; maxRetransmits?: never }
)

/** One SCTP association, with net.Socket semantics. */
export declare class Socket extends MessageDuplex {
  constructor(options?: SocketOptions)
  connect(options: ConnectOptions, connectListener?: () => void): this
  /** Outbound streams: requested until 'connect', then negotiated (min(local OS, peer MIS)). */
  OS: number | undefined
  /** Inbound streams: requested until 'connect', then negotiated (min(local MIS, peer OS)). */
  MIS: number | undefined
  localPort: number | undefined
  remotePort: number | undefined
  /** Over a `udpTransport()`, from 'connect' on: the peer's IP address, its family and UDP port. */
  remoteAddress: string | undefined
  remoteFamily: 'IPv4' | 'IPv6' | undefined
  remoteUdpPort: number | undefined
  connecting: boolean
  /** Stream of each write(). */
  stream_id: number
  no_bundle: boolean
  stats(): SocketStats
  /**
   * A stream for `id` (< socket.OS); throws RangeError ERR_OUT_OF_RANGE otherwise.
   * After 'close' the stream is already destroyed: a write fails its callback with ERR_STREAM_DESTROYED.
   */
  createStream(id: number, options?: StreamOptions): SCTPStream
  /** `address` and `family` are the transport's when it has an address() (udpTransport). */
  address(): { port: number | undefined; address: string | undefined; family: string }
  /** null before connect(). */
  transportStats(): TransportStats | null
  on<K extends keyof SocketEvents>(event: K, listener: (...args: SocketEvents[K]) => void): this
  on<E extends string | symbol>(event: OtherEvent<E, keyof SocketEvents>, listener: (...args: any[]) => void): this
  once<K extends keyof SocketEvents>(event: K, listener: (...args: SocketEvents[K]) => void): this
  once<E extends string | symbol>(event: OtherEvent<E, keyof SocketEvents>, listener: (...args: any[]) => void): this
}

/** Accepts associations on one SCTP port of a transport, with net.Server semantics. */
export declare class Server extends EventEmitter {
  constructor(connectionListener?: (socket: Socket) => void)
  constructor(options?: ServerOptions, connectionListener?: (socket: Socket) => void)
  listening: boolean
  /** Associations beyond this are aborted right after their handshake. */
  maxConnections: number | undefined
  localPort: number | undefined
  listen(port: number, callback?: () => void): this
  listen(options: ListenOptions, callback?: () => void): this
  /** Stops accepting; the callback and 'close' follow the last accepted association's close. */
  close(callback?: (err?: SCTPError) => void): this
  address(): { port: number; family: 'SCTP'; address: null } | null
  getConnections(callback: (err: Error | null, count: number) => void): this
  on<K extends keyof ServerEvents>(event: K, listener: (...args: ServerEvents[K]) => void): this
  on<E extends string | symbol>(event: OtherEvent<E, keyof ServerEvents>, listener: (...args: any[]) => void): this
  once<K extends keyof ServerEvents>(event: K, listener: (...args: ServerEvents[K]) => void): this
  once<E extends string | symbol>(event: OtherEvent<E, keyof ServerEvents>, listener: (...args: any[]) => void): this
}

/** Module defaults, named as the Linux net.sctp sysctls; they apply to associations started later. */
export interface Defaults {
  /** Initial retransmission timeout, ms. */
  rto_initial: number
  rto_min: number
  rto_max: number
  /** INIT/COOKIE-ECHO retransmissions before 'error' ETIMEDOUT. */
  max_init_retransmits: number
  /** Consecutive retransmission timeouts (or unanswered heartbeats) before 'error' ETIMEDOUT. */
  association_max_retrans: number
  /** Idle time before a HEARTBEAT, ms; 0 = none. */
  hb_interval: number
  /** How long an incoming association may wait for its COOKIE ECHO, ms. */
  valid_cookie_life: number
  /** Largest message, bytes; 0 = unlimited. */
  max_message_size: number
  /** Receive window (a_rwnd), bytes. */
  rwnd: number
}

/** Reads the module defaults, or changes some (validated: throws on unknown names or bad values). */
export declare function defaults(params?: Partial<Defaults>): Defaults
export declare function connect(options: ConnectOptions, connectListener?: () => void): Socket
export declare const createConnection: typeof connect
export declare function createServer(connectionListener?: (socket: Socket) => void): Server
export declare function createServer(options?: ServerOptions, connectionListener?: (socket: Socket) => void): Server

/** What udpTransport() returns: the socket is read and written by the native core. */
export interface UdpTransport extends EventEmitter {
  /** Set once destroy() ran (or the socket closed or failed). */
  readonly destroyed: boolean
  /** Datagrams dropped on arrival: from elsewhere than the peer, truncated, or beyond the inbox. */
  readonly dropped: number
  /** The peer given to udpTransport(), once its address is known; null for a transport serving any. */
  remote(): { port: number; address: string } | null
  /** The UDP socket's address. */
  address(): AddressInfo
  stats(): { datagramsIn: number; datagramsOut: number; dropped: number; sendErrors: number }
  /** Closes the socket; the associations on it end with ERR_SCTP_TRANSPORT_CLOSED. */
  destroy(error?: Error): this
  close(): this
  /** As dgram's: whether the open socket keeps the process running (it does by default). */
  ref(): this
  unref(): this
  on(event: 'error', listener: (err: Error) => void): this
  on(event: 'close', listener: () => void): this
  on(event: 'ready', listener: () => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
}

export interface UdpTransportOptions {
  /** The one peer: every packet goes there, datagrams from anyone else are dropped. Without it, any peer is served. */
  port?: number
  /** The peer's address (default 127.0.0.1) or a host name, looked up once. */
  address?: string
  /** Kernel socket buffers, bytes (default 4 MiB, capped by rmem_max/wmem_max; 0 = leave alone). */
  bufferSize?: number
  /** Associations at most on this socket, in any state (default 16384); an INIT beyond gets an ABORT. */
  maxAssociations?: number
}

/**
 * SCTP over UDP (RFC 6951 framing), the socket read and written by the native core.
 * Given a dgram socket (bound, binding, or bound on first use), the core takes it
 * over: do not read from it. Given options, it makes and binds one (`localPort`,
 * default 0; `localAddress`; `type` 'udp4' | 'udp6'). A bind or lookup failure
 * comes as 'error' and ends its associations. Bad options throw with a code naming the option.
 */
export declare function udpTransport(socket: DgramSocket, options?: UdpTransportOptions): UdpTransport
export declare function udpTransport(
  options: UdpTransportOptions & { localPort?: number; localAddress?: string; type?: 'udp4' | 'udp6' }
): UdpTransport

/** Two connected in-memory transports (delivery on setImmediate). */
export declare function duplexPair(): [Duplex, Duplex]

/** A werift-dtls event (werift's `Event<T>`): what dtlsTransport() subscribes to. */
export interface DtlsEvent<T extends any[]> {
  subscribe(execute: (...args: T) => void): { unSubscribe(): void }
}

/** What dtlsTransport() needs of a DTLS socket: werift-dtls's DtlsClient and DtlsServer have it. */
export interface DtlsSocketLike {
  /** Sends one application-data record. */
  send(data: Buffer): unknown
  /** Writes wait while false. */
  connected: boolean
  onConnect: DtlsEvent<any[]>
  onData: DtlsEvent<[Buffer]>
  onClose?: DtlsEvent<any[]>
  onError?: DtlsEvent<[Error]>
  close?(): unknown
}

/** What dtlsTransport() returns: a Duplex of DTLS records that emits 'secureConnect' after the handshake. */
export interface DtlsTransport<T extends DtlsSocketLike = DtlsSocketLike> extends Duplex {
  /** The DTLS socket given to dtlsTransport(). */
  readonly dtls: T
}

/** A DtlsClient or DtlsServer as an SCTP transport; destroy() closes it. */
export declare function dtlsTransport<T extends DtlsSocketLike>(dtls: T): DtlsTransport<T>

/** werift-dtls's `Transport` over a dgram socket, as dtlsUdp() makes it. */
export interface DtlsUdp {
  readonly type: 'udp'
  closed: boolean
  /** Datagrams from another sender than the peer: dropped. */
  dropped: number
  /** Set by the DTLS socket. */
  onData: (data: Buffer, addr: readonly [string, number]) => void
  readonly address: AddressInfo
  send(data: Buffer, addr?: readonly [string, number]): Promise<void>
  /** Closes the UDP socket too. */
  close(): Promise<void>
  remote(): { port: number; address: string } | null
}

/**
 * A bound dgram socket as werift-dtls's `transport` option. With `port`
 * (address default 127.0.0.1, or a host name looked up once) datagrams go
 * there; without, the first datagram's sender becomes the peer. Options are
 * validated as udpTransport()'s; a failed send is a lost datagram.
 */
export declare function dtlsUdp(socket: DgramSocket, options?: { port?: number; address?: string }): DtlsUdp

export declare const PPID: Readonly<{
  SCTP: 0; IUA: 1; M2UA: 2; M3UA: 3; SUA: 4; M2PA: 5; V5UA: 6; H248: 7; BICC: 8; TALI: 9
  DUA: 10; ASAP: 11; ENRP: 12; H323: 13; QIPC: 14; SIMCO: 15; DDP_CHUNK: 16; DDP_CONTROL: 17
  S1AP: 18; RUA: 19; HNBAP: 20; FORCES_HP: 21; FORCES_MP: 22; FORCES_LP: 23; SBCAP: 24; NBAP: 25
  X2AP: 27; IRCP: 28; LCSAP: 29; MPICH2: 30; SABP: 31; FGP: 32; PPP: 33; CALCAPP: 34; SSP: 35
  NPMP_CONTROL: 36; NPMP_DATA: 37; ECHO: 38; DISCARD: 39; DAYTIME: 40; CHARGEN: 41; RNA: 42
  M2AP: 43; M3AP: 44; SSH: 45; DIAMETER: 46; DIAMETER_DTLS: 47; BER: 48; WEBRTC_DCEP: 50
  WEBRTC_STRING: 51; WEBRTC_BINARY: 53; PUA: 55; WEBRTC_STRING_EMPTY: 56; WEBRTC_BINARY_EMPTY: 57
  XWAP: 58; XWCP: 59; NGAP: 60; XNAP: 61
}>

// Only the declarations marked `export` are the module's (MessageDuplex and OtherEvent are not).
export {}

// --- WebRTC data channels: webrtc-pc's API over RFC 8831 / RFC 8832 (lib/webrtc/) ---

/** Listener options of addEventListener(), as in the DOM. */
type DataChannelListenerOptions = boolean | { capture?: boolean; once?: boolean; passive?: boolean; signal?: AbortSignal }
/** Any other listener addEventListener() takes, as EventTarget's. */
type AnyEventListener = ((event: Event) => void) | { handleEvent(event: Event): void }

export type RTCSctpTransportState = 'connecting' | 'connected' | 'closed'
export type RTCDataChannelState = 'connecting' | 'open' | 'closing' | 'closed'
/** How binary messages arrive: webrtc-pc's BinaryType, plus 'nodebuffer' for a Buffer. */
export type DataChannelBinaryType = 'arraybuffer' | 'blob' | 'nodebuffer'
export type RTCErrorDetailType = 'data-channel-failure' | 'sctp-failure' | (string & {})

export interface SctpTransportOptions {
  /** The DTLS transport: a Duplex carrying one DTLS record (one SCTP packet) per chunk. Required. */
  transport: Transport
  /** Our DTLS role. Required. The client opens channels on even stream ids, the server on odd ones (RFC 8832 §6). */
  role: 'client' | 'server'
  /** Our SCTP port (a=sctp-port). Default 5000. */
  port?: number
  /** The peer's SCTP port. Default 5000. */
  remotePort?: number
  /** The largest message we accept (our a=max-message-size); 0 = any. Default 262144. */
  maxMessageSize?: number
  /** The peer's a=max-message-size; 65536 when its SDP has none (RFC 8841); 0 = any. Default 65536. */
  remoteMaxMessageSize?: number
}

/** webrtc-pc's RTCDataChannelInit. maxPacketLifeTime and maxRetransmits together throw a TypeError. */
export interface RTCDataChannelInit {
  /** Default true. */
  ordered?: boolean
  /** Milliseconds, 0–65535. */
  maxPacketLifeTime?: number
  /** 0–65535. */
  maxRetransmits?: number
  /** At most 65535 bytes of UTF-8. Default ''. */
  protocol?: string
  /** true: no DCEP; both sides create the channel with the same `id`. Default false. */
  negotiated?: boolean
  /** The stream id (0–65534) of a negotiated channel; ignored otherwise. */
  id?: number
}

/** The error of an RTCErrorEvent: an OperationError DOMException with webrtc-pc's details. */
export declare class RTCError extends DOMException {
  constructor(init: { errorDetail: RTCErrorDetailType; sctpCauseCode?: number | null; cause?: unknown }, message?: string)
  readonly errorDetail: RTCErrorDetailType
  readonly sctpCauseCode: number | null
  readonly sdpLineNumber: null
  readonly httpRequestStatusCode: null
  readonly receivedAlert: null
  readonly sentAlert: null
  /** The SCTP layer's error (an SCTPError with its `code`), when there is one. */
  readonly cause?: unknown
}

export declare class RTCErrorEvent extends Event {
  constructor(type: string, init: { error: RTCError; bubbles?: boolean; cancelable?: boolean; composed?: boolean })
  readonly error: RTCError
}

export declare class RTCDataChannelEvent extends Event {
  constructor(type: string, init: { channel: RTCDataChannel; bubbles?: boolean; cancelable?: boolean; composed?: boolean })
  readonly channel: RTCDataChannel
}

export interface RTCDataChannelEventMap {
  open: Event
  /** `data`: a string for text; for binary, per binaryType an ArrayBuffer, a Blob or a Buffer. */
  message: MessageEvent
  bufferedamountlow: Event
  /** 'sctp-failure' (the association failed, or a send did) or 'data-channel-failure' (id not below maxChannels). */
  error: RTCErrorEvent
  /** The peer (or a DCEP rule) began closing the channel; a close() of our own fires none. */
  closing: Event
  close: Event
}

/** webrtc-pc's RTCDataChannel: from createDataChannel() or the transport's 'datachannel' event. */
export declare class RTCDataChannel extends EventTarget {
  private constructor()
  readonly label: string
  readonly ordered: boolean
  readonly maxPacketLifeTime: number | null
  readonly maxRetransmits: number | null
  readonly protocol: string
  readonly negotiated: boolean
  readonly id: number | null
  readonly readyState: RTCDataChannelState
  /** Bytes given to send() that the peer has not acknowledged yet. */
  readonly bufferedAmount: number
  /** 'bufferedamountlow' fires when bufferedAmount falls to this from above it. Default 0. */
  bufferedAmountLowThreshold: number
  /** Default 'arraybuffer'; other values are ignored. */
  binaryType: DataChannelBinaryType
  /**
   * One message: text as PPID 51, binary as 53 (empty ones 56 and 57). Throws InvalidStateError
   * (a DOMException) unless open, TypeError above the transport's maxMessageSize or for other types.
   */
  send(data: string | Blob | ArrayBuffer | ArrayBufferView): void
  /** Resets the channel's stream: readyState 'closing' at once, 'close' when the peer has reset its side too. */
  close(): void
  onopen: ((this: RTCDataChannel, ev: Event) => any) | null
  onmessage: ((this: RTCDataChannel, ev: MessageEvent) => any) | null
  onbufferedamountlow: ((this: RTCDataChannel, ev: Event) => any) | null
  onerror: ((this: RTCDataChannel, ev: RTCErrorEvent) => any) | null
  onclosing: ((this: RTCDataChannel, ev: Event) => any) | null
  onclose: ((this: RTCDataChannel, ev: Event) => any) | null
  addEventListener<K extends keyof RTCDataChannelEventMap>(type: K, listener: (this: RTCDataChannel, ev: RTCDataChannelEventMap[K]) => any, options?: DataChannelListenerOptions): void
  addEventListener(type: string, listener: AnyEventListener, options?: DataChannelListenerOptions): void
  removeEventListener<K extends keyof RTCDataChannelEventMap>(type: K, listener: (this: RTCDataChannel, ev: RTCDataChannelEventMap[K]) => any, options?: DataChannelListenerOptions): void
  removeEventListener(type: string, listener: AnyEventListener, options?: DataChannelListenerOptions): void
}

export interface RTCSctpTransportEventMap {
  statechange: Event
  datachannel: RTCDataChannelEvent
  /** The association failed (errorDetail 'sctp-failure'; `error.cause` has the SCTP error's code). */
  error: RTCErrorEvent
  /** After 'statechange' to 'closed'. */
  close: Event
}

/** webrtc-pc's RTCSctpTransport, with createDataChannel() and close() of its own. Made by createSctpTransport(). */
export declare class RTCSctpTransport extends EventTarget {
  private constructor()
  /** The Duplex given to createSctpTransport(). */
  readonly transport: Transport
  readonly state: RTCSctpTransportState
  /** The largest message send() takes: the smaller of ours and the peer's (0 meaning any; both 0: Infinity). */
  readonly maxMessageSize: number
  /** null until connected, then the negotiated stream count (min of OS and MIS). */
  readonly maxChannels: number | null
  /**
   * webrtc-pc createDataChannel(): callable before the transport is connected; the channel opens once it is.
   * Throws TypeError for bad options, OperationError when no id is free (or the id is in use or
   * not below maxChannels), InvalidStateError after close().
   */
  createDataChannel(label: string, options?: RTCDataChannelInit): RTCDataChannel
  /** Closes every channel on both sides (stream resets), then ends the association (SHUTDOWN). */
  close(): void
  onstatechange: ((this: RTCSctpTransport, ev: Event) => any) | null
  ondatachannel: ((this: RTCSctpTransport, ev: RTCDataChannelEvent) => any) | null
  onerror: ((this: RTCSctpTransport, ev: RTCErrorEvent) => any) | null
  onclose: ((this: RTCSctpTransport, ev: Event) => any) | null
  addEventListener<K extends keyof RTCSctpTransportEventMap>(type: K, listener: (this: RTCSctpTransport, ev: RTCSctpTransportEventMap[K]) => any, options?: DataChannelListenerOptions): void
  addEventListener(type: string, listener: AnyEventListener, options?: DataChannelListenerOptions): void
  removeEventListener<K extends keyof RTCSctpTransportEventMap>(type: K, listener: (this: RTCSctpTransport, ev: RTCSctpTransportEventMap[K]) => any, options?: DataChannelListenerOptions): void
  removeEventListener(type: string, listener: AnyEventListener, options?: DataChannelListenerOptions): void
}

/** WebRTC data channels over `transport`: an SCTP association on it, both sides sending INIT as WebRTC does. */
export declare function createSctpTransport(options: SctpTransportOptions): RTCSctpTransport
