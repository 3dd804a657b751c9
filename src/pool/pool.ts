/**
 * HotConnPool: an undici Dispatcher over pools of hot TLS connections to every IP of a host.
 *
 *   const pool = await HotConnPool.create(config)
 *   await pool.warmup('https://tiles.example.com')
 *   const res = await fetch('https://tiles.example.com/t/1/2/3.png', { dispatcher: pool })
 *   await pool.close()
 */
import { Dispatcher, errors } from 'undici'
import { TlsSocket, type TlsConnectionInfo } from '../tls/socket.js'
import type { Config, ProfileName } from '../config/index.js'
import { InvalidArgumentError } from '../errors.js'
import { toLegacyHandler } from '../http/handler.js'
import { runPooledRequest, type HttpLease } from '../http/request.js'
import { tlsConnector, defaultResolver } from './defaults.js'
import { PoolClosedError } from './errors.js'
import { channels, publish } from './events.js'
import { ConnectionManager } from './manager.js'
import { Connection, type HostEntry, type PooledConnection } from './model.js'
import { resolvePoolOptions, type HotConnPoolOptions } from './options.js'
import { poolStats, type PoolStats } from './stats.js'
import type { WarmupResult } from './warmup.js'
import {
  FetchDispatcherBase,
  type AnyDispatchHandler,
  type AnyDispatchOptions,
  type AnyInterceptor,
  type FetchDispatcher,
} from './fetch-dispatcher.js'

/** undici's dispatch options plus the identity a request goes out as. */
export interface HotConnDispatchOptions extends Dispatcher.DispatchOptions {
  /** Identity name or alias (`firefox-153-linux`, `chrome-latest-android`); default config.tls.profile. */
  identity?: ProfileName
}

export class HotConnPool extends FetchDispatcherBase {
  readonly #manager: ConnectionManager
  readonly #maxRetries: number
  #closing: Promise<void> | null = null
  #destroyed = false

  /** Same as `new HotConnPool(options)`, for symmetry with an async config load. */
  static async create(options: Config | HotConnPoolOptions = {}): Promise<HotConnPool> {
    return new HotConnPool(options)
  }

  /**
   * @param options a Config (from loadConfig/resolveConfig) or config keys (camelCase, TOML or Go
   *   names) plus `connector`, `resolver`, `ca`, … (see HotConnPoolOptions).
   * @throws ConfigError / InvalidArgumentError naming the bad option.
   */
  constructor(options: Config | HotConnPoolOptions = {}) {
    super()
    const resolved = resolvePoolOptions(options)
    const connector = resolved.connector ?? tlsConnector(resolved.config, resolved.ca, resolved.extraCa)
    const resolver = resolved.resolver ?? defaultResolver(resolved.config)
    this.#maxRetries = resolved.maxRetries
    this.#manager = new ConnectionManager(resolved, connector, resolver)
    this.#manager.start()
  }

  /** The resolved configuration. */
  get config(): Config {
    return this.#manager.options.config
  }

  /** Whether close() or destroy() was called. */
  get closed(): boolean {
    return this.#closing !== null
  }

  get destroyed(): boolean {
    return this.#destroyed
  }

