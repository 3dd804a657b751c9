/**
 * One request of the pool's `dispatch`: borrows a connection, runs the request on the
 * connection's dispatcher (undici's Client for HTTP/1.1, the H2Dispatcher for HTTP/2), relays the
 * response to the user's handler, gives the connection back with what happened (status,
 * Retry-After, error, duration) and, when `nextStep` says so, sends the request again on another
 * connection. Speaks undici 7's handler API on both sides: the user's handler gets one controller
 * for the whole request, whichever attempt carries it.
 */
import type { Duplex } from 'node:stream'
import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'
import { InvalidArgumentError } from '../errors.js'
import { RequestController } from './controller.js'
import {
  BodyTimeoutError,
  HeadersTimeoutError,
  NotSupportedError,
  RequestAbortedError,
  RequestContentLengthMismatchError,
  isUnprocessed,
  toRequestError,
} from './errors.js'
import { LazyAbortSignal, type AbortSignalLike } from '../util/lazy-abort.js'
import { withFields } from '../util/with-fields.js'
import type { WireFields } from './wire-fields.js'
import type { LiveLinks } from '../util/live-list.js'
import type { GuardedHandler } from './guard.js'
import { UNPROCESSED_RETRIES, nextStep, type FailureKind, type Tries } from './retry-policy.js'

/** How a connection is borrowed: any usable one, or a fresh one (or one proven alive since a failure). */
export type BorrowMode = 'any' | 'fresh'

/** A borrowed connection, ready for one request. */
export interface HttpLease {
  /** The dispatcher pinned to the connection (undici Client for HTTP/1.1, H2Dispatcher for HTTP/2). */
  readonly dispatcher: Dispatcher
  /** Whether the connection sat idle in the pool before (a keep-alive race is possible). */
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
   * abort. A retry passes the IP that just failed, to be avoided when another one can serve.
   */
  acquire(signal: AbortSignalLike, mode: BorrowMode, avoidIp?: string): HttpLease | Promise<HttpLease>
  /** Keep-alive-race retries (0 disables). */
  maxRetries: number
  /** What every attempt sets on its dispatch options: the deadlines and the TLS server name (`wireFields`). */
  wire: WireFields
  /** Called once when the request settled (its handler got its last callback, or is about to). */
  onSettled?: () => void
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

function bodyReplayable(opts: Dispatcher.DispatchOptions): boolean {
  const body = opts.body
  return !opts.upgrade && (body == null || typeof body === 'string' || body instanceof Uint8Array)
}

/** Whether `opts` may be sent twice: an idempotent method (RFC 9110 §9.2.2) and a replayable body. */
export function isReplayable(opts: Dispatcher.DispatchOptions): boolean {
  if (opts.idempotent === false || !bodyReplayable(opts)) return false
  return IDEMPOTENT.has(String(opts.method).toUpperCase())
}

/** The retry policy's name for `err` (after toRequestError), given whether the user aborted. */
function failureKind(err: Error, aborted: boolean): FailureKind {
  if (aborted) return 'aborted'
  if (err instanceof HeadersTimeoutError || err instanceof BodyTimeoutError) return 'timeout'
  if (isUnprocessed(err)) return 'unprocessed'
  if (
    err instanceof InvalidArgumentError ||
    err instanceof NotSupportedError ||
    err instanceof RequestContentLengthMismatchError
  )
    return 'request'
  return 'transport'
}

export class PooledRequest implements LiveLinks<PooledRequest> {
  readonly opts: Dispatcher.DispatchOptions
  readonly handler: GuardedHandler
  readonly controller: RequestController
  readonly #options: PooledRequestOptions
  readonly #wire: Dispatcher.DispatchOptions
  /** The request's deadlines (ms), as undici reads them from the wire options. */
  readonly #headersMs: number
  readonly #bodyMs: number
  /** Aborts the borrow; an AbortController is made only if the borrow waits for a connection. */
  readonly #acquireAbort = new LazyAbortSignal()
  /** Retries so far; made by the first failed attempt. */
  #tries: Tries | null = null
  #attempt: Attempt | null = null
  #done = false
  /** The owner's list of requests in flight (LiveList). */
  livePrev: PooledRequest | null = null
  liveNext: PooledRequest | null = null
  liveList: object | null = null

