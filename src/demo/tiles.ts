/** Deterministic tile payloads and the demo origin's URL routes. */

import { createHash } from 'node:crypto'

/** PNG file signature (ISO/IEC 15948 §5.2). */
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** Default size of a tile body in bytes. */
export const DEFAULT_TILE_BYTES = 2048

/**
 * The bytes of tile z/x/y: the PNG signature followed by SHA-256 chains of "z/x/y", cut to
 * `size` bytes (at least 8). Same input, same bytes; different tiles differ. Not a decodable image.
 */
export function tileBody(z: number, x: number, y: number, size = DEFAULT_TILE_BYTES): Buffer {
  const out = Buffer.alloc(Math.max(size, PNG_SIGNATURE.length))
  PNG_SIGNATURE.copy(out, 0)
  let block = createHash('sha256').update(`${z}/${x}/${y}`).digest()
  for (let offset = PNG_SIGNATURE.length; offset < out.length; offset += block.length) {
    block.copy(out, offset, 0, Math.min(block.length, out.length - offset))
    block = createHash('sha256').update(block).digest()
  }
  return out
}

export type Route = { kind: 'root' } | { kind: 'tile'; z: number; x: number; y: number } | { kind: 'not_found' }

const TILE_PATH = /^\/tiles\/(\d{1,2})\/(\d{1,9})\/(\d{1,9})\.png$/

/** Maps a request target ("/tiles/3/4/5.png?x=1") to a route; the query string is ignored. */
export function route(target: string): Route {
  const path = target.split('?', 1)[0] ?? ''
  if (path === '/') return { kind: 'root' }
  const m = TILE_PATH.exec(path)
  if (m === null) return { kind: 'not_found' }
  const z = Number(m[1])
  const x = Number(m[2])
  const y = Number(m[3])
  // A zoom-z map has 2^z tiles a side (slippy-map tile names).
  const side = 2 ** z
  if (z > 30 || x >= side || y >= side) return { kind: 'not_found' }
  return { kind: 'tile', z, x, y }
}
