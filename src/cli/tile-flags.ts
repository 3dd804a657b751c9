/**
 * The flags of `hotconn tiles` that say what to fetch and how: the tile set (--bbox/--zoom or
 * --list), the output, the rate, headers and content checks. Checked before anything connects;
 * errors are InvalidArgumentError (exit 2).
 */
import { InvalidArgumentError } from '../errors.js'
import {
  bboxSource,
  parseBBox,
  parseRate,
  parseZoomRange,
  readTileList,
  type ContentCheckOptions,
  type TileSource,
} from '../tiles/index.js'
import { positiveInt } from './pool-flags.js'

export const TILE_FLAG_OPTIONS = {
  bbox: { type: 'string' },
  zoom: { type: 'string' },
  list: { type: 'string' },
  out: { type: 'string' },
  format: { type: 'string' },
  rate: { type: 'string' },
  rpm: { type: 'string' },
  concurrency: { type: 'string', short: 'c' },
  subdomains: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
  'content-type': { type: 'string' },
  'verify-image': { type: 'boolean', default: false },
  attempts: { type: 'string' },
} as const

export const TILE_FLAG_HELP = `  --bbox <w,s,e,n>          bounding box in degrees (WGS84 lon/lat), with --zoom; --bbox=-10,… for a west edge below 0
  --zoom <Z0-Z1>            zoom range (inclusive), e.g. 0-12
  --list <file>             tiles to fetch, one z/x/y a line (instead of --bbox/--zoom)
  --out <dir|file>          output directory, or an .mbtiles file
  --format <dir|mbtiles>    output format (default: mbtiles for a .mbtiles --out, else dir)
  --rate <N/s>              requests per second to each host (also N/min); sizes the pool
  --rpm <N>                 requests per minute to each host (instead of --rate)
  -c, --concurrency <n>     requests in flight (default: max(10, min(200, rpm / 10)) with a rate, else 32)
  --subdomains <a,b,c>      values of {s} (default a,b,c)
  -H, --header <name: v>    extra request header (repeatable), e.g. "Referer: https://example.com/"
  --content-type <type>     expected type, e.g. image/png or image/ (default: from the extension; "any" for none)
  --verify-image            also check the PNG/JPEG/WebP signature of every body
  --attempts <n>            attempts per tile on 5xx, 429, 403 and transport errors (default 5)
`

export interface TileFlags {
  bbox?: string | undefined
  zoom?: string | undefined
  list?: string | undefined
  out?: string | undefined
  format?: string | undefined
  rate?: string | undefined
  rpm?: string | undefined
  concurrency?: string | undefined
  subdomains?: string | undefined
  header?: string[] | undefined
  'content-type'?: string | undefined
  'verify-image'?: boolean | undefined
  attempts?: string | undefined
}

/** The tile set of --bbox/--zoom or --list. @throws InvalidArgumentError */
export async function tileSourceFromFlags(f: TileFlags): Promise<TileSource> {
  if (f.list !== undefined) {
    if (f.bbox !== undefined || f.zoom !== undefined)
      throw new InvalidArgumentError('give --list, or --bbox with --zoom, not both')
    return readTileList(f.list)
  }
  if (f.bbox === undefined || f.zoom === undefined)
    throw new InvalidArgumentError('say which tiles: --bbox w,s,e,n with --zoom Z0-Z1, or --list FILE')
  const { minZoom, maxZoom } = parseZoomRange(f.zoom)
  return bboxSource(parseBBox(f.bbox), minZoom, maxZoom)
}

/** Requests per second of --rate or --rpm, if given. @throws InvalidArgumentError */
export function rateFromFlags(f: TileFlags): number | undefined {
  if (f.rate !== undefined && f.rpm !== undefined) throw new InvalidArgumentError('give --rate or --rpm, not both')
  if (f.rpm !== undefined) return positiveInt('--rpm', f.rpm, 1, 60_000_000) / 60
  return f.rate === undefined ? undefined : parseRate(f.rate)
}

/** --header values as a record. @throws InvalidArgumentError */
export function headersFromFlags(values: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {}
  for (const v of values) {
    const i = v.indexOf(':')
    const name = i < 0 ? '' : v.slice(0, i).trim().toLowerCase()
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name))
      throw new InvalidArgumentError(`--header must be "Name: value", got ${JSON.stringify(v)}`)
    out[name] = v.slice(i + 1).trim()
  }
  return out
}

/** The content checks of --content-type and --verify-image (undefined = the job's default). */
export function checkFromFlags(f: TileFlags): ContentCheckOptions | undefined {
  const t = f['content-type']
  if (t === undefined && f['verify-image'] !== true) return undefined
  if (t !== undefined && t !== 'any' && !/^[a-z0-9.+-]+\/([a-z0-9.+-]+)?$/i.test(t))
    throw new InvalidArgumentError(
      `--content-type must be a media type (image/png), a type prefix (image/) or any, got ${JSON.stringify(t)}`,
    )
  const check: ContentCheckOptions = { verifyImage: f['verify-image'] === true }
  if (t !== undefined && t !== 'any') check.contentType = t
  return check
}

/** --format. @throws InvalidArgumentError */
export function formatFromFlags(f: TileFlags): 'dir' | 'mbtiles' | undefined {
  if (f.format === undefined) return undefined
  if (f.format !== 'dir' && f.format !== 'mbtiles')
    throw new InvalidArgumentError(`--format must be dir or mbtiles, got ${JSON.stringify(f.format)}`)
  return f.format
}
