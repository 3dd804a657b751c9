/**
 * HTTP/2 framing (RFC 9113 §4.1): frame types, the client preface, encoding one frame, and a
 * streaming splitter that hands each frame to a rewrite function without buffering DATA payloads.
 */

/** Frame types (RFC 9113 §6). */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const

/** Flags (RFC 9113 §6.1-6.2). */
export const Flag = {
  ACK: 0x1,
  END_STREAM: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const

/** The client connection preface (RFC 9113 §3.4). */
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

export const FRAME_HEADER_LENGTH = 9

/** A frame whose payload is held whole (every type but DATA). */
export interface Frame {
  type: number
  flags: number
  streamId: number
  payload: Buffer
}

/** Frame header ‖ payload. */
export function encodeFrame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + payload.length)
  out.writeUIntBE(payload.length, 0, 3)
  out[3] = type
  out[4] = flags
  out.writeUInt32BE(streamId & 0x7fffffff, 5)
  payload.copy(out, FRAME_HEADER_LENGTH)
  return out
}

/** A WINDOW_UPDATE frame (RFC 9113 §6.9). */
export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const payload = Buffer.allocUnsafe(4)
  payload.writeUInt32BE(increment & 0x7fffffff, 0)
  return encodeFrame(FrameType.WINDOW_UPDATE, 0, streamId, payload)
}

/** A SETTINGS frame (RFC 9113 §6.5) with the parameters in the given order (the fingerprint layer's one encoder). */
export { encodeSettingsFrame as settingsFrame } from '../../fingerprint/http.js'

/**
 * How a splitter treats frames: `frame` gets every non-DATA frame whole and returns the bytes
 * to emit instead (possibly none or several frames); `dataStreamId` maps the stream id of a
 * DATA frame (its payload passes through untouched), or returns null to drop the frame.
 */
export interface FrameRewrite {
  frame(frame: Frame): Buffer[]
  dataStreamId(streamId: number): number | null
}

/** Bound on a buffered non-DATA frame (RFC 9113 §4.2: SETTINGS_MAX_FRAME_SIZE is at most 2^24-1). */
const MAX_BUFFERED_FRAME = 1 << 24

/**
 * Splits a byte stream into frames, whatever the chunking, and rewrites them. `skip` bytes at the
 * start (the client preface) pass through unchanged.
 */
export class FrameSplitter {
  #skip: number
  #header: Buffer = Buffer.alloc(0)
  /** DATA payload bytes still to pass through. */
  #dataLeft = 0
  #dropData = false
  /** Header of the non-DATA frame being buffered, and what was buffered so far. */
  #pending: { type: number; flags: number; streamId: number; length: number; parts: Buffer[]; got: number } | null =
    null

  constructor(
    private readonly rewrite: FrameRewrite,
    skip = 0,
  ) {
    this.#skip = skip
  }

