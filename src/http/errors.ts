/**
 * The errors of an HTTP request, the same on HTTP/1.1 and HTTP/2: one failure, one class, one
 * `code`. Where undici defines the failure (headers/body timeout, a broken connection, an abort,
 * a content-length mismatch), the class carries undici's code and
 * undici's brand, so `err instanceof undici.errors.HeadersTimeoutError`, `interceptors.retry`'s
 * `errorCodes` and any `err.code === 'UND_ERR_…'` check see it as undici's own; every class is also
 * a `HotConnError`. Failures undici has no name for keep hotconn's `ERR_*` codes.
 *
 * `toRequestError` maps what undici's HTTP/1.1 Client, node:http2 and the sockets hand over to these
 * classes (once, at the HTTP layer); TLS errors (`ERR_TLS_*`) and the pool's own pass through.
 */
import { HotConnError, InvalidArgumentError, type HotConnErrorOptions } from '../errors.js'
import { h2ErrorName } from './h2/errors.js'

/** Makes instances of `cls` pass undici's `instanceof` checks for `codes` (undici brands errors with Symbol.for keys). */
function brandAsUndici(cls: abstract new (...args: never[]) => HotConnError, ...codes: string[]): void {
  for (const code of ['UND_ERR', ...codes]) {
    Object.defineProperty(cls.prototype, Symbol.for(`undici.error.${code}`), { get: () => true, configurable: true })
  }
}

/** No response headers within `headersTimeout` ms (undici's UND_ERR_HEADERS_TIMEOUT). */
export class HeadersTimeoutError extends HotConnError {
  /** The deadline that passed (ms), when known. */
  readonly timeoutMs: number | undefined
  constructor(timeoutMs?: number, options?: HotConnErrorOptions) {
    super(
      'UND_ERR_HEADERS_TIMEOUT',
      `no response headers within ${timeoutMs === undefined ? 'headersTimeout' : `${timeoutMs} ms (headersTimeout)`}; the server is slow or stalled: raise headersTimeout or try another server`,
      options,
    )
    this.timeoutMs = timeoutMs
  }
}
brandAsUndici(HeadersTimeoutError, 'UND_ERR_HEADERS_TIMEOUT')

/** No response body data within `bodyTimeout` ms of the last chunk (undici's UND_ERR_BODY_TIMEOUT). */
export class BodyTimeoutError extends HotConnError {
  /** The deadline that passed (ms), when known. */
  readonly timeoutMs: number | undefined
  constructor(timeoutMs?: number, options?: HotConnErrorOptions) {
    super(
      'UND_ERR_BODY_TIMEOUT',
      `no response body data within ${timeoutMs === undefined ? 'bodyTimeout' : `${timeoutMs} ms (bodyTimeout)`}; the server stalled mid-body: raise bodyTimeout or retry`,
      options,
    )
    this.timeoutMs = timeoutMs
  }
}
brandAsUndici(BodyTimeoutError, 'UND_ERR_BODY_TIMEOUT')

export interface SocketErrorOptions extends HotConnErrorOptions {
  /** The server provably did not process the request (RFC 9113 §8.7): it may be sent again whatever its method. */
  unprocessed?: boolean
  /** The HTTP/2 error code (RFC 9113 §7) of the RST_STREAM or GOAWAY that ended the request, if one did. */
  h2Code?: number
}

/**
 * The connection (or, on HTTP/2, the stream) ended before the response did: reset, closed, a
 * stream reset by the server (undici's UND_ERR_SOCKET). The response, if one started, is cut:
 * never use a partial body. Safe to retry for idempotent requests.
 */
export class SocketError extends HotConnError {
  readonly unprocessed: boolean
  readonly h2Code: number | undefined
  constructor(message: string, options: SocketErrorOptions = {}) {
    super('UND_ERR_SOCKET', message, options)
    this.unprocessed = options.unprocessed === true
    this.h2Code = options.h2Code
  }
}
brandAsUndici(SocketError, 'UND_ERR_SOCKET')

/** The request was aborted and no reason was given (undici's UND_ERR_ABORTED). */
export class RequestAbortedError extends HotConnError {
  constructor(message = 'the request was aborted', options?: HotConnErrorOptions) {
    super('UND_ERR_ABORTED', message, options)
  }
}
brandAsUndici(RequestAbortedError, 'UND_ERR_ABORT', 'UND_ERR_ABORTED')

