/**
 * `npm start`: the tile job against the embedded demo origin, through hotconn's public API only.
 * Starts the origin (https://tiles.test on 127.0.0.2-5, a DNS server on 127.0.0.1; 127.0.0.5
 * answers 403), fetches every tile of a bounding box over a zoom range with fetchTiles — what
 * `hotconn tiles <template> --bbox … --zoom … --out DIR` does — then checks every stored tile
 * (a PNG, the origin's tile byte for byte) and that the 403 IP ended blacklisted, and writes a
 * preview mosaic beside the tiles (every tile of its zoom level must decode). Exit code 0 when all of that holds,
 * 1 otherwise, 2 for a usage error. Nothing in the repository is written unless --report is given.
 *
 *   npm start
 *   npm start -- --out DIR [--bbox w,s,e,n] [--zoom Z0-Z1] [--format dir|mbtiles] [--rate N/s] [--report]
 */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  bboxSource,
  fetchTiles,
  HotConnError,
  InvalidArgumentError,
  mosaicZoom,
  openTileStore,
  parseBBox,
  parseRate,
  parseZoomRange,
  renderMosaic,
  sniffImage,
  startDemoOrigin,
  tileBody,
  writeTileReport,
  type TileFormat,
  type TileRunResult,
  type TileSource,
} from 'hotconn'

const HELP = `Usage: npm start -- [options]
  Fetch the tiles of a bounding box and zoom range from the embedded demo origin (https://tiles.test
  on 127.0.0.2-5, DNS on 127.0.0.1; 127.0.0.5 answers 403) into a directory, check every tile and
  that the 403 IP ended blacklisted.

Options:
  --out <dir|file>       where the tiles go (default: a new directory under ${tmpdir()})
  --bbox <w,s,e,n>       bounding box (default -30,20,60,70)
  --zoom <Z0-Z1>         zoom range (default 0-7: 1,325 tiles)
  --format <dir|mbtiles> output format (default dir; mbtiles needs Node 22.13+)
  --rate <N/s>           requests per second (default: unlimited, 32 in flight)
  --report               also write reports/tiles-tiles.test.md with its charts and mosaic
  -h, --help             this help
`

export interface StartOptions {
  out: string | undefined
  tiles: TileSource
  format: TileFormat | undefined
  rate: number | undefined
  report: boolean
}

/** Parses the script's arguments. @throws InvalidArgumentError */
export function parseStartArgs(argv: string[]): StartOptions | 'help' {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        out: { type: 'string' },
        bbox: { type: 'string', default: '-30,20,60,70' },
        zoom: { type: 'string', default: '0-7' },
        format: { type: 'string' },
        rate: { type: 'string' },
        report: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }))
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}\n\n${HELP}`)
  }
  if (values.help) return 'help'
  if (values.format !== undefined && values.format !== 'dir' && values.format !== 'mbtiles')
    throw new InvalidArgumentError(`--format must be dir or mbtiles, got ${JSON.stringify(values.format)}`)
  const { minZoom, maxZoom } = parseZoomRange(values.zoom)
  return {
    out: values.out,
    tiles: bboxSource(parseBBox(values.bbox), minZoom, maxZoom),
    format: values.format as TileFormat | undefined,
    rate: values.rate === undefined ? undefined : parseRate(values.rate),
    report: values.report,
  }
}

/** Every tile in the store is a PNG and the origin's tile; returns the problems found. */
async function verify(r: TileRunResult, tiles: TileSource): Promise<string[]> {
  const store = await openTileStore({
    format: r.format,
    location: r.location,
    extension: r.extension,
    metadata: { name: 'check', format: 'png' },
  })
  const problems: string[] = []
  try {
    for (const t of tiles.tiles()) {
      const body = await store.get(t)
      const name = `${t.z}/${t.x}/${t.y}`
      if (body === undefined) problems.push(`${name} is not stored`)
      else if (!body.equals(tileBody(t.z, t.x, t.y))) problems.push(`${name} differs from the origin's tile`)
      else if (sniffImage(body) !== 'png') problems.push(`${name} is not a PNG`)
    }
  } finally {
    await store.close()
  }
  return problems
}

