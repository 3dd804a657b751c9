/** Codepoints from the IANA TLS registries (RFC 8446 §B.3, RFC 5246 §A). */

export const ContentType = {
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const
export type ContentType = (typeof ContentType)[keyof typeof ContentType]

export const HandshakeType = {
  hello_request: 0,
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  server_key_exchange: 12,
  certificate_request: 13,
  server_hello_done: 14,
  certificate_verify: 15,
  client_key_exchange: 16,
  finished: 20,
  certificate_status: 22,
  key_update: 24,
  compressed_certificate: 25,
  message_hash: 254,
} as const

export const ProtocolVersion = {
  TLS12: 0x0303,
  TLS13: 0x0304,
} as const

/** The one ExtensionType table (IANA registry), shared with the profiles and the ClientHello parser. */
export { ExtensionType } from '../fingerprint/extension-types.js'

export const NamedGroup = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  secp521r1: 0x0019,
  x25519: 0x001d,
  x448: 0x001e,
  ffdhe2048: 0x0100,
  ffdhe3072: 0x0101,
  X25519MLKEM768: 0x11ec,
} as const

export const SignatureScheme = {
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
  rsa_pkcs1_sha1: 0x0201,
  ecdsa_sha1: 0x0203,
  mldsa44: 0x0904,
  mldsa65: 0x0905,
  mldsa87: 0x0906,
} as const

export const AlertLevel = { warning: 1, fatal: 2 } as const

/** AlertDescription (RFC 8446 §6). */
export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  no_renegotiation: 100,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const
export type AlertDescription = (typeof AlertDescription)[keyof typeof AlertDescription]

const alertNames = new Map<number, string>(Object.entries(AlertDescription).map(([k, v]) => [v, k]))
export function alertName(code: number): string {
  return alertNames.get(code) ?? `alert_${code}`
}

const groupNames = new Map<number, string>(Object.entries(NamedGroup).map(([k, v]) => [v, k]))
export function groupName(code: number): string {
  return groupNames.get(code) ?? `0x${code.toString(16).padStart(4, '0')}`
}

const schemeNames = new Map<number, string>(Object.entries(SignatureScheme).map(([k, v]) => [v, k]))
export function signatureSchemeName(code: number): string {
  return schemeNames.get(code) ?? `0x${code.toString(16).padStart(4, '0')}`
}

/** Largest TLSPlaintext.fragment (RFC 8446 §5.1). */
export const MAX_PLAINTEXT = 1 << 14
/** Largest TLSCiphertext.encrypted_record (RFC 8446 §5.2): 2^14 + 256. */
export const MAX_CIPHERTEXT = (1 << 14) + 256
/** Largest TLS 1.2 TLSCiphertext.fragment (RFC 5246 §6.2.3): 2^14 + 2048. */
export const MAX_CIPHERTEXT_TLS12 = (1 << 14) + 2048
