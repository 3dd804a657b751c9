/**
 * One tile, start to end: skipped when the store has it; otherwise attempts through the pool
 * (each one waits for the host's request budget), content checks, retries with backoff, and the
 * store. Every outcome is counted in RunStats and reported to the observer.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { interceptors, request, type Dispatcher } from 'undici'
import { AllEgressBlockedError, AllIpsBlacklistedError, isConfigurationError } from '../pool/index.js'
import { errorCode } from '../util/error-code.js'
import { checkContent, type ContentCheckOptions } from './content.js'
import type { TileCoord } from './coords.js'
import type { RequestBudget } from './rate.js'
import { isRetryable, retryDelayMs, type AttemptResult, type RetryPolicy } from './retry.js'
import type { RunStats } from './run-stats.js'
import type { TileStore } from './store.js'
import type { TileTemplate } from './template.js'

/** How a tile ended. */
export interface TileOutcome {
  tile: TileCoord
  /** stored: fetched and stored now; exists: fetched, but another run stored it first; skipped: already stored, not fetched. */
  result: 'stored' | 'exists' | 'skipped' | 'failed'
  attempts: number
  bytes: number
  /** Why it failed: the last status, error code or content problem. */
  reason?: string
}

/** Hooks called as a tile progresses (metrics, fleet counters). */
export interface TileObserver {
  /** A run of `total` tiles starts. */
  start?(total: number): void
  /** A request for `tile` is about to be sent (every attempt). */
  request?(tile: TileCoord): void
  response?(host: string, status: number | undefined, code: string | undefined, ms: number, bytes: number): void
  tile?(outcome: TileOutcome): void
  retry?(host: string): void
}

export interface FetcherDeps {
  dispatcher: Dispatcher
  template: TileTemplate
  store: TileStore
  budget: RequestBudget
  retry: RetryPolicy
  check: ContentCheckOptions
  headers: Readonly<Record<string, string>>
  strikeStatuses: readonly number[]
  stats: RunStats
  observers: readonly TileObserver[]
  signal: AbortSignal
  /** Largest body accepted (bytes). */
  maxBytes: number
}

interface Attempt {
  result: AttemptResult
  body?: Buffer
  reason: string
}

export class TileFetcher {
  readonly #d: FetcherDeps
  /** The pool, following redirects (at most 5) and decoding content-encodings, as fetch() does. */
  readonly #dispatcher: Dispatcher

  constructor(deps: FetcherDeps) {
    this.#d = deps
    this.#dispatcher = deps.dispatcher.compose(interceptors.redirect({ maxRedirections: 5 }), interceptors.decompress())
  }

  /** Fetches and stores one tile; never throws but for the store's errors and an abort. */
  async run(tile: TileCoord): Promise<TileOutcome> {
    const d = this.#d
    if (await d.store.has(tile)) return this.#end({ tile, result: 'skipped', attempts: 0, bytes: 0 })
    const url = d.template.url(tile)
    const host = new URL(url).host
    let last: Attempt = { result: { kind: 'error', code: 'ERR_UNKNOWN' }, reason: 'no attempt' }
    let attempt = 0
    while (attempt < d.retry.maxAttempts) {
      attempt++
      d.signal.throwIfAborted()
      await d.budget.take(host, d.signal)
      for (const o of d.observers) o.request?.(tile)
      last = await this.#attempt(url, host)
      if (last.body !== undefined) {
        const result = await d.store.put(tile, last.body)
        return this.#end({ tile, result, attempts: attempt, bytes: last.body.length })
      }
      if (attempt === d.retry.maxAttempts || !isRetryable(last.result, d.strikeStatuses)) break
      const wait = retryDelayMs(attempt + 1, last.result, d.retry)
      if (wait === undefined) {
        last.reason += ' (Retry-After beyond the longest wait allowed)'
        break
      }
      d.stats.retries++
      for (const o of d.observers) o.retry?.(host)
      await sleep(wait, undefined, { signal: d.signal })
    }
    return this.#end({ tile, result: 'failed', attempts: attempt, bytes: 0, reason: last.reason })
  }

  async #attempt(url: string, host: string): Promise<Attempt> {
    const d = this.#d
    const sent = performance.now()
    try {
      // undici's Dispatcher API, not fetch(): the same request on the wire for a fraction of fetch's work
      // (no WHATWG Request, Headers and streams per tile).
      const res = await request(url, { dispatcher: this.#dispatcher, headers: d.headers, signal: d.signal })
      const body = await readBounded(res, d.maxBytes)
      const ms = performance.now() - sent
      d.stats.response(res.statusCode, undefined, ms, body.length)
      for (const o of d.observers) o.response?.(host, res.statusCode, undefined, ms, body.length)
      const result: AttemptResult = { kind: 'status', status: res.statusCode, retryAfter: header(res, 'retry-after') }
      if (res.statusCode < 200 || res.statusCode > 299) return { result, reason: `HTTP ${res.statusCode}` }
      const bad = checkContent(header(res, 'content-type') ?? null, body, d.check)
      return bad === undefined ? { result, body, reason: '' } : { result: { kind: 'bad_content' }, reason: bad }
    } catch (err) {
      if (d.signal.aborted) throw d.signal.reason
      const code = errorCode(err)
      d.stats.response(undefined, code, performance.now() - sent, 0)
      for (const o of d.observers) o.response?.(host, undefined, code, performance.now() - sent, 0)
      return { result: { kind: 'error', code, permanent: isConfigurationError(err) }, reason: errorReason(err, code) }
    }
  }

  #end(outcome: TileOutcome): TileOutcome {
    this.#d.stats.tile(outcome.result, outcome.bytes)
    for (const o of this.#d.observers) o.tile?.(outcome)
    return outcome
  }
}

type Response = Dispatcher.ResponseData

/**
 * Why an attempt failed with `err`: its code, and for a host refusing every IP or every egress
 * the causes the error carries ("ERR_ALL_EGRESS_BLOCKED (direct: HTTP 403 on 3 paths (…))"), so
 * that the run's summary names what was blocked and why, not only that something was.
 */
function errorReason(err: unknown, code: string): string {
  if (err instanceof AllEgressBlockedError && err.reasons.length > 0)
    return `${code} (${err.reasons.map((r) => `${r.egress}: ${r.reason}`).join('; ')})`
  if (err instanceof AllIpsBlacklistedError && err.reasons.length > 0)
    return `${code} (${err.reasons.map((r) => `${r.ip}: ${r.reason}`).join('; ')})`
  return code
}

/** A response header's value (the first one when repeated). */
function header(res: Response, name: string): string | undefined {
  const v = res.headers[name]
  return Array.isArray(v) ? v[0] : v
}

/** The body, or an error with code ERR_TILE_TOO_LARGE once it passes `max` bytes (the rest is not read). */
async function readBounded(res: Response, max: number): Promise<Buffer> {
  const declared = Number(header(res, 'content-length') ?? NaN)
  if (declared > max) {
    res.body.destroy()
    throw Object.assign(new Error(`body of ${declared} bytes is over the limit of ${max}`), {
      code: 'ERR_TILE_TOO_LARGE',
    })
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length
    if (size > max) {
      res.body.destroy()
      throw Object.assign(new Error(`body over the limit of ${max} bytes`), { code: 'ERR_TILE_TOO_LARGE' })
    }
    chunks.push(chunk as Buffer)
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
}
