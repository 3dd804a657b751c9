/**
 * TlsSocket: a Duplex of application data over hotconn's TLS client, shaped like node:tls's
 * TLSSocket where undici and node:http2 look (alpnProtocol, ref/unref, remoteAddress, setNoDelay,
 * getPeerCertificate, getProtocol, getCipher). Writing ends with close_notify on `end()`.
 *
 * End of stream, as node:net delivers it: after the handshake, the connection's end (close_notify:
 * `'end'`; anything else: `'error'`) reaches the reader after every byte already pushed, in a later
 * tick (end-of-stream.ts). A FIN, a TCP reset or a transport closed without close_notify is `TlsTruncatedError`
 * (RFC 8446 §6.1). Once the transport is gone, writes are dropped: the failure is the reader's.
 * `destroy()` ends the socket ('error', 'close') once the transport has closed, as node:net's does.
 * The transport is any Duplex (a TCP socket, a proxy tunnel); the socket uses only its stream
 * events and, when present, node:net's ref/unref, setNoDelay, setKeepAlive, setTimeout and addresses.
 */
import { X509Certificate } from 'node:crypto'
import type { Socket } from 'node:net'
import { Duplex } from 'node:stream'
import { ConnectError } from '../errors.js'
import { describeHandshake, type TlsConnectionInfo } from './connection-info.js'
import { TlsClientConnection } from './connection.js'
import { EndOfStream } from './end-of-stream.js'
import { kTransientSink, readsIntoShared } from './shared-read.js'
import { afterTransportClose } from './transport-close.js'
import { TlsClosedError, TlsTruncatedError } from './errors.js'
import type {
  ClientHandshakeOptions,
  HandshakeOutcome,
  HandshakeResult,
  Tls12SessionTicket,
} from './handshake/context.js'
import type { NewSessionTicket } from './messages/simple.js'
import type { ConnectionEvents } from './connection.js'

export type { TlsConnectionInfo } from './connection-info.js'

export interface TlsSocketOptions {
  readonly handshake: ClientHandshakeOptions
  readonly profile: string
  /** `ip:port` that was dialed, for error messages. */
  readonly target?: string
  readonly keylog?: (line: string) => void
  readonly onTicket?: (ticket: NewSessionTicket, handshake: HandshakeResult) => void
}

type Transport = Duplex &
  Partial<
    Pick<
      Socket,
      | 'ref'
      | 'unref'
      | 'setNoDelay'
      | 'setKeepAlive'
      | 'setTimeout'
      | 'remoteAddress'
      | 'remotePort'
      | 'localAddress'
      | 'localPort'
      | 'remoteFamily'
    >
  >

/** The TlsSocket a transport carries, read by the transport listeners (functions shared by every socket). */
const kTlsSocket = Symbol('hotconn.TlsSocket')

/** A transport with its TlsSocket: `this` of the transport listeners. */
type Carrier = Transport & { [kTlsSocket]?: TlsSocket }

export class TlsSocket extends Duplex {
  readonly encrypted = true as const
  private readonly conn: TlsClientConnection
  private readonly startedAt = performance.now()
  private handshakeInfo: TlsConnectionInfo | undefined
  private readonly handshakePromise: Promise<void>
  /** Settle `handshakePromise`; dropped once it settled. */
  private resolveHandshake: (() => void) | undefined
  private rejectHandshake: ((err: Error) => void) | undefined
  private transportPaused = false
  private readonly verified: boolean
  /** Kept from the options (not the options themselves: they hold the ClientHello plan and the resumption ticket). */
  private readonly profile: string
  private readonly target: string | undefined
  private readonly serverName: string | undefined
  /** How the connection ended after the handshake, delivered to the reader after the data. */
  private readonly eos = new EndOfStream(this)

  /** Resolves when the handshake completes, rejects with the error that ended it. */
  get handshakeComplete(): Promise<void> {
    return this.handshakePromise
  }

  constructor(
    readonly transport: Transport,
    options: TlsSocketOptions,
  ) {
    super({ allowHalfOpen: false })
    this.verified = options.handshake.verifyChain !== undefined
    this.profile = options.profile
    this.target = options.target
    this.serverName = options.handshake.serverName
    this.handshakePromise = new Promise<void>((resolve, reject) => {
      this.resolveHandshake = resolve
      this.rejectHandshake = reject
    })
    this.handshakePromise.catch(() => {})
    const events = new TlsSocket.Events(this, transport, options.keylog, options.onTicket)
    this.conn = new TlsClientConnection(options.handshake, events)
    // Listeners shared by every socket (no closures per connection); each finds its socket on the transport.
    ;(transport as Carrier)[kTlsSocket] = this
    transport.on('data', TlsSocket.onTransportData)
    transport.on('end', TlsSocket.onTransportEnd)
    transport.on('error', TlsSocket.onTransportError)
    transport.on('close', TlsSocket.onTransportClose)
    transport.on('timeout', TlsSocket.onTransportTimeout)
    this.conn.start()
  }

