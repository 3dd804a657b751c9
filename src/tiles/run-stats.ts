/**
 * What a tile run counts: tiles by outcome, responses by status and by IP (from the pool's
 * `hotconn:pool:request` events), errors by code, bytes, a latency histogram and a timeline of
 * completions. Memory is bounded whatever the run's length: fixed histogram buckets, and a
 * timeline whose buckets double in width past MAX_BUCKETS.
 */
import diagnostics from 'node:diagnostics_channel'
import { channels, type RequestEvent } from '../pool/index.js'

/** Upper bounds (ms) of the latency histogram buckets: 1-2-5 steps from 1 ms to 60 s, then +Inf. */
export const LATENCY_BUCKETS_MS: readonly number[] = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 60_000,
]

const MAX_BUCKETS = 600

/** Counts of one IP of the fetched host(s). */
export interface IpRunStats {
  host: string
  ip: string
  requests: number
  statuses: Record<string, number>
  errors: Record<string, number>
}

/** One timeline bucket: what completed in [startMs, startMs + widthMs) after the run's start. */
export interface TimelineBucket {
  startMs: number
  tiles: number
  failed: number
  responses: number
  bytes: number
}

export class RunStats {
  stored = 0
  /** Tiles another run or worker stored first (put answered 'exists'). */
  existed = 0
  skipped = 0
  failed = 0
  retries = 0
  responses = 0
  bytes = 0
  readonly statuses: Record<string, number> = {}
  readonly errors: Record<string, number> = {}
  readonly ips = new Map<string, IpRunStats>()
  /** Counts per LATENCY_BUCKETS_MS bucket, the last one for > 60 s. */
  readonly latency = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0)
  #latencySum = 0
  readonly timeline: TimelineBucket[] = []
  bucketMs = 1000
  readonly startedAt = performance.now()
  readonly #hosts: ReadonlySet<string>
  readonly #onRequest = (msg: unknown): void => this.#request(msg as RequestEvent)

  /** @param hosts `hostname:port` of the hosts whose pool events count */
  constructor(hosts: Iterable<string>) {
    this.#hosts = new Set(hosts)
    diagnostics.subscribe(channels.request.name, this.#onRequest)
  }

  /** Stops listening to pool events. */
  close(): void {
    diagnostics.unsubscribe(channels.request.name, this.#onRequest)
  }

  /** A response (any status) or a failed attempt (error code) took `ms` and carried `bytes`. */
  response(status: number | undefined, code: string | undefined, ms: number, bytes: number): void {
    if (status !== undefined) {
      this.responses++
      this.statuses[status] = (this.statuses[status] ?? 0) + 1
      const i = LATENCY_BUCKETS_MS.findIndex((b) => ms <= b)
      this.latency[i < 0 ? LATENCY_BUCKETS_MS.length : i]!++
      this.#latencySum += ms
    } else if (code !== undefined) this.errors[code] = (this.errors[code] ?? 0) + 1
    const b = this.#bucket()
    b.responses += status === undefined ? 0 : 1
    b.bytes += bytes
  }

  /** A tile ended. */
  tile(outcome: 'stored' | 'exists' | 'skipped' | 'failed', bytes: number): void {
    if (outcome === 'skipped') {
      this.skipped++
      return
    }
    if (outcome === 'failed') this.failed++
    else if (outcome === 'exists') this.existed++
    else {
      this.stored++
      this.bytes += bytes
    }
    const b = this.#bucket()
    if (outcome === 'failed') b.failed++
    else b.tiles++
  }

  /** Mean response time (ms), undefined before the first response. */
  get meanLatencyMs(): number | undefined {
    return this.responses === 0 ? undefined : this.#latencySum / this.responses
  }

  /** Approximate percentile (0..100) from the histogram: the bucket's upper bound. */
  latencyPercentile(p: number): number | undefined {
    const total = this.latency.reduce((a, b) => a + b, 0)
    if (total === 0) return undefined
    let seen = 0
    for (let i = 0; i < this.latency.length; i++) {
      seen += this.latency[i]!
      if (seen >= (p / 100) * total) return LATENCY_BUCKETS_MS[i] ?? Infinity
    }
    return Infinity
  }

  #request(e: RequestEvent): void {
    if (!this.#hosts.has(e.host)) return
    const key = `${e.host} ${e.ip}`
    let s = this.ips.get(key)
    if (s === undefined) {
      s = { host: e.host, ip: e.ip, requests: 0, statuses: {}, errors: {} }
      this.ips.set(key, s)
    }
    s.requests++
    if (e.statusCode !== undefined) s.statuses[e.statusCode] = (s.statuses[e.statusCode] ?? 0) + 1
    else {
      const code = (e.error as { code?: string } | undefined)?.code ?? 'ERR_UNKNOWN'
      s.errors[code] = (s.errors[code] ?? 0) + 1
    }
  }

  #bucket(): TimelineBucket {
    const at = performance.now() - this.startedAt
    while (at >= MAX_BUCKETS * this.bucketMs) this.#widen()
    const index = Math.floor(at / this.bucketMs)
    while (this.timeline.length <= index)
      this.timeline.push({ startMs: this.timeline.length * this.bucketMs, tiles: 0, failed: 0, responses: 0, bytes: 0 })
    return this.timeline[index]!
  }

  /** Doubles the bucket width, merging pairs. */
  #widen(): void {
    const merged: TimelineBucket[] = []
    for (let i = 0; i < this.timeline.length; i += 2) {
      const a = this.timeline[i]!
      const b = this.timeline[i + 1]
      merged.push({
        startMs: a.startMs,
        tiles: a.tiles + (b?.tiles ?? 0),
        failed: a.failed + (b?.failed ?? 0),
        responses: a.responses + (b?.responses ?? 0),
        bytes: a.bytes + (b?.bytes ?? 0),
      })
    }
    this.timeline.splice(0, this.timeline.length, ...merged)
    this.bucketMs *= 2
  }
}
