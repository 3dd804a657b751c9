/**
 * The one guard every dispatcher of hotconn puts around the handler it is given, as undici's own
 * Client does around its handlers: an exception thrown by a handler callback (an interceptor's
 * included) aborts the request and ends it through the handler's `onResponseError` with that
 * exception — never an uncaught exception, never a request that does not settle. The guard also
 * keeps the contract's order for the dispatcher behind it: nothing after `onResponseEnd` or
 * `onResponseError`, and at most one of them.
 */
import type { Duplex } from 'node:stream'
import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'
import { settledController } from './controller.js'

type Controller = Dispatcher.DispatchController

export class GuardedHandler implements Dispatcher.DispatchHandler {
  readonly #h: Dispatcher.DispatchHandler
  #controller: Controller | null = null
  /** The controller's own abort method, kept before a handler can replace it (undici's dump interceptor does); called on the controller. */
  #abort: ((this: Controller, reason: Error) => void) | null = null
  #settled = false

  constructor(handler: Dispatcher.DispatchHandler) {
    this.#h = handler
  }

  /** The handler this guard wraps (the user's, or its adapter for a legacy handler). */
  get inner(): Dispatcher.DispatchHandler {
    return this.#h
  }

  /** Whether the request ended (onResponseEnd or onResponseError delivered). */
  get settled(): boolean {
    return this.#settled
  }

  onRequestStart(controller: Controller, context: unknown): void {
    if (this.#settled) return
    this.#controller = controller
    this.#abort = controller.abort
    try {
      this.#h.onRequestStart?.(controller, context)
    } catch (err) {
      this.#thrown(err as Error)
    }
  }

  onRequestUpgrade(controller: Controller, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    if (this.#settled) {
      socket.destroy()
      return
    }
    this.#settled = true
    try {
      this.#h.onRequestUpgrade?.(controller, statusCode, headers, socket)
    } catch (err) {
      socket.destroy()
      this.#deliver(controller, err as Error)
    }
  }

  onResponseStart(controller: Controller, statusCode: number, headers: IncomingHttpHeaders, message?: string): void {
    if (this.#settled) return
    try {
      this.#h.onResponseStart?.(controller, statusCode, headers, message)
    } catch (err) {
      this.#thrown(err as Error)
    }
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.#settled) return
    try {
      this.#h.onResponseData?.(controller, chunk)
    } catch (err) {
      this.#thrown(err as Error)
    }
  }

  onResponseEnd(controller: Controller, trailers: IncomingHttpHeaders): void {
    if (this.#settled) return
    this.#settled = true
    try {
      this.#h.onResponseEnd?.(controller, trailers)
    } catch (err) {
      // The response is complete; only the handler failed (undici's retry interceptor throws its
      // RequestRetryError here once its retries are spent).
      this.#deliver(controller, err as Error)
    }
  }

  onResponseError(controller: Controller | null, err: Error): void {
    if (this.#settled) return
    this.#settled = true
    this.#deliver(controller ?? this.#controller ?? settledController(), err)
  }

  /** Ends a request that failed before it started (e.g. refused by dispatch). */
  fail(err: Error): void {
    this.onResponseError(null, err)
  }

  /** A handler callback threw `error` (the callbacks call it from their own try/catch: no closure per call). */
  #thrown(error: Error): void {
    // Abort first so the dispatcher stops the exchange; it may report the abort at once (then
    // the handler already has its error) or later (then that report is dropped).
    const controller = this.#controller
    try {
      if (controller !== null) this.#abort?.call(controller, error)
    } catch {
      // An abort that throws still ends the request below.
    }
    this.onResponseError(controller, error)
  }

  #deliver(controller: Controller, err: Error): void {
    try {
      this.#h.onResponseError?.(controller, err)
    } catch {
      // The request has ended; a handler that throws from onResponseError has nobody left to tell.
    }
  }
}
