/**
 * Content checks of a tile response: a 2xx status, a non-empty body, the expected content type,
 * and optionally a body that starts with the image format's signature (PNG: ISO/IEC 15948 §5.2;
 * JPEG: SOI marker FF D8 FF, ITU T.81 §B.1.1.3; WebP: "RIFF" size "WEBP", RFC 9649 §2.5).
 */

export type ImageKind = 'png' | 'jpeg' | 'webp'

export interface ContentCheckOptions {
  /**
   * Expected media type: exact ("image/png") or a type prefix ending in "/" ("image/"); undefined
   * = any. Parameters (";charset=…") are ignored.
   */
  contentType?: string
  /** Require the body to start with the signature of a PNG, JPEG or WebP (the one the content type names, if it names one). */
  verifyImage?: boolean
}

const TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
}

/** The content type a template's extension implies (".png" -> "image/png"), undefined for others. */
export function contentTypeForExtension(ext: string): string | undefined {
  return TYPES[ext.toLowerCase()]
}

/** The image format whose signature starts `body`, if any. */
export function sniffImage(body: Uint8Array): ImageKind | undefined {
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'png'
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg'
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'webp'
  return undefined
}

/**
 * Checks a 2xx response's content; returns why it is not a good tile, or undefined when it is.
 * Reasons: "empty body", "content type X, expected Y", "not a PNG/JPEG/WebP image".
 */
export function checkContent(
  contentType: string | null,
  body: Uint8Array,
  options: ContentCheckOptions,
): string | undefined {
  if (body.length === 0) return 'empty body'
  const type = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase()
  const want = options.contentType?.toLowerCase()
  if (want !== undefined && (want.endsWith('/') ? !type.startsWith(want) : type !== want))
    return `content type ${type === '' ? '(none)' : type}, expected ${want.endsWith('/') ? `${want}*` : want}`
  if (options.verifyImage === true) {
    const kind = sniffImage(body)
    const named =
      type === 'image/png' ? 'png' : type === 'image/jpeg' ? 'jpeg' : type === 'image/webp' ? 'webp' : undefined
    if (kind === undefined || (named !== undefined && kind !== named))
      return `not a ${named === undefined ? 'PNG, JPEG or WebP' : named.toUpperCase()} image (signature check)`
  }
  return undefined
}
