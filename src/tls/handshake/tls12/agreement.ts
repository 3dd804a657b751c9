/**
 * Checks of a TLS 1.2 ServerHello against what the ClientHello offered (RFC 5246 §7.4.1.3,
 * RFC 5746, RFC 7627, RFC 7301, RFC 5077, RFC 8422, RFC 8446 §4.1.3 downgrade protection), and
 * what it negotiated.
 */
import type { OfferedParameters } from '../../../fingerprint/spec.js'
import { ByteReader } from '../../../util/bytes.js'
import { AlertDescription, ExtensionType, ProtocolVersion } from '../../constants.js'
import { TLS12_CIPHER_SUITES, type CipherSuite12 } from '../../crypto/cipher-suites12.js'
import { TlsIncompatibleError, TlsProtocolError } from '../../errors.js'
import {
  checkSelectedAlpn,
  decodeIfPresent,
  decodeRecordSizeLimit,
  decodeSelectedAlpn,
} from '../../messages/extensions.js'
import { DOWNGRADE_TLS11, DOWNGRADE_TLS12, type ServerHello } from '../../messages/server-hello.js'

/** What a TLS 1.2 ServerHello agreed to. */
export interface ServerHello12Agreement {
  readonly suite: CipherSuite12
  readonly alpn: string | undefined
  readonly extendedMasterSecret: boolean
  /** The server will send NewSessionTicket (RFC 5077 §3.2). */
  readonly sessionTicket: boolean
  /** The server may send CertificateStatus (RFC 6066 §8). */
  readonly statusRequest: boolean
  /** record_size_limit (RFC 8449 §4): in TLS 1.2 the largest plaintext the server accepts. */
  readonly recordSizeLimit: number | undefined
}

/** Extensions that have a meaning in a TLS 1.2 ServerHello; anything else is refused even when offered. */
const ALLOWED_IN_TLS12_SERVER_HELLO = new Set<number>([
  ExtensionType.server_name,
  ExtensionType.status_request,
  ExtensionType.ec_point_formats,
  ExtensionType.application_layer_protocol_negotiation,
  ExtensionType.signed_certificate_timestamp,
  ExtensionType.extended_master_secret,
  ExtensionType.record_size_limit,
  ExtensionType.session_ticket,
  ExtensionType.renegotiation_info,
])

export interface ServerHello12Offer {
  readonly offered: OfferedParameters
  /** The ALPN list actually sent (the profile's, or the connect option's). */
  readonly alpn: readonly string[]
}

/**
 * @throws TlsProtocolError when the server broke a rule (unoffered suite or extension, downgrade
 *   sentinel, bad renegotiation_info); TlsIncompatibleError when it lacks what hotconn requires
 *   (TLS 1.2, secure renegotiation).
 */
export function checkServerHello12(sh: ServerHello, offer: ServerHello12Offer): ServerHello12Agreement {
  const offered = offer.offered
  checkVersion(sh, offered)
  const suite = checkCipherSuite(sh, offered)
  if (sh.compressionMethod !== 0) {
    throw new TlsProtocolError(
      'selected_unoffered_compression',
      `ServerHello compression_method ${sh.compressionMethod}; only null(0) was offered (RFC 5246 §7.4.1.3)`,
      AlertDescription.illegal_parameter,
    )
  }
  checkExtensionTypes(sh, offered)
  checkRenegotiationInfo(sh)
  checkAcknowledgements(sh)
  const extendedMasterSecret = sh.extensions.has(ExtensionType.extended_master_secret)
  // RFC 7627 §5.4: without extended_master_secret the handshake goes on with the standard master secret,
  // as Chromium 156 and Firefox ESR 153 do; the session is never resumed (RFC 7627 §5.3, tls12/finished.ts).
  checkPointFormats(sh.extensions.get(ExtensionType.ec_point_formats))
  const alpn = decodeIfPresent(sh.extensions, ExtensionType.application_layer_protocol_negotiation, decodeSelectedAlpn)
  checkSelectedAlpn(alpn, offer.alpn)
  return {
    suite,
    alpn,
    extendedMasterSecret,
    sessionTicket: sh.extensions.has(ExtensionType.session_ticket),
    statusRequest: sh.extensions.has(ExtensionType.status_request),
    recordSizeLimit: decodeIfPresent(sh.extensions, ExtensionType.record_size_limit, decodeRecordSizeLimit),
  }
}

/** Only offered extensions that mean something in TLS 1.2 (RFC 5246 §7.4.1.4, RFC 8446 §4.2). */
function checkExtensionTypes(sh: ServerHello, offered: OfferedParameters): void {
  for (const type of sh.extensions.keys()) {
    if (!offered.extensionTypes.has(type)) {
      throw new TlsProtocolError(
        'unoffered_extension',
        `ServerHello carries extension ${type} that the ClientHello did not offer (RFC 5246 §7.4.1.4 unsupported_extension)`,
        AlertDescription.unsupported_extension,
      )
    }
    if (!ALLOWED_IN_TLS12_SERVER_HELLO.has(type)) {
      throw new TlsProtocolError(
        'extension_not_allowed_in_tls12',
        `TLS 1.2 ServerHello carries extension ${type}, which has no meaning in TLS 1.2 (RFC 8446 §4.2, RFC 5246 §7.4.1.4)`,
        AlertDescription.illegal_parameter,
      )
    }
  }
}

