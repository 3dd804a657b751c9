/**
 * HTTP/2 over one already-connected TLS socket (ALPN `h2`): a node:http2 client session whose
 * bytes pass through an H2Shaper, so that the connection preface, SETTINGS, WINDOW_UPDATEs,
 * stream ids, HEADERS priority fields, pseudo-header order and header order are the browser
 * profile's. The session is created on the first request (as a browser's preconnected socket,
 * nothing is sent before), then carries up to `maxStreams` requests at once (H2Request each).
 */
import {
  connect as http2Connect,
  constants as h2c,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type ClientSessionRequestOptions,
} from 'node:http2'
import type { Duplex } from 'node:stream'
import type { Dispatcher } from 'undici'
import { headersPriority, type HeaderTemplate, type Http2Fingerprint, type RequestKind } from '../fingerprint/http.js'
import { DispatcherBase } from './dispatcher-base.js'
import { SocketError, h2CodeError } from './errors.js'
import type { GuardedHandler } from './guard.js'
import { PriorityChain } from './h2/priority-chain.js'
import { H2Shaper, localHttp2Settings } from './h2/shaper.js'
import { h2RequestHead, hasBody } from './h2-headers.js'
import { H2Request, type H2StreamHost } from './h2-request.js'
import type { PooledChannel } from './pooled-channel.js'
import { wirePlanOf } from './request-headers.js'

export interface H2ChannelOptions {
  /** `https://host[:port]`; gives `:authority`. */
  origin: string
  /** The profile's HTTP/2 first flight. */
  fingerprint: Http2Fingerprint
  /** The profile's default HTTP/2 headers for `kind`, merged into every request without a plan of its own (request-headers.ts); none if omitted. */
  defaultHeaders?: HeaderTemplate
  /** Request kind for the HEADERS weight when a request has no `priority` header. Default 'image'. */
  kind?: RequestKind
  /** Client cap on concurrent streams (the server's SETTINGS_MAX_CONCURRENT_STREAMS may lower it). Default 100. */
  maxConcurrentStreams?: number
  /** Deadline for the response headers (ms). Default 300 000. */
  headersTimeoutMs?: number
  /** Deadline between two body chunks (ms). Default 300 000. */
  bodyTimeoutMs?: number
  /** Called once when the connection stops taking new streams (GOAWAY, error, close). */
  onDrain?: (reason: { goawayCode?: number; error?: Error }) => void
  /** Called when the connection failed at the HTTP/2 level (session error, GOAWAY with an error code, reset before any response). */
  onFailure?: (err: Error) => void
  /** Called when a response completed on this connection. */
  onSuccess?: () => void
}

/** The Dispatcher of one HTTP/2 connection (what the pool's requests and health checks dispatch to). */
class H2Dispatcher extends DispatcherBase {
  readonly #channel: H2Channel
  constructor(channel: H2Channel) {
    super()
    this.#channel = channel
  }
  protected dispatchNow(opts: Dispatcher.DispatchOptions, handler: GuardedHandler): boolean {
    new H2Request(this.#channel, opts, handler).start()
    return true
  }
  protected closeNow(): Promise<void> {
    return this.#channel.close()
  }
  protected destroyNow(): Promise<void> {
    this.#channel.destroy()
    return Promise.resolve()
  }
  protected closedError(): Error {
    return new SocketError('the HTTP/2 connection is closed; the request was not sent', { unprocessed: true })
  }
}

export class H2Channel implements PooledChannel, H2StreamHost {
  readonly socket: Duplex
  readonly protocol = 'h2' as const
  readonly multiplexed = true
  readonly headersTimeoutMs: number
  readonly bodyTimeoutMs: number
  readonly #options: H2ChannelOptions
  readonly #authority: string
  #session: ClientHttp2Session | null = null
  #dispatcher: H2Dispatcher | null = null
  /** Open streams by node:http2 stream id (the frame watcher reports END_STREAM to them). */
  readonly #streams = new Map<number, H2Request>()
  /** Every request with an open stream. */
  readonly #open = new Set<H2Request>()
  /** The open streams' dependency chain, for a profile whose priority rule is `chain` (Chromium). */
  #chain: PriorityChain | null = null
  #peerGone = false
  #active = 0
  #draining = false
  #goawayLast = Infinity
  #lent = false
  #socketError: Error | null = null
  /** The socket closed under open streams: the session goes once they end. */
  #destroyWhenIdle = false

