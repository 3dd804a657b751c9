/**
 * Ledger: the hosts of the pool and the only place where a connection changes state and where
 * the counters (per IP, per host, pool-wide), the idle stacks, the shared HTTP/2 set and the
 * stream counts move. Every method is O(1); `canOpen` reads the caps.
 *
 *   connecting --checkin--> idle --checkout--> in_use --checkin--> idle
 *        |                    \______________/   |
 *        +-- drop            closing (close_notify sent) --drop--> closed
 */
import { isIP } from 'node:net'
import type { PoolConfig, ProfileName } from '../config/index.js'
import { DIRECT, type Egress } from '../egress/index.js'
import {
  CapGroup,
  Connection,
  Counts,
  HostEntry,
  hostKeyOf,
  type ConnectionState,
  type IpEntry,
  type ReleaseOutcome,
} from './model.js'
import { parseOrigin } from './origin.js'

const now = (): number => performance.now()

function count(c: Counts, state: ConnectionState, d: number): void {
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

export class Ledger extends Counts {
  readonly hosts = new Map<string, HostEntry>()
  /** Every connection not yet closed (for close and destroy). */
  readonly #all = new Set<Connection>()
  readonly #caps: PoolConfig
  /** Connections through one egress, across hosts (egress.max_conns_per_egress); undefined: no cap. */
  readonly maxConnsPerEgress: number | undefined
  /** The cap groups by origin key and by egress id (see CapGroup). */
  readonly #origins = new Map<string, CapGroup>()
  readonly #egresses = new Map<string, CapGroup>()
  /** `hosts` again, by origin key, egress id and identity. */
  readonly #byOrigin = new Map<string, Map<string, Map<ProfileName, HostEntry>>>()
  #closed = false
  #onEmpty: (() => void) | null = null

  constructor(caps: PoolConfig, maxConnsPerEgress?: number) {
    super()
    this.#caps = caps
    this.maxConnsPerEgress = maxConnsPerEgress
  }

  get closed(): boolean {
    return this.#closed
  }

  /**
   * The partition of (`identity`, `egress`, `origin`), created on first use; `identity` is an
   * identity name (aliases resolved by the caller). Throws InvalidArgumentError for a bad origin.
   */
  host(origin: string | URL, identity: ProfileName, egress: Egress = DIRECT): HostEntry {
    const o = parseOrigin(origin)
    // Per request: lookups by the parsed origin's own key string (its hash is cached), no key built.
    let byEgress = this.#byOrigin.get(o.key)
    if (byEgress === undefined) this.#byOrigin.set(o.key, (byEgress = new Map()))
    let byIdentity = byEgress.get(egress.id)
    if (byIdentity === undefined) byEgress.set(egress.id, (byIdentity = new Map()))
    let host = byIdentity.get(identity)
    if (host === undefined) {
      const key = hostKeyOf({ origin: o.key, identity, egress: egress.id })
      host = new HostEntry(o.key, o.hostname, o.port, isIP(o.hostname) !== 0, identity, egress)
      host.secure = o.secure
      host.origin = groupOf(this.#origins, o.key)
      host.egressGroup = groupOf(this.#egresses, egress.id)
      host.origin.members.push(host)
      host.egressGroup.members.push(host)
      this.hosts.set(key, host)
      byIdentity.set(identity, host)
    }
    return host
  }

  /**
   * Whether one more connection to `ip` stays within max_connections, max_conns_per_host (counted
   * over every partition of the origin: all identities and egresses), max_conns_per_ip (per
   * partition) and max_conns_per_egress (over every host of the egress).
   */
  canOpen(ip: IpEntry): boolean {
    const p = this.#caps
    const host = ip.host
    return (
      this.total < p.maxConnections &&
      host.origin.total < p.maxConnsPerHost &&
      (p.maxConnsPerIp === undefined || ip.total < p.maxConnsPerIp) &&
      (this.maxConnsPerEgress === undefined || host.egressGroup.total < this.maxConnsPerEgress)
    )
  }

  /** Whether `host`'s origin is at max_conns_per_host, over all its partitions. */
  atHostCap(host: HostEntry): boolean {
    return host.origin.total >= this.#caps.maxConnsPerHost
  }

  /** Whether `host`'s egress is at max_conns_per_egress. */
  atEgressCap(host: HostEntry): boolean {
    return this.maxConnsPerEgress !== undefined && host.egressGroup.total >= this.maxConnsPerEgress
  }

  /** Connections that could still be opened for `host` under the caps, whatever the IP. O(IPs). */
  headroom(host: HostEntry): number {
    const p = this.#caps
    const egressLeft = this.maxConnsPerEgress === undefined ? Infinity : this.maxConnsPerEgress - host.egressGroup.total
    const left = Math.min(p.maxConnections - this.total, p.maxConnsPerHost - host.origin.total, egressLeft)
    if (left <= 0 || p.maxConnsPerIp === undefined) return Math.max(left, 0)
    let perIp = 0
    for (const ip of host.list) if (ip.state === 'active') perIp += Math.max(p.maxConnsPerIp - ip.total, 0)
    return Math.min(left, perIp)
  }

  /** A new connection to `ip`, counted as connecting against every cap. */
  add(ip: IpEntry): Connection {
    const conn = new Connection(ip)
    this.#setState(conn, 'connecting')
    return conn
  }

  /** Lends `conn` (idle, just opened, or HTTP/2 with a free stream) for one more request, at `t` (performance.now() ms). */
  checkout(conn: Connection, t = now()): void {
    const ip = conn.entry
    ip.idleHttp.remove(conn)
    ip.idleRaw.remove(conn)
    this.#setState(conn, 'in_use')
    conn.lastUsedAt = t
    ip.lastUsedAt = t
    conn.streams++
    ip.streams++
    this.updateShared(conn)
  }

  /** One request on `conn` ended; returns the requests still running on it. */
  endStream(conn: Connection): number {
    if (conn.streams > 0) {
      conn.streams--
      conn.entry.streams--
    }
    this.updateShared(conn)
    return conn.streams
  }

  /** Puts `conn` (no request running) on its IP's idle stack, most recent on top, at `t` (performance.now() ms). */
  checkin(conn: Connection, t = now()): void {
    this.#setState(conn, 'idle')
    const ip = conn.entry
    if (conn.channel?.attached) ip.idleHttp.push(conn, t)
    else ip.idleRaw.push(conn, t)
  }

  /** `conn` starts closing: out of the idle stacks and the shared set; its slot counts until drop. */
  markClosing(conn: Connection): void {
    this.#unlist(conn)
    this.#setState(conn, 'closing')
  }

  /** `conn` is gone (socket closed, upgrade took it, or the dial failed); frees its slot. */
  drop(conn: Connection): void {
    this.#unlist(conn)
    this.#setState(conn, 'closed')
  }

  /** An in-use HTTP/2 connection is shared while it is alive, not lent raw and below its stream limit. */
  updateShared(conn: Connection): void {
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

  /** Records a finished request on `ip`: its response time when a status arrived, and whether it failed. */
  recordUse(ip: IpEntry, o: Pick<ReleaseOutcome, 'durationMs' | 'statusCode' | 'error' | 'aborted'>): void {
    if (o.durationMs !== undefined && o.statusCode !== undefined) {
      ip.usage.latency.record(o.durationMs)
      ip.host.usage.latency.record(o.durationMs)
    }
    if (o.error !== undefined && !o.aborted) {
      ip.usage.failures++
      ip.host.usage.failures++
    }
  }

  /** Every connection not closed yet (a snapshot). */
  all(): Connection[] {
    return [...this.#all]
  }

  /** Every idle connection of `host` (a snapshot), oldest first per IP. */
  idleConnections(host: HostEntry): Connection[] {
    const out: Connection[] = []
    for (const ip of host.list) out.push(...ip.idleHttp.toArray().reverse(), ...ip.idleRaw.toArray().reverse())
    return out
  }

  /** Marks the pool closed; resolves once no connection is left. */
  shutdown(): Promise<void> {
    this.#closed = true
    return new Promise<void>((resolve) => {
      this.#onEmpty = resolve
      if (this.total === 0) resolve()
    })
  }

  #unlist(conn: Connection): void {
    const ip = conn.entry
    ip.idleHttp.remove(conn)
    ip.idleRaw.remove(conn)
    ip.shared.delete(conn)
  }

  #setState(conn: Connection, next: ConnectionState): void {
    const prev = conn.state
    if (prev === next) return
    if (prev === 'closed' && next !== 'connecting') return // a closed connection never comes back
    const ip = conn.entry
    const host = ip.host
    count(ip, prev, -1)
    count(host, prev, -1)
    count(host.origin, prev, -1)
    count(host.egressGroup, prev, -1)
    count(this, prev, -1)
    count(ip, next, 1)
    count(host, next, 1)
    count(host.origin, next, 1)
    count(host.egressGroup, next, 1)
    count(this, next, 1)
    conn.state = next
    if (next !== 'closed') {
      // A connection is listed when it leaves 'closed' (a new one starts there), once.
      if (prev === 'closed') this.#all.add(conn)
      return
    }
    this.#all.delete(conn)
    if (this.#closed && this.total === 0) this.#onEmpty?.()
  }
}

function groupOf(groups: Map<string, CapGroup>, key: string): CapGroup {
  let group = groups.get(key)
  if (group === undefined) {
    group = new CapGroup()
    groups.set(key, group)
  }
  return group
}
