/**
 * The tile-fetch job behind `npm start`: warm a HotConnPool, fetch many tiles through
 * `fetch(url, { dispatcher: pool })` with bounded concurrency, retry tiles that got a blacklist
 * status (the pool moves away from the IP once it is blacklisted), verify every body, print the
 * per-IP table and write a Markdown report.
 *
 * Two targets:
 * - the embedded demo origin (default): HTTPS on 127.0.0.2–127.0.0.5 with a CA made at start, a
 *   DNS server on 127.0.0.1 answering `tiles.test` with those IPs, and 127.0.0.5 answering 403.
 *   Checks: every tile arrives with the bytes of `tileBody`, and 127.0.0.5 ends blacklisted.
 * - a real URL: N copies of it, system resolver and system roots. Checks: every copy gets a 2xx
 *   with as many bytes as its Content-Length says.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import PQueue from 'p-queue'
import { fetch } from 'undici'
import { isProfileName, PROFILE_NAMES, type ProfileName } from '../config/index.js'
import { startDemoOrigin, tileBody, type DemoOrigin, type OriginIpStats } from '../demo/index.js'
import { InvalidArgumentError } from '../errors.js'
import { HotConnPool, type HostStats, type HotConnPoolOptions, type WarmupResult } from '../pool/index.js'
import { errorCode, errorMessage } from './pool-flags.js'
import { Progress, type ProgressStream } from './progress.js'
import { formatHostTable, formatMs } from './table.js'
import { renderTileReport } from './tile-report.js'

/** The IP of the demo origin that answers 403. */
export const DEMO_FORBIDDEN_IP = '127.0.0.5'
const DEMO_IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'] as const

export interface TileFetchOptions {
  /** A real https URL to fetch `count` copies of; absent = the embedded demo origin. */
  url?: string
  /** Tiles (demo) or copies of `url`. Default 2000 (demo), 100 (url). */
  count?: number
  /** Requests at once. Default 32. */
  concurrency?: number
  /** Attempts per tile, the first included, when the answer is a blacklist status or an error. Default 5. */
  maxAttempts?: number
  /** TLS fingerprint profile. Default "chrome". */
  profile?: string
  /** Where the Markdown report goes; null = none. Default reports/tile-fetch.md (demo), reports/tile-fetch-<host>.md (url). */
  reportPath?: string | null
  /** Demo DNS server port; 0 (default) = ephemeral. */
  dnsPort?: number
  /** Progress (bar on a TTY, 10 % lines otherwise). Default process.stderr. */
  progress?: ProgressStream
  /** Where the per-IP table and the summary are printed. Default process.stdout. */
  out?: { write(chunk: string): unknown }
}

/** What happened to the tiles that did not arrive. */
export interface TileFailure {
  url: string
  attempts: number
  /** Last status, or the last error code. */
  last: string
}

export interface TileFetchResult {
  /** Every check passed. */
  ok: boolean
  /** The failed checks, in words. */
  problems: string[]
  target: 'demo' | 'url'
  /** Origin fetched, `https://host:port`. */
  origin: string
  profile: string
  tiles: number
  /** Requests at once. */
  concurrency: number
  /** Tiles that arrived and passed the body check. */
  arrived: number
  /** HTTP responses received, retried ones included. */
  responses: number
  /** Attempts after the first. */
  retries: number
  /** Responses by status code. */
  statuses: Record<string, number>
  /** Attempts that ended in an error, by code. */
  errors: Record<string, number>
  /** Body bytes of the tiles that arrived. */
  bytes: number
  /** ms of the warm-up. */
  warmupMs: number
  /** ms from the first tile request to the last tile's end. */
  wallMs: number
  /** Responses per second over wallMs. */
  requestsPerSecond: number
  /** Client-side response time of every response (ms, fetch() to the end of the body, waiting for a connection included): median and 99th percentile. */
  clientP50Ms: number | undefined
  clientP99Ms: number | undefined
  warmup: WarmupResult | undefined
  /** The pool's stats of the host at the end. */
  host: HostStats | undefined
  /** IPs blacklisted at the end. */
  blacklisted: string[]
  /** Server-side counters of the demo origin, by IP. */
  server: Record<string, OriginIpStats> | undefined
  failures: TileFailure[]
  reportPath: string | undefined
}

interface Job {
  urls: { url: string; expected: Buffer | undefined }[]
  origin: string
  pool: HotConnPool
  demo: DemoOrigin | undefined
  blacklistStatuses: readonly number[]
}

