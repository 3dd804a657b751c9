/**
 * TLS 1.2 block-cipher record protection for one direction (RFC 5246 §6.2.3.2): AES-CBC with a
 * fresh random explicit IV per record, HMAC-SHA1 MAC-then-encrypt.
 *
 * Opening is written against padding oracles (Vaudenay; Lucky Thirteen, AlFardan & Paterson 2013)
 * as far as JavaScript allows: every one of the last min(256, length) bytes is examined whatever the
 * padding length says; a bad padding is treated as zero-length padding and the MAC is still computed
 * (RFC 5246 §6.2.3.2); a dummy HMAC over the padding bytes keeps the number of bytes hashed the same
 * for every padding length; bad padding and bad MAC throw the same TlsBadRecordMacError. JIT and
 * node:crypto call overheads are not constant-time, so this narrows the timing signal but cannot
 * remove it; AEAD suites are preferred by every profile for that reason.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto'
import { TlsBadRecordMacError } from '../errors.js'
import type { RecordProtector } from './record-protector.js'
import { SequenceNumber } from './sequence.js'

const BLOCK = 16
const MAC_LENGTH = 20

export class CbcProtection12 implements RecordProtector {
  private readonly seq = new SequenceNumber()
  private readonly macHeader = Buffer.alloc(13)
  /** KeyObjects made once: ciphers and HMACs created from raw Buffer keys convert them on every record. */
  private readonly key: KeyObject
  private readonly macKey: KeyObject

  /**
   * @param cipher node:crypto name (aes-128-cbc, aes-256-cbc)
   * @param key write key, bytes
   * @param macKey HMAC-SHA1 write MAC key, 20 bytes
   */
  constructor(
    private readonly cipher: 'aes-128-cbc' | 'aes-256-cbc',
    key: Buffer,
    macKey: Buffer,
  ) {
    if (macKey.length !== MAC_LENGTH)
      throw new RangeError(`HMAC-SHA1 key must be ${MAC_LENGTH} bytes, got ${macKey.length}`)
    this.key = createSecretKey(key)
    this.macKey = createSecretKey(macKey)
  }

  get sequence(): number {
    return this.seq.value
  }

  /** seq_num ‖ type ‖ version ‖ length, the MAC's header (RFC 5246 §6.2.3.1). */
  private header(type: number, version: number, length: number): Buffer {
    this.seq.next().copy(this.macHeader, 0)
    this.macHeader[8] = type
    this.macHeader.writeUInt16BE(version, 9)
    this.macHeader.writeUInt16BE(length, 11)
    return this.macHeader
  }

  seal(contentType: number, content: Uint8Array): Buffer {
    const mac = createHmac('sha1', this.macKey)
      .update(this.header(contentType, 0x0303, content.length))
      .update(content)
      .digest()
    const padLength = (BLOCK - ((content.length + MAC_LENGTH + 1) % BLOCK)) % BLOCK
    const padding = Buffer.alloc(padLength + 1, padLength)
    const iv = randomBytes(BLOCK)
    const c = createCipheriv(this.cipher, this.key, iv).setAutoPadding(false)
    const body = Buffer.concat([c.update(content), c.update(mac), c.update(padding), c.final()])
    const record = Buffer.allocUnsafe(5 + BLOCK + body.length)
    record[0] = contentType
    record.writeUInt16BE(0x0303, 1)
    record.writeUInt16BE(BLOCK + body.length, 3)
    iv.copy(record, 5)
    body.copy(record, 5 + BLOCK)
    return record
  }

  open(header: Uint8Array, fragment: Uint8Array): { type: number; content: Buffer } {
    const type = header[0]!
    const version = (header[1]! << 8) | header[2]!
    // IV + at least MAC + padding_length rounded up to whole blocks.
    const minLength = BLOCK + Math.ceil((MAC_LENGTH + 1) / BLOCK) * BLOCK
    if (fragment.length < minLength || fragment.length % BLOCK !== 0) {
      this.seq.next()
      throw new TlsBadRecordMacError()
    }
    const d = createDecipheriv(this.cipher, this.key, fragment.subarray(0, BLOCK)).setAutoPadding(false)
    const a = d.update(fragment.subarray(BLOCK))
    const b = d.final()
    const plain = b.length ? Buffer.concat([a, b]) : a
    const n = plain.length
    const padLength = plain[n - 1]!

    // Padding check over a fixed window: mask selects the padLength + 1 trailing bytes.
    let good = ((n - MAC_LENGTH - 1 - padLength) >>> 31) ^ 1 // 1 when padLength fits
    const window = Math.min(256, n)
    let diff = 0
    for (let i = 0; i < window; i++) {
      const mask = ((i - padLength - 1) >> 31) & 0xff // 0xff while i <= padLength
      diff |= (plain[n - 1 - i]! ^ padLength) & mask
    }
    good &= ((diff - 1) >>> 31) & 1 // 1 when diff === 0
    const strip = padLength & -good // bad padding: as if zero-length (RFC 5246 §6.2.3.2)
    const contentLength = n - MAC_LENGTH - 1 - strip

    const mac = createHmac('sha1', this.macKey)
      .update(this.header(type, version, contentLength))
      .update(plain.subarray(0, contentLength))
      .digest()
    // Lucky Thirteen: hash the bytes the real MAC skipped too, so the work does not depend on padLength.
    createHmac('sha1', this.macKey)
      .update(plain.subarray(contentLength + MAC_LENGTH, n - 1))
      .digest()
    const macOk = timingSafeEqual(mac, plain.subarray(contentLength, contentLength + MAC_LENGTH)) ? 1 : 0
    if ((good & macOk) !== 1) throw new TlsBadRecordMacError()
    return { type, content: plain.subarray(0, contentLength) }
  }
}
