/**
 * HTTP/2 over one already-connected TLS socket (ALPN `h2`): a node:http2 client session whose
 * bytes pass through an H2Shaper, so that the connection preface, SETTINGS, WINDOW_UPDATEs,
 * stream ids, HEADERS priority fields, pseudo-header order and header order are the browser
 * profile's. The session is created on the first request (as a browser's preconnected socket,
 * nothing is sent before), then carries up to `maxStreams` requests at once.
 */
import {
  connect as http2Connect,
  constants as h2c,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2'
import { Readable, type Duplex } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Dispatcher } from 'undici'
import { InvalidArgumentError } from '../errors.js'
import { headersPriority, type HeaderTemplate, type Http2Fingerprint, type RequestKind } from '../fingerprint/http.js'
import { Http2StreamError, REFUSED_STREAM, h2ErrorName } from './h2/errors.js'
import { H2Shaper, localHttp2Settings } from './h2/shaper.js'
import { toLegacyHandler, type LegacyHandler } from './handler.js'
import { headerPairs, mergeDefaultHeaders, withoutFetchDefaults, type HeaderPairs } from './headers.js'
import type { PooledChannel } from './pooled-channel.js'

export interface H2ChannelOptions {
  /** `https://host[:port]`; gives `:authority`. */
  origin: string
  /** The profile's HTTP/2 first flight. */
  fingerprint: Http2Fingerprint
  /** The profile's default HTTP/2 headers for `kind`, merged into every request; none if omitted. */
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

/** Header fields that are connection-specific and must not appear in HTTP/2 (RFC 9113 §8.2.2). */
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
])

function noop(): void {}

function rawHeaderBuffers(headers: IncomingHttpHeaders): Buffer[] {
  const out: Buffer[] = []
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) out.push(Buffer.from(name), Buffer.from(String(v)))
  }
  return out
}

/** `opts.path` split off an absolute URL if one was given. */
function requestPath(path: string): string {
  return path.startsWith('/') || path === '*' ? path : new URL(path).pathname + new URL(path).search
}

class H2Dispatcher extends Dispatcher {
  constructor(private readonly channel: H2Channel) {
    super()
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    this.channel.request(opts, toLegacyHandler(handler))
    return true
  }

  override close(): Promise<void>
  override close(callback: () => void): void
  override close(callback?: () => void): Promise<void> | void {
    const p = this.channel.close()
    if (callback === undefined) return p
    p.then(callback, callback)
  }

  override destroy(err: Error | null, callback: () => void): void
  override destroy(callback: () => void): void
  override destroy(err: Error | null): Promise<void>
  override destroy(): Promise<void>
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    this.channel.destroy()
    const cb = typeof a === 'function' ? a : b
    if (cb === undefined) return Promise.resolve()
    queueMicrotask(cb)
  }
}

export class H2Channel implements PooledChannel {
  readonly socket: Duplex
  readonly protocol = 'h2' as const
  readonly multiplexed = true
  readonly #options: H2ChannelOptions
  readonly #authority: string
  #session: ClientHttp2Session | null = null
  #dispatcher: H2Dispatcher | null = null
  #active = 0
  #draining = false
  #goawayLast = Infinity
  #lent = false

