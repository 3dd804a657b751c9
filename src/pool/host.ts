/**
 * Bookkeeping of one host (origin authority) and each of its IPs: states, counters, idle
 * stacks, waiting requests and statistics. Counters are kept by ConnectionManager on every state
 * change, so reading them is O(1).
 */
import type { Connection } from './connection.js'
import { Fifo } from './fifo.js'
import { IdleStack } from './idle-stack.js'
import { Reservoir } from './reservoir.js'

/**
 * active: takes new requests; draining: left DNS, in-flight requests finish, idle connections
 * close after a grace period or a failed health check; blacklisted: unused until expiry;
 * probing: expired, a health request decides re-admission.
 */
export type IpState = 'active' | 'draining' | 'blacklisted' | 'probing'

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

/** Usage statistics of an IP or a host. */
export class Usage {
  handshakes = 0
  requests = 0
  failures = 0
  readonly latency = new Reservoir(512)
}

export class IpEntry extends Counts {
  readonly host: HostEntry
  readonly address: string
  readonly family: 4 | 6
  state: IpState = 'active'
  /** Whether the last DNS answer listed this address. */
  inDns = true
  /** Idle connections that already carry an undici Client. */
  readonly idleHttp = new IdleStack<Connection>()
  /** Idle connections never used through HTTP (can also be lent out raw). */
  readonly idleRaw = new IdleStack<Connection>()
  /** performance.now() ms of the last checkout. */
  lastUsedAt = 0
  /** Connect failures in a row (a failing IP is tried last). */
  connectFailures = 0
  /** Requests (HTTP/2 streams, HTTP/1.1 requests, raw loans) running on this IP's connections now. */
  streams = 0
  /** In-use HTTP/2 connections that can take another stream. */
  readonly shared = new Set<Connection>()
  /** Whether the last connection opened to this IP negotiated h2. */
  h2 = false
  /** HTTP/2 failures in a row (http2.fallback_threshold). */
  h2Failures = 0
  /** performance.now() ms until which new connections offer only http/1.1 (HTTP/2 fallback). */
  h1Until = 0
  /** performance.now() ms the IP started draining. */
  drainingSince = 0
  readonly usage = new Usage()

  constructor(host: HostEntry, address: string, family: 4 | 6) {
    super()
    this.host = host
    this.address = address
    this.family = family
  }

  /** Key of this (host, ip) in the Blacklist. */
  get key(): string {
    return `${this.host.key} ${this.address}`
  }
}

/** A request waiting for a connection. */
export interface Waiter {
  /** 'http': any connection; 'raw': one never attached to an undici Client. */
  readonly mode: 'http' | 'raw'
  resolve(conn: Connection): void
  reject(err: Error): void
  /** Connect failures seen while this request waited. */
  failures: number
  /** An IP this request should not be served by (it just failed there), unless nothing else serves. */
  readonly avoid: IpEntry | undefined
}

/** The shared HTTP/2 connection of `ip` with the fewest streams, or null. O(shared connections of the IP). */
export function pickShared(ip: IpEntry): Connection | null {
  let best: Connection | null = null
  for (const c of ip.shared) {
    if (c.channel === null || !c.channel.alive || c.streams >= c.channel.maxStreams) continue
    if (best === null || c.streams < best.streams) best = c
  }
  return best
}

export class HostEntry extends Counts {
  /** `hostname:port`. */
  readonly key: string
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
  /** Whether warm-up was asked for (new IPs from DNS are then warmed too). */
  warm = false

  constructor(key: string, hostname: string, port: number, isIpLiteral: boolean) {
    super()
    this.key = key
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
