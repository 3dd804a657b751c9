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
})
