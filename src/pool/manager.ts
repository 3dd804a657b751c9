/**
 * ConnectionManager: host -> IPs -> connections. Owns every state change of a connection and
 * the counters that go with it, the caps, the waiting requests, IP states (active, draining,
 * blacklisted, probing) and DNS answers. Acquire and release are O(1) plus O(IPs of the host)
 * for the IP choice; scans of connections happen only in the background loops.
 */
import { isIP } from 'node:net'
import PQueue from 'p-queue'
import { isExpectedStatus } from '../config/index.js'
import { HttpChannel } from '../http/channel.js'
import { H2Channel } from '../http/h2-channel.js'
import { getHttpProfile } from '../fingerprint/profiles/index.js'
import { probeStatus } from '../http/probe.js'
import { Blacklist, parseRetryAfter, type BlacklistRecord } from './blacklist.js'
import { Connection, LIFETIME_JITTER, type ConnectionState } from './connection.js'
import { AllIpsBlacklistedError, PoolClosedError, PoolExhaustedError } from './errors.js'
import { publish } from './events.js'
import { Counts, HostEntry, IpEntry, pickShared, type Waiter } from './host.js'
import type { Connector, Resolution, Resolver, ResolvedPoolOptions } from './options.js'
import { parseOrigin } from './origin.js'
import { pickIdleIp, pickOpenIp } from './select.js'

/** What happened to a connection that is given back. */
export interface ReleaseOutcome {
  reusable: boolean
  statusCode?: number
  retryAfter?: string
  error?: Error
  aborted?: boolean
  upgraded?: boolean
  durationMs?: number
  /** A health check, not a user request: no request statistics. */
  internal?: boolean
}

/** Per-IP result of a warm-up. */
export interface WarmupIpResult {
  ip: string
  /** Connections opened by this warm-up. */
  opened: number
  failed: number
  /** Why nothing was opened: the IP is blacklisted/draining, or already warm. */
  skipped?: string
  error?: Error
}

export interface WarmupResult {
  host: string
  ips: WarmupIpResult[]
}

type Purpose = 'request' | 'warmup' | 'probe' | 'dedicated'

const now = (): number => performance.now()

export class ConnectionManager extends Counts {
  readonly options: ResolvedPoolOptions
  readonly blacklist: Blacklist
  readonly hosts = new Map<string, HostEntry>()
  readonly #connector: Connector
  readonly #resolver: Resolver
  readonly #aborts = new Set<AbortController>()
  readonly #waitingHosts = new Set<HostEntry>()
  /** Every connection not yet closed (for close/destroy). */
  readonly #allConns = new Set<Connection>()
  #closed = false
  #onEmpty: (() => void) | null = null
  /** Called when a blacklisting starts (so the housekeeper can wake at its expiry). */
  onBlacklisted: (record: BlacklistRecord) => void = () => {}
  /** Called after every applied DNS answer (so the refresh loop can re-arm). */
  onResolved: () => void = () => {}

  constructor(options: ResolvedPoolOptions, connector: Connector, resolver: Resolver) {
    super()
    this.options = options
    this.#connector = connector
    this.#resolver = resolver
    const b = options.config.blacklist
    this.blacklist = new Blacklist({ statusCodes: b.statusCodes, failureThreshold: b.failureThreshold, ttlMs: b.ttlMs })
  }

  get closed(): boolean {
    return this.#closed
  }

  /** The entry of `origin` (created on first use). Throws InvalidArgumentError for a bad origin. */
  host(origin: string | URL): HostEntry {
    const o = parseOrigin(origin)
    let host = this.hosts.get(o.key)
    if (host === undefined) {
      host = new HostEntry(o.key, o.hostname, o.port, isIP(o.hostname) !== 0)
      this.hosts.set(o.key, host)
    }
    return host
  }

  // ---- state changes and counters (the only place counters move) ----

