/** The tile-run metrics of HotConnMetrics: a TileObserver that counts into prom-client metrics. */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { TileObserver, TileOutcome } from './fetch-tile.js'

const RATE_WINDOW_MS = 10_000

export class TileMetrics implements TileObserver {
  readonly #tiles: Counter<'result'>
  readonly #bytes: Counter
  readonly #retries: Counter<'host'>
  readonly #responses: Counter<'host' | 'status'>
  readonly #planned: Gauge
  /** Completion times (performance.now) within the last RATE_WINDOW_MS. */
  readonly #recent: number[] = []

  constructor(registry: Registry) {
    const registers = [registry]
    this.#tiles = new Counter({
      name: 'hotconn_tiles_total',
      help: 'Tiles by outcome: stored, exists (stored by another worker first), skipped (already stored), failed',
      labelNames: ['result'],
      registers,
    })
    this.#bytes = new Counter({
      name: 'hotconn_tiles_stored_bytes_total',
      help: 'Body bytes of the tiles stored',
      registers,
    })
    this.#retries = new Counter({
      name: 'hotconn_tiles_retries_total',
      help: 'Tile attempts after the first',
      labelNames: ['host'],
      registers,
    })
    this.#responses = new Counter({
      name: 'hotconn_tiles_responses_total',
      help: 'Tile responses by status ("error" for attempts without a response)',
      labelNames: ['host', 'status'],
      registers,
    })
    this.#planned = new Gauge({ name: 'hotconn_tiles_planned', help: 'Tiles in the runs started', registers })
    const recent = this.#recent
    new Gauge({
      name: 'hotconn_tiles_rate',
      help: `Tiles stored or failed per second over the last ${RATE_WINDOW_MS / 1000} s`,
      registers,
      collect() {
        const since = performance.now() - RATE_WINDOW_MS
        while (recent.length > 0 && recent[0]! < since) recent.shift()
        this.set(recent.length / (RATE_WINDOW_MS / 1000))
      },
    })
  }

  start(total: number): void {
    this.#planned.inc(total)
  }

  response(host: string, status: number | undefined): void {
    this.#responses.inc({ host, status: status === undefined ? 'error' : String(status) })
  }

  retry(host: string): void {
    this.#retries.inc({ host })
  }

  tile(o: TileOutcome): void {
    this.#tiles.inc({ result: o.result })
    if (o.result === 'stored') this.#bytes.inc(o.bytes)
    if (o.result !== 'skipped') {
      const now = performance.now()
      this.#recent.push(now)
      if (this.#recent.length > 100_000) this.#recent.splice(0, this.#recent.length - 100_000)
    }
  }
}
