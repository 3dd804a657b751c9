/**
 * ConnectionManager: builds the pool's parts and wires their events to each other; owns nothing
 * else. Who calls whom:
 *
 *   HotConnPool -> EgressRouter (which partition) -> Borrower (acquire/requite) -> Ledger + Dialer
 *   Housekeeper, HealthChecker, DnsRefresher, Warmer -> IpStates, Dialer, Ledger, Borrower
 *   IpStates, Dialer, DnsState -> PoolEvents (below) -> the part that acts on it
 */
import type { ProfileName } from '../config/index.js'
import { poolEgressOf, type PoolEgress } from '../egress/index.js'
import { InvalidArgumentError } from '../errors.js'
import { IDENTITY_REFS, getIdentity, isIdentityRef, resolveIdentityName } from '../fingerprint/identity/table.js'
import { headerPlanner, type HeaderPlanner } from '../http/request-headers.js'
import type { BlacklistRecord } from './blacklist.js'
import { blameOfConnectError } from './blame.js'
import { Borrower } from './borrow.js'
import { Dialer, type DialerEvents } from './dialer.js'
import { DnsRefresher, DnsState, type DnsEvents } from './dns-state.js'
import { EgressRouter } from './egress-route.js'
import { EgressStates } from './egress-states.js'
import { StatusJudge } from './status-blame.js'
import { PoolClosedError } from './errors.js'
import { HealthChecker } from './health.js'
import { Housekeeper } from './housekeeping.js'
import { IpStates, type IpStateEvents } from './ip-states.js'
import { Ledger } from './ledger.js'
import type { HostEntry, IpEntry } from './model.js'
import type { Connector, Resolver, ResolvedPoolOptions } from './options.js'
import { Warmer } from './warmup.js'

/** Every event the parts report, each handled by the manager's wiring. */
export interface PoolEvents extends IpStateEvents, DialerEvents, DnsEvents {}

export class ConnectionManager {
  readonly options: ResolvedPoolOptions
  /** Header planners by identity name (one lookup per request). */
  readonly #planners = new Map<string, HeaderPlanner>()
  readonly ledger: Ledger
  readonly ips: IpStates
  readonly dialer: Dialer
  readonly dns: DnsState
  readonly borrower: Borrower
  readonly health: HealthChecker
  readonly warmer: Warmer
  readonly housekeeper: Housekeeper
  readonly refresher: DnsRefresher
  readonly egresses = new EgressStates()
  /** Whom blocking statuses blame: an IP, or the (egress, host) pair. */
  readonly statuses: StatusJudge
  readonly egress: PoolEgress
  readonly router: EgressRouter
  /** config.tls.profile as an identity name. */
  readonly #defaultIdentity: ProfileName

  constructor(options: ResolvedPoolOptions, connector: Connector, resolver: Resolver, egress: PoolEgress) {
    this.options = options
    this.egress = egress
    const { config } = options
    const events: PoolEvents = {
      blacklisted: (ip, record) => this.#blacklisted(ip, record),
      readmitted: (ip) => this.borrower.reconcile(ip.host),
      retryDue: (ip) => {
        this.warmer.redial(ip)
        this.borrower.reconcile(ip.host)
      },
      connected: (ip) => {
        this.ips.connected(ip)
        this.egresses.connected(ip.host.egress)
      },
      connectFailed: (ip, err, startedAt) => this.#connectFailed(ip, err, startedAt),
      slotFreed: (ip, reason) => {
        this.ips.forget(ip)
        this.borrower.slotFreed(ip)
        if (!this.ledger.closed) this.warmer.slotFreed(ip, reason)
      },
      changed: (ip) => this.borrower.reconcile(ip.host),
      resolved: (host, added) => this.#resolved(host, added),
    }
    this.#defaultIdentity = resolveIdentityName(config.tls.profile)
    const ledger = (this.ledger = new Ledger(config.pool, config.egress.maxConnsPerEgress))
    const ips = (this.ips = new IpStates(config.blacklist, events))
    this.statuses = new StatusJudge(config.blacklist, ips)
    const dialer = (this.dialer = new Dialer(config, connector, ledger, events))
    const minRefreshMs = options.dnsMinRefreshMs
    this.dns = new DnsState({ dns: config.dns, minRefreshMs }, { resolver, ledger, ips }, events)
    const resolve = (host: HostEntry): Promise<void> => this.dns.ensureResolved(host)
    // HTTP/2 off: a server that picks h2 anyway gets one stream per connection (dialer.ts).
    const streams = { maxConcurrentStreams: config.http2.enabled ? config.http2.maxConcurrentStreams : 1 }
    this.borrower = new Borrower(
      { pool: config.pool, drainGraceMs: options.drainGraceMs, ...streams },
      { ledger, dialer, ips, resolve, statuses: this.statuses },
    )
    const parts = { ledger, dialer, ips, borrower: this.borrower }
    this.health = new HealthChecker(config, parts)
    const { warmConnsPerIp } = config.pool
    this.warmer = new Warmer({ warmConnsPerIp, warmupConcurrency: options.warmupConcurrency }, parts, resolve)
    this.housekeeper = new Housekeeper(
      { config, drainGraceMs: options.drainGraceMs },
      { ledger, dialer, ips, health: this.health },
    )
    this.refresher = new DnsRefresher(ledger, this.dns)
    const rotation = { rotation: config.egress.rotation, stickyTtlMs: config.egress.stickyTtlMs }
    this.router = new EgressRouter(
      { set: egress.set, defaults: egress.defaults, rotation },
      { ledger, borrower: this.borrower, egresses: this.egresses, statuses: this.statuses },
    )
  }

