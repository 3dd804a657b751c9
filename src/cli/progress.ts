/**
 * Progress of a batch on stderr: a one-line bar redrawn in place on a terminal, plain lines at
 * every 10 % step otherwise (logs and pipes get no carriage returns).
 */

/** Where progress is drawn; `isTTY` picks the bar. */
export interface ProgressStream {
  write(chunk: string): unknown
  readonly isTTY?: boolean
  readonly columns?: number
}

export interface ProgressOptions {
  /** Units of work in the batch (> 0). */
  total: number
  /** Word before the counts, e.g. "tiles". */
  label?: string
  /** Shortest time between two redraws of the bar (ms). Default 100. */
  redrawMs?: number
  /** Clock (ms), replaceable in tests. Default performance.now. */
  now?: () => number
}

const BAR_WIDTH = 30
const STEPS = 10

export class Progress {
  readonly #stream: ProgressStream
  readonly #total: number
  readonly #label: string
  readonly #redrawMs: number
  readonly #now: () => number
  readonly #startedAt: number
  #done = 0
  #lastDraw = -Infinity
  #lastStep = 0
  #finished = false

  /** @throws RangeError when `total` is not a positive integer */
  constructor(stream: ProgressStream, options: ProgressOptions) {
    if (!Number.isInteger(options.total) || options.total <= 0)
      throw new RangeError(`total must be a positive integer, got ${options.total}`)
    this.#stream = stream
    this.#total = options.total
    this.#label = options.label ?? 'done'
    this.#redrawMs = options.redrawMs ?? 100
    this.#now = options.now ?? (() => performance.now())
    this.#startedAt = this.#now()
  }

  /** Whether the bar is drawn in place (a terminal). */
  get interactive(): boolean {
    return this.#stream.isTTY === true
  }

  /** Counts `n` more units done (extra text, e.g. "3 retries", goes at the end of the line). */
  tick(n = 1, extra = ''): void {
    if (this.#finished) return
    this.#done = Math.min(this.#total, this.#done + n)
    if (this.interactive) {
      const t = this.#now()
      if (t - this.#lastDraw >= this.#redrawMs || this.#done === this.#total) {
        this.#lastDraw = t
        this.#stream.write(`\r${this.#line(extra)}\x1b[K`)
      }
      return
    }
    const step = Math.floor((this.#done * STEPS) / this.#total)
    if (step > this.#lastStep) {
      this.#lastStep = step
      this.#stream.write(`${this.#line(extra)}\n`)
    }
  }

  /** Draws the final state and ends the bar's line. Idempotent. */
  finish(extra = ''): void {
    if (this.#finished) return
    if (this.interactive) this.#stream.write(`\r${this.#line(extra)}\x1b[K\n`)
    else if (this.#lastStep < STEPS) this.#stream.write(`${this.#line(extra)}\n`)
    this.#finished = true
  }

  #line(extra: string): string {
    const ratio = this.#done / this.#total
    const elapsedS = (this.#now() - this.#startedAt) / 1000
    const rate = elapsedS > 0 ? this.#done / elapsedS : 0
    const counts = `${this.#done}/${this.#total} ${this.#label} ${(ratio * 100).toFixed(0).padStart(3)}%  ${rate.toFixed(0)}/s`
    const tail = extra === '' ? '' : `  ${extra}`
    if (!this.interactive) return `${counts}${tail}`
    const filled = Math.round(ratio * BAR_WIDTH)
    return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${counts}${tail}`
  }
}
