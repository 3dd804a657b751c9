import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { outgoingRecords } from '../../../src/tls/record/fragment.js'
import { RecordProtection } from '../../../src/tls/record/protection.js'
import { RecordReader } from '../../../src/tls/record/record-reader.js'

describe('outgoing records', () => {
  it('cuts data into records of at most the send limit, sealed in order, as one buffer (RFC 8446 §5.1)', () => {
    const key = randomBytes(16)
    const iv = randomBytes(12)
    const data = randomBytes(2500)
    const out = outgoingRecords(new RecordProtection('aes-128-gcm', key, iv), 23, data, 1000)
    const reader = new RecordReader()
    reader.push(out)
    const opener = new RecordProtection('aes-128-gcm', key, iv)
    const pieces: Buffer[] = []
    for (let r = reader.next(); r !== undefined; r = reader.next())
      pieces.push(opener.open(r.header, r.fragment).content)
    expect(pieces.map((p) => p.length)).toEqual([1000, 1000, 500])
    expect(Buffer.concat(pieces)).toEqual(data)
    expect(reader.pending).toBe(0)
  })

  it('writes TLSPlaintext records (version 0x0303) when no protection is installed', () => {
    const out = outgoingRecords(undefined, 21, Buffer.of(1, 0), 16384)
    expect(out).toEqual(Buffer.of(21, 3, 3, 0, 2, 1, 0))
  })
})
