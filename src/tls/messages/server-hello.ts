/** ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4). */
import { createHash } from 'node:crypto'
import { ByteReader } from '../../util/bytes.js'
import { AlertDescription, ExtensionType } from '../constants.js'
import { TlsProtocolError } from '../errors.js'
import { readExtensions, type RawExtensions } from './extensions.js'

/** SHA-256("HelloRetryRequest"), the random of a HelloRetryRequest (RFC 8446 §4.1.3). */
export const HELLO_RETRY_REQUEST_RANDOM = createHash('sha256').update('HelloRetryRequest').digest()

/** The last 8 bytes of ServerHello.random when a TLS 1.3 server negotiates an older version (RFC 8446 §4.1.3). */
export const DOWNGRADE_TLS12 = Buffer.from('444f574e47524401', 'hex')
export const DOWNGRADE_TLS11 = Buffer.from('444f574e47524400', 'hex')

export interface ServerHello {
  readonly legacyVersion: number
  readonly random: Buffer
  readonly sessionId: Buffer
  readonly cipherSuite: number
  readonly compressionMethod: number
  readonly extensions: RawExtensions
  readonly isHelloRetryRequest: boolean
  /** supported_versions.selected_version, if present. */
  readonly selectedVersion: number | undefined
}

export function decodeServerHello(body: Uint8Array): ServerHello {
  const r = new ByteReader(body, 0, body.length, 'ServerHello')
  const legacyVersion = r.u16('legacy_version')
  const random = r.bytes(32, 'random')
  const sessionId = r.vec(1, 'legacy_session_id_echo')
  if (sessionId.length > 32)
    throw new TlsProtocolError(
      'session_id_too_long',
      'ServerHello legacy_session_id_echo longer than 32 bytes (RFC 8446 §4.1.3)',
      AlertDescription.decode_error,
    )
  const cipherSuite = r.u16('cipher_suite')
  const compressionMethod = r.u8('legacy_compression_method')
  const extensions = r.remaining ? readExtensions(r, 'ServerHello') : new Map<number, Buffer>()
  r.expectEmpty()
  const sv = extensions.get(ExtensionType.supported_versions)
  let selectedVersion: number | undefined
  if (sv) {
    const er = new ByteReader(sv, 0, sv.length, 'supported_versions')
    selectedVersion = er.u16('selected_version')
    er.expectEmpty()
  }
  return {
    legacyVersion,
    random,
    sessionId,
    cipherSuite,
    compressionMethod,
    extensions,
    isHelloRetryRequest: random.equals(HELLO_RETRY_REQUEST_RANDOM),
    selectedVersion,
  }
}

/** key_share in a ServerHello: one KeyShareEntry (RFC 8446 §4.2.8). */
export function decodeServerKeyShare(body: Uint8Array): { group: number; keyExchange: Buffer } {
  const r = new ByteReader(body, 0, body.length, 'key_share')
  const group = r.u16('group')
  const keyExchange = r.vec(2, 'key_exchange')
  r.expectEmpty()
  if (keyExchange.length === 0)
    throw new TlsProtocolError(
      'empty_key_exchange',
      'ServerHello key_share has an empty key_exchange (RFC 8446 §4.2.8)',
      AlertDescription.decode_error,
    )
  return { group, keyExchange }
}

/** key_share in a HelloRetryRequest: the selected group only (RFC 8446 §4.2.8). */
export function decodeHrrKeyShare(body: Uint8Array): number {
  const r = new ByteReader(body, 0, body.length, 'key_share')
  const group = r.u16('selected_group')
  r.expectEmpty()
  return group
}

/** cookie extension body (RFC 8446 §4.2.2). */
export function decodeCookie(body: Uint8Array): Buffer {
  const r = new ByteReader(body, 0, body.length, 'cookie')
  const cookie = r.vec(2, 'cookie')
  r.expectEmpty()
  if (cookie.length === 0)
    throw new TlsProtocolError(
      'empty_cookie',
      'HelloRetryRequest cookie is empty (RFC 8446 §4.2.2)',
      AlertDescription.decode_error,
    )
  return cookie
}

/** pre_shared_key in a ServerHello: the selected identity index (RFC 8446 §4.2.11). */
export function decodeSelectedIdentity(body: Uint8Array): number {
  const r = new ByteReader(body, 0, body.length, 'pre_shared_key')
  const selected = r.u16('selected_identity')
  r.expectEmpty()
  return selected
}
