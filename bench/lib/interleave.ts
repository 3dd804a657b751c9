/**
 * Interleaved rounds: A, B, C, then B, C, A, … so that every contender is measured in the same process
 * and the same time window as its baseline, and none always runs right after the same other one;
 * results are compared as ratios, never against absolute times.
 */

export interface Contender {
  readonly name: string
  /**
   * Runs `count` operations and resolves when all are done. Resolving with a number (ns) counts that
   * instead of the wall time, for operations of which only a part is timed (e.g. a client's key
   * generation without the peer's encapsulation).
   */
  run(count: number): Promise<number | void>
}

export interface InterleaveOptions {
  readonly rounds: number
  /** Operations per round: one count for every contender, or one per contender name (see `calibrateEach`). */
  readonly count: number | Readonly<Record<string, number>>
  /** Operations per contender before the first round (JIT warm-up, connection setup). */
  readonly warmup: number
}

/** Operations per second of each round, per contender name. */
export type RoundResults = Record<string, number[]>

export async function interleave(contenders: readonly Contender[], options: InterleaveOptions): Promise<RoundResults> {
  for (const c of contenders) await measure(c, options.warmup)
  const out: RoundResults = Object.fromEntries(contenders.map((c) => [c.name, [] as number[]]))
  const n = contenders.length
  for (let r = 0; r < options.rounds; r++) {
    // Each round starts one contender later, so that no contender always runs right after the same other one.
    for (let i = 0; i < n; i++) {
      const c = contenders[(r + i) % n]!
      const count = countOf(options.count, c.name)
      const ns = await measure(c, count)
      out[c.name]!.push(count / (ns / 1e9))
    }
  }
  return out
}

function countOf(count: InterleaveOptions['count'], name: string): number {
  if (typeof count === 'number') return count
  const own = count[name]
  if (own === undefined) throw new Error(`no round size for ${name}`)
  return own
}

async function measure(c: Contender, count: number): Promise<number> {
  if (count <= 0) return 1
  const t0 = process.hrtime.bigint()
  const timed = await c.run(count)
  return typeof timed === 'number' ? timed : Number(process.hrtime.bigint() - t0)
}

export interface CalibrateOptions {
  /** Operations of the first probe batch per contender. */
  readonly probe: number
  /** Wanted duration of one round of the slowest contender, ms. */
  readonly targetMs: number
  /** Lower bound of the count. */
  readonly min: number
}

/**
 * Picks the fixed per-round count: probes every contender once (after its warm-up) and sizes the
 * count so that a round of the slowest one takes about `targetMs`.
 */
export async function calibrate(contenders: readonly Contender[], options: CalibrateOptions): Promise<number> {
  let slowest = Infinity
  for (const c of contenders) {
    const ns = await measure(c, options.probe)
    slowest = Math.min(slowest, options.probe / (ns / 1e9))
  }
  return Math.max(options.min, Math.round((slowest * options.targetMs) / 1000))
}

/**
 * Per-contender counts: probes every contender once (after its warm-up) and sizes each one's count
 * so that its own round takes about `targetMs`. Rounds of equal duration, not of equal count: a
 * round has a fixed cost in CPU (work of the process's background threads, V8's GC and compiler
 * among them, is charged to whichever round runs), so with one count sized for the slowest
 * contender a contender five times faster ran rounds a fifth as long and paid that cost over a fifth
 * of the requests (60 ms rounds read hotconn at 181 µs per sequential request, 400 ms rounds at 93).
 * `max` bounds each count.
 */
export async function calibrateEach(
  contenders: readonly Contender[],
  options: CalibrateOptions & { readonly max?: number },
): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const c of contenders) {
    const ns = await measure(c, options.probe)
    const perSecond = options.probe / (ns / 1e9)
    const count = Math.max(options.min, Math.round((perSecond * options.targetMs) / 1000))
    out[c.name] = options.max === undefined ? count : Math.min(count, options.max)
  }
  return out
}
