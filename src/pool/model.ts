/**
 * The pool's data: hosts, their IPs and the connections to each, with counters by state. Plain
 * records: the Ledger moves connections and counters, IpStates writes `IpEntry.state`, the
 * Borrower owns the waiting requests. Reading any counter is O(1).
 *
 * Keys. A connection is pooled under a `ConnKey` (identity, egress, origin, IP); a HostEntry is
 * the partition of one (identity, egress, origin), named by `hostKeyOf`, and an IpEntry one
 * address in it (in a partition whose proxy resolves names, the one entry is the host name).
 * Strikes and blacklistings of an IP go to `IpEntry.blameKey`, per partition: an IP that answers
 * one egress badly may serve another. Failures that are the egress's fault are judged on the
 * partition itself (the (egress, host) pair, EgressStates).
 */
import type { Duplex } from 'node:stream'
import type { ProfileName } from '../config/index.js'
import { DIRECT, type Egress } from '../egress/index.js'
import type { PooledChannel } from '../http/pooled-channel.js'
import type { AbortSignalLike } from '../util/lazy-abort.js'
import { Fifo } from './fifo.js'
import { IdleStack, type IdleLinks } from './idle-stack.js'
import { Reservoir } from './reservoir.js'

export type ConnectionState = 'connecting' | 'idle' | 'in_use' | 'closing' | 'closed'

/**
 * active: takes new requests; draining: left DNS, in-flight requests finish, idle connections
 * close after a grace period or a failed health check; blacklisted: unused until expiry;
 * probing: expired, a health request decides re-admission.
 */
export type IpState = 'active' | 'draining' | 'blacklisted' | 'probing'

/** What a pooled connection is keyed by (see the module comment). */
export interface ConnKey {
  /** The browser identity its ClientHello, HTTP/2 flight and headers are (`chrome-156-windows`, an alias resolved). */
  readonly identity: string
  /** The egress's id (`direct`, `direct from 127.0.0.10`, `http://10.0.0.5:3128`, …). */
  readonly egress: string
  /** `hostname:port`. */
  readonly origin: string
  /** The address dialed, or the host name when the proxy resolves it. */
  readonly ip: string
}

/** The key of a host partition in the pool's map: one per (identity, egress, origin). */
export function hostKeyOf(key: Pick<ConnKey, 'origin' | 'identity' | 'egress'>): string {
  return `${key.identity} ${key.egress} ${key.origin}`
}

/** A connection lent out by `getConnection()`; give it back with `putConnection()`. */
export interface PooledConnection {
  readonly id: number
  /** Hostname (SNI and certificate name). */
  readonly host: string
  /** The address this connection is pinned to. */
  readonly ip: string
  readonly port: number
  /** The TLS socket (application data). Destroy it to have the pool drop the connection. */
  readonly socket: Duplex
  readonly state: ConnectionState
  /** Uses so far (requests or loans), this one included. */
  readonly requests: number
  /** Epoch ms the handshake finished. */
  readonly connectedAt: number
}

/** Counts of connections by state, kept per IP, per host and for the pool. */
export class Counts {
  connecting = 0
  idle = 0
  inUse = 0
  closing = 0
  /** Every connection that holds (or is about to hold) a socket; what the caps limit. */
  get total(): number {
    return this.connecting + this.idle + this.inUse + this.closing
  }
}

/**
 * The partitions that share a cap, with their connections counted together: one origin across
 * identities and egresses (max_conns_per_host), or one egress across hosts (max_conns_per_egress).
 */
export class CapGroup extends Counts {
  readonly members: HostEntry[] = []
}

/** Usage statistics of an IP or a host. */
export class Usage {
  handshakes = 0
  requests = 0
  failures = 0
  readonly latency = new Reservoir(512)
}

let nextId = 1

/** Share of max_lifetime a connection's lifetime is shortened by at most, so they do not all expire together. */
export const LIFETIME_JITTER = 0.025

