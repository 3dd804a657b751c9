/** What fetchTiles resolves with, built from the run's counters and the pool's stats at the end. */
import type { HostStats, WarmupResult } from '../pool/index.js'
import type { TileOutcome } from './fetch-tile.js'
import type { PreparedJob } from './job-setup.js'
import { LATENCY_BUCKETS_MS, type IpRunStats, type RunStats, type TimelineBucket } from './run-stats.js'
import type { TileFormat } from './store.js'

export interface TileRunResult {
  /** Every tile is stored (fetched now or before) and the run was not interrupted. */
  ok: boolean
  /** The signal stopped the run before every tile was tried. */
  interrupted: boolean
  template: string
  format: TileFormat
  /** The directory or .mbtiles file. */
  location: string
  /** File extension of dir tiles (".png"). */
  extension: string
  /** Tiles in the source. */
  total: number
  /** Fetched and stored by this run. */
  stored: number
  /** Fetched, but another run or worker had stored them first. */
  existed: number
  /** Already stored at the start: not fetched. */
  skipped: number
  failed: number
  /** Attempts after the first. */
  retries: number
  /** HTTP responses, retried ones included. */
  responses: number
  /** Body bytes of the tiles stored. */
  bytes: number
  statuses: Record<string, number>
  /** Failed attempts (no response) by error code. */
  errors: Record<string, number>
  /** Requests by IP, with their statuses (from the pool's request events). */
  ips: IpRunStats[]
  /** The pool's stats of each host at the end: one entry per partition (egress, identity) of the host. */
  hosts: HostStats[]
  /** `{ host, ip }` blacklisted at the end. */
  blacklisted: { host: string; ip: string; reason: string }[]
  warmups: WarmupResult[]
  /** ms from the first tile to the last. */
  wallMs: number
  /** Tiles tried (stored, existed, failed) per second of wallMs. */
  tilesPerSecond: number
  /** Requests in flight at most. */
  concurrency: number
  /** Requests per second per host asked for, if any. */
  rate: number | undefined
  /** Latency histogram: counts per bucket upper bound (ms; the last, Infinity, for slower). */
  latency: { leMs: number; count: number }[]
  /** Approximate client-side p50 / p99 response time (ms, histogram bucket bounds). */
  p50Ms: number | undefined
  p99Ms: number | undefined
  /** Completions over time, in buckets of `timelineBucketMs`. */
  timeline: TimelineBucket[]
  timelineBucketMs: number
  /** The first 100 failed tiles. */
  failures: TileOutcome[]
}

export function summarize(
  job: PreparedJob,
  s: RunStats,
  warmups: WarmupResult[],
  wallMs: number,
  interrupted: boolean,
): TileRunResult {
  const stats = job.pool.stats()
  // Every partition of the template's hosts: one per egress (proxy, local address) and identity.
  const all = Object.values(stats.hosts)
  const hosts = job.hostKeys.flatMap((k) => all.filter((h) => h.host === k))
  const tried = s.stored + s.existed + s.failed
  return {
    ok: !interrupted && s.failed === 0 && s.stored + s.existed + s.skipped === job.source.count,
    interrupted,
    template: job.template.text,
    format: job.store.format,
    location: job.store.location,
    extension: job.extension,
    total: job.source.count,
    stored: s.stored,
    existed: s.existed,
    skipped: s.skipped,
    failed: s.failed,
    retries: s.retries,
    responses: s.responses,
    bytes: s.bytes,
    statuses: { ...s.statuses },
    errors: { ...s.errors },
    ips: [...s.ips.values()].sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true })),
    hosts,
    blacklisted: hosts.flatMap((h) => h.blacklisted.map((b) => ({ host: h.host, ip: b.ip, reason: b.reason }))),
    warmups,
    wallMs,
    tilesPerSecond: wallMs > 0 ? (tried * 1000) / wallMs : 0,
    concurrency: job.concurrency,
    rate: job.rate,
    latency: s.latency.map((count, i) => ({ leMs: LATENCY_BUCKETS_MS[i] ?? Infinity, count })),
    p50Ms: s.latencyPercentile(50),
    p99Ms: s.latencyPercentile(99),
    timeline: s.timeline.map((b) => ({ ...b })),
    timelineBucketMs: s.bucketMs,
    failures: [...job.failures],
  }
}
