/**
 * Per-host request budgets. A budget paces requests with GCRA (the generic cell rate algorithm,
 * ITU-T I.371; "virtual scheduling"): every request reserves the next free slot of its host,
 * `interval` ms after the previous one, and waits for it. Requests come out evenly spaced (no
 * burst at a window edge, as fixed-window counters allow), which is what a server's rate limit
 * measures. `LocalBudget` keeps the slots in memory; the fleet's Redis budget runs the same
 * reservation in Redis so that every worker draws from one budget.
 *
 * A request whose wait ended more than LATE_MS after its slot (the process was busy or
 * descheduled) gives the slot up and reserves another, at most MAX_FORFEITS times: sent late, it
 * would go out together with the requests of the slots after it, a burst above the rate.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { InvalidArgumentError } from '../errors.js'

/** Paces the requests to each host. */
export interface RequestBudget {
  /**
   * Resolves when one request to `host` may be sent (the slot is used whether or not it is).
   * Rejects with the signal's reason when `signal` aborts first.
   */
  take(host: string, signal?: AbortSignal): Promise<void>
  /** Releases timers and connections. */
  close(): Promise<void>
}

/** How late (ms) a request may leave after its slot. */
export const LATE_MS = 50
/** Slots one request gives up at most before it leaves late. */
export const MAX_FORFEITS = 8

/**
 * Waits for slots from `reserve` (which returns the wait in ms) until one is met within LATE_MS.
 * Rejects with the signal's reason when `signal` aborts first.
 */
export async function waitForSlot(reserve: () => Promise<number> | number, signal?: AbortSignal): Promise<void> {
  for (let forfeits = 0; ; forfeits++) {
    const wait = await reserve()
    if (wait <= 0) return
    const due = performance.now() + wait
    await sleep(wait, undefined, signal === undefined ? {} : { signal })
    if (performance.now() - due <= LATE_MS || forfeits === MAX_FORFEITS) return
  }
}

/** A budget with no limit. */
export const UNLIMITED: RequestBudget = { take: async () => {}, close: async () => {} }

/** One reservation step of GCRA: the slot (ms) a request gets and the host's next theoretical arrival time. */
export function gcraReserve(tat: number, now: number, intervalMs: number): { slot: number; tat: number } {
  const slot = Math.max(tat, now)
  return { slot, tat: slot + intervalMs }
}

/** In-process budget: `perSecond` requests per second to each host. */
export class LocalBudget implements RequestBudget {
  readonly #intervalMs: number
  readonly #tat = new Map<string, number>()

  /** @throws RangeError unless perSecond is a positive finite number */
  constructor(perSecond: number) {
    if (!Number.isFinite(perSecond) || perSecond <= 0)
      throw new RangeError(`perSecond must be a positive number, got ${perSecond}`)
    this.#intervalMs = 1000 / perSecond
  }

  take(host: string, signal?: AbortSignal): Promise<void> {
    return waitForSlot(() => {
      const now = performance.now()
      const { slot, tat } = gcraReserve(this.#tat.get(host) ?? now, now, this.#intervalMs)
      this.#tat.set(host, tat)
      return slot - now
    }, signal)
  }

  async close(): Promise<void> {}
}

/**
 * Parses a rate: "50/s", "50", "3000/min", "3000/m" (requests per second or per minute).
 * @returns requests per second
 * @throws InvalidArgumentError
 */
export function parseRate(text: string, flag = '--rate'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|m|min))?\s*$/i.exec(text)
  const n = Number(m?.[1])
  if (m === null || !(n > 0) || n > 1_000_000)
    throw new InvalidArgumentError(
      `${flag} must be N/s or N/min with 0 < N <= 1000000 (e.g. 50/s), got ${JSON.stringify(text)}`,
    )
  return m[2] !== undefined && m[2].toLowerCase().startsWith('m') ? n / 60 : n
}

/**
 * Connections (and requests in flight) for a host limited to `rpm` requests per minute:
 * max(10, min(200, rpm / 10)), the sizing rule of the design hotconn started from.
 */
export function poolSizeForRpm(rpm: number): number {
  return Math.max(10, Math.min(200, Math.floor(rpm / 10)))
}
