/**
 * Reassembles handshake messages from handshake records (RFC 8446 §5.1): messages may span
 * records and records may carry several messages. Oversized messages are refused before they
 * are buffered.
 */
import { AlertDescription } from '../constants.js'
import { TlsProtocolError } from '../errors.js'
import type { Aligned } from './context.js'

export interface HandshakeMessage {
  readonly type: number
  readonly body: Buffer
  /** header + body, exactly as received (for the transcript). */
  readonly raw: Buffer
}

/** Largest handshake message accepted, bytes (a Certificate with a long chain is the largest real one). */
export const MAX_HANDSHAKE_MESSAGE = 256 * 1024

const ALIGNED = Object.freeze({}) as Aligned
/** What the reader holds between messages: one empty buffer for every connection (nothing is ever written to it). */
const EMPTY = Buffer.alloc(0)

export class HandshakeReader {
  private buf: Buffer = EMPTY

  /** True when a partial message is buffered (a key change must not happen then, RFC 8446 §5.1). */
  get hasPartial(): boolean {
    return this.buf.length > 0
  }

  /**
   * The proof that the read keys may change now (RFC 8446 §5.1, RFC 5246 §7.1: a key change happens
   * at a message boundary that is also a record boundary).
   * @throws TlsProtocolError (unexpected_message) saying `what` when a partial message is buffered.
   */
  aligned(what: string): Aligned {
    if (this.buf.length > 0)
      throw new TlsProtocolError('key_change_not_at_record_boundary', what, AlertDescription.unexpected_message)
    return ALIGNED
  }

  push(fragment: Buffer): void {
    if (fragment.length === 0) {
      // RFC 8446 §5.1: zero-length fragments of handshake are not allowed.
      throw new TlsProtocolError(
        'empty_handshake_record',
        'zero-length handshake record (RFC 8446 §5.1)',
        AlertDescription.unexpected_message,
      )
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, fragment]) : fragment
    if (this.buf.length >= 4) {
      const len = this.buf.readUIntBE(1, 3)
      if (len > MAX_HANDSHAKE_MESSAGE) {
        throw new TlsProtocolError(
          'handshake_message_too_large',
          `handshake message type ${this.buf[0]} of ${len} bytes exceeds the ${MAX_HANDSHAKE_MESSAGE}-byte limit`,
          AlertDescription.unexpected_message,
        )
      }
    }
  }

  next(): HandshakeMessage | undefined {
    if (this.buf.length < 4) return undefined
    const len = this.buf.readUIntBE(1, 3)
    if (this.buf.length < 4 + len) return undefined
    const raw = this.buf.subarray(0, 4 + len)
    this.buf = this.buf.subarray(4 + len)
    if (this.buf.length === 0) this.buf = EMPTY
    return { type: raw.readUInt8(0), body: raw.subarray(4), raw }
  }
}
