/**
 * Drives one request of the pool's `dispatch`: borrows a connection, runs the request on its
 * pinned undici Client, reports the outcome (status, Retry-After, error, duration) and gives the
 * connection back, and retries an idempotent request once on another connection when the one it
 * used failed before any response byte (the keep-alive race: the server closed an idle connection
 * just as the request was written, RFC 9112 §9.3.1 / RFC 9110 §9.2.2).
 */
import { errors, type Dispatcher } from 'undici'
import type { LegacyHandler } from './handler.js'
import { rawHeader } from './handler.js'
import { isUnprocessed } from './h2/errors.js'

/** Retries of a request an HTTP/2 server did not process (GOAWAY, REFUSED_STREAM), on top of maxRetries. */
const UNPROCESSED_RETRIES = 3

/** A borrowed connection, ready for one request. */
export interface HttpLease {
  /** The undici Client pinned to the connection's socket. */
  readonly dispatcher: Dispatcher
  /** Whether the connection carried a request before (a keep-alive race is possible). */
  readonly reused: boolean
  /** The address the connection is pinned to. */
  readonly ip: string
  /** Gives the connection back exactly once with what happened on it. */
  release(outcome: RequestOutcome): void
}

/** What happened to one attempt. */
export interface RequestOutcome {
  /** Whether the connection may carry another request. */
  reusable: boolean
  /** Final response status, when headers arrived. */
  statusCode?: number
  /** Raw `Retry-After` value of the response (RFC 9110 §10.2.3), if any. */
  retryAfter?: string
  /** The error that ended the attempt, if any. */
  error?: Error
  /** Whether the failure happened before any response byte. */
  beforeResponse?: boolean
  /** Whether the user aborted it. */
  aborted?: boolean
  /** The socket was taken over by an HTTP upgrade / CONNECT. */
  upgraded?: boolean
  /** ms from dispatch on the connection to the end of the response (or the error). */
  durationMs: number
}

export interface PooledRequestOptions {
  /**
   * Borrows a connection; rejects (PoolExhaustedError, AllIpsBlacklistedError, …) or on `signal`
   * abort. A retry passes the IP that just failed, to be avoided when another one can serve,
   * unless `unprocessed`: the HTTP/2 server refused the stream (GOAWAY), any usable connection serves.
   */
  acquire(signal: AbortSignal, avoidIp?: string, unprocessed?: boolean): Promise<HttpLease>
  /** Retries after a failure before any response byte on a connection (0 disables). */
  maxRetries: number
  /** TLS server name of the origin; keeps undici from dropping the socket on a name change. */
  servername: string
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

/** Whether `opts` may be sent twice: an idempotent method (RFC 9110 §9.2.2) and a replayable body. */
export function isReplayable(opts: Dispatcher.DispatchOptions): boolean {
  if (opts.idempotent === false || opts.upgrade) return false
  if (!IDEMPOTENT.has(String(opts.method).toUpperCase())) return false
  const body = opts.body
  return body == null || typeof body === 'string' || body instanceof Uint8Array
}

/**
 * Runs `opts` through a pooled connection, reporting to `handler` (legacy API). Never throws:
 * every failure goes to `handler.onError`, at most once, and nothing follows it.
 */
export function runPooledRequest(
  opts: Dispatcher.DispatchOptions,
  handler: LegacyHandler,
  options: PooledRequestOptions,
): void {
  const replayable = isReplayable(opts)
  const request = { ...opts, servername: options.servername } as Dispatcher.DispatchOptions
  const acquireAbort = new AbortController()
  let done = false
  let abortReason: Error | null = null
  let innerAbort: ((err?: Error) => void) | null = null
  let retries = 0
  let unprocessedRetries = 0
  const replayableBody = opts.body == null || typeof opts.body === 'string' || opts.body instanceof Uint8Array

  const fail = (err: Error): void => {
    if (done) return
    done = true
    handler.onError?.(err)
  }

  const abort = (err?: Error): void => {
    if (done || abortReason !== null) return
    abortReason = err ?? new errors.RequestAbortedError()
    if (innerAbort !== null) innerAbort(abortReason)
    else acquireAbort.abort(abortReason)
  }

  try {
    handler.onConnect?.(abort, null)
  } catch (err) {
    fail(err as Error)
    return
  }

  const attempt = (lease: HttpLease): void => {
    const started = performance.now()
    let released = false
    let responseStarted = false
    let statusCode: number | undefined
    let retryAfter: string | undefined
    const release = (outcome: Omit<RequestOutcome, 'durationMs'>): void => {
      if (released) return
      released = true
      lease.release({ ...outcome, durationMs: performance.now() - started })
    }

    const inner: LegacyHandler = {
      onConnect(abortInner) {
        innerAbort = abortInner
        if (abortReason !== null) abortInner(abortReason)
      },
      onResponseStarted() {
        responseStarted = true
        handler.onResponseStarted?.()
      },
      onUpgrade(status, rawHeaders, socket) {
        responseStarted = true
        release({ reusable: false, upgraded: true, statusCode: status })
        done = true
        handler.onUpgrade?.(status, rawHeaders, socket)
      },
      onHeaders(status, rawHeaders, resume, statusText) {
        responseStarted = true
        if (status >= 200) {
          statusCode = status
          retryAfter = rawHeader(rawHeaders, 'retry-after')
        }
        return handler.onHeaders?.(status, rawHeaders, resume, statusText) ?? true
      },
      onData(chunk) {
        return handler.onData?.(chunk) ?? true
      },
      onComplete(trailers) {
        if (done) return
        done = true
        release({ reusable: true, statusCode, retryAfter })
        handler.onComplete?.(trailers)
      },
      onError(err) {
        if (done) {
          release({ reusable: false, error: err })
          return
        }
        const beforeResponse = !responseStarted
        const aborted = abortReason !== null
        release({ reusable: false, error: err, beforeResponse, aborted, statusCode, retryAfter })
        // RFC 9113 §8.7: a stream the server did not process may be retried whatever the method.
        if (
          beforeResponse &&
          !aborted &&
          isUnprocessed(err) &&
          replayableBody &&
          !opts.upgrade &&
          unprocessedRetries < UNPROCESSED_RETRIES
        ) {
          unprocessedRetries++
          innerAbort = null
          start(lease.ip, true)
          return
        }
        if (beforeResponse && !aborted && replayable && retries < options.maxRetries) {
          retries++
          innerAbort = null
          start(lease.ip)
          return
        }
        fail(err)
      },
      onBodySent(size, total) {
        handler.onBodySent?.(size, total)
      },
      onRequestSent() {
        handler.onRequestSent?.()
      },
    }
    try {
      lease.dispatcher.dispatch(request, inner as Dispatcher.DispatchHandler)
    } catch (err) {
      release({ reusable: false, error: err as Error, beforeResponse: true })
      fail(err as Error)
    }
  }

  const start = (avoidIp?: string, unprocessed?: boolean): void => {
    options.acquire(acquireAbort.signal, avoidIp, unprocessed).then(
      (lease) => {
        if (abortReason !== null || done) {
          lease.release({ reusable: true, durationMs: 0 })
          fail(abortReason ?? new errors.RequestAbortedError())
          return
        }
        attempt(lease)
      },
      (err: Error) => fail(abortReason ?? err),
    )
  }
  start()
}
