/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1): HKDF-Extract/Expand-Label, Derive-Secret, and the
 * traffic keys of §7.3. HMAC and hashes come from node:crypto.
 */
import { createHash, createHmac, createSecretKey } from 'node:crypto'
import type { HashAlgorithm } from './cipher-suites.js'

export function hkdfExtract(hash: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Buffer {
  return createHmac(hash, salt).update(ikm).digest()
}

/** HKDF-Expand (RFC 5869 §2.3). */
export function hkdfExpand(hash: HashAlgorithm, prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  // Not from the shared allocUnsafe pool: a secret kept for the connection's life would pin an 8 KiB slab.
  const out = Buffer.alloc(length)
  let prev: Buffer = Buffer.alloc(0)
  let filled = 0
  // One KeyObject for every block: HMAC from a raw Buffer key re-imports it per call (slow on Node 24).
  const key = length > hashLength(hash) ? createSecretKey(prk) : prk
  for (let i = 1; filled < length; i++) {
    prev = createHmac(hash, key).update(prev).update(info).update(Buffer.of(i)).digest()
    prev.copy(out, filled, 0, Math.min(prev.length, length - filled))
    filled += prev.length
  }
  return out
}

/** HKDF-Expand-Label (RFC 8446 §7.1): label is given without the "tls13 " prefix. */
export function hkdfExpandLabel(
  hash: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, 'ascii')
  const info = Buffer.allocUnsafe(2 + 1 + fullLabel.length + 1 + context.length)
  info.writeUInt16BE(length, 0)
  info[2] = fullLabel.length
  fullLabel.copy(info, 3)
  info[3 + fullLabel.length] = context.length
  info.set(context, 4 + fullLabel.length)
  return hkdfExpand(hash, secret, info, length)
}

export function hashLength(hash: HashAlgorithm): number {
  return hash === 'sha256' ? 32 : 48
}

export function emptyHash(hash: HashAlgorithm): Buffer {
  return createHash(hash).digest()
}

/** Derive-Secret(Secret, Label, Messages) with the transcript hash already computed. */
export function deriveSecret(
  hash: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Buffer {
  return hkdfExpandLabel(hash, secret, label, transcriptHash, hashLength(hash))
}

/** Traffic key and IV from a traffic secret (RFC 8446 §7.3). */
export function trafficKeys(
  hash: HashAlgorithm,
  secret: Uint8Array,
  keyLength: number,
  ivLength: number,
): { key: Buffer; iv: Buffer } {
  return {
    key: hkdfExpandLabel(hash, secret, 'key', Buffer.alloc(0), keyLength),
    iv: hkdfExpandLabel(hash, secret, 'iv', Buffer.alloc(0), ivLength),
  }
}

/** application_traffic_secret_N+1 (RFC 8446 §7.2, KeyUpdate). */
export function nextTrafficSecret(hash: HashAlgorithm, secret: Uint8Array): Buffer {
  return hkdfExpandLabel(hash, secret, 'traffic upd', Buffer.alloc(0), hashLength(hash))
}

/** finished_key and verify_data (RFC 8446 §4.4.4). */
export function finishedVerifyData(hash: HashAlgorithm, baseKey: Uint8Array, transcriptHash: Uint8Array): Buffer {
  const finishedKey = hkdfExpandLabel(hash, baseKey, 'finished', Buffer.alloc(0), hashLength(hash))
  return createHmac(hash, finishedKey).update(transcriptHash).digest()
}

/** Secrets of one handshake, derived stage by stage (RFC 8446 §7.1). */
export class KeySchedule13 {
  private readonly zeros: Buffer
  earlySecret: Buffer
  handshakeSecret: Buffer | undefined
  masterSecret: Buffer | undefined

  constructor(
    readonly hash: HashAlgorithm,
    psk?: Uint8Array,
  ) {
    this.zeros = Buffer.alloc(hashLength(hash))
    this.earlySecret = hkdfExtract(hash, this.zeros, psk ?? this.zeros)
  }

  /** binder_key for a resumption PSK (RFC 8446 §7.1). */
  resumptionBinderKey(): Buffer {
    return deriveSecret(this.hash, this.earlySecret, 'res binder', emptyHash(this.hash))
  }

  /** Mixes the (EC)DHE shared secret in; returns client/server handshake traffic secrets. */
  handshake(sharedSecret: Uint8Array, helloHash: Uint8Array): { client: Buffer; server: Buffer } {
    const derived = deriveSecret(this.hash, this.earlySecret, 'derived', emptyHash(this.hash))
    this.handshakeSecret = hkdfExtract(this.hash, derived, sharedSecret)
    return {
      client: deriveSecret(this.hash, this.handshakeSecret, 'c hs traffic', helloHash),
      server: deriveSecret(this.hash, this.handshakeSecret, 's hs traffic', helloHash),
    }
  }

  /** Application traffic secrets and the exporter secret, from the transcript through server Finished. */
  application(serverFinishedHash: Uint8Array): { client: Buffer; server: Buffer; exporter: Buffer } {
    if (!this.handshakeSecret) throw new Error('key schedule: handshake secret not derived yet')
    const derived = deriveSecret(this.hash, this.handshakeSecret, 'derived', emptyHash(this.hash))
    this.masterSecret = hkdfExtract(this.hash, derived, this.zeros)
    return {
      client: deriveSecret(this.hash, this.masterSecret, 'c ap traffic', serverFinishedHash),
      server: deriveSecret(this.hash, this.masterSecret, 's ap traffic', serverFinishedHash),
      exporter: deriveSecret(this.hash, this.masterSecret, 'exp master', serverFinishedHash),
    }
  }

  /** resumption_master_secret, from the transcript through client Finished. */
  resumptionMasterSecret(clientFinishedHash: Uint8Array): Buffer {
    if (!this.masterSecret) throw new Error('key schedule: master secret not derived yet')
    return deriveSecret(this.hash, this.masterSecret, 'res master', clientFinishedHash)
  }
}

/** PSK for a ticket: HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length). */
export function ticketPsk(hash: HashAlgorithm, resumptionMasterSecret: Uint8Array, nonce: Uint8Array): Buffer {
  return hkdfExpandLabel(hash, resumptionMasterSecret, 'resumption', nonce, hashLength(hash))
}