/** The request body's length differs from its `content-length` header (undici's UND_ERR_REQ_CONTENT_LENGTH_MISMATCH). */
export class RequestContentLengthMismatchError extends HotConnError {
  constructor(
    message = 'the request body does not match its content-length header; fix the header or the body',
    options?: HotConnErrorOptions,
  ) {
    super('UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', message, options)
  }
}
brandAsUndici(RequestContentLengthMismatchError, 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH')

/**
 * The response body ended with another length than its `content-length` header said (undici's
 * UND_ERR_RES_CONTENT_LENGTH_MISMATCH): the body is wrong; retry or report the server.
 */
export class ResponseContentLengthMismatchError extends HotConnError {
  /** The header's value and the bytes received, when known. */
  readonly expected: number | undefined
  readonly received: number | undefined
  constructor(expected?: number, received?: number, options?: HotConnErrorOptions) {
    super(
      'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
      expected === undefined
        ? 'the response body does not match its content-length header; the body is wrong: retry or report the server'
        : `the response body ended after ${received} of the ${expected} bytes its content-length header announced; the body is wrong: retry or report the server`,
      options,
    )
    this.expected = expected
    this.received = received
  }
}
brandAsUndici(ResponseContentLengthMismatchError, 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH')

/** The request needs a feature the connection's protocol does not offer here, e.g. Upgrade over HTTP/2 (undici's UND_ERR_NOT_SUPPORTED). */
export class NotSupportedError extends HotConnError {
  constructor(message: string, options?: HotConnErrorOptions) {
    super('UND_ERR_NOT_SUPPORTED', message, options)
  }
}
brandAsUndici(NotSupportedError, 'UND_ERR_NOT_SUPPORTED')

/**
 * The server broke HTTP/1.1 or HTTP/2 framing (a malformed status line or chunk, an invalid
 * header, an HTTP/2 PROTOCOL_ERROR, GOAWAY with an error code). `detail` names the rule: undici's
 * parser code (`HPE_…`) or, when undici gives none, llhttp's reason (e.g. `Invalid character in
 * chunk size`), or the HTTP/2 error name. Report the server; retrying rarely helps.
 */
export class HttpProtocolError extends HotConnError {
  readonly detail: string
  constructor(message: string, detail: string, options?: HotConnErrorOptions) {
    super('ERR_HTTP_PROTOCOL', message, options)
    this.detail = detail
  }
}

/** Whether the server provably did not process the request (see SocketError.unprocessed). */
export function isUnprocessed(err: unknown): boolean {
  return err instanceof SocketError && err.unprocessed
}

/** System error codes of a connection that broke (the request's fate is unknown). */
const SOCKET_CODES = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_STREAM_DESTROYED',
  'ERR_HTTP2_INVALID_SESSION',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_STREAM_CANCEL',
  // undici: the Client closed or was destroyed under the request, or an informational close ("reset").
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_INFO',
])

/** node:http2 and undici codes of an invalid request (name, value or option). */
const ARGUMENT_CODES = new Set([
  'UND_ERR_INVALID_ARG',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_INVALID_CHAR',
  'ERR_HTTP2_INVALID_HEADER_VALUE',
  'ERR_HTTP2_INVALID_PSEUDOHEADER',
  'ERR_HTTP2_HEADER_SINGLE_VALUE',
  'ERR_HTTP2_INVALID_CONNECTION_HEADERS',
])

/** The deadlines a request ran with (ms), for the messages of its timeout errors. */
export interface RequestTimeouts {
  headersMs?: number
  bodyMs?: number
}

/**
 * The error a request reports for `err`, a transport failure from undici's Client, node:http2 or
 * the socket: hotconn's errors pass through; undici's and the system's become the classes above
 * (the original is the `cause`); anything else (a request body stream's own error) passes through.
 */
export function toRequestError(err: unknown, timeouts: RequestTimeouts = {}): Error {
  if (err instanceof HotConnError) return err
  if (!(err instanceof Error)) return new SocketError(`the request failed: ${String(err)}`)
  const code = String((err as { code?: unknown }).code ?? '')
  const cause = { cause: err }
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new HeadersTimeoutError(timeouts.headersMs, cause)
    case 'UND_ERR_BODY_TIMEOUT':
      return new BodyTimeoutError(timeouts.bodyMs, cause)
    case 'UND_ERR_ABORTED':
    case 'UND_ERR_ABORT':
      return new RequestAbortedError(err.message, cause)
    case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
      return new RequestContentLengthMismatchError(undefined, cause)
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return new ResponseContentLengthMismatchError(undefined, undefined, cause)
    case 'UND_ERR_NOT_SUPPORTED':
      return new NotSupportedError(err.message, cause)
    case 'UND_ERR_SOCKET':
      return new SocketError(`the connection ended before the response did (${err.message}); retry the request`, cause)
  }
  if (SOCKET_CODES.has(code))
    return new SocketError(`the connection failed (${code}: ${err.message}); retry the request`, cause)
  if (ARGUMENT_CODES.has(code)) {
    const e = new InvalidArgumentError(`invalid request: ${err.message}`)
    Object.defineProperty(e, 'cause', { value: err })
    return e
  }
  if (code.startsWith('HPE_'))
    return new HttpProtocolError(`the server sent a malformed HTTP/1.1 response (${code}: ${err.message})`, code, cause)
  if (err.name === 'HTTPParserError') return parserError(err)
  if (code === 'ERR_HTTP2_STREAM_ERROR' || code === 'ERR_HTTP2_ERROR' || code === 'ERR_HTTP2_SESSION_ERROR') {
    return new HttpProtocolError(`HTTP/2 error: ${err.message}`, code, cause)
  }
  return err
}

/**
 * undici's HTTPParserError without a code (undici 7 looks the llhttp error number up in a table
 * keyed by name, so its `code` is undefined): the rule is llhttp's reason, the parenthesis of
 * "Response does not match the HTTP/1.1 protocol (Invalid character in chunk size)".
 */
function parserError(err: Error): HttpProtocolError {
  const reason = /\(([^()]+)\)$/.exec(err.message)?.[1] ?? (err.message || 'unknown parser error')
  return new HttpProtocolError(
    `the server sent a malformed HTTP/1.1 response (${reason}); report the server, a retry rarely helps`,
    reason,
    { cause: err },
  )
}

/** The error for an HTTP/2 stream or session ended by error code `h2Code` (RFC 9113 §7). */
export function h2CodeError(h2Code: number, what: string, options: SocketErrorOptions = {}): HotConnError {
  const name = h2ErrorName(h2Code)
  if (h2Code === 1 /* PROTOCOL_ERROR */ || h2Code === 6 /* FRAME_SIZE_ERROR */ || h2Code === 9 /* COMPRESSION_ERROR */)
    return new HttpProtocolError(`${what} with ${name}; the server or the client broke HTTP/2`, name, options)
  return new SocketError(`${what} with ${name}`, { ...options, h2Code })
}
