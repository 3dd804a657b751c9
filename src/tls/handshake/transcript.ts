/**
 * The handshake transcript (RFC 8446 §4.4.1). Messages are kept until the cipher suite fixes the
 * hash; after that they are hashed as they pass. A HelloRetryRequest replaces ClientHello1 by a
 * synthetic message_hash message.
 */
import { createHash, type Hash } from 'node:crypto'
import type { HashAlgorithm } from '../crypto/cipher-suites.js'
import { HandshakeType } from '../constants.js'

export class Transcript {
  private pending: Buffer[] = []
  private h: Hash | undefined
  private algorithm: HashAlgorithm | undefined

  get hashAlgorithm(): HashAlgorithm | undefined {
    return this.algorithm
  }

  /** Adds the exact bytes of a handshake message (header included) as sent or received. */
  add(message: Uint8Array): void {
    if (this.h) this.h.update(message)
    else this.pending.push(Buffer.from(message))
  }

  /** Fixes the hash once the cipher suite is known, hashing what was buffered. */
  setHash(algorithm: HashAlgorithm): void {
    if (this.h) return
    this.algorithm = algorithm
    this.h = createHash(algorithm)
    for (const m of this.pending) this.h.update(m)
    this.pending = []
  }

  /** Hash of the transcript so far plus `extra`, with `algorithm` (the transcript's own once it is set). */
  digestWith(extra: Uint8Array, algorithm: HashAlgorithm): Buffer {
    if (this.h) return this.h.copy().update(extra).digest()
    const h = createHash(algorithm)
    for (const m of this.pending) h.update(m)
    return h.update(extra).digest()
  }

  /** Current transcript hash. */
  digest(): Buffer {
    if (!this.h) throw new Error('transcript: hash not set before digest')
    return this.h.copy().digest()
  }

  /**
   * RFC 8446 §4.4.1: on HelloRetryRequest, ClientHello1 is replaced by
   * message_hash(254) ‖ 00 00 Hash.length ‖ Hash(ClientHello1).
   */
  restartAfterHelloRetryRequest(algorithm: HashAlgorithm): void {
    const ch1 = createHash(algorithm)
    for (const m of this.pending) ch1.update(m)
    const digest = ch1.digest()
    this.pending = []
    this.algorithm = algorithm
    this.h = createHash(algorithm)
    this.h.update(Buffer.of(HandshakeType.message_hash, 0, 0, digest.length))
    this.h.update(digest)
  }
}
