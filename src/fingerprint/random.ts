/**
 * The randomness a ClientHello plan draws from. Injectable so tests can make a plan
 * deterministic; the default is `crypto.randomBytes` (CSPRNG).
 */
import { randomBytes } from 'node:crypto'

/** Returns `size` fresh random bytes. */
export type RandomSource = (size: number) => Uint8Array

export const defaultRandom: RandomSource = (size) => randomBytes(size)

/** A uniform integer in [0, n) for 1 <= n <= 65536, by rejection sampling (no modulo bias). */
export function randomBelow(rng: RandomSource, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 0x10000) throw new RangeError(`randomBelow: n must be in 1..65536, got ${n}`)
  if (n === 1) return 0
  const limit = 0x10000 - (0x10000 % n)
  for (;;) {
    const b = rng(2)
    const v = ((b[0] ?? 0) << 8) | (b[1] ?? 0)
    if (v < limit) return v % n
  }
}
