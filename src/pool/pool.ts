/**
 * HotConnPool: an undici Dispatcher over pools of hot TLS connections to every IP of a host.
 *
 *   const pool = await HotConnPool.create(config)
 *   await pool.warmup('https://tiles.example.com')
 *   const res = await fetch('https://tiles.example.com/t/1/2/3.png', { dispatcher: pool })
 *   await pool.close()
 */
import { AsyncResource } from 'node:async_hooks'
import type { Duplex } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { Config, ProfileName, Rotation } from '../config/index.js'
import { poolEgressOf, type EgressInput } from '../egress/index.js'
import { InvalidArgumentError } from '../errors.js'
import type { AbortSignalLike } from '../util/lazy-abort.js'
import { withFields } from '../util/with-fields.js'
import { LiveList } from '../util/live-list.js'
import { SocketError } from '../http/errors.js'
import type { GuardedHandler } from '../http/guard.js'
import { PooledRequest, type BorrowMode, type HttpLease } from '../http/pooled-request.js'
import { wireFields } from '../http/wire-fields.js'
import { prepareRequest, type IdentityDispatchOptions } from '../http/request-headers.js'
import { tlsConnector, defaultResolver } from './defaults.js'
import { PoolClosedError } from './errors.js'
import { channels } from './events.js'
import { PoolLease } from './lease.js'
import type { EgressChoice, Route } from './egress-route.js'
import { ConnectionManager } from './manager.js'
import { Connection, type Borrow, type PooledConnection } from './model.js'
import { resolvePoolOptions, type Connector, type HotConnPoolOptions } from './options.js'
import { poolStats, type PoolStats } from './stats.js'
import type { WarmupResult } from './warmup.js'
import { FetchDispatcherBase, type AnyInterceptor, type FetchDispatcher } from './fetch-dispatcher.js'

/** undici's dispatch options plus the identity a request goes out as, its Fetch destination and the way it leaves. */
export interface HotConnDispatchOptions extends Dispatcher.DispatchOptions, IdentityDispatchOptions {
  /** Identity name or alias (`firefox-153-linux`, `chrome-latest-android`); default config.tls.profile. */
  identity?: ProfileName
  /**
   * The egress: "direct", a proxy URL (`http://user:pass@10.0.0.5:3128`, `socks5h://…`), an
   * `{ proxy, localAddress, resolve, connectHeaders }` object, a list of them (rotated by the
   * pool's egress.rotation; the same list keeps its turn) or a set from `forEgress()`. Default:
   * the pool's `[egress]` (its proxies or local addresses, else direct).
   */
  egress?: EgressChoice
}

/** Options of `forEgress()`. */
export interface ForEgressOptions {
  /** Default: the pool's egress.rotation. */
  rotation?: Rotation
  /** Default: the pool's egress.sticky_ttl (ms). */
  stickyTtlMs?: number
}

/** What `forRequests()` sets on every request that does not set it itself. */
export type RequestDefaults = Pick<HotConnDispatchOptions, 'identity' | 'destination'>

/**
 * An undici Dispatcher over pools of hot TLS connections to every IP of each host it is asked for.
 *
 * Events, as undici's Pool emits them (`targets` is `[pool]`): `'connect' (origin: URL, targets)`
 * when a connection's handshake completed, `'disconnect' (origin, targets, err)` when one closed,
 * `'connectionError' (origin, targets, err)` when one could not be opened, and `'drain' (origin,
 * targets)` after a `dispatch()` that returned false, once the host's waiting requests all got a
 * connection.
 */
