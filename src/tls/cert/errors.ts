/**
 * Certificate verification errors (RFC 5280 path validation, RFC 6125 identity checks).
 * Each carries a machine-readable `reason` and the alert to send (RFC 8446 §6.2).
 */
import { AlertDescription } from '../constants.js'
import { TlsError } from '../errors.js'

/** Why a certificate chain was rejected. */
export type CertificateFailureReason =
  | 'expired'
  | 'not_yet_valid'
  | 'hostname_mismatch'
  | 'untrusted'
  | 'not_a_ca'
  | 'path_length'
  | 'key_usage'
  | 'extended_key_usage'
  | 'bad_signature'
  | 'name_constraints'
  | 'unsupported_critical_extension'
  | 'malformed'
  | 'profile_violation'
  | 'weak_key'
  | 'limit_exceeded'
  | 'empty_chain'

/** The RFC 8446 §6.2 alert descriptions certificate failures use (a view of AlertDescription). */
export const CertificateAlert = {
  bad_certificate: AlertDescription.bad_certificate,
  unsupported_certificate: AlertDescription.unsupported_certificate,
  certificate_expired: AlertDescription.certificate_expired,
  certificate_unknown: AlertDescription.certificate_unknown,
  unknown_ca: AlertDescription.unknown_ca,
  decode_error: AlertDescription.decode_error,
} as const

/** The alert RFC 8446 §6.2 prescribes for each reason. */
export const ALERT_FOR_REASON: Readonly<Record<CertificateFailureReason, number>> = {
  expired: CertificateAlert.certificate_expired,
  not_yet_valid: CertificateAlert.certificate_expired,
  hostname_mismatch: CertificateAlert.certificate_unknown,
  untrusted: CertificateAlert.unknown_ca,
  not_a_ca: CertificateAlert.bad_certificate,
  path_length: CertificateAlert.bad_certificate,
  key_usage: CertificateAlert.unsupported_certificate,
  extended_key_usage: CertificateAlert.unsupported_certificate,
  bad_signature: CertificateAlert.bad_certificate,
  name_constraints: CertificateAlert.bad_certificate,
  unsupported_critical_extension: CertificateAlert.unsupported_certificate,
  malformed: CertificateAlert.bad_certificate,
  profile_violation: CertificateAlert.bad_certificate,
  weak_key: CertificateAlert.unsupported_certificate,
  limit_exceeded: CertificateAlert.bad_certificate,
  // RFC 8446 §4.4.2.4: an empty server Certificate message is a decode_error.
  empty_chain: CertificateAlert.decode_error,
}

/**
 * What to do, in the library's terms: messages end with these phrases, and `messageFor('cli')` names the
 * command line's flags instead.
 */
export const HINT = {
  /** Where the missing trust anchor goes. */
  ca: 'pass the issuing CA as ca (it replaces the default roots) or extraCa (added to them)',
  insecure: 'or, for testing only, insecure: true',
} as const

const CLI_HINT: Readonly<Record<keyof typeof HINT, string>> = {
  ca: 'pass the issuing CA with --ca <pem file>',
  insecure: 'or, for testing only, --insecure',
}

/**
 * The server's certificate chain failed verification (code ERR_TLS_BAD_CERTIFICATE).
 * `reason` says which check failed, `subject` names the certificate (when one is to blame),
 * `alert` is the RFC 8446 §6.2 alert to send before closing; `rule` is `reason`.
 */
export class TlsCertificateError extends TlsError {
  readonly reason: CertificateFailureReason
  declare readonly alert: number
  readonly subject: string | undefined

  constructor(reason: CertificateFailureReason, message: string, subject?: string, options?: { cause?: unknown }) {
    super('ERR_TLS_BAD_CERTIFICATE', reason, message, ALERT_FOR_REASON[reason], options)
    this.reason = reason
    this.subject = subject
  }

  /** The message with its advice in the terms of `surface`: library options, or the CLI's --ca / --insecure. */
  messageFor(surface: 'library' | 'cli'): string {
    if (surface === 'library') return this.message
    return this.message.replace(HINT.ca, CLI_HINT.ca).replace(HINT.insecure, CLI_HINT.insecure)
  }
}
