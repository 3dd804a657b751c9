/**
 * `fetchTiles()`: the tile-fetch job. Fetches every tile of a source through a HotConnPool into
 * a store, resumable (stored tiles are skipped), paced by a per-host request budget, with content
 * checks, retries and progress. `hotconn tiles` is this function behind flags.
 *
 *   const result = await fetchTiles({
 *     template: 'https://tile.example.com/{z}/{x}/{y}.png',
 *     tiles: bboxSource(parseBBox('13.3,52.4,13.5,52.6'), 10, 14),
 *     out: 'tiles/', rate: 50,
 *   })
 */
import PQueue from 'p-queue'
import type { HotConnPool, HotConnPoolOptions, WarmupResult } from '../pool/index.js'
import type { ContentCheckOptions } from './content.js'
import { TileFetcher, type TileObserver } from './fetch-tile.js'
import type { ProgressStream } from './progress.js'
import type { RequestBudget } from './rate.js'
import type { RetryPolicy } from './retry.js'
import { RunStats } from './run-stats.js'
import type { TileSource } from './source.js'
import type { TileFormat } from './store.js'
import { prepareJob, type PreparedJob } from './job-setup.js'
import { summarize, type TileRunResult } from './job-result.js'

export interface TileJobOptions {
  /** URL template with {z} {x} {y} {-y} {q} {s} (see parseTemplate). */
  template: string
  /** Subdomains for {s}. Default a, b, c. */
  subdomains?: readonly string[]
  /** The tiles to fetch (bboxSource, readTileList, listSource). */
  tiles: TileSource
  /** Output: a directory (format dir) or an .mbtiles file. */
  out: string
  /** Default: mbtiles when `out` ends in .mbtiles, else dir. */
  format?: TileFormat
  /** Requests per second to each host (undefined = unlimited). Sizes the pool: max(10, min(200, rpm / 10)) connections and requests in flight. */
  rate?: number
  /** Requests in flight. Default: from `rate` as above, else 32. */
  concurrency?: number
  /** A pool to use (yours: not closed at the end), or options for the one the job makes. */
  pool?: HotConnPool | HotConnPoolOptions
  /** Extra request headers (e.g. Referer, an API key). */
  headers?: Readonly<Record<string, string>>
  /** Content checks. Default: the content type the template's extension names (image/png for .png), no signature check. */
  check?: ContentCheckOptions
  retry?: Partial<RetryPolicy>
  /** A shared budget (fleet mode) instead of a LocalBudget of `rate`. */
  budget?: RequestBudget
  /** Stops the run: no new tile starts, requests in flight are aborted (their tiles stay unstored). */
  signal?: AbortSignal
  /** Progress bar (TTY) or periodic lines. Default: none. */
  progress?: ProgressStream | false
  /** Plain progress line interval off a terminal (ms). Default 2000. */
  progressIntervalMs?: number
  /** Called as tiles progress (metrics, fleet counters). */
  observers?: readonly TileObserver[]
  /** Largest tile accepted (bytes). Default 16 MiB. */
  maxTileBytes?: number
}

export type { TileRunResult } from './job-result.js'

/**
 * Runs the job. Resolves with the result when every tile was tried or the signal stopped the
 * run; a failed tile does not throw (see `failed`, `failures`).
 * @throws InvalidArgumentError for bad options (before anything connects); DnsError when a
 *   host does not resolve at warm-up; TileStoreError when the store cannot be written (the run
 *   stops at once)
 */
export async function fetchTiles(options: TileJobOptions): Promise<TileRunResult> {
  const job = await prepareJob(options)
  const stats = new RunStats(job.hostKeys)
  for (const o of job.fetcher.observers) o.start?.(job.source.count)
  try {
    const warmups = await warm(job)
    const started = performance.now()
    const interrupted = await runQueue(job, stats)
    const wallMs = performance.now() - started
    job.progress?.stop(counts(stats), rate(stats, wallMs))
    return summarize(job, stats, warmups, wallMs, interrupted)
  } finally {
    stats.close()
    job.progress?.stop(counts(stats), 0)
    await job.close()
  }
}

async function warm(job: PreparedJob): Promise<WarmupResult[]> {
  const out: WarmupResult[] = []
  for (const origin of job.template.origins) out.push(await job.pool.warmup(origin))
  return out
}

function counts(s: RunStats): { done: number; failed: number; skipped: number; retries: number } {
  return { done: s.stored + s.existed + s.skipped + s.failed, failed: s.failed, skipped: s.skipped, retries: s.retries }
}

function rate(s: RunStats, ms: number): number {
  return ms > 0 ? ((s.stored + s.existed + s.failed) * 1000) / ms : 0
}

/** Feeds the tiles through a queue of `concurrency`; resolves to whether the run was interrupted. */
async function runQueue(job: PreparedJob, stats: RunStats): Promise<boolean> {
  const fetcher = new TileFetcher({ ...job.fetcher, stats, signal: job.signal })
  const queue = new PQueue({ concurrency: job.concurrency })
  const started = performance.now()
  const tick = (): void => job.progress?.update(counts(stats), rate(stats, performance.now() - started))
  const onAbort = (): void => queue.clear()
  job.signal.addEventListener('abort', onAbort, { once: true })
  try {
    for (const tile of job.source.tiles()) {
      if (job.signal.aborted) break
      await queue.onSizeLessThan(job.concurrency)
      if (job.signal.aborted) break
      void queue.add(async () => {
        try {
          const outcome = await fetcher.run(tile)
          if (outcome.result === 'failed' && job.failures.length < 100) job.failures.push(outcome)
        } catch (err) {
          if (!job.signal.aborted) job.fail(err)
        }
        tick()
      })
    }
    await queue.onIdle()
  } finally {
    job.signal.removeEventListener('abort', onAbort)
  }
  if (job.fatal !== undefined) throw job.fatal
  return job.signal.aborted
}
