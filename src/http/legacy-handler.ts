/**
 * The one adapter from undici's legacy handler callbacks to its current API, at the boundary
 * where undici's own `fetch()`, `request()`, `stream()` and `pipeline()` still dispatch legacy
 * handlers (`onConnect`/`onHeaders`/`onData`/`onComplete`/`onError`, deprecated in undici 7).
 * Everything behind `DispatcherBase.dispatch` speaks the current API only; undici's `Client`
 * adapts back internally for its HTTP/1.1 parser.
 */
import type { Duplex } from 'node:stream'
import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'

/** The deprecated handler shape (undici 7 still dispatches it from its own APIs). */
interface LegacyHandler {
  onConnect?(abort: (err?: Error) => void, context?: unknown): void
  onResponseStarted?(): void
  onUpgrade?(statusCode: number, headers: Buffer[] | string[] | null, socket: Duplex): void
  onHeaders?(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean
  onData?(chunk: Buffer): boolean
  onComplete?(trailers: Buffer[] | string[] | null): void
  onError?(err: Error): void
}

type RawList = Buffer[] | string[] | IncomingHttpHeaders | null | undefined

/** `controller.rawHeaders` when the dispatcher set it, else the parsed headers flattened back. */
function rawList(raw: RawList, parsed: IncomingHttpHeaders): Buffer[] {
  if (Array.isArray(raw)) {
    // undici's Client gives Buffers: passed on as they are (as undici's own adapters do), no copy per response.
    const list = raw as Array<Buffer | string>
    for (const v of list)
      if (typeof v === 'string') return list.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : x))
    return list as Buffer[]
  }
  const out: Buffer[] = []
  for (const [name, value] of Object.entries(parsed)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value])
      out.push(Buffer.from(name, 'latin1'), Buffer.from(v, 'latin1'))
  }
  return out
}

class LegacyAdapter implements Dispatcher.DispatchHandler {
  readonly #h: LegacyHandler
  constructor(handler: LegacyHandler) {
    this.#h = handler
  }
  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.#h.onConnect?.((err) => controller.abort(err ?? new Error('aborted')), context)
  }
  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    socket: Duplex,
  ): void {
    this.#h.onUpgrade?.(statusCode, rawList(controller.rawHeaders, headers), socket)
  }
  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    this.#h.onResponseStarted?.()
    const raw = rawList(controller.rawHeaders, headers)
    if (this.#h.onHeaders?.(statusCode, raw, () => controller.resume(), statusMessage ?? '') === false)
      controller.pause()
  }
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#h.onData?.(chunk) === false) controller.pause()
  }
  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.#h.onComplete?.(rawList(controller.rawTrailers, trailers))
  }
  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (typeof this.#h.onError !== 'function') throw err
    this.#h.onError(err)
  }
}

/** `handler` in undici 7's current API: as is when it has `onRequestStart`, else adapted from the legacy callbacks. */
export function toCurrentHandler(handler: Dispatcher.DispatchHandler): Dispatcher.DispatchHandler {
  return typeof handler.onRequestStart === 'function' ? handler : new LegacyAdapter(handler as LegacyHandler)
}
