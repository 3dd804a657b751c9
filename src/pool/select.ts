/**
 * IP selection: O(number of IPs of the host), no scan of connections.
 * Load spreads over IPs: least in use (connections being opened count as in use), then least
 * recently used. Opening prefers IPs without recent connect failures.
 */

export interface SelectableIp {
  readonly state: string
  readonly inUse: number
  readonly connecting: number
  readonly lastUsedAt: number
  readonly connectFailures: number
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

/** The active IP allowed by `canOpen` with the fewest connect failures, then least loaded, then least recently used. */
export function pickOpenIp<T extends SelectableIp>(ips: readonly T[], canOpen: (ip: T) => boolean): T | null {
  let best: T | null = null
  for (const ip of ips) {
    if (ip.state !== 'active' || !canOpen(ip)) continue
    if (
      best === null ||
      ip.connectFailures < best.connectFailures ||
      (ip.connectFailures === best.connectFailures && better(ip, best))
    ) {
      best = ip
    }
  }
  return best
}
