/**
 * HealthChecker: every `health_check_interval`, sends the configured health request (config
 * health.method/path/expect) on each idle connection; a failure closes the connection and strikes
 * its IP. Also runs the re-probes of IPs whose blacklisting ended. One unref'd timer.
 */
import PQueue from 'p-queue'
import type { IpEntry } from './host.js'
import type { ConnectionManager } from './manager.js'

export class HealthChecker {
  readonly #manager: ConnectionManager
  readonly #intervalMs: number
  readonly #queue = new PQueue({ concurrency: 8 })
  #timer: NodeJS.Timeout | null = null
  #running = false
  #stopped = false

  constructor(manager: ConnectionManager, intervalMs: number) {
    this.#manager = manager
    this.#intervalMs = intervalMs
  }

  start(): void {
    if (this.#stopped || this.#timer !== null) return
    this.#timer = setTimeout(() => void this.#tick(), this.#intervalMs)
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
    for (const host of this.#manager.hosts.values()) {
      for (const conn of this.#manager.idleConnections(host)) {
        void this.#queue.add(() => this.#manager.checkIdle(conn))
      }
    }
    await this.#queue.onIdle()
  }

  /** Re-probes `ip` (state 'probing') in the background. */
  probe(ip: IpEntry): void {
    if (this.#stopped) return
    void this.#queue.add(() => this.#manager.probe(ip))
  }

  /** Stops the timer; running checks finish on their own (the pool's close ends their sockets). */
  stop(): void {
    this.#stopped = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    this.#queue.clear()
  }
}
