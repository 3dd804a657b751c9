/** EncryptedExtensions (RFC 8446 §4.3.1) and the extensions hotconn acts on in it. */
import { ByteReader } from '../../util/bytes.js'
import { AlertDescription, ExtensionType } from '../constants.js'
import { TlsProtocolError } from '../errors.js'
import {
  decodeIfPresent,
  decodeRecordSizeLimit,
  decodeSelectedAlpn,
  readExtensions,
  type RawExtensions,
} from './extensions.js'

export interface EncryptedExtensions {
  readonly extensions: RawExtensions
  readonly alpn: string | undefined
  /** ALPS settings the server sent (draft-vvv-tls-alps), raw. */
  readonly applicationSettings: Buffer | undefined
  /** record_size_limit (RFC 8449 §4). */
  readonly recordSizeLimit: number | undefined
}

/** Extensions that must never appear in EncryptedExtensions (RFC 8446 §4.2 table). */
const FORBIDDEN = new Set<number>([
  ExtensionType.key_share,
  ExtensionType.pre_shared_key,
  ExtensionType.supported_versions,
  ExtensionType.psk_key_exchange_modes,
  ExtensionType.cookie,
  ExtensionType.signature_algorithms,
])

export function decodeEncryptedExtensions(body: Uint8Array): EncryptedExtensions {
  const r = new ByteReader(body, 0, body.length, 'EncryptedExtensions')
  const extensions = readExtensions(r, 'EncryptedExtensions')
  r.expectEmpty()
  for (const type of extensions.keys()) {
    if (FORBIDDEN.has(type)) {
      throw new TlsProtocolError(
        'extension_forbidden_in_encrypted_extensions',
        `EncryptedExtensions carries extension ${type}, which belongs in ServerHello or nowhere (RFC 8446 §4.2)`,
        AlertDescription.illegal_parameter,
      )
    }
  }
  return {
    extensions,
    alpn: decodeIfPresent(extensions, ExtensionType.application_layer_protocol_negotiation, decodeSelectedAlpn),
    applicationSettings: extensions.get(ExtensionType.application_settings),
    recordSizeLimit: decodeIfPresent(extensions, ExtensionType.record_size_limit, decodeRecordSizeLimit),
  }
}
