/** One client key share (RFC 8446 §4.2.8) and how it meets the server's (types only). */
export interface KeyShare {
  readonly group: number
  readonly publicKey: Buffer
  /** Derives the shared secret from the server's key_exchange bytes; throws TlsProtocolError on a bad share. */
  deriveSecret(serverShare: Uint8Array): Buffer
}
