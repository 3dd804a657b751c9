/**
 * One direction's record protection for TLS 1.3 (RFC 8446 §5.2–5.3): AEAD key, static IV and
 * the 64-bit sequence number. The record layer owns two of these; the handshake only installs keys.
 */
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type CipherGCM,
  type CipherGCMTypes,
  type DecipherGCM,
  type KeyObject,
} from 'node:crypto'
import type { AeadAlgorithm } from '../crypto/cipher-suites.js'
import { TlsBadRecordMacError, TlsProtocolError } from '../errors.js'
import { AlertDescription } from '../constants.js'

const TAG_LENGTH = 16
/** One options object for every cipher of the connection (both AEADs take the tag length). */
const AEAD_OPTIONS = Object.freeze({ authTagLength: TAG_LENGTH })
/** RFC 8446 §5.5: a sequence number must not wrap; we stop well before 2^64. */
const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER

export class RecordProtection {
  private seq = 0
  /**
   * The per-record nonce: the static IV with the sequence number XORed into its last 8 bytes
   * (RFC 8446 §5.3). Its first bytes are the IV's and never change; the IV's last 8 bytes are kept
   * as two 32-bit words, so that no copy of the IV lives beside it.
   */
  private readonly nonce: Buffer
  private readonly ivHigh: number
  private readonly ivLow: number

  /** A KeyObject made once: creating ciphers from a raw Buffer key converts it on every record. */
  private readonly key: KeyObject
  /**
   * The cipher (a write direction) or decipher (a read direction) of the next record, made ahead by
   * `makeAhead` while the connection waits on its peer; used by the next `seal` or `open`.
   */
  private ahead: CipherGCM | DecipherGCM | undefined
  /** What `ahead` was made for; a record of the other use does not take it. */
  private aheadUse: 'seal' | 'open' | undefined

  constructor(
    readonly aead: AeadAlgorithm,
    key: Buffer,
    iv: Buffer,
  ) {
    this.key = createSecretKey(key)
    // Not pooled (Buffer.from would slice the shared 8 KiB pool, which a long-lived nonce keeps alive).
    this.nonce = Buffer.alloc(iv.length)
    iv.copy(this.nonce)
    this.ivHigh = iv.readUInt32BE(iv.length - 8)
    this.ivLow = iv.readUInt32BE(iv.length - 4)
  }

  get sequence(): number {
    return this.seq
  }

  /** The nonce of the next record: iv XOR the padded sequence number (RFC 8446 §5.3). */
  private nextNonce(): Buffer {
    if (this.seq >= MAX_SEQUENCE) {
      throw new TlsProtocolError(
        'sequence_number_exhausted',
        'record sequence number exhausted (RFC 8446 §5.5); the connection must be rekeyed or closed',
        AlertDescription.internal_error,
      )
    }
    const s = this.seq
    const nonce = this.nonce
    const at = nonce.length - 8
    nonce.writeUInt32BE((this.ivHigh ^ Math.floor(s / 0x1_0000_0000)) >>> 0, at)
    nonce.writeUInt32BE((this.ivLow ^ s) >>> 0, at + 4)
    return nonce
  }

  /** The cipher (`seal`) or decipher (`open`) of the next record: the one made ahead, else a new one; the sequence number moves on. */
  private next(use: 'seal' | 'open'): CipherGCM | DecipherGCM {
    const made = this.aheadUse === use ? this.ahead : undefined
    const aead = made ?? this.make(use)
    this.ahead = undefined
    this.aheadUse = undefined
    this.seq++
    return aead
  }

  /** A cipher or decipher keyed for the current sequence number. */
  private make(use: 'seal' | 'open'): CipherGCM | DecipherGCM {
    const nonce = this.nextNonce()
    return use === 'seal'
      ? createCipheriv(this.aead as CipherGCMTypes, this.key, nonce, AEAD_OPTIONS)
      : createDecipheriv(this.aead as CipherGCMTypes, this.key, nonce, AEAD_OPTIONS)
  }

  /**
   * Makes the next record's cipher (`seal`) or decipher (`open`) now, so that the record costs
   * less when it comes: a connection calls it after sending a request, while it waits for the
   * answer. The key and the nonce are the record's own (the object is keyed for one sequence
   * number); nothing is done when one is made already or the sequence number is exhausted.
   */
  makeAhead(use: 'seal' | 'open'): void {
    if (this.ahead !== undefined || this.seq >= MAX_SEQUENCE) return
    this.ahead = this.make(use)
    this.aheadUse = use
  }

  /**
   * Encrypts TLSInnerPlaintext (content ‖ type) into a full record (5-byte header + ciphertext).
   * The inner plaintext is laid out in the record buffer and encrypted with one `update` (both
   * AEADs are stream modes: the ciphertext has the plaintext's length), then copied over it in place.
   */
  seal(contentType: number, content: Uint8Array): Buffer {
    const n = content.length
    const length = n + 1 + TAG_LENGTH
    const record = Buffer.allocUnsafe(5 + length)
    record[0] = 23
    record[1] = 0x03
    record[2] = 0x03
    record[3] = length >>> 8
    record[4] = length & 0xff
    const cipher = this.next('seal') as CipherGCM
    cipher.setAAD(record.subarray(0, 5))
    record.set(content, 5)
    record[5 + n] = contentType
    const inner = record.subarray(5, 6 + n)
    cipher.update(inner).copy(record, 5)
    cipher.final()
    cipher.getAuthTag().copy(record, 6 + n)
    return record
  }

  /**
   * Decrypts one TLSCiphertext; returns the inner content type and content (padding removed).
   * Throws TlsBadRecordMacError on authentication failure.
   */
  open(header: Uint8Array, encrypted: Uint8Array): { type: number; content: Buffer } {
    if (encrypted.length < TAG_LENGTH + 1)
      throw new TlsBadRecordMacError('encrypted record shorter than the AEAD tag (RFC 8446 §5.2 bad_record_mac)')
    const decipher = this.next('open') as DecipherGCM
    decipher.setAAD(header)
    decipher.setAuthTag(encrypted.subarray(encrypted.length - TAG_LENGTH))
    let plain: Buffer
    try {
      const a = decipher.update(encrypted.subarray(0, encrypted.length - TAG_LENGTH))
      const b = decipher.final()
      plain = b.length ? Buffer.concat([a, b]) : a
    } catch {
      throw new TlsBadRecordMacError()
    }
    let i = plain.length - 1
    while (i >= 0 && plain[i] === 0) i--
    if (i < 0)
      throw new TlsProtocolError(
        'inner_plaintext_without_content_type',
        'TLSInnerPlaintext has no non-zero content type (RFC 8446 §5.4)',
        AlertDescription.unexpected_message,
      )
    return { type: plain[i]!, content: plain.subarray(0, i) }
  }
}
