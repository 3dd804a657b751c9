/**
 * Extension lists as they arrive from the server (type -> body, duplicates rejected, RFC 8446 §4.2)
 * and the decoders of the extensions the server answers in both versions' messages (TLS 1.3
 * EncryptedExtensions, TLS 1.2 ServerHello): one decoder per extension.
 */
import { ByteReader } from '../../util/bytes.js'
import { AlertDescription } from '../constants.js'
import { TlsProtocolError } from '../errors.js'

export type RawExtensions = ReadonlyMap<number, Buffer>

export function readExtensions(r: ByteReader, where: string): Map<number, Buffer> {
  const list = r.sub(2, 'extensions')
  const out = new Map<number, Buffer>()
  while (list.remaining) {
    const type = list.u16('extension_type')
    const body = list.vec(2, 'extension_data')
    if (out.has(type)) {
      throw new TlsProtocolError(
        'duplicate_extension',
        `${where} repeats extension ${type} (RFC 8446 §4.2: at most one of each type)`,
        AlertDescription.illegal_parameter,
      )
    }
    out.set(type, body)
  }
  return out
}

/**
 * RFC 8446 §4.2: a server must only send extensions the client offered (unsupported_extension),
 * and each message may only carry the extensions allowed in it.
 */
export function checkOffered(
  ext: RawExtensions,
  offered: ReadonlySet<number>,
  where: string,
  extraAllowed: readonly number[] = [],
): void {
  for (const type of ext.keys()) {
    if (!offered.has(type) && !extraAllowed.includes(type)) {
      throw new TlsProtocolError(
        'unoffered_extension',
        `${where} carries extension ${type} that the ClientHello did not offer (RFC 8446 §4.2 unsupported_extension)`,
        AlertDescription.unsupported_extension,
      )
    }
  }
}

/** application_layer_protocol_negotiation from the server: exactly one non-empty protocol name (RFC 7301 §3.1). */
export function decodeSelectedAlpn(body: Uint8Array): string {
  const r = new ByteReader(body, 0, body.length, 'ALPN')
  const list = r.sub(2, 'protocol_name_list')
  const name = list.vec(1, 'protocol_name')
  list.expectEmpty()
  r.expectEmpty()
  if (name.length === 0)
    throw new TlsProtocolError(
      'empty_alpn_protocol',
      'ALPN protocol name is empty (RFC 7301 §3.1)',
      AlertDescription.decode_error,
    )
  return name.toString('latin1')
}

/** The server may only select a protocol the ClientHello offered (RFC 7301 §3.2). */
export function checkSelectedAlpn(alpn: string | undefined, offered: readonly string[]): void {
  if (alpn === undefined || offered.includes(alpn)) return
  throw new TlsProtocolError(
    'selected_unoffered_alpn',
    `server selected ALPN "${alpn}", which was not offered (RFC 7301 §3.2)`,
    AlertDescription.illegal_parameter,
  )
}

/** record_size_limit (RFC 8449 §4): a uint16 of at least 64, the largest record the server accepts. */
export function decodeRecordSizeLimit(body: Uint8Array): number {
  const r = new ByteReader(body, 0, body.length, 'record_size_limit')
  const limit = r.u16('record_size_limit')
  r.expectEmpty()
  if (limit < 64) {
    throw new TlsProtocolError(
      'record_size_limit_too_small',
      `record_size_limit ${limit} is below 64 (RFC 8449 §4)`,
      AlertDescription.illegal_parameter,
    )
  }
  return limit
}

/** Decodes `type` from `ext` when present. */
export function decodeIfPresent<T>(ext: RawExtensions, type: number, decode: (body: Uint8Array) => T): T | undefined {
  const body = ext.get(type)
  return body === undefined ? undefined : decode(body)
}
