/**
 * The type side of "a HotConnPool works with Node's global fetch".
 *
 * Node's global `fetch` takes `dispatcher` typed by @types/node, whose Dispatcher comes from the
 * `undici-types` release matching the Node line (undici 6 types for @types/node 20 and 22): a
 * different declaration from undici 7's `Dispatcher`, which hotconn extends, and not assignable
 * from it (nor is undici 7's own `Agent`). At run time both speak the same contract: Node's
 * bundled undici calls `dispatch(opts, handler)` with a handler of the legacy callbacks, which
 * DispatcherBase adapts to the current API (http/legacy-handler.ts), and `compose()` wraps such a
 * handler before the first interceptor. So the pool's type is undici 7's Dispatcher *and* the global fetch's
 * Dispatcher, read from the consumer's own global `RequestInit`: whatever @types/node the consumer
 * has, `fetch(url, { dispatcher: pool })` type-checks, with undici's fetch and Node's alike. Without
 * a `dispatcher` in the global RequestInit (DOM lib, no @types/node fetch) it is undici's alone.
 */
import type { Dispatcher } from 'undici'
import { DispatcherBase } from '../http/dispatcher-base.js'

type GlobalRequestInit = NonNullable<Parameters<typeof globalThis.fetch>[1]>
type DispatcherOf<I> = 'dispatcher' extends keyof I
  ? I extends { dispatcher?: infer D }
    ? NonNullable<D>
    : unknown
  : unknown

/** The `dispatcher` type of Node's global `fetch` in the consumer's @types/node (`unknown` when it has none). */
export type GlobalFetchDispatcher = DispatcherOf<GlobalRequestInit>

/** A dispatcher usable with undici 7's API (`fetch`, `request`, `compose`, …) and with Node's global `fetch`. */
export type FetchDispatcher = Dispatcher & GlobalFetchDispatcher

type DispatchArgs<D> = D extends { dispatch(options: infer O, handler: infer H): boolean } ? [O, H] : [never, never]

/** What `dispatch()` accepts: undici 7's options, or those of the undici bundled in Node (global fetch). */
export type AnyDispatchOptions = Dispatcher.DispatchOptions | DispatchArgs<GlobalFetchDispatcher>[0]
/** A handler of undici 7's API or of the legacy callbacks (what Node's bundled undici passes). */
export type AnyDispatchHandler = Dispatcher.DispatchHandler | DispatchArgs<GlobalFetchDispatcher>[1]

type ComposeArgs<D> = D extends { compose(...dispatchers: infer A): unknown } ? A[number] : never

/** An interceptor of undici 7 (`interceptors.retry()`, …) or one typed by the global fetch's undici-types. */
export type AnyInterceptor = Dispatcher.DispatcherComposeInterceptor | ComposeArgs<GlobalFetchDispatcher>

/**
 * hotconn's DispatcherBase, typed as a FetchDispatcher too for the classes that extend it (the
 * same constructor at run time).
 */
export const FetchDispatcherBase = DispatcherBase as unknown as abstract new () => DispatcherBase &
  GlobalFetchDispatcher