/** Draws the preview mosaic beside the tiles; returns its file and how many of its tiles did not decode. */
async function mosaic(r: TileRunResult, tiles: TileSource): Promise<{ file: string; undecodable: number } | undefined> {
  const z = mosaicZoom(tiles.tiles())
  if (z === undefined) return undefined
  const store = await openTileStore({
    format: r.format,
    location: r.location,
    extension: r.extension,
    metadata: { name: 'mosaic', format: 'png' },
  })
  try {
    const m = await renderMosaic(store, tiles.tiles(), z)
    if (m === undefined) return undefined
    const file = r.format === 'dir' ? join(r.location, `preview-z${z}.png`) : `${r.location}.preview-z${z}.png`
    await writeFile(file, m.png)
    return { file, undecodable: m.undecodable }
  } finally {
    await store.close()
  }
}

export async function start(o: StartOptions): Promise<number> {
  const demo = await startDemoOrigin({ forbiddenIps: ['127.0.0.5'], dns: true })
  try {
    const out = o.out ?? (await mkdtemp(join(tmpdir(), 'hotconn-demo-tiles-')))
    const template = demo.url('/tiles/{z}/{x}/{y}.png')
    process.stdout.write(
      `hotconn tiles ${template} --bbox … --zoom … --out ${out} (DNS 127.0.0.1:${demo.dns!.port}, demo CA)\n`,
    )
    const r = await fetchTiles({
      template,
      tiles: o.tiles,
      out,
      ...(o.format === undefined ? {} : { format: o.format }),
      ...(o.rate === undefined ? {} : { rate: o.rate }),
      pool: { ca: demo.caPem, dns: { servers: [`127.0.0.1:${demo.dns!.port}`] } },
      progress: process.stderr,
    })
    const problems = [...(await verify(r, o.tiles)).slice(0, 10)]
    // A rerun that finds every tile stored sends no request, so nothing can be blacklisted.
    if (r.responses > 0 && !r.blacklisted.some((b) => b.ip === '127.0.0.5'))
      problems.push('127.0.0.5 (answers 403) is not blacklisted at the end')
    const preview = await mosaic(r, o.tiles)
    if (preview !== undefined && preview.undecodable > 0)
      problems.push(`${preview.undecodable} tiles of the preview do not decode as PNG`)
    process.stdout.write(
      `${r.stored + r.skipped}/${r.total} tiles in ${r.format} ${r.location} (${r.stored} fetched, ${r.skipped} already there, ${r.failed} failed), ${r.responses} responses, ${r.retries} retries, ${(r.wallMs / 1000).toFixed(2)} s: ${r.tilesPerSecond.toFixed(0)} tiles/s\n` +
        `statuses: ${JSON.stringify(r.statuses)}; blacklisted: ${r.blacklisted.map((b) => `${b.ip} (${b.reason})`).join(', ') || 'none'}\n` +
        (preview === undefined ? '' : `preview: ${preview.file}\n`),
    )
    if (o.report) process.stdout.write(`report: ${(await writeTileReport(r, { tiles: o.tiles })).join(', ')}\n`)
    process.stdout.write(problems.length === 0 ? 'OK\n' : `FAILED: ${problems.join('; ')}\n`)
    return problems.length === 0 ? 0 : 1
  } finally {
    await demo.close()
  }
}

async function main(argv: string[]): Promise<number> {
  try {
    const o = parseStartArgs(argv)
    if (o === 'help') {
      process.stdout.write(HELP)
      return 0
    }
    return await start(o)
  } catch (err) {
    if (!(err instanceof HotConnError)) throw err
    process.stderr.write(`tile-fetch: ${err.code}: ${err.message}\n`)
    return err.code === 'ERR_INVALID_ARGUMENT' ? 2 : 1
  }
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code))
}
