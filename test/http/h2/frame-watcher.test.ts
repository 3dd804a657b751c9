/**
 * FrameWatcher (src/http/h2/frames.ts) reports END_STREAM and GOAWAY's last stream id and error
 * code from a server's frame stream, whatever the chunking (every split of the bytes, down to one
 * octet at a time), and skips every other payload.
 */
import { describe, expect, it } from 'vitest'
import { Flag, FrameType, FrameWatcher, encodeFrame } from '../../../src/http/h2/frames.js'

function goaway(last: number, code: number, debug = ''): Buffer {
  const payload = Buffer.alloc(8 + debug.length)
  payload.writeUInt32BE(last, 0)
  payload.writeUInt32BE(code, 4)
  payload.write(debug, 8, 'latin1')
  return encodeFrame(FrameType.GOAWAY, 0, 0, payload)
}

/** A server's flight: SETTINGS, a response with END_STREAM on DATA, a HEADERS-only response, GOAWAY, PING. */
const wire = Buffer.concat([
  encodeFrame(FrameType.SETTINGS, 0, 0, Buffer.alloc(6)),
  encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.from([0x88])),
  encodeFrame(FrameType.DATA, 0, 1, Buffer.alloc(100, 0x07)),
  encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, Buffer.alloc(10, 0x01)),
  encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3, Buffer.from([0x89])),
  goaway(5, 0, 'bye'),
  encodeFrame(FrameType.PING, 0, 0, Buffer.alloc(8, 0x01)),
  goaway(3, 2),
])

function watch(chunks: Buffer[]): string[] {
  const seen: string[] = []
  const w = new FrameWatcher({
    endStream: (id) => seen.push(`end ${id}`),
    goaway: (last, code) => seen.push(`goaway ${last} ${code}`),
  })
  for (const c of chunks) w.push(c)
  return seen
}

const expected = ['end 1', 'end 3', 'goaway 5 0', 'goaway 3 2']

describe('FrameWatcher', () => {
  it('reports END_STREAM and GOAWAY from one chunk', () => {
    expect(watch([wire])).toEqual(expected)
  })

  it('reports the same at every split point and one octet at a time', () => {
    for (let at = 1; at < wire.length; at++)
      expect(watch([wire.subarray(0, at), wire.subarray(at)]), `split at ${at}`).toEqual(expected)
    expect(watch([...wire].map((b) => Buffer.from([b])))).toEqual(expected)
  })

  it('ignores a GOAWAY too short to carry its fields (node:http2 reports that FRAME_SIZE_ERROR)', () => {
    expect(watch([encodeFrame(FrameType.GOAWAY, 0, 0, Buffer.alloc(4)), goaway(7, 0)])).toEqual(['goaway 7 0'])
  })
})
