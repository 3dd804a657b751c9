/**
 * TLS errors. Each names the rule the peer broke (with the RFC section) and carries the alert
 * hotconn sends before closing; `alertFor()` is the one place that maps an error to an alert.
 */
import { HotConnError, type HotConnErrorCode } from '../errors.js'
import { DecodeError } from '../util/bytes.js'
import { AlertDescription, alertName } from './constants.js'

export class TlsError extends HotConnError {
  /** The alert hotconn sends (or would send) for this error; undefined when none is sent. */
  readonly alert: number | undefined

  constructor(code: HotConnErrorCode, message: string, alert: number | undefined, options?: { cause?: unknown }) {
    super(code, message, options)
    this.alert = alert
  }
}

/** The peer broke a rule of the protocol (rustls' PeerMisbehaved). */
export class TlsProtocolError extends TlsError {
  constructor(message: string, alert: number = AlertDescription.illegal_parameter, options?: { cause?: unknown }) {
    super('ERR_TLS_PROTOCOL', message, alert, options)
  }
}

/** The peer and hotconn could not agree (rustls' PeerIncompatible), or the peer chose what hotconn cannot do. */
export class TlsIncompatibleError extends TlsError {
  constructor(message: string, alert: number = AlertDescription.handshake_failure) {
    super('ERR_TLS_INCOMPATIBLE', message, alert)
  }
}

/** A feature the peer selected that this Node.js build cannot provide (e.g. ML-DSA before Node 24.7). */
export class TlsUnsupportedError extends TlsError {
  constructor(message: string, alert: number = AlertDescription.handshake_failure) {
    super('ERR_TLS_UNSUPPORTED', message, alert)
  }
}

/** Bytes from the peer did not decode (RFC 8446 §6.2 decode_error). */
export class TlsDecodeError extends TlsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TLS_DECODE', message, AlertDescription.decode_error, options)
  }
}

/** A record failed authentication (RFC 8446 §5.2 bad_record_mac): tampered or corrupted traffic. */
export class TlsBadRecordMacError extends TlsError {
  constructor(
    message = 'record authentication failed (RFC 8446 §5.2 bad_record_mac): the data was altered in transit or the keys disagree',
  ) {
    super('ERR_TLS_BAD_RECORD_MAC', message, AlertDescription.bad_record_mac)
  }
}

/** A record exceeded the allowed size (RFC 8446 §5.1/5.2, RFC 8449). */
export class TlsRecordOverflowError extends TlsError {
  constructor(message: string) {
    super('ERR_TLS_RECORD_OVERFLOW', message, AlertDescription.record_overflow)
  }
}

/** The peer sent a fatal alert. `description` is the alert code, `alertName` its RFC 8446 name. */
export class TlsAlertError extends TlsError {
  readonly description: number
  readonly alertName: string

  constructor(description: number) {
    super(
      'ERR_TLS_ALERT',
      `peer sent fatal alert ${alertName(description)} (${description}); the server rejected the connection — check the hostname, the profile and the server's TLS configuration`,
      undefined,
    )
    this.description = description
    this.alertName = alertName(description)
  }
}

/** The transport ended without close_notify (RFC 8446 §6.1): the data may be truncated. */
export class TlsTruncatedError extends TlsError {
  constructor(message = 'connection closed without close_notify (RFC 8446 §6.1); the data received may be truncated') {
    super('ERR_TLS_TRUNCATED', message, undefined)
  }
}

/** Connect + handshake did not finish within the timeout. */
export class TlsHandshakeTimeoutError extends TlsError {
  constructor(ms: number) {
    super(
      'ERR_TLS_HANDSHAKE_TIMEOUT',
      `TLS handshake did not complete within ${ms} ms; the server may be overloaded or filtering — raise connect_timeout or try another IP`,
      undefined,
    )
  }
}

/** Operation on a connection that is already closed. */
export class TlsClosedError extends TlsError {
  constructor(message = 'TLS connection is closed') {
    super('ERR_TLS_CLOSED', message, undefined)
  }
}

/** The one mapping from any error to the alert to send before closing (rustls style). */
export function alertFor(err: unknown): number {
  if (err instanceof TlsError) return err.alert ?? AlertDescription.internal_error
  if (err instanceof DecodeError) return AlertDescription.decode_error
  if (err instanceof HotConnError && err.code === 'ERR_TLS_BAD_CERTIFICATE') {
    const alert = (err as HotConnError & { alert?: unknown }).alert
    return typeof alert === 'number' ? alert : AlertDescription.bad_certificate
  }
  return AlertDescription.internal_error
}

/** Converts a codec DecodeError into a TlsDecodeError, passes TLS errors through. */
export function asTlsError(err: unknown): Error {
  if (err instanceof DecodeError)
    return new TlsDecodeError(`${err.message} (RFC 8446 §6.2 decode_error)`, { cause: err })
  if (err instanceof Error) return err
  return new TlsProtocolError(String(err), AlertDescription.internal_error)
}
