/**
 * The fields a pooled request sets on the dispatch options it sends: its deadlines (the request's,
 * else the pool's, else undici's; undici's HTTP/1.1 and hotconn's HTTP/2 channel read them from the
 * options) and the TLS server name (it keeps undici from dropping the socket on a name change).
 */
import type { Dispatcher } from 'undici'

/** undici's deadlines, for a request and a pool that set none (ms). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 300_000
export const DEFAULT_BODY_TIMEOUT_MS = 300_000

/** What a PooledRequest sets on the options it dispatches. */
export interface WireFields {
  /** ms: the request's deadlines, else the pool's, else undici's (both protocols read them from the wire options). */
  readonly headersTimeout: number
  readonly bodyTimeout: number
  readonly servername: string
}

/** The wire fields of `opts`, given the origin's server name and the pool's deadlines (ms, config `pool.headers_timeout`, `pool.body_timeout`). */
export function wireFields(
  opts: Dispatcher.DispatchOptions,
  options: { servername: string; headersTimeoutMs?: number | undefined; bodyTimeoutMs?: number | undefined },
): WireFields {
  return {
    headersTimeout: opts.headersTimeout ?? options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
    bodyTimeout: opts.bodyTimeout ?? options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
    servername: options.servername,
  }
}
