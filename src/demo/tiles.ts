/** Deterministic tile images and the demo origin's URL routes. */

import { IEND, palettePngHead, textChunk } from './png.js'
import { PAGE_COUNT } from './pages.js'
import { drawTile } from './tile-image.js'

/** Default size of a tile body in bytes. */
export const DEFAULT_TILE_BYTES = 2048

/**
 * The bytes of tile z/x/y: a valid 256 × 256 palette PNG of the tile (see drawTile), padded with
 * a tEXt "Comment" chunk to `size` bytes when the image is smaller (so every tile of an origin has
 * one length). Same input, same bytes; different tiles differ. The image alone is about 1 KB.
 */
export function tileBody(z: number, x: number, y: number, size = DEFAULT_TILE_BYTES): Buffer {
  const key = `${z}/${x}/${y}/${size}`
  const hit = cache.get(key)
  if (hit !== undefined) return hit
  const body = draw(z, x, y, size)
  if (cache.size >= CACHE_MAX) cache.clear()
  cache.set(key, body)
  return body
}

/** Recent tile bodies (tests and retries ask for the same tiles again); bounded, cleared when full. */
const cache = new Map<string, Buffer>()
const CACHE_MAX = 4096

function draw(z: number, x: number, y: number, size: number): Buffer {
  const head = palettePngHead(drawTile(z, x, y))
  const comment = `hotconn demo tile ${z}/${x}/${y}`
  const bare = head.length + textChunk('Comment', comment).length + IEND.length
  const padded = comment.padEnd(comment.length + Math.max(0, size - bare), ' ')
  return Buffer.concat([head, textChunk('Comment', padded), IEND])
}

export type Route =
  | { kind: 'root' }
  | { kind: 'tile'; z: number; x: number; y: number }
  | { kind: 'page'; n: number }
  | { kind: 'not_found' }

const TILE_PATH = /^\/tiles\/(\d{1,2})\/(\d{1,9})\/(\d{1,9})\.png$/
const PAGE_PATH = /^\/pages\/([1-9]\d?)$/

/** Maps a request target ("/tiles/3/4/5.png?x=1") to a route; the query string is ignored. */
export function route(target: string): Route {
  const path = target.split('?', 1)[0] ?? ''
  if (path === '/') return { kind: 'root' }
  const page = PAGE_PATH.exec(path)
  if (page !== null) return Number(page[1]) <= PAGE_COUNT ? { kind: 'page', n: Number(page[1]) } : { kind: 'not_found' }
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
