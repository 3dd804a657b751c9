import { createCipheriv, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { RecordProtection } from '../../../src/tls/record/protection.js'

/** The TLS 1.3 record a reference AES-128-GCM seals at sequence number `seq` (RFC 8446 §5.2, §5.3). */
function referenceRecord(key: Buffer, iv: Buffer, seq: bigint, type: number, content: Buffer): Buffer {
  const nonce = Buffer.from(iv)
  const padded = Buffer.alloc(8)
  padded.writeBigUInt64BE(seq)
  for (let i = 0; i < 8; i++) nonce[nonce.length - 8 + i]! ^= padded[i]!
  const inner = Buffer.concat([content, Buffer.of(type)])
  const header = Buffer.of(23, 0x03, 0x03, (inner.length + 16) >> 8, (inner.length + 16) & 0xff)
  const cipher = createCipheriv('aes-128-gcm', key, nonce, { authTagLength: 16 })
  cipher.setAAD(header)
  return Buffer.concat([header, cipher.update(inner), cipher.final(), cipher.getAuthTag()])
}

describe('TLS 1.3 record protection', () => {
  it('the per-record nonce is the IV XOR the 64-bit sequence number, across the 32-bit boundary (RFC 8446 §5.3)', () => {
    const key = randomBytes(16)
    const iv = randomBytes(12)
    const content = Buffer.from('hello')
    for (const seq of [0, 1, 255, 256, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 7, 2 ** 53 - 2]) {
      const p = new RecordProtection('aes-128-gcm', key, iv)
      // The sequence number is private; set it to reach the high words without 2^32 records.
      ;(p as unknown as { seq: number }).seq = seq
      expect(p.seal(23, content)).toEqual(referenceRecord(key, iv, BigInt(seq), 23, content))
      expect(p.sequence).toBe(seq + 1)
    }
  })

  it('a sealed record opens on the peer side with the same keys, in order', () => {
    const key = randomBytes(16)
    const iv = randomBytes(12)
    const writer = new RecordProtection('aes-128-gcm', key, iv)
    const reader = new RecordProtection('aes-128-gcm', key, iv)
    for (const text of ['one', 'two', 'three']) {
      const record = writer.seal(23, Buffer.from(text))
      const opened = reader.open(record.subarray(0, 5), record.subarray(5))
      expect(opened.type).toBe(23)
      expect(opened.content.toString()).toBe(text)
    }
  })

  it('a cipher made ahead seals and opens the record of its own sequence number, once', () => {
    const key = randomBytes(16)
    const iv = randomBytes(12)
    for (const start of [0, 7, 2 ** 32 - 1]) {
      const writer = new RecordProtection('aes-128-gcm', key, iv)
      const reader = new RecordProtection('aes-128-gcm', key, iv)
      ;(writer as unknown as { seq: number }).seq = start
      ;(reader as unknown as { seq: number }).seq = start
      // Ahead before some records, not before others; a second makeAhead keeps the first.
      const aheadAt = new Set([0, 1, 3])
      for (let i = 0; i < 5; i++) {
        if (aheadAt.has(i)) {
          writer.makeAhead('seal')
          writer.makeAhead('seal')
          reader.makeAhead('open')
        }
        const content = Buffer.from(`record ${i}`)
        const record = writer.seal(23, content)
        expect(record).toEqual(referenceRecord(key, iv, BigInt(start + i), 23, content))
        const opened = reader.open(record.subarray(0, 5), record.subarray(5))
        expect(opened.content).toEqual(content)
      }
      expect(writer.sequence).toBe(start + 5)
      expect(reader.sequence).toBe(start + 5)
    }
  })

  it('a decipher made ahead still refuses a record that fails authentication', () => {
    const key = randomBytes(16)
    const iv = randomBytes(12)
    const record = new RecordProtection('aes-128-gcm', key, iv).seal(23, Buffer.from('tamper me'))
    record[7]! ^= 1
    const reader = new RecordProtection('aes-128-gcm', key, iv)
    reader.makeAhead('open')
    expect(() => reader.open(record.subarray(0, 5), record.subarray(5))).toThrow(/bad_record_mac|authentication/i)
  })

  it('a cipher made ahead for sealing is not taken by a record being opened (and the other way round)', () => {
    const key = randomBytes(16)
    const iv = randomBytes(12)
    const writer = new RecordProtection('aes-128-gcm', key, iv)
    const record = writer.seal(23, Buffer.from('either way'))
    const p = new RecordProtection('aes-128-gcm', key, iv)
    p.makeAhead('seal')
    expect(p.open(record.subarray(0, 5), record.subarray(5)).content.toString()).toBe('either way')
    const q = new RecordProtection('aes-128-gcm', key, iv)
    q.makeAhead('open')
    expect(q.seal(23, Buffer.from('either way'))).toEqual(record)
  })

  it('no cipher is made ahead once the sequence number is exhausted (RFC 8446 §5.5)', () => {
    const p = new RecordProtection('aes-128-gcm', randomBytes(16), randomBytes(12))
    ;(p as unknown as { seq: number }).seq = Number.MAX_SAFE_INTEGER
    p.makeAhead('seal')
    expect(() => p.seal(23, Buffer.from('x'))).toThrow(/exhausted/)
  })
})