  constructor(socket: Duplex, options: H2ChannelOptions) {
    this.socket = socket
    this.#options = options
    const url = new URL(options.origin)
    this.#authority = url.host
    // Nothing reads the socket until the session exists: the server's SETTINGS wait in it.
    socket.on('error', noop)
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
    const shaper = new H2Shaper(this.socket, fp)
    const session = http2Connect(this.#options.origin, {
      createConnection: () => shaper,
      settings: localHttp2Settings(fp),
      peerMaxConcurrentStreams: this.#options.maxConcurrentStreams ?? 100,
    })
    this.#session = session
    if (fp.connectionWindowIncrement > 0) session.setLocalWindowSize(65_535 + fp.connectionWindowIncrement)
    session.on('goaway', (code: number, lastStreamId: number) => {
      this.#goawayLast = Math.min(this.#goawayLast, lastStreamId)
      if (code !== h2c.NGHTTP2_NO_ERROR)
        this.#options.onFailure?.(
          new Http2StreamError(`server sent GOAWAY ${h2ErrorName(code)}`, { unprocessed: false, h2Code: code }),
        )
      this.#drain({ goawayCode: code })
    })
    session.on('error', (err: Error) => {
      this.#options.onFailure?.(err)
      this.#drain({ error: err })
    })
    session.on('close', () => this.#drain({}))
    session.unref()
    return session
  }

  #drain(reason: { goawayCode?: number; error?: Error }): void {
    if (this.#draining) return
    this.#draining = true
    this.#options.onDrain?.(reason)
  }

  /** Sends a PING (RFC 9113 §6.7) and resolves with the round trip in ms; rejects on timeout or a closed session. */
  ping(timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      let session: ClientHttp2Session
      try {
        session = this.#ensureSession()
      } catch (err) {
        reject(err as Error)
        return
      }
      const timer = setTimeout(
        () => reject(new Http2StreamError(`no PING ack within ${timeoutMs} ms`, { unprocessed: false })),
        timeoutMs,
      )
      timer.unref()
      try {
        session.ref()
        const sent = session.ping((err, durationMs) => {
          clearTimeout(timer)
          if (this.#active === 0) session.unref()
          if (err) reject(err)
          else resolve(durationMs)
        })
        if (!sent) {
          clearTimeout(timer)
          reject(new Http2StreamError('too many PINGs in flight', { unprocessed: false }))
        }
      } catch (err) {
        clearTimeout(timer)
        reject(err as Error)
      }
    })
  }

  /** The request's header list: pseudo-headers in the profile's order, then the merged fields. */
  #headers(opts: Dispatcher.DispatchOptions): { headers: OutgoingHttpHeaders; priority: string | undefined } {
    let authority = this.#authority
    const fields: HeaderPairs = []
    for (const [name, value] of withoutFetchDefaults(headerPairs(opts.headers))) {
      const lower = name.toLowerCase()
      if (lower === 'host') authority = value
      if (CONNECTION_SPECIFIC.has(lower)) continue
      if (lower === 'te' && value.trim().toLowerCase() !== 'trailers') continue
      fields.push([lower, value])
    }
    const template = this.#options.defaultHeaders
    const pairs = template === undefined ? fields : mergeDefaultHeaders(fields, template)
    const pseudo: Record<string, string> = {
      ':method': String(opts.method ?? 'GET').toUpperCase(),
      ':authority': authority,
      ':scheme': 'https',
      ':path': requestPath(opts.path),
    }
    const headers: OutgoingHttpHeaders = {}
    for (const p of this.#options.fingerprint.pseudoHeaderOrder) headers[p] = pseudo[p]
    let priority: string | undefined
    for (const [name, value] of pairs) {
      if (name === 'priority') priority = value
      const cur = headers[name]
      headers[name] = cur === undefined ? value : Array.isArray(cur) ? [...cur, value] : [String(cur), value]
    }
    return { headers, priority }
  }

  /** Runs one request; every outcome goes to `handler` (legacy undici API), never thrown. */
  request(opts: Dispatcher.DispatchOptions, handler: LegacyHandler): void {
    let done = false
    let stream: ClientHttp2Stream | null = null
    let headersTimer: NodeJS.Timeout | undefined
    let bodyTimer: NodeJS.Timeout | undefined
    let responded = false
    const clearTimers = (): void => {
      clearTimeout(headersTimer)
      clearTimeout(bodyTimer)
    }
    const finish = (): void => {
      clearTimers()
      this.#active--
      if (this.#active === 0) this.#session?.unref()
    }
    const fail = (err: Error): void => {
      if (done) return
      done = true
      if (stream !== null) {
        finish()
        if (!stream.closed && !stream.destroyed) stream.close(h2c.NGHTTP2_CANCEL)
      }
      handler.onError?.(err)
    }

    if (opts.upgrade || String(opts.method).toUpperCase() === 'CONNECT') {
      fail(new InvalidArgumentError('HTTP/2 connections of the pool do not carry CONNECT or Upgrade requests'))
      return
    }
    let session: ClientHttp2Session
    let built: { headers: OutgoingHttpHeaders; priority: string | undefined }
    try {
      session = this.#ensureSession()
      built = this.#headers(opts)
    } catch (err) {
      fail(err as Error)
      return
    }
    const body = opts.body
    const hasBody =
      body !== undefined &&
      body !== null &&
      !(typeof body === 'string' && body.length === 0) &&
      !(body instanceof Uint8Array && body.length === 0)
    if (
      hasBody &&
      built.headers['content-length'] === undefined &&
      (typeof body === 'string' || body instanceof Uint8Array)
    ) {
      built.headers['content-length'] = String(Buffer.byteLength(body as string | Uint8Array))
    }
    const prio = headersPriority(this.#options.fingerprint.priority, this.#options.kind ?? 'image', built.priority)
    try {
      stream = session.request(built.headers, {
        endStream: !hasBody,
        weight: prio.weight,
        exclusive: prio.exclusive,
        parent: prio.dependsOn,
      } as import('node:http2').ClientSessionRequestOptions)
    } catch (err) {
      const code = (err as { code?: string }).code
      const unprocessed = code === 'ERR_HTTP2_GOAWAY_SESSION' || code === 'ERR_HTTP2_INVALID_SESSION'
      fail(
        unprocessed
          ? new Http2StreamError('the HTTP/2 connection is going away; the request was not sent', {
              unprocessed,
              cause: err,
            })
          : (err as Error),
      )
      return
    }
    const s = stream
    this.#active++
    if (this.#active === 1) session.ref()
    const headersTimeout = opts.headersTimeout ?? this.#options.headersTimeoutMs ?? 300_000
    const bodyTimeout = opts.bodyTimeout ?? this.#options.bodyTimeoutMs ?? 300_000
    if (headersTimeout > 0) {
      headersTimer = setTimeout(
        () => fail(new Http2StreamError(`no response headers within ${headersTimeout} ms`, { unprocessed: false })),
        headersTimeout,
      )
      headersTimer.unref()
    }
    const armBody = (): void => {
      if (bodyTimeout <= 0) return
      clearTimeout(bodyTimer)
      bodyTimer = setTimeout(
        () => fail(new Http2StreamError(`no response body data within ${bodyTimeout} ms`, { unprocessed: false })),
        bodyTimeout,
      )
      bodyTimer.unref()
    }

    try {
      handler.onConnect?.((err?: Error) => fail(err ?? new Error('request aborted')))
    } catch (err) {
      fail(err as Error)
      return
    }
    if (done) return

    let trailers: Buffer[] = []
    s.on('response', (headers: IncomingHttpHeaders) => {
      if (done) return
      responded = true
      clearTimeout(headersTimer)
      armBody()
      const status = Number(headers[':status'])
      let goOn: boolean | undefined
      try {
        handler.onResponseStarted?.()
        goOn = handler.onHeaders?.(status, rawHeaderBuffers(headers), () => s.resume(), '')
      } catch (err) {
        fail(err as Error)
        return
      }
      // node:http2 may emit DATA before 'response'; the body is read only from here on.
      s.on('data', (chunk: Buffer) => {
        if (done) return
        armBody()
        let goOn: boolean | undefined
        try {
          goOn = handler.onData?.(chunk)
        } catch (err) {
          fail(err as Error)
          return
        }
        if (goOn === false) s.pause()
      })
      if (goOn === false) s.pause()
    })
    s.on('trailers', (headers: IncomingHttpHeaders) => {
      trailers = rawHeaderBuffers(headers)
    })
    s.on('end', () => {
      if (done) return
      done = true
      finish()
      this.#options.onSuccess?.()
      handler.onComplete?.(trailers)
    })
    s.on('error', (err: Error) => fail(this.#streamError(s, err, responded)))
    s.on('close', () => {
      if (!done) fail(this.#streamError(s, undefined, responded))
    })

    if (hasBody) void this.#sendBody(s, body, handler).catch((err: Error) => fail(err))
    else handler.onRequestSent?.()
  }

  async #sendBody(
    s: ClientHttp2Stream,
    body: NonNullable<Dispatcher.DispatchOptions['body']>,
    handler: LegacyHandler,
  ): Promise<void> {
    if (typeof body === 'string' || body instanceof Uint8Array) {
      const size = Buffer.byteLength(body)
      s.end(body)
      handler.onBodySent?.(size, size)
      handler.onRequestSent?.()
      return
    }
    const source = body instanceof Readable ? body : Readable.from(body as unknown as AsyncIterable<Uint8Array>)
    await pipeline(source, s)
    handler.onRequestSent?.()
  }

  #streamError(s: ClientHttp2Stream, cause: Error | undefined, responded: boolean): Http2StreamError {
    const code = s.rstCode
    const beyondGoaway = s.id !== undefined && s.id > this.#goawayLast
    const unprocessed = !responded && (code === REFUSED_STREAM || beyondGoaway)
    const what =
      code !== undefined && code !== h2c.NGHTTP2_NO_ERROR
        ? `reset with ${h2ErrorName(code)}`
        : 'closed before the response ended'
    if (!responded && !unprocessed && code !== h2c.NGHTTP2_CANCEL) this.#options.onFailure?.(cause ?? new Error(what))
    return new Http2StreamError(
      `HTTP/2 stream ${what}${unprocessed ? ' (not processed by the server; safe to retry)' : ''}`,
      {
        unprocessed,
        ...(code !== undefined ? { h2Code: code } : {}),
        ...(cause !== undefined ? { cause } : {}),
      },
    )
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
      const timer = setTimeout(() => {
        this.#session?.destroy()
        socket.destroy()
      }, graceMs)
      timer.unref()
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

  destroy(): void {
    this.#session?.destroy()
    this.socket.destroy()
  }
}