  constructor(opts: Dispatcher.DispatchOptions, handler: GuardedHandler, options: PooledRequestOptions) {
    this.opts = opts
    this.handler = handler
    this.#options = options
    const wire = options.wire
    this.#headersMs = wire.headersTimeout
    this.#bodyMs = wire.bodyTimeout
    // Options that already carry them (prepareRequest set them on its copy) go as they are.
    this.#wire =
      opts.headersTimeout === wire.headersTimeout &&
      opts.bodyTimeout === wire.bodyTimeout &&
      (opts as { servername?: string }).servername === wire.servername
        ? opts
        : withFields(opts, wire)
    // The request is its controller's hooks (ControllerHooks): no closures per request.
    this.controller = new RequestController(this)
  }

  /** ControllerHooks: the handler's abort ends the running attempt, or the borrow. */
  abort(reason: Error): void {
    if (this.done) return
    if (this.#attempt !== null) this.#attempt.abort(reason)
    else this.#acquireAbort.abort(reason)
  }

  /** ControllerHooks: the handler's pause and resume reach the running attempt. */
  pause(): void {
    this.#attempt?.pause()
  }

  resume(): void {
    this.#attempt?.resume()
  }

  /** Whether the request ended (its handler got onResponseEnd, onResponseError or onRequestUpgrade). */
  get done(): boolean {
    return this.#done || this.handler.settled
  }

  /** Tells the handler the request started, then borrows the first connection. */
  start(): void {
    this.handler.onRequestStart(this.controller, undefined)
    if (this.done || this.controller.aborted) return
    this.#borrow('any')
  }

  /** Ends the request with `err` now (e.g. the pool was destroyed), aborting the running attempt. */
  destroy(err: Error): void {
    if (this.done) return
    this.#settle()
    this.#attempt?.abort(err)
    this.#acquireAbort.abort(err)
    this.handler.onResponseError(this.controller, err)
  }

  #borrow(mode: 'any' | 'fresh', avoidIp?: string): void {
    let lease: HttpLease | Promise<HttpLease>
    try {
      lease = this.#options.acquire(this.#acquireAbort, mode, avoidIp)
    } catch (err) {
      this.fail(this.controller.reason ?? (err as Error))
      return
    }
    if (lease instanceof Promise)
      lease.then(
        (l) => this.#send(l),
        (err: Error) => this.fail(this.controller.reason ?? err),
      )
    else this.#send(lease)
  }

  #send(lease: HttpLease): void {
    if (this.done) {
      lease.release({ reusable: true, durationMs: 0 })
      return
    }
    this.#attempt = new Attempt(this, lease)
    this.#attempt.send(this.#wire)
  }

