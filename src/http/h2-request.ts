/**
 * One request on an HTTP/2 connection: one stream of the channel's node:http2 session, driven
 * through undici 7's handler API. A response is complete only when the protocol says so: the
 * server's END_STREAM arrived (the channel watches the frames: node:http2 ends a stream the same
 * way when the connection breaks) and, where `content-length` is present, the DATA length equals
 * it (RFC 9113 §8.1.1). Anything else ends in an error with a code, never `onResponseEnd`; a
 * stream reset before any response is an error too (RFC 9113 §8.1), retried by the pool when the
 * server did not process it (REFUSED_STREAM, above GOAWAY's last stream id: RFC 9113 §8.7).
 */
import { constants as h2c, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { IncomingHttpHeaders as UndiciHeaders } from 'node:http'
import type { Dispatcher } from 'undici'
import { HotConnError } from '../errors.js'
import { RequestController } from './controller.js'
import {
  BodyTimeoutError,
  HeadersTimeoutError,
  NotSupportedError,
  RequestContentLengthMismatchError,
  ResponseContentLengthMismatchError,
  SocketError,
  h2CodeError,
  isUnprocessed,
  toRequestError,
} from './errors.js'
import type { GuardedHandler } from './guard.js'
import { REFUSED_STREAM } from './h2/errors.js'
import { hasBody, rawHeaderBuffers, responseFields } from './h2-headers.js'

/** What an H2Request needs from its connection (H2Channel). */
export interface H2StreamHost {
  /** Opens the request's stream (HEADERS with the profile's layout). Throws when the session cannot take it. */
  openStream(opts: Dispatcher.DispatchOptions, request: H2Request): ClientHttp2Stream
  /** The request on `stream` ended, one way or another: forget it (`failure`: counts against HTTP/2 on this IP). */
  streamFinished(request: H2Request, stream: ClientHttp2Stream, ok: boolean, failure?: Error): void
  /** The error that broke the connection (TLS truncation, reset), if one did: streams it cut report it. */
  readonly connectionError: Error | null
  /** Whether stream `id` is above the last stream id of a GOAWAY received (never processed). */
  beyondGoaway(id: number): boolean
  readonly headersTimeoutMs: number
  readonly bodyTimeoutMs: number
}

type State = 'new' | 'sent' | 'body' | 'done'

/** Responses that never carry content, whatever their content-length (RFC 9110 §6.4.1, §8.6). */
function contentLength(method: string, status: number, headers: IncomingHttpHeaders): number | undefined {
  if (method === 'HEAD' || status === 204 || status === 304) return undefined
  const v = headers['content-length']
  if (v === undefined || !/^\d+$/.test(String(v))) return undefined
  return Number(v)
}

/** The HotConnError (a TLS failure) somewhere in the cause chain of a node:http2 error, if any. */
function hotconnCause(err: unknown): HotConnError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof HotConnError) return e
  }
  return undefined
}

export class H2Request {
  readonly #host: H2StreamHost
  readonly #opts: Dispatcher.DispatchOptions
  readonly #handler: GuardedHandler
  readonly #controller: RequestController
  readonly #method: string
  #stream: ClientHttp2Stream | null = null
  #state: State = 'new'
  #headersTimer: NodeJS.Timeout | undefined
  #bodyTimer: NodeJS.Timeout | undefined
  #endStream = false
  #received = 0
  /** Whether the response head was delivered in the current turn of the event loop. */
  #headTurn = false
  #expected: number | undefined
  #trailers: IncomingHttpHeaders = {}

