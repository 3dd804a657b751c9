/**
 * Warm-up: opens connections until each usable IP of a host holds `warm_conns_per_ip`
 * (connecting and in-use ones count), at most `warmupConcurrency` handshakes at once, never past
 * a cap. Also re-warms an IP whose connect backoff ended (IpStates' `retryDue`), so that an IP
 * that failed once serves again as soon as it answers.
 */
import PQueue from 'p-queue'
import type { Borrower } from './borrow.js'
import type { Dialer } from './dialer.js'
import { PoolClosedError } from './errors.js'
import type { IpStates } from './ip-states.js'
import type { Ledger } from './ledger.js'
import type { HostEntry, IpEntry } from './model.js'

/** Per-IP result of a warm-up. */
export interface WarmupIpResult {
  ip: string
  /** The egress the connections went through (`direct`, a proxy URL without password, …). */
  egress?: string
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

/** Close reasons after which a warmed IP is not dialed again: the pool meant to let the connection go. */
const RETIRED: ReadonlySet<string> = new Set([
  'idle_timeout',
  'trim',
  'drained',
  'blacklisted',
  'evicted',
  'rebalance',
  'pool_closed',
])

export class Warmer {
  readonly #target: number
  readonly #concurrency: number
  readonly #parts: { ledger: Ledger; dialer: Dialer; borrower: Borrower; ips: IpStates }
  readonly #resolve: (host: HostEntry) => Promise<void>
  /** IPs whose re-dial waits for a free slot. */
  readonly #waitingRoom = new Set<IpEntry>()

  constructor(
    options: { warmConnsPerIp: number; warmupConcurrency: number },
    parts: { ledger: Ledger; dialer: Dialer; borrower: Borrower; ips: IpStates },
    resolve: (host: HostEntry) => Promise<void>,
  ) {
    this.#target = options.warmConnsPerIp
    this.#concurrency = options.warmupConcurrency
    this.#parts = parts
    this.#resolve = resolve
  }

  /** Warms every IP DNS lists for `host`. Rejects with PoolClosedError, a DnsError or AllIpsBlacklistedError. */
  async warmup(host: HostEntry): Promise<WarmupResult> {
    if (this.#parts.ledger.closed) throw new PoolClosedError()
    await this.#resolve(host)
    host.warm = true
    const ips = host.list.filter((i) => i.inDns)
    if (ips.length > 0 && ips.every((i) => i.state === 'blacklisted')) this.#parts.ips.assertUsable(host)
    return { host: host.key, ips: await this.warmIps(host, ips) }
  }

  /** Opens connections to `ips` of `host` up to the warm target; per-IP failures are in the result. */
  async warmIps(host: HostEntry, ips: readonly IpEntry[]): Promise<WarmupIpResult[]> {
    const { ledger, dialer, borrower } = this.#parts
    const queue = new PQueue({ concurrency: this.#concurrency })
    const results = ips.map((ip): WarmupIpResult => ({ ip: ip.address, opened: 0, failed: 0 }))
    ips.forEach((ip, k) => {
      const r = results[k] as WarmupIpResult
      if (ip.state !== 'active') {
        r.skipped = ip.state
        return
      }
      for (let n = 0; n < this.#target; n++) {
        void queue.add(async () => {
          // Checked when the task runs: concurrent warm-ups and requests count too.
          if (ledger.closed || ip.state !== 'active' || ip.total >= this.#target || !ledger.canOpen(ip)) return
          try {
            const conn = await dialer.open(ip)
            borrower.offer(conn)
            if (conn.state !== 'closing' && conn.state !== 'closed') r.opened++
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

  /**
   * Dials `ip` again after its connect backoff: up to the warm target when the host was warmed,
   * else one connection when it holds none. When a cap blocks, the IP of the host holding the
   * most connections gives up its oldest idle one and `ip` is dialed once a slot is free. A
   * failure starts the next, longer backoff.
   */
  redial(ip: IpEntry): void {
    const { ledger, dialer, borrower } = this.#parts
    const target = ip.host.warm ? this.#target : 1
    if (ledger.closed || ip.state !== 'active' || ip.total >= target) {
      this.#waitingRoom.delete(ip)
      return
    }
    if (!ledger.canOpen(ip)) {
      this.#waitingRoom.add(ip)
      this.#makeRoom(ip)
      return
    }
    this.#waitingRoom.delete(ip)
    void dialer.open(ip).then(
      (conn) => {
        borrower.offer(conn)
        this.redial(ip)
      },
      () => {}, // the Dialer's events strike the IP and arm the next backoff
    )
  }

  /**
   * A connection of `ip` is gone (`reason` as in CloseEvent, null for a failed dial): an IP
   * waiting for room is dialed, and an IP of a warmed host that lost its last connection to the
   * peer or an error (not to housekeeping) is warmed again, unless a backoff runs.
   */
  slotFreed(ip: IpEntry, reason: string | null): void {
    for (const other of this.#waitingRoom) if (other.host === ip.host) this.redial(other)
    if (reason === null || RETIRED.has(reason) || !ip.host.warm || ip.total > 0) return
    if (ip.retryAt <= performance.now()) this.redial(ip)
  }

  /** Closes the oldest idle connection of the IP of `ip`'s host that holds the most connections (one at a time). */
  #makeRoom(ip: IpEntry): void {
    const host = ip.host
    if (host.closing > 0) return // a slot is already on its way
    let richest: IpEntry | null = null
    for (const other of host.list) {
      if (other === ip || other.idle === 0 || other.total <= ip.total + 1) continue
      if (richest === null || other.total > richest.total) richest = other
    }
    const victim = richest === null ? null : (richest.idleHttp.oldest() ?? richest.idleRaw.oldest())
    if (victim !== null) this.#parts.dialer.close(victim, 'rebalance')
  }
}