  /** Called by the attempt that failed: retries as nextStep says, or reports the error. */
  attemptFailed(attempt: Attempt, raw: Error, responseStarted: boolean): void {
    const aborted = this.controller.aborted
    const timeouts = { headersMs: this.#headersMs, bodyMs: this.#bodyMs }
    const error = aborted ? (this.controller.reason ?? raw) : toRequestError(raw, timeouts)
    attempt.lease.release(
      Object.assign(attempt.facts(), { reusable: false, error, beforeResponse: !responseStarted, aborted }),
    )
    if (this.done || attempt !== this.#attempt) return
    this.#attempt = null
    const step = nextStep(
      {
        kind: failureKind(error, aborted),
        responseStarted,
        reused: attempt.lease.reused,
        replayable: isReplayable(this.opts),
        bodyReplayable: bodyReplayable(this.opts),
      },
      (this.#tries ??= { race: 0, unprocessed: 0 }),
      { maxRetries: this.#options.maxRetries, maxUnprocessed: UNPROCESSED_RETRIES },
    )
    if (step === 'fail') {
      this.fail(error)
      return
    }
    if (step === 'retry_any') {
      // Any usable connection: the one that refused it no longer takes streams.
      this.#tries.unprocessed++
      this.#borrow('any')
    } else {
      this.#tries.race++
      this.#borrow('fresh', attempt.lease.ip)
    }
  }

  /** Called by the attempt that completed. */
  attemptEnded(attempt: Attempt): void {
    if (attempt === this.#attempt) this.#settle()
  }

  fail(err: Error): void {
    if (this.done) return
    this.#settle()
    this.handler.onResponseError(this.controller, err)
  }

  #settle(): void {
    if (this.#done) return
    this.#done = true
    this.#options.onSettled?.()
  }
}

/** One try of a PooledRequest on one borrowed connection: the handler given to the connection's dispatcher. */
class Attempt implements Dispatcher.DispatchHandler {
  readonly lease: HttpLease
  readonly #request: PooledRequest
  readonly #started = performance.now()
  #inner: Dispatcher.DispatchController | null = null
  #pendingAbort: Error | null = null
  #responseStarted = false
  #statusCode: number | undefined
  #retryAfter: string | undefined
  #finished = false

  constructor(request: PooledRequest, lease: HttpLease) {
    this.#request = request
    this.lease = lease
  }

  send(wire: Dispatcher.DispatchOptions): void {
    try {
      this.lease.dispatcher.dispatch(wire, this)
    } catch (err) {
      this.onResponseError(null, err as Error)
    }
  }

  /** Status, Retry-After and duration so far, for the lease's release (a new object, completed by the caller). */
  facts(): RequestOutcome {
    return {
      reusable: false,
      statusCode: this.#statusCode,
      retryAfter: this.#retryAfter,
      durationMs: performance.now() - this.#started,
    }
  }

  abort(reason: Error): void {
    if (this.#finished) return
    if (this.#inner === null) this.#pendingAbort = reason
    else this.#inner.abort(reason)
  }

  pause(): void {
    this.#inner?.pause()
  }

  resume(): void {
    this.#inner?.resume()
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#inner = controller
    const reason = this.#pendingAbort ?? (this.#request.controller.aborted ? this.#request.controller.reason : null)
    if (reason !== null) controller.abort(reason)
    else if (this.#request.controller.paused) controller.pause()
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    socket: Duplex,
  ): void {
    if (this.#finish()) return
    this.#responseStarted = true
    this.lease.release(Object.assign(this.facts(), { statusCode, reusable: false, upgraded: true }))
    this.#request.attemptEnded(this)
    const user = this.#request.controller
    user.rawHeaders = (controller.rawHeaders as Buffer[] | null | undefined) ?? null
    this.#request.handler.onRequestUpgrade(user, statusCode, headers, socket)
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    message?: string,
  ): void {
    if (this.#finished) return
    this.#responseStarted = true
    if (statusCode >= 200) {
      this.#statusCode = statusCode
      const retryAfter = headers['retry-after']
      this.#retryAfter = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter
    }
    const user = this.#request.controller
    user.rawHeaders = (controller.rawHeaders as Buffer[] | null | undefined) ?? null
    this.#request.handler.onResponseStart(user, statusCode, headers, message)
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#finished) return
    this.#request.handler.onResponseData(this.#request.controller, chunk)
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    if (this.#finish()) return
    const outcome: RequestOutcome = this.facts()
    outcome.reusable = true
    this.lease.release(outcome)
    this.#request.attemptEnded(this)
    const user = this.#request.controller
    user.rawTrailers = (controller.rawTrailers as Buffer[] | null | undefined) ?? null
    this.#request.handler.onResponseEnd(user, trailers)
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    if (this.#finish()) return
    this.#request.attemptFailed(this, err ?? new RequestAbortedError(), this.#responseStarted)
  }

  /** Marks the attempt finished; returns whether it already was. */
  #finish(): boolean {
    if (this.#finished) return true
    this.#finished = true
    return false
  }
}
