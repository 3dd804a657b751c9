/**
 * TLS signature verification by SignatureScheme codepoint (RFC 8446 §4.2.3, RFC 8603 for SHA-1
 * legacy codepoints, draft-ietf-tls-mldsa for ML-DSA), with node:crypto `verify`.
 */
import * as crypto from 'node:crypto'
import { TlsUnsupportedError } from '../errors.js'

/** node:crypto `asymmetricKeyType` a scheme needs. */
export type SchemeKeyType = 'rsa' | 'rsa-pss' | 'ec' | 'ed25519' | 'ed448' | 'ml-dsa-44' | 'ml-dsa-65' | 'ml-dsa-87'

export interface SignatureSchemeInfo {
  readonly name: string
  /** Key the certificate must hold (RFC 8446 §4.4.3: the scheme must be compatible with the key). */
  readonly keyType: SchemeKeyType
  /** Named curve (node:crypto name) for the ECDSA schemes that fix one in TLS 1.3; undefined otherwise. */
  readonly curve: 'prime256v1' | 'secp384r1' | 'secp521r1' | undefined
  /** Digest for node:crypto `verify`; null for the pure schemes (EdDSA, ML-DSA). */
  readonly hash: 'sha1' | 'sha256' | 'sha384' | 'sha512' | null
  /** RSASSA-PSS (salt length = hash length, MGF1 with the same hash: RFC 8446 §4.2.3). */
  readonly pss: boolean
}

function info(
  name: string,
  keyType: SchemeKeyType,
  hash: SignatureSchemeInfo['hash'],
  pss = false,
  curve?: SignatureSchemeInfo['curve'],
): SignatureSchemeInfo {
  return Object.freeze({ name, keyType, curve, hash, pss })
}

const SCHEMES: ReadonlyMap<number, SignatureSchemeInfo> = new Map([
  [0x0401, info('rsa_pkcs1_sha256', 'rsa', 'sha256')],
  [0x0501, info('rsa_pkcs1_sha384', 'rsa', 'sha384')],
  [0x0601, info('rsa_pkcs1_sha512', 'rsa', 'sha512')],
  [0x0201, info('rsa_pkcs1_sha1', 'rsa', 'sha1')],
  [0x0403, info('ecdsa_secp256r1_sha256', 'ec', 'sha256', false, 'prime256v1')],
  [0x0503, info('ecdsa_secp384r1_sha384', 'ec', 'sha384', false, 'secp384r1')],
  [0x0603, info('ecdsa_secp521r1_sha512', 'ec', 'sha512', false, 'secp521r1')],
  [0x0203, info('ecdsa_sha1', 'ec', 'sha1')],
  [0x0804, info('rsa_pss_rsae_sha256', 'rsa', 'sha256', true)],
  [0x0805, info('rsa_pss_rsae_sha384', 'rsa', 'sha384', true)],
  [0x0806, info('rsa_pss_rsae_sha512', 'rsa', 'sha512', true)],
  [0x0809, info('rsa_pss_pss_sha256', 'rsa-pss', 'sha256', true)],
  [0x080a, info('rsa_pss_pss_sha384', 'rsa-pss', 'sha384', true)],
  [0x080b, info('rsa_pss_pss_sha512', 'rsa-pss', 'sha512', true)],
  [0x0807, info('ed25519', 'ed25519', null)],
  [0x0808, info('ed448', 'ed448', null)],
  [0x0904, info('mldsa44', 'ml-dsa-44', null)],
  [0x0905, info('mldsa65', 'ml-dsa-65', null)],
  [0x0906, info('mldsa87', 'ml-dsa-87', null)],
])

const HASH_LENGTH = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 } as const

/** Scheme details, or undefined for a codepoint hotconn does not know. */
export function signatureSchemeInfo(scheme: number): SignatureSchemeInfo | undefined {
  return SCHEMES.get(scheme)
}

/** Every SignatureScheme codepoint `verifySignature` knows (ML-DSA ones verify only where Node supports them). */
export function knownSignatureSchemes(): number[] {
  return [...SCHEMES.keys()]
}