  /** Feeds `chunk`; returns the bytes to emit, in order. Throws RangeError on a frame longer than 2^24-1. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = []
    let off = 0
    if (this.#skip > 0) {
      const n = Math.min(this.#skip, chunk.length)
      out.push(chunk.subarray(0, n))
      this.#skip -= n
      off = n
    }
    while (off < chunk.length) {
      if (this.#dataLeft > 0) {
        const n = Math.min(this.#dataLeft, chunk.length - off)
        if (!this.#dropData) out.push(chunk.subarray(off, off + n))
        this.#dataLeft -= n
        off += n
        continue
      }
      const p = this.#pending
      if (p !== null) {
        const n = Math.min(p.length - p.got, chunk.length - off)
        p.parts.push(chunk.subarray(off, off + n))
        p.got += n
        off += n
        if (p.got === p.length) this.#finishPending(out)
        continue
      }
      const need = FRAME_HEADER_LENGTH - this.#header.length
      const take = Math.min(need, chunk.length - off)
      this.#header =
        this.#header.length === 0
          ? chunk.subarray(off, off + take)
          : Buffer.concat([this.#header, chunk.subarray(off, off + take)])
      off += take
      if (this.#header.length < FRAME_HEADER_LENGTH) break
      this.#startFrame(out)
    }
    return out
  }

  #startFrame(out: Buffer[]): void {
    const h = this.#header
    this.#header = Buffer.alloc(0)
    const length = h.readUIntBE(0, 3)
    const type = h[3] as number
    const flags = h[4] as number
    const streamId = h.readUInt32BE(5) & 0x7fffffff
    if (type === FrameType.DATA) {
      const mapped = this.rewrite.dataStreamId(streamId)
      this.#dataLeft = length
      this.#dropData = mapped === null
      if (mapped !== null) {
        const header = Buffer.from(h)
        header.writeUInt32BE((h.readUInt32BE(5) & 0x80000000) | mapped, 5)
        out.push(header)
      }
      return
    }
    if (length > MAX_BUFFERED_FRAME)
      throw new RangeError(`HTTP/2 frame of ${length} bytes exceeds 2^24-1 (RFC 9113 §4.2)`)
    this.#pending = { type, flags, streamId, length, parts: [], got: 0 }
    if (length === 0) this.#finishPending(out)
  }

  #finishPending(out: Buffer[]): void {
    const p = this.#pending!
    this.#pending = null
    const payload = p.parts.length === 1 ? (p.parts[0] as Buffer) : Buffer.concat(p.parts)
    for (const b of this.rewrite.frame({ type: p.type, flags: p.flags, streamId: p.streamId, payload })) out.push(b)
  }
}

/** What a FrameWatcher reports (node:http2-side stream ids). */
export interface FrameWatch {
  /** The last frame of stream `streamId` arrived (END_STREAM on DATA or HEADERS, RFC 9113 §5.1). */
  endStream?(streamId: number): void
  /** A GOAWAY arrived: streams above `lastStreamId` were not processed (RFC 9113 §6.8). */
  goaway?(lastStreamId: number, errorCode: number): void
}

/**
 * Watches a server's frame stream without changing it and reports what the bytes say before
 * node:http2 reads them: every stream whose last frame arrived (node:http2 ends a stream's
 * readable side the same way whether the peer ended it or the connection broke, and only the
 * frames tell) and the last stream id and error code of each GOAWAY (node:http2 may stop reading, or be torn
 * down, before it processes one). Reads frame headers and GOAWAY's first 8 payload octets only
 * (other payloads are skipped, not copied); bounded state whatever the chunking.
 */
export class FrameWatcher {
  #header = Buffer.alloc(FRAME_HEADER_LENGTH)
  #have = 0
  /** Payload bytes of the current frame still to skip. */
  #skip = 0
  /** GOAWAY's last-stream-id and error code octets gathered so far (-1: not in a GOAWAY payload). */
  #goaway = Buffer.alloc(8)
  #goawayHave = -1

  constructor(private readonly watch: FrameWatch) {}

  push(chunk: Buffer): void {
    let off = 0
    while (off < chunk.length) {
      if (this.#goawayHave >= 0) {
        const n = Math.min(8 - this.#goawayHave, chunk.length - off)
        chunk.copy(this.#goaway, this.#goawayHave, off, off + n)
        this.#goawayHave += n
        this.#skip -= n
        off += n
        if (this.#goawayHave === 8) {
          this.#goawayHave = -1
          this.watch.goaway?.(this.#goaway.readUInt32BE(0) & 0x7fffffff, this.#goaway.readUInt32BE(4))
        }
        continue
      }
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - off)
        this.#skip -= n
        off += n
        continue
      }
      const n = Math.min(FRAME_HEADER_LENGTH - this.#have, chunk.length - off)
      chunk.copy(this.#header, this.#have, off, off + n)
      this.#have += n
      off += n
      if (this.#have < FRAME_HEADER_LENGTH) return
      this.#have = 0
      const h = this.#header
      const type = h[3] as number
      this.#skip = h.readUIntBE(0, 3)
      if ((type === FrameType.DATA || type === FrameType.HEADERS) && ((h[4] as number) & Flag.END_STREAM) !== 0)
        this.watch.endStream?.(h.readUInt32BE(5) & 0x7fffffff)
      // A GOAWAY shorter than 8 octets is a FRAME_SIZE_ERROR node:http2 reports itself.
      else if (type === FrameType.GOAWAY && this.#skip >= 8) this.#goawayHave = 0
    }
  }
}
