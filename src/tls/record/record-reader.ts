/**
 * Splits the incoming byte stream into TLS records (RFC 8446 §5.1) without copying more than
 * needed, and rejects records that are malformed or larger than the protocol allows.
 */
import { AlertDescription, ContentType, MAX_CIPHERTEXT } from '../constants.js'
import { TlsProtocolError, TlsRecordOverflowError } from '../errors.js'

export interface RawRecord {
  readonly type: number
  readonly version: number
  /** The 5-byte header (the AEAD additional data in TLS 1.3). */
  readonly header: Buffer
  readonly fragment: Buffer
}

const VALID_TYPES = new Set<number>([
  ContentType.change_cipher_spec,
  ContentType.alert,
  ContentType.handshake,
  ContentType.application_data,
])

export class RecordReader {
  private chunks: Buffer[] = []
  private buffered = 0
  /**
   * A record that `detach` began to assemble: allocated at the record's full size, filled up to
   * `buffered` (it is the only buffered data while it is set, so `chunks` is empty); later chunks
   * fill it before anything else is buffered.
   */
  private assembling: Buffer | undefined
  /** Largest fragment accepted, bytes: 2^14 + 256 (RFC 8446 §5.2); the TLS 1.2 connection raises it to 2^14 + 2048 (RFC 5246 §6.2.3). */
  maxFragmentLength = MAX_CIPHERTEXT

  get pending(): number {
    return this.buffered
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return
    const record = this.assembling
    if (record !== undefined) {
      const k = Math.min(record.length - this.buffered, chunk.length)
      chunk.copy(record, this.buffered, 0, k)
      this.buffered += k
      if (this.buffered < record.length) return
      this.assembling = undefined
      this.chunks.push(record)
      if (k === chunk.length) return
      chunk = chunk.subarray(k)
    }
    this.chunks.push(chunk)
    this.buffered += chunk.length
  }

  /**
   * Copies the bytes still buffered that lie in `chunk`'s memory, so that memory can be reused.
   * The tail of a record whose header is in copies into a buffer of the record's size, which the
   * next chunks complete: each byte of it is copied once, into one allocation.
   */
  detach(chunk: Buffer): void {
    const chunks = this.chunks
    if (chunks.length === 0 || !chunks.some((c) => c.buffer === chunk.buffer)) return
    if (this.buffered >= 5) {
      const { length } = this.peekHeader()
      const size = 5 + length
      if (length <= this.maxFragmentLength && this.buffered < size) {
        const record = Buffer.allocUnsafe(size)
        let filled = 0
        for (const c of chunks) filled += c.copy(record, filled)
        this.chunks = []
        this.assembling = record
        return
      }
    }
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!
      if (c.buffer === chunk.buffer) chunks[i] = Buffer.from(c)
    }
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!
    if (first.length >= n) {
      const out = first.subarray(0, n)
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
      this.buffered -= n
      return out
    }
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const c = this.chunks[0]!
      const k = Math.min(c.length, n - filled)
      c.copy(out, filled, 0, k)
      filled += k
      if (k === c.length) this.chunks.shift()
      else this.chunks[0] = c.subarray(k)
    }
    this.buffered -= n
    return out
  }

  private peekHeader(): { type: number; version: number; length: number } {
    const h =
      this.assembling ??
      (this.chunks[0]!.length >= 5 ? this.chunks[0]! : Buffer.concat(this.chunks, Math.min(this.buffered, 5)))
    return { type: h[0]!, version: (h[1]! << 8) | h[2]!, length: (h[3]! << 8) | h[4]! }
  }

  /** The next complete record, or undefined when more bytes are needed. */
  next(): RawRecord | undefined {
    if (this.buffered < 5) return undefined
    const { type, version, length } = this.peekHeader()
    if (!VALID_TYPES.has(type)) {
      throw new TlsProtocolError(
        'unknown_content_type',
        `record of unknown content type ${type} (RFC 8446 §5: unexpected_message); the peer is not speaking TLS`,
        AlertDescription.unexpected_message,
      )
    }
    if (version >> 8 !== 0x03) {
      throw new TlsProtocolError(
        'bad_record_version',
        `record with version 0x${version.toString(16)} (RFC 8446 §5.1); the peer is not speaking TLS`,
        AlertDescription.decode_error,
      )
    }
    if (length > this.maxFragmentLength) {
      throw new TlsRecordOverflowError(
        `record of ${length} bytes exceeds ${this.maxFragmentLength} (RFC 8446 §5.2, RFC 5246 §6.2.3 record_overflow)`,
      )
    }
    if (this.buffered < 5 + length) return undefined
    const header = this.take(5)
    const fragment = length ? this.take(length) : Buffer.alloc(0)
    return { type, version, header, fragment }
  }
}
