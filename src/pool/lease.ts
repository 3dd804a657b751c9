/**
 * PoolLease: one attempt's hold on a checked-out connection (the HttpLease a PooledRequest runs
 * on): the connection's dispatcher, and `release` (called once, by the attempt) that requites the
 * connection with the attempt's outcome and publishes `hotconn:pool:request` when someone listens.
 */
import type { AsyncResource } from 'node:async_hooks'
import type { Dispatcher } from 'undici'
import type { HttpLease, RequestOutcome } from '../http/pooled-request.js'
import { TlsSocket, type TlsConnectionInfo } from '../tls/socket.js'
import type { Borrower } from './borrow.js'
import { channels, publish } from './events.js'
import type { Ledger } from './ledger.js'
import type { Connection } from './model.js'

export class PoolLease implements HttpLease {
  readonly dispatcher: Dispatcher
  /** Whether the connection sat idle in the pool before (reused or warmed): the keep-alive race is possible. */
  readonly reused: boolean
  readonly ip: string
  readonly #conn: Connection
  readonly #borrower: Borrower
  readonly #opts: Dispatcher.DispatchOptions
  /** The caller's async context for the event, when someone listened at dispatch. */
  readonly #scope: AsyncResource | null
  /** Whether the connection carried a request before this one (the event's `reused`). */
  readonly #carried: boolean

  /** Counts the use on `ledger`. @throws Error when the connection has no channel (never for a checked-out one). */
  constructor(
    conn: Connection,
    parts: { borrower: Borrower; ledger: Ledger },
    opts: Dispatcher.DispatchOptions,
    scope: AsyncResource | null,
  ) {
    if (conn.channel === null) throw new Error('unreachable: a checked-out connection has a channel')
    this.reused = conn.requests > 0 || conn.idleSince > 0
    this.#carried = parts.ledger.countUse(conn)
    this.dispatcher = conn.channel.client
    this.ip = conn.ip
    this.#conn = conn
    this.#borrower = parts.borrower
    this.#opts = opts
    this.#scope = scope
  }

  release(outcome: RequestOutcome): void {
    const conn = this.#conn
    const opts = this.#opts
    this.#borrower.requite(conn, outcome, opts.path)
    // The event object is built only when someone listens: this runs once per request.
    if (!channels.request.hasSubscribers) return
    const host = conn.entry.host
    const event = {
      host: host.key,
      egress: host.egress.id,
      ip: conn.ip,
      method: String(opts.method),
      path: opts.path,
      statusCode: outcome.statusCode,
      error: outcome.error,
      durationMs: outcome.durationMs,
      reused: this.#carried,
      connectionId: conn.id,
      protocol: conn.channel?.protocol ?? 'http/1.1',
      ...tlsInfoOf(conn.socket),
    }
    const scope = this.#scope
    if (scope === null) publish('request', event)
    else scope.runInAsyncScope(() => publish('request', event))
  }
}

function tlsInfoOf(socket: unknown): { tls?: TlsConnectionInfo } {
  const info = socket instanceof TlsSocket ? socket.info : undefined
  return info ? { tls: info } : {}
}
