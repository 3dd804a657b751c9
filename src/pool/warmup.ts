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

export class Warmer {
  readonly #target: number
  readonly #concurrency: number
  readonly #parts: { ledger: Ledger; dialer: Dialer; borrower: Borrower; ips: IpStates }
  readonly #resolve: (host: HostEntry) => Promise<void>

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
   * else one connection when it holds none. A failure starts the next, longer backoff.
   */
  redial(ip: IpEntry): void {
    const { ledger, dialer, borrower } = this.#parts
    const target = ip.host.warm ? this.#target : 1
    if (ledger.closed || ip.state !== 'active' || ip.total >= target || !ledger.canOpen(ip)) return
    void dialer.open(ip).then(
      (conn) => {
        borrower.offer(conn)
        this.redial(ip)
      },
      () => {}, // the Dialer's events strike the IP and arm the next backoff
    )
  }
}
