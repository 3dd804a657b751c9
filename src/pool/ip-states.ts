/**
 * IpStates: the only writer of `IpEntry.state`, with the Blacklist as its storage, so that
 * "blacklisted" has one source: an IP is 'blacklisted' exactly while the Blacklist holds a record
 * for its blame key.
 *
 *   active --(threshold strikes | Retry-After)--> blacklisted --(ttl over)--> probing
 *   probing --(probe passes)--> active | draining      probing --(probe fails)--> blacklisted
 *   active <--(DNS lists it again / drops it)--> draining --(no connection left)--> forgotten
 *
 * Two kinds of failure, two answers:
 * - The server's verdicts (blocking statuses, Retry-After, failed health checks and re-probes) are
 *   strikes in the Blacklist: `failure_threshold` in a row blacklist the IP for `blacklist.ttl`.
 * - Connect failures (refused, timed out, handshake failed) say the IP cannot be reached now. Each
 *   is a strike with an expiry: the IP is not dialed again for a backoff of
 *   RETRY_BASE_MS × 2^(failures − 1), at most RETRY_MAX_MS, unless no other IP can take the
 *   connection; when the backoff ends the pool dials it again in the background (`retryDue`).
 *   A success forgets the failures; so does a quiet STRIKE_TTL_MS. So an IP that heals serves
 *   again at most RETRY_MAX_MS plus one connect after it healed, and the preference for IPs with
 *   fewer failures lasts only while a backoff runs.
 */
import { Blacklist, parseRetryAfter, type BlacklistRecord } from './blacklist.js'
import { AllIpsBlacklistedError } from './errors.js'
import { publish } from './events.js'
import type { HostEntry, IpEntry } from './model.js'
import type { BlacklistConfig } from '../config/index.js'

/** First backoff after a connect failure (ms); doubles with each failure in a row. */
export const RETRY_BASE_MS = 250
/** Longest backoff (ms): the bound on how long a healed IP can stay unused. */
export const RETRY_MAX_MS = 5_000
/** Connect failures older than this (ms) no longer count: the next backoff starts over. */
export const STRIKE_TTL_MS = 60_000

const now = (): number => performance.now()

/** What IpStates tells the pool (see PoolEvents). */
export interface IpStateEvents {
  /** `ip` was blacklisted until `record.until`: its idle connections go, the housekeeper wakes then. */
  blacklisted(ip: IpEntry, record: BlacklistRecord): void
  /** `ip` takes requests again (probe passed, DNS listed it again): waiting requests may use it. */
  readmitted(ip: IpEntry): void
  /** The connect backoff of `ip` ended: dial it again. */
  retryDue(ip: IpEntry): void
}

export class IpStates {
  readonly blacklist: Blacklist
  readonly #events: IpStateEvents
  readonly #timers = new Map<IpEntry, NodeJS.Timeout>()
  #stopped = false

  constructor(config: BlacklistConfig, events: IpStateEvents) {
    this.blacklist = new Blacklist({
      statusCodes: config.statusCodes,
      failureThreshold: config.failureThreshold,
      ttlMs: config.ttlMs,
    })
    this.#events = events
  }

  /** The blacklisting of `ip`, if any. */
  record(ip: IpEntry): BlacklistRecord | undefined {
    return this.blacklist.get(ip.blameKey)
  }