  /** What the connection tells its socket; the methods live on the prototype, so a socket adds one small object. */
  private static readonly Events = class implements ConnectionEvents {
    constructor(
      private readonly socket: TlsSocket,
      private readonly transport: Transport,
      readonly keylog: ((line: string) => void) | undefined,
      readonly ticket: ((ticket: NewSessionTicket, handshake: HandshakeResult) => void) | undefined,
    ) {}

    transmit(bytes: Buffer): boolean {
      return this.transport.destroyed ? false : this.transport.write(bytes)
    }

    handshakeDone(result: HandshakeOutcome): void {
      const socket = this.socket
      socket.handshakeInfo = describeHandshake(result, socket.profile, socket.startedAt, socket.verified)
      const resolve = socket.resolveHandshake
      socket.resolveHandshake = socket.rejectHandshake = undefined
      resolve?.()
      // From now on every record is decrypted as it arrives: the transport may lend its read buffer.
      const transport = this.transport
      if (readsIntoShared(transport)) transport[kTransientSink] = (chunk) => socket.conn.receive(chunk, true)
      socket.emit('secureConnect')
    }

    data(plaintext: Buffer): void {
      const socket = this.socket
      if (!socket.push(plaintext) && !socket.transportPaused) {
        socket.transportPaused = true
        this.transport.pause()
      }
    }

    peerClosed(): void {
      this.socket.connectionEnded(null)
    }

    error(err: Error): void {
      const socket = this.socket
      socket.failHandshake(err)
      if (socket.handshakeInfo) socket.connectionEnded(err)
      else socket.destroy(err)
    }
  }

  private static onTransportData(this: Carrier, chunk: Buffer): void {
    this[kTlsSocket]!.conn.receive(chunk)
  }

  private static onTransportTimeout(this: Carrier): void {
    this[kTlsSocket]!.emit('timeout')
  }

  private static onTransportEnd(this: Carrier): void {
    const socket = this[kTlsSocket]!
    if (socket.destroyed || socket.eos.ended) return
    // RFC 8446 §6.1: end of stream without close_notify is a truncation.
    if (socket.handshakeInfo) socket.connectionEnded(new TlsTruncatedError())
    else
      socket.destroy(
        new ConnectError('server closed the connection during the TLS handshake; it may not accept this ClientHello'),
      )
  }

  private static onTransportError(this: Carrier, err: Error): void {
    const socket = this[kTlsSocket]!
    if (socket.destroyed || socket.eos.ended) return
    const code = (err as NodeJS.ErrnoException).code
    if (!socket.handshakeInfo) {
      socket.destroy(
        new ConnectError(
          `cannot connect to ${socket.target ?? 'the server'}: ${code ?? err.message}; check that the server is up and reachable`,
          { cause: err },
        ),
      )
    } else if (code === 'ECONNRESET') {
      socket.connectionEnded(
        new TlsTruncatedError(
          'connection reset (ECONNRESET) without close_notify (RFC 8446 §6.1); the data received may be truncated',
          { cause: err },
        ),
      )
    } else socket.connectionEnded(err)
  }

  private static onTransportClose(this: Carrier): void {
    const socket = this[kTlsSocket]!
    if (socket.destroyed || socket.eos.ended) return
    if (socket.handshakeInfo)
      socket.connectionEnded(
        new TlsTruncatedError(
          'transport closed without close_notify (RFC 8446 §6.1); the data received may be truncated',
        ),
      )
    else socket.destroy(new ConnectError('connection closed by the server before the TLS handshake completed'))
  }

  /** Rejects `handshakeComplete` with `err` unless it settled already. */
  private failHandshake(err: Error): void {
    const reject = this.rejectHandshake
    this.resolveHandshake = this.rejectHandshake = undefined
    reject?.(err)
  }

  /**
   * The connection ended after the handshake: `null` for close_notify, else the error. Nothing more
   * is read (after an error the transport goes at once); the reader gets the end after the data.
   */
  private connectionEnded(ending: Error | null): void {
    if (this.destroyed || this.eos.ended) return
    if (ending !== null) this.transport.destroy()
    this.eos.end(ending)
  }

  override read(size?: number): unknown {
    const chunk: unknown = super.read(size)
    this.eos.afterRead(chunk)
    return chunk
  }

