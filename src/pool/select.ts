/**
 * IP selection: O(number of IPs of the host), no scan of connections.
 * Load spreads over IPs: least in use (connections being opened count as in use), then least
 * recently used. Opening prefers IPs outside a connect backoff, then fewer failures; once an IP's
 * backoff is over its failures no longer count (the preference decays, see IpStates).
 */
import type { Connection, HostEntry, IpEntry, Want } from './model.js'

export interface SelectableIp {
  readonly state: string
  readonly inUse: number
  readonly connecting: number
  readonly lastUsedAt: number
  readonly connectFailures: number
  /** performance.now() ms the IP's connect backoff ends (0: none). */
  readonly retryAt: number
  readonly idleHttp: { readonly size: number }
  readonly idleRaw: { readonly size: number }
  /** Requests running on the IP now (HTTP/2 streams count one each). */
  readonly streams?: number
  /** In-use HTTP/2 connections with a free stream. */
  readonly shared?: { readonly size: number }
}

function better(a: SelectableIp, b: SelectableIp): boolean {
  const la = (a.streams ?? a.inUse) + a.connecting
  const lb = (b.streams ?? b.inUse) + b.connecting
  if (la !== lb) return la < lb
  return a.lastUsedAt < b.lastUsedAt
}

/** The active IP (other than `avoid`) with an idle connection usable in `mode` that is least loaded, then least recently used. */
export function pickIdleIp<T extends SelectableIp>(ips: readonly T[], mode: 'http' | 'raw', avoid?: T): T | null {
  let best: T | null = null
  for (const ip of ips) {
    if (ip.state !== 'active' || ip === avoid) continue
    const idle = mode === 'raw' ? ip.idleRaw.size : ip.idleHttp.size + ip.idleRaw.size + (ip.shared?.size ?? 0)
    if (idle === 0) continue
    if (best === null || better(ip, best)) best = ip
  }
  return best
}

/** Connect failures that still count at `now`: only while the backoff runs. */
function penalty(ip: SelectableIp, now: number): number {
  return ip.retryAt > now ? ip.connectFailures : 0
}

/**
 * The active IP allowed by `canOpen` with the fewest connect failures still in backoff at `now`
 * (performance.now() ms), then least loaded, then least recently used.
 */
export function pickOpenIp<T extends SelectableIp>(
  ips: readonly T[],
  canOpen: (ip: T) => boolean,
  now = performance.now(),
): T | null {
  let best: T | null = null
  let bestPenalty = 0
  for (const ip of ips) {
    if (ip.state !== 'active' || !canOpen(ip)) continue
    const p = penalty(ip, now)
    if (best === null || p < bestPenalty || (p === bestPenalty && better(ip, best))) {
      best = ip
      bestPenalty = p
    }
  }
  return best
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

/**
 * The idle (or shared HTTP/2) connection that serves `w` best, not checked out: for an ordinary
 * borrow the top of the best IP's stack; for a fresh one the least loaded IP's connection opened
 * or proven since `w.since`. O(IPs).
 */
export function pickIdle(host: HostEntry, w: Want): Connection | null {
  if (!w.fresh) {
    const ip = pickIdleIp(host.list, w.use, w.avoid)
    if (ip === null) return null
    return w.use === 'raw' ? ip.idleRaw.peek() : (pickShared(ip) ?? ip.idleHttp.peek() ?? ip.idleRaw.peek())
  }
  let best: Connection | null = null
  for (const ip of host.list) {
    if (ip.state !== 'active' || ip === w.avoid) continue
    for (const c of [pickShared(ip), ip.idleRaw.peek(), ip.idleHttp.peek()]) {
      if (c !== null && fits(w, c) && (best === null || c.entry.streams < best.entry.streams)) best = c
    }
  }
  return best
}

/** Whether `conn` can serve `w`, idle or not. */
export function fits(w: Want, conn: Connection): boolean {
  if (conn.entry === w.avoid) return false
  if (w.use === 'raw' && (conn.channel?.attached === true || conn.streams > 0)) return false
  if (!w.fresh) return true
  if (conn.requests === 0 && conn.openedAt >= w.since) return true
  return conn.channel?.multiplexed === true && conn.provenAt >= w.since
}

/** Whether `host` has an idle connection or an HTTP/2 one with a free stream. O(IPs). */
export function hasIdle(host: HostEntry): boolean {
  if (host.idle > 0) return true
  for (const ip of host.list) if (ip.shared.size > 0) return true
  return false
}

/**
 * Requests the connections being opened for `host` will take: `maxStreams` per IP known to speak
 * HTTP/2 and not in its HTTP/2 fallback. While no handshake of the host has completed (ALPN
 * unknown), `unknown` says how to count them: `'h2'` when deciding what to dial, so that a cold
 * host gets one connection, as a browser opens one per origin, until the answer says h2 (multiplex
 * on it) or http/1.1 (open more, up to the caps); `'http/1.1'` when deciding how many requests may
 * wait (max_pending stays a bound). `now`: performance.now() ms. O(IPs).
 */
export function connectingCapacity(
  host: HostEntry,
  maxStreams: number,
  unknown: 'h2' | 'http/1.1',
  now = performance.now(),
): number {
  if (maxStreams <= 1) return host.connecting
  const guessH2 = unknown === 'h2' && !host.alpnKnown
  let n = 0
  for (const ip of host.list) {
    const multiplexes = (ip.h2 || guessH2) && ip.h1Until <= now
    n += ip.connecting * (multiplexes ? maxStreams : 1)
  }
  return n
}
