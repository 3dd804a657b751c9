/** Summary statistics over per-round measurements (e.g. operations per second, one value per round). */

export interface Summary {
  readonly n: number
  readonly median: number
  readonly p50: number
  readonly p99: number
  readonly mean: number
  readonly min: number
  readonly max: number
  /** (max - min) / median, as a fraction: 0.05 = the rounds span 5 % of the median. */
  readonly spread: number
}

/** Quantile `q` (0..1) of ascending `sorted` values, linear interpolation between neighbours. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of an empty list')
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q))
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
}

export function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  )
}

/** Summary of `values`; throws RangeError on an empty list. */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b)
  const med = quantile(sorted, 0.5)
  const min = sorted[0]!
  const max = sorted[sorted.length - 1]!
  return {
    n: sorted.length,
    median: med,
    p50: med,
    p99: quantile(sorted, 0.99),
    mean: sorted.reduce((s, v) => s + v, 0) / sorted.length,
    min,
    max,
    spread: med === 0 ? 0 : (max - min) / med,
  }
}

export interface PairedRatio {
  /** median(a) / median(b). */
  readonly ofMedians: number
  /** Median of the per-round ratios a[i] / b[i] (rounds interleaved, so each pair shares a time window). */
  readonly pairedMedian: number
  readonly pairedMin: number
  readonly pairedMax: number
}

/** Ratio of contender `a` to baseline `b`, round by round (rates measured in the same interleaved rounds). */
export function pairedRatio(a: readonly number[], b: readonly number[]): PairedRatio {
  if (a.length !== b.length || a.length === 0)
    throw new RangeError('pairedRatio needs two non-empty lists of equal length')
  const per = a.map((v, i) => v / b[i]!)
  const s = summarize(per)
  return { ofMedians: median(a) / median(b), pairedMedian: s.median, pairedMin: s.min, pairedMax: s.max }
}