  constructor(socket: Duplex, options: H2ChannelOptions) {
    this.socket = socket
    this.#options = options
    this.headersTimeoutMs = options.headersTimeoutMs ?? 300_000
    this.bodyTimeoutMs = options.bodyTimeoutMs ?? 300_000
    this.#authority = new URL(options.origin).host
    // Nothing reads the socket until the session exists: the server's SETTINGS wait in it. Its
    // error (a TLS truncation, a reset) is what the streams it cuts report, as on HTTP/1.1.
    socket.on('error', (err: Error) => {
      this.#socketError ??= err
    })
  }

  /** The error that broke the TLS socket, if one did. */
  get connectionError(): Error | null {
    return this.#socketError
  }

  get attached(): boolean {
    return this.#session !== null
  }

  get alive(): boolean {
    const s = this.socket
    if (s.destroyed || !s.writable || s.readableEnded || s.writableEnded || this.#draining) return false
    const session = this.#session
    return session === null || (!session.closed && !session.destroyed)
  }

  get maxStreams(): number {
    const cap = this.#options.maxConcurrentStreams ?? 100
    const remote = this.#session?.remoteSettings.maxConcurrentStreams
    return Math.max(1, Math.min(cap, remote ?? cap))
  }

  /** Requests in flight. */
  get activeStreams(): number {
    return this.#active
  }

  get client(): Dispatcher {
    this.#dispatcher ??= new H2Dispatcher(this)
    return this.#dispatcher
  }

  lend(): void {
    if (this.#session !== null) throw new Error('a socket owned by an HTTP/2 session cannot be lent out raw')
    this.#lent = true
  }

  unlend(): void {
    this.#lent = false
  }

  detach(): void {}

  #ensureSession(): ClientHttp2Session {
    if (this.#session !== null) return this.#session
    if (this.#lent) throw new Error('the socket is lent out raw')
    const fp = this.#options.fingerprint
    // The server's frames are watched as they arrive, before node:http2 reads them; the end of
    // the connection is the channel's to act on (node:http2 would tear down unread streams).
    const shaper = new H2Shaper(this.socket, fp, {
      endStream: (id) => {
        this.#chain?.closed(id)
        this.#streams.get(id)?.markEndStream()
      },
      goaway: (lastStreamId) => this.#noteGoaway(lastStreamId),
      peerEnd: () => this.#onPeerGone(),
    })
    const session = http2Connect(this.#options.origin, {
      createConnection: () => shaper,
      settings: localHttp2Settings(fp),
      peerMaxConcurrentStreams: this.#options.maxConcurrentStreams ?? 100,
    })
    this.#session = session
    if (fp.connectionWindowIncrement > 0) session.setLocalWindowSize(65_535 + fp.connectionWindowIncrement)
    session.on('goaway', (code: number, lastStreamId: number) => this.#onGoaway(code, lastStreamId))
    session.on('error', (err: Error) => {
      this.#options.onFailure?.(err)
      this.#drain({ error: err })
    })
    session.on('close', () => this.#drain({}))
    session.unref()
    return session
  }

  /** RFC 9113 §6.8: streams up to `lastStreamId` run to their end; those above were not processed. */
  #onGoaway(code: number, lastStreamId: number): void {
    this.#goawayLast = Math.min(this.#goawayLast, lastStreamId)
    if (code !== h2c.NGHTTP2_NO_ERROR) this.#options.onFailure?.(h2CodeError(code, 'the server sent GOAWAY'))
    this.#drain({ goawayCode: code })
  }

  /**
   * A GOAWAY arrived (seen by the frame watch, before node:http2 reads it): which streams were
   * not processed is known from here on. Nothing else happens here: the session is not closed
   * while node:http2 has yet to read these bytes (node:http2's 'goaway' event drains it).
   */
  #noteGoaway(lastStreamId: number): void {
    this.#goawayLast = Math.min(this.#goawayLast, lastStreamId)
  }

  #drain(reason: { goawayCode?: number; error?: Error }): void {
    if (this.#draining) return
    this.#draining = true
    this.#options.onDrain?.(reason)
  }

  /** Sends a PING (RFC 9113 §6.7) and resolves with the round trip in ms; rejects on timeout or a closed session. */
  ping(timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new SocketError(`no HTTP/2 PING ack within ${timeoutMs} ms`)), timeoutMs)
      timer.unref()
      const fail = (err: Error): void => {
        clearTimeout(timer)
        reject(err)
      }
      try {
        const session = this.#ensureSession()
        session.ref()
        const sent = session.ping((err, durationMs) => {
          clearTimeout(timer)
          if (this.#active === 0) session.unref()
          if (err) reject(err)
          else resolve(durationMs)
        })
        if (!sent) fail(new SocketError('too many HTTP/2 PINGs in flight'))
      } catch (err) {
        fail(err as Error)
      }
    })
  }

