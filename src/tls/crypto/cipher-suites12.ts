/**
 * TLS 1.2 cipher suites hotconn implements (every one a shipped profile offers): key exchange,
 * authentication, bulk cipher and PRF hash of each (RFC 5246 §A.5, RFC 5288, RFC 5289,
 * RFC 7905, RFC 8422 §6).
 */
import type { HashAlgorithm } from './cipher-suites.js'

/** How the premaster secret is agreed: ephemeral ECDH (RFC 8422) or RSA key transport (RFC 5246 §7.4.7.1). */
export type KeyExchange12 = 'ecdhe' | 'rsa'
/** Key type the server certificate must carry. */
export type Authentication12 = 'ecdsa' | 'rsa'
/** Record protection: AES-GCM (RFC 5288), ChaCha20-Poly1305 (RFC 7905), AES-CBC + HMAC-SHA1 (RFC 5246 §6.2.3.2). */
export type BulkMode12 = 'gcm' | 'chacha20-poly1305' | 'cbc'

export interface CipherSuite12 {
  readonly id: number
  /** IANA name, e.g. TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256. */
  readonly name: string
  readonly keyExchange: KeyExchange12
  readonly authentication: Authentication12
  readonly mode: BulkMode12
  /** node:crypto cipher name. */
  readonly cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305' | 'aes-128-cbc' | 'aes-256-cbc'
  /** bytes */
  readonly keyLength: number
  /** bytes of client/server_write_IV from the key block: 4 (GCM salt), 12 (ChaCha20), 0 (CBC: explicit IV per record). */
  readonly fixedIvLength: number
  /** bytes of the HMAC key (20 for HMAC-SHA1, 0 for AEADs). */
  readonly macKeyLength: number
  /** PRF hash (RFC 5246 §5: SHA-256 unless the suite says otherwise). */
  readonly prfHash: HashAlgorithm
}

function suite(
  id: number,
  name: string,
  keyExchange: KeyExchange12,
  authentication: Authentication12,
  cipher: CipherSuite12['cipher'],
  prfHash: HashAlgorithm = 'sha256',
): CipherSuite12 {
  const mode: BulkMode12 = cipher.endsWith('gcm') ? 'gcm' : cipher === 'chacha20-poly1305' ? 'chacha20-poly1305' : 'cbc'
  return {
    id,
    name,
    keyExchange,
    authentication,
    mode,
    cipher,
    keyLength: cipher.startsWith('aes-128') ? 16 : 32,
    fixedIvLength: mode === 'gcm' ? 4 : mode === 'cbc' ? 0 : 12,
    macKeyLength: mode === 'cbc' ? 20 : 0,
    prfHash,
  }
}

export const TLS12_CIPHER_SUITES: ReadonlyMap<number, CipherSuite12> = new Map(
  [
    suite(0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ecdhe', 'ecdsa', 'aes-128-gcm'),
    suite(0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ecdhe', 'ecdsa', 'aes-256-gcm', 'sha384'),
    suite(0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ecdhe', 'rsa', 'aes-128-gcm'),
    suite(0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ecdhe', 'rsa', 'aes-256-gcm', 'sha384'),
    suite(0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ecdhe', 'ecdsa', 'chacha20-poly1305'),
    suite(0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ecdhe', 'rsa', 'chacha20-poly1305'),
    suite(0xc009, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'ecdhe', 'ecdsa', 'aes-128-cbc'),
    suite(0xc00a, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'ecdhe', 'ecdsa', 'aes-256-cbc'),
    suite(0xc013, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'ecdhe', 'rsa', 'aes-128-cbc'),
    suite(0xc014, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'ecdhe', 'rsa', 'aes-256-cbc'),
    suite(0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256', 'rsa', 'rsa', 'aes-128-gcm'),
    suite(0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384', 'rsa', 'rsa', 'aes-256-gcm', 'sha384'),
    suite(0x002f, 'TLS_RSA_WITH_AES_128_CBC_SHA', 'rsa', 'rsa', 'aes-128-cbc'),
    suite(0x0035, 'TLS_RSA_WITH_AES_256_CBC_SHA', 'rsa', 'rsa', 'aes-256-cbc'),
  ].map((s) => [s.id, s]),
)
