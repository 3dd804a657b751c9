/** Checks the options of fetchTiles and builds what a run needs: template, store, pool, budget, progress. */
import { setMaxListeners } from 'node:events'
import { InvalidArgumentError } from '../errors.js'
import { HotConnPool, type HotConnPoolOptions } from '../pool/index.js'
import { contentTypeForExtension } from './content.js'
import type { FetcherDeps } from './fetch-tile.js'
import type { TileJobOptions } from './job.js'
import type { TileOutcome } from './fetch-tile.js'
import { TileProgress } from './progress.js'
import { LocalBudget, poolSizeForRpm, UNLIMITED } from './rate.js'
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js'
import type { TileSource } from './source.js'
import { extensionForType, openTileStore, type TileFormat, type TileStore } from './store.js'
import { DEFAULT_SUBDOMAINS, parseTemplate, type TileTemplate } from './template.js'

export interface PreparedJob {
  template: TileTemplate
  source: TileSource
  store: TileStore
  extension: string
  pool: HotConnPool
  concurrency: number
  rate: number | undefined
  /** `hostname:port` of every host the template names. */
  hostKeys: string[]
  fetcher: Omit<FetcherDeps, 'stats' | 'signal'>
  progress: TileProgress | undefined
  signal: AbortSignal
  failures: TileOutcome[]
  fatal: unknown
  /** Stops the run because of `err` (a store error); fetchTiles rethrows it. */
  fail(err: unknown): void
  close(): Promise<void>
}

const MAX_CONCURRENCY = 10_000

