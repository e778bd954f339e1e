// Types of sctp-native's public API (index.js). The napi-generated
// binding.d.ts describes the internal native layer and is not part of it.
/// <reference types="node" />
import { Duplex, DuplexOptions } from 'stream'
import { EventEmitter } from 'events'
import type { Socket as DgramSocket } from 'dgram'

/** Any Duplex carrying one SCTP packet per chunk: a DTLS socket, `udpTransport(...)`, `duplexPair()`. */
export type Transport = Duplex

/** An `Error` with a Node-style `code`. */
export interface SCTPError extends Error {
  code:
    | 'ECONNRESET' // the peer aborted (or refused our INIT)
    | 'ETIMEDOUT' // handshake or retransmissions gave up
    | 'ENOBUFS' // receive buffer exhausted while reassembling
    | 'ERR_SCTP_TRANSPORT_CLOSED' // the transport errored or closed
    | 'ERR_SCTP_INTERNAL' // a panic in the native core, contained
    | 'ERR_SCTP_MESSAGE_TOO_LARGE'
    | 'ERR_SCTP_INVALID_STREAM'
    | 'ERR_SCTP_STREAM_RESET_FAILED'
    | 'ERR_SCTP_PPID_WITH_PARTIAL_RELIABILITY'
    | 'ERR_STREAM_DESTROYED'
    | (string & {})
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
  writableHighWaterMark?: number
}

export interface ConnectOptions extends SocketOptions {
  /** The transport to run over. Required. */
  transport: Transport
  /** Remote SCTP port (1–65535). Required. */
  port: number
  /** Local SCTP port. Default: `port`. */
  localPort?: number
  /** Maximum inbound streams. Default 2. */
  MIS?: number
  /** Requested outbound streams. Default 2. */
  OS?: number
  /** Do not send INIT: wait for the peer's INIT from `port`. */
  passive?: boolean
  /** Largest message sent or accepted, bytes; 0 = unlimited. Default `defaults().max_message_size`. */
  maxMessageSize?: number
}

export interface ListenOptions {
  port: number
  transport?: Transport
  MIS?: number
  OS?: number
  maxMessageSize?: number
}

export interface ServerOptions extends SocketOptions {
  transport?: Transport
  MIS?: number
  OS?: number
  maxMessageSize?: number
}

export interface MessageInfo {
  streamId: number
  ppid: number
}

/** Per-message metadata for `send()`. */
export interface SendOptions {
  ppid?: number
  unordered?: boolean
}

export interface StreamStats {
  bytesSent: number
  bytesReceived: number
  messagesSent: number
  messagesReceived: number
  /** Messages that arrived after the peer had ended (SHUTDOWN or stream reset): dropped. */
  messagesDiscarded: number
  bufferedAmount: number
}

export interface SocketStats extends StreamStats {
  /** Smoothed round-trip time in ms, measured on DATA/SACK; null before the first sample. */
  rtt: number | null
  /** sctp-proto's retransmission timeout, ms. */
  rto: number | null
  t3Timeouts: number
  fastRetransmits: number
  sacksReceived: number
  dataChunksReceived: number
}

/** What Socket and SCTPStream share: one message per write. */
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
  ppid: number
  unordered: boolean
}

export interface TransportStats {
  packetsIn: number
  packetsOut: number
  malformed: number
  badChecksum: number
  outOfTheBlue: number
  refusedInits: number
  panics: number
  associations: number
}

/**
 * One SCTP stream of an association: writes are messages on it, reads its messages.
 * end() resets our outgoing side (RFC 6525); 'close' once both directions are reset.
 */
export declare class SCTPStream extends MessageDuplex {
  readonly socket: Socket
  readonly id: number
  readonly stream_id: number
  stats(): StreamStats
  on(event: 'message', listener: (data: Buffer, info: { ppid: number }) => void): this
  on(event: 'bufferedamountlow' | 'end' | 'close' | 'drain' | 'finish', listener: () => void): this
  on(event: 'error', listener: (err: SCTPError) => void): this
  on(event: 'data', listener: (data: Buffer) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
  once(event: 'message', listener: (data: Buffer, info: { ppid: number }) => void): this
  once(event: string | symbol, listener: (...args: any[]) => void): this
}

export type StreamOptions = {
  ppid?: number
  unordered?: boolean
  writableHighWaterMark?: number
} & (
  /** Partial reliability (RFC 3758), at most one of the two; needs a WebRTC PPID (50–57). */
  | { maxRetransmits?: number; maxPacketLifeTime?: never }
  | { maxPacketLifeTime?: number; maxRetransmits?: never }
)

/** One SCTP association, with net.Socket semantics. */
export declare class Socket extends MessageDuplex {
  constructor(options?: SocketOptions)
  connect(options: ConnectOptions, connectListener?: () => void): this
  /** Negotiated outbound streams (after 'connect'): min(local OS, peer MIS). */
  OS: number | undefined
  /** Negotiated inbound streams (after 'connect'): min(local MIS, peer OS). */
  MIS: number | undefined
  localPort: number | undefined
  remotePort: number | undefined
  connecting: boolean
  stream_id: number
  no_bundle: boolean
  stats(): SocketStats
  /** A stream for `id` (< socket.OS); throws RangeError otherwise. */
  createStream(id: number, options?: StreamOptions): SCTPStream
  address(): { port: number | undefined; address: string | undefined; family: string }
  transportStats(): TransportStats | null