  /**
   * The partition of `origin` for `identity` (an identity name or alias; default the pool's,
   * config.tls.profile), created on first use. Connections of different identities never mix.
   * Throws InvalidArgumentError for a bad origin or an unknown identity.
   */
  host(origin: string | URL, identity?: string): HostEntry {
    return this.ledger.host(origin, this.identityOf(identity))
  }

  /** The header planner of `host`'s identity, with the pool's default destination (`[http2] default_headers`). */
  headerPlanner(host: HostEntry): HeaderPlanner {
    let planner = this.#planners.get(host.identity)
    if (planner === undefined) {
      const kind = this.options.config.http2.defaultHeaders
      planner = headerPlanner(
        getIdentity(host.identity),
        kind === 'none' ? undefined : kind === 'navigation' ? 'document' : kind,
      )
      this.#planners.set(host.identity, planner)
    }
    return planner
  }

  /** The identity name `ref` stands for (default: the pool's). Throws InvalidArgumentError for an unknown name. */
  identityOf(ref: string | undefined): ProfileName {
    if (ref === undefined) return this.#defaultIdentity
    if (!isIdentityRef(ref))
      throw new InvalidArgumentError(
        `unknown identity ${JSON.stringify(ref)}; known identities: ${IDENTITY_REFS.join(', ')}`,
      )
    return resolveIdentityName(ref)
  }

  /** Starts the background loops (health checks, housekeeping). */
  start(): void {
    this.health.start()
    this.housekeeper.start()
  }

  /**
   * Stops every loop and accepts no more requests: rejects waiting ones with PoolClosedError,
   * aborts handshakes, closes idle connections (close_notify) and in-use ones when they come back
   * (or at once with `force`). Resolves when every socket has closed.
   */
  close(force = false): Promise<void> {
    this.health.stop()
    this.housekeeper.stop()
    this.refresher.stop()
    this.ips.stop()
    const done = this.ledger.shutdown()
    const err = new PoolClosedError()
    this.borrower.rejectAll(err)
    this.dialer.abortAll(err)
    // Idle connections close now, and raw loans too (the pool's sockets): with close_notify.
    for (const conn of this.ledger.all()) {
      if (conn.state === 'idle' || (conn.lentRaw && conn.state === 'in_use')) this.dialer.close(conn, 'pool_closed')
    }
    if (force) this.dialer.destroyAll()
    return done
  }

  /**
   * A failed dial is struck on what failed (blame.ts): the target IP (backoff; the waiting request
   * fails only when no IP can serve), the egress (backoff; the partition's waiting requests move
   * to another egress), or nothing (certificate, configuration: the waiting request fails with it).
   */
  #connectFailed(ip: IpEntry, err: Error, startedAt: number): void {
    switch (blameOfConnectError(err)) {
      case 'target':
        this.ips.connectFailed(ip, startedAt)
        this.borrower.connectFailed(ip, err)
        return
      case 'egress':
        this.egresses.connectFailed(ip.host.egress, err, startedAt)
        this.borrower.rejectWaiting(ip.host, err, true)
        return
      case 'none':
        this.borrower.rejectWaiting(ip.host, err, false)
        return
    }
  }

  /** A blacklisted IP's idle connections close; the housekeeper wakes at the expiry. */
  #blacklisted(ip: IpEntry, record: BlacklistRecord): void {
    for (const conn of [...ip.idleHttp.toArray(), ...ip.idleRaw.toArray()]) this.dialer.close(conn, 'blacklisted')
    this.housekeeper.wakeAt(record.until)
    this.borrower.reconcile(ip.host)
  }

  /** A DNS answer was applied: the refresh loop re-arms, new IPs of a warmed host are warmed. */
  #resolved(host: HostEntry, added: readonly IpEntry[]): void {
    this.refresher.schedule()
    if (host.warm && added.length > 0) void this.warmer.warmIps(host, added).catch(() => {})
    this.borrower.reconcile(host)
  }
}
