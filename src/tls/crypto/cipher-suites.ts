/** TLS 1.3 cipher suites (RFC 8446 §B.4) and their AEAD / hash parameters. */

export type AeadAlgorithm = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305'
export type HashAlgorithm = 'sha256' | 'sha384'

export interface CipherSuite13 {
  readonly id: number
  /** IANA name, e.g. TLS_AES_128_GCM_SHA256. */
  readonly name: string
  readonly aead: AeadAlgorithm
  readonly hash: HashAlgorithm
  /** bytes */
  readonly keyLength: number
  /** bytes (RFC 8446 §5.3: 12 for every suite) */
  readonly ivLength: number
  /** bytes of the hash output */
  readonly hashLength: number
}

export const TLS13_CIPHER_SUITES: ReadonlyMap<number, CipherSuite13> = new Map(
  (
    [
      {
        id: 0x1301,
        name: 'TLS_AES_128_GCM_SHA256',
        aead: 'aes-128-gcm',
        hash: 'sha256',
        keyLength: 16,
        ivLength: 12,
        hashLength: 32,
      },
      {
        id: 0x1302,
        name: 'TLS_AES_256_GCM_SHA384',
        aead: 'aes-256-gcm',
        hash: 'sha384',
        keyLength: 32,
        ivLength: 12,
        hashLength: 48,
      },
      {
        id: 0x1303,
        name: 'TLS_CHACHA20_POLY1305_SHA256',
        aead: 'chacha20-poly1305',
        hash: 'sha256',
        keyLength: 32,
        ivLength: 12,
        hashLength: 32,
      },
    ] as const
  ).map((s) => [s.id, s]),
)

export function cipherSuiteName(id: number): string {
  return TLS13_CIPHER_SUITES.get(id)?.name ?? `0x${id.toString(16).padStart(4, '0')}`
}