function checkOptions(o: TileFetchOptions): asserts o is TileFetchOptions & { profile?: ProfileName } {
  const int = (name: string, v: number | undefined, min: number): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < min))
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${v}`)
  }
  int('count', o.count, 1)
  int('concurrency', o.concurrency, 1)
  int('maxAttempts', o.maxAttempts, 1)
  if (o.dnsPort !== undefined && (!Number.isInteger(o.dnsPort) || o.dnsPort < 0 || o.dnsPort > 65535)) {
    throw new InvalidArgumentError(`dnsPort must be an integer in [0, 65535], got ${o.dnsPort}`)
  }
  if (o.profile !== undefined && !isProfileName(o.profile)) {
    throw new InvalidArgumentError(
      `profile must be one of ${PROFILE_NAMES.join(', ')}, got ${JSON.stringify(o.profile)}`,
    )
  }
  if (o.url !== undefined) {
    let u: URL
    try {
      u = new URL(o.url)
    } catch {
      throw new InvalidArgumentError(`url ${JSON.stringify(o.url)} is not a URL; give https://host/path`)
    }
    if (u.protocol !== 'https:')
      throw new InvalidArgumentError(`url ${JSON.stringify(o.url)}: only https:// URLs are supported`)
  }
}

/** Slippy-map tile names for `count` tiles: row by row at the smallest zoom that has enough. */
export function tilePaths(count: number): { z: number; x: number; y: number; path: string }[] {
  let z = 0
  while (4 ** z < count) z++
  const side = 2 ** z
  return Array.from({ length: count }, (_, i) => {
    const x = i % side
    const y = Math.floor(i / side)
    return { z, x, y, path: `/tiles/${z}/${x}/${y}.png` }
  })
}

const POOL_KEYS = { maxConnsPerHost: 32, maxConnsPerIp: 8, warmConnsPerIp: 4 } as const

async function demoJob(o: TileFetchOptions, profile: ProfileName, count: number): Promise<Job> {
  const demo = await startDemoOrigin({
    ips: DEMO_IPS,
    forbiddenIps: [DEMO_FORBIDDEN_IP],
    dns: { port: o.dnsPort ?? 0 },
  })
  try {
    const pool = new HotConnPool({
      pool: POOL_KEYS,
      tls: { profile },
      dns: { servers: [`127.0.0.1:${demo.dns!.port}`] },
      blacklist: { statusCodes: [403, 429] },
      ca: demo.caPem,
    } satisfies HotConnPoolOptions)
    const urls = tilePaths(count).map((t) => ({ url: demo.url(t.path), expected: tileBody(t.z, t.x, t.y) }))
    return {
      urls,
      origin: new URL(demo.url()).origin,
      pool,
      demo,
      blacklistStatuses: pool.config.blacklist.statusCodes,
    }
  } catch (err) {
    await demo.close()
    throw err
  }
}

function urlJob(url: string, profile: ProfileName, count: number): Job {
  const pool = new HotConnPool({
    pool: POOL_KEYS,
    tls: { profile },
    blacklist: { statusCodes: [403, 429] },
  } satisfies HotConnPoolOptions)
  return {
    urls: Array.from({ length: count }, () => ({ url, expected: undefined })),
    origin: new URL(url).origin,
    pool,
    demo: undefined,
    blacklistStatuses: pool.config.blacklist.statusCodes,
  }
}

/**
 * Runs the job; never throws for a failed tile (see `ok` and `problems`).
 * @throws InvalidArgumentError for bad options; the demo origin's listen error; a DnsError or
 *   AllIpsBlacklistedError from the warm-up
 */
