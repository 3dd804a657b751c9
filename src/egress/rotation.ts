/**
 * EgressSet: a list of egresses and how requests take turns on them (config egress.rotation):
 * - `round-robin`: the next egress of the list for every request, whatever the host;
 * - `random`: a uniformly random one;
 * - `sticky`: each host keeps the egress it got (round-robin) for `stickyTtlMs` from the first
 *   pick, then gets the next one; a host whose egress cannot serve moves at once.
 * Every policy skips the egresses the caller's `usable` refuses (blocked for the host, in a
 * connect backoff, the one a retry avoids). O(egresses) per pick; sticky keeps at most
 * STICKY_HOSTS_MAX hosts (the oldest assignment is dropped first).
 */
import type { Rotation } from '../config/index.js'
import type { Egress } from './egress.js'

/** Hosts whose sticky egress is remembered at most. */
export const STICKY_HOSTS_MAX = 10_000

export interface RotationOptions {
  readonly rotation: Rotation
  /** How long a host keeps its egress under `sticky` (ms). */
  readonly stickyTtlMs: number
  /** Uniform random integer in [0, n) (default Math.random); injectable for tests. */
  readonly randomInt?: (n: number) => number
  /** Clock in ms (default performance.now); injectable for tests. */
  readonly now?: () => number
}

interface Stick {
  egress: Egress
  until: number
}

export class EgressSet {
  readonly egresses: readonly Egress[]
  readonly rotation: Rotation
  readonly #ttl: number
  readonly #randomInt: (n: number) => number
  readonly #now: () => number
  readonly #sticky = new Map<string, Stick>()
  #next = 0

  /** @param egresses at least one, distinct ids */
  constructor(egresses: readonly Egress[], options: RotationOptions) {
    if (egresses.length === 0) throw new RangeError('an EgressSet needs at least one egress')
    this.egresses = Object.freeze([...egresses])
    this.rotation = options.rotation
    this.#ttl = options.stickyTtlMs
    this.#randomInt = options.randomInt ?? ((n) => Math.floor(Math.random() * n))
    this.#now = options.now ?? (() => performance.now())
  }

  /** The only egress of a one-egress set, else undefined. */
  get single(): Egress | undefined {
    return this.egresses.length === 1 ? this.egresses[0] : undefined
  }

  /** The egress for a request to `host`, among those `usable` accepts; null when it accepts none. */
  pick(host: string, usable: (egress: Egress) => boolean = () => true): Egress | null {
    switch (this.rotation) {
      case 'random':
        return this.#random(usable)
      case 'sticky':
        return this.#stick(host, usable)
      case 'round-robin':
        return this.#roundRobin(usable)
    }
  }

  /** The egress `host` is stuck to now (sticky rotation), if any. */
  stuck(host: string): Egress | undefined {
    const s = this.#sticky.get(host)
    return s !== undefined && s.until > this.#now() ? s.egress : undefined
  }

  #roundRobin(usable: (egress: Egress) => boolean): Egress | null {
    const n = this.egresses.length
    for (let k = 0; k < n; k++) {
      const i = (this.#next + k) % n
      const egress = this.egresses[i]!
      if (!usable(egress)) continue
      this.#next = (i + 1) % n
      return egress
    }
    return null
  }

  #random(usable: (egress: Egress) => boolean): Egress | null {
    const candidates = this.egresses.filter(usable)
    if (candidates.length === 0) return null
    return candidates[this.#randomInt(candidates.length)] ?? null
  }

  #stick(host: string, usable: (egress: Egress) => boolean): Egress | null {
    const t = this.#now()
    const s = this.#sticky.get(host)
    if (s !== undefined && s.until > t && usable(s.egress)) return s.egress
    // After the ttl, or when the egress cannot serve, the host moves to the next one.
    const egress = this.#roundRobin(s === undefined ? usable : (e) => e !== s.egress && usable(e)) ?? null
    const chosen = egress ?? (s !== undefined && usable(s.egress) ? s.egress : null)
    if (chosen === null) return null
    this.#sticky.delete(host)
    if (this.#sticky.size >= STICKY_HOSTS_MAX) {
      const oldest = this.#sticky.keys().next()
      if (oldest.done !== true) this.#sticky.delete(oldest.value)
    }
    this.#sticky.set(host, { egress: chosen, until: t + this.#ttl })
    return chosen
  }
}
