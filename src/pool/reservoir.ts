/**
 * Bounded sample of recent response times for percentiles: a ring buffer of the last
 * `capacity` values (ms). Recording is O(1); a percentile sorts a copy (stats() only).
 */
export class Reservoir {
  readonly #values: Float64Array
  #count = 0
  #next = 0

  constructor(capacity = 1024) {
    this.#values = new Float64Array(capacity)
  }

  get count(): number {
    return this.#count
  }

  record(ms: number): void {
    this.#values[this.#next] = ms
    this.#next = (this.#next + 1) % this.#values.length
    if (this.#count < this.#values.length) this.#count++
  }

  /** Percentiles (0..100) of the kept values, nearest-rank; undefined when empty. */
  percentiles(ps: readonly number[]): (number | undefined)[] {
    if (this.#count === 0) return ps.map(() => undefined)
    const sorted = this.#values.slice(0, this.#count).sort()
    return ps.map((p) => {
      const rank = Math.min(this.#count - 1, Math.max(0, Math.ceil((p / 100) * this.#count) - 1))
      return sorted[rank]
    })
  }
}