export async function runTileFetch(options: TileFetchOptions = {}): Promise<TileFetchResult> {
  checkOptions(options)
  const profile = options.profile ?? 'chrome'
  const target = options.url === undefined ? 'demo' : 'url'
  const count = options.count ?? (target === 'demo' ? 2000 : 100)
  const maxAttempts = options.maxAttempts ?? 5
  const out = options.out ?? process.stdout
  const job = options.url === undefined ? await demoJob(options, profile, count) : urlJob(options.url, profile, count)
  const { pool, demo } = job

  const statuses: Record<string, number> = {}
  const errors: Record<string, number> = {}
  const failures: TileFailure[] = []
  let arrived = 0
  let bytes = 0
  let responses = 0
  let retries = 0
  const latencies: number[] = []

  try {
    const warmStarted = performance.now()
    const warmup = await pool.warmup(job.origin)
    const warmupMs = performance.now() - warmStarted

    const progress = new Progress(options.progress ?? process.stderr, {
      total: job.urls.length,
      label: target === 'demo' ? 'tiles' : 'fetches',
    })
    const concurrency = options.concurrency ?? 32
    const queue = new PQueue({ concurrency })
    const started = performance.now()
    for (const tile of job.urls) {
      void queue.add(async () => {
        let last = ''
        for (let attempt = 1; attempt <= maxAttempts; attempt++) {
          if (attempt > 1) retries++
          try {
            const sent = performance.now()
            const res = await fetch(tile.url, { dispatcher: pool })
            const body = Buffer.from(await res.arrayBuffer())
            latencies.push(performance.now() - sent)
            responses++
            statuses[res.status] = (statuses[res.status] ?? 0) + 1
            last = String(res.status)
            if (job.blacklistStatuses.includes(res.status)) continue
            const length = res.headers.get('content-length')
            const good =
              res.status >= 200 &&
              res.status < 300 &&
              (tile.expected === undefined
                ? length === null || Number(length) === body.length
                : body.equals(tile.expected))
            if (good) {
              arrived++
              bytes += body.length
            } else {
              last = `${res.status} (${body.length} bytes, not the expected body)`
              failures.push({ url: tile.url, attempts: attempt, last })
            }
            progress.tick(1, `${retries} retries`)
            return
          } catch (err) {
            last = errorCode(err)
            errors[last] = (errors[last] ?? 0) + 1
          }
        }
        failures.push({ url: tile.url, attempts: maxAttempts, last })
        progress.tick(1, `${retries} retries`)
      })
    }
    await queue.onIdle()
    const wallMs = performance.now() - started
    progress.finish(`${retries} retries`)

    const stats = pool.stats()
    const host = Object.values(stats.hosts).find(
      (h) => job.origin === `https://${h.host}` || job.origin === `https://${h.host.replace(/:443$/, '')}`,
    )
    const blacklisted =
      host?.ips.filter((i) => i.state === 'blacklisted' || i.blacklisted !== undefined).map((i) => i.ip) ?? []
    const problems: string[] = []
    const noun = target === 'demo' ? 'tiles' : 'fetches'
    if (arrived !== job.urls.length)
      problems.push(`${job.urls.length - arrived} of ${job.urls.length} ${noun} did not arrive`)
    if (demo !== undefined && !blacklisted.includes(DEMO_FORBIDDEN_IP))
      problems.push(`${DEMO_FORBIDDEN_IP} (answers 403) is not blacklisted at the end`)

    const result: TileFetchResult = {
      ok: problems.length === 0,
      problems,
      target,
      origin: job.origin,
      profile,
      tiles: job.urls.length,
      concurrency,
      arrived,
      responses,
      retries,
      statuses,
      errors,
      bytes,
      warmupMs,
      wallMs,
      requestsPerSecond: wallMs > 0 ? (responses * 1000) / wallMs : 0,
      clientP50Ms: percentile(latencies, 50),
      clientP99Ms: percentile(latencies, 99),
      warmup,
      host,
      blacklisted,
      server: demo?.allStats(),
      failures,
      reportPath: undefined,
    }
    out.write(summary(result))
    const reportPath = options.reportPath === undefined ? defaultReportPath(result) : options.reportPath
    if (reportPath !== null) {
      await mkdir(dirname(reportPath), { recursive: true })
      await writeFile(reportPath, renderTileReport(result, new Date()))
      result.reportPath = reportPath
      out.write(`report: ${reportPath}\n`)
    }
    return result
  } finally {
    await pool.close()
    await demo?.close()
  }
}

/** Nearest-rank percentile (0..100) of `values`; undefined when empty. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

/** One line per IP the warm-up could not connect to: `ip: n failed: CODE: message`. */
export function warmupErrors(w: WarmupResult | undefined): string[] {
  return (w?.ips ?? []).flatMap((i) =>
    i.failed > 0
      ? [
          `${i.ip}: ${i.failed} failed${i.error === undefined ? '' : `: ${errorCode(i.error)}: ${errorMessage(i.error)}`}`,
        ]
      : [],
  )
}

function defaultReportPath(r: TileFetchResult): string {
  return r.target === 'demo' ? 'reports/tile-fetch.md' : `reports/tile-fetch-${new URL(r.origin).hostname}.md`
}

function summary(r: TileFetchResult): string {
  const lines = [
    '',
    r.host === undefined ? `no stats for ${r.origin}` : `${r.host.host}\n${formatHostTable(r.host)}`,
    `${r.arrived}/${r.tiles} ${r.target === 'demo' ? 'tiles' : 'fetches'} arrived, ${r.responses} responses (${r.retries} retries) in ${(r.wallMs / 1000).toFixed(2)} s: ${r.requestsPerSecond.toFixed(0)} req/s; client p50 ${formatMs(r.clientP50Ms)} ms, p99 ${formatMs(r.clientP99Ms)} ms; warm-up ${r.warmupMs.toFixed(0)} ms`,
    `statuses: ${
      Object.entries(r.statuses)
        .map(([s, n]) => `${s}×${n}`)
        .join(', ') || '-'
    }${
      Object.keys(r.errors).length > 0
        ? `; errors: ${Object.entries(r.errors)
            .map(([c, n]) => `${c}×${n}`)
            .join(', ')}`
        : ''
    }`,
    `blacklisted at the end: ${r.blacklisted.join(', ') || 'none'}`,
    ...warmupErrors(r.warmup).map((line) => `warm-up: ${line}`),
    ...r.failures.slice(0, 10).map((f) => `failed: ${f.url} after ${f.attempts} attempt(s): ${f.last}`),
    r.ok ? 'OK' : `FAILED: ${r.problems.join('; ')}`,
    '',
  ]
  return lines.join('\n')
}
