/**
 * StatusJudge: whom a blocking status (blacklist.status_codes, default 403 and 429) blames. Such
 * an answer is the server's verdict on the request's way out (its egress: proxy or source address,
 * and its fingerprint), or on the path asked for; it never says that the target IP is unreachable.
 *
 * - The IP, when it is the odd one out: the host has several IPs, only this one answered blocking
 *   statuses since the partition's last success, and that success came from another IP within
 *   IP_WINDOW_MS. Its strikes go to IpStates (failure_threshold in a row blacklist it; a
 *   Retry-After at once), those it gave before the partition had any success included; a success
 *   of the IP starts its count over.
 * - Else the (egress, host) pair, i.e. the partition (identity, egress, origin): it is blocked
 *   for blacklist.ttl once blocking statuses came from `failure_threshold` distinct paths with no
 *   success in between (a members-only page answering 403 again and again is about that page,
 *   not the egress), or at once for a Retry-After's time. A blocked pair takes no new request:
 *   requests move to another egress of their set (EgressRouter); the host's IPs stay active.
 * A success (any status below 500 that is not blocking) starts the pair's count over.
 *
 * `blacklist.status_blame` picks the scope: "auto" as above; "ip" strikes the IP that answered,
 * always (failure_threshold in a row, a Retry-After at once), and never blocks a pair; "egress"
 * always judges the pair, never an IP.
 */
import type { BlacklistConfig } from '../config/index.js'
import { parseRetryAfter } from './blacklist.js'
import { publish } from './events.js'
import type { IpStates } from './ip-states.js'
import type { HostEntry, IpEntry } from './model.js'

/** How recent another IP's success must be for a blocking answer to blame the IP that gave it (ms). */
export const IP_WINDOW_MS = 60_000
/** Distinct paths remembered per partition (the threshold is met long before). */
const PATHS_MAX = 64

/** Why and until when (epoch ms) a partition is blocked. */
export interface PairBlock {
  readonly reason: string
  readonly until: number
}

interface Pair {
  /** Distinct paths answered with a blocking status since the last success. */
  readonly paths: Set<string>
  /** IPs those answers came from. */
  readonly ips: Set<string>
  /** Date.now() of the last success, and the IP that gave it. */
  okAt: number
  okIp: string
  block: PairBlock | null
}

export class StatusJudge {
  readonly #config: BlacklistConfig
  readonly #ips: IpStates
  readonly #statusCodes: ReadonlySet<number>
  readonly #pairs = new Map<string, Pair>()
  /** Blocking answers of an IP before the partition had any success: struck once another IP proves it fine. */
  readonly #unproven = new WeakMap<IpEntry, number>()

  constructor(config: BlacklistConfig, ips: IpStates) {
    this.#config = config
    this.#ips = ips
    this.#statusCodes = new Set(config.statusCodes)
  }

  /** Judges the final status of a request to `path` on `ip` (see the module comment). */
  judge(ip: IpEntry, status: number, retryAfter: string | undefined, path: string | undefined): void {
    const host = ip.host
    if (!this.#statusCodes.has(status)) {
      if (status >= 500) return
      const pair = this.#pairs.get(host.partitionKey)
      if (pair !== undefined) {
        pair.paths.clear()
        pair.ips.clear()
        pair.okAt = Date.now()
        pair.okIp = ip.address
      }
      this.#unproven.delete(ip)
      this.#ips.judgeStatus(ip, status, retryAfter)
      return
    }
    if (this.#config.statusBlame === 'ip') return this.#ips.judgeStatus(ip, status, retryAfter)
    const wall = Date.now()
    const pair = this.#pair(host)
    if (pair.block !== null && pair.block.until > wall) return
    pair.ips.add(ip.address)
    if (pair.paths.size < PATHS_MAX) pair.paths.add(pathOf(path))
    if (this.#config.statusBlame === 'auto' && pair.ips.size === 1 && host.list.length > 1) {
      if (this.#oddOneOut(pair, ip, wall)) {
        // The blocking answers it gave before another IP proved the partition fine count too.
        const earlier = this.#unproven.get(ip) ?? 0
        this.#unproven.delete(ip)
        for (let i = 0; i < earlier; i++) this.#ips.judgeStatus(ip, status, undefined)
        this.#ips.judgeStatus(ip, status, retryAfter)
        return
      }
      const retryMs = parseRetryAfter(retryAfter, wall)
      // Nothing proves the partition fine or blocked yet: a Retry-After rests only this IP (the
      // next IP to say so blocks the pair), other blocking answers wait for the evidence.
      if (pair.okIp === '' && retryMs !== undefined) return this.#ips.judgeStatus(ip, status, retryAfter)
      if (pair.okIp === '') this.#unproven.set(ip, (this.#unproven.get(ip) ?? 0) + 1)
    }
    const retryMs = parseRetryAfter(retryAfter, wall)
    if (retryMs !== undefined) {
      this.#block(host, pair, {
        reason: `HTTP ${status}; Retry-After ${Math.round(retryMs / 1000)} s`,
        until: wall + retryMs,
      })
    } else if (pair.paths.size >= this.#config.failureThreshold) {
      const paths = [...pair.paths].slice(0, 3).join(', ')
      const more = pair.paths.size > 3 ? ', …' : ''
      const reason = `HTTP ${status} on ${pair.paths.size} paths (${paths}${more})`
      this.#block(host, pair, { reason, until: wall + this.#config.ttlMs })
    }
  }

  /** The block of `host`'s partition, if one holds now (an expired one is forgotten). */
  blocked(host: HostEntry, wall?: number): PairBlock | undefined {
    const pair = this.#pairs.get(host.partitionKey)
    const block = pair?.block
    if (block == null) return undefined
    // The clock is read only when there is a block to compare with.
    if (block.until > (wall ?? Date.now())) return block
    pair!.block = null
    publish('blacklist', {
      host: host.key,
      egress: host.egress.id,
      ip: '*',
      action: 'readmitted',
      reason: 'block expired',
    })
    return undefined
  }

  /** The partition's last success came from another IP, within IP_WINDOW_MS. */
  #oddOneOut(pair: Pair, ip: IpEntry, wall: number): boolean {
    return pair.okIp !== '' && pair.okIp !== ip.address && wall - pair.okAt <= IP_WINDOW_MS
  }

  #pair(host: HostEntry): Pair {
    let pair = this.#pairs.get(host.partitionKey)
    if (pair === undefined) {
      pair = { paths: new Set(), ips: new Set(), okAt: 0, okIp: '', block: null }
      this.#pairs.set(host.partitionKey, pair)
    }
    return pair
  }

  #block(host: HostEntry, pair: Pair, block: PairBlock): void {
    pair.block = block
    pair.paths.clear()
    pair.ips.clear()
    publish('blacklist', {
      host: host.key,
      egress: host.egress.id,
      ip: '*',
      action: 'blacklisted',
      reason: `egress blocked: ${block.reason}`,
      until: block.until,
    })
  }
}

/** The path of a request target without its query ("/a?b=1" → "/a"): a page, whatever its parameters. */
function pathOf(path: string | undefined): string {
  if (path === undefined) return '/'
  const q = path.indexOf('?')
  return q < 0 ? path : path.slice(0, q)
}
