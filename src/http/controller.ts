/**
 * The controller of one request, as undici 7's handler API hands it to `onRequestStart`: the
 * handler aborts, pauses and resumes the request through it. What each action does is the
 * dispatcher's business (`ControllerHooks`); the controller keeps the state undici's own
 * controllers keep (aborted once with a reason, paused until resumed).
 */
import type { Dispatcher } from 'undici'
import { RequestAbortedError } from './errors.js'

/** What abort, pause and resume do for one request. */
export interface ControllerHooks {
  /** Ends the request with `reason` (called once). */
  abort(reason: Error): void
  /** Stops delivering response data until `resume`. */
  pause(): void
  resume(): void
}

type RawHeaders = Buffer[] | string[] | null

export class RequestController implements Dispatcher.DispatchController {
  #aborted = false
  #paused = false
  #reason: Error | null = null
  readonly #hooks: ControllerHooks
  /** The response's raw header list (`[name, value, …]`), set before `onResponseStart`. */
  rawHeaders: RawHeaders = null
  /** The raw trailer list, set before `onResponseEnd`. */
  rawTrailers: RawHeaders = null

  constructor(hooks: ControllerHooks) {
    this.#hooks = hooks
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

  /** Ends the request; its handler's `onResponseError` gets `reason` (a RequestAbortedError when none). Idempotent. */
  abort(reason?: Error): void {
    if (this.#aborted) return
    this.#aborted = true
    this.#reason = reason ?? new RequestAbortedError()
    this.#hooks.abort(this.#reason)
  }

  pause(): void {
    if (this.#paused || this.#aborted) return
    this.#paused = true
    this.#hooks.pause()
  }

  resume(): void {
    if (!this.#paused) return
    this.#paused = false
    if (!this.#aborted) this.#hooks.resume()
  }
}

/** A controller for a request that failed before it started (nothing to abort, pause or resume). */
export function settledController(): RequestController {
  return new RequestController({ abort() {}, pause() {}, resume() {} })
}
