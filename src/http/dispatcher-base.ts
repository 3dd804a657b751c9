/**
 * DispatcherBase: the undici `Dispatcher` lifecycle written once for hotconn's dispatchers (the
 * pool and the HTTP/2 connection), after undici's own DispatcherBase: argument checks, the closed
 * and destroyed states, `close()`/`destroy()` with a Promise or a callback, back-pressure
 * (`dispatch()` returns false, then `'drain'`), and the handler guard. Subclasses implement
 * `dispatchNow`, `closeNow` and `destroyNow`.
 */
import { Dispatcher } from 'undici'
import { InvalidArgumentError } from '../errors.js'
import { GuardedHandler } from './guard.js'
import { toCurrentHandler } from './legacy-handler.js'

type Callback = () => void

export abstract class DispatcherBase extends Dispatcher {
  #closing: Promise<void> | null = null
  #destroying: Promise<void> | null = null
  /** Origins whose dispatch returned false and that owe a 'drain'. */
  readonly #needDrain = new Set<string>()

  /**
   * Starts `opts` with `handler` (undici 7's current API, guarded). Returns false when the
   * dispatcher is busy for `origin`: further requests only queue until `'drain'` is emitted.
   * Throws only for a synchronous refusal; the subclass reports every other failure to the handler.
   */
  protected abstract dispatchNow(opts: Dispatcher.DispatchOptions, handler: GuardedHandler): boolean
  /** Stops taking requests, lets the running ones finish, releases every resource. */
  protected abstract closeNow(): Promise<void>
  /** Ends everything at once; running requests fail with `err`. */
  protected abstract destroyNow(err: Error | null): Promise<void>
  /** The error for a request dispatched after close() (e.g. the pool's ERR_POOL_CLOSED). */
  protected abstract closedError(): Error

  /** Whether close() or destroy() was called. */
  get closed(): boolean {
    return this.#closing !== null || this.#destroying !== null
  }

  /** Whether destroy() was called. */
  get destroyed(): boolean {
    return this.#destroying !== null
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (handler === null || typeof handler !== 'object') throw new InvalidArgumentError('handler must be an object')
    const guarded = new GuardedHandler(toCurrentHandler(handler))
    try {
      if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('opts must be an object')
      if (this.closed) throw this.closedError()
      const ready = this.dispatchNow(opts, guarded)
      if (!ready) this.#needDrain.add(originKey(opts.origin))
      return ready
    } catch (err) {
      if (typeof handler.onResponseError !== 'function' && typeof handler.onError !== 'function') throw err
      guarded.fail(err as Error)
      return false
    }
  }

  /** Emits `'drain'` for `origin` (as undici's pools do: `(origin, [this])`) if a dispatch owes one. */
  protected drained(origin: string | URL): void {
    if (this.#needDrain.size === 0 || !this.#needDrain.delete(originKey(origin))) return
    this.emitEvent('drain', typeof origin === 'string' ? new URL(origin) : origin, [this])
  }

  /** Emits one of undici's Dispatcher events with its runtime arguments (`origin, targets[, err]`). */
  protected emitEvent(event: 'drain' | 'connect' | 'disconnect' | 'connectionError', ...args: unknown[]): void {
    ;(this.emit as (event: string, ...args: unknown[]) => boolean)(event, ...args)
  }

  /** Whether a dispatch for `origin` returned false and its 'drain' is still due. */
  protected needsDrain(origin: string | URL): boolean {
    return this.#needDrain.size > 0 && this.#needDrain.has(originKey(origin))
  }

  /**
   * Stops taking requests, lets running ones finish, then releases everything. Resolves (or calls
   * `callback`) when done; again after the first call, and after destroy().
   */
  override close(): Promise<void>
  override close(callback: Callback): void
  override close(callback?: Callback): Promise<void> | void {
    if (callback !== undefined && typeof callback !== 'function') throw new InvalidArgumentError('invalid callback')
    this.#closing ??= this.#destroying ?? this.closeNow()
    return settle(this.#closing, callback)
  }

  /** Ends everything at once: running and queued requests fail with `err` (or the subclass's default). */
  override destroy(err: Error | null, callback: Callback): void
  override destroy(callback: Callback): void
  override destroy(err: Error | null): Promise<void>
  override destroy(): Promise<void>
  override destroy(errOrCallback?: Error | null | Callback, callback?: Callback): Promise<void> | void {
    const cb = typeof errOrCallback === 'function' ? errOrCallback : callback
    if (cb !== undefined && typeof cb !== 'function') throw new InvalidArgumentError('invalid callback')
    const err = typeof errOrCallback === 'function' ? null : (errOrCallback ?? null)
    this.#destroying ??= this.destroyNow(err)
    return settle(this.#destroying, cb)
  }
}

function originKey(origin: Dispatcher.DispatchOptions['origin']): string {
  if (origin == null) return ''
  return typeof origin === 'string' ? new URL(origin).origin : origin.origin
}

function settle(done: Promise<void>, callback: Callback | undefined): Promise<void> | void {
  const quiet = done.catch(() => {})
  if (callback === undefined) return quiet
  void quiet.then(() => queueMicrotask(callback))
}
