/** Rates measured at an origin: request times cut into 1 s windows. */

export interface RateWindow {
  startMs: number
  endMs: number
  /** Requests in [startMs, endMs). */
  count: number
}

/**
 * Consecutive 1 s windows over `times` (ms, any order), from the first time + `marginMs` to the
 * last time − `marginMs` (the ramp-up and the tail left out).
 */
export function oneSecondWindows(times: readonly number[], marginMs = 0): RateWindow[] {
  const sorted = [...times].sort((a, b) => a - b)
  if (sorted.length === 0) return []
  const out: RateWindow[] = []
  let i = 0
  for (let start = sorted[0]! + marginMs; start + 1000 <= sorted.at(-1)! - marginMs; start += 1000) {
    while (i < sorted.length && sorted[i]! < start) i++
    let j = i
    while (j < sorted.length && sorted[j]! < start + 1000) j++
    out.push({ startMs: start, endMs: start + 1000, count: j - i })
  }
  return out
}
