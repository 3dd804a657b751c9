/**
 * undici handler plumbing. undici's Client speaks the legacy callback API internally
 * (onConnect/onHeaders/onData/onComplete/onError); the undici 7 controller API
 * (onRequestStart/onResponseStart/onResponseData/onResponseEnd/onResponseError) is adapted to it,
 * as undici's DispatcherBase does.
 */
import type { Duplex } from 'node:stream'
import { util, type Dispatcher } from 'undici'

/** The legacy handler shape undici's Client drives. */
export interface LegacyHandler {
  onConnect?(abort: (err?: Error) => void, context?: unknown): void
  onResponseStarted?(): void
  onUpgrade?(statusCode: number, headers: Buffer[] | string[] | null, socket: Duplex): void
  onHeaders?(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean
  onData?(chunk: Buffer): boolean
  onComplete?(trailers: string[] | Buffer[] | null): void
  onError?(err: Error): void
  onBodySent?(chunkSize: number, totalBytesSent: number): void
  onRequestSent?(): void
}

type RawHeaders = Buffer[] | string[] | null

class Controller implements Dispatcher.DispatchController {
  #paused = false
  #aborted = false
  #reason: Error | null = null
  #abort: (err?: Error) => void
  resumeFn: (() => void) | null = null
  rawHeaders: RawHeaders = null
  rawTrailers: RawHeaders = null

  constructor(abort: (err?: Error) => void) {
    this.#abort = abort
  }
  get aborted(): boolean {
    return this.#aborted
  }
  get paused(): boolean {
    return this.#paused
  }
  get reason(): Error | null {
    return this.#reason
  }
  abort(reason: Error): void {
    if (this.#aborted) return
    this.#aborted = true
    this.#reason = reason
    this.#abort(reason)
  }
  pause(): void {
    this.#paused = true
  }
  resume(): void {
    if (!this.#paused) return
    this.#paused = false
    this.resumeFn?.()
  }
}

function parse(raw: RawHeaders): Record<string, string | string[]> {
  return raw === null ? {} : (util.parseHeaders(raw) as Record<string, string | string[]>)
}

/** Adapts an undici 7 controller-API handler to the legacy API; a legacy handler is returned as is. */
export function toLegacyHandler(handler: Dispatcher.DispatchHandler): LegacyHandler {
  if (typeof handler.onRequestStart !== 'function') return handler as LegacyHandler
  const h = handler
  let controller = new Controller(() => {})
  return {
    onConnect(abort, context) {
      controller = new Controller(abort)
      h.onRequestStart?.(controller, context)
    },
    onResponseStarted() {
      // Part of the legacy API only.
    },
    onUpgrade(statusCode, rawHeaders, socket) {
      controller.rawHeaders = rawHeaders
      h.onRequestUpgrade?.(controller, statusCode, parse(rawHeaders), socket)
    },
    onHeaders(statusCode, rawHeaders, resume, statusText) {
      controller.resumeFn = resume
      controller.rawHeaders = rawHeaders
      h.onResponseStart?.(controller, statusCode, parse(rawHeaders), statusText)
      return !controller.paused
    },
    onData(chunk) {
      h.onResponseData?.(controller, chunk)
      return !controller.paused
    },
    onComplete(rawTrailers) {
      controller.rawTrailers = rawTrailers
      h.onResponseEnd?.(controller, parse(rawTrailers))
    },
    onError(err) {
      if (typeof h.onResponseError !== 'function') throw err
      h.onResponseError(controller, err)
    },
  }
}

/** Value of one header in undici raw headers (`[name, value, name, value, …]`), case-insensitive. */
export function rawHeader(raw: readonly (Buffer | string)[] | null, name: string): string | undefined {
  if (raw === null) return undefined
  const wanted = name.toLowerCase()
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (String(raw[i]).toLowerCase() === wanted) return String(raw[i + 1])
  }
  return undefined
}
