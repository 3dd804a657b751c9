/**
 * The DNS refresh loop: re-resolves each host when its answer's TTL runs out, never later than
 * `dns.refresh_interval` after the last answer (ConnectionManager.applyResolution sets the due
 * time). One unref'd timer armed for the earliest due host.
 */
import type { ConnectionManager } from './manager.js'

export class DnsRefresher {
  readonly #manager: ConnectionManager
  #timer: NodeJS.Timeout | null = null
  #due = Infinity
  #stopped = false
  readonly #inFlight = new Set<string>()

  constructor(manager: ConnectionManager) {
    this.#manager = manager
  }

  /** Re-arms the timer for the earliest due host; call after any answer. */
  schedule(): void {
    if (this.#stopped) return
    let next = Infinity
    for (const host of this.#manager.hosts.values()) {
      if (host.resolved && !this.#inFlight.has(host.key)) next = Math.min(next, host.nextRefreshAt)
    }
    if (next === Infinity) return
    if (this.#timer !== null && next >= this.#due) return
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#due = next
    this.#timer = setTimeout(() => this.#tick(), Math.max(next - performance.now(), 1))
    this.#timer.unref()
  }

  #tick(): void {
    this.#timer = null
    this.#due = Infinity
    if (this.#stopped) return
    const t = performance.now()
    for (const host of this.#manager.hosts.values()) {
      if (!host.resolved || host.nextRefreshAt > t || this.#inFlight.has(host.key)) continue
      this.#inFlight.add(host.key)
      void this.#manager.refreshDns(host).finally(() => {
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
