/**
 * HealthChecker: every `health_check_interval`, checks each idle connection (an HTTP/1.1 one with
 * the configured health request, config health.method/path/expect; an HTTP/2 one with PING,
 * RFC 9113 §6.7); a failure closes the connection and strikes its IP. Also re-probes IPs whose
 * blacklisting ended: a new connection and the health request decide re-admission. One unref'd
 * timer, at most 8 checks at once.
 */
import PQueue from 'p-queue'
import { isExpectedStatus, type Config } from '../config/index.js'
import { H2Channel } from '../http/h2-channel.js'
import { probeStatus } from '../http/probe.js'
import type { Borrower } from './borrow.js'
import type { Dialer } from './dialer.js'
import { publish } from './events.js'
import type { IpStates } from './ip-states.js'
import type { Ledger } from './ledger.js'
import type { Connection, IpEntry } from './model.js'

interface CheckResult {
  ok: boolean
  statusCode?: number
  error?: Error
}

export class HealthChecker {
  readonly #config: Config
  readonly #ledger: Ledger
  readonly #dialer: Dialer
  readonly #borrower: Borrower
  readonly #ips: IpStates
  readonly #queue = new PQueue({ concurrency: 8 })
  #timer: NodeJS.Timeout | null = null
  #running = false
  #stopped = false

  constructor(config: Config, parts: { ledger: Ledger; dialer: Dialer; borrower: Borrower; ips: IpStates }) {
    this.#config = config
    this.#ledger = parts.ledger
    this.#dialer = parts.dialer
    this.#borrower = parts.borrower
    this.#ips = parts.ips
  }

  start(): void {
    if (this.#stopped || this.#timer !== null) return
    this.#timer = setTimeout(() => void this.#tick(), this.#config.pool.healthCheckIntervalMs)
    this.#timer.unref()
  }

  async #tick(): Promise<void> {
    this.#timer = null
    if (this.#stopped) return
    if (!this.#running) {
      this.#running = true
      try {
        await this.checkAll()
      } finally {
        this.#running = false
      }
    }
    this.start()
  }

  /** Checks every idle connection now (at most 8 at once); resolves when all are done. */
  async checkAll(): Promise<void> {
    for (const host of this.#ledger.hosts.values()) {
      for (const conn of this.#ledger.idleConnections(host)) void this.#queue.add(() => this.checkIdle(conn))
    }
    await this.#queue.onIdle()
  }

  /** Re-probes `ip` (state 'probing') in the background. */
  probe(ip: IpEntry): void {
    if (this.#stopped) return
    void this.#queue.add(() => this.#probe(ip))
  }

  /** Stops the timer; running checks finish on their own (the pool's close ends their sockets). */
  stop(): void {
    this.#stopped = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    this.#queue.clear()
  }

  /** Health-checks one idle connection: a failure closes it and strikes its IP. */
  async checkIdle(conn: Connection): Promise<void> {
    if (this.#ledger.closed || conn.state !== 'idle') return
    const ip = conn.entry
    this.#ledger.checkout(conn)
    const res = conn.channel instanceof H2Channel ? await this.#ping(conn.channel) : await this.#request(conn)
    const { statusCode, error } = res
    publish('health', { host: ip.host.key, ip: ip.address, kind: 'check', ok: res.ok, statusCode, error })
    if (res.ok) conn.provenAt = performance.now()
    this.#borrower.requite(conn, { reusable: res.ok, internal: true })
    if (!res.ok) this.#ips.strike(ip, `health check failed: ${statusCode ?? error?.message}`)
  }

  /** Opens a connection to a probing IP and sends the health request: success re-admits the IP, failure blacklists it again. */
  async #probe(ip: IpEntry): Promise<void> {
    if (this.#ledger.closed || ip.state !== 'probing') return
    const host = ip.host
    let conn: Connection | null = null
    try {
      conn = await this.#dialer.open(ip)
    } catch {
      this.#ips.probeFailed(ip, 'probe: connect failed')
      return
    }
    this.#ledger.checkout(conn)
    const res = await this.#request(conn)
    const { ok, statusCode, error } = res
    publish('health', { host: host.key, ip: ip.address, kind: 'probe', ok, statusCode, error })
    if (ok && !this.#ledger.closed) {
      this.#ips.readmit(ip)
      conn.provenAt = performance.now()
    } else if (!ok) {
      this.#ips.probeFailed(ip, `probe failed: ${statusCode !== undefined ? `HTTP ${statusCode}` : error?.message}`)
    }
    this.#borrower.requite(conn, { reusable: ok, internal: true })
  }

  /** Runs the configured health request on a checked-out connection; never throws. */
  async #request(conn: Connection): Promise<CheckResult> {
    const { health, pool } = this.#config
    if (conn.channel === null) return { ok: false, error: new Error('not connected') }
    try {
      const statusCode = await probeStatus(conn.channel.client, {
        method: health.method,
        path: health.path,
        servername: conn.entry.host.hostname,
        timeoutMs: pool.connectTimeoutMs,
      })
      return { ok: isExpectedStatus(health.expect, statusCode), statusCode }
    } catch (err) {
      return { ok: false, error: err as Error }
    }
  }

  async #ping(channel: H2Channel): Promise<CheckResult> {
    try {
      await channel.ping(this.#config.pool.connectTimeoutMs)
      return { ok: true }
    } catch (err) {
      return { ok: false, error: err as Error }
    }
  }
}
