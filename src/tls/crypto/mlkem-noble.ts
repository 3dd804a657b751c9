/**
 * ML-KEM-768 key pairs from @noble/post-quantum (FIPS 203), for a Node.js without native ML-KEM.
 * A key generation is pure JavaScript here (0.6–1 ms of CPU on Node 20), so one pair is made
 * ahead: when a ClientHello takes a pair, the next is made on the event loop's check phase that
 * follows (`setImmediate`), which is while the handshake waits for the server's answer. The next
 * ClientHello takes it without the wait. At most one pair waits; each is used for one handshake
 * only, as an ephemeral key must be (RFC 8446 §4.2.8), and a pair that waits is no more exposed
 * than the one of a handshake in flight. The refill does not keep the process alive.
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'

export interface NobleKeyPair {
  readonly publicKey: Uint8Array
  readonly secretKey: Uint8Array
}

let spare: NobleKeyPair | undefined
let refill: NodeJS.Immediate | undefined

function makeSpare(): void {
  refill = undefined
  spare ??= ml_kem768.keygen()
}

/** A fresh key pair: the one made ahead if it is ready, else one made now; either way the next is made ahead. */
export function nobleKeyPair(): NobleKeyPair {
  const pair = spare ?? ml_kem768.keygen()
  spare = undefined
  if (refill === undefined) {
    refill = setImmediate(makeSpare)
    refill.unref()
  }
  return pair
}

/** Whether a pair made ahead waits (for tests). */
export function nobleSpareReady(): boolean {
  return spare !== undefined
}