export class HotConnPool extends FetchDispatcherBase {
  readonly #manager: ConnectionManager
  readonly #maxRetries: number
  /** Requests accepted and not yet settled (destroy() fails them). */
  readonly #requests = new LiveList<PooledRequest>()
  #closing: Promise<void> | null = null

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
    const egress = poolEgressOf(resolved.config.egress)
    const connector = this.#watchConnections(
      resolved.connector ??
        tlsConnector(resolved.config, resolved.ca, resolved.extraCa, {
          sources: egress.sources,
          proxyCa: resolved.proxyCa,
        }),
    )
    const resolver = resolved.resolver ?? defaultResolver(resolved.config)
    this.#maxRetries = resolved.maxRetries
    this.#manager = new ConnectionManager(resolved, connector, resolver, egress)
    this.#manager.start()
  }

  /** The resolved configuration. */
  get config(): Config {
    return this.#manager.options.config
  }

  /** The connector, emitting 'connect', 'disconnect' and 'connectionError' for every connection it opens. */
  #watchConnections(connector: Connector): Connector {
    return async (o) => {
      const origin = new URL(`https://${o.host}:${o.port}`)
      let socket: Duplex
      try {
        socket = await connector(o)
      } catch (err) {
        this.emitEvent('connectionError', origin, [this], err)
        throw err
      }
      this.emitEvent('connect', origin, [this])
      this.#onDisconnect(socket, o.host, o.port, o.ip)
      return socket
    }
  }

  /**
   * Emits 'disconnect' when `socket` closes. The listener lives as long as the connection, so it
   * keeps only the strings the event needs (not the connector's options, nor a URL: the event's is
   * made when it fires); `on`, not `once`, as a stream closes once and the wrapper costs more.
   */
  #onDisconnect(socket: Duplex, host: string, port: number, ip: string): void {
    socket.on('close', () => {
      const cause = socket.errored ?? undefined
      const err = new SocketError(`the connection to ${ip} closed`, cause !== undefined ? { cause } : {})
      this.emitEvent('disconnect', new URL(`https://${host}:${port}`), [this], err)
    })
  }

  /**
   * Runs `opts` on a pooled connection: `opts.origin` picks the host, `opts.identity` (an
   * identity name or alias; default config.tls.profile) and `opts.egress` (default the pool's
   * `[egress]`) the partition: a request goes out only on connections of its identity
   * (ClientHello, HTTP/2 flight, headers) and egress. `forIdentity()` and `forEgress()` make
   * dispatchers that set them, for fetch(). Throws InvalidArgumentError (to the handler) for an
   * unknown identity or a bad egress. Returns false when the
   * request waits for a connection (the host's connections are all busy): `'drain'` follows once
   * the host's waiting requests all got one. Errors after acceptance go to the handler.
   */
  protected dispatchNow(opts: Dispatcher.DispatchOptions, handler: GuardedHandler): boolean {
    if (opts.origin == null) throw new InvalidArgumentError('opts.origin is required: the pool serves several hosts')
    const route = this.#route(opts.origin, opts as HotConnDispatchOptions)
    const { headersTimeoutMs, bodyTimeoutMs } = this.config.pool
    const wire = wireFields(opts, { servername: route.first.hostname, headersTimeoutMs, bodyTimeoutMs })
    opts = prepareRequest(opts, this.#manager.headerPlanner(route.first), handler.inner, wire)
    // The request event is published in the caller's async context (the CLI attributes it with AsyncLocalStorage).
    const scope = channels.request.hasSubscribers ? new AsyncResource('hotconn:request') : null
    let attempts = 0
    const request: PooledRequest = new PooledRequest(opts, handler, {
      // A retry picks its egress again (the one that failed may be resting).
      acquire: (signal, mode, avoidIp) => this.#lease(route, opts, signal, mode, avoidIp, attempts++ > 0, scope),
      maxRetries: this.#maxRetries,
      wire,
      onSettled: () => this.#requests.delete(request),
    })
    this.#requests.add(request)
    request.start()
    return route.first.waiters.size === 0
  }

  /** The route of a request: its identity, its egress set and the partition of its first attempt. */
  #route(origin: string | URL, opts: { identity?: ProfileName | undefined; egress?: EgressChoice | undefined }): Route {
    const m = this.#manager
    return m.router.route(origin, m.identityOf(opts.identity), m.router.setOf(opts.egress))
  }

  /**
   * A lease for one attempt: at once when the first attempt finds an idle connection (no promise on
   * the hot path), else when the borrow completes.
   */
  #lease(
    route: Route,
    opts: Dispatcher.DispatchOptions,
    signal: AbortSignalLike,
    mode: BorrowMode,
    avoidIp: string | undefined,
    retry: boolean,
    scope: AsyncResource | null,
  ): HttpLease | Promise<HttpLease> {
    // 'fresh': a connection opened since, or an HTTP/2 one that completed a response since.
    const fresh = mode === 'fresh'
    const borrow: Borrow = fresh && avoidIp !== undefined ? { signal, fresh, avoidIp } : { signal, fresh }
    const now = retry ? null : this.#manager.router.takeNow(route, borrow)
    if (now === null) return this.#leaseLater(route, opts, borrow, retry, scope)
    this.#drainedIfDue(route, opts)
    return new PoolLease(now, this.#manager, opts, scope)
  }

  async #leaseLater(
    route: Route,
    opts: Dispatcher.DispatchOptions,
    borrow: Borrow,
    retry: boolean,
    scope: AsyncResource | null,
  ): Promise<HttpLease> {
    let conn: Connection
    try {
      conn = await this.#manager.router.acquire(route, borrow, retry)
    } finally {
      this.#drainedIfDue(route, opts)
    }
    return new PoolLease(conn, this.#manager, opts, scope)
  }

  /** Emits the origin's 'drain' once no request waits for its first partition. */
  #drainedIfDue(route: Route, opts: Dispatcher.DispatchOptions): void {
    if (route.first.waiters.size === 0 && opts.origin != null && this.needsDrain(opts.origin)) this.drained(opts.origin)
  }

  /**
   * Resolves every IP of `origin` and opens `warm_conns_per_ip` connections to each (SNI = host),
   * skipping blacklisted IPs and counting connections already there. Rejects with a DnsError,
   * PoolClosedError or AllIpsBlacklistedError; per-IP connect failures are in the result.
   */
  async warmup(
    origin: string | URL,
    options: { identity?: ProfileName; egress?: EgressChoice } = {},
  ): Promise<WarmupResult> {
    if (this.closed) throw new PoolClosedError()
    const m = this.#manager
    const identity = m.identityOf(options.identity)
    const set = m.router.setOf(options.egress)
    const results = await Promise.all(
      set.egresses.map((egress) => m.warmer.warmup(m.ledger.host(origin, identity, egress))),
    )
    const ips = results.flatMap((r, k) => r.ips.map((ip) => ({ ...ip, egress: set.egresses[k]!.id })))
    return { host: results[0]?.host ?? String(origin), ips }
  }

  /**
   * A dispatcher whose requests leave through `egress` (one, or a list rotated by `options.rotation`,
   * default the pool's): `fetch(url, { dispatcher: pool.forEgress('socks5h://10.0.0.6:1080') })`.
   * It shares the pool (closing it closes the pool).
   * @throws InvalidArgumentError for a bad egress
   */
  forEgress(egress: EgressInput | readonly EgressInput[], options: ForEgressOptions = {}): FetchDispatcher {
    const { config, router } = { config: this.config, router: this.#manager.router }
    const set = router.newSet(Array.isArray(egress) ? egress : [egress as EgressInput], {
      rotation: options.rotation ?? config.egress.rotation,
      stickyTtlMs: options.stickyTtlMs ?? config.egress.stickyTtlMs,
    })
    const withEgress: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) =>
      dispatch(
        withFields(opts, { egress: (opts as HotConnDispatchOptions).egress ?? set }) as HotConnDispatchOptions,
        handler,
      )
    return this.compose(withEgress)
  }

  /**
   * A dispatcher whose requests go out as `identity` (an identity name or alias), on this pool's
   * connections of that identity: `fetch(url, { dispatcher: pool.forIdentity('firefox-153-linux') })`.
   * It shares the pool (closing it closes the pool).
   * @throws InvalidArgumentError for an unknown identity.
   */
  forIdentity(identity: ProfileName): FetchDispatcher {
    return this.forRequests({ identity })
  }

  /**
   * A dispatcher that sets `defaults` (identity, Fetch destination) on every request that does not
   * set them itself, for fetch(), which passes no dispatch options of its own:
   * `fetch(url, { dispatcher: pool.forRequests({ destination: 'document' }) })`. It shares the pool.
   * @throws InvalidArgumentError for an unknown identity.
   */
  forRequests(defaults: RequestDefaults): FetchDispatcher {
    const identity = defaults.identity === undefined ? undefined : this.#manager.identityOf(defaults.identity)
    const destination = defaults.destination
    const withDefaults: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
      const wire: { -readonly [K in keyof HotConnDispatchOptions]: HotConnDispatchOptions[K] } = Object.assign({}, opts)
      if (identity !== undefined && wire.identity === undefined) wire.identity = identity
      if (destination !== undefined && wire.destination === undefined) wire.destination = destination
      return dispatch(wire, handler)
    }
    return this.compose(withDefaults)
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
    options: { signal?: AbortSignal; identity?: ProfileName; egress?: EgressChoice } = {},
  ): Promise<PooledConnection> {
    if (this.closed) throw new PoolClosedError()
    const { ledger, router } = this.#manager
    const route = this.#route(host, options)
    const signal = options.signal
    const conn = await router.acquire(route, { use: 'raw', ...(signal !== undefined ? { signal } : {}) }, false)
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

  /**
   * Blacklists `ip` of `origin` until `until` (epoch ms) on another's word, e.g. a fleet's shared
   * view of the host: its idle connections close, requests go to the other IPs, and after `until`
   * it is re-probed as usual. Blacklistings of this pool are published on `hotconn:pool:blacklist`.
   * @returns false when the pool does not know `ip` for `origin` (not resolved yet) or the time has passed.
   */
  blacklistIp(origin: string | URL, ip: string, record: { until: number; reason: string }): boolean {
    if (this.#closing !== null) return false
    const entry = this.#manager.host(origin).list.find((i) => i.address === ip)
    if (entry === undefined || record.until <= Date.now()) return false
    this.#manager.ips.impose(entry, record)
    return true
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

  /**
   * close(): stops every loop, rejects waiting requests with ERR_POOL_CLOSED, lets in-flight
   * requests finish, then closes every connection with close_notify. Settles when every socket
   * closed; nothing of the pool holds the event loop afterwards.
   */
  protected closeNow(): Promise<void> {
    return this.#shutdown(false)
  }

  /** destroy(err): like close() but destroys every socket at once; in-flight requests fail with `err` (default ERR_POOL_CLOSED). */
  protected destroyNow(err: Error | null): Promise<void> {
    const reason = err ?? new PoolClosedError('the pool was destroyed; create a new HotConnPool to send more requests')
    for (const request of this.#requests.toArray()) request.destroy(reason)
    return this.#shutdown(true)
  }

  protected closedError(): Error {
    return new PoolClosedError()
  }

  #shutdown(force: boolean): Promise<void> {
    if (this.#closing === null) {
      this.#closing = this.#manager.close(force)
    } else if (force) {
      this.#manager.dialer.destroyAll()
    }
    return this.#closing
  }
}
