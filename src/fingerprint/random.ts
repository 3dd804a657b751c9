/**
 * The randomness a ClientHello plan draws from. Injectable so tests can make a plan
 * deterministic; the default is `crypto.randomBytes` (CSPRNG).
 */
import { randomBytes, randomFillSync } from 'node:crypto'

/** Returns `size` fresh random bytes. */
export type RandomSource = (size: number) => Uint8Array

/**
 * CSPRNG bytes drawn ahead, for the many small draws of one plan (a shuffle takes two bytes per
 * step): one `randomBytes` call costs a few µs of CPU whatever its size, ~20 of them per
 * ClientHello. Every byte is handed out once and wiped from the pool.
 */
const POOL = Buffer.alloc(1024)
let poolAt = POOL.length

export const defaultRandom: RandomSource = (size) => {
  if (size > 64) return randomBytes(size)
  if (poolAt + size > POOL.length) {
    randomFillSync(POOL)
    poolAt = 0
  }
  const out = Buffer.from(POOL.subarray(poolAt, poolAt + size))
  POOL.fill(0, poolAt, poolAt + size)
  poolAt += size
  return out
}

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
