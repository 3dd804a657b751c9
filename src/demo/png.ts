/**
 * A minimal PNG encoder for palette images (ISO/IEC 15948, W3C PNG 3rd edition): IHDR with colour
 * type 3 and bit depth 8, PLTE, one zlib IDAT (node:zlib deflate; filter type 0 on every row),
 * optional tEXt chunks, IEND. Chunk CRCs are CRC-32 over type and data (§5.3), from node:zlib.
 */
import { crc32, deflateSync } from 'node:zlib'

/** The PNG file signature (§5.2). */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** One chunk: length, type, data, CRC (§5.3). */
export function pngChunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'latin1')
  data.copy(out, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length)
  return out
}

export interface PaletteImage {
  width: number
  height: number
  /** RGB triples, at most 256. */
  palette: readonly (readonly [number, number, number])[]
  /** width × height palette indices, row by row. */
  pixels: Uint8Array
}

/** Signature, IHDR, PLTE and IDAT of a palette image: a PNG once chunks and IEND follow (see encodePalettePng). */
export function palettePngHead(image: PaletteImage): Buffer {
  const { width, height, palette, pixels } = image
  if (pixels.length !== width * height) throw new RangeError(`pixels must hold ${width * height} indices`)
  if (palette.length === 0 || palette.length > 256) throw new RangeError('palette must hold 1 to 256 colours')
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 3 // colour type: indexed
  const raw = Buffer.alloc((width + 1) * height)
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1)
  const plte = Buffer.from(palette.flatMap((c) => [c[0], c[1], c[2]]))
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('PLTE', plte),
    pngChunk('IDAT', deflateSync(raw, { level: 1 })),
  ])
}

/** A tEXt chunk (keyword, Latin-1 text; §11.3.3.3). */
export function textChunk(keyword: string, text: string): Buffer {
  return pngChunk('tEXt', Buffer.from(`${keyword}\0${text}`, 'latin1'))
}

/** The IEND chunk. */
export const IEND = pngChunk('IEND', Buffer.alloc(0))

/** Encodes a palette image; `text` entries become tEXt chunks. */
export function encodePalettePng(image: PaletteImage, text: readonly [string, string][] = []): Buffer {
  return Buffer.concat([palettePngHead(image), ...text.map(([k, v]) => textChunk(k, v)), IEND])
}
