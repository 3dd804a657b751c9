/**
 * Progress of a tile run, drawn with cli-progress: a bar redrawn in place with rate, ETA and
 * error counts on a terminal; on a pipe or a log file, one plain line every `intervalMs`
 * (cli-progress's non-TTY mode) and a last line at the end.
 */
import cliProgress from 'cli-progress'

/** Where progress goes (a terminal when `isTTY`). */
export interface ProgressStream {
  write(chunk: string): unknown
  readonly isTTY?: boolean
  readonly columns?: number
}

export interface ProgressCounts {
  done: number
  failed: number
  skipped: number
  retries: number
}

export class TileProgress {
  readonly #bar: cliProgress.SingleBar
  readonly #label: string
  #stopped = false

  /** @param total tiles in the run; @param intervalMs plain-line interval off a terminal (default 2000) */
  constructor(stream: ProgressStream, total: number, label = 'tiles', intervalMs = 2000) {
    this.#label = label
    this.#bar = new cliProgress.SingleBar({
      stream: stream as NodeJS.WritableStream,
      format: `{bar} {value}/{total} ${label} {percentage}% | {rate}/s | ETA {eta_formatted} | {failed} failed, {skipped} skipped, {retries} retries`,
      barsize: 30,
      noTTYOutput: true,
      notTTYSchedule: intervalMs,
      gracefulExit: false,
      hideCursor: false,
      etaBuffer: 200,
      etaAsynchronousUpdate: true,
    })
    this.#bar.start(Math.max(total, 1), 0, { rate: '0', failed: 0, skipped: 0, retries: 0 })
  }

  get label(): string {
    return this.#label
  }

  /** Sets the counts (done = stored + skipped + failed). */
  update(c: ProgressCounts, ratePerSecond: number): void {
    if (this.#stopped) return
    this.#bar.update(c.done, {
      rate: ratePerSecond.toFixed(0),
      failed: c.failed,
      skipped: c.skipped,
      retries: c.retries,
    })
  }

  /** Draws the last state and stops the bar. Idempotent. */
  stop(c: ProgressCounts, ratePerSecond: number): void {
    if (this.#stopped) return
    this.update(c, ratePerSecond)
    this.#stopped = true
    this.#bar.stop()
  }
}