  /** Negotiated parameters; undefined until the handshake completes. */
  get info(): TlsConnectionInfo | undefined {
    return this.handshakeInfo
  }

  get alpnProtocol(): string | false {
    return this.handshakeInfo?.alpn ?? false
  }

  get authorized(): boolean {
    return this.handshakeInfo !== undefined && this.verified
  }

  get servername(): string | undefined {
    return this.serverName
  }

  get group(): string | undefined {
    return this.handshakeInfo?.group
  }

  get remoteAddress(): string | undefined {
    return this.transport.remoteAddress
  }

  get remotePort(): number | undefined {
    return this.transport.remotePort
  }

  get remoteFamily(): string | undefined {
    return this.transport.remoteFamily
  }

  get localAddress(): string | undefined {
    return this.transport.localAddress
  }

  get localPort(): number | undefined {
    return this.transport.localPort
  }

  getProtocol(): 'TLSv1.3' | 'TLSv1.2' | null {
    return this.handshakeInfo?.version ?? null
  }

  getCipher(): { name: string; standardName: string; version: string } | undefined {
    const info = this.handshakeInfo
    return info && { name: info.cipherSuite, standardName: info.cipherSuite, version: info.version }
  }

  /** The server's end-entity certificate, or undefined before the handshake. */
  getPeerCertificate(): X509Certificate | undefined {
    const der = this.conn.handshakeResult?.peerCertificates[0]
    return der ? new X509Certificate(der) : undefined
  }

  /**
   * The TLS 1.2 session ticket (RFC 5077 §3.3) the server issued during the handshake, with the master
   * secret it resumes; undefined before the handshake, for TLS 1.3 (tickets go to `onTicket`) and when none was issued.
   */
  get tls12SessionTicket(): Tls12SessionTicket | undefined {
    const result = this.conn.handshakeResult
    return result?.version === 'TLSv1.2' ? result.sessionTicket : undefined
  }

  /** The whole chain the server sent, end-entity first. */
  getPeerCertificateChain(): X509Certificate[] {
    return (this.conn.handshakeResult?.peerCertificates ?? []).map((der) => new X509Certificate(der))
  }

  /** Sends KeyUpdate (RFC 8446 §4.6.3); `requestPeer` asks the server to update its keys too. */
  keyUpdate(requestPeer = false): void {
    this.conn.updateWriteKeys(requestPeer)
  }

  ref(): this {
    this.transport.ref?.()
    return this
  }

  unref(): this {
    this.transport.unref?.()
    return this
  }

  setNoDelay(noDelay = true): this {
    this.transport.setNoDelay?.(noDelay)
    return this
  }

  setKeepAlive(enable = false, initialDelayMs = 0): this {
    this.transport.setKeepAlive?.(enable, initialDelayMs)
    return this
  }

  /** Idle timeout in ms on the transport; emits 'timeout' (the socket stays open, as in node:net). */
  setTimeout(ms: number, callback?: () => void): this {
    this.transport.setTimeout?.(ms)
    if (callback) this.once('timeout', callback)
    return this
  }

  override _read(): void {
    if (this.transportPaused) {
      this.transportPaused = false
      this.transport.resume()
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeChunk(chunk, callback)
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.writeChunk(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), callback)
  }

  private writeChunk(chunk: Buffer, callback: (error?: Error | null) => void): void {
    if (!this.handshakeInfo) {
      this.handshakePromise.then(() => this.writeChunk(chunk, callback), callback)
      return
    }
    const transport = this.transport
    // The transport is gone: the reader gets the connection's end after the data (see the file comment).
    if (transport.destroyed) {
      callback()
      return
    }
    let ok: boolean
    try {
      ok = this.conn.writeApplicationData(chunk)
    } catch (err) {
      callback(err as Error)
      return
    }
    if (ok || transport.destroyed) {
      callback()
      return
    }
    const done = (): void => {
      transport.off('drain', done)
      transport.off('close', done)
      callback()
    }
    transport.on('drain', done)
    transport.on('close', done)
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.conn.sendCloseNotify()
    this.transport.end()
    callback()
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    // The connection sends whatever alert alertFor(err) decides (none for the caller's own errors).
    if (err && !this.conn.error) this.conn.fail(err)
    // The error is made only when a handshake is still pending (an Error captures a stack: ~2 µs per close).
    if (this.rejectHandshake) this.failHandshake(new TlsClosedError('connection closed before the handshake completed'))
    const transport = this.transport
    transport.destroy()
    afterTransportClose(transport, () => callback(err))
  }
}
