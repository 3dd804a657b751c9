/** The 64-bit record sequence number of one direction (RFC 5246 §6.1, RFC 8446 §5.3). */
import { AlertDescription } from '../constants.js'
import { TlsProtocolError } from '../errors.js'

/** A sequence number must not wrap (RFC 5246 §6.1, RFC 8446 §5.5); we stop well before 2^64. */
const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER

export class SequenceNumber {
  private seq = 0
  private readonly bytes = Buffer.alloc(8)

  get value(): number {
    return this.seq
  }

  /** The current number as 8 big-endian bytes (a shared buffer, valid until the next call), then increments. */
  next(): Buffer {
    if (this.seq >= MAX_SEQUENCE) {
      throw new TlsProtocolError(
        'sequence_number_exhausted',
        'record sequence number exhausted (RFC 5246 §6.1); the connection must be closed',
        AlertDescription.internal_error,
      )
    }
    this.bytes.writeUInt32BE(Math.floor(this.seq / 0x1_0000_0000), 0)
    this.bytes.writeUInt32BE(this.seq >>> 0, 4)
    this.seq++
    return this.bytes
  }
}
