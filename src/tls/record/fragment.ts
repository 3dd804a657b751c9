/**
 * Outgoing records (RFC 8446 §5.1, §5.2): data cut into fragments of at most the send limit, each
 * protected by the direction's protection, or TLSPlaintext before keys exist; one buffer, so that a
 * write is one transport write.
 */
import type { RecordProtector } from './record-protector.js'
import { plaintextRecord } from './plaintext.js'

/**
 * `data` of content type `type` as records of at most `max` bytes of content (2^14, or less under
 * record_size_limit, RFC 8449), sealed by `protection` when given, else TLSPlaintext (version 0x0303).
 */
export function outgoingRecords(
  protection: RecordProtector | undefined,
  type: number,
  data: Buffer,
  max: number,
): Buffer {
  if (data.length <= max) return record(protection, type, data)
  const parts: Buffer[] = []
  for (let off = 0; off < data.length; off += max)
    parts.push(record(protection, type, data.subarray(off, Math.min(off + max, data.length))))
  return Buffer.concat(parts)
}

function record(protection: RecordProtector | undefined, type: number, piece: Buffer): Buffer {
  return protection ? protection.seal(type, piece) : plaintextRecord(type, piece, 0x0303)
}
