/**
 * Interleaved rounds: A, B, A, B, … so that every contender is measured in the same process and the
 * same time window as its baseline; results are compared as ratios, never against absolute times.
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
  /** Operations per round per contender. */
  readonly count: number
  /** Operations per contender before the first round (JIT warm-up, connection setup). */
  readonly warmup: number
}

/** Operations per second of each round, per contender name. */
export type RoundResults = Record<string, number[]>

export async function interleave(contenders: readonly Contender[], options: InterleaveOptions): Promise<RoundResults> {
  for (const c of contenders) await measure(c, options.warmup)
  const out: RoundResults = Object.fromEntries(contenders.map((c) => [c.name, [] as number[]]))
  for (let r = 0; r < options.rounds; r++) {
    for (const c of contenders) {
      const ns = await measure(c, options.count)
      out[c.name]!.push(options.count / (ns / 1e9))
    }
  }
  return out
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
