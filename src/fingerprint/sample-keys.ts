/**
 * Fresh public key shares of the right shape for a plan, with the private halves thrown away:
 * for showing what a profile sends (`hotconn fingerprint --profile`) and for tests. The TLS
 * engine generates and keeps its own keys.
 *
 * Sizes (RFC 8446 §4.2.8.2, RFC 7919, draft-ietf-tls-ecdhe-mlkem): x25519 32 bytes, secp256r1 65,
 * secp384r1 97, secp521r1 133 (uncompressed points), X25519MLKEM768 1216 (ML-KEM-768 encapsulation
 * key 1184 ‖ X25519 32), ffdhe2048 256, ffdhe3072 384 (random, not a real DH share).
 */
import { createECDH, generateKeyPairSync, randomBytes } from 'node:crypto'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import type { ClientHelloPlan } from './spec.js'

export interface SampleKeyShare {
  readonly group: number
  readonly keyExchange: Uint8Array
}

function x25519Public(): Buffer {
  const { publicKey } = generateKeyPairSync('x25519')
  const jwk = publicKey.export({ format: 'jwk' })
  return Buffer.from(jwk.x ?? '', 'base64url')
}

function ecdhPublic(curve: string): Buffer {
  const ecdh = createECDH(curve)
  return ecdh.generateKeys()
}

/** One public share for `group`; `x25519` is the X25519 half to embed in X25519MLKEM768. */
function sampleShare(group: number, x25519: Buffer): Uint8Array {
  switch (group) {
    case 0x001d:
      return x25519
    case 0x0017:
      return ecdhPublic('prime256v1')
    case 0x0018:
      return ecdhPublic('secp384r1')
    case 0x0019:
      return ecdhPublic('secp521r1')
    case 0x11ec:
      return Buffer.concat([ml_kem768.keygen().publicKey, x25519])
    case 0x0100:
      return randomBytes(256)
    case 0x0101:
      return randomBytes(384)
    default:
      return randomBytes(32)
  }
}

/**
 * One share per `plan.keyShareGroups`, in order. When `plan.spec.reuseX25519InHybrid` (Firefox),
 * the x25519 share equals the X25519 half (last 32 bytes) of the X25519MLKEM768 share; otherwise
 * the two are independent keys (Chromium).
 */
export function sampleKeyShares(plan: ClientHelloPlan): SampleKeyShare[] {
  const shared = x25519Public()
  return plan.keyShareGroups.map((group) => ({
    group,
    keyExchange: sampleShare(group, plan.spec.reuseX25519InHybrid || group === 0x001d ? shared : x25519Public()),
  }))
}
