/**
 * Errors raised by the connection pool. Each says what to change to avoid it.
 */
import { HotConnError } from '../errors.js'

/**
 * No connection became available: the request waited past `pending_timeout`, or the
 * pending queue already held `max_pending` requests (code ERR_POOL_EXHAUSTED).
 */
export class PoolExhaustedError extends HotConnError {
  /** Why the request was refused: the queue was full, or it waited too long. */
  readonly reason: 'queue_full' | 'timeout'
  readonly host: string

  constructor(host: string, reason: 'queue_full' | 'timeout', detail: string) {
    const what =
      reason === 'queue_full'
        ? `pool for ${host} is exhausted: ${detail}; raise max_pending, max_conns_per_host or max_connections, or send fewer concurrent requests`
        : `pool for ${host} is exhausted: ${detail}; raise pending_timeout, max_conns_per_host or max_connections, or send fewer concurrent requests`
    super('ERR_POOL_EXHAUSTED', what)
    this.reason = reason
    this.host = host
  }

  /** The queue of `host` is full (see max_pending). */
  static queueFull(
    host: { key: string; origin: { total: number }; waiters: { size: number } },
    pool: { maxPending: number; maxConnsPerHost: number },
  ): PoolExhaustedError {
    const detail = `${host.waiters.size} requests already wait (max_pending = ${pool.maxPending}) with ${host.origin.total} connections open to the host (max_conns_per_host = ${pool.maxConnsPerHost})`
    return new PoolExhaustedError(host.key, 'queue_full', detail)
  }

  /** A request of `host` waited `pendingTimeoutMs` in vain. */
  static timedOut(host: string, pendingTimeoutMs: number): PoolExhaustedError {
    const detail = `no connection became free within pending_timeout (${pendingTimeoutMs} ms)`
    return new PoolExhaustedError(host, 'timeout', detail)
  }
}

/** The pool was closed (or is closing): no new request is accepted, pending ones are rejected (code ERR_POOL_CLOSED). */
export class PoolClosedError extends HotConnError {
  constructor(message = 'the pool is closed; create a new HotConnPool to send more requests') {
    super('ERR_POOL_CLOSED', message)
  }
}

/**
 * Every IP of the host is blacklisted (code ERR_ALL_IPS_BLACKLISTED). `retryAt` is the
 * earliest moment one of them leaves the blacklist; `reasons` the last cause of each.
 */
export class AllIpsBlacklistedError extends HotConnError {
  readonly host: string
  readonly retryAt: Date
  /** Why each IP was blacklisted (e.g. "HTTP 403 (3 strikes)", "health check failed: 503"). */
  readonly reasons: ReadonlyArray<{ readonly ip: string; readonly reason: string }>

  constructor(host: string, retryAt: Date, reasons: ReadonlyArray<{ ip: string; reason: string }> = []) {
    const why = reasons.length ? ` (${reasons.map((r) => `${r.ip}: ${r.reason}`).join('; ')})` : ''
    super(
      'ERR_ALL_IPS_BLACKLISTED',
      `every IP of ${host} is blacklisted until at least ${retryAt.toISOString()}${why}; retry after that time, ${adviceFor(reasons.map((r) => r.reason))}`,
    )
    this.host = host
    this.retryAt = retryAt
    this.reasons = reasons
  }
}

/**
 * Every egress a request may leave through is blocked by the host (code ERR_ALL_EGRESS_BLOCKED):
 * the host answered each of them with blocking statuses (`blacklist.status_codes`) on enough
 * distinct paths, or a Retry-After. The host's IPs are not blamed: another egress (proxy, local
 * address) or the same one after `retryAt` can be served.
 */
export class AllEgressBlockedError extends HotConnError {
  readonly host: string
  /** The earliest moment one of the egresses may be used for the host again. */
  readonly retryAt: Date
  /** The last cause of each egress's block, e.g. `{ egress: 'direct', reason: 'HTTP 403 on 3 paths: /a, /b, /c' }`. */
  readonly reasons: ReadonlyArray<{ readonly egress: string; readonly reason: string }>

  /**
   * `blacklistedIps`: IPs of the host blacklisted meanwhile (a Retry-After rests the IP that sent it
   * first, StatusJudge); the message says "its IPs are fine" only when there are none.
   */
  constructor(
    host: string,
    retryAt: Date,
    reasons: ReadonlyArray<{ egress: string; reason: string }>,
    blacklistedIps: readonly string[] = [],
  ) {
    const why = reasons.map((r) => `${r.egress}: ${r.reason}`).join('; ')
    const ips =
      blacklistedIps.length === 0
        ? 'its IPs are fine'
        : `the IPs are not the cause (${blacklistedIps.join(', ')} ${blacklistedIps.length === 1 ? 'rests' : 'rest'} too, blacklisted meanwhile)`
    const which =
      reasons.length === 1 ? `the only egress of requests to ${host}` : `every egress of requests to ${host}`
    const spread =
      reasons.length === 1
        ? 'add egresses ([egress] proxies or local_addresses, --proxy) to spread requests over'
        : 'add egresses to spread requests over'
    super(
      'ERR_ALL_EGRESS_BLOCKED',
      `${which} is blocked by the host until ${retryAt.toISOString()} (${why}); ` +
        `${ips}: retry after that time, ${adviceFor(reasons.map((r) => r.reason))}, or ${spread}`,
    )
    this.host = host
    this.retryAt = retryAt
    this.reasons = reasons
  }
}

/** What to do about blacklistings with these reasons: only a 429 asks to slow down. */
function adviceFor(reasons: readonly string[]): string {
  const advice: string[] = []
  if (reasons.some((r) => r.startsWith('HTTP 429')))
    advice.push('send fewer requests per second (the host answered 429)')
  if (reasons.some((r) => /^HTTP (?!429)/.test(r)))
    advice.push('check that the requests are allowed (the host answered a blocking status)')
  if (reasons.some((r) => r.startsWith('health check') || r.startsWith('probe')))
    advice.push('check the server (its health checks failed)')
  advice.push('or lower blacklist.ttl')
  return advice.join(', ')
}
