/**
 * EgressStates: what the pool knows about each egress, beside IpStates' knowledge of each IP.
 *
 * Reachability, per egress across hosts: a connect failure that is the egress's fault (the proxy
 * cannot be reached, closes mid-CONNECT, stalls; blame.ts) is one failure in a row of the egress,
 * and the egress is not picked again for RETRY_BASE_MS × 2^(failures − 1), at most RETRY_MAX_MS
 * (IpStates' backoff), while another egress can serve. A connection opened through it forgets
 * the failures; so does a quiet STRIKE_TTL_MS.
 */
import { RETRY_BASE_MS, RETRY_MAX_MS, STRIKE_TTL_MS } from './ip-states.js'
import type { Egress } from '../egress/index.js'

const now = (): number => performance.now()

interface Health {
  failures: number
  /** performance.now() ms before which the egress is not picked while another can serve. */
  retryAt: number
  failedAt: number
  lastError: Error | undefined
}

export class EgressStates {
  readonly #health = new Map<string, Health>()

  /**
   * A connect through `egress` failed by its fault: one more failure in a row, and a backoff. A
   * dial begun (`startedAt`, performance.now() ms) while the backoff ran is the same outage.
   */
  connectFailed(egress: Egress, err: Error, startedAt?: number): void {
    const t = now()
    let h = this.#health.get(egress.id)
    if (h === undefined) {
      h = { failures: 0, retryAt: 0, failedAt: 0, lastError: undefined }
      this.#health.set(egress.id, h)
    }
    if (t - h.failedAt > STRIKE_TTL_MS) h.failures = 0
    if (startedAt === undefined || startedAt >= h.retryAt || h.failures === 0) h.failures++
    h.failedAt = t
    h.lastError = err
    h.retryAt = t + Math.min(RETRY_BASE_MS * 2 ** Math.min(h.failures - 1, 16), RETRY_MAX_MS)
  }

  /** A connection through `egress` opened: its failures are forgotten. */
  connected(egress: Egress): void {
    this.#health.delete(egress.id)
  }

  /** Whether `egress` is in a connect backoff at `t`. */
  backingOff(egress: Egress, t = now()): boolean {
    const h = this.#health.get(egress.id)
    return h !== undefined && h.retryAt > t
  }

  /** Failures in a row of `egress` (0 when it has none that still count). */
  failures(egress: Egress): number {
    const h = this.#health.get(egress.id)
    return h === undefined || now() - h.failedAt > STRIKE_TTL_MS ? 0 : h.failures
  }

  /** The error of the last failure of `egress`, if it still counts. */
  lastError(egress: Egress): Error | undefined {
    return this.failures(egress) > 0 ? this.#health.get(egress.id)?.lastError : undefined
  }
}
