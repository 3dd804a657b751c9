/**
 * `hotconn tiles <template> (--bbox … --zoom … | --list FILE) --out DIR [options]`: the tile-fetch
 * job (fetchTiles) from the command line. Ctrl-C stops it cleanly; the same command continues
 * where it stopped. Exit code 0 when every tile is stored, 1 otherwise, 2 for a usage error,
 * 130 when interrupted.
 */
import { InvalidArgumentError } from '../errors.js'
import { HotConnPool } from '../pool/index.js'
import {
  fetchTiles,
  HotConnMetrics,
  parseListenAddress,
  parseTemplate,
  serveMetrics,
  type MetricsServer,
  poolSizeForRpm,
  writeTileReport,
  type ProgressStream,
  type TileRunResult,
} from '../tiles/index.js'
import { parseFlags } from './args.js'
import type { CliIO, Command } from './main.js'
import { POOL_FLAG_HELP, POOL_FLAG_OPTIONS, poolOptionsFromFlags, positiveInt } from './pool-flags.js'
import {
  checkFromFlags,
  formatFromFlags,
  headersFromFlags,
  rateFromFlags,
  TILE_FLAG_HELP,
  TILE_FLAG_OPTIONS,
  tileSourceFromFlags,
} from './tile-flags.js'
import { enqueueCommand, workerCommand } from './tile-fleet.js'
import { formatTileSummary } from './tile-summary.js'

const HELP = `Usage: hotconn tiles <template> (--bbox w,s,e,n --zoom Z0-Z1 | --list FILE) --out DIR [options]
  Fetch every tile of a bounding box and zoom range (or a list) through a hot pool into a
  directory tree (z/x/y.ext) or an MBTiles file. Tiles already stored are skipped, so an
  interrupted run continues where it stopped. Template placeholders: {z} {x} {y} {-y} (TMS row)
  {q} (quadkey) {s} (subdomain).
  Fleet mode on Redis: 'hotconn tiles enqueue --help' and 'hotconn tiles worker --help'.

Options:
${TILE_FLAG_HELP}  --report                  write reports/tiles-<host>.md with charts and a mosaic
  --report-to <file>        write the report there instead
  --mosaic-zoom <z>         zoom level of the report's mosaic (default: the deepest that fits)
  --json                    print the result as JSON instead of the summary
  --metrics <ip:port>       serve Prometheus metrics at http://ip:port/metrics during the run
${POOL_FLAG_HELP}  -h, --help                this help
`

export const tilesCommand: Command = {
  summary: 'fetch the tiles of a bounding box and zoom range (or a list) into a directory or MBTiles',
  run,
}

const OPTIONS = {
  ...POOL_FLAG_OPTIONS,
  ...TILE_FLAG_OPTIONS,
  report: { type: 'boolean', default: false },
  'report-to': { type: 'string' },
  'mosaic-zoom': { type: 'string' },
  json: { type: 'boolean', default: false },
  metrics: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const

async function run(argv: string[], io: CliIO): Promise<number> {
  if (argv[0] === 'enqueue') return enqueueCommand(argv.slice(1), io)
  if (argv[0] === 'worker') return workerCommand(argv.slice(1), io)
  const { values, positionals } = parseFlags(argv, OPTIONS, HELP)
  if (values.help) {
    io.stdout.write(HELP)
    return 0
  }
  if (positionals.length !== 1)
    throw new InvalidArgumentError(`give exactly one URL template, got ${positionals.length}\n\n${HELP}`)
  if (values.out === undefined) throw new InvalidArgumentError('--out is required: a directory or an .mbtiles file')
  const template = parseTemplate(positionals[0]!, values.subdomains?.split(','))
  const tiles = await tileSourceFromFlags(values)
  const rate = rateFromFlags(values)
  const concurrency =
    values.concurrency === undefined ? undefined : positiveInt('--concurrency', values.concurrency, 32, 10_000)
  const size = concurrency ?? (rate === undefined ? 32 : poolSizeForRpm(rate * 60))
  const mosaicZoom =
    values['mosaic-zoom'] === undefined ? undefined : positiveInt('--mosaic-zoom', values['mosaic-zoom'], 0, 30)
  const setup = await poolOptionsFromFlags(values, {
    maxConnsPerHost: size,
    maxConnections: Math.max(100, size * template.origins.length),
  })
  const pool = new HotConnPool(setup)
  const metrics = values.metrics === undefined ? undefined : await startMetrics(values.metrics, pool, io)
  const stop = new AbortController()
  const onSignal = (): void => stop.abort(new Error('interrupted'))
  process.once('SIGINT', onSignal)
  let result: TileRunResult
  try {
    result = await fetchTiles({
      template: template.text,
      subdomains: template.subdomains,
      tiles,
      out: values.out,
      ...optional({ format: formatFromFlags(values), rate, concurrency: size, check: checkFromFlags(values) }),
      headers: headersFromFlags(values.header),
      retry: values.attempts === undefined ? {} : { maxAttempts: positiveInt('--attempts', values.attempts, 5, 100) },
      pool,
      signal: stop.signal,
      progress: io.stderr as ProgressStream,
      observers: metrics === undefined ? [] : [metrics.metrics.tiles],
    })
  } finally {
    process.off('SIGINT', onSignal)
    await pool.close()
    await metrics?.close()
  }
  io.stdout.write(values.json ? `${JSON.stringify(result)}\n` : formatTileSummary(result))
  if (values.report || values['report-to'] !== undefined) {
    const files = await writeTileReport(result, { ...optional({ path: values['report-to'], mosaicZoom }), tiles })
    io.stdout.write(`report: ${files.join(', ')}\n`)
  }
  return result.ok ? 0 : result.interrupted ? 130 : 1
}

/** Metrics of the pool and the run, served at `address` until close(). */
async function startMetrics(
  address: string,
  pool: HotConnPool,
  io: CliIO,
): Promise<{ metrics: HotConnMetrics; close(): Promise<void> }> {
  parseListenAddress(address)
  const metrics = new HotConnMetrics()
  metrics.observePool(pool)
  let server: MetricsServer
  try {
    server = await serveMetrics(metrics.registry, address)
  } catch (err) {
    metrics.close()
    throw new InvalidArgumentError(
      `--metrics ${address}: cannot listen (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    )
  }
  io.stderr.write(`metrics: ${server.url}\n`)
  return {
    metrics,
    close: async () => {
      metrics.close()
      await server.close()
    },
  }
}

/** The entries of `o` that are not undefined. */
function optional<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never
}
