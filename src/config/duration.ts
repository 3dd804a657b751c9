/**
 * Durations in configuration: a string of number+unit parts ("250ms", "60s", "5m", "1h", "1m30s",
 * "1.5s"; units ms, s, m, h, as in Go's `time.ParseDuration` without ns/us) or an integer number of
 * milliseconds. The result is an integer number of milliseconds.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g

/** Largest duration accepted: the largest delay `setTimeout` honours (2^31 - 1 ms, about 24.8 days). */
export const MAX_DURATION_MS = 2_147_483_647

/**
 * Parses a duration string into integer milliseconds.
 * Returns `undefined` when the text is not a duration or does not come to a whole number of ms.
 */
export function parseDurationString(text: string): number | undefined {
  const trimmed = text.trim()
  if (!WHOLE.test(trimmed)) return undefined
  let total = 0
  for (const match of trimmed.matchAll(PART)) {
    const amount = Number(match[1])
    const unit = UNIT_MS[match[2] ?? '']
    if (unit === undefined) return undefined
    total += amount * unit
  }
  // "1.5s" is 1500 ms; "0.5ms" has no whole-ms value and is refused. Rounding absorbs float noise.
  const rounded = Math.round(total)
  if (Math.abs(total - rounded) > 1e-6) return undefined
  return rounded
}

/** Formats integer milliseconds the way the config file writes them ("60s", "5m", "1m30s", "250ms"). */
export function formatDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) return `${ms}ms`
  if (ms === 0) return '0ms'
  let rest = ms
  let out = ''
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (rest >= size && rest % 1000 === 0) {
      const n = Math.floor(rest / size)
      out += `${n}${unit}`
      rest -= n * size
    }
  }
  if (rest > 0) out += `${rest}ms`
  return out
}
