/**
 * The set of tiles a run fetches: the tiles covering a bounding box over a zoom range, or the
 * tiles listed in a file of `z/x/y` lines. Either way the count is known before the first
 * request (for progress and ETA) and the tiles come out in a fixed order.
 */
import { readFile } from 'node:fs/promises'
import { InvalidArgumentError } from '../errors.js'
import { bboxRanges, isTile, rangeCount, rangeTiles, type BBox, type TileCoord } from './coords.js'

export interface TileSource {
  /** How many tiles the source yields. */
  readonly count: number
  /** Zoom levels present, ascending. */
  readonly zooms: readonly number[]
  /** The bounding box the tiles cover, when the source is one. */
  readonly bbox?: BBox
  /** The tiles, in order (every call starts again). */
  tiles(): Iterable<TileCoord>
}

/** The tiles covering `bbox` at zooms `minZoom`…`maxZoom`. */
export function bboxSource(bbox: BBox, minZoom: number, maxZoom: number): TileSource {
  const ranges = bboxRanges(bbox, minZoom, maxZoom)
  return {
    count: rangeCount(ranges),
    zooms: ranges.map((r) => r.z),
    bbox,
    tiles: () => rangeTiles(ranges),
  }
}

const LINE = /^\s*(\d{1,2})\s*\/\s*(\d{1,10})\s*\/\s*(\d{1,10})\s*$/

/**
 * Parses the text of a tile list: one `z/x/y` per line; blank lines and lines starting with `#`
 * are skipped; a tile listed twice is kept once.
 * @throws InvalidArgumentError naming the first bad line (`file:line`)
 */
export function parseTileList(text: string, name = 'list'): TileSource {
  const tiles: TileCoord[] = []
  const seen = new Set<string>()
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue
    const m = LINE.exec(line)
    const t = m === null ? undefined : { z: Number(m[1]), x: Number(m[2]), y: Number(m[3]) }
    if (t === undefined || !isTile(t))
      throw new InvalidArgumentError(
        `${name}:${i + 1}: ${JSON.stringify(line.slice(0, 80))} is not a tile; write z/x/y with x and y below 2^z (e.g. 10/550/335)`,
      )
    const key = `${t.z}/${t.x}/${t.y}`
    if (seen.has(key)) continue
    seen.add(key)
    tiles.push(t)
  }
  return {
    count: tiles.length,
    zooms: [...new Set(tiles.map((t) => t.z))].sort((a, b) => a - b),
    tiles: () => tiles,
  }
}

/** Reads and parses a tile list file. @throws InvalidArgumentError when unreadable or malformed */
export async function readTileList(file: string): Promise<TileSource> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new InvalidArgumentError(
      `--list: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    )
  }
  return parseTileList(text, file)
}

/** A source of the given tiles, in the given order. */
export function listSource(tiles: readonly TileCoord[]): TileSource {
  return parseTileList(tiles.map((t) => `${t.z}/${t.x}/${t.y}`).join('\n'))
}