  /** Strikes `ip` (failed health check); blacklists it past the threshold. */
  strike(ip: IpEntry, reason: string): void {
    if (this.#stopped || (ip.state !== 'active' && ip.state !== 'draining')) return
    const record = this.blacklist.strike(ip.blameKey, reason, Date.now())
    if (record !== null) this.#blacklist(ip, record)
  }

  /** Judges a response status: a blocking one strikes (a Retry-After blacklists at once), a success clears. */
  judgeStatus(ip: IpEntry, status: number, retryAfter: string | undefined): void {
    if (this.#stopped) return
    if (this.blacklist.isStrikeStatus(status)) {
      if (ip.state !== 'active' && ip.state !== 'draining') return
      const wall = Date.now()
      const record = this.blacklist.strike(ip.blameKey, `HTTP ${status}`, wall, parseRetryAfter(retryAfter, wall))
      if (record !== null) this.#blacklist(ip, record)
    } else if (status < 500) {
      this.blacklist.success(ip.blameKey)
    }
  }

  /** A connection to `ip` opened: its connect failures are forgotten. */
  connected(ip: IpEntry): void {
    ip.connectFailures = 0
    ip.retryAt = 0
    this.#clearTimer(ip)
  }

  /**
   * A connect to `ip` failed: one more failure in a row, and a backoff before the next dial.
   * `startedAt` (performance.now() ms) is when the failed dial began: a dial begun while a backoff
   * ran (no other IP could take the request, or the pool's one retry of a request's dial) met the
   * same outage, so it renews the backoff without counting again: one failure is one strike,
   * whatever the retries.
   */
  connectFailed(ip: IpEntry, startedAt?: number): void {
    if (this.#stopped) return
    const t = now()
    if (t - ip.failedAt > STRIKE_TTL_MS) ip.connectFailures = 0
    const sameOutage = startedAt !== undefined && startedAt < ip.retryAt && ip.connectFailures > 0
    if (!sameOutage) ip.connectFailures++
    ip.failedAt = t
    const delay = Math.min(RETRY_BASE_MS * 2 ** Math.min(ip.connectFailures - 1, 16), RETRY_MAX_MS)
    ip.retryAt = t + delay
    this.#clearTimer(ip)
    const timer = setTimeout(() => {
      this.#timers.delete(ip)
      if (!this.#stopped && ip.state === 'active') this.#events.retryDue(ip)
    }, delay)
    timer.unref()
    this.#timers.set(ip, timer)
  }

  /** Whether `ip` is in a connect backoff now. */
  backingOff(ip: IpEntry, t = now()): boolean {
    return ip.retryAt > t
  }

  /** DNS listed `ip` (again): a draining IP takes requests again. */
  listed(ip: IpEntry): void {
    ip.inDns = true
    if (ip.state !== 'draining') return
    ip.state = 'active'
    this.#events.readmitted(ip)
  }

  /** DNS no longer lists `ip`: an active one drains (in-flight requests finish). */
  unlisted(ip: IpEntry): void {
    ip.inDns = false
    if (ip.state !== 'active') return
    ip.state = 'draining'
    ip.drainingSince = now()
  }

  /** Drops an IP that left DNS once it holds no connection and is neither probing nor blacklisted. */
  forget(ip: IpEntry): void {
    if (ip.inDns || ip.total > 0 || ip.state === 'probing' || ip.state === 'blacklisted') return
    ip.host.removeIp(ip)
    this.blacklist.delete(ip.blameKey)
    this.#clearTimer(ip)
  }

  /** Moves IPs of `hosts` whose blacklisting ended to 'probing' (or forgets them); returns those to probe. */
  expire(hosts: Iterable<HostEntry>, wallNow: number): IpEntry[] {
    const out: IpEntry[] = []
    const expired = new Set(this.blacklist.expire(wallNow))
    if (expired.size === 0) return out
    for (const host of hosts) {
      for (const ip of host.list) {
        if (!expired.has(ip.blameKey) || ip.state !== 'blacklisted') continue
        if (!ip.inDns) {
          ip.state = 'draining'
          this.forget(ip)
          continue
        }
        ip.state = 'probing'
        publish('blacklist', {
          host: host.key,
          egress: host.egress.id,
          ip: ip.address,
          action: 'probing',
          reason: 'blacklist expired',
        })
        out.push(ip)
      }
    }
    return out
  }

  /** The re-probe of `ip` passed: it takes requests again (or drains, if DNS dropped it meanwhile). */
  readmit(ip: IpEntry): void {
    if (ip.state !== 'probing') return
    this.blacklist.success(ip.blameKey)
    this.connected(ip)
    ip.state = ip.inDns ? 'active' : 'draining'
    ip.drainingSince = now()
    publish('blacklist', {
      host: ip.host.key,
      egress: ip.host.egress.id,
      ip: ip.address,
      action: 'readmitted',
      reason: 'probe succeeded',
    })
    this.#events.readmitted(ip)
  }

  /**
   * Blacklists `ip` on another's word (a fleet's shared view: another process's pool blacklisted it)
   * until `record.until`; then it is probed like any expired IP. No-op when already blacklisted,
   * when the record has expired, or once stopped.
   */
  impose(ip: IpEntry, record: BlacklistRecord): void {
    if (this.#stopped || ip.state === 'blacklisted' || record.until <= Date.now()) return
    this.blacklist.impose(ip.blameKey, record)
    this.#blacklist(ip, record)
  }

  /** The re-probe of `ip` failed: blacklisted again for the ttl. */
  probeFailed(ip: IpEntry, reason: string): void {
    if (ip.state !== 'probing' || this.#stopped) return
    this.#blacklist(ip, this.blacklist.blacklist(ip.blameKey, reason, Date.now()))
  }

  /**
   * Throws AllIpsBlacklistedError (with the earliest expiry and the reasons) when every IP of
   * `host` is blacklisted or draining with at least one blacklisted; returns when one is usable.
   */
  assertUsable(host: HostEntry): void {
    let retryAt = Infinity
    const reasons: Array<{ ip: string; reason: string }> = []
    for (const ip of host.list) {
      if (ip.state === 'active' || ip.state === 'probing') return
      if (ip.state !== 'blacklisted') continue
      const record = this.record(ip)
      retryAt = Math.min(retryAt, record?.until ?? Date.now())
      if (record) reasons.push({ ip: ip.address, reason: record.reason })
    }
    // Only draining IPs: DNS listed none that works; wait for the next answer like a new host.
    if (retryAt === Infinity) return
    throw new AllIpsBlacklistedError(host.key, new Date(retryAt), reasons)
  }

  /** Stops every backoff timer; no strike counts any more. */
  stop(): void {
    this.#stopped = true
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
  }

  #blacklist(ip: IpEntry, record: BlacklistRecord): void {
    if (ip.state === 'blacklisted') return
    ip.state = 'blacklisted'
    publish('blacklist', {
      host: ip.host.key,
      egress: ip.host.egress.id,
      ip: ip.address,
      action: 'blacklisted',
      reason: record.reason,
      until: record.until,
    })
    this.#events.blacklisted(ip, record)
  }

  #clearTimer(ip: IpEntry): void {
    const timer = this.#timers.get(ip)
    if (timer === undefined) return
    clearTimeout(timer)
    this.#timers.delete(ip)
  }
}
