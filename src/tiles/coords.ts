/**
 * Tile coordinates of the Web Mercator tiling (EPSG:3857, "slippy map" tile names as OpenStreetMap
 * and every XYZ tile server use them): zoom z has 2^z × 2^z tiles, x grows eastwards from
 * 180° W, y grows southwards from 85.0511° N. TMS (OSGeo Tile Map Service, and MBTiles' tile_row)
 * counts y northwards: y_tms = 2^z − 1 − y. Bing Maps quadkeys interleave the bits of x and y.
 */
import { InvalidArgumentError } from '../errors.js'

/** One tile: zoom, column, row (XYZ scheme, row 0 at the north). */
export interface TileCoord {
  readonly z: number
  readonly x: number
  readonly y: number
}

/** A WGS84 bounding box in degrees (west, south, east, north). */
export interface BBox {
  readonly minLon: number
  readonly minLat: number
  readonly maxLon: number
  readonly maxLat: number
}

/** The inclusive tile ranges of one zoom level that cover a bounding box. */
export interface TileRange {
  readonly z: number
  readonly minX: number
  readonly maxX: number
  readonly minY: number
  readonly maxY: number
}

/** Largest zoom the tools accept (2^30 tiles a side; x and y stay exact integers). */
export const MAX_ZOOM = 30
/** Latitude where Web Mercator's square world ends: atan(sinh(π)) in degrees. */
export const MAX_LATITUDE = 85.0511287798066

/** The tile at zoom `z` that contains lon/lat (degrees); latitudes beyond ±85.0511° clamp to the edge rows. */
export function lonLatToTile(lon: number, lat: number, z: number): TileCoord {
  checkZoom(z)
  const n = 2 ** z
  const clampedLat = Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, lat))
  const rad = (clampedLat * Math.PI) / 180
  const fx = ((lon + 180) / 360) * n
  const fy = ((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n
  return { z, x: clampIndex(Math.floor(fx), n), y: clampIndex(Math.floor(fy), n) }
}

/** The bounding box of a tile (degrees). */
export function tileBBox(t: TileCoord): BBox {
  const n = 2 ** t.z
  const lat = (y: number): number => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI
  return { minLon: (t.x / n) * 360 - 180, maxLon: ((t.x + 1) / n) * 360 - 180, minLat: lat(t.y + 1), maxLat: lat(t.y) }
}

/** The Bing Maps quadkey of a tile: one base-4 digit per zoom level, "" at zoom 0. */
export function quadkey(t: TileCoord): string {
  let key = ''
  for (let i = t.z; i > 0; i--) {
    const mask = 1 << (i - 1)
    key += String((t.x & mask ? 1 : 0) + (t.y & mask ? 2 : 0))
  }
  return key
}

/** The TMS row of an XYZ row (and back: the flip is its own inverse). */
export function tmsY(z: number, y: number): number {
  return 2 ** z - 1 - y
}

/** The tile ranges covering `bbox` at every zoom from `minZoom` to `maxZoom` (inclusive). */
export function bboxRanges(bbox: BBox, minZoom: number, maxZoom: number): TileRange[] {
  const ranges: TileRange[] = []
  for (let z = minZoom; z <= maxZoom; z++) {
    const nw = lonLatToTile(bbox.minLon, bbox.maxLat, z)
    const se = lonLatToTile(bbox.maxLon, bbox.minLat, z)
    // A box whose east edge falls on a tile edge does not take the next tile.
    const maxX = se.x > nw.x && ((bbox.maxLon + 180) / 360) * 2 ** z === se.x ? se.x - 1 : se.x
    ranges.push({ z, minX: nw.x, maxX, minY: nw.y, maxY: se.y })
  }
  return ranges
}

/** Number of tiles in some ranges. */
export function rangeCount(ranges: readonly TileRange[]): number {
  return ranges.reduce((n, r) => n + (r.maxX - r.minX + 1) * (r.maxY - r.minY + 1), 0)
}

/** Every tile of the ranges: zoom by zoom, row by row. */
export function* rangeTiles(ranges: readonly TileRange[]): Generator<TileCoord> {
  for (const r of ranges) {
    for (let y = r.minY; y <= r.maxY; y++) {
      for (let x = r.minX; x <= r.maxX; x++) yield { z: r.z, x, y }
    }
  }
}

/** "z/x/y" */
export function tileKey(t: TileCoord): string {
  return `${t.z}/${t.x}/${t.y}`
}

/** Whether z/x/y names a tile (integers, z in [0, 30], x and y in [0, 2^z)). */
export function isTile(t: TileCoord): boolean {
  const n = 2 ** t.z
  return (
    Number.isInteger(t.z) &&
    t.z >= 0 &&
    t.z <= MAX_ZOOM &&
    Number.isInteger(t.x) &&
    Number.isInteger(t.y) &&
    t.x >= 0 &&
    t.y >= 0 &&
    t.x < n &&
    t.y < n
  )
}

/**
 * Parses "minLon,minLat,maxLon,maxLat" (degrees, west,south,east,north).
 * @throws InvalidArgumentError naming the rule broken
 */
export function parseBBox(text: string): BBox {
  const parts = text.split(',').map((s) => s.trim())
  const nums = parts.map(Number)
  if (parts.length !== 4 || parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n)))
    throw new InvalidArgumentError(
      `--bbox must be minLon,minLat,maxLon,maxLat in degrees (e.g. 13.3,52.4,13.5,52.6), got ${JSON.stringify(text)}`,
    )
  const [minLon, minLat, maxLon, maxLat] = nums as [number, number, number, number]
  if (minLon < -180 || maxLon > 180 || minLat < -90 || maxLat > 90)
    throw new InvalidArgumentError(`--bbox ${text}: longitudes must lie in [-180, 180] and latitudes in [-90, 90]`)
  if (minLon >= maxLon || minLat >= maxLat)
    throw new InvalidArgumentError(
      `--bbox ${text}: min must be below max (west < east, south < north); a box across 180° is two runs`,
    )
  return { minLon, minLat, maxLon, maxLat }
}

/**
 * Parses a zoom range "Z" or "Z0-Z1" (inclusive).
 * @throws InvalidArgumentError unless 0 <= Z0 <= Z1 <= 30
 */
export function parseZoomRange(text: string): { minZoom: number; maxZoom: number } {
  const m = /^\s*(\d{1,2})\s*(?:-\s*(\d{1,2})\s*)?$/.exec(text)
  const minZoom = Number(m?.[1])
  const maxZoom = m?.[2] === undefined ? minZoom : Number(m[2])
  if (m === null || minZoom > maxZoom || maxZoom > MAX_ZOOM)
    throw new InvalidArgumentError(
      `--zoom must be Z or Z0-Z1 with 0 <= Z0 <= Z1 <= ${MAX_ZOOM} (e.g. 0-12), got ${JSON.stringify(text)}`,
    )
  return { minZoom, maxZoom }
}

function checkZoom(z: number): void {
  if (!Number.isInteger(z) || z < 0 || z > MAX_ZOOM)
    throw new RangeError(`zoom must be an integer in [0, ${MAX_ZOOM}], got ${z}`)
}

function clampIndex(i: number, n: number): number {
  return Math.max(0, Math.min(n - 1, i))
}
