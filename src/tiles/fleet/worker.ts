/**
 * `runTileWorker()`: one fleet worker. Takes tile jobs from the BullMQ queue and fetches them as
 * fetchTiles does (skip stored tiles, budget, checks, retries, store), with the fleet's shared
 * parts: the per-host budget in Redis (RedisBudget), the shared IP view (RedisIpView) and counters
 * in a Redis hash. Jobs of a worker that dies are retried by the others once their lock expires
 * (BullMQ stalled jobs); tiles stored meanwhile are skipped, so only tiles in flight are fetched
 * twice. While Redis is away the worker pauses (commands wait) and resumes when it is back.
 */
import { setMaxListeners } from 'node:events'
import type { Job, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import { HotConnPool, type HotConnPoolOptions } from '../../pool/index.js'
import { contentTypeForExtension, type ContentCheckOptions } from '../content.js'
import { TileFetcher, type FetcherDeps, type TileObserver } from '../fetch-tile.js'
import { UNLIMITED, type RequestBudget } from '../rate.js'
import { DEFAULT_RETRY, type RetryPolicy } from '../retry.js'
import { RunStats } from '../run-stats.js'
import { openTileStore, type TileFormat, type TileStore } from '../store.js'
import { parseTemplate } from '../template.js'
import { RedisBudget } from './budget.js'
import { RedisIpView } from './ip-view.js'
import { checkJobData, type TileJobData } from './queue.js'
import { FleetCounters, type FleetTotals } from './counters.js'
import { connectRedis, DEFAULT_QUEUE } from './redis.js'

export interface TileWorkerOptions {
  redis: string
  queue?: string
  /** Output directory (or .mbtiles file): workers of one machine may share it. */
  out: string
  format?: TileFormat
  /** Requests per second to each host for the whole fleet (a budget in Redis). */
  rate?: number
  /** Requests in flight in this worker. Default 32. */
  concurrency?: number
  /** A pool to use (yours: not closed at the end), or options for the worker's own. */
  pool?: HotConnPool | HotConnPoolOptions
  headers?: Readonly<Record<string, string>>
  check?: ContentCheckOptions
  retry?: Partial<RetryPolicy>
  /** Name in shared records and counters. Default host-pid. */
  id?: string
  /** Job lock (ms): a dead worker's jobs go to others this long after it died. Default 30 000. */
  lockMs?: number
  /** Return once the queue has had no job for this long (ms); undefined = until `signal`. */
  idleExitMs?: number
  signal?: AbortSignal
  observers?: readonly TileObserver[]
}

export interface TileWorkerResult {
  id: string
  /** Job attempts this worker ran to the end. */
  jobs: number
  /** Tiles by outcome in this worker (see TileOutcome). */
  stored: number
  existed: number
  skipped: number
  failed: number
  retries: number
  /** Jobs this worker refused as not tile jobs (failed without retries; see checkJobData). */
  rejected: number
  /** Tiles this worker fetched in jobs delivered before (their worker died or lost its lock, or an attempt failed). */
  redelivered: number
  /** Blacklistings this worker shared, and received from others. */
  ipsShared: number
  ipsReceived: number
  /** Those blacklistings (at most 100): when (epoch ms), which IP, which worker saw it first. */
  ipLog: Array<{ at: number; host: string; ip: string; by: string }>
  /** CPU time of this process (user + system, ms) from start to stop. */
  cpuMs: number
  /** The whole fleet's counters when this worker stopped. */
  fleet: FleetTotals
}

interface Parts {
  o: TileWorkerOptions
  id: string
  queue: string
  pool: HotConnPool
  store: TileStore
  budget: RequestBudget
  view: RedisIpView
  stats: RunStats
  redis: Redis
  counters: FleetCounters
  signal: AbortSignal
  fetchers: Map<string, Promise<Omit<FetcherDeps, 'store'>>>
  result: Omit<TileWorkerResult, 'fleet' | 'ipsShared' | 'ipsReceived' | 'ipLog' | 'cpuMs'>
}

/** Runs a worker until `signal` aborts or the queue stays empty for `idleExitMs`. */
export async function runTileWorker(o: TileWorkerOptions): Promise<TileWorkerResult> {
  const parts = await setup(o)
  const { Worker: BullWorker, UnrecoverableError } = await import('bullmq')
  const connection = await connectRedis(o.redis, `hotconn-worker-${parts.id}`)
  const lockMs = o.lockMs ?? 30_000
  const run = async (job: Job<TileJobData>): Promise<void> => {
    try {
      job.data = checkJobData(job.data)
      parseTemplate(job.data.template, job.data.subdomains)
    } catch (err) {
      parts.result.rejected++
      // No retry: the job's data will not change.
      throw new UnrecoverableError(`${(err as Error).message} (job ${job.id})`)
    }
    return processJob(parts, job)
  }
  const worker: Worker<TileJobData> = new BullWorker<TileJobData>(parts.queue, run, {
    connection,
    concurrency: Math.max(1, Math.ceil((o.concurrency ?? 32) / 8)),
    lockDuration: lockMs,
    stalledInterval: Math.max(500, Math.floor(lockMs / 2)),
    maxStalledCount: 100,
  })
  worker.on('error', () => {}) // connection errors: the worker retries; jobs are retried by BullMQ
  let fleet: FleetTotals | undefined
  try {
    await untilDone(parts)
    fleet = await parts.counters.totals()
  } finally {
    await worker.close(true).catch(() => {})
    connection.disconnect()
    await teardown(parts)
  }
  const { published, received, log } = parts.view
  const cpu = process.cpuUsage()
  const cpuMs = Math.round((cpu.user + cpu.system) / 1000)
  return { ...parts.result, ipsShared: published, ipsReceived: received, ipLog: [...log], cpuMs, fleet }
}

async function setup(o: TileWorkerOptions): Promise<Parts> {
  const id = o.id ?? `${process.pid}`
  const queue = o.queue ?? DEFAULT_QUEUE
  const redis = await connectRedis(o.redis, `hotconn-state-${id}`)
  const sub = await connectRedis(o.redis, `hotconn-sub-${id}`)
  const pool =
    o.pool instanceof HotConnPool
      ? o.pool
      : new HotConnPool({ ...o.pool, pool: { maxConnsPerHost: o.concurrency ?? 32, ...o.pool?.pool } })
  const format = o.format ?? (/\.mbtiles$/i.test(o.out) ? 'mbtiles' : 'dir')
  const store = await openTileStore({
    format,
    location: o.out,
    extension: '.png',
    metadata: { name: queue, format: 'png' },
  })
  const view = new RedisIpView(redis, sub, pool, queue, id)
  await view.start()
  const controller = new AbortController()
  setMaxListeners(Math.max(100, (o.concurrency ?? 32) * 4), controller.signal) // one per request waiting
  o.signal?.addEventListener('abort', () => controller.abort(o.signal?.reason), { once: true })
  return {
    o,
    id,
    queue,
    pool,
    store,
    budget: o.rate === undefined ? UNLIMITED : new RedisBudget(redis, queue, o.rate),
    view,
    stats: new RunStats([]),
    redis,
    counters: new FleetCounters(redis, queue),
    signal: controller.signal,
    fetchers: new Map(),
    result: {
      id,
      jobs: 0,
      stored: 0,
      existed: 0,
      skipped: 0,
      failed: 0,
      retries: 0,
      rejected: 0,
      redelivered: 0,
    },
  }
}

async function teardown(p: Parts): Promise<void> {
  p.result.retries = p.stats.retries
  p.stats.close()
  await p.view.close()
  await p.store.close()
  if (!(p.o.pool instanceof HotConnPool)) await p.pool.close()
  p.redis.disconnect()
}

/** What a template's fetchers share: made (its hosts warmed, the shared IP view applied) on first use. */
function depsFor(p: Parts, template: string, subdomains: readonly string[]): Promise<Omit<FetcherDeps, 'store'>> {
  let f = p.fetchers.get(template)
  if (f === undefined) {
    f = (async () => {
      const t = parseTemplate(template, subdomains)
      for (const origin of t.origins) await p.pool.warmup(origin)
      await p.view.sync()
      return {
        dispatcher: p.pool,
        template: t,
        budget: p.budget,
        retry: { ...DEFAULT_RETRY, ...p.o.retry },
        check: p.o.check ?? { contentType: contentTypeForExtension(t.extension) },
        headers: { ...p.o.headers },
        strikeStatuses: p.pool.config.blacklist.statusCodes,
        observers: p.o.observers ?? [],
        stats: p.stats,
        signal: p.signal,
        maxBytes: 16 * 1024 * 1024,
      }
    })()
    p.fetchers.set(template, f)
    f.catch(() => p.fetchers.delete(template))
  }
  return f
}

/**
 * One attempt of one job: its tiles through a fetcher that marks each request in the job's
 * counters; the outcomes are recorded at the end. Throws when a tile failed (BullMQ retries the
 * job, stored tiles are skipped then).
 */
async function processJob(p: Parts, job: Job<TileJobData>): Promise<void> {
  const deps = await depsFor(p, job.data.template, job.data.subdomains)
  const id = `${job.id}:${job.timestamp}`
  const delivery = `${p.id}:${job.attemptsStarted}`
  const marker: TileObserver = { request: (tile) => p.counters.requested(id, delivery, tile) }
  const fetcher = new TileFetcher({ ...deps, store: p.store, observers: [marker, ...deps.observers] })
  const t = job.data.tiles
  const tiles = Array.from({ length: t.length / 3 }, (_, i) => ({ z: t[3 * i]!, x: t[3 * i + 1]!, y: t[3 * i + 2]! }))
  const outcomes = await Promise.all(tiles.map((tile) => fetcher.run(tile)))
  const attempt = job.attemptsMade + 1
  const again = job.attemptsStarted > 1 || job.stalledCounter > 0
  const failed = outcomes.filter((o) => o.result === 'failed')
  const final = failed.length === 0 || attempt >= (job.opts.attempts ?? 1)
  await p.counters.record(id, delivery, attempt, outcomes, final)
  p.result.jobs++
  for (const o of outcomes) {
    if (o.result === 'stored') p.result.stored++
    else if (o.result === 'exists') p.result.existed++
    else if (o.result === 'skipped') p.result.skipped++
    else p.result.failed++
    if (again && o.attempts > 0) p.result.redelivered++
  }
  if (failed.length > 0) throw new Error(`${failed.length} of ${tiles.length} tiles failed: ${failed[0]!.reason}`)
}

/** Resolves when the signal aborts, or once the queue has had no waiting, active or delayed job for idleExitMs. */
async function untilDone(p: Parts): Promise<void> {
  const { Queue } = await import('bullmq')
  const queue = new Queue(p.queue, { connection: p.redis })
  queue.on('error', () => {}) // Redis away: the counts below wait for it
  let idleSince: number | undefined
  try {
    while (!p.signal.aborted) {
      await new Promise((r) => setTimeout(r, 250))
      if (p.o.idleExitMs === undefined) continue
      const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children')
      const busy = Object.values(counts).some((n) => n > 0)
      if (busy) idleSince = undefined
      else if ((idleSince ??= performance.now()) + p.o.idleExitMs <= performance.now()) return
    }
  } finally {
    await queue.close().catch(() => {})
  }
}