/** One pooled connection: a TLS socket to one (host, ip), its HTTP channel and its state. */
export class Connection implements PooledConnection, IdleLinks<Connection> {
  readonly id = nextId++
  readonly entry: IpEntry
  /** connecting -> idle <-> in_use -> closing -> closed; 'closed' only until the Ledger counts it. */
  state: ConnectionState = 'closed'
  channel: PooledChannel | null = null
  requests = 0
  /** Requests running on it now (HTTP/2: open streams; HTTP/1.1 and raw loans: 0 or 1). */
  streams = 0
  /** Epoch ms the handshake finished. */
  connectedAt = 0
  /** performance.now() ms the handshake finished. */
  openedAt = 0
  /** performance.now() ms a response last completed on it (or a health check passed). */
  provenAt = 0
  /** performance.now() ms when the connection must be retired. */
  expiresAt = Infinity
  /** performance.now() ms of the last checkout. */
  lastUsedAt = 0
  /** Lent out raw through getConnection (the caller owns the socket until putConnection). */
  lentRaw = false
  /** Why the pool closed it (see CloseEvent.reason); null until then or when the peer closed it. */
  closeReason: string | null = null
  idlePrev: Connection | null = null
  idleNext: Connection | null = null
  idleStack: object | null = null
  idleSince = 0

  constructor(entry: IpEntry) {
    this.entry = entry
  }

  get key(): ConnKey {
    const host = this.entry.host
    return { identity: host.identity, egress: host.egress.id, origin: host.key, ip: this.entry.address }
  }
  get host(): string {
    return this.entry.host.hostname
  }
  get ip(): string {
    return this.entry.address
  }
  get port(): number {
    return this.entry.host.port
  }
  get socket(): Duplex {
    if (this.channel === null) throw new Error('connection is not connected yet')
    return this.channel.socket
  }
}

export class IpEntry extends Counts {
  readonly host: HostEntry
  /** The IP dialed, or the host name in a partition whose proxy resolves names. */
  readonly address: string
  /** 0: a host name the proxy resolves. */
  readonly family: 4 | 6 | 0
  /** Written by IpStates only. */
  state: IpState = 'active'
  /** Whether the last DNS answer listed this address. */
  inDns = true
  /** Idle connections that already carry an HTTP client. */
  readonly idleHttp = new IdleStack<Connection>()
  /** Idle connections never used through HTTP (can also be lent out raw). */
  readonly idleRaw = new IdleStack<Connection>()
  /** performance.now() ms of the last checkout. */
  lastUsedAt = 0
  /** Connect failures in a row, forgotten when the last one is older than IpStates' strike expiry. */
  connectFailures = 0
  /** performance.now() ms before which the IP is not dialed again after a connect failure (backoff). */
  retryAt = 0
  /** performance.now() ms of the last connect failure. */
  failedAt = 0
  /** Requests (HTTP/2 streams, HTTP/1.1 requests, raw loans) running on this IP's connections now. */
  streams = 0
  /** In-use HTTP/2 connections that can take another stream. */
  readonly shared = new Set<Connection>()
  /** Whether the last connection opened to this IP negotiated h2. */
  h2 = false
  /** HTTP/2 failures in a row (http2.fallback_threshold). */
  h2Failures = 0
  /** performance.now() ms until which new connections carry one stream at a time (HTTP/2 fallback). */
  h1Until = 0
  /** performance.now() ms the IP started draining. */
  drainingSince = 0
  readonly usage = new Usage()

  constructor(host: HostEntry, address: string, family: 4 | 6 | 0) {
    super()
    this.host = host
    this.address = address
    this.family = family
  }

  #blameKey: string | undefined

