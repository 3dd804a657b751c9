/** Picks the TLS 1.2 record protection for a cipher suite and one direction's keys. */
import type { CipherSuite12 } from '../crypto/cipher-suites12.js'
import type { DirectionKeys12 } from '../crypto/prf.js'
import { AeadProtection12 } from './protection12-aead.js'
import { CbcProtection12 } from './protection12-cbc.js'
import type { RecordProtector } from './record-protector.js'

export function createProtection12(suite: CipherSuite12, keys: DirectionKeys12): RecordProtector {
  if (suite.mode === 'cbc')
    return new CbcProtection12(suite.cipher as 'aes-128-cbc' | 'aes-256-cbc', keys.key, keys.macKey)
  return new AeadProtection12(suite.mode, suite.cipher, keys.key, keys.iv)
}
