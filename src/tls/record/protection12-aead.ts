/**
 * TLS 1.2 AEAD record protection for one direction (RFC 5246 §6.2.3.3): AES-GCM with a 4-byte
 * implicit salt and an 8-byte explicit nonce carried in the record, set to the sequence number
 * (RFC 5288 §3), and ChaCha20-Poly1305 with nonce = IV XOR sequence number and no explicit part
 * (RFC 7905 §2). additional_data = seq_num ‖ type ‖ version ‖ length (RFC 5246 §6.2.3.3).
 */
import { createCipheriv, createDecipheriv, createSecretKey, type CipherGCMTypes, type KeyObject } from 'node:crypto'
import { TlsBadRecordMacError } from '../errors.js'
import type { RecordProtector } from './record-protector.js'
import { SequenceNumber } from './sequence.js'

const TAG_LENGTH = 16
const EXPLICIT_NONCE_LENGTH = 8

export type Aead12Mode = 'gcm' | 'chacha20-poly1305'

export class AeadProtection12 implements RecordProtector {
  private readonly seq = new SequenceNumber()
  private readonly explicitLength: number
  private readonly nonce = Buffer.alloc(12)
  private readonly aad = Buffer.alloc(13)
  /** A KeyObject made once: ciphers created from a raw Buffer key convert it on every record. */
  private readonly key: KeyObject

  /**
   * @param cipher node:crypto name (aes-128-gcm, aes-256-gcm, chacha20-poly1305)
   * @param key write key, bytes
   * @param iv the key block IV: 4 bytes (GCM salt) or 12 bytes (ChaCha20-Poly1305)
   */
  constructor(
    private readonly mode: Aead12Mode,
    private readonly cipher: string,
    key: Buffer,
    private readonly iv: Buffer,
  ) {
    this.key = createSecretKey(key)
    this.explicitLength = mode === 'gcm' ? EXPLICIT_NONCE_LENGTH : 0
    if (iv.length !== (mode === 'gcm' ? 4 : 12))
      throw new RangeError(`TLS 1.2 ${mode} needs a ${mode === 'gcm' ? 4 : 12}-byte IV, got ${iv.length}`)
  }

  get sequence(): number {
    return this.seq.value
  }

  /** Builds the nonce and the additional data for one record; returns the sequence bytes (the GCM explicit nonce). */
  private prepare(type: number, version: number, plaintextLength: number, explicit?: Uint8Array): Buffer {
    const seq = this.seq.next()
    if (this.mode === 'gcm') {
      this.iv.copy(this.nonce, 0)
      this.nonce.set(explicit ?? seq, 4)
    } else {
      this.iv.copy(this.nonce, 0)
      for (let i = 0; i < 8; i++) this.nonce[4 + i]! ^= seq[i]!
    }
    seq.copy(this.aad, 0)
    this.aad[8] = type
    this.aad.writeUInt16BE(version, 9)
    this.aad.writeUInt16BE(plaintextLength, 11)
    return seq
  }

  seal(contentType: number, content: Uint8Array): Buffer {
    const length = this.explicitLength + content.length + TAG_LENGTH
    const record = Buffer.allocUnsafe(5 + length)
    record[0] = contentType
    record.writeUInt16BE(0x0303, 1)
    record.writeUInt16BE(length, 3)
    const seq = this.prepare(contentType, 0x0303, content.length)
    let off = 5
    if (this.explicitLength) off += seq.copy(record, off)
    const c = createCipheriv(this.cipher as CipherGCMTypes, this.key, this.nonce, { authTagLength: TAG_LENGTH })
    c.setAAD(this.aad)
    off += c.update(content).copy(record, off)
    off += c.final().copy(record, off)
    c.getAuthTag().copy(record, off)
    return record
  }

  open(header: Uint8Array, fragment: Uint8Array): { type: number; content: Buffer } {
    const type = header[0]!
    const version = (header[1]! << 8) | header[2]!
    if (fragment.length < this.explicitLength + TAG_LENGTH) {
      throw new TlsBadRecordMacError(
        'TLS 1.2 AEAD record shorter than its nonce and tag (RFC 5246 §6.2.3.3 bad_record_mac)',
      )
    }
    const explicit = this.explicitLength ? fragment.subarray(0, this.explicitLength) : undefined
    const ciphertext = fragment.subarray(this.explicitLength, fragment.length - TAG_LENGTH)
    this.prepare(type, version, ciphertext.length, explicit)
    const d = createDecipheriv(this.cipher as CipherGCMTypes, this.key, this.nonce, { authTagLength: TAG_LENGTH })
    d.setAAD(this.aad)
    d.setAuthTag(fragment.subarray(fragment.length - TAG_LENGTH))
    try {
      const a = d.update(ciphertext)
      const b = d.final()
      return { type, content: b.length ? Buffer.concat([a, b]) : a }
    } catch {
      throw new TlsBadRecordMacError()
    }
  }
}
