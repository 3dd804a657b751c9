/**
 * The parts of one Crawlee request below the redirect loop: its deadline (`timeout.request`, the
 * whole exchange), the handler wrapper that tells the pool the hops of one request apart from new
 * requests, header-field helpers, and the final response's body stream with its progress.
 */
import { pipeline, Transform, type Readable } from 'node:stream'
import type { HttpRequest } from '@crawlee/core'
import type { Dispatcher } from 'undici'
import { RequestTimeoutError } from '../errors.js'

export type SimpleHeaders = Record<string, string | string[] | undefined>

/** The request's deadline over its whole exchange, and the caller's signal, as one AbortSignal. */
export class Deadline {
  readonly signal: AbortSignal | undefined
  readonly #timer: NodeJS.Timeout | undefined
  readonly #controller = new AbortController()
  #fired = false

  constructor(timeout: HttpRequest['timeout'], callerSignal: AbortSignal | undefined, url: string) {
    const ms = timeout !== undefined && 'request' in timeout ? timeout.request : undefined
    if (ms !== undefined && Number.isFinite(ms) && ms > 0) {
      const t = setTimeout(() => {
        this.#fired = true
        this.#controller.abort(new RequestTimeoutError(ms, url))
      }, ms)
      t.unref()
      this.#timer = t
    }
    const signals = [
      ...(this.#timer === undefined ? [] : [this.#controller.signal]),
      ...(callerSignal ? [callerSignal] : []),
    ]
    this.signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals)
  }

  /** The error to throw for `err`: the timeout's own when the deadline passed. */
  reason(err: unknown): unknown {
    return this.#fired ? this.#controller.signal.reason : err
  }

  clear(): void {
    clearTimeout(this.#timer)
  }
}

/**
 * Forwards every callback to the handler it wraps and names `root` as the handler it stands for:
 * the pool keys a request's redirect chain by that (src/http/request-headers.ts), so the hops of
 * one Crawlee request are planned as a browser plans a redirect (referer, sec-fetch-site).
 */
export class HopHandler implements Dispatcher.DispatchHandler {
  readonly #inner: Dispatcher.DispatchHandler
  readonly #root: object

  constructor(inner: Dispatcher.DispatchHandler, root: object) {
    this.#inner = inner
    this.#root = root
  }
  get handler(): object {
    return this.#root
  }
  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.#inner.onRequestStart?.(controller, context)
  }
  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>[2],
    socket: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>[3],
  ): void {
    this.#inner.onRequestUpgrade?.(controller, statusCode, headers, socket)
  }
  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>[2],
    statusMessage?: string,
  ): void {
    this.#inner.onResponseStart?.(controller, statusCode, headers, statusMessage)
  }
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#inner.onResponseData?.(controller, chunk)
  }
  onResponseEnd(
    controller: Dispatcher.DispatchController,
    trailers: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseEnd']>>[1],
  ): void {
    this.#inner.onResponseEnd?.(controller, trailers)
  }
  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.#inner.onResponseError?.(controller, error)
  }
}

export function hasField(headers: SimpleHeaders, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name && headers[k] !== undefined)
}

export function withoutFields(headers: SimpleHeaders, names: ReadonlySet<string>): SimpleHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !names.has(k.toLowerCase())))
}

export function definedFields(headers: SimpleHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = v
  return out
}

export interface Progress {
  percent: number
  transferred: number
  total?: number
}

/**
 * `body` (undici's) behind a byte counter: what Crawlee reads, with its download progress.
 * `onDone(err)` runs once when the body ended, failed or was dropped by the reader; destroying the
 * returned stream destroys `body` (the pool then closes or reuses the connection).
 */
export function countedBody(
  body: Readable,
  total: number | undefined,
  onDone: (err: Error | null | undefined) => void,
): { stream: Readable; progress: () => Progress } {
  let transferred = 0
  let done = false
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      transferred += chunk.length
      callback(null, chunk)
    },
  })
  pipeline(body, counter, (err) => {
    done = err == null
    onDone(err)
  })
  const progress = (): Progress => ({
    percent: done ? 1 : total !== undefined && total > 0 ? transferred / total : 0,
    transferred,
    ...(total !== undefined ? { total } : {}),
  })
  return { stream: counter, progress }
}
