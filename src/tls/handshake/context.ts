/** What the handshake needs from the connection it runs on: send, install keys, log secrets. */
import type { CipherSuite13 } from '../crypto/cipher-suites.js'
import type { RecordProtector } from '../record/record-protector.js'

export interface HandshakeIo {
  /** Writes a handshake message under the current write keys (plaintext before any are installed). */
  sendHandshake(message: Buffer): void
  /** Writes the middlebox-compatibility change_cipher_spec record (RFC 8446 §D.4). */
  sendChangeCipherSpec(): void
  setReadKeys(suite: CipherSuite13, secret: Buffer): void
  setWriteKeys(suite: CipherSuite13, secret: Buffer): void
  /** TLS 1.2: protects every record written from now on (right after our ChangeCipherSpec, RFC 5246 §7.1). */
  setWriteProtection(protection: RecordProtector): void
  /** NSS key log line (SSLKEYLOGFILE) for `label`, with the ClientHello random of this connection. */
  logSecret(label: string, secret: Buffer): void
  /** True when a partial handshake message is buffered: keys must not change then (RFC 8446 §5.1). */
  hasPartialHandshake(): boolean
}
