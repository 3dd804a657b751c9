/**
 * The shape of one direction's record protection, whatever the version: TLS 1.3 AEAD
 * (`RecordProtection`), TLS 1.2 AEAD (`AeadProtection12`) or TLS 1.2 CBC + HMAC (`CbcProtection12`).
 * The connection only seals and opens; the handshake installs one of these per direction.
 */
export interface RecordProtector {
  /** Protects `content` of `contentType` into a whole record: 5-byte header ‖ protected fragment. */
  seal(contentType: number, content: Uint8Array): Buffer
  /**
   * Opens one record (its 5-byte header and fragment); returns the content type and the plaintext.
   * @throws TlsBadRecordMacError when the record fails authentication.
   */
  open(header: Uint8Array, fragment: Uint8Array): { type: number; content: Buffer }
  /**
   * Makes the next record's cipher (`seal`) or decipher (`open`) now, for a record expected later;
   * TLS 1.3 only (a TLS 1.2 GCM record carries its own explicit nonce).
   */
  makeAhead?(use: 'seal' | 'open'): void
}
