/**
 * Every error hotconn throws or hands to a handler is a `HotConnError` with a stable `code`.
 * Messages say what happened and what to do about it.
 */

/**
 * Stable error codes. New codes may be added; existing ones never change meaning. The `UND_ERR_*`
 * codes are undici's, for the failures undici defines (so undici's tooling, e.g. the `errorCodes` of
 * `interceptors.retry`, recognises them); the `ERR_*` codes are hotconn's own. README lists each
 * with its meaning and what to do.
 */
export const HOTCONN_ERROR_CODES = [
  'ERR_TLS_ALERT',
  'ERR_TLS_BAD_CERTIFICATE',
  'ERR_TLS_HANDSHAKE_TIMEOUT',
  'ERR_TLS_PROTOCOL',
  'ERR_TLS_DECODE',
  'ERR_TLS_BAD_RECORD_MAC',
  'ERR_TLS_RECORD_OVERFLOW',
  'ERR_TLS_INCOMPATIBLE',
  'ERR_TLS_TRUNCATED',
  'ERR_TLS_CLOSED',
  'ERR_TLS_UNSUPPORTED',
  'ERR_TLS_INTERNAL',
  'ERR_ABORTED',
  'ERR_REQUEST_TIMEOUT',
  'ERR_TOO_MANY_REDIRECTS',
  'ERR_HTTP_STATUS',
  'ERR_RESPONSE_PARSE',
  'ERR_CONNECT',
  'ERR_POOL_EXHAUSTED',
  'ERR_POOL_CLOSED',
  'ERR_ALL_IPS_BLACKLISTED',
  'ERR_ALL_EGRESS_BLOCKED',
  'ERR_PROXY',
  'ERR_PROXY_AUTH',
  'ERR_PROXY_TIMEOUT',
  'ERR_LOCAL_ADDRESS',
  'ERR_DNS',
  'ERR_CONFIG',
  'ERR_INVALID_ARGUMENT',
  'ERR_HTTP_PROTOCOL',
  'ERR_IDENTITY_MISMATCH',
  'ERR_TILE_STORE',
  'ERR_FLEET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_ABORTED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_NOT_SUPPORTED',
] as const

export type HotConnErrorCode = (typeof HOTCONN_ERROR_CODES)[number]

export interface HotConnErrorOptions {
  cause?: unknown
}

/** Base class of every hotconn error. `code` is stable; `message` is for humans. */
export class HotConnError extends Error {
  readonly code: HotConnErrorCode

  constructor(code: HotConnErrorCode, message: string, options?: HotConnErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.name = new.target.name
  }
}

/** Invalid option or argument given to a public API (checked up front, undici-style). */
export class InvalidArgumentError extends HotConnError {
  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', message)
  }
}

/**
 * A request's headers contradict its browser identity in a way no browser could send (e.g. a
 * Firefox `user-agent` on a Chromium identity, whose ClientHello and client hints say Chrome).
 */
export class IdentityMismatchError extends HotConnError {
  constructor(message: string) {
    super('ERR_IDENTITY_MISMATCH', message)
  }
}

/** TCP connection could not be established (refused, unreachable, reset before the handshake). */
export class ConnectError extends HotConnError {
  constructor(message: string, options?: HotConnErrorOptions) {
    super('ERR_CONNECT', message, options)
  }
}

/** An operation was aborted through an AbortSignal. */
export class AbortError extends HotConnError {
  constructor(message = 'The operation was aborted', options?: HotConnErrorOptions) {
    super('ERR_ABORTED', message, options)
  }
}

/**
 * A request had no complete response within its deadline (`timeoutMs`, ms: the whole exchange,
 * headers and body, redirects included), e.g. Crawlee's `timeout.request` in `hotconn/crawlee`.
 */
export class RequestTimeoutError extends HotConnError {
  readonly timeoutMs: number
  constructor(timeoutMs: number, url: string) {
    super(
      'ERR_REQUEST_TIMEOUT',
      `no complete response from ${url} within ${timeoutMs} ms (the request's timeout); the server or the proxy is slow: raise the timeout (Crawlee: navigationTimeoutSecs) or try another egress`,
    )
    this.timeoutMs = timeoutMs
  }
}

/** A request was redirected more than `maxRedirects` times (a loop, or a chain too long). */
export class TooManyRedirectsError extends HotConnError {
  readonly maxRedirects: number
  /** Every URL the request was redirected to, in order. */
  readonly redirectUrls: readonly string[]
  constructor(maxRedirects: number, url: string, redirectUrls: readonly string[]) {
    super(
      'ERR_TOO_MANY_REDIRECTS',
      `${url} redirected more than ${maxRedirects} times (last to ${redirectUrls.at(-1) ?? url}); a redirect loop often means a cookie was not kept: check the cookie jar, or raise maxRedirects`,
    )
    this.maxRedirects = maxRedirects
    this.redirectUrls = redirectUrls
  }
}

/** The response status is an error (4xx, 5xx) and the request asked to fail on it (`throwHttpErrors`). */
export class HttpStatusError extends HotConnError {
  readonly statusCode: number
  readonly url: string
  constructor(statusCode: number, url: string) {
    super(
      'ERR_HTTP_STATUS',
      `${url} answered ${statusCode}; read the response instead with throwHttpErrors: false, or retry later (403 and 429 often mean a blocked egress)`,
    )
    this.statusCode = statusCode
    this.url = url
  }
}

/** The response body is not what the request asked for (`responseType: 'json'` and a body that is not JSON). */
export class ResponseParseError extends HotConnError {
  readonly url: string
  constructor(url: string, what: string, options?: HotConnErrorOptions) {
    super(
      'ERR_RESPONSE_PARSE',
      `the body from ${url} is not ${what}; ask for responseType 'text' or 'buffer' to read it as it is`,
      options,
    )
    this.url = url
  }
}

/** DNS resolution failed or returned no usable address. */
export class DnsError extends HotConnError {
  constructor(message: string, options?: HotConnErrorOptions) {
    super('ERR_DNS', message, options)
  }
}

/** Configuration (TOML or options object) is invalid; the message names the key and, for files, the line. */
export class ConfigError extends HotConnError {
  readonly key: string | undefined
  readonly line: number | undefined

  constructor(message: string, key?: string, line?: number) {
    super('ERR_CONFIG', message)
    this.key = key
    this.line = line
  }
}