  on(event: 'connect', listener: () => void): this
  on(event: 'data', listener: (data: Buffer) => void): this
  on(event: 'message', listener: (data: Buffer, info: MessageInfo) => void): this
  on(event: 'stream', listener: (stream: SCTPStream, id: number) => void): this
  on(event: 'end', listener: () => void): this
  on(event: 'close', listener: (hadError: boolean) => void): this
  on(event: 'error', listener: (err: SCTPError) => void): this
  on(event: 'drain' | 'finish' | 'bufferedamountlow', listener: () => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
  once(event: 'connect', listener: () => void): this
  once(event: 'data', listener: (data: Buffer) => void): this
  once(event: 'message', listener: (data: Buffer, info: MessageInfo) => void): this
  once(event: 'stream', listener: (stream: SCTPStream, id: number) => void): this
  once(event: 'close', listener: (hadError: boolean) => void): this
  once(event: 'error', listener: (err: SCTPError) => void): this
  once(event: string | symbol, listener: (...args: any[]) => void): this
}

/** Accepts associations on one SCTP port of a transport, with net.Server semantics. */
export declare class Server extends EventEmitter {
  constructor(options?: ServerOptions, connectionListener?: (socket: Socket) => void)
  listening: boolean
  maxConnections: number | undefined
  localPort: number | undefined
  listen(port: number, callback?: () => void): this
  listen(options: ListenOptions, callback?: () => void): this
  close(callback?: (err?: Error) => void): this
  address(): { port: number; family: string; address: null } | null
  getConnections(callback: (err: Error | null, count: number) => void): this
  on(event: 'listening' | 'close', listener: () => void): this
  on(event: 'connection', listener: (socket: Socket) => void): this
  on(event: 'error', listener: (err: SCTPError) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
  once(event: 'listening' | 'close', listener: () => void): this
  once(event: 'connection', listener: (socket: Socket) => void): this
  once(event: 'error', listener: (err: SCTPError) => void): this
  once(event: string | symbol, listener: (...args: any[]) => void): this
}

/** Module defaults, named as the Linux net.sctp sysctls. */
export interface Defaults {
  /** Initial retransmission timeout, ms. */
  rto_initial: number
  rto_min: number
  rto_max: number
  /** INIT/COOKIE-ECHO retransmissions before 'error' ETIMEDOUT. */
  max_init_retransmits: number
  /** Consecutive retransmission timeouts without word from the peer before 'error' ETIMEDOUT. */
  association_max_retrans: number
  /** Accepted, not honoured: sctp-proto's delayed-ACK timer is a fixed 200 ms. */
  sack_timeout: number
  /** Accepted, not honoured by sctp-proto. */
  sack_freq: number
  /** Accepted, not honoured: sctp-proto sends no heartbeats. */
  hb_interval: number
  /** Accepted, not honoured by sctp-proto. */
  valid_cookie_life: number
  /** Largest message, bytes; 0 = unlimited. */
  max_message_size: number
  /** Receive window (a_rwnd), bytes. */
  rwnd: number
}

export declare function defaults(params?: Partial<Defaults>): Defaults
export declare function connect(options: ConnectOptions, connectListener?: () => void): Socket
export declare const createConnection: typeof connect
export declare function createServer(connectionListener?: (socket: Socket) => void): Server
export declare function createServer(options?: ServerOptions, connectionListener?: (socket: Socket) => void): Server

/** A UDP socket as a transport. Without `port` the first datagram's sender becomes the peer. */
export declare function udpTransport(
  socket: DgramSocket,
  options?: { port?: number; address?: string; bufferSize?: number }
): Duplex & { dropped: number; remote(): { port: number; address: string } | null }

/** Two connected in-memory transports (delivery on setImmediate). */
export declare function duplexPair(): [Duplex, Duplex]

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