  // ---- H2StreamHost: what each H2Request uses ----

  openStream(opts: Dispatcher.DispatchOptions, request: H2Request): ClientHttp2Stream {
    const session = this.#ensureSession()
    const plan = wirePlanOf(opts)
    const template = plan !== undefined ? plan.h2 : this.#options.defaultHeaders
    const head = h2RequestHead(opts, this.#authority, this.#options.fingerprint, template)
    const fp = this.#options.fingerprint
    const prio = headersPriority(fp.priority, plan?.destination ?? this.#options.kind ?? 'image', head.priority)
    const chain = fp.priority.dependency === 'chain' ? (this.#chain ??= new PriorityChain()) : null
    const options: ClientSessionRequestOptions & { parent?: number } = {
      endStream: !hasBody(opts.body),
      weight: prio.weight,
      exclusive: prio.exclusive,
      parent: chain !== null ? chain.parentFor(prio.urgency) : prio.dependsOn,
    }
    const stream = session.request(head.headers, options)
    this.#open.add(request)
    this.#active++
    if (this.#active === 1) session.ref()
    const register = (): void => {
      if (stream.id === undefined || stream.closed || stream.destroyed) return
      this.#streams.set(stream.id, request)
      chain?.opened(stream.id, prio.urgency)
    }
    if (stream.id !== undefined) register()
    else stream.once('ready', register)
    return stream
  }

  streamFinished(request: H2Request, stream: ClientHttp2Stream, ok: boolean, failure?: Error): void {
    if (stream.id !== undefined) {
      this.#streams.delete(stream.id)
      this.#chain?.closed(stream.id)
    }
    if (!this.#open.delete(request)) return
    this.#active--
    if (this.#active === 0) {
      this.#session?.unref()
      if (this.#destroyWhenIdle || this.#peerGone) this.destroy()
    }
    if (ok) this.#options.onSuccess?.()
    else if (failure !== undefined) this.#options.onFailure?.(failure)
  }

  beyondGoaway(id: number): boolean {
    return id > this.#goawayLast
  }

  /**
   * The connection ended (close_notify, FIN, reset); every byte that came before went to
   * node:http2 (the frame watch saw them all). A stream the server ended (END_STREAM) completes as
   * its reader consumes it, however long that takes; every other one can get no more data and
   * fails now (unprocessed when above a GOAWAY's last stream id). The session goes when the last
   * stream is done: node:http2 never sees the end itself.
   */
  #onPeerGone(): void {
    this.#peerGone = true
    this.#drain({})
    for (const request of [...this.#open]) request.connectionEnded()
    if (this.#active === 0) this.destroy()
  }

  /**
   * Ends the connection: GOAWAY(NO_ERROR) once the streams finished, then TLS close_notify;
   * destroys it if the peer has not closed within `graceMs`. Resolves when the socket closed.
   */
  close(graceMs = 1000): Promise<void> {
    const socket = this.socket
    return new Promise<void>((resolve) => {
      if (socket.destroyed) {
        queueMicrotask(resolve)
        return
      }
      // Held (not unref'd): a script that ends with pool.close() waits for close_notify.
      const timer = setTimeout(() => {
        this.#session?.destroy()
        socket.destroy()
      }, graceMs)
      socket.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      const session = this.#session
      try {
        if (session !== null && !session.closed && !session.destroyed) session.close()
        else socket.end()
      } catch {
        socket.destroy()
      }
    })
  }

  /**
   * Destroys the connection. After the peer closed it, open streams first read what already
   * arrived (a response the server completed before closing is delivered whole), then the session
   * goes; otherwise at once.
   */
  destroy(): void {
    if (this.#session !== null && this.socket.destroyed && this.#active > 0) {
      this.#destroyWhenIdle = true
      return
    }
    this.#session?.destroy()
    this.socket.destroy()
  }

  /** Whether the peer's end of the connection was read (no stream can get more data). */
  get peerGone(): boolean {
    return this.#peerGone
  }
}
