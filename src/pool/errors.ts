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
    host: { key: string; total: number; waiters: { size: number } },
    pool: { maxPending: number; maxConnsPerHost: number },
  ): PoolExhaustedError {
    const detail = `${host.waiters.size} requests already wait (max_pending = ${pool.maxPending}) with ${host.total} connections open (max_conns_per_host = ${pool.maxConnsPerHost})`
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
 * earliest moment one of them leaves the blacklist.
 */
export class AllIpsBlacklistedError extends HotConnError {
  readonly host: string
  readonly retryAt: Date
  /** Why each IP was blacklisted (the last strike's reason, e.g. "connect failed: ERR_TLS_BAD_CERTIFICATE"). */
  readonly reasons: ReadonlyArray<{ readonly ip: string; readonly reason: string }>

  constructor(host: string, retryAt: Date, reasons: ReadonlyArray<{ ip: string; reason: string }> = []) {
    const why = reasons.length ? ` (${reasons.map((r) => `${r.ip}: ${r.reason}`).join('; ')})` : ''
    super(
      'ERR_ALL_IPS_BLACKLISTED',
      `every IP of ${host} is blacklisted until at least ${retryAt.toISOString()}${why}; retry after that time, ` +
        'slow down (the server answered with blocking status codes or refused connections), fix the cause above, or lower blacklist.ttl',
    )
    this.host = host
    this.retryAt = retryAt
    this.reasons = reasons
  }
}
