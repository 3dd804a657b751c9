/**
 * TLS errors. Each names the rule the peer broke (a stable snake_case `rule`, and the RFC section
 * in the message) and carries the alert hotconn sends before closing; `alertFor()` is the one
 * decision of whether and which alert to send, for every failure path of a connection.
 */
import { HotConnError, type HotConnErrorCode } from '../errors.js'
import { DecodeError } from '../util/bytes.js'
import { AlertDescription, alertName } from './constants.js'

export class TlsError extends HotConnError {
  /** The alert hotconn sends (or would send) for this error; undefined when none is sent. */
  readonly alert: number | undefined
  /**
   * Stable id of the rule or condition, snake_case (e.g. `selected_unoffered_cipher_suite`,
   * `hrr_changes_nothing`, `bad_record_mac`): match on it (with `code`), not on the message.
   */
  readonly rule: string

  constructor(
    code: HotConnErrorCode,
    rule: string,
    message: string,
    alert: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(code, message, options)
    this.rule = rule
    this.alert = alert
  }
}

/** The peer broke a rule of the protocol (rustls' PeerMisbehaved). */
export class TlsProtocolError extends TlsError {
  constructor(
    rule: string,
    message: string,
    alert: number = AlertDescription.illegal_parameter,
    options?: { cause?: unknown },
  ) {
    super('ERR_TLS_PROTOCOL', rule, message, alert, options)
  }
}

/** The peer and hotconn could not agree (rustls' PeerIncompatible), or the peer chose what hotconn cannot do. */
export class TlsIncompatibleError extends TlsError {
  constructor(rule: string, message: string, alert: number = AlertDescription.handshake_failure) {
    super('ERR_TLS_INCOMPATIBLE', rule, message, alert)
  }
}

/** A feature the peer selected that this Node.js build cannot provide (e.g. ML-DSA before Node 24.7). */
export class TlsUnsupportedError extends TlsError {
  constructor(rule: string, message: string, alert: number = AlertDescription.handshake_failure) {
    super('ERR_TLS_UNSUPPORTED', rule, message, alert)
  }
}

/** Bytes from the peer did not decode (RFC 8446 §6.2 decode_error); rule `malformed_message`. */
export class TlsDecodeError extends TlsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TLS_DECODE', 'malformed_message', message, AlertDescription.decode_error, options)
  }
}

/** A record failed authentication (RFC 8446 §5.2 bad_record_mac): tampered or corrupted traffic. */
export class TlsBadRecordMacError extends TlsError {
  constructor(
    message = 'record authentication failed (RFC 8446 §5.2 bad_record_mac): the data was altered in transit or the keys disagree',
  ) {
    super('ERR_TLS_BAD_RECORD_MAC', 'bad_record_mac', message, AlertDescription.bad_record_mac)
  }
}

/** A record exceeded the allowed size (RFC 8446 §5.1/5.2, RFC 8449); rule `record_overflow`. */
export class TlsRecordOverflowError extends TlsError {
  constructor(message: string) {
    super('ERR_TLS_RECORD_OVERFLOW', 'record_overflow', message, AlertDescription.record_overflow)
  }
}

/** The peer sent a fatal alert (rule `peer_alert`). `description` is the alert code, `alertName` its RFC 8446 name. */
export class TlsAlertError extends TlsError {
  readonly description: number
  readonly alertName: string

  constructor(description: number) {
    super(
      'ERR_TLS_ALERT',
      'peer_alert',
      `peer sent fatal alert ${alertName(description)} (${description}); the server rejected the connection — check the hostname, the profile and the server's TLS configuration`,
      undefined,
    )
    this.description = description
    this.alertName = alertName(description)
  }
}

/**
 * The transport ended without close_notify (RFC 8446 §6.1) after the handshake: a FIN, a TCP reset
 * (ECONNRESET, in `cause`) or a transport closed under the connection. The data received may be
 * truncated: a response delimited by the connection's end is incomplete.
 */
export class TlsTruncatedError extends TlsError {
  constructor(
    message = 'connection closed without close_notify (RFC 8446 §6.1); the data received may be truncated',
    options?: { cause?: unknown },
  ) {
    super('ERR_TLS_TRUNCATED', 'truncated', message, undefined, options)
  }
}

/** Connect + handshake did not finish within the timeout. */
export class TlsHandshakeTimeoutError extends TlsError {
  constructor(ms: number) {
    super(
      'ERR_TLS_HANDSHAKE_TIMEOUT',
      'handshake_timeout',
      `TLS handshake did not complete within ${ms} ms; the server may be overloaded or filtering — raise connect_timeout or try another IP`,
      undefined,
    )
  }
}

/** Operation on a connection that is already closed. */
export class TlsClosedError extends TlsError {
  constructor(message = 'TLS connection is closed') {
    super('ERR_TLS_CLOSED', 'closed', message, undefined)
  }
}

/** hotconn failed while processing the server's records (a bug): internal_error is sent; `cause` holds the original. */
export class TlsInternalError extends TlsError {
  constructor(cause: unknown) {
    super(
      'ERR_TLS_INTERNAL',
      'internal_error',
      `internal error while processing the server's TLS records: ${cause instanceof Error ? cause.message : String(cause)}; please report it with the stack`,
      AlertDescription.internal_error,
      { cause },
    )
  }
}

/**
 * The one decision of whether and which alert (RFC 8446 §6.2) ends a connection, for every failure
 * path: a TlsError's own alert (none for an alert the peer sent, a truncation, a timeout or a closed
 * connection), decode_error for a codec DecodeError, and none for anything else (the caller aborted
 * or the transport failed: the connection just closes).
 */
export function alertFor(err: unknown): number | undefined {
  if (err instanceof TlsError) return err.alert
  if (err instanceof DecodeError) return AlertDescription.decode_error
  return undefined
}

/**
 * The tls boundary for errors raised while processing the peer's bytes: a codec DecodeError becomes
 * a TlsDecodeError, hotconn errors pass through, anything else becomes a TlsInternalError.
 */
export function asTlsError(err: unknown): HotConnError {
  if (err instanceof DecodeError)
    return new TlsDecodeError(`${err.message} (RFC 8446 §6.2 decode_error)`, { cause: err })
  if (err instanceof HotConnError) return err
  return new TlsInternalError(err)
}