  #count(c: Counts, state: ConnectionState, d: number): void {
    switch (state) {
      case 'connecting':
        c.connecting += d
        break
      case 'idle':
        c.idle += d
        break
      case 'in_use':
        c.inUse += d
        break
      case 'closing':
        c.closing += d
        break
      case 'closed':
        break
    }
  }

  #setState(conn: Connection, next: ConnectionState): void {
    const prev = conn.state
    if (prev === next) return
    if (prev === 'closed' && next !== 'connecting') return // a closed connection never comes back
    const ip = conn.entry
    for (const c of [ip, ip.host, this] as Counts[]) {
      this.#count(c, prev, -1)
      this.#count(c, next, 1)
    }
    conn.state = next
    if (next === 'closed') this.#allConns.delete(conn)
    else this.#allConns.add(conn)
  }

  #canOpen(host: HostEntry, ip: IpEntry): boolean {
    const p = this.options.config.pool
    return (
      this.total < p.maxConnections &&
      host.total < p.maxConnsPerHost &&
      (p.maxConnsPerIp === undefined || ip.total < p.maxConnsPerIp)
    )
  }

  // ---- DNS ----

  /** Resolves `host` once (later refreshes come from refreshDns). Rejects with the resolver's error. */
  ensureResolved(host: HostEntry): Promise<void> {
    if (host.resolved) return Promise.resolve()
    if (host.ready === null) {
      if (host.isIpLiteral) {
        this.applyResolution(host, {
          addresses: [{ address: host.hostname, family: isIP(host.hostname) === 6 ? 6 : 4, ttlMs: Infinity }],
          minTtlMs: Infinity,
        })
        return Promise.resolve()
      }
      host.ready = this.#resolver.resolve(host.hostname).then(
        (res) => {
          if (res.addresses.length === 0) throw new Error(`no address for ${host.hostname}`)
          this.applyResolution(host, res)
        },
        (err: unknown) => {
          host.ready = null
          publish('dns', { host: host.key, addresses: [], added: [], removed: [], error: err as Error })
          throw err
        },
      )
    }
    return host.ready
  }

  /** Re-resolves `host`; keeps the old addresses when resolution fails or returns none. */
  async refreshDns(host: HostEntry): Promise<void> {
    try {
      const res = await this.#resolver.resolve(host.hostname)
      if (this.#closed) return
      if (res.addresses.length === 0) throw new Error(`no address for ${host.hostname}`)
      this.applyResolution(host, res)
    } catch (err) {
      host.nextRefreshAt = now() + Math.min(this.options.config.dns.refreshIntervalMs, 30_000)
      publish('dns', {
        host: host.key,
        addresses: host.list.map((i) => i.address),
        added: [],
        removed: [],
        error: err as Error,
      })
    }
  }

  /**
   * Applies a DNS answer: new addresses join (and are warmed when the host was warmed), listed
   * draining ones come back, vanished ones drain (in-flight requests finish; health and a grace
   * period decide when their idle connections close).
   */
  applyResolution(host: HostEntry, res: Resolution): void {
    const t = now()
    const seen = new Set<string>()
    const added: IpEntry[] = []
    for (const a of res.addresses) {
      if (seen.has(a.address)) continue
      seen.add(a.address)
      const ip = host.ips.get(a.address)
      if (ip === undefined) {
        const entry = new IpEntry(host, a.address, a.family)
        host.addIp(entry)
        added.push(entry)
      } else {
        ip.inDns = true
        if (ip.state === 'draining') ip.state = 'active'
      }
    }
    const removed: string[] = []
    for (const ip of host.list) {
      if (seen.has(ip.address)) continue
      if (ip.inDns) removed.push(ip.address)
      ip.inDns = false
      if (ip.state === 'active') {
        ip.state = 'draining'
        ip.drainingSince = t
      }
      this.#maybeForget(ip)
    }
    host.resolved = true
    const { refreshIntervalMs } = this.options.config.dns
    const ttl = Number.isFinite(res.minTtlMs) ? res.minTtlMs : refreshIntervalMs
    host.nextRefreshAt = host.isIpLiteral
      ? Infinity
      : t + Math.min(Math.max(ttl, this.options.dnsMinRefreshMs), refreshIntervalMs)
    publish('dns', { host: host.key, addresses: [...seen], added: added.map((i) => i.address), removed })
    this.onResolved()
    if (host.warm && added.length > 0) {
      void this.#warmIps(host, added).catch(() => {})
    }
    this.#reconcile(host)
  }

  /** Drops an IP that left DNS once it holds no connection and is not blacklisted. */
  #maybeForget(ip: IpEntry): void {
    if (ip.inDns || ip.total > 0 || ip.state === 'probing') return
    if (ip.state === 'blacklisted') return // kept so stats show it until expiry
    ip.host.removeIp(ip)
    this.blacklist.delete(ip.key)
  }

  // ---- acquire / release ----

  /**
   * Borrows a connection of `host`: an idle one (LIFO) of the best IP, else waits in the FIFO
   * queue while one is opened. Rejects with PoolClosedError, AllIpsBlacklistedError,
   * PoolExhaustedError (queue full / pending_timeout), a DnsError, a connect error when every IP
   * fails, or `signal`'s reason. `avoidIp`: skip that IP's idle connections (a retry).
   */
  async acquire(host: HostEntry, mode: 'http' | 'raw', signal?: AbortSignal, avoidIp?: string): Promise<Connection> {
    if (this.#closed) throw new PoolClosedError()
    if (!host.resolved) await this.ensureResolved(host)
    if (this.#closed) throw new PoolClosedError()
    signal?.throwIfAborted()
    let avoid = avoidIp === undefined ? undefined : host.ips.get(avoidIp)
    if (avoid !== undefined && !host.list.some((i) => i !== avoid && i.state === 'active')) avoid = undefined
    // A retry after a transport failure skips the idle connections of the IP that failed (they
    // likely share its fate); if no other IP has one, it waits for a new connection instead.
    const conn = this.#takeIdle(host, mode, avoid)
    if (conn !== null) return conn
    this.#throwIfNoUsableIp(host)
    const p = this.options.config.pool
    if (host.waiters.size >= p.maxPending) {
      throw new PoolExhaustedError(
        host.key,
        'queue_full',
        `${host.waiters.size} requests already wait (max_pending = ${p.maxPending}) with ${host.total} connections open (max_conns_per_host = ${p.maxConnsPerHost})`,
      )
    }
    return new Promise<Connection>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      const cleanup = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }
      const waiter: Waiter = {
        mode,
        failures: 0,
        avoid,
        resolve: (c) => {
          cleanup()
          resolve(c)
        },
        reject: (e) => {
          cleanup()
          reject(e)
        },
      }
      const node = host.waiters.push(waiter)
      const onAbort = (): void => {
        if (host.waiters.remove(node))
          waiter.reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      timer = setTimeout(() => {
        if (host.waiters.remove(node)) {
          waiter.reject(
            new PoolExhaustedError(
              host.key,
              'timeout',
              `no connection became free within pending_timeout (${p.pendingTimeoutMs} ms)`,
            ),
          )
        }
      }, p.pendingTimeoutMs)
      timer.unref()
      this.#waitingHosts.add(host)
      this.#reconcile(host)
    })
  }

  /**
   * Borrows a brand-new connection when the caps allow (else like acquire): for the retry of a
   * request that failed before any response byte, so that it cannot meet a keep-alive race
   * again. Prefers an IP other than `avoidIp`.
   */
  async acquireFresh(host: HostEntry, signal?: AbortSignal, avoidIp?: string): Promise<Connection> {
    if (this.#closed) throw new PoolClosedError()
    const avoid = avoidIp === undefined ? undefined : host.ips.get(avoidIp)
    const canOpen = (i: IpEntry): boolean => this.#canOpen(host, i) && i.connectFailures === 0
    const ip = pickOpenIp(host.list, (i) => i !== avoid && canOpen(i)) ?? pickOpenIp(host.list, canOpen)
    const conn = ip === null ? null : await this.#open(ip, 'dedicated')
    if (conn !== null) {
      if (signal?.aborted) {
        this.release(conn, { reusable: true, internal: true })
        signal.throwIfAborted()
      }
      return conn
    }
    return this.acquire(host, 'http', signal, avoidIp)
  }

  #throwIfNoUsableIp(host: HostEntry): void {
    let retryAt = Infinity
    const reasons: Array<{ ip: string; reason: string }> = []
    for (const ip of host.list) {
      if (ip.state === 'active' || ip.state === 'probing') return
      if (ip.state === 'blacklisted') {
        const record = this.blacklist.get(ip.key)
        retryAt = Math.min(retryAt, record?.until ?? Date.now())
        if (record) reasons.push({ ip: ip.address, reason: record.reason })
      }
    }
    if (retryAt === Infinity) {
      // Only draining IPs: DNS listed none that works; wait for the next answer like a new host.
      return
    }
    throw new AllIpsBlacklistedError(host.key, new Date(retryAt), reasons)
  }

  /** An idle connection of the best IP, checked out; null when none. Dead ones found on the way are dropped. */
  #takeIdle(host: HostEntry, mode: 'http' | 'raw', avoid?: IpEntry): Connection | null {
    for (let guard = host.idle + 1; guard > 0; guard--) {
      const ip = pickIdleIp(host.list, mode, avoid)
      if (ip === null) return null
      // An HTTP/2 connection with a free stream first: one connection per IP while it has room.
      const conn = mode === 'raw' ? ip.idleRaw.pop() : (pickShared(ip) ?? ip.idleHttp.pop() ?? ip.idleRaw.pop())
      if (conn === null) return null
      if (conn.channel === null || !conn.channel.alive) {
        this.#close(conn, 'peer')
        continue
      }
      this.#checkout(conn)
      return conn
    }
    return null
  }

  #checkout(conn: Connection): void {
    const ip = conn.entry
    ip.idleHttp.remove(conn)
    ip.idleRaw.remove(conn)
    this.#setState(conn, 'in_use')
    const t = now()
    conn.lastUsedAt = t
    ip.lastUsedAt = t
    this.#useStream(conn)
  }

  /** Counts one more request (stream) on a checked-out connection; an HTTP/2 one stays shared while it has room. */
  #useStream(conn: Connection): void {
    conn.streams++
    conn.entry.streams++
    this.#updateShared(conn)
  }

  #updateShared(conn: Connection): void {
    const ch = conn.channel
    if (ch === null || !ch.multiplexed) return
    if (conn.state === 'in_use' && ch.alive && !conn.lentRaw && conn.streams < ch.maxStreams)
      conn.entry.shared.add(conn)
    else conn.entry.shared.delete(conn)
  }

  /** Counts one use (request or loan) of a checked-out connection; returns whether it was reused. */
  countUse(conn: Connection): boolean {
    const reused = conn.requests > 0
    conn.requests++
    conn.entry.usage.requests++
    conn.entry.host.usage.requests++
    return reused
  }

  /** Gives a checked-out connection back with what happened on it; records stats and strikes. */
  release(conn: Connection, outcome: ReleaseOutcome): void {
    const ip = conn.entry
    const host = ip.host
    if (conn.streams > 0) {
      conn.streams--
      ip.streams--
    }
    // Statistics count even when the socket already closed under the request.
    if (!outcome.internal && (conn.state === 'in_use' || conn.state === 'closed')) {
      if (outcome.durationMs !== undefined && outcome.statusCode !== undefined) {
        ip.usage.latency.record(outcome.durationMs)
        host.usage.latency.record(outcome.durationMs)
      }
      if (outcome.error !== undefined && !outcome.aborted) {
        ip.usage.failures++
        host.usage.failures++
      }
      if (outcome.statusCode !== undefined) this.#judgeStatus(ip, outcome.statusCode, outcome.retryAfter)
    }
    if (conn.state !== 'in_use') return
    if (outcome.upgraded) {
      // The socket now belongs to the upgrade's consumer.
      conn.channel?.detach()
      this.#setState(conn, 'closed')
      this.#afterSlotFreed(host, ip)
      return
    }
    const multiplexed = conn.channel?.multiplexed === true
    if (multiplexed && conn.streams > 0) {
      // Other streams still run on this HTTP/2 connection; a failed stream does not end it.
      this.#updateShared(conn)
      this.#reconcile(host)
      return
    }
    const reason = this.#retireReason(conn, multiplexed ? conn.channel?.alive === true : outcome.reusable)
    if (reason !== null) {
      this.#close(conn, reason)
      return
    }
    this.#makeIdle(conn)
  }

  #retireReason(conn: Connection, reusable: boolean): string | null {
    if (this.#closed) return 'pool_closed'
    if (!reusable) return 'error'
    if (conn.channel === null || !conn.channel.alive) return 'peer'
    if (now() >= conn.expiresAt) return 'max_lifetime'
    const ip = conn.entry
    if (ip.state === 'blacklisted' || ip.state === 'probing') return 'blacklisted'
    if (ip.state === 'draining' && now() - ip.drainingSince >= this.options.drainGraceMs) return 'drained'
    return null
  }

  #judgeStatus(ip: IpEntry, status: number, retryAfter: string | undefined): void {
    if (this.blacklist.isStrikeStatus(status)) {
      const wall = Date.now()
      const record = this.blacklist.strike(ip.key, `HTTP ${status}`, wall, parseRetryAfter(retryAfter, wall))
      if (record !== null) this.#blacklistIp(ip, record)
    } else if (status < 500) {
      this.blacklist.success(ip.key)
    }
  }

  /** Strikes `ip` (connect failure, failed health check); blacklists it past the threshold. */
  strike(ip: IpEntry, reason: string): void {
    if (this.#closed) return
    const record = this.blacklist.strike(ip.key, reason, Date.now())
    if (record !== null) this.#blacklistIp(ip, record)
  }

  #blacklistIp(ip: IpEntry, record: BlacklistRecord): void {
    if (ip.state === 'blacklisted') return
    ip.state = 'blacklisted'
    publish('blacklist', {
      host: ip.host.key,
      ip: ip.address,
      action: 'blacklisted',
      reason: record.reason,
      until: record.until,
    })
    for (const conn of [...ip.idleHttp.toArray(), ...ip.idleRaw.toArray()]) this.#close(conn, 'blacklisted')
    this.onBlacklisted(record)
    this.#reconcile(ip.host)
  }

  /** Puts a connection in the idle stack of its IP, or hands it straight to a waiting request. */
  #makeIdle(conn: Connection): void {
    const ip = conn.entry
    const host = ip.host
    if (ip.state === 'active' && host.waiters.size > 0) {
      const attached = conn.channel?.attached === true
      const capacity = conn.channel?.maxStreams ?? 1
      for (let guard = host.waiters.size; guard > 0 && conn.streams < capacity; guard--) {
        const waiter = host.waiters.peek()
        if (waiter === undefined) break
        if ((waiter.mode === 'raw' && (attached || conn.streams > 0)) || waiter.avoid === ip) break
        host.waiters.shift()
        if (conn.state !== 'in_use') this.#setState(conn, 'in_use')
        const t = now()
        conn.lastUsedAt = t
        ip.lastUsedAt = t
        this.#useStream(conn)
        waiter.resolve(conn)
        if (waiter.mode === 'raw' || conn.channel?.multiplexed !== true) return
      }
      if (conn.streams > 0) {
        this.#reconcile(host)
        return
      }
    }
    this.#setState(conn, 'idle')
    if (conn.channel?.attached) ip.idleHttp.push(conn, now())
    else ip.idleRaw.push(conn, now())
    this.#reconcile(host)
  }

  /**
   * The one function run after transitions that may let waiting requests progress: hands idle
   * connections to them, fails them when no IP is usable, opens connections under the caps, and
   * evicts an unusable idle connection when a cap blocks.
   */
  #reconcile(host: HostEntry): void {
    if (host.waiters.size === 0) {
      this.#waitingHosts.delete(host)
      return
    }
    for (let guard = host.waiters.size; guard > 0; guard--) {
      const waiter = host.waiters.peek()
      if (waiter === undefined) break
      const conn = this.#takeIdle(host, waiter.mode, waiter.avoid)
      if (conn === null) break
      host.waiters.shift()
      waiter.resolve(conn)
    }
    if (host.waiters.size === 0) {
      this.#waitingHosts.delete(host)
      return
    }
    try {
      this.#throwIfNoUsableIp(host)
    } catch (err) {
      for (const w of host.waiters.drain()) w.reject(err as Error)
      this.#waitingHosts.delete(host)
      return
    }
    let need = host.waiters.size - this.#connectingCapacity(host)
    const avoid = host.waiters.peek()?.avoid
    while (need > 0) {
      const canOpen = (i: IpEntry): boolean => this.#canOpen(host, i)
      const ip =
        (avoid !== undefined ? pickOpenIp(host.list, (i) => i !== avoid && canOpen(i)) : null) ??
        pickOpenIp(host.list, canOpen)
      if (ip === null) {
        this.#evictFor(host)
        break
      }
      void this.#open(ip, 'request')
      need--
    }
  }

  /** Requests the connections being opened for `host` will take: many per IP known to speak HTTP/2. */
  #connectingCapacity(host: HostEntry): number {
    let n = 0
    for (const ip of host.list) n += ip.connecting * (ip.h2 ? this.options.config.http2.maxConcurrentStreams : 1)
    return n
  }

  /** Frees a slot for `host` by closing an idle connection nobody waiting can use. */
  #evictFor(host: HostEntry): void {
    const p = this.options.config.pool
    if (host.closing > 0 || this.closing > 0) return // a slot is already on its way
    if (host.total >= p.maxConnsPerHost) {
      const head = host.waiters.peek()
      for (const ip of host.list) {
        const victim =
          ip.state !== 'active'
            ? (ip.idleHttp.oldest() ?? ip.idleRaw.oldest())
            : head?.mode === 'raw'
              ? ip.idleHttp.oldest()
              : null
        if (victim !== null) {
          this.#close(victim, ip.state === 'draining' ? 'drained' : 'evicted')
          return
        }
      }
      return
    }
    if (this.total >= p.maxConnections) {
      for (const other of this.hosts.values()) {
        if (other === host || other.idle === 0) continue
        for (const ip of other.list) {
          const victim = ip.idleHttp.oldest() ?? ip.idleRaw.oldest()
          if (victim !== null) {
            this.#close(victim, 'evicted')
            return
          }
        }
      }
    }
  }

  #afterSlotFreed(host: HostEntry, ip: IpEntry): void {
    if (ip.state === 'draining' || !ip.inDns) this.#maybeForget(ip)
    if (this.#closed) {
      if (this.total === 0) this.#onEmpty?.()
      return
    }
    this.#reconcile(host)
    for (const other of this.#waitingHosts) if (other !== host) this.#reconcile(other)
  }

  // ---- opening and closing ----

  /**
   * Opens one connection to `ip` (counted as connecting against every cap while the handshake
   * runs). A request/warm-up connection goes to a waiting request or the idle stack; a probe
   * connection is returned checked out. Returns null when it failed or was discarded.
   */
  async #open(ip: IpEntry, purpose: Purpose): Promise<Connection | null> {
    const host = ip.host
    const conn = new Connection(ip)
    this.#setState(conn, 'connecting')
    const ac = new AbortController()
    this.#aborts.add(ac)
    const started = now()
    const { connectTimeoutMs, idleTimeoutMs, maxLifetimeMs } = this.options.config.pool
    let socket
    try {
      socket = await this.#connector({
        host: host.hostname,
        ip: ip.address,
        port: host.port,
        servername: host.hostname,
        signal: ac.signal,
        timeout: connectTimeoutMs,
        alpn: this.#alpnFor(ip),
      })
    } catch (err) {
      this.#aborts.delete(ac)
      this.#setState(conn, 'closed')
      publish('connect', {
        host: host.key,
        ip: ip.address,
        port: host.port,
        durationMs: now() - started,
        error: err as Error,
      })
      if (!this.#closed) {
        ip.usage.failures++
        host.usage.failures++
        ip.connectFailures++
        this.#onConnectFailure(host, err as Error)
        if (purpose !== 'probe')
          this.strike(ip, `connect failed: ${(err as { code?: string }).code ?? (err as Error).message}`)
      }
      this.#afterSlotFreed(host, ip)
      if (purpose === 'warmup') throw err
      return null
    }
    this.#aborts.delete(ac)
    conn.channel = this.#channelFor(conn, socket)
    socket.once('close', () => this.#onSocketClose(conn))
    conn.connectedAt = Date.now()
    conn.expiresAt = now() + maxLifetimeMs * (1 - Math.random() * LIFETIME_JITTER)
    ip.usage.handshakes++
    host.usage.handshakes++
    ip.connectFailures = 0
    publish('connect', { host: host.key, ip: ip.address, port: host.port, durationMs: now() - started })
    if (purpose === 'dedicated') {
      if (this.#closed || ip.state !== 'active') {
        this.#close(conn, this.#closed ? 'pool_closed' : `ip_${ip.state}`)
        return null
      }
      this.#setState(conn, 'in_use')
      conn.lastUsedAt = ip.lastUsedAt = now()
      this.#useStream(conn)
      return conn
    }
    if (purpose === 'probe') {
      if (this.#closed) {
        this.#close(conn, 'pool_closed')
        return null
      }
      this.#setState(conn, 'in_use')
      this.#useStream(conn)
      return conn
    }
    // The IP may have been drained, blacklisted or forgotten while the handshake ran.
    if (this.#closed || ip.state !== 'active') {
      this.#close(conn, this.#closed ? 'pool_closed' : `ip_${ip.state}`)
      return null
    }
    this.#makeIdle(conn)
    return conn
  }

  /** ALPN for a new connection to `ip`: the profile's (h2, http/1.1), or http/1.1 only when HTTP/2 is off or the IP fell back. */
  #alpnFor(ip: IpEntry): readonly string[] | undefined {
    const h2 = this.options.config.http2
    if (!h2.enabled) return ['http/1.1']
    if (ip.h1Until > now()) return ['http/1.1']
    return undefined
  }

  /** The HTTP layer for a new connection, by the protocol ALPN chose. */
  #channelFor(conn: Connection, socket: import('node:stream').Duplex): HttpChannel | H2Channel {
    const ip = conn.entry
    const host = ip.host
    const { http2, pool, tls } = this.options.config
    const kind = http2.defaultHeaders
    const profile = getHttpProfile(tls.profile)
    const templates = kind === 'none' ? undefined : profile.headers[kind]
    const alpn = (socket as { alpnProtocol?: string | false }).alpnProtocol
    ip.h2 = alpn === 'h2'
    if (alpn !== 'h2') {
      return new HttpChannel(
        socket,
        {
          origin: `https://${host.key}`,
          keepAliveTimeoutMs: pool.idleTimeoutMs,
          ...(templates ? { defaultHeaders: templates.h1 } : {}),
        },
        () => {},
      )
    }
    let failed = false
    return new H2Channel(socket, {
      origin: `https://${host.key}`,
      fingerprint: profile.http2,
      kind: kind === 'none' ? 'image' : kind,
      maxConcurrentStreams: http2.maxConcurrentStreams,
      ...(templates ? { defaultHeaders: templates.h2 } : {}),
      onDrain: () => this.#onH2Drain(conn),
      onFailure: () => {
        if (failed) return
        failed = true
        this.#onH2Failure(ip)
      },
      onSuccess: () => {
        ip.h2Failures = 0
      },
    })
  }

  /** GOAWAY or the end of the session: no new stream; closes once its streams are done. */
  #onH2Drain(conn: Connection): void {
    conn.entry.shared.delete(conn)
    if (conn.state === 'idle') this.#close(conn, 'goaway')
    else if (conn.state === 'in_use' && conn.streams === 0 && !conn.lentRaw) this.#close(conn, 'goaway')
    if (!this.#closed) this.#reconcile(conn.entry.host)
  }

  /** One more HTTP/2 failure in a row on `ip`; past http2.fallback_threshold the IP is dialed with http/1.1 only for fallback_ttl. */
  #onH2Failure(ip: IpEntry): void {
    const { fallbackThreshold, fallbackTtlMs } = this.options.config.http2
    ip.h2Failures++
    if (ip.h2Failures < fallbackThreshold) return
    ip.h2Failures = 0
    ip.h1Until = now() + fallbackTtlMs
    ip.h2 = false
    publish('health', {
      host: ip.host.key,
      ip: ip.address,
      kind: 'check',
      ok: false,
      error: new Error(`HTTP/2 failed ${fallbackThreshold} times in a row; using HTTP/1.1 for ${fallbackTtlMs} ms`),
    })
  }

  /** Connect failures fail a waiting request only when every IP fails (else another IP is tried). */
  #onConnectFailure(host: HostEntry, err: Error): void {
    const head = host.waiters.peek()
    if (head === undefined) return
    if (host.list.some((i) => i.state === 'active' && i.connectFailures === 0)) return
    head.failures++
    if (head.failures >= 2) {
      host.waiters.shift()
      head.reject(err)
    }
  }

  /** Starts closing `conn` (TLS close_notify); its slot counts against the caps until the socket closes. */
  #close(conn: Connection, reason: string): void {
    if (conn.state === 'closing' || conn.state === 'closed') return
    const ip = conn.entry
    ip.idleHttp.remove(conn)
    ip.idleRaw.remove(conn)
    ip.shared.delete(conn)
    this.#setState(conn, 'closing')
    publish('close', {
      host: ip.host.key,
      ip: ip.address,
      reason,
      ageMs: conn.connectedAt === 0 ? 0 : Date.now() - conn.connectedAt,
      requests: conn.requests,
    })
    if (conn.channel === null) {
      this.#setState(conn, 'closed')
      this.#afterSlotFreed(ip.host, ip)
      return
    }
    void conn.channel.close()
  }

  /** The socket closed (we closed it, or the peer did). */
  #onSocketClose(conn: Connection): void {
    if (conn.state === 'closed') return
    const ip = conn.entry
    if (conn.state === 'idle' || conn.state === 'in_use') {
      publish('close', {
        host: ip.host.key,
        ip: ip.address,
        reason: 'peer',
        ageMs: Date.now() - conn.connectedAt,
        requests: conn.requests,
      })
    }
    ip.idleHttp.remove(conn)
    ip.idleRaw.remove(conn)
    ip.shared.delete(conn)
    // An in-use connection is dropped now; its user's later release is ignored.
    this.#setState(conn, 'closed')
    conn.channel?.destroy()
    this.#afterSlotFreed(ip.host, ip)
  }

  /** Closes `conn` for `reason` whatever its state (used by housekeeping and health checks). */
  retire(conn: Connection, reason: string): void {
    this.#close(conn, reason)
  }

  // ---- warm-up ----

  /**
   * Opens connections until each usable IP of `host` has `warm_conns_per_ip` (connecting and
   * in-use ones count), at most `warmupConcurrency` handshakes at once, never past a cap.
   */
  async warmup(host: HostEntry): Promise<WarmupResult> {
    if (this.#closed) throw new PoolClosedError()
    await this.ensureResolved(host)
    host.warm = true
    const ips = host.list.filter((i) => i.inDns)
    if (ips.length > 0 && ips.every((i) => i.state === 'blacklisted')) this.#throwIfNoUsableIp(host)
    return { host: host.key, ips: await this.#warmIps(host, ips) }
  }

  async #warmIps(host: HostEntry, ips: readonly IpEntry[]): Promise<WarmupIpResult[]> {
    const target = this.options.config.pool.warmConnsPerIp
    const queue = new PQueue({ concurrency: this.options.warmupConcurrency })
    const results = ips.map((ip): WarmupIpResult => ({ ip: ip.address, opened: 0, failed: 0 }))
    ips.forEach((ip, k) => {
      const r = results[k] as WarmupIpResult
      if (ip.state !== 'active') {
        r.skipped = ip.state
        return
      }
      for (let n = 0; n < target; n++) {
        void queue.add(async () => {
          // Checked when the task runs: concurrent warm-ups and requests count too.
          if (this.#closed || ip.state !== 'active' || ip.total >= target || !this.#canOpen(host, ip)) return
          try {
            const conn = await this.#open(ip, 'warmup')
            if (conn !== null) r.opened++
          } catch (err) {
            r.failed++
            r.error = err as Error
          }
        })
      }
    })
    await queue.onIdle()
    for (const r of results) if (r.opened === 0 && r.failed === 0 && r.skipped === undefined) r.skipped = 'warm'
    return results
  }

  // ---- health ----

  /**
   * Runs the configured health request on a checked-out connection. Returns the status, or the
   * error; never throws.
   */
  async healthRequest(conn: Connection): Promise<{ ok: boolean; statusCode?: number; error?: Error }> {
    const { health, pool } = this.options.config
    if (conn.channel === null) return { ok: false, error: new Error('not connected') }
    try {
      const statusCode = await probeStatus(conn.channel.client, {
        method: health.method,
        path: health.path,
        servername: conn.entry.host.hostname,
        timeoutMs: pool.connectTimeoutMs,
      })
      return { ok: isExpectedStatus(health.expect, statusCode), statusCode }
    } catch (err) {
      return { ok: false, error: err as Error }
    }
  }

  /** An idle HTTP/2 connection is checked with PING (RFC 9113 §6.7) instead of a request. */
  async #ping(channel: H2Channel): Promise<{ ok: boolean; statusCode?: number; error?: Error }> {
    try {
      await channel.ping(this.options.config.pool.connectTimeoutMs)
      return { ok: true }
    } catch (err) {
      return { ok: false, error: err as Error }
    }
  }

  /** Health-checks one idle connection: a failure closes it (an HTTP/2 one by PING) and strikes its IP. */
  async checkIdle(conn: Connection): Promise<void> {
    if (this.#closed || conn.state !== 'idle') return
    const ip = conn.entry
    this.#checkout(conn)
    const res = conn.channel instanceof H2Channel ? await this.#ping(conn.channel) : await this.healthRequest(conn)
    publish('health', {
      host: ip.host.key,
      ip: ip.address,
      kind: 'check',
      ok: res.ok,
      statusCode: res.statusCode,
      error: res.error,
    })
    if (res.ok) {
      this.release(conn, { reusable: true, internal: true })
      return
    }
    this.release(conn, { reusable: false, internal: true })
    if (ip.state === 'active' || ip.state === 'draining')
      this.strike(ip, `health check failed: ${res.statusCode ?? res.error?.message}`)
  }

  /**
   * Re-probes a blacklisted IP whose ttl ended: opens a connection and sends the health request.
   * Success re-admits the IP (the connection joins the pool); failure blacklists it again.
   */
  async probe(ip: IpEntry): Promise<boolean> {
    if (this.#closed || ip.state !== 'probing') return false
    const host = ip.host
    publish('blacklist', { host: host.key, ip: ip.address, action: 'probing', reason: 'blacklist expired' })
    const conn = await this.#open(ip, 'probe')
    let ok = false
    let reason = 'probe: connect failed'
    if (conn !== null) {
      const res = await this.healthRequest(conn)
      ok = res.ok
      reason = `probe failed: ${res.statusCode !== undefined ? `HTTP ${res.statusCode}` : res.error?.message}`
      publish('health', {
        host: host.key,
        ip: ip.address,
        kind: 'probe',
        ok,
        statusCode: res.statusCode,
        error: res.error,
      })
    }
    if (this.#closed) {
      if (conn !== null) this.release(conn, { reusable: false, internal: true })
      return false
    }
    if (ok) {
      this.blacklist.success(ip.key)
      ip.connectFailures = 0
      ip.state = ip.inDns ? 'active' : 'draining'
      ip.drainingSince = now()
      publish('blacklist', { host: host.key, ip: ip.address, action: 'readmitted', reason: 'probe succeeded' })
      if (conn !== null) this.release(conn, { reusable: true, internal: true })
      this.#reconcile(host)
      return true
    }
    if (conn !== null) this.release(conn, { reusable: false, internal: true })
    ip.state = 'active' // so that #blacklistIp applies
    this.#blacklistIp(ip, this.blacklist.blacklist(ip.key, reason, Date.now()))
    return false
  }

  /** Moves IPs whose blacklisting ended to 'probing' (or forgets them if DNS dropped them); returns those to probe. */
  expireBlacklist(wallNow: number): IpEntry[] {
    const out: IpEntry[] = []
    const expired = new Set(this.blacklist.expire(wallNow))
    if (expired.size === 0) return out
    for (const host of this.hosts.values()) {
      for (const ip of host.list) {
        if (!expired.has(ip.key) || ip.state !== 'blacklisted') continue
        if (!ip.inDns) {
          ip.state = 'draining'
          this.#maybeForget(ip)
          continue
        }
        ip.state = 'probing'
        out.push(ip)
      }
    }
    return out
  }

  // ---- closing the pool ----

  /**
   * Stops accepting requests: rejects waiting ones with PoolClosedError, aborts handshakes,
   * closes idle connections (close_notify) and in-use ones when they come back (or at once with
   * `force`). Resolves when every socket has closed.
   */
  close(force = false): Promise<void> {
    this.#closed = true
    const err = new PoolClosedError()
    for (const host of this.hosts.values()) for (const w of host.waiters.drain()) w.reject(err)
    this.#waitingHosts.clear()
    for (const ac of this.#aborts) ac.abort(err)
    const done = new Promise<void>((resolve) => {
      this.#onEmpty = resolve
    })
    for (const host of this.hosts.values()) {
      for (const ip of host.list) {
        for (const conn of [...ip.idleHttp.toArray(), ...ip.idleRaw.toArray()]) this.#close(conn, 'pool_closed')
      }
    }
    // Raw loans are the pool's sockets too: they close now, with close_notify.
    for (const conn of [...this.#allConns])
      if (conn.lentRaw && conn.state === 'in_use') this.#close(conn, 'pool_closed')
    if (force) this.destroyAll()
    if (this.total === 0) this.#onEmpty?.()
    return done
  }

  /** Destroys every socket at once (no close_notify). Only after close(). */
  destroyAll(): void {
    for (const conn of [...this.#allConns]) conn.channel?.destroy()
  }

  /** Every idle connection (a snapshot), oldest first per IP. */
  idleConnections(host: HostEntry): Connection[] {
    const out: Connection[] = []
    for (const ip of host.list) {
      out.push(...ip.idleHttp.toArray().reverse(), ...ip.idleRaw.toArray().reverse())
    }
    return out
  }
}
