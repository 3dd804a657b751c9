/**
 * DNS state of the pool's hosts: the first resolution, refreshes, and applying an answer (new
 * addresses join and are warmed when the host was warmed, listed draining ones come back,
 * vanished ones drain). DnsRefresher is the loop: it re-resolves each host when its answer's TTL
 * runs out, never later than `dns.refresh_interval` after the last answer, with one unref'd timer
 * armed for the earliest due host.
 */
import { isIP } from 'node:net'
import type { DnsConfig } from '../config/index.js'
import { reaches } from '../egress/index.js'
import { DnsError } from '../errors.js'
import { publish } from './events.js'
import type { IpStates } from './ip-states.js'
import type { Ledger } from './ledger.js'
import { IpEntry, type HostEntry } from './model.js'
import type { Resolution, Resolver } from './options.js'

const now = (): number => performance.now()

/** What DnsState tells the pool (see PoolEvents). */
export interface DnsEvents {
  /** An answer for `host` was applied; `added` are the IPs it brought. */
  resolved(host: HostEntry, added: readonly IpEntry[]): void
}

export class DnsState {
  readonly #config: DnsConfig
  readonly #minRefreshMs: number
  readonly #resolver: Resolver
  readonly #ledger: Ledger
  readonly #ips: IpStates
  readonly #events: DnsEvents

  constructor(
    options: { dns: DnsConfig; minRefreshMs: number },
    parts: { resolver: Resolver; ledger: Ledger; ips: IpStates },
    events: DnsEvents,
  ) {
    this.#config = options.dns
    this.#minRefreshMs = options.minRefreshMs
    this.#resolver = parts.resolver
    this.#ledger = parts.ledger
    this.#ips = parts.ips
    this.#events = events
  }

  /** Resolves `host` once (later refreshes come from refresh). Rejects with the resolver's error. */
  ensureResolved(host: HostEntry): Promise<void> {
    if (host.resolved) return Promise.resolve()
    if (host.ready === null) {
      if (host.isIpLiteral) {
        const family = isIP(host.hostname) === 6 ? 6 : 4
        this.apply(host, { addresses: [{ address: host.hostname, family, ttlMs: Infinity }], minTtlMs: Infinity })
        return Promise.resolve()
      }
      if (host.byName) {
        this.#applyByName(host)
        return Promise.resolve()
      }
      host.ready = this.#resolver.resolve(host.hostname).then(
        (res) => this.apply(host, usableBy(host, res)),
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
  async refresh(host: HostEntry): Promise<void> {
    try {
      const res = await this.#resolver.resolve(host.hostname)
      if (this.#ledger.closed) return
      this.apply(host, usableBy(host, res))
    } catch (err) {
      host.nextRefreshAt = now() + Math.min(this.#config.refreshIntervalMs, 30_000)
      const addresses = host.list.map((i) => i.address)
      publish('dns', { host: host.key, addresses, added: [], removed: [], error: err as Error })
    }
  }

  /** A partition whose proxy resolves the name: one entry, the host name, never refreshed. */
  #applyByName(host: HostEntry): void {
    const entry = new IpEntry(host, host.hostname, 0)
    host.addIp(entry)
    host.resolved = true
    host.nextRefreshAt = Infinity
    this.#events.resolved(host, [entry])
  }

  /** Applies an answer: new addresses join, listed draining ones come back, vanished ones drain. */
  apply(host: HostEntry, res: Resolution): void {
    const t = now()
    const seen = new Set<string>()
    const added: IpEntry[] = []
    for (const a of res.addresses) {
      if (seen.has(a.address)) continue
      seen.add(a.address)
      const ip = host.ips.get(a.address)
      if (ip !== undefined) {
        this.#ips.listed(ip)
        continue
      }
      const entry = new IpEntry(host, a.address, a.family)
      host.addIp(entry)
      added.push(entry)
    }
    const removed: string[] = []
    for (const ip of host.list) {
      if (seen.has(ip.address)) continue
      if (ip.inDns) removed.push(ip.address)
      this.#ips.unlisted(ip)
      this.#ips.forget(ip)
    }
    host.resolved = true
    const ttl = Number.isFinite(res.minTtlMs) ? res.minTtlMs : this.#config.refreshIntervalMs
    host.nextRefreshAt = host.isIpLiteral
      ? Infinity
      : t + Math.min(Math.max(ttl, this.#minRefreshMs), this.#config.refreshIntervalMs)
    publish('dns', { host: host.key, addresses: [...seen], added: added.map((i) => i.address), removed })
    this.#events.resolved(host, added)
  }
}

/**
 * The addresses of `res` the partition's egress can reach (a direct egress bound to an IPv4
 * source reaches only IPv4). @throws DnsError when none is left.
 */
function usableBy(host: HostEntry, res: Resolution): Resolution {
  if (res.addresses.length === 0) throw new DnsError(`no address for ${host.hostname}`)
  const addresses = res.addresses.filter((a) => reaches(host.egress, a.family))
  if (addresses.length === 0) {
    throw new DnsError(
      `${host.hostname} has no IPv${isIP(host.egress.localAddress ?? '')} address, so ${host.egress.id} cannot reach it; add a local address of the family it has`,
    )
  }
  if (addresses.length === res.addresses.length) return res
  return { addresses, minTtlMs: Math.min(...addresses.map((a) => a.ttlMs)) }
}

/** The DNS refresh loop (see the module comment). */
export class DnsRefresher {
  readonly #ledger: Ledger
  readonly #dns: DnsState
  #timer: NodeJS.Timeout | null = null
  #due = Infinity
  #stopped = false
  readonly #inFlight = new Set<string>()

  constructor(ledger: Ledger, dns: DnsState) {
    this.#ledger = ledger
    this.#dns = dns
  }

  /** Re-arms the timer for the earliest due host; call after any answer. */
  schedule(): void {
    if (this.#stopped) return
    let next = Infinity
    for (const host of this.#ledger.hosts.values()) {
      if (host.resolved && !this.#inFlight.has(host.key)) next = Math.min(next, host.nextRefreshAt)
    }
    if (next === Infinity) return
    if (this.#timer !== null && next >= this.#due) return
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#due = next
    this.#timer = setTimeout(() => this.#tick(), Math.max(next - now(), 1))
    this.#timer.unref()
  }

  #tick(): void {
    this.#timer = null
    this.#due = Infinity
    if (this.#stopped) return
    const t = now()
    for (const host of this.#ledger.hosts.values()) {
      if (!host.resolved || host.nextRefreshAt > t || this.#inFlight.has(host.key)) continue
      this.#inFlight.add(host.key)
      void this.#dns.refresh(host).finally(() => {
        this.#inFlight.delete(host.key)
        this.schedule()
      })
    }
    this.schedule()
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }
}
