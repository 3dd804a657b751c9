/** ML-KEM-768 key pairs from @noble/post-quantum with one made ahead: each used once, each a working pair. */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { describe, expect, it } from 'vitest'
import { nobleKeyPair, nobleSpareReady } from '../../../src/tls/crypto/mlkem-noble.js'

const nextCheckPhase = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('nobleKeyPair', () => {
  it('makes the next pair on the check phase after a pair is taken, and hands each pair out once', async () => {
    const seen = new Set<string>()
    for (let i = 0; i < 6; i++) {
      const pair = nobleKeyPair()
      expect(nobleSpareReady()).toBe(false)
      seen.add(hex(pair.publicKey))
      await nextCheckPhase()
      expect(nobleSpareReady()).toBe(true)
    }
    // Taken back to back: the waiting pair, then one made at once; still one made ahead afterwards.
    seen.add(hex(nobleKeyPair().publicKey))
    seen.add(hex(nobleKeyPair().publicKey))
    expect(seen.size).toBe(8)
    await nextCheckPhase()
    expect(nobleSpareReady()).toBe(true)
  })

  it('every pair, made ahead or not, decapsulates what its encapsulation key encapsulated', async () => {
    for (let i = 0; i < 3; i++) {
      const pair = nobleKeyPair()
      const { cipherText, sharedSecret } = ml_kem768.encapsulate(pair.publicKey)
      expect(hex(ml_kem768.decapsulate(cipherText, pair.secretKey))).toBe(hex(sharedSecret))
      if (i === 1) await nextCheckPhase()
    }
  })
})
