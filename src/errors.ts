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
