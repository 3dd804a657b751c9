/**
 * The one housekeeping loop (HikariCP's housekeeper): closes idle connections past
 * `idle_timeout`, connections past `max_lifetime` (each with up to 2.5 % jitter, set when it
 * opened), idle connections of drained IPs past the grace period, trims each host to
 * `max_idle_conns` idle (oldest idle first), and moves IPs whose blacklisting ended to re-probe.
 * One unref'd timer, re-armed for the sooner of `cleanup_interval`, `blacklist.check_interval`
 * and the next blacklist expiry.
 */
import type { Config } from '../config/index.js'
import type { Dialer } from './dialer.js'
import type { HealthChecker } from './health.js'
import type { IpStates } from './ip-states.js'
import type { Ledger } from './ledger.js'

/** Shortest delay between two runs (ms), so a burst of blacklistings cannot spin the loop. */
const MIN_DELAY_MS = 5

export class Housekeeper {
  readonly #config: Config
  readonly #drainGraceMs: number
  readonly #ledger: Ledger
  readonly #dialer: Dialer
  readonly #ips: IpStates
  readonly #health: HealthChecker
  #timer: NodeJS.Timeout | null = null
  #due = Infinity
  #stopped = false

  constructor(
    options: { config: Config; drainGraceMs: number },
    parts: { ledger: Ledger; dialer: Dialer; ips: IpStates; health: HealthChecker },
  ) {
    this.#config = options.config
    this.#drainGraceMs = options.drainGraceMs
    this.#ledger = parts.ledger
    this.#dialer = parts.dialer
    this.#ips = parts.ips
    this.#health = parts.health
  }

  start(): void {
    this.#arm()
  }

  /** Makes the loop run no later than wall-clock `at` (epoch ms), e.g. a blacklist expiry. */
  wakeAt(at: number): void {
    if (this.#stopped) return
    const due = performance.now() + Math.max(at - Date.now(), 0)
    if (due < this.#due - 1) this.#arm(due)
  }

  #arm(due?: number): void {
    if (this.#stopped) return
    const { pool, blacklist } = this.#config
    let next = due ?? performance.now() + Math.min(pool.cleanupIntervalMs, blacklist.checkIntervalMs)
    const expiry = this.#ips.blacklist.nextExpiry()
    if (expiry !== undefined) next = Math.min(next, performance.now() + Math.max(expiry - Date.now(), 0))
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#due = next
    this.#timer = setTimeout(() => this.#tick(), Math.max(next - performance.now(), MIN_DELAY_MS))
    this.#timer.unref()
  }

  #tick(): void {
    this.#timer = null
    this.#due = Infinity
    if (this.#stopped) return
    this.run()
    this.#arm()
  }

  /** One pass over every host (also callable directly, e.g. from tests). */
  run(): void {
    const ledger = this.#ledger
    if (ledger.closed) return
    const { pool } = this.#config
    const t = performance.now()
    for (const host of ledger.hosts.values()) {
      for (const ip of host.list) {
        const drainOver = ip.state === 'draining' && t - ip.drainingSince >= this.#drainGraceMs
        for (const stack of [ip.idleHttp, ip.idleRaw]) {
          for (const conn of stack.toArray()) {
            if (t - conn.idleSince >= pool.idleTimeoutMs) this.#dialer.close(conn, 'idle_timeout')
            else if (t >= conn.expiresAt) this.#dialer.close(conn, 'max_lifetime')
            else if (drainOver) this.#dialer.close(conn, 'drained')
          }
        }
      }
      if (host.idle > pool.maxIdleConns) {
        const idle = ledger.idleConnections(host).sort((a, b) => a.idleSince - b.idleSince)
        for (const conn of idle.slice(0, host.idle - pool.maxIdleConns)) this.#dialer.close(conn, 'trim')
      }
    }
    for (const ip of this.#ips.expire(ledger.hosts.values(), Date.now())) this.#health.probe(ip)
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }
}
