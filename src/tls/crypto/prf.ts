/**
 * The TLS 1.2 pseudorandom function and what is derived with it (RFC 5246 §5, §6.3, §7.4.9,
 * §8.1; RFC 7627 §4). HMAC comes from node:crypto.
 */
import { createHmac, createSecretKey } from 'node:crypto'
import type { HashAlgorithm } from './cipher-suites.js'

/** P_hash(secret, seed) truncated to `length` bytes (RFC 5246 §5). */
export function pHash(hash: HashAlgorithm, secret: Uint8Array, seed: Uint8Array, length: number): Buffer {
  // Not from the shared allocUnsafe pool: a master secret kept for resumption would pin an 8 KiB slab.
  const out = Buffer.alloc(length)
  // One KeyObject for all the HMACs: a raw Buffer key is re-imported on every createHmac (slow on Node 24).
  const key = createSecretKey(secret)
  let a: Buffer = createHmac(hash, key).update(seed).digest() // A(1)
  let filled = 0
  while (filled < length) {
    const block = createHmac(hash, key).update(a).update(seed).digest()
    filled += block.copy(out, filled, 0, Math.min(block.length, length - filled))
    a = createHmac(hash, key).update(a).digest()
  }
  return out
}

/** PRF(secret, label, seed) = P_<hash>(secret, label ‖ seed) (RFC 5246 §5). `label` is ASCII. */
export function prf(hash: HashAlgorithm, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Buffer {
  return pHash(hash, secret, Buffer.concat([Buffer.from(label, 'ascii'), seed]), length)
}

/** Bytes of the master secret (RFC 5246 §8.1). */
export const MASTER_SECRET_LENGTH = 48
/** Bytes of Finished.verify_data for every suite hotconn implements (RFC 5246 §7.4.9). */
export const VERIFY_DATA_LENGTH = 12

/** master_secret = PRF(pre_master_secret, "master secret", ClientHello.random ‖ ServerHello.random)[0..47] (RFC 5246 §8.1). */
export function masterSecret(
  hash: HashAlgorithm,
  preMasterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Buffer {
  return prf(hash, preMasterSecret, 'master secret', Buffer.concat([clientRandom, serverRandom]), MASTER_SECRET_LENGTH)
}

/**
 * master_secret = PRF(pre_master_secret, "extended master secret", session_hash)[0..47] (RFC 7627 §4),
 * with session_hash the transcript hash through ClientKeyExchange.
 */
export function extendedMasterSecret(
  hash: HashAlgorithm,
  preMasterSecret: Uint8Array,
  sessionHash: Uint8Array,
): Buffer {
  return prf(hash, preMasterSecret, 'extended master secret', sessionHash, MASTER_SECRET_LENGTH)
}

/** One direction's keys from the key block. */
export interface DirectionKeys12 {
  readonly macKey: Buffer
  readonly key: Buffer
  readonly iv: Buffer
}

/**
 * key_block = PRF(master_secret, "key expansion", server_random ‖ client_random), split as
 * client MAC, server MAC, client key, server key, client IV, server IV (RFC 5246 §6.3).
 * Lengths in bytes.
 */
export function keyBlock(
  hash: HashAlgorithm,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  lengths: { readonly macKeyLength: number; readonly keyLength: number; readonly fixedIvLength: number },
): { client: DirectionKeys12; server: DirectionKeys12 } {
  const { macKeyLength: m, keyLength: k, fixedIvLength: v } = lengths
  const block = prf(hash, master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), 2 * (m + k + v))
  let off = 0
  const take = (n: number): Buffer => Buffer.from(block.subarray(off, (off += n)))
  const clientMac = take(m)
  const serverMac = take(m)
  const clientKey = take(k)
  const serverKey = take(k)
  const clientIv = take(v)
  const serverIv = take(v)
  return {
    client: { macKey: clientMac, key: clientKey, iv: clientIv },
    server: { macKey: serverMac, key: serverKey, iv: serverIv },
  }
}

/**
 * Finished.verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11]
 * (RFC 5246 §7.4.9); `sender` picks "client finished" or "server finished".
 */
export function finishedVerifyData12(
  hash: HashAlgorithm,
  master: Uint8Array,
  sender: 'client' | 'server',
  transcriptHash: Uint8Array,
): Buffer {
  return prf(hash, master, `${sender} finished`, transcriptHash, VERIFY_DATA_LENGTH)
}
