import { createCipheriv, createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { TLS12_CIPHER_SUITES } from '../../../src/tls/crypto/cipher-suites12.js'
import { TlsBadRecordMacError } from '../../../src/tls/errors.js'
import { CbcProtection12 } from '../../../src/tls/record/protection12-cbc.js'
import { createProtection12 } from '../../../src/tls/record/protection12.js'
import type { RecordProtector } from '../../../src/tls/record/record-protector.js'

function pair(id: number): { writer: RecordProtector; reader: RecordProtector } {
  const suite = TLS12_CIPHER_SUITES.get(id)!
  const keys = {
    macKey: randomBytes(suite.macKeyLength),
    key: randomBytes(suite.keyLength),
    iv: randomBytes(suite.fixedIvLength),
  }
  return { writer: createProtection12(suite, keys), reader: createProtection12(suite, keys) }
}

const open = (p: RecordProtector, record: Buffer) => p.open(record.subarray(0, 5), record.subarray(5))

describe('TLS 1.2 record protection', () => {
  for (const [id, suite] of TLS12_CIPHER_SUITES) {
    it(`${suite.name}: seal/open round trip keeps the outer type; a flipped byte or a replay fails`, () => {
      const { writer, reader } = pair(id)
      for (const [type, size] of [
        [23, 0],
        [22, 16],
        [21, 2],
        [23, 16384],
      ] as const) {
        const content = randomBytes(size)
        const record = writer.seal(type, content)
        expect(record[0]).toBe(type)
        expect(record.readUInt16BE(1)).toBe(0x0303)
        expect(record.readUInt16BE(3)).toBe(record.length - 5)
        expect(open(reader, record)).toEqual({ type, content })
      }
      const record = writer.seal(23, Buffer.from('hello'))
      const tampered = Buffer.from(record)
      tampered[tampered.length - 3]! ^= 0x80
      expect(() => open(reader, tampered)).toThrow(TlsBadRecordMacError)
      // The reader's sequence number moved on: the untampered record no longer authenticates.
      expect(() => open(reader, record)).toThrow(TlsBadRecordMacError)
    })
  }

  it('AES-GCM: the explicit nonce is the sequence number (RFC 5288 §3)', () => {
    const { writer } = pair(0xc02b)
    writer.seal(23, Buffer.alloc(1))
    const second = writer.seal(23, Buffer.alloc(1))
    expect(second.subarray(5, 13)).toEqual(Buffer.from('0000000000000001', 'hex'))
  })

  it('ChaCha20-Poly1305: no explicit nonce, 16-byte tag (RFC 7905)', () => {
    const { writer } = pair(0xcca8)
    expect(writer.seal(23, Buffer.alloc(10)).length).toBe(5 + 10 + 16)
  })
})

describe('TLS 1.2 CBC: padding and MAC failures are indistinguishable (RFC 5246 §6.2.3.2)', () => {
  const key = randomBytes(16)
  const macKey = randomBytes(20)

  /** A record built by hand: content ‖ MAC ‖ padding, where the padding can lie. */
  function record(content: Buffer, options: { padding: Buffer; badMac?: boolean }): Buffer {
    const header = Buffer.alloc(13)
    header[8] = 23
    header.writeUInt16BE(0x0303, 9)
    header.writeUInt16BE(content.length, 11)
    const mac = createHmac('sha1', macKey).update(header).update(content).digest()
    if (options.badMac) mac[0]! ^= 1
    const iv = randomBytes(16)
    const c = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false)
    const body = Buffer.concat([c.update(Buffer.concat([content, mac, options.padding])), c.final()])
    const out = Buffer.alloc(5 + 16 + body.length)
    out[0] = 23
    out.writeUInt16BE(0x0303, 1)
    out.writeUInt16BE(16 + body.length, 3)
    iv.copy(out, 5)
    body.copy(out, 21)
    return out
  }
  const reader = () => new CbcProtection12('aes-128-cbc', key, macKey)
  const content = Buffer.from('0123456789ab') // 12 + 20 MAC = 32: padding fills whole blocks

  it('accepts good padding of any legal length (1 block and 16 blocks)', () => {
    expect(open(reader(), record(content, { padding: Buffer.alloc(16, 15) })).content).toEqual(content)
    expect(open(reader(), record(content, { padding: Buffer.alloc(256, 255) })).content).toEqual(content)
  })

  it('bad padding byte, padding longer than the record, and bad MAC give the same error', () => {
    const errors: Error[] = []
    const attempt = (r: Buffer): void => {
      try {
        open(reader(), r)
      } catch (err) {
        errors.push(err as Error)
      }
    }
    const wrongByte = Buffer.alloc(16, 15)
    wrongByte[3] = 14
    attempt(record(content, { padding: wrongByte }))
    attempt(record(Buffer.alloc(0), { padding: Buffer.concat([Buffer.alloc(11, 200), Buffer.of(200)]) }))
    attempt(record(content, { padding: Buffer.alloc(16, 15), badMac: true }))
    expect(errors).toHaveLength(3)
    for (const e of errors) {
      expect(e).toBeInstanceOf(TlsBadRecordMacError)
      expect(e.message).toBe(errors[0]!.message)
    }
  })

  it('a fragment that is not whole blocks, or too short for IV + MAC, is bad_record_mac', () => {
    expect(() => reader().open(Buffer.of(23, 3, 3, 0, 40), Buffer.alloc(40))).toThrow(TlsBadRecordMacError)
    expect(() => reader().open(Buffer.of(23, 3, 3, 0, 32), Buffer.alloc(32))).toThrow(TlsBadRecordMacError)
  })
})
