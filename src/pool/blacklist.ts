/**
 * Per-(host, IP) strikes and blacklist. Connect/handshake failures, failed health checks and
 * configured response statuses (default 403, 429) are strikes; `failureThreshold` strikes in a
 * row blacklist the IP for `ttlMs`, a `Retry-After` (RFC 9110 §10.2.3) blacklists it at once until
 * the time it names. A success resets the strikes. Expiry does not re-admit the IP: the pool
 * re-probes it first (see HealthChecker).
 */

export interface BlacklistOptions {
  /** Response statuses that strike. */
  statusCodes: readonly number[]
  /** Strikes in a row that blacklist an IP (>= 1). */
  failureThreshold: number
  /** How long a blacklisting lasts when no Retry-After says otherwise (ms). */
  ttlMs: number
}

/** Why and until when (epoch ms) an IP is blacklisted. */
export interface BlacklistRecord {
  readonly reason: string
  readonly until: number
}

interface Entry {
  strikes: number
  record: BlacklistRecord | null
}

/** Largest Retry-After honoured (ms): a day; longer values are clamped. */
export const MAX_RETRY_AFTER_MS = 86_400_000

/**
 * Parses a Retry-After value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3, §5.6.7).
 * Returns the delay in ms from `now` (epoch ms), clamped to [0, MAX_RETRY_AFTER_MS], or
 * undefined when the value is neither form.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined
  const v = value.trim()
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, MAX_RETRY_AFTER_MS)
  // An HTTP-date names a weekday or month (RFC 9110 §5.6.7); bare numbers like "-5" are not dates.
  if (!/[A-Za-z]{3}/.test(v)) return undefined
  const t = Date.parse(v)
  if (Number.isNaN(t)) return undefined
  return Math.min(Math.max(t - now, 0), MAX_RETRY_AFTER_MS)
}

export class Blacklist {
  readonly #statusCodes: ReadonlySet<number>
  readonly #threshold: number
  readonly #ttlMs: number
  readonly #entries = new Map<string, Entry>()

  constructor(options: BlacklistOptions) {
    this.#statusCodes = new Set(options.statusCodes)
    this.#threshold = options.failureThreshold
    this.#ttlMs = options.ttlMs
  }

  /** Whether a response with `status` is a strike. */
  isStrikeStatus(status: number): boolean {
    return this.#statusCodes.has(status)
  }

  /**
   * Records a strike against `key`. With `retryAfterMs` the key is blacklisted at once for that
   * long; otherwise when the strikes reach the threshold, for `ttlMs`. Returns the new record
   * when this strike blacklisted the key, else null (also when it already was blacklisted).
   */
  strike(key: string, reason: string, now: number, retryAfterMs?: number): BlacklistRecord | null {
    let e = this.#entries.get(key)
    if (e === undefined) {
      e = { strikes: 0, record: null }
      this.#entries.set(key, e)
    }
    if (e.record !== null) return null
    e.strikes++
    if (retryAfterMs !== undefined) {
      e.record = { reason: `${reason}; Retry-After ${Math.round(retryAfterMs / 1000)} s`, until: now + retryAfterMs }
      return e.record
    }
    if (e.strikes >= this.#threshold) {
      e.record = { reason: `${reason} (${e.strikes} strikes)`, until: now + this.#ttlMs }
      return e.record
    }
    return null
  }

  /** Blacklists `key` at once for `ttlMs` (a failed re-probe). */
  blacklist(key: string, reason: string, now: number): BlacklistRecord {
    const record = { reason, until: now + this.#ttlMs }
    this.#entries.set(key, { strikes: this.#threshold, record })
    return record
  }

  /** Blacklists `key` with a record decided elsewhere (another process's pool). */
  impose(key: string, record: BlacklistRecord): void {
    this.#entries.set(key, { strikes: this.#threshold, record: { ...record } })
  }

  /** A success on `key`: its strikes start over. */
  success(key: string): void {
    const e = this.#entries.get(key)
    if (e !== undefined && e.record === null) this.#entries.delete(key)
  }

  /** Strikes in a row so far. */
  strikes(key: string): number {
    return this.#entries.get(key)?.strikes ?? 0
  }

  /** The blacklisting of `key`, if any (expired ones too, until `expire` collects them). */
  get(key: string): BlacklistRecord | undefined {
    return this.#entries.get(key)?.record ?? undefined
  }

  /** Removes and returns every key whose blacklisting ended at or before `now`. */
  expire(now: number): string[] {
    const out: string[] = []
    for (const [key, e] of this.#entries) {
      if (e.record !== null && e.record.until <= now) {
        this.#entries.delete(key)
        out.push(key)
      }
    }
    return out
  }

  /** Earliest end of a blacklisting (epoch ms), or undefined. */
  nextExpiry(): number | undefined {
    let next: number | undefined
    for (const e of this.#entries.values()) {
      if (e.record !== null && (next === undefined || e.record.until < next)) next = e.record.until
    }
    return next
  }

  /** Forgets `key` entirely (its IP left the pool). */
  delete(key: string): void {
    this.#entries.delete(key)
  }
}