function intOption(name: string, v: number | undefined, min: number, max: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min || v > max))
    throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}, got ${v}`)
}

function checkOptions(o: TileJobOptions): void {
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError('fetchTiles options must be an object')
  if (typeof o.template !== 'string') throw new InvalidArgumentError('template must be a URL template string')
  if (typeof o.out !== 'string' || o.out === '')
    throw new InvalidArgumentError('out must name a directory or an .mbtiles file')
  if (o.tiles === undefined || typeof o.tiles.tiles !== 'function')
    throw new InvalidArgumentError('tiles must be a TileSource (bboxSource, readTileList, listSource)')
  if (o.format !== undefined && o.format !== 'dir' && o.format !== 'mbtiles')
    throw new InvalidArgumentError(`format must be dir or mbtiles, got ${JSON.stringify(o.format)}`)
  if (o.rate !== undefined && !(Number.isFinite(o.rate) && o.rate > 0))
    throw new InvalidArgumentError(`rate must be a positive number of requests per second, got ${o.rate}`)
  intOption('concurrency', o.concurrency, 1, MAX_CONCURRENCY)
  intOption('maxTileBytes', o.maxTileBytes, 1, 1 << 30)
  intOption('retry.maxAttempts', o.retry?.maxAttempts, 1, 100)
}

/** The pool keys a run of `size` requests in flight needs, under the user's own keys. */
function sizedPoolOptions(input: HotConnPoolOptions, size: number, hosts: number): HotConnPoolOptions {
  const pool = input.pool ?? {}
  const perHost = (pool as { maxConnsPerHost?: number }).maxConnsPerHost ?? size
  return {
    ...input,
    // Warm a share of the pool up front (16 handshakes at a time) rather than in a burst at the start of the run.
    pool: {
      maxConnsPerHost: perHost,
      maxConnections: Math.max(100, perHost * hosts),
      warmConnsPerIp: Math.max(1, Math.ceil(perHost / 8)),
      ...pool,
    },
  }
}

function makePool(o: TileJobOptions, size: number, hosts: number): { pool: HotConnPool; owned: boolean } {
  if (o.pool instanceof HotConnPool) return { pool: o.pool, owned: false }
  const input = o.pool ?? {}
  const resolved = 'pool' in input && Object.isFrozen((input as { pool?: object }).pool)
  return { pool: new HotConnPool(resolved ? input : sizedPoolOptions(input, size, hosts)), owned: true }
}

function formatName(ext: string): string {
  return ext === '.jpg' || ext === '.jpeg' ? 'jpg' : ext === '' ? 'png' : ext.slice(1)
}

/** @throws InvalidArgumentError; TileStoreError when the store cannot be opened */
export async function prepareJob(o: TileJobOptions): Promise<PreparedJob> {
  checkOptions(o)
  const template = parseTemplate(o.template, o.subdomains ?? DEFAULT_SUBDOMAINS)
  const format: TileFormat = o.format ?? (/\.mbtiles$/i.test(o.out) ? 'mbtiles' : 'dir')
  const check = o.check ?? { contentType: contentTypeForExtension(template.extension) }
  const extension = template.extension !== '' ? template.extension : extensionForType(check.contentType)
  const concurrency = o.concurrency ?? (o.rate === undefined ? 32 : poolSizeForRpm(o.rate * 60))
  const store = await openTileStore({
    format,
    location: o.out,
    extension,
    metadata: metadata(template, o.tiles, extension),
  })
  let made: { pool: HotConnPool; owned: boolean }
  try {
    made = makePool(o, concurrency, template.origins.length)
  } catch (err) {
    await store.close()
    throw err
  }
  const ownedBudget = o.budget === undefined && o.rate !== undefined
  const budget = o.budget ?? (o.rate === undefined ? UNLIMITED : new LocalBudget(o.rate))
  return assemble(o, { template, store, extension, concurrency, check, budget }, made, ownedBudget)
}

function metadata(
  template: TileTemplate,
  source: TileSource,
  ext: string,
): import('./mbtiles-store.js').MbtilesMetadata {
  const b = source.bbox
  return {
    name: new URL(template.origins[0]!).hostname,
    format: formatName(ext),
    description: `hotconn tiles ${template.text}`,
    ...(b === undefined ? {} : { bounds: `${b.minLon},${b.minLat},${b.maxLon},${b.maxLat}` }),
    ...(source.zooms.length === 0 ? {} : { minzoom: source.zooms[0]!, maxzoom: source.zooms.at(-1)! }),
  }
}

function assemble(
  o: TileJobOptions,
  parts: Pick<PreparedJob, 'template' | 'store' | 'extension' | 'concurrency'> & Pick<FetcherDeps, 'check' | 'budget'>,
  made: { pool: HotConnPool; owned: boolean },
  ownedBudget: boolean,
): PreparedJob {
  const controller = new AbortController()
  // Every tile in flight waits on the signal (its fetch, its backoff sleep, its budget slot).
  setMaxListeners(Math.max(100, parts.concurrency * 4), controller.signal)
  const onAbort = (): void => controller.abort(o.signal?.reason)
  o.signal?.addEventListener('abort', onAbort, { once: true })
  if (o.signal?.aborted === true) onAbort()
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...o.retry }
  const job: PreparedJob = {
    ...parts,
    source: o.tiles,
    pool: made.pool,
    rate: o.rate,
    hostKeys: parts.template.origins.map((origin) => hostKey(origin)),
    fetcher: {
      dispatcher: made.pool,
      template: parts.template,
      store: parts.store,
      budget: parts.budget,
      retry,
      check: parts.check,
      headers: { ...o.headers },
      strikeStatuses: made.pool.config.blacklist.statusCodes,
      observers: o.observers ?? [],
      maxBytes: o.maxTileBytes ?? 16 * 1024 * 1024,
    },
    progress:
      o.progress === undefined || o.progress === false
        ? undefined
        : new TileProgress(o.progress, o.tiles.count, 'tiles', o.progressIntervalMs),
    signal: controller.signal,
    failures: [],
    fatal: undefined,
    fail(err) {
      job.fatal ??= err
      controller.abort(err)
    },
    async close() {
      o.signal?.removeEventListener('abort', onAbort)
      await parts.store.close()
      if (made.owned) await made.pool.close()
      if (ownedBudget) await parts.budget.close()
    },
  }
  return job
}

/** `hostname:port` of an https origin, as the pool keys its hosts. */
export function hostKey(origin: string): string {
  const u = new URL(origin)
  return `${u.hostname}:${u.port === '' ? 443 : u.port}`
}
