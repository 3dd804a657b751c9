/**
 * A preview mosaic of one zoom level: the stored tiles of the zoom's bounding range, decoded with
 * pngjs (any PNG: palette, grey, 16-bit, interlaced), scaled down to fit, and drawn in their
 * places; missing tiles and tiles that are not PNGs are grey. Bounded: at most 64 × 64 tiles and
 * 2048 × 2048 pixels.
 */
import { PNG } from 'pngjs'
import type { TileCoord } from './coords.js'
import type { TileStore } from './store.js'

export interface MosaicOptions {
  /** Largest width or height of the mosaic (pixels). Default 1024. */
  maxPixels?: number
}

export interface Mosaic {
  png: Buffer
  z: number
  /** Tiles drawn, missing (not stored) and not decodable. */
  drawn: number
  missing: number
  undecodable: number
}

const MAX_SIDE_TILES = 64

/** The zoom a mosaic should show: the deepest zoom of `zooms` whose tiles fit 64 × 64. */
export function mosaicZoom(tiles: Iterable<TileCoord>): number | undefined {
  const ext = extents(tiles)
  const fits = [...ext.entries()].filter(
    ([, e]) => e.maxX - e.minX < MAX_SIDE_TILES && e.maxY - e.minY < MAX_SIDE_TILES,
  )
  return fits.length === 0 ? undefined : Math.max(...fits.map(([z]) => z))
}

function extents(tiles: Iterable<TileCoord>): Map<number, { minX: number; maxX: number; minY: number; maxY: number }> {
  const ext = new Map<number, { minX: number; maxX: number; minY: number; maxY: number }>()
  for (const t of tiles) {
    const e = ext.get(t.z)
    if (e === undefined) ext.set(t.z, { minX: t.x, maxX: t.x, minY: t.y, maxY: t.y })
    else
      Object.assign(e, {
        minX: Math.min(e.minX, t.x),
        maxX: Math.max(e.maxX, t.x),
        minY: Math.min(e.minY, t.y),
        maxY: Math.max(e.maxY, t.y),
      })
  }
  return ext
}

/** Draws the mosaic of zoom `z` of `tiles` from `store`; undefined when no tile of `z` is listed or the range is too large. */
export async function renderMosaic(
  store: TileStore,
  tiles: Iterable<TileCoord>,
  z: number,
  options: MosaicOptions = {},
): Promise<Mosaic | undefined> {
  const e = extents(tiles).get(z)
  if (e === undefined) return undefined
  const cols = e.maxX - e.minX + 1
  const rows = e.maxY - e.minY + 1
  if (cols > MAX_SIDE_TILES || rows > MAX_SIDE_TILES) return undefined
  const cell = Math.max(8, Math.min(256, Math.floor(Math.min(options.maxPixels ?? 1024, 2048) / Math.max(cols, rows))))
  const out = new PNG({ width: cols * cell, height: rows * cell })
  out.data.fill(0xc0)
  const counts = { drawn: 0, missing: 0, undecodable: 0 }
  for (let y = e.minY; y <= e.maxY; y++) {
    for (let x = e.minX; x <= e.maxX; x++) {
      const body = await store.get({ z, x, y })
      if (body === undefined) counts.missing++
      else if (blit(out, body, (x - e.minX) * cell, (y - e.minY) * cell, cell)) counts.drawn++
      else counts.undecodable++
    }
  }
  return { png: PNG.sync.write(out), z, ...counts }
}

/** Scales `body` (a PNG) to `cell` × `cell` by nearest neighbour into `out` at (ox, oy); false when it does not decode. */
function blit(out: PNG, body: Buffer, ox: number, oy: number, cell: number): boolean {
  let img: PNG
  try {
    img = PNG.sync.read(body)
  } catch {
    return false
  }
  for (let y = 0; y < cell; y++) {
    const sy = Math.floor((y * img.height) / cell)
    for (let x = 0; x < cell; x++) {
      const sx = Math.floor((x * img.width) / cell)
      const s = (sy * img.width + sx) * 4
      const d = ((oy + y) * out.width + ox + x) * 4
      img.data.copy(out.data, d, s, s + 4)
    }
  }
  return true
}