export interface SchemeKeyOptions {
  /**
   * TLS 1.2 (RFC 5246 §7.4.1.4.1, RFC 8422 §5.1.1) reads the ecdsa_* codepoints as "ECDSA with this hash"
   * on any curve; TLS 1.3 (RFC 8446 §4.2.3) binds each to one curve. Default false (TLS 1.3 rule).
   */
  anyCurve?: boolean
}

/**
 * Whether `scheme` can be used with `key` (RFC 8446 §4.4.3: "the signature algorithm MUST be compatible
 * with the key in the sender's end-entity certificate"). False for unknown schemes.
 */
export function schemeMatchesKey(
  scheme: number,
  publicKeyOrCert: crypto.KeyObject | crypto.X509Certificate,
  options: SchemeKeyOptions = {},
): boolean {
  const s = SCHEMES.get(scheme)
  if (!s) return false
  const key = toPublicKey(publicKeyOrCert)
  if (key.asymmetricKeyType !== s.keyType) return false
  if (s.curve && !options.anyCurve) return key.asymmetricKeyDetails?.namedCurve === s.curve
  return true
}

let mldsaSupport: boolean | undefined

/** Whether this Node's crypto can verify ML-DSA (Node >= 24.7 with OpenSSL 3.5). */
export function mldsaSupported(): boolean {
  if (mldsaSupport === undefined) {
    try {
      crypto.generateKeyPairSync('ml-dsa-44' as Parameters<typeof crypto.generateKeyPairSync>[0] as 'ed25519')
      mldsaSupport = true
    } catch {
      mldsaSupport = false
    }
  }
  return mldsaSupport
}

/**
 * Verifies `signature` over `data` with the scheme's algorithm (RFC 8446 §4.2.3).
 * RSA-PSS uses salt length = hash length and MGF1 with the same hash; ECDSA signatures are DER.
 *
 * @param publicKeyOrCert the signer's key, or its certificate (node:crypto X509Certificate).
 * @returns true when the signature verifies; false when it does not, or when the key does not
 *   match the scheme (check `schemeMatchesKey` first to report that as its own error).
 * @throws TlsUnsupportedError (ERR_TLS_UNSUPPORTED) for an unknown codepoint, or for ML-DSA on a
 *   Node without ML-DSA support (before 24.7).
 */
export function verifySignature(
  scheme: number,
  publicKeyOrCert: crypto.KeyObject | crypto.X509Certificate,
  data: Uint8Array,
  signature: Uint8Array,
  options: SchemeKeyOptions = {},
): boolean {
  const s = SCHEMES.get(scheme)
  if (!s) {
    throw new TlsUnsupportedError(
      'unsupported_signature_scheme',
      `signature scheme 0x${scheme.toString(16).padStart(4, '0')} is not supported (RFC 8446 §4.2.3); the server chose a scheme hotconn did not offer`,
    )
  }
  if (s.keyType.startsWith('ml-dsa') && !mldsaSupported()) {
    throw new TlsUnsupportedError(
      'ml_dsa_needs_newer_node',
      `${s.name} signatures need Node.js >= 24.7 (running ${process.version}); upgrade Node or use a profile that does not offer ML-DSA`,
    )
  }
  if (!schemeMatchesKey(scheme, publicKeyOrCert, options)) return false
  const key = toPublicKey(publicKeyOrCert)
  const keyInput: crypto.VerifyKeyObjectInput | crypto.KeyObject = s.pss
    ? { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_LENGTH[s.hash!] }
    : s.keyType === 'rsa'
      ? { key, padding: crypto.constants.RSA_PKCS1_PADDING }
      : key
  try {
    return crypto.verify(s.hash, data, keyInput, signature)
  } catch {
    // OpenSSL throws on some malformed signatures (e.g. bad DER for ECDSA): that is a failed verification.
    return false
  }
}

function toPublicKey(k: crypto.KeyObject | crypto.X509Certificate): crypto.KeyObject {
  return k instanceof crypto.X509Certificate ? k.publicKey : k
}
