/** Extension lists as they arrive from the server: type -> body, duplicates rejected (RFC 8446 §4.2). */
import { ByteReader } from '../../util/bytes.js'
import { AlertDescription } from '../constants.js'
import { TlsProtocolError } from '../errors.js'

export type RawExtensions = ReadonlyMap<number, Buffer>

export function readExtensions(r: ByteReader, where: string): Map<number, Buffer> {
  const list = r.sub(2, 'extensions')
  const out = new Map<number, Buffer>()
  while (list.remaining) {
    const type = list.u16('extension_type')
    const body = list.vec(2, 'extension_data')
    if (out.has(type)) {
      throw new TlsProtocolError(
        'duplicate_extension',
        `${where} repeats extension ${type} (RFC 8446 §4.2: at most one of each type)`,
        AlertDescription.illegal_parameter,
      )
    }
    out.set(type, body)
  }
  return out
}

/**
 * RFC 8446 §4.2: a server must only send extensions the client offered (unsupported_extension),
 * and each message may only carry the extensions allowed in it.
 */
export function checkOffered(
  ext: RawExtensions,
  offered: ReadonlySet<number>,
  where: string,
  extraAllowed: readonly number[] = [],
): void {
  for (const type of ext.keys()) {
    if (!offered.has(type) && !extraAllowed.includes(type)) {
      throw new TlsProtocolError(
        'unoffered_extension',
        `${where} carries extension ${type} that the ClientHello did not offer (RFC 8446 §4.2 unsupported_extension)`,
        AlertDescription.unsupported_extension,
      )
    }
  }
}