  /**
   * undici Dispatcher entry point (DispatcherBase contract): `opts.origin` picks the host, and
   * `opts.identity` (an identity name or alias; default config.tls.profile) the partition: a
   * request goes out only on connections of its identity (ClientHello, HTTP/2 flight, headers).
   * `forIdentity()` makes a dispatcher that sets it, for fetch().
   * @throws InvalidArgumentError (to the handler) for an unknown identity.
   * Returns false when the request was refused at once (its error went to the handler) or the
   * host's queue is full; errors after acceptance go to the handler.
   */
  override dispatch(options: AnyDispatchOptions, anyHandler: AnyDispatchHandler): boolean {
    // One object shape at run time: undici 7's types and the global fetch's describe the same calls.
    const opts = options as Dispatcher.DispatchOptions
    const handler = anyHandler as Dispatcher.DispatchHandler
    if (handler === null || typeof handler !== 'object')
      throw new errors.InvalidArgumentError('handler must be an object')
    const legacy = toLegacyHandler(handler)
    try {
      if (opts === null || typeof opts !== 'object') throw new errors.InvalidArgumentError('opts must be an object.')
      if (this.#destroyed) throw new errors.ClientDestroyedError()
      if (this.#closing !== null) throw new PoolClosedError()
      if (opts.origin == null) throw new InvalidArgumentError('opts.origin is required: the pool serves several hosts')
      const host = this.#manager.host(opts.origin, (opts as HotConnDispatchOptions).identity)
      runPooledRequest(opts, legacy, {
        acquire: (signal, avoidIp, unprocessed) =>
          this.#lease(host, opts, signal, unprocessed === true ? undefined : avoidIp),
        maxRetries: this.#maxRetries,
        servername: host.hostname,
      })
      return this.#manager.borrower.hasRoom(host)
    } catch (err) {
      if (typeof legacy.onError !== 'function') throw err
      legacy.onError(err as Error)
      return false
    }
  }

  async #lease(
    host: HostEntry,
    opts: Dispatcher.DispatchOptions,
    signal: AbortSignal,
    avoidIp?: string,
  ): Promise<HttpLease> {
    const { borrower, ledger } = this.#manager
    // A retry after a failure before any response byte (avoidIp set) goes to a connection opened
    // since, so that it cannot meet the same keep-alive race again.
    const fresh = avoidIp !== undefined
    const conn = await borrower.acquire(host, { signal, fresh, ...(fresh ? { avoidIp } : {}) })
    const reused = ledger.countUse(conn)
    if (conn.channel === null) throw new Error('unreachable: a checked-out connection has a channel')
    return {
      dispatcher: conn.channel.client,
      reused,
      ip: conn.ip,
      release: (outcome) => {
        borrower.requite(conn, outcome)
        // The event object is built only when someone listens: this runs once per request.
        if (!channels.request.hasSubscribers) return
        publish('request', {
          host: host.key,
          ip: conn.ip,
          method: String(opts.method),
          path: opts.path,
          statusCode: outcome.statusCode,
          error: outcome.error,
          durationMs: outcome.durationMs,
          reused,
          connectionId: conn.id,
          ...tlsInfoOf(conn.socket),
        })
      },
    }
  }

  /**
   * Resolves every IP of `origin` and opens `warm_conns_per_ip` connections to each (SNI = host),
   * skipping blacklisted IPs and counting connections already there. Rejects with a DnsError,
   * PoolClosedError or AllIpsBlacklistedError; per-IP connect failures are in the result.
   */
  async warmup(origin: string | URL, options: { identity?: ProfileName } = {}): Promise<WarmupResult> {
    if (this.#closing !== null) throw new PoolClosedError()
    return this.#manager.warmer.warmup(this.#manager.host(origin, options.identity))
  }

  /**
   * A dispatcher whose requests go out as `identity` (an identity name or alias), on this pool's
   * connections of that identity: `fetch(url, { dispatcher: pool.forIdentity('firefox-153-linux') })`.
   * It shares the pool (closing it closes the pool).
   * @throws InvalidArgumentError for an unknown identity.
   */
  forIdentity(identity: ProfileName): FetchDispatcher {
    const name = this.#manager.identityOf(identity)
    const withIdentity: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) =>
      dispatch(
        { ...opts, identity: (opts as HotConnDispatchOptions).identity ?? name } as HotConnDispatchOptions,
        handler,
      )
    return this.compose(withIdentity)
  }

  /**
   * undici's `compose()`: a dispatcher whose requests go through `interceptors` (outermost first),
   * then this pool. Like the pool it is usable with undici's API and Node's global fetch.
   */
  override compose(interceptors: AnyInterceptor[]): FetchDispatcher
  override compose(...interceptors: AnyInterceptor[]): FetchDispatcher
  override compose(...args: AnyInterceptor[] | [AnyInterceptor[]]): FetchDispatcher {
    // undici's compose() wraps a legacy handler before the first interceptor, so the result takes
    // the global fetch's calls as the pool does (see fetch-dispatcher.ts).
    return super.compose(...(args as Dispatcher.DispatcherComposeInterceptor[])) as FetchDispatcher
  }

  /**
   * Borrows a connection of `host` ("example.com", "example.com:8443" or an https URL) for raw
   * use: its `socket` speaks TLS application data to `ip`. Give it back with putConnection();
   * destroy the socket instead if it is no longer usable. Rejects like dispatch (ERR_POOL_*).
   */
  async getConnection(
    host: string | URL,
    options: { signal?: AbortSignal; identity?: ProfileName } = {},
  ): Promise<PooledConnection> {
    if (this.#closing !== null) throw new PoolClosedError()
    const { borrower, ledger } = this.#manager
    const entry = this.#manager.host(host, options.identity)
    const conn = await borrower.acquire(entry, {
      use: 'raw',
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    })
    conn.lentRaw = true
    conn.channel?.lend()
    ledger.countUse(conn)
    return conn
  }

  /** Gives back a connection from getConnection(); a destroyed or ended one is dropped. */
  putConnection(conn: PooledConnection): void {
    if (!(conn instanceof Connection)) throw new InvalidArgumentError('putConnection: not a connection of this pool')
    if (!conn.lentRaw || conn.state !== 'in_use') return
    conn.lentRaw = false
    const alive = conn.channel?.alive === true
    if (alive) conn.channel?.unlend()
    this.#manager.borrower.requite(conn, { reusable: alive, internal: true })
  }

  /** Per host and per IP: connections by state, handshakes, requests, reuse rate, p50/p99, failures, blacklist. */
  stats(): PoolStats {
    return poolStats(this.#manager.ledger, this.#manager.ips, this.#manager.identityOf(undefined))
  }

  /** Runs one housekeeping pass now (idle timeout, max lifetime, trim, blacklist expiry). */
  housekeep(): void {
    this.#manager.housekeeper.run()
  }

  /** Health-checks every idle connection now; resolves when done. */
  checkHealth(): Promise<void> {
    return this.#manager.health.checkAll()
  }

  #shutdown(force: boolean): Promise<void> {
    if (this.#closing === null) {
      this.#closing = this.#manager.close(force)
    } else if (force) {
      this.#manager.dialer.destroyAll()
    }
    return this.#closing
  }

  /**
   * Stops every loop, rejects waiting requests with ERR_POOL_CLOSED, lets in-flight requests
   * finish, then closes every connection with close_notify. Resolves when every socket is closed.
   */
  override close(): Promise<void>
  override close(callback: () => void): void
  override close(callback?: () => void): Promise<void> | void {
    const done = this.#shutdown(false)
    if (callback === undefined) return done
    done.then(callback, callback)
  }

  /** Like close() but destroys every socket at once (in-flight requests fail). */
  override destroy(err: Error | null, callback: () => void): void
  override destroy(callback: () => void): void
  override destroy(err: Error | null): Promise<void>
  override destroy(): Promise<void>
  override destroy(errOrCallback?: Error | null | (() => void), callback?: () => void): Promise<void> | void {
    const cb = typeof errOrCallback === 'function' ? errOrCallback : callback
    this.#destroyed = true
    const done = this.#shutdown(true)
    if (cb === undefined) return done
    done.then(cb, cb)
  }
}

function tlsInfoOf(socket: unknown): { tls?: TlsConnectionInfo } {
  const info = socket instanceof TlsSocket ? socket.info : undefined
  return info ? { tls: info } : {}
}
