/**
 * One direction of the record layer as the connection holds it: its protection and, in TLS 1.3,
 * the suite and traffic secret that a KeyUpdate derives the next keys from (RFC 8446 §4.6.3, §7.2).
 */
import type { CipherSuite13 } from '../crypto/cipher-suites.js'
import { trafficKeys } from '../crypto/key-schedule.js'
import { RecordProtection } from './protection.js'
import type { RecordProtector } from './record-protector.js'

export interface Direction {
  readonly protection: RecordProtector
  /** TLS 1.3 only: the suite and traffic secret, for KeyUpdate. */
  readonly tls13?: { readonly suite: CipherSuite13; readonly secret: Buffer }
}

/** A TLS 1.3 direction keyed from its traffic secret (RFC 8446 §7.3). */
export function direction13(suite: CipherSuite13, secret: Buffer): Direction {
  const { key, iv } = trafficKeys(suite.hash, secret, suite.keyLength, suite.ivLength)
  return { protection: new RecordProtection(suite.aead, key, iv), tls13: { suite, secret } }
}
