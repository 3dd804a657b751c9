/**
 * Snapshot of the pool for `HotConnPool.stats()`: per host and per IP counts, usage and
 * response-time percentiles. Built by walking the hosts (not on the hot path).
 */
import type { IpStates } from './ip-states.js'
import type { Ledger } from './ledger.js'
import type { HostEntry, IpEntry, IpState, Usage } from './model.js'

export interface UsageStats {
  /** Connections in every state but closed (connecting + idle + in use + closing). */
  connections: number
  idle: number
  inUse: number
  connecting: number
  /** Handshakes completed. */
  handshakes: number
  /** Requests (and raw loans) served. */
  requests: number
  /** (requests − handshakes) / requests, 0 when no request yet. */
  reuseRate: number
  /** Median response time (ms) over the last responses, undefined before the first. */
  p50Ms: number | undefined
  /** 99th percentile response time (ms). */
  p99Ms: number | undefined
  /** Connect failures plus requests that ended in an error. */
  failures: number
}

export interface IpStats extends UsageStats {
  /** The address, or the host name when the egress's proxy resolves it. */
  ip: string
  /** 0: a host name resolved by the proxy. */
  family: 4 | 6 | 0
  state: IpState
  /** Whether the last DNS answer listed it. */
  inDns: boolean
  /** Set while blacklisted: why and until when. */
  blacklisted?: { reason: string; until: Date }
  /** Requests running on the IP now (each HTTP/2 stream counts). */
  streams?: number
  /** Whether the last connection opened to the IP negotiated HTTP/2. */
  http2?: boolean
  /** Set while new connections to the IP carry one stream at a time after HTTP/2 failures (http2.fallback_threshold): until when. */
  http1FallbackUntil?: Date
  /**
   * Set while the IP is in a connect backoff (README "Blame"): the connect failures in a row it
   * counts (one per outage, whatever the retries) and when the IP is dialed again.
   */
  connectBackoff?: { failures: number; until: Date }
}

export interface HostStats extends UsageStats {
  /** `hostname:port`. */
  host: string
  /** The identity of this partition's connections (`chrome-156-windows`). */
  identity: string
  /** The egress of this partition's connections (`direct`, `direct from 127.0.0.10`, a proxy URL without password). */
  egress: string
  /** Requests waiting for a connection. */
  pending: number
  ips: IpStats[]
  blacklisted: { ip: string; reason: string; until: Date }[]
}

export interface PoolStats {
  connections: number
  idle: number
  inUse: number
  connecting: number
  pending: number
  hosts: Record<string, HostStats>
}

function usage(c: { total: number; idle: number; inUse: number; connecting: number }, u: Usage): UsageStats {
  const [p50, p99] = u.latency.percentiles([50, 99])
  return {
    connections: c.total,
    idle: c.idle,
    inUse: c.inUse,
    connecting: c.connecting,
    handshakes: u.handshakes,
    requests: u.requests,
    reuseRate: u.requests === 0 ? 0 : Math.max(0, (u.requests - u.handshakes) / u.requests),
    p50Ms: p50,
    p99Ms: p99,
    failures: u.failures,
  }
}

function ipStats(ip: IpEntry, ips: IpStates): IpStats {
  const out: IpStats = {
    ip: ip.address,
    family: ip.family,
    state: ip.state,
    inDns: ip.inDns,
    ...usage(ip, ip.usage),
    streams: ip.streams,
    http2: ip.h2,
  }
  const fallbackMs = ip.h1Until - performance.now()
  if (fallbackMs > 0) out.http1FallbackUntil = new Date(Date.now() + fallbackMs)
  const backoffMs = ip.retryAt - performance.now()
  if (backoffMs > 0) out.connectBackoff = { failures: ip.connectFailures, until: new Date(Date.now() + backoffMs) }
  const record = ips.record(ip)
  if (record !== undefined) out.blacklisted = { reason: record.reason, until: new Date(record.until) }
  return out
}

function hostStats(host: HostEntry, states: IpStates): HostStats {
  const ips = host.list.map((ip) => ipStats(ip, states))
  return {
    host: host.key,
    identity: host.identity,
    egress: host.egress.id,
    pending: host.waiters.size,
    ...usage(host, host.usage),
    ips,
    blacklisted: ips.flatMap((i) => (i.blacklisted ? [{ ip: i.ip, ...i.blacklisted }] : [])),
  }
}

/** The key of `host` in PoolStats.hosts (see poolStats). */
export function statsKeyOf(host: HostEntry, defaultIdentity: string): string {
  const identity = host.identity === defaultIdentity ? '' : ` ${host.identity}`
  const egress = host.egress.id === 'direct' ? '' : ` via ${host.egress.id}`
  return `${host.key}${identity}${egress}`
}

/**
 * `hosts` is keyed by `hostname:port` for the pool's own identity going direct, with
 * ` <identity>` for partitions of other identities (requests with `identity` / `forIdentity()`)
 * and ` via <egress>` for partitions of other egresses (proxies, local addresses):
 * `tiles.test:443 via socks5h://127.0.0.1:1080`.
 */
export function poolStats(ledger: Ledger, states: IpStates, defaultIdentity: string): PoolStats {
  const hosts: Record<string, HostStats> = {}
  let pending = 0
  for (const host of ledger.hosts.values()) {
    hosts[statsKeyOf(host, defaultIdentity)] = hostStats(host, states)
    pending += host.waiters.size
  }
  const { total, idle, inUse, connecting } = ledger
  return { connections: total, idle, inUse, connecting, pending, hosts }
}
