/**
 * TLSPlaintext records (RFC 8446 §5.1, RFC 5246 §6.2.1): the unprotected framing of the first flight,
 * ChangeCipherSpec and alerts sent before keys exist, and the parsing of an alert's two bytes (RFC 8446 §6).
 */
import { AlertDescription, AlertLevel, MAX_PLAINTEXT } from '../constants.js'
import { TlsAlertError, TlsProtocolError } from '../errors.js'

/** One TLSPlaintext record: type (1 byte), legacy_record_version (2), length (2), fragment. */
export function plaintextRecord(type: number, fragment: Uint8Array, version: number): Buffer {
  const out = Buffer.allocUnsafe(5 + fragment.length)
  out[0] = type
  out.writeUInt16BE(version, 1)
  out.writeUInt16BE(fragment.length, 3)
  out.set(fragment, 5)
  return out
}

/** `message` cut into records of at most 2^14 bytes (RFC 8446 §5.1), as one buffer. */
export function plaintextRecords(type: number, message: Buffer, version: number): Buffer {
  if (message.length <= MAX_PLAINTEXT) return plaintextRecord(type, message, version)
  const parts: Buffer[] = []
  for (let off = 0; off < message.length; off += MAX_PLAINTEXT) {
    parts.push(plaintextRecord(type, message.subarray(off, Math.min(off + MAX_PLAINTEXT, message.length)), version))
  }
  return Buffer.concat(parts)
}

/**
 * What an alert record means for the reader: `'close_notify'` (the peer's end of data, RFC 8446 §6.1)
 * or `'ignore'` (a TLS 1.2 warning, or user_canceled, RFC 5246 §7.2). Throws `TlsAlertError` for
 * every other alert (RFC 8446 §6.2: fatal whatever its level says) and `TlsProtocolError` for a record
 * that is not 2 bytes.
 */
export function readAlert(content: Buffer, tls12: boolean): 'close_notify' | 'ignore' {
  if (content.length !== 2)
    throw new TlsProtocolError(
      'bad_alert_length',
      'alert record is not 2 bytes (RFC 8446 §6)',
      AlertDescription.decode_error,
    )
  const level = content[0]!
  const description = content[1]!
  if (description === AlertDescription.close_notify) return 'close_notify'
  if (level === AlertLevel.warning && (tls12 || description === AlertDescription.user_canceled)) return 'ignore'
  throw new TlsAlertError(description)
}