  /** Key strikes and blacklistings of this IP are recorded under: its partition and address (made once: it is looked up per response). */
  get blameKey(): string {
    return (this.#blameKey ??= `${this.host.partitionKey} ${this.address}`)
  }
}

/** What a caller asks of `acquire`. */
export interface Borrow {
  /** 'http' (default): any connection; 'raw': one never attached to an HTTP client (getConnection). */
  readonly use?: 'http' | 'raw'
  /**
   * Only a connection opened after this call, or an HTTP/2 one that completed a response since:
   * for the retry of a request whose reused connection failed before any response byte, so that
   * it cannot meet the same keep-alive race again. A new connection is opened when the caps allow,
   * else an idle one is closed to make room.
   */
  readonly fresh?: boolean
  /** Skip this IP's connections (the one that just failed) while another IP can serve. */
  readonly avoidIp?: string
  /** Aborts the borrow (an AbortSignal, or a LazyAbortSignal that makes one only when the borrow waits). */
  readonly signal?: AbortSignalLike
}

/** What happened to a connection that is given back. */
export interface ReleaseOutcome {
  reusable: boolean
  statusCode?: number
  retryAfter?: string
  error?: Error
  aborted?: boolean
  upgraded?: boolean
  durationMs?: number
  /** A health check or a raw loan, not a user request: no request statistics. */
  internal?: boolean
}

/** What a borrower asks for (a Borrow, resolved). */
export interface Want {
  /** 'http': any connection; 'raw': one never attached to an HTTP client. */
  readonly use: 'http' | 'raw'
  /** Only a connection opened, or (HTTP/2) proven alive, at or after `since` serves (a keep-alive-race retry). */
  readonly fresh: boolean
  /** performance.now() ms the borrow started. */
  readonly since: number
  /** An IP this request should not be served by (it just failed there), unless nothing else serves. */
  readonly avoid: IpEntry | undefined
}

/** A request waiting for a connection (owned by the Borrower). */
export interface Waiter extends Want {
  /** Connect failures seen while this request waited. */
  failures: number
  resolve(conn: Connection): void
  reject(err: Error): void
}

export class HostEntry extends Counts {
  /** `hostname:port`. */
  readonly key: string
  /** The identity every connection of this partition goes out as (an identity name, aliases resolved). */
  readonly identity: ProfileName
  /** The way every connection of this partition leaves (direct, a local address, a proxy). */
  readonly egress: Egress
  /** hostKeyOf(identity, egress, origin): the partition's key in the pool's map. */
  readonly partitionKey: string
  readonly hostname: string
  readonly port: number
  readonly isIpLiteral: boolean
  readonly ips = new Map<string, IpEntry>()
  /** The same entries as `ips`, as an array for selection. */
  list: IpEntry[] = []
  readonly waiters = new Fifo<Waiter>()
  readonly usage = new Usage()
  /** The first resolution, while it runs or after it succeeded. */
  ready: Promise<void> | null = null
  resolved = false
  /** performance.now() ms of the next DNS refresh. */
  nextRefreshAt = Infinity
  /** Whether warm-up was asked for (new and healed IPs are then warmed too). */
  warm = false
  /** Whether a connection of this host completed its handshake (its ALPN answer is known). */
  alpnKnown = false
  /** Every partition of this origin (max_conns_per_host holds across them); set by the Ledger. */
  origin: CapGroup = new CapGroup()
  /** Every partition of this egress (max_conns_per_egress); set by the Ledger. */
  egressGroup: CapGroup = new CapGroup()
  /** https (TLS connections); false for an http origin (cleartext HTTP/1.1, plain.ts). */
  secure = true

  /** Whether the proxy resolves this host's name (one entry, the name, instead of the IPs). */
  get byName(): boolean {
    return this.egress.proxy !== undefined && this.egress.resolve === 'proxy'
  }

  constructor(
    key: string,
    hostname: string,
    port: number,
    isIpLiteral: boolean,
    identity: ProfileName,
    egress: Egress = DIRECT,
  ) {
    super()
    this.key = key
    this.identity = identity
    this.egress = egress
    this.partitionKey = hostKeyOf({ identity, egress: egress.id, origin: key })
    this.hostname = hostname
    this.port = port
    this.isIpLiteral = isIpLiteral
  }

  addIp(entry: IpEntry): void {
    this.ips.set(entry.address, entry)
    this.list = [...this.ips.values()]
  }

  removeIp(entry: IpEntry): void {
    this.ips.delete(entry.address)
    this.list = [...this.ips.values()]
  }
}