/** The server's acknowledgements are empty (RFC 7627 §5.1, RFC 5077 §3.2, RFC 6066 §3, §8; SCT carries a list). */
function checkAcknowledgements(sh: ServerHello): void {
  const ems = sh.extensions.get(ExtensionType.extended_master_secret)
  if (ems && ems.length !== 0) {
    throw new TlsProtocolError(
      'extended_master_secret_not_empty',
      'ServerHello extended_master_secret is not empty (RFC 7627 §5.1)',
      AlertDescription.decode_error,
    )
  }
  for (const type of [ExtensionType.session_ticket, ExtensionType.status_request, ExtensionType.server_name]) {
    const body = sh.extensions.get(type)
    if (body && body.length !== 0) {
      throw new TlsProtocolError(
        'acknowledgement_not_empty',
        `ServerHello extension ${type} must be empty (RFC 5077 §3.2, RFC 6066 §3, §8)`,
        AlertDescription.decode_error,
      )
    }
  }
}

function checkVersion(sh: ServerHello, offered: OfferedParameters): void {
  if (sh.legacyVersion !== ProtocolVersion.TLS12) {
    throw new TlsIncompatibleError(
      'version_too_old',
      `server negotiated protocol version 0x${sh.legacyVersion.toString(16)}; hotconn speaks TLS 1.2 and 1.3 only (RFC 8996 deprecates TLS 1.0 and 1.1) — upgrade the server`,
      AlertDescription.protocol_version,
    )
  }
  if (!offered.versions.includes(ProtocolVersion.TLS12)) {
    throw new TlsProtocolError(
      'selected_unoffered_version',
      'server negotiated TLS 1.2, which the ClientHello did not offer in supported_versions (RFC 8446 §4.2.1)',
      AlertDescription.protocol_version,
    )
  }
  // RFC 8446 §4.1.3: a TLS 1.3 client that receives the downgrade sentinel MUST abort.
  const tail = sh.random.subarray(24)
  if (
    offered.versions.includes(ProtocolVersion.TLS13) &&
    (tail.equals(DOWNGRADE_TLS12) || tail.equals(DOWNGRADE_TLS11))
  ) {
    throw new TlsProtocolError(
      'downgrade_sentinel',
      'ServerHello.random carries the TLS 1.3 downgrade sentinel: a TLS 1.3 server answered with TLS 1.2, so the handshake was tampered with (RFC 8446 §4.1.3)',
      AlertDescription.illegal_parameter,
    )
  }
}

function checkCipherSuite(sh: ServerHello, offered: OfferedParameters): CipherSuite12 {
  const id = sh.cipherSuite
  const hex = `0x${id.toString(16).padStart(4, '0')}`
  if (!offered.cipherSuites.includes(id)) {
    throw new TlsProtocolError(
      'selected_unoffered_cipher_suite',
      `server selected cipher suite ${hex}, which the ClientHello did not offer (RFC 5246 §7.4.1.3)`,
      AlertDescription.illegal_parameter,
    )
  }
  const suite = TLS12_CIPHER_SUITES.get(id)
  if (!suite) {
    throw new TlsProtocolError(
      'selected_cipher_suite_of_other_version',
      `server selected cipher suite ${hex}, which is not a TLS 1.2 suite (RFC 8446 §4.1.3, RFC 5246 §7.4.1.3)`,
      AlertDescription.illegal_parameter,
    )
  }
  return suite
}

/** RFC 5746 §3.4: renegotiation_info must be present and carry an empty renegotiated_connection. */
function checkRenegotiationInfo(sh: ServerHello): void {
  const ri = sh.extensions.get(ExtensionType.renegotiation_info)
  if (!ri) {
    throw new TlsIncompatibleError(
      'no_secure_renegotiation',
      'server does not support secure renegotiation (no renegotiation_info in ServerHello, RFC 5746 §3.4); hotconn refuses such TLS 1.2 servers — upgrade the server',
      AlertDescription.handshake_failure,
    )
  }
  if (ri.length !== 1 || ri[0] !== 0) {
    throw new TlsProtocolError(
      'renegotiation_info_not_empty',
      'ServerHello renegotiation_info is not empty on an initial handshake (RFC 5746 §3.4)',
      AlertDescription.handshake_failure,
    )
  }
}

/** RFC 8422 §5.2: if sent, the list must contain uncompressed(0). */
function checkPointFormats(body: Buffer | undefined): void {
  if (!body) return
  const r = new ByteReader(body, 0, body.length, 'ec_point_formats')
  const list = r.vec(1, 'ec_point_format_list')
  r.expectEmpty()
  if (!list.includes(0)) {
    throw new TlsProtocolError(
      'no_uncompressed_point_format',
      'ServerHello ec_point_formats does not include uncompressed(0) (RFC 8422 §5.2)',
      AlertDescription.illegal_parameter,
    )
  }
}
