/**
 * The fleet's shared view of each host's IPs. When this process's pool blacklists an IP (a 403
 * storm, a dead IP), the record goes to Redis (`SET … PX`, expiring with the blacklisting) and out
 * on a pub/sub channel; every worker imposes it on its own pool (HotConnPool.blacklistIp), so an
 * IP one worker found bad is avoided by all within a round trip. A worker that starts later reads
 * the records still in force.
 */
import diagnostics from 'node:diagnostics_channel'
import type { Redis } from 'ioredis'
import { channels, type BlacklistEvent, type HotConnPool } from '../../pool/index.js'
import { fleetKeys } from './redis.js'

interface Shared {
  host: string
  ip: string
  until: number
  reason: string
  by: string
}

export class RedisIpView {
  readonly #redis: Redis
  readonly #sub: Redis
  readonly #pool: HotConnPool
  readonly #keys: ReturnType<typeof fleetKeys>
  readonly #id: string
  /** Blacklistings imposed from the view: their local echo is not published again. */
  readonly #imposed = new Set<string>()
  /** Shared blacklistings received (for the run's counters). */
  received = 0
  published = 0
  /** The blacklistings this worker published and imposed (at most 100): epoch ms, IP, the worker that saw it. */
  readonly log: Array<{ at: number; host: string; ip: string; by: string }> = []
  readonly #onLocal = (m: unknown): void => void this.#publish(m as BlacklistEvent)
  readonly #onMessage = (_channel: string, text: string): void => this.#impose(JSON.parse(text) as Shared)

  /**
   * @param redis commands (shared with the caller)
   * @param sub a connection of the view's own for pub/sub: close() disconnects it
   */
  constructor(redis: Redis, sub: Redis, pool: HotConnPool, queue: string, workerId: string) {
    this.#redis = redis
    this.#sub = sub
    this.#pool = pool
    this.#keys = fleetKeys(queue)
    this.#id = workerId
  }

  /** Subscribes, then imposes the records still in Redis. */
  async start(): Promise<void> {
    this.#sub.on('message', this.#onMessage)
    await this.#sub.subscribe(this.#keys.ipChannel)
    diagnostics.subscribe(channels.blacklist.name as string, this.#onLocal)
    await this.sync()
  }

  /** Imposes every record in force (after a host resolved, or Redis came back). */
  async sync(): Promise<void> {
    let cursor = '0'
    do {
      const [next, keys] = await this.#redis.scan(cursor, 'MATCH', this.#keys.ipPattern, 'COUNT', 200)
      cursor = next
      const values = keys.length === 0 ? [] : await this.#redis.mget(...keys)
      for (const v of values) if (v !== null) this.#impose(JSON.parse(v) as Shared)
    } while (cursor !== '0')
  }

  async close(): Promise<void> {
    diagnostics.unsubscribe(channels.blacklist.name as string, this.#onLocal)
    this.#sub.off('message', this.#onMessage)
    await this.#sub.unsubscribe(this.#keys.ipChannel).catch(() => {})
    this.#sub.disconnect()
  }

  async #publish(e: BlacklistEvent): Promise<void> {
    if (e.action !== 'blacklisted' || e.until === undefined) return
    const key = `${e.host} ${e.ip} ${e.until}`
    if (this.#imposed.delete(key)) return
    const ttl = Math.ceil(e.until - Date.now())
    if (ttl <= 0) return
    const shared: Shared = { host: e.host, ip: e.ip, until: e.until, reason: e.reason, by: this.#id }
    const text = JSON.stringify(shared)
    this.published++
    if (this.log.length < 100) this.log.push({ at: Date.now(), host: e.host, ip: e.ip, by: this.#id })
    await this.#redis
      .multi()
      .set(this.#keys.ip(e.host, e.ip), text, 'PX', ttl)
      .publish(this.#keys.ipChannel, text)
      .exec()
  }

  #impose(s: Shared): void {
    if (s.by === this.#id) return
    const key = `${s.host} ${s.ip} ${s.until}`
    this.#imposed.add(key)
    if (
      this.#pool.blacklistIp(`https://${s.host}`, s.ip, { until: s.until, reason: `${s.reason} (seen by ${s.by})` })
    ) {
      this.received++
      if (this.log.length < 100) this.log.push({ at: Date.now(), host: s.host, ip: s.ip, by: s.by })
    } else this.#imposed.delete(key)
  }
}
