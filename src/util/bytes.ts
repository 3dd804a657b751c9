/**
 * A symmetric binary codec for TLS structures (RFC 8446 §3 presentation language):
 * `ByteWriter` back-patches vector lengths, `ByteReader` reads with bounds checks and
 * sub-readers for length-prefixed vectors. Decoding errors are `DecodeError` (alert decode_error).
 */

/** Bytes did not decode as the structure they claim to be. Maps to the decode_error alert. */
export class DecodeError extends Error {
  readonly code = 'ERR_TLS_DECODE'
  constructor(message: string) {
    super(message)
    this.name = 'DecodeError'
  }
}

export class ByteReader {
  private pos: number
  private readonly end: number

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
    /** What is being decoded, for error messages. */
    readonly what = 'message',
  ) {
    this.pos = start
    this.end = end
  }

  get offset(): number {
    return this.pos
  }

  get remaining(): number {
    return this.end - this.pos
  }

  private need(n: number, field: string): void {
    if (this.end - this.pos < n) {
      throw new DecodeError(`${this.what}: ${field} needs ${n} bytes, ${this.end - this.pos} left`)
    }
  }

  u8(field = 'u8'): number {
    this.need(1, field)
    return this.buf[this.pos++]!
  }

  u16(field = 'u16'): number {
    this.need(2, field)
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!
    this.pos += 2
    return v
  }

  u24(field = 'u24'): number {
    this.need(3, field)
    const v = (this.buf[this.pos]! << 16) | (this.buf[this.pos + 1]! << 8) | this.buf[this.pos + 2]!
    this.pos += 3
    return v
  }

  u32(field = 'u32'): number {
    this.need(4, field)
    const b = this.buf
    const p = this.pos
    const v = ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!)
    this.pos += 4
    return v
  }

  /** Exactly `n` bytes, as a Buffer view (no copy). */
  bytes(n: number, field = 'bytes'): Buffer {
    this.need(n, field)
    const out = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, n)
    this.pos += n
    return out
  }

  /** A vector with a `lenBytes`-byte length prefix, returned as a view. */
  vec(lenBytes: 1 | 2 | 3, field = 'vector'): Buffer {
    const n = lenBytes === 1 ? this.u8(field) : lenBytes === 2 ? this.u16(field) : this.u24(field)
    return this.bytes(n, field)
  }

  /** A sub-reader over a length-prefixed vector; the parent skips past it. */
  sub(lenBytes: 1 | 2 | 3, field = 'vector'): ByteReader {
    const n = lenBytes === 1 ? this.u8(field) : lenBytes === 2 ? this.u16(field) : this.u24(field)
    this.need(n, field)
    const r = new ByteReader(this.buf, this.pos, this.pos + n, `${this.what}.${field}`)
    this.pos += n
    return r
  }

  rest(): Buffer {
    return this.bytes(this.remaining, 'rest')
  }

  /** Throws unless every byte was consumed (RFC 8446 §4: trailing bytes are a decode_error). */
  expectEmpty(): void {
    if (this.pos !== this.end) {
      throw new DecodeError(`${this.what}: ${this.end - this.pos} trailing bytes`)
    }
  }
}

export class ByteWriter {
  private buf: Buffer
  private pos = 0

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial)
  }

  get length(): number {
    return this.pos
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  u8(v: number): this {
    this.ensure(1)
    this.buf[this.pos++] = v & 0xff
    return this
  }

  u16(v: number): this {
    this.ensure(2)
    this.buf.writeUInt16BE(v & 0xffff, this.pos)
    this.pos += 2
    return this
  }

  u24(v: number): this {
    this.ensure(3)
    this.buf[this.pos] = (v >>> 16) & 0xff
    this.buf[this.pos + 1] = (v >>> 8) & 0xff
    this.buf[this.pos + 2] = v & 0xff
    this.pos += 3
    return this
  }

  u32(v: number): this {
    this.ensure(4)
    this.buf.writeUInt32BE(v >>> 0, this.pos)
    this.pos += 4
    return this
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
    return this
  }

  /** A vector with a `lenBytes`-byte length prefix: the body is written by `body`, the length back-patched. */
  vec(lenBytes: 1 | 2 | 3, body: (w: this) => void): this {
    this.ensure(lenBytes)
    const at = this.pos
    this.pos += lenBytes
    body(this)
    const n = this.pos - at - lenBytes
    const max = lenBytes === 1 ? 0xff : lenBytes === 2 ? 0xffff : 0xffffff
    if (n > max) throw new RangeError(`vector of ${n} bytes does not fit a ${lenBytes}-byte length`)
    if (lenBytes === 1) this.buf[at] = n
    else if (lenBytes === 2) this.buf.writeUInt16BE(n, at)
    else {
      this.buf[at] = n >>> 16
      this.buf[at + 1] = (n >>> 8) & 0xff
      this.buf[at + 2] = n & 0xff
    }
    return this
  }

  /** Shorthand: a length-prefixed opaque vector. */
  vecBytes(lenBytes: 1 | 2 | 3, b: Uint8Array): this {
    return this.vec(lenBytes, (w) => w.bytes(b))
  }

  /** A copy of the bytes written so far. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos))
  }
}

/**
 * A copy in its own ArrayBuffer: not a view into a larger buffer (which it would keep alive) and
 * not from Buffer's shared allocUnsafe pool (where a long-lived small buffer pins an 8 KiB slab).
 */
export function ownedCopy(b: Uint8Array): Buffer {
  const out = Buffer.alloc(b.length)
  out.set(b)
  return out
}