  constructor(host: H2StreamHost, opts: Dispatcher.DispatchOptions, handler: GuardedHandler) {
    this.#host = host
    this.#opts = opts
    this.#handler = handler
    this.#method = String(opts.method ?? 'GET').toUpperCase()
    this.#controller = new RequestController({
      abort: (reason) => this.#fail(reason),
      pause: () => this.#pause(),
      resume: () => this.#resume(),
    })
  }

  /** The server sent END_STREAM on this request's stream (reported by the channel's frame watcher). */
  markEndStream(): void {
    this.#endStream = true
  }

  /**
   * The connection ended and every byte it carried went to node:http2: a response the server
   * ended (END_STREAM) completes as node:http2 and its reader get to it, head included; any other
   * request fails now.
   */
  connectionEnded(): void {
    if (this.#state === 'done' || this.#endStream) return
    this.#failStream(undefined)
  }

  /** Starts the request: onRequestStart, HEADERS, then the body. Every outcome goes to the handler. */
  start(): void {
    this.#handler.onRequestStart(this.#controller, undefined)
    if (this.#state !== 'new' || this.#handler.settled) return
    if (this.#opts.upgrade || this.#method === 'CONNECT') {
      this.#fail(new NotSupportedError('HTTP/2 connections of the pool do not carry CONNECT or Upgrade requests'))
      return
    }
    const mismatch = this.#declaredLengthMismatch()
    if (mismatch !== null) {
      this.#fail(mismatch)
      return
    }
    let stream: ClientHttp2Stream
    try {
      stream = this.#host.openStream(this.#opts, this)
    } catch (err) {
      this.#fail(openError(err))
      return
    }
    this.#stream = stream
    this.#state = 'sent'
    this.#watch(stream)
    this.#headersTimer = this.#timer(
      this.#opts.headersTimeout ?? this.#host.headersTimeoutMs,
      (ms) => new HeadersTimeoutError(ms),
    )
    if (hasBody(this.#opts.body)) this.#sendBody(stream)
  }

  #declaredLengthMismatch(): Error | null {
    const body = this.#opts.body
    if (!(typeof body === 'string' || body instanceof Uint8Array)) return null
    const declared = declaredLength(this.#opts.headers)
    return declared !== undefined && declared !== Buffer.byteLength(body)
      ? new RequestContentLengthMismatchError()
      : null
  }

  #watch(s: ClientHttp2Stream): void {
    s.on('response', (headers: IncomingHttpHeaders) => this.#onResponse(s, headers))
    s.on('trailers', (headers: IncomingHttpHeaders) => {
      this.#trailers = headers
    })
    s.on('end', () => this.#onEnd())
    s.on('error', (err: Error) => this.#failStream(err))
    s.on('close', () => this.#onClose(s))
  }

  #onResponse(s: ClientHttp2Stream, headers: IncomingHttpHeaders): void {
    if (this.#state !== 'sent') return
    clearTimeout(this.#headersTimer)
    const status = Number(headers[':status'])
    this.#expected = contentLength(this.#method, status, headers)
    this.#state = 'body'
    this.#controller.rawHeaders = rawHeaderBuffers(headers)
    this.#headTurn = true
    setImmediate(() => (this.#headTurn = false))
    this.#handler.onResponseStart(this.#controller, status, responseFields(headers), '')
    if (this.#state !== 'body') return
    if (!this.#controller.paused) this.#armBody()
    // The body is read from here on (a listener makes the stream flow unless the handler paused it).
    s.on('data', (chunk: Buffer) => this.#onData(chunk))
  }

  #onData(chunk: Buffer): void {
    if (this.#state !== 'body') return
    this.#received += chunk.length
    if (this.#expected !== undefined && this.#received > this.#expected) {
      this.#fail(new ResponseContentLengthMismatchError(this.#expected, this.#received))
      return
    }
    if (!this.#controller.paused) this.#armBody()
    this.#handler.onResponseData(this.#controller, chunk)
  }

  #onEnd(): void {
    if (this.#state === 'done') return
    if (this.#state !== 'body' || !this.#endStream) {
      this.#failStream(undefined)
      return
    }
    if (this.#expected !== undefined && this.#received !== this.#expected) {
      this.#fail(new ResponseContentLengthMismatchError(this.#expected, this.#received))
      return
    }
    this.#complete()
  }

  /** The stream closed: an error unless every byte of a complete response was read. */
  #onClose(s: ClientHttp2Stream): void {
    if (this.#state === 'done') return
    const whole = this.#expected === undefined ? s.readableLength === 0 : this.#received === this.#expected
    if (this.#state === 'body' && this.#endStream && whole) this.#complete()
    else this.#failStream(undefined)
  }

  #complete(): void {
    this.#state = 'done'
    this.#clearTimers()
    if (this.#stream !== null) this.#host.streamFinished(this, this.#stream, true)
    this.#controller.rawTrailers = rawHeaderBuffers(this.#trailers)
    this.#handler.onResponseEnd(this.#controller, responseFields(this.#trailers) as UndiciHeaders)
  }

  /**
   * Fails the request for a stream that ended without a complete response. A failure before any
   * response counts against HTTP/2 on this IP, unless the server reset the stream on a live
   * connection: that RST_STREAM is its answer to this request, not a sign that HTTP/2 fails here
   * (only HTTP_1_1_REQUIRED, RFC 9113 §7, asks for HTTP/1.1).
   */
  #failStream(cause: Error | undefined): void {
    const err = this.#streamError(cause)
    const code = this.#stream?.rstCode
    const answered = code !== undefined && code !== h2c.NGHTTP2_HTTP_1_1_REQUIRED && this.#host.connectionError === null
    const h2Failure =
      this.#state === 'sent' && !isUnprocessed(err) && code !== h2c.NGHTTP2_CANCEL && !answered ? err : undefined
    this.#fail(err, h2Failure)
  }

  /** The error for a stream that ended without a complete response. */
  #streamError(cause: Error | undefined): Error {
    const s = this.#stream
    const responded = this.#state === 'body'
    const code = s?.rstCode
    const id = s?.id
    if (!responded && (code === REFUSED_STREAM || (id !== undefined && this.#host.beyondGoaway(id))))
      return new SocketError(`HTTP/2 stream ${id} was not processed by the server; safe to retry`, {
        unprocessed: true,
        ...(cause !== undefined ? { cause } : {}),
      })
    // A broken connection reports what broke it (a TLS truncation, a reset), as HTTP/1.1 does.
    const broken = hotconnCause(cause) ?? this.#host.connectionError
    if (broken !== null) return toRequestError(broken)
    if (responded && this.#endStream && this.#expected !== undefined && this.#received !== this.#expected)
      return new ResponseContentLengthMismatchError(this.#expected, this.#received, { cause })
    const where = responded ? 'mid-response' : 'before the response'
    const options = cause !== undefined ? { cause } : {}
    if (code !== undefined && code !== h2c.NGHTTP2_NO_ERROR && !(code === h2c.NGHTTP2_CANCEL && cause !== undefined))
      return h2CodeError(code, `HTTP/2 stream ${id} was reset ${where}; retry the request`, options)
    return new SocketError(
      `the connection ended ${where}${responded ? ' (no END_STREAM)' : ''}; retry the request`,
      options,
    )
  }

  #fail(err: Error, h2Failure?: Error): void {
    if (this.#state === 'done') return
    this.#state = 'done'
    this.#clearTimers()
    const s = this.#stream
    if (s !== null) {
      this.#host.streamFinished(this, s, false, h2Failure)
      if (!s.closed && !s.destroyed) s.close(h2c.NGHTTP2_CANCEL)
    }
    // A consumer may listen for the error only a tick after the response head (undici's fetch):
    // an error in the turn that delivered the head (RST_STREAM after HEADERS in one read) waits a turn.
    if (this.#headTurn) setImmediate(() => this.#handler.onResponseError(this.#controller, err))
    else this.#handler.onResponseError(this.#controller, err)
  }

  #pause(): void {
    clearTimeout(this.#bodyTimer)
    this.#stream?.pause()
  }

  #resume(): void {
    if (this.#state !== 'body') return
    this.#armBody()
    this.#stream?.resume()
  }

  #armBody(): void {
    clearTimeout(this.#bodyTimer)
    this.#bodyTimer = this.#timer(this.#opts.bodyTimeout ?? this.#host.bodyTimeoutMs, (ms) => new BodyTimeoutError(ms))
  }

  #timer(ms: number, error: (ms: number) => Error): NodeJS.Timeout | undefined {
    if (!(ms > 0)) return undefined
    const t = setTimeout(() => this.#fail(error(ms)), ms)
    t.unref()
    return t
  }

  #clearTimers(): void {
    clearTimeout(this.#headersTimer)
    clearTimeout(this.#bodyTimer)
  }

  /** Sends the request body; a body stream's own error ends the request with that error. */
  #sendBody(s: ClientHttp2Stream): void {
    const body = this.#opts.body as NonNullable<Dispatcher.DispatchOptions['body']>
    if (typeof body === 'string' || body instanceof Uint8Array) {
      s.end(body)
      return
    }
    const source = body instanceof Readable ? body : Readable.from(body as unknown as AsyncIterable<Uint8Array>)
    source.once('error', (err: Error) => this.#fail(err))
    const declared = declaredLength(this.#opts.headers)
    const steps: NodeJS.ReadWriteStream[] = declared === undefined ? [] : [lengthCheck(declared)]
    // Errors of the HTTP/2 side are reported by the stream's own listeners.
    pipeline([source, ...steps, s]).catch((err: Error) => {
      if (err instanceof RequestContentLengthMismatchError) this.#fail(err)
    })
  }
}

/** The error for a stream node:http2 refused to open. */
function openError(err: unknown): Error {
  const code = (err as { code?: string }).code
  if (code === 'ERR_HTTP2_GOAWAY_SESSION' || code === 'ERR_HTTP2_INVALID_SESSION')
    return new SocketError('the HTTP/2 connection is going away; the request was not sent', {
      unprocessed: true,
      cause: err,
    })
  return toRequestError(err)
}

/** The request's `content-length` header as a number, if it has a valid one. */
function declaredLength(headers: Dispatcher.DispatchOptions['headers']): number | undefined {
  if (headers == null) return undefined
  let value: unknown
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2)
      if (String(headers[i]).toLowerCase() === 'content-length') value = headers[i + 1]
  } else if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [k, v] of headers as Iterable<[string, string]>) if (k.toLowerCase() === 'content-length') value = v
  } else {
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === 'content-length') value = v
  }
  return value !== undefined && /^\d+$/.test(String(value)) ? Number(value) : undefined
}

/** Passes a body through, failing with RequestContentLengthMismatchError when it is not `declared` bytes long. */
function lengthCheck(declared: number): Transform {
  let sent = 0
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      sent += chunk.length
      cb(sent > declared ? new RequestContentLengthMismatchError() : null, chunk)
    },
    flush(cb) {
      cb(sent !== declared ? new RequestContentLengthMismatchError() : null)
    },
  })
}
