/** RecordReader: records split over chunks, and detach() for chunks whose memory is reused. */
import { describe, expect, it } from 'vitest'
import { RecordReader } from '../../../src/tls/record/record-reader.js'

function record(type: number, fill: number, length: number): Buffer {
  const r = Buffer.alloc(5 + length, fill)
  r[0] = type
  r[1] = 3
  r[2] = 3
  r.writeUInt16BE(length, 3)
  return r
}

describe('RecordReader', () => {
  it('keeps a partial record intact after detach() when the chunk it came in is overwritten', () => {
    const a = record(23, 0xaa, 300)
    const b = record(23, 0xbb, 500)
    const wire = Buffer.concat([a, b])
    const reader = new RecordReader()
    // One read: the first record and the start of the second, in memory that the next read reuses.
    const shared = Buffer.alloc(wire.length)
    const cut = a.length + 123
    wire.copy(shared, 0, 0, cut)
    const first = shared.subarray(0, cut)
    reader.push(first)
    expect(reader.next()!.fragment).toEqual(a.subarray(5))
    expect(reader.next()).toBeUndefined()
    reader.detach(first)
    shared.fill(0)
    wire.copy(shared, 0, cut)
    const second = shared.subarray(0, wire.length - cut)
    reader.push(second)
    const rec = reader.next()!
    expect(rec.header).toEqual(b.subarray(0, 5))
    expect(rec.fragment).toEqual(b.subarray(5))
    expect(reader.pending).toBe(0)
  })

  it('leaves chunks of other memory as they are', () => {
    const reader = new RecordReader()
    const own = record(23, 1, 10).subarray(0, 8)
    reader.push(own)
    reader.detach(Buffer.alloc(4))
    expect(reader.pending).toBe(8)
    reader.push(record(23, 1, 10).subarray(8))
    expect(reader.next()!.fragment).toEqual(Buffer.alloc(10, 1))
  })

  it('reassembles records cut anywhere over reads into one reused buffer, header splits included', () => {
    let seed = 7
    const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n
    for (let round = 0; round < 60; round++) {
      const records = Array.from({ length: 6 }, (_, i) => record(23, i + 1, rand(3) === 0 ? rand(8) : rand(16_640)))
      const wire = Buffer.concat(records)
      const reader = new RecordReader()
      const shared = Buffer.alloc(wire.length)
      const out: Buffer[] = []
      for (let at = 0; at < wire.length;) {
        const n = Math.min(wire.length - at, 1 + (rand(4) === 0 ? rand(6) : rand(20_000)))
        wire.copy(shared, 0, at, at + n)
        const chunk = shared.subarray(0, n)
        reader.push(chunk)
        for (let r = reader.next(); r !== undefined; r = reader.next()) out.push(Buffer.concat([r.header, r.fragment]))
        reader.detach(chunk)
        shared.fill(0xee)
        at += n
      }
      expect(out).toEqual(records)
      expect(reader.pending).toBe(0)
    }
  })

  it('refuses an oversized length once the record is read, also when its header came in before detach()', () => {
    const reader = new RecordReader()
    const shared = Buffer.from([23, 3, 3, 0xff, 0xff, 1, 2])
    reader.push(shared)
    reader.detach(shared)
    shared.fill(0)
    reader.push(Buffer.alloc(3))
    expect(reader.pending).toBe(10)
    expect(() => reader.next()).toThrow(/exceeds/)
  })
})
